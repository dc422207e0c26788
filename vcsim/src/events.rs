//! EventManager: an append-only event log, `latestEvent`, and `QueryEvents`.

use vim25::{Data, Fault, MoRef, Value};

use crate::now;
use crate::state::State;

/// Events beyond this many are dropped oldest-first, as vCenter's database
/// retention would, so a long run does not grow without bound.
const MAX_EVENTS: usize = 100_000;

#[derive(Debug, Default)]
pub struct EventLog {
    pub events: std::collections::VecDeque<Data>,
    next_key: i64,
    /// The log's length when each open transaction began.
    marks: Vec<usize>,
}

impl EventLog {
    pub fn begin(&mut self) {
        self.marks.push(self.events.len());
    }

    /// Keeps the events of the innermost transaction; retention applies once
    /// no transaction is open (so marks stay valid).
    pub fn commit(&mut self) {
        self.marks.pop();
        if self.marks.is_empty() {
            while self.events.len() > MAX_EVENTS {
                self.events.pop_front();
            }
        }
    }

    /// Drops the events recorded in the innermost transaction.
    pub fn rollback(&mut self) {
        if let Some(len) = self.marks.pop() {
            self.events.truncate(len);
        }
    }

    pub fn summary(&self) -> Vec<(String, String)> {
        self.events
            .iter()
            .map(|e| {
                (
                    e.type_name.to_string(),
                    e.get("fullFormattedMessage")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    }
}

fn arg(st: &State, kind: &str, field: &str, m: &MoRef) -> Data {
    Data::new(kind)
        .with("name", st.objects.name(m))
        .with(field, m)
}

/// The datacenter an entity lives in, by walking `parent`.
pub(crate) fn datacenter_of(st: &State, m: &MoRef) -> Option<MoRef> {
    let mut cur = m.clone();
    for _ in 0..64 {
        if cur.kind == "Datacenter" {
            return Some(cur);
        }
        cur = st.objects.ref_prop(&cur, "parent").or_else(|| {
            st.objects
                .prop_if_defined(&cur, "parentVApp")
                .and_then(Value::as_moref)
                .cloned()
        })?;
    }
    None
}

/// Records an event. `vm`/`host` fill the entity arguments; the datacenter
/// comes from the first of them. Returns the event key (also its chain id).
pub(crate) fn record(
    st: &mut State,
    kind: &str,
    user: &str,
    message: String,
    vm: Option<&MoRef>,
    host: Option<&MoRef>,
    chain: Option<i64>,
) -> Result<i64, Fault> {
    record_with(st, kind, user, message, vm, host, chain, |_| {})
}

/// An entity argument (`HostEventArgument`, …) naming `m`.
pub(crate) fn entity_arg(st: &State, kind: &str, field: &str, m: &MoRef) -> Data {
    arg(st, kind, field, m)
}

/// [`record`] with the event type's own fields added by `extra`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_with(
    st: &mut State,
    kind: &str,
    user: &str,
    message: String,
    vm: Option<&MoRef>,
    host: Option<&MoRef>,
    chain: Option<i64>,
    extra: impl FnOnce(&mut Data),
) -> Result<i64, Fault> {
    st.events.next_key += 1;
    let key = st.events.next_key;
    let mut e = Data::new(kind)
        .with("key", key)
        .with("chainId", chain.unwrap_or(key))
        .with("createdTime", now())
        .with("userName", user)
        .with("fullFormattedMessage", message);
    let host = host
        .cloned()
        .or_else(|| vm.and_then(|v| st.objects.ref_prop(v, "runtime.host")));
    if let Some(dc) = vm.or(host.as_ref()).and_then(|m| datacenter_of(st, m)) {
        e.set(
            "datacenter",
            arg(st, "DatacenterEventArgument", "datacenter", &dc),
        );
    }
    if let Some(h) = &host {
        e.set("host", arg(st, "HostEventArgument", "host", h));
    }
    if let Some(v) = vm {
        e.set("vm", arg(st, "VmEventArgument", "vm", v));
        if vim25::schema().is_subtype(kind, "VmEvent") {
            let template = st
                .objects
                .prop(v, "config.template")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            e.set("template", template);
        }
    }
    extra(&mut e);
    let em = st.svc("eventManager");
    st.objects.set(&em, "latestEvent", Value::data(e.clone()))?;
    st.events.events.push_back(e);
    if st.events.marks.is_empty() {
        while st.events.events.len() > MAX_EVENTS {
            st.events.events.pop_front();
        }
    }
    Ok(key)
}
