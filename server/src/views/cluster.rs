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

/// What `list_clusters` and `get_drs_recommendations` read.
pub const DETAIL: PropSet = PropSet {
    kind: "ClusterComputeResource",
    paths: &[
        "name",
        "host",
        "summary",
        "configurationEx",
        "recommendation",
    ],
};

/// MB as GB with two decimals.
fn mb_gb(mb: Option<i64>) -> Option<f64> {
    mb.map(|m| (m as f64 / 1024.0 * 100.0).round() / 100.0)
}

/// One cluster as `list_clusters` shows it: totals from `summary` (total
/// memory in bytes, effective memory in MB, as vSphere reports them) and
/// the DRS and HA settings from `configurationEx`.
pub fn detail_json(o: &Obj) -> Json {
    let drs = "configurationEx.drsConfig";
    let das = "configurationEx.dasConfig";
    json!({
        "name": o.name(),
        "host_count": o.morefs("host").len(),
        "effective_host_count": o.i64("summary.numEffectiveHosts"),
        "cpu_cores": o.i64("summary.numCpuCores"),
        "total_cpu_mhz": o.i64("summary.totalCpu"),
        "total_memory_gb": gb(o.i64("summary.totalMemory")),
        "effective_cpu_mhz": o.i64("summary.effectiveCpu"),
        "effective_memory_gb": mb_gb(o.i64("summary.effectiveMemory")),
        "drs": {
            "enabled": o.bool(&format!("{drs}.enabled")).unwrap_or(false),
            "behavior": o.str(&format!("{drs}.defaultVmBehavior")),
            "vmotion_rate": o.i64(&format!("{drs}.vmotionRate")),
        },
        "ha": {
            "enabled": o.bool(&format!("{das}.enabled")).unwrap_or(false),
            "admission_control": o.bool(&format!("{das}.admissionControlEnabled")),
            "host_monitoring": o.str(&format!("{das}.hostMonitoring")),
        },
        "recommendation_count": o.get("recommendation").map(|v| v.as_array().len()).unwrap_or(0),
    })
}
