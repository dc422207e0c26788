//! FileManager: `MakeDirectory`, `DeleteDatastoreFile_Task`,
//! `MoveDatastoreFile_Task` and `CopyDatastoreFile_Task` over the file table
//! (`datastore_files.rs`), files and folders alike (a folder moves, copies
//! and deletes with everything under it), within and across datastores.
//!
//! A path's datastore is looked up in the datacenter argument (vCenter's
//! scope; absent, in the whole inventory, as on a host). The tasks' entity is
//! that datacenter (the FileManager when none was given), as vCenter reports
//! them. Faults as vSphere raises them: `InvalidDatastorePath`,
//! `InvalidDatastore`, `InaccessibleDatastore`, `FileNotFound`,
//! `FileAlreadyExists` (unless `force`), `CannotDeleteFile`/`FileLocked` for
//! a running VM's files, `NoDiskSpace` when a copy does not fit.

use std::sync::Arc;

use vim25::{Fault, MoRef, Value};

use crate::call::{Call, Reply};
use crate::datastore_files::{Blob, DsFile, FileKind, already_exists, not_found};
use crate::mo::datastore::{ds_path, files_changed, invalid_datastore, parse_path};
use crate::state::State;

/// A datastore path resolved: the datastore, its name and the path inside.
pub(crate) struct Target {
    pub ds: MoRef,
    pub name: String,
    pub rel: String,
}

impl Target {
    pub(crate) fn path(&self) -> String {
        ds_path(&self.name, &self.rel)
    }

    fn parent(&self) -> String {
        self.rel.rsplit_once('/').map_or("", |(p, _)| p).to_string()
    }
}

/// Resolves `path` within datacenter `dc` (any datastore when `None`).
pub(crate) fn resolve(st: &State, dc: Option<&MoRef>, path: &str) -> Result<Target, Fault> {
    let (name, rel) = parse_path(path)?;
    let scope = match dc {
        Some(dc) => {
            if !st.objects.contains(dc) || dc.kind != "Datacenter" {
                return Err(Fault::managed_object_not_found(dc));
            }
            st.objects.refs(dc, "datastore")
        }
        None => st.objects.of_kind("Datastore"),
    };
    let ds = scope
        .iter()
        .find(|d| st.objects.name(d) == name)
        .cloned()
        .ok_or_else(|| invalid_datastore(st, &name, &scope))?;
    crate::mo::datastore::require_accessible(st, &ds)?;
    Ok(Target { ds, name, rel })
}

/// Whether anything (file or folder) is at `t`.
pub(crate) fn exists(st: &State, t: &Target) -> bool {
    st.files.exists(&t.ds.value, &t.rel) || st.files.is_folder(&t.ds.value, &t.rel)
}

/// What is at `t`: `("", file)` for a file, or the folder's own entry (if
/// it has one) and everything under it as `("/a/b", file)`; with bytes.
type Entry = (String, DsFile, Option<Arc<Blob>>);

fn entries(st: &State, t: &Target) -> Vec<Entry> {
    let blob = |p: &str| st.files.meta(&t.ds.value, p).and_then(|m| m.blob.clone());
    let mut out = vec![];
    if let Some(f) = st.files.get(&t.ds.value, &t.rel) {
        out.push((String::new(), *f, blob(&t.rel)));
        if f.kind != FileKind::Folder {
            return out;
        }
    }
    let prefix = format!("{}/", t.rel);
    for (p, f) in st.files.list(&t.ds.value, &prefix) {
        let b = blob(&p);
        out.push((p[t.rel.len()..].to_string(), f, b));
    }
    out
}

fn task_entity(c: &Call, dc: &Option<MoRef>) -> MoRef {
    dc.clone().unwrap_or_else(|| c.this().clone())
}

pub(crate) fn make_directory(c: &Call) -> Reply {
    let name = c.str("name")?;
    let dc = c.opt_moref("datacenter")?;
    let parents = c.bool_or("createParentDirectories", false)?;
    c.shared.try_mutate(|st| {
        let t = resolve(st, dc.as_ref(), name)?;
        if exists(st, &t) {
            return Err(already_exists(&t.path()));
        }
        let mut missing = vec![t.rel.clone()];
        let mut dir = t.parent();
        while !st.files.is_folder(&t.ds.value, &dir) {
            if st.files.exists(&t.ds.value, &dir) {
                let p = ds_path(&t.name, &dir);
                return Err(Fault::new(
                    "CannotCreateFile",
                    format!("Cannot create folder {}: {p} is a file", t.path()),
                )
                .with("file", p));
            }
            if !parents {
                return Err(not_found(&ds_path(&t.name, &dir)).with("file", ds_path(&t.name, &dir)));
            }
            missing.push(dir.clone());
            dir = dir.rsplit_once('/').map_or("", |(p, _)| p).to_string();
        }
        for d in missing.iter().rev() {
            st.files
                .set_with(&t.ds.value, d, DsFile::fixed(FileKind::Folder, 0), None);
        }
        Ok(None)
    })
}

pub(crate) fn delete_datastore_file(c: &Call) -> Reply {
    let name = c.str("name")?.to_string();
    let dc = c.opt_moref("datacenter")?;
    c.task(&task_entity(c, &dc), move |st| {
        let t = resolve(st, dc.as_ref(), &name)?;
        if t.rel.is_empty() {
            return Err(cannot_delete(&t.path(), "it is the root of the datastore"));
        }
        if !exists(st, &t) {
            return Err(not_found(&t.path()));
        }
        if let Some(vm) = running_vm_under(st, &t) {
            return Err(cannot_delete(
                &t.path(),
                &format!("it holds files of the powered-on VM '{vm}'"),
            ));
        }
        remove_all(st, &t);
        files_changed(st, &t.ds)?;
        Ok(None)
    })
}

pub(crate) fn move_datastore_file(c: &Call) -> Reply {
    transfer(c, true)
}

pub(crate) fn copy_datastore_file(c: &Call) -> Reply {
    transfer(c, false)
}

fn transfer(c: &Call, is_move: bool) -> Reply {
    let src = c.str("sourceName")?.to_string();
    let src_dc = c.opt_moref("sourceDatacenter")?;
    let dst = c.str("destinationName")?.to_string();
    let dst_dc = c.opt_moref("destinationDatacenter")?;
    let force = c.bool_or("force", false)?;
    c.task(&task_entity(c, &src_dc), move |st| {
        let s = resolve(st, src_dc.as_ref(), &src)?;
        let d = resolve(st, dst_dc.as_ref().or(src_dc.as_ref()), &dst)?;
        if !exists(st, &s) {
            return Err(not_found(&s.path()));
        }
        let same_ds = s.ds == d.ds;
        if same_ds && (d.rel == s.rel || d.rel.starts_with(&format!("{}/", s.rel)) || s.rel.is_empty())
        {
            return Err(Fault::new(
                "InvalidArgument",
                format!(
                    "A specified parameter was not correct: destinationName: {} is {} itself or inside it",
                    d.path(),
                    s.path()
                ),
            )
            .with("invalidProperty", "destinationName"));
        }
        if !st.files.is_folder(&d.ds.value, &d.parent()) {
            return Err(not_found(&ds_path(&d.name, &d.parent())));
        }
        if is_move && let Some(vm) = running_vm_under(st, &s) {
            return Err(Fault::new(
                "FileLocked",
                format!("Cannot move {}: it holds files of the powered-on VM '{vm}'", s.path()),
            )
            .with("file", s.path()));
        }
        if exists(st, &d) {
            if !force {
                return Err(already_exists(&d.path()));
            }
            remove_all(st, &d);
        }
        let items = entries(st, &s);
        if !is_move || !same_ds {
            let need: i64 = items.iter().map(|(_, f, _)| f.size).sum();
            let cap = st
                .objects
                .prop(&d.ds, "summary.capacity")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let free = cap - st.files.usage(&d.ds.value).used;
            if need > free {
                return Err(Fault::new(
                    "NoDiskSpace",
                    format!(
                        "There is not enough space on datastore '{}' for {}: it needs {need} bytes, {free} are free",
                        d.name,
                        d.path()
                    ),
                )
                .with("file", d.path())
                .with("datastore", d.name.as_str()));
            }
        }
        if is_move {
            remove_all(st, &s);
        }
        for (suffix, f, blob) in items {
            st.files
                .set_with(&d.ds.value, &format!("{}{suffix}", d.rel), f, blob);
        }
        files_changed(st, &s.ds)?;
        files_changed(st, &d.ds)?;
        Ok(None)
    })
}

fn remove_all(st: &mut State, t: &Target) {
    for (suffix, _, _) in entries(st, t) {
        st.files.remove(&t.ds.value, &format!("{}{suffix}", t.rel));
    }
}

fn cannot_delete(path: &str, why: &str) -> Fault {
    Fault::new(
        "CannotDeleteFile",
        format!("Cannot delete file {path}: {why}"),
    )
    .with("file", path)
}

/// A powered-on VM whose folder is at or under `t`, or that `t` lies in:
/// its files are locked while it runs.
fn running_vm_under(st: &State, t: &Target) -> Option<String> {
    st.objects
        .of_kind("VirtualMachine")
        .into_iter()
        .find_map(|vm| {
            if st.objects.str_prop(&vm, "runtime.powerState").as_deref() != Some("poweredOn") {
                return None;
            }
            let vmx = st.objects.str_prop(&vm, "config.files.vmPathName")?;
            let (name, rel) = parse_path(&vmx).ok()?;
            let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
            let under = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}/"));
            (name == t.name && (under(&rel, &t.rel) || (!dir.is_empty() && under(&t.rel, dir))))
                .then(|| st.objects.name(&vm))
        })
}
