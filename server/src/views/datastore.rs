//! Reads of datastores: the `esxi://datastores` listing and the browser a
//! datastore's contents are searched through.

use serde_json::{Value as Json, json};

use super::gb;
use crate::vsphere::{Obj, PropSet};

const KIND: &str = "Datastore";

/// The inventory listing.
pub const LIST: PropSet = PropSet {
    kind: KIND,
    paths: &["name", "summary"],
};

/// The datastore's `HostDatastoreBrowser`.
pub const BROWSER: PropSet = PropSet {
    kind: KIND,
    paths: &["browser"],
};

pub fn list_json(o: &Obj) -> Json {
    json!({
        "name": o.name(),
        "type": o.str("summary.type"),
        "capacity_gb": gb(o.i64("summary.capacity")),
        "free_gb": gb(o.i64("summary.freeSpace")),
        "accessible": o.bool("summary.accessible"),
    })
}

/// What the file tools need of a datastore: its browser and its parent
/// (to find the datacenter the file methods are scoped to).
pub const BROWSER_PARENT: PropSet = PropSet {
    kind: KIND,
    paths: &["name", "browser", "parent"],
};

/// One datastore in full (`get_datastore_info`): its summary, the VMs whose
/// files it holds and the hosts that mount it.
pub const INFO: PropSet = PropSet {
    kind: KIND,
    paths: &["name", "summary", "vm", "host"],
};

/// Where a datastore sits: its parent folder, followed up to the datacenter
/// the `/folder` door names in `dcPath`.
pub const PARENT: PropSet = PropSet {
    kind: "ManagedEntity",
    paths: &["name", "parent"],
};

/// `get_datastore_info`'s object; `vms` are the names of the VMs with files here.
pub fn info_json(o: &Obj, vms: &[String]) -> Json {
    let capacity = o.i64("summary.capacity");
    let free = o.i64("summary.freeSpace");
    let used = capacity.zip(free).map(|(c, f)| c - f);
    let used_percent = capacity
        .zip(used)
        .filter(|(c, _)| *c > 0)
        .map(|(c, u)| (u as f64 / c as f64 * 1000.0).round() / 10.0);
    json!({
        "name": o.name(),
        "type": o.str("summary.type"),
        "capacity_gb": gb(capacity),
        "free_gb": gb(free),
        "used_gb": gb(used),
        "used_percent": used_percent,
        "uncommitted_gb": gb(o.i64("summary.uncommitted")),
        "accessible": o.bool("summary.accessible"),
        "maintenance_mode": o.str("summary.maintenanceMode"),
        "url": o.str("summary.url"),
        "host_count": o.morefs("host").len(),
        "vm_count": vms.len(),
        "vms": vms,
    })
}
