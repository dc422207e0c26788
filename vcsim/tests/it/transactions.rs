//! Issue 7: state changes commit only on success. A task whose operation
//! fails leaves the inventory exactly as it was: same objects, same names,
//! same devices, no events from the failed work. Checked through the
//! simulator's own snapshot of the model and a raw PropertyCollector read.

use vcsim::Simulator;
use vim25::{Data, MoRef, Request, Value};

use crate::{Client, add_nic, cluster_pool, logged_in, obj_spec, pc, vm_folder};
use testkit::{has_event, task_fault, vm, wait_task};

/// Everything but the Task objects and the task list a failed task is
/// allowed to add to.
fn model(sim: &Simulator) -> Vec<(MoRef, Data)> {
    sim.snapshot()
        .into_iter()
        .filter(|(m, _)| m.kind != "Task" && m.kind != "TaskManager")
        .collect()
}

fn names(sim: &Simulator, kind: &str) -> Vec<String> {
    sim.objects(kind)
        .iter()
        .map(|m| {
            sim.property(m, "name")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect()
}

/// A VM's device list as a client reads it, through RetrieveProperties.
async fn devices_on_the_wire(c: &Client, vm: &MoRef) -> Vec<Value> {
    let r = c
        .ok(Request::new("RetrieveProperties", &pc()).arg(
            "specSet",
            vec![obj_spec(vm, "VirtualMachine", &["config.hardware.device"])],
        ))
        .await
        .expect("an ObjectContent");
    r.as_array()
        .first()
        .and_then(|oc| oc.path("propSet"))
        .and_then(|ps| ps.as_array().first().cloned())
        .and_then(|p| p.path("val").cloned())
        .map(|v| v.as_array().to_vec())
        .expect("the device list")
}

struct Before {
    model: Vec<(MoRef, Data)>,
    count: usize,
    tasks: usize,
    vm_names: Vec<String>,
    events: Vec<(String, String)>,
}

fn before(sim: &Simulator) -> Before {
    Before {
        model: model(sim),
        count: sim.object_count(),
        tasks: sim.objects("Task").len(),
        vm_names: names(sim, "VirtualMachine"),
        events: sim.events(),
    }
}

/// The only trace of the failed task is the Task object itself.
fn assert_unchanged(sim: &Simulator, b: &Before) {
    assert_eq!(sim.objects("Task").len(), b.tasks + 1, "one new Task");
    assert_eq!(sim.object_count(), b.count + 1, "no object but the Task");
    assert_eq!(names(sim, "VirtualMachine"), b.vm_names);
    assert_eq!(sim.events(), b.events, "no events from the failed work");
    let after = model(sim);
    assert_eq!(after.len(), b.model.len());
    for ((m, before), (m2, now)) in b.model.iter().zip(&after) {
        assert_eq!(m, m2);
        assert_eq!(before, now, "{m} changed");
    }
}

fn remove_missing_device() -> Data {
    Data::new("VirtualDeviceConfigSpec")
        .with("operation", "remove")
        .with("device", Data::new("VirtualDisk").with("key", 99_999))
}

#[tokio::test]
async fn issue_7_failed_clone_leaves_inventory_unchanged() {
    let (sim, c) = logged_in().await;
    let src = vm(&sim, "DC0_H0_VM0");
    let net = sim.find("Network", "VM Network").expect("network");
    let b = before(&sim);
    let src_devices = devices_on_the_wire(&c, &src).await;
    // The clone is built first, then its config applied: the second device
    // change fails after the VM (and its first change) would exist.
    let spec = Data::new("VirtualMachineCloneSpec")
        .with("location", Data::new("VirtualMachineRelocateSpec"))
        .with("template", false)
        .with("powerOn", true)
        .with(
            "config",
            Data::new("VirtualMachineConfigSpec")
                .with("numCPUs", 2)
                .with("deviceChange", vec![add_nic(&net), remove_missing_device()]),
        );
    let t = c
        .ok(Request::new("CloneVM_Task", &src)
            .arg("folder", vm_folder(&sim))
            .arg("name", "half-built")
            .arg("spec", spec))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "InvalidArgument", "{info:?}");
    assert!(sim.find("VirtualMachine", "half-built").is_none());
    assert_unchanged(&sim, &b);
    assert_eq!(devices_on_the_wire(&c, &src).await, src_devices);
}

#[tokio::test]
async fn issue_7_failed_create_leaves_inventory_unchanged() {
    let (sim, c) = logged_in().await;
    let net = sim.find("Network", "VM Network").expect("network");
    let pool = cluster_pool(&sim);
    let b = before(&sim);
    for capacity in [0i64, -1] {
        let config = Data::new("VirtualMachineConfigSpec")
            .with("name", "never-made")
            .with(
                "files",
                Data::new("VirtualMachineFileInfo").with("vmPathName", "[LocalDS_0]"),
            )
            .with(
                "deviceChange",
                vec![
                    add_nic(&net),
                    Data::new("VirtualDeviceConfigSpec")
                        .with("operation", "add")
                        .with("fileOperation", "create")
                        .with(
                            "device",
                            Data::new("VirtualDisk")
                                .with("key", -1)
                                .with("capacityInKB", capacity),
                        ),
                ],
            );
        let t = c
            .ok(Request::new("CreateVM_Task", &vm_folder(&sim))
                .arg("config", config)
                .arg("pool", pool.clone()))
            .await;
        let info = wait_task(&sim, &t).await;
        assert_eq!(task_fault(&info), "InvalidArgument", "{info:?}");
    }
    assert!(sim.find("VirtualMachine", "never-made").is_none());
    assert_eq!(sim.objects("Task").len(), b.tasks + 2);
    assert_eq!(sim.object_count(), b.count + 2);
    assert_eq!(names(&sim, "VirtualMachine"), b.vm_names);
    assert_eq!(sim.events(), b.events);
    assert_eq!(model(&sim), b.model);
}

#[tokio::test]
async fn issue_7_failed_reconfigure_leaves_inventory_unchanged() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let net = sim.find("Network", "VM Network").expect("network");
    let b = before(&sim);
    let devices = devices_on_the_wire(&c, &v).await;
    // The first change (a NIC) applies; the second refers to no device.
    let spec = Data::new("VirtualMachineConfigSpec")
        .with("annotation", "must not stick")
        .with("deviceChange", vec![add_nic(&net), remove_missing_device()]);
    let t = c
        .ok(Request::new("ReconfigVM_Task", &v).arg("spec", spec))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "InvalidArgument", "{info:?}");
    assert_unchanged(&sim, &b);
    assert_eq!(devices_on_the_wire(&c, &v).await, devices);
    assert_eq!(
        sim.property(&v, "summary.config.numEthernetCards")
            .and_then(|x| x.as_i64()),
        Some(1)
    );
}

/// A successful change still commits, with derived properties refreshed.
#[tokio::test]
async fn issue_7_successful_reconfigure_commits_and_derives() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let net = sim.find("Network", "VM Network").expect("network");
    let spec = Data::new("VirtualMachineConfigSpec")
        .with("annotation", "sticks")
        .with("deviceChange", vec![add_nic(&net)]);
    let t = c
        .ok(Request::new("ReconfigVM_Task", &v).arg("spec", spec))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(
        info.get("state").and_then(Value::as_str),
        Some("success"),
        "{info:?}"
    );
    assert_eq!(
        sim.property(&v, "summary.config.numEthernetCards")
            .and_then(|x| x.as_i64()),
        Some(2)
    );
    assert_eq!(
        sim.property(&v, "summary.config.annotation")
            .and_then(|x| x.as_str().map(str::to_string))
            .as_deref(),
        Some("sticks")
    );
    assert!(has_event(&sim, "VmReconfiguredEvent"));
}
