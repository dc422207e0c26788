//! Incremental updates: `WaitForUpdates[Ex]`/`CheckForUpdates` computed by
//! diffing what each filter last reported against the current state.

use std::time::Duration;

use vim25::{Data, Fault, MoRef, Value};

use super::select::evaluate;
use super::{Snapshot, session_key};
use crate::state::{Session, Shared, State};

fn diff(old: Option<&Snapshot>, new: &Snapshot) -> Vec<Value> {
    let mut updates = vec![];
    let change = |name: &str, v: Option<&Value>| {
        let mut c = Data::new("PropertyChange")
            .with("name", name)
            .with("op", "assign");
        if let Some(v) = v {
            c.set("val", v.clone());
        }
        Value::data(c)
    };
    for (obj, props) in new {
        match old.and_then(|o| o.get(obj)) {
            None => updates.push(Value::data(
                Data::new("ObjectUpdate")
                    .with("kind", "enter")
                    .with("obj", obj)
                    .with(
                        "changeSet",
                        props
                            .iter()
                            .map(|(n, v)| change(n, Some(v)))
                            .collect::<Vec<_>>(),
                    ),
            )),
            Some(before) => {
                let mut changes = vec![];
                for (n, v) in props {
                    if before.iter().find(|(b, _)| b == n).map(|(_, bv)| bv) != Some(v) {
                        changes.push(change(n, Some(v)));
                    }
                }
                for (n, _) in before {
                    if !props.iter().any(|(p, _)| p == n) {
                        changes.push(change(n, None));
                    }
                }
                if !changes.is_empty() {
                    updates.push(Value::data(
                        Data::new("ObjectUpdate")
                            .with("kind", "modify")
                            .with("obj", obj)
                            .with("changeSet", changes),
                    ));
                }
            }
        }
    }
    if let Some(old) = old {
        for obj in old.keys().filter(|o| !new.contains_key(*o)) {
            updates.push(Value::data(
                Data::new("ObjectUpdate")
                    .with("kind", "leave")
                    .with("obj", obj),
            ));
        }
    }
    updates
}

/// One pass of update collection: the UpdateSet if anything changed since the
/// last report (or `version` is empty: everything), else `None`.
fn collect_updates(
    st: &mut State,
    session: Option<&Session>,
    version: &str,
) -> Result<Option<Value>, Fault> {
    let key = session_key(session);
    let ids: Vec<String> = st
        .pc
        .sessions
        .get(&key)
        .map(|p| p.filters.keys().cloned().collect())
        .unwrap_or_default();
    let initial = version.is_empty();
    let mut filter_set = vec![];
    let mut snaps = vec![];
    for id in &ids {
        let Some(f) = st.pc.sessions.get(&key).and_then(|p| p.filters.get(id)) else {
            continue;
        };
        let spec = f.spec.clone();
        let last = if initial { None } else { f.last.clone() };
        // Objects that vanished simply drop out of the snapshot and are reported as `leave`.
        let snap = match evaluate(st, session, &spec) {
            Ok((s, _)) => s,
            Err(e) if e.is("ManagedObjectNotFound") => Snapshot::new(),
            Err(e) => return Err(e),
        };
        let updates = diff(last.as_ref(), &snap);
        if !updates.is_empty() {
            filter_set.push(Value::data(
                Data::new("PropertyFilterUpdate")
                    .with("filter", MoRef::new("PropertyFilter", id))
                    .with("objectSet", updates),
            ));
        }
        snaps.push((id.clone(), snap));
    }
    if filter_set.is_empty() && !initial {
        return Ok(None);
    }
    let p = st.pc.sessions.entry(key).or_default();
    for (id, snap) in snaps {
        if let Some(f) = p.filters.get_mut(&id) {
            f.last = Some(snap);
        }
    }
    p.version += 1;
    let mut set = Data::new("UpdateSet").with("version", p.version.to_string());
    if !filter_set.is_empty() {
        set.set("filterSet", filter_set);
    }
    set.set("truncated", false);
    Ok(Some(Value::data(set)))
}

/// `WaitForUpdates[Ex]`/`CheckForUpdates`: returns at once when something
/// changed, otherwise sleeps until the state changes or `max_wait` passes
/// (`None`: wait indefinitely; zero: do not wait).
pub(super) async fn wait(
    shared: &Shared,
    session: Option<Session>,
    version: String,
    max_wait: Option<Duration>,
) -> Result<Option<Value>, Fault> {
    let deadline = max_wait.map(|d| tokio::time::Instant::now() + d);
    let mut rx = shared.subscribe();
    loop {
        rx.borrow_and_update();
        let r = shared.bookkeeping(|st| {
            if let Some(s) = &session
                && !st.sessions.values().any(|x| x.key == s.key)
            {
                return Err(Fault::not_authenticated(&st.svc("propertyCollector")));
            }
            collect_updates(st, session.as_ref(), &version)
        })?;
        if r.is_some() {
            return Ok(r);
        }
        match deadline {
            Some(d) => {
                if tokio::time::Instant::now() >= d {
                    return Ok(None);
                }
                if tokio::time::timeout_at(d, rx.changed()).await.is_err() {
                    return Ok(None);
                }
            }
            None => {
                if rx.changed().await.is_err() {
                    return Ok(None);
                }
            }
        }
    }
}
