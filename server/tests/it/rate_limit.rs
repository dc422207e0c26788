//! Tool-call rate limits per caller through the real rmcp handler: the
//! call over the limit is refused with a clear message and audited as
//! `rate_limited`, another caller is unaffected, and after the refill
//! (a manual clock, not a sleep) calls pass again.

use std::sync::Arc;
use std::time::Duration;

use mcvsphere::audit::AuditLog;
use mcvsphere::rate_limit::{ManualClock, RateLimiter};
use mcvsphere::tools::Defaults;
use serde_json::json;

use crate::mcp_http::{Buf, connect, identity};

#[tokio::test]
async fn the_fourth_call_is_refused_audited_and_passes_after_the_refill() {
    let sim = crate::sim().await;
    let client = mcvsphere::vsphere::Client::new(&crate::settings(&sim, crate::PASSWORD)).unwrap();
    let clock = Arc::new(ManualClock::default());
    let buf = Buf::default();
    let mut state = crate::state(client, Defaults::default());
    state.audit = AuditLog::to_writer(buf.clone());
    state.rate = RateLimiter::with_clock(3, 3, clock.clone());
    let app = Arc::new(state);
    let alice = connect(app.clone(), Some(identity("alice", &["vsphere-readers"]))).await;
    let bob = connect(app.clone(), Some(identity("bob", &["vsphere-readers"]))).await;

    for _ in 0..3 {
        let r = alice.call("list_vms", json!({})).await;
        assert!(!r.is_error, "{}", r.text);
    }
    let refused = alice.call("list_vms", json!({})).await;
    assert!(refused.is_error);
    crate::says(
        &refused.text,
        &[
            "rate limit exceeded for alice",
            "3 calls per minute (MCVSPHERE_RATE_LIMIT)",
            "try again in 20 s",
        ],
    );
    let other = bob.call("list_vms", json!({})).await;
    assert!(
        !other.is_error,
        "bob is not limited by alice: {}",
        other.text
    );

    let recs = buf.records();
    let limited: Vec<_> = recs
        .iter()
        .filter(|r| r["outcome"] == "rate_limited")
        .collect();
    assert_eq!(limited.len(), 1, "{recs:?}");
    assert_eq!(limited[0]["user"], "alice");
    assert_eq!(limited[0]["tool"], "list_vms");
    assert_eq!(limited[0]["request_id"], refused.id.to_string());

    // One call's worth of refill: 60 s / 3 calls.
    clock.advance(Duration::from_secs(20));
    let again = alice.call("list_vms", json!({})).await;
    assert!(!again.is_error, "{}", again.text);
    sim.shutdown().await;
}
