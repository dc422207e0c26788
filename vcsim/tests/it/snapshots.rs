//! Snapshots over SOAP: the tree the VM shows (`snapshot`, `rootSnapshot`),
//! the `VirtualMachineSnapshot` objects, reverts restoring power state and
//! devices, removal re-parenting children, and the faults.

use vcsim::Simulator;
use vim25::{Data, MoRef, Request, Value};

use crate::{Client, fault_type, logged_in};
use testkit::{has_event, prop, prop_int, prop_str, task_fault, vm, wait_task};

/// Takes a snapshot and returns it (the task's result).
async fn take(sim: &Simulator, c: &Client, v: &MoRef, name: &str, memory: bool) -> MoRef {
    let info = take_info(sim, c, v, name, memory, false).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
    info.get("result")
        .and_then(Value::as_moref)
        .cloned()
        .expect("the task's result is the snapshot")
}

async fn take_info(
    sim: &Simulator,
    c: &Client,
    v: &MoRef,
    name: &str,
    memory: bool,
    quiesce: bool,
) -> Data {
    let req = Request::new("CreateSnapshot_Task", v)
        .arg("name", name)
        .arg("description", format!("{name} description"))
        .arg("memory", memory)
        .arg("quiesce", quiesce);
    wait_task(sim, &c.ok(req).await).await
}

/// The VM's tree flattened: (snapshot, name, parent name, id, state).
fn flat(sim: &Simulator, v: &MoRef) -> Vec<(MoRef, String, String, i64, String)> {
    fn walk(nodes: &[Value], parent: &str, out: &mut Vec<(MoRef, String, String, i64, String)>) {
        for n in nodes {
            let d = n.as_data().expect("a tree node");
            let s = |f: &str| d.get(f).and_then(Value::as_str).unwrap_or("").to_string();
            let name = s("name");
            out.push((
                d.get("snapshot")
                    .and_then(Value::as_moref)
                    .cloned()
                    .expect("moref"),
                name.clone(),
                parent.to_string(),
                d.get("id").and_then(Value::as_i64).unwrap_or(-1),
                s("state"),
            ));
            let kids = d
                .get("childSnapshotList")
                .map(Value::as_array)
                .unwrap_or(&[]);
            walk(kids, &name, out);
        }
    }
    let mut out = vec![];
    if let Some(l) = sim.property(v, "snapshot.rootSnapshotList") {
        walk(l.as_array(), "", &mut out);
    }
    out
}

fn names(sim: &Simulator, v: &MoRef) -> Vec<(String, String)> {
    flat(sim, v)
        .into_iter()
        .map(|(_, n, p, _, _)| (n, p))
        .collect()
}

fn current(sim: &Simulator, v: &MoRef) -> Option<MoRef> {
    prop(sim, v, "snapshot.currentSnapshot").and_then(|x| x.as_moref().cloned())
}

fn refs(sim: &Simulator, o: &MoRef, path: &str) -> Vec<MoRef> {
    prop(sim, o, path)
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(|m| m.as_moref().cloned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn create_builds_the_tree_and_snapshot_objects() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    assert!(sim.property(&v, "snapshot").is_none());
    let s1 = take(&sim, &c, &v, "one", true).await;
    let s2 = take(&sim, &c, &v, "two", false).await;
    // Names need not be unique.
    let s3 = take(&sim, &c, &v, "two", true).await;
    assert_eq!(
        names(&sim, &v),
        [("one", ""), ("two", "one"), ("two", "two")].map(|(a, b)| (a.into(), b.into()))
    );
    let f = flat(&sim, &v);
    assert_eq!(f.iter().map(|x| x.3).collect::<Vec<_>>(), [1, 2, 3]);
    // Memory is kept only when asked: a disk-only snapshot reverts to off.
    assert_eq!(
        f.iter().map(|x| x.4.as_str()).collect::<Vec<_>>(),
        ["poweredOn", "poweredOff", "poweredOn"]
    );
    assert_eq!(current(&sim, &v), Some(s3.clone()));
    assert_eq!(refs(&sim, &v, "rootSnapshot"), std::slice::from_ref(&s1));
    assert_eq!(refs(&sim, &s1, "childSnapshot"), std::slice::from_ref(&s2));
    assert_eq!(refs(&sim, &s2, "childSnapshot"), std::slice::from_ref(&s3));
    assert_eq!(
        prop(&sim, &s3, "vm").and_then(|x| x.as_moref().cloned()),
        Some(v.clone())
    );
    assert_eq!(prop_str(&sim, &s1, "config.name"), "DC0_H0_VM0");
    let tree1 = sim.property(&v, "snapshot.rootSnapshotList").expect("tree");
    let root = tree1.as_array()[0].as_data().expect("node");
    assert_eq!(
        root.get("description").and_then(Value::as_str),
        Some("one description")
    );
    assert_eq!(root.get("quiesced").and_then(Value::as_bool), Some(false));
    assert!(root.get("createTime").is_some());
    assert!(has_event(&sim, "TaskEvent"));
    let t = sim
        .events()
        .into_iter()
        .filter(|(k, _)| k == "TaskEvent")
        .map(|(_, m)| m)
        .collect::<Vec<_>>();
    assert!(
        t.iter()
            .all(|m| m == "Task: Create virtual machine snapshot"),
        "{t:?}"
    );
}

#[tokio::test]
async fn task_entity_is_the_vm_and_powered_off_memory_is_disk_only() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM1");
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    let info = take_info(&sim, &c, &v, "cold", true, true).await;
    assert_eq!(info.get("entity").and_then(Value::as_moref), Some(&v));
    assert_eq!(
        info.get("name").and_then(Value::as_str),
        Some("CreateSnapshot_Task")
    );
    let f = flat(&sim, &v);
    assert_eq!(f[0].4, "poweredOff");
    let node = sim.property(&v, "snapshot.rootSnapshotList").expect("tree");
    // Nothing to quiesce on a powered-off VM.
    assert_eq!(
        node.as_array()[0]
            .as_data()
            .and_then(|d| d.get("quiesced"))
            .and_then(Value::as_bool),
        Some(false)
    );
    let s = f[0].0.clone();
    let r = wait_task(&sim, &c.ok(Request::new("RevertToSnapshot_Task", &s)).await).await;
    assert_eq!(r.get("entity").and_then(Value::as_moref), Some(&v));
}

/// Quiescing needs VMware Tools in a running guest; without it the flag is
/// ignored (the snapshot is taken, not quiesced), as the API reference says.
#[tokio::test]
async fn quiesce_needs_tools_running_else_it_is_ignored() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let quiesced = |i: usize| {
        let tree = sim.property(&v, "snapshot.rootSnapshotList").expect("tree");
        let mut nodes = vec![tree.as_array()[0].clone()];
        while let Some(k) = nodes.last().and_then(|n| {
            n.as_data()?
                .get("childSnapshotList")
                .map(|l| l.as_array()[0].clone())
        }) {
            nodes.push(k);
        }
        nodes[i]
            .as_data()
            .and_then(|d| d.get("quiesced"))
            .and_then(Value::as_bool)
    };
    let ok = take_info(&sim, &c, &v, "q", false, true).await;
    assert_eq!(task_fault(&ok), "");
    assert_eq!(quiesced(0), Some(true));
    sim.set_property(
        &v,
        "guest.toolsRunningStatus",
        Value::from("guestToolsNotRunning"),
    )
    .expect("set tools state");
    let info = take_info(&sim, &c, &v, "q2", false, true).await;
    assert_eq!(task_fault(&info), "");
    assert_eq!(quiesced(1), Some(false));
}

#[tokio::test]
async fn revert_restores_power_state_and_devices() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let on = take(&sim, &c, &v, "on", true).await;
    let cpus = prop_int(&sim, &v, "config.hardware.numCPU");
    let devs = sim.property(&v, "config.hardware.device").expect("devices");
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    let reconfig = Request::new("ReconfigVM_Task", &v).arg(
        "spec",
        Data::new("VirtualMachineConfigSpec").with("numCPUs", 7),
    );
    wait_task(&sim, &c.ok(reconfig).await).await;
    let off = take(&sim, &c, &v, "off", true).await;
    assert_eq!(prop_int(&sim, &v, "config.hardware.numCPU"), Some(7));
    let info = wait_task(
        &sim,
        &c.ok(Request::new("RevertToSnapshot_Task", &on)).await,
    )
    .await;
    assert_eq!(task_fault(&info), "", "{info:?}");
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
    assert_eq!(prop_int(&sim, &v, "config.hardware.numCPU"), cpus);
    // The devices are the snapshot's; each disk writes to a fresh delta on
    // top of the file the snapshot holds (as vSphere does), so disks are
    // compared by the file their delta sits on.
    assert_eq!(
        sim.property(&v, "config.hardware.device")
            .as_ref()
            .map(on_parent_files),
        Some(on_parent_files(&devs))
    );
    assert_eq!(current(&sim, &v), Some(on.clone()));
    assert!(has_event(&sim, "EventEx"));
    // Back to the current one (`on`) after another change, then to `off`.
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    let info = wait_task(
        &sim,
        &c.ok(Request::new("RevertToCurrentSnapshot_Task", &v)).await,
    )
    .await;
    assert_eq!(task_fault(&info), "");
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
    wait_task(
        &sim,
        &c.ok(Request::new("RevertToSnapshot_Task", &off)).await,
    )
    .await;
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOff");
    assert_eq!(prop_int(&sim, &v, "config.hardware.numCPU"), Some(7));
    // suppressPowerOn keeps a VM off when reverting to a running snapshot.
    let req = Request::new("RevertToSnapshot_Task", &on).arg("suppressPowerOn", true);
    wait_task(&sim, &c.ok(req).await).await;
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOff");
    assert_eq!(current(&sim, &v), Some(on));
}

#[tokio::test]
async fn revert_to_current_without_snapshots_is_not_found() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let r = c
        .check(Request::new("RevertToCurrentSnapshot_Task", &v))
        .await;
    assert_eq!(fault_type(&r), "NotFound");
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
}

#[tokio::test]
async fn remove_reparents_children_and_moves_current_to_the_parent() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let a = take(&sim, &c, &v, "a", false).await;
    let b = take(&sim, &c, &v, "b", false).await;
    let cc = take(&sim, &c, &v, "c", false).await;
    let remove = |s: &MoRef, children: bool| {
        Request::new("RemoveSnapshot_Task", s).arg("removeChildren", children)
    };
    // b goes, c moves up under a.
    let info = wait_task(&sim, &c.ok(remove(&b, false)).await).await;
    assert_eq!(info.get("entity").and_then(Value::as_moref), Some(&v));
    assert_eq!(
        names(&sim, &v),
        [("a", ""), ("c", "a")].map(|(x, y)| (x.into(), y.into()))
    );
    assert_eq!(refs(&sim, &a, "childSnapshot"), std::slice::from_ref(&cc));
    let r = c
        .check(Request::new("RenameSnapshot", &b).arg("name", "x"))
        .await;
    assert_eq!(fault_type(&r), "ManagedObjectNotFound");
    // The current one (c) goes: its parent becomes current.
    wait_task(&sim, &c.ok(remove(&cc, false)).await).await;
    assert_eq!(current(&sim, &v), Some(a.clone()));
    let d = take(&sim, &c, &v, "d", false).await;
    // Ids count up from the highest one the tree holds (a is 1).
    assert_eq!(flat(&sim, &v).last().map(|x| x.3), Some(2));
    // a with its children: nothing left, snapshot unset.
    wait_task(&sim, &c.ok(remove(&a, true)).await).await;
    assert!(sim.property(&v, "snapshot").is_none());
    assert!(
        sim.property(&v, "rootSnapshot")
            .is_none_or(|r| r.as_array().is_empty())
    );
    assert!(
        sim.property(&d, "vm").is_none(),
        "the child object is gone too"
    );
    // removeChildren is required.
    let e = take(&sim, &c, &v, "e", false).await;
    let r = c.check(Request::new("RemoveSnapshot_Task", &e)).await;
    assert_eq!(fault_type(&r), "InvalidArgument");
}

#[tokio::test]
async fn remove_all_and_destroy_drop_every_snapshot_object() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let a = take(&sim, &c, &v, "a", false).await;
    let b = take(&sim, &c, &v, "b", false).await;
    let info = wait_task(
        &sim,
        &c.ok(Request::new("RemoveAllSnapshots_Task", &v)).await,
    )
    .await;
    assert_eq!(task_fault(&info), "");
    assert!(sim.property(&v, "snapshot").is_none());
    for s in [&a, &b] {
        let r = c.check(Request::new("RevertToSnapshot_Task", s)).await;
        assert_eq!(fault_type(&r), "ManagedObjectNotFound");
    }
    // No snapshots: still a success.
    let info = wait_task(
        &sim,
        &c.ok(Request::new("RemoveAllSnapshots_Task", &v)).await,
    )
    .await;
    assert_eq!(task_fault(&info), "");
    let s = take(&sim, &c, &v, "kept", false).await;
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    wait_task(&sim, &c.ok(Request::new("Destroy_Task", &v)).await).await;
    assert!(sim.property(&s, "vm").is_none());
    assert!(sim.objects("VirtualMachineSnapshot").is_empty());
}

#[tokio::test]
async fn rename_changes_name_and_description() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let s = take(&sim, &c, &v, "old", false).await;
    c.ok(Request::new("RenameSnapshot", &s).arg("name", "new"))
        .await;
    c.ok(Request::new("RenameSnapshot", &s).arg("description", "why"))
        .await;
    let tree = sim.property(&v, "snapshot.rootSnapshotList").expect("tree");
    let d = tree.as_array()[0].as_data().expect("node").clone();
    assert_eq!(d.get("name").and_then(Value::as_str), Some("new"));
    assert_eq!(d.get("description").and_then(Value::as_str), Some("why"));
    let r = c
        .check(Request::new("RenameSnapshot", &s).arg("name", ""))
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
}

/// The pyvmomi script takes, reverts, renames and removes snapshots through
/// pyvmomi's own objects; the simulator's state shows where it left the VM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyvmomi_takes_reverts_and_removes_snapshots() {
    let sim = vcsim::start(vcsim::Config {
        tls: true,
        ..vcsim::Config::default()
    })
    .await
    .expect("simulator starts");
    crate::pyvmomi::run_script(&sim, "pyvmomi_snapshots.py", "DC0_H0_VM0").await;
    let v = vm(&sim, "DC0_H0_VM0");
    // The script ended on the disk-only snapshot with more CPUs, then removed all.
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOff");
    assert!(sim.property(&v, "snapshot").is_none());
    assert!(sim.objects("VirtualMachineSnapshot").is_empty());
    let evs = sim.events();
    let reverts = evs
        .iter()
        .filter(|(t, m)| t == "EventEx" && m.contains("reverted to the state of snapshot"))
        .count();
    assert_eq!(reverts, 3, "{evs:?}");
    assert!(evs.iter().any(|(_, m)| m == "Task: Remove all snapshots"));
    sim.shutdown().await;
}

/// `host` on a revert that powers the VM on is where it runs afterwards.
#[tokio::test]
async fn revert_powering_on_runs_on_the_given_host() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_C0_RP0_VM0");
    let s = take(&sim, &c, &v, "on", true).await;
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    let from = prop(&sim, &v, "runtime.host").and_then(|h| h.as_moref().cloned());
    let to = ["DC0_C0_H0", "DC0_C0_H1"]
        .into_iter()
        .filter_map(|n| sim.find("HostSystem", n))
        .find(|h| Some(h) != from.as_ref())
        .expect("another host of the cluster");
    let req = Request::new("RevertToSnapshot_Task", &s).arg("host", &to);
    wait_task(&sim, &c.ok(req).await).await;
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
    assert_eq!(
        prop(&sim, &v, "runtime.host").and_then(|h| h.as_moref().cloned()),
        Some(to.clone())
    );
    assert!(refs(&sim, &to, "vm").contains(&v));
    // An unknown host is refused before anything happens.
    let r = c
        .check(
            Request::new("RevertToSnapshot_Task", &s)
                .arg("host", crate::mo("HostSystem", "host-0")),
        )
        .await;
    assert_eq!(fault_type(&r), "ManagedObjectNotFound");
}

/// A device list with each disk's backing replaced by its parent: the file a
/// snapshot delta sits on, whatever the delta is called.
fn on_parent_files(devs: &Value) -> Value {
    let list: Vec<Value> = devs
        .as_array()
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if let Some(dd) = d.data_mut()
                && dd.type_name == "VirtualDisk"
            {
                let parent = dd.path("backing.parent").cloned();
                dd.set(
                    "backing",
                    parent.expect("a disk after a snapshot has a parent"),
                );
            }
            d
        })
        .collect();
    Value::array(list)
}
