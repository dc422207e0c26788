//! Helpers every crate's tests share, so no crate keeps its own copy:
//! starting a simulator, reading its own state (the independent channel tests
//! check effects through), asserting a message is one a person can read,
//! waiting for an effect vSphere applies after a call returns, and finding an
//! event. Dev-only: nothing here ships.
//!
//! Failures panic with a sentence naming what was expected: these run inside
//! tests, where a panic is the failure report.

use std::time::Duration;

use vcsim::Simulator;
use vim25::{Data, MoRef, Value};

/// Installs rustls' ring provider for reqwest clients in tests; idempotent.
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Starts an in-process simulator (default inventory, port 0) that accepts
/// only `user` / `password`.
pub async fn simulator(user: &str, password: &str) -> Simulator {
    let config = vcsim::Config {
        credentials: Some((user.to_string(), password.to_string())),
        ..Default::default()
    };
    match vcsim::start(config).await {
        Ok(sim) => sim,
        Err(e) => panic!("the simulator starts: {e:#}"),
    }
}

/// The VM named `name`, from the simulator's own state.
#[track_caller]
pub fn vm(sim: &Simulator, name: &str) -> MoRef {
    sim.find("VirtualMachine", name)
        .unwrap_or_else(|| panic!("the simulator has a VM named {name}"))
}

/// A property as the simulator holds it.
pub fn prop(sim: &Simulator, obj: &MoRef, path: &str) -> Option<Value> {
    sim.property(obj, path)
}

/// A string property; empty when unset.
pub fn prop_str(sim: &Simulator, obj: &MoRef, path: &str) -> String {
    prop(sim, obj, path)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn prop_int(sim: &Simulator, obj: &MoRef, path: &str) -> Option<i64> {
    prop(sim, obj, path).and_then(|v| v.as_i64())
}

/// A property of the VM named `name` (`None` when there is no such VM).
pub fn vm_prop(sim: &Simulator, name: &str, path: &str) -> Option<Value> {
    let m = sim.find("VirtualMachine", name)?;
    sim.property(&m, path)
}

pub fn vm_int(sim: &Simulator, name: &str, path: &str) -> Option<i64> {
    vm_prop(sim, name, path).and_then(|v| v.as_i64())
}

/// The power state of the VM named `name`; empty when there is no such VM.
pub fn power_state(sim: &Simulator, name: &str) -> String {
    vm_prop(sim, name, "runtime.powerState")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Asserts `msg` mentions each needle (case-insensitive) and reads as a
/// sentence for a person: no panic text, no Rust `Debug` dump of an internal
/// type.
#[track_caller]
pub fn says(msg: &str, needles: &[&str]) {
    let lower = msg.to_lowercase();
    for n in needles {
        assert!(
            lower.contains(&n.to_lowercase()),
            "expected {n:?} in: {msg}"
        );
    }
    for bad in [
        "panicked",
        "RUST_BACKTRACE",
        "Fault {",
        "Some(",
        "VsError",
        "Data {",
    ] {
        assert!(!msg.contains(bad), "message leaks internals ({bad}): {msg}");
    }
}

/// The result keys the tool contract (`fixtures/spec/tools.json`) promises
/// for `tool`: what users' scripts read, so every tool's result must carry them.
#[track_caller]
pub fn contract_result_keys(tool: &str) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/spec/tools.json");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the tool contract {path} is readable: {e}"));
    let contract: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the tool contract {path} is JSON: {e}"));
    let entry = contract["tools"]
        .as_array()
        .and_then(|tools| tools.iter().find(|t| t["name"] == tool))
        .unwrap_or_else(|| panic!("the tool contract has {tool}"));
    entry["result_keys"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Panics unless `result` (a tool's JSON result) carries every key the
/// contract promises for `tool`.
#[track_caller]
pub fn has_result_keys(tool: &str, result: &serde_json::Value) {
    for key in contract_result_keys(tool) {
        assert!(
            result.get(&key).is_some(),
            "{tool}: missing {key}: {result}"
        );
    }
}

/// The text at `path` inside a data object (a device, a backing).
pub fn str_at<'a>(d: &'a Data, path: &str) -> Option<&'a str> {
    d.path(path).and_then(Value::as_str)
}

/// The number at `path` inside a data object.
pub fn int_at(d: &Data, path: &str) -> Option<i64> {
    d.path(path).and_then(Value::as_i64)
}

/// The flag at `path` inside a data object.
pub fn flag(d: &Data, path: &str) -> Option<bool> {
    d.path(path).and_then(Value::as_bool)
}

/// How often and how long [`eventually`] polls: 2,000 × 5 ms = 10 s at most.
const POLLS: u32 = 2000;
const POLL_EVERY: Duration = Duration::from_millis(5);

/// Polls until `f` holds, for effects vSphere applies after the call returns
/// (a guest shutdown, a task's completion). Panics naming `what` if it never
/// does; the bound is a safety net, not an assertion on speed.
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..POLLS {
        if f() {
            return;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    panic!("{what} never happened");
}

/// The types of the events recorded since the `since`-th one.
pub fn event_types_since(sim: &Simulator, since: usize) -> Vec<String> {
    sim.events()
        .into_iter()
        .skip(since)
        .map(|(t, _)| t)
        .collect()
}

/// Whether an event of type `kind` was recorded after the first `since`.
pub fn has_event_since(sim: &Simulator, since: usize, kind: &str) -> bool {
    event_types_since(sim, since).iter().any(|t| t == kind)
}

/// Whether an event of type `kind` was ever recorded.
pub fn has_event(sim: &Simulator, kind: &str) -> bool {
    has_event_since(sim, 0, kind)
}

/// The newest event of type `kind`: its `fullFormattedMessage`.
pub fn last_event(sim: &Simulator, kind: &str) -> Option<String> {
    sim.events()
        .into_iter()
        .rev()
        .find(|(t, _)| t == kind)
        .map(|(_, m)| m)
}

/// Waits until the Task in a method's reply has finished; its final `info`.
pub async fn wait_task(sim: &Simulator, task: &Option<Value>) -> Data {
    let t = task
        .as_ref()
        .and_then(Value::as_moref)
        .cloned()
        .unwrap_or_else(|| panic!("expected a Task, got {task:?}"));
    assert_eq!(t.kind, "Task", "the reply names a Task");
    let done = |s: &str| s == "success" || s == "error";
    eventually(&format!("task {t} finishing"), || {
        done(&prop_str(sim, &t, "info.state"))
    })
    .await;
    sim.property(&t, "info")
        .and_then(|v| v.as_data().cloned())
        .unwrap_or_else(|| panic!("task {t} has an info data object"))
}

/// The fault type in a finished task's `info.error`; empty on success.
pub fn task_fault(info: &Data) -> String {
    info.path("error.fault")
        .and_then(Value::as_data)
        .map(|d| d.type_name.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::says;

    #[test]
    fn says_accepts_a_clear_message() {
        says("VM 'x' not found", &["not found", "'x'"]);
    }

    #[test]
    #[should_panic(expected = "expected")]
    fn says_refuses_a_message_without_the_words() {
        says("VM 'x' deleted", &["not found"]);
    }

    #[test]
    #[should_panic(expected = "leaks internals")]
    fn says_refuses_a_debug_dump() {
        says("failed: Some(Fault { code: 1 })", &["failed"]);
    }
}
