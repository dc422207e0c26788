//! What a VM reports about its files, derived at commit from the file table:
//! `layoutEx` (each file with key, name, type and size; each disk's chain of
//! file keys, base first; each snapshot's state/memory files and disks), `storage.perDatastoreUsage`, and the totals of
//! `summary.storage`. Nothing is shared between VMs (no linked clones), so
//! `unshared` equals `committed`.

use vim25::devices::DeviceList;
use vim25::{Data, MoRef, Value};

use super::files::{backing_file, chain, chain_files, vm_folder};
use super::model as vm;
use super::snapshot_tree::Tree;
use crate::datastore_files::DsFile;
use crate::now;
use crate::state::State;

/// `summary.storage`'s numbers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StorageTotals {
    pub committed: i64,
    pub uncommitted: i64,
}

/// The VM's files: its folder's, then disk files elsewhere, each once.
fn vm_files(st: &State, vm: &MoRef) -> Vec<(MoRef, String, DsFile)> {
    let mut out: Vec<(MoRef, String, DsFile)> = vec![];
    if let Some((ds, dir, _)) = vm_folder(st, vm)
        && !dir.is_empty()
    {
        for (p, f) in st.files.list(&ds.value, &dir) {
            out.push((ds.clone(), p, f));
        }
    }
    for (ds, p) in chain_files(st, vm) {
        let known = out.iter().any(|(d, q, _)| d == &ds && q == &p);
        if !known && let Some(f) = st.files.get(&ds.value, &p) {
            out.push((ds, p, *f));
        }
    }
    out
}

/// The VM's space on its datastores, as `summary.storage` reports it.
pub(crate) fn totals(st: &State, vm: &MoRef) -> StorageTotals {
    let mut t = StorageTotals::default();
    for (_, _, f) in vm_files(st, vm) {
        t.committed += f.size;
        t.uncommitted += f.uncommitted();
    }
    t
}

/// The VM's `layoutEx` and `storage`, computed from the file table when they
/// are read rather than stored with every VM: they are different for each VM
/// (file names), so storing them cost ~1.5 KB per VM, and nothing but a read
/// needs them. Stamped with the VM's last configuration change, so a
/// `WaitForUpdates` on them reports a change only when there is one.
pub(crate) fn layout_and_storage(st: &State, vm: &MoRef) -> (Data, Data) {
    let files = vm_files(st, vm);
    let mut infos = vec![];
    let mut per_ds: Vec<(MoRef, i64, i64)> = vec![];
    for (key, (ds, path, f)) in files.iter().enumerate() {
        let name = format!("[{}] {path}", st.objects.name(ds));
        infos.push(Value::data(
            Data::new("VirtualMachineFileLayoutExFileInfo")
                .with("key", key as i64)
                .with("name", name)
                .with("type", f.kind.layout_type())
                .with("size", f.size)
                .with("uniqueSize", f.size)
                .with("accessible", true),
        ));
        match per_ds.iter_mut().find(|(d, _, _)| d == ds) {
            Some(e) => {
                e.1 += f.size;
                e.2 += f.uncommitted();
            }
            None => per_ds.push((ds.clone(), f.size, f.uncommitted())),
        }
    }
    let key_of = |ds: &MoRef, p: &str| {
        files
            .iter()
            .position(|(d, q, _)| d == ds && q == p)
            .map(|k| k as i64)
    };
    // Each disk's chain of file keys, base first.
    let disk_layouts = |list: &DeviceList| -> Vec<Value> {
        list.disks()
            .iter()
            .map(|d| {
                let units: Vec<Value> = chain(d)
                    .iter()
                    .rev()
                    .filter_map(|b| backing_file(st, b))
                    .filter_map(|(ds, p)| key_of(&ds, &p))
                    .map(|k| {
                        Value::data(
                            Data::new("VirtualMachineFileLayoutExDiskUnit")
                                .with("fileKey", vec![k]),
                        )
                    })
                    .collect();
                Value::data(
                    Data::new("VirtualMachineFileLayoutExDiskLayout")
                        .with("key", d.get("key").and_then(Value::as_i64).unwrap_or(0))
                        .with("chain", Value::array(units)),
                )
            })
            .collect()
    };
    let disks = disk_layouts(&vm::devices(st, vm));
    // Each snapshot: its state and memory files (-1: none) and its disks.
    let mut snapshots = vec![];
    let folder = vm_folder(st, vm);
    let tree = Tree::read(st, vm);
    for s in tree.all() {
        let (Some((ds, _, vmx)), Some(node)) = (&folder, tree.find(&s)) else {
            continue;
        };
        let stem = vmx.trim_end_matches(".vmx");
        let id = node.id();
        let data = key_of(ds, &format!("{stem}-Snapshot{id}.vmsn")).unwrap_or(-1);
        let memory = key_of(ds, &format!("{stem}-Snapshot{id}.vmem")).unwrap_or(-1);
        let held = st
            .objects
            .prop(&s, "config.hardware.device")
            .map(DeviceList::from_value)
            .unwrap_or_default();
        snapshots.push(Value::data(
            Data::new("VirtualMachineFileLayoutExSnapshotLayout")
                .with("key", &s)
                .with("dataKey", data)
                .with("memoryKey", memory)
                .with("disk", Value::array(disk_layouts(&held))),
        ));
    }
    let stamp = st
        .objects
        .str_prop(vm, "config.modified")
        .unwrap_or_else(now);
    let layout = Data::new("VirtualMachineFileLayoutEx")
        .with("file", Value::array(infos))
        .with("disk", Value::array(disks))
        .with("snapshot", Value::array(snapshots))
        .with("timestamp", stamp.as_str());
    let usage: Vec<Value> = per_ds
        .into_iter()
        .map(|(ds, committed, uncommitted)| {
            Value::data(
                Data::new("VirtualMachineUsageOnDatastore")
                    .with("datastore", &ds)
                    .with("committed", committed)
                    .with("uncommitted", uncommitted)
                    .with("unshared", committed),
            )
        })
        .collect();
    let storage = Data::new("VirtualMachineStorageInfo")
        .with("perDatastoreUsage", Value::array(usage))
        .with("timestamp", stamp.as_str());
    (layout, storage)
}
