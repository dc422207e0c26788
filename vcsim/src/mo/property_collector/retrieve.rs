//! One-shot retrieval with paging, and filter creation/destruction.

use vim25::{Data, Fault, MoRef, Value};

use super::select::{evaluate, retrieve_all};
use super::{Filter, session_key};
use crate::state::{Session, State};

pub(super) fn retrieve_properties(
    st: &State,
    session: Option<&Session>,
    spec_set: &Value,
) -> Result<Option<Value>, Fault> {
    Ok(Some(Value::array(retrieve_all(st, session, spec_set)?)))
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
    Some(Value::data(result))
}

pub(super) fn retrieve_properties_ex(
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

pub(super) fn continue_retrieve(
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
        Some(Value::data(
            Data::new("RetrieveResult").with("objects", Value::array(vec![])),
        ))
    }))
}

pub(super) fn cancel_retrieve(
    st: &mut State,
    session: Option<&Session>,
    token: &str,
) -> Result<Option<Value>, Fault> {
    if let Some(p) = st.pc.sessions.get_mut(&session_key(session)) {
        p.tokens.remove(token);
    }
    Ok(None)
}

pub(super) fn create_filter(
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
    Ok(Some(Value::moref(MoRef::new("PropertyFilter", &id))))
}

pub(super) fn destroy_filter(
    st: &mut State,
    session: Option<&Session>,
    filter: &MoRef,
) -> Result<Option<Value>, Fault> {
    match st
        .pc
        .sessions
        .get_mut(&session_key(session))
        .and_then(|p| p.filters.remove(filter.value.as_str()))
    {
        Some(_) => Ok(None),
        None => Err(Fault::managed_object_not_found(filter)),
    }
}

/// A filter's `spec`/`partialUpdates`, for `Fetch` on a PropertyFilter.
pub(crate) fn filter_property(
    st: &State,
    session: Option<&Session>,
    filter: &MoRef,
    path: &str,
) -> Result<Option<Value>, Fault> {
    let f = st
        .pc
        .sessions
        .get(&session_key(session))
        .and_then(|p| p.filters.get(filter.value.as_str()))
        .ok_or_else(|| Fault::managed_object_not_found(filter))?;
    match path {
        "spec" => Ok(Some(Value::data(f.spec.clone()))),
        "partialUpdates" => Ok(Some(Value::Bool(f.partial))),
        _ => Err(Fault::invalid_property(path)),
    }
}
