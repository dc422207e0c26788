//! ViewManager and ContainerView: the inventory tree's parent → child
//! relation, and views whose `view` property is computed from it on read so
//! they always reflect the current inventory.

use std::collections::HashSet;

use vim25::hash::FastHash;

use vim25::{Data, Fault, MoRef, Value, schema};

use crate::call::{Call, Reply};
use crate::state::State;

/// `ViewManager.CreateContainerView`.
pub(crate) fn create_container_view(c: &Call) -> Reply {
    let container = c.moref("container")?;
    let types = c.strings("type");
    let recursive = c.bool_or("recursive", false)?;
    c.shared
        .try_mutate(|st| create(st, &container, types, recursive))
}

/// `View.DestroyView`.
pub(crate) fn destroy_view(c: &Call) -> Reply {
    c.shared.try_mutate(|st| destroy(st, c.this()))
}

/// The inventory children of an entity, as vCenter's container views see them.
pub(crate) fn children(st: &State, m: &MoRef) -> Vec<MoRef> {
    let o = &st.objects;
    match m.kind.as_str() {
        "Folder" => o.refs(m, "childEntity"),
        "Datacenter" => ["vmFolder", "hostFolder", "datastoreFolder", "networkFolder"]
            .iter()
            .filter_map(|f| o.ref_prop(m, f))
            .collect(),
        "ComputeResource" | "ClusterComputeResource" => {
            let mut v = o.refs(m, "host");
            v.extend(o.ref_prop(m, "resourcePool"));
            v
        }
        "ResourcePool" | "VirtualApp" => {
            let mut v = o.refs(m, "resourcePool");
            v.extend(o.refs(m, "vm"));
            v
        }
        // Switches and everything else have no inventory children here.
        _ => vec![],
    }
}

fn matches(kind: &str, types: &[String]) -> bool {
    types.is_empty()
        || types
            .iter()
            .any(|t| kind == t || schema().is_subtype(kind, t))
}

/// The objects a ContainerView shows right now.
pub(crate) fn contents(st: &State, view: &MoRef) -> Vec<MoRef> {
    let Some(container) = st.objects.ref_prop(view, "container") else {
        return vec![];
    };
    let types = st
        .objects
        .prop(view, "type")
        .map(Value::strings)
        .unwrap_or_default();
    let recursive = st
        .objects
        .prop(view, "recursive")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut out = vec![];
    // Sized for the whole inventory up front: a view of 10,000 VMs would
    // otherwise rehash its way up on every read.
    let mut seen: HashSet<MoRef, FastHash> =
        HashSet::with_capacity_and_hasher(st.objects.len(), FastHash);
    let mut stack: Vec<MoRef> = children(st, &container).into_iter().rev().collect();
    while let Some(m) = stack.pop() {
        if !seen.insert(m.clone()) {
            continue;
        }
        if matches(&m.kind, &types) {
            out.push(m.clone());
        }
        if recursive {
            stack.extend(children(st, &m).into_iter().rev());
        }
    }
    out
}

fn create(
    st: &mut State,
    container: &MoRef,
    types: Vec<String>,
    recursive: bool,
) -> Result<Option<Value>, Fault> {
    if !st.objects.contains(container) {
        return Err(Fault::managed_object_not_found(container));
    }
    if !schema().is_subtype(&container.kind, "ManagedEntity") {
        return Err(Fault::invalid_argument("container"));
    }
    for t in &types {
        if !schema().is_managed(t) {
            return Err(Fault::invalid_argument("type"));
        }
    }
    let view = MoRef::new("ContainerView", &st.new_id("session-view"));
    st.objects.insert(
        view.clone(),
        Data::new("ContainerView")
            .with("container", container)
            .with("type", types)
            .with("recursive", recursive),
    );
    let vm = st.svc("viewManager");
    st.objects.push_ref(&vm, "viewList", &view)?;
    Ok(Some(Value::moref(view)))
}

fn destroy(st: &mut State, view: &MoRef) -> Result<Option<Value>, Fault> {
    if st.objects.remove(view).is_none() {
        return Err(Fault::managed_object_not_found(view));
    }
    let vm = st.svc("viewManager");
    st.objects.remove_ref(&vm, "viewList", view)?;
    Ok(None)
}
