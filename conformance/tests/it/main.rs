//! The conformance suite: the real `mcvsphere` binary, driven by rmcp's MCP
//! client, against an in-process vcsim. Effects are checked in the
//! simulator's own state.
#![allow(clippy::unwrap_used)]

mod contract;
mod every_tool;
mod host_writes;
mod oauth;
mod oauth_refusals;
mod ovf;
mod power_ops;
mod rbac;
mod resources;
mod runner;
mod snapshots;
mod soak;
mod transport;
mod vcenter_ops;
mod vm_lifecycle;
mod writes;

use std::collections::BTreeSet;

use conformance::Harness;
use conformance::session::{Session, VcenterSettings};

/// Starts a simulator and the server over stdio (the transport most clients use).
pub async fn harness() -> Harness {
    conformance::init_tls();
    match Harness::stdio().await {
        Ok(h) => h,
        Err(e) => panic!("starting simulator + server: {e:#}"),
    }
}

/// What the tests of the runner's write checks drive: a simulator, the
/// runner's own session to the real binary over stdio, the tools it
/// registers and the contract.
pub struct WriteEnv {
    pub sim: vcsim::Simulator,
    pub s: Session,
    pub registered: BTreeSet<String>,
    pub contract: conformance::contract::Contract,
    /// Holds the server log; keep it bound until the test ends.
    pub log_dir: tempfile::TempDir,
}

pub async fn write_env() -> WriteEnv {
    conformance::init_tls();
    let sim = conformance::start_sim().await.unwrap();
    let vc = VcenterSettings {
        host: sim.url(),
        user: conformance::SIM_USER.into(),
        password: conformance::SIM_PASSWORD.into(),
        insecure: true,
        extra: vec![],
    };
    let dir = tempfile::tempdir().unwrap();
    let server = conformance::server_binary().unwrap();
    let s = Session::connect(
        &server,
        conformance::Transport::Stdio,
        &vc,
        &dir.path().join("server.log"),
    )
    .await
    .unwrap();
    let registered = s
        .client()
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    let contract = conformance::contract::embedded().unwrap();
    WriteEnv {
        sim,
        s,
        registered,
        contract,
        log_dir: dir,
    }
}

// Shared with the other crates' tests: one copy, in testkit.
pub use testkit::{eventually, says};
