//! Reads of a VM's devices for the disk, CD/DVD, NIC and serial port tools:
//! one PropertyCollector read of the VM's name, power state, datastores and
//! `config.hardware.device`, and the JSON each device is shown as.

use serde_json::{Value as Json, json};
use vim25::spec::serial_uri_of;
use vim25::{Data, Value};

use crate::vsphere::PropSet;

/// What the device tools read of a VM, in one round trip.
pub const DEVICES: PropSet = PropSet {
    kind: "VirtualMachine",
    paths: &[
        "name",
        "runtime.powerState",
        "runtime.host",
        "datastore",
        "config.hardware.device",
    ],
};

const KB_PER_GB: f64 = 1024.0 * 1024.0;

fn str_at<'a>(d: &'a Data, path: &str) -> Option<&'a str> {
    d.path(path).and_then(Value::as_str)
}

fn int_at(d: &Data, path: &str) -> Option<i64> {
    d.path(path).and_then(Value::as_i64)
}

fn bool_at(d: &Data, path: &str) -> Option<bool> {
    d.path(path).and_then(Value::as_bool)
}

/// A device's `deviceInfo.label` ("Hard disk 1").
pub fn label(d: &Data) -> &str {
    str_at(d, "deviceInfo.label").unwrap_or_default()
}

/// KB as GB with two decimals.
pub fn kb_to_gb(kb: i64) -> f64 {
    (kb as f64 / KB_PER_GB * 100.0).round() / 100.0
}

/// A disk's size in KB.
pub fn disk_kb(d: &Data) -> i64 {
    int_at(d, "capacityInKB")
        .or_else(|| int_at(d, "capacityInBytes").map(|b| b / 1024))
        .unwrap_or(0)
}

/// A disk's backing file, `[ds] vm/vm.vmdk`.
pub fn disk_file(d: &Data) -> Option<&str> {
    str_at(d, "backing.fileName")
}

/// `thin`, `thick` or `eagerZeroedThick`, from the flat backing's flags.
fn provisioning(d: &Data) -> &'static str {
    match (
        bool_at(d, "backing.thinProvisioned"),
        bool_at(d, "backing.eagerlyScrub"),
    ) {
        (Some(true), _) => "thin",
        (_, Some(true)) => "eagerZeroedThick",
        _ => "thick",
    }
}

/// A disk in `list_disks`; `controller` is its controller's label.
pub fn disk_json(d: &Data, controller: Option<&str>) -> Json {
    json!({
        "label": label(d),
        "size_gb": kb_to_gb(disk_kb(d)),
        "unit_number": int_at(d, "unitNumber"),
        "controller": controller,
        "file": disk_file(d),
        "provisioning": provisioning(d),
        "thin_provisioned": bool_at(d, "backing.thinProvisioned").unwrap_or(false),
        "disk_mode": str_at(d, "backing.diskMode"),
    })
}

/// The ISO image in a CD/DVD drive, if one is inserted.
pub fn cdrom_iso(d: &Data) -> Option<&str> {
    let b = d.get("backing").and_then(Value::as_data)?;
    (b.type_name == "VirtualCdromIsoBackingInfo")
        .then(|| b.get("fileName").and_then(Value::as_str))
        .flatten()
}

/// Whether a device is connected now.
pub fn connected(d: &Data) -> bool {
    bool_at(d, "connectable.connected").unwrap_or(false)
}

/// Whether a device connects at power-on.
pub fn start_connected(d: &Data) -> bool {
    bool_at(d, "connectable.startConnected").unwrap_or(false)
}

/// The NIC model as users write it (`vmxnet3`), from the device type.
pub fn nic_model(type_name: &str) -> String {
    type_name
        .strip_prefix("Virtual")
        .unwrap_or(type_name)
        .replace("EthernetCard", "")
        .to_ascii_lowercase()
}

pub fn mac(d: &Data) -> Option<&str> {
    str_at(d, "macAddress")
}

/// A standard port group's name, or a distributed port group's key.
pub fn nic_network_ref(d: &Data) -> Option<&str> {
    str_at(d, "backing.deviceName").or_else(|| str_at(d, "backing.port.portgroupKey"))
}

/// A NIC in `list_nics`; `network` is the name of what it is connected to.
pub fn nic_json(d: &Data, network: Option<&str>) -> Json {
    json!({
        "label": label(d),
        "type": nic_model(&d.type_name),
        "mac_address": mac(d),
        "mac_type": str_at(d, "addressType"),
        "network": network,
        "connected": connected(d),
        "start_connected": start_connected(d),
    })
}

/// A serial port in `get_serial_port`.
pub fn serial_json(d: &Data) -> Json {
    let (uri, direction) = serial_uri_of(d).unzip();
    json!({
        "configured": true,
        "label": label(d),
        "connected": connected(d),
        "start_connected": start_connected(d),
        "direction": direction,
        "service_uri": uri,
        "yield_on_poll": bool_at(d, "yieldOnPoll").unwrap_or(false),
    })
}
