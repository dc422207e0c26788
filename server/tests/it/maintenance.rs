//! host_management maintenance and power: enter/exit_maintenance_mode,
//! reboot_host, shutdown_host against the simulator — VMs really move
//! (`runtime.host`), events are recorded — plus the task watching: progress
//! notifications, cancellation (`CancelTask`) and the timeout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use mcvsphere::tools::Defaults;
use mcvsphere::tools::call_env::{self, CallEnv, ProgressFn};
use serde_json::json;
use testkit::{eventually, has_event_since, has_result_keys, prop, prop_str};
use vim25::MoRef;

use crate::hosts::host;
use crate::{env, env_with, says};

fn flag(sim: &vcsim::Simulator, h: &MoRef, path: &str) -> Option<bool> {
    prop(sim, h, path).and_then(|v| v.as_bool())
}

fn vms_on(sim: &vcsim::Simulator, h: &MoRef) -> Vec<MoRef> {
    prop(sim, h, "vm")
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(|m| m.as_moref().cloned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn enter_maintenance_moves_running_vms_off_and_exit_brings_the_host_back() {
    let e = env().await;
    let h = host(&e.sim, "DC0_C0_H0");
    let on = vms_on(&e.sim, &h);
    assert!(!on.is_empty());
    let since = e.sim.events().len();
    let r = e
        .json("enter_maintenance_mode", json!({"host_name": "DC0_C0_H0"}))
        .await;
    has_result_keys("enter_maintenance_mode", &r);
    assert_eq!(r["maintenance_mode"], true);
    assert_eq!(r["evacuate_vms"], true);
    assert_eq!(flag(&e.sim, &h, "runtime.inMaintenanceMode"), Some(true));
    for v in &on {
        let now = prop(&e.sim, v, "runtime.host").and_then(|m| m.as_moref().cloned());
        assert_ne!(now.as_ref(), Some(&h), "{v} still on the host");
    }
    assert!(vms_on(&e.sim, &h).is_empty());
    assert_eq!(r["vms_moved"].as_array().unwrap().len(), on.len());
    assert!(has_event_since(&e.sim, since, "DrsVmMigratedEvent"));
    assert!(has_event_since(
        &e.sim,
        since,
        "EnteredMaintenanceModeEvent"
    ));
    // Again: nothing to do, said so.
    let r = e
        .json("enter_maintenance_mode", json!({"host_name": "DC0_C0_H0"}))
        .await;
    assert_eq!(r["action"], "already_in_maintenance_mode");
    let r = e
        .json("exit_maintenance_mode", json!({"host_name": "DC0_C0_H0"}))
        .await;
    has_result_keys("exit_maintenance_mode", &r);
    assert_eq!(r["maintenance_mode"], false);
    assert_eq!(flag(&e.sim, &h, "runtime.inMaintenanceMode"), Some(false));
    assert!(has_event_since(&e.sim, since, "ExitMaintenanceModeEvent"));
    let r = e
        .json("exit_maintenance_mode", json!({"host_name": "DC0_C0_H0"}))
        .await;
    assert_eq!(r["action"], "not_in_maintenance_mode");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_standalone_host_with_running_vms_cannot_enter_maintenance() {
    let e = env().await;
    let h = host(&e.sim, "DC0_H0");
    let msg = e
        .fails("enter_maintenance_mode", json!({"host_name": "DC0_H0"}))
        .await;
    says(
        &msg,
        &[
            "DC0_H0",
            "cannot enter maintenance mode",
            "standalone",
            "DC0_H0_VM0",
        ],
    );
    assert_eq!(flag(&e.sim, &h, "runtime.inMaintenanceMode"), Some(false));
    says(
        &e.fails(
            "enter_maintenance_mode",
            json!({"host_name": "DC0_C0_H0", "timeout_seconds": 0}),
        )
        .await,
        &["timeout_seconds", "positive"],
    );
    says(
        &e.fails("enter_maintenance_mode", json!({"evacuate_vms": "maybe"}))
            .await,
        &["evacuate_vms"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn reboot_needs_maintenance_unless_forced_and_the_host_comes_back() {
    let e = env().await;
    let h = host(&e.sim, "DC0_C0_H1");
    for tool in ["reboot_host", "shutdown_host"] {
        says(
            &e.fails(tool, json!({"host_name": "DC0_C0_H1"})).await,
            &["DC0_C0_H1", "not in maintenance mode", "force"],
        );
    }
    assert_eq!(prop_str(&e.sim, &h, "runtime.connectionState"), "connected");
    e.ok("enter_maintenance_mode", json!({"host_name": "DC0_C0_H1"}))
        .await;
    let since = e.sim.events().len();
    let r = e
        .json("reboot_host", json!({"host_name": "DC0_C0_H1"}))
        .await;
    has_result_keys("reboot_host", &r);
    assert_eq!(r["force"], false);
    says(r["warning"].as_str().unwrap(), &["rebooting"]);
    assert!(has_event_since(&e.sim, since, "HostShutdownEvent"));
    // It comes back after the simulator's reboot delay, still in maintenance mode.
    eventually("the rebooted host reconnects", || {
        prop_str(&e.sim, &h, "runtime.connectionState") == "connected"
            && has_event_since(&e.sim, since, "HostConnectedEvent")
    })
    .await;
    assert_eq!(flag(&e.sim, &h, "runtime.inMaintenanceMode"), Some(true));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn forced_shutdown_powers_off_the_hosts_vms() {
    let e = env().await;
    let h = host(&e.sim, "DC0_C0_H1");
    let on: Vec<MoRef> = vms_on(&e.sim, &h)
        .into_iter()
        .filter(|v| prop_str(&e.sim, v, "runtime.powerState") == "poweredOn")
        .collect();
    assert!(!on.is_empty(), "the fixture runs a VM on DC0_C0_H1");
    let r = e
        .json(
            "shutdown_host",
            json!({"host_name": "DC0_C0_H1", "force": true}),
        )
        .await;
    has_result_keys("shutdown_host", &r);
    assert_eq!(r["force"], true);
    says(r["warning"].as_str().unwrap(), &["powered off hard"]);
    assert_eq!(prop_str(&e.sim, &h, "runtime.powerState"), "poweredOff");
    for v in &on {
        assert_eq!(prop_str(&e.sim, v, "runtime.powerState"), "poweredOff");
    }
    e.sim.shutdown().await;
}

/// A call environment that records progress notifications.
/// Progress notifications seen: (done, message).
type Seen = Arc<Mutex<Vec<(f64, String)>>>;

fn recording() -> (CallEnv, Seen) {
    let seen = Arc::new(Mutex::new(vec![]));
    let s = seen.clone();
    let progress: ProgressFn = Arc::new(move |done, _total, msg| {
        s.lock().unwrap().push((done, msg));
        async {}.boxed()
    });
    let env = CallEnv {
        progress: Some(progress),
        cancelled: None,
    };
    (env, seen)
}

async fn slow_tasks() -> crate::Env {
    let config = vcsim::Config {
        task_duration: Duration::from_millis(400),
        ..Default::default()
    };
    env_with(config, Defaults::default()).await
}

#[tokio::test]
async fn maintenance_task_progress_goes_out_as_notifications() {
    let e = slow_tasks().await;
    let (env, seen) = recording();
    let args = json!({"host_name": "DC0_C0_H0"});
    call_env::scope(env, e.call("enter_maintenance_mode", args))
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 2, "{seen:?}");
    assert_eq!(seen.last().map(|s| s.0), Some(100.0), "{seen:?}");
    says(&seen[0].1, &["DC0_C0_H0"]);
    let h = host(&e.sim, "DC0_C0_H0");
    assert_eq!(flag(&e.sim, &h, "runtime.inMaintenanceMode"), Some(true));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_cancelled_call_cancels_the_vsphere_task() {
    let e = slow_tasks().await;
    let env = CallEnv {
        progress: None,
        cancelled: Some(async {}.boxed().shared()),
    };
    let args = json!({"host_name": "DC0_C0_H0"});
    let err = call_env::scope(env, e.call("enter_maintenance_mode", args))
        .await
        .unwrap_err();
    // EnterMaintenanceMode_Task is cancelable (as on vCenter): the error
    // says the cancel was asked for and what vCenter answered, and the host
    // never went into maintenance mode.
    says(
        &err.0,
        &[
            "EnterMaintenanceMode_Task",
            "DC0_C0_H0",
            "cancelled by the client",
            "was cancelled",
        ],
    );
    host_stays_out_of_maintenance(&e.sim, "DC0_C0_H0").await;
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_task_still_running_after_timeout_seconds_fails_clearly() {
    let config = vcsim::Config {
        task_duration: Duration::from_secs(3),
        ..Default::default()
    };
    let e = env_with(config, Defaults::default()).await;
    let err = e
        .call(
            "enter_maintenance_mode",
            json!({"host_name": "DC0_C0_H0", "timeout_seconds": 1}),
        )
        .await
        .unwrap_err();
    says(
        &err.0,
        &["DC0_C0_H0", "did not finish within 1s", "was cancelled"],
    );
    host_stays_out_of_maintenance(&e.sim, "DC0_C0_H0").await;
    e.sim.shutdown().await;
}

/// Waits for the cancelled EnterMaintenanceMode_Task to end in
/// `RequestCanceled`, then checks `host` is not in maintenance mode.
async fn host_stays_out_of_maintenance(sim: &vcsim::Simulator, host_name: &str) {
    let task = sim
        .objects("Task")
        .into_iter()
        .find(|t| {
            sim.property(t, "info.name")
                .and_then(|v| v.as_str().map(str::to_string))
                == Some("EnterMaintenanceMode_Task".into())
        })
        .expect("the maintenance task");
    eventually("the cancelled task ends", || {
        sim.property(&task, "info.state")
            .is_some_and(|v| v.as_str() == Some("error"))
    })
    .await;
    let info = sim.property(&task, "info").expect("task info");
    let info = info.as_data().expect("TaskInfo");
    assert_eq!(testkit::task_fault(info), "RequestCanceled");
    let h = host(sim, host_name);
    assert_eq!(flag(sim, &h, "runtime.inMaintenanceMode"), Some(false));
}

#[tokio::test]
async fn maintenance_progress_goes_over_mcp_with_the_clients_token() {
    let e = slow_tasks().await;
    let session = crate::mcp_http::connect(e.app(), None).await;
    let msgs = session
        .request_stream(
            "tools/call",
            json!({"name": "enter_maintenance_mode",
                   "arguments": {"host_name": "DC0_C0_H0"},
                   "_meta": {"progressToken": "mm-1"}}),
        )
        .await;
    let progress: Vec<&serde_json::Value> = msgs
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .collect();
    assert!(!progress.is_empty(), "no progress notifications: {msgs:?}");
    assert!(
        progress
            .iter()
            .all(|p| p["params"]["progressToken"] == "mm-1")
    );
    assert_eq!(progress[0]["params"]["total"], 100.0);
    let result = msgs.iter().find(|m| m.get("result").is_some()).unwrap();
    assert_eq!(
        result["result"]["structuredContent"]["maintenance_mode"], true,
        "{result}"
    );
    let h = host(&e.sim, "DC0_C0_H0");
    assert_eq!(flag(&e.sim, &h, "runtime.inMaintenanceMode"), Some(true));
}

#[tokio::test]
async fn a_cancelled_mcp_call_stops_waiting_for_the_host_task() {
    // The task would take an hour; only the cancellation can end the call.
    let config = vcsim::Config {
        task_duration: Duration::from_secs(3600),
        ..Default::default()
    };
    let e = env_with(config, Defaults::default()).await;
    let session = crate::mcp_http::connect(e.app(), None).await;
    let msgs = session
        .request_cancelled(
            "tools/call",
            json!({"name": "enter_maintenance_mode",
                   "arguments": {"host_name": "DC0_C0_H0", "timeout_seconds": 3600},
                   "_meta": {"progressToken": "mm-2"}}),
        )
        .await;
    assert!(
        msgs.iter()
            .all(|m| m["result"]["structuredContent"]["maintenance_mode"].is_null()),
        "{msgs:?}"
    );
    let h = host(&e.sim, "DC0_C0_H0");
    assert_eq!(flag(&e.sim, &h, "runtime.inMaintenanceMode"), Some(false));
}
