//! The simulator's request path takes arbitrary bytes and mutated real
//! requests without panicking (issue 14): every POST /sdk gets a normal
//! answer (200) or a SOAP fault (500 with a fault envelope), never a
//! dropped connection, and the simulator keeps answering. The captures and
//! mutations are vim25's fuzz support, included by path.
//! `MCVSPHERE_FUZZ_CASES` sets the case count (default 128).

#[path = "../../../vim25/tests/it/fuzz_support.rs"]
pub(crate) mod fuzz_support;

use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use vim25::Request;

use crate::{Client, logged_in, mo};
use fuzz_support::{apply, cases, op, requests};

/// Cases answered 200 and 500, to show the mutations reach the methods.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    fault: AtomicU64,
}

/// POSTs `body` to `/sdk` in `c`'s session: the status and the whole answer,
/// or what went wrong on the connection (the fuzz tests' failure).
pub(crate) async fn post_sdk(
    c: &Client,
    body: impl Into<reqwest::Body>,
) -> Result<(u16, String), String> {
    let mut rb = c
        .http
        .post(&c.url)
        .header("Content-Type", vim25::CONTENT_TYPE)
        .body(body);
    if let Some(k) = c.cookie() {
        rb = rb.header("Cookie", format!("vmware_soap_session={k}"));
    }
    let resp = rb
        .send()
        .await
        .map_err(|e| format!("no answer (dropped connection?): {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .text()
        .await
        .map_err(|e| format!("body cut off: {e}"))?;
    Ok((status, text))
}

/// What the simulator must answer to any body: a value or a fault.
async fn answers_cleanly(c: &Client, body: Vec<u8>, tally: &Tally) -> Result<(), String> {
    let (status, text) = post_sdk(c, body).await?;
    let decoded = vim25::decode_response("", text.as_bytes())
        .map_err(|e| format!("HTTP {status}: not a SOAP envelope ({e}): {text}"))?;
    match (status, decoded) {
        (200, Ok(_)) => {
            tally.ok.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        (500, Err(_)) => {
            tally.fault.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        (s, d) => Err(format!("HTTP {s} with {d:?}")),
    }
}

/// Runs `strategy` through a proptest runner (shrinking included), each case
/// posting the body it makes; `(answered 200, answered a fault)`.
fn fuzz<S: Strategy>(c: &Client, strategy: S, body: impl Fn(S::Value) -> Vec<u8>) -> (u64, u64) {
    let mut runner = TestRunner::new(RunnerConfig {
        failure_persistence: None,
        ..RunnerConfig::with_cases(cases())
    });
    let rt = tokio::runtime::Handle::current();
    let tally = Tally::default();
    let outcome = runner.run(&strategy, |v| {
        let bytes = body(v);
        tokio::task::block_in_place(|| rt.block_on(answers_cleanly(c, bytes, &tally)))
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    let t = (tally.ok.into_inner(), tally.fault.into_inner());
    eprintln!("fuzz: {} answered, {} faults", t.0, t.1);
    t
}

async fn still_answers(c: &Client) {
    c.ok(Request::new(
        "CurrentTime",
        &mo("ServiceInstance", "ServiceInstance"),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_arbitrary_bodies_get_a_fault_not_a_dropped_connection() {
    let (_sim, c) = logged_in().await;
    let (_, faults) = fuzz(&c, proptest::collection::vec(any::<u8>(), 0..1024), |b| b);
    assert!(faults >= u64::from(cases()), "every case was sent");
    still_answers(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_mutated_real_requests_get_an_answer_or_a_fault() {
    let (sim, c) = logged_in().await;
    let vm = testkit::vm(&sim, "DC0_H0_VM0");
    let root = sim.find("Folder", "Datacenters").expect("root folder");
    let caps = requests(&vm, &root);
    let strategy = (
        any::<prop::sample::Index>(),
        proptest::collection::vec(op(), 1..8),
    );
    let (ok, faults) = fuzz(&c, strategy, |(pick, ops)| {
        apply(&caps[pick.index(caps.len())].1, &ops)
    });
    assert!(ok + faults >= u64::from(cases()), "every case was sent");
    // Some mutations leave a request the methods take: the fuzz reaches them.
    assert!(ok > 0, "no mutated request got past the decoder");
    still_answers(&c).await;
}
