//! The fault-injection half of [`Simulator`]'s API (issue 14): rules,
//! latency, hang, restart, sessions. The HTTP control API (`control.rs`)
//! and the flags do the same through [`super::Injector`].

use std::time::Duration;

use super::{FaultRule, FaultStatus, RuleStatus, sessions};
use crate::Simulator;

impl Simulator {
    /// Drops every session, as if they had all timed out.
    pub fn expire_sessions(&self) {
        sessions::expire(&self.shared);
    }

    /// Live sessions (logged in, not logged out, not idle-expired).
    pub fn session_count(&self) -> usize {
        sessions::live(&self.shared)
    }

    /// Adds a fault rule; its id, or why the rule is invalid.
    pub fn add_fault(&self, rule: FaultRule) -> anyhow::Result<u64> {
        self.shared.faults.add(rule).map_err(|e| anyhow::anyhow!(e))
    }

    /// Removes rule `id`; whether it existed.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.shared.faults.remove(id)
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Every rule with its counters, in the order added (the order they are checked).
    pub fn faults(&self) -> Vec<RuleStatus> {
        self.shared.faults.rules()
    }

    /// How many calls rule `id` fired on; `None` for an unknown id.
    pub fn fault_hits(&self, id: u64) -> Option<u64> {
        self.shared.faults.hits(id)
    }

    /// Reseeds the draws of rules with a probability below 1.
    pub fn set_fault_seed(&self, seed: u64) {
        self.shared.faults.seed(seed);
    }

    /// Delays every answer to `method` (`"*"`: to every method without a
    /// latency of its own) by `d`; zero clears it. [`Simulator::release`]
    /// ends delays in progress.
    pub fn set_latency(&self, method: &str, d: Duration) {
        self.shared.faults.set_latency(method, d);
    }

    /// Rules, latencies, whether hung, and the seed.
    pub fn fault_status(&self) -> FaultStatus {
        self.shared.faults.status()
    }

    /// Stops answering: SOAP and the HTTP doors accept requests and hold
    /// them until [`Simulator::release`]. The control API keeps answering.
    pub fn hang(&self) {
        self.shared.faults.gate.hang();
    }

    /// Ends a hang (held requests are answered) and every delay in progress.
    pub fn release(&self) {
        self.shared.faults.gate.release();
    }

    pub fn is_hung(&self) -> bool {
        self.shared.faults.gate.is_hung()
    }

    /// A vCenter restart: held requests' connections close, in-flight ones
    /// finish (long polls are cut after 2 s), every connection closes, the
    /// port refuses connections for `down`, then the same objects are
    /// served on the same address. Sessions are gone (clients log in
    /// again) with their views and history collectors; tasks keep their
    /// results. Returns once serving again.
    pub async fn restart(&self, down: Duration) -> anyhow::Result<()> {
        self.server.restart(down).await
    }
}
