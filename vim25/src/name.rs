//! Interned property names. A simulator inventory holds millions of data
//! object fields drawn from a few thousand names (the schema's); storing each
//! as its own `String` cost a heap block per field. A [`Name`] is a thin
//! pointer (8 bytes) to one shared copy, made once per process; data object
//! type names are `Name`s too.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use crate::hash::FastHash;

/// A property or type name. Equal names are the same slot, so equality is a
/// pointer comparison; hashing and ordering go by the text.
#[derive(Clone, Copy)]
pub struct Name(&'static &'static str);

/// Text → its one slot. Slots are leaked on purpose: they live as long as
/// the process, and only code (the schema, the simulator, tests) makes names
/// — the decoder makes names only of what the schema defines, so a client
/// cannot grow this table.
type Table = RwLock<HashMap<&'static str, &'static &'static str, FastHash>>;

fn slot(text: &'static str) -> &'static &'static str {
    Box::leak(Box::new(text))
}

fn table() -> &'static Table {
    static NAMES: OnceLock<Table> = OnceLock::new();
    NAMES.get_or_init(|| {
        // Every name the schema knows is already 'static in the schema itself.
        let mut map = HashMap::default();
        let s = crate::schema();
        for ty in s.type_names() {
            map.entry(ty).or_insert_with(|| slot(ty));
            for p in s.all_props(ty) {
                let n = p.name.as_str();
                map.entry(n).or_insert_with(|| slot(n));
            }
        }
        RwLock::new(map)
    })
}

impl Name {
    /// The shared slot of `text`. Names outside the schema (only tests and
    /// hand-written faults make them) are copied once and kept.
    pub fn new(text: &str) -> Name {
        let t = table();
        if let Some(n) = t.read().unwrap_or_else(|e| e.into_inner()).get(text) {
            return Name(n);
        }
        let mut w = t.write().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = w.get(text) {
            return Name(n);
        }
        let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
        let n = slot(leaked);
        w.insert(leaked, n);
        Name(n)
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The slot's address: equal names have equal ids (for identity hashing).
    pub fn id(&self) -> usize {
        std::ptr::from_ref::<&'static str>(self.0) as usize
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        // One slot per text (the table's invariant), so the same text is the same slot.
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        self.0.cmp(other.0)
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        *self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == other.as_str()
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::Name;

    #[test]
    fn one_copy_per_name_in_or_out_of_the_schema() {
        let a = Name::new("runtime");
        let b = Name::new(&String::from("runtime"));
        assert_eq!(a, b);
        assert!(
            std::ptr::eq(a.as_str(), b.as_str()),
            "schema names are shared"
        );
        let c = Name::new("notInTheSchemaAtAll");
        let d = Name::new("notInTheSchemaAtAll");
        assert!(
            std::ptr::eq(c.as_str(), d.as_str()),
            "other names are made once"
        );
        assert_eq!(c, "notInTheSchemaAtAll");
        assert_ne!(a, c);
        assert_eq!(std::mem::size_of::<Name>(), 8);
        assert_eq!(
            Name::new("VirtualMachineConfigInfo"),
            "VirtualMachineConfigInfo"
        );
    }
}
