//! SOAP 1.1 envelopes for vim25 calls, in both directions:
//! client request → simulator, simulator response → client.

use crate::codec::{read_element, write_data_fields, write_element, write_field};
use crate::schema::{Schema, TypeRef, schema};
use crate::value::{Data, MoRef, Value};
use crate::xml::{Element, parse, push_escaped};
use crate::{Error, Fault};

const ENVELOPE_OPEN: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    "\n",
    r#"<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
    "\n<soapenv:Body>\n"
);
const ENVELOPE_CLOSE: &str = "\n</soapenv:Body>\n</soapenv:Envelope>";
const VIM_NS: &str = r#"xmlns="urn:vim25""#;

/// One method call: `this.method(args…)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub method: String,
    pub this: MoRef,
    /// Arguments by parameter name; written in the method's parameter order.
    pub args: Vec<(String, Value)>,
}

impl Request {
    pub fn new(method: &str, this: &MoRef) -> Self {
        Request {
            method: method.to_string(),
            this: this.clone(),
            args: vec![],
        }
    }

    pub fn arg(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.args.push((name.to_string(), value.into()));
        self
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

fn body_child(root: &Element) -> Result<&Element, Error> {
    if root.name != "Envelope" {
        return Err(Error::Decode(format!(
            "expected a SOAP Envelope, found <{}>",
            root.name
        )));
    }
    let body = root
        .child("Body")
        .ok_or_else(|| Error::Decode("SOAP Envelope has no Body".into()))?;
    body.children
        .first()
        .ok_or_else(|| Error::Decode("SOAP Body is empty".into()))
}

/// Encodes a request as a client sends it.
pub fn encode_request(req: &Request) -> Result<String, Error> {
    let s = schema();
    let m = s
        .method(&req.method)
        .ok_or_else(|| Error::UnknownMethod(req.method.clone()))?;
    for (name, _) in &req.args {
        if !m.params.iter().any(|p| &p.name == name) {
            return Err(Error::Encode(format!(
                "{} has no parameter {name}",
                req.method
            )));
        }
    }
    let mut out = String::from(ENVELOPE_OPEN);
    out.push('<');
    out.push_str(&req.method);
    out.push(' ');
    out.push_str(VIM_NS);
    out.push('>');
    write_element(
        &mut out,
        "_this",
        &TypeRef::new("ManagedObjectReference"),
        &Value::moref(req.this.clone()),
        s,
    )?;
    for p in &m.params {
        if let Some(v) = req.get(&p.name) {
            write_field(&mut out, &p.name, &p.ty, v, s)?;
        }
    }
    out.push_str("</");
    out.push_str(&req.method);
    out.push('>');
    out.push_str(ENVELOPE_CLOSE);
    Ok(out)
}

/// Decodes a request as the simulator receives it. A method the schema does
/// not know is returned with no arguments so the caller can answer `MethodNotFound`.
pub fn decode_request(input: &[u8]) -> Result<Request, Error> {
    let s = schema();
    let root = parse(input)?;
    let call = body_child(&root)?;
    let this_el = call
        .child("_this")
        .ok_or_else(|| Error::Decode(format!("{} has no _this", call.name)))?;
    let Value::MoRef(this) = read_element(this_el, &TypeRef::new("ManagedObjectReference"), s)?
    else {
        return Err(Error::Decode(
            "_this is not a managed object reference".into(),
        ));
    };
    let mut req = Request {
        method: call.name.clone(),
        this: this.as_ref().clone(),
        args: vec![],
    };
    let Some(m) = s.method(&call.name) else {
        return Ok(req);
    };
    for c in call.children.iter().filter(|c| c.name != "_this") {
        let Some(p) = m.params.iter().find(|p| p.name == c.name) else {
            return Err(Error::Decode(format!(
                "{} has no parameter {}",
                m.name, c.name
            )));
        };
        let v = read_element(c, &p.ty.element(), s)?;
        if p.ty.array {
            match req.args.iter_mut().find(|(n, _)| n == &p.name) {
                Some((_, Value::Array(items))) => std::sync::Arc::make_mut(items).push(v),
                _ => req.args.push((p.name.clone(), Value::array(vec![v]))),
            }
        } else {
            req.args.push((p.name.clone(), v));
        }
    }
    Ok(req)
}

/// Encodes the simulator's answer to `method`: a return value (or none for
/// `void`), or a fault.
pub fn encode_response(
    method: &str,
    result: &Result<Option<Value>, Fault>,
) -> Result<String, Error> {
    let s = schema();
    match result {
        Err(f) => Ok(encode_fault(f, s)?),
        Ok(ret) => {
            let mut out = String::from(ENVELOPE_OPEN);
            out.push('<');
            out.push_str(method);
            out.push_str("Response ");
            out.push_str(VIM_NS);
            out.push('>');
            if let Some(v) = ret {
                let declared = s
                    .method(method)
                    .and_then(|m| m.returns.clone())
                    .unwrap_or_else(|| TypeRef::new("anyType"));
                write_field(&mut out, "returnval", &declared, v, s)?;
            }
            out.push_str("</");
            out.push_str(method);
            out.push_str("Response>");
            out.push_str(ENVELOPE_CLOSE);
            Ok(out)
        }
    }
}

fn encode_fault(f: &Fault, s: &Schema) -> Result<String, Error> {
    let mut out = String::from(ENVELOPE_OPEN);
    out.push_str("<soapenv:Fault><faultcode>");
    push_escaped(&mut out, &f.code);
    out.push_str("</faultcode><faultstring>");
    push_escaped(&mut out, &f.message);
    out.push_str("</faultstring>");
    if let Some(d) = &f.detail {
        out.push_str("<detail><");
        out.push_str(&d.type_name);
        out.push_str("Fault ");
        out.push_str(VIM_NS);
        out.push_str(" xsi:type=\"");
        push_escaped(&mut out, &d.type_name);
        out.push_str("\">");
        write_data_fields(&mut out, d, s)?;
        out.push_str("</");
        out.push_str(&d.type_name);
        out.push_str("Fault></detail>");
    }
    out.push_str("</soapenv:Fault>");
    out.push_str(ENVELOPE_CLOSE);
    Ok(out)
}

/// Decodes a response as the client receives it, typed by `method`'s return type.
pub fn decode_response(method: &str, input: &[u8]) -> Result<Result<Option<Value>, Fault>, Error> {
    let s = schema();
    let root = parse(input)?;
    let el = body_child(&root)?;
    if el.name == "Fault" {
        return Ok(Err(decode_fault(el, s)?));
    }
    let declared = s.method(method).and_then(|m| m.returns.clone());
    let Some(declared) = declared else {
        return Ok(Ok(None));
    };
    let vals = el
        .children
        .iter()
        .filter(|c| c.name == "returnval")
        .map(|c| read_element(c, &declared.element(), s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Ok(if declared.array {
        Some(Value::array(vals))
    } else {
        vals.into_iter().next()
    }))
}

fn decode_fault(el: &Element, s: &Schema) -> Result<Fault, Error> {
    let text = |n: &str| {
        el.child(n)
            .map(|c| c.text.trim().to_string())
            .unwrap_or_default()
    };
    let detail = match el.child("detail").and_then(|d| d.children.first()) {
        None => None,
        Some(d) => {
            let ty = d
                .xsi_type()
                .map(str::to_string)
                .unwrap_or_else(|| d.name.strip_suffix("Fault").unwrap_or(&d.name).to_string());
            if s.is_data(&ty) {
                match read_element(d, &TypeRef::new(&ty), s)? {
                    Value::Data(data) => Some(data.as_ref().clone()),
                    _ => None,
                }
            } else {
                // A fault type this schema does not know (a newer vCenter):
                // read as the root fault, so the decoder never interns a name
                // the peer chose.
                Some(Data::new("MethodFault"))
            }
        }
    };
    Ok(Fault {
        code: text("faultcode"),
        message: text("faultstring"),
        detail,
    })
}
