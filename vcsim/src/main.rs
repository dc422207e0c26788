//! The `vcsim` binary: serves a simulated vCenter until Ctrl-C and prints the
//! SDK URL on stdout.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use vcsim::{Config, Inventory};

#[derive(Parser, Debug)]
#[command(
    name = "vcsim",
    about = "A vCenter simulator speaking the vSphere Web Services API"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8989")]
    listen: SocketAddr,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    no_tls: bool,
    /// Inventory file in the fixture YAML format.
    #[arg(long, conflicts_with = "vms")]
    inventory: Option<PathBuf>,
    /// Generate an inventory with this many VMs.
    #[arg(long)]
    vms: Option<usize>,
    /// How long tasks stay running, in milliseconds.
    #[arg(long, default_value_t = 0)]
    task_duration_ms: u64,
    /// How long VMware Tools takes to come up after a VM boots, in milliseconds.
    #[arg(long = "tools-delay", value_name = "MS", default_value_t = vcsim::DEFAULT_TOOLS_START_DELAY.as_millis() as u64)]
    tools_delay_ms: u64,
    /// How long a rebooted host stays not responding, in milliseconds.
    #[arg(long = "host-reboot-delay", value_name = "MS", default_value_t = vcsim::DEFAULT_HOST_REBOOT_DELAY.as_millis() as u64)]
    host_reboot_delay_ms: u64,
    /// Idle time after which a session expires, in seconds.
    #[arg(long)]
    session_timeout_secs: Option<u64>,
    /// Accept only this user name (with --password); any login is accepted otherwise.
    #[arg(long, requires = "password")]
    username: Option<String>,
    #[arg(long, requires = "username")]
    password: Option<String>,
    /// Keep files uploaded through /folder under this directory (one
    /// subdirectory per datastore, streamed to disk) instead of in memory.
    #[arg(long, value_name = "DIR")]
    datastore_dir: Option<PathBuf>,
    /// Uploads all in-memory files may hold together, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = vcsim::datastore_content::DEFAULT_MEMORY_LIMIT >> 20)]
    datastore_memory_mb: u64,
    /// Largest file /folder accepts, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = vcsim::datastore_content::DEFAULT_MAX_FILE >> 20)]
    max_upload_mb: u64,
    /// Present as a standalone ESXi host (AboutInfo apiType HostAgent) instead of vCenter.
    #[arg(long)]
    esxi: bool,
    /// Serve the fault-injection control API under /vcsim/ (no authentication:
    /// for tests on loopback).
    #[arg(long)]
    control_api: bool,
    /// A fault rule in force from the start, repeatable:
    /// METHOD[@TYPE][#NAME]:FAULT[:key=value,...] with FAULT a vim25 fault
    /// type or drop / drop_after, keys count, skip, probability, delay_ms,
    /// as (task|soap), action, message (last).
    #[arg(long = "fault", value_name = "RULE", value_parser = vcsim::faults::FaultRule::parse)]
    faults: Vec<vcsim::faults::FaultRule>,
    /// Seed for rules with a probability below 1, so a run repeats.
    #[arg(long, value_name = "N")]
    fault_seed: Option<u64>,
    /// Print every method the simulator implements (`Type.Method`, sorted) and exit.
    #[arg(long)]
    list_methods: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    if args.list_methods {
        for (kind, method) in vcsim::methods() {
            println!("{kind}.{method}");
        }
        return Ok(());
    }
    let started = std::time::Instant::now();
    let sim = vcsim::start(config(args)).await?;
    let elapsed = started.elapsed();
    tracing::info!(elapsed_ms = elapsed.as_millis() as u64, "ready");
    // On stderr, so stdout stays the URL alone for scripts that read it.
    eprintln!(
        "vcsim: {} objects, ready in {} ms, resident memory {}",
        sim.object_count(),
        elapsed.as_millis(),
        resident_memory().unwrap_or_else(|| "unknown".into())
    );
    println!("{}", sim.url());
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    sim.shutdown().await;
    Ok(())
}

/// The simulator configuration the flags ask for.
fn config(args: Args) -> Config {
    let inventory = match (args.inventory, args.vms) {
        (Some(p), _) => Inventory::File(p),
        (None, Some(n)) => Inventory::Generated { vms: n },
        (None, None) => Inventory::Default,
    };
    Config {
        listen: args.listen,
        tls: !args.no_tls,
        inventory,
        task_duration: Duration::from_millis(args.task_duration_ms),
        session_idle_timeout: args.session_timeout_secs.map(Duration::from_secs),
        credentials: args.username.zip(args.password),
        tools_start_delay: Duration::from_millis(args.tools_delay_ms),
        datastore_dir: args.datastore_dir,
        datastore_memory_limit: args.datastore_memory_mb.saturating_mul(1 << 20),
        max_upload_bytes: args.max_upload_mb.saturating_mul(1 << 20),
        personality: if args.esxi {
            vcsim::Personality::Esxi
        } else {
            vcsim::Personality::VCenter
        },
        host_reboot_delay: Duration::from_millis(args.host_reboot_delay_ms),
        control_api: args.control_api,
        faults: args.faults,
        fault_seed: args.fault_seed,
    }
}

/// This process's resident set size, from `/proc` (Linux only).
fn resident_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(format!("{} MB", kb / 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(flags: &[&str]) -> Config {
        let argv = std::iter::once("vcsim").chain(flags.iter().copied());
        config(Args::try_parse_from(argv).expect("the flags parse"))
    }

    #[test]
    fn tools_delay_flag_sets_the_tools_start_delay() {
        assert_eq!(
            parsed(&[]).tools_start_delay,
            vcsim::DEFAULT_TOOLS_START_DELAY
        );
        assert_eq!(
            parsed(&["--tools-delay", "60000"]).tools_start_delay,
            Duration::from_secs(60)
        );
        assert!(Args::try_parse_from(["vcsim", "--tools-delay", "soon"]).is_err());
    }

    #[test]
    fn issue_14_fault_flags() {
        let c = parsed(&[
            "--control-api",
            "--fault",
            "PowerOnVM_Task:InsufficientResourcesFault:count=1",
            "--fault",
            "*@VirtualMachine#DC0_H0_VM1:drop",
            "--fault-seed",
            "7",
        ]);
        assert!(c.control_api);
        assert_eq!(c.fault_seed, Some(7));
        assert_eq!(
            c.faults,
            vec![
                vcsim::faults::FaultRule::new("PowerOnVM_Task", "InsufficientResourcesFault")
                    .count(1),
                vcsim::faults::FaultRule::drop("*")
                    .on_type("VirtualMachine")
                    .on_name("DC0_H0_VM1"),
            ]
        );
        let d = parsed(&[]);
        assert!(!d.control_api && d.faults.is_empty() && d.fault_seed.is_none());
        let e = Args::try_parse_from(["vcsim", "--fault", "PowerOnVM_Task:Nope"])
            .expect_err("an unknown fault type is refused")
            .to_string();
        assert!(
            e.contains("fault: \"Nope\" is not a vim25 fault type"),
            "{e}"
        );
    }

    #[test]
    fn datastore_flags_set_the_upload_store() {
        let c = parsed(&[
            "--datastore-dir",
            "/tmp/ds",
            "--datastore-memory-mb",
            "2",
            "--max-upload-mb",
            "3",
        ]);
        assert_eq!(c.datastore_dir, Some(PathBuf::from("/tmp/ds")));
        assert_eq!(
            (c.datastore_memory_limit, c.max_upload_bytes),
            (2 << 20, 3 << 20)
        );
        let d = parsed(&[]);
        assert_eq!(d.datastore_dir, None);
        assert_eq!(
            d.datastore_memory_limit,
            vcsim::Config::default().datastore_memory_limit
        );
    }
}
