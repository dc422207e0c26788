//! How far the server trusts a call to vCenter: the per-call bounds
//! ([`CallLimits`]) and which vim25 methods may be sent again after a
//! transient connection failure ([`is_read_only`]).
//!
//! The policy (also on the docs site, deployment/reliability.md):
//! - a read-only method is sent once more, after [`RETRY_PAUSE`], when the
//!   connection was refused, reset or closed before an answer;
//! - any method, state-changing ones included, is sent once more when the
//!   connection could not be made at all (refused): no byte of it left, so
//!   it is provably not done;
//! - a state-changing method that may have reached vCenter (the connection
//!   broke after sending, or no answer in time) is never sent again: the
//!   error says it may or may not have been done, so nothing runs twice.

use std::time::Duration;

use crate::error::NetError;

/// The pause before the one retry: long enough for a restarting listener
/// or a dropped keep-alive connection to be replaced, short for a person.
pub const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// Bounds on every call to vCenter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallLimits {
    /// Per SOAP call or HTTP door call, from sending to the last byte of
    /// the answer (`VCENTER_TIMEOUT`); a streamed transfer gets it as a
    /// per-read idle bound instead.
    pub timeout: Duration,
    /// To open a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Calls in flight at once, and so connections (`VCENTER_MAX_CONCURRENCY`).
    pub max_concurrency: usize,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_concurrency: 8,
        }
    }
}

/// Methods that change nothing vCenter keeps, so sending one twice is the
/// same as sending it once. Each group says why it is here.
const READ_ONLY: &[&str] = &[
    // Session-less discovery.
    "RetrieveServiceContent",
    // PropertyCollector reads (a continuation token stays valid until read
    // to its end, and a failed read did not consume it).
    "RetrieveProperties",
    "RetrievePropertiesEx",
    "ContinueRetrievePropertiesEx",
    "WaitForUpdatesEx",
    // Session-scoped helper objects: a duplicate is an unused object that
    // goes away with the session, not a change to the inventory.
    "CreateContainerView",
    "CreateCollectorForEvents",
    "CreateCollectorForTasks",
    "CreateFilter",
    // Paging through a history collector reads; a retried page after a
    // lost answer can at worst skip ahead, never change anything.
    "ReadNextEvents",
    "ReadPreviousEvents",
    "ReadNextTasks",
    "ReadPreviousTasks",
    "QueryEvents",
    // Clocks, performance counters, configuration options.
    "CurrentTime",
    "QueryDateTime",
    "QueryPerf",
    "QueryPerfCounter",
    "QueryAvailablePerfMetric",
    "QueryPerfProviderSummary",
    "QueryConfigOption",
    "QueryConfigOptionDescriptor",
    "QueryConfigTarget",
    "QueryTargetCapabilities",
    // Searches: a task is created but nothing changes.
    "FindByInventoryPath",
    "FindByUuid",
    "FindByIp",
    "FindByDnsName",
    "FindChild",
    "FindAllByUuid",
    "SearchDatastore_Task",
    "SearchDatastoreSubFolders_Task",
    // Guest reads (listing files and processes) and a one-time download URL.
    "ListFilesInGuest",
    "ListProcessesInGuest",
    "InitiateFileTransferFromGuest",
    // OVF computations: they describe, they do not import or export.
    "ParseDescriptor",
    "CreateDescriptor",
    "CreateImportSpec",
    "ValidateHost",
];

/// Session methods: sending one twice leaves at most a spare session that
/// expires on its own, and there is nothing in recent tasks to check.
const SESSION: &[&str] = &["Login", "Logout"];

/// Whether `method` may be sent again after a transient connection failure.
pub fn is_read_only(method: &str) -> bool {
    READ_ONLY.contains(&method)
}

/// Whether a failed `method` could have changed something a person should
/// check (so its error says "it may or may not have been done").
pub(crate) fn changes_state(method: &str) -> bool {
    !is_read_only(method) && !SESSION.contains(&method)
}

/// Whether a call of `method` that failed with `e` is sent once more.
pub(crate) fn retry_after(method: &str, e: &NetError) -> bool {
    e.is_transient() && (!changes_state(method) || !e.maybe_sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::NetKind;

    fn net(kind: NetKind, maybe_sent: bool) -> NetError {
        NetError {
            host: "vc:443".into(),
            kind,
            maybe_sent,
            unsure_method: None,
        }
    }

    #[test]
    fn reads_retry_on_transient_failures_only() {
        assert!(retry_after(
            "RetrievePropertiesEx",
            &net(NetKind::Closed, true)
        ));
        assert!(retry_after(
            "RetrievePropertiesEx",
            &net(NetKind::Reset, true)
        ));
        assert!(!retry_after(
            "RetrievePropertiesEx",
            &net(NetKind::Timeout(30), true)
        ));
        assert!(!retry_after(
            "RetrievePropertiesEx",
            &net(NetKind::NotResolved, false)
        ));
    }

    #[test]
    fn state_changes_retry_only_when_nothing_was_sent() {
        assert!(!retry_after("PowerOnVM_Task", &net(NetKind::Closed, true)));
        assert!(!retry_after("PowerOnVM_Task", &net(NetKind::Reset, true)));
        assert!(retry_after("PowerOnVM_Task", &net(NetKind::Refused, false)));
        assert!(!is_read_only("Login"));
        assert!(!changes_state("Login"));
    }
}
