//! Calls issue 14's fuzzing found panicking the simulator (debug builds:
//! reads of a property the receiver's type does not have). Each now answers
//! as vCenter would; none drops the connection or leaves a task running.

use vcsim::faults::FaultRule;
use vim25::{Data, Request, Value};

use crate::{fault_type, logged_in, mo};
use testkit::{says, task_fault, wait_task};

#[tokio::test]
async fn issue_14_perf_summary_of_a_non_entity_is_a_clear_fault() {
    let (_sim, c) = logged_in().await;
    let r = c
        .check(
            Request::new(
                "QueryPerfProviderSummary",
                &mo("PerformanceManager", "PerfMgr"),
            )
            .arg("entity", mo("ServiceInstance", "ServiceInstance")),
        )
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    says(
        &r.expect_err("a fault").message,
        &["ServiceInstance", "no performance statistics"],
    );
}

#[tokio::test]
async fn issue_14_find_by_ip_among_hosts_finds_none() {
    let (_sim, c) = logged_in().await;
    let si = mo("SearchIndex", "SearchIndex");
    let r = c
        .ok(Request::new("FindAllByIp", &si)
            .arg("ip", "10.0.0.1")
            .arg("vmSearch", false))
        .await;
    assert!(r.as_ref().is_none_or(|v| v.as_array().is_empty()), "{r:?}");
}

#[tokio::test]
async fn issue_14_renaming_a_datacenter_folder_completes() {
    let (sim, c) = logged_in().await;
    let dc = sim.find("Datacenter", "DC0").expect("DC0");
    let vm_folder = crate::vm_folder(&sim);
    let info = wait_task(
        &sim,
        &c.ok(Request::new("Rename_Task", &vm_folder).arg("newName", "vms"))
            .await,
    )
    .await;
    assert_eq!(task_fault(&info), "");
    assert_eq!(sim.property(&vm_folder, "name"), Some(Value::from("vms")));
    assert_eq!(
        sim.property(&dc, "vmFolder")
            .and_then(|v| v.as_moref().cloned()),
        Some(vm_folder)
    );
}

#[tokio::test]
async fn issue_14_task_collector_over_a_file_manager_task_reads() {
    let (sim, c) = logged_in().await;
    // No datacenter: the task's entity is the FileManager, which has no parent.
    let fm = mo("FileManager", "FileManager");
    let info = wait_task(
        &sim,
        &c.ok(Request::new("DeleteDatastoreFile_Task", &fm).arg("name", "[LocalDS_0] no-such"))
            .await,
    )
    .await;
    assert_eq!(task_fault(&info), "FileNotFound");
    let root = sim.find("Folder", "Datacenters").expect("root folder");
    let filter = Data::new("TaskFilterSpec").with(
        "entity",
        Data::new("TaskFilterSpecByEntity")
            .with("entity", &root)
            .with("recursion", "all"),
    );
    let tm = mo("TaskManager", "TaskManager");
    let collector = c
        .ok(Request::new("CreateCollectorForTasks", &tm).arg("filter", filter))
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("a collector");
    c.ok(Request::new("ReadNextTasks", &collector).arg("maxCount", 10))
        .await;
}

#[tokio::test]
async fn issue_14_a_name_rule_on_an_unnamed_receiver_does_not_match() {
    let (sim, c) = logged_in().await;
    let id = sim
        .add_fault(FaultRule::new("CurrentTime", "SystemError").on_name("DC0_H0_VM0"))
        .expect("a rule");
    c.ok(Request::new(
        "CurrentTime",
        &mo("ServiceInstance", "ServiceInstance"),
    ))
    .await;
    assert_eq!(sim.fault_hits(id), Some(0));
    assert_eq!(sim.faults()[0].matched, 0);
}

#[tokio::test]
async fn issue_14_an_event_collector_outlives_its_entity() {
    let (sim, c) = logged_in().await;
    let v = crate::faults::powered_off(&sim, &c, "DC0_H0_VM1").await;
    let filter = Data::new("EventFilterSpec").with(
        "entity",
        Data::new("EventFilterSpecByEntity")
            .with("entity", &v)
            .with("recursion", "self"),
    );
    let collector = c
        .ok(Request::new(
            "CreateCollectorForEvents",
            &mo("EventManager", "EventManager"),
        )
        .arg("filter", filter))
        .await
        .and_then(|x| x.as_moref().cloned())
        .expect("a collector");
    let info = wait_task(&sim, &c.ok(Request::new("Destroy_Task", &v)).await).await;
    assert_eq!(task_fault(&info), "");
    // Later changes still commit and refresh the collector.
    let other = testkit::vm(&sim, "DC0_H0_VM0");
    let info = wait_task(
        &sim,
        &c.ok(Request::new("Rename_Task", &other).arg("newName", "renamed"))
            .await,
    )
    .await;
    assert_eq!(task_fault(&info), "");
    let events = c
        .ok(Request::new("ReadNextEvents", &collector).arg("maxCount", 100))
        .await
        .map(|x| x.as_array().to_vec())
        .unwrap_or_default();
    let kinds: Vec<String> = events
        .iter()
        .filter_map(|e| e.as_data().map(|d| d.type_name.to_string()))
        .collect();
    assert!(kinds.iter().any(|k| k == "VmRemovedEvent"), "{kinds:?}");
}
