//! Reads of folders: the tree the folder tools walk, read in one round trip.

use crate::vsphere::PropSet;

/// Every folder with what its paths and child counts are made of.
pub const TREE: PropSet = PropSet {
    kind: "Folder",
    paths: &["name", "parent", "childType", "childEntity"],
};

/// Where a VM sits: its folder and the VM's own placement facts.
pub const VM_PLACE: PropSet = PropSet {
    kind: "VirtualMachine",
    paths: &[
        "name",
        "parent",
        "resourcePool",
        "runtime.host",
        "runtime.powerState",
        "config.template",
        "datastore",
        "config.files.vmPathName",
    ],
};

/// The parent of a host (its compute resource) or of anything else.
pub const PARENT: PropSet = PropSet {
    kind: "ManagedEntity",
    paths: &["parent"],
};
