//! vCenter's rules for CD/DVD drives, serial ports and disks in
//! `ReconfigVM_Task` (NICs: `devices_nics.rs`), over raw SOAP: faults as vCenter raises them, the
//! device list unchanged after a refusal, effects read from the simulator.

use vcsim::Simulator;
use vim25::devices::DeviceList;
use vim25::spec::{
    Direction, SerialUri, cdrom_add_unplaced, cdrom_empty, cdrom_set_iso, config_spec, disk_remove,
    serial_add, serial_add_unplaced, serial_connect, serial_edit, serial_remove,
};
use vim25::{Data, MoRef, Request, Value};

use crate::{Client, logged_in};
pub(crate) use testkit::{flag, str_at};
use testkit::{has_event_since, task_fault, vm, wait_task};

const VM: &str = "DC0_H0_VM0";

pub(crate) fn devices(sim: &Simulator, v: &MoRef) -> DeviceList {
    sim.property(v, "config.hardware.device")
        .map(|d| DeviceList::from_value(&d))
        .unwrap_or_default()
}

pub(crate) async fn reconfigure(
    sim: &Simulator,
    c: &Client,
    v: &MoRef,
    changes: Vec<Data>,
) -> Data {
    let t = c
        .ok(Request::new("ReconfigVM_Task", v).arg("spec", config_spec(changes)))
        .await;
    wait_task(sim, &t).await
}

pub(crate) async fn power_off(sim: &Simulator, c: &Client, v: &MoRef) {
    let t = c.ok(Request::new("PowerOffVM_Task", v)).await;
    let info = wait_task(sim, &t).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
}

/// Applies `changes`, which must succeed, with a `VmReconfiguredEvent`.
pub(crate) async fn applied(
    sim: &Simulator,
    c: &Client,
    v: &MoRef,
    changes: Vec<Data>,
) -> DeviceList {
    let since = sim.events().len();
    let info = reconfigure(sim, c, v, changes).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
    assert!(has_event_since(sim, since, "VmReconfiguredEvent"));
    devices(sim, v)
}

/// `changes` are refused with `fault` and leave the devices as they were.
pub(crate) async fn refused(
    sim: &Simulator,
    c: &Client,
    v: &MoRef,
    changes: Vec<Data>,
    fault: &str,
) -> Data {
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
    // Every VM comes with an empty drive on IDE 1, as vCenter gives one.
    let builtin = devices(&sim, &v);
    let first = builtin
        .by_label("CD/DVD drive 1")
        .expect("the built-in drive");
    assert_eq!(
        first.get("controllerKey").and_then(Value::as_i64),
        Some(201)
    );
    assert_eq!(
        first
            .path("backing")
            .and_then(Value::as_data)
            .map(|b| b.type_name.as_str()),
        Some("VirtualCdromRemotePassthroughBackingInfo")
    );
    let l = applied(&sim, &c, &v, vec![add]).await;
    let drive = l.by_label("CD/DVD drive 2").expect("a drive").clone();
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
        vec![cdrom_set_iso(&drive, "[LocalDS_0] iso/b.iso").expect("present and valid")],
    )
    .await;
    let drive = l
        .by_label("CD/DVD drive 2")
        .expect("present and valid")
        .clone();
    assert_eq!(
        str_at(&drive, "backing.fileName"),
        Some("[LocalDS_0] iso/b.iso")
    );
    assert_eq!(flag(&drive, "connectable.connected"), Some(true));
    let l = applied(
        &sim,
        &c,
        &v,
        vec![cdrom_empty(&drive).expect("present and valid")],
    )
    .await;
    let drive = l.by_label("CD/DVD drive 2").expect("present and valid");
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
