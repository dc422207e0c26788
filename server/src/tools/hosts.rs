//! host_management, the reads: get_host_info, get_host_hardware,
//! get_host_networking. Each is one lookup read of the host. The family's
//! table is here; services and NTP are [`super::host_services`], maintenance
//! and power [`super::host_power`].

use serde_json::{Value as Json, json};
use vim25::Value;

use super::host::{HOST_NAME_OPT, find_host};
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::views::host::{self, HARDWARE, INFO, NETWORKING};
use crate::vsphere::Obj;

tool_args! {
    /// The arguments of a host tool that takes only the optional host.
    pub struct HostArgs {
        host_name: opt_name, HOST_NAME_OPT;
    }
}

/// What every host tool's failure case shows: an unknown host, with the valid names.
pub(super) const NO_HOST: Failure = Failure::Args {
    args: r#"{"host_name":"no-such-host"}"#,
    expect: &["Host 'no-such-host' not found", "DC0_H0"],
};

pub const GET_HOST_INFO: ToolDef = ToolDef {
    name: "get_host_info",
    title: "Get ESXi host information",
    description: "One ESXi host: name, uuid, product (name, full_name, vendor, version, build, \
        api_version), hardware summary (vendor, model, CPU model, packages, cores, threads, MHz, \
        memory_gb, NICs), status (connection_state, power_state, maintenance_mode, \
        overall_status, boot_time, uptime_seconds) and management_ip (vmk0's address). Acts on \
        host_name, or the first host when it is omitted.",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args("{}"),
    failure: NO_HOST,
    run: run!(get_host_info, HostArgs),
};

pub const GET_HOST_HARDWARE: ToolDef = ToolDef {
    name: "get_host_hardware",
    title: "Get ESXi host hardware",
    description: "The host's hardware: system (vendor, model, serial_number), uuid, bios \
        (vendor, version, release_date, firmware_type), cpu (model, packages, cores, threads, \
        mhz, and each package), memory (total_bytes, total_gb), pci_devices (id, vendor, \
        device, class_id) and network_adapters (the physical NICs: device, mac, driver, \
        speed_mb, duplex, pci). Acts on host_name, or the first host when it is omitted.",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args(r#"{"host_name":"DC0_C0_H0"}"#),
    failure: NO_HOST,
    run: run!(get_host_hardware, HostArgs),
};

pub const GET_HOST_NETWORKING: ToolDef = ToolDef {
    name: "get_host_networking",
    title: "Get ESXi host networking",
    description: "The host's network configuration: vswitches (name, ports, MTU, uplinks), \
        portgroups (name, vlan_id, vswitch), vmkernel_adapters (device, portgroup, ip, \
        subnet_mask, mac, mtu, dhcp), dns (host_name, domain_name, servers, search_domains, \
        dhcp) and default_gateway. Acts on host_name, or the first host when it is omitted.",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args("{}"),
    failure: NO_HOST,
    run: run!(get_host_networking, HostArgs),
};

/// The host_management family: these reads, services and NTP, maintenance and power.
pub static TOOLS: &[ToolDef] = &[
    GET_HOST_INFO,
    GET_HOST_HARDWARE,
    GET_HOST_NETWORKING,
    super::host_services::LIST_SERVICES,
    super::host_services::START_SERVICE,
    super::host_services::STOP_SERVICE,
    super::host_services::SET_SERVICE_POLICY,
    super::host_services::GET_NTP_CONFIG,
    super::host_services::CONFIGURE_NTP,
    super::host_power::ENTER_MAINTENANCE_MODE,
    super::host_power::EXIT_MAINTENANCE_MODE,
    super::host_power::REBOOT_HOST,
    super::host_power::SHUTDOWN_HOST,
];

async fn get_host_info(ctx: Ctx, args: HostArgs) -> Result<Output, ToolError> {
    let o = find_host(&ctx, args.host_name.as_deref(), &INFO).await?;
    Ok(Output::Json(host::info_json(&o)))
}

fn list<'a>(o: &'a Obj, path: &str) -> &'a [Value] {
    o.get(path).map(Value::as_array).unwrap_or_default()
}

fn s(v: &Value, path: &str) -> Json {
    json!(v.path(path).and_then(Value::as_str))
}

fn i(v: &Value, path: &str) -> Json {
    json!(v.path(path).and_then(Value::as_i64))
}

async fn get_host_hardware(ctx: Ctx, args: HostArgs) -> Result<Output, ToolError> {
    let o = find_host(&ctx, args.host_name.as_deref(), &HARDWARE).await?;
    let hw = |p: &str| o.get(&format!("hardware.{p}"));
    let hws = |p: &str| hw(p).and_then(Value::as_str);
    let hwi = |p: &str| hw(p).and_then(Value::as_i64);
    let packages: Vec<Json> = list(&o, "hardware.cpuPkg")
        .iter()
        .map(|p| {
            json!({
                "index": i(p, "index"),
                "vendor": s(p, "vendor"),
                "description": s(p, "description"),
                "mhz": p.path("hz").and_then(Value::as_i64).map(|hz| hz / 1_000_000),
                "threads": p.path("threadId").map(|t| t.as_array().len()),
            })
        })
        .collect();
    let pci: Vec<Json> = list(&o, "hardware.pciDevice")
        .iter()
        .map(|d| {
            json!({
                "id": s(d, "id"),
                "vendor": s(d, "vendorName"),
                "device": s(d, "deviceName"),
                "class_id": i(d, "classId"),
                "vendor_id": i(d, "vendorId"),
                "device_id": i(d, "deviceId"),
            })
        })
        .collect();
    let nics: Vec<Json> = list(&o, "config.network.pnic")
        .iter()
        .map(|n| {
            json!({
                "device": s(n, "device"),
                "mac": s(n, "mac"),
                "driver": s(n, "driver"),
                "pci": s(n, "pci"),
                "speed_mb": i(n, "linkSpeed.speedMb"),
                "duplex": n.path("linkSpeed.duplex").and_then(Value::as_bool),
            })
        })
        .collect();
    let memory = hwi("memorySize");
    Ok(Output::Json(json!({
        "host": o.name(),
        "uuid": hws("systemInfo.uuid"),
        "system": {
            "vendor": hws("systemInfo.vendor"),
            "model": hws("systemInfo.model"),
            "serial_number": hws("systemInfo.serialNumber"),
        },
        "bios": {
            "vendor": hws("biosInfo.vendor"),
            "version": hws("biosInfo.biosVersion"),
            "release_date": hws("biosInfo.releaseDate"),
            "firmware_type": hws("biosInfo.firmwareType"),
        },
        "cpu": {
            "model": packages.first().and_then(|p| p["description"].as_str().map(str::to_string)),
            "packages": hwi("cpuInfo.numCpuPackages"),
            "cores": hwi("cpuInfo.numCpuCores"),
            "threads": hwi("cpuInfo.numCpuThreads"),
            "mhz": hwi("cpuInfo.hz").map(|hz| hz / 1_000_000),
            "package_details": packages,
        },
        "memory": {
            "total_bytes": memory,
            "total_gb": memory.map(|b| (b as f64 / (1u64 << 30) as f64 * 100.0).round() / 100.0),
        },
        "pci_devices": pci,
        "network_adapters": nics,
    })))
}

async fn get_host_networking(ctx: Ctx, args: HostArgs) -> Result<Output, ToolError> {
    let o = find_host(&ctx, args.host_name.as_deref(), &NETWORKING).await?;
    let switches: Vec<Json> = list(&o, "config.network.vswitch")
        .iter()
        .map(|v| {
            let uplinks: Vec<String> = v
                .path("pnic")
                .map(|p| p.strings())
                .unwrap_or_default()
                .into_iter()
                .map(|k| k.rsplit('-').next().unwrap_or(&k).to_string())
                .collect();
            json!({
                "name": s(v, "name"),
                "num_ports": i(v, "numPorts"),
                "ports_available": i(v, "numPortsAvailable"),
                "mtu": i(v, "mtu"),
                "uplinks": uplinks,
            })
        })
        .collect();
    let groups: Vec<Json> = list(&o, "config.network.portgroup")
        .iter()
        .map(|g| {
            json!({
                "name": s(g, "spec.name"),
                "vlan_id": i(g, "spec.vlanId"),
                "vswitch": s(g, "spec.vswitchName"),
            })
        })
        .collect();
    let vmks: Vec<Json> = list(&o, "config.network.vnic")
        .iter()
        .map(|n| {
            json!({
                "device": s(n, "device"),
                "portgroup": s(n, "portgroup"),
                "ip": s(n, "spec.ip.ipAddress"),
                "subnet_mask": s(n, "spec.ip.subnetMask"),
                "dhcp": n.path("spec.ip.dhcp").and_then(Value::as_bool),
                "mac": s(n, "spec.mac"),
                "mtu": i(n, "spec.mtu"),
            })
        })
        .collect();
    let dns = |p: &str| o.get(&format!("config.network.dnsConfig.{p}"));
    let strings = |p: &str| dns(p).map(Value::strings).unwrap_or_default();
    Ok(Output::Json(json!({
        "host": o.name(),
        "vswitches": switches,
        "portgroups": groups,
        "vmkernel_adapters": vmks,
        "dns": {
            "host_name": dns("hostName").and_then(Value::as_str),
            "domain_name": dns("domainName").and_then(Value::as_str),
            "servers": strings("address"),
            "search_domains": strings("searchDomain"),
            "dhcp": dns("dhcp").and_then(Value::as_bool),
        },
        "default_gateway": o.str("config.network.ipRouteConfig.defaultGateway"),
    })))
}
