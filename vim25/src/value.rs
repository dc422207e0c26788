//! The dynamic value model: what a vim25 message carries, without XML.
//!
//! Compact on purpose (issue 8): a [`Value`] is 16 bytes. Strings are shared
//! [`Str`]s; data objects, arrays, MoRefs and `anyType` wrappers sit behind an
//! `Arc`, so a clone is a reference count bump and equal subtrees can be one
//! copy ([`crate::share::Sharer`]). Writes go through `get_mut`/`path_mut`/
//! [`Value::data_mut`]/[`Value::array_mut`], which copy a shared node first
//! (`Arc::make_mut`): sharing is invisible to whoever holds a tree.

use std::sync::Arc;

use crate::schema::TypeRef;
use crate::{Name, Str};

/// A managed object reference: `<obj type="VirtualMachine">vm-42</obj>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MoRef {
    /// The managed type as sent. Not a [`Name`]: a client may send any text.
    pub kind: Str,
    pub value: Str,
}

impl MoRef {
    pub fn new(kind: &str, value: &str) -> Self {
        MoRef {
            kind: Str::new(kind),
            value: Str::new(value),
        }
    }
}

/// By the id alone: ids are unique within a server whatever the type, and
/// equal references have equal ids, so this agrees with `Eq`. Sets and maps
/// of tens of thousands of references hash one short string, not two.
impl std::hash::Hash for MoRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl std::fmt::Display for MoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// A data object: its wire type name and its fields. Field order here is free;
/// the encoder writes them in schema order.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    /// Interned: the decoder makes data objects only of types the schema defines.
    pub type_name: Name,
    /// Field names are interned ([`Name`]): one pointer per field.
    pub fields: Vec<(Name, Value)>,
}

impl Default for Data {
    fn default() -> Self {
        Data::new("")
    }
}

impl Data {
    pub fn new(type_name: &str) -> Self {
        Data {
            type_name: Name::new(type_name),
            fields: vec![],
        }
    }

    /// Builder form of [`Data::set`].
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set(name, value);
        self
    }

    /// Builder that skips `None`.
    pub fn with_opt<V: Into<Value>>(mut self, name: &str, value: Option<V>) -> Self {
        if let Some(v) = value {
            self.set(name, v);
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.fields
            .iter_mut()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }

    /// Sets a field, replacing any previous value.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        let value = value.into();
        match self.get_mut(name) {
            Some(slot) => *slot = value,
            None => self.fields.push((Name::new(name), value)),
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.fields.iter().position(|(n, _)| n.as_str() == name)?;
        Some(self.fields.remove(i).1)
    }

    /// Drops the spare capacity of every list in the tree that this tree
    /// alone holds. Built field by field, a data object's field list keeps
    /// up to twice the room it needs; over a large inventory that slack was
    /// a good part of memory.
    pub fn shrink_to_fit(&mut self) {
        self.fields.shrink_to_fit();
        for (_, v) in &mut self.fields {
            v.shrink_to_fit();
        }
    }

    /// The field at a dotted path (`hardware.numCPU`), through nested data objects.
    pub fn path(&self, path: &str) -> Option<&Value> {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let v = self.get(head)?;
        match rest {
            None => Some(v),
            Some(r) => v.as_data()?.path(r),
        }
    }

    /// Mutable access to a dotted path, creating intermediate data objects of
    /// the given types is the caller's job: this only walks existing ones.
    /// Shared nodes on the way are copied first.
    pub fn path_mut(&mut self, path: &str) -> Option<&mut Value> {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let v = self.get_mut(head)?;
        match rest {
            None => Some(v),
            Some(r) => v.data_mut()?.path_mut(r),
        }
    }
}

/// A value in an `anyType` slot: the wire type and the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Typed {
    pub ty: TypeRef,
    pub value: Value,
}

/// One value on the wire. Primitive types (`int` vs `long`, enum names) come
/// from the schema at the position the value is written; where the schema
/// says `anyType`, [`Value::Any`] carries the wire type explicitly.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Strings, enum values, `dateTime` and `anyURI` text.
    String(Str),
    Binary(Arc<Vec<u8>>),
    MoRef(Arc<MoRef>),
    Data(Arc<Data>),
    Array(Arc<Vec<Value>>),
    /// A value in an `anyType` position with its `xsi:type`.
    Any(Arc<Typed>),
    /// An element's content already encoded by vim25 (see [`Encoded`]).
    Encoded(Encoded),
}

/// The content of one element, already written as XML by this crate's own
/// encoder ([`crate::encode_object_content`]), for a slot whose declared type
/// it was written for. A server answering a retrieval over thousands of
/// objects encodes each object straight from its store instead of copying
/// it into a value tree first. Only vim25 can make one, so its text is
/// always well-formed; the decoder never produces it, and readers of a
/// value tree see it as opaque.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoded(pub(crate) Str);

impl Encoded {
    /// The XML text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Value {
    /// [`Data::shrink_to_fit`] for any value.
    /// Shared nodes are left alone (shrinking would copy them).
    pub fn shrink_to_fit(&mut self) {
        match self {
            Value::Data(d) => {
                if let Some(d) = Arc::get_mut(d) {
                    d.shrink_to_fit();
                }
            }
            Value::Array(items) => {
                if let Some(items) = Arc::get_mut(items) {
                    items.shrink_to_fit();
                    items.iter_mut().for_each(Value::shrink_to_fit);
                }
            }
            Value::Any(t) => {
                if let Some(t) = Arc::get_mut(t) {
                    t.value.shrink_to_fit();
                }
            }
            Value::String(_)
            | Value::Encoded(_)
            | Value::Binary(_)
            | Value::MoRef(_)
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_) => {}
        }
    }

    /// A string value.
    pub fn str(s: impl Into<Str>) -> Value {
        Value::String(s.into())
    }

    pub fn data(d: Data) -> Value {
        Value::Data(Arc::new(d))
    }

    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }

    pub fn moref(m: MoRef) -> Value {
        Value::MoRef(Arc::new(m))
    }

    pub fn binary(b: Vec<u8>) -> Value {
        Value::Binary(Arc::new(b))
    }

    /// A value in an `anyType` slot.
    pub fn any(ty: TypeRef, value: Value) -> Value {
        Value::Any(Arc::new(Typed { ty, value }))
    }

    /// Sees through [`Value::Any`].
    pub fn plain(&self) -> &Value {
        match self {
            Value::Any(t) => t.value.plain(),
            v => v,
        }
    }

    /// Write access to the data object this value holds (through an `anyType`
    /// wrapper), copying it first if it is shared.
    pub fn data_mut(&mut self) -> Option<&mut Data> {
        match self {
            Value::Data(d) => Some(Arc::make_mut(d)),
            Value::Any(t) => Arc::make_mut(t).value.data_mut(),
            _ => None,
        }
    }

    /// Write access to the array this value holds, copying it first if shared.
    pub fn array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(items) => Some(Arc::make_mut(items)),
            Value::Any(t) => Arc::make_mut(t).value.array_mut(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.plain() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.plain() {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.plain() {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.plain() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_moref(&self) -> Option<&MoRef> {
        match self.plain() {
            Value::MoRef(m) => Some(m.as_ref()),
            _ => None,
        }
    }

    pub fn as_data(&self) -> Option<&Data> {
        match self.plain() {
            Value::Data(d) => Some(d.as_ref()),
            _ => None,
        }
    }

    /// The elements of an array; a single value reads as a one-element slice,
    /// since a one-element array and a scalar look alike in some encodings.
    pub fn as_array(&self) -> &[Value] {
        match self.plain() {
            Value::Array(a) => a,
            v => std::slice::from_ref(v),
        }
    }

    /// The string elements of an array (or of a single string), others skipped:
    /// how `string[]` arguments such as type filters are read.
    pub fn strings(&self) -> Vec<String> {
        self.as_array()
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    }

    /// A field at a dotted path inside a data value.
    pub fn path(&self, path: &str) -> Option<&Value> {
        self.as_data()?.path(path)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(Str::new(s))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(Str::from(s))
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::String(Str::new(s))
    }
}
impl From<Str> for Value {
    fn from(s: Str) -> Self {
        Value::String(s)
    }
}
impl From<&Str> for Value {
    fn from(s: &Str) -> Self {
        Value::String(s.clone())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}
impl From<u32> for Value {
    fn from(i: u32) -> Self {
        Value::Int(i64::from(i))
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}
impl From<MoRef> for Value {
    fn from(m: MoRef) -> Self {
        Value::MoRef(Arc::new(m))
    }
}
impl From<&MoRef> for Value {
    fn from(m: &MoRef) -> Self {
        Value::MoRef(Arc::new(m.clone()))
    }
}
impl From<Data> for Value {
    fn from(d: Data) -> Self {
        Value::Data(Arc::new(d))
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::Array(Arc::new(v.into_iter().map(Into::into).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::Value;

    #[test]
    fn a_value_is_two_words() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<(crate::Name, Value)>(), 24);
    }
}
