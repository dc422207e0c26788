//! Snapshot delta disks, as vSphere chains them. Taking a snapshot freezes
//! each disk's current file: the snapshot's `config` keeps the backing it
//! had, and the VM goes on writing to a new delta file (`vm-000001.vmdk`)
//! whose backing has the frozen one as `parent`. Reverting puts the
//! snapshot's backings back and gives them a fresh delta; the delta the VM
//! wrote to since is deleted. Removing a snapshot consolidates: a file no
//! snapshot holds any more, with one delta on top of it, takes that delta's
//! data and the delta goes (children re-pointed), until nothing merges.
//!
//! One entry point after every change of the snapshot tree, [`reconcile`],
//! works from what the VM and its snapshots reference rather than from the
//! operation, so create, revert, remove (with or without children) and
//! remove-all agree by construction.

use std::collections::BTreeMap;

use vim25::devices::DeviceList;
use vim25::{Data, Fault, MoRef, Value};

use super::files::{backing_file, chain, new_disk_file, vm_folder};
use super::model as vm;
use super::snapshot_tree::Tree;
use crate::datastore_files::{DsFile, FileKind};
use crate::mo::datastore::files_changed;
use crate::state::State;

/// A snapshot's state file (`vm-Snapshot1.vmsn`).
pub(crate) const VMSN_BYTES: i64 = 32 << 10;

fn file_name(b: &Data) -> String {
    b.get("fileName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A chain (top first) nested again as backings with `parent`s.
fn nest(chain: &[Data]) -> Option<Data> {
    let mut acc: Option<Data> = None;
    for b in chain.iter().rev() {
        let mut b = b.clone();
        b.remove("parent");
        if let Some(lower) = acc {
            b.set("parent", lower);
        }
        acc = Some(b);
    }
    acc
}

/// The device lists a VM's disks live in: its own (`None`) and each snapshot's.
struct Lists {
    lists: Vec<(Option<MoRef>, DeviceList, bool)>,
}

impl Lists {
    fn read(st: &State, vm: &MoRef) -> Lists {
        let mut lists = vec![(None, vm::devices(st, vm), false)];
        for s in Tree::read(st, vm).all() {
            if let Some(v) = st.objects.prop(&s, "config.hardware.device") {
                lists.push((Some(s), DeviceList::from_value(v), false));
            }
        }
        Lists { lists }
    }

    /// Files the snapshots hold as they were taken (their disks' tops).
    fn frozen(&self) -> Vec<String> {
        let mut out = vec![];
        for (_, l, _) in self.lists.iter().filter(|(s, _, _)| s.is_some()) {
            for d in l.disks() {
                if let Some(b) = d.get("backing").and_then(Value::as_data) {
                    out.push(file_name(b));
                }
            }
        }
        out
    }

    /// Each file → the files written on top of it.
    fn children(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (_, l, _) in &self.lists {
            for d in l.disks() {
                let c = chain(d);
                for pair in c.windows(2) {
                    let kids = out.entry(file_name(&pair[1])).or_default();
                    let child = file_name(&pair[0]);
                    if !kids.contains(&child) {
                        kids.push(child);
                    }
                }
            }
        }
        out
    }

    fn referenced(&self) -> Vec<String> {
        let mut out = vec![];
        for (_, l, _) in &self.lists {
            for d in l.disks() {
                out.extend(chain(d).iter().map(file_name));
            }
        }
        out
    }

    /// Rewrites every disk whose chain passes through `gone`, leaving it out.
    fn drop_from_chains(&mut self, gone: &str) {
        for (_, l, changed) in &mut self.lists {
            let mut edits = vec![];
            for d in l.disks() {
                let c = chain(d);
                if c.iter().any(|b| file_name(b) == gone) {
                    let kept: Vec<Data> = c.into_iter().filter(|b| file_name(b) != gone).collect();
                    if let Some(b) = nest(&kept) {
                        edits.push(d.clone().with("backing", b));
                    }
                }
            }
            for e in edits {
                *changed |= l.replace(e).is_ok();
            }
        }
    }

    fn write(self, st: &mut State, vm: &MoRef) -> Result<(), Fault> {
        for (s, l, changed) in self.lists {
            if changed {
                let owner = s.as_ref().unwrap_or(vm);
                st.objects
                    .set(owner, "config.hardware.device", l.to_value())?;
            }
        }
        Ok(())
    }
}

/// After `CreateSnapshot_Task` made `snap`: its state file (and memory file
/// when it captured a running VM's memory), then the VM's new deltas.
pub(crate) fn snapshot_taken(
    st: &mut State,
    vm: &MoRef,
    snap: &MoRef,
    with_memory: bool,
) -> Result<(), Fault> {
    if let Some((ds, _, vmx)) = vm_folder(st, vm) {
        let stem = vmx.trim_end_matches(".vmx").to_string();
        let id = Tree::read(st, vm).find(snap).map(|n| n.id()).unwrap_or(0);
        st.files.set(
            &ds.value,
            &format!("{stem}-Snapshot{id}.vmsn"),
            DsFile::fixed(FileKind::SnapshotData, VMSN_BYTES),
        );
        if with_memory {
            let mb = st
                .objects
                .prop(vm, "config.hardware.memoryMB")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            st.files.set(
                &ds.value,
                &format!("{stem}-Snapshot{id}.vmem"),
                DsFile::fixed(FileKind::SnapshotMemory, mb << 20),
            );
        }
        files_changed(st, &ds)?;
    }
    reconcile(st, vm)
}

/// Brings the VM's delta files in line with its snapshot tree: consolidate,
/// give frozen disks a delta to write to, delete what nothing references.
pub(crate) fn reconcile(st: &mut State, vm: &MoRef) -> Result<(), Fault> {
    let mut lists = Lists::read(st, vm);
    let mut touched: Vec<MoRef> = vec![];
    // Consolidation: a file no snapshot holds, with exactly one delta on it.
    // Each merge takes one file out of every chain, so the chains' length
    // bounds the loop; the bound only guards against a chain that would not shrink.
    let bound = lists.referenced().len() + 1;
    for _ in 0..bound {
        let frozen = lists.frozen();
        let merge = lists
            .children()
            .into_iter()
            .find(|(parent, kids)| kids.len() == 1 && !frozen.contains(parent));
        let Some((parent, kids)) = merge else { break };
        let child = &kids[0];
        let pf = parse(st, &parent);
        let cf = parse(st, child);
        if let (Some((pds, pp)), Some((cds, cp))) = (&pf, &cf) {
            let data = st.files.remove(&cds.value, cp).map(|f| f.size).unwrap_or(0);
            if let Some(mut f) = st.files.get(&pds.value, pp).copied() {
                if f.thin {
                    f.size = (f.size + data).min(f.capacity);
                }
                st.files.set(&pds.value, pp, f);
            }
            touched.extend([pds.clone(), cds.clone()]);
        }
        lists.drop_from_chains(child);
    }
    // A disk whose file a snapshot holds writes to a new delta on top of it.
    let frozen = lists.frozen();
    let folder = vm_folder(st, vm);
    let vm_disks: Vec<Data> = lists.lists[0].1.disks().into_iter().cloned().collect();
    for d in vm_disks {
        let Some(top) = d.get("backing").and_then(Value::as_data).cloned() else {
            continue;
        };
        if !frozen.contains(&file_name(&top)) {
            continue;
        }
        let Some((ds, dir, _)) = &folder else {
            continue;
        };
        let base = chain(&d).last().map(file_name).unwrap_or_default();
        let stem = base
            .rsplit('/')
            .next()
            .unwrap_or(&base)
            .trim_end_matches(".vmdk")
            .to_string();
        let ds_name = st.objects.name(ds);
        let taken = lists.referenced();
        let (path, name) = (1..)
            .map(|n| {
                let p = format!("{dir}{stem}-{n:06}.vmdk");
                let name = format!("[{ds_name}] {p}");
                (p, name)
            })
            .find(|(p, name)| !st.files.exists(&ds.value, p) && !taken.contains(name))
            .unwrap_or_default();
        let delta = top
            .clone()
            .with("fileName", name)
            .with("datastore", ds)
            .with("parent", top.clone());
        let disk = d.clone().with("backing", delta);
        st.files.set(&ds.value, &path, new_disk_file(&disk));
        touched.push(ds.clone());
        let (_, l, changed) = &mut lists.lists[0];
        *changed |= l.replace(disk).is_ok();
    }
    // Deltas and snapshot files nothing references any more.
    if let Some((ds, dir, vmx)) = &folder {
        let referenced = lists.referenced();
        let ds_name = st.objects.name(ds);
        let stem = vmx.trim_end_matches(".vmx");
        let tree = Tree::read(st, vm);
        let ids: Vec<i64> = tree
            .all()
            .iter()
            .filter_map(|s| tree.find(s).map(|n| n.id()))
            .collect();
        for (p, f) in st.files.list(&ds.value, dir) {
            let stale = match f.kind {
                FileKind::DeltaDisk => !referenced.contains(&format!("[{ds_name}] {p}")),
                FileKind::SnapshotData | FileKind::SnapshotMemory => !ids
                    .iter()
                    .any(|id| p.starts_with(&format!("{stem}-Snapshot{id}."))),
                _ => false,
            };
            if stale {
                st.files.remove(&ds.value, &p);
                touched.push(ds.clone());
            }
        }
    }
    lists.write(st, vm)?;
    touched.dedup();
    for ds in &touched {
        files_changed(st, ds)?;
    }
    Ok(())
}

fn parse(st: &State, name: &str) -> Option<(MoRef, String)> {
    backing_file(
        st,
        &Data::new("VirtualDiskFlatVer2BackingInfo").with("fileName", name),
    )
}
