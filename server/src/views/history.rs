//! Reads of history collectors: their latest page (newest first).

use crate::vsphere::PropSet;

/// An event collector's newest `pageSize` events.
pub const EVENT_PAGE: PropSet = PropSet {
    kind: "EventHistoryCollector",
    paths: &["latestPage"],
};

/// A task collector's newest `pageSize` tasks.
pub const TASK_PAGE: PropSet = PropSet {
    kind: "TaskHistoryCollector",
    paths: &["latestPage"],
};
