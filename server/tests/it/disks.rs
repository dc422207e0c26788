//! disk_management tools against the simulator: each change is read back
//! from the simulator's own device list.

use serde_json::json;
use vim25::Value;
use vim25::devices::DeviceList;

use crate::{Env, env, says};
use testkit::{int_at, str_at};

const VM: &str = "DC0_H0_VM0";
const GB_KB: i64 = 1024 * 1024;

fn devices(e: &Env, vm: &str) -> DeviceList {
    e.vm_prop(vm, "config.hardware.device")
        .map(|v| DeviceList::from_value(&v))
        .unwrap_or_default()
}

#[tokio::test]
async fn add_disk_puts_a_thin_disk_on_the_scsi_controller() {
    let e = env().await;
    let r = e
        .json("add_disk", json!({"vm_name": VM, "size_gb": 3}))
        .await;
    for key in testkit::contract_result_keys("add_disk") {
        assert!(r.get(&key).is_some(), "missing {key}: {r}");
    }
    let l = devices(&e, VM);
    let disk = l.by_label("Hard disk 2").expect("a second disk");
    assert_eq!(int_at(disk, "capacityInKB"), Some(3 * GB_KB));
    assert_eq!(
        disk.path("backing.thinProvisioned")
            .and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(r["unit_number"].as_i64(), int_at(disk, "unitNumber"));
    assert_eq!(r["datastore"], "LocalDS_0");
    assert_eq!(r["controller"], "SCSI controller 0");
    assert!(str_at(disk, "backing.fileName").is_some_and(|f| f.starts_with("[LocalDS_0] ")));
    assert!(testkit::has_event(&e.sim, "VmReconfiguredEvent"));
    // Thick, on a named datastore.
    e.json(
        "add_disk",
        json!({"vm_name": VM, "size_gb": 1, "thin_provisioned": false, "datastore": "LocalDS_0"}),
    )
    .await;
    let thick = devices(&e, VM);
    let d3 = thick.by_label("Hard disk 3").expect("a third disk");
    assert_eq!(
        d3.path("backing.thinProvisioned").and_then(Value::as_bool),
        Some(false)
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn add_disk_failures() {
    let e = env().await;
    says(
        &e.fails("add_disk", json!({"vm_name": "ghost", "size_gb": 1}))
            .await,
        &["VM 'ghost' not found"],
    );
    says(
        &e.fails("add_disk", json!({"vm_name": VM, "size_gb": 0}))
            .await,
        &["size_gb"],
    );
    says(
        &e.fails(
            "add_disk",
            json!({"vm_name": VM, "size_gb": 1, "datastore": "nope"}),
        )
        .await,
        &["Datastore 'nope' not found"],
    );
    assert_eq!(devices(&e, VM).disks().len(), 1);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn list_disks_matches_the_device_list() {
    let e = env().await;
    let r = e.json("list_disks", json!({"vm_name": VM})).await;
    let items = r.as_array().unwrap();
    let l = devices(&e, VM);
    assert_eq!(items.len(), l.disks().len());
    for (it, d) in items.iter().zip(l.disks()) {
        for key in testkit::contract_result_keys("list_disks") {
            assert!(it.get(&key).is_some(), "missing {key}: {it}");
        }
        assert_eq!(it["label"].as_str(), str_at(d, "deviceInfo.label"));
        assert_eq!(it["unit_number"].as_i64(), int_at(d, "unitNumber"));
        assert_eq!(it["file"].as_str(), str_at(d, "backing.fileName"));
        let kb = int_at(d, "capacityInKB").unwrap();
        assert!((it["size_gb"].as_f64().unwrap() - kb as f64 / GB_KB as f64).abs() < 0.01);
    }
    says(
        &e.fails("list_disks", json!({"vm_name": "ghost"})).await,
        &["VM 'ghost' not found"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn extend_disk_grows_and_never_shrinks() {
    let e = env().await;
    let r = e
        .json(
            "extend_disk",
            json!({"vm_name": VM, "disk_label": "Hard disk 1", "new_size_gb": 20}),
        )
        .await;
    for key in testkit::contract_result_keys("extend_disk") {
        assert!(r.get(&key).is_some(), "missing {key}: {r}");
    }
    let disk = devices(&e, VM).by_label("Hard disk 1").cloned().unwrap();
    assert_eq!(int_at(&disk, "capacityInKB"), Some(20 * GB_KB));
    assert_eq!(r["new_size_gb"], 20);
    says(
        &e.fails(
            "extend_disk",
            json!({"vm_name": VM, "disk_label": "Hard disk 1", "new_size_gb": 5}),
        )
        .await,
        &["Hard disk 1", VM, "cannot shrink", "5 GB"],
    );
    says(
        &e.fails(
            "extend_disk",
            json!({"vm_name": VM, "disk_label": "Hard disk 7", "new_size_gb": 50}),
        )
        .await,
        &["no disk labelled 'Hard disk 7'", "Hard disk 1", VM],
    );
    assert_eq!(
        int_at(
            devices(&e, VM).by_label("Hard disk 1").unwrap(),
            "capacityInKB"
        ),
        Some(20 * GB_KB)
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn remove_disk_detaches_it_by_label() {
    let e = env().await;
    e.json("add_disk", json!({"vm_name": VM, "size_gb": 2}))
        .await;
    let added = devices(&e, VM).by_label("Hard disk 2").cloned().unwrap();
    let r = e
        .json(
            "remove_disk",
            json!({"vm_name": VM, "disk_label": "Hard disk 2", "delete_file": true}),
        )
        .await;
    for key in testkit::contract_result_keys("remove_disk") {
        assert!(r.get(&key).is_some(), "missing {key}: {r}");
    }
    assert_eq!(r["disk_path"].as_str(), str_at(&added, "backing.fileName"));
    assert_eq!(r["file_deleted"], true);
    assert_eq!(r["size_gb"], 2.0);
    let l = devices(&e, VM);
    assert_eq!(l.disks().len(), 1);
    assert!(l.by_label("Hard disk 2").is_none());
    says(
        &e.fails(
            "remove_disk",
            json!({"vm_name": VM, "disk_label": "Hard disk 2"}),
        )
        .await,
        &[
            "no disk labelled 'Hard disk 2'",
            "its disks are: Hard disk 1",
        ],
    );
    e.sim.shutdown().await;
}

/// Takes the VM's CD/DVD drives out behind the tools' back (the simulator's
/// own write API), for the cases that need a VM without one.
fn remove_drives(e: &Env, vm: &str) {
    let mut l = devices(e, vm);
    let keys: Vec<i64> = l
        .cdroms()
        .iter()
        .map(|d| vim25::devices::key_of(d))
        .collect();
    for k in keys {
        l.remove(k).expect("a drive the list holds");
    }
    let m = e.sim.find("VirtualMachine", vm).expect("fixture VM");
    e.sim
        .set_property(&m, "config.hardware.device", l.to_value())
        .expect("a schema path");
    assert!(devices(e, vm).cdroms().is_empty());
}

#[tokio::test]
async fn attach_iso_fills_the_builtin_drive_and_detach_iso_ejects_it() {
    let e = env().await;
    // Every VM has an empty drive on IDE 1; media can change while running.
    let r = e
        .json(
            "attach_iso",
            json!({"vm_name": VM, "iso_path": "iso/a.iso"}),
        )
        .await;
    for key in testkit::contract_result_keys("attach_iso") {
        assert!(r.get(&key).is_some(), "missing {key}: {r}");
    }
    let l = devices(&e, VM);
    assert_eq!(l.cdroms().len(), 1, "no second drive");
    let drive = l.by_label("CD/DVD drive 1").expect("a drive");
    assert_eq!(
        str_at(drive, "backing.fileName"),
        Some("[LocalDS_0] iso/a.iso")
    );
    assert_eq!(r["cdrom"], "CD/DVD drive 1");
    assert_eq!(r["iso_path"], "[LocalDS_0] iso/a.iso");
    // A second ISO goes into the same drive.
    e.json(
        "attach_iso",
        json!({"vm_name": VM, "iso_path": "[LocalDS_0] iso/b.iso"}),
    )
    .await;
    let l = devices(&e, VM);
    assert_eq!(l.cdroms().len(), 1);
    let drive = l.by_label("CD/DVD drive 1").unwrap();
    assert_eq!(
        str_at(drive, "backing.fileName"),
        Some("[LocalDS_0] iso/b.iso")
    );
    assert_eq!(
        drive.path("connectable.connected").and_then(Value::as_bool),
        Some(true)
    );

    let r = e.json("detach_iso", json!({"vm_name": VM})).await;
    for key in testkit::contract_result_keys("detach_iso") {
        assert!(r.get(&key).is_some(), "missing {key}: {r}");
    }
    assert_eq!(r["previous_iso"], "[LocalDS_0] iso/b.iso");
    let drive = devices(&e, VM).by_label("CD/DVD drive 1").cloned().unwrap();
    assert!(str_at(&drive, "backing.fileName").is_none(), "{drive:?}");
    assert_eq!(
        drive.path("connectable.connected").and_then(Value::as_bool),
        Some(false)
    );
    // Nothing left to eject.
    let again = e.json("detach_iso", json!({"vm_name": VM})).await;
    assert!(again["previous_iso"].is_null(), "{again}");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn attach_iso_adds_a_drive_to_a_vm_without_one_only_when_off() {
    let e = env().await;
    remove_drives(&e, VM);
    // A running VM cannot take a new IDE drive.
    says(
        &e.fails(
            "attach_iso",
            json!({"vm_name": VM, "iso_path": "iso/a.iso"}),
        )
        .await,
        &[VM, "powered on", "Power it off"],
    );
    assert!(devices(&e, VM).cdroms().is_empty(), "nothing added");
    e.ok("power_off", json!({"name": VM})).await;
    let r = e
        .json(
            "attach_iso",
            json!({"vm_name": VM, "iso_path": "iso/a.iso"}),
        )
        .await;
    let l = devices(&e, VM);
    let drive = l.by_label("CD/DVD drive 1").expect("a new drive");
    assert_eq!(
        str_at(drive, "backing.fileName"),
        Some("[LocalDS_0] iso/a.iso")
    );
    assert_eq!(r["cdrom"], "CD/DVD drive 1");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn iso_failures_are_clear() {
    let e = env().await;
    e.ok("power_off", json!({"name": VM})).await;
    says(
        &e.fails(
            "attach_iso",
            json!({"vm_name": VM, "iso_path": "[NoSuchDS] iso/a.iso"}),
        )
        .await,
        &[VM, "NoSuchDS", "datastore"],
    );
    says(
        &e.fails(
            "attach_iso",
            json!({"vm_name": VM, "iso_path": "a.iso", "datastore": "NoSuchDS"}),
        )
        .await,
        &["Datastore 'NoSuchDS' not found"],
    );
    let l = devices(&e, VM);
    let drive = l.by_label("CD/DVD drive 1").expect("the built-in drive");
    assert!(str_at(drive, "backing.fileName").is_none(), "still empty");
    remove_drives(&e, VM);
    says(
        &e.fails("detach_iso", json!({"vm_name": VM})).await,
        &[VM, "no CD/DVD drive"],
    );
    says(
        &e.fails("detach_iso", json!({"vm_name": "ghost"})).await,
        &["VM 'ghost' not found"],
    );
    e.sim.shutdown().await;
}

/// The default datastore and the files on it under `prefix`, from the simulator.
fn ds_files(e: &Env, prefix: &str) -> Vec<(String, vcsim::datastore_files::DsFile)> {
    let ds = e.sim.find("Datastore", "LocalDS_0").unwrap();
    e.sim.datastore_files(&ds, prefix)
}

fn free_space(e: &Env) -> i64 {
    let ds = e.sim.find("Datastore", "LocalDS_0").unwrap();
    e.sim
        .property(&ds, "summary.freeSpace")
        .and_then(|v| v.as_i64())
        .unwrap()
}

#[tokio::test]
async fn disk_files_follow_add_disk_and_remove_disk() {
    let e = env().await;
    let free0 = free_space(&e);
    e.json(
        "add_disk",
        json!({"vm_name": VM, "size_gb": 2, "thin_provisioned": false}),
    )
    .await;
    let path = format!("{VM}/{VM}_1.vmdk");
    let f = ds_files(&e, &path);
    assert_eq!(f.len(), 1, "the disk's file is on the datastore");
    assert_eq!(f[0].1.size, 2 << 30);
    assert_eq!(free_space(&e), free0 - (2 << 30));
    // Kept: detached, the file and its space stay.
    let r = e
        .json(
            "remove_disk",
            json!({"vm_name": VM, "disk_label": "Hard disk 2"}),
        )
        .await;
    assert_eq!(r["file_deleted"], false);
    assert_eq!(r["disk_path"], format!("[LocalDS_0] {path}"));
    assert_eq!(ds_files(&e, &path).len(), 1);
    assert_eq!(free_space(&e), free0 - (2 << 30));
    // Deleted: a new disk, removed with its file.
    e.json(
        "add_disk",
        json!({"vm_name": VM, "size_gb": 1, "thin_provisioned": false}),
    )
    .await;
    let r = e
        .json(
            "remove_disk",
            json!({"vm_name": VM, "disk_label": "Hard disk 2", "delete_file": true}),
        )
        .await;
    assert_eq!(r["file_deleted"], true);
    let gone = r["disk_path"].as_str().unwrap().replace("[LocalDS_0] ", "");
    assert!(ds_files(&e, &gone).is_empty(), "{gone} deleted");
    assert_eq!(free_space(&e), free0 - (2 << 30));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn attach_iso_refuses_an_iso_that_is_not_on_the_datastore() {
    let e = env().await;
    e.ok("power_off", json!({"name": VM})).await;
    let msg = e
        .fails(
            "attach_iso",
            json!({"vm_name": VM, "iso_path": "iso/missing.iso"}),
        )
        .await;
    says(&msg, &["[LocalDS_0] iso/missing.iso", "not found"]);
    assert!(
        devices(&e, VM)
            .cdroms()
            .iter()
            .all(|d| { str_at(d, "backing.fileName") != Some("[LocalDS_0] iso/missing.iso") })
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn extend_disk_refuses_a_disk_on_a_snapshot_chain() {
    let e = env().await;
    e.ok(
        "create_snapshot",
        json!({"name": VM, "snapshot_name": "before"}),
    )
    .await;
    let before = devices(&e, VM);
    says(
        &e.fails(
            "extend_disk",
            json!({"vm_name": VM, "disk_label": "Hard disk 1", "new_size_gb": 5}),
        )
        .await,
        &[
            "Hard disk 1",
            VM,
            "snapshot chain",
            "delete the VM's snapshots",
        ],
    );
    assert_eq!(devices(&e, VM), before);
    e.ok("delete_all_snapshots", json!({"name": VM})).await;
    e.json(
        "extend_disk",
        json!({"vm_name": VM, "disk_label": "Hard disk 1", "new_size_gb": 5}),
    )
    .await;
    let disk = devices(&e, VM).by_label("Hard disk 1").cloned().unwrap();
    assert_eq!(int_at(&disk, "capacityInKB"), Some(5 * GB_KB));
    e.sim.shutdown().await;
}
