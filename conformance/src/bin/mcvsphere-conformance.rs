//! `mcvsphere-conformance`: runs the conformance checks against the built-in
//! simulator (default) or a real vCenter (read-only unless told otherwise)
//! and writes `report.json` and `report.md`.
//!
//! Exit codes: 0 no check failed, 1 a check failed, 2 usage or configuration error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use conformance::Transport;
use conformance::report::Status;
use conformance::runner::{self, Options, TargetKind};
use conformance::session::VcenterSettings;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TargetArg {
    /// An in-process vCenter simulator; write checks always run.
    Simulator,
    /// The vCenter named by VCENTER_HOST; read-only unless --allow-writes.
    Vcenter,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TransportArg {
    Stdio,
    Http,
}

/// Checks an mcvsphere server through a real MCP client and writes a report.
///
/// The vCenter password is read from VCENTER_PASSWORD only (never a flag, so
/// it stays out of process lists) and is never written to the report.
#[derive(Parser, Debug)]
#[command(name = "mcvsphere-conformance", version)]
struct Cli {
    /// What the server is pointed at.
    #[arg(long, value_enum, default_value_t = TargetArg::Simulator)]
    target: TargetArg,
    /// The mcvsphere binary to test [default: the one built beside this binary, or MCVSPHERE_BIN].
    #[arg(long, value_name = "PATH")]
    server: Option<PathBuf>,
    /// How the client talks to the server.
    #[arg(long, value_enum, default_value_t = TransportArg::Stdio)]
    transport: TransportArg,
    /// Directory for report.json, report.md and server.log (created if missing).
    #[arg(long, value_name = "DIR", default_value = "conformance/report")]
    report: PathBuf,
    /// Against a vCenter: also run the checks that change state, on --scratch-vm only.
    #[arg(long, requires = "scratch_vm")]
    allow_writes: bool,
    /// The VM the write checks may power off/on, rename and annotate (and restore).
    #[arg(long, value_name = "NAME", requires = "allow_writes")]
    scratch_vm: Option<String>,
    /// Against a vCenter: the guest account the guest operation checks log in
    /// with on the scratch VM (its password from CONFORMANCE_GUEST_PASSWORD only).
    #[arg(long, value_name = "NAME", requires = "allow_writes")]
    guest_user: Option<String>,
    /// vCenter host, host:port or URL.
    #[arg(long, env = "VCENTER_HOST", hide_env_values = true)]
    vcenter_host: Option<String>,
    /// vCenter user name.
    #[arg(long, env = "VCENTER_USER", hide_env_values = true)]
    vcenter_user: Option<String>,
    /// Skip TLS certificate verification (true/false).
    #[arg(long, env = "VCENTER_INSECURE", hide_env_values = true)]
    vcenter_insecure: Option<String>,
    /// Datacenter the server works in (passed through).
    #[arg(long, env = "VCENTER_DATACENTER", hide_env_values = true)]
    datacenter: Option<String>,
    /// Cluster for the server's placement defaults (passed through).
    #[arg(long, env = "VCENTER_CLUSTER", hide_env_values = true)]
    cluster: Option<String>,
    /// Datastore for the server's placement defaults (passed through).
    #[arg(long, env = "VCENTER_DATASTORE", hide_env_values = true)]
    datastore: Option<String>,
    /// Network for the server's placement defaults (passed through).
    #[arg(long, env = "VCENTER_NETWORK", hide_env_values = true)]
    network: Option<String>,
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("mcvsphere-conformance: {msg}");
    ExitCode::from(2)
}

fn set(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The vCenter settings, or a message naming every missing or bad one.
fn vcenter_settings(cli: &Cli) -> Result<VcenterSettings, String> {
    let password = std::env::var("VCENTER_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let host = set(&cli.vcenter_host);
    let user = set(&cli.vcenter_user);
    let missing: Vec<&str> = [
        ("VCENTER_HOST", host.is_none()),
        ("VCENTER_USER", user.is_none()),
        ("VCENTER_PASSWORD", password.is_none()),
    ]
    .into_iter()
    .filter_map(|(k, m)| m.then_some(k))
    .collect();
    let (Some(host), Some(user), Some(password)) = (host, user, password) else {
        return Err(format!(
            "--target vcenter needs {} (environment; VCENTER_HOST and VCENTER_USER also as --vcenter-host/--vcenter-user)",
            missing.join(", ")
        ));
    };
    let insecure = match set(&cli.vcenter_insecure)
        .map(|s| s.to_lowercase())
        .as_deref()
    {
        None | Some("false" | "0" | "no") => false,
        Some("true" | "1" | "yes") => true,
        Some(other) => {
            return Err(format!(
                "VCENTER_INSECURE must be true or false, got {other:?}"
            ));
        }
    };
    let extra = [
        ("VCENTER_DATACENTER", &cli.datacenter),
        ("VCENTER_CLUSTER", &cli.cluster),
        ("VCENTER_DATASTORE", &cli.datastore),
        ("VCENTER_NETWORK", &cli.network),
    ]
    .into_iter()
    .filter_map(|(k, v)| set(v).map(|v| (k, v)))
    .collect();
    Ok(VcenterSettings {
        host,
        user,
        password,
        insecure,
        extra,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let target = match cli.target {
        TargetArg::Simulator => TargetKind::Simulator,
        TargetArg::Vcenter => TargetKind::Vcenter,
    };
    let vcenter = match target {
        TargetKind::Simulator => None,
        TargetKind::Vcenter => match vcenter_settings(&cli) {
            Ok(v) => Some(v),
            Err(msg) => return usage(&msg),
        },
    };
    let server = match cli
        .server
        .clone()
        .map_or_else(conformance::server_binary, Ok)
    {
        Ok(p) if p.is_file() => p,
        Ok(p) => return usage(&format!("server binary {} does not exist", p.display())),
        Err(e) => return usage(&format!("{e:#}")),
    };
    let guest = match (
        set(&cli.guest_user),
        std::env::var("CONFORMANCE_GUEST_PASSWORD"),
    ) {
        (Some(user), Ok(password)) if !password.is_empty() => {
            Some(conformance::writes::GuestLogin { user, password })
        }
        (Some(_), _) => {
            return usage("--guest-user needs CONFORMANCE_GUEST_PASSWORD in the environment");
        }
        (None, _) => None,
    };
    let opts = Options {
        target,
        server,
        transport: match cli.transport {
            TransportArg::Stdio => Transport::Stdio,
            TransportArg::Http => Transport::Http,
        },
        report_dir: cli.report.clone(),
        allow_writes: cli.allow_writes,
        scratch_vm: cli.scratch_vm,
        vcenter,
        guest,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage(&format!("cannot start the async runtime: {e}")),
    };
    let report = match rt.block_on(runner::run(&opts)) {
        Ok(r) => r,
        Err(e) => return usage(&format!("{e:#}")),
    };
    let c = &report.counts;
    println!(
        "mcvsphere-conformance: {} {} over {}: {} checks, {} passed, {} failed, {} skipped; {} of {} contract tools registered",
        report.target.kind,
        report.target.host,
        report.target.transport,
        c.total,
        c.pass,
        c.fail,
        c.skip,
        report.tools.registered,
        report.tools.contract,
    );
    for ch in report.checks.iter().filter(|ch| ch.status == Status::Fail) {
        println!(
            "  FAIL {}: {}",
            ch.id,
            conformance::checks::summarize(&ch.message)
        );
    }
    println!("report: {}", opts.report_dir.join("report.md").display());
    if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
