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
