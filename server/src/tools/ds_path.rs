//! Paths on a datastore, as the datastore file tools take them: relative to
//! the datastore the call names (`iso/linux.iso`), never a `[datastore]`
//! path of their own. A path that starts with `[other]` would reach a
//! datastore the caller did not name (and the `/folder` door would put the
//! brackets in its URL); `..` would climb out of the folder a caller was
//! given; NUL and control characters end or bend paths on the way through
//! SOAP, URLs and logs. All are refused here, before vCenter is asked.

use crate::error::ToolError;

/// `path` checked and normalised: no leading or doubled `/`, no `.`
/// segments. `allow_root` accepts an empty path (the datastore's top).
pub fn check(arg: &str, path: &str, allow_root: bool) -> Result<String, ToolError> {
    let refuse = |why: &str| ToolError::new(format!("{arg} '{path}' is refused: {why}"));
    if path.chars().any(char::is_control) {
        return Err(refuse("it contains NUL or control characters"));
    }
    let trimmed = path.trim();
    if trimmed.starts_with('[') {
        return Err(refuse(
            "give a path relative to the datastore (no '[datastore]' prefix); the datastore \
             is chosen by its own argument",
        ));
    }
    if trimmed.contains('\\') {
        return Err(refuse("datastore paths use '/' between folders, not '\\'"));
    }
    let mut parts = vec![];
    for seg in trimmed.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(refuse("'..' is not allowed in datastore paths")),
            s => parts.push(s),
        }
    }
    if parts.is_empty() && !allow_root {
        return Err(ToolError::new(format!(
            "{arg} must name a file or folder on the datastore, not its top"
        )));
    }
    Ok(parts.join("/"))
}

/// `[datastore] path`, the form vSphere's file methods take.
pub fn ds_path(datastore: &str, path: &str) -> String {
    if path.is_empty() {
        format!("[{datastore}]")
    } else {
        format!("[{datastore}] {path}")
    }
}

/// The last segment of a checked path (a file's name).
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised() {
        assert_eq!(
            check("path", "/iso//linux.iso", false).unwrap(),
            "iso/linux.iso"
        );
        assert_eq!(check("path", "./a/./b/", false).unwrap(), "a/b");
        assert_eq!(check("path", "", true).unwrap(), "");
        assert_eq!(
            check("path", "with space [x].txt", false).unwrap(),
            "with space [x].txt"
        );
        assert_eq!(ds_path("LocalDS_0", "a/b"), "[LocalDS_0] a/b");
        assert_eq!(ds_path("LocalDS_0", ""), "[LocalDS_0]");
        assert_eq!(file_name("a/b.iso"), "b.iso");
    }

    #[test]
    fn a_datastore_prefix_is_refused() {
        for p in ["[other] secret.vmx", " [LocalDS_0]x", "[]"] {
            let e = check("path", p, true).unwrap_err().0;
            assert!(e.contains("no '[datastore]' prefix"), "{p}: {e}");
        }
    }

    #[test]
    fn dot_dot_is_refused() {
        for p in ["..", "../x", "a/../../b", "a/.."] {
            let e = check("path", p, true).unwrap_err().0;
            assert!(e.contains("'..' is not allowed"), "{p}: {e}");
        }
    }

    #[test]
    fn nul_and_control_characters_are_refused() {
        for p in ["a\0b", "a\nb", "a\rb", "\u{1b}[2J"] {
            let e = check("path", p, true).unwrap_err().0;
            assert!(e.contains("control characters"), "{p:?}: {e}");
        }
    }

    #[test]
    fn the_top_is_refused_where_a_file_is_needed() {
        let e = check("path", "/", false).unwrap_err().0;
        assert!(e.contains("must name a file or folder"), "{e}");
        let e = check("path", "a\\b", false).unwrap_err().0;
        assert!(e.contains("'/'"), "{e}");
    }
}
