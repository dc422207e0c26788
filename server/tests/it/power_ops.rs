//! power_ops tools against the simulator, effects checked in its state.

use serde_json::json;
use testkit::eventually;
use vim25::Value;

use crate::{env, says};

const VM: &str = "DC0_H0_VM0";

fn has_event(e: &crate::Env, since: usize, kind: &str) -> bool {
    testkit::has_event_since(&e.sim, since, kind)
}

#[tokio::test]
async fn power_off_and_on_with_clear_no_ops() {
    let e = env().await;
    says(
        &e.ok("power_on", json!({"name": VM})).await,
        &["already powered on"],
    );
    e.ok("power_off", json!({"name": VM})).await;
    assert_eq!(e.power(VM), "poweredOff");
    says(
        &e.ok("power_off", json!({"name": VM})).await,
        &["already powered off"],
    );
    let before = e.sim.events().len();
    says(
        &e.ok("power_on", json!({"name": VM})).await,
        &["powered on"],
    );
    assert_eq!(e.power(VM), "poweredOn");
    assert!(
        has_event(&e, before, "VmPoweredOnEvent"),
        "{:?}",
        e.sim.events()
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn every_power_tool_names_an_unknown_vm() {
    let e = env().await;
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
            &e.fails(tool, json!({"name": "ghost"})).await,
            &["VM 'ghost' not found"],
        );
        says(&e.fails(tool, json!({})).await, &["name"]);
    }
    e.sim.shutdown().await;
}

#[tokio::test]
async fn reset_and_suspend() {
    let e = env().await;
    let before = e.sim.events().len();
    e.ok("reset_vm", json!({"name": VM})).await;
    assert_eq!(e.power(VM), "poweredOn");
    assert!(
        has_event(&e, before, "VmResettingEvent"),
        "{:?}",
        e.sim.events()
    );
    e.ok("suspend_vm", json!({"name": VM})).await;
    assert_eq!(e.power(VM), "suspended");
    says(
        &e.ok("suspend_vm", json!({"name": VM})).await,
        &["already suspended"],
    );
    says(
        &e.fails("reset_vm", json!({"name": VM})).await,
        &[VM, "suspended"],
    );
    says(&e.ok("power_on", json!({"name": VM})).await, &["resumed"]);
    assert_eq!(e.power(VM), "poweredOn");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn reset_and_suspend_need_a_running_vm() {
    let e = env().await;
    e.ok("power_off", json!({"name": VM})).await;
    says(
        &e.fails("reset_vm", json!({"name": VM})).await,
        &[VM, "powered off"],
    );
    says(
        &e.fails("suspend_vm", json!({"name": VM})).await,
        &[VM, "powered off"],
    );
    assert_eq!(e.power(VM), "poweredOff");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn guest_shutdown_reboot_standby() {
    let e = env().await;
    let before = e.sim.events().len();
    e.ok("reboot_guest", json!({"name": VM})).await;
    assert!(
        has_event(&e, before, "VmGuestRebootEvent"),
        "{:?}",
        e.sim.events()
    );
    // Tools stops answering while the guest restarts, and comes back after.
    eventually("Tools back after reboot", || {
        e.vm_prop(VM, "guest.toolsRunningStatus")
            .is_some_and(|v| v.as_str() == Some("guestToolsRunning"))
    })
    .await;
    assert_eq!(e.power(VM), "poweredOn");
    let before = e.sim.events().len();
    e.ok("standby_guest", json!({"name": VM})).await;
    assert!(
        has_event(&e, before, "VmGuestStandbyEvent"),
        "{:?}",
        e.sim.events()
    );
    let vm1 = "DC0_H0_VM1";
    e.ok("shutdown_guest", json!({"name": vm1})).await;
    eventually("guest shutdown", || e.power(vm1) == "poweredOff").await;
    e.sim.shutdown().await;
}

#[tokio::test]
async fn guest_requests_need_power_and_tools() {
    let e = env().await;
    let vm = e.sim.find("VirtualMachine", VM).unwrap();
    e.sim
        .set_property(
            &vm,
            "guest.toolsRunningStatus",
            Value::from("guestToolsNotRunning"),
        )
        .unwrap();
    for tool in ["shutdown_guest", "reboot_guest", "standby_guest"] {
        says(
            &e.fails(tool, json!({"name": VM})).await,
            &["VMware Tools is not running", VM],
        );
    }
    assert_eq!(e.power(VM), "poweredOn");
    e.ok("power_off", json!({"name": VM})).await;
    for tool in ["shutdown_guest", "reboot_guest", "standby_guest"] {
        says(
            &e.fails(tool, json!({"name": VM})).await,
            &[VM, "powered off"],
        );
    }
    e.sim.shutdown().await;
}
