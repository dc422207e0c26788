//! vcenter_ops, history: list_recent_events and list_recent_tasks against
//! the simulator's own event log and tasks, through collectors (which the
//! tools destroy again), with their filters doing the selecting.

use serde_json::json;
use testkit::has_result_keys as has_keys;

use crate::folders_templates::{fails, ok};
use crate::{env, says};

#[tokio::test]
async fn list_recent_events_filters_by_type_and_is_the_simulators_log() {
    let e = env().await;
    e.ok("power_off", json!({"name": "DC0_H0_VM0"})).await;
    e.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    let r = ok(
        &e,
        "list_recent_events",
        json!({"event_types": ["VmPoweredOffEvent"]}),
    )
    .await;
    let rows = r.as_array().unwrap();
    let sim_count = e
        .sim
        .events()
        .iter()
        .filter(|(t, _)| t == "VmPoweredOffEvent")
        .count();
    assert_eq!(rows.len(), sim_count);
    assert!(rows.len() >= 2, "{r}");
    for row in rows {
        has_keys("list_recent_events", row);
        assert_eq!(row["type"], "VmPoweredOffEvent");
    }
    // Newest first: the last power-off is VM1's.
    assert_eq!(rows[0]["vm"], "DC0_H0_VM1");
    assert!(rows[0]["message"].as_str().unwrap().contains("DC0_H0_VM1"));
    assert!(rows[0]["key"].as_i64() > rows[1]["key"].as_i64());
    // max_count limits; the collector is gone afterwards.
    let r = ok(&e, "list_recent_events", json!({"max_count": 1})).await;
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert!(e.sim.objects("EventHistoryCollector").is_empty());
}

/// The window is a filter on the collector. The simulator stamps events
/// with the wall clock (not the clock tests advance), so this checks the
/// window takes in what just happened, with the shortest allowed window.
#[tokio::test]
async fn list_recent_events_within_hours_back() {
    let e = env().await;
    e.ok("power_off", json!({"name": "DC0_H0_VM0"})).await;
    let types = json!(["VmPoweredOffEvent"]);
    let r = ok(
        &e,
        "list_recent_events",
        json!({"event_types": types, "hours_back": 1}),
    )
    .await;
    let rows = r.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{r}");
    assert_eq!(rows[0]["vm"], "DC0_H0_VM0");
    assert_eq!(rows[0]["user"], crate::USER);
}

#[tokio::test]
async fn list_recent_events_refuses_bad_counts() {
    let e = env().await;
    let msg = fails(&e, "list_recent_events", json!({"max_count": 0})).await;
    says(&msg, &["max_count", "positive"]);
    let msg = fails(&e, "list_recent_events", json!({"max_count": 5000})).await;
    says(&msg, &["max_count", "at most 1000"]);
    let msg = fails(&e, "list_recent_events", json!({"hours_back": -1})).await;
    says(&msg, &["hours_back"]);
    assert!(e.sim.objects("EventHistoryCollector").is_empty());
}

#[tokio::test]
async fn list_recent_tasks_are_the_simulators_tasks_of_one_entity() {
    let e = env().await;
    e.ok("power_off", json!({"name": "DC0_H0_VM0"})).await;
    e.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    e.ok("power_on", json!({"name": "DC0_H0_VM0"})).await;
    let r = ok(
        &e,
        "list_recent_tasks",
        json!({"entity_name": "DC0_H0_VM0"}),
    )
    .await;
    let rows = r.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{r}");
    for row in rows {
        has_keys("list_recent_tasks", row);
        assert_eq!(row["entity"], "DC0_H0_VM0");
        assert_eq!(row["state"], "success");
        assert!(row["complete_time"].is_string());
    }
    // Newest first: the power-on came last.
    assert!(rows[0]["name"].as_str().unwrap().contains("powerOn"), "{r}");
    assert!(
        rows[1]["name"].as_str().unwrap().contains("powerOff"),
        "{r}"
    );
    let all = ok(&e, "list_recent_tasks", json!({"max_count": 100})).await;
    assert!(all.as_array().unwrap().len() >= 3);
    let one = ok(&e, "list_recent_tasks", json!({"max_count": 1})).await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert!(e.sim.objects("TaskHistoryCollector").is_empty());
}

#[tokio::test]
async fn list_recent_tasks_refuses_an_unknown_entity() {
    let e = env().await;
    let msg = fails(
        &e,
        "list_recent_tasks",
        json!({"entity_name": "no-such-entity"}),
    )
    .await;
    says(&msg, &["'no-such-entity' not found"]);
    assert!(e.sim.objects("TaskHistoryCollector").is_empty());
}
