//! What vCenter fills in on a device a spec adds or edits, beyond keys, units
//! and labels (which the device model decides): a disk's size, file and
//! backing identity; a NIC's MAC, connection defaults and network backing.

use vim25::devices::DeviceList;
use vim25::spec::{check_manual_mac, disk_extend, generated_mac};
use vim25::{Data, Fault, MoRef, Value};

use super::super::model as vm;
use super::faults;
use crate::state::State;

/// Where the VM being changed lives, for names and seeds of what is added.
pub(crate) struct Target<'a> {
    pub st: &'a State,
    pub vm_name: &'a str,
    pub datastore: Option<&'a MoRef>,
    /// Stable per VM, so generated MACs and disk UUIDs do not change across runs.
    pub seed: &'a str,
}

fn int(d: &Data, field: &str) -> Option<i64> {
    d.get(field).and_then(Value::as_i64)
}

/// The size a disk asks for: `capacityInKB`, else `capacityInBytes`.
fn requested_kb(d: &Data) -> Option<i64> {
    int(d, "capacityInKB").or_else(|| int(d, "capacityInBytes").map(|b| b / 1024))
}

/// The `deviceInfo` a device starts with: the summary vCenter shows; the
/// label is the device list's to give.
fn with_summary(d: &mut Data, summary: String) {
    d.set(
        "deviceInfo",
        Data::new("Description")
            .with("label", "")
            .with("summary", summary),
    );
}

/// A new disk: size (1 GB when the spec gives none), a file in the VM's
/// folder when the spec leaves the name to the server, datastore and UUID.
pub(super) fn new_disk(t: &Target<'_>, list: &DeviceList, d: &mut Data) -> Result<(), Fault> {
    let kb = requested_kb(d).unwrap_or(1 << 20);
    if kb <= 0 {
        return Err(Fault::invalid_argument("deviceChange.device.capacityInKB"));
    }
    d.set("capacityInKB", kb);
    d.set("capacityInBytes", kb * 1024);
    let n = list.disks().len();
    let mut b = d
        .get("backing")
        .and_then(Value::as_data)
        .cloned()
        .unwrap_or_else(|| {
            Data::new("VirtualDiskFlatVer2BackingInfo").with("diskMode", "persistent")
        });
    let unnamed = b
        .get("fileName")
        .and_then(Value::as_str)
        .is_none_or(|f| f.is_empty() || f.ends_with(']'));
    if unnamed {
        let vm_name = t.vm_name;
        let ds_name = t
            .datastore
            .map(|d| t.st.objects.name(d))
            .unwrap_or_default();
        let file = super::super::files::free_disk_name(t.st, t.datastore, vm_name, n);
        b.set("fileName", format!("[{ds_name}] {vm_name}/{file}"));
    }
    if let Some(ds) = t.datastore
        && b.get("datastore").is_none()
    {
        b.set("datastore", ds);
    }
    let key = int(d, "key").unwrap_or(0);
    if b.type_name == "VirtualDiskFlatVer2BackingInfo" && b.get("uuid").is_none() {
        b.set("uuid", crate::uuid_for(&format!("{}/disk/{key}", t.seed)));
    }
    d.set("backing", b);
    with_summary(d, format!("{kb} KB"));
    Ok(())
}

/// An edited disk: it may grow, never shrink (vCenter: `InvalidDeviceOperation`).
/// `merged` is the current device with the spec's fields laid over it.
pub(super) fn edited_disk(
    i: usize,
    current: &Data,
    spec_device: &Data,
    merged: &mut Data,
) -> Result<(), Fault> {
    let old = int(current, "capacityInKB").unwrap_or(0);
    let old_bytes = int(current, "capacityInBytes").unwrap_or(old * 1024);
    let kb_asked = int(spec_device, "capacityInKB").filter(|k| *k > 0);
    let bytes_asked = int(spec_device, "capacityInBytes").filter(|b| *b > 0);
    // As vCenter reads an edit: either size below the current one is a
    // shrink; a size equal to the current one is ignored in favour of the
    // other; two new sizes must agree.
    if bytes_asked.is_some_and(|b| b < old_bytes) || kb_asked.is_some_and(|k| k < old) {
        return Err(faults::invalid_operation(i, "edit"));
    }
    let kb = match (kb_asked, bytes_asked) {
        (k, None) => k.unwrap_or(old),
        (k, Some(b)) if b == old_bytes => k.unwrap_or(old),
        (None, Some(b)) => b / 1024,
        (Some(k), Some(b)) if k == old => b / 1024,
        (Some(k), Some(b)) if b == k * 1024 => k,
        (Some(_), Some(_)) => return Err(faults::invalid_operation(i, "edit")),
    };
    if kb != old {
        disk_extend(current, kb).map_err(|e| faults::from_spec_error(i, "edit", &e))?;
    }
    merged.set("capacityInKB", kb);
    merged.set("capacityInBytes", kb * 1024);
    let label = merged
        .path("deviceInfo.label")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    merged.set(
        "deviceInfo",
        Data::new("Description")
            .with("label", label)
            .with("summary", format!("{kb} KB")),
    );
    Ok(())
}

/// The network a NIC backing names: its `network`, its DV port group, or a
/// port group by `deviceName` (vCenter resolves a bare name).
fn network_for(st: &State, nic: &Data) -> Result<Option<MoRef>, Fault> {
    if let Some(net) = vm::network_of(st, nic) {
        return Ok(Some(net));
    }
    let Some(name) = nic.path("backing.deviceName").and_then(Value::as_str) else {
        return Ok(None);
    };
    st.objects
        .of_kind("Network")
        .into_iter()
        .find(|n| st.objects.name(n) == name)
        .map(Some)
        .ok_or_else(|| Fault::not_found(format!("network {name} not found")))
}

/// A new NIC: a generated MAC unless a valid manual one is given, connection
/// defaults, and the backing of the network it names.
pub(super) fn new_nic(t: &Target<'_>, i: usize, d: &mut Data) -> Result<(), Fault> {
    let key = int(d, "key").unwrap_or(0);
    let given = d
        .get("macAddress")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let manual = d.get("addressType").and_then(Value::as_str) == Some("manual");
    match given {
        Some(mac) if manual => {
            let mac = check_manual_mac(&mac).map_err(|e| faults::from_spec_error(i, "add", &e))?;
            d.set("macAddress", mac);
        }
        Some(_) => {}
        None => {
            d.set("macAddress", generated_mac(&format!("{}/{key}", t.seed)));
            d.set("addressType", "generated");
        }
    }
    if d.get("connectable").is_none() {
        d.set(
            "connectable",
            Data::new("VirtualDeviceConnectInfo")
                .with("startConnected", true)
                .with("allowGuestControl", true)
                .with("connected", false),
        );
    }
    let summary = match network_for(t.st, d)? {
        Some(net) => {
            d.set("backing", vm::nic_backing(t.st, &net));
            t.st.objects.name(&net)
        }
        None => String::new(),
    };
    with_summary(d, summary);
    Ok(())
}

/// An edited NIC follows the network its new backing names; a MAC it is
/// given as `manual` must lie in VMware's manual range; a NIC without one
/// keeps the MAC it had unless it is to be manual.
pub(super) fn edited_nic(
    st: &State,
    i: usize,
    current: &Data,
    merged: &mut Data,
) -> Result<(), Fault> {
    if let Some(net) = vm::network_of(st, merged) {
        merged.set("backing", vm::nic_backing(st, &net));
    }
    let manual = merged.get("addressType").and_then(Value::as_str) == Some("manual");
    let mac = merged
        .get("macAddress")
        .and_then(Value::as_str)
        .map(str::to_string);
    match mac {
        Some(m) if manual => {
            let m = check_manual_mac(&m).map_err(|e| faults::from_spec_error(i, "edit", &e))?;
            merged.set("macAddress", m);
        }
        None => {
            if let Some(old) = current.get("macAddress").filter(|_| !manual) {
                merged.set("macAddress", old.clone());
            } else {
                return Err(faults::invalid_spec(
                    i,
                    "virtualDeviceSpec.device.macAddress",
                ));
            }
        }
        Some(_) => {}
    }
    Ok(())
}
