//! HostSystem: `summary.quickStats` derived from the VMs running on the host
//! (and the real-time sample it belongs to), the statistics timer, and the
//! host's power and maintenance methods (`host_system/`).

mod maintenance;
mod power;

pub(crate) use maintenance::{enter_maintenance_mode, exit_maintenance_mode, place_for_power_on};
pub(crate) use power::{reboot_host, shutdown_host};

use std::sync::{Arc, Weak};

use vim25::{Data, Fault, MoRef, Value};

use crate::mo::perf::sample;
use crate::state::{Shared, State};

/// What one running VM adds to its host, as its own quickStats say:
/// CPU in MHz, memory in MB.
pub(crate) fn vm_usage(st: &State, vm: &MoRef) -> Option<(i64, i64)> {
    if st.objects.str_prop(vm, "runtime.powerState").as_deref() != Some("poweredOn") {
        return None;
    }
    let q = |f: &str| {
        st.objects
            .prop(vm, &format!("summary.quickStats.{f}"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    Some((q("overallCpuUsage"), q("hostMemoryUsage")))
}

/// Whether the host is up and talking to vCenter.
pub(crate) fn is_up(st: &State, host: &MoRef) -> bool {
    st.objects
        .str_prop(host, "runtime.connectionState")
        .as_deref()
        == Some("connected")
        && st.objects.str_prop(host, "runtime.powerState").as_deref() == Some("poweredOn")
}

/// A host's CPU (MHz) and memory (MB) use in real-time sample `index`: its
/// running VMs' plus the hypervisor's own overhead; nothing when it is down.
pub(crate) fn host_usage(st: &State, host: &MoRef, index: i64) -> (i64, i64) {
    if !is_up(st, host) {
        return (0, 0);
    }
    let (cpu, mem) = sample::host_overhead(host, index);
    st.objects
        .refs(host, "vm")
        .iter()
        .filter_map(|v| vm_usage(st, v))
        .fold((cpu, mem), |(c, m), (vc, vm)| {
            (c.saturating_add(vc), m.saturating_add(vm))
        })
}

/// Seconds since the host booted; 0 while it is down.
pub(crate) fn uptime(st: &State, host: &MoRef) -> i64 {
    if !is_up(st, host) {
        return 0;
    }
    let boot = st
        .objects
        .str_prop(host, "runtime.bootTime")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
    boot.map(|b| (st.guests.clock.now() - b.to_utc()).num_seconds().max(0))
        .unwrap_or(0)
}

/// `summary.quickStats` and `summary.runtime` from the host's state.
pub(crate) fn refresh(st: &mut State, host: &MoRef) -> Result<(), Fault> {
    if !st.objects.contains(host) {
        return Ok(());
    }
    let (cpu, mem) = host_usage(st, host, st.monitor.perf_index);
    let stats = Data::new("HostListSummaryQuickStats")
        .with("overallCpuUsage", cpu)
        .with("overallMemoryUsage", mem)
        .with("distributedCpuFairness", 0)
        .with("distributedMemoryFairness", 0)
        .with("uptime", uptime(st, host));
    st.objects
        .set(host, "summary.quickStats", Value::data(stats))?;
    if let Some(rt) = st.objects.prop(host, "runtime").cloned() {
        st.objects.set(host, "summary.runtime", rt)?;
    }
    Ok(())
}

/// Moves every host to the latest real-time sample of the simulated clock
/// (the wall clock plus what `Simulator::advance_clock` added).
pub(crate) fn tick(st: &mut State) {
    st.monitor.perf_index = sample::index_at(st.guests.clock.now().timestamp());
    for h in st.objects.of_kind("HostSystem") {
        if let Err(f) = refresh(st, &h) {
            tracing::error!(host = %h, fault = %f, "refreshing host statistics failed");
        }
    }
}

/// Every 20 seconds, as ESXi's real-time statistics, the hosts' quickStats
/// move to the new sample.
pub(crate) fn spawn_stats_timer(shared: &Arc<Shared>) {
    let weak: Weak<Shared> = Arc::downgrade(shared);
    tokio::spawn(async move {
        loop {
            let now = chrono::Utc::now().timestamp_millis();
            let period = sample::REALTIME_SECS * 1000;
            let wait = period - now.rem_euclid(period);
            tokio::time::sleep(std::time::Duration::from_millis(wait as u64 + 5)).await;
            let Some(sh) = weak.upgrade() else { return };
            sh.mutate(tick);
        }
    });
}
