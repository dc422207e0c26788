//! Joining equal subtrees of value trees into one shared copy.
//!
//! A generated inventory of 10,000 VMs holds the same controllers, the same
//! capability and flag objects, the same enum strings ten thousand times:
//! measured on the default generator, 89% of the strings and 54% of the data
//! objects of a VM are equal to one another VM already has. [`Sharer`] walks a
//! tree bottom-up and replaces every string, MoRef, data object and array
//! with the copy it already holds when an equal one was seen before. Because
//! children are joined first, two subtrees are equal exactly when their
//! direct fields are equal with children compared by identity — so each node
//! is hashed and compared shallowly, and joining a tree is linear in its size.
//!
//! Sharing is invisible to readers, and writers copy a shared node first
//! (`Arc::make_mut` in [`Value::data_mut`] and friends), so a later write to
//! one VM never shows in another. The table holds its copies alive, so it is
//! meant for a bulk load (the simulator's inventory build), not for the
//! lifetime of a store.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::hash::FastHash;
use crate::{Data, MoRef, Str, Typed, Value};

/// The canonical copies seen so far, one table per node kind.
#[derive(Default)]
pub struct Sharer {
    strs: HashMap<Str, (), FastHash>,
    morefs: HashMap<Arc<MoRef>, (), FastHash>,
    binaries: HashMap<Arc<Vec<u8>>, (), FastHash>,
    datas: HashMap<Shallow<Data>, (), FastHash>,
    arrays: HashMap<Shallow<Vec<Value>>, (), FastHash>,
    anys: HashMap<Shallow<Typed>, (), FastHash>,
    /// Addresses of the canonical nodes above, so a subtree joined before
    /// (a tree walked a second time) is skipped without hashing it.
    canonical: HashSet<usize, FastHash>,
}

impl std::fmt::Debug for Sharer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharer")
            .field("strs", &self.strs.len())
            .field("datas", &self.datas.len())
            .field("morefs", &self.morefs.len())
            .field("arrays", &self.arrays.len())
            .field("anys", &self.anys.len())
            .field("binaries", &self.binaries.len())
            .field("canonical", &self.canonical.len())
            .finish_non_exhaustive()
    }
}

fn table<K>(n: usize) -> HashMap<K, (), FastHash> {
    HashMap::with_capacity_and_hasher(n, FastHash)
}

/// The table's copy of `key`, or `key` itself, now the table's copy.
fn canon<K: Hash + Eq + Clone>(table: &mut HashMap<K, (), FastHash>, key: K) -> K {
    match table.entry(key) {
        Entry::Occupied(e) => e.key().clone(),
        Entry::Vacant(e) => {
            let k = e.key().clone();
            e.insert(());
            k
        }
    }
}

/// How many distinct nodes of each kind a [`Sharer`] should have room for
/// from the start: a bulk load that knows its size saves the tables'
/// repeated growth (rehashing was 8% of a 50,000-VM inventory build).
#[derive(Clone, Copy, Debug, Default)]
pub struct Capacity {
    pub strs: usize,
    pub morefs: usize,
    pub datas: usize,
    pub arrays: usize,
    pub anys: usize,
}

impl Sharer {
    pub fn new() -> Sharer {
        Sharer::default()
    }

    /// A sharer whose tables start with room for `c`.
    pub fn with_capacity(c: Capacity) -> Sharer {
        Sharer {
            strs: table(c.strs),
            morefs: table(c.morefs),
            binaries: HashMap::default(),
            datas: table(c.datas),
            arrays: table(c.arrays),
            anys: table(c.anys),
            canonical: HashSet::with_capacity_and_hasher(
                c.strs + c.morefs + c.datas + c.arrays + c.anys,
                FastHash,
            ),
        }
    }

    /// The shared copy of a string.
    pub fn str(&mut self, s: &Str) -> Str {
        canon(&mut self.strs, s.clone())
    }

    /// The shared copy of a MoRef, its strings shared too.
    pub fn moref(&mut self, m: &MoRef) -> Arc<MoRef> {
        if let Some((c, ())) = self.morefs.get_key_value(m) {
            return c.clone();
        }
        let c = Arc::new(MoRef {
            kind: self.str(&m.kind),
            value: self.str(&m.value),
        });
        self.morefs.insert(c.clone(), ());
        c
    }

    /// Joins every node of `d`'s tree (not `d` itself, which its owner holds).
    /// Lists are shrunk to their length on the way: a tree built by writes
    /// keeps up to twice the room it needs, and a joined tree is final.
    pub fn data(&mut self, d: &mut Data) {
        d.fields.shrink_to_fit();
        for (_, v) in &mut d.fields {
            self.value(v);
        }
    }

    /// Replaces `v` and everything under it with shared copies.
    pub fn value(&mut self, v: &mut Value) {
        match v {
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
            Value::Encoded(e) => e.0 = self.str(&e.0),
            Value::String(s) => *s = self.str(s),
            Value::Binary(b) => *b = canon(&mut self.binaries, b.clone()),
            Value::MoRef(m) => {
                if !self.canonical.contains(&addr(m)) {
                    *m = self.moref(m);
                    self.canonical.insert(addr(m));
                }
            }
            Value::Data(d) => {
                if !self.canonical.contains(&addr(d)) {
                    self.data(Arc::make_mut(d));
                    *d = canon(&mut self.datas, Shallow(d.clone())).0;
                    self.canonical.insert(addr(d));
                }
            }
            Value::Array(items) => {
                if !self.canonical.contains(&addr(items)) {
                    let list = Arc::make_mut(items);
                    list.shrink_to_fit();
                    list.iter_mut().for_each(|v| self.value(v));
                    *items = canon(&mut self.arrays, Shallow(items.clone())).0;
                    self.canonical.insert(addr(items));
                }
            }
            Value::Any(t) => {
                if !self.canonical.contains(&addr(t)) {
                    self.value(&mut Arc::make_mut(t).value);
                    *t = canon(&mut self.anys, Shallow(t.clone())).0;
                    self.canonical.insert(addr(t));
                }
            }
        }
    }
}

fn addr<T: ?Sized>(a: &Arc<T>) -> usize {
    Arc::as_ptr(a).cast::<u8>() as usize
}

/// A node keyed by its direct content, children by identity.
struct Shallow<T>(Arc<T>);

impl<T> Clone for Shallow<T> {
    fn clone(&self) -> Self {
        Shallow(self.0.clone())
    }
}

/// One value as its parent sees it: scalars by value, shared parts by address.
fn shallow_key(v: &Value) -> (u8, u64) {
    match v {
        Value::Bool(b) => (0, u64::from(*b)),
        Value::Int(i) => (1, *i as u64),
        Value::Float(f) => (2, f.to_bits()),
        Value::String(s) => (3, s.addr() as u64),
        Value::Binary(b) => (4, addr(b) as u64),
        Value::MoRef(m) => (5, addr(m) as u64),
        Value::Data(d) => (6, addr(d) as u64),
        Value::Array(a) => (7, addr(a) as u64),
        Value::Any(t) => (8, addr(t) as u64),
        Value::Encoded(e) => (9, e.0.addr() as u64),
    }
}

impl Hash for Shallow<Data> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.type_name.id().hash(h);
        for (n, v) in &self.0.fields {
            n.id().hash(h);
            shallow_key(v).hash(h);
        }
    }
}

impl PartialEq for Shallow<Data> {
    fn eq(&self, o: &Self) -> bool {
        let (a, b) = (&*self.0, &*o.0);
        a.type_name == b.type_name
            && a.fields.len() == b.fields.len()
            && a.fields
                .iter()
                .zip(&b.fields)
                .all(|((na, va), (nb, vb))| na == nb && shallow_key(va) == shallow_key(vb))
    }
}
impl Eq for Shallow<Data> {}

impl Hash for Shallow<Vec<Value>> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.len().hash(h);
        self.0.iter().for_each(|v| shallow_key(v).hash(h));
    }
}

impl PartialEq for Shallow<Vec<Value>> {
    fn eq(&self, o: &Self) -> bool {
        self.0.len() == o.0.len()
            && self
                .0
                .iter()
                .zip(o.0.iter())
                .all(|(a, b)| shallow_key(a) == shallow_key(b))
    }
}
impl Eq for Shallow<Vec<Value>> {}

impl Hash for Shallow<Typed> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.ty.hash(h);
        shallow_key(&self.0.value).hash(h);
    }
}

impl PartialEq for Shallow<Typed> {
    fn eq(&self, o: &Self) -> bool {
        self.0.ty == o.0.ty && shallow_key(&self.0.value) == shallow_key(&o.0.value)
    }
}
impl Eq for Shallow<Typed> {}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Capacity, Sharer};
    use crate::{Data, MoRef, Value};

    fn vm(name: &str) -> Data {
        Data::new("VirtualMachine")
            .with("name", name)
            .with(
                "runtime",
                Data::new("VirtualMachineRuntimeInfo")
                    .with("powerState", "poweredOff")
                    .with("host", MoRef::new("HostSystem", "host-1")),
            )
            .with("datastore", vec![MoRef::new("Datastore", "datastore-1")])
    }

    fn runtime(d: &Data) -> &Arc<Data> {
        match d.get("runtime") {
            Some(Value::Data(r)) => r,
            other => panic!("runtime is {other:?}"),
        }
    }

    #[test]
    fn a_presized_sharer_joins_as_an_empty_one_does() {
        let mut s = Sharer::with_capacity(Capacity {
            strs: 64,
            datas: 64,
            ..Capacity::default()
        });
        let (mut a, mut b) = (vm("a"), vm("b"));
        s.data(&mut a);
        s.data(&mut b);
        assert!(Arc::ptr_eq(runtime(&a), runtime(&b)));
        assert_eq!(b.get("name").and_then(Value::as_str), Some("b"));
    }

    #[test]
    fn equal_subtrees_become_one_copy_and_writes_unshare_them() {
        let mut s = Sharer::new();
        let (mut a, mut b) = (vm("a"), vm("b"));
        s.data(&mut a);
        s.data(&mut b);
        assert!(
            Arc::ptr_eq(runtime(&a), runtime(&b)),
            "equal runtimes are joined"
        );
        assert_eq!(a.get("name").and_then(Value::as_str), Some("a"));
        assert_eq!(b.get("name").and_then(Value::as_str), Some("b"));

        *a.path_mut("runtime.powerState")
            .unwrap_or_else(|| unreachable!("built above")) = "poweredOn".into();
        assert_eq!(
            a.path("runtime.powerState").and_then(Value::as_str),
            Some("poweredOn")
        );
        assert_eq!(
            b.path("runtime.powerState").and_then(Value::as_str),
            Some("poweredOff")
        );
        assert!(!Arc::ptr_eq(runtime(&a), runtime(&b)));
    }

    #[test]
    fn different_subtrees_stay_apart() {
        let mut s = Sharer::new();
        let mut a = vm("a");
        let mut b = vm("b");
        b.path_mut("runtime")
            .and_then(Value::data_mut)
            .unwrap_or_else(|| unreachable!("built above"))
            .set("host", MoRef::new("HostSystem", "host-2"));
        s.data(&mut a);
        s.data(&mut b);
        assert!(!Arc::ptr_eq(runtime(&a), runtime(&b)));
        assert_eq!(a, vm("a"), "joining changes no content");
    }
}
