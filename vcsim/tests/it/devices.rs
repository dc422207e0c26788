//! Device changes in `ReconfigVM_Task` / `CreateVM_Task` follow vim25's device
//! model: keys, units, labels and child lists are what the model says, and a
//! refused change is a vCenter device fault that leaves the devices as they
//! were. Specs are built with `vim25::spec`, as the server builds them; the
//! effects are read back from the simulator.

use vcsim::Simulator;
use vim25::devices::{DeviceList, key_of};
use vim25::spec::{
    Mac, NewDisk, NewNic, NicBacking, Provisioning, config_spec, disk_add, disk_extend,
    generated_mac, nic_add,
};
use vim25::{Data, MoRef, Request, Value};

use crate::{Client, logged_in};
use testkit::{prop_str, task_fault, vm, wait_task};

const SCSI: i64 = 1000;
const PCI: i64 = 100;

fn devices(sim: &Simulator, v: &MoRef) -> DeviceList {
    sim.property(v, "config.hardware.device")
        .map(|d| DeviceList::from_value(&d))
        .unwrap_or_default()
}

fn int(d: &Data, field: &str) -> Option<i64> {
    d.get(field).and_then(Value::as_i64)
}

fn label(d: &Data) -> &str {
    d.path("deviceInfo.label")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn children(l: &DeviceList, controller: i64) -> Vec<i64> {
    l.by_key(controller)
        .and_then(|c| c.get("device"))
        .map(|v| v.as_array().iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// A disk add as the server builds it, on `controller` at `unit`.
fn disk(key: i64, controller: i64, unit: i64, kb: i64) -> Data {
    disk_add(&NewDisk {
        key,
        controller_key: controller,
        unit,
        capacity_kb: kb,
        provisioning: Provisioning::Thin,
        disk_mode: "persistent".into(),
        file_name: None,
        datastore: None,
    })
    .expect("a valid disk spec")
}

/// The same, with the unit left to the server.
fn disk_anywhere(key: i64, controller: i64, kb: i64) -> Data {
    let mut ch = disk(key, controller, 0, kb);
    if let Some(d) = ch.get_mut("device").and_then(Value::data_mut) {
        d.remove("unitNumber");
    }
    ch
}

fn nic(key: i64, net: &MoRef) -> Data {
    nic_add(&NewNic {
        key,
        type_name: "VirtualVmxnet3".into(),
        backing: NicBacking::Standard {
            network_name: "VM Network".into(),
            network: Some(net.clone()),
        },
        mac: Mac::Generated,
        start_connected: true,
        connected: false,
    })
    .expect("a valid NIC spec")
}

async fn reconfigure(sim: &Simulator, c: &Client, v: &MoRef, changes: Vec<Data>) -> Data {
    let t = c
        .ok(Request::new("ReconfigVM_Task", v).arg("spec", config_spec(changes)))
        .await;
    wait_task(sim, &t).await
}

fn succeeded(info: &Data) -> bool {
    info.get("state").and_then(Value::as_str) == Some("success")
}

#[tokio::test]
async fn two_disks_and_a_nic_with_temporary_keys_get_keys_units_and_labels() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let net = sim.find("Network", "VM Network").expect("VM Network");
    let before = devices(&sim, &v);
    let info = reconfigure(
        &sim,
        &c,
        &v,
        vec![
            disk(-1, SCSI, 6, 1024),
            disk_anywhere(-2, SCSI, 2048),
            nic(-3, &net),
        ],
    )
    .await;
    assert!(succeeded(&info), "{info:?}");
    let after = devices(&sim, &v);
    assert_eq!(after.len(), before.len() + 3);
    let added: Vec<&Data> = after
        .iter()
        .filter(|d| before.by_key(key_of(d)).is_none())
        .collect();
    let keys: Vec<i64> = added.iter().map(|d| key_of(d)).collect();
    assert!(keys.iter().all(|k| *k > 0), "assigned keys: {keys:?}");
    let mut unique = keys.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 3, "distinct keys: {keys:?}");
    assert!(after.iter().all(|d| key_of(d) != 0));
    let (d1, d2, n) = (added[0], added[1], added[2]);
    assert_eq!(
        (label(d1), label(d2), label(n)),
        ("Hard disk 2", "Hard disk 3", "Network adapter 2")
    );
    // The spec's unit is kept; the free unit is the lowest one, never 7.
    assert_eq!(int(d1, "unitNumber"), Some(6));
    assert_eq!(int(d2, "unitNumber"), Some(1));
    assert_eq!(int(n, "controllerKey"), Some(PCI));
    assert_eq!(int(n, "unitNumber"), Some(8), "the fixture NIC holds 7");
    assert_eq!(
        children(&after, SCSI),
        [children(&before, SCSI), vec![key_of(d1), key_of(d2)]].concat()
    );
    assert!(children(&after, PCI).contains(&key_of(n)));
    let mac = n.get("macAddress").and_then(Value::as_str);
    let seed = prop_str(&sim, &v, "config.uuid");
    assert_eq!(
        mac,
        Some(generated_mac(&format!("{seed}/{}", key_of(n))).as_str())
    );
    assert_eq!(
        sim.property(&v, "summary.config.numVirtualDisks")
            .and_then(|x| x.as_i64()),
        Some(3)
    );
}

#[tokio::test]
async fn free_units_skip_the_scsi_controllers_own_unit() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let changes = (1..=7).map(|i| disk_anywhere(-i, SCSI, 1024)).collect();
    let info = reconfigure(&sim, &c, &v, changes).await;
    assert!(succeeded(&info), "{info:?}");
    let mut units: Vec<i64> = devices(&sim, &v)
        .disks()
        .iter()
        .filter_map(|d| int(d, "unitNumber"))
        .collect();
    units.sort_unstable();
    assert_eq!(units, [0, 1, 2, 3, 4, 5, 6, 8]);
}

#[tokio::test]
async fn labels_follow_device_order_after_a_remove() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let info = reconfigure(&sim, &c, &v, vec![disk_anywhere(-1, SCSI, 1024)]).await;
    assert!(succeeded(&info), "{info:?}");
    let list = devices(&sim, &v);
    let first = list.by_label("Hard disk 1").cloned().expect("Hard disk 1");
    let second = key_of(list.by_label("Hard disk 2").expect("Hard disk 2"));
    let remove = vim25::spec::disk_remove(&first, false).expect("a disk");
    let info = reconfigure(&sim, &c, &v, vec![remove]).await;
    assert!(succeeded(&info), "{info:?}");
    let list = devices(&sim, &v);
    assert_eq!(list.disks().len(), 1);
    assert_eq!(list.by_label("Hard disk 1").map(key_of), Some(second));
    assert!(!children(&list, SCSI).contains(&key_of(&first)));
}

/// The server's create_vm: a new SCSI controller with a temporary key and a
/// disk naming that key.
#[tokio::test]
async fn create_maps_a_temporary_controller_key_to_the_assigned_one() {
    let (sim, c) = logged_in().await;
    let net = sim.find("Network", "VM Network").expect("VM Network");
    let dc = sim.find("Datacenter", "DC0").expect("DC0");
    let folder = sim
        .property(&dc, "vmFolder")
        .and_then(|f| f.as_moref().cloned())
        .expect("vmFolder");
    let cluster = sim
        .find("ClusterComputeResource", "DC0_C0")
        .expect("DC0_C0");
    let pool = sim
        .property(&cluster, "resourcePool")
        .and_then(|p| p.as_moref().cloned())
        .expect("pool");
    let controller = vim25::spec::device_change(
        vim25::spec::Operation::Add,
        None,
        Data::new("ParaVirtualSCSIController")
            .with("key", -100)
            .with("busNumber", 0)
            .with("sharedBus", "noSharing"),
    );
    let config = config_spec(vec![controller, disk(-101, -100, 0, 1024), nic(-102, &net)])
        .with("name", "temp-keys")
        .with(
            "files",
            Data::new("VirtualMachineFileInfo").with("vmPathName", "[LocalDS_0]"),
        );
    let t = c
        .ok(Request::new("CreateVM_Task", &folder)
            .arg("config", config)
            .arg("pool", pool))
        .await;
    let info = wait_task(&sim, &t).await;
    assert!(succeeded(&info), "{info:?}");
    let created = vm(&sim, "temp-keys");
    let list = devices(&sim, &created);
    let scsi = list
        .by_label("SCSI controller 0")
        .expect("the new controller");
    assert_eq!(scsi.type_name, "ParaVirtualSCSIController");
    assert_eq!(int(scsi, "scsiCtlrUnitNumber"), Some(7));
    assert_eq!(int(scsi, "controllerKey"), Some(PCI));
    let d = list.by_label("Hard disk 1").expect("the disk");
    assert_eq!(int(d, "controllerKey"), Some(key_of(scsi)));
    assert_eq!(children(&list, key_of(scsi)), [key_of(d)]);
    let n = list.by_label("Network adapter 1").expect("the NIC");
    assert_eq!(int(n, "unitNumber"), Some(7));
    assert!(children(&list, PCI).contains(&key_of(scsi)));
}

/// A refused change: the fault vCenter raises, and the devices unchanged.
async fn refused(changes: Vec<Data>, fault: &str, index: i64) {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let before = devices(&sim, &v);
    let info = reconfigure(&sim, &c, &v, changes).await;
    assert_eq!(task_fault(&info), fault, "{info:?}");
    assert_eq!(
        info.path("error.fault.deviceIndex").and_then(Value::as_i64),
        Some(index),
        "{info:?}"
    );
    assert_eq!(devices(&sim, &v), before, "the device list is unchanged");
}

#[tokio::test]
async fn a_controller_that_does_not_exist_is_refused() {
    refused(
        vec![disk_anywhere(-1, SCSI, 1024), disk(-2, 1234, 0, 1024)],
        "InvalidController",
        1,
    )
    .await;
}

#[tokio::test]
async fn a_temporary_controller_key_no_change_introduced_is_refused() {
    refused(vec![disk(-1, -50, 0, 1024)], "InvalidController", 0).await;
}

#[tokio::test]
async fn a_taken_unit_is_refused() {
    refused(
        vec![disk_anywhere(-1, SCSI, 1024), disk(-2, SCSI, 0, 1024)],
        "InvalidDeviceSpec",
        1,
    )
    .await;
}

#[tokio::test]
async fn the_scsi_controllers_own_unit_is_refused() {
    refused(vec![disk(-1, SCSI, 7, 1024)], "InvalidDeviceSpec", 0).await;
}

#[tokio::test]
async fn shrinking_a_disk_is_an_invalid_operation() {
    let (sim, _) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let current = devices(&sim, &v).disks()[0].clone();
    let kb = int(&current, "capacityInKB").expect("a size");
    // The builder refuses a shrink; send the edit a careless client would.
    let mut edit = disk_extend(&current, kb).expect("same size is an edit");
    if let Some(d) = edit.get_mut("device").and_then(Value::data_mut) {
        d.set("capacityInKB", kb / 2);
        d.set("capacityInBytes", kb / 2 * 1024);
    }
    refused(vec![edit], "InvalidDeviceOperation", 0).await;
}

#[tokio::test]
async fn growing_a_disk_updates_its_size_and_summary() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let current = devices(&sim, &v).disks()[0].clone();
    let kb = int(&current, "capacityInKB").expect("a size") * 2;
    let grow = disk_extend(&current, kb).expect("growing is allowed");
    let info = reconfigure(&sim, &c, &v, vec![grow]).await;
    assert!(succeeded(&info), "{info:?}");
    let list = devices(&sim, &v);
    let d = list.by_key(key_of(&current)).expect("the disk");
    assert_eq!(int(d, "capacityInKB"), Some(kb));
    assert_eq!(int(d, "capacityInBytes"), Some(kb * 1024));
    assert_eq!(label(d), "Hard disk 1");
    let summary = d.path("deviceInfo.summary").and_then(Value::as_str);
    assert_eq!(summary, Some(format!("{kb} KB").as_str()));
}

/// Every fixture VM's devices obey the model: unique keys, labels as the
/// model gives them, child lists matching `controllerKey`s, SCSI unit 7 free.
#[tokio::test]
async fn fixture_devices_are_consistent_with_the_model() {
    let (sim, _) = logged_in().await;
    let vms = sim.objects("VirtualMachine");
    assert!(!vms.is_empty());
    for v in vms {
        let list = devices(&sim, &v);
        let mut keys: Vec<i64> = list.iter().map(key_of).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), list.len(), "{v}: unique keys");
        let mut relabelled = list.clone();
        relabelled.relabel();
        assert_eq!(relabelled, list, "{v}: labels as the model gives them");
        for c in list.controllers() {
            let ck = key_of(c);
            let on_it: Vec<i64> = list
                .iter()
                .filter(|d| int(d, "controllerKey") == Some(ck))
                .map(key_of)
                .collect();
            assert_eq!(children(&list, ck), on_it, "{v}: children of {ck}");
        }
        for scsi in list.of_type("VirtualSCSIController") {
            assert_eq!(int(scsi, "scsiCtlrUnitNumber"), Some(7));
            assert!(
                !list
                    .iter()
                    .any(|d| int(d, "controllerKey") == Some(key_of(scsi))
                        && int(d, "unitNumber") == Some(7))
            );
        }
        assert_eq!(
            list.by_label("Hard disk 1").map(|d| d.type_name.as_str()),
            Some("VirtualDisk"),
            "{v}"
        );
    }
}
