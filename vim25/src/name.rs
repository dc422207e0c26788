//! Interned property names. A simulator inventory holds millions of data
//! object fields drawn from a few thousand names (the schema's); storing each
//! as its own `String` cost a heap block per field. A [`Name`] is a pointer
//! to one shared copy, made once per process.

use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};

use crate::hash::FastHash;

/// A property name, compared and hashed by its text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(&'static str);

type Table = RwLock<HashSet<&'static str, FastHash>>;

fn table() -> &'static Table {
    static NAMES: OnceLock<Table> = OnceLock::new();
    NAMES.get_or_init(|| {
        // Every name the schema knows is already 'static in the schema itself.
        let mut set = HashSet::default();
        let s = crate::schema();
        for ty in s.type_names() {
            for p in s.all_props(ty) {
                set.insert(p.name.as_str());
            }
        }
        RwLock::new(set)
    })
}

impl Name {
    /// The shared copy of `text`. Names outside the schema (only tests and
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
        w.insert(leaked);
        Name(leaked)
    }

    pub fn as_str(&self) -> &'static str {
        self.0
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
        self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.0 == other.as_str()
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
    }
}
