//! Folders (issue 13): `CreateFolder`, `MoveIntoFolder_Task` with the
//! folder-type rules, `Rename_Task` and `Destroy_Task` on folders, and
//! inventory paths that follow the tree.

use vim25::{Data, MoRef, Request, Value};

use crate::{Client, logged_in, vm_folder};
use testkit::{has_event, power_state, prop_str, says, task_fault, vm, wait_task};

async fn create_folder(c: &Client, parent: &MoRef, name: &str) -> MoRef {
    c.ok(Request::new("CreateFolder", parent).arg("name", name))
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("CreateFolder answers the new folder")
}

async fn find_path(c: &Client, path: &str) -> Option<MoRef> {
    c.ok(Request::new(
        "FindByInventoryPath",
        &crate::mo("SearchIndex", "SearchIndex"),
    )
    .arg("inventoryPath", path))
        .await
        .and_then(|v| v.as_moref().cloned())
}

fn children(sim: &vcsim::Simulator, f: &MoRef) -> Vec<MoRef> {
    sim.property(f, "childEntity")
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(|m| m.as_moref().cloned())
                .collect()
        })
        .unwrap_or_default()
}

fn message(info: &Data) -> String {
    info.path("error.localizedMessage")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn issue_13_move_into_folder_moves_vms_and_paths_follow() {
    let (sim, c) = logged_in().await;
    let root = vm_folder(&sim);
    let prod = create_folder(&c, &root, "prod").await;
    let web = create_folder(&c, &prod, "web").await;
    let v = vm(&sim, "DC0_H0_VM0");
    let t = c
        .ok(Request::new("MoveIntoFolder_Task", &web).arg("list", vec![Value::moref(v.clone())]))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert!(children(&sim, &web).contains(&v));
    assert!(!children(&sim, &root).contains(&v));
    assert_eq!(
        sim.property(&v, "parent")
            .and_then(|p| p.as_moref().cloned()),
        Some(web.clone())
    );
    assert_eq!(
        find_path(&c, "DC0/vm/prod/web/DC0_H0_VM0").await,
        Some(v.clone())
    );
    assert_eq!(find_path(&c, "DC0/vm/DC0_H0_VM0").await, None);

    // A folder moves with its contents; renaming it changes the path.
    let t = c
        .ok(Request::new("MoveIntoFolder_Task", &root).arg("list", vec![Value::moref(web.clone())]))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    let t = c
        .ok(Request::new("Rename_Task", &web).arg("newName", "frontend"))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_eq!(prop_str(&sim, &web, "name"), "frontend");
    assert_eq!(find_path(&c, "DC0/vm/frontend/DC0_H0_VM0").await, Some(v));
    assert!(children(&sim, &prod).is_empty());
}

#[tokio::test]
async fn issue_13_a_vm_folder_refuses_hosts_and_a_host_folder_refuses_vms() {
    let (sim, c) = logged_in().await;
    let dc = sim.find("Datacenter", "DC0").expect("DC0");
    let host_folder = sim
        .property(&dc, "hostFolder")
        .and_then(|v| v.as_moref().cloned())
        .expect("hostFolder");
    let v = vm(&sim, "DC0_H0_VM1");
    let before = sim.snapshot();
    let t = c
        .ok(Request::new("MoveIntoFolder_Task", &host_folder)
            .arg("list", vec![Value::moref(v.clone())]))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "NotSupported");
    says(
        &message(&info),
        &["cannot contain", "VirtualMachine", "DC0_H0_VM1"],
    );
    let cr = sim.find("ComputeResource", "DC0_H0").expect("DC0_H0");
    let t = c
        .ok(Request::new("MoveIntoFolder_Task", &vm_folder(&sim))
            .arg("list", vec![Value::moref(cr)]))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "NotSupported");
    // A folder cannot go into its own subfolder.
    let a = create_folder(&c, &vm_folder(&sim), "a").await;
    let b = create_folder(&c, &a, "b").await;
    let t = c
        .ok(Request::new("MoveIntoFolder_Task", &b).arg("list", vec![Value::moref(a)]))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "InvalidFolder");
    says(&message(&info), &["cannot be moved into itself"]);
    assert_eq!(
        sim.property(&v, "parent")
            .and_then(|p| p.as_moref().cloned()),
        before
            .iter()
            .find(|(m, _)| *m == v)
            .and_then(|(_, d)| d.get("parent").and_then(Value::as_moref).cloned())
    );
}

#[tokio::test]
async fn issue_13_destroying_a_folder_removes_its_tree_and_powered_off_vms() {
    let (sim, c) = logged_in().await;
    let root = vm_folder(&sim);
    let old = create_folder(&c, &root, "old").await;
    let inner = create_folder(&c, &old, "inner").await;
    let v = vm(&sim, "DC0_H0_VM1");
    let moves =
        Request::new("MoveIntoFolder_Task", &inner).arg("list", vec![Value::moref(v.clone())]);
    for req in [Request::new("PowerOffVM_Task", &v), moves] {
        let t = c.ok(req).await;
        assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    }
    assert_eq!(power_state(&sim, "DC0_H0_VM1"), "poweredOff");
    let t = c.ok(Request::new("Destroy_Task", &old)).await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    for gone in [&old, &inner, &v] {
        assert!(sim.property(gone, "name").is_none(), "{gone} is gone");
    }
    assert!(!children(&sim, &root).contains(&old));
    assert!(has_event(&sim, "VmRemovedEvent"));
}

#[tokio::test]
async fn issue_13_a_folder_with_a_running_vm_or_a_datacenter_folder_is_not_destroyed() {
    let (sim, c) = logged_in().await;
    let root = vm_folder(&sim);
    let keep = create_folder(&c, &root, "keep").await;
    let v = vm(&sim, "DC0_H0_VM0");
    let t = c
        .ok(Request::new("MoveIntoFolder_Task", &keep).arg("list", vec![Value::moref(v.clone())]))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    let t = c.ok(Request::new("Destroy_Task", &keep)).await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "InvalidPowerState");
    assert!(children(&sim, &keep).contains(&v), "nothing was removed");
    let t = c.ok(Request::new("Destroy_Task", &root)).await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "NotSupported");
    says(
        &message(&info),
        &["datacenter folder", "cannot be destroyed"],
    );
}
