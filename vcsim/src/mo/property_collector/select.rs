//! Object and property selection: ObjectSpec/TraversalSpec walks and
//! PropertySpec paths evaluated over the object model.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use vim25::hash::FastHash;
use vim25::{Data, Fault, MoRef, Str, Value, schema};

use super::{Snapshot, read, read_borrowed, wrap};
use crate::model::Object;
use crate::state::{Session, State};

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
    seen: HashSet<(MoRef, String), FastHash>,
    found: Vec<MoRef>,
    found_set: HashSet<MoRef, FastHash>,
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
            if !skip {
                self.found_set.reserve(targets.len());
                self.found.reserve(targets.len());
            }
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
pub(super) fn evaluate(
    st: &State,
    session: Option<&Session>,
    spec: &Data,
) -> Result<(Snapshot, Vec<MoRef>), Fault> {
    let mut snap = Snapshot::new();
    let missing = select(st, session, spec, |o, props| {
        let props = props
            .iter()
            .map(|(p, ty, v)| (p.clone(), wrap(ty.clone(), v.as_ref().clone())))
            .collect();
        snap.insert(o.moref.clone(), props);
        Ok(())
    })?;
    Ok((snap, missing))
}

/// One property as [`select`] hands it over: its path, its declared type
/// and its value, borrowed from the store where the store holds it.
type Prop<'s> = (Str, vim25::TypeRef, Cow<'s, Value>);

/// Walks one PropertyFilterSpec: calls `each` once per selected object (in
/// traversal order, each object once) with the properties asked for, and
/// returns the starting objects that do not exist. Nothing is copied out of
/// the store: a retrieval encodes straight from what `each` is handed.
fn select<'s>(
    st: &'s State,
    session: Option<&Session>,
    spec: &Data,
    mut each: impl FnMut(&'s Object, &[Prop<'s>]) -> Result<(), Fault>,
) -> Result<Vec<MoRef>, Fault> {
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
        seen: HashSet::default(),
        found: vec![],
        found_set: HashSet::default(),
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
    // What each PropertySpec asks for, read once rather than per object.
    // Paths as the spec's own shared strings: each object's result names
    // its properties with a clone of these, not a copy of the text.
    let wanted: Vec<(&str, bool, Vec<Str>)> = prop_specs
        .iter()
        .map(|ps| {
            let paths = ps.get("pathSet").map(Value::as_array).unwrap_or_default();
            (
                ps.get("type").and_then(Value::as_str).unwrap_or_default(),
                bool_field(ps, "all"),
                paths
                    .iter()
                    .filter_map(|p| match p.plain() {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
            )
        })
        .collect();
    // The declared type of each (object type, path) met so far.
    let mut types: Vec<(&str, Str, vim25::TypeRef)> = vec![];
    for obj in &w.found {
        let mut paths: Vec<Str> = vec![];
        let mut matched = false;
        for (ty, all, path_set) in &wanted {
            if !(obj.kind == *ty || schema().is_subtype(&obj.kind, ty)) {
                continue;
            }
            matched = true;
            if *all {
                if let Some(o) = st.objects.get(obj) {
                    paths.extend(o.props.fields.iter().map(|(n, _)| Str::new(n)));
                }
                if obj.kind == "ContainerView" {
                    paths.push(Str::new("view"));
                }
                if obj.kind == "VirtualMachine" {
                    paths.extend(["layoutEx", "storage"].map(Str::new));
                }
            } else {
                paths.extend(path_set.iter().cloned());
            }
        }
        if !matched {
            continue;
        }
        let Some(o) = st.objects.get(obj) else {
            return Err(Fault::managed_object_not_found(obj));
        };
        let mut props: Vec<Prop<'s>> = Vec::with_capacity(paths.len());
        for path in paths {
            if props.iter().any(|(seen, _, _)| *seen == path) {
                continue;
            }
            let p = path.as_str();
            // By the stored type, which may be a subtype of the reference's.
            let kind = o.moref.kind.as_str();
            let ty = match types.iter().find(|(k, q, _)| *k == kind && q == p) {
                Some((_, _, ty)) => ty.clone(),
                None => {
                    let ty = schema()
                        .path_type(kind, p)
                        .ok_or_else(|| Fault::invalid_property(p))?;
                    types.push((kind, path.clone(), ty.clone()));
                    ty
                }
            };
            if let Some(v) = read_borrowed(st, session, o, p) {
                props.push((path, ty, v));
            }
        }
        // `found` holds each object once, so no object is listed twice.
        each(o, &props)?;
    }
    Ok(missing)
}

/// Runs every spec of a `specSet`, in traversal order, merging objects seen
/// twice. Each object is encoded as its `ObjectContent` right from the store.
pub(super) fn retrieve_all(
    st: &State,
    session: Option<&Session>,
    spec_set: &Value,
) -> Result<Vec<Value>, Fault> {
    let mut out = vec![];
    let mut first_missing = None;
    for spec in spec_set.as_array().iter().filter_map(Value::as_data) {
        let mut objs: Vec<(u64, Value)> = vec![];
        let missing = select(st, session, spec, |o, props| {
            let content = vim25::encode_object_content(
                &o.moref,
                props.iter().map(|(p, ty, v)| (p.as_str(), ty, v.as_ref())),
            )
            .map_err(|e| Fault::new("SystemError", format!("cannot encode {}: {e}", o.moref)))?;
            objs.push((o.seq, content));
            Ok(())
        })?;
        // In creation order for stable, inventory-ordered output.
        objs.sort_by_key(|(seq, _)| *seq);
        out.extend(objs.into_iter().map(|(_, v)| v));
        if first_missing.is_none() {
            first_missing = missing.into_iter().next();
        }
    }
    // Like vcsim: vanished objects are skipped, but a query that finds
    // nothing because its objects are gone is a ManagedObjectNotFound.
    if let (true, Some(m)) = (out.is_empty(), first_missing) {
        return Err(Fault::managed_object_not_found(&m));
    }
    Ok(out)
}
