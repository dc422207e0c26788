//! Reads of resource pools: which pool a cluster or standalone host offers
//! new VMs.

use crate::vsphere::PropSet;

/// A compute resource's (cluster's or standalone host's) name and root pool.
pub const OF_COMPUTE: PropSet = PropSet {
    kind: "ComputeResource",
    paths: &["name", "resourcePool"],
};
