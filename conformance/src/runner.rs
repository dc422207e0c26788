//! The `mcvsphere-conformance` run: start the target (the in-process
//! simulator, or nothing for a real vCenter), start the server against it,
//! run the checks in order, and build the [`Report`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Value as Json, json};

use crate::checks::{self, Recorder, Spec, Verdict, is_read_only};
use crate::contract::{self, Contract};
use crate::report::{Report, Status, TargetInfo, ToolCoverage};
use crate::session::{Session, VcenterSettings};
use crate::writes::{Probe, Snapshot, Writes};
use crate::{SIM_PASSWORD, SIM_USER, Transport, start_sim};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Simulator,
    Vcenter,
}

#[derive(Debug)]
pub struct Options {
    pub target: TargetKind,
    pub server: PathBuf,
    pub transport: Transport,
    pub report_dir: PathBuf,
    pub allow_writes: bool,
    pub scratch_vm: Option<String>,
    /// Required for [`TargetKind::Vcenter`]; the simulator makes its own.
    pub vcenter: Option<VcenterSettings>,
    /// The guest account for the guest operation checks against a vCenter
    /// (the simulator's own is used for the simulator).
    pub guest: Option<crate::writes::GuestLogin>,
}

/// Runs every check and writes `report.json`, `report.md` and `server.log`
/// into the report directory.
pub async fn run(opts: &Options) -> Result<Report> {
    crate::init_tls();
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    std::fs::create_dir_all(&opts.report_dir)
        .with_context(|| format!("creating report directory {}", opts.report_dir.display()))?;
    let log = opts.report_dir.join("server.log");
    let contract = contract::embedded()?;

    let sim = match opts.target {
        TargetKind::Simulator => Some(start_sim().await.context("starting the simulator")?),
        TargetKind::Vcenter => None,
    };
    let vc = match (&sim, &opts.vcenter) {
        (Some(sim), _) => VcenterSettings {
            host: sim.url(),
            user: SIM_USER.to_string(),
            password: SIM_PASSWORD.to_string(),
            insecure: true,
            extra: vec![],
        },
        (None, Some(vc)) => vc.clone(),
        (None, None) => anyhow::bail!("--target vcenter needs vCenter settings"),
    };
    // Against the simulator writes are always allowed: nothing real is at stake.
    let writes = sim.is_some() || opts.allow_writes;
    let mut rec = Recorder::default();
    let mut out = Outcome::default();

    let t = Instant::now();
    let handshake = Spec::new(
        "mcp.handshake",
        "protocol",
        "the server starts and completes the MCP initialize handshake",
    );
    match Session::connect(&opts.server, opts.transport, &vc, &log).await {
        Err(e) => {
            let tail = log_tail(&log);
            rec.record(
                handshake,
                Verdict::Fail(format!("{e:#}; server log: {tail}")),
                t,
            );
        }
        Ok(session) => {
            rec.record(
                handshake,
                Verdict::Pass(format!("initialized over {:?}", opts.transport).to_lowercase()),
                t,
            );
            run_checks(
                &mut rec,
                &session,
                &contract,
                sim.as_ref(),
                writes,
                opts,
                &mut out,
            )
            .await;
            session.close().await;
        }
    }
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    // The server never logs the password; scrub anyway, the log sits beside the report.
    if let Ok(text) = std::fs::read_to_string(&log) {
        let _ = std::fs::write(
            &log,
            crate::report::scrub(&text, std::slice::from_ref(&vc.password)),
        );
    }

    let passed: BTreeSet<&str> = rec
        .results
        .iter()
        .filter(|r| r.status == Status::Pass)
        .filter_map(|r| r.tool.as_deref())
        .collect();
    let report = Report {
        runner_version: env!("CARGO_PKG_VERSION").to_string(),
        target: TargetInfo {
            kind: match opts.target {
                TargetKind::Simulator => "simulator",
                TargetKind::Vcenter => "vcenter",
            }
            .to_string(),
            host: vc.host.clone(),
            user: vc.user.clone(),
            insecure: vc.insecure,
            transport: format!("{:?}", opts.transport).to_lowercase(),
            writes_allowed: writes,
            scratch_vm: out.scratch_vm.clone(),
            server_binary: opts.server.display().to_string(),
        },
        server_name: out.server_name,
        server_version: out.server_version,
        protocol_version: out.protocol_version,
        vcenter_about: out.about,
        inventory: out.inventory,
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        tools: ToolCoverage {
            contract: contract.tools.len(),
            registered: out.registered.len(),
            passed: out
                .registered
                .iter()
                .filter(|t| passed.contains(t.as_str()))
                .count(),
        },
        counts: Report::count(&rec.results),
        checks: rec.results,
    };
    report.write(&opts.report_dir, &[vc.password])?;
    Ok(report)
}

/// What the checks learned for the report header.
#[derive(Default)]
struct Outcome {
    server_name: Option<String>,
    server_version: Option<String>,
    protocol_version: Option<String>,
    about: Option<Json>,
    inventory: Option<Json>,
    registered: BTreeSet<String>,
    scratch_vm: Option<String>,
}

async fn run_checks(
    rec: &mut Recorder,
    s: &Session,
    c: &Contract,
    sim: Option<&vcsim::Simulator>,
    writes: bool,
    opts: &Options,
    out: &mut Outcome,
) {
    server_info_check(rec, s, out);
    let tools = checks::contract_checks(rec, s, c).await;
    out.registered = tools.keys().cloned().collect();
    let Some(mut inv) = checks::session_and_resources(rec, s).await else {
        cover_the_rest(
            rec,
            c,
            &out.registered,
            "not run: the vCenter session failed (see vcenter.session)",
            writes,
        );
        return;
    };
    out.inventory = Some(json!(inv.counts));
    let probe = match sim {
        Some(sim) => Probe::Sim(sim),
        None => Probe::Server(s),
    };
    let before = probe.vms().await;
    out.about = checks::read_tool_checks(rec, s, c, &tools, &mut inv).await;
    if writes {
        match opts.scratch_vm.clone().or_else(|| inv.vm.clone()) {
            None => rec.skip(
                Spec::new(
                    "write.scratch_vm",
                    "writes",
                    "a scratch VM for the write checks",
                )
                .write(),
                "the inventory has no VM",
            ),
            Some(vm) => {
                out.scratch_vm = Some(vm.clone());
                let w = Writes {
                    s,
                    probe: match sim {
                        Some(sim) => Probe::Sim(sim),
                        None => Probe::Server(s),
                    },
                    contract: c,
                    registered: &out.registered,
                    vm,
                    may_create: sim.is_some(),
                    guest: match sim {
                        Some(_) => Some(crate::writes::GuestLogin::simulator()),
                        None => opts.guest.clone(),
                    },
                };
                w.run(rec, &inv).await;
            }
        }
    }
    state_check(rec, &probe, before, writes).await;
    cover_the_rest(rec, c, &out.registered, "no check yet", writes);
}

fn server_info_check(rec: &mut Recorder, s: &Session, out: &mut Outcome) {
    let t = Instant::now();
    let spec = Spec::new(
        "mcp.server_info",
        "protocol",
        "initialize names the server and its version and offers tools and resources",
    );
    let Some(info) = s.client().peer_info() else {
        rec.record(spec, Verdict::Fail("no initialize result".into()), t);
        return;
    };
    out.protocol_version = Some(info.protocol_version.to_string());
    let mut problems = vec![];
    let (name, version) = match &info.server_info {
        Some(i) => (i.name.clone(), i.version.clone()),
        None => {
            problems.push("initialize result has no serverInfo".to_string());
            (String::new(), String::new())
        }
    };
    out.server_name = Some(name.clone()).filter(|n| !n.is_empty());
    out.server_version = Some(version.clone()).filter(|v| !v.is_empty());
    if info.server_info.is_some() && name != "mcvsphere" {
        problems.push(format!("server name is {name:?}, expected \"mcvsphere\""));
    }
    if info.server_info.is_some() && version.is_empty() {
        problems.push("server version is empty".to_string());
    }
    if info.capabilities.tools.is_none() {
        problems.push("no tools capability".to_string());
    }
    if info.capabilities.resources.is_none() {
        problems.push("no resources capability".to_string());
    }
    let verdict = if problems.is_empty() {
        Verdict::Pass(format!(
            "{name} {version}, protocol {}",
            info.protocol_version
        ))
    } else {
        Verdict::Fail(problems.join("; "))
    };
    rec.record(spec, verdict, t);
}

/// Compares every VM's name and power state before and after: read-only
/// must leave them alone, writes must put them back.
async fn state_check(
    rec: &mut Recorder,
    probe: &Probe<'_>,
    before: Result<Snapshot>,
    writes: bool,
) {
    let (id, what) = if writes {
        (
            "state.restored",
            "every VM has the name and power state it had before the write checks",
        )
    } else {
        (
            "state.unchanged",
            "the read-only checks changed no VM's name or power state",
        )
    };
    let source = match probe {
        Probe::Sim(_) => "read from the simulator's own state",
        Probe::Server(_) => "read through esxi://vms",
    };
    let t = Instant::now();
    let after = probe.vms().await;
    let verdict = match (before, after) {
        (Ok(b), Ok(a)) if b == a => Verdict::Pass(format!("{} VMs unchanged ({source})", a.len())),
        (Ok(b), Ok(a)) => {
            let changed: Vec<String> = b
                .iter()
                .filter(|(n, p)| a.get(*n) != Some(*p))
                .map(|(n, p)| format!("{n}: {p} → {}", a.get(n).map_or("missing", String::as_str)))
                .chain(
                    a.keys()
                        .filter(|n| !b.contains_key(*n))
                        .map(|n| format!("{n}: new")),
                )
                .collect();
            Verdict::Fail(format!("changed ({source}): {}", changed.join(", ")))
        }
        (Err(e), _) | (_, Err(e)) => Verdict::Fail(format!("cannot read the VMs: {e:#}")),
    };
    rec.record(Spec::new(id, "state", what), verdict, t);
}

/// Every registered tool appears in the report: one without a check gets a
/// `skip` saying why, so a new family is visible rather than silently absent.
fn cover_the_rest(
    rec: &mut Recorder,
    c: &Contract,
    registered: &BTreeSet<String>,
    why: &str,
    writes: bool,
) {
    let covered = rec.covered_tools();
    for name in registered.iter().filter(|n| !covered.contains(*n)) {
        let ct = c.tool(name);
        let read_only = ct.is_some_and(is_read_only);
        let mut spec = Spec::new(
            format!("tool.{name}"),
            ct.map_or("unknown", |t| t.category.as_str()),
            format!("{name} is exercised"),
        )
        .tool(name);
        if !read_only {
            spec = spec.write();
        }
        let reason = if ct.is_none() {
            "not in the contract; no check".to_string()
        } else if !read_only && !writes {
            "changes vCenter: runs only with --allow-writes --scratch-vm NAME".to_string()
        } else {
            why.to_string()
        };
        rec.skip(spec, reason);
    }
}

/// The last lines of the server's log, for a start-up failure's message.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(5)..].join(" | ");
    if tail.is_empty() {
        "(empty)".to_string()
    } else {
        tail
    }
}
