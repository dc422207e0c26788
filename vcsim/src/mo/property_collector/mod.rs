//! PropertyCollector, resolved generically over the object model: object
//! selection by ObjectSpec/TraversalSpec, property selection by PropertySpec
//! paths, one-shot retrieval with paging, and filters with incremental
//! updates (`WaitForUpdates[Ex]`, `CheckForUpdates`) computed by diffing what
//! each filter last reported against the current state.

mod retrieve;
mod select;
mod updates;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use vim25::{Data, Fault, MoRef, TypeRef, Value, schema};

use crate::call::{Call, Reply};
use crate::state::{Session, State};

pub(crate) use retrieve::filter_property;

/// What one filter (or retrieval) sees: for each object, its properties by path.
type Snapshot = BTreeMap<MoRef, Vec<(vim25::Str, Value)>>;

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
pub(crate) fn read(
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
    Ok(read_object(st, session, o, path, ty))
}

/// [`read`] of an object already looked up, with the type the schema
/// declares for `path` on it already resolved: a retrieval over thousands
/// of objects resolves each (type, path) once.
pub(crate) fn read_object(
    st: &State,
    session: Option<&Session>,
    o: &crate::model::Object,
    path: &str,
    ty: TypeRef,
) -> Option<Value> {
    read_borrowed(st, session, o, path).map(|v| wrap(ty, v.into_owned()))
}

/// A property as the store holds it (borrowed), or computed on demand.
pub(crate) fn read_borrowed<'s>(
    st: &'s State,
    session: Option<&Session>,
    o: &'s crate::model::Object,
    path: &str,
) -> Option<Cow<'s, Value>> {
    let obj = &o.moref;
    let v = match (o.moref.kind.as_str(), path) {
        ("ContainerView", "view") => Some(Value::from(crate::mo::view_manager::contents(st, obj))),
        ("SessionManager", "currentSession") => session.map(|s| Value::data(s.user_session())),
        ("SessionManager", "sessionList") => Some(Value::array(
            st.sessions
                .values()
                .map(|s| Value::data(s.user_session()))
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
        ("VirtualMachine", p) if computed_vm_root(p).is_some() => {
            let (root, rest) = computed_vm_root(p)?;
            let (layout, storage) =
                crate::mo::virtual_machine::files_layout::layout_and_storage(st, obj);
            let d = if root == "layoutEx" { layout } else { storage };
            match rest {
                None => Some(Value::data(d)),
                Some(r) => d.path(r).cloned(),
            }
        }
        _ => return o.props.path(path).map(Cow::Borrowed),
    };
    v.map(Cow::Owned)
}

/// The VM properties computed from the datastore file table on read
/// (`files_layout`): the root and what follows it in `path`.
pub(super) fn computed_vm_root(path: &str) -> Option<(&'static str, Option<&str>)> {
    ["layoutEx", "storage"].into_iter().find_map(|root| {
        let rest = path.strip_prefix(root)?;
        match rest.strip_prefix('.') {
            Some(r) => Some((root, Some(r))),
            None if rest.is_empty() => Some((root, None)),
            None => None,
        }
    })
}

pub(super) fn wrap(ty: TypeRef, v: Value) -> Value {
    match v {
        Value::Any(..) => v,
        v if ty.name == "anyType" && !ty.array => v,
        v => Value::any(ty, v),
    }
}

/// `Fetch` (pyvmomi's single-property read) on any managed object, or on a
/// PropertyFilter for its spec.
pub(crate) fn fetch(c: &Call) -> Reply {
    let prop = c.str("prop")?;
    let st = c.read();
    if c.this().kind == "PropertyFilter" {
        filter_property(&st, c.session.as_ref(), c.this(), prop)
    } else {
        read(&st, c.session.as_ref(), c.this(), prop)
    }
}

pub(crate) fn retrieve_properties(c: &Call) -> Reply {
    let specs = c
        .value("specSet")
        .ok_or_else(|| Fault::invalid_argument("specSet"))?;
    retrieve::retrieve_properties(&c.read(), c.session.as_ref(), specs)
}

pub(crate) fn retrieve_properties_ex(c: &Call) -> Reply {
    let specs = c
        .value("specSet")
        .ok_or_else(|| Fault::invalid_argument("specSet"))?;
    let options = c.value("options");
    c.shared
        .bookkeeping(|st| retrieve::retrieve_properties_ex(st, c.session.as_ref(), specs, options))
}

pub(crate) fn continue_retrieve_properties_ex(c: &Call) -> Reply {
    let token = c.str("token")?;
    c.shared
        .bookkeeping(|st| retrieve::continue_retrieve(st, c.session.as_ref(), token))
}

pub(crate) fn cancel_retrieve_properties_ex(c: &Call) -> Reply {
    let token = c.str("token")?;
    c.shared
        .bookkeeping(|st| retrieve::cancel_retrieve(st, c.session.as_ref(), token))
}

/// Filters are session state, but creating and destroying one advances the
/// version so a waiting `WaitForUpdates` re-evaluates its filters.
pub(crate) fn create_filter(c: &Call) -> Reply {
    let spec = c.data("spec")?;
    let partial = c.bool_or("partialUpdates", false)?;
    c.shared
        .mutate(|st| retrieve::create_filter(st, c.session.as_ref(), spec, partial))
}

pub(crate) fn destroy_property_filter(c: &Call) -> Reply {
    c.shared
        .mutate(|st| retrieve::destroy_filter(st, c.session.as_ref(), c.this()))
}

pub(crate) fn cancel_wait_for_updates(_: &Call) -> Reply {
    Ok(None)
}

fn version(c: &Call) -> String {
    c.value("version")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

type Waiting = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// `WaitForUpdates`: waits as long as it takes.
pub(crate) fn wait_for_updates(c: Call) -> Waiting {
    let version = version(&c);
    Box::pin(async move { updates::wait(&c.shared, c.session, version, None).await })
}

/// `WaitForUpdatesEx`: waits at most `options.maxWaitSeconds`.
pub(crate) fn wait_for_updates_ex(c: Call) -> Waiting {
    let version = version(&c);
    let wait = c
        .value("options")
        .and_then(|o| o.path("maxWaitSeconds"))
        .and_then(Value::as_i64)
        .map(|s| Duration::from_secs(s.max(0) as u64));
    Box::pin(async move { updates::wait(&c.shared, c.session, version, wait).await })
}

/// `CheckForUpdates`: does not wait.
pub(crate) fn check_for_updates(c: Call) -> Waiting {
    let version = version(&c);
    Box::pin(
        async move { updates::wait(&c.shared, c.session, version, Some(Duration::ZERO)).await },
    )
}

fn session_key(session: Option<&Session>) -> String {
    session.map(|s| s.key.clone()).unwrap_or_default()
}
