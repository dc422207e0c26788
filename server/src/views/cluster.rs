//! Reads of clusters: the `esxi://clusters` listing.

use serde_json::{Value as Json, json};

use super::gb;
use crate::vsphere::{Obj, PropSet};

/// The inventory listing.
pub const LIST: PropSet = PropSet {
    kind: "ClusterComputeResource",
    paths: &["name", "summary", "configurationEx", "host"],
};

pub fn list_json(o: &Obj) -> Json {
    json!({
        "name": o.name(),
        "hosts": o.morefs("host").len(),
        "cpu_cores": o.i64("summary.numCpuCores"),
        "memory_gb": gb(o.i64("summary.totalMemory")),
        "drs_enabled": o.bool("configurationEx.drsConfig.enabled"),
        "drs_behavior": o.str("configurationEx.drsConfig.defaultVmBehavior"),
        "ha_enabled": o.bool("configurationEx.dasConfig.enabled"),
    })
}
