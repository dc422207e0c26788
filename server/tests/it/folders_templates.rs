//! vcenter_ops, folders and templates, against the simulator: the folder
//! tree and template flag read from the simulator's own objects, and each
//! refusal's message checked.

use serde_json::{Value as Json, json};
use testkit::{has_result_keys as has_keys, prop, prop_str};
use vim25::{MoRef, Value};

use crate::{Env, env, says};

/// Calls a tool; its JSON result (a sentence as a JSON string), or its message.
pub(crate) async fn call(e: &Env, tool: &str, args: Json) -> Result<Json, String> {
    match e.call(tool, args).await {
        Ok(mcvsphere::tools::Output::Json(v)) => Ok(v),
        Ok(o) => Ok(Json::String(o.text())),
        Err(err) => Err(err.0),
    }
}

pub(crate) async fn ok(e: &Env, tool: &str, args: Json) -> Json {
    match call(e, tool, args.clone()).await {
        Ok(v) => v,
        Err(m) => panic!("{tool}({args}) failed: {m}"),
    }
}

pub(crate) async fn fails(e: &Env, tool: &str, args: Json) -> String {
    match call(e, tool, args.clone()).await {
        Ok(v) => panic!("{tool}({args}) succeeded but should fail: {v}"),
        Err(m) => m,
    }
}

fn obj(e: &Env, kind: &str, name: &str) -> MoRef {
    e.sim
        .find(kind, name)
        .unwrap_or_else(|| panic!("the simulator has a {kind} named {name}"))
}

/// The names of what the simulator's folder `f` holds, sorted.
fn children(e: &Env, f: &MoRef) -> Vec<String> {
    let mut out: Vec<String> = prop(&e.sim, f, "childEntity")
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(Value::as_moref)
                .map(|m| prop_str(&e.sim, m, "name"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn vm_folder(e: &Env) -> MoRef {
    let dc = obj(e, "Datacenter", "DC0");
    prop(&e.sim, &dc, "vmFolder")
        .and_then(|v| v.as_moref().cloned())
        .unwrap()
}

#[tokio::test]
async fn list_folders_is_the_simulators_vm_folder_tree() {
    let e = env().await;
    let root = vm_folder(&e);
    let list = ok(&e, "list_folders", json!({})).await;
    let rows = list.as_array().unwrap();
    let top = rows.iter().find(|r| r["path"] == "DC0/vm").unwrap();
    has_keys("list_folders", top);
    assert_eq!(top["name"], "vm");
    assert_eq!(top["type"], "vm");
    assert_eq!(top["children"], children(&e, &root).len());
    assert!(
        rows.iter().all(|r| r["path"] != "DC0/host"),
        "host folders are not VM folders: {list}"
    );
}

#[tokio::test]
async fn create_folder_nests_folders_in_the_simulator() {
    let e = env().await;
    let r = ok(&e, "create_folder", json!({"folder_name": "Prod"})).await;
    has_keys("create_folder", &r);
    assert_eq!(r["path"], "DC0/vm/Prod");
    assert_eq!(r["parent"], "DC0/vm");
    assert!(children(&e, &vm_folder(&e)).contains(&"Prod".to_string()));
    let r = ok(
        &e,
        "create_folder",
        json!({"folder_name": "Web", "parent_path": "DC0/vm/Prod"}),
    )
    .await;
    assert_eq!(r["path"], "DC0/vm/Prod/Web");
    let prod = obj(&e, "Folder", "Prod");
    assert_eq!(children(&e, &prod), ["Web"]);
    // A path under the VM folder names the same folder.
    let r = ok(
        &e,
        "create_folder",
        json!({"folder_name": "Db", "parent_path": "Prod"}),
    )
    .await;
    assert_eq!(r["path"], "DC0/vm/Prod/Db");
    assert_eq!(children(&e, &prod), ["Db", "Web"]);
    let listed = ok(&e, "list_folders", json!({})).await;
    let paths: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["path"].as_str())
        .collect();
    for p in ["DC0/vm", "DC0/vm/Prod", "DC0/vm/Prod/Db", "DC0/vm/Prod/Web"] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
}

#[tokio::test]
async fn create_folder_refusals_are_clear() {
    let e = env().await;
    let msg = fails(
        &e,
        "create_folder",
        json!({"folder_name": "x", "parent_path": "no/such"}),
    )
    .await;
    says(&msg, &["Folder 'no/such' not found", "DC0/vm"]);
    let msg = fails(
        &e,
        "create_folder",
        json!({"folder_name": "x", "parent_path": "DC0/host"}),
    )
    .await;
    says(&msg, &["'DC0/host'", "not VMs"]);
    ok(&e, "create_folder", json!({"folder_name": "Prod"})).await;
    let msg = fails(&e, "create_folder", json!({"folder_name": "Prod"})).await;
    says(&msg, &["DC0/vm", "already has an entry named 'Prod'"]);
    let msg = fails(&e, "create_folder", json!({"folder_name": "a/b"})).await;
    says(&msg, &["folder_name", "not a path"]);
    assert_eq!(
        children(&e, &vm_folder(&e))
            .iter()
            .filter(|n| *n == "Prod")
            .count(),
        1
    );
}

#[tokio::test]
async fn convert_to_template_sets_the_simulators_template_flag() {
    let e = env().await;
    e.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    let r = ok(&e, "convert_to_template", json!({"vm_name": "DC0_H0_VM1"})).await;
    has_keys("convert_to_template", &r);
    assert_eq!(r["is_template"], true);
    assert_eq!(
        e.vm_prop("DC0_H0_VM1", "config.template")
            .and_then(|v| v.as_bool()),
        Some(true)
    );
    // Idempotent: a second call leaves it a template.
    let r = ok(&e, "convert_to_template", json!({"vm_name": "DC0_H0_VM1"})).await;
    assert_eq!(r["action"], "already a template");
    // A template cannot be powered on, and says so.
    let msg = e.fails("power_on", json!({"name": "DC0_H0_VM1"})).await;
    says(&msg, &["DC0_H0_VM1", "template"]);
    assert_eq!(e.power("DC0_H0_VM1"), "poweredOff");
}

#[tokio::test]
async fn convert_to_template_refuses_a_running_vm() {
    let e = env().await;
    let msg = fails(&e, "convert_to_template", json!({"vm_name": "DC0_H0_VM0"})).await;
    says(&msg, &["VM 'DC0_H0_VM0' is powered on", "power it off"]);
    assert_ne!(
        e.vm_prop("DC0_H0_VM0", "config.template")
            .and_then(|v| v.as_bool()),
        Some(true)
    );
    let msg = fails(&e, "convert_to_template", json!({"vm_name": "nope"})).await;
    says(&msg, &["VM 'nope' not found"]);
}

#[tokio::test]
async fn convert_to_vm_puts_the_template_back_in_a_pool() {
    let e = env().await;
    let vm = "DC0_C0_RP0_VM0";
    e.ok("power_off", json!({"name": vm})).await;
    ok(&e, "convert_to_template", json!({"vm_name": vm})).await;
    let r = ok(&e, "convert_to_vm", json!({"template_name": vm})).await;
    has_keys("convert_to_vm", &r);
    assert_eq!(r["is_template"], false);
    assert_eq!(
        e.vm_prop(vm, "config.template").and_then(|v| v.as_bool()),
        Some(false)
    );
    // The pool is the one of the cluster the template's host is in.
    let pool = e
        .vm_prop(vm, "resourcePool")
        .and_then(|v| v.as_moref().cloned())
        .unwrap();
    let owner = prop(&e.sim, &pool, "owner")
        .and_then(|v| v.as_moref().cloned())
        .unwrap();
    assert_eq!(prop_str(&e.sim, &owner, "name"), "DC0_C0");
    let r = ok(&e, "convert_to_vm", json!({"template_name": vm})).await;
    assert_eq!(r["action"], "already a VM");
    let msg = fails(&e, "convert_to_vm", json!({"template_name": "nope"})).await;
    says(&msg, &["Template 'nope' not found"]);
    ok(&e, "convert_to_template", json!({"vm_name": vm})).await;
    let msg = fails(
        &e,
        "convert_to_vm",
        json!({"template_name": vm, "resource_pool": "no-pool"}),
    )
    .await;
    says(&msg, &["Resource pool 'no-pool' not found", "Resources"]);
}

#[tokio::test]
async fn deploy_from_template_makes_a_vm_in_the_simulator() {
    let e = env().await;
    e.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    ok(&e, "convert_to_template", json!({"vm_name": "DC0_H0_VM1"})).await;
    let r = ok(
        &e,
        "deploy_from_template",
        json!({"template_name": "DC0_H0_VM1", "new_vm_name": "web-03",
               "datastore": "NFS_DS_0", "power_on": true}),
    )
    .await;
    has_keys("deploy_from_template", &r);
    assert_eq!(r["datastore"], "NFS_DS_0");
    assert_eq!(r["power_state"], "poweredOn");
    assert_eq!(e.power("web-03"), "poweredOn");
    assert_eq!(
        e.vm_prop("web-03", "config.template")
            .and_then(|v| v.as_bool()),
        Some(false)
    );
    let path = e
        .vm_prop("web-03", "config.files.vmPathName")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap();
    assert!(path.starts_with("[NFS_DS_0]"), "{path}");
    // The template stays a template.
    assert_eq!(
        e.vm_prop("DC0_H0_VM1", "config.template")
            .and_then(|v| v.as_bool()),
        Some(true)
    );
}

#[tokio::test]
async fn deploy_from_template_refusals_are_clear() {
    let e = env().await;
    let msg = fails(
        &e,
        "deploy_from_template",
        json!({"template_name": "DC0_H0_VM0", "new_vm_name": "x"}),
    )
    .await;
    says(
        &msg,
        &["'DC0_H0_VM0' is not a template", "convert_to_template"],
    );
    e.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    ok(&e, "convert_to_template", json!({"vm_name": "DC0_H0_VM1"})).await;
    let msg = fails(
        &e,
        "deploy_from_template",
        json!({"template_name": "DC0_H0_VM1", "new_vm_name": "DC0_H0_VM0"}),
    )
    .await;
    says(&msg, &["VM 'DC0_H0_VM0' already exists"]);
    let msg = fails(
        &e,
        "deploy_from_template",
        json!({"template_name": "DC0_H0_VM1", "new_vm_name": "y", "datastore": "nods"}),
    )
    .await;
    says(
        &msg,
        &["Datastore 'nods' not found", "LocalDS_0", "NFS_DS_0"],
    );
    assert!(e.sim.find("VirtualMachine", "y").is_none());
}

#[tokio::test]
async fn move_vm_to_folder_moves_the_vm_in_the_simulators_tree() {
    let e = env().await;
    ok(&e, "create_folder", json!({"folder_name": "Prod"})).await;
    let r = ok(
        &e,
        "move_vm_to_folder",
        json!({"vm_name": "DC0_H0_VM0", "folder_path": "Prod"}),
    )
    .await;
    has_keys("move_vm_to_folder", &r);
    assert_eq!(r["from_folder"], "DC0/vm");
    assert_eq!(r["to_folder"], "DC0/vm/Prod");
    let prod = obj(&e, "Folder", "Prod");
    assert_eq!(children(&e, &prod), ["DC0_H0_VM0"]);
    assert!(!children(&e, &vm_folder(&e)).contains(&"DC0_H0_VM0".to_string()));
    assert_eq!(
        e.vm_prop("DC0_H0_VM0", "parent")
            .and_then(|v| v.as_moref().cloned()),
        Some(prod)
    );
    let listed = ok(&e, "list_folders", json!({})).await;
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "DC0/vm/Prod")
        .cloned()
        .unwrap();
    assert_eq!(row["vms"], 1);
}

#[tokio::test]
async fn move_vm_to_folder_refuses_a_host_folder_and_unknown_names() {
    let e = env().await;
    let msg = fails(
        &e,
        "move_vm_to_folder",
        json!({"vm_name": "DC0_H0_VM0", "folder_path": "DC0/host"}),
    )
    .await;
    says(&msg, &["'DC0/host'", "not VMs"]);
    let msg = fails(
        &e,
        "move_vm_to_folder",
        json!({"vm_name": "DC0_H0_VM0", "folder_path": "Nope"}),
    )
    .await;
    says(&msg, &["Folder 'Nope' not found", "DC0/vm"]);
    let msg = fails(
        &e,
        "move_vm_to_folder",
        json!({"vm_name": "nope", "folder_path": "DC0/vm"}),
    )
    .await;
    says(&msg, &["VM 'nope' not found"]);
    assert!(children(&e, &vm_folder(&e)).contains(&"DC0_H0_VM0".to_string()));
}
