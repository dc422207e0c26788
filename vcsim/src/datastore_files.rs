//! The files on the simulated datastores: (datastore, path) → what the file
//! holds. A file is its size and kind; what a client uploaded through the
//! `/folder` door also has its bytes ([`Blob`], in memory or in the
//! configured backing directory, `datastore_content.rs`). Folders are entries
//! of kind [`FileKind::Folder`] (`MakeDirectory`) or implied by the files under
//! them (a VM's folder has no entry of its own).
//!
//! This is the one place that says what a datastore stores, so its space can
//! be derived (`summary.freeSpace` = capacity minus what the files hold,
//! `summary.uncommitted` = what thin files may still grow by), and a VM's
//! `layoutEx`/`storage` read from it. It is kept small and generic on purpose:
//! `HostDatastoreBrowser`, `FileManager` and the `/folder` HTTP door (a later
//! issue) are meant to build on [`DatastoreFiles::create`], [`DatastoreFiles::remove`],
//! [`DatastoreFiles::get`], [`DatastoreFiles::list`] and [`DatastoreFiles::exists`].
//!
//! The table is transactional like the object store: `State` opens, keeps and
//! undoes its changes together with the objects' (a failed change leaves the
//! files as they were). It knows datastores by their MoRef id only; marking a
//! datastore as changed so its summary is derived again is the caller's
//! (`mo::datastore::files_changed`).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use std::sync::Arc;

use vim25::Fault;

pub use crate::datastore_content::{Blob, ContentStore};

/// What a file is, as `VirtualMachineFileLayoutExFileType` names the kinds a
/// VM's layout reports (`config`, `nvram`, `log`, `diskDescriptor`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A VM's `.vmx`.
    Config,
    Nvram,
    Log,
    /// A base virtual disk (`vm.vmdk`); descriptor and extent are one entry.
    Disk,
    /// A snapshot's redo log (`vm-000001.vmdk`), child of another disk file.
    DeltaDisk,
    /// A snapshot's state file (`vm-Snapshot1.vmsn`).
    SnapshotData,
    /// A memory snapshot's `.vmem`.
    SnapshotMemory,
    Iso,
    /// A folder made by `MakeDirectory` or an upload's parent; size 0.
    Folder,
    /// Anything else the datastore holds (space used before the simulator started).
    Other,
}

impl FileKind {
    /// What a file a client writes (an upload, a test's set-up) is, by its extension.
    pub fn for_name(path: &str) -> FileKind {
        match path.rsplit_once('.').map_or("", |(_, e)| e) {
            "iso" => FileKind::Iso,
            "vmx" => FileKind::Config,
            "nvram" => FileKind::Nvram,
            "log" => FileKind::Log,
            "vmdk" => FileKind::Disk,
            _ => FileKind::Other,
        }
    }

    /// The `VirtualMachineFileLayoutExFileType` value for this kind.
    pub fn layout_type(self) -> &'static str {
        match self {
            FileKind::Config => "config",
            FileKind::Nvram => "nvram",
            FileKind::Log => "log",
            FileKind::Disk | FileKind::DeltaDisk => "diskDescriptor",
            FileKind::SnapshotData => "snapshotData",
            FileKind::SnapshotMemory => "snapshotMemory",
            FileKind::Iso | FileKind::Folder | FileKind::Other => "extendedFile",
        }
    }
}

/// One file: what it holds now and, for a thin (growable) file, what it may
/// grow to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DsFile {
    pub kind: FileKind,
    /// Bytes the file takes on the datastore.
    pub size: i64,
    /// Bytes provisioned: the disk's capacity for disks, else `size`.
    pub capacity: i64,
    /// A thin file takes only `size`; `capacity - size` is uncommitted.
    pub thin: bool,
}

impl DsFile {
    /// A file that is exactly its size (config, ISO, thick disk).
    pub fn fixed(kind: FileKind, size: i64) -> Self {
        DsFile {
            kind,
            size,
            capacity: size,
            thin: false,
        }
    }

    /// Provisioned but not yet written: what a thin file may still take.
    pub fn uncommitted(&self) -> i64 {
        if self.thin {
            (self.capacity - self.size).max(0)
        } else {
            0
        }
    }
}

/// Per-datastore sums, kept up to date on every write so deriving a
/// datastore's summary costs nothing however many files it has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub used: i64,
    pub uncommitted: i64,
}

/// 2026-01-01T00:00:00Z: a fixed time for the files that carry none of
/// their own, so a listing of the inventory's files is the same on every run.
pub const INVENTORY_TIME: i64 = 1_767_225_600;

type Key = (String, String);
/// A file as it was before a transaction's first change to it.
type Undo = (Key, Option<DsFile>, Option<Meta>);

/// What only some files have: uploaded bytes and a modification time (a
/// file without one reads as zeros of its size, and was modified at
/// [`INVENTORY_TIME`]), kept aside so the thousands of VM files cost nothing more.
#[derive(Clone, Debug)]
pub struct Meta {
    pub blob: Option<Arc<Blob>>,
    /// Unix seconds.
    pub modified: i64,
}

#[derive(Debug)]
pub struct DatastoreFiles {
    /// By datastore id, then path: a few datastores hold every file, so a
    /// file costs its path and its entry (~3 per VM at 10,000 VMs), and a
    /// lookup needs no key built.
    files: HashMap<String, BTreeMap<Box<str>, DsFile>>,
    usage: HashMap<String, Usage>,
    meta: HashMap<Key, Meta>,
    /// One frame per open transaction: each file's value before its first change.
    undo: Vec<Vec<Undo>>,
    /// Limits and the backing directory for uploaded bytes (`Config`).
    pub store: Arc<ContentStore>,
    /// The modification time of files without [`Meta`]: what the inventory
    /// starts with, and what VMs write, were last modified at [`INVENTORY_TIME`].
    pub started: i64,
}

/// `FileAlreadyExists` as vSphere raises it.
pub fn already_exists(file: &str) -> Fault {
    Fault::new(
        "FileAlreadyExists",
        format!("Cannot complete the operation because the file or folder {file} already exists"),
    )
    .with("file", file)
}

/// `FileNotFound` as vSphere raises it.
pub fn not_found(file: &str) -> Fault {
    Fault::new("FileNotFound", format!("File {file} was not found")).with("file", file)
}

impl Default for DatastoreFiles {
    fn default() -> Self {
        DatastoreFiles {
            files: HashMap::new(),
            usage: HashMap::new(),
            meta: HashMap::new(),
            undo: vec![],
            store: Arc::new(ContentStore::default()),
            started: INVENTORY_TIME,
        }
    }
}

impl DatastoreFiles {
    /// The file at `path` (relative to the datastore's root) on datastore `ds` (an id).
    pub fn get(&self, ds: &str, path: &str) -> Option<&DsFile> {
        self.files.get(ds)?.get(path)
    }

    pub fn exists(&self, ds: &str, path: &str) -> bool {
        self.get(ds, path).is_some()
    }

    /// Size in bytes of the file, if it exists.
    pub fn size(&self, ds: &str, path: &str) -> Option<i64> {
        self.get(ds, path).map(|f| f.size)
    }

    /// Files on `ds` whose path starts with `prefix` (`"vm1/"` lists a
    /// folder, `""` the whole datastore), in path order.
    pub fn list(&self, ds: &str, prefix: &str) -> Vec<(String, DsFile)> {
        let Some(on_ds) = self.files.get(ds) else {
            return vec![];
        };
        on_ds
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(prefix))
            .map(|(p, f)| (p.to_string(), *f))
            .collect()
    }

    /// What `ds`'s files hold, and what its thin files may still take.
    pub fn usage(&self, ds: &str) -> Usage {
        self.usage.get(ds).copied().unwrap_or_default()
    }

    /// Creates a file; `FileAlreadyExists` if one is there.
    pub fn create(&mut self, ds: &str, path: &str, file: DsFile, name: &str) -> Result<(), Fault> {
        if self.exists(ds, path) {
            return Err(already_exists(name));
        }
        self.put(ds, path, Some(file), None);
        Ok(())
    }

    /// Writes a file whether or not it exists (a resize, a merge); uploaded
    /// bytes it had are dropped.
    pub fn set(&mut self, ds: &str, path: &str, file: DsFile) {
        self.put(ds, path, Some(file), None);
    }

    /// Writes a file with its bytes (`None`: zeros of its size) and a
    /// modification time of now.
    pub fn set_with(&mut self, ds: &str, path: &str, file: DsFile, blob: Option<Arc<Blob>>) {
        let meta = Meta {
            blob,
            modified: chrono::Utc::now().timestamp(),
        };
        self.put(ds, path, Some(file), Some(meta));
    }

    /// The file's bytes and modification time, when it has them.
    pub fn meta(&self, ds: &str, path: &str) -> Option<&Meta> {
        self.meta.get(&(ds.to_string(), path.to_string()))
    }

    /// When the file was last written (Unix seconds; [`INVENTORY_TIME`] for files
    /// with no time of their own).
    pub fn modified(&self, ds: &str, path: &str) -> i64 {
        self.meta(ds, path).map_or(self.started, |m| m.modified)
    }

    /// Deletes a file; what it was, or `None` when there was none.
    pub fn remove(&mut self, ds: &str, path: &str) -> Option<DsFile> {
        let old = self.get(ds, path).copied();
        if old.is_some() {
            self.put(ds, path, None, None);
        }
        old
    }

    /// Whether `path` is a folder: one made as such, or one files sit under.
    /// The datastore's root (`""`) always is.
    pub fn is_folder(&self, ds: &str, path: &str) -> bool {
        if path.is_empty() {
            return true;
        }
        if let Some(f) = self.get(ds, path) {
            return f.kind == FileKind::Folder;
        }
        let Some(on_ds) = self.files.get(ds) else {
            return false;
        };
        let prefix = format!("{path}/");
        on_ds
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .next()
            .is_some_and(|(p, _)| p.starts_with(&prefix))
    }

    /// The direct children of folder `dir` (`""`: the root): `(name, Some(file))`
    /// for files and folder entries, `(name, None)` for folders only implied by
    /// the files under them; in name order.
    pub fn children(&self, ds: &str, dir: &str) -> Vec<(String, Option<DsFile>)> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        // A map, not a push: `a-b` sorts between `a` and `a/x`.
        let mut out: BTreeMap<String, Option<DsFile>> = BTreeMap::new();
        for (p, f) in self.list(ds, &prefix) {
            let rest = &p[prefix.len()..];
            match rest.split_once('/') {
                None => {
                    out.insert(rest.to_string(), Some(f));
                }
                Some((sub, _)) => {
                    out.entry(sub.to_string()).or_insert(None);
                }
            }
        }
        out.into_iter().collect()
    }

    fn put(&mut self, ds: &str, path: &str, new: Option<DsFile>, meta: Option<Meta>) {
        if !self.files.contains_key(ds) {
            self.files.insert(ds.to_string(), BTreeMap::new());
        }
        let Some(on_ds) = self.files.get_mut(ds) else {
            return;
        };
        let old = match new {
            Some(f) => on_ds.insert(path.into(), f),
            None => on_ds.remove(path),
        };
        let u = self.usage.entry(ds.to_string()).or_default();
        if let Some(o) = &old {
            u.used -= o.size;
            u.uncommitted -= o.uncommitted();
        }
        if let Some(n) = &new {
            u.used += n.size;
            u.uncommitted += n.uncommitted();
        }
        let key = (ds.to_string(), path.to_string());
        let old_meta = match meta {
            Some(m) => self.meta.insert(key.clone(), m),
            None => self.meta.remove(&key),
        };
        if let Some(frame) = self.undo.last_mut()
            && !frame.iter().any(|((d, p), _, _)| d == ds && p == path)
        {
            frame.push((key, old, old_meta));
        }
    }

    /// Opens a (nested) transaction.
    pub fn begin(&mut self) {
        self.undo.push(vec![]);
    }

    /// Keeps the innermost transaction's changes (an enclosing one can still undo them).
    pub fn commit(&mut self) {
        if let Some(frame) = self.undo.pop()
            && let Some(outer) = self.undo.last_mut()
        {
            for (k, v, m) in frame {
                if !outer.iter().any(|(o, _, _)| o == &k) {
                    outer.push((k, v, m));
                }
            }
        }
    }

    /// Puts every file the innermost transaction changed back as it was.
    pub fn rollback(&mut self) {
        let Some(frame) = self.undo.pop() else {
            return;
        };
        for ((ds, path), old, meta) in frame.into_iter().rev() {
            // Restoring is itself a write; it must not land in the outer frame
            // as a change of its own, so it goes around `put`'s bookkeeping.
            let saved = std::mem::take(&mut self.undo);
            self.put(&ds, &path, old, meta);
            self.undo = saved;
        }
    }
}

/// `"[ds] dir/file"` → `("ds", "dir/file")`.
pub fn split_path(path: &str) -> Option<(&str, &str)> {
    let (ds, rest) = path.strip_prefix('[')?.split_once(']')?;
    Some((ds.trim(), rest.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_follows_writes_and_rollback_restores_files_and_usage() {
        let mut t = DatastoreFiles::default();
        t.create("ds-1", "a/a.vmx", DsFile::fixed(FileKind::Config, 10), "a")
            .expect("new file");
        t.begin();
        let thin = DsFile {
            kind: FileKind::Disk,
            size: 0,
            capacity: 100,
            thin: true,
        };
        t.create("ds-1", "a/a.vmdk", thin, "d").expect("new file");
        assert!(t.create("ds-1", "a/a.vmdk", thin, "d").is_err());
        t.remove("ds-1", "a/a.vmx");
        assert_eq!(
            t.usage("ds-1"),
            Usage {
                used: 0,
                uncommitted: 100
            }
        );
        t.rollback();
        assert_eq!(
            t.usage("ds-1"),
            Usage {
                used: 10,
                uncommitted: 0
            }
        );
        assert_eq!(t.list("ds-1", "a/").len(), 1);
        assert_eq!(t.list("ds-2", "").len(), 0);
    }

    #[test]
    fn nested_commit_is_undone_by_the_outer_rollback() {
        let mut t = DatastoreFiles::default();
        t.begin();
        t.begin();
        t.set("ds-1", "x", DsFile::fixed(FileKind::Iso, 5));
        t.commit();
        t.rollback();
        assert!(!t.exists("ds-1", "x"));
        assert_eq!(t.usage("ds-1"), Usage::default());
    }

    #[test]
    fn paths_split_into_datastore_and_path() {
        assert_eq!(split_path("[ds 1] vm/vm.vmx"), Some(("ds 1", "vm/vm.vmx")));
        assert_eq!(split_path("vm.vmx"), None);
    }
}
