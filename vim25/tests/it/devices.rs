//! `vim25::devices`: lookups, keys, units, labels and child lists.

use vim25::devices::{ControllerKind, DeviceError, DeviceList, key_base, label};
use vim25::{Data, Value};

use crate::fixture::{disk, new_vm, on, scsi};

fn list() -> DeviceList {
    let mut l = DeviceList::new(new_vm());
    l.relabel();
    l
}

fn label_of(l: &DeviceList, key: i64) -> String {
    l.by_key(key)
        .and_then(|d| d.path("deviceInfo.label"))
        .and_then(Value::as_str)
        .unwrap()
        .to_string()
}

fn children(l: &DeviceList, key: i64) -> Vec<i64> {
    l.by_key(key)
        .and_then(|c| c.get("device"))
        .map(|v| v.as_array().iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

fn nic(key: i64) -> Data {
    on(
        Data::new("VirtualVmxnet3").with("key", key),
        100,
        7 + (key - 4000),
    )
}

#[test]
fn value_round_trip_skips_entries_that_are_not_devices() {
    let v = Value::array(vec![Value::data(disk(2000, 1000, 0)), Value::Int(3)]);
    let l = DeviceList::from_value(&v);
    assert_eq!(l.len(), 1);
    assert_eq!(
        l.to_value(),
        Value::array(vec![Value::data(disk(2000, 1000, 0))])
    );
    assert!(DeviceList::default().is_empty());
}

#[test]
fn finds_by_key_label_and_type_with_subtypes() {
    let mut l = list();
    l.add(disk(2000, 1000, 0)).unwrap();
    l.add(nic(4000)).unwrap();
    assert_eq!(l.by_key(2000).unwrap().type_name, "VirtualDisk");
    assert!(l.by_key(2).is_none());
    assert_eq!(
        l.by_label("Hard disk 1").unwrap().get("key"),
        Some(&Value::Int(2000))
    );
    assert_eq!(
        l.by_label("Network adapter 1").unwrap().type_name,
        "VirtualVmxnet3"
    );
    assert!(l.by_label("Hard disk 2").is_none());
    // VirtualVmxnet3 is a VirtualEthernetCard; VirtualAHCIController a SATA controller.
    assert_eq!(l.of_type("VirtualEthernetCard").len(), 1);
    assert_eq!(l.nics().len(), 1);
    assert_eq!(l.disks().len(), 1);
    assert_eq!(l.of_type("VirtualSATAController").len(), 1);
    assert_eq!(l.controllers_of(ControllerKind::Sata).len(), 1);
    assert_eq!(l.controllers().len(), 8);
    assert!(l.cdroms().is_empty() && l.serial_ports().is_empty());
}

#[test]
fn temp_keys_are_negative_and_never_repeat() {
    let mut l = list();
    assert_eq!(l.temp_key(), -1);
    let k = l.temp_key();
    l.add(Data::new("VirtualCdrom").with("key", k)).unwrap();
    let k2 = l.temp_key();
    assert!(k2 < 0 && k2 != k, "{k} then {k2}");
    l.add(Data::new("VirtualCdrom").with("key", k2)).unwrap();
    assert!(l.temp_key() < k2);
}

#[test]
fn assigned_keys_follow_the_simulators_ranges_and_skip_used_ones() {
    let mut l = list();
    assert_eq!(l.assigned_key("VirtualDisk"), 2000);
    assert_eq!(l.assigned_key("VirtualVmxnet3"), 4000);
    assert_eq!(l.assigned_key("VirtualCdrom"), 3000);
    assert_eq!(l.assigned_key("VirtualSerialPort"), 9000);
    // 1000 holds SCSI controller 0; 200 and 201 the IDE controllers.
    assert_eq!(l.assigned_key("ParaVirtualSCSIController"), 1001);
    assert_eq!(l.assigned_key("VirtualIDEController"), 202);
    l.add(disk(2000, 1000, 0)).unwrap();
    assert_eq!(l.assigned_key("VirtualDisk"), 2001);
    assert_eq!(key_base("VirtualE1000e"), 4000);
    assert_eq!(key_base("VirtualUSBController"), 200);
}

#[test]
fn scsi_skips_its_own_unit_7_and_fills_after_15() {
    let mut l = list();
    for unit in 0..7 {
        l.add(disk(2000 + unit, 1000, unit)).unwrap();
    }
    assert_eq!(l.free_unit(1000), Some(8));
    assert_eq!(
        l.add(disk(2100, 1000, 7)),
        Err(DeviceError::UnitUnavailable {
            controller: 1000,
            unit: 7
        })
    );
    for unit in 8..=15 {
        l.add(disk(2000 + unit, 1000, unit)).unwrap();
    }
    assert_eq!(l.disks().len(), 15);
    assert_eq!(l.free_unit(1000), None);
    assert_eq!(
        l.add(disk(2100, 1000, 16)),
        Err(DeviceError::UnitUnavailable {
            controller: 1000,
            unit: 16
        })
    );
    // A full SCSI controller sends the next disk to SATA.
    assert_eq!(l.disk_slot(), Some((15000, 0)));
}

#[test]
fn scsi_reserves_whatever_unit_the_controller_sits_on() {
    let mut devs = new_vm();
    devs.push(scsi(1001, 1).with("scsiCtlrUnitNumber", 0));
    let l = DeviceList::new(devs);
    assert_eq!(l.free_unit(1001), Some(1));
}

#[test]
fn ide_has_two_units_per_channel() {
    let mut l = list();
    assert_eq!(l.cdrom_slot(), Some((200, 0)));
    l.add(on(Data::new("VirtualCdrom").with("key", 3000), 200, 0))
        .unwrap();
    assert_eq!(l.free_unit(200), Some(1));
    l.add(on(Data::new("VirtualCdrom").with("key", 3001), 200, 1))
        .unwrap();
    assert_eq!(l.free_unit(200), None);
    assert_eq!(l.cdrom_slot(), Some((201, 0)));
    assert!(
        l.add(on(Data::new("VirtualCdrom").with("key", 3002), 200, 2))
            .is_err()
    );
    l.add(on(Data::new("VirtualCdrom").with("key", 3002), 201, 0))
        .unwrap();
    l.add(on(Data::new("VirtualCdrom").with("key", 3003), 201, 1))
        .unwrap();
    // Both channels full: CD-ROMs go to SATA.
    assert_eq!(l.cdrom_slot(), Some((15000, 0)));
}

#[test]
fn sata_has_30_units_and_nvme_15() {
    let mut l = list();
    for unit in 0..30 {
        assert_eq!(l.free_unit(15000), Some(unit));
        l.add(disk(2000 + unit, 15000, unit)).unwrap();
    }
    assert_eq!(l.free_unit(15000), None);
    for unit in 0..15 {
        assert_eq!(l.free_unit(31000), Some(unit));
        l.add(disk(3000 + unit, 31000, unit)).unwrap();
    }
    assert_eq!(l.free_unit(31000), None);
}

#[test]
fn nics_start_at_unit_7_on_pci_and_sio_numbers_each_class_apart() {
    let mut l = list();
    assert_eq!(l.free_unit_for(100, "VirtualVmxnet3"), Some(7));
    assert_eq!(l.nic_slot(), Some((100, 7)));
    l.add(nic(4000)).unwrap();
    assert_eq!(l.free_unit_for(100, "VirtualE1000"), Some(8));
    assert_eq!(l.nic_slot(), Some((100, 8)));
    l.add(on(Data::new("VirtualFloppy").with("key", 8000), 400, 0))
        .unwrap();
    assert_eq!(l.free_unit_for(400, "VirtualSerialPort"), Some(0));
    assert_eq!(l.serial_slot(), Some((400, 0)));
    assert_eq!(l.free_unit_for(400, "VirtualFloppy"), Some(1));
    for unit in 0..4 {
        l.add(on(
            Data::new("VirtualSerialPort").with("key", 9000 + unit),
            400,
            unit,
        ))
        .unwrap();
    }
    assert_eq!(l.free_unit_for(400, "VirtualSerialPort"), None);
    assert_eq!(l.serial_slot(), None);
    // Not a controller, or no such device.
    assert_eq!(l.free_unit(600), None);
    assert_eq!(l.free_unit(5), None);
}

#[test]
fn labels_match_vcenters_for_the_built_in_devices() {
    let l = list();
    for (key, want) in [
        (100, "PCI controller 0"),
        (200, "IDE 0"),
        (201, "IDE 1"),
        (300, "PS2 controller 0"),
        (400, "SIO controller 0"),
        (500, "Video card "),
        (600, "Keyboard"),
        (700, "Pointing device"),
        (12000, "VMCI device"),
        (1000, "SCSI controller 0"),
        (15000, "SATA controller 0"),
        (31000, "NVME controller 0"),
    ] {
        assert_eq!(label_of(&l, key), want, "key {key}");
    }
    assert_eq!(label("VirtualFloppy", 1).as_deref(), Some("Floppy drive 1"));
    assert_eq!(
        label("VirtualSerialPort", 2).as_deref(),
        Some("Serial port 2")
    );
    assert_eq!(
        label("VirtualUSBXHCIController", 0).as_deref(),
        Some("USB xHCI controller ")
    );
    assert_eq!(label("VirtualMachine", 1), None);
}

#[test]
fn labels_number_in_device_order_not_by_key_and_renumber_after_a_removal() {
    let mut l = list();
    // Keys out of order: the label follows the list, not the key.
    l.add(disk(2005, 1000, 0)).unwrap();
    l.add(disk(2001, 1000, 1)).unwrap();
    l.add(disk(2003, 1000, 2)).unwrap();
    assert_eq!(label_of(&l, 2005), "Hard disk 1");
    assert_eq!(label_of(&l, 2001), "Hard disk 2");
    assert_eq!(label_of(&l, 2003), "Hard disk 3");
    assert_eq!(
        l.label_for_new("VirtualDisk").as_deref(),
        Some("Hard disk 4")
    );
    l.remove(2001).unwrap();
    assert_eq!(label_of(&l, 2005), "Hard disk 1");
    assert_eq!(label_of(&l, 2003), "Hard disk 2");
    assert_eq!(
        l.label_for_new("VirtualDisk").as_deref(),
        Some("Hard disk 3")
    );
    // Controllers take the next free bus; SCSI 0 exists.
    assert_eq!(
        l.label_for_new("ParaVirtualSCSIController").as_deref(),
        Some("SCSI controller 1")
    );
    assert_eq!(
        l.label_for_new("VirtualE1000").as_deref(),
        Some("Network adapter 1")
    );
}

#[test]
fn relabel_keeps_a_summary_and_fills_a_missing_one() {
    let mut l = DeviceList::new(vec![
        disk(2000, 1000, 0).with(
            "deviceInfo",
            Data::new("Description")
                .with("label", "old")
                .with("summary", "1,024 KB"),
        ),
        nic(4000),
    ]);
    l.relabel();
    let d = l.by_key(2000).unwrap();
    assert_eq!(
        d.path("deviceInfo.label"),
        Some(&Value::from("Hard disk 1"))
    );
    assert_eq!(d.path("deviceInfo.summary"), Some(&Value::from("1,024 KB")));
    let n = l.by_key(4000).unwrap();
    assert_eq!(
        n.path("deviceInfo.summary"),
        Some(&Value::from("Network adapter 1"))
    );
}

#[test]
fn add_refuses_bad_keys_controllers_and_non_devices() {
    let mut l = list();
    assert_eq!(
        l.add(disk(1000, 1000, 0)),
        Err(DeviceError::DuplicateKey(1000))
    );
    assert_eq!(
        l.add(disk(2000, 77, 0)),
        Err(DeviceError::NoSuchController(77))
    );
    assert_eq!(
        l.add(disk(2000, 600, 0)),
        Err(DeviceError::NotAController(600))
    );
    assert_eq!(
        l.add(Data::new("VirtualMachineConfigSpec")),
        Err(DeviceError::NotADevice("VirtualMachineConfigSpec".into()))
    );
    l.add(disk(2000, 1000, 0)).unwrap();
    assert_eq!(
        l.add(disk(2001, 1000, 0)),
        Err(DeviceError::UnitUnavailable {
            controller: 1000,
            unit: 0
        })
    );
    // Nothing refused was added.
    assert_eq!(l.len(), new_vm().len() + 1);
    assert_eq!(children(&l, 1000), vec![2000]);
}

#[test]
fn add_remove_and_replace_keep_controller_child_lists() {
    let mut l = list();
    l.add(disk(2000, 1000, 0)).unwrap();
    l.add(disk(2001, 1000, 1)).unwrap();
    assert_eq!(children(&l, 1000), vec![2000, 2001]);
    assert_eq!(l.remove(1000), Err(DeviceError::ControllerInUse(1000)));
    // Move disk 2001 to SATA.
    let old = l.replace(disk(2001, 15000, 0)).unwrap();
    assert_eq!(old.get("controllerKey"), Some(&Value::Int(1000)));
    assert_eq!(children(&l, 1000), vec![2000]);
    assert_eq!(children(&l, 15000), vec![2001]);
    // Replacing a controller keeps its children even if the new object has none.
    l.replace(on(scsi(1000, 0), 100, 3).with("hotAddRemove", true))
        .unwrap();
    assert_eq!(children(&l, 1000), vec![2000]);
    assert_eq!(
        l.by_key(1000).unwrap().get("hotAddRemove"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        l.replace(disk(2999, 1000, 3)),
        Err(DeviceError::NoSuchDevice(2999))
    );
    assert_eq!(l.remove(2999), Err(DeviceError::NoSuchDevice(2999)));
    let gone = l.remove(2000).unwrap();
    assert_eq!(gone.get("key"), Some(&Value::Int(2000)));
    assert!(children(&l, 1000).is_empty());
    l.remove(1000).unwrap();
    assert!(l.by_key(1000).is_none());
}

#[test]
fn replace_in_place_may_keep_its_own_unit() {
    let mut l = list();
    l.add(disk(2000, 1000, 0)).unwrap();
    l.replace(disk(2000, 1000, 0).with("capacityInKB", 2048_i64))
        .unwrap();
    assert_eq!(
        l.by_key(2000).unwrap().get("capacityInKB"),
        Some(&Value::Int(2048))
    );
    assert_eq!(children(&l, 1000), vec![2000]);
}
