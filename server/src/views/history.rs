//! Reads of history collectors: their latest page (newest first).

use crate::vsphere::PropSet;

/// An event collector's newest `pageSize` events: the same read the
/// monitoring tools make.
pub use super::monitor::EVENT_PAGE;

/// A task collector's newest `pageSize` tasks.
pub const TASK_PAGE: PropSet = PropSet {
    kind: "TaskHistoryCollector",
    paths: &["latestPage"],
};
