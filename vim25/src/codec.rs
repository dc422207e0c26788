//! Schema-directed conversion between [`Value`]s and vim25 XML elements.
//!
//! Encoding writes data object fields in schema order and adds `xsi:type`
//! wherever the actual type differs from the declared one (subtypes, and every
//! `anyType` position). Decoding reads the declared type from the schema and
//! follows `xsi:type` where present; unknown elements are skipped, as real
//! clients skip properties newer than their schema.

use std::fmt::Write as _;

use base64::Engine;

use std::sync::Arc;

use crate::Str;
use crate::schema::{Schema, TypeRef, array_element_type, array_type_name};
use crate::value::{Data, MoRef, Value};
use crate::xml::{Element, push_escaped};
use crate::{Error, Name, PRIMITIVE_PREFIX};

fn is_primitive(name: &str) -> bool {
    // Primitive names are lower-case, every schema type name is capitalised:
    // one byte rules most names out before the list is scanned.
    name.starts_with(|c: char| c.is_ascii_lowercase()) && crate::schema::PRIMITIVES.contains(&name)
}

/// Writes the `xsi:type` text for a wire type (all of it plain ASCII names).
fn push_xsi_name(out: &mut String, ty: &TypeRef, s: &Schema) {
    if ty.array {
        out.push_str(&array_type_name(&ty.name, s));
    } else if s.is_managed(&ty.name) {
        out.push_str("ManagedObjectReference");
    } else if is_primitive(&ty.name) {
        out.push_str(PRIMITIVE_PREFIX);
        out.push_str(&ty.name);
    } else {
        out.push_str(&ty.name);
    }
}

/// The wire type a value implies when no schema type is at hand (an `anyType` slot
/// filled with a bare value).
fn inferred_type(v: &Value) -> TypeRef {
    match v {
        Value::Bool(_) => TypeRef::new("boolean"),
        Value::Int(i) if i32::try_from(*i).is_ok() => TypeRef::new("int"),
        Value::Int(_) => TypeRef::new("long"),
        Value::Float(_) => TypeRef::new("double"),
        Value::String(_) => TypeRef::new("string"),
        Value::Binary(_) => TypeRef::new("base64Binary"),
        Value::MoRef(_) => TypeRef::new("ManagedObjectReference"),
        Value::Data(d) => TypeRef::new(&d.type_name),
        Value::Any(t) => t.ty.clone(),
        // Written for a declared slot; never placed where a type is inferred.
        Value::Encoded(_) => TypeRef::new("anyType"),
        Value::Array(items) => {
            let elem = items
                .first()
                .map(inferred_type)
                .unwrap_or_else(|| TypeRef::new("anyType"));
            TypeRef::array_of(&elem.name)
        }
    }
}

/// Writes `value` as element(s) named `tag` for a field declared as `declared`
/// (arrays become repeated elements).
pub(crate) fn write_field(
    out: &mut String,
    tag: &str,
    declared: &TypeRef,
    value: &Value,
    s: &Schema,
) -> Result<(), Error> {
    if declared.array {
        let elem = declared.element();
        for v in value.as_array() {
            write_element(out, tag, &elem, v, s)?;
        }
        Ok(())
    } else {
        write_element(out, tag, declared, value, s)
    }
}

/// Writes one element.
pub(crate) fn write_element(
    out: &mut String,
    tag: &str,
    declared: &TypeRef,
    value: &Value,
    s: &Schema,
) -> Result<(), Error> {
    // In an anyType slot, the wire type travels in xsi:type.
    match value {
        Value::Any(t) => write_typed(out, tag, declared, &t.ty, &t.value, true, s),
        v if declared.name == "anyType" => {
            write_typed(out, tag, declared, &inferred_type(v), v, true, s)
        }
        v => write_typed(out, tag, declared, declared, v, false, s),
    }
}

/// Writes `value` as a value of schema type `ty` in an `anyType` slot, as if
/// it were wrapped in [`Value::Any`] (without making the wrapper): how a
/// retrieval reports a property of a declared type.
pub(crate) fn write_as(
    out: &mut String,
    tag: &str,
    ty: &TypeRef,
    value: &Value,
    s: &Schema,
) -> Result<(), Error> {
    // With `typed` set, write_typed never looks at the declared type.
    match value {
        Value::Any(t) => write_typed(out, tag, ty, &t.ty, &t.value, true, s),
        v if ty.name == "anyType" && !ty.array => {
            write_typed(out, tag, ty, &inferred_type(v), v, true, s)
        }
        v => write_typed(out, tag, ty, ty, v, true, s),
    }
}

/// [`write_element`] with the wire type settled: `typed` says whether the
/// element carries `xsi:type` (an `anyType` slot or an explicit wrapper).
fn write_typed(
    out: &mut String,
    tag: &str,
    declared: &TypeRef,
    wire_ty: &TypeRef,
    inner: &Value,
    typed: bool,
    s: &Schema,
) -> Result<(), Error> {
    out.push('<');
    out.push_str(tag);
    match inner {
        _ if typed => {
            out.push_str(" xsi:type=\"");
            match inner {
                Value::Data(d) if !wire_ty.array => out.push_str(d.type_name.as_str()),
                _ => push_xsi_name(out, wire_ty, s),
            }
            out.push('"');
        }
        Value::Data(d) if d.type_name.as_str() != declared.name.as_str() => {
            out.push_str(" xsi:type=\"");
            out.push_str(d.type_name.as_str());
            out.push('"');
        }
        _ => {}
    }
    if wire_ty.array {
        // An ArrayOfX value: children named after the element type.
        out.push('>');
        let elem = wire_ty.element();
        let child_tag = if s.is_managed(&elem.name) {
            "ManagedObjectReference"
        } else {
            elem.name.as_str()
        };
        for v in inner.as_array() {
            write_element(out, child_tag, &elem, v, s)?;
        }
        close(out, tag);
        return Ok(());
    }
    match inner {
        Value::MoRef(m) => {
            out.push_str(" type=\"");
            push_escaped(out, &m.kind);
            out.push_str("\">");
            push_escaped(out, &m.value);
        }
        Value::Data(d) => {
            out.push('>');
            write_data_fields(out, d, s)?;
        }
        Value::Array(_) => {
            return Err(Error::Encode(format!(
                "an array cannot stand in single-valued <{tag}> of type {}",
                declared.name
            )));
        }
        Value::Any(..) => return Err(Error::Encode(format!("nested anyType wrapper in <{tag}>"))),
        Value::Encoded(e) => {
            out.push('>');
            out.push_str(e.as_str());
        }
        prim => {
            out.push('>');
            write_primitive(out, prim);
        }
    }
    close(out, tag);
    Ok(())
}

fn close(out: &mut String, tag: &str) {
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn write_primitive(out: &mut String, v: &Value) {
    match v {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            // Writing into a String cannot fail.
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(*f)),
        Value::String(st) => push_escaped(out, st),
        Value::Binary(b) => {
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(b.as_slice()))
        }
        _ => {}
    }
}

fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "INF".into() } else { "-INF".into() }
    } else {
        format!("{f:?}")
    }
}

/// Writes a data object's fields in schema order. A field the schema does not
/// know for this type is an encoding error: a real vCenter would reject it.
pub(crate) fn write_data_fields(out: &mut String, d: &Data, s: &Schema) -> Result<(), Error> {
    let props = s.all_props(&d.type_name);
    if props.is_empty() && s.get(&d.type_name).is_none() {
        return Err(Error::Encode(format!("unknown data type {}", d.type_name)));
    }
    for (name, _) in &d.fields {
        if !props.iter().any(|p| p.name == name.as_str()) {
            return Err(Error::Encode(format!(
                "{} has no property {name}",
                d.type_name
            )));
        }
    }
    for p in props {
        if let Some(v) = d.get(&p.name) {
            write_field(out, &p.name, &p.ty, v, s)?;
        }
    }
    Ok(())
}

/// Reads one element declared as `declared` (a single value, not an array).
pub(crate) fn read_element(el: &Element, declared: &TypeRef, s: &Schema) -> Result<Value, Error> {
    let any_slot = declared.name == "anyType";
    let actual = el
        .xsi_type()
        .map(str::to_string)
        .unwrap_or_else(|| declared.name.to_string());
    let ty = match array_element_type(&actual, s) {
        Some(elem) if s.get(&actual).is_none() => TypeRef::array_of(&elem),
        _ => TypeRef::new(&actual),
    };
    let v = read_typed(el, &ty, s)?;
    Ok(if any_slot { Value::any(ty, v) } else { v })
}

fn read_typed(el: &Element, ty: &TypeRef, s: &Schema) -> Result<Value, Error> {
    if ty.array {
        let elem = ty.element();
        let items = el
            .children
            .iter()
            .map(|c| read_element(c, &elem, s))
            .collect::<Result<Vec<_>, _>>()?;
        // Children of an ArrayOfX carry their own type; anyType wrappers are not repeated inside.
        let items = items
            .into_iter()
            .map(|v| match v {
                Value::Any(t) if elem.name != "anyType" => Arc::unwrap_or_clone(t).value,
                v => v,
            })
            .collect();
        return Ok(Value::array(items));
    }
    let name = ty.name.as_str();
    if s.is_managed(name) {
        let kind = el.attr("type").unwrap_or(name);
        return Ok(Value::moref(MoRef::new(kind, el.text.trim())));
    }
    if is_primitive(name) {
        return read_primitive(el, name);
    }
    if s.is_enum(name) {
        return Ok(Value::str(el.text.trim().to_string()));
    }
    if s.is_data(name) {
        let mut d = Data::new(name);
        for c in &el.children {
            let Some(p) = s.prop(name, &c.name) else {
                continue;
            };
            let v = read_element(c, &p.ty.element(), s)?;
            if p.ty.array {
                match d.get_mut(&p.name) {
                    Some(Value::Array(items)) => Arc::make_mut(items).push(v),
                    _ => d.fields.push((Name::new(&p.name), Value::array(vec![v]))),
                }
            } else {
                d.set(&p.name, v);
            }
        }
        return Ok(Value::data(d));
    }
    Err(Error::Decode(format!(
        "<{}> has unknown type {name}",
        el.name
    )))
}

fn read_primitive(el: &Element, name: &str) -> Result<Value, Error> {
    let text = el.text.as_str();
    let bad = || Error::Decode(format!("<{}>: {text:?} is not a valid {name}", el.name));
    Ok(match name {
        "boolean" => match text.trim() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(bad()),
        },
        "byte" | "short" | "int" | "long" => Value::Int(text.trim().parse().map_err(|_| bad())?),
        "float" | "double" => Value::Float(match text.trim() {
            "NaN" => f64::NAN,
            "INF" => f64::INFINITY,
            "-INF" => f64::NEG_INFINITY,
            t => t.parse().map_err(|_| bad())?,
        }),
        "base64Binary" => Value::binary(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim().as_bytes())
                .map_err(|_| bad())?,
        ),
        // string, dateTime, anyURI, and anyType without xsi:type: the text as it stands.
        _ => Value::str(text.to_string()),
    })
}

/// An `ObjectContent` as a retrieval answers it, encoded straight from the
/// caller's store: the object, then each property as a `DynamicProperty`
/// whose value is written as its schema type `ty` says. The result goes in
/// an `ObjectContent` slot (e.g. a `RetrieveResult`'s `objects`).
pub fn encode_object_content<'v>(
    obj: &MoRef,
    props: impl IntoIterator<Item = (&'v str, &'v TypeRef, &'v Value)>,
) -> Result<Value, Error> {
    let s = crate::schema();
    let mut out = String::with_capacity(160);
    out.push_str("<obj type=\"");
    push_escaped(&mut out, &obj.kind);
    out.push_str("\">");
    push_escaped(&mut out, &obj.value);
    out.push_str("</obj>");
    for (name, ty, value) in props {
        out.push_str("<propSet><name>");
        push_escaped(&mut out, name);
        out.push_str("</name>");
        write_as(&mut out, "val", ty, value, s)?;
        out.push_str("</propSet>");
    }
    Ok(Value::Encoded(crate::value::Encoded(Str::from(out))))
}
