//! The serial port and unplaced CD/DVD builders: what they put in the spec,
//! and what they refuse.

use vim25::spec::{self, Direction, SerialUri, SpecError};
use vim25::{Data, Value};

use crate::spec::{device, vm_cdrom, vm_nic};

fn uri(s: &str) -> SerialUri {
    SerialUri {
        service_uri: s.into(),
        direction: Direction::Server,
        proxy_uri: None,
    }
}

fn at<'a>(spec: &'a Data, path: &str) -> Option<&'a Value> {
    spec.path(path)
}

fn vm_port() -> Data {
    device(&spec::serial_add(
        9000,
        400,
        0,
        &uri("telnet://:9001"),
        true,
    ))
    .clone()
}

#[test]
fn an_unplaced_serial_port_leaves_controller_and_unit_to_the_server() {
    let s = spec::serial_add_unplaced(-5, &uri("tcp://10.0.0.1:7000"), false).unwrap();
    assert_eq!(at(&s, "operation"), Some(&Value::from("add")));
    assert_eq!(at(&s, "device.key"), Some(&Value::Int(-5)));
    assert_eq!(at(&s, "device.controllerKey"), None);
    assert_eq!(at(&s, "device.unitNumber"), None);
    assert_eq!(
        at(&s, "device.backing.serviceURI"),
        Some(&Value::from("tcp://10.0.0.1:7000"))
    );
    assert_eq!(
        at(&s, "device.backing.direction"),
        Some(&Value::from("server"))
    );
    assert_eq!(at(&s, "device.yieldOnPoll"), Some(&Value::Bool(false)));
    assert_eq!(
        at(&s, "device.connectable.startConnected"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn a_uri_esxi_cannot_open_is_refused() {
    for bad in ["", "9001", "telnet://", "://:9001", "tel net://:1"] {
        assert!(
            matches!(
                spec::serial_add_unplaced(-1, &uri(bad), true),
                Err(SpecError::InvalidUri(_))
            ),
            "{bad:?}"
        );
    }
    let bad_proxy = SerialUri {
        proxy_uri: Some("vspc".into()),
        ..uri("telnet://:9001")
    };
    assert!(spec::serial_add_unplaced(-1, &bad_proxy, true).is_err());
    assert!(spec::serial_edit(&vm_port(), &uri("nope"), true).is_err());
}

#[test]
fn serial_edit_rebacks_the_port_in_place() {
    let client = SerialUri {
        direction: Direction::Client,
        ..uri("telnet://192.0.2.1:9100")
    };
    let s = spec::serial_edit(&vm_port(), &client, false).unwrap();
    assert_eq!(at(&s, "operation"), Some(&Value::from("edit")));
    assert_eq!(at(&s, "device.key"), Some(&Value::Int(9000)));
    assert_eq!(at(&s, "device.controllerKey"), Some(&Value::Int(400)));
    assert_eq!(at(&s, "device.unitNumber"), Some(&Value::Int(0)));
    assert_eq!(
        at(&s, "device.backing.serviceURI"),
        Some(&Value::from("telnet://192.0.2.1:9100"))
    );
    assert_eq!(
        at(&s, "device.backing.direction"),
        Some(&Value::from("client"))
    );
    assert_eq!(at(&s, "device.yieldOnPoll"), Some(&Value::Bool(false)));
    assert!(matches!(
        spec::serial_edit(&vm_nic(), &client, true),
        Err(SpecError::WrongType { .. })
    ));
}

#[test]
fn serial_connect_sets_now_and_at_power_on() {
    let on = spec::serial_connect(&vm_port(), true).unwrap();
    assert_eq!(
        at(&on, "device.connectable.connected"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        at(&on, "device.connectable.startConnected"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        at(&on, "device.backing.serviceURI"),
        Some(&Value::from("telnet://:9001")),
        "the backing is kept"
    );
    let off = spec::serial_connect(device(&on), false).unwrap();
    assert_eq!(
        at(&off, "device.connectable.connected"),
        Some(&Value::Bool(false))
    );
    assert!(spec::serial_connect(&vm_cdrom(), true).is_err());
}

#[test]
fn serial_uri_of_reads_only_network_backings() {
    assert_eq!(
        spec::serial_uri_of(&vm_port()),
        Some(("telnet://:9001", "server"))
    );
    let file_backed = vm_port().with(
        "backing",
        Data::new("VirtualSerialPortFileBackingInfo").with("fileName", "[ds] vm/serial.log"),
    );
    assert_eq!(spec::serial_uri_of(&file_backed), None);
    assert_eq!(spec::serial_uri_of(&vm_nic()), None);
    assert_eq!(Direction::Client.as_str(), "client");
}

#[test]
fn an_unplaced_cdrom_leaves_controller_and_unit_to_the_server() {
    let s = spec::cdrom_add_unplaced(-3, Some("[ds] iso/a.iso")).unwrap();
    assert_eq!(at(&s, "device.controllerKey"), None);
    assert_eq!(at(&s, "device.unitNumber"), None);
    assert_eq!(
        at(&s, "device.backing.fileName"),
        Some(&Value::from("[ds] iso/a.iso"))
    );
    let empty = spec::cdrom_add_unplaced(-3, None).unwrap();
    assert_eq!(
        device(&empty)
            .get("backing")
            .and_then(Value::as_data)
            .map(|b| b.type_name.as_str()),
        Some("VirtualCdromRemotePassthroughBackingInfo")
    );
    assert!(matches!(
        spec::cdrom_add_unplaced(-3, Some("a.iso")),
        Err(SpecError::InvalidDatastorePath(_))
    ));
}
