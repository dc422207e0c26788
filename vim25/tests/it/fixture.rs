//! A device list shaped like a new VM's on a real vCenter (keys, buses and
//! units as govmomi's captures show them), with one controller of each
//! storage kind added.

use vim25::Data;

pub(crate) fn controller(type_name: &str, key: i64, bus: i64) -> Data {
    Data::new(type_name)
        .with("key", key)
        .with("busNumber", bus)
        .with("device", Vec::<i64>::new())
}

pub(crate) fn scsi(key: i64, bus: i64) -> Data {
    controller("VirtualLsiLogicController", key, bus)
        .with("sharedBus", "noSharing")
        .with("scsiCtlrUnitNumber", 7)
}

pub(crate) fn on(d: Data, controller_key: i64, unit: i64) -> Data {
    d.with("controllerKey", controller_key)
        .with("unitNumber", unit)
}

pub(crate) fn disk(key: i64, controller_key: i64, unit: i64) -> Data {
    on(
        Data::new("VirtualDisk")
            .with("key", key)
            .with("capacityInKB", 1024_i64),
        controller_key,
        unit,
    )
}

/// PCI 100, IDE 200/201, PS2 300, SIO 400, video 500, keyboard 600, mouse
/// 700, VMCI 12000, SCSI 1000 (bus 0), SATA 15000, NVMe 31000. Child lists
/// are those of the devices present; the storage controllers sit on PCI.
pub(crate) fn new_vm() -> Vec<Data> {
    vec![
        controller("VirtualPCIController", 100, 0)
            .with("device", vec![500_i64, 12000, 1000, 15000, 31000]),
        controller("VirtualIDEController", 200, 0),
        controller("VirtualIDEController", 201, 1),
        controller("VirtualPS2Controller", 300, 0).with("device", vec![600_i64, 700]),
        controller("VirtualSIOController", 400, 0),
        on(Data::new("VirtualKeyboard").with("key", 600), 300, 0),
        on(Data::new("VirtualPointingDevice").with("key", 700), 300, 1),
        on(
            Data::new("VirtualMachineVideoCard").with("key", 500),
            100,
            0,
        ),
        on(
            Data::new("VirtualMachineVMCIDevice").with("key", 12000),
            100,
            17,
        ),
        on(scsi(1000, 0), 100, 3),
        on(controller("VirtualAHCIController", 15000, 0), 100, 24),
        on(controller("VirtualNVMEController", 31000, 0), 100, 25),
    ]
}
