//! Monitoring state that is not a managed object's property: the current
//! real-time sample, history collectors' read positions and which alarms
//! stand triggered. Not journalled: the sample index moves on a timer, a
//! collector's position is bookkeeping (vCenter does not undo a read), and
//! alarm states are worked out after a change has committed (`derive.rs`).

#[derive(Debug, Default)]
pub(crate) struct Monitor {
    /// The latest complete real-time sample (`perf::sample::index_at`).
    pub perf_index: i64,
    /// History collectors' page sizes and positions, by collector id.
    pub collectors: std::collections::HashMap<String, crate::mo::history::Cursor>,
    /// Non-green alarm states by entity (`alarm_eval.rs`).
    pub alarms: crate::mo::alarm_eval::Triggered,
    /// When the simulator started: the time of an alarm state that never changed.
    pub started: String,
    /// How long a rebooting host stays down (`Config::host_reboot_delay`).
    pub reboot_delay: std::time::Duration,
}
