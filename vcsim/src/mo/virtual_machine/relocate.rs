//! `RelocateVM_Task`: storage vMotion (the VM's home and disks, or single
//! disks through `DiskLocator`s, moved between datastores in the file
//! table, so free space follows on both sides), thin/thick conversion, and
//! host/pool migration inside a compute resource. Also the per-disk
//! placement a `CloneVM_Task` relocate spec asks for ([`disk_target`]).
//!
//! Files move as whole entries (their bytes, if a client uploaded any, go
//! with them); backings that named a moved file are rewritten in the VM's
//! devices and in every snapshot's devices, so the file table and the
//! device lists never disagree.

use std::collections::HashMap;

use vim25::devices::DeviceList;
use vim25::{Data, Fault, MoRef, Value};

use super::files::{backing_file, chain, vm_folder};
use super::model as vm;
use super::relocate_checks::{check_room, placement};
use super::snapshot_tree::Tree;
use super::{datacenter_name, event};
use crate::call::{Call, Reply, require};
use crate::datastore_files::{DsFile, already_exists};
use crate::mo::datastore::{ds_path, files_changed, require_accessible};
use crate::state::State;

/// Where a relocate spec sends disk `key`, and whether it asks for thin
/// (`Some(true)`), thick (`Some(false)`) or no change: the disk's
/// `DiskLocator`, else the spec's `datastore` and `transform`.
pub(crate) fn disk_target(spec: &Data, key: i64) -> (Option<MoRef>, Option<bool>) {
    let loc = spec
        .get("disk")
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.as_data().cloned())
        .find(|d| d.get("diskId").and_then(Value::as_i64) == Some(key));
    let ds = loc
        .as_ref()
        .and_then(|l| l.get("datastore").and_then(Value::as_moref).cloned())
        .or_else(|| spec.get("datastore").and_then(Value::as_moref).cloned());
    let thin = loc
        .as_ref()
        .and_then(|l| l.path("diskBackingInfo.thinProvisioned"))
        .and_then(Value::as_bool)
        .or_else(|| match spec.get("transform").and_then(Value::as_str) {
            Some("sparse") => Some(true),
            Some("flat") => Some(false),
            _ => None,
        });
    (ds, thin)
}

type Place = (String, String);

/// `VirtualMachine.RelocateVM_Task`.
pub(crate) fn relocate(c: &Call) -> Reply {
    let spec = c.data("spec")?.clone();
    {
        let st = c.read();
        for p in ["datastore", "host", "pool"] {
            if let Some(m) = spec.get(p).and_then(Value::as_moref) {
                require(&st, m)?;
            }
        }
    }
    let u = c.user().to_string();
    let target = c.this().clone();
    c.task(c.this(), move |st: &mut State| {
        // Templates relocate too (vCenter moves their files and host alike).
        require(st, &target)?;
        let src_host = st.objects.ref_prop(&target, "runtime.host");
        let (host, pool) = placement(st, &target, &spec)?;
        let moved = move_storage(st, &target, &spec, &host)?;
        let migrated = host.is_some() && host != src_host;
        if let Some(h) = &host {
            move_ref(st, &target, "runtime.host", "vm", h)?;
        }
        if let Some(p) = &pool {
            move_ref(st, &target, "resourcePool", "vm", p)?;
        }
        let name = st.objects.name(&target);
        let dc = datacenter_name(st, &target);
        let src_host_name = src_host
            .as_ref()
            .map(|h| st.objects.name(h))
            .unwrap_or_default();
        let (kind, msg) = if migrated && vm::power_state(st, &target) == "poweredOn" {
            let to = host
                .as_ref()
                .map(|h| st.objects.name(h))
                .unwrap_or_default();
            (
                "VmMigratedEvent",
                format!(
                    "Migration of virtual machine {name} from {src_host_name} to {to} completed"
                ),
            )
        } else {
            (
                "VmRelocatedEvent",
                format!("Completed the relocation of the virtual machine {name} in {dc}"),
            )
        };
        if !migrated && !moved && pool.is_none() {
            return Ok(None);
        }
        event(st, kind, &u, &target, msg)?;
        if let (Some(h), Some(last)) = (&src_host, st.events.events.back_mut()) {
            last.set(
                "sourceHost",
                Data::new("HostEventArgument")
                    .with("name", src_host_name.as_str())
                    .with("host", h),
            );
        }
        Ok(None)
    })
}

/// Moves a single-valued link (`runtime.host`, `resourcePool`) and the
/// owner's back-reference list.
pub(crate) fn move_ref(
    st: &mut State,
    m: &MoRef,
    path: &str,
    back: &str,
    to: &MoRef,
) -> Result<(), Fault> {
    if let Some(old) = st.objects.ref_prop(m, path) {
        if &old == to {
            return Ok(());
        }
        st.objects.remove_ref(&old, back, m)?;
    }
    st.objects.set(m, path, Value::moref(to.clone()))?;
    st.objects.push_ref(to, back, m)
}

/// Moves the files the spec asks to move and converts disks; whether
/// anything changed.
fn move_storage(
    st: &mut State,
    target: &MoRef,
    spec: &Data,
    host: &Option<MoRef>,
) -> Result<bool, Fault> {
    let Some((home_ds, dir, _)) = vm_folder(st, target) else {
        return Ok(false);
    };
    let disks: Vec<Data> = vm::devices(st, target)
        .disks()
        .into_iter()
        .cloned()
        .collect();
    // (source place) → (target datastore, path)
    let mut moves: HashMap<Place, (MoRef, String)> = HashMap::new();
    let mut staying: Vec<Place> = vec![];
    let mut conversions: Vec<(MoRef, String, bool)> = vec![];
    for d in &disks {
        let key = d.get("key").and_then(Value::as_i64).unwrap_or(0);
        let (to, thin) = disk_target(spec, key);
        let backings = chain(d);
        for (i, b) in backings.iter().enumerate() {
            let Some((sds, spath)) = backing_file(st, b) else {
                continue;
            };
            let base = i + 1 == backings.len();
            match &to {
                Some(t) if t != &sds => {
                    let file = spath.rsplit('/').next().unwrap_or(&spath);
                    let dpath = format!("{dir}{file}");
                    if base && let Some(th) = thin {
                        conversions.push((t.clone(), dpath.clone(), th));
                    }
                    moves.insert((sds.value.to_string(), spath), (t.clone(), dpath));
                }
                _ => {
                    if base && let Some(th) = thin {
                        conversions.push((sds.clone(), spath.clone(), th));
                    }
                    staying.push((sds.value.to_string(), spath));
                }
            }
        }
    }
    let new_home = spec
        .get("datastore")
        .and_then(Value::as_moref)
        .filter(|d| *d != &home_ds)
        .cloned();
    if let Some(nh) = &new_home {
        for (p, _) in st.files.list(&home_ds.value, &dir) {
            let k = (home_ds.value.to_string(), p.clone());
            if dir.is_empty() || moves.contains_key(&k) || staying.contains(&k) {
                continue;
            }
            moves.insert(k, (nh.clone(), p));
        }
    }
    if moves.is_empty() && conversions.is_empty() {
        return Ok(false);
    }
    // Checks first: the targets are usable from the host and free of the names.
    let host = host
        .clone()
        .or_else(|| st.objects.ref_prop(target, "runtime.host"));
    let mut dsts: Vec<MoRef> = moves.values().map(|(d, _)| d.clone()).collect();
    dsts.dedup();
    for d in &dsts {
        require_accessible(st, d)?;
        if let Some(h) = &host
            && !st.objects.refs(h, "datastore").contains(d)
        {
            return Err(Fault::new(
                "InvalidDatastore",
                format!(
                    "The datastore {} is not accessible from the host {}.",
                    st.objects.name(d),
                    st.objects.name(h)
                ),
            )
            .with("datastore", d)
            .with("name", st.objects.name(d).as_str()));
        }
    }
    for (d, p) in moves.values() {
        if st.files.exists(&d.value, p) {
            return Err(already_exists(&ds_path(&st.objects.name(d), p)));
        }
    }
    check_room(st, &moves, &conversions)?;
    let mut touched: Vec<MoRef> = vec![home_ds.clone()];
    for ((sds, spath), (d, p)) in &moves {
        let blob = st.files.meta(sds, spath).and_then(|m| m.blob.clone());
        if let Some(file) = st.files.remove(sds, spath) {
            st.files.set_with(&d.value, p, file, blob);
        }
        if let Some(m) = st.objects.moref_of(sds) {
            touched.push(m);
        }
        touched.push(d.clone());
    }
    for (d, p, thin) in &conversions {
        if let Some(f) = st.files.get(&d.value, p).copied() {
            let size = if *thin { 0 } else { f.capacity };
            st.files.set(
                &d.value,
                p,
                DsFile {
                    size,
                    thin: *thin,
                    ..f
                },
            );
            touched.push(d.clone());
        }
    }
    rewrite_backings(st, target, &moves, &conversions)?;
    if let Some(nh) = &new_home {
        let (old, new) = (st.objects.name(&home_ds), st.objects.name(nh));
        for f in [
            "vmPathName",
            "snapshotDirectory",
            "suspendDirectory",
            "logDirectory",
        ] {
            let path = format!("config.files.{f}");
            if let Some(s) = st.objects.str_prop(target, &path)
                && let Some(rest) = s.strip_prefix(&format!("[{old}]"))
            {
                st.objects
                    .set(target, &path, Value::from(format!("[{new}]{rest}")))?;
            }
        }
    }
    relink_datastores(st, target)?;
    touched.sort_by(|a, b| a.value.cmp(&b.value));
    touched.dedup();
    for d in &touched {
        files_changed(st, d)?;
    }
    Ok(true)
}

/// Points every backing (VM and snapshots) that named a moved file at its new
/// place, and sets `thinProvisioned` on converted base disks.
fn rewrite_backings(
    st: &mut State,
    target: &MoRef,
    moves: &HashMap<Place, (MoRef, String)>,
    conversions: &[(MoRef, String, bool)],
) -> Result<(), Fault> {
    let mut owners = vec![target.clone()];
    owners.extend(Tree::read(st, target).all());
    for owner in owners {
        let Some(v) = st.objects.prop(&owner, "config.hardware.device") else {
            continue;
        };
        let mut list = DeviceList::from_value(v).into_vec();
        let mut changed = false;
        for d in list
            .iter_mut()
            .filter(|d| vim25::schema().is_subtype(&d.type_name, "VirtualDisk"))
        {
            let mut b = d.get_mut("backing").and_then(Value::data_mut);
            while let Some(cur) = b {
                if let Some((sds, spath)) = backing_file(st, cur) {
                    let (dds, dpath) = match moves.get(&(sds.value.to_string(), spath.clone())) {
                        Some((dd, dp)) => {
                            cur.set("fileName", ds_path(&st.objects.name(dd), dp));
                            cur.set("datastore", dd);
                            changed = true;
                            (dd.clone(), dp.clone())
                        }
                        None => (sds, spath),
                    };
                    let is_base = cur.get("parent").is_none();
                    if let Some((_, _, thin)) = conversions
                        .iter()
                        .find(|(cd, cp, _)| is_base && *cd == dds && *cp == dpath)
                    {
                        cur.set("thinProvisioned", *thin);
                        if *thin {
                            cur.set("eagerlyScrub", false);
                        }
                        changed = true;
                    }
                }
                b = cur.get_mut("parent").and_then(Value::data_mut);
            }
        }
        if changed {
            st.objects.set(
                &owner,
                "config.hardware.device",
                DeviceList::new(list).to_value(),
            )?;
        }
    }
    Ok(())
}

/// `datastore` of the VM (and each datastore's `vm`) from where its home and
/// disks now are.
pub(crate) fn relink_datastores(st: &mut State, target: &MoRef) -> Result<(), Fault> {
    let mut now: Vec<MoRef> = vm_folder(st, target)
        .map(|(d, _, _)| d)
        .into_iter()
        .collect();
    for d in vm::devices(st, target).disks() {
        for b in chain(d) {
            if let Some((ds, _)) = backing_file(st, &b)
                && !now.contains(&ds)
            {
                now.push(ds);
            }
        }
    }
    let before = st.objects.refs(target, "datastore");
    for d in before.iter().filter(|d| !now.contains(d)) {
        st.objects.remove_ref(d, "vm", target)?;
    }
    for d in now.iter().filter(|d| !before.contains(d)) {
        st.objects.push_ref(d, "vm", target)?;
    }
    let refs: Vec<Value> = now.into_iter().map(Value::moref).collect();
    st.objects.set(target, "datastore", Value::array(refs))
}
