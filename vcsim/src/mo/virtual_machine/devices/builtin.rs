//! The controllers vCenter gives every VM and no client can add: the two IDE
//! channels (keys 200, 201) and the SIO controller (key 400). The fixture
//! VMs are built without them (their device tree belongs to `model.rs`), so
//! the first CD/DVD drive or serial port a spec leaves unplaced brings them
//! in, where vCenter would find them already present.

use vim25::Data;
use vim25::devices::{ControllerKind, DeviceList};

use super::{faults, is};

fn controller(list: &DeviceList, type_name: &str, key: i64, bus: i64) -> Data {
    let key = if list.by_key(key).is_some() {
        list.assigned_key(type_name)
    } else {
        key
    };
    Data::new(type_name)
        .with("key", key)
        .with(
            "deviceInfo",
            Data::new("Description")
                .with("label", "")
                .with("summary", ""),
        )
        .with("busNumber", bus)
}

/// Adds the built-in controllers an unplaced device `d` needs when the VM
/// lacks them: IDE 0 and 1 for a CD/DVD drive, SIO 0 for a serial port.
pub(super) fn ensure_for(list: &mut DeviceList, i: usize, d: &Data) -> Result<(), vim25::Fault> {
    let wanted: &[(&str, i64, i64)] = if is(d, "VirtualCdrom")
        && list.controllers_of(ControllerKind::Ide).is_empty()
        && list.controllers_of(ControllerKind::Sata).is_empty()
    {
        &[
            ("VirtualIDEController", 200, 0),
            ("VirtualIDEController", 201, 1),
        ]
    } else if is(d, "VirtualSerialPort") && list.controllers_of(ControllerKind::Sio).is_empty() {
        &[("VirtualSIOController", 400, 0)]
    } else {
        &[]
    };
    for (type_name, key, bus) in wanted {
        let c = controller(list, type_name, *key, *bus);
        list.add(c).map_err(|e| faults::from_device_error(i, &e))?;
    }
    Ok(())
}
