//! serial_port: setup_serial_port, get_serial_port, connect_serial_port,
//! clear_serial_port, remove_serial_port. "The" serial port is the VM's
//! first one backed by the network (`VirtualSerialPortURIBackingInfo`):
//! `telnet://:9042` makes the VM listen on port 9042 of its ESXi host.
//! Adding, removing or rebacking a serial port needs the VM powered off
//! (vSphere cannot hot-plug one); connecting and disconnecting do not.

use serde_json::json;
use vim25::spec::{self, Direction, SerialUri, serial_uri_of};
use vim25::{Data, Value};

use super::devices::{VmDevices, read, reconfigure, spec_error};
use super::params::VM_NAME;
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::views::devices::{connected, label, serial_json};
use crate::vsphere::NAME;

tool_args! {
    pub struct SetupArgs {
        name: name, VM_NAME;
        protocol: string = "telnet", "telnet or tcp.";
        port: opt_int, "TCP port (1-65535) on the ESXi host; default: the port the VM's serial port already uses, else one derived from the VM's id (9000-9999).";
        direction: string = "server", "server: the VM listens on the port; client: the VM connects out to the port on its host.";
        yield_on_poll: bool = true, "Let the virtual CPU yield while the guest polls the port (saves host CPU).";
    }
}

tool_args! {
    pub struct NameArg {
        name: name, VM_NAME;
    }
}

tool_args! {
    pub struct ConnectArgs {
        name: name, VM_NAME;
        connected: bool = true, "true connects the serial port, false disconnects it.";
    }
}

const PROTOCOLS: &[&str] = &["telnet", "tcp"];

const POWER_OFF_VM0: (&str, &str) = ("power_off", r#"{"name":"DC0_H0_VM0"}"#);
const SETUP_VM0: (&str, &str) = ("setup_serial_port", r#"{"name":"DC0_H0_VM0","port":9001}"#);
const WITH_PORT: &[(&str, &str)] = &[POWER_OFF_VM0, SETUP_VM0];
const VM0: &str = r#"{"name":"DC0_H0_VM0"}"#;
const UNKNOWN_VM: Failure = Failure::Args {
    args: r#"{"name":"no-such-vm"}"#,
    expect: &["VM 'no-such-vm' not found"],
};
const NO_PORT: Failure = Failure::Args {
    args: VM0,
    expect: &[
        "VM 'DC0_H0_VM0' has no network serial port",
        "setup_serial_port",
    ],
};

pub static TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "setup_serial_port",
        title: "Set up serial port",
        description: "Give a VM a network-backed serial port, or update the one it has: \
            protocol telnet or tcp, a port on the ESXi host, direction server (the VM listens; \
            connect with the returned connection_string) or client. Needs the VM powered off \
            unless nothing changes. Returns vm_name, service_uri, connection_string, protocol, \
            port, direction, yield_on_poll and operation (added, updated or unchanged).",
        hints: Hints::change(false, Some(true)),
        returns: Returns::Object,
        example: Example {
            setup: &[POWER_OFF_VM0],
            args: r#"{"name":"DC0_H0_VM0","port":9001}"#,
        },
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","protocol":"ftp"}"#,
            expect: &["Unknown protocol 'ftp'", "telnet, tcp"],
        },
        run: run!(setup_serial_port, SetupArgs),
    },
    ToolDef {
        name: "get_serial_port",
        title: "Get serial port",
        description: "The VM's network serial port: configured (false when it has none), \
            label, connected, start_connected, direction, service_uri and yield_on_poll.",
        hints: Hints::READ_ONLY,
        returns: Returns::Object,
        example: Example {
            setup: WITH_PORT,
            args: VM0,
        },
        failure: UNKNOWN_VM,
        run: run!(get_serial_port, NameArg),
    },
    ToolDef {
        name: "connect_serial_port",
        title: "Connect serial port",
        description: "Connect (connected true, the default) or disconnect the VM's network \
            serial port; works while the VM runs. Returns vm_name, connected and service_uri.",
        hints: Hints::change(false, Some(true)),
        returns: Returns::Object,
        example: Example {
            setup: WITH_PORT,
            args: r#"{"name":"DC0_H0_VM0","connected":true}"#,
        },
        failure: NO_PORT,
        run: run!(connect_serial_port, ConnectArgs),
    },
    ToolDef {
        name: "clear_serial_port",
        title: "Clear serial port",
        description: "Reset the VM's serial connection by disconnecting and reconnecting the \
            network serial port (drops a stuck client session). Returns vm_name, status, \
            service_uri and message.",
        hints: Hints::change(false, Some(true)),
        returns: Returns::Object,
        example: Example {
            setup: WITH_PORT,
            args: VM0,
        },
        failure: NO_PORT,
        run: run!(clear_serial_port, NameArg),
    },
    ToolDef {
        name: "remove_serial_port",
        title: "Remove serial port",
        description: "Remove the VM's network serial port (needs the VM powered off). Nothing \
            happens if it has none. Returns a confirmation sentence.",
        hints: Hints::change(true, Some(true)),
        returns: Returns::Text,
        example: Example {
            setup: WITH_PORT,
            args: VM0,
        },
        failure: UNKNOWN_VM,
        run: run!(remove_serial_port, NameArg),
    },
];

/// The VM's first serial port with a network (URI) backing.
fn network_port(vm: &VmDevices) -> Option<&Data> {
    vm.of("VirtualSerialPort")
        .into_iter()
        .find(|p| serial_uri_of(p).is_some())
}

fn require_port(vm: &VmDevices) -> Result<&Data, ToolError> {
    network_port(vm).ok_or_else(|| {
        ToolError::new(format!(
            "VM '{}' has no network serial port; add one with setup_serial_port",
            vm.name
        ))
    })
}

/// The port of a `scheme://host:port` URI.
fn uri_port(uri: &str) -> Option<i64> {
    uri.rsplit_once(':')?.1.parse().ok()
}

/// A port for a VM without one: 9000 plus the VM id's last three digits, so
/// VMs differ and a VM keeps its port across set-ups.
fn derived_port(vm: &VmDevices) -> i64 {
    let digits: String = vm.vm.value.chars().filter(char::is_ascii_digit).collect();
    9000 + digits.parse::<i64>().unwrap_or(0) % 1000
}

fn service_uri(protocol: &str, direction: Direction, port: i64) -> String {
    match direction {
        Direction::Server => format!("{protocol}://:{port}"),
        Direction::Client => format!("{protocol}://127.0.0.1:{port}"),
    }
}

/// How a person reaches a listening port: `telnet host port` or `nc host port`.
async fn connection_string(ctx: &Ctx, vm: &VmDevices, protocol: &str, port: i64) -> String {
    let host = match &vm.host {
        Some(h) => ctx
            .client
            .properties(h, &NAME)
            .await
            .map(|o| o.name().to_string())
            .unwrap_or_else(|_| "<esxi-host>".into()),
        None => "<esxi-host>".into(),
    };
    let tool = if protocol == "telnet" { "telnet" } else { "nc" };
    format!("{tool} {host} {port}")
}

async fn setup_serial_port(ctx: Ctx, args: SetupArgs) -> Result<Output, ToolError> {
    let protocol = args.protocol.to_ascii_lowercase();
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err(ToolError::new(format!(
            "Unknown protocol '{}'; use one of: {}",
            args.protocol,
            PROTOCOLS.join(", ")
        )));
    }
    let direction = match args.direction.to_ascii_lowercase().as_str() {
        "server" => Direction::Server,
        "client" => Direction::Client,
        _ => {
            return Err(ToolError::new(format!(
                "Unknown direction '{}'; use server or client",
                args.direction
            )));
        }
    };
    if let Some(p) = args.port
        && !(1..=65535).contains(&p)
    {
        return Err(ToolError::new(format!(
            "Argument 'port' must be between 1 and 65535, got {p}"
        )));
    }
    let vm = read(&ctx, &args.name).await?;
    let existing = network_port(&vm);
    let port = args
        .port
        .or_else(|| {
            existing
                .and_then(serial_uri_of)
                .and_then(|(u, _)| uri_port(u))
        })
        .unwrap_or_else(|| derived_port(&vm));
    let uri = SerialUri {
        service_uri: service_uri(&protocol, direction, port),
        direction,
        proxy_uri: None,
    };
    let operation = match existing {
        Some(p) => {
            let same = serial_uri_of(p) == Some((uri.service_uri.as_str(), direction.as_str()))
                && p.get("yieldOnPoll").and_then(Value::as_bool) == Some(args.yield_on_poll);
            if same {
                "unchanged"
            } else {
                let change = spec::serial_edit(p, &uri, args.yield_on_poll)
                    .map_err(|e| spec_error(&vm.name, &e))?;
                reconfigure(&ctx, &vm, vec![change]).await?;
                "updated"
            }
        }
        None => {
            let change = spec::serial_add_unplaced(vm.list.temp_key(), &uri, args.yield_on_poll)
                .map_err(|e| spec_error(&vm.name, &e))?;
            reconfigure(&ctx, &vm, vec![change]).await?;
            "added"
        }
    };
    Ok(Output::Json(json!({
        "vm_name": vm.name,
        "service_uri": uri.service_uri,
        "connection_string": connection_string(&ctx, &vm, &protocol, port).await,
        "protocol": protocol,
        "port": port,
        "direction": direction.as_str(),
        "yield_on_poll": args.yield_on_poll,
        "operation": operation,
    })))
}

async fn get_serial_port(ctx: Ctx, args: NameArg) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.name).await?;
    Ok(Output::Json(match network_port(&vm) {
        Some(p) => serial_json(p),
        None => json!({
            "configured": false,
            "label": null,
            "connected": false,
            "start_connected": false,
            "direction": null,
            "service_uri": null,
            "yield_on_poll": null,
        }),
    }))
}

/// Sets the port's connection (now and at power-on) in one reconfigure.
async fn set_connected(ctx: &Ctx, vm: &VmDevices, port: &Data, on: bool) -> Result<(), ToolError> {
    let change = spec::serial_connect(port, on).map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(ctx, vm, vec![change]).await
}

fn uri_of(port: &Data) -> Option<String> {
    serial_uri_of(port).map(|(u, _)| u.to_string())
}

async fn connect_serial_port(ctx: Ctx, args: ConnectArgs) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.name).await?;
    let port = require_port(&vm)?;
    set_connected(&ctx, &vm, port, args.connected).await?;
    Ok(Output::Json(json!({
        "vm_name": vm.name,
        "connected": args.connected,
        "service_uri": uri_of(port),
    })))
}

async fn clear_serial_port(ctx: Ctx, args: NameArg) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.name).await?;
    let port = require_port(&vm)?.clone();
    let was = connected(&port);
    set_connected(&ctx, &vm, &port, false).await?;
    // The second change starts from the port as vSphere now reports it.
    let after = read(&ctx, &vm.name).await?;
    let current = after
        .list
        .by_label(label(&port))
        .cloned()
        .unwrap_or(port.clone());
    set_connected(&ctx, &after, &current, true).await?;
    Ok(Output::Json(json!({
        "vm_name": vm.name,
        "status": "cleared",
        "service_uri": uri_of(&port),
        "message": format!(
            "Serial port '{}' of VM '{}' was disconnected and connected again (before: {})",
            label(&port),
            vm.name,
            if was { "connected" } else { "disconnected" }
        ),
    })))
}

async fn remove_serial_port(ctx: Ctx, args: NameArg) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.name).await?;
    let Some(port) = network_port(&vm) else {
        return Ok(Output::Text(format!(
            "VM '{}' has no network serial port; nothing to remove",
            vm.name
        )));
    };
    let uri = uri_of(port).unwrap_or_default();
    let change = spec::serial_remove(port).map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(&ctx, &vm, vec![change]).await?;
    Ok(Output::Text(format!(
        "Serial port '{}' ({uri}) removed from VM '{}'",
        label(port),
        vm.name
    )))
}
