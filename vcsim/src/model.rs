//! The generic object model: every managed object is a MoRef, its managed
//! type, and a tree of vim25 values named exactly as the schema names them.
//! PropertyCollector, `Fetch` and the test API all read through [`Objects`],
//! so any property the tree holds is readable without per-property code.
//!
//! Every write goes through [`Objects::touch`], which feeds the undo journal
//! (see `journal.rs`): a failed change is rolled back object by object, and a
//! committed one knows which objects need their derived properties refreshed.

use std::collections::HashMap;
use std::sync::Arc;

use vim25::hash::FastHash;
use vim25::share::Sharer;
use vim25::{Data, Fault, MoRef, Str, Value, schema};

use crate::journal::Journal;

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
    map: HashMap<Str, Object, FastHash>,
    next_seq: u64,
    journal: Journal,
    /// Counts writes, so read-only sections can assert they made none.
    writes: u64,
    /// During a bulk load: joins equal subtrees of what is stored.
    sharer: Option<Sharer>,
}

/// The fault for a property path the schema does not define on a type: an
/// internal bug (a typo in the simulator), never something to ignore.
pub(crate) fn unknown_path(kind: &str, path: &str) -> Fault {
    Fault::invalid_property(&format!("{kind}.{path}"))
}

fn kind_matches(stored: &str, requested: &str) -> bool {
    stored == requested || schema().is_subtype(stored, requested)
}

impl Objects {
    /// Records the original of `key` before its first change in the open transaction.
    fn touch(&mut self, key: &str) {
        self.writes += 1;
        let map = &self.map;
        self.journal.record(key, || map.get(key).cloned());
    }

    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Opens a (possibly nested) transaction over the store.
    pub fn begin(&mut self) {
        self.journal.begin();
    }

    /// Keeps the changes of the innermost transaction. When it was the
    /// outermost one, returns the objects it changed that still exist.
    pub fn commit(&mut self) -> Vec<MoRef> {
        self.journal
            .commit()
            .iter()
            .filter_map(|id| self.moref_of(id))
            .collect()
    }

    /// Puts every object the innermost transaction changed back as it was.
    pub fn rollback(&mut self) {
        self.journal.rollback(&mut self.map);
    }

    pub fn in_transaction(&self) -> bool {
        self.journal.is_open()
    }

    /// The MoRef of an object by its id, whatever its type.
    pub fn moref_of(&self, id: &str) -> Option<MoRef> {
        self.map.get(id).map(|o| o.moref.clone())
    }

    /// From now until [`Objects::finish_sharing`], equal subtrees of stored
    /// objects become one shared copy (`vim25::share`). For bulk loads: the
    /// sharer keeps what it has seen alive, so it is dropped at the end.
    pub fn start_sharing(&mut self, capacity: vim25::share::Capacity) {
        self.sharer = Some(Sharer::with_capacity(capacity));
    }

    /// Joins `m`'s tree again after a bulk-load step rewrote parts of it. Not
    /// a write: the content stays the same, only copies are merged.
    pub fn reshare(&mut self, m: &MoRef) {
        if let (Some(s), Some(o)) = (self.sharer.as_mut(), self.map.get_mut(m.value.as_str())) {
            s.data(&mut o.props);
        }
    }

    /// Joins every stored object once more (lists grown since they were
    /// stored, derived properties) and ends sharing.
    pub fn finish_sharing(&mut self) {
        if let Some(mut s) = self.sharer.take() {
            for o in self.map.values_mut() {
                s.data(&mut o.props);
            }
        }
    }

    pub fn insert(&mut self, mut moref: MoRef, mut props: Data) {
        // Objects are built field by field; what they keep should be their
        // size, not their growth room (shrinking later, once the allocator has
        // handed the room out, frees nothing back).
        props.shrink_to_fit();
        if let Some(s) = self.sharer.as_mut() {
            // The tree itself is joined when the builder is done with it
            // (`reshare`, `finish_sharing`): joined now, the writes that
            // follow would copy the shared nodes and strand the originals.
            moref.kind = s.str(&moref.kind);
        }
        self.touch(&moref.value);
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
            .filter(|o| kind_matches(&o.moref.kind, &m.kind))
    }

    /// Write access to one object; the object counts as changed.
    fn get_mut(&mut self, m: &MoRef) -> Option<&mut Object> {
        if !self.contains(m) {
            return None;
        }
        self.touch(&m.value);
        self.map.get_mut(&m.value)
    }

    pub fn contains(&self, m: &MoRef) -> bool {
        self.get(m).is_some()
    }

    pub fn remove(&mut self, m: &MoRef) -> Option<Object> {
        if self.contains(m) {
            self.touch(&m.value);
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
        let mut v: Vec<&Object> = self
            .map
            .values()
            .filter(|o| kind_matches(&o.moref.kind, kind))
            .collect();
        v.sort_by_key(|o| o.seq);
        v.into_iter().map(|o| o.moref.clone()).collect()
    }

    /// A property by dotted path, refusing a path the object's type does not
    /// define: a misspelt path is an error, not a silent `None`.
    pub fn checked_prop(&self, m: &MoRef, path: &str) -> Result<Option<&Value>, Fault> {
        let Some(o) = self.get(m) else {
            return Ok(None);
        };
        if !schema().has_path(&o.moref.kind, path) {
            return Err(unknown_path(&o.moref.kind, path));
        }
        Ok(o.props.path(path))
    }

    /// A property by dotted path. Internal code only asks for paths the
    /// schema defines; a typo fails every debug build (and so every test).
    pub fn prop(&self, m: &MoRef, path: &str) -> Option<&Value> {
        match self.checked_prop(m, path) {
            Ok(v) => v,
            Err(f) => {
                debug_assert!(false, "vcsim read of an unknown property path: {f}");
                None
            }
        }
    }

    /// For generic walks over objects of several types: `None` when the
    /// object's type has no such property, rather than a bug.
    pub fn prop_if_defined(&self, m: &MoRef, path: &str) -> Option<&Value> {
        self.checked_prop(m, path).ok().flatten()
    }

    pub fn str_prop(&self, m: &MoRef, path: &str) -> Option<String> {
        self.prop(m, path)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The object's `name`; empty for a type without one (a
    /// `ServiceInstance` named as a method's argument is the caller's
    /// mistake, not a simulator bug: issue 14's fuzzing found that).
    pub fn name(&self, m: &MoRef) -> String {
        self.prop_if_defined(m, "name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_default()
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

    /// Checks a path for a write before anything changes.
    fn writable(&self, m: &MoRef, path: &str) -> Result<(), Fault> {
        let o = self
            .get(m)
            .ok_or_else(|| Fault::managed_object_not_found(m))?;
        if schema().has_path(&o.moref.kind, path) {
            Ok(())
        } else {
            Err(unknown_path(&o.moref.kind, path))
        }
    }

    /// Sets a property at a dotted path, creating missing intermediate data
    /// objects with the type the schema declares for them.
    pub fn set(&mut self, m: &MoRef, path: &str, value: Value) -> Result<(), Fault> {
        self.writable(m, path)?;
        let o = self
            .get_mut(m)
            .ok_or_else(|| Fault::managed_object_not_found(m))?;
        set_path(&mut o.props, path, value)
    }

    pub fn unset(&mut self, m: &MoRef, path: &str) -> Result<(), Fault> {
        if !self.contains(m) {
            return Ok(());
        }
        self.writable(m, path)?;
        let Some(o) = self.get_mut(m) else {
            return Ok(());
        };
        match path.rsplit_once('.') {
            None => {
                o.props.remove(path);
            }
            Some((parent, last)) => {
                if let Some(d) = o.props.path_mut(parent).and_then(Value::data_mut) {
                    d.remove(last);
                }
            }
        }
        Ok(())
    }

    /// Appends `r` to the MoRef list at `prop` unless it is already there.
    /// Done in place: inventories with thousands of VMs per folder push often.
    pub fn push_ref(&mut self, m: &MoRef, prop: &str, r: &MoRef) -> Result<(), Fault> {
        self.push(m, prop, r, true)
    }

    /// Appends `r`, an object just inserted under a fresh id, to the MoRef
    /// list at `prop`. No list can hold a fresh id yet, so the duplicate scan
    /// of [`Objects::push_ref`] is skipped: building 10,000 VMs into one
    /// folder, pool and host would otherwise be quadratic.
    pub fn push_new_ref(&mut self, m: &MoRef, prop: &str, r: &MoRef) -> Result<(), Fault> {
        self.push(m, prop, r, false)
    }

    fn push(&mut self, m: &MoRef, prop: &str, r: &MoRef, dedupe: bool) -> Result<(), Fault> {
        if !self.contains(m) {
            return Ok(());
        }
        self.writable(m, prop)?;
        let item = match self.sharer.as_mut() {
            Some(s) => Value::MoRef(s.moref(r)),
            None => Value::moref(r.clone()),
        };
        let Some(o) = self.get_mut(m) else {
            return Ok(());
        };
        match o.props.path_mut(prop) {
            Some(Value::Array(items)) => {
                if !dedupe || !items.iter().any(|x| x.as_moref() == Some(r)) {
                    Arc::make_mut(items).push(item);
                }
                Ok(())
            }
            Some(slot) => {
                let mut items = slot.as_array().to_vec();
                items.push(item);
                *slot = Value::array(items);
                Ok(())
            }
            None => set_path(&mut o.props, prop, Value::array(vec![item])),
        }
    }

    pub fn remove_ref(&mut self, m: &MoRef, prop: &str, r: &MoRef) -> Result<(), Fault> {
        if !self.contains(m) {
            return Ok(());
        }
        self.writable(m, prop)?;
        let Some(o) = self.get_mut(m) else {
            return Ok(());
        };
        if let Some(items) = o.props.path_mut(prop).and_then(Value::array_mut) {
            items.retain(|x| x.as_moref() != Some(r));
        }
        Ok(())
    }

    /// The object holding `name` among the `childEntity` of folder `folder`.
    /// `None` when `folder` is not a folder (a datacenter parents its four
    /// folders without `childEntity`; issue 14's fuzzing found the debug
    /// panic renaming one).
    pub fn child_named(&self, folder: &MoRef, name: &str) -> Option<MoRef> {
        self.prop_if_defined(folder, "childEntity")
            .map(Value::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_moref)
            .find(|c| self.name(c) == name)
            .cloned()
    }
}

/// Writes `value` at a dotted path inside `root`, creating intermediate data
/// objects typed from the schema (`guest` → `GuestInfo`). Every step, the
/// last included, must be a property the schema defines.
pub(crate) fn set_path(root: &mut Data, path: &str, value: Value) -> Result<(), Fault> {
    let Some((head, rest)) = path.split_once('.') else {
        if schema().prop(&root.type_name, path).is_none() {
            return Err(unknown_path(&root.type_name, path));
        }
        root.set(path, value);
        return Ok(());
    };
    if root.get(head).and_then(Value::as_data).is_none() {
        let ty = schema()
            .prop(&root.type_name, head)
            .map(|p| p.ty.clone())
            .ok_or_else(|| unknown_path(&root.type_name, head))?;
        if ty.array {
            return Err(unknown_path(&root.type_name, path));
        }
        root.set(head, Data::new(&ty.name));
    }
    match root.get_mut(head) {
        Some(Value::Data(d)) => set_path(Arc::make_mut(d), rest, value),
        _ => Err(unknown_path(&root.type_name, path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_vm() -> (Objects, MoRef) {
        let mut o = Objects::default();
        let vm = MoRef::new("VirtualMachine", "vm-1");
        o.insert(vm.clone(), Data::new("VirtualMachine").with("name", "a"));
        (o, vm)
    }

    #[test]
    fn issue_7_unknown_path_is_refused_on_write() {
        let (mut o, vm) = one_vm();
        let err = o
            .set(&vm, "config.hardwear.numCPU", Value::Int(2))
            .expect_err("a misspelt path must not be written");
        assert!(err.is("InvalidProperty"), "{err}");
        assert!(err.to_string().contains("config.hardwear.numCPU"), "{err}");
        // The last step is checked too, not only the intermediate ones.
        let err = o
            .set(&vm, "config.numCPUs", Value::Int(2))
            .expect_err("config has no numCPUs");
        assert!(err.to_string().contains("numCPUs"), "{err}");
        assert!(o.push_ref(&vm, "netwerk", &vm).is_err());
        assert!(o.remove_ref(&vm, "netwerk", &vm).is_err());
        assert!(o.unset(&vm, "runtime.bootTme").is_err());
        // Nothing was created on the way.
        assert!(o.checked_prop(&vm, "config").expect("known").is_none());
        o.set(&vm, "config.hardware.numCPU", Value::Int(2))
            .expect("a known path is written");
        assert_eq!(
            o.prop(&vm, "config.hardware.numCPU")
                .and_then(Value::as_i64),
            Some(2)
        );
    }

    #[test]
    fn issue_7_unknown_path_is_refused_on_read() {
        let (o, vm) = one_vm();
        let err = o
            .checked_prop(&vm, "runtime.powerStat")
            .expect_err("a misspelt path must not read as None");
        assert!(err.to_string().contains("runtime.powerStat"), "{err}");
        assert_eq!(
            o.checked_prop(&vm, "name")
                .expect("known")
                .and_then(Value::as_str),
            Some("a")
        );
        assert!(o.prop_if_defined(&vm, "childEntity").is_none());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "unknown property path")]
    fn issue_7_unchecked_read_of_unknown_path_fails_debug_builds() {
        let (o, vm) = one_vm();
        assert!(o.prop(&vm, "guest.toolsRuningStatus").is_none());
    }
}
