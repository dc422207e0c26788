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
}

impl EventLog {
    pub fn summary(&self) -> Vec<(String, String)> {
        self.events
            .iter()
            .map(|e| {
                (
                    e.type_name.clone(),
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
pub fn datacenter_of(st: &State, m: &MoRef) -> Option<MoRef> {
    let mut cur = m.clone();
    for _ in 0..64 {
        if cur.kind == "Datacenter" {
            return Some(cur);
        }
        cur = st
            .objects
            .ref_prop(&cur, "parent")
            .or_else(|| st.objects.ref_prop(&cur, "parentVApp"))?;
    }
    None
}

/// Records an event. `vm`/`host` fill the entity arguments; the datacenter
/// comes from the first of them. Returns the event key (also its chain id).
pub fn record(
    st: &mut State,
    kind: &str,
    user: &str,
    message: String,
    vm: Option<&MoRef>,
    host: Option<&MoRef>,
    chain: Option<i64>,
) -> i64 {
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
    let em = st.svc("eventManager");
    let _ = st.objects.set(&em, "latestEvent", Value::Data(e.clone()));
    st.events.events.push_back(e);
    while st.events.events.len() > MAX_EVENTS {
        st.events.events.pop_front();
    }
    key
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
fn within(st: &State, m: &MoRef, target: &MoRef, recursion: &str) -> bool {
    if m == target {
        return recursion != "children";
    }
    if recursion == "self" {
        return false;
    }
    let mut cur = st
        .objects
        .ref_prop(m, "parent")
        .or_else(|| st.objects.ref_prop(m, "runtime.host"));
    let mut depth = 0;
    while let Some(c) = cur {
        if &c == target {
            return recursion == "all" || depth == 0;
        }
        depth += 1;
        if depth > 64 {
            break;
        }
        cur = st.objects.ref_prop(&c, "parent");
    }
    false
}

/// `QueryEvents`: newest first as vCenter returns them, filtered by entity,
/// time, type and chain, capped by `maxCount`.
pub fn query(st: &State, filter: Option<&Data>) -> Result<Value, Fault> {
    let f = filter
        .cloned()
        .unwrap_or_else(|| Data::new("EventFilterSpec"));
    let entity = f.path("entity.entity").and_then(Value::as_moref).cloned();
    let recursion = f
        .path("entity.recursion")
        .and_then(Value::as_str)
        .unwrap_or("self")
        .to_string();
    if let Some(e) = &entity
        && !st.objects.contains(e)
    {
        return Err(Fault::managed_object_not_found(e));
    }
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
    let max = f
        .get("maxCount")
        .and_then(Value::as_i64)
        .filter(|m| *m > 0)
        .unwrap_or(1000) as usize;
    let user_names = f
        .path("userName.userList")
        .map(Value::strings)
        .unwrap_or_default();
    let out: Vec<Value> = st
        .events
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
                && entity
                    .as_ref()
                    .is_none_or(|t| entity_of(e).iter().any(|m| within(st, m, t, &recursion)))
        })
        .take(max)
        .cloned()
        .map(Value::Data)
        .collect();
    Ok(Value::Array(out))
}
