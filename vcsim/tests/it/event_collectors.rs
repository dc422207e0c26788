//! Issue 12: EventHistoryCollector and TaskHistoryCollector.

use vim25::{Data, MoRef, Request, Value};

use crate::hosts::host;
use crate::{fault_type, logged_in, mo};
use testkit::{prop, says, vm, wait_task};

fn em() -> MoRef {
    mo("EventManager", "EventManager")
}

fn keys(v: &Option<Value>) -> Vec<i64> {
    v.as_ref()
        .map(|a| {
            a.as_array()
                .iter()
                .filter_map(|e| e.path("key").and_then(Value::as_i64))
                .collect()
        })
        .unwrap_or_default()
}

fn types(v: &Option<Value>) -> Vec<String> {
    v.as_ref()
        .map(|a| {
            a.as_array()
                .iter()
                .filter_map(|e| e.as_data().map(|d| d.type_name.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

async fn power_cycle(sim: &vcsim::Simulator, c: &crate::Client, name: &str) {
    let v = vm(sim, name);
    for m in ["PowerOffVM_Task", "PowerOnVM_Task"] {
        let t = c.ok(Request::new(m, &v)).await;
        wait_task(sim, &t).await;
    }
}

#[tokio::test]
async fn issue_12_event_collector_pages_forward_back_and_tracks_new_events() {
    let (sim, c) = logged_in().await;
    power_cycle(&sim, &c, "DC0_H0_VM0").await;
    power_cycle(&sim, &c, "DC0_H0_VM1").await;
    let vm0 = vm(&sim, "DC0_H0_VM0");
    let filter = Data::new("EventFilterSpec").with(
        "entity",
        Data::new("EventFilterSpecByEntity")
            .with("entity", &vm0)
            .with("recursion", "self"),
    );
    let col = c
        .ok(Request::new("CreateCollectorForEvents", &em()).arg("filter", filter))
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("a collector");
    assert_eq!(col.kind, "EventHistoryCollector");
    let first = c
        .ok(Request::new("ReadNextEvents", &col).arg("maxCount", 1))
        .await;
    let rest = c
        .ok(Request::new("ReadNextEvents", &col).arg("maxCount", 100))
        .await;
    let all: Vec<i64> = keys(&first).into_iter().chain(keys(&rest)).collect();
    assert!(all.len() >= 2, "{all:?}");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "oldest first: {all:?}");
    let all_types: Vec<String> = types(&first).into_iter().chain(types(&rest)).collect();
    assert_eq!(
        all_types,
        ["VmPoweredOffEvent", "VmPoweredOnEvent"],
        "only VM0's"
    );
    let end = c
        .ok(Request::new("ReadNextEvents", &col).arg("maxCount", 10))
        .await;
    assert!(keys(&end).is_empty(), "nothing after the end");
    let back = c
        .ok(Request::new("ReadPreviousEvents", &col).arg("maxCount", 10))
        .await;
    let mut rev = all.clone();
    rev.reverse();
    assert_eq!(keys(&back), rev, "previous walks back newest first");
    c.ok(Request::new("RewindCollector", &col)).await;
    let again = c
        .ok(Request::new("ReadNextEvents", &col).arg("maxCount", 10))
        .await;
    assert_eq!(keys(&again), all);
    // latestPage is newest first, follows the page size and sees new events.
    c.ok(Request::new("SetCollectorPageSize", &col).arg("maxCount", 1))
        .await;
    let page = prop(&sim, &col, "latestPage");
    assert_eq!(keys(&page), [*all.last().expect("events")]);
    power_cycle(&sim, &c, "DC0_H0_VM0").await;
    let page = prop(&sim, &col, "latestPage");
    assert_eq!(types(&page), ["VmPoweredOnEvent"]);
    assert!(keys(&page)[0] > *all.last().expect("events"));
    c.ok(Request::new("ResetCollector", &col)).await;
    let latest = c
        .ok(Request::new("ReadNextEvents", &col).arg("maxCount", 10))
        .await;
    assert_eq!(
        keys(&latest),
        keys(&page),
        "reset: just before the latest page"
    );
    c.ok(Request::new("DestroyCollector", &col)).await;
    assert!(!sim.objects("EventHistoryCollector").contains(&col));
    let r = c
        .check(Request::new("ReadNextEvents", &col).arg("maxCount", 1))
        .await;
    assert_eq!(fault_type(&r), "ManagedObjectNotFound");
}

#[tokio::test]
async fn issue_12_event_collector_filters_by_type_user_time_and_children() {
    let (sim, c) = logged_in().await;
    power_cycle(&sim, &c, "DC0_H0_VM0").await;
    let h = host(&sim, "DC0_H0");
    let by_type = Data::new("EventFilterSpec")
        .with("eventTypeId", vec!["VmPoweredOnEvent"])
        .with(
            "userName",
            Data::new("EventFilterSpecByUsername")
                .with("systemUser", false)
                .with("userList", vec!["user"]),
        )
        .with(
            "entity",
            Data::new("EventFilterSpecByEntity")
                .with("entity", &h)
                .with("recursion", "all"),
        );
    let col = c
        .ok(Request::new("CreateCollectorForEvents", &em()).arg("filter", by_type))
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("a collector");
    let got = c
        .ok(Request::new("ReadNextEvents", &col).arg("maxCount", 50))
        .await;
    assert_eq!(types(&got), ["VmPoweredOnEvent"]);
    let future = Data::new("EventFilterSpec").with(
        "time",
        Data::new("EventFilterSpecByTime").with("beginTime", "2999-01-01T00:00:00Z"),
    );
    let col = c
        .ok(Request::new("CreateCollectorForEvents", &em()).arg("filter", future))
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("a collector");
    let got = c
        .ok(Request::new("ReadNextEvents", &col).arg("maxCount", 50))
        .await;
    assert!(keys(&got).is_empty());
    // Bad input.
    let r = c
        .check(Request::new("ReadNextEvents", &col).arg("maxCount", 0))
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    says(
        &r.expect_err("fault").to_string(),
        &["maxCount", "1 to 1000"],
    );
    let r = c
        .check(Request::new("SetCollectorPageSize", &col).arg("maxCount", 5000))
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    let gone = Data::new("EventFilterSpec").with(
        "entity",
        Data::new("EventFilterSpecByEntity")
            .with("entity", mo("VirtualMachine", "vm-nope"))
            .with("recursion", "self"),
    );
    let r = c
        .check(Request::new("CreateCollectorForEvents", &em()).arg("filter", gone))
        .await;
    assert_eq!(fault_type(&r), "ManagedObjectNotFound");
}

#[tokio::test]
async fn issue_12_task_collector_reads_task_history() {
    let (sim, c) = logged_in().await;
    power_cycle(&sim, &c, "DC0_H0_VM0").await;
    power_cycle(&sim, &c, "DC0_H0_VM1").await;
    let vm1 = vm(&sim, "DC0_H0_VM1");
    let filter = Data::new("TaskFilterSpec")
        .with(
            "entity",
            Data::new("TaskFilterSpecByEntity")
                .with("entity", &vm1)
                .with("recursion", "self"),
        )
        .with("state", vec!["success"]);
    let col = c
        .ok(
            Request::new("CreateCollectorForTasks", &mo("TaskManager", "TaskManager"))
                .arg("filter", filter),
        )
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("a collector");
    assert_eq!(col.kind, "TaskHistoryCollector");
    let got = c
        .ok(Request::new("ReadNextTasks", &col).arg("maxCount", 10))
        .await;
    let names: Vec<String> = got
        .as_ref()
        .map(|a| {
            a.as_array()
                .iter()
                .filter_map(|t| t.path("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["PowerOffVM_Task", "PowerOnVM_Task"]);
    let prev = c
        .ok(Request::new("ReadPreviousTasks", &col).arg("maxCount", 10))
        .await;
    assert_eq!(
        prev.map(|p| p.as_array().len()),
        Some(2),
        "back over what was read"
    );
    let page = prop(&sim, &col, "latestPage").expect("latestPage");
    let first = page
        .as_array()
        .first()
        .and_then(|t| t.path("name"))
        .and_then(Value::as_str);
    assert_eq!(first, Some("PowerOnVM_Task"), "newest first");
    c.ok(Request::new("DestroyCollector", &col)).await;
    assert!(sim.objects("TaskHistoryCollector").is_empty());
}

#[tokio::test]
async fn issue_12_a_session_has_at_most_32_event_collectors() {
    let (sim, c) = logged_in().await;
    let make = || {
        Request::new("CreateCollectorForEvents", &em()).arg("filter", Data::new("EventFilterSpec"))
    };
    for _ in 0..32 {
        c.ok(make()).await;
    }
    let before = sim.objects("EventHistoryCollector").len();
    let r = c.check(make()).await;
    assert_eq!(fault_type(&r), "InvalidState");
    says(&r.expect_err("fault").to_string(), &["32", "destroy one"]);
    assert_eq!(sim.objects("EventHistoryCollector").len(), before);
}
