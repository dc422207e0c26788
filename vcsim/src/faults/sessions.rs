//! What expiring sessions and restarting take away: the sessions, and what
//! belongs to them (property filters, container views, history collectors).
//! Tasks and the inventory stay, as a restarted vCenter keeps its database.

use std::sync::Arc;

use vim25::Value;

use crate::state::Shared;

/// Sessions not yet expired by the idle timeout.
pub(crate) fn live(shared: &Shared) -> usize {
    let st = shared.lock();
    st.sessions
        .values()
        .filter(|s| {
            shared
                .idle_timeout
                .is_none_or(|t| s.last_active.elapsed() <= t)
        })
        .count()
}

/// Drops every session, as if they had all timed out; how many there were.
pub(crate) fn expire(shared: &Shared) -> usize {
    // A change, not bookkeeping: waiting `WaitForUpdates` calls must wake
    // up to find their session gone.
    shared.mutate(|st| {
        let n = st.sessions.len();
        st.sessions.clear();
        st.pc.sessions.clear();
        n
    })
}

/// A restart: sessions go, and with them every view and history collector
/// (they belong to sessions on vCenter).
pub(crate) fn restart(shared: &Arc<Shared>) {
    expire(shared);
    shared.mutate(|st| {
        let vm = st.svc("viewManager");
        let views = st.objects.refs(&vm, "viewList");
        for v in &views {
            st.objects.remove(v);
        }
        if !views.is_empty()
            && let Err(f) = st
                .objects
                .set(&vm, "viewList", Value::from(Vec::<vim25::MoRef>::new()))
        {
            tracing::error!(fault = %f, "cannot empty ViewManager.viewList");
        }
        let collectors: Vec<String> = st.monitor.collectors.keys().cloned().collect();
        for id in collectors {
            st.monitor.collectors.remove(&id);
            let kind = if id.starts_with("eventCollector") {
                "EventHistoryCollector"
            } else {
                "TaskHistoryCollector"
            };
            st.objects.remove(&vim25::MoRef::new(kind, &id));
        }
    });
}
