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
mod transport;
mod vcenter_ops;
mod vm_lifecycle;
mod writes;

use conformance::Harness;

/// Starts a simulator and the server over stdio (the transport most clients use).
pub async fn harness() -> Harness {
    conformance::init_tls();
    match Harness::stdio().await {
        Ok(h) => h,
        Err(e) => panic!("starting simulator + server: {e:#}"),
    }
}

// Shared with the other crates' tests: one copy, in testkit.
pub use testkit::{eventually, says};
