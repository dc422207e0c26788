//! Paths on the server's own disk (`local_path` of upload_to_datastore,
//! `save_to` of download_from_datastore), confined to the one directory the
//! `MCVSPHERE_LOCAL_DIR` setting names. Whoever may call those tools would
//! otherwise read or write any file the server process can: its
//! configuration, keys, `/etc/passwd`.
//!
//! The rules: local file access is off unless the setting names a directory
//! (the stdio transport defaults to the working directory; HTTP to off). A
//! path is relative to that directory, or absolute inside it; `..` is
//! refused outright, even where it would land back inside. The path is then
//! resolved with every symlink followed, and what it resolves to must still
//! lie inside the directory. Only regular files are read; only a regular
//! file (or nothing) is replaced, and never through a symlink: writes go to
//! a new file created beside the target, renamed over it when complete.

use std::path::{Component, Path, PathBuf};

use crate::error::ToolError;

/// The setting's environment variable, named in every refusal.
pub const SETTING: &str = "MCVSPHERE_LOCAL_DIR";

fn refuse(arg: &str, given: &str, why: impl std::fmt::Display) -> ToolError {
    ToolError::new(format!("{arg} '{given}' is refused: {why}"))
}

/// The confining directory, resolved; or why there is none.
fn root(dir: Option<&Path>, arg: &str) -> Result<PathBuf, ToolError> {
    let Some(dir) = dir else {
        return Err(ToolError::new(format!(
            "{arg} needs local file access, which is off: set {SETTING} to the directory the \
             server may read and write (off by default over HTTP; stdio uses the working \
             directory), or pass the content inline instead"
        )));
    };
    let canon = std::fs::canonicalize(dir).map_err(|e| {
        ToolError::new(format!(
            "{SETTING}={} is not a usable directory: {e}",
            dir.display()
        ))
    })?;
    if !canon.is_dir() {
        return Err(ToolError::new(format!(
            "{SETTING}={} is not a directory",
            dir.display()
        )));
    }
    Ok(canon)
}

/// `given` as a path inside `root` (not yet resolved), after the checks
/// that need no disk: no NUL or control characters, no `..`, and an
/// absolute path only inside the directory.
fn inside(root: &Path, dir: &Path, arg: &str, given: &str) -> Result<PathBuf, ToolError> {
    if given.trim().is_empty() {
        return Err(ToolError::new(format!("{arg} must not be empty")));
    }
    if given.chars().any(char::is_control) {
        return Err(refuse(arg, given, "it contains NUL or control characters"));
    }
    let path = Path::new(given);
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(refuse(
            arg,
            given,
            format!("'..' is not allowed in local paths (they stay inside {SETTING})"),
        ));
    }
    if !path.is_absolute() {
        return Ok(root.join(path));
    }
    // The directory as configured or as resolved: either spelling is inside.
    let relative = path
        .strip_prefix(root)
        .or_else(|_| path.strip_prefix(dir))
        .map_err(|_| {
            refuse(
                arg,
                given,
                format!(
                    "it is outside {SETTING} ({}); give a path inside it, or relative to it",
                    root.display()
                ),
            )
        })?;
    Ok(root.join(relative))
}

/// Fails unless `resolved` lies inside `root` (after symlinks).
fn still_inside(root: &Path, resolved: &Path, arg: &str, given: &str) -> Result<(), ToolError> {
    if resolved.starts_with(root) {
        return Ok(());
    }
    Err(refuse(
        arg,
        given,
        format!(
            "it leads out of {SETTING} ({}) through a symlink",
            root.display()
        ),
    ))
}

/// What a path that is not a regular file is, in words.
fn not_a_file(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "it is a directory, not a file"
    } else if t.is_symlink() {
        "it is a symlink (replacing one could write elsewhere)"
    } else if t.is_fifo() {
        "it is a FIFO, not a regular file"
    } else if t.is_block_device() || t.is_char_device() {
        "it is a device file, not a regular file"
    } else if t.is_socket() {
        "it is a socket, not a regular file"
    } else {
        "it is not a regular file"
    }
}

/// The regular file `given` names inside `dir`, resolved, for reading.
pub fn readable(dir: Option<&Path>, arg: &str, given: &str) -> Result<PathBuf, ToolError> {
    let root = root(dir, arg)?;
    let dir = dir.unwrap_or(&root);
    let path = inside(&root, dir, arg, given)?;
    let resolved = std::fs::canonicalize(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ToolError::new(format!(
            "{arg} '{given}' not found in {SETTING} ({})",
            root.display()
        )),
        _ => refuse(arg, given, e),
    })?;
    still_inside(&root, &resolved, arg, given)?;
    let meta = std::fs::symlink_metadata(&resolved).map_err(|e| refuse(arg, given, e))?;
    if !meta.is_file() {
        return Err(refuse(arg, given, not_a_file(&meta)));
    }
    Ok(resolved)
}

/// Where a file for `given` inside `dir` may be written: its folder must
/// exist inside the directory, and what is there now must be a regular
/// file or nothing. Write to [`partial_beside`] and rename onto it.
pub fn writable(dir: Option<&Path>, arg: &str, given: &str) -> Result<PathBuf, ToolError> {
    let root = root(dir, arg)?;
    let dir = dir.unwrap_or(&root);
    let path = inside(&root, dir, arg, given)?;
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(refuse(arg, given, "it names no file"));
    };
    if given.ends_with('/') {
        return Err(refuse(arg, given, "it names a folder, not a file"));
    }
    let folder = std::fs::canonicalize(parent).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ToolError::new(format!(
            "{arg} '{given}': its folder does not exist in {SETTING} ({})",
            root.display()
        )),
        _ => refuse(arg, given, e),
    })?;
    still_inside(&root, &folder, arg, given)?;
    if !folder.is_dir() {
        return Err(refuse(arg, given, "its folder is not a directory"));
    }
    let target = folder.join(name);
    match std::fs::symlink_metadata(&target) {
        Ok(meta) if !meta.is_file() => Err(refuse(arg, given, not_a_file(&meta))),
        Ok(_) => Ok(target),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(target),
        Err(e) => Err(refuse(arg, given, e)),
    }
}

/// A fresh name beside `target` for the file being written; it is created
/// with `create_new` (which never follows a symlink) and renamed onto the
/// target when complete, so a failed download leaves no half file.
pub fn partial_beside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    target.with_file_name(format!(".{name}.{}.partial", &unique[..12]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.txt"), b"hello").unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/b.txt"), b"b").unwrap();
        d
    }

    fn err_of(r: Result<PathBuf, ToolError>) -> String {
        r.unwrap_err().0
    }

    #[test]
    fn off_without_a_directory_and_the_error_names_the_setting() {
        let e = err_of(readable(None, "local_path", "a.txt"));
        assert!(e.contains(SETTING) && e.contains("off"), "{e}");
        let e = err_of(writable(None, "save_to", "a.txt"));
        assert!(e.contains(SETTING) && e.starts_with("save_to"), "{e}");
    }

    #[test]
    fn a_missing_directory_is_named_as_the_setting() {
        let e = err_of(readable(Some(Path::new("/no/such/dir")), "local_path", "a"));
        assert!(e.contains("MCVSPHERE_LOCAL_DIR=/no/such/dir"), "{e}");
    }

    #[test]
    fn relative_and_absolute_paths_inside_are_resolved() {
        let d = dir();
        let root = std::fs::canonicalize(d.path()).unwrap();
        let p = readable(Some(d.path()), "local_path", "sub/b.txt").unwrap();
        assert_eq!(p, root.join("sub/b.txt"));
        let abs = d.path().join("a.txt");
        let p = readable(Some(d.path()), "local_path", abs.to_str().unwrap()).unwrap();
        assert_eq!(p, root.join("a.txt"));
        let p = writable(Some(d.path()), "save_to", "sub/new.bin").unwrap();
        assert_eq!(p, root.join("sub/new.bin"));
        let p = writable(Some(d.path()), "save_to", "a.txt").unwrap();
        assert_eq!(p, root.join("a.txt"), "a regular file may be replaced");
    }

    #[test]
    fn dot_dot_is_refused_even_when_it_lands_inside() {
        let d = dir();
        for given in ["../etc/passwd", "sub/../a.txt", "sub/.."] {
            let e = err_of(readable(Some(d.path()), "local_path", given));
            assert!(e.contains("'..' is not allowed"), "{given}: {e}");
            let e = err_of(writable(Some(d.path()), "save_to", given));
            assert!(e.contains("'..' is not allowed"), "{given}: {e}");
        }
    }

    #[test]
    fn absolute_paths_elsewhere_are_refused() {
        let d = dir();
        let e = err_of(readable(Some(d.path()), "local_path", "/etc/passwd"));
        assert!(e.contains("outside MCVSPHERE_LOCAL_DIR"), "{e}");
        let e = err_of(writable(Some(d.path()), "save_to", "/tmp/x.bin"));
        assert!(e.contains("outside MCVSPHERE_LOCAL_DIR"), "{e}");
    }

    #[test]
    fn symlinks_out_of_the_directory_are_refused() {
        let d = dir();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(out.path().join("secret"), d.path().join("link")).unwrap();
        std::os::unix::fs::symlink(out.path(), d.path().join("outdir")).unwrap();
        let e = err_of(readable(Some(d.path()), "local_path", "link"));
        assert!(e.contains("leads out of MCVSPHERE_LOCAL_DIR"), "{e}");
        let e = err_of(readable(Some(d.path()), "local_path", "outdir/secret"));
        assert!(e.contains("leads out of"), "{e}");
        let e = err_of(writable(Some(d.path()), "save_to", "outdir/new"));
        assert!(e.contains("leads out of"), "{e}");
        // Writing onto a symlink is refused wherever it points.
        let e = err_of(writable(Some(d.path()), "save_to", "link"));
        assert!(e.contains("symlink"), "{e}");
    }

    #[test]
    fn a_symlink_inside_to_inside_is_read() {
        let d = dir();
        std::os::unix::fs::symlink(d.path().join("a.txt"), d.path().join("alias")).unwrap();
        let p = readable(Some(d.path()), "local_path", "alias").unwrap();
        assert_eq!(p, std::fs::canonicalize(d.path().join("a.txt")).unwrap());
    }

    #[test]
    fn directories_devices_and_fifos_are_refused() {
        let d = dir();
        let e = err_of(readable(Some(d.path()), "local_path", "sub"));
        assert!(e.contains("directory"), "{e}");
        let e = err_of(writable(Some(d.path()), "save_to", "sub"));
        assert!(e.contains("directory"), "{e}");
        let e = err_of(readable(Some(Path::new("/dev")), "local_path", "null"));
        assert!(e.contains("device file"), "{e}");
        let e = err_of(writable(Some(Path::new("/dev")), "save_to", "null"));
        assert!(e.contains("device file"), "{e}");
        let fifo = d.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        let e = err_of(readable(Some(d.path()), "local_path", "pipe"));
        assert!(e.contains("FIFO"), "{e}");
        let e = err_of(writable(Some(d.path()), "save_to", "pipe"));
        assert!(e.contains("FIFO"), "{e}");
    }

    #[test]
    fn nul_control_characters_missing_files_and_folders_are_refused() {
        let d = dir();
        let e = err_of(readable(Some(d.path()), "local_path", "a\0.txt"));
        assert!(e.contains("control characters"), "{e}");
        let e = err_of(writable(Some(d.path()), "save_to", "a\n.txt"));
        assert!(e.contains("control characters"), "{e}");
        let e = err_of(readable(Some(d.path()), "local_path", "nope.txt"));
        assert!(e.contains("not found in MCVSPHERE_LOCAL_DIR"), "{e}");
        let e = err_of(writable(Some(d.path()), "save_to", "no/such/file"));
        assert!(e.contains("folder does not exist"), "{e}");
        let e = err_of(writable(Some(d.path()), "save_to", "sub/"));
        assert!(e.contains("folder"), "{e}");
        let e = err_of(readable(Some(d.path()), "local_path", " "));
        assert!(e.contains("must not be empty"), "{e}");
    }

    #[test]
    fn the_partial_file_sits_beside_the_target() {
        let p = partial_beside(Path::new("/x/y/file.iso"));
        assert_eq!(p.parent(), Some(Path::new("/x/y")));
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(".file.iso.") && name.ends_with(".partial"));
    }
}
