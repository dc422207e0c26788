//! PropertyCollector, resolved generically over the object model: object
//! selection by ObjectSpec/TraversalSpec, property selection by PropertySpec
//! paths, one-shot retrieval with paging, and filters with incremental
//! updates (`WaitForUpdates[Ex]`, `CheckForUpdates`) computed by diffing what
//! each filter last reported against the current state.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use vim25::{Data, Fault, MoRef, TypeRef, Value, schema};

use crate::state::{Session, Shared, State};

/// What one filter (or retrieval) sees: for each object, its properties by path.
type Snapshot = BTreeMap<MoRef, Vec<(String, Value)>>;

#[derive(Debug)]
pub struct Filter {
    pub spec: Data,
    pub partial: bool,
    /// What the last update reported; `None` until the first one.
    last: Option<Snapshot>,
}

#[derive(Debug, Default)]
pub struct SessionPc {
    pub filters: BTreeMap<String, Filter>,
    version: u64,
    /// Pages of `RetrievePropertiesEx` results not yet handed out, with the page size.
    tokens: HashMap<String, (Vec<Value>, usize)>,
}

#[derive(Debug, Default)]
pub struct PcState {
    /// By `UserSession.key`: filters and pages are private to a session.
    pub sessions: HashMap<String, SessionPc>,
    next_id: u64,
}

/// Reads one property of one object: the generic path walk plus the handful
/// of properties computed on demand (a view's contents, the caller's session).
/// The value comes back wrapped with its declared type for `anyType` slots.
pub fn read(
    st: &State,
    session: Option<&Session>,
    obj: &MoRef,
    path: &str,
) -> Result<Option<Value>, Fault> {
    let Some(o) = st.objects.get(obj) else {
        return Err(Fault::managed_object_not_found(obj));
    };
    let Some(ty) = schema().path_type(&o.moref.kind, path) else {
        return Err(Fault::invalid_property(path));
    };
    let v = match (o.moref.kind.as_str(), path) {
        ("ContainerView", "view") => Some(Value::from(crate::view::contents(st, obj))),
        ("SessionManager", "currentSession") => session.map(|s| Value::Data(s.user_session())),
        ("SessionManager", "sessionList") => Some(Value::Array(
            st.sessions
                .values()
                .map(|s| Value::Data(s.user_session()))
                .collect(),
        )),
        ("PropertyCollector", "filter") => session.map(|s| {
            Value::from(
                st.pc
                    .sessions
                    .get(&s.key)
                    .map(|p| {
                        p.filters
                            .keys()
                            .map(|k| MoRef::new("PropertyFilter", k))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            )
        }),
        ("ServiceInstance", "serverClock") => Some(Value::from(crate::now())),
        _ => o.props.path(path).cloned(),
    };
    Ok(v.map(|v| wrap(ty, v)))
}

fn wrap(ty: TypeRef, v: Value) -> Value {
    match v {
        Value::Any(..) => v,
        v if ty.name == "anyType" && !ty.array => v,
        v => Value::Any(ty, Box::new(v)),
    }
}

fn bool_field(d: &Data, f: &str) -> bool {
    d.get(f).and_then(Value::as_bool).unwrap_or(false)
}

fn data_list<'a>(d: &'a Data, f: &str) -> Vec<&'a Data> {
    d.get(f)
        .map(|v| v.as_array().iter().filter_map(Value::as_data).collect())
        .unwrap_or_default()
}

/// Every TraversalSpec in a filter spec by name, so SelectionSpecs can refer to them.
fn named_specs<'a>(specs: &[&'a Data], out: &mut HashMap<String, &'a Data>) {
    for s in specs {
        if s.type_name == "TraversalSpec" {
            if let Some(n) = s.get("name").and_then(Value::as_str) {
                if out.contains_key(n) {
                    continue;
                }
                out.insert(n.to_string(), s);
            }
            named_specs(&data_list(s, "selectSet"), out);
        }
    }
}

struct Walk<'a> {
    st: &'a State,
    session: Option<&'a Session>,
    named: HashMap<String, &'a Data>,
    seen: HashSet<(MoRef, String)>,
    found: Vec<MoRef>,
    found_set: HashSet<MoRef>,
}

impl Walk<'_> {
    fn add(&mut self, m: &MoRef) {
        if self.found_set.insert(m.clone()) {
            self.found.push(m.clone());
        }
    }

    fn traverse(&mut self, obj: &MoRef, selects: &[&Data], depth: usize) -> Result<(), Fault> {
        if depth > 64 {
            return Ok(());
        }
        for sel in selects {
            let ts: &Data = if sel.type_name == "TraversalSpec" {
                sel
            } else {
                let Some(name) = sel.get("name").and_then(Value::as_str) else {
                    continue;
                };
                match self.named.get(name) {
                    Some(t) => t,
                    None => {
                        return Err(Fault::invalid_argument(&format!(
                            "selectSet: no TraversalSpec named {name}"
                        )));
                    }
                }
            };
            let ty = ts.get("type").and_then(Value::as_str).unwrap_or_default();
            if !(obj.kind == ty || schema().is_subtype(&obj.kind, ty)) {
                continue;
            }
            let path = ts.get("path").and_then(Value::as_str).unwrap_or_default();
            let key = format!(
                "{ty}/{path}/{}",
                ts.get("name").and_then(Value::as_str).unwrap_or_default()
            );
            if !self.seen.insert((obj.clone(), key)) {
                continue;
            }
            if schema().path_type(ty, path).is_none() {
                return Err(Fault::invalid_property(path));
            }
            let targets: Vec<MoRef> = match read(self.st, self.session, obj, path) {
                Ok(Some(v)) => v
                    .as_array()
                    .iter()
                    .filter_map(Value::as_moref)
                    .cloned()
                    .collect(),
                _ => vec![],
            };
            let skip = bool_field(ts, "skip");
            let next = data_list(ts, "selectSet");
            for t in targets {
                if !self.st.objects.contains(&t) {
                    continue;
                }
                if !skip {
                    self.add(&t);
                }
                self.traverse(&t, &next, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// Evaluates one PropertyFilterSpec: the objects it selects with the
/// properties it asks for, and the starting objects that do not exist.
fn evaluate(
    st: &State,
    session: Option<&Session>,
    spec: &Data,
) -> Result<(Snapshot, Vec<MoRef>), Fault> {
    let prop_specs = data_list(spec, "propSet");
    let obj_specs = data_list(spec, "objectSet");
    for ps in &prop_specs {
        let ty = ps.get("type").and_then(Value::as_str).unwrap_or_default();
        if schema().get(ty).is_none() {
            return Err(Fault::invalid_argument("type"));
        }
        for p in ps
            .get("pathSet")
            .map(|v| v.as_array().to_vec())
            .unwrap_or_default()
        {
            let p = p.as_str().unwrap_or_default();
            if schema().path_type(ty, p).is_none() {
                return Err(Fault::invalid_property(p));
            }
        }
    }
    let mut named = HashMap::new();
    for os in &obj_specs {
        named_specs(&data_list(os, "selectSet"), &mut named);
    }
    let mut w = Walk {
        st,
        session,
        named,
        seen: HashSet::new(),
        found: vec![],
        found_set: HashSet::new(),
    };
    let mut missing = vec![];
    for os in &obj_specs {
        let Some(obj) = os.get("obj").and_then(Value::as_moref) else {
            return Err(Fault::invalid_argument("objectSet.obj"));
        };
        if !st.objects.contains(obj) {
            missing.push(obj.clone());
            continue;
        }
        if !bool_field(os, "skip") {
            w.add(obj);
        }
        w.traverse(obj, &data_list(os, "selectSet"), 0)?;
    }
    let mut snap = Snapshot::new();
    for obj in &w.found {
        let mut paths: Vec<String> = vec![];
        let mut matched = false;
        for ps in &prop_specs {
            let ty = ps.get("type").and_then(Value::as_str).unwrap_or_default();
            if !(obj.kind == ty || schema().is_subtype(&obj.kind, ty)) {
                continue;
            }
            matched = true;
            if bool_field(ps, "all") {
                if let Some(o) = st.objects.get(obj) {
                    paths.extend(o.props.fields.iter().map(|(n, _)| n.clone()));
                }
                if obj.kind == "ContainerView" {
                    paths.push("view".into());
                }
            } else {
                paths.extend(ps.get("pathSet").map(Value::strings).unwrap_or_default());
            }
        }
        if !matched {
            continue;
        }
        let mut seen = HashSet::new();
        let mut props = vec![];
        for p in paths {
            if !seen.insert(p.clone()) {
                continue;
            }
            if let Some(v) = read(st, session, obj, &p)? {
                props.push((p, v));
            }
        }
        snap.insert(obj.clone(), props);
    }
    Ok((snap, missing))
}

fn object_content(obj: &MoRef, props: &[(String, Value)]) -> Value {
    Value::Data(
        Data::new("ObjectContent").with("obj", obj).with(
            "propSet",
            props
                .iter()
                .map(|(n, v)| {
                    Value::Data(
                        Data::new("DynamicProperty")
                            .with("name", n.as_str())
                            .with("val", v.clone()),
                    )
                })
                .collect::<Vec<_>>(),
        ),
    )
}

/// Runs every spec of a `specSet`, in traversal order, merging objects seen twice.
fn retrieve_all(
    st: &State,
    session: Option<&Session>,
    spec_set: &Value,
) -> Result<Vec<Value>, Fault> {
    let mut out = vec![];
    let mut any_found = false;
    let mut first_missing = None;
    for spec in spec_set.as_array().iter().filter_map(Value::as_data) {
        let (snap, missing) = evaluate(st, session, spec)?;
        // Re-walk in traversal order for stable, inventory-ordered output.
        let mut objs: Vec<&MoRef> = snap.keys().collect();
        objs.sort_by_key(|m| st.objects.get(m).map(|o| o.seq).unwrap_or(u64::MAX));
        for m in objs {
            any_found = true;
            if let Some(p) = snap.get(m) {
                out.push(object_content(m, p));
            }
        }
        if first_missing.is_none() {
            first_missing = missing.into_iter().next();
        }
    }
    // Like vcsim: vanished objects are skipped, but a query that finds
    // nothing because its objects are gone is a ManagedObjectNotFound.
    if let (false, Some(m)) = (any_found, first_missing) {
        return Err(Fault::managed_object_not_found(&m));
    }
    Ok(out)
}

fn session_key(session: Option<&Session>) -> String {
    session.map(|s| s.key.clone()).unwrap_or_default()
}

pub fn retrieve_properties(
    st: &State,
    session: Option<&Session>,
    spec_set: &Value,
) -> Result<Option<Value>, Fault> {
    Ok(Some(Value::Array(retrieve_all(st, session, spec_set)?)))
}

fn page(
    st: &mut State,
    session: Option<&Session>,
    mut objs: Vec<Value>,
    max: usize,
) -> Option<Value> {
    if objs.is_empty() {
        return None;
    }
    let mut result = Data::new("RetrieveResult");
    if objs.len() > max {
        let rest = objs.split_off(max);
        st.pc.next_id += 1;
        let token = format!("token-{}", st.pc.next_id);
        st.pc
            .sessions
            .entry(session_key(session))
            .or_default()
            .tokens
            .insert(token.clone(), (rest, max));
        result.set("token", token);
    }
    result.set("objects", objs);
    Some(Value::Data(result))
}

pub fn retrieve_properties_ex(
    st: &mut State,
    session: Option<&Session>,
    spec_set: &Value,
    options: Option<&Value>,
) -> Result<Option<Value>, Fault> {
    let objs = retrieve_all(st, session, spec_set)?;
    let max = options
        .and_then(|o| o.path("maxObjects"))
        .and_then(Value::as_i64)
        .filter(|m| *m > 0)
        .map(|m| m as usize)
        .unwrap_or(usize::MAX);
    Ok(page(st, session, objs, max))
}

pub fn continue_retrieve(
    st: &mut State,
    session: Option<&Session>,
    token: &str,
) -> Result<Option<Value>, Fault> {
    let (rest, max) = st
        .pc
        .sessions
        .get_mut(&session_key(session))
        .and_then(|p| p.tokens.remove(token))
        .ok_or_else(|| Fault::invalid_argument("token"))?;
    // Later pages keep the page size of the first one.
    Ok(page(st, session, rest, max).or_else(|| {
        Some(Value::Data(
            Data::new("RetrieveResult").with("objects", Value::Array(vec![])),
        ))
    }))
}

pub fn cancel_retrieve(
    st: &mut State,
    session: Option<&Session>,
    token: &str,
) -> Result<Option<Value>, Fault> {
    if let Some(p) = st.pc.sessions.get_mut(&session_key(session)) {
        p.tokens.remove(token);
    }
    Ok(None)
}

pub fn create_filter(
    st: &mut State,
    session: Option<&Session>,
    spec: &Data,
    partial: bool,
) -> Result<Option<Value>, Fault> {
    // Validate now, as vCenter does: a bad path fails CreateFilter itself.
    evaluate(st, session, spec)?;
    st.pc.next_id += 1;
    let id = format!("session[{}]filter-{}", session_key(session), st.pc.next_id);
    st.pc
        .sessions
        .entry(session_key(session))
        .or_default()
        .filters
        .insert(
            id.clone(),
            Filter {
                spec: spec.clone(),
                partial,
                last: None,
            },
        );
    Ok(Some(Value::MoRef(MoRef::new("PropertyFilter", &id))))
}

pub fn destroy_filter(
    st: &mut State,
    session: Option<&Session>,
    filter: &MoRef,
) -> Result<Option<Value>, Fault> {
    match st
        .pc
        .sessions
        .get_mut(&session_key(session))
        .and_then(|p| p.filters.remove(&filter.value))
    {
        Some(_) => Ok(None),
        None => Err(Fault::managed_object_not_found(filter)),
    }
}

/// A filter's `spec`/`partialUpdates`, for `Fetch` on a PropertyFilter.
pub fn filter_property(
    st: &State,
    session: Option<&Session>,
    filter: &MoRef,
    path: &str,
) -> Result<Option<Value>, Fault> {
    let f = st
        .pc
        .sessions
        .get(&session_key(session))
        .and_then(|p| p.filters.get(&filter.value))
        .ok_or_else(|| Fault::managed_object_not_found(filter))?;
    match path {
        "spec" => Ok(Some(Value::Data(f.spec.clone()))),
        "partialUpdates" => Ok(Some(Value::Bool(f.partial))),
        _ => Err(Fault::invalid_property(path)),
    }
}

fn diff(old: Option<&Snapshot>, new: &Snapshot) -> Vec<Value> {
    let mut updates = vec![];
    let change = |name: &str, v: Option<&Value>| {
        let mut c = Data::new("PropertyChange")
            .with("name", name)
            .with("op", "assign");
        if let Some(v) = v {
            c.set("val", v.clone());
        }
        Value::Data(c)
    };
    for (obj, props) in new {
        match old.and_then(|o| o.get(obj)) {
            None => updates.push(Value::Data(
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
                    updates.push(Value::Data(
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
            updates.push(Value::Data(
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
            filter_set.push(Value::Data(
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
    Ok(Some(Value::Data(set)))
}

/// `WaitForUpdates[Ex]`/`CheckForUpdates`: returns at once when something
/// changed, otherwise sleeps until the state changes or `max_wait` passes
/// (`None`: wait indefinitely; zero: do not wait).
pub async fn wait_for_updates(
    shared: &Shared,
    session: Option<Session>,
    version: String,
    max_wait: Option<Duration>,
) -> Result<Option<Value>, Fault> {
    let deadline = max_wait.map(|d| tokio::time::Instant::now() + d);
    let mut rx = shared.subscribe();
    loop {
        rx.borrow_and_update();
        let r = {
            let mut st = shared.lock();
            if let Some(s) = &session
                && !st.sessions.values().any(|x| x.key == s.key)
            {
                return Err(Fault::not_authenticated(&st.svc("propertyCollector")));
            }
            collect_updates(&mut st, session.as_ref(), &version)?
        };
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
