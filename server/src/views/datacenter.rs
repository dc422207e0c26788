//! Reads of datacenters: where new VMs are placed.

use crate::vsphere::PropSet;

/// A datacenter's name, folders and datastores.
pub const PLACEMENT: PropSet = PropSet {
    kind: "Datacenter",
    paths: &["name", "vmFolder", "hostFolder", "datastore"],
};
