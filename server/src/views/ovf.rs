//! Reads of OVF leases.

use crate::vsphere::PropSet;

/// What waiting on an `HttpNfcLease` reads: its state, why it failed, and
/// its URLs and entity once ready.
pub const LEASE: PropSet = PropSet {
    kind: "HttpNfcLease",
    paths: &["state", "error", "info"],
};
