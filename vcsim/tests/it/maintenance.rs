//! Issue 12: maintenance mode (VMs evacuated by DRS), reboot and shutdown.

use std::time::Duration;

use vcsim::Config;
use vim25::{Request, Value};

use crate::hosts::host;
use crate::{logged_in, start};
use testkit::{eventually, has_event, prop, prop_str, says, task_fault, vm, wait_task};

fn refs(sim: &vcsim::Simulator, h: &vim25::MoRef) -> Vec<vim25::MoRef> {
    prop(sim, h, "vm")
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(|m| m.as_moref().cloned())
                .collect()
        })
        .unwrap_or_default()
}

fn error_message(info: &vim25::Data) -> String {
    info.path("error.localizedMessage")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn issue_12_entering_maintenance_moves_running_vms_to_other_cluster_hosts() {
    let (sim, c) = logged_in().await;
    let h0 = host(&sim, "DC0_C0_H0");
    let on_h0 = refs(&sim, &h0);
    assert!(!on_h0.is_empty(), "the fixture places a VM on DC0_C0_H0");
    let t = c
        .ok(Request::new("EnterMaintenanceMode_Task", &h0).arg("timeout", 0))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
    assert_eq!(
        prop(&sim, &h0, "runtime.inMaintenanceMode").and_then(|v| v.as_bool()),
        Some(true)
    );
    assert_eq!(
        prop(&sim, &h0, "summary.runtime.inMaintenanceMode").and_then(|v| v.as_bool()),
        Some(true)
    );
    for v in &on_h0 {
        let now_on = prop(&sim, v, "runtime.host").and_then(|h| h.as_moref().cloned());
        let now_on = now_on.expect("runtime.host");
        assert_ne!(now_on, h0, "{v} moved off");
        assert!(refs(&sim, &now_on).contains(v), "{now_on} lists {v}");
        assert!(!refs(&sim, &h0).contains(v));
        assert_eq!(prop_str(&sim, v, "runtime.powerState"), "poweredOn");
    }
    assert!(has_event(&sim, "DrsVmMigratedEvent"));
    assert!(has_event(&sim, "EnteringMaintenanceModeEvent"));
    assert!(has_event(&sim, "EnteredMaintenanceModeEvent"));
    // Already in maintenance mode: InvalidState.
    let t = c
        .ok(Request::new("EnterMaintenanceMode_Task", &h0).arg("timeout", 0))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "InvalidState");
    says(
        &error_message(&info),
        &["DC0_C0_H0", "already in maintenance mode"],
    );
    let t = c
        .ok(Request::new("ExitMaintenanceMode_Task", &h0).arg("timeout", 0))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_eq!(
        prop(&sim, &h0, "runtime.inMaintenanceMode").and_then(|v| v.as_bool()),
        Some(false)
    );
    assert!(has_event(&sim, "ExitMaintenanceModeEvent"));
    let t = c
        .ok(Request::new("ExitMaintenanceMode_Task", &h0).arg("timeout", 0))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "InvalidState");
    says(&error_message(&info), &["not in maintenance mode"]);
}

#[tokio::test]
async fn issue_12_standalone_host_with_running_vms_cannot_enter_maintenance() {
    let (sim, c) = logged_in().await;
    let h = host(&sim, "DC0_H0");
    let before = refs(&sim, &h);
    let t = c
        .ok(Request::new("EnterMaintenanceMode_Task", &h).arg("timeout", 30))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "Timedout");
    says(
        &error_message(&info),
        &["DC0_H0", "DC0_H0_VM0", "standalone", "power them off"],
    );
    assert_eq!(
        prop(&sim, &h, "runtime.inMaintenanceMode").and_then(|v| v.as_bool()),
        Some(false)
    );
    assert_eq!(refs(&sim, &h), before, "no VM moved");
    assert!(
        !has_event(&sim, "EnteringMaintenanceModeEvent"),
        "the failed task's events are undone"
    );
    // With its VMs powered off it can.
    for v in &before {
        let t = c.ok(Request::new("PowerOffVM_Task", v)).await;
        wait_task(&sim, &t).await;
    }
    let t = c
        .ok(Request::new("EnterMaintenanceMode_Task", &h).arg("timeout", 0))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_eq!(refs(&sim, &h), before, "powered-off VMs stay");
}

#[tokio::test]
async fn issue_12_cluster_with_nowhere_to_go_refuses_the_last_host() {
    let (sim, c) = logged_in().await;
    for name in ["DC0_C0_H0", "DC0_C0_H1"] {
        let t = c
            .ok(Request::new("EnterMaintenanceMode_Task", &host(&sim, name)).arg("timeout", 0))
            .await;
        assert_eq!(task_fault(&wait_task(&sim, &t).await), "", "{name}");
    }
    let last = host(&sim, "DC0_C0_H2");
    assert!(!refs(&sim, &last).is_empty(), "everything ran onto H2");
    let t = c
        .ok(Request::new("EnterMaintenanceMode_Task", &last).arg("timeout", 0))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "Timedout");
    says(&error_message(&info), &["DC0_C0_H2", "cluster DC0_C0"]);
}

#[tokio::test]
async fn issue_12_reboot_needs_maintenance_or_force_and_the_host_comes_back() {
    let (sim, c) = start(Config {
        host_reboot_delay: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    c.login().await;
    let h = host(&sim, "DC0_H0");
    let boot = prop_str(&sim, &h, "runtime.bootTime");
    let before = sim.snapshot();
    let t = c
        .ok(Request::new("RebootHost_Task", &h).arg("force", false))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "InvalidState");
    says(
        &error_message(&info),
        &["DC0_H0", "not in maintenance mode", "force"],
    );
    // Nothing but the task's own bookkeeping changed.
    let untasked = |s: Vec<(vim25::MoRef, vim25::Data)>| -> Vec<_> {
        s.into_iter()
            .filter(|(m, _)| m.kind != "Task" && m.kind != "TaskManager")
            .collect()
    };
    assert!(untasked(before) == untasked(sim.snapshot()));
    assert_eq!(prop_str(&sim, &h, "runtime.connectionState"), "connected");
    let vm0 = vm(&sim, "DC0_H0_VM0");
    let t = c
        .ok(Request::new("RebootHost_Task", &h).arg("force", true))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_eq!(
        prop_str(&sim, &h, "runtime.connectionState"),
        "notResponding"
    );
    assert_eq!(
        prop_str(&sim, &vm0, "runtime.connectionState"),
        "disconnected"
    );
    assert_eq!(prop_str(&sim, &vm0, "runtime.powerState"), "poweredOff");
    assert_eq!(
        testkit::prop_int(&sim, &h, "summary.quickStats.overallCpuUsage"),
        Some(0),
        "a host that is down uses nothing"
    );
    assert!(has_event(&sim, "HostShutdownEvent"));
    eventually("the host reconnecting", || {
        prop_str(&sim, &h, "runtime.connectionState") == "connected"
    })
    .await;
    assert_eq!(prop_str(&sim, &vm0, "runtime.connectionState"), "connected");
    assert_ne!(
        prop_str(&sim, &h, "runtime.bootTime"),
        boot,
        "a new boot time"
    );
    assert!(has_event(&sim, "HostConnectedEvent"));
}

#[tokio::test]
async fn issue_12_shutdown_in_maintenance_powers_the_host_off() {
    let (sim, c) = logged_in().await;
    let h = host(&sim, "DC0_C0_H1");
    let t = c
        .ok(Request::new("EnterMaintenanceMode_Task", &h).arg("timeout", 0))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    let t = c
        .ok(Request::new("ShutdownHost_Task", &h).arg("force", false))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_eq!(prop_str(&sim, &h, "runtime.powerState"), "poweredOff");
    assert_eq!(
        prop_str(&sim, &h, "runtime.connectionState"),
        "notResponding"
    );
    // A host that is down refuses another shutdown, naming its state.
    let t = c
        .ok(Request::new("ShutdownHost_Task", &h).arg("force", true))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "InvalidState");
    says(
        &error_message(&info),
        &["DC0_C0_H1", "notResponding", "poweredOff"],
    );
}

#[tokio::test]
async fn issue_12_evacuating_powered_off_vms_moves_them_too() {
    let (sim, c) = logged_in().await;
    let h = host(&sim, "DC0_C0_H0");
    let on_h = refs(&sim, &h);
    let off = on_h.first().cloned().expect("a VM on DC0_C0_H0");
    let t = c.ok(Request::new("PowerOffVM_Task", &off)).await;
    wait_task(&sim, &t).await;
    let t = c
        .ok(Request::new("EnterMaintenanceMode_Task", &h)
            .arg("timeout", 0)
            .arg("evacuatePoweredOffVms", true))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert!(refs(&sim, &h).is_empty(), "every VM left the host");
    let now_on = prop(&sim, &off, "runtime.host").and_then(|v| v.as_moref().cloned());
    assert_ne!(now_on, Some(h));
    assert_eq!(prop_str(&sim, &off, "runtime.powerState"), "poweredOff");
}

/// Powers `vm` on and returns the task's outcome.
async fn power_on(sim: &vcsim::Simulator, c: &crate::Client, vm: &vim25::MoRef) -> vim25::Data {
    let t = c.ok(Request::new("PowerOnVM_Task", vm)).await;
    wait_task(sim, &t).await
}

#[tokio::test]
async fn issue_12_a_vm_on_a_standalone_host_in_maintenance_does_not_power_on() {
    let (sim, c) = logged_in().await;
    let h = host(&sim, "DC0_H0");
    for v in refs(&sim, &h) {
        let t = c.ok(Request::new("PowerOffVM_Task", &v)).await;
        wait_task(&sim, &t).await;
    }
    let t = c
        .ok(Request::new("EnterMaintenanceMode_Task", &h).arg("timeout", 0))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    let v = vm(&sim, "DC0_H0_VM0");
    let info = power_on(&sim, &c, &v).await;
    assert_eq!(task_fault(&info), "InvalidHostState");
    says(&error_message(&info), &["DC0_H0", "maintenance mode"]);
    assert_eq!(
        info.path("error.fault.host").and_then(Value::as_moref),
        Some(&h),
        "the fault names the host"
    );
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOff");
    // Out of maintenance mode it powers on where it is.
    let t = c
        .ok(Request::new("ExitMaintenanceMode_Task", &h).arg("timeout", 0))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_eq!(task_fault(&power_on(&sim, &c, &v).await), "");
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
}

#[tokio::test]
async fn issue_12_drs_places_a_vm_powering_on_off_a_host_in_maintenance() {
    let (sim, c) = logged_in().await;
    let h0 = host(&sim, "DC0_C0_H0");
    // A powered-off VM stays registered on the host entering maintenance.
    let v = refs(&sim, &h0)
        .into_iter()
        .next()
        .expect("the fixture places a VM on DC0_C0_H0");
    let t = c.ok(Request::new("PowerOffVM_Task", &v)).await;
    wait_task(&sim, &t).await;
    let t = c
        .ok(Request::new("EnterMaintenanceMode_Task", &h0).arg("timeout", 0))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert!(refs(&sim, &h0).contains(&v), "powered off, it stayed");
    assert_eq!(task_fault(&power_on(&sim, &c, &v).await), "");
    let now_on = prop(&sim, &v, "runtime.host").and_then(|h| h.as_moref().cloned());
    let now_on = now_on.expect("runtime.host");
    assert_ne!(now_on, h0, "DRS placed it on another host");
    assert!(refs(&sim, &now_on).contains(&v));
    assert!(!refs(&sim, &h0).contains(&v));
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
}

#[tokio::test]
async fn issue_12_a_vm_on_a_host_that_is_not_responding_does_not_power_on() {
    let (sim, c) = start(Config {
        host_reboot_delay: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    c.login().await;
    let h = host(&sim, "DC0_H0");
    let t = c
        .ok(Request::new("RebootHost_Task", &h).arg("force", true))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    let v = vm(&sim, "DC0_H0_VM0");
    let info = power_on(&sim, &c, &v).await;
    assert_eq!(task_fault(&info), "InvalidHostConnectionState");
    says(&error_message(&info), &["DC0_H0", "notResponding"]);
    assert_ne!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
}
