use vim25::{Request, Value};

use crate::{fault_type, logged_in};
use testkit::{eventually, has_event, prop_str, task_fault, vm, wait_task};

#[tokio::test]
async fn power_off_then_on_updates_runtime_summary_and_tools() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_C0_RP0_VM0");
    assert_eq!(
        prop_str(&sim, &v, "guest.toolsRunningStatus"),
        "guestToolsRunning"
    );
    assert!(!prop_str(&sim, &v, "guest.ipAddress").is_empty());
    let info = wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    assert_eq!(info.get("state").and_then(Value::as_str), Some("success"));
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOff");
    assert_eq!(
        prop_str(&sim, &v, "summary.runtime.powerState"),
        "poweredOff"
    );
    assert_eq!(
        prop_str(&sim, &v, "guest.toolsRunningStatus"),
        "guestToolsNotRunning"
    );
    assert_eq!(
        prop_str(&sim, &v, "summary.guest.toolsStatus"),
        "toolsNotRunning"
    );
    assert!(sim.property(&v, "guest.ipAddress").is_none());
    wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    assert_eq!(
        prop_str(&sim, &v, "summary.runtime.powerState"),
        "poweredOn"
    );
    // Tools comes up a moment after the boot.
    until(&sim, &v, "guest.toolsStatus", "toolsOk").await;
    assert!(has_event(&sim, "VmPoweredOffEvent") && has_event(&sim, "VmPoweredOnEvent"));
}

#[tokio::test]
async fn wrong_power_state_fails_the_task() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let info = wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    assert_eq!(info.get("state").and_then(Value::as_str), Some("error"));
    assert_eq!(task_fault(&info), "InvalidPowerState");
    assert_eq!(
        info.path("error.fault.existingState")
            .and_then(Value::as_str),
        Some("poweredOn")
    );
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    for m in ["PowerOffVM_Task", "SuspendVM_Task", "ResetVM_Task"] {
        let info = wait_task(&sim, &c.ok(Request::new(m, &v)).await).await;
        assert_eq!(task_fault(&info), "InvalidPowerState", "{m}");
    }
}

#[tokio::test]
async fn suspend_then_power_on_and_reset() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM1");
    wait_task(&sim, &c.ok(Request::new("SuspendVM_Task", &v)).await).await;
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "suspended");
    let info = wait_task(&sim, &c.ok(Request::new("SuspendVM_Task", &v)).await).await;
    assert_eq!(task_fault(&info), "InvalidPowerState");
    wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
    let info = wait_task(&sim, &c.ok(Request::new("ResetVM_Task", &v)).await).await;
    assert_eq!(info.get("state").and_then(Value::as_str), Some("success"));
    assert!(has_event(&sim, "VmResettingEvent"));
    assert!(has_event(&sim, "VmSuspendedEvent"));
}

async fn until(sim: &vcsim::Simulator, v: &vim25::MoRef, path: &str, want: &str) {
    eventually(&format!("{path} becoming {want}"), || {
        prop_str(sim, v, path) == want
    })
    .await;
}

#[tokio::test]
async fn guest_shutdown_needs_tools_and_powers_off() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_C0_RP0_VM1");
    sim.set_property(
        &v,
        "guest.toolsRunningStatus",
        Value::from("guestToolsNotRunning"),
    )
    .expect("set tools state");
    assert_eq!(
        prop_str(&sim, &v, "summary.guest.toolsRunningStatus"),
        "guestToolsNotRunning"
    );
    let r = c.check(Request::new("ShutdownGuest", &v)).await;
    assert_eq!(fault_type(&r), "ToolsUnavailable");
    sim.set_property(
        &v,
        "guest.toolsRunningStatus",
        Value::from("guestToolsRunning"),
    )
    .expect("set tools state");
    c.ok(Request::new("ShutdownGuest", &v)).await;
    until(&sim, &v, "runtime.powerState", "poweredOff").await;
    assert!(has_event(&sim, "VmGuestShutdownEvent"));
    let r = c.check(Request::new("ShutdownGuest", &v)).await;
    assert_eq!(fault_type(&r), "InvalidPowerState");
}

#[tokio::test]
async fn guest_reboot_and_standby() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    c.ok(Request::new("RebootGuest", &v)).await;
    assert!(has_event(&sim, "VmGuestRebootEvent"));
    until(&sim, &v, "guest.toolsRunningStatus", "guestToolsRunning").await;
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
    c.ok(Request::new("StandbyGuest", &v)).await;
    until(&sim, &v, "runtime.powerState", "suspended").await;
    assert!(has_event(&sim, "VmGuestStandbyEvent"));
}

/// Issue 7: the delayed power change after ShutdownGuest goes through the
/// same commit path as everything else, so WaitForUpdatesEx reports it, with
/// the derived summary alongside.
#[tokio::test]
async fn issue_7_wait_for_updates_sees_the_delayed_guest_power_change() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_C0_RP0_VM1");
    c.ok(Request::new("CreateFilter", &crate::pc())
        .arg(
            "spec",
            crate::obj_spec(
                &v,
                "VirtualMachine",
                &["runtime.powerState", "summary.runtime.powerState"],
            ),
        )
        .arg("partialUpdates", false))
        .await;
    let wait = |version: String| {
        Request::new("WaitForUpdatesEx", &crate::pc())
            .arg("version", version)
            .arg(
                "options",
                vim25::Data::new("WaitOptions").with("maxWaitSeconds", 10),
            )
    };
    let first = c.ok(wait(String::new())).await.expect("initial update");
    let mut version = crate::update_version(&first);
    c.ok(Request::new("ShutdownGuest", &v)).await;
    let mut seen = vec![];
    for _ in 0..10 {
        let u = c
            .ok(wait(version.clone()))
            .await
            .expect("an update before the timeout");
        version = crate::update_version(&u);
        for (_, name, val) in crate::tasks::changes(&u) {
            if val.as_ref().and_then(Value::as_str) == Some("poweredOff") {
                seen.push(name);
            }
        }
        if seen.len() == 2 {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["runtime.powerState", "summary.runtime.powerState"]);
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOff");
}

/// Issue 9: a VM that is not running has nothing connected. Asking a
/// powered-off VM's NIC and CD/DVD drive to connect keeps only the
/// start-connected wish; they connect at power-on and drop at power-off.
#[tokio::test]
async fn issue_9_devices_connect_only_while_the_vm_runs() {
    use vim25::devices::DeviceList;
    use vim25::spec::{NicEdit, cdrom_set_iso, config_spec, nic_edit};

    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    let list = |sim: &vcsim::Simulator| {
        DeviceList::from_value(&sim.property(&v, "config.hardware.device").expect("devices"))
    };
    let connected = |sim: &vcsim::Simulator, label: &str| {
        let l = list(sim);
        let d = l.by_label(label).expect("a fixture device");
        (
            d.path("connectable.connected").and_then(Value::as_bool),
            d.path("connectable.startConnected")
                .and_then(Value::as_bool),
        )
    };
    let l = list(&sim);
    let nic = l.by_label("Network adapter 1").expect("fixture NIC");
    let cdrom = l.by_label("CD/DVD drive 1").expect("fixture drive");
    let edit = NicEdit {
        backing: None,
        connected: Some(true),
        start_connected: Some(true),
        mac: None,
    };
    let spec = config_spec(vec![
        nic_edit(nic, &edit).expect("a NIC"),
        cdrom_set_iso(cdrom, "[LocalDS_0] iso/a.iso").expect("a drive"),
    ]);
    let info = wait_task(
        &sim,
        &c.ok(Request::new("ReconfigVM_Task", &v).arg("spec", spec))
            .await,
    )
    .await;
    assert_eq!(
        info.get("state").and_then(Value::as_str),
        Some("success"),
        "{info:?}"
    );
    assert_eq!(
        connected(&sim, "Network adapter 1"),
        (Some(false), Some(true))
    );
    assert_eq!(connected(&sim, "CD/DVD drive 1"), (Some(false), Some(true)));

    wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    assert_eq!(
        connected(&sim, "Network adapter 1"),
        (Some(true), Some(true))
    );
    assert_eq!(connected(&sim, "CD/DVD drive 1"), (Some(true), Some(true)));
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    assert_eq!(connected(&sim, "CD/DVD drive 1"), (Some(false), Some(true)));
}
