//! Every registered tool, table-driven from the server's own registry: called
//! through the real binary with its example arguments (after its set-up
//! calls) it succeeds, and called with its failure case it fails with a clear
//! message naming the problem. A tool registered later is covered the moment
//! it exists: its definition must carry both. Behaviour (effects in the
//! simulator) is tested per family; this test is the floor every tool meets.

use std::process::Stdio;

use mcvsphere::tools::{Failure, ToolDef, registry};
use rmcp::ServiceExt;
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use serde_json::Value as Json;

use crate::{harness, says};

fn json(what: &str, text: &str) -> Json {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("{what}: invalid JSON {text}: {e}"),
    }
}

/// A message a person can act on: the expected words, and no panic, Rust
/// `Debug` rendering or internal type name.
#[track_caller]
fn clear(tool: &str, msg: &str, expect: &[&str]) {
    says(msg, expect);
    for leak in [
        "Fault {", "Some(", "None", "VsError", "Data {", "MoRef {", "\\n",
    ] {
        assert!(
            !msg.contains(leak),
            "{tool}: message leaks internals ({leak}): {msg}"
        );
    }
}

/// The example on a fresh simulator and server, so tools do not see each
/// other's changes.
async fn example_succeeds(def: &ToolDef) {
    let h = harness().await;
    for (tool, args) in def.example.setup {
        h.ok(tool, json(tool, args)).await;
    }
    let out = h.ok(def.name, json(def.name, def.example.args)).await;
    assert!(
        out.structured.is_some(),
        "{}: no structured content: {}",
        def.name,
        out.text
    );
    assert!(!out.text.trim().is_empty(), "{}: empty result", def.name);
    if let Some(result) = &out.structured {
        has_contract_keys(def.name, result);
    }
    h.shutdown().await;
}

/// The keys the contract promises are in the result: in the object itself,
/// or in every item of a list (`{"result": [...]}`).
#[track_caller]
fn has_contract_keys(tool: &str, result: &Json) {
    let keys = testkit::contract_result_keys(tool);
    let items: Vec<&Json> = match result.get("result") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(Json::String(_)) => return,
        _ => vec![result],
    };
    for item in items {
        for key in &keys {
            assert!(
                item.get(key).is_some(),
                "{tool}: the result lacks the contract's key {key}: {item}"
            );
        }
    }
}

/// The failure case; for `Unreachable`, against a server whose vCenter (a
/// simulator that has been stopped) no longer answers.
async fn failure_is_clear(def: &ToolDef) {
    match def.failure {
        Failure::Args { args, expect } => {
            let h = harness().await;
            let msg = h.fails(def.name, json(def.name, args)).await;
            clear(def.name, &msg, expect);
            h.shutdown().await;
        }
        Failure::Unreachable { expect } => {
            conformance::init_tls();
            let sim = conformance::start_sim().await.unwrap();
            let cmd = conformance::server_command(&sim, &[])
                .unwrap()
                .configure(|c| {
                    c.env("MCP_TRANSPORT", "stdio");
                });
            sim.shutdown().await;
            let (proc_transport, _stderr) = TokioChildProcess::builder(cmd)
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap();
            let client = ().serve(proc_transport).await.unwrap();
            let out = conformance::call_tool(&client, def.name, json(def.name, def.example.args))
                .await
                .unwrap();
            assert!(
                out.is_error,
                "{}: succeeded with vCenter stopped: {}",
                def.name, out.text
            );
            clear(def.name, &out.text, expect);
            let _ = client.cancel().await;
        }
    }
}

#[tokio::test]
async fn the_binary_lists_every_registered_tool() {
    let h = harness().await;
    let listed = h.tool_names().await.unwrap();
    let registered: std::collections::BTreeSet<String> =
        registry().iter().map(|t| t.name.to_string()).collect();
    assert_eq!(listed, registered);
    h.shutdown().await;
}

#[tokio::test]
async fn every_tool_succeeds_with_its_example() {
    assert!(!registry().is_empty());
    for def in registry() {
        example_succeeds(def).await;
    }
}

#[tokio::test]
async fn every_tool_fails_clearly_with_its_failure_case() {
    for def in registry() {
        failure_is_clear(def).await;
    }
}
