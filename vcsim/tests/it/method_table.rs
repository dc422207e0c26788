//! Issue 7: the method table is the whole truth about what vcsim serves.
//! Every row answers through SOAP (something other than MethodNotFound),
//! `vcsim --list-methods` prints exactly the table, and arguments are checked
//! with a fault that names them.

use std::process::Command;

use vcsim::Simulator;
use vim25::{MoRef, Request, Value};

use crate::{Client, fault_type, logged_in, mo, obj_spec, pc};
use testkit::vm;

/// An existing receiver for a row's type.
async fn receiver(sim: &Simulator, c: &Client, kind: &str) -> MoRef {
    match kind {
        "ManagedObject" | "ManagedEntity" | "VirtualMachine" => vm(sim, "DC0_H0_VM0"),
        "Folder" => mo("Folder", "group-d1"),
        "View" => c
            .ok(
                Request::new("CreateContainerView", &mo("ViewManager", "ViewManager"))
                    .arg("container", mo("Folder", "group-d1"))
                    .arg("type", vec!["VirtualMachine"])
                    .arg("recursive", true),
            )
            .await
            .and_then(|v| v.as_moref().cloned())
            .expect("a view"),
        "PropertyFilter" => c
            .ok(Request::new("CreateFilter", &pc())
                .arg(
                    "spec",
                    obj_spec(&vm(sim, "DC0_H0_VM0"), "VirtualMachine", &["name"]),
                )
                .arg("partialUpdates", false))
            .await
            .and_then(|v| v.as_moref().cloned())
            .expect("a filter"),
        // No snapshot in the default inventory: take one.
        "VirtualMachineSnapshot" => {
            let v = vm(sim, "DC0_H0_VM0");
            let t = c
                .ok(Request::new("CreateSnapshot_Task", &v)
                    .arg("name", "row")
                    .arg("memory", false)
                    .arg("quiesce", false))
                .await;
            testkit::wait_task(sim, &t)
                .await
                .get("result")
                .and_then(Value::as_moref)
                .cloned()
                .expect("a snapshot")
        }
        // Collectors exist once a client makes one (issue 12).
        "HistoryCollector" | "EventHistoryCollector" => c
            .ok(Request::new(
                "CreateCollectorForEvents",
                &mo("EventManager", "EventManager"),
            )
            .arg("filter", vim25::Data::new("EventFilterSpec")))
            .await
            .and_then(|v| v.as_moref().cloned())
            .expect("an event collector"),
        "TaskHistoryCollector" => c
            .ok(
                Request::new("CreateCollectorForTasks", &mo("TaskManager", "TaskManager"))
                    .arg("filter", vim25::Data::new("TaskFilterSpec")),
            )
            .await
            .and_then(|v| v.as_moref().cloned())
            .expect("a task collector"),
        // No lease in the default inventory: export a powered-off VM.
        "HttpNfcLease" => {
            let v = vm(sim, "DC0_C0_RP0_VM1");
            testkit::wait_task(sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
            c.ok(Request::new("ExportVm", &v))
                .await
                .and_then(|l| l.as_moref().cloned())
                .expect("a lease")
        }
        singleton => sim
            .objects(singleton)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {singleton} in the default inventory")),
    }
}

#[tokio::test]
async fn issue_7_every_table_row_is_reachable() {
    let (sim, c) = logged_in().await;
    let rows = vcsim::methods();
    assert!(rows.len() > 40, "{rows:?}");
    // Logout last: it ends the session the other calls use.
    let (last, first): (Vec<_>, Vec<_>) = rows.iter().partition(|(_, m)| *m == "Logout");
    for (kind, method) in first.into_iter().chain(last) {
        let this = receiver(&sim, &c, kind).await;
        let r = c.check(Request::new(method, &this)).await;
        if let Err(f) = &r {
            assert_ne!(
                f.fault_type(),
                Some("MethodNotFound"),
                "{kind}.{method} is in the table but not served: {f}"
            );
        }
    }
}

#[tokio::test]
async fn issue_7_methods_outside_the_table_are_not_found() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    // Defined by the schema for a supertype the table does not cover
    // (folders and VMs have Destroy_Task since issue 13; datastores do not).
    let ds = sim.find("Datastore", "LocalDS_0").expect("LocalDS_0");
    let r = c.check(Request::new("Destroy_Task", &ds)).await;
    assert_eq!(fault_type(&r), "MethodNotFound");
    for method in [
        "CreateSnapshotEx_Task",
        "UnregisterVM",
        "MountToolsInstaller",
    ] {
        assert!(!vcsim::methods().iter().any(|(_, m)| *m == method));
        let r = c.check(Request::new(method, &v)).await;
        assert_eq!(fault_type(&r), "MethodNotFound", "{method}");
    }
}

#[tokio::test]
async fn issue_7_missing_argument_is_named_in_the_fault() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    for (req, arg) in [
        (Request::new("Rename_Task", &v), "newName"),
        (Request::new("ReconfigVM_Task", &v), "spec"),
        (Request::new("CloneVM_Task", &v).arg("name", "x"), "folder"),
        (
            Request::new("CreateFolder", &mo("Folder", "group-d1")),
            "name",
        ),
    ] {
        let method = req.method.clone();
        let r = c.check(req).await;
        assert_eq!(fault_type(&r), "InvalidArgument", "{method}");
        let f = r.expect_err("a fault");
        assert_eq!(
            f.detail
                .as_ref()
                .and_then(|d| d.get("invalidProperty"))
                .and_then(Value::as_str),
            Some(arg),
            "{method}: {f}"
        );
    }
}

#[test]
fn issue_7_list_methods_prints_the_table() {
    let out = Command::new(env!("CARGO_BIN_EXE_vcsim"))
        .arg("--list-methods")
        .output()
        .expect("the vcsim binary runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let printed: Vec<&str> = text.lines().collect();
    let expected: Vec<String> = vcsim::methods()
        .iter()
        .map(|(k, m)| format!("{k}.{m}"))
        .collect();
    assert_eq!(printed, expected);
    let mut sorted = printed.clone();
    sorted.sort_unstable();
    assert_eq!(printed, sorted);
    assert!(printed.contains(&"VirtualMachine.PowerOnVM_Task"));
    assert!(printed.contains(&"SessionManager.Login"));
}
