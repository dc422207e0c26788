//! [`DeviceList::inconsistency`]: the rules a device list must keep whatever
//! changes it went through. Property tests of the device model (here and in
//! the simulator) check them after every step.

use std::collections::HashSet;

use super::{ControllerKind, DeviceList, key_of};
use crate::schema::schema;
use crate::value::{Data, Value};

fn int(d: &Data, f: &str) -> Option<i64> {
    d.get(f).and_then(Value::as_i64)
}

fn is(d: &Data, base: &str) -> bool {
    schema().is_subtype(&d.type_name, base)
}

fn children(c: &Data) -> Vec<i64> {
    c.get("device")
        .map(|v| v.as_array().iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

impl DeviceList {
    /// The first broken rule, if any: keys unique; every device's controller
    /// exists, is a controller and lists it, and every listed child points
    /// back; units within the controller's range, SCSI unit 7 free, no unit
    /// used twice (serial ports and others apart on SIO); disks, NICs, CD/DVD
    /// drives and serial ports labelled 1, 2, … in list order.
    pub fn inconsistency(&self) -> Option<String> {
        let keys: Vec<i64> = self.iter().map(key_of).collect();
        if keys.iter().collect::<HashSet<_>>().len() != keys.len() {
            return Some(format!("duplicate keys {keys:?}"));
        }
        let mut units = HashSet::new();
        for d in self.iter() {
            let Some(ck) = int(d, "controllerKey") else {
                continue;
            };
            let key = key_of(d);
            let Some(c) = self.by_key(ck) else {
                return Some(format!("{key} on missing controller {ck}"));
            };
            if !is(c, "VirtualController") {
                return Some(format!("{key} on {ck}, which is not a controller"));
            }
            if !children(c).contains(&key) {
                return Some(format!("controller {ck} does not list {key}"));
            }
            let unit = int(d, "unitNumber").unwrap_or(-1);
            if let Some(kind) = ControllerKind::of(&c.type_name)
                && !kind.units_for(&d.type_name).contains(&unit)
            {
                return Some(format!("unit {unit} out of range on {ck}"));
            }
            if is(c, "VirtualSCSIController") && unit == 7 {
                return Some(format!("{key} took SCSI unit 7 on {ck}"));
            }
            // The SIO controller numbers serial ports apart from other classes.
            let class = if is(c, "VirtualSIOController") {
                d.type_name.to_string()
            } else {
                String::new()
            };
            if !units.insert((ck, class, unit)) {
                return Some(format!("unit {unit} on {ck} used twice"));
            }
        }
        for c in self.iter().filter(|d| is(d, "VirtualController")) {
            for child in children(c) {
                match self.by_key(child) {
                    None => return Some(format!("{} lists missing {child}", key_of(c))),
                    Some(d) if int(d, "controllerKey") != Some(key_of(c)) => {
                        return Some(format!("{} lists {child}, which is elsewhere", key_of(c)));
                    }
                    Some(_) => {}
                }
            }
        }
        for (base, prefix) in [
            ("VirtualDisk", "Hard disk"),
            ("VirtualEthernetCard", "Network adapter"),
            ("VirtualCdrom", "CD/DVD drive"),
            ("VirtualSerialPort", "Serial port"),
        ] {
            let labels: Vec<&str> = self
                .of_type(base)
                .iter()
                .map(|d| {
                    d.path("deviceInfo.label")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                })
                .collect();
            let expected: Vec<String> = (1..=labels.len())
                .map(|n| format!("{prefix} {n}"))
                .collect();
            if labels != expected {
                return Some(format!("{base} labels {labels:?}, expected {expected:?}"));
            }
        }
        None
    }
}
