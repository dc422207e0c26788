//! Serial ports backed by the network (`VirtualSerialPortURIBackingInfo`):
//! add, edit, connect and remove.

use super::{Operation, SpecError, connect_info, device_change, expect_type, set_connection};
use crate::value::{Data, Value};

/// `VirtualDeviceURIBackingOptionDirection`: who opens the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The VM listens (`telnet://:9001`).
    Server,
    /// The VM connects out.
    Client,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Server => "server",
            Direction::Client => "client",
        }
    }
}

/// A serial port over the network (`telnet://:9001`, `tcp://host:port`),
/// optionally through a virtual serial port concentrator at `proxy_uri`.
#[derive(Clone, Debug)]
pub struct SerialUri {
    pub service_uri: String,
    pub direction: Direction,
    pub proxy_uri: Option<String>,
}

/// `scheme://rest` with a non-empty scheme and rest: what ESXi can open.
fn check_uri(uri: &str) -> Result<(), SpecError> {
    match uri.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && !rest.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+') =>
        {
            Ok(())
        }
        _ => Err(SpecError::InvalidUri(uri.to_string())),
    }
}

fn uri_backing(uri: &SerialUri) -> Result<Data, SpecError> {
    check_uri(&uri.service_uri)?;
    if let Some(p) = &uri.proxy_uri {
        check_uri(p)?;
    }
    Ok(Data::new("VirtualSerialPortURIBackingInfo")
        .with("serviceURI", uri.service_uri.as_str())
        .with("direction", uri.direction.as_str())
        .with_opt("proxyURI", uri.proxy_uri.as_deref()))
}

/// Adds a serial port on the SIO controller with a URI backing. An invalid
/// URI is sent as given (the server refuses it), as the tests need.
pub fn serial_add(
    key: i64,
    controller_key: i64,
    unit: i64,
    uri: &SerialUri,
    yield_on_poll: bool,
) -> Data {
    let backing = Data::new("VirtualSerialPortURIBackingInfo")
        .with("serviceURI", uri.service_uri.as_str())
        .with("direction", uri.direction.as_str())
        .with_opt("proxyURI", uri.proxy_uri.as_deref());
    let device = Data::new("VirtualSerialPort")
        .with("key", key)
        .with("backing", backing)
        .with("connectable", connect_info(true, false))
        .with("controllerKey", controller_key)
        .with("unitNumber", unit)
        .with("yieldOnPoll", yield_on_poll);
    device_change(Operation::Add, None, device)
}

/// Adds a serial port with a checked URI backing, leaving the controller
/// and unit to vSphere (the SIO controller's first free serial unit).
pub fn serial_add_unplaced(
    key: i64,
    uri: &SerialUri,
    yield_on_poll: bool,
) -> Result<Data, SpecError> {
    let device = Data::new("VirtualSerialPort")
        .with("key", key)
        .with("backing", uri_backing(uri)?)
        .with("connectable", connect_info(true, false))
        .with("yieldOnPoll", yield_on_poll);
    Ok(device_change(Operation::Add, None, device))
}

/// Gives `port` (as the VM reports it) a new URI backing and `yieldOnPoll`.
pub fn serial_edit(port: &Data, uri: &SerialUri, yield_on_poll: bool) -> Result<Data, SpecError> {
    expect_type(port, "VirtualSerialPort")?;
    let device = port
        .clone()
        .with("backing", uri_backing(uri)?)
        .with("yieldOnPoll", yield_on_poll);
    Ok(device_change(Operation::Edit, None, device))
}

/// Connects or disconnects `port` now; `startConnected` follows, so the
/// choice survives a power cycle.
pub fn serial_connect(port: &Data, connected: bool) -> Result<Data, SpecError> {
    expect_type(port, "VirtualSerialPort")?;
    let mut device = port.clone();
    set_connection(&mut device, Some(connected), Some(connected));
    Ok(device_change(Operation::Edit, None, device))
}

pub fn serial_remove(port: &Data) -> Result<Data, SpecError> {
    expect_type(port, "VirtualSerialPort")?;
    Ok(device_change(Operation::Remove, None, port.clone()))
}

/// The URI backing of a serial port: `(serviceURI, direction)`; `None` for
/// ports backed by a file, pipe or host device.
pub fn serial_uri_of(port: &Data) -> Option<(&str, &str)> {
    let b = port.get("backing")?.as_data()?;
    if b.type_name != "VirtualSerialPortURIBackingInfo" {
        return None;
    }
    let uri = b.get("serviceURI").and_then(Value::as_str)?;
    let dir = b
        .get("direction")
        .and_then(Value::as_str)
        .unwrap_or("server");
    Some((uri, dir))
}
