//! Fuzzing support (issue 14), shared by vim25's decoder fuzz tests and
//! vcsim's request-path fuzz test (which includes this file by path, so
//! neither crate depends on the other's tests): real captures made with
//! vim25's own encoder, byte- and element-level mutations as proptest
//! strategies, and the case count (`MCVSPHERE_FUZZ_CASES`, default 128).

#![allow(dead_code)]

use proptest::prelude::*;
use vim25::{Data, MoRef, Request, TypeRef, Value, encode_request, encode_response};

/// Cases per fuzz property: modest by default so CI stays fast; set
/// `MCVSPHERE_FUZZ_CASES=100000` for a long local run.
pub(crate) fn cases() -> u32 {
    std::env::var("MCVSPHERE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(128)
}

fn property_filter_spec(vm: &MoRef, root: &MoRef) -> Data {
    let traverse = |name: &str, kind: &str, path: &str| {
        Data::new("TraversalSpec")
            .with("name", name)
            .with("type", kind)
            .with("path", path)
            .with("skip", false)
            .with(
                "selectSet",
                vec![Data::new("SelectionSpec").with("name", "folders")],
            )
    };
    Data::new("PropertyFilterSpec")
        .with(
            "propSet",
            vec![
                Data::new("PropertySpec")
                    .with("type", "VirtualMachine")
                    .with("all", false)
                    .with(
                        "pathSet",
                        vec!["name", "runtime.powerState", "config.hardware.device"],
                    ),
            ],
        )
        .with(
            "objectSet",
            vec![
                Data::new("ObjectSpec")
                    .with("obj", root)
                    .with("skip", true)
                    .with(
                        "selectSet",
                        vec![
                            traverse("folders", "Folder", "childEntity"),
                            traverse("dcVm", "Datacenter", "vmFolder"),
                        ],
                    ),
                Data::new("ObjectSpec").with("obj", vm),
            ],
        )
}

fn add_disk() -> Data {
    Data::new("VirtualDeviceConfigSpec")
        .with("operation", "add")
        .with("fileOperation", "create")
        .with(
            "device",
            Data::new("VirtualDisk")
                .with("key", -101)
                .with("controllerKey", 1000)
                .with("unitNumber", 1)
                .with("capacityInKB", 1024 * 1024)
                .with(
                    "backing",
                    Data::new("VirtualDiskFlatVer2BackingInfo")
                        .with("fileName", "")
                        .with("diskMode", "persistent")
                        .with("thinProvisioned", true),
                ),
        )
}

/// Real requests as clients send them: `(method, encoded envelope)`.
pub(crate) fn requests(vm: &MoRef, root: &MoRef) -> Vec<(String, Vec<u8>)> {
    let pc = MoRef::new("PropertyCollector", "propertyCollector");
    let reqs = [
        Request::new("Login", &MoRef::new("SessionManager", "SessionManager"))
            .arg("userName", "user")
            .arg("password", "pass"),
        Request::new("RetrievePropertiesEx", &pc)
            .arg("specSet", vec![property_filter_spec(vm, root)])
            .arg(
                "options",
                Data::new("RetrieveOptions").with("maxObjects", 100),
            ),
        Request::new("PowerOnVM_Task", vm),
        Request::new("ReconfigVM_Task", vm).arg(
            "spec",
            Data::new("VirtualMachineConfigSpec")
                .with("annotation", "fuzz <&> \"x\"")
                .with("numCPUs", 2)
                .with("deviceChange", vec![add_disk()]),
        ),
    ];
    reqs.iter()
        .map(|r| {
            let xml = encode_request(r).expect("a capture encodes");
            (r.method.clone(), xml.into_bytes())
        })
        .collect()
}

/// Real responses as the simulator sends them: `(method, encoded envelope)`.
pub(crate) fn responses(vm: &MoRef) -> Vec<(String, Vec<u8>)> {
    let content = Data::new("ObjectContent").with("obj", vm).with(
        "propSet",
        vec![
            Data::new("DynamicProperty").with("name", "name").with(
                "val",
                Value::any(TypeRef::new("string"), Value::from("DC0_H0_VM0")),
            ),
            Data::new("DynamicProperty").with(
                "val",
                Value::any(TypeRef::array_of("int"), Value::from(vec![1i64, 2, 3])),
            ),
        ],
    );
    let answers: Vec<(&str, Result<Option<Value>, vim25::Fault>)> = vec![
        (
            "RetrievePropertiesEx",
            Ok(Some(Value::data(
                Data::new("RetrieveResult")
                    .with("token", "1")
                    .with("objects", vec![content]),
            ))),
        ),
        (
            "Login",
            Ok(Some(Value::data(
                Data::new("UserSession")
                    .with("key", "K")
                    .with("userName", "user")
                    .with("fullName", "user")
                    .with("loginTime", "2026-01-01T00:00:00Z")
                    .with("lastActiveTime", "2026-01-01T00:00:00Z")
                    .with("locale", "en")
                    .with("messageLocale", "en")
                    .with("extensionSession", false),
            ))),
        ),
        (
            "PowerOnVM_Task",
            Ok(Some(Value::moref(MoRef::new("Task", "task-1")))),
        ),
        (
            "PowerOnVM_Task",
            Err(vim25::Fault::invalid_power_state(
                Some("poweredOff"),
                "poweredOn",
            )),
        ),
    ];
    answers
        .into_iter()
        .map(|(m, r)| {
            let xml = encode_response(m, &r).expect("a capture encodes");
            (m.to_string(), xml.into_bytes())
        })
        .collect()
}

/// One mutation; indexes are taken modulo what they index.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    /// Repeats `len` bytes at `at` right after them.
    Repeat(usize, usize),
    Truncate(usize),
    /// Repeats element `i` (start tag to its end tag).
    DupElement(usize),
    DropElement(usize),
    /// Renames tag `i` to a name vim25 uses elsewhere.
    Rename(usize, usize),
    /// Gives start tag `i` an `xsi:type` naming a (random) schema type.
    Retype(usize, usize),
    /// Wraps element `i` in `depth` more elements.
    Nest(usize, usize),
}

/// Names that mean something to the decoder: the mutations swap them in.
const NAMES: &[&str] = &[
    "_this",
    "specSet",
    "propSet",
    "objectSet",
    "selectSet",
    "pathSet",
    "obj",
    "type",
    "skip",
    "spec",
    "deviceChange",
    "device",
    "backing",
    "returnval",
    "Fault",
    "detail",
    "Body",
    "Envelope",
    "val",
    "key",
    "name",
    "options",
    "userName",
    "faultstring",
];

const TYPES: &[&str] = &[
    "ManagedObjectReference",
    "ArrayOfString",
    "ArrayOfInt",
    "ArrayOfAnyType",
    "int",
    "long",
    "boolean",
    "dateTime",
    "base64Binary",
    "anyType",
    "VirtualDisk",
    "VirtualMachineConfigSpec",
    "PropertyFilterSpec",
    "TraversalSpec",
    "MethodFault",
    "NoSuchType",
    "xsd:string",
    "ArrayOfManagedObjectReference",
    "DynamicProperty",
    "RuntimeFault",
];

pub(crate) fn op() -> impl Strategy<Value = Op> {
    let i = any::<usize>();
    prop_oneof![
        (i, any::<u8>()).prop_map(|(a, b)| Op::Flip(a, b)),
        (i, proptest::collection::vec(any::<u8>(), 1..24)).prop_map(|(a, b)| Op::Insert(a, b)),
        (i, 1usize..64).prop_map(|(a, n)| Op::Delete(a, n)),
        (i, 1usize..256).prop_map(|(a, n)| Op::Repeat(a, n)),
        i.prop_map(Op::Truncate),
        i.prop_map(Op::DupElement),
        i.prop_map(Op::DropElement),
        (i, i).prop_map(|(a, b)| Op::Rename(a, b)),
        (i, i).prop_map(|(a, b)| Op::Retype(a, b)),
        (i, 1usize..300).prop_map(|(a, d)| Op::Nest(a, d)),
    ]
}

/// `(start, end)` of every `<…>` tag.
fn tags(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = vec![];
    let mut open = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'<' => open = Some(i),
            b'>' => {
                if let Some(s) = open.take() {
                    out.push((s, i + 1));
                }
            }
            _ => {}
        }
    }
    out
}

/// A tag's name (after `<` or `</`, up to a space, `/` or `>`).
fn tag_name(tag: &[u8]) -> &[u8] {
    let t = tag
        .strip_prefix(b"</")
        .or_else(|| tag.strip_prefix(b"<"))
        .unwrap_or(tag);
    let end = t
        .iter()
        .position(|c| matches!(c, b' ' | b'/' | b'>'))
        .unwrap_or(t.len());
    &t[..end]
}

/// The span of element `i`: its start tag to its matching end tag (or the tag alone).
fn element(b: &[u8], ts: &[(usize, usize)], i: usize) -> (usize, usize) {
    let (s, e) = ts[i];
    let name = tag_name(&b[s..e]).to_vec();
    if b[s..e].starts_with(b"</") || b[s..e].ends_with(b"/>") {
        return (s, e);
    }
    let mut depth = 0usize;
    for &(ts_, te) in &ts[i + 1..] {
        let t = &b[ts_..te];
        if tag_name(t) != name.as_slice() {
            continue;
        }
        if t.starts_with(b"</") {
            if depth == 0 {
                return (s, te);
            }
            depth -= 1;
        } else if !t.ends_with(b"/>") {
            depth += 1;
        }
    }
    (s, e)
}

pub(crate) fn apply(input: &[u8], ops: &[Op]) -> Vec<u8> {
    let mut b = input.to_vec();
    for op in ops {
        let n = b.len().max(1);
        let ts = tags(&b);
        match op {
            Op::Flip(at, x) => {
                if !b.is_empty() {
                    b[at % n] ^= x | 1;
                }
            }
            Op::Insert(at, bytes) => {
                let at = at % (b.len() + 1);
                b.splice(at..at, bytes.iter().copied());
            }
            Op::Delete(at, len) => {
                let at = at % n;
                let end = (at + len).min(b.len());
                b.drain(at.min(end)..end);
            }
            Op::Repeat(at, len) => {
                let at = at % n;
                let end = (at + len).min(b.len());
                let chunk = b[at.min(end)..end].to_vec();
                b.splice(end..end, chunk);
            }
            Op::Truncate(at) => b.truncate(at % n),
            _ if ts.is_empty() => {}
            Op::DupElement(i) => {
                let (s, e) = element(&b, &ts, i % ts.len());
                let chunk = b[s..e].to_vec();
                b.splice(e..e, chunk);
            }
            Op::DropElement(i) => {
                let (s, e) = element(&b, &ts, i % ts.len());
                b.drain(s..e);
            }
            Op::Rename(i, k) => {
                let (s, e) = ts[i % ts.len()];
                let off = if b[s..e].starts_with(b"</") { 2 } else { 1 };
                let len = tag_name(&b[s..e]).len();
                let to = NAMES[k % NAMES.len()].as_bytes().to_vec();
                b.splice(s + off..s + off + len, to);
            }
            Op::Retype(i, k) => {
                let (s, e) = ts[i % ts.len()];
                if !b[s..e].starts_with(b"</") {
                    let at = s + 1 + tag_name(&b[s..e]).len();
                    let attr = format!(" xsi:type=\"{}\"", TYPES[k % TYPES.len()]);
                    b.splice(at..at, attr.into_bytes());
                }
            }
            Op::Nest(i, depth) => {
                let (s, e) = element(&b, &ts, i % ts.len());
                let name = String::from_utf8_lossy(tag_name(&b[s..e])).into_owned();
                let name = if name.is_empty() {
                    "propSet".to_string()
                } else {
                    name
                };
                let open = format!("<{name}>").repeat(*depth);
                let close = format!("</{name}>").repeat(*depth);
                b.splice(e..e, close.into_bytes());
                b.splice(s..s, open.into_bytes());
            }
        }
    }
    b
}
