//! snapshots tools against the simulator: each tool's effect read from the
//! VM's own snapshot tree and power state, each failure's message checked.

use serde_json::{Value as Json, json};
use vim25::{MoRef, Value};

use crate::{Env, env, says};

const VM: &str = "DC0_H0_VM0";

/// The simulator's tree of `vm`, flattened: (name, parent name, state, description).
fn tree(e: &Env, vm: &str) -> Vec<(String, String, String, String)> {
    fn walk(nodes: &[Value], parent: &str, out: &mut Vec<(String, String, String, String)>) {
        for n in nodes {
            let d = n.as_data().unwrap();
            let s = |f: &str| d.get(f).and_then(Value::as_str).unwrap_or("").to_string();
            out.push((s("name"), parent.to_string(), s("state"), s("description")));
            let kids = d
                .get("childSnapshotList")
                .map(Value::as_array)
                .unwrap_or(&[]);
            walk(kids, &s("name"), out);
        }
    }
    let mut out = vec![];
    if let Some(l) = e.vm_prop(vm, "snapshot.rootSnapshotList") {
        walk(l.as_array(), "", &mut out);
    }
    out
}

fn names(e: &Env, vm: &str) -> Vec<String> {
    tree(e, vm).into_iter().map(|t| t.0).collect()
}

/// The name of the simulator's current snapshot of `vm`.
fn current(e: &Env, vm: &str) -> Option<String> {
    let cur: MoRef = e
        .vm_prop(vm, "snapshot.currentSnapshot")?
        .as_moref()?
        .clone();
    fn find(nodes: &[Value], cur: &MoRef) -> Option<String> {
        nodes.iter().find_map(|n| {
            let d = n.as_data()?;
            if d.get("snapshot").and_then(Value::as_moref) == Some(cur) {
                return d.get("name").and_then(Value::as_str).map(str::to_string);
            }
            find(
                d.get("childSnapshotList")
                    .map(Value::as_array)
                    .unwrap_or(&[]),
                cur,
            )
        })
    }
    find(e.vm_prop(vm, "snapshot.rootSnapshotList")?.as_array(), &cur)
}

async fn take(e: &Env, name: &str, memory: bool) {
    e.ok(
        "create_snapshot",
        json!({"name": VM, "snapshot_name": name, "memory": memory}),
    )
    .await;
}

#[tokio::test]
async fn create_snapshot_builds_the_tree() {
    let e = env().await;
    let msg = e
        .ok(
            "create_snapshot",
            json!({"name": VM, "snapshot_name": "s1", "description": "first"}),
        )
        .await;
    says(&msg, &["Snapshot 's1'", VM, "with memory"]);
    take(&e, "s2", false).await;
    let t = tree(&e, VM);
    assert_eq!(
        t,
        [
            ("s1", "", "poweredOn", "first"),
            ("s2", "s1", "poweredOff", "")
        ]
        .map(|(a, b, c, d)| (a.into(), b.into(), c.into(), d.into()))
    );
    assert_eq!(current(&e, VM).as_deref(), Some("s2"));
    let msg = e
        .ok(
            "create_snapshot",
            json!({"name": VM, "snapshot_name": "q", "memory": false, "quiesce": true}),
        )
        .await;
    says(&msg, &["disks only", "guest quiesced"]);
    let q = e.vm_prop(VM, "snapshot.rootSnapshotList").and_then(|l| {
        let s1 = l.as_array()[0].as_data()?.clone();
        let s2 = s1.get("childSnapshotList")?.as_array()[0]
            .as_data()?
            .clone();
        let q = s2.get("childSnapshotList")?.as_array()[0]
            .as_data()?
            .clone();
        q.get("quiesced").and_then(Value::as_bool)
    });
    assert_eq!(q, Some(true));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn create_snapshot_failures_are_clear() {
    let e = env().await;
    says(
        &e.fails(
            "create_snapshot",
            json!({"name": "ghost", "snapshot_name": "s"}),
        )
        .await,
        &["VM 'ghost' not found"],
    );
    says(
        &e.fails("create_snapshot", json!({"name": VM, "snapshot_name": ""}))
            .await,
        &["snapshot_name", "empty"],
    );
    let v = testkit::vm(&e.sim, VM);
    e.sim
        .set_property(
            &v,
            "guest.toolsRunningStatus",
            Value::from("guestToolsNotRunning"),
        )
        .unwrap();
    says(
        &e.fails(
            "create_snapshot",
            json!({"name": VM, "snapshot_name": "q", "quiesce": true}),
        )
        .await,
        &["VMware Tools is not running", VM],
    );
    assert!(names(&e, VM).is_empty());
    e.sim.shutdown().await;
}

#[tokio::test]
async fn list_snapshots_flattens_with_parents_and_current() {
    let e = env().await;
    assert_eq!(
        e.json("list_snapshots", json!({"name": VM})).await,
        json!([])
    );
    take(&e, "a", true).await;
    take(&e, "b", false).await;
    let l = e.json("list_snapshots", json!({"name": VM})).await;
    let l = l.as_array().unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["name"], "a");
    assert_eq!(l[0]["parent"], Json::Null);
    assert_eq!(l[0]["children"], 1);
    assert_eq!(l[0]["is_current"], false);
    assert_eq!(l[1]["parent"], "a");
    assert_eq!(l[1]["is_current"], true);
    assert_eq!(l[1]["state"], "poweredOff");
    // The same as the simulator's own tree.
    let sim: Vec<String> = names(&e, VM);
    let listed: Vec<String> = l
        .iter()
        .map(|s| s["name"].as_str().unwrap().into())
        .collect();
    assert_eq!(listed, sim);
    says(
        &e.fails("list_snapshots", json!({"name": "ghost"})).await,
        &["VM 'ghost' not found"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn revert_to_snapshot_restores_power_and_hardware() {
    let e = env().await;
    take(&e, "running", true).await;
    let cpus = e.int(VM, "config.hardware.numCPU");
    e.ok("power_off", json!({"name": VM})).await;
    e.ok("reconfigure_vm", json!({"name": VM, "cpu": 6})).await;
    take(&e, "six", true).await;
    let msg = e
        .ok(
            "revert_to_snapshot",
            json!({"name": VM, "snapshot_name": "running"}),
        )
        .await;
    says(&msg, &["reverted to snapshot 'running'", "powered on"]);
    assert_eq!(e.power(VM), "poweredOn");
    assert_eq!(e.int(VM, "config.hardware.numCPU"), cpus);
    assert_eq!(current(&e, VM).as_deref(), Some("running"));
    let msg = e
        .ok(
            "revert_to_snapshot",
            json!({"name": VM, "snapshot_name": "six"}),
        )
        .await;
    says(&msg, &["powered off"]);
    assert_eq!(e.power(VM), "poweredOff");
    assert_eq!(e.int(VM, "config.hardware.numCPU"), Some(6));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn unknown_snapshot_lists_the_vms_snapshots() {
    let e = env().await;
    let none = e
        .fails(
            "revert_to_snapshot",
            json!({"name": VM, "snapshot_name": "x"}),
        )
        .await;
    says(&none, &["VM 'DC0_H0_VM0' has no snapshots"]);
    take(&e, "alpha", false).await;
    take(&e, "beta", false).await;
    for tool in ["revert_to_snapshot", "delete_snapshot", "rename_snapshot"] {
        let msg = e
            .fails(
                tool,
                json!({"name": VM, "snapshot_name": "gamma", "new_name": "z"}),
            )
            .await;
        says(
            &msg,
            &["no snapshot named 'gamma'", "'alpha'", "'beta'", VM],
        );
    }
    says(
        &e.fails(
            "revert_to_snapshot",
            json!({"name": "ghost", "snapshot_name": "a"}),
        )
        .await,
        &["VM 'ghost' not found"],
    );
    assert_eq!(names(&e, VM), ["alpha", "beta"]);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn revert_to_current_snapshot_goes_back_and_needs_one() {
    let e = env().await;
    says(
        &e.fails("revert_to_current_snapshot", json!({"name": VM}))
            .await,
        &["VM 'DC0_H0_VM0' has no snapshots"],
    );
    take(&e, "base", true).await;
    e.ok("power_off", json!({"name": VM})).await;
    let msg = e
        .ok("revert_to_current_snapshot", json!({"name": VM}))
        .await;
    says(&msg, &["current snapshot 'base'", "powered on"]);
    assert_eq!(e.power(VM), "poweredOn");
    says(
        &e.fails("revert_to_current_snapshot", json!({"name": "ghost"}))
            .await,
        &["VM 'ghost' not found"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn delete_snapshot_reparents_or_removes_children() {
    let e = env().await;
    for n in ["a", "b", "c"] {
        take(&e, n, false).await;
    }
    let msg = e
        .ok("delete_snapshot", json!({"name": VM, "snapshot_name": "b"}))
        .await;
    says(&msg, &["'b'", "deleted", "moved up"]);
    assert_eq!(
        tree(&e, VM)
            .into_iter()
            .map(|t| (t.0, t.1))
            .collect::<Vec<_>>(),
        [("a".into(), "".into()), ("c".into(), "a".into())]
    );
    e.ok(
        "delete_snapshot",
        json!({"name": VM, "snapshot_name": "a", "remove_children": true}),
    )
    .await;
    assert!(names(&e, VM).is_empty());
    assert!(e.vm_prop(VM, "snapshot").is_none());
    assert!(e.sim.objects("VirtualMachineSnapshot").is_empty());
    says(
        &e.fails("delete_snapshot", json!({"name": VM, "snapshot_name": "a"}))
            .await,
        &["VM 'DC0_H0_VM0' has no snapshots"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn delete_all_snapshots_empties_the_tree() {
    let e = env().await;
    says(
        &e.ok("delete_all_snapshots", json!({"name": VM})).await,
        &["no snapshots", "nothing to do"],
    );
    take(&e, "a", false).await;
    take(&e, "b", false).await;
    says(
        &e.ok("delete_all_snapshots", json!({"name": VM})).await,
        &["All 2 snapshots", "deleted"],
    );
    assert!(e.vm_prop(VM, "snapshot").is_none());
    assert!(e.sim.objects("VirtualMachineSnapshot").is_empty());
    says(
        &e.fails("delete_all_snapshots", json!({"name": "ghost"}))
            .await,
        &["VM 'ghost' not found"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn rename_snapshot_changes_name_and_description() {
    let e = env().await;
    take(&e, "old", false).await;
    let msg = e
        .ok(
            "rename_snapshot",
            json!({"name": VM, "snapshot_name": "old", "new_name": "new", "new_description": "d"}),
        )
        .await;
    says(&msg, &["renamed to 'new'"]);
    let t = tree(&e, VM);
    assert_eq!((t[0].0.as_str(), t[0].3.as_str()), ("new", "d"));
    e.ok(
        "rename_snapshot",
        json!({"name": VM, "snapshot_name": "new", "new_description": ""}),
    )
    .await;
    assert_eq!(tree(&e, VM)[0].3, "");
    says(
        &e.fails(
            "rename_snapshot",
            json!({"name": VM, "snapshot_name": "new"}),
        )
        .await,
        &["new_name", "new_description"],
    );
    assert_eq!(names(&e, VM), ["new"]);
    e.sim.shutdown().await;
}
