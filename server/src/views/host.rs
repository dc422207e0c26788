//! Reads of ESXi hosts: the `esxi://hosts` listing.

use serde_json::{Value as Json, json};

use super::gb;
use crate::vsphere::{Obj, PropSet};

/// The inventory listing.
pub const LIST: PropSet = PropSet {
    kind: "HostSystem",
    paths: &["name", "runtime", "summary.hardware"],
};

pub fn list_json(o: &Obj) -> Json {
    json!({
        "name": o.name(),
        "connection_state": o.str("runtime.connectionState"),
        "power_state": o.str("runtime.powerState"),
        "maintenance_mode": o.bool("runtime.inMaintenanceMode"),
        "cpu_model": o.str("summary.hardware.cpuModel"),
        "cpu_cores": o.i64("summary.hardware.numCpuCores"),
        "memory_gb": gb(o.i64("summary.hardware.memorySize")),
    })
}

/// `get_host_info`: product, hardware summary, state, the management NIC.
pub const INFO: PropSet = PropSet {
    kind: "HostSystem",
    paths: &[
        "name",
        "summary.hardware",
        "summary.overallStatus",
        "summary.quickStats.uptime",
        "config.product",
        "runtime",
        "config.network.vnic",
    ],
};

/// `get_host_hardware`: the full `hardware` and the physical NICs.
pub const HARDWARE: PropSet = PropSet {
    kind: "HostSystem",
    paths: &["name", "hardware", "config.network.pnic"],
};

/// `get_host_networking`: the host's whole network configuration.
pub const NETWORKING: PropSet = PropSet {
    kind: "HostSystem",
    paths: &["name", "config.network"],
};

/// The host's services and date/time settings with the managers that change them.
pub const SERVICES: PropSet = PropSet {
    kind: "HostSystem",
    paths: &[
        "name",
        "config.service",
        "config.dateTimeInfo",
        "configManager.serviceSystem",
        "configManager.dateTimeSystem",
    ],
};

/// Connection, power and maintenance state (the host task tools' checks).
pub const STATE: PropSet = PropSet {
    kind: "HostSystem",
    paths: &["name", "runtime", "parent", "vm"],
};

/// `get_host_stats` and `list_hosts`: summary, CPU details and the VMs.
pub const STATS: PropSet = PropSet {
    kind: "HostSystem",
    paths: &["name", "summary", "hardware.cpuInfo", "vm"],
};

/// Seconds as `3d 4h 5m` (days, hours, minutes; seconds under a minute).
pub fn human_duration(secs: Option<i64>) -> Option<String> {
    let s = secs?.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    Some(if d > 0 {
        format!("{d}d {h}h {m}m")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {}s", s % 60)
    } else {
        format!("{s}s")
    })
}

/// The management IP: vmk0's (the first VMkernel NIC's) address.
fn management_ip(o: &Obj) -> Option<String> {
    o.get("config.network.vnic")?
        .as_array()
        .iter()
        .find_map(|v| v.path("spec.ip.ipAddress").and_then(|ip| ip.as_str()))
        .filter(|ip| !ip.is_empty())
        .map(str::to_string)
}

pub fn info_json(o: &Obj) -> Json {
    let hw = |f: &str| o.get(&format!("summary.hardware.{f}"));
    let s = |p: &str| o.str(p);
    json!({
        "name": o.name(),
        "uuid": hw("uuid").and_then(|v| v.as_str()),
        "product": {
            "name": s("config.product.name"),
            "full_name": s("config.product.fullName"),
            "vendor": s("config.product.vendor"),
            "version": s("config.product.version"),
            "build": s("config.product.build"),
            "api_version": s("config.product.apiVersion"),
        },
        "hardware": {
            "vendor": hw("vendor").and_then(|v| v.as_str()),
            "model": hw("model").and_then(|v| v.as_str()),
            "cpu_model": hw("cpuModel").and_then(|v| v.as_str()),
            "cpu_packages": hw("numCpuPkgs").and_then(|v| v.as_i64()),
            "cpu_cores": hw("numCpuCores").and_then(|v| v.as_i64()),
            "cpu_threads": hw("numCpuThreads").and_then(|v| v.as_i64()),
            "cpu_mhz": hw("cpuMhz").and_then(|v| v.as_i64()),
            "memory_gb": gb(hw("memorySize").and_then(|v| v.as_i64())),
            "nics": hw("numNics").and_then(|v| v.as_i64()),
        },
        "status": {
            "connection_state": s("runtime.connectionState"),
            "power_state": s("runtime.powerState"),
            "maintenance_mode": o.bool("runtime.inMaintenanceMode"),
            "overall_status": s("summary.overallStatus"),
            "boot_time": s("runtime.bootTime"),
            "uptime_seconds": o.i64("summary.quickStats.uptime"),
        },
        "management_ip": management_ip(o),
    })
}
