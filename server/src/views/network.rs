//! Reads of networks: the `esxi://networks` listing, and what a NIC backing
//! on a distributed port group needs (the port group's key and its switch's
//! UUID).

use serde_json::{Value as Json, json};

use crate::vsphere::{Obj, PropSet};

/// The inventory listing (standard networks and port groups alike).
pub const LIST: PropSet = PropSet {
    kind: "Network",
    paths: &["name", "summary"],
};

/// A distributed port group's key and switch.
pub const PORTGROUP: PropSet = PropSet {
    kind: "DistributedVirtualPortgroup",
    paths: &["key", "config.distributedVirtualSwitch"],
};

/// A distributed switch's UUID.
pub const SWITCH_UUID: PropSet = PropSet {
    kind: "DistributedVirtualSwitch",
    paths: &["uuid"],
};

/// One network in full (`get_network_info`): the VMs and hosts attached.
pub const INFO: PropSet = PropSet {
    kind: "Network",
    paths: &["name", "summary.accessible", "vm", "host"],
};

/// `get_network_info`'s object, with the names of its VMs and hosts.
pub fn info_json(o: &Obj, vms: &[String], hosts: &[String]) -> Json {
    json!({
        "name": o.name(),
        "type": o.moref.kind.as_str(),
        "accessible": o.bool("summary.accessible"),
        "vm_count": vms.len(),
        "host_count": hosts.len(),
        "vms": vms,
        "hosts": hosts,
    })
}

pub fn list_json(o: &Obj) -> Json {
    json!({
        "name": o.name(),
        "type": o.moref.kind.as_str(),
        "accessible": o.bool("summary.accessible"),
    })
}
