//! Rules vCenter applies to CD/DVD drives, serial ports and NICs beyond the
//! device model's keys and units: an ISO file on a datastore that exists, a
//! URI backing ESXi can open, MACs unique in the inventory, networks that exist,
//! a device's type fixed once added, and which devices may be added or
//! removed while the VM runs (disks and NICs may; IDE CD/DVD drives and
//! serial ports may not).
//!
//! An ISO's datastore must exist (`InvalidDatastorePath`) and so must its
//! file on it (`FileNotFound`, from the datastore file table).

use vim25::devices::DeviceList;
use vim25::{Data, Fault, MoRef, Value, schema};

use super::super::model as vm;
use super::{Target, faults};
use crate::state::State;

fn is(d: &Data, base: &str) -> bool {
    schema().is_subtype(&d.type_name, base)
}

fn backing(d: &Data) -> Option<&Data> {
    d.get("backing").and_then(Value::as_data)
}

/// `[ds] path` → `ds`.
fn datastore_of(path: &str) -> Option<&str> {
    let (ds, _) = path.strip_prefix('[')?.split_once(']')?;
    Some(ds.trim())
}

/// An ISO backing must name a datastore the inventory has
/// (vCenter: `InvalidDatastorePath`).
pub(super) fn cdrom(st: &State, d: &Data) -> Result<(), Fault> {
    let Some(b) = backing(d).filter(|b| b.type_name == "VirtualCdromIsoBackingInfo") else {
        return Ok(());
    };
    let path = b
        .get("fileName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let known = datastore_of(path).is_some_and(|name| {
        st.objects
            .of_kind("Datastore")
            .iter()
            .any(|ds| st.objects.name(ds) == name)
    });
    if known {
        super::super::files::iso_present(st, path)
    } else {
        Err(Fault::new(
            "InvalidDatastorePath",
            format!("Invalid datastore path '{path}'."),
        )
        .with("datastorePath", path))
    }
}

/// A URI backing needs a `scheme://…` service URI and a direction
/// (vCenter: `InvalidDeviceBacking`).
pub(super) fn serial_port(i: usize, d: &Data) -> Result<(), Fault> {
    let Some(b) = backing(d).filter(|b| b.type_name == "VirtualSerialPortURIBackingInfo") else {
        return Ok(());
    };
    let uri_ok = |field: &str| {
        b.get(field)
            .and_then(Value::as_str)
            .and_then(|u| u.split_once("://"))
            .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty())
    };
    let direction_ok = matches!(
        b.get("direction").and_then(Value::as_str),
        Some("server" | "client")
    );
    if uri_ok("serviceURI") && direction_ok && (b.get("proxyURI").is_none() || uri_ok("proxyURI")) {
        Ok(())
    } else {
        Err(faults::invalid_backing(i))
    }
}

/// Every MAC held by a NIC of another VM (not the one with config.uuid `seed`).
fn macs_elsewhere(st: &State, seed: &str) -> Vec<String> {
    let mut out = vec![];
    for v in st.objects.of_kind("VirtualMachine") {
        if st.objects.str_prop(&v, "config.uuid").as_deref() == Some(seed) {
            continue;
        }
        for nic in vm::devices(st, &v).nics() {
            if let Some(m) = nic.get("macAddress").and_then(Value::as_str) {
                out.push(m.to_ascii_lowercase());
            }
        }
    }
    out
}

/// A NIC's MAC may not be one another NIC in the inventory has.
pub(super) fn unique_mac(
    t: &Target<'_>,
    list: &DeviceList,
    i: usize,
    nic: &Data,
) -> Result<(), Fault> {
    let Some(mac) = nic.get("macAddress").and_then(Value::as_str) else {
        return Ok(());
    };
    let mac = mac.to_ascii_lowercase();
    let key = nic.get("key").and_then(Value::as_i64);
    let in_vm = list.nics().into_iter().any(|n| {
        n.get("key").and_then(Value::as_i64) != key
            && n.get("macAddress")
                .and_then(Value::as_str)
                .is_some_and(|m| m.eq_ignore_ascii_case(&mac))
    });
    if in_vm || macs_elsewhere(t.st, t.seed).contains(&mac) {
        return Err(faults::duplicate_mac(i, &mac));
    }
    Ok(())
}

/// The network a NIC backing names must exist: a `network` reference to an
/// object the inventory has, or a distributed port group key it knows.
pub(super) fn network_exists(st: &State, i: usize, nic: &Data) -> Result<(), Fault> {
    let Some(b) = backing(nic) else {
        return Ok(());
    };
    if let Some(net) = b.get("network").and_then(Value::as_moref) {
        if st.objects.get(net).is_none() {
            return Err(Fault::managed_object_not_found(net));
        }
        return Ok(());
    }
    if let Some(key) = b.path("port.portgroupKey").and_then(Value::as_str)
        && st
            .objects
            .get(&MoRef::new("DistributedVirtualPortgroup", key))
            .is_none()
    {
        return Err(faults::invalid_backing(i));
    }
    Ok(())
}

/// Whether a device of this type can be added or removed while the VM runs.
fn hot_pluggable(d: &Data) -> bool {
    !(is(d, "VirtualSerialPort") || is(d, "VirtualCdrom") || is(d, "VirtualController"))
}

/// Refuses adding or removing a device that cannot change while the VM is
/// powered on (vCenter: `DeviceHotPlugNotSupported`).
pub(super) fn hot_plug(powered_on: bool, i: usize, d: &Data, label: &str) -> Result<(), Fault> {
    if powered_on && !hot_pluggable(d) {
        return Err(faults::hot_plug_not_supported(i, label));
    }
    Ok(())
}

/// A serial port's backing cannot change while the VM runs; its connection can.
pub(super) fn serial_edit(
    powered_on: bool,
    i: usize,
    current: &Data,
    merged: &Data,
) -> Result<(), Fault> {
    if powered_on
        && is(current, "VirtualSerialPort")
        && (current.get("backing") != merged.get("backing")
            || current.get("yieldOnPoll") != merged.get("yieldOnPoll"))
    {
        let label = current
            .path("deviceInfo.label")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Err(faults::hot_plug_not_supported(i, label));
    }
    Ok(())
}
