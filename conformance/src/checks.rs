//! The read-only checks: protocol, contract, the vCenter session, resources,
//! and one call per registered read-only tool (plus an unknown-VM failure
//! case). Arguments are derived from the contract's parameter list and the
//! inventory (`args.rs`), so a new tool family gets checks without code here, or shows
//! up as `skip` with the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Instant;

use serde_json::{Value as Json, json};

use crate::args::missing_keys;
pub use crate::args::{derive_args, is_read_only, vm_param};
use crate::contract::{self, Contract, ContractTool};
use crate::report::{CheckResult, Mode, Status};
use crate::session::Session;

/// A name no real VM has; unknown-VM checks use it.
pub const NO_SUCH_VM: &str = "mcvsphere-conformance-no-such-vm";

/// What a check decided.
pub enum Verdict {
    Pass(String),
    Fail(String),
    Skip(String),
}

/// What a check is, before it runs.
pub struct Spec {
    pub id: String,
    pub family: String,
    pub tool: Option<String>,
    pub description: String,
    pub mode: Mode,
}

impl Spec {
    pub fn new(id: impl Into<String>, family: &str, description: impl Into<String>) -> Spec {
        Spec {
            id: id.into(),
            family: family.to_string(),
            tool: None,
            description: description.into(),
            mode: Mode::Read,
        }
    }

    pub fn tool(mut self, tool: &str) -> Spec {
        self.tool = Some(tool.to_string());
        self
    }

    pub fn write(mut self) -> Spec {
        self.mode = Mode::Write;
        self
    }
}

/// Collects check results in the order they ran.
#[derive(Default)]
pub struct Recorder {
    pub results: Vec<CheckResult>,
}

impl Recorder {
    pub async fn run(&mut self, spec: Spec, f: impl Future<Output = Verdict>) -> Status {
        let started = Instant::now();
        let verdict = f.await;
        self.record(spec, verdict, started)
    }

    pub fn record(&mut self, spec: Spec, verdict: Verdict, started: Instant) -> Status {
        let (status, message) = match verdict {
            Verdict::Pass(m) => (Status::Pass, m),
            Verdict::Fail(m) => (Status::Fail, m),
            Verdict::Skip(m) => (Status::Skip, m),
        };
        self.results.push(CheckResult {
            id: spec.id,
            family: spec.family,
            tool: spec.tool,
            description: spec.description,
            mode: spec.mode,
            status,
            message,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        status
    }

    pub fn skip(&mut self, spec: Spec, why: impl Into<String>) {
        self.record(spec, Verdict::Skip(why.into()), Instant::now());
    }

    /// Tools that appear in at least one check.
    pub fn covered_tools(&self) -> BTreeSet<String> {
        self.results.iter().filter_map(|r| r.tool.clone()).collect()
    }
}

/// Names the argument derivation draws from: the first of each kind.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    pub vm: Option<String>,
    pub datastore: Option<String>,
    pub network: Option<String>,
    pub cluster: Option<String>,
    pub host: Option<String>,
    /// Object counts per `esxi://` resource, for the report.
    pub counts: BTreeMap<String, usize>,
}

/// The `esxi://` resources every server lists.
pub const INVENTORY_RESOURCES: [&str; 5] = ["vms", "hosts", "datastores", "networks", "clusters"];

/// `tools/list` against the contract; returns the registered tools as JSON.
pub async fn contract_checks(
    rec: &mut Recorder,
    s: &Session,
    c: &Contract,
) -> BTreeMap<String, Json> {
    let started = Instant::now();
    let listed = match s.client().list_all_tools().await {
        Ok(t) => t,
        Err(e) => {
            rec.record(
                Spec::new("contract.tools_list", "contract", "tools/list answers"),
                Verdict::Fail(format!("tools/list failed: {e}")),
                started,
            );
            return BTreeMap::new();
        }
    };
    let mut tools = BTreeMap::new();
    let mut diffs = vec![];
    for t in &listed {
        let json = serde_json::to_value(t).unwrap_or(Json::Null);
        match c.tool(&t.name) {
            None => diffs.push(format!("{} is not in the contract", t.name)),
            Some(ct) => diffs.extend(contract::differences(ct, &json)),
        }
        tools.insert(t.name.to_string(), json);
    }
    let verdict = if listed.is_empty() {
        Verdict::Fail("tools/list is empty".into())
    } else if diffs.is_empty() {
        Verdict::Pass(format!(
            "{} of {} contract tools registered; every one matches the contract",
            tools.len(),
            c.tools.len()
        ))
    } else {
        Verdict::Fail(format!(
            "{} of {} contract tools registered; {} difference(s): {}",
            tools.len(),
            c.tools.len(),
            diffs.len(),
            diffs.join("; ")
        ))
    };
    rec.record(
        Spec::new(
            "contract.tools_list",
            "contract",
            "every tool in tools/list matches fixtures/spec/tools.json (names, parameters, types, defaults, hints)",
        ),
        verdict,
        started,
    );
    // Families land whole: half a family registered is a bug, none is not.
    let started = Instant::now();
    let families: BTreeSet<&str> = tools
        .keys()
        .filter_map(|n| c.tool(n))
        .map(|t| t.category.as_str())
        .collect();
    let partial: Vec<String> = families
        .iter()
        .flat_map(|f| c.category(f))
        .filter(|ct| !tools.contains_key(&ct.name))
        .map(|ct| format!("{} ({})", ct.name, ct.category))
        .collect();
    rec.record(
        Spec::new(
            "contract.families_whole",
            "contract",
            "a tool family is registered completely or not at all",
        ),
        if partial.is_empty() {
            Verdict::Pass(format!(
                "{} famil{} registered: {}",
                families.len(),
                if families.len() == 1 { "y" } else { "ies" },
                families.iter().copied().collect::<Vec<_>>().join(", ")
            ))
        } else {
            Verdict::Fail(format!(
                "missing from registered families: {}",
                partial.join(", ")
            ))
        },
        started,
    );
    tools
}

/// Logs in through the server (the first vCenter read) and checks the
/// resources; returns the inventory, or `None` when vCenter is unreachable.
pub async fn session_and_resources(rec: &mut Recorder, s: &Session) -> Option<Inventory> {
    let started = Instant::now();
    let spec = Spec::new(
        "vcenter.session",
        "connection",
        "the server logs in to vCenter and reads the inventory (esxi://vms)",
    )
    .tool("esxi://vms");
    let vms = match s.read_json("esxi://vms").await {
        Ok(v) => v,
        Err(e) => {
            // The server's own message says why (e.g. "vCenter login failed:
            // incorrect user name or password"); keep it whole.
            let msg = format!("cannot read from vCenter through the server: {e:#}");
            rec.record(spec, Verdict::Fail(msg), started);
            return None;
        }
    };
    rec.record(
        spec,
        Verdict::Pass(format!(
            "logged in; {} VMs visible",
            vms.as_array().map_or(0, Vec::len)
        )),
        started,
    );

    let started = Instant::now();
    let listed = s.client().list_all_resources().await;
    let verdict = match listed {
        Err(e) => Verdict::Fail(format!("resources/list failed: {e}")),
        Ok(list) => {
            let uris: BTreeSet<String> = list.iter().map(|r| r.uri.clone()).collect();
            let missing: Vec<String> = INVENTORY_RESOURCES
                .iter()
                .map(|r| format!("esxi://{r}"))
                .filter(|u| !uris.contains(u))
                .collect();
            if missing.is_empty() {
                Verdict::Pass(format!("{} resources listed", uris.len()))
            } else {
                Verdict::Fail(format!("not listed: {}", missing.join(", ")))
            }
        }
    };
    rec.record(
        Spec::new(
            "resources.list",
            "resources",
            "resources/list names the five esxi:// inventory resources",
        ),
        verdict,
        started,
    );

    let mut inv = Inventory::default();
    for r in INVENTORY_RESOURCES {
        let uri = format!("esxi://{r}");
        let started = Instant::now();
        let spec = Spec::new(
            format!("resources.read.{r}"),
            "resources",
            format!("{uri} reads as a JSON list of named objects"),
        )
        .tool(&uri);
        let verdict = match s.read_json(&uri).await {
            Err(e) => Verdict::Fail(format!("{e:#}")),
            Ok(Json::Array(items)) => {
                let names: Vec<String> = items
                    .iter()
                    .filter_map(|i| i.get("name").and_then(Json::as_str).map(str::to_string))
                    .collect();
                inv.counts.insert(r.to_string(), items.len());
                let first = names.first().cloned();
                match r {
                    "vms" => inv.vm = first,
                    "hosts" => inv.host = first,
                    "datastores" => inv.datastore = first,
                    "networks" => inv.network = first,
                    _ => inv.cluster = first,
                }
                if names.len() == items.len() {
                    Verdict::Pass(format!("{} {r}", items.len()))
                } else {
                    Verdict::Fail(format!(
                        "{} of {} items have no name",
                        items.len() - names.len(),
                        items.len()
                    ))
                }
            }
            Ok(other) => Verdict::Fail(format!("expected a JSON list, got {other}")),
        };
        rec.record(spec, verdict, started);
    }
    Some(inv)
}

/// One successful call per registered read-only tool, then an unknown-VM
/// call for those that take a VM. Returns `get_vcenter_info`'s result.
pub async fn read_tool_checks(
    rec: &mut Recorder,
    s: &Session,
    c: &Contract,
    tools: &BTreeMap<String, Json>,
    inv: &mut Inventory,
) -> Option<Json> {
    // The brief's order: get_vm_info uses the first VM list_vms returns.
    if tools.contains_key("list_vms")
        && let Ok(o) = s.call("list_vms", json!({})).await
        && let Some(first) = o
            .structured
            .as_ref()
            .and_then(|v| v.get("result"))
            .and_then(Json::as_array)
            .and_then(|a| a.first())
            .and_then(|v| v.get("name"))
            .and_then(Json::as_str)
    {
        inv.vm = Some(first.to_string());
    }
    let mut about = None;
    for ct in c.tools.iter().filter(|t| tools.contains_key(&t.name)) {
        if !is_read_only(ct) {
            continue;
        }
        let spec = Spec::new(
            format!("tool.{}", ct.name),
            &ct.category,
            format!("{} answers with plausible arguments", ct.name),
        )
        .tool(&ct.name);
        let args = match derive_args(ct, inv, inv.vm.as_deref()) {
            Ok(a) => a,
            Err(why) => {
                rec.skip(spec, why);
                continue;
            }
        };
        let started = Instant::now();
        let verdict = match s.call(&ct.name, args.clone()).await {
            Err(e) => Verdict::Fail(format!("protocol error for {args}: {e:#}")),
            Ok(o) if o.is_error => Verdict::Fail(format!("{args} failed: {}", o.text)),
            Ok(o) => {
                let missing = missing_keys(ct, o.structured.as_ref());
                if ct.name == "get_vcenter_info" {
                    about = o.structured.clone();
                }
                if missing.is_empty() {
                    Verdict::Pass(format!("{args} → {}", summarize(&o.text)))
                } else {
                    Verdict::Fail(format!(
                        "{args}: result lacks contract keys {}",
                        missing.join(", ")
                    ))
                }
            }
        };
        rec.record(spec, verdict, started);
        if vm_param(ct).is_some() {
            unknown_vm_check(rec, s, ct, inv, None).await;
        }
    }
    about
}

/// Calls `ct` on a VM that does not exist: it must be a tool error that
/// names the VM, not a protocol error and not a success. `extra`, when
/// given, supplies the arguments the derivation cannot (such as
/// `rename_vm`'s `new_name`); without it an underivable tool is skipped.
pub async fn unknown_vm_check(
    rec: &mut Recorder,
    s: &Session,
    ct: &ContractTool,
    inv: &Inventory,
    extra: Option<Json>,
) {
    let mut spec = Spec::new(
        format!("error.{}.unknown_vm", ct.name),
        &ct.category,
        format!(
            "{} on a VM that does not exist is a clear tool error",
            ct.name
        ),
    )
    .tool(&ct.name);
    if !is_read_only(ct) {
        spec = spec.write();
    }
    let mut args = match (derive_args(ct, inv, Some(NO_SUCH_VM)), &extra) {
        (Ok(a), _) => a,
        (Err(_), Some(_)) => json!({}),
        (Err(why), None) => return rec.skip(spec, why),
    };
    if let (Some(a), Some(e)) = (
        args.as_object_mut(),
        extra.as_ref().and_then(Json::as_object),
    ) {
        a.extend(e.clone());
    }
    if let Some(p) = vm_param(ct)
        && let Some(a) = args.as_object_mut()
    {
        a.insert(p.to_string(), json!(NO_SUCH_VM));
    }
    let started = Instant::now();
    let verdict = match s.call(&ct.name, args).await {
        Err(e) => Verdict::Fail(format!("protocol error instead of a tool error: {e:#}")),
        Ok(o) if !o.is_error => Verdict::Fail(format!("succeeded on a missing VM: {}", o.text)),
        Ok(o) if !o.text.contains(NO_SUCH_VM) => {
            Verdict::Fail(format!("the error does not name the VM: {}", o.text))
        }
        Ok(o) => Verdict::Pass(format!("tool error: {}", o.text)),
    };
    rec.record(spec, verdict, started);
}

/// The first line of a tool's answer, cut to keep the report readable.
pub fn summarize(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 120 {
        format!("{}…", flat.chars().take(120).collect::<String>())
    } else {
        flat
    }
}
