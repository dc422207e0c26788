use std::time::Duration;

use vcsim::Config;
use vim25::{Data, Request, Value};

use crate::{logged_in, mo, obj_spec, pc, start};
use testkit::{prop_str, vm, wait_task};

pub(crate) fn changes(update: &Value) -> Vec<(String, String, Option<Value>)> {
    let mut out = vec![];
    for fu in update
        .path("filterSet")
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default()
    {
        for ou in fu
            .path("objectSet")
            .map(|v| v.as_array().to_vec())
            .unwrap_or_default()
        {
            let kind = ou
                .path("kind")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            for ch in ou
                .path("changeSet")
                .map(|v| v.as_array().to_vec())
                .unwrap_or_default()
            {
                let name = ch
                    .path("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                out.push((kind.clone(), name, ch.path("val").cloned()));
            }
        }
    }
    out
}

#[tokio::test]
async fn task_info_goes_to_success_with_times_and_manager_lists_it() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let t = c.ok(Request::new("PowerOffVM_Task", &v)).await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(info.get("state").and_then(Value::as_str), Some("success"));
    assert_eq!(
        info.get("name").and_then(Value::as_str),
        Some("PowerOffVM_Task")
    );
    assert_eq!(
        info.get("descriptionId").and_then(Value::as_str),
        Some("VirtualMachine.powerOff")
    );
    assert_eq!(info.get("entity").and_then(Value::as_moref), Some(&v));
    assert_eq!(
        info.get("entityName").and_then(Value::as_str),
        Some("DC0_H0_VM0")
    );
    for f in ["queueTime", "startTime", "completeTime"] {
        assert!(info.get(f).is_some(), "{f}");
    }
    let recent = sim
        .property(&mo("TaskManager", "TaskManager"), "recentTask")
        .expect("recentTask");
    let task = t.as_ref().and_then(Value::as_moref).expect("task");
    assert!(recent.as_array().iter().any(|x| x.as_moref() == Some(task)));
}

#[tokio::test]
async fn wait_for_updates_ex_reports_task_state_changes() {
    let (sim, c) = start(Config {
        task_duration: Duration::from_millis(200),
        ..Config::default()
    })
    .await;
    c.login().await;
    let v = vm(&sim, "DC0_H0_VM1");
    let t = c
        .ok(Request::new("PowerOffVM_Task", &v))
        .await
        .expect("task");
    let task = t.as_moref().expect("task ref").clone();
    c.ok(Request::new("CreateFilter", &pc())
        .arg(
            "spec",
            obj_spec(&task, "Task", &["info.state", "info.error"]),
        )
        .arg("partialUpdates", false))
        .await;
    let wait = |version: String| {
        Request::new("WaitForUpdatesEx", &pc())
            .arg("version", version)
            .arg(
                "options",
                Data::new("WaitOptions").with("maxWaitSeconds", 10),
            )
    };
    let first = c.ok(wait(String::new())).await.expect("initial update");
    let initial = changes(&first);
    assert!(
        initial
            .iter()
            .any(|(k, n, _)| k == "enter" && n == "info.state"),
        "{initial:?}"
    );
    let mut version = crate::update_version(&first);
    let mut last_state = String::new();
    for _ in 0..10 {
        let u = c
            .ok(wait(version.clone()))
            .await
            .expect("an update before the timeout");
        version = crate::update_version(&u);
        if let Some((_, _, Some(val))) = changes(&u).into_iter().find(|(_, n, _)| n == "info.state")
        {
            last_state = val.as_str().unwrap_or_default().to_string();
            if last_state == "success" {
                break;
            }
        }
    }
    assert_eq!(last_state, "success");
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOff");
    // Nothing more to report: a zero wait returns no update set.
    let none = c
        .ok(Request::new("WaitForUpdatesEx", &pc())
            .arg("version", version)
            .arg(
                "options",
                Data::new("WaitOptions").with("maxWaitSeconds", 0),
            ))
        .await;
    assert!(none.is_none(), "{none:?}");
}

#[tokio::test]
async fn filters_are_listed_and_destroyed() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let f = c
        .ok(Request::new("CreateFilter", &pc())
            .arg("spec", obj_spec(&v, "VirtualMachine", &["name"]))
            .arg("partialUpdates", false))
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("filter");
    let listed = c
        .ok(Request::new("Fetch", &pc()).arg("prop", "filter"))
        .await
        .expect("filters");
    assert!(listed.as_array().iter().any(|x| x.as_moref() == Some(&f)));
    c.ok(Request::new("DestroyPropertyFilter", &f)).await;
    let r = c.check(Request::new("DestroyPropertyFilter", &f)).await;
    assert_eq!(crate::fault_type(&r), "ManagedObjectNotFound");
    let r = c
        .check(
            Request::new("CreateFilter", &pc())
                .arg("spec", obj_spec(&v, "VirtualMachine", &["nope.nope"]))
                .arg("partialUpdates", false),
        )
        .await;
    assert_eq!(crate::fault_type(&r), "InvalidProperty");
}

#[tokio::test]
async fn check_for_updates_sees_a_rename() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    c.ok(Request::new("CreateFilter", &pc())
        .arg(
            "spec",
            obj_spec(&v, "VirtualMachine", &["name", "summary.config.name"]),
        )
        .arg("partialUpdates", false))
        .await;
    let first = c
        .ok(Request::new("CheckForUpdates", &pc()).arg("version", ""))
        .await
        .expect("initial");
    let version = crate::update_version(&first);
    let t = c
        .ok(Request::new("Rename_Task", &v).arg("newName", "renamed"))
        .await;
    wait_task(&sim, &t).await;
    let u = c
        .ok(Request::new("CheckForUpdates", &pc()).arg("version", version))
        .await
        .expect("changes");
    let ch = changes(&u);
    assert!(
        ch.iter().any(|(k, n, v)| k == "modify"
            && n == "name"
            && v.as_ref().and_then(|v| v.as_str()) == Some("renamed")),
        "{ch:?}"
    );
    assert!(
        ch.iter().any(|(_, n, _)| n == "summary.config.name"),
        "{ch:?}"
    );
}
