//! EventManager: `QueryEvents` over the event log (`events.rs` records) and
//! the filter event history collectors share (`event_history_collector.rs`).

use vim25::{Data, Fault, MoRef, Value};

use crate::call::{Call, Reply};
use crate::state::State;

/// `EventManager.QueryEvents`.
pub(crate) fn query_events(c: &Call) -> Reply {
    let filter = c.opt_data("filter")?;
    query(&c.read(), filter).map(Some)
}

fn entity_of(e: &Data) -> Vec<MoRef> {
    [
        "vm",
        "host",
        "datacenter",
        "computeResource",
        "ds",
        "net",
        "dvs",
    ]
    .iter()
    .filter_map(|f| {
        e.get(f)?
            .as_data()?
            .fields
            .iter()
            .find_map(|(_, v)| v.as_moref().cloned())
    })
    .collect()
}

/// Whether `m` is `target` or (with `recursion` `all`/`children`) inside it.
pub(crate) fn within(st: &State, m: &MoRef, target: &MoRef, recursion: &str) -> bool {
    if m == target {
        return recursion != "children";
    }
    if recursion == "self" {
        return false;
    }
    // Tasks and events name non-entities too (FileManager): no `parent`
    // there, and no debug panic (issue 14's fuzzing found it).
    let parent = |x: &MoRef| {
        st.objects
            .prop_if_defined(x, "parent")
            .and_then(Value::as_moref)
            .cloned()
    };
    let mut cur = parent(m).or_else(|| {
        st.objects
            .prop_if_defined(m, "runtime.host")
            .and_then(Value::as_moref)
            .cloned()
    });
    let mut depth = 0;
    while let Some(c) = cur {
        if &c == target {
            return recursion == "all" || depth == 0;
        }
        depth += 1;
        if depth > 64 {
            break;
        }
        cur = parent(&c);
    }
    false
}

/// `QueryEvents`: newest first as vCenter returns them, filtered by entity,
/// time, type and chain, capped by `maxCount`.
fn query(st: &State, filter: Option<&Data>) -> Result<Value, Fault> {
    let f = filter
        .cloned()
        .unwrap_or_else(|| Data::new("EventFilterSpec"));
    let max = f
        .get("maxCount")
        .and_then(Value::as_i64)
        .filter(|m| *m > 0)
        .unwrap_or(1000) as usize;
    let out = matching(st, &f)?
        .into_iter()
        .take(max)
        .cloned()
        .map(Value::data)
        .collect();
    Ok(Value::array(out))
}

/// The category vCenter gives an event type (`EventFilterSpec.category`).
pub(crate) fn category(kind: &str) -> &'static str {
    match kind {
        "HostConnectionLostEvent" | "HostShutdownEvent" => "error",
        "AlarmStatusChangedEvent" | "EnteringMaintenanceModeEvent" => "warning",
        "UserLoginSessionEvent" | "UserLogoutSessionEvent" => "user",
        _ if kind.contains("Failed") => "error",
        _ => "info",
    }
}

/// The events `f` selects (all but `maxCount`), newest first; the filter's
/// entity must exist (`QueryEvents`).
pub(crate) fn matching<'a>(st: &'a State, f: &Data) -> Result<Vec<&'a Data>, Fault> {
    if let Some(e) = f.path("entity.entity").and_then(Value::as_moref)
        && !st.objects.contains(e)
    {
        return Err(Fault::managed_object_not_found(e));
    }
    Ok(selected(st, f))
}

/// [`matching`] without the entity check: a collector made for an entity
/// goes on collecting after it is deleted (its removal event among them).
/// Failing instead failed every later change's refresh (issue 14's fuzzing
/// found it).
pub(crate) fn selected<'a>(st: &'a State, f: &Data) -> Vec<&'a Data> {
    let entity = f.path("entity.entity").and_then(Value::as_moref).cloned();
    let recursion = f
        .path("entity.recursion")
        .and_then(Value::as_str)
        .unwrap_or("self")
        .to_string();
    let begin = f
        .path("time.beginTime")
        .and_then(Value::as_str)
        .map(str::to_string);
    let end = f
        .path("time.endTime")
        .and_then(Value::as_str)
        .map(str::to_string);
    let types = f
        .get("type")
        .or_else(|| f.get("eventTypeId"))
        .map(Value::strings)
        .unwrap_or_default();
    let chain = f.get("eventChainId").and_then(Value::as_i64);
    let categories = f.get("category").map(Value::strings).unwrap_or_default();
    let user_names = f
        .path("userName.userList")
        .map(Value::strings)
        .unwrap_or_default();
    st.events
        .events
        .iter()
        .rev()
        .filter(|e| {
            let created = e
                .get("createdTime")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // RFC 3339 in UTC with fixed precision sorts as text.
            begin.as_deref().is_none_or(|b| created >= b)
                && end.as_deref().is_none_or(|x| created <= x)
                && (types.is_empty()
                    || types
                        .iter()
                        .any(|t| vim25::schema().is_subtype(&e.type_name, t)))
                && chain.is_none_or(|c| e.get("chainId").and_then(Value::as_i64) == Some(c))
                && (user_names.is_empty()
                    || user_names
                        .iter()
                        .any(|u| e.get("userName").and_then(Value::as_str) == Some(u)))
                && (categories.is_empty() || categories.iter().any(|c| c == category(&e.type_name)))
                && entity
                    .as_ref()
                    .is_none_or(|t| entity_of(e).iter().any(|m| within(st, m, t, &recursion)))
        })
        .collect()
}
