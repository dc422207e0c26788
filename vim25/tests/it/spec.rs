//! `vim25::spec`: what each builder puts in a `VirtualDeviceConfigSpec`, what
//! it refuses, and that every output survives the codec in a `ReconfigVM_Task`.

use vim25::spec::{
    self, Direction, Mac, NewDisk, NewNic, NicBacking, NicEdit, Provisioning, SerialUri, SpecError,
};
use vim25::{Data, MoRef, Value, schema};

use crate::fixture::{disk, on};

pub(crate) fn new_disk(provisioning: Provisioning) -> NewDisk {
    NewDisk {
        key: -1,
        controller_key: 1000,
        unit: 1,
        capacity_kb: 1 << 20,
        provisioning,
        disk_mode: "persistent".into(),
        file_name: Some("[datastore1]".into()),
        datastore: Some(MoRef::new("Datastore", "datastore-1")),
    }
}

pub(crate) fn std_backing() -> NicBacking {
    NicBacking::Standard {
        network_name: "VM Network".into(),
        network: Some(MoRef::new("Network", "network-7")),
    }
}

pub(crate) fn dv_backing() -> NicBacking {
    NicBacking::Distributed {
        switch_uuid: "50 1e 2a 3b".into(),
        portgroup_key: "dvportgroup-11".into(),
    }
}

pub(crate) fn new_nic(mac: Mac, backing: NicBacking) -> NewNic {
    NewNic {
        key: -2,
        type_name: "VirtualVmxnet3".into(),
        backing,
        mac,
        start_connected: true,
        connected: false,
    }
}

pub(crate) fn device(spec: &Data) -> &Data {
    spec.get("device").and_then(Value::as_data).unwrap()
}

fn at<'a>(spec: &'a Data, path: &str) -> Option<&'a Value> {
    spec.path(path)
}

pub(crate) fn vm_nic() -> Data {
    on(
        Data::new("VirtualE1000")
            .with("key", 4000)
            .with("backing", std_backing().to_data())
            .with(
                "connectable",
                Data::new("VirtualDeviceConnectInfo")
                    .with("startConnected", true)
                    .with("allowGuestControl", false)
                    .with("connected", false),
            )
            .with("addressType", "generated")
            .with("macAddress", "00:50:56:aa:bb:cc"),
        100,
        7,
    )
}

pub(crate) fn vm_cdrom() -> Data {
    on(Data::new("VirtualCdrom").with("key", 3000), 200, 0)
}

#[test]
fn disk_add_sets_provisioning_file_and_both_capacities() {
    let s = spec::disk_add(&new_disk(Provisioning::Thin)).unwrap();
    assert_eq!(at(&s, "operation"), Some(&Value::from("add")));
    assert_eq!(at(&s, "fileOperation"), Some(&Value::from("create")));
    assert_eq!(at(&s, "device.capacityInKB"), Some(&Value::Int(1 << 20)));
    assert_eq!(at(&s, "device.capacityInBytes"), Some(&Value::Int(1 << 30)));
    assert_eq!(at(&s, "device.controllerKey"), Some(&Value::Int(1000)));
    assert_eq!(at(&s, "device.unitNumber"), Some(&Value::Int(1)));
    assert_eq!(at(&s, "device.key"), Some(&Value::Int(-1)));
    assert_eq!(
        at(&s, "device.backing.fileName"),
        Some(&Value::from("[datastore1]"))
    );
    assert_eq!(
        at(&s, "device.backing.thinProvisioned"),
        Some(&Value::Bool(true))
    );
    let thick = spec::disk_add(&new_disk(Provisioning::Thick)).unwrap();
    assert_eq!(
        at(&thick, "device.backing.thinProvisioned"),
        Some(&Value::Bool(false))
    );
    assert_eq!(
        at(&thick, "device.backing.eagerlyScrub"),
        Some(&Value::Bool(false))
    );
    let eager = spec::disk_add(&new_disk(Provisioning::EagerZeroedThick)).unwrap();
    assert_eq!(
        at(&eager, "device.backing.eagerlyScrub"),
        Some(&Value::Bool(true))
    );
    let unnamed = spec::disk_add(&NewDisk {
        file_name: None,
        datastore: None,
        ..new_disk(Provisioning::Thin)
    })
    .unwrap();
    assert_eq!(
        at(&unnamed, "device.backing.fileName"),
        Some(&Value::from(""))
    );
    assert_eq!(at(&unnamed, "device.backing.datastore"), None);
}

#[test]
fn disk_add_refuses_bad_capacity_paths_and_modes() {
    let zero = NewDisk {
        capacity_kb: 0,
        ..new_disk(Provisioning::Thin)
    };
    assert_eq!(spec::disk_add(&zero), Err(SpecError::InvalidCapacity(0)));
    let huge = NewDisk {
        capacity_kb: i64::MAX,
        ..new_disk(Provisioning::Thin)
    };
    assert_eq!(
        spec::disk_add(&huge),
        Err(SpecError::InvalidCapacity(i64::MAX))
    );
    for bad in ["datastore1/vm.vmdk", "[] vm.vmdk", "[ds"] {
        let d = NewDisk {
            file_name: Some(bad.into()),
            ..new_disk(Provisioning::Thin)
        };
        assert_eq!(
            spec::disk_add(&d),
            Err(SpecError::InvalidDatastorePath(bad.into()))
        );
    }
    let full = NewDisk {
        file_name: Some("[ds] vm/vm_1.vmdk".into()),
        ..new_disk(Provisioning::Thin)
    };
    assert!(spec::disk_add(&full).is_ok());
    let mode = NewDisk {
        disk_mode: "sometimes".into(),
        ..new_disk(Provisioning::Thin)
    };
    assert!(matches!(
        spec::disk_add(&mode),
        Err(SpecError::WrongType { .. })
    ));
}

#[test]
fn disk_extend_grows_both_capacities_and_refuses_to_shrink() {
    let current = disk(2000, 1000, 0).with("capacityInKB", 2048_i64);
    let s = spec::disk_extend(&current, 4096).unwrap();
    assert_eq!(at(&s, "operation"), Some(&Value::from("edit")));
    assert_eq!(at(&s, "fileOperation"), None);
    assert_eq!(at(&s, "device.capacityInKB"), Some(&Value::Int(4096)));
    assert_eq!(
        at(&s, "device.capacityInBytes"),
        Some(&Value::Int(4096 * 1024))
    );
    // The rest of the device is sent as the VM has it.
    assert_eq!(at(&s, "device.unitNumber"), Some(&Value::Int(0)));
    assert_eq!(
        spec::disk_extend(&current, 1024),
        Err(SpecError::DiskShrink {
            current_kb: 2048,
            requested_kb: 1024
        })
    );
    assert!(spec::disk_extend(&current, 2048).is_ok());
    assert!(matches!(
        spec::disk_extend(&vm_nic(), 4096),
        Err(SpecError::WrongType { .. })
    ));
}

#[test]
fn disk_remove_destroys_the_file_only_when_asked() {
    let d = disk(2000, 1000, 0);
    let keep = spec::disk_remove(&d, false).unwrap();
    assert_eq!(at(&keep, "operation"), Some(&Value::from("remove")));
    assert_eq!(at(&keep, "fileOperation"), None);
    let destroy = spec::disk_remove(&d, true).unwrap();
    assert_eq!(at(&destroy, "fileOperation"), Some(&Value::from("destroy")));
    assert_eq!(device(&destroy), &d);
    assert!(spec::disk_remove(&vm_nic(), true).is_err());
}

#[test]
fn nic_add_with_standard_and_distributed_backings() {
    let s = spec::nic_add(&new_nic(Mac::Generated, std_backing())).unwrap();
    let d = device(&s);
    assert_eq!(d.type_name, "VirtualVmxnet3");
    assert_eq!(
        at(&s, "device.addressType"),
        Some(&Value::from("generated"))
    );
    assert_eq!(at(&s, "device.macAddress"), None);
    assert_eq!(
        at(&s, "device.backing.deviceName"),
        Some(&Value::from("VM Network"))
    );
    assert_eq!(
        at(&s, "device.backing.network").and_then(Value::as_moref),
        Some(&MoRef::new("Network", "network-7"))
    );
    assert_eq!(
        at(&s, "device.connectable.startConnected"),
        Some(&Value::Bool(true))
    );
    let dv = spec::nic_add(&new_nic(
        Mac::Manual("00:50:56:3F:00:01".into()),
        dv_backing(),
    ))
    .unwrap();
    assert_eq!(
        device(&dv)
            .get("backing")
            .and_then(Value::as_data)
            .unwrap()
            .type_name,
        "VirtualEthernetCardDistributedVirtualPortBackingInfo"
    );
    assert_eq!(
        at(&dv, "device.backing.port.switchUuid"),
        Some(&Value::from("50 1e 2a 3b"))
    );
    assert_eq!(
        at(&dv, "device.backing.port.portgroupKey"),
        Some(&Value::from("dvportgroup-11"))
    );
    assert_eq!(at(&dv, "device.addressType"), Some(&Value::from("manual")));
    assert_eq!(
        at(&dv, "device.macAddress"),
        Some(&Value::from("00:50:56:3f:00:01"))
    );
}

#[test]
fn nic_add_refuses_non_nic_types_and_macs_outside_the_manual_range() {
    let not_nic = NewNic {
        type_name: "VirtualDisk".into(),
        ..new_nic(Mac::Generated, std_backing())
    };
    assert!(matches!(
        spec::nic_add(&not_nic),
        Err(SpecError::WrongType { .. })
    ));
    let generated_range = new_nic(Mac::Manual("00:50:56:40:00:00".into()), std_backing());
    assert!(matches!(
        spec::nic_add(&generated_range),
        Err(SpecError::InvalidMac { .. })
    ));
    assert_eq!(spec::nic_type("VMXNET3"), Some("VirtualVmxnet3"));
    assert_eq!(spec::nic_type("e1000e"), Some("VirtualE1000e"));
    assert_eq!(spec::nic_type("rtl8139"), None);
    for model in [
        "vmxnet3", "vmxnet2", "vmxnet", "e1000", "e1000e", "pcnet32", "sriov",
    ] {
        let t = spec::nic_type(model).unwrap();
        assert!(schema().is_subtype(t, "VirtualEthernetCard"), "{t}");
    }
}

#[test]
fn nic_edit_changes_only_what_it_is_given() {
    let edit = NicEdit {
        backing: Some(dv_backing()),
        connected: Some(true),
        ..NicEdit::default()
    };
    let s = spec::nic_edit(&vm_nic(), &edit).unwrap();
    assert_eq!(at(&s, "operation"), Some(&Value::from("edit")));
    assert_eq!(at(&s, "device.key"), Some(&Value::Int(4000)));
    assert_eq!(
        at(&s, "device.backing.port.portgroupKey"),
        Some(&Value::from("dvportgroup-11"))
    );
    assert_eq!(
        at(&s, "device.connectable.connected"),
        Some(&Value::Bool(true))
    );
    // Kept from the device: start-connected and guest control.
    assert_eq!(
        at(&s, "device.connectable.startConnected"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        at(&s, "device.connectable.allowGuestControl"),
        Some(&Value::Bool(false))
    );
    assert_eq!(
        at(&s, "device.macAddress"),
        Some(&Value::from("00:50:56:aa:bb:cc"))
    );
    let mac = NicEdit {
        mac: Some(Mac::Manual("00:50:56:01:02:03".into())),
        ..NicEdit::default()
    };
    let s = spec::nic_edit(&vm_nic(), &mac).unwrap();
    assert_eq!(at(&s, "device.addressType"), Some(&Value::from("manual")));
    assert_eq!(
        at(&s, "device.macAddress"),
        Some(&Value::from("00:50:56:01:02:03"))
    );
    assert_eq!(
        at(&s, "device.backing.deviceName"),
        Some(&Value::from("VM Network"))
    );
    let back = NicEdit {
        mac: Some(Mac::Generated),
        ..NicEdit::default()
    };
    let s = spec::nic_edit(&vm_nic(), &back).unwrap();
    assert_eq!(at(&s, "device.macAddress"), None);
    let remove = spec::nic_remove(&vm_nic()).unwrap();
    assert_eq!(at(&remove, "operation"), Some(&Value::from("remove")));
    assert!(spec::nic_remove(&vm_cdrom()).is_err());
}

#[test]
fn cdrom_iso_empty_connect_and_add() {
    let s = spec::cdrom_set_iso(&vm_cdrom(), "[datastore1] iso/ubuntu.iso").unwrap();
    assert_eq!(at(&s, "operation"), Some(&Value::from("edit")));
    assert_eq!(
        device(&s)
            .get("backing")
            .and_then(Value::as_data)
            .unwrap()
            .type_name,
        "VirtualCdromIsoBackingInfo"
    );
    assert_eq!(
        at(&s, "device.backing.fileName"),
        Some(&Value::from("[datastore1] iso/ubuntu.iso"))
    );
    assert_eq!(
        at(&s, "device.connectable.connected"),
        Some(&Value::Bool(true))
    );
    assert!(matches!(
        spec::cdrom_set_iso(&vm_cdrom(), "ubuntu.iso"),
        Err(SpecError::InvalidDatastorePath(_))
    ));
    let empty = spec::cdrom_empty(&vm_cdrom()).unwrap();
    let b = device(&empty)
        .get("backing")
        .and_then(Value::as_data)
        .unwrap();
    assert_eq!(b.type_name, "VirtualCdromRemotePassthroughBackingInfo");
    assert_eq!(b.get("exclusive"), Some(&Value::Bool(false)));
    assert_eq!(
        at(&empty, "device.connectable.connected"),
        Some(&Value::Bool(false))
    );
    let on_ = spec::cdrom_connect(&vm_cdrom(), true).unwrap();
    assert_eq!(
        at(&on_, "device.connectable.startConnected"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        at(&on_, "device.connectable.connected"),
        Some(&Value::Bool(true))
    );
    let add = spec::cdrom_add(-3, 15000, 0, None).unwrap();
    assert_eq!(at(&add, "operation"), Some(&Value::from("add")));
    assert_eq!(at(&add, "device.controllerKey"), Some(&Value::Int(15000)));
    assert!(spec::cdrom_add(-3, 200, 0, Some("nope")).is_err());
    assert!(spec::cdrom_set_iso(&disk(2000, 1000, 0), "[ds] a.iso").is_err());
    assert_eq!(
        at(&spec::cdrom_remove(&vm_cdrom()).unwrap(), "operation"),
        Some(&Value::from("remove"))
    );
}

#[test]
fn serial_port_with_uri_backing_and_remove() {
    let uri = SerialUri {
        service_uri: "telnet://:9001".into(),
        direction: Direction::Server,
        proxy_uri: Some("telnets://vspc.example:13370".into()),
    };
    let s = spec::serial_add(-4, 400, 0, &uri, true);
    assert_eq!(
        at(&s, "device.backing.serviceURI"),
        Some(&Value::from("telnet://:9001"))
    );
    assert_eq!(
        at(&s, "device.backing.direction"),
        Some(&Value::from("server"))
    );
    assert_eq!(
        at(&s, "device.backing.proxyURI"),
        Some(&Value::from("telnets://vspc.example:13370"))
    );
    assert_eq!(at(&s, "device.yieldOnPoll"), Some(&Value::Bool(true)));
    let client = SerialUri {
        direction: Direction::Client,
        proxy_uri: None,
        ..uri
    };
    let c = spec::serial_add(-4, 400, 1, &client, false);
    assert_eq!(
        at(&c, "device.backing.direction"),
        Some(&Value::from("client"))
    );
    assert_eq!(at(&c, "device.backing.proxyURI"), None);
    let port = device(&c).clone();
    assert_eq!(
        at(&spec::serial_remove(&port).unwrap(), "operation"),
        Some(&Value::from("remove"))
    );
    assert!(spec::serial_remove(&vm_nic()).is_err());
}

#[test]
fn manual_macs_follow_vsphere_range_and_format() {
    assert_eq!(
        spec::check_manual_mac("00:50:56:00:00:00").unwrap(),
        "00:50:56:00:00:00"
    );
    assert_eq!(
        spec::check_manual_mac("00:50:56:3F:FF:FF").unwrap(),
        "00:50:56:3f:ff:ff"
    );
    for bad in [
        "00:50:56:40:00:00",
        "00:0c:29:00:00:01",
        "00:50:56:00:00",
        "00-50-56-00-00-01",
        "00:50:56:0g:00:01",
        "0:50:56:00:00:001",
        "",
    ] {
        assert!(spec::check_manual_mac(bad).is_err(), "{bad}");
    }
}

#[test]
fn generated_macs_equal_the_simulators_and_stay_in_range() {
    // Values of vcsim's `mac_for` (UUID v5 based) for these seeds.
    for (seed, mac) in [
        ("vm-1/4000", "00:50:56:36:0d:8b"),
        ("", "00:50:56:2a:69:45"),
        ("DC0_H0_VM0/4001", "00:50:56:0c:10:e8"),
        ("a/b/c/4000", "00:50:56:1d:80:83"),
    ] {
        assert_eq!(spec::generated_mac(seed), mac, "seed {seed:?}");
    }
    for i in 0..200 {
        let m = spec::generated_mac(&format!("vm-{i}/4000"));
        assert!(spec::check_manual_mac(&m).is_ok(), "{m}");
    }
}

#[test]
fn a_scsi_controller_is_added_unshared_on_its_bus_and_only_a_scsi_type_is_accepted() {
    let c = spec::scsi_controller_add(-100, "ParaVirtualSCSIController", 1).unwrap();
    assert_eq!(c.get("operation").and_then(Value::as_str), Some("add"));
    assert!(c.get("fileOperation").is_none());
    let d = c.get("device").and_then(Value::as_data).unwrap();
    assert_eq!(d.type_name, "ParaVirtualSCSIController");
    assert_eq!(d.get("key").and_then(Value::as_i64), Some(-100));
    assert_eq!(d.get("busNumber").and_then(Value::as_i64), Some(1));
    assert_eq!(
        d.get("sharedBus").and_then(Value::as_str),
        Some("noSharing")
    );
    assert!(spec::scsi_controller_add(-1, "VirtualIDEController", 0).is_err());
}
