//! Reads of resource pools: which pool a cluster or standalone host offers
//! new VMs, and one pool's allocations and usage.

use serde_json::{Value as Json, json};

use crate::vsphere::{Obj, PropSet};

/// A compute resource's (cluster's or standalone host's) name and root pool.
pub const OF_COMPUTE: PropSet = PropSet {
    kind: "ComputeResource",
    paths: &["name", "resourcePool"],
};

/// One pool in full (`get_resource_pool_info`): CPU and memory allocation,
/// what its VMs use now, its VMs and the cluster or host that owns it.
pub const INFO: PropSet = PropSet {
    kind: "ResourcePool",
    paths: &[
        "name",
        "owner",
        "config.cpuAllocation",
        "config.memoryAllocation",
        "runtime.cpu",
        "runtime.memory",
        "vm",
    ],
};

const MB: i64 = 1024 * 1024;

/// `get_resource_pool_info`'s object. CPU is in MHz throughout; memory
/// allocations are in MB in vSphere, memory usage in bytes (shown as MB).
pub fn info_json(o: &Obj, owner: Option<&str>) -> Json {
    json!({
        "name": o.name(),
        "owner": owner,
        "cpu_reservation_mhz": o.i64("config.cpuAllocation.reservation"),
        "cpu_limit_mhz": o.i64("config.cpuAllocation.limit"),
        "cpu_expandable": o.bool("config.cpuAllocation.expandableReservation"),
        "cpu_shares": o.str("config.cpuAllocation.shares.level"),
        "cpu_usage_mhz": o.i64("runtime.cpu.overallUsage"),
        "memory_reservation_mb": o.i64("config.memoryAllocation.reservation"),
        "memory_limit_mb": o.i64("config.memoryAllocation.limit"),
        "memory_expandable": o.bool("config.memoryAllocation.expandableReservation"),
        "memory_shares": o.str("config.memoryAllocation.shares.level"),
        "memory_usage_mb": o.i64("runtime.memory.overallUsage").map(|b| b / MB),
        "vm_count": o.morefs("vm").len(),
    })
}
