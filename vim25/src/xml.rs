//! A small element tree over quick-xml, and the escaping writer. Everything
//! else in the workspace talks in [`crate::Value`]s; this is the XML.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::Error;

/// Nesting deeper than this is refused: real vim25 messages stay far below it,
/// and a bound keeps hostile input from exhausting the stack.
const MAX_DEPTH: usize = 128;

#[derive(Debug, Default, Clone)]
pub(crate) struct Element {
    /// Local name, prefix stripped.
    pub name: String,
    /// Attributes by qualified name (`type`, `xsi:type`).
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub(crate) fn attr(&self, qname: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == qname)
            .map(|(_, v)| v.as_str())
    }

    /// `xsi:type` under whatever prefix the sender bound to the XSI namespace,
    /// with its own prefix stripped (`xsd:string` → `string`).
    pub(crate) fn xsi_type(&self) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.ends_with(":type") && k.len() > 5)
            .map(|(_, v)| local(v))
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

pub(crate) fn local(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l)
}

/// Parses a whole document into its root element.
pub(crate) fn parse(input: &[u8]) -> Result<Element, Error> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().expand_empty_elements = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut buf = Vec::new();
    loop {
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| Error::Xml(e.to_string()))?;
        match ev {
            Event::Start(s) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Error::Xml(format!(
                        "nesting deeper than {MAX_DEPTH} elements"
                    )));
                }
                let qname = s.name();
                let name = std::str::from_utf8(qname.as_ref())
                    .map_err(|_| Error::Xml("element name is not UTF-8".into()))?;
                let mut el = Element {
                    name: local(name).to_string(),
                    ..Default::default()
                };
                for a in s.attributes() {
                    let a = a.map_err(|e| Error::Xml(e.to_string()))?;
                    let k = std::str::from_utf8(a.key.as_ref())
                        .map_err(|_| Error::Xml("attribute name is not UTF-8".into()))?;
                    let v = a.unescape_value().map_err(|e| Error::Xml(e.to_string()))?;
                    el.attrs.push((k.to_string(), v.into_owned()));
                }
                stack.push(el);
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| Error::Xml("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t.unescape().map_err(|e| Error::Xml(e.to_string()))?;
                    top.text.push_str(&s);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    let s = std::str::from_utf8(&c)
                        .map_err(|_| Error::Xml("CDATA is not UTF-8".into()))?;
                    top.text.push_str(s);
                }
            }
            Event::Eof => {
                return Err(Error::Xml(
                    "document ended before its root element closed".into(),
                ));
            }
            // Declarations, comments, processing instructions and doctypes carry nothing for us.
            _ => {}
        }
        buf.clear();
    }
}

/// Appends `s` with XML special characters escaped.
/// The bytes [`push_escaped`] must rewrite: markup characters and controls.
/// A table lookup per byte; this scan runs over every string of every reply.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'&' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t
};

pub(crate) fn push_escaped(out: &mut String, s: &str) {
    // Most text (names, ids, enum values) needs no escaping: copy it whole.
    if !s.bytes().any(|b| SPECIAL[usize::from(b)]) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all are replaced rather than emitted.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}
