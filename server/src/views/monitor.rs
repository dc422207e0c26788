//! Reads for the monitoring tools: a VM's quick statistics, the task
//! manager's recent tasks, a history collector's latest page, and the alarms
//! triggered on inventory objects.

use crate::vsphere::PropSet;

/// `get_vm_stats`: power state, quick statistics and storage use.
pub const VM_STATS: PropSet = PropSet {
    kind: "VirtualMachine",
    paths: &[
        "name",
        "runtime.powerState",
        "runtime.bootTime",
        "summary.quickStats",
        "summary.storage",
        "config.hardware.memoryMB",
    ],
};

/// `TaskManager.recentTask` (`get_recent_tasks`).
pub const RECENT_TASKS: PropSet = PropSet {
    kind: "TaskManager",
    paths: &["recentTask"],
};

/// An event collector's newest page (`get_recent_events`).
pub const EVENT_PAGE: PropSet = PropSet {
    kind: "EventHistoryCollector",
    paths: &["latestPage"],
};

/// The alarms triggered on an entity (`get_alarms`).
pub const TRIGGERED: PropSet = PropSet {
    kind: "ManagedEntity",
    paths: &["name", "triggeredAlarmState"],
};

/// An alarm's name and description.
pub const ALARM_INFO: PropSet = PropSet {
    kind: "Alarm",
    paths: &["info.name", "info.description"],
};
