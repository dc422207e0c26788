//! HostDatastoreBrowser: `SearchDatastore_Task` (one folder) and
//! `SearchDatastoreSubFolders_Task` (the folder and every folder under it),
//! over the file table (`datastore_files.rs`). Each datastore's `browser` and
//! each host's `datastoreBrowser` is one of these; it searches the datastores
//! its `datastore` list names.
//!
//! As vSphere does: `matchPattern` globs (`*`, `?`) are OR'ed and apply to
//! folders too (none given: every name); `query` entries are OR'ed (none:
//! every file); a folder is always a `FolderFileInfo`, a file is typed
//! (`VmDiskFileInfo`, `IsoImageFileInfo`, …) only when `details.fileType`
//! asks; `fileSize`, `modification` and `fileOwner` are filled only when
//! asked. The task's entity is the datastore searched; an inaccessible one
//! fails it with `InaccessibleDatastore`.

use vim25::{Data, Fault, MoRef, TypeRef, Value};

use crate::call::{Call, Reply};
use crate::datastore_files::{DsFile, FileKind};
use crate::mo::datastore::{ds_path, invalid_datastore, parse_path};
use crate::state::State;

pub(crate) fn search_datastore(c: &Call) -> Reply {
    search(c, false)
}

pub(crate) fn search_datastore_sub_folders(c: &Call) -> Reply {
    search(c, true)
}

fn search(c: &Call, recurse: bool) -> Reply {
    let path = c.str("datastorePath")?.to_string();
    let spec = Spec::read(c.opt_data("searchSpec")?)?;
    let (name, folder) = parse_path(&path)?;
    let ds = {
        let st = c.read();
        let scope = st.objects.refs(c.this(), "datastore");
        scope
            .iter()
            .find(|d| st.objects.name(d) == name)
            .cloned()
            .ok_or_else(|| invalid_datastore(&st, &name, &scope))?
    };
    let entity = ds.clone();
    c.task(&entity, move |st| {
        crate::mo::datastore::require_accessible(st, &ds)?;
        if !st.files.is_folder(&ds.value, &folder) {
            return Err(crate::datastore_files::not_found(&path));
        }
        let mut out = vec![];
        walk(st, &ds, &name, &folder, &spec, recurse, &mut out);
        if recurse {
            Ok(Some(Value::any(
                TypeRef::array_of("HostDatastoreBrowserSearchResults"),
                Value::array(out.into_iter().map(Value::data).collect()),
            )))
        } else {
            Ok(out.into_iter().next().map(Value::data))
        }
    })
}

/// One result for `folder`, then (recursing) one per folder under it, top first.
fn walk(
    st: &State,
    ds: &MoRef,
    ds_name: &str,
    folder: &str,
    spec: &Spec,
    recurse: bool,
    out: &mut Vec<Data>,
) {
    let children = st.files.children(&ds.value, folder);
    let mut files: Vec<(bool, Data)> = vec![];
    for (name, file) in &children {
        let full = join(folder, name);
        let is_dir = file.is_none_or(|f| f.kind == FileKind::Folder);
        if !spec.name_matches(name) || !spec.query_matches(name, is_dir) {
            continue;
        }
        files.push((is_dir, spec.info(st, ds, &full, name, *file, is_dir)));
    }
    if spec.folders_first {
        // Stable: names stay in order within folders and within files.
        files.sort_by_key(|(dir, _)| !dir);
    }
    out.push(
        Data::new("HostDatastoreBrowserSearchResults")
            .with("datastore", ds)
            .with("folderPath", ds_path(ds_name, folder))
            .with(
                "file",
                Value::array(files.into_iter().map(|(_, d)| Value::data(d)).collect()),
            ),
    );
    if recurse {
        for (name, file) in &children {
            if file.is_none_or(|f| f.kind == FileKind::Folder) {
                walk(st, ds, ds_name, &join(folder, name), spec, true, out);
            }
        }
    }
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

/// The parts of a `HostDatastoreBrowserSearchSpec` the search uses.
#[derive(Default)]
struct Spec {
    patterns: Vec<String>,
    /// `FileQuery` subtype names; empty: every file.
    queries: Vec<String>,
    file_type: bool,
    size: bool,
    modification: bool,
    owner: bool,
    folders_first: bool,
}

/// The `FileQuery` subtypes a search may name.
const QUERIES: &[&str] = &[
    "FileQuery",
    "FolderFileQuery",
    "VmDiskFileQuery",
    "IsoImageFileQuery",
    "VmConfigFileQuery",
    "VmLogFileQuery",
    "FloppyImageFileQuery",
    "VmNvramFileQuery",
    "VmSnapshotFileQuery",
    "TemplateConfigFileQuery",
];

impl Spec {
    fn read(d: Option<&Data>) -> Result<Spec, Fault> {
        let Some(d) = d else {
            return Ok(Spec::default());
        };
        let flag = |path: &str| d.path(path).and_then(Value::as_bool).unwrap_or(false);
        let mut queries = vec![];
        for q in d.get("query").map(Value::as_array).unwrap_or_default() {
            let t = q
                .as_data()
                .map(|q| q.type_name.as_str().to_string())
                .unwrap_or_default();
            if !QUERIES.contains(&t.as_str()) {
                return Err(Fault::new(
                    "InvalidArgument",
                    format!(
                        "A specified parameter was not correct: searchSpec.query: '{t}' is not one of {}",
                        QUERIES.join(", ")
                    ),
                )
                .with("invalidProperty", "searchSpec.query"));
            }
            queries.push(t);
        }
        Ok(Spec {
            patterns: d
                .get("matchPattern")
                .map(Value::strings)
                .unwrap_or_default(),
            queries,
            file_type: flag("details.fileType"),
            size: flag("details.fileSize"),
            modification: flag("details.modification"),
            owner: flag("details.fileOwner"),
            folders_first: flag("sortFoldersFirst"),
        })
    }

    fn name_matches(&self, name: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| glob(p, name))
    }

    fn query_matches(&self, name: &str, is_dir: bool) -> bool {
        if self.queries.is_empty() {
            return true;
        }
        let kind = type_of(name, is_dir);
        self.queries.iter().any(|q| match q.as_str() {
            "FileQuery" => true,
            "FolderFileQuery" => kind == "FolderFileInfo",
            "VmDiskFileQuery" => kind == "VmDiskFileInfo",
            "IsoImageFileQuery" => kind == "IsoImageFileInfo",
            "VmConfigFileQuery" => kind == "VmConfigFileInfo",
            "TemplateConfigFileQuery" => name.ends_with(".vmtx"),
            "VmLogFileQuery" => kind == "VmLogFileInfo",
            "FloppyImageFileQuery" => kind == "FloppyImageFileInfo",
            "VmNvramFileQuery" => kind == "VmNvramFileInfo",
            "VmSnapshotFileQuery" => kind == "VmSnapshotFileInfo",
            _ => false,
        })
    }

    fn info(
        &self,
        st: &State,
        ds: &MoRef,
        full: &str,
        name: &str,
        file: Option<DsFile>,
        is_dir: bool,
    ) -> Data {
        let ty = if is_dir || self.file_type {
            type_of(name, is_dir)
        } else {
            "FileInfo"
        };
        let mut d = Data::new(ty).with("path", name);
        if self.size {
            d.set("fileSize", file.map_or(0, |f| f.size));
        }
        if self.modification {
            let t = st.files.modified(&ds.value, full);
            let when = chrono::DateTime::from_timestamp(t, 0)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            d.set("modification", when);
        }
        if self.owner {
            d.set("owner", "root");
        }
        if ty == "VmDiskFileInfo"
            && let Some(f) = file
        {
            d.set("diskType", "VirtualDiskFlatVer2BackingInfo");
            d.set("capacityKb", f.capacity / 1024);
            d.set("hardwareVersion", 4);
            d.set("thin", f.thin);
        }
        d
    }
}

/// The `FileInfo` subtype a name stands for, by its extension as vSphere
/// types files (a log only when it is a VM's `vmware*.log`; `-flat.vmdk`
/// extents are not disks of their own).
fn type_of(name: &str, is_dir: bool) -> &'static str {
    if is_dir {
        return "FolderFileInfo";
    }
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "vmdk" if !name.ends_with("-flat.vmdk") => "VmDiskFileInfo",
        "iso" => "IsoImageFileInfo",
        "vmx" => "VmConfigFileInfo",
        "log" if name.starts_with("vmware") => "VmLogFileInfo",
        "nvram" => "VmNvramFileInfo",
        "vmsn" => "VmSnapshotFileInfo",
        "flp" | "img" => "FloppyImageFileInfo",
        _ => "FileInfo",
    }
}

/// Shell-style match of `*` (any run) and `?` (one character).
pub(crate) fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_a_shell_does() {
        assert!(glob("*.vmdk", "a.vmdk"));
        assert!(!glob("*.vmdk", "a.vmx"));
        assert!(glob("a?c*", "abcdef"));
        assert!(glob("*", ""));
        assert!(!glob("a", "ab"));
        assert!(glob("*a*b", "xxaybab"));
    }

    #[test]
    fn names_type_as_vsphere_types_them() {
        assert_eq!(type_of("vm.vmdk", false), "VmDiskFileInfo");
        assert_eq!(type_of("vm-flat.vmdk", false), "FileInfo");
        assert_eq!(type_of("vmware.log", false), "VmLogFileInfo");
        assert_eq!(type_of("x", true), "FolderFileInfo");
    }
}
