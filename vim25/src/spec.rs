//! Builders for `VirtualDeviceConfigSpec`: the device changes a client sends in
//! `ReconfigVM_Task` (and `CreateVM_Task`) to add, edit or remove disks, NICs,
//! CD/DVD drives and serial ports.
//!
//! Each builder returns the spec as a schema-correct [`Data`] (field names and
//! types as in `data/vim25-types.txt`, every required field present), so the
//! server sends exactly what a vSphere client sends and the simulator's tests
//! build the same thing. Edits start from the device as the VM reports it,
//! since vSphere expects the whole device in an `edit`, not a patch. Where
//! vSphere would refuse a request (shrinking a disk, a MAC outside the manual
//! range) the builder refuses it first with a [`SpecError`].

mod cdrom;
mod mac;
mod serial;

use crate::schema::schema;
use crate::value::{Data, MoRef, Value};

pub use cdrom::{
    cdrom_add, cdrom_add_unplaced, cdrom_connect, cdrom_empty, cdrom_remove, cdrom_set_iso,
};
pub use mac::{check_manual_mac, generated_mac};
pub use serial::{
    Direction, SerialUri, serial_add, serial_add_unplaced, serial_connect, serial_edit,
    serial_remove, serial_uri_of,
};

/// Why a spec was not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("a disk cannot shrink: it has {current_kb} KB, {requested_kb} KB was requested")]
    DiskShrink { current_kb: i64, requested_kb: i64 },
    #[error("disk capacity must be positive and below 2^53 bytes, got {0} KB")]
    InvalidCapacity(i64),
    #[error("invalid MAC address {mac}: {reason}")]
    InvalidMac { mac: String, reason: String },
    #[error("{found} is not a {expected}")]
    WrongType { expected: String, found: String },
    #[error("{0:?} is not a datastore path like \"[datastore1] dir/file.iso\"")]
    InvalidDatastorePath(String),
    #[error("{0:?} is not a serial port URI like \"telnet://:9001\" or \"tcp://host:port\"")]
    InvalidUri(String),
}

/// `VirtualDeviceConfigSpec.operation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Add,
    Edit,
    Remove,
}

/// `VirtualDeviceConfigSpec.fileOperation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileOperation {
    Create,
    Destroy,
}

/// A device change of `operation` on `device`.
pub fn device_change(op: Operation, file_op: Option<FileOperation>, device: Data) -> Data {
    let op = match op {
        Operation::Add => "add",
        Operation::Edit => "edit",
        Operation::Remove => "remove",
    };
    Data::new("VirtualDeviceConfigSpec")
        .with("operation", op)
        .with_opt(
            "fileOperation",
            file_op.map(|f| match f {
                FileOperation::Create => "create",
                FileOperation::Destroy => "destroy",
            }),
        )
        .with("device", device)
}

/// A `VirtualMachineConfigSpec` carrying only these device changes.
pub fn config_spec(changes: Vec<Data>) -> Data {
    Data::new("VirtualMachineConfigSpec").with("deviceChange", changes)
}

fn expect_type(d: &Data, base: &str) -> Result<(), SpecError> {
    if schema().is_subtype(&d.type_name, base) {
        Ok(())
    } else {
        Err(SpecError::WrongType {
            expected: base.to_string(),
            found: d.type_name.to_string(),
        })
    }
}

/// `[datastore] path`: a bracketed, non-empty datastore name.
fn check_datastore_path(path: &str) -> Result<(), SpecError> {
    let ok = path
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .is_some_and(|(ds, _)| !ds.trim().is_empty());
    if ok {
        Ok(())
    } else {
        Err(SpecError::InvalidDatastorePath(path.to_string()))
    }
}

fn connect_info(start_connected: bool, connected: bool) -> Data {
    Data::new("VirtualDeviceConnectInfo")
        .with("startConnected", start_connected)
        .with("allowGuestControl", true)
        .with("connected", connected)
}

/// Largest capacity whose byte count the API's `long` and JSON clients hold exactly.
const MAX_CAPACITY_KB: i64 = (1 << 53) / 1024;

fn check_capacity(kb: i64) -> Result<(), SpecError> {
    if kb > 0 && kb <= MAX_CAPACITY_KB {
        Ok(())
    } else {
        Err(SpecError::InvalidCapacity(kb))
    }
}

// ---- disks ----

/// How a new disk's blocks are allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provisioning {
    Thin,
    /// Thick, lazily zeroed.
    Thick,
    EagerZeroedThick,
}

/// A disk to add. `file_name` is `None` (vSphere names it in the VM's
/// folder on the VM's datastore), `"[ds]"` (named by vSphere on that
/// datastore) or a full path `"[ds] vm/vm_1.vmdk"`.
#[derive(Clone, Debug)]
pub struct NewDisk {
    pub key: i64,
    pub controller_key: i64,
    pub unit: i64,
    pub capacity_kb: i64,
    pub provisioning: Provisioning,
    /// A `VirtualDiskMode` value, `persistent` for ordinary disks.
    pub disk_mode: String,
    pub file_name: Option<String>,
    pub datastore: Option<MoRef>,
}

/// Adds a new disk and creates its file.
pub fn disk_add(disk: &NewDisk) -> Result<Data, SpecError> {
    check_capacity(disk.capacity_kb)?;
    if let Some(f) = &disk.file_name {
        check_datastore_path(f)?;
    }
    if !schema()
        .get("VirtualDiskMode")
        .is_some_and(|t| t.enum_values.contains(&disk.disk_mode))
    {
        return Err(SpecError::WrongType {
            expected: "VirtualDiskMode".into(),
            found: disk.disk_mode.clone(),
        });
    }
    let (thin, eager) = match disk.provisioning {
        Provisioning::Thin => (true, false),
        Provisioning::Thick => (false, false),
        Provisioning::EagerZeroedThick => (false, true),
    };
    let backing = Data::new("VirtualDiskFlatVer2BackingInfo")
        .with("fileName", disk.file_name.clone().unwrap_or_default())
        .with_opt("datastore", disk.datastore.clone())
        .with("diskMode", disk.disk_mode.as_str())
        .with("thinProvisioned", thin)
        .with("eagerlyScrub", eager);
    let device = Data::new("VirtualDisk")
        .with("key", disk.key)
        .with("backing", backing)
        .with("controllerKey", disk.controller_key)
        .with("unitNumber", disk.unit)
        .with("capacityInKB", disk.capacity_kb)
        .with("capacityInBytes", disk.capacity_kb * 1024);
    Ok(device_change(
        Operation::Add,
        Some(FileOperation::Create),
        device,
    ))
}

/// Adds a SCSI controller of `type_name` (`ParaVirtualSCSIController`,
/// `VirtualLsiLogicController`, …) on `bus`, its bus not shared; vSphere
/// puts the controller itself on unit 7 of its bus.
pub fn scsi_controller_add(key: i64, type_name: &str, bus: i64) -> Result<Data, SpecError> {
    let device = Data::new(type_name)
        .with("key", key)
        .with("busNumber", bus)
        .with("sharedBus", "noSharing");
    expect_type(&device, "VirtualSCSIController")?;
    Ok(device_change(Operation::Add, None, device))
}

/// Grows `disk` (as the VM reports it) to `new_kb`. vSphere cannot shrink a
/// disk, so a smaller size is refused; the same size is a harmless no-op edit.
pub fn disk_extend(disk: &Data, new_kb: i64) -> Result<Data, SpecError> {
    expect_type(disk, "VirtualDisk")?;
    check_capacity(new_kb)?;
    let current_kb = disk
        .get("capacityInKB")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if new_kb < current_kb {
        return Err(SpecError::DiskShrink {
            current_kb,
            requested_kb: new_kb,
        });
    }
    let device = disk
        .clone()
        .with("capacityInKB", new_kb)
        .with("capacityInBytes", new_kb * 1024);
    Ok(device_change(Operation::Edit, None, device))
}

/// Detaches `disk`; with `destroy_file` its backing file is deleted too.
pub fn disk_remove(disk: &Data, destroy_file: bool) -> Result<Data, SpecError> {
    expect_type(disk, "VirtualDisk")?;
    let file_op = destroy_file.then_some(FileOperation::Destroy);
    Ok(device_change(Operation::Remove, file_op, disk.clone()))
}

// ---- NICs ----

/// The vSphere type for a NIC model name as users write it (`vmxnet3`).
pub fn nic_type(model: &str) -> Option<&'static str> {
    Some(match model.to_ascii_lowercase().as_str() {
        "vmxnet3" => "VirtualVmxnet3",
        "vmxnet2" => "VirtualVmxnet2",
        "vmxnet" => "VirtualVmxnet",
        "e1000" => "VirtualE1000",
        "e1000e" => "VirtualE1000e",
        "pcnet32" => "VirtualPCNet32",
        "sriov" => "VirtualSriovEthernetCard",
        _ => return None,
    })
}

/// What a NIC is connected to.
#[derive(Clone, Debug, PartialEq)]
pub enum NicBacking {
    /// A standard port group, by name and (optionally) its `Network` object.
    Standard {
        network_name: String,
        network: Option<MoRef>,
    },
    /// A distributed port group on the switch with `switch_uuid`.
    Distributed {
        switch_uuid: String,
        portgroup_key: String,
    },
}

impl NicBacking {
    pub fn to_data(&self) -> Data {
        match self {
            NicBacking::Standard {
                network_name,
                network,
            } => Data::new("VirtualEthernetCardNetworkBackingInfo")
                .with("deviceName", network_name.as_str())
                .with("useAutoDetect", false)
                .with_opt("network", network.clone()),
            NicBacking::Distributed {
                switch_uuid,
                portgroup_key,
            } => Data::new("VirtualEthernetCardDistributedVirtualPortBackingInfo").with(
                "port",
                Data::new("DistributedVirtualSwitchPortConnection")
                    .with("switchUuid", switch_uuid.as_str())
                    .with("portgroupKey", portgroup_key.as_str()),
            ),
        }
    }
}

/// How a NIC gets its MAC.
#[derive(Clone, Debug, PartialEq)]
pub enum Mac {
    /// vSphere assigns one.
    Generated,
    /// A static MAC in VMware's manual range.
    Manual(String),
}

fn set_mac(nic: &mut Data, mac: &Mac) -> Result<(), SpecError> {
    match mac {
        Mac::Generated => {
            nic.set("addressType", "generated");
            nic.remove("macAddress");
        }
        Mac::Manual(m) => {
            nic.set("addressType", "manual");
            nic.set("macAddress", check_manual_mac(m)?);
        }
    }
    Ok(())
}

/// A NIC to add.
#[derive(Clone, Debug)]
pub struct NewNic {
    pub key: i64,
    /// The device type (`VirtualVmxnet3`); see [`nic_type`].
    pub type_name: String,
    pub backing: NicBacking,
    pub mac: Mac,
    pub start_connected: bool,
    pub connected: bool,
}

/// Adds a NIC. The controller and unit are left to vSphere, as its clients do.
pub fn nic_add(nic: &NewNic) -> Result<Data, SpecError> {
    let mut device = Data::new(&nic.type_name);
    expect_type(&device, "VirtualEthernetCard")?;
    device.set("key", nic.key);
    device.set("backing", nic.backing.to_data());
    device.set(
        "connectable",
        connect_info(nic.start_connected, nic.connected),
    );
    set_mac(&mut device, &nic.mac)?;
    device.set("wakeOnLanEnabled", true);
    Ok(device_change(Operation::Add, None, device))
}

/// Changes to an existing NIC; `None` keeps what it has.
#[derive(Clone, Debug, Default)]
pub struct NicEdit {
    pub backing: Option<NicBacking>,
    pub connected: Option<bool>,
    pub start_connected: Option<bool>,
    pub mac: Option<Mac>,
}

/// Edits `nic` (as the VM reports it).
pub fn nic_edit(nic: &Data, edit: &NicEdit) -> Result<Data, SpecError> {
    expect_type(nic, "VirtualEthernetCard")?;
    let mut device = nic.clone();
    if let Some(b) = &edit.backing {
        device.set("backing", b.to_data());
    }
    set_connection(&mut device, edit.start_connected, edit.connected);
    if let Some(m) = &edit.mac {
        set_mac(&mut device, m)?;
    }
    Ok(device_change(Operation::Edit, None, device))
}

pub fn nic_remove(nic: &Data) -> Result<Data, SpecError> {
    expect_type(nic, "VirtualEthernetCard")?;
    Ok(device_change(Operation::Remove, None, nic.clone()))
}

/// Applies connection changes, keeping the device's other connect settings.
fn set_connection(device: &mut Data, start_connected: Option<bool>, connected: Option<bool>) {
    if start_connected.is_none() && connected.is_none() {
        return;
    }
    let current = device.get("connectable").and_then(Value::as_data);
    let flag = |name: &str| current.and_then(|c| c.get(name)).and_then(Value::as_bool);
    let mut info = current
        .cloned()
        .unwrap_or_else(|| connect_info(false, false));
    info.set(
        "startConnected",
        start_connected.or(flag("startConnected")).unwrap_or(false),
    );
    info.set(
        "connected",
        connected.or(flag("connected")).unwrap_or(false),
    );
    if info.get("allowGuestControl").is_none() {
        info.set("allowGuestControl", true);
    }
    device.set("connectable", info);
}
