//! A VM's files on its datastores, kept in the file table
//! (`datastore_files.rs`) as the VM lives: its `.vmx` and `.nvram` and its
//! disks when it is created (inventory, `CreateVM_Task`, `CloneVM_Task`),
//! disk files created, destroyed and grown by `ReconfigVM_Task`, all of them
//! deleted by `Destroy_Task`. Snapshot delta disks are `files_snapshot.rs`;
//! what the VM reports about its files (`layoutEx`, `storage`) is
//! `files_layout.rs`.
//!
//! Sizes follow one deterministic rule: the simulated guest never writes, so
//! a thick disk takes its whole capacity from the start, a thin disk (and a
//! delta disk) takes nothing and counts its capacity as uncommitted. A copy
//! (clone) is therefore a fresh file of the same provisioning.

use vim25::devices::{DeviceList, key_of};
use vim25::{Data, Fault, MoRef, Value, schema};

use super::model as vm;
use crate::datastore_files::{DsFile, FileKind, not_found};
use crate::mo::datastore::{self, files_changed, resolve_near};
use crate::state::State;

/// A fresh `.vmx`.
pub(crate) const VMX_BYTES: i64 = 4 << 10;
/// A fresh `.nvram` (the size ESXi writes for BIOS firmware).
pub(crate) const NVRAM_BYTES: i64 = 8684;

fn is(d: &Data, base: &str) -> bool {
    schema().is_subtype(&d.type_name, base)
}

/// The VM's folder: its datastore, the folder's path with a trailing `/`,
/// and the `.vmx` path, from `config.files.vmPathName`.
pub(crate) fn vm_folder(st: &State, vm: &MoRef) -> Option<(MoRef, String, String)> {
    let vmx = st.objects.str_prop(vm, "config.files.vmPathName")?;
    let (ds, path) = resolve_near(st, &vmx, &st.objects.refs(vm, "datastore"))?;
    let dir = match path.rsplit_once('/') {
        Some((d, _)) => format!("{d}/"),
        None => String::new(),
    };
    Some((ds, dir, path))
}

/// A disk's backings from the one it writes to down to its base disk.
pub(crate) fn chain(disk: &Data) -> Vec<Data> {
    let mut out = vec![];
    let mut b = disk.get("backing").and_then(Value::as_data).cloned();
    while let Some(cur) = b {
        b = cur.get("parent").and_then(Value::as_data).cloned();
        out.push(cur);
    }
    out
}

/// Where a backing's file is: its `datastore`, else the datastore its path names.
pub(crate) fn backing_file(st: &State, b: &Data) -> Option<(MoRef, String)> {
    let name = b.get("fileName").and_then(Value::as_str)?;
    let near: Vec<MoRef> = b
        .get("datastore")
        .and_then(Value::as_moref)
        .cloned()
        .into_iter()
        .collect();
    resolve_near(st, name, &near)
}

fn capacity_bytes(disk: &Data) -> i64 {
    disk.get("capacityInBytes")
        .and_then(Value::as_i64)
        .or_else(|| {
            disk.get("capacityInKB")
                .and_then(Value::as_i64)
                .map(|k| k * 1024)
        })
        .unwrap_or(0)
}

/// What a new file for `disk` (at its top backing) holds, by the rule above.
pub(crate) fn new_disk_file(disk: &Data) -> DsFile {
    let capacity = capacity_bytes(disk);
    let top = disk.get("backing").and_then(Value::as_data);
    let delta = top.is_some_and(|b| b.get("parent").is_some());
    let thin = delta
        || top
            .and_then(|b| b.get("thinProvisioned"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
    DsFile {
        kind: if delta {
            FileKind::DeltaDisk
        } else {
            FileKind::Disk
        },
        size: if thin { 0 } else { capacity },
        capacity,
        thin,
    }
}

fn file_name(b: &Data) -> String {
    b.get("fileName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The files of a VM that was just made: `.vmx`, `.nvram`, and each disk's
/// file unless it is already there (a disk the spec attached).
pub(crate) fn vm_created(st: &mut State, vm: &MoRef) -> Result<(), Fault> {
    let Some((ds, _, vmx)) = vm_folder(st, vm) else {
        return Ok(());
    };
    let base = vmx.trim_end_matches(".vmx").to_string();
    st.files
        .set(&ds.value, &vmx, DsFile::fixed(FileKind::Config, VMX_BYTES));
    st.files.set(
        &ds.value,
        &format!("{base}.nvram"),
        DsFile::fixed(FileKind::Nvram, NVRAM_BYTES),
    );
    files_changed(st, &ds)?;
    for d in vm::devices(st, vm).disks() {
        let Some(top) = d.get("backing").and_then(Value::as_data) else {
            continue;
        };
        if let Some((dds, path)) = backing_file(st, top)
            && !st.files.exists(&dds.value, &path)
        {
            st.files.set(&dds.value, &path, new_disk_file(d));
            files_changed(st, &dds)?;
        }
    }
    Ok(())
}

/// `CreateVM_Task`'s disks that name their file: one to be created must not
/// exist yet (`FileAlreadyExists`), one to be attached must (`FileNotFound`).
/// Unnamed disks get a fresh name in the new VM's folder.
pub(crate) fn check_named_disks(st: &State, changes: &[Value]) -> Result<(), Fault> {
    for ch in changes.iter().filter_map(Value::as_data) {
        let Some(dev) = ch.get("device").and_then(Value::as_data) else {
            continue;
        };
        let add = ch.get("operation").and_then(Value::as_str) == Some("add");
        let (true, true, Some(name)) = (add, is(dev, "VirtualDisk"), spec_file_name(dev)) else {
            continue;
        };
        let exists =
            datastore::resolve(st, &name).is_some_and(|(d, p)| st.files.exists(&d.value, &p));
        let create = ch.get("fileOperation").and_then(Value::as_str) == Some("create");
        if create && exists {
            return Err(crate::datastore_files::already_exists(&name));
        }
        if !create && !exists {
            return Err(not_found(&name));
        }
    }
    Ok(())
}

/// A clone gets its own flat copy of each disk: the backing it is made from
/// is the chain's base (its name and provisioning), without the snapshot chain.
pub(crate) fn flatten_for_clone(backing: &mut Data) {
    let mut base = backing.clone();
    while let Some(p) = base.get("parent").and_then(Value::as_data).cloned() {
        base = p;
    }
    *backing = base;
}

/// Every disk file the VM's devices and its snapshots' devices name.
pub(crate) fn chain_files(st: &State, vm: &MoRef) -> Vec<(MoRef, String)> {
    let mut lists = vec![vm::devices(st, vm)];
    for s in super::snapshot_tree::Tree::read(st, vm).all() {
        if let Some(v) = st.objects.prop(&s, "config.hardware.device") {
            lists.push(DeviceList::from_value(v));
        }
    }
    let mut out: Vec<(MoRef, String)> = vec![];
    for l in &lists {
        for d in l.disks() {
            for b in chain(d) {
                if let Some(f) = backing_file(st, &b)
                    && !out.contains(&f)
                {
                    out.push(f);
                }
            }
        }
    }
    out
}

/// `Destroy_Task`: the VM's folder and every disk file it or its snapshots use.
pub(crate) fn vm_destroyed(st: &mut State, vm: &MoRef) -> Result<(), Fault> {
    let mut gone = chain_files(st, vm);
    if let Some((ds, dir, _)) = vm_folder(st, vm)
        && !dir.is_empty()
    {
        for (p, _) in st.files.list(&ds.value, &dir) {
            gone.push((ds.clone(), p));
        }
    }
    for (ds, p) in &gone {
        st.files.remove(&ds.value, p);
    }
    let mut touched: Vec<&MoRef> = gone.iter().map(|(d, _)| d).collect();
    touched.dedup();
    for ds in touched {
        files_changed(st, ds)?;
    }
    Ok(())
}

/// `InvalidDeviceOperation` as vCenter refuses to grow a disk on a snapshot
/// chain, with the reason it gives in `faultMessage`.
fn cannot_grow_chained(i: usize) -> Fault {
    Fault::new(
        "InvalidDeviceOperation",
        format!("Invalid operation for device '{i}'."),
    )
    .with("property", "virtualDeviceSpec.device")
    .with("deviceIndex", i64::try_from(i).unwrap_or(i64::MAX))
    .with("badOp", "edit")
    .with(
        "faultMessage",
        vec![
            Data::new("LocalizableMessage")
                .with("key", "msg.disk.hotExtend.parentNotSupported")
                .with("message", "Disks with parents cannot be expanded."),
        ],
    )
}

fn spec_file_name(dev: &Data) -> Option<String> {
    dev.path("backing.fileName")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty() && !f.ends_with(']'))
        .map(str::to_string)
}

/// The disk files `ReconfigVM_Task`'s `deviceChange` creates, deletes and
/// grows: `after` is the VM's device list with the changes applied, the VM
/// still holds the one before. An added disk with `fileOperation` `create`
/// gets a new file (`FileAlreadyExists` if one is there), one without must
/// name a file that exists (`FileNotFound`); a removed disk's files go only
/// with `destroy`; a grown disk's file grows (thick) or may grow further
/// (thin), refused while the disk is on a snapshot chain.
pub(crate) fn disk_changes(
    st: &mut State,
    vm: &MoRef,
    after: &DeviceList,
    changes: &[Value],
) -> Result<(), Fault> {
    let before = vm::devices(st, vm);
    let old_keys: Vec<i64> = before.disks().iter().map(|d| key_of(d)).collect();
    let mut added: Vec<Data> = after
        .disks()
        .into_iter()
        .filter(|d| !old_keys.contains(&key_of(d)))
        .cloned()
        .collect();
    added.sort_by_key(key_of);
    let has_snapshots = !super::snapshot_tree::Tree::read(st, vm).all().is_empty();
    for (i, ch) in changes.iter().filter_map(Value::as_data).enumerate() {
        let Some(dev) = ch.get("device").and_then(Value::as_data) else {
            continue;
        };
        if !is(dev, "VirtualDisk") {
            continue;
        }
        let op = ch
            .get("operation")
            .and_then(Value::as_str)
            .unwrap_or("edit");
        let file_op = ch.get("fileOperation").and_then(Value::as_str);
        match op {
            "add" => {
                // The disk this change added: the one with the file it named,
                // else the first unnamed one in key (= allocation) order.
                let named = spec_file_name(dev);
                let pos = match &named {
                    Some(n) => added.iter().position(|d| {
                        d.path("backing.fileName").and_then(Value::as_str) == Some(n)
                    }),
                    None => added.iter().position(|d| {
                        !changes.iter().filter_map(Value::as_data).any(|c| {
                            c.get("device")
                                .and_then(Value::as_data)
                                .and_then(spec_file_name)
                                .is_some_and(|n| {
                                    d.path("backing.fileName").and_then(Value::as_str)
                                        == Some(n.as_str())
                                })
                        })
                    }),
                };
                let Some(disk) = pos.map(|p| added.remove(p)) else {
                    continue;
                };
                disk_added(st, &disk, file_op == Some("create"))?;
            }
            "remove" => {
                if file_op == Some("destroy")
                    && let Some(disk) = before.by_key(key_of(dev))
                {
                    disk_destroyed(st, vm, disk)?;
                }
            }
            _ => {
                let (Some(old), Some(new)) =
                    (before.by_key(key_of(dev)), after.by_key(key_of(dev)))
                else {
                    continue;
                };
                let (old_cap, new_cap) = (capacity_bytes(old), capacity_bytes(new));
                if new_cap != old_cap {
                    let on_chain = old.path("backing.parent").is_some();
                    if on_chain || has_snapshots {
                        return Err(cannot_grow_chained(i));
                    }
                    disk_grown(st, new)?;
                }
            }
        }
    }
    Ok(())
}

fn disk_added(st: &mut State, disk: &Data, create: bool) -> Result<(), Fault> {
    let Some(top) = disk.get("backing").and_then(Value::as_data) else {
        return Ok(());
    };
    let name = file_name(top);
    let Some((ds, path)) = backing_file(st, top) else {
        return Err(not_found(&name));
    };
    if create {
        st.files
            .create(&ds.value, &path, new_disk_file(disk), &name)?;
        files_changed(st, &ds)?;
    } else if !st.files.exists(&ds.value, &path) {
        return Err(not_found(&name));
    }
    Ok(())
}

/// A removed disk's files, except those a snapshot still holds.
fn disk_destroyed(st: &mut State, vm: &MoRef, disk: &Data) -> Result<(), Fault> {
    let mut held = vec![];
    for s in super::snapshot_tree::Tree::read(st, vm).all() {
        if let Some(v) = st.objects.prop(&s, "config.hardware.device") {
            for d in DeviceList::from_value(v).disks() {
                held.extend(chain(d).iter().filter_map(|b| backing_file(st, b)));
            }
        }
    }
    for b in chain(disk) {
        if let Some((ds, path)) = backing_file(st, &b)
            && !held.contains(&(ds.clone(), path.clone()))
        {
            st.files.remove(&ds.value, &path);
            files_changed(st, &ds)?;
        }
    }
    Ok(())
}

fn disk_grown(st: &mut State, disk: &Data) -> Result<(), Fault> {
    let Some(top) = disk.get("backing").and_then(Value::as_data) else {
        return Ok(());
    };
    let Some((ds, path)) = backing_file(st, top) else {
        return Ok(());
    };
    let cap = capacity_bytes(disk);
    let grown = match st.files.get(&ds.value, &path) {
        Some(f) if f.thin => DsFile {
            capacity: cap,
            ..*f
        },
        Some(f) => DsFile {
            size: cap,
            capacity: cap,
            ..*f
        },
        None => new_disk_file(disk),
    };
    st.files.set(&ds.value, &path, grown);
    files_changed(st, &ds)
}

/// The name vCenter gives the `n`th disk of `vm_name` (`vm.vmdk`,
/// `vm_1.vmdk`, …), skipping names whose file is already in the VM's folder
/// (a disk removed without deleting its file keeps its name taken).
pub(crate) fn free_disk_name(st: &State, ds: Option<&MoRef>, vm_name: &str, n: usize) -> String {
    let name = |n: usize| {
        if n == 0 {
            format!("{vm_name}.vmdk")
        } else {
            format!("{vm_name}_{n}.vmdk")
        }
    };
    let taken = |f: &str| ds.is_some_and(|d| st.files.exists(&d.value, &format!("{vm_name}/{f}")));
    (n..)
        .map(name)
        .find(|f| !taken(f))
        .unwrap_or_else(|| name(n))
}

/// An ISO image must be a file on its datastore (vCenter: `FileNotFound`).
pub(crate) fn iso_present(st: &State, path: &str) -> Result<(), Fault> {
    match datastore::resolve(st, path) {
        Some((ds, p)) if st.files.exists(&ds.value, &p) => Ok(()),
        _ => Err(not_found(path)),
    }
}
