//! The dynamic value model: what a vim25 message carries, without XML.

use crate::Name;
use crate::schema::TypeRef;

/// A managed object reference: `<obj type="VirtualMachine">vm-42</obj>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MoRef {
    pub kind: String,
    pub value: String,
}

impl MoRef {
    pub fn new(kind: &str, value: &str) -> Self {
        MoRef {
            kind: kind.to_string(),
            value: value.to_string(),
        }
    }
}

impl std::fmt::Display for MoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// A data object: its wire type name and its fields. Field order here is free;
/// the encoder writes them in schema order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Data {
    pub type_name: String,
    /// Field names are interned ([`Name`]): one pointer per field.
    pub fields: Vec<(Name, Value)>,
}

impl Data {
    pub fn new(type_name: &str) -> Self {
        Data {
            type_name: type_name.to_string(),
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

    /// Drops the spare capacity of every list and string in the tree. Built
    /// field by field, a data object's field list keeps up to twice the room
    /// it needs; over a large inventory that slack was a good part of memory.
    pub fn shrink_to_fit(&mut self) {
        self.type_name.shrink_to_fit();
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
    pub fn path_mut(&mut self, path: &str) -> Option<&mut Value> {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let v = self.get_mut(head)?;
        match rest {
            None => Some(v),
            Some(r) => match v {
                Value::Data(d) => d.path_mut(r),
                Value::Any(_, inner) => match inner.as_mut() {
                    Value::Data(d) => d.path_mut(r),
                    _ => None,
                },
                _ => None,
            },
        }
    }
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
    String(String),
    Binary(Vec<u8>),
    MoRef(MoRef),
    Data(Data),
    Array(Vec<Value>),
    /// A value in an `anyType` position with its `xsi:type`.
    Any(TypeRef, Box<Value>),
}

impl Value {
    /// [`Data::shrink_to_fit`] for any value.
    pub fn shrink_to_fit(&mut self) {
        match self {
            Value::String(s) => s.shrink_to_fit(),
            Value::Binary(b) => b.shrink_to_fit(),
            Value::MoRef(m) => {
                m.kind.shrink_to_fit();
                m.value.shrink_to_fit();
            }
            Value::Data(d) => d.shrink_to_fit(),
            Value::Array(items) => {
                items.shrink_to_fit();
                items.iter_mut().for_each(Value::shrink_to_fit);
            }
            Value::Any(_, v) => v.shrink_to_fit(),
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
        }
    }

    /// Sees through [`Value::Any`].
    pub fn plain(&self) -> &Value {
        match self {
            Value::Any(_, v) => v.plain(),
            v => v,
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
            Value::MoRef(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_data(&self) -> Option<&Data> {
        match self.plain() {
            Value::Data(d) => Some(d),
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
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
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
        Value::MoRef(m)
    }
}
impl From<&MoRef> for Value {
    fn from(m: &MoRef) -> Self {
        Value::MoRef(m.clone())
    }
}
impl From<Data> for Value {
    fn from(d: Data) -> Self {
        Value::Data(d)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::Array(v.into_iter().map(Into::into).collect())
    }
}
