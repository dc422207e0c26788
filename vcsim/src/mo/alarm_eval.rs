//! Alarms that trigger. After a change commits, `derive.rs` calls
//! [`evaluate`] with the hosts, datastores and VMs it touched (never the
//! whole inventory): each default alarm that applies is worked out from the
//! entity's state or its latest performance sample; a change of status is
//! recorded (`AlarmStatusChangedEvent`), the entity's `declaredAlarmState`,
//! `triggeredAlarmState` and `overallStatus` are rewritten, and so is the
//! `triggeredAlarmState` of every ancestor, which on vCenter lists what is
//! triggered on the entity and everything below it. Only non-green states
//! are kept (`Monitor::alarms`), so a quiet inventory costs nothing.

use std::collections::HashMap;

use vim25::{Data, Fault, MoRef, Value};

use crate::events::{entity_arg, record_with};
use crate::mo::alarm_manager::{DEFAULTS, Definition, Watch, alarm_ref};
use crate::mo::perf::{counters, sample};
use crate::state::State;

/// A non-green alarm state on an entity.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub alarm: &'static str,
    pub status: &'static str,
    pub time: String,
}

/// Non-green states by entity id.
pub(crate) type Triggered = HashMap<String, Vec<Entry>>;

fn applies(d: &Definition, kind: &str) -> bool {
    vim25::schema().is_subtype(kind, d.kind)
}

/// What `d` says about `e` now.
fn status(st: &State, e: &MoRef, d: &Definition) -> &'static str {
    match d.watch {
        Watch::State { path, yellow, red } => {
            let v = st.objects.str_prop(e, path);
            if v.as_deref() == Some(red) {
                "red"
            } else if yellow.is_some() && v.as_deref() == yellow {
                "yellow"
            } else {
                "green"
            }
        }
        Watch::Metric {
            counter,
            yellow,
            red,
        } => {
            let t = st.monitor.perf_index * sample::REALTIME_SECS;
            let v = counters::by_key(counter)
                .and_then(|k| sample::value(st, e, k, t, sample::REALTIME_SECS));
            match v {
                Some(v) if v > red => "red",
                Some(v) if v > yellow => "yellow",
                _ => "green",
            }
        }
    }
}

fn state(e: &MoRef, d: &Definition, status: &str, time: &str) -> Value {
    Value::data(
        Data::new("AlarmState")
            .with("key", format!("{}.{}", d.id, e.value))
            .with("entity", e)
            .with("alarm", alarm_ref(d))
            .with("overallStatus", status)
            .with("time", time)
            .with("acknowledged", false),
    )
}

fn entries<'a>(st: &'a State, e: &MoRef) -> &'a [Entry] {
    st.monitor
        .alarms
        .get(e.value.as_str())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `declaredAlarmState`: every alarm that applies to `e`, with its status.
pub(crate) fn declared(st: &State, e: &MoRef) -> Value {
    let mine = entries(st, e);
    Value::array(
        DEFAULTS
            .iter()
            .filter(|d| applies(d, &e.kind))
            .map(|d| match mine.iter().find(|x| x.alarm == d.id) {
                Some(x) => state(e, d, x.status, &x.time),
                None => state(e, d, "green", &st.monitor.started),
            })
            .collect(),
    )
}

/// Sets `declaredAlarmState` on a host or datastore built with the
/// inventory. VMs get theirs on their first change ([`evaluate`]): two
/// `AlarmState`s per VM would cost 0.7 KB each of a 10,000-VM inventory
/// (74 → 85 MB resident), and `GetAlarmState` answers for any VM anyway.
pub(crate) fn declare_built(st: &mut State, e: &MoRef) -> Result<(), Fault> {
    if DEFAULTS.iter().any(|d| applies(d, &e.kind)) {
        let v = declared(st, e);
        st.objects.set(e, "declaredAlarmState", v)?;
    }
    Ok(())
}

/// `e` and its ancestors by `parent`.
fn chain(st: &State, e: &MoRef) -> Vec<MoRef> {
    let mut out = vec![e.clone()];
    let mut cur = e.clone();
    while let Some(p) = st.objects.ref_prop(&cur, "parent") {
        if out.contains(&p) || out.len() > 64 {
            break;
        }
        out.push(p.clone());
        cur = p;
    }
    out
}

/// `triggeredAlarmState` of `a`: what is triggered on `a` or below it.
fn triggered_under(st: &State, a: &MoRef) -> Value {
    let mut ids: Vec<&String> = st.monitor.alarms.keys().collect();
    ids.sort_unstable();
    let mut out = vec![];
    for id in ids {
        let Some(e) = st.objects.moref_of(id) else {
            continue;
        };
        if !chain(st, &e).contains(a) {
            continue;
        }
        for x in entries(st, &e) {
            if let Some(d) = DEFAULTS.iter().find(|d| d.id == x.alarm) {
                out.push(state(&e, d, x.status, &x.time));
            }
        }
    }
    Value::array(out)
}

fn worst(entries: &[Entry]) -> &'static str {
    if entries.iter().any(|x| x.status == "red") {
        "red"
    } else if entries.iter().any(|x| x.status == "yellow") {
        "yellow"
    } else {
        "green"
    }
}

fn title(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Records the status change of `d` on `e`.
fn announce(st: &mut State, e: &MoRef, d: &Definition, from: &str, to: &str) -> Result<(), Fault> {
    let root = st.svc("rootFolder");
    let alarm = Data::new("AlarmEventArgument")
        .with("name", d.name)
        .with("alarm", alarm_ref(d));
    let source = entity_arg(st, "ManagedEntityEventArgument", "entity", &root);
    let entity = entity_arg(st, "ManagedEntityEventArgument", "entity", e);
    let ds =
        (e.kind == "Datastore").then(|| entity_arg(st, "DatastoreEventArgument", "datastore", e));
    let msg = format!(
        "Alarm '{}' on {} changed from {} to {}",
        d.name,
        st.objects.name(e),
        title(from),
        title(to)
    );
    let (vm, host) = match e.kind.as_str() {
        "VirtualMachine" => (Some(e), None),
        "HostSystem" => (None, Some(e)),
        _ => (None, None),
    };
    record_with(
        st,
        "AlarmStatusChangedEvent",
        "",
        msg,
        vm,
        host,
        None,
        |ev| {
            ev.set("alarm", alarm);
            ev.set("source", source);
            ev.set("entity", entity);
            ev.set("from", from);
            ev.set("to", to);
            if let Some(ds) = ds {
                ev.set("ds", ds);
            }
        },
    )?;
    Ok(())
}

/// Re-evaluates the alarms of `touched` hosts, datastores and VMs.
pub(crate) fn evaluate(st: &mut State, touched: &[MoRef]) -> Result<(), Fault> {
    let mut changed: Vec<MoRef> = vec![];
    // A removed entity's triggered states leave its former ancestors too
    // (a change's touched list names only objects that still exist).
    let gone: Vec<String> = st
        .monitor
        .alarms
        .keys()
        .filter(|id| st.objects.moref_of(id).is_none())
        .cloned()
        .collect();
    for id in &gone {
        st.monitor.alarms.remove(id);
    }
    let removed_triggered = !gone.is_empty();
    for e in touched {
        if !st.objects.contains(e) {
            continue;
        }
        for d in DEFAULTS.iter().filter(|d| applies(d, &e.kind)) {
            let now = status(st, e, d);
            let before = entries(st, e)
                .iter()
                .find(|x| x.alarm == d.id)
                .map(|x| x.status)
                .unwrap_or("green");
            if now == before {
                if !changed.contains(e) && st.objects.prop(e, "declaredAlarmState").is_none() {
                    changed.push(e.clone());
                }
                continue;
            }
            let list = st.monitor.alarms.entry(e.value.to_string()).or_default();
            list.retain(|x| x.alarm != d.id);
            if now != "green" {
                list.push(Entry {
                    alarm: d.id,
                    status: now,
                    time: crate::now(),
                });
            }
            if list.is_empty() {
                st.monitor.alarms.remove(e.value.as_str());
            }
            announce(st, e, d, before, now)?;
            if !changed.contains(e) {
                changed.push(e.clone());
            }
        }
    }
    let mut ancestors: Vec<MoRef> = vec![];
    if removed_triggered {
        // Rare (a destroyed VM with a triggered alarm): every entity that lists one.
        ancestors.extend(st.objects.of_kind("ManagedEntity").into_iter().filter(|m| {
            st.objects
                .prop_if_defined(m, "triggeredAlarmState")
                .is_some_and(|v| !v.as_array().is_empty())
        }));
    }
    for e in &changed {
        if !st.objects.contains(e) {
            continue;
        }
        let v = declared(st, e);
        st.objects.set(e, "declaredAlarmState", v)?;
        let status = worst(entries(st, e));
        st.objects.set(e, "overallStatus", Value::from(status))?;
        for a in chain(st, e) {
            if !ancestors.contains(&a) {
                ancestors.push(a);
            }
        }
    }
    for a in &ancestors {
        let v = triggered_under(st, a);
        st.objects.set(a, "triggeredAlarmState", v)?;
    }
    Ok(())
}
