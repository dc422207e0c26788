//! Object and property selection: ObjectSpec/TraversalSpec walks and
//! PropertySpec paths evaluated over the object model.

use std::collections::{HashMap, HashSet};

use vim25::hash::FastHash;
use vim25::{Data, Fault, MoRef, Name, Str, Value, schema};

use super::{Snapshot, read, read_object};
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
    let (found, missing) = select(st, session, spec)?;
    Ok((found.into_iter().map(|(_, m, p)| (m, p)).collect(), missing))
}

/// [`evaluate`] as a list, each object once with its creation sequence: a
/// one-shot retrieval sorts that list rather than building and re-reading a map.
fn select(
    st: &State,
    session: Option<&Session>,
    spec: &Data,
) -> Result<(Vec<Selected>, Vec<MoRef>), Fault> {
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
    let mut snap = Vec::with_capacity(w.found.len());
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
        let mut props: Props = Vec::with_capacity(paths.len());
        for path in paths {
            if props.iter().any(|(seen, _)| *seen == path) {
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
            if let Some(v) = read_object(st, session, o, p, ty) {
                props.push((path, v));
            }
        }
        // `found` holds each object once, so no object is listed twice.
        snap.push((o.seq, obj.clone(), props));
    }
    Ok((snap, missing))
}

/// One object's properties by path, as a retrieval reports them.
type Props = Vec<(Str, Value)>;

/// A selected object: its creation sequence, reference and properties.
type Selected = (u64, MoRef, Props);

/// The names of an ObjectContent's parts, interned once per retrieval: a
/// reply over 10,000 objects builds 30,000 of these data objects.
struct ContentNames {
    object_content: Name,
    dynamic_property: Name,
    obj: Name,
    prop_set: Name,
    name: Name,
    val: Name,
}

impl ContentNames {
    fn new() -> Self {
        ContentNames {
            object_content: Name::new("ObjectContent"),
            dynamic_property: Name::new("DynamicProperty"),
            obj: Name::new("obj"),
            prop_set: Name::new("propSet"),
            name: Name::new("name"),
            val: Name::new("val"),
        }
    }

    fn object_content(&self, obj: MoRef, props: Props) -> Value {
        let prop_set = props
            .into_iter()
            .map(|(n, v)| {
                Value::data(Data {
                    type_name: self.dynamic_property,
                    fields: vec![(self.name, Value::String(n)), (self.val, v)],
                })
            })
            .collect();
        Value::data(Data {
            type_name: self.object_content,
            fields: vec![
                (self.obj, Value::moref(obj)),
                (self.prop_set, Value::array(prop_set)),
            ],
        })
    }
}

/// Runs every spec of a `specSet`, in traversal order, merging objects seen twice.
pub(super) fn retrieve_all(
    st: &State,
    session: Option<&Session>,
    spec_set: &Value,
) -> Result<Vec<Value>, Fault> {
    let mut out = vec![];
    let names = ContentNames::new();
    let mut any_found = false;
    let mut first_missing = None;
    for spec in spec_set.as_array().iter().filter_map(Value::as_data) {
        let (mut objs, missing) = select(st, session, spec)?;
        // In creation order for stable, inventory-ordered output.
        objs.sort_by_key(|(seq, _, _)| *seq);
        for (_, m, p) in objs {
            any_found = true;
            out.push(names.object_content(m, p));
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
