//! Issue 12: AlarmManager's default alarms, and alarms that trigger when a
//! datastore fills or a host stops responding.

use vim25::spec::{NewDisk, Provisioning, config_spec, disk_add};
use vim25::{MoRef, Request, Value};

use crate::hosts::host;
use crate::{fault_type, logged_in, mo};
use testkit::{has_event, last_event, prop, prop_str, says, task_fault, vm, wait_task};

fn am() -> MoRef {
    mo("AlarmManager", "AlarmManager")
}

fn states(sim: &vcsim::Simulator, e: &MoRef, prop_name: &str) -> Vec<(String, String, String)> {
    prop(sim, e, prop_name)
        .map(|v| {
            v.as_array()
                .iter()
                .map(|s| {
                    let t = |p: &str| {
                        s.path(p)
                            .map(|v| {
                                v.as_moref()
                                    .map(|m| m.value.to_string())
                                    .or(v.as_str().map(str::to_string))
                                    .unwrap_or_default()
                            })
                            .unwrap_or_default()
                    };
                    (t("alarm"), t("entity"), t("overallStatus"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn alarm_named(sim: &vcsim::Simulator, name: &str) -> MoRef {
    sim.objects("Alarm")
        .into_iter()
        .find(|a| prop_str(sim, a, "info.name") == name)
        .unwrap_or_else(|| panic!("an alarm named {name}"))
}

#[tokio::test]
async fn issue_12_default_alarms_are_defined_on_the_root_folder() {
    let (sim, c) = logged_in().await;
    let root = mo("Folder", "group-d1");
    let got = c
        .ok(Request::new("GetAlarm", &am()).arg("entity", &root))
        .await;
    let names: Vec<String> = got
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(|a| a.as_moref().map(|m| prop_str(&sim, m, "info.name")))
                .collect()
        })
        .unwrap_or_default();
    for n in [
        "Host connection state",
        "Host CPU usage",
        "Host memory usage",
        "Datastore usage on disk",
        "Virtual machine CPU usage",
        "Virtual machine memory usage",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
    let ds_alarm = alarm_named(&sim, "Datastore usage on disk");
    let expr = prop(&sim, &ds_alarm, "info.expression").expect("expression");
    assert_eq!(
        expr.as_data().map(|d| d.type_name.to_string()),
        Some("MetricAlarmExpression".into())
    );
    assert_eq!(expr.path("red").and_then(Value::as_i64), Some(8500));
    assert_eq!(
        prop(&sim, &ds_alarm, "info.enabled").and_then(|v| v.as_bool()),
        Some(true)
    );
    assert_eq!(
        prop(&sim, &ds_alarm, "info.entity").and_then(|v| v.as_moref().cloned()),
        Some(root)
    );
    // Nothing defined on a VM itself; but the VM defaults apply to it, green.
    let v = vm(&sim, "DC0_H0_VM0");
    let none = c
        .ok(Request::new("GetAlarm", &am()).arg("entity", &v))
        .await;
    assert_eq!(none.map(|v| v.as_array().len()), Some(0));
    let by_call = c
        .ok(Request::new("GetAlarmState", &am()).arg("entity", &v))
        .await;
    assert_eq!(by_call.map(|v| v.as_array().len()), Some(2));
    // Hosts and datastores carry declaredAlarmState from the start, VMs from their first change.
    let h = host(&sim, "DC0_H0");
    assert_eq!(states(&sim, &h, "declaredAlarmState").len(), 3);
    let ds = sim.find("Datastore", "LocalDS_0").expect("datastore");
    assert_eq!(states(&sim, &ds, "declaredAlarmState").len(), 1);
    let t = c.ok(Request::new("PowerOffVM_Task", &v)).await;
    wait_task(&sim, &t).await;
    let declared = states(&sim, &v, "declaredAlarmState");
    assert_eq!(declared.len(), 2, "{declared:?}");
    assert!(declared.iter().all(|(_, _, s)| s == "green"));
    assert!(states(&sim, &v, "triggeredAlarmState").is_empty());
    let r = c
        .check(Request::new("GetAlarm", &am()).arg("entity", mo("HostSystem", "host-nope")))
        .await;
    assert_eq!(fault_type(&r), "ManagedObjectNotFound");
}

/// A host that stops responding turns "Host connection state" red on the
/// host and in its ancestors' triggeredAlarmState; back to green when it
/// reconnects.
#[tokio::test]
async fn issue_12_host_not_responding_triggers_the_connection_alarm() {
    let (sim, c) = crate::start(vcsim::Config {
        host_reboot_delay: std::time::Duration::from_millis(200),
        ..vcsim::Config::default()
    })
    .await;
    c.login().await;
    let h = host(&sim, "DC0_C0_H1");
    let alarm = alarm_named(&sim, "Host connection state");
    let t = c
        .ok(Request::new("RebootHost_Task", &h).arg("force", true))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    let red = (
        alarm.value.to_string(),
        h.value.to_string(),
        "red".to_string(),
    );
    assert!(states(&sim, &h, "triggeredAlarmState").contains(&red));
    assert!(states(&sim, &h, "declaredAlarmState").contains(&red));
    assert_eq!(prop_str(&sim, &h, "overallStatus"), "red");
    assert_eq!(
        sim.triggered_alarms(&h),
        [("Host connection state".to_string(), "red".to_string())]
    );
    let cluster = sim
        .find("ClusterComputeResource", "DC0_C0")
        .expect("cluster");
    let dc = sim.find("Datacenter", "DC0").expect("dc");
    for a in [&cluster, &dc, &mo("Folder", "group-d1")] {
        assert!(
            states(&sim, a, "triggeredAlarmState").contains(&red),
            "{a} rolls up"
        );
    }
    assert!(has_event(&sim, "AlarmStatusChangedEvent"));
    let msg = last_event(&sim, "AlarmStatusChangedEvent").expect("event");
    says(
        &msg,
        &["Host connection state", "DC0_C0_H1", "Green", "Red"],
    );
    testkit::eventually("the host reconnecting", || {
        prop_str(&sim, &h, "runtime.connectionState") == "connected"
    })
    .await;
    assert!(states(&sim, &h, "triggeredAlarmState").is_empty());
    assert!(states(&sim, &dc, "triggeredAlarmState").is_empty());
    assert_eq!(prop_str(&sim, &h, "overallStatus"), "green");
}

/// Filling a datastore past 85 % turns "Datastore usage on disk" red.
#[tokio::test]
async fn issue_12_a_full_datastore_triggers_the_usage_alarm() {
    let (sim, c) = logged_in().await;
    let ds = sim.find("Datastore", "LocalDS_0").expect("datastore");
    let alarm = alarm_named(&sim, "Datastore usage on disk");
    assert!(states(&sim, &ds, "triggeredAlarmState").is_empty());
    let cap = testkit::prop_int(&sim, &ds, "summary.capacity").expect("capacity");
    let free = testkit::prop_int(&sim, &ds, "summary.freeSpace").expect("free");
    // A thick disk that leaves under 10 % free.
    let kb = (free - cap / 20) / 1024;
    let change = disk_add(&NewDisk {
        key: -1,
        controller_key: 1000,
        unit: 1,
        capacity_kb: kb,
        provisioning: Provisioning::Thick,
        disk_mode: "persistent".into(),
        file_name: None,
        datastore: None,
    })
    .expect("a valid disk spec");
    let v = vm(&sim, "DC0_H0_VM0");
    let t = c
        .ok(Request::new("ReconfigVM_Task", &v).arg("spec", config_spec(vec![change])))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    let red = (
        alarm.value.to_string(),
        ds.value.to_string(),
        "red".to_string(),
    );
    assert!(
        states(&sim, &ds, "triggeredAlarmState").contains(&red),
        "{:?}",
        states(&sim, &ds, "triggeredAlarmState")
    );
    assert_eq!(prop_str(&sim, &ds, "overallStatus"), "red");
    let dc = sim.find("Datacenter", "DC0").expect("dc");
    assert!(states(&sim, &dc, "triggeredAlarmState").contains(&red));
    let msg = last_event(&sim, "AlarmStatusChangedEvent").expect("event");
    says(&msg, &["Datastore usage on disk", "LocalDS_0", "Red"]);
}

/// Test set-up through the simulator's own API triggers alarms too, as any
/// committed change does: a host set `notResponding` turns red at once.
#[tokio::test]
async fn issue_12_set_property_on_a_host_triggers_and_clears_its_alarm() {
    let (sim, _c) = logged_in().await;
    let h = host(&sim, "DC0_H0");
    sim.set_property(&h, "runtime.connectionState", Value::from("notResponding"))
        .expect("a schema path");
    assert_eq!(
        sim.triggered_alarms(&h),
        [("Host connection state".to_string(), "red".to_string())]
    );
    assert_eq!(
        prop_str(&sim, &h, "summary.runtime.connectionState"),
        "notResponding"
    );
    sim.set_property(&h, "runtime.connectionState", Value::from("connected"))
        .expect("a schema path");
    assert!(sim.triggered_alarms(&h).is_empty());
    assert!(states(&sim, &mo("Folder", "group-d1"), "triggeredAlarmState").is_empty());
}
