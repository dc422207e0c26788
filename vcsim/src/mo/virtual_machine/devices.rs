//! The device changes of a config spec (`ReconfigVM_Task`, `CreateVM_Task`,
//! `CloneVM_Task`), applied to a [`DeviceList`]: vim25's device model decides
//! keys, free units, labels and controllers' child lists, so the simulator
//! answers as the server and the tests expect; `prepare` fills in what
//! vCenter adds to a disk or NIC; `faults` turns refusals into vCenter's
//! faults. One entry point, [`apply_device_changes`].

mod builtin;
mod checks;
mod faults;
mod prepare;

use std::collections::HashMap;

use vim25::devices::{ControllerKind, DeviceList, key_of};
use vim25::{Data, Fault, Value, schema};

pub(crate) use prepare::Target;

fn is(d: &Data, base: &str) -> bool {
    schema().is_subtype(&d.type_name, base)
}

fn int(d: &Data, field: &str) -> Option<i64> {
    d.get(field).and_then(Value::as_i64)
}

/// Applies `deviceChange` to a VM that is not running (a new VM, a clone).
pub(crate) fn apply_device_changes(
    t: &Target<'_>,
    list: &mut DeviceList,
    changes: &[Value],
) -> Result<(), Fault> {
    apply_device_changes_on(t, list, changes, false)
}

/// Applies `deviceChange` to `list`, in order, with the hot-plug rules of a
/// VM that is `powered_on` or not. Stops at the first change that fails;
/// the caller's transaction discards whatever came before it.
pub(crate) fn apply_device_changes_on(
    t: &Target<'_>,
    list: &mut DeviceList,
    changes: &[Value],
    powered_on: bool,
) -> Result<(), Fault> {
    // The keys the spec gave its new devices (negative, temporary) and the
    // keys they got, so a later change can name a device added before it.
    let mut assigned: HashMap<i64, i64> = HashMap::new();
    for (i, ch) in changes.iter().filter_map(Value::as_data).enumerate() {
        let op = ch
            .get("operation")
            .and_then(Value::as_str)
            .unwrap_or("edit");
        let Some(dev) = ch.get("device").and_then(Value::as_data) else {
            return Err(Fault::invalid_argument("deviceChange.device"));
        };
        match op {
            "add" => add(t, list, &mut assigned, i, dev, powered_on)?,
            "edit" => edit(t, list, &assigned, i, dev, powered_on)?,
            "remove" => {
                if let Some(current) = list.by_key(key_of(dev)) {
                    let label = current
                        .path("deviceInfo.label")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    checks::hot_plug(powered_on, i, current, label)?;
                }
                list.remove(key_of(dev))
                    .map_err(|e| faults::from_device_error(i, &e))?;
            }
            other => {
                return Err(Fault::invalid_argument(&format!(
                    "deviceChange.operation {other}"
                )));
            }
        }
    }
    Ok(())
}

/// Maps a temporary `controllerKey` to the key its controller was given; a
/// temporary key no earlier change introduced names no controller. `0` (unset
/// in many clients) means "let the server choose".
fn resolve_controller(assigned: &HashMap<i64, i64>, i: usize, d: &mut Data) -> Result<(), Fault> {
    match int(d, "controllerKey") {
        Some(0) => {
            d.remove("controllerKey");
        }
        Some(ck) if ck < 0 => {
            let real = assigned
                .get(&ck)
                .ok_or_else(|| faults::invalid_controller(i, ck))?;
            d.set("controllerKey", *real);
        }
        _ => {}
    }
    Ok(())
}

/// Where a device the spec did not place goes, as vCenter places it: disks
/// on SCSI (then SATA, NVMe, IDE), CD/DVD drives on IDE (then SATA), NICs on
/// PCI from unit 7, serial ports on SIO, storage controllers on PCI.
fn default_slot(list: &DeviceList, d: &Data) -> Option<(i64, i64)> {
    let type_name = d.type_name.as_str();
    if is(d, "VirtualDisk") {
        list.disk_slot()
    } else if is(d, "VirtualEthernetCard") {
        list.nic_slot()
    } else if is(d, "VirtualCdrom") {
        list.cdrom_slot()
    } else if is(d, "VirtualSerialPort") {
        list.serial_slot()
    } else if matches!(
        ControllerKind::of(type_name),
        Some(ControllerKind::Scsi | ControllerKind::Sata | ControllerKind::Nvme)
    ) {
        list.slot_on(&[ControllerKind::Pci], type_name)
    } else {
        None
    }
}

/// Gives `d` a controller and unit when the spec left them out.
fn place(list: &DeviceList, i: usize, d: &mut Data) -> Result<(), Fault> {
    match int(d, "controllerKey") {
        None => {
            if let Some((ck, unit)) = default_slot(list, d) {
                d.set("controllerKey", ck);
                if d.get("unitNumber").is_none() {
                    d.set("unitNumber", unit);
                }
            } else if is(d, "VirtualDisk") || is(d, "VirtualEthernetCard") {
                // These always sit on a controller; none has room.
                return Err(faults::invalid_spec(
                    i,
                    "virtualDeviceSpec.device.controllerKey",
                ));
            }
        }
        Some(ck) if d.get("unitNumber").is_none() => {
            let controller = list.by_key(ck).filter(|c| is(c, "VirtualController"));
            if controller.is_none() {
                return Err(faults::invalid_controller(i, ck));
            }
            let unit = list
                .free_unit_for(ck, &d.type_name)
                .ok_or_else(|| faults::invalid_spec(i, "virtualDeviceSpec.device.unitNumber"))?;
            d.set("unitNumber", unit);
        }
        Some(_) => {}
    }
    Ok(())
}

fn add(
    t: &Target<'_>,
    list: &mut DeviceList,
    assigned: &mut HashMap<i64, i64>,
    i: usize,
    dev: &Data,
    powered_on: bool,
) -> Result<(), Fault> {
    let mut d = dev.clone();
    if !is(&d, "VirtualDevice") {
        return Err(Fault::invalid_argument("deviceChange.device"));
    }
    let requested = key_of(&d);
    let key = if requested <= 0 || list.by_key(requested).is_some() {
        list.assigned_key(&d.type_name)
    } else {
        requested
    };
    d.set("key", key);
    resolve_controller(assigned, i, &mut d)?;
    if is(&d, "VirtualDisk") {
        prepare::new_disk(t, list, &mut d)?;
    } else if is(&d, "VirtualEthernetCard") {
        checks::network_exists(t.st, i, &d)?;
        prepare::new_nic(t, i, &mut d)?;
        checks::unique_mac(t, list, i, &d)?;
    } else if is(&d, "VirtualCdrom") {
        checks::cdrom(t.st, &d)?;
    } else if is(&d, "VirtualSerialPort") {
        checks::serial_port(i, &d)?;
    } else if is(&d, "VirtualSCSIController") && d.get("scsiCtlrUnitNumber").is_none() {
        // The unit a SCSI controller itself occupies on its bus.
        d.set("scsiCtlrUnitNumber", 7);
    }
    // Checked after the device's own rules, so a bad device is named first.
    let new_label = list.label_for_new(&d.type_name).unwrap_or_default();
    checks::hot_plug(powered_on, i, &d, &new_label)?;
    if d.get("controllerKey").is_none() {
        builtin::ensure_for(list, i, &d)?;
    }
    place(list, i, &mut d)?;
    list.add(d).map_err(|e| faults::from_device_error(i, &e))?;
    if requested < 0 {
        assigned.insert(requested, key);
    }
    Ok(())
}

/// An edit sends the whole device; its fields replace the current ones.
fn edit(
    t: &Target<'_>,
    list: &mut DeviceList,
    assigned: &HashMap<i64, i64>,
    i: usize,
    dev: &Data,
    powered_on: bool,
) -> Result<(), Fault> {
    let Some(current) = list.by_key(key_of(dev)).cloned() else {
        return Err(Fault::invalid_argument("deviceChange.device.key"));
    };
    // A device keeps its type: a NIC's model is changed by remove and add.
    if dev.type_name != current.type_name {
        return Err(faults::invalid_operation(i, "edit"));
    }
    let mut spec_device = dev.clone();
    resolve_controller(assigned, i, &mut spec_device)?;
    let mut merged = current.clone();
    for (n, v) in &spec_device.fields {
        merged.set(n, v.clone());
    }
    if is(&current, "VirtualDisk") {
        prepare::edited_disk(i, &current, &spec_device, &mut merged)?;
    }
    if is(&merged, "VirtualEthernetCard") {
        checks::network_exists(t.st, i, &merged)?;
        prepare::edited_nic(t.st, i, &current, &mut merged)?;
        if merged.get("macAddress") != current.get("macAddress") {
            checks::unique_mac(t, list, i, &merged)?;
        }
    } else if is(&merged, "VirtualCdrom") {
        checks::cdrom(t.st, &merged)?;
    } else if is(&merged, "VirtualSerialPort") {
        checks::serial_port(i, &merged)?;
        checks::serial_edit(powered_on, i, &current, &merged)?;
    }
    list.replace(merged)
        .map_err(|e| faults::from_device_error(i, &e))?;
    Ok(())
}
