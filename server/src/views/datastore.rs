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
