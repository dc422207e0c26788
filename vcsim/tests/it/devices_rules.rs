//! vCenter's rules for CD/DVD drives, serial ports and NICs in
//! `ReconfigVM_Task`, over raw SOAP: faults as vCenter raises them, the
//! device list unchanged after a refusal, effects read from the simulator.

use vcsim::Simulator;
use vim25::devices::DeviceList;
use vim25::spec::{
    Direction, Mac, NewNic, NicBacking, NicEdit, SerialUri, cdrom_add_unplaced, cdrom_empty,
    cdrom_set_iso, config_spec, disk_remove, nic_add, nic_edit, serial_add, serial_add_unplaced,
    serial_connect, serial_edit, serial_remove,
};
use vim25::{Data, MoRef, Request, Value};

use crate::{Client, logged_in};
use testkit::{has_event_since, task_fault, vm, wait_task};

const VM: &str = "DC0_H0_VM0";

fn devices(sim: &Simulator, v: &MoRef) -> DeviceList {
    sim.property(v, "config.hardware.device")
        .map(|d| DeviceList::from_value(&d))
        .unwrap_or_default()
}

async fn reconfigure(sim: &Simulator, c: &Client, v: &MoRef, changes: Vec<Data>) -> Data {
    let t = c
        .ok(Request::new("ReconfigVM_Task", v).arg("spec", config_spec(changes)))
        .await;
    wait_task(sim, &t).await
}

async fn power_off(sim: &Simulator, c: &Client, v: &MoRef) {
    let t = c.ok(Request::new("PowerOffVM_Task", v)).await;
    let info = wait_task(sim, &t).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
}

/// Applies `changes`, which must succeed, with a `VmReconfiguredEvent`.
async fn applied(sim: &Simulator, c: &Client, v: &MoRef, changes: Vec<Data>) -> DeviceList {
    let since = sim.events().len();
    let info = reconfigure(sim, c, v, changes).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
    assert!(has_event_since(sim, since, "VmReconfiguredEvent"));
    devices(sim, v)
}

/// `changes` are refused with `fault` and leave the devices as they were.
async fn refused(sim: &Simulator, c: &Client, v: &MoRef, changes: Vec<Data>, fault: &str) -> Data {
    let before = devices(sim, v);
    let info = reconfigure(sim, c, v, changes).await;
    assert_eq!(task_fault(&info), fault, "{info:?}");
    assert_eq!(devices(sim, v), before, "the device list is unchanged");
    info
}

fn uri(service: &str) -> SerialUri {
    SerialUri {
        service_uri: service.into(),
        direction: Direction::Server,
        proxy_uri: None,
    }
}

fn str_at<'a>(d: &'a Data, path: &str) -> Option<&'a str> {
    d.path(path).and_then(Value::as_str)
}

fn flag(d: &Data, path: &str) -> Option<bool> {
    d.path(path).and_then(Value::as_bool)
}

fn std_nic(key: i64, net: &MoRef, mac: Mac) -> Data {
    nic_add(&NewNic {
        key,
        type_name: "VirtualE1000".into(),
        backing: NicBacking::Standard {
            network_name: "VM Network".into(),
            network: Some(net.clone()),
        },
        mac,
        start_connected: true,
        connected: false,
    })
    .expect("a NIC spec")
}

#[tokio::test]
async fn a_cdrom_gets_the_builtin_ide_controller_and_an_iso() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, VM);
    // IDE devices cannot be hot-added.
    let add = cdrom_add_unplaced(-1, Some("[LocalDS_0] iso/a.iso")).expect("present and valid");
    let info = refused(&sim, &c, &v, vec![add.clone()], "DeviceHotPlugNotSupported").await;
    assert_eq!(
        info.path("error.fault.deviceIndex").and_then(Value::as_i64),
        Some(0)
    );
    power_off(&sim, &c, &v).await;
    let l = applied(&sim, &c, &v, vec![add]).await;
    let drive = l.by_label("CD/DVD drive 1").expect("a drive").clone();
    let ide = l.by_label("IDE 0").expect("the built-in IDE 0");
    assert_eq!(
        drive.get("controllerKey").and_then(Value::as_i64),
        Some(200)
    );
    assert_eq!(ide.get("busNumber").and_then(Value::as_i64), Some(0));
    assert!(l.by_label("IDE 1").is_some());
    assert_eq!(
        str_at(&drive, "backing.fileName"),
        Some("[LocalDS_0] iso/a.iso")
    );
    // Changing the media is allowed while running.
    let t = c.ok(Request::new("PowerOnVM_Task", &v)).await;
    wait_task(&sim, &t).await;
    let l = applied(
        &sim,
        &c,
        &v,
        vec![cdrom_set_iso(&drive, "[LocalDS_0] b.iso").expect("present and valid")],
    )
    .await;
    let drive = l
        .by_label("CD/DVD drive 1")
        .expect("present and valid")
        .clone();
    assert_eq!(
        str_at(&drive, "backing.fileName"),
        Some("[LocalDS_0] b.iso")
    );
    assert_eq!(flag(&drive, "connectable.connected"), Some(true));
    let l = applied(
        &sim,
        &c,
        &v,
        vec![cdrom_empty(&drive).expect("present and valid")],
    )
    .await;
    let drive = l.by_label("CD/DVD drive 1").expect("present and valid");
    assert_eq!(
        drive
            .path("backing")
            .and_then(Value::as_data)
            .map(|b| b.type_name.as_str()),
        Some("VirtualCdromRemotePassthroughBackingInfo")
    );
}

#[tokio::test]
async fn an_iso_on_a_datastore_that_does_not_exist_is_refused() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, VM);
    power_off(&sim, &c, &v).await;
    let add = cdrom_add_unplaced(-1, Some("[NoSuchDS] iso/a.iso")).expect("present and valid");
    let info = refused(&sim, &c, &v, vec![add], "InvalidDatastorePath").await;
    assert_eq!(
        info.path("error.fault.datastorePath")
            .and_then(Value::as_str),
        Some("[NoSuchDS] iso/a.iso")
    );
    // And by edit, on a drive that exists.
    let l = applied(
        &sim,
        &c,
        &v,
        vec![cdrom_add_unplaced(-1, None).expect("present and valid")],
    )
    .await;
    let drive = l.cdroms()[0].clone();
    let mut edit = cdrom_set_iso(&drive, "[LocalDS_0] a.iso").expect("present and valid");
    if let Some(d) = edit.path_mut("device.backing").and_then(Value::data_mut) {
        d.set("fileName", "[Elsewhere] a.iso");
    }
    refused(&sim, &c, &v, vec![edit], "InvalidDatastorePath").await;
}

#[tokio::test]
async fn serial_ports_are_added_cold_connected_hot_and_removed_cold() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, VM);
    let add = serial_add_unplaced(-1, &uri("telnet://:9001"), true).expect("present and valid");
    refused(&sim, &c, &v, vec![add.clone()], "DeviceHotPlugNotSupported").await;
    power_off(&sim, &c, &v).await;
    let l = applied(&sim, &c, &v, vec![add]).await;
    let port = l.by_label("Serial port 1").expect("a port").clone();
    let sio = l
        .by_label("SIO controller 0")
        .expect("the built-in SIO controller");
    assert_eq!(port.get("controllerKey").and_then(Value::as_i64), Some(400));
    assert_eq!(port.get("unitNumber").and_then(Value::as_i64), Some(0));
    assert_eq!(sio.get("key").and_then(Value::as_i64), Some(400));
    assert_eq!(str_at(&port, "backing.serviceURI"), Some("telnet://:9001"));
    assert_eq!(str_at(&port, "backing.direction"), Some("server"));
    assert_eq!(flag(&port, "yieldOnPoll"), Some(true));
    // A second port, placed by the client, with a proxy.
    let proxied = SerialUri {
        proxy_uri: Some("telnets://vspc.example:13370".into()),
        direction: Direction::Client,
        ..uri("tcp://10.0.0.9:7000")
    };
    let l = applied(&sim, &c, &v, vec![serial_add(-2, 400, 1, &proxied, false)]).await;
    let second = l.by_label("Serial port 2").expect("a second port");
    assert_eq!(
        str_at(second, "backing.proxyURI"),
        Some("telnets://vspc.example:13370")
    );
    assert_eq!(str_at(second, "backing.direction"), Some("client"));
    // Running: connecting is fine, rebacking and removing are not.
    let t = c.ok(Request::new("PowerOnVM_Task", &v)).await;
    wait_task(&sim, &t).await;
    let l = applied(
        &sim,
        &c,
        &v,
        vec![serial_connect(&port, true).expect("present and valid")],
    )
    .await;
    let port = l
        .by_label("Serial port 1")
        .expect("present and valid")
        .clone();
    assert_eq!(flag(&port, "connectable.connected"), Some(true));
    let reback = serial_edit(&port, &uri("telnet://:9002"), true).expect("present and valid");
    refused(
        &sim,
        &c,
        &v,
        vec![reback.clone()],
        "DeviceHotPlugNotSupported",
    )
    .await;
    refused(
        &sim,
        &c,
        &v,
        vec![serial_remove(&port).expect("present and valid")],
        "DeviceHotPlugNotSupported",
    )
    .await;
    power_off(&sim, &c, &v).await;
    let l = applied(&sim, &c, &v, vec![reback]).await;
    assert_eq!(
        str_at(
            l.by_label("Serial port 1").expect("present and valid"),
            "backing.serviceURI"
        ),
        Some("telnet://:9002")
    );
    let l = applied(
        &sim,
        &c,
        &v,
        vec![serial_remove(&port).expect("present and valid")],
    )
    .await;
    assert_eq!(l.serial_ports().len(), 1);
    assert!(
        l.by_label("Serial port 1").is_some(),
        "the other port is renumbered"
    );
}

#[tokio::test]
async fn a_serial_uri_esxi_cannot_open_is_an_invalid_backing() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, VM);
    power_off(&sim, &c, &v).await;
    for bad in ["", "9001", "telnet://"] {
        let info = refused(
            &sim,
            &c,
            &v,
            vec![serial_add(-1, 400, 0, &uri(bad), true)],
            "InvalidDeviceBacking",
        )
        .await;
        assert_eq!(
            info.path("error.fault.property").and_then(Value::as_str),
            Some("virtualDeviceSpec.device.backing"),
            "{bad:?}"
        );
    }
    let mut wrong_direction = serial_add(-1, 400, 0, &uri("telnet://:9001"), true);
    if let Some(b) = wrong_direction
        .path_mut("device.backing")
        .and_then(Value::data_mut)
    {
        b.set("direction", "sideways");
    }
    refused(&sim, &c, &v, vec![wrong_direction], "InvalidDeviceBacking").await;
}

#[tokio::test]
async fn nics_on_distributed_port_groups_and_unknown_networks() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, VM);
    let pg = sim
        .find("DistributedVirtualPortgroup", "DC0_DVPG0")
        .expect("a DV port group");
    let dvs_uuid = sim
        .property(
            &sim.find("VmwareDistributedVirtualSwitch", "DVS0")
                .expect("DVS0"),
            "uuid",
        )
        .and_then(|u| u.as_str().map(str::to_string))
        .expect("a switch uuid");
    let dv = nic_add(&NewNic {
        key: -1,
        type_name: "VirtualVmxnet3".into(),
        backing: NicBacking::Distributed {
            switch_uuid: dvs_uuid.clone(),
            portgroup_key: pg.value.to_string(),
        },
        mac: Mac::Generated,
        start_connected: true,
        connected: false,
    })
    .expect("present and valid");
    // NICs hot-add.
    let l = applied(&sim, &c, &v, vec![dv]).await;
    let n = l
        .by_label("Network adapter 2")
        .expect("a second NIC")
        .clone();
    assert_eq!(
        str_at(&n, "backing.port.switchUuid"),
        Some(dvs_uuid.as_str())
    );
    assert!(
        sim.property(&v, "network")
            .is_some_and(|nets| nets.as_array().iter().any(|m| m.as_moref() == Some(&pg)))
    );
    // Unknown port group key, unknown network object, unknown name.
    let mut bad_key = nic_edit(&n, &NicEdit::default()).expect("present and valid");
    if let Some(p) = bad_key
        .path_mut("device.backing.port")
        .and_then(Value::data_mut)
    {
        p.set("portgroupKey", "dvportgroup-999");
    }
    refused(&sim, &c, &v, vec![bad_key], "InvalidDeviceBacking").await;
    let ghost = MoRef::new("Network", "network-999");
    refused(
        &sim,
        &c,
        &v,
        vec![std_nic(-1, &ghost, Mac::Generated)],
        "ManagedObjectNotFound",
    )
    .await;
    let by_name = nic_add(&NewNic {
        key: -1,
        type_name: "VirtualE1000".into(),
        backing: NicBacking::Standard {
            network_name: "No Such Network".into(),
            network: None,
        },
        mac: Mac::Generated,
        start_connected: true,
        connected: false,
    })
    .expect("present and valid");
    refused(&sim, &c, &v, vec![by_name], "NotFound").await;
    // A NIC keeps its model: no type change by edit.
    let mut retype = nic_edit(&n, &NicEdit::default()).expect("present and valid");
    if let Some(d) = retype.get_mut("device").and_then(Value::data_mut) {
        d.type_name = vim25::Name::new("VirtualE1000");
    }
    refused(&sim, &c, &v, vec![retype], "InvalidDeviceOperation").await;
    // Removing works hot; removing it again names no device.
    let l = applied(
        &sim,
        &c,
        &v,
        vec![vim25::spec::nic_remove(&n).expect("present and valid")],
    )
    .await;
    assert_eq!(l.nics().len(), 1);
    refused(
        &sim,
        &c,
        &v,
        vec![vim25::spec::nic_remove(&n).expect("present and valid")],
        "InvalidArgument",
    )
    .await;
}

#[tokio::test]
async fn manual_macs_must_be_in_range_and_unique() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, VM);
    let other = vm(&sim, "DC0_H0_VM1");
    let net = sim
        .find("Network", "VM Network")
        .expect("present and valid");
    let l = applied(
        &sim,
        &c,
        &v,
        vec![std_nic(-1, &net, Mac::Manual("00:50:56:00:00:01".into()))],
    )
    .await;
    let n = l
        .by_label("Network adapter 2")
        .expect("present and valid")
        .clone();
    assert_eq!(str_at(&n, "macAddress"), Some("00:50:56:00:00:01"));
    assert_eq!(str_at(&n, "addressType"), Some("manual"));
    // The same MAC on another VM, and on another NIC of this VM.
    let info = refused(
        &sim,
        &c,
        &other,
        vec![std_nic(-1, &net, Mac::Manual("00:50:56:00:00:01".into()))],
        "InvalidDeviceSpec",
    )
    .await;
    assert_eq!(
        info.path("error.fault.property").and_then(Value::as_str),
        Some("virtualDeviceSpec.device.macAddress")
    );
    let first = l
        .by_label("Network adapter 1")
        .expect("present and valid")
        .clone();
    let mut dup = nic_edit(&first, &NicEdit::default()).expect("present and valid");
    if let Some(d) = dup.get_mut("device").and_then(Value::data_mut) {
        d.set("addressType", "manual");
        d.set("macAddress", "00:50:56:00:00:01");
    }
    refused(&sim, &c, &v, vec![dup], "InvalidDeviceSpec").await;
    // Outside 00:50:56:00-3F, by edit (the builder refuses it; a careless client does not).
    let mut outside = nic_edit(&first, &NicEdit::default()).expect("present and valid");
    if let Some(d) = outside.get_mut("device").and_then(Value::data_mut) {
        d.set("addressType", "manual");
        d.set("macAddress", "00:50:56:80:00:01");
    }
    refused(&sim, &c, &v, vec![outside], "InvalidDeviceSpec").await;
}

#[tokio::test]
async fn a_disk_removed_hot_with_its_file_destroyed() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, VM);
    let disk = devices(&sim, &v).disks()[0].clone();
    let change = disk_remove(&disk, true).expect("present and valid");
    assert_eq!(
        change.get("fileOperation").and_then(Value::as_str),
        Some("destroy")
    );
    let l = applied(&sim, &c, &v, vec![change.clone()]).await;
    assert!(l.disks().is_empty());
    assert_eq!(
        sim.property(&v, "summary.config.numVirtualDisks")
            .and_then(|x| x.as_i64()),
        Some(0)
    );
    refused(&sim, &c, &v, vec![change], "InvalidArgument").await;
}
