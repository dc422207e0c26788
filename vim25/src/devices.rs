//! A VM's device list (`config.hardware.device`) with vSphere's rules for it.
//!
//! The server's device tools, the simulator's `ReconfigVM_Task`/`CreateVM_Task`
//! and the tests all need the same answers: which key a new device gets, which
//! unit number is free on a controller, what vCenter calls a device ("Hard disk
//! 2"), and how a controller's `device` child list follows adds and removes.
//! They live here once, over plain [`Data`] values, so that no caller derives
//! them its own way.
//!
//! The rules, as vSphere applies them (checked against govmomi's
//! `object/virtual_device_list.go` and its simulator's captured device lists):
//! - keys are unique in a VM; a spec names a new device with a negative
//!   temporary key and the server assigns a positive one;
//! - a SCSI controller has units 0..=15 except its own `scsiCtlrUnitNumber`
//!   (7); an IDE controller is one channel with units 0 and 1; SATA (AHCI)
//!   has 0..=29; NVMe 0..=14; NICs sit on the PCI controller from unit 7;
//!   the SIO controller numbers serial ports (0..=3), parallel ports (0..=2)
//!   and floppy drives (0..=1) separately;
//! - labels are numbered per kind in device order ("Hard disk 1", "Hard disk
//!   2", …), controllers by bus number ("SCSI controller 1").

mod check;
mod labels;
mod units;

use crate::schema::schema;
use crate::value::{Data, Value};

pub use labels::label;
pub use units::ControllerKind;
use units::sio_class;

/// Why a change to a [`DeviceList`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("device key {0} is already in use")]
    DuplicateKey(i64),
    #[error("no device has key {0}")]
    NoSuchDevice(i64),
    #[error("no controller has key {0}")]
    NoSuchController(i64),
    #[error("device {0} is not a controller")]
    NotAController(i64),
    #[error("{0} is not a virtual device type")]
    NotADevice(String),
    #[error("unit {unit} on controller {controller} is in use, reserved or out of range")]
    UnitUnavailable { controller: i64, unit: i64 },
    #[error("controller {0} still has devices attached")]
    ControllerInUse(i64),
}

fn is(type_name: &str, base: &str) -> bool {
    schema().is_subtype(type_name, base)
}

fn int(d: &Data, field: &str) -> Option<i64> {
    d.get(field).and_then(Value::as_i64)
}

/// A device's key (0, which vSphere never uses, when it has none).
pub fn key_of(d: &Data) -> i64 {
    int(d, "key").unwrap_or(0)
}

/// The first key vCenter-like servers hand out for a new device of a type;
/// these are the ranges the simulator has always used.
pub fn key_base(type_name: &str) -> i64 {
    if is(type_name, "VirtualDisk") {
        2000
    } else if is(type_name, "VirtualEthernetCard") {
        4000
    } else if is(type_name, "VirtualCdrom") {
        3000
    } else if is(type_name, "VirtualSCSIController") {
        1000
    } else if is(type_name, "VirtualController") {
        200
    } else {
        9000
    }
}

/// A VM's devices in their order in `config.hardware.device`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceList {
    devices: Vec<Data>,
}

impl From<Vec<Data>> for DeviceList {
    fn from(devices: Vec<Data>) -> Self {
        DeviceList { devices }
    }
}

impl DeviceList {
    pub fn new(devices: Vec<Data>) -> Self {
        DeviceList { devices }
    }

    /// The devices in a `config.hardware.device` value; entries that are not
    /// data objects are skipped.
    pub fn from_value(v: &Value) -> Self {
        DeviceList {
            devices: v
                .as_array()
                .iter()
                .filter_map(Value::as_data)
                .cloned()
                .collect(),
        }
    }

    /// The list as a `VirtualDevice[]` value.
    pub fn to_value(&self) -> Value {
        Value::array(self.devices.iter().cloned().map(Value::data).collect())
    }

    pub fn into_vec(self) -> Vec<Data> {
        self.devices
    }

    pub fn as_slice(&self) -> &[Data] {
        &self.devices
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Data> {
        self.devices.iter()
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    pub fn by_key(&self, key: i64) -> Option<&Data> {
        self.devices.iter().find(|d| key_of(d) == key)
    }

    /// The device vCenter shows as `label` (`deviceInfo.label`).
    pub fn by_label(&self, label: &str) -> Option<&Data> {
        self.devices
            .iter()
            .find(|d| d.path("deviceInfo.label").and_then(Value::as_str) == Some(label))
    }

    /// Devices of `type_name` or a subtype, in list order.
    pub fn of_type(&self, type_name: &str) -> Vec<&Data> {
        self.devices
            .iter()
            .filter(|d| is(&d.type_name, type_name))
            .collect()
    }

    pub fn disks(&self) -> Vec<&Data> {
        self.of_type("VirtualDisk")
    }

    pub fn nics(&self) -> Vec<&Data> {
        self.of_type("VirtualEthernetCard")
    }

    pub fn cdroms(&self) -> Vec<&Data> {
        self.of_type("VirtualCdrom")
    }

    pub fn serial_ports(&self) -> Vec<&Data> {
        self.of_type("VirtualSerialPort")
    }

    pub fn controllers(&self) -> Vec<&Data> {
        self.of_type("VirtualController")
    }

    /// Controllers of one kind, in list order.
    pub fn controllers_of(&self, kind: ControllerKind) -> Vec<&Data> {
        self.devices
            .iter()
            .filter(|d| ControllerKind::of(&d.type_name) == Some(kind))
            .collect()
    }

    /// A negative key for a device added in a spec: below every key in the
    /// list (temporary keys added earlier included), so it never collides.
    pub fn temp_key(&self) -> i64 {
        self.devices.iter().map(key_of).min().unwrap_or(0).min(0) - 1
    }

    /// The key the server gives a new device of `type_name`: the lowest free
    /// key at or above the type's base ([`key_base`]).
    pub fn assigned_key(&self, type_name: &str) -> i64 {
        let mut k = key_base(type_name);
        while self.by_key(k).is_some() {
            k += 1;
        }
        k
    }

    /// The lowest free unit on a controller for a generic device; `None` when
    /// the controller is full, unknown or not a controller.
    pub fn free_unit(&self, controller_key: i64) -> Option<i64> {
        self.free_unit_for(controller_key, "VirtualDevice")
    }

    /// The lowest free unit on a controller for a device of `type_name`
    /// (NICs start at 7 on PCI; SIO numbers each device class on its own).
    pub fn free_unit_for(&self, controller_key: i64, type_name: &str) -> Option<i64> {
        let controller = self.by_key(controller_key)?;
        let kind = ControllerKind::of(&controller.type_name)?;
        kind.units_for(type_name)
            .find(|u| self.unit_available(controller, kind, *u, type_name, None))
    }

    /// Whether `unit` on `controller` can take a device of `type_name`;
    /// `ignore` is a device key not to count (the device being moved).
    fn unit_available(
        &self,
        controller: &Data,
        kind: ControllerKind,
        unit: i64,
        type_name: &str,
        ignore: Option<i64>,
    ) -> bool {
        if !kind.units_for(type_name).contains(&unit) {
            return false;
        }
        if kind == ControllerKind::Scsi
            && unit == int(controller, "scsiCtlrUnitNumber").unwrap_or(7)
        {
            return false;
        }
        let ck = key_of(controller);
        !self.devices.iter().any(|d| {
            Some(key_of(d)) != ignore
                && int(d, "controllerKey") == Some(ck)
                && int(d, "unitNumber") == Some(unit)
                && (kind != ControllerKind::Sio || sio_class(&d.type_name) == sio_class(type_name))
        })
    }

    /// The first controller of one of `kinds` (tried in that order, then in
    /// list order) with a free unit for `type_name`: `(controller key, unit)`.
    pub fn slot_on(&self, kinds: &[ControllerKind], type_name: &str) -> Option<(i64, i64)> {
        kinds.iter().find_map(|kind| {
            self.controllers_of(*kind).into_iter().find_map(|c| {
                let ck = key_of(c);
                self.free_unit_for(ck, type_name).map(|u| (ck, u))
            })
        })
    }

    /// Where a new disk goes: SCSI first, then SATA, NVMe, IDE.
    pub fn disk_slot(&self) -> Option<(i64, i64)> {
        use ControllerKind::{Ide, Nvme, Sata, Scsi};
        self.slot_on(&[Scsi, Sata, Nvme, Ide], "VirtualDisk")
    }

    /// Where a new CD/DVD drive goes: IDE first, then SATA.
    pub fn cdrom_slot(&self) -> Option<(i64, i64)> {
        use ControllerKind::{Ide, Sata};
        self.slot_on(&[Ide, Sata], "VirtualCdrom")
    }

    /// Where a new NIC goes: the first PCI controller, from unit 7.
    pub fn nic_slot(&self) -> Option<(i64, i64)> {
        self.slot_on(&[ControllerKind::Pci], "VirtualEthernetCard")
    }

    /// Where a new serial port goes: the SIO controller, units 0..=3.
    pub fn serial_slot(&self) -> Option<(i64, i64)> {
        self.slot_on(&[ControllerKind::Sio], "VirtualSerialPort")
    }

    /// Gives every device the label vCenter shows for it, numbered in list order.
    pub fn relabel(&mut self) {
        labels::relabel(&mut self.devices);
    }

    /// The label a new device of `type_name` appended to the list would get
    /// (a new controller takes the next free bus number of its kind).
    pub fn label_for_new(&self, type_name: &str) -> Option<String> {
        labels::label_for_new(&self.devices, type_name)
    }

    /// Adds a device at the end of the list, registers it in its controller's
    /// `device` list and relabels. Refused: a key in use, an unknown or
    /// non-controller `controllerKey`, a unit taken, reserved or out of range.
    pub fn add(&mut self, device: Data) -> Result<i64, DeviceError> {
        let key = self.add_unlabelled(device)?;
        self.relabel();
        Ok(key)
    }

    /// [`DeviceList::add`] without the relabelling, for building a whole list
    /// at once (then [`DeviceList::relabel`] once): labels depend on the whole
    /// list, keys and units do not.
    pub fn add_unlabelled(&mut self, device: Data) -> Result<i64, DeviceError> {
        if !is(&device.type_name, "VirtualDevice") {
            return Err(DeviceError::NotADevice(device.type_name.to_string()));
        }
        let key = key_of(&device);
        if self.by_key(key).is_some() {
            return Err(DeviceError::DuplicateKey(key));
        }
        self.check_slot(&device, None)?;
        let parent = int(&device, "controllerKey");
        self.devices.push(device);
        if let Some(ck) = parent {
            self.attach(ck, key);
        }
        Ok(key)
    }

    /// Removes a device and its key from every controller's `device` list.
    /// A controller with devices still attached cannot go.
    pub fn remove(&mut self, key: i64) -> Result<Data, DeviceError> {
        let i = self.position(key)?;
        if self
            .devices
            .iter()
            .any(|d| int(d, "controllerKey") == Some(key))
        {
            return Err(DeviceError::ControllerInUse(key));
        }
        let removed = self.devices.remove(i);
        self.detach(key);
        self.relabel();
        Ok(removed)
    }

    /// Replaces the device with `device`'s key, moving it between controllers'
    /// `device` lists if its controller changed; returns the old device.
    pub fn replace(&mut self, device: Data) -> Result<Data, DeviceError> {
        if !is(&device.type_name, "VirtualDevice") {
            return Err(DeviceError::NotADevice(device.type_name.to_string()));
        }
        let key = key_of(&device);
        let i = self.position(key)?;
        self.check_slot(&device, Some(key))?;
        let (old_parent, new_parent) = (
            int(&self.devices[i], "controllerKey"),
            int(&device, "controllerKey"),
        );
        // A controller keeps its own child list across a replace.
        let mut device = device;
        if is(&device.type_name, "VirtualController")
            && let Some(children) = self.devices[i].get("device").cloned()
        {
            device.set("device", children);
        }
        let old = std::mem::replace(&mut self.devices[i], device);
        if old_parent != new_parent {
            self.detach(key);
            if let Some(ck) = new_parent {
                self.attach(ck, key);
            }
        }
        self.relabel();
        Ok(old)
    }

    fn position(&self, key: i64) -> Result<usize, DeviceError> {
        self.devices
            .iter()
            .position(|d| key_of(d) == key)
            .ok_or(DeviceError::NoSuchDevice(key))
    }

    /// Checks `device`'s controller and unit; `ignore` is its own key when it
    /// replaces itself.
    fn check_slot(&self, device: &Data, ignore: Option<i64>) -> Result<(), DeviceError> {
        let Some(ck) = int(device, "controllerKey") else {
            return Ok(());
        };
        let controller = self.by_key(ck).ok_or(DeviceError::NoSuchController(ck))?;
        if !is(&controller.type_name, "VirtualController") {
            return Err(DeviceError::NotAController(ck));
        }
        let (Some(kind), Some(unit)) = (
            ControllerKind::of(&controller.type_name),
            int(device, "unitNumber"),
        ) else {
            return Ok(());
        };
        if self.unit_available(controller, kind, unit, &device.type_name, ignore) {
            Ok(())
        } else {
            Err(DeviceError::UnitUnavailable {
                controller: ck,
                unit,
            })
        }
    }

    fn attach(&mut self, controller_key: i64, key: i64) {
        if let Some(c) = self
            .devices
            .iter_mut()
            .find(|d| key_of(d) == controller_key)
        {
            let mut children = c
                .get("device")
                .map(|v| v.as_array().to_vec())
                .unwrap_or_default();
            if !children.iter().any(|k| k.as_i64() == Some(key)) {
                children.push(Value::Int(key));
            }
            c.set("device", Value::array(children));
        }
    }

    fn detach(&mut self, key: i64) {
        for c in self
            .devices
            .iter_mut()
            .filter(|d| is(&d.type_name, "VirtualController"))
        {
            if let Some(children) = c.get("device").map(|v| v.as_array().to_vec()) {
                let kept: Vec<Value> = children
                    .into_iter()
                    .filter(|k| k.as_i64() != Some(key))
                    .collect();
                c.set("device", Value::array(kept));
            }
        }
    }
}
