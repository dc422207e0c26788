//! Reads of the inventory, one module per kind of object: the property
//! paths each read fetches (a [`PropSet`] constant) and the JSON made of
//! them, shared by tools and resources. [`ALL`] registers every set the
//! server requests, the client's own included; a test checks each path
//! against the vim25 schema, so a misspelt path fails a test instead of
//! reading as `null`.

use crate::vsphere::PropSet;

pub mod cluster;
pub mod datacenter;
pub mod datastore;
pub mod devices;
pub mod folder;
pub mod guest;
pub mod history;
pub mod host;
pub mod monitor;
pub mod network;
pub mod ovf;
pub mod pool;
pub mod snapshot;
pub mod vm;

/// Every property set the server reads. A new `PropSet` constant goes here.
pub static ALL: &[&PropSet] = &[
    &crate::vsphere::NAME,
    &crate::vsphere::TASK_INFO,
    &vm::LIST,
    &vm::INFO,
    &vm::STATE,
    &vm::CLONE_SOURCE,
    &devices::DEVICES,
    &host::LIST,
    &host::INFO,
    &host::HARDWARE,
    &host::NETWORKING,
    &host::SERVICES,
    &host::STATE,
    &host::STATS,
    &monitor::VM_STATS,
    &monitor::RECENT_TASKS,
    &monitor::EVENT_PAGE,
    &monitor::TRIGGERED,
    &monitor::ALARM_INFO,
    &datastore::LIST,
    &datastore::BROWSER,
    &datastore::INFO,
    &datastore::PARENT,
    &datastore::BROWSER_PARENT,
    &network::LIST,
    &network::PORTGROUP,
    &network::SWITCH_UUID,
    &network::INFO,
    &cluster::LIST,
    &cluster::DETAIL,
    &folder::TREE,
    &folder::VM_PLACE,
    &folder::PARENT,
    &history::TASK_PAGE,
    &ovf::LEASE,
    &pool::OF_COMPUTE,
    &pool::INFO,
    &datacenter::PLACEMENT,
    &snapshot::TREE,
    &guest::TOOLS,
    &guest::MANAGERS,
];

const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Bytes as GB with two decimals.
fn gb(bytes: Option<i64>) -> Option<f64> {
    bytes.map(|b| (b as f64 / GB * 100.0).round() / 100.0)
}
