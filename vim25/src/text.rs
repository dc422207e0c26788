//! [`Str`]: the immutable, cheaply cloned string that values carry.
//!
//! A simulator inventory holds hundreds of thousands of strings of which only
//! a few percent are distinct (enum values, labels, dates, the same name in
//! `name`, `config.name` and `summary.config.name`). A `Str` is a shared
//! `arcstr::ArcStr`: a thin pointer (8 bytes, so a [`crate::Value`] is 16) to
//! one block holding the count, the length and the text, one heap copy for
//! equal strings that [`crate::share::Sharer`] has joined, and a clone is a
//! reference count bump. (`Arc<str>` is 16 bytes in every value; an
//! `Arc<Box<str>>` is thin but costs a second block and a second cache miss
//! on every read, which showed in the encoder's profile.)
//! Strings are never edited in place in a value tree; a write replaces them.

use arcstr::ArcStr;
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// A shared immutable string, compared, ordered and hashed by its text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(ArcStr);

impl Str {
    pub fn new(text: &str) -> Str {
        Str(ArcStr::from(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether both are the one shared copy (not merely equal text).
    pub fn ptr_eq(a: &Str, b: &Str) -> bool {
        ArcStr::ptr_eq(&a.0, &b.0)
    }

    /// The address of the shared copy, for identity-keyed tables.
    pub(crate) fn addr(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

impl Default for Str {
    fn default() -> Self {
        Str::new("")
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Str> for str {
    fn eq(&self, other: &Str) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Str> for &str {
    fn eq(&self, other: &Str) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Str> for String {
    fn eq(&self, other: &Str) -> bool {
        self.as_str() == other.as_str()
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str::new(s)
    }
}

impl From<String> for Str {
    fn from(s: String) -> Str {
        Str(ArcStr::from(s))
    }
}

impl From<&String> for Str {
    fn from(s: &String) -> Str {
        Str::new(s)
    }
}

impl From<&Str> for Str {
    fn from(s: &Str) -> Str {
        s.clone()
    }
}

impl From<Str> for String {
    fn from(s: Str) -> String {
        s.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::Str;
    use std::collections::HashMap;

    #[test]
    fn compares_and_looks_up_by_text() {
        let a = Str::from("vm-42");
        let b = Str::from(String::from("vm-42"));
        assert_eq!(a, b);
        assert!(!Str::ptr_eq(&a, &b), "separately made copies are distinct");
        assert!(Str::ptr_eq(&a, &a.clone()), "a clone is the same copy");
        assert_eq!(a, "vm-42");
        assert_eq!("vm-42", a);
        let mut m = HashMap::new();
        m.insert(a, 1);
        assert_eq!(m.get("vm-42"), Some(&1));
        assert_eq!(format!("{b} {b:?}"), "vm-42 \"vm-42\"");
        assert_eq!(std::mem::size_of::<Str>(), 8);
    }
}
