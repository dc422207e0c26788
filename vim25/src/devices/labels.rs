//! Device labels as vCenter shows them in `deviceInfo.label`.
//!
//! Checked against device lists captured from real vCenters (govmomi's
//! `simulator/esx/virtual_device.go` and `vim25/types/testdata/vminfo.json`):
//! removable and storage devices are numbered per kind from 1 in device order,
//! controllers by their bus number, and the built-ins have fixed labels, some
//! with the trailing space vCenter puts there ("Video card ").

use crate::schema::schema;
use crate::value::{Data, Value};

/// How a type's label is formed.
#[derive(Clone, Copy)]
enum Rule {
    /// `"{prefix} {n}"`, n counting devices of the same rule from 1 in list order.
    Numbered(&'static str),
    /// `"{prefix}{busNumber}"`.
    Bus(&'static str),
    Fixed(&'static str),
}

/// Most specific type first: the first row whose type `type_name` is a
/// subtype of decides.
const RULES: &[(&str, Rule)] = &[
    ("VirtualDisk", Rule::Numbered("Hard disk")),
    ("VirtualEthernetCard", Rule::Numbered("Network adapter")),
    ("VirtualCdrom", Rule::Numbered("CD/DVD drive")),
    ("VirtualSerialPort", Rule::Numbered("Serial port")),
    ("VirtualParallelPort", Rule::Numbered("Parallel port")),
    ("VirtualFloppy", Rule::Numbered("Floppy drive")),
    ("VirtualSCSIController", Rule::Bus("SCSI controller ")),
    ("VirtualIDEController", Rule::Bus("IDE ")),
    ("VirtualSATAController", Rule::Bus("SATA controller ")),
    ("VirtualNVMEController", Rule::Bus("NVME controller ")),
    ("VirtualPCIController", Rule::Bus("PCI controller ")),
    ("VirtualSIOController", Rule::Bus("SIO controller ")),
    ("VirtualPS2Controller", Rule::Bus("PS2 controller ")),
    (
        "VirtualUSBXHCIController",
        Rule::Fixed("USB xHCI controller "),
    ),
    ("VirtualUSBController", Rule::Fixed("USB controller ")),
    ("VirtualMachineVideoCard", Rule::Fixed("Video card ")),
    ("VirtualMachineVMCIDevice", Rule::Fixed("VMCI device")),
    ("VirtualKeyboard", Rule::Fixed("Keyboard")),
    ("VirtualPointingDevice", Rule::Fixed("Pointing device")),
];

fn rule(type_name: &str) -> Option<(usize, Rule)> {
    let s = schema();
    RULES
        .iter()
        .enumerate()
        .find(|(_, (base, _))| s.is_subtype(type_name, base))
        .map(|(i, (_, r))| (i, *r))
}

/// The label of a device of `type_name` that is the `n`th of its kind in the
/// list (from 1) or, for a controller, sits on bus `n`. `None` for types
/// vCenter labels in ways not modelled here (their label is left alone).
pub fn label(type_name: &str, n: i64) -> Option<String> {
    Some(text_of(rule(type_name)?.1, n))
}

fn text_of(r: Rule, n: i64) -> String {
    match r {
        Rule::Numbered(prefix) => format!("{prefix} {n}"),
        Rule::Bus(prefix) => format!("{prefix}{n}"),
        Rule::Fixed(text) => text.to_string(),
    }
}

fn bus(d: &Data) -> i64 {
    d.get("busNumber").and_then(Value::as_i64).unwrap_or(0)
}

/// Sets every known device's `deviceInfo.label`; a summary is kept, or made
/// equal to the label when the device had no `deviceInfo` (both are required).
pub(super) fn relabel(devices: &mut [Data]) {
    let mut counts = vec![0_i64; RULES.len()];
    for d in devices.iter_mut() {
        let Some((row, r)) = rule(&d.type_name) else {
            continue;
        };
        let n = match r {
            Rule::Numbered(_) => {
                counts[row] += 1;
                counts[row]
            }
            Rule::Bus(_) => bus(d),
            Rule::Fixed(_) => 0,
        };
        set_label(d, text_of(r, n));
    }
}

fn set_label(d: &mut Data, text: String) {
    // Relabelling runs on every change to a device list; a label that is
    // already right is left alone (no copy, and a shared node stays shared).
    if d.path("deviceInfo.label").and_then(Value::as_str) == Some(text.as_str())
        && d.path("deviceInfo.summary").is_some()
    {
        return;
    }
    let mut info = d
        .get("deviceInfo")
        .and_then(Value::as_data)
        .cloned()
        .unwrap_or_else(|| Data::new("Description"));
    if info.get("summary").is_none() {
        info.set("summary", text.as_str());
    }
    info.set("label", text);
    d.set("deviceInfo", info);
}

/// The label a device of `type_name` appended to `devices` would get.
pub(super) fn label_for_new(devices: &[Data], type_name: &str) -> Option<String> {
    let (row, r) = rule(type_name)?;
    let same = || {
        devices
            .iter()
            .filter(move |d| rule(&d.type_name).is_some_and(|(i, _)| i == row))
    };
    let n = match r {
        Rule::Numbered(_) => same().count() as i64 + 1,
        Rule::Bus(_) => {
            let used: Vec<i64> = same().map(bus).collect();
            (0..).find(|b| !used.contains(b)).unwrap_or(0)
        }
        Rule::Fixed(_) => 0,
    };
    label(type_name, n)
}
