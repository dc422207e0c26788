//! The faults vCenter raises for a bad device change, made from the device
//! model's refusals. Types, fields and messages follow what vCenter sends
//! (seen in govmomi's simulator and in faults users report): the index is the
//! change's position in `deviceChange`, numbers in messages carry thousands
//! separators ("controller '1,000'").

use vim25::Fault;
use vim25::devices::DeviceError;
use vim25::spec::SpecError;

/// `1000` → `"1,000"`, `-100` → `"-100"`.
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn index(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

/// A change that cannot be applied as given (a unit taken or reserved, no
/// room on a controller, a controller that still has devices).
pub(super) fn invalid_spec(i: usize, property: &str) -> Fault {
    Fault::new(
        "InvalidDeviceSpec",
        format!("Invalid configuration for device '{i}'."),
    )
    .with("property", property)
    .with("deviceIndex", index(i))
}

/// A change naming a controller the VM does not have (or a device that is
/// not a controller).
pub(super) fn invalid_controller(i: usize, controller_key: i64) -> Fault {
    Fault::new(
        "InvalidController",
        format!(
            "The device '{i}' is referring to a nonexisting controller '{}'.",
            grouped(controller_key)
        ),
    )
    .with("property", "virtualDeviceSpec.device.controllerKey")
    .with("deviceIndex", index(i))
    .with("controllerKey", controller_key)
}

/// An operation the device does not allow (shrinking a disk).
pub(super) fn invalid_operation(i: usize, op: &str) -> Fault {
    Fault::new(
        "InvalidDeviceOperation",
        format!("Invalid operation for device '{i}'."),
    )
    .with("property", "virtualDeviceSpec.device")
    .with("deviceIndex", index(i))
    .with("badOp", op)
}

/// The fault for a refusal of the device model on change `i`.
pub(super) fn from_device_error(i: usize, e: &DeviceError) -> Fault {
    match e {
        DeviceError::NoSuchController(ck) | DeviceError::NotAController(ck) => {
            invalid_controller(i, *ck)
        }
        DeviceError::UnitUnavailable { .. } => {
            invalid_spec(i, "virtualDeviceSpec.device.unitNumber")
        }
        // A missing device keeps the fault vcsim has always answered with.
        DeviceError::NoSuchDevice(_) => Fault::invalid_argument("deviceChange.device.key"),
        DeviceError::NotADevice(_) => Fault::invalid_argument("deviceChange.device"),
        DeviceError::DuplicateKey(_) => invalid_spec(i, "virtualDeviceSpec.device.key"),
        DeviceError::ControllerInUse(_) => invalid_spec(i, "virtualDeviceSpec.device"),
    }
}

/// The fault for a spec rule broken by change `i` (`op` is its operation).
pub(super) fn from_spec_error(i: usize, op: &str, e: &SpecError) -> Fault {
    match e {
        SpecError::DiskShrink { .. } => invalid_operation(i, op),
        // Zero or negative sizes keep the fault vcsim has always answered with.
        SpecError::InvalidCapacity(_) => {
            Fault::invalid_argument("deviceChange.device.capacityInKB")
        }
        SpecError::InvalidMac { .. } => invalid_spec(i, "virtualDeviceSpec.device.macAddress"),
        SpecError::InvalidUri(_) => invalid_backing(i),
        SpecError::WrongType { .. } | SpecError::InvalidDatastorePath(_) => {
            invalid_spec(i, "virtualDeviceSpec.device")
        }
    }
}

/// A backing the device cannot use (a serial URI ESXi cannot open, a port
/// group key no distributed switch has).
pub(super) fn invalid_backing(i: usize) -> Fault {
    Fault::new(
        "InvalidDeviceBacking",
        format!("Invalid configuration for device '{i}'."),
    )
    .with("property", "virtualDeviceSpec.device.backing")
    .with("deviceIndex", index(i))
}

/// A MAC another NIC in the inventory already has.
pub(super) fn duplicate_mac(i: usize, mac: &str) -> Fault {
    Fault::new(
        "InvalidDeviceSpec",
        format!("The MAC address '{mac}' of device '{i}' is already in use."),
    )
    .with("property", "virtualDeviceSpec.device.macAddress")
    .with("deviceIndex", index(i))
}

/// A device that cannot be added, removed or rebacked while the VM runs.
pub(super) fn hot_plug_not_supported(i: usize, label: &str) -> Fault {
    Fault::new(
        "DeviceHotPlugNotSupported",
        format!(
            "The device '{label}' (change '{i}') cannot be changed this way while the virtual \
             machine is powered on."
        ),
    )
    .with("property", "virtualDeviceSpec.device")
    .with("deviceIndex", index(i))
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn numbers_are_grouped_as_vcenter_prints_them() {
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(-202), "-202");
        assert_eq!(grouped(1234567), "1,234,567");
    }
}
