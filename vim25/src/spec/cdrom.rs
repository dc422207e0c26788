//! CD/DVD drives: insert and eject ISO images, connect, add and remove.

use super::{
    Operation, SpecError, check_datastore_path, connect_info, device_change, expect_type,
    set_connection,
};
use crate::value::{Data, Value};

fn iso_backing(iso: &str) -> Result<Data, SpecError> {
    check_datastore_path(iso)?;
    Ok(Data::new("VirtualCdromIsoBackingInfo").with("fileName", iso))
}

/// What vCenter sets for "Client Device": no media, passthrough to the client.
fn empty_cdrom_backing() -> Data {
    Data::new("VirtualCdromRemotePassthroughBackingInfo")
        .with("deviceName", "")
        .with("useAutoDetect", false)
        .with("exclusive", false)
}

/// Inserts the ISO image at `iso` (`"[ds] path/file.iso"`) into `cdrom`, connected.
pub fn cdrom_set_iso(cdrom: &Data, iso: &str) -> Result<Data, SpecError> {
    expect_type(cdrom, "VirtualCdrom")?;
    let mut device = cdrom.clone().with("backing", iso_backing(iso)?);
    set_connection(&mut device, Some(true), Some(true));
    Ok(device_change(Operation::Edit, None, device))
}

/// Ejects the media: the drive becomes a disconnected client device.
pub fn cdrom_empty(cdrom: &Data) -> Result<Data, SpecError> {
    expect_type(cdrom, "VirtualCdrom")?;
    let mut device = cdrom.clone().with("backing", empty_cdrom_backing());
    set_connection(&mut device, Some(false), Some(false));
    Ok(device_change(Operation::Edit, None, device))
}

/// Connects or disconnects `cdrom` now and at power-on.
pub fn cdrom_connect(cdrom: &Data, connected: bool) -> Result<Data, SpecError> {
    expect_type(cdrom, "VirtualCdrom")?;
    let mut device = cdrom.clone();
    set_connection(&mut device, Some(connected), Some(connected));
    Ok(device_change(Operation::Edit, None, device))
}

/// Adds a CD/DVD drive on an IDE or SATA controller, with an ISO or empty.
pub fn cdrom_add(
    key: i64,
    controller_key: i64,
    unit: i64,
    iso: Option<&str>,
) -> Result<Data, SpecError> {
    let backing = match iso {
        Some(path) => iso_backing(path)?,
        None => empty_cdrom_backing(),
    };
    let device = Data::new("VirtualCdrom")
        .with("key", key)
        .with("backing", backing)
        .with("connectable", connect_info(iso.is_some(), false))
        .with("controllerKey", controller_key)
        .with("unitNumber", unit);
    Ok(device_change(Operation::Add, None, device))
}

/// Adds a CD/DVD drive, with an ISO or empty, leaving the controller and
/// unit to vSphere (its IDE controller first, as vCenter places one).
pub fn cdrom_add_unplaced(key: i64, iso: Option<&str>) -> Result<Data, SpecError> {
    let mut change = cdrom_add(key, 0, 0, iso)?;
    if let Some(d) = change.get_mut("device").and_then(Value::data_mut) {
        d.remove("controllerKey");
        d.remove("unitNumber");
    }
    Ok(change)
}

pub fn cdrom_remove(cdrom: &Data) -> Result<Data, SpecError> {
    expect_type(cdrom, "VirtualCdrom")?;
    Ok(device_change(Operation::Remove, None, cdrom.clone()))
}
