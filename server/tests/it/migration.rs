//! vcenter_ops, migration: storage_vmotion and move_vm_disk against the
//! simulator — the VM's files read from the simulator's datastore file
//! table (on the target, gone from the source), its disks' backings and
//! thin flags, and the refusals' messages.

use serde_json::json;
use testkit::{has_event, has_result_keys as has_keys, prop_int};
use vim25::{Data, MoRef, Value};

use crate::folders_templates::{fails, ok};
use crate::{Env, env, says};

const VM: &str = "DC0_H0_VM0";

fn ds(e: &Env, name: &str) -> MoRef {
    e.sim.find("Datastore", name).unwrap()
}

fn files(e: &Env, d: &MoRef, prefix: &str) -> Vec<String> {
    e.sim
        .datastore_files(d, prefix)
        .into_iter()
        .map(|(p, _)| p)
        .collect()
}

fn disks(e: &Env, vm: &str) -> Vec<Data> {
    e.vm_prop(vm, "config.hardware.device")
        .map(|l| l.as_array().to_vec())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| d.as_data().cloned())
        .filter(|d| d.type_name.as_str() == "VirtualDisk")
        .collect()
}

fn file_of(d: &Data) -> String {
    d.path("backing.fileName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn storage_vmotion_moves_every_file_to_the_target() {
    let e = env().await;
    let (local, nfs) = (ds(&e, "LocalDS_0"), ds(&e, "NFS_DS_0"));
    assert!(!files(&e, &local, &format!("{VM}/")).is_empty());
    let free_before = prop_int(&e.sim, &nfs, "summary.freeSpace").unwrap();
    let r = ok(
        &e,
        "storage_vmotion",
        json!({"vm_name": VM, "target_datastore": "NFS_DS_0", "thin_provision": true}),
    )
    .await;
    has_keys("storage_vmotion", &r);
    assert_eq!(r["source_datastore"], "LocalDS_0");
    assert_eq!(r["target_datastore"], "NFS_DS_0");
    assert_eq!(r["thin_provision"], true);
    assert!(files(&e, &local, &format!("{VM}/")).is_empty());
    let moved = files(&e, &nfs, &format!("{VM}/"));
    assert!(moved.iter().any(|p| p.ends_with(".vmx")), "{moved:?}");
    assert!(moved.iter().any(|p| p.ends_with(".vmdk")), "{moved:?}");
    for d in disks(&e, VM) {
        assert!(file_of(&d).starts_with("[NFS_DS_0]"), "{}", file_of(&d));
        assert_eq!(
            d.path("backing.thinProvisioned").and_then(Value::as_bool),
            Some(true)
        );
    }
    let path = e.vm_prop(VM, "config.files.vmPathName").unwrap();
    assert!(path.as_str().unwrap().starts_with("[NFS_DS_0]"));
    assert!(prop_int(&e.sim, &nfs, "summary.freeSpace").unwrap() <= free_before);
    assert!(has_event(&e.sim, "VmMigratedEvent") || has_event(&e.sim, "VmRelocatedEvent"));
    // Again: already there, nothing to do.
    let r = ok(
        &e,
        "storage_vmotion",
        json!({"vm_name": VM, "target_datastore": "NFS_DS_0"}),
    )
    .await;
    assert_eq!(r["action"], "already on datastore");
}

#[tokio::test]
async fn storage_vmotion_refusals_are_clear() {
    let e = env().await;
    let msg = fails(
        &e,
        "storage_vmotion",
        json!({"vm_name": VM, "target_datastore": "nods"}),
    )
    .await;
    says(
        &msg,
        &["Datastore 'nods' not found", "LocalDS_0", "NFS_DS_0"],
    );
    let msg = fails(
        &e,
        "storage_vmotion",
        json!({"vm_name": "nope", "target_datastore": "NFS_DS_0"}),
    )
    .await;
    says(&msg, &["VM 'nope' not found"]);
    assert!(files(&e, &ds(&e, "NFS_DS_0"), &format!("{VM}/")).is_empty());
}

#[tokio::test]
async fn move_vm_disk_moves_one_disk_only() {
    let e = env().await;
    let (local, nfs) = (ds(&e, "LocalDS_0"), ds(&e, "NFS_DS_0"));
    let before = file_of(&disks(&e, VM)[0]);
    let r = ok(
        &e,
        "move_vm_disk",
        json!({"vm_name": VM, "disk_label": "Hard disk 1", "target_datastore": "NFS_DS_0"}),
    )
    .await;
    has_keys("move_vm_disk", &r);
    assert_eq!(r["disk"], "Hard disk 1");
    assert_eq!(r["source_datastore"], "LocalDS_0");
    let after = file_of(&disks(&e, VM)[0]);
    assert!(after.starts_with("[NFS_DS_0]"), "{after}");
    let rel = |f: &str| f.split("] ").nth(1).unwrap_or_default().to_string();
    assert!(e.sim.datastore_file(&nfs, &rel(&after)).is_some());
    assert!(e.sim.datastore_file(&local, &rel(&before)).is_none());
    // The VM's home stays where it was.
    let home = e.vm_prop(VM, "config.files.vmPathName").unwrap();
    assert!(home.as_str().unwrap().starts_with("[LocalDS_0]"));
}

#[tokio::test]
async fn move_vm_disk_refusals_are_clear() {
    let e = env().await;
    let msg = fails(
        &e,
        "move_vm_disk",
        json!({"vm_name": VM, "disk_label": "Hard disk 9", "target_datastore": "NFS_DS_0"}),
    )
    .await;
    says(&msg, &["no disk labelled 'Hard disk 9'", "Hard disk 1"]);
    let msg = fails(
        &e,
        "move_vm_disk",
        json!({"vm_name": VM, "disk_label": "Hard disk 1", "target_datastore": "nods"}),
    )
    .await;
    says(&msg, &["Datastore 'nods' not found", "NFS_DS_0"]);
    assert!(file_of(&disks(&e, VM)[0]).starts_with("[LocalDS_0]"));
}

#[tokio::test]
async fn storage_vmotion_can_make_thin_disks_thick() {
    let e = env().await;
    let vm = "DC0_H0_VM1";
    ok(
        &e,
        "storage_vmotion",
        json!({"vm_name": vm, "target_datastore": "NFS_DS_0", "thin_provision": true}),
    )
    .await;
    let r = ok(
        &e,
        "storage_vmotion",
        json!({"vm_name": vm, "target_datastore": "LocalDS_0", "thin_provision": false}),
    )
    .await;
    assert_eq!(r["action"], "migrated");
    assert_eq!(r["thin_provision"], false);
    let local = ds(&e, "LocalDS_0");
    for d in disks(&e, vm) {
        assert!(file_of(&d).starts_with("[LocalDS_0]"), "{}", file_of(&d));
        assert_eq!(
            d.path("backing.thinProvisioned").and_then(Value::as_bool),
            Some(false)
        );
        let rel = file_of(&d).split("] ").nth(1).unwrap().to_string();
        let f = e.sim.datastore_file(&local, &rel).unwrap();
        assert!(!f.thin, "{rel} is thick on the datastore");
    }
    assert!(files(&e, &ds(&e, "NFS_DS_0"), &format!("{vm}/")).is_empty());
}
