//! The generic object model: every managed object is a MoRef, its managed
//! type, and a tree of vim25 values named exactly as the schema names them.
//! PropertyCollector, `Fetch` and the test API all read through [`Objects`],
//! so any property the tree holds is readable without per-property code.

use std::collections::HashMap;

use vim25::{Data, MoRef, Value, schema};

#[derive(Clone, Debug)]
pub struct Object {
    pub moref: MoRef,
    /// Creation order, so listings are stable and match inventory order.
    pub seq: u64,
    /// The object's properties; `type_name` is the managed type.
    pub props: Data,
}

#[derive(Debug, Default)]
pub struct Objects {
    map: HashMap<String, Object>,
    next_seq: u64,
}

impl Objects {
    pub fn insert(&mut self, moref: MoRef, props: Data) {
        self.next_seq += 1;
        let seq = self.next_seq;
        self.map
            .insert(moref.value.clone(), Object { moref, seq, props });
    }

    /// The object `m` names. The stored type must be the requested type or a
    /// subtype of it, as vCenter refuses a MoRef whose type does not match.
    pub fn get(&self, m: &MoRef) -> Option<&Object> {
        self.map
            .get(&m.value)
            .filter(|o| o.moref.kind == m.kind || schema().is_subtype(&o.moref.kind, &m.kind))
    }

    pub fn get_mut(&mut self, m: &MoRef) -> Option<&mut Object> {
        self.map
            .get_mut(&m.value)
            .filter(|o| o.moref.kind == m.kind || schema().is_subtype(&o.moref.kind, &m.kind))
    }

    pub fn contains(&self, m: &MoRef) -> bool {
        self.get(m).is_some()
    }

    pub fn remove(&mut self, m: &MoRef) -> Option<Object> {
        if self.contains(m) {
            self.map.remove(&m.value)
        } else {
            None
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// All objects whose type is `kind` or a subtype, in creation order.
    pub fn of_kind(&self, kind: &str) -> Vec<MoRef> {
        let s = schema();
        let mut v: Vec<&Object> = self
            .map
            .values()
            .filter(|o| o.moref.kind == kind || s.is_subtype(&o.moref.kind, kind))
            .collect();
        v.sort_by_key(|o| o.seq);
        v.into_iter().map(|o| o.moref.clone()).collect()
    }

    pub fn prop(&self, m: &MoRef, path: &str) -> Option<&Value> {
        self.get(m)?.props.path(path)
    }

    pub fn str_prop(&self, m: &MoRef, path: &str) -> Option<String> {
        self.prop(m, path)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    pub fn name(&self, m: &MoRef) -> String {
        self.str_prop(m, "name").unwrap_or_default()
    }

    pub fn ref_prop(&self, m: &MoRef, path: &str) -> Option<MoRef> {
        self.prop(m, path).and_then(Value::as_moref).cloned()
    }

    pub fn refs(&self, m: &MoRef, path: &str) -> Vec<MoRef> {
        self.prop(m, path)
            .map(|v| {
                v.as_array()
                    .iter()
                    .filter_map(Value::as_moref)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets a property at a dotted path, creating missing intermediate data
    /// objects with the type the schema declares for them.
    pub fn set(&mut self, m: &MoRef, path: &str, value: Value) -> Result<(), String> {
        let o = self.get_mut(m).ok_or_else(|| format!("no object {m}"))?;
        set_path(&mut o.props, path, value)
    }

    pub fn unset(&mut self, m: &MoRef, path: &str) {
        let Some(o) = self.get_mut(m) else { return };
        match path.rsplit_once('.') {
            None => {
                o.props.remove(path);
            }
            Some((parent, last)) => {
                if let Some(Value::Data(d)) = o.props.path_mut(parent) {
                    d.remove(last);
                }
            }
        }
    }

    /// Appends `r` to the MoRef list at `prop` unless it is already there.
    /// Done in place: inventories with thousands of VMs per folder push often.
    pub fn push_ref(&mut self, m: &MoRef, prop: &str, r: &MoRef) {
        let Some(o) = self.get_mut(m) else { return };
        match o.props.path_mut(prop) {
            Some(Value::Array(items)) => {
                if !items.iter().any(|x| x.as_moref() == Some(r)) {
                    items.push(Value::MoRef(r.clone()));
                }
            }
            Some(slot) => {
                let mut items = slot.as_array().to_vec();
                items.push(Value::MoRef(r.clone()));
                *slot = Value::Array(items);
            }
            None => {
                let _ = set_path(
                    &mut o.props,
                    prop,
                    Value::Array(vec![Value::MoRef(r.clone())]),
                );
            }
        }
    }

    pub fn remove_ref(&mut self, m: &MoRef, prop: &str, r: &MoRef) {
        let Some(o) = self.get_mut(m) else { return };
        if let Some(Value::Array(items)) = o.props.path_mut(prop) {
            items.retain(|x| x.as_moref() != Some(r));
        }
    }

    /// The object holding `name` among the `childEntity` of folder `folder`.
    pub fn child_named(&self, folder: &MoRef, name: &str) -> Option<MoRef> {
        self.refs(folder, "childEntity")
            .into_iter()
            .find(|c| self.name(c) == name)
    }
}

/// Writes `value` at a dotted path inside `root`, creating intermediate data
/// objects typed from the schema (`guest` → `GuestInfo`).
pub fn set_path(root: &mut Data, path: &str, value: Value) -> Result<(), String> {
    let (head, rest) = match path.split_once('.') {
        None => {
            root.set(path, value);
            return Ok(());
        }
        Some(x) => x,
    };
    if root.get(head).and_then(Value::as_data).is_none() {
        let ty = schema()
            .prop(&root.type_name, head)
            .map(|p| p.ty.clone())
            .ok_or_else(|| format!("{} has no property {head}", root.type_name))?;
        if ty.array {
            return Err(format!(
                "{}.{head} is an array and cannot be walked",
                root.type_name
            ));
        }
        root.set(head, Data::new(&ty.name));
    }
    match root.get_mut(head) {
        Some(Value::Data(d)) => set_path(d, rest, value),
        _ => Err(format!("{}.{head} is not a data object", root.type_name)),
    }
}
