//! monitoring tools against the simulator: statistics compared with the
//! simulator's quickStats, tasks and events of calls just made, alarms
//! triggered on an entity.

use serde_json::json;
use testkit::{has_result_keys, prop, prop_int, prop_str, vm};
use vim25::{Data, MoRef, Value};

use crate::hosts::host;
use crate::{env, says};

#[tokio::test]
async fn list_hosts_lists_every_host_with_its_vms() {
    let e = env().await;
    let r = e.json("list_hosts", json!({})).await;
    let list = r.as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|h| h["name"].as_str().unwrap()).collect();
    let mut sim_names: Vec<String> = e
        .sim
        .objects("HostSystem")
        .iter()
        .map(|h| prop_str(&e.sim, h, "name"))
        .collect();
    sim_names.sort();
    assert_eq!(names, sim_names);
    for row in list {
        has_result_keys("list_hosts", row);
        let h = host(&e.sim, row["name"].as_str().unwrap());
        let vms = prop(&e.sim, &h, "vm")
            .map(|v| v.as_array().len())
            .unwrap_or(0);
        assert_eq!(row["vm_count"], vms);
        assert_eq!(row["connection_state"], "connected");
    }
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_host_stats_is_the_hosts_quick_stats() {
    let e = env().await;
    let h = host(&e.sim, "DC0_C0_H0");
    let q = |f: &str| prop_int(&e.sim, &h, &format!("summary.quickStats.{f}"));
    // quickStats move with each 20 s sample: the call may see the one before or after.
    let before = (q("overallCpuUsage"), q("overallMemoryUsage"));
    let r = e
        .json("get_host_stats", json!({"host_name": "DC0_C0_H0"}))
        .await;
    let after = (q("overallCpuUsage"), q("overallMemoryUsage"));
    has_result_keys("get_host_stats", &r);
    let got = (r["cpu_usage_mhz"].as_i64(), r["memory_usage_mb"].as_i64());
    assert!(got == before || got == after, "{r} vs {before:?}/{after:?}");
    let cpu = r["cpu_usage_mhz"].as_i64().unwrap();
    assert!(cpu > 0, "a host running VMs uses CPU: {r}");
    assert_eq!(
        r["cpu_cores"].as_i64(),
        prop_int(&e.sim, &h, "summary.hardware.numCpuCores")
    );
    let capacity = (r["cpu_cores"].as_i64().unwrap() * r["cpu_mhz"].as_i64().unwrap()) as f64;
    let pct = r["cpu_usage_percent"].as_f64().unwrap();
    let expected = cpu as f64 * 100.0 / capacity;
    assert!((pct - expected).abs() < 0.01, "{r}");
    assert_eq!(
        r["vm_count"],
        prop(&e.sim, &h, "vm").unwrap().as_array().len()
    );
    assert!(r["uptime_seconds"].as_i64().unwrap() >= 0);
    assert!(r["uptime_human"].as_str().is_some());
    // Without host_name: the first host.
    let r = e.json("get_host_stats", json!({})).await;
    assert!(r["name"].as_str().is_some());
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_vm_stats_follows_the_vms_power_state() {
    let e = env().await;
    let name = "DC0_H0_VM0";
    let m = vm(&e.sim, name);
    let q = || prop_int(&e.sim, &m, "summary.quickStats.hostMemoryUsage");
    let before = q();
    let r = e.json("get_vm_stats", json!({"name": name})).await;
    let after = q();
    has_result_keys("get_vm_stats", &r);
    assert_eq!(r["power_state"], "poweredOn");
    let got = r["memory_usage_mb"].as_i64();
    assert!(got == before || got == after, "{r} vs {before:?}/{after:?}");
    let committed = prop_int(&e.sim, &m, "summary.storage.committed").unwrap() as f64;
    let gb = (committed / (1u64 << 30) as f64 * 100.0).round() / 100.0;
    assert_eq!(r["storage_committed_gb"].as_f64(), Some(gb), "{r}");
    e.ok("power_off", json!({"name": name})).await;
    let r = e.json("get_vm_stats", json!({"name": name})).await;
    assert_eq!(r["power_state"], "poweredOff");
    assert_eq!(r["cpu_usage_mhz"].as_i64().unwrap_or(0), 0);
    says(
        &e.fails("get_vm_stats", json!({"name": "ghost"})).await,
        &["VM 'ghost' not found"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_recent_tasks_shows_the_task_just_run_first() {
    let e = env().await;
    e.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    let r = e.json("get_recent_tasks", json!({"count": 1})).await;
    let list = r.as_array().unwrap();
    assert_eq!(list.len(), 1);
    has_result_keys("get_recent_tasks", &list[0]);
    assert_eq!(list[0]["name"], "PowerOffVM_Task");
    assert_eq!(list[0]["entity"], "DC0_H0_VM1");
    assert_eq!(list[0]["state"], "success");
    says(
        &e.fails("get_recent_tasks", json!({"count": -3})).await,
        &["count", "positive"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_recent_events_reads_a_collector_and_destroys_it() {
    let e = env().await;
    e.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    let r = e.json("get_recent_events", json!({"count": 3})).await;
    let list = r.as_array().unwrap();
    assert!(!list.is_empty() && list.len() <= 3, "{r}");
    for ev in list {
        has_result_keys("get_recent_events", ev);
    }
    let newest = &list[0];
    assert_eq!(newest["type"], "VmPoweredOffEvent", "{r}");
    assert_eq!(newest["vm"], "DC0_H0_VM1");
    let (_, last) = e.sim.events().last().cloned().unwrap();
    assert_eq!(newest["message"], last.as_str());
    // Newest first.
    let times: Vec<&str> = list
        .iter()
        .map(|e| e["created_time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);
    assert!(
        e.sim.objects("EventHistoryCollector").is_empty(),
        "the collector is destroyed"
    );
    says(
        &e.fails("get_recent_events", json!({"hours": 0})).await,
        &["hours", "positive"],
    );
    says(
        &e.fails("get_recent_events", json!({"count": 5000})).await,
        &["count", "at most 1000"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_alarms_lists_what_is_triggered_on_entities() {
    let e = env().await;
    let r = e.json("get_alarms", json!({})).await;
    let before = r.as_array().unwrap().len();
    let h = host(&e.sim, "DC0_C0_H0");
    let state = Data::new("AlarmState")
        .with("key", "alarm-7.host-test")
        .with("entity", &h)
        .with("alarm", MoRef::new("Alarm", "alarm-7"))
        .with("overallStatus", "red")
        .with("time", "2026-01-01T00:00:00Z")
        .with("acknowledged", false);
    e.sim
        .set_property(
            &h,
            "triggeredAlarmState",
            Value::array(vec![Value::data(state)]),
        )
        .unwrap();
    let r = e.json("get_alarms", json!({})).await;
    let list = r.as_array().unwrap();
    assert_eq!(list.len(), before + 1, "{r}");
    let a = list
        .iter()
        .find(|a| a["key"] == "alarm-7.host-test")
        .unwrap();
    assert_eq!(a["entity"], "DC0_C0_H0");
    assert_eq!(a["entity_type"], "HostSystem");
    assert_eq!(a["status"], "red");
    assert_eq!(a["acknowledged"], false);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_host_that_stops_responding_shows_vcenters_connection_alarm() {
    let e = env().await;
    assert_eq!(e.json("get_alarms", json!({})).await, json!([]));
    e.ok(
        "shutdown_host",
        json!({"host_name": "DC0_C0_H2", "force": true}),
    )
    .await;
    let h = host(&e.sim, "DC0_C0_H2");
    let triggered = e.sim.triggered_alarms(&h);
    assert!(!triggered.is_empty(), "the simulator raised an alarm");
    let r = e.json("get_alarms", json!({})).await;
    let list = r.as_array().unwrap();
    // Rolled up to the host's ancestors, listed once.
    assert_eq!(list.len(), triggered.len(), "{r}");
    let a = &list[0];
    assert_eq!(a["alarm"], triggered[0].0.as_str());
    assert_eq!(a["status"], triggered[0].1.as_str());
    assert_eq!(a["entity"], "DC0_C0_H2");
    assert_eq!(a["entity_type"], "HostSystem");
    e.sim.shutdown().await;
}
