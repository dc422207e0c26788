//! power_ops tools: power_on, power_off, reset_vm, suspend_vm, shutdown_guest,
//! reboot_guest, standby_guest.

use serde_json::json;
use vim25::Value;

use crate::{eventually, harness, says};

const VM: &str = "DC0_H0_VM0";

fn has_event(h: &conformance::Harness, since: usize, kind: &str) -> bool {
    testkit::has_event_since(&h.sim, since, kind)
}

#[tokio::test]
async fn power_off_then_on() {
    let h = harness().await;
    h.ok("power_off", json!({"name": VM})).await;
    assert_eq!(h.power_state(VM), "poweredOff");
    h.ok("power_on", json!({"name": VM})).await;
    assert_eq!(h.power_state(VM), "poweredOn");
    h.shutdown().await;
}

#[tokio::test]
async fn power_on_when_on_and_off_when_off_are_clear_no_ops() {
    let h = harness().await;
    let before = h.sim.events().len();
    let out = h.ok("power_on", json!({"name": VM})).await;
    says(&out.text, &["already"]);
    assert_eq!(h.power_state(VM), "poweredOn");
    assert!(
        !has_event(&h, before, "VmPoweredOnEvent"),
        "no power-on happened"
    );
    h.ok("power_off", json!({"name": VM})).await;
    let out = h.ok("power_off", json!({"name": VM})).await;
    says(&out.text, &["already"]);
    assert_eq!(h.power_state(VM), "poweredOff");
    h.shutdown().await;
}

#[tokio::test]
async fn power_tools_unknown_vm() {
    let h = harness().await;
    for tool in [
        "power_on",
        "power_off",
        "reset_vm",
        "suspend_vm",
        "shutdown_guest",
        "reboot_guest",
        "standby_guest",
    ] {
        says(
            &h.fails(tool, json!({"name": "ghost"})).await,
            &["ghost", "not found"],
        );
    }
    h.shutdown().await;
}

#[tokio::test]
async fn reset_vm_resets_a_running_vm() {
    let h = harness().await;
    let before = h.sim.events().len();
    h.ok("reset_vm", json!({"name": VM})).await;
    assert_eq!(h.power_state(VM), "poweredOn");
    assert!(
        has_event(&h, before, "VmResettingEvent"),
        "reset recorded: {:?}",
        h.sim.events()
    );
    h.shutdown().await;
}

#[tokio::test]
async fn reset_vm_refuses_a_powered_off_vm() {
    let h = harness().await;
    h.ok("power_off", json!({"name": VM})).await;
    says(
        &h.fails("reset_vm", json!({"name": VM})).await,
        &[VM, "powered off"],
    );
    assert_eq!(h.power_state(VM), "poweredOff");
    h.shutdown().await;
}

#[tokio::test]
async fn suspend_vm_suspends_and_power_on_resumes() {
    let h = harness().await;
    h.ok("suspend_vm", json!({"name": VM})).await;
    assert_eq!(h.power_state(VM), "suspended");
    h.ok("power_on", json!({"name": VM})).await;
    assert_eq!(h.power_state(VM), "poweredOn");
    h.shutdown().await;
}

#[tokio::test]
async fn suspend_vm_refuses_a_powered_off_vm() {
    let h = harness().await;
    h.ok("power_off", json!({"name": VM})).await;
    says(
        &h.fails("suspend_vm", json!({"name": VM})).await,
        &[VM, "powered off"],
    );
    assert_eq!(h.power_state(VM), "poweredOff");
    h.shutdown().await;
}

#[tokio::test]
async fn shutdown_guest_powers_the_vm_off() {
    let h = harness().await;
    h.ok("shutdown_guest", json!({"name": VM})).await;
    eventually("guest shutdown", || h.power_state(VM) == "poweredOff").await;
    h.shutdown().await;
}

#[tokio::test]
async fn reboot_guest_keeps_the_vm_running() {
    let h = harness().await;
    let before = h.sim.events().len();
    h.ok("reboot_guest", json!({"name": VM})).await;
    assert!(
        has_event(&h, before, "VmGuestRebootEvent"),
        "reboot recorded: {:?}",
        h.sim.events()
    );
    eventually("VM back on", || h.power_state(VM) == "poweredOn").await;
    h.shutdown().await;
}

#[tokio::test]
async fn standby_guest_is_recorded() {
    let h = harness().await;
    let before = h.sim.events().len();
    h.ok("standby_guest", json!({"name": VM})).await;
    assert!(
        has_event(&h, before, "VmGuestStandbyEvent"),
        "standby recorded: {:?}",
        h.sim.events()
    );
    h.shutdown().await;
}

#[tokio::test]
async fn guest_operations_need_a_running_vm() {
    let h = harness().await;
    h.ok("power_off", json!({"name": VM})).await;
    for tool in ["shutdown_guest", "reboot_guest", "standby_guest"] {
        says(
            &h.fails(tool, json!({"name": VM})).await,
            &[VM, "powered off"],
        );
    }
    assert_eq!(h.power_state(VM), "poweredOff");
    h.shutdown().await;
}

#[tokio::test]
async fn guest_operations_need_vmware_tools() {
    let h = harness().await;
    let vm = h.vm(VM).unwrap();
    h.sim
        .set_property(
            &vm,
            "guest.toolsRunningStatus",
            Value::from("guestToolsNotRunning"),
        )
        .unwrap();
    h.sim
        .set_property(&vm, "guest.toolsStatus", Value::from("toolsNotRunning"))
        .unwrap();
    for tool in ["shutdown_guest", "reboot_guest", "standby_guest"] {
        says(&h.fails(tool, json!({"name": VM})).await, &[VM, "tools"]);
    }
    assert_eq!(h.power_state(VM), "poweredOn");
    h.shutdown().await;
}
