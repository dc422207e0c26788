//! The conformance suite: the real `mcvsphere` binary, driven by rmcp's MCP
//! client, against an in-process vcsim. Effects are checked in the
//! simulator's own state.
#![allow(clippy::unwrap_used)]

mod contract;
mod every_tool;
mod oauth;
mod oauth_refusals;
mod power_ops;
mod rbac;
mod runner;
mod transport;
mod vm_lifecycle;

use conformance::Harness;

/// Starts a simulator and the server over stdio (the transport most clients use).
pub async fn harness() -> Harness {
    conformance::init_tls();
    match Harness::stdio().await {
        Ok(h) => h,
        Err(e) => panic!("starting simulator + server: {e:#}"),
    }
}

/// Asserts that `msg` mentions every one of `needles` (case-insensitive).
#[track_caller]
pub fn says(msg: &str, needles: &[&str]) {
    let lower = msg.to_lowercase();
    for n in needles {
        assert!(
            lower.contains(&n.to_lowercase()),
            "expected {n:?} in message: {msg}"
        );
    }
    assert!(
        !msg.contains("panicked") && !msg.contains("RUST_BACKTRACE"),
        "message leaks a panic: {msg}"
    );
}

/// Polls the simulator until `f` holds; for effects vSphere applies
/// asynchronously (a guest shutdown finishes after the call returns).
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 10 s");
}
