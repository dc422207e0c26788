//! `Task.CancelTask`: refused for a task that has ended (`InvalidState`) and
//! for one that is not cancelable (`NotSupported`), the task left as it was;
//! a cancelable one that is running ends in `RequestCanceled`, its work not done.

use std::time::Duration;

use vcsim::Config;
use vim25::Request;

use crate::{fault_type, start};
use testkit::{prop, prop_str, says, vm, wait_task};

#[tokio::test]
async fn cancel_task_refuses_ended_and_uncancelable_tasks() {
    let (sim, c) = start(Config {
        task_duration: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    c.login().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let t = c.ok(Request::new("PowerOffVM_Task", &v)).await;
    let task = t
        .as_ref()
        .and_then(|t| t.as_moref())
        .cloned()
        .expect("a task");
    // Still running: PowerOffVM_Task is not cancelable.
    let r = c.check(Request::new("CancelTask", &task)).await;
    assert_eq!(fault_type(&r), "NotSupported");
    says(
        &r.expect_err("a fault").message,
        &["not cancelable", "PowerOffVM_Task"],
    );
    assert_eq!(
        prop(&sim, &task, "info.cancelled").and_then(|b| b.as_bool()),
        Some(false)
    );
    let info = wait_task(&sim, &t).await;
    assert_eq!(testkit::str_at(&info, "state"), Some("success"));
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOff");
    // Ended: InvalidState.
    let r = c.check(Request::new("CancelTask", &task)).await;
    assert_eq!(fault_type(&r), "InvalidState");
    says(&r.expect_err("a fault").message, &["already completed"]);
    sim.shutdown().await;
}

/// A running clone is cancelable: `CancelTask` succeeds, the task ends in
/// `RequestCanceled` at once (not after its run time) and no clone exists.
#[tokio::test]
async fn a_running_clone_is_cancelled_and_makes_nothing() {
    let (sim, c) = start(Config {
        task_duration: Duration::from_secs(3600),
        ..Default::default()
    })
    .await;
    c.login().await;
    let src = vm(&sim, "DC0_H0_VM0");
    let spec = vim25::Data::new("VirtualMachineCloneSpec")
        .with("location", vim25::Data::new("VirtualMachineRelocateSpec"))
        .with("template", false)
        .with("powerOn", false);
    let t = c
        .ok(Request::new("CloneVM_Task", &src)
            .arg("folder", crate::vm_folder(&sim))
            .arg("name", "never-made")
            .arg("spec", spec))
        .await;
    let task = t
        .as_ref()
        .and_then(|t| t.as_moref())
        .cloned()
        .expect("a task");
    assert_eq!(
        prop(&sim, &task, "info.cancelable").and_then(|b| b.as_bool()),
        Some(true)
    );
    c.ok(Request::new("CancelTask", &task)).await;
    // The hour-long task ends now: the wait returns.
    let info = wait_task(&sim, &t).await;
    assert_eq!(testkit::task_fault(&info), "RequestCanceled", "{info:?}");
    assert_eq!(testkit::flag(&info, "cancelled"), Some(true));
    assert!(sim.find("VirtualMachine", "never-made").is_none());
    assert!(!testkit::has_event(&sim, "VmClonedEvent"));
    sim.shutdown().await;
}
