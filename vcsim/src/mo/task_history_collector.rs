//! `TaskManager.CreateCollectorForTasks` and what a TaskHistoryCollector
//! collects: the `TaskInfo` of the tasks vCenter still keeps (`tasks.rs`
//! keeps the latest 1000) that its `TaskFilterSpec` selects — entity with
//! recursion, queued/started/completed time, user, state, event chain —
//! keyed by the task's number.

use vim25::{Data, Fault, Value};

use crate::call::{Call, Reply, require};
use crate::mo::event_manager::within;
use crate::mo::history::{self, Item};
use crate::state::State;

/// `TaskManager.CreateCollectorForTasks(filter)`.
pub(crate) fn create_collector_for_tasks(c: &Call) -> Reply {
    let filter = c.data("filter")?.clone();
    if let Some(e) = filter.path("entity.entity").and_then(Value::as_moref) {
        require(&c.read(), e)?;
    }
    history::create(c, "TaskHistoryCollector", filter)
}

fn text(d: &Data, path: &str) -> Option<String> {
    d.path(path).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn items(st: &State, f: &Data) -> Result<Vec<Item>, Fault> {
    let entity = f.path("entity.entity").and_then(Value::as_moref).cloned();
    let recursion = text(f, "entity.recursion").unwrap_or_else(|| "self".into());
    let time_field = match text(f, "time.timeType").as_deref() {
        Some("startedTime") => "startTime",
        Some("completedTime") => "completeTime",
        _ => "queueTime",
    };
    let begin = text(f, "time.beginTime");
    let end = text(f, "time.endTime");
    let users = f
        .path("userName.userList")
        .map(Value::strings)
        .unwrap_or_default();
    let states = f.get("state").map(Value::strings).unwrap_or_default();
    let chains: Vec<i64> = f
        .get("eventChainId")
        .map(|v| v.as_array().iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let mut out = vec![];
    for t in st.objects.of_kind("Task") {
        let Some(info) = st.objects.prop(&t, "info").and_then(Value::as_data) else {
            continue;
        };
        let at = text(info, time_field);
        let keep = begin
            .as_deref()
            .is_none_or(|b| at.as_deref().is_some_and(|a| a >= b))
            && end
                .as_deref()
                .is_none_or(|e| at.as_deref().is_some_and(|a| a <= e))
            && (users.is_empty()
                || text(info, "reason.userName").is_some_and(|u| users.contains(&u)))
            && (states.is_empty() || text(info, "state").is_some_and(|s| states.contains(&s)))
            && (chains.is_empty()
                || info
                    .get("eventChainId")
                    .and_then(Value::as_i64)
                    .is_some_and(|c| chains.contains(&c)))
            && entity.as_ref().is_none_or(|target| {
                info.get("entity")
                    .and_then(Value::as_moref)
                    .is_some_and(|m| within(st, m, target, &recursion))
            });
        if keep {
            let key = t
                .value
                .rsplit('-')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            out.push((key, Value::data(info.clone())));
        }
    }
    out.sort_by_key(|(k, _)| *k);
    Ok(out)
}
