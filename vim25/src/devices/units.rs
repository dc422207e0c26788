//! Unit-number rules per controller kind (sources in the `devices` module docs).

use std::ops::RangeInclusive;

use super::is;
use crate::schema::schema;

/// The controller families whose unit-number rules differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControllerKind {
    Scsi,
    Ide,
    Sata,
    Nvme,
    Pci,
    Sio,
    Ps2,
}

impl ControllerKind {
    /// The kind of a controller type (`VirtualLsiLogicController` → `Scsi`);
    /// `None` for non-controllers and for controllers without unit rules here (USB).
    pub fn of(type_name: &str) -> Option<Self> {
        let s = schema();
        [
            ("VirtualSCSIController", ControllerKind::Scsi),
            ("VirtualIDEController", ControllerKind::Ide),
            ("VirtualSATAController", ControllerKind::Sata),
            ("VirtualNVMEController", ControllerKind::Nvme),
            ("VirtualPCIController", ControllerKind::Pci),
            ("VirtualSIOController", ControllerKind::Sio),
            ("VirtualPS2Controller", ControllerKind::Ps2),
        ]
        .into_iter()
        .find(|(base, _)| s.is_subtype(type_name, base))
        .map(|(_, k)| k)
    }

    /// Unit numbers a device of `type_name` may take on this kind of controller.
    /// Reserved units inside the range (SCSI's own unit) are the list's business.
    pub fn units_for(self, type_name: &str) -> RangeInclusive<i64> {
        match self {
            ControllerKind::Scsi => 0..=15,
            // IDE: master and slave on each channel; PS/2: keyboard and mouse.
            ControllerKind::Ide | ControllerKind::Ps2 => 0..=1,
            // 15 namespaces per controller up to hardware version 20; newer
            // hardware allows more, which this model does not claim.
            ControllerKind::Nvme => 0..=14,
            // Units below 7 hold the built-in video card and friends; vCenter
            // places NICs from 7 (govmomi's AssignController offset).
            ControllerKind::Pci if is(type_name, "VirtualEthernetCard") => 7..=29,
            ControllerKind::Sata | ControllerKind::Pci => 0..=29,
            ControllerKind::Sio => match sio_class(type_name) {
                SioClass::Parallel => 0..=2,
                SioClass::Floppy => 0..=1,
                SioClass::Serial | SioClass::Other => 0..=3,
            },
        }
    }
}

/// The SIO controller keeps a unit space per device class: serial port 1 and
/// floppy drive 1 both sit at unit 0.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum SioClass {
    Serial,
    Parallel,
    Floppy,
    Other,
}

pub(super) fn sio_class(type_name: &str) -> SioClass {
    if is(type_name, "VirtualSerialPort") {
        SioClass::Serial
    } else if is(type_name, "VirtualParallelPort") {
        SioClass::Parallel
    } else if is(type_name, "VirtualFloppy") {
        SioClass::Floppy
    } else {
        SioClass::Other
    }
}
