//! vm_lifecycle tools: list_vms, get_vm_info, create_vm, clone_vm, delete_vm,
//! reconfigure_vm, rename_vm.

use serde_json::json;

use crate::{harness, says};

const VM: &str = "DC0_H0_VM0";

#[tokio::test]
async fn list_vms_returns_every_vm_with_its_state() {
    let h = harness().await;
    let out = h.ok("list_vms", json!({})).await;
    let items = out
        .structured
        .as_ref()
        .and_then(|s| s.get("result"))
        .and_then(|r| r.as_array())
        .cloned()
        .expect("structured {result: [...]}");
    let sim_vms = h.sim.objects("VirtualMachine");
    assert_eq!(items.len(), sim_vms.len());
    for item in &items {
        let name = item["name"].as_str().unwrap();
        for key in ["name", "power_state", "cpu", "memory_mb", "guest_os"] {
            assert!(item.get(key).is_some(), "{name} lacks {key}");
        }
        assert_eq!(
            item["cpu"].as_i64(),
            h.vm_int(name, "config.hardware.numCPU"),
            "{name} cpu"
        );
        assert_eq!(
            item["power_state"].as_str(),
            Some(h.power_state(name).as_str()),
            "{name} power"
        );
    }
    assert!(
        out.text.contains(VM),
        "text block lists the VMs: {}",
        out.text
    );
    h.shutdown().await;
}

#[tokio::test]
async fn list_vms_with_wrong_credentials_is_a_clear_error_without_the_password() {
    conformance::init_tls();
    let wrong = "definitely-wrong-password-7781";
    let h = conformance::Harness::start(
        conformance::Transport::Stdio,
        &[("VCENTER_PASSWORD", wrong)],
    )
    .await
    .unwrap();
    let msg = h.fails("list_vms", json!({})).await;
    says(&msg, &["login"]);
    assert!(
        !msg.contains(wrong),
        "the password leaks into the error: {msg}"
    );
    assert_eq!(h.sim.login_count(), 0);
    h.shutdown().await;
}

#[tokio::test]
async fn get_vm_info_matches_the_simulator() {
    let h = harness().await;
    let out = h.ok("get_vm_info", json!({"name": VM})).await;
    let s = out.structured.expect("structured result");
    for key in testkit::contract_result_keys("get_vm_info") {
        assert!(s.get(&key).is_some(), "get_vm_info lacks {key}: {s}");
    }
    assert_eq!(s["name"], VM);
    assert_eq!(s["cpu"].as_i64(), h.vm_int(VM, "config.hardware.numCPU"));
    assert_eq!(
        s["memory_mb"].as_i64(),
        h.vm_int(VM, "config.hardware.memoryMB")
    );
    assert_eq!(
        s["uuid"].as_str(),
        h.vm_prop(VM, "config.uuid")
            .as_ref()
            .and_then(|v| v.as_str())
    );
    assert!(
        s["disks"].as_array().is_some_and(|d| !d.is_empty()),
        "disks listed: {s}"
    );
    assert!(
        s["nics"].as_array().is_some_and(|d| !d.is_empty()),
        "nics listed: {s}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn get_vm_info_unknown_vm() {
    let h = harness().await;
    let msg = h.fails("get_vm_info", json!({"name": "ghost"})).await;
    says(&msg, &["ghost", "not found"]);
    h.shutdown().await;
}

#[tokio::test]
async fn get_vm_info_missing_argument() {
    let h = harness().await;
    let msg = h.fails("get_vm_info", json!({})).await;
    says(&msg, &["name"]);
    let msg = h.fails("get_vm_info", json!({"name": 42})).await;
    says(&msg, &["name"]);
    h.shutdown().await;
}

#[tokio::test]
async fn create_vm_builds_the_requested_hardware() {
    let h = harness().await;
    let before = h.sim.events().len();
    h.ok(
        "create_vm",
        json!({"name": "new-vm", "cpu": 1, "memory_mb": 512, "disk_gb": 3}),
    )
    .await;
    assert!(h.vm("new-vm").is_some(), "VM exists in the simulator");
    assert_eq!(h.vm_int("new-vm", "config.hardware.numCPU"), Some(1));
    assert_eq!(h.vm_int("new-vm", "config.hardware.memoryMB"), Some(512));
    assert_eq!(
        h.vm_prop("new-vm", "config.guestId")
            .and_then(|v| v.as_str().map(str::to_string))
            .as_deref(),
        Some("otherGuest64")
    );
    let devices = h.vm_prop("new-vm", "config.hardware.device").unwrap();
    let disks: Vec<_> = devices
        .as_array()
        .iter()
        .filter(|d| d.as_data().is_some_and(|d| d.type_name == "VirtualDisk"))
        .collect();
    assert_eq!(disks.len(), 1, "one disk");
    let kb = disks[0]
        .path("capacityInKB")
        .and_then(|v| v.as_i64())
        .unwrap();
    assert_eq!(kb, 3 * 1024 * 1024);
    let nics = devices
        .as_array()
        .iter()
        .filter(|d| d.path("macAddress").is_some() || d.path("addressType").is_some())
        .count();
    assert_eq!(nics, 1, "one NIC");
    assert!(
        h.sim.events()[before..]
            .iter()
            .any(|(t, _)| t.contains("Created")),
        "creation event recorded"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn create_vm_defaults_follow_the_contract() {
    let h = harness().await;
    h.ok("create_vm", json!({"name": "defaults-vm"})).await;
    assert_eq!(h.vm_int("defaults-vm", "config.hardware.numCPU"), Some(2));
    assert_eq!(
        h.vm_int("defaults-vm", "config.hardware.memoryMB"),
        Some(4096)
    );
    h.shutdown().await;
}

#[tokio::test]
async fn create_vm_refuses_duplicates_and_bad_sizes() {
    let h = harness().await;
    let count = h.sim.objects("VirtualMachine").len();
    says(
        &h.fails("create_vm", json!({"name": VM})).await,
        &[VM, "exists"],
    );
    says(
        &h.fails("create_vm", json!({"name": "zero-cpu", "cpu": 0}))
            .await,
        &["cpu"],
    );
    says(
        &h.fails("create_vm", json!({"name": "neg-mem", "memory_mb": -5}))
            .await,
        &["memory"],
    );
    says(
        &h.fails(
            "create_vm",
            json!({"name": "bad-ds", "datastore": "NoSuchDS"}),
        )
        .await,
        &["NoSuchDS", "not found"],
    );
    says(
        &h.fails("create_vm", json!({"name": "", "cpu": 1})).await,
        &["name"],
    );
    assert_eq!(
        h.sim.objects("VirtualMachine").len(),
        count,
        "no VM was created by a refused call"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn clone_vm_copies_and_can_power_on() {
    let h = harness().await;
    h.ok(
        "clone_vm",
        json!({"template_name": VM, "new_name": "copy-1"}),
    )
    .await;
    assert!(h.vm("copy-1").is_some());
    assert_eq!(
        h.vm_prop("copy-1", "config.hardware.numCPU"),
        h.vm_prop(VM, "config.hardware.numCPU")
    );
    assert_eq!(h.power_state("copy-1"), "poweredOff");
    h.ok("clone_vm", json!({"template_name": VM, "new_name": "copy-2", "power_on": true, "datastore": "LocalDS_0"})).await;
    assert_eq!(h.power_state("copy-2"), "poweredOn");
    h.shutdown().await;
}

#[tokio::test]
async fn clone_vm_unknown_source_and_duplicate_target() {
    let h = harness().await;
    says(
        &h.fails(
            "clone_vm",
            json!({"template_name": "ghost", "new_name": "x"}),
        )
        .await,
        &["ghost", "not found"],
    );
    says(
        &h.fails(
            "clone_vm",
            json!({"template_name": VM, "new_name": "DC0_H0_VM1"}),
        )
        .await,
        &["DC0_H0_VM1", "exists"],
    );
    assert!(h.vm("x").is_none());
    h.shutdown().await;
}

#[tokio::test]
async fn delete_vm_powers_off_and_destroys() {
    let h = harness().await;
    assert_eq!(h.power_state(VM), "poweredOn");
    h.ok("delete_vm", json!({"name": VM})).await;
    assert!(h.vm(VM).is_none(), "VM gone from the simulator");
    h.shutdown().await;
}

#[tokio::test]
async fn delete_vm_unknown() {
    let h = harness().await;
    says(
        &h.fails("delete_vm", json!({"name": "ghost"})).await,
        &["ghost", "not found"],
    );
    h.shutdown().await;
}

#[tokio::test]
async fn reconfigure_vm_changes_cpu_memory_annotation() {
    let h = harness().await;
    h.ok("power_off", json!({"name": VM})).await;
    h.ok(
        "reconfigure_vm",
        json!({"name": VM, "cpu": 4, "memory_mb": 8192, "annotation": "owned by conformance"}),
    )
    .await;
    assert_eq!(h.vm_int(VM, "config.hardware.numCPU"), Some(4));
    assert_eq!(h.vm_int(VM, "config.hardware.memoryMB"), Some(8192));
    assert_eq!(
        h.vm_prop(VM, "config.annotation")
            .and_then(|v| v.as_str().map(str::to_string))
            .as_deref(),
        Some("owned by conformance")
    );
    // Only the annotation: the rest stays.
    h.ok(
        "reconfigure_vm",
        json!({"name": VM, "annotation": "second"}),
    )
    .await;
    assert_eq!(h.vm_int(VM, "config.hardware.numCPU"), Some(4));
    h.shutdown().await;
}

#[tokio::test]
async fn reconfigure_vm_needs_a_change_and_a_known_vm() {
    let h = harness().await;
    let cpu = h.vm_prop(VM, "config.hardware.numCPU");
    says(
        &h.fails("reconfigure_vm", json!({"name": VM})).await,
        &["cpu"],
    );
    says(
        &h.fails("reconfigure_vm", json!({"name": "ghost", "cpu": 2}))
            .await,
        &["ghost", "not found"],
    );
    says(
        &h.fails("reconfigure_vm", json!({"name": VM, "cpu": -1}))
            .await,
        &["cpu"],
    );
    assert_eq!(
        h.vm_prop(VM, "config.hardware.numCPU"),
        cpu,
        "nothing changed"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn rename_vm_renames_in_inventory() {
    let h = harness().await;
    let moref = h.vm(VM).unwrap();
    h.ok("rename_vm", json!({"name": VM, "new_name": "renamed"}))
        .await;
    assert_eq!(h.vm("renamed"), Some(moref));
    assert!(h.vm(VM).is_none());
    h.shutdown().await;
}

#[tokio::test]
async fn rename_vm_refuses_taken_names_and_unknown_vms() {
    let h = harness().await;
    says(
        &h.fails("rename_vm", json!({"name": VM, "new_name": "DC0_H0_VM1"}))
            .await,
        &["DC0_H0_VM1", "exists"],
    );
    assert!(h.vm(VM).is_some());
    says(
        &h.fails("rename_vm", json!({"name": "ghost", "new_name": "y"}))
            .await,
        &["ghost", "not found"],
    );
    h.shutdown().await;
}

/// Name lookups are cached; the cache must never answer with a stale object.
#[tokio::test]
async fn lookups_follow_renames_deletes_and_recreations() {
    let h = harness().await;
    h.ok("get_vm_info", json!({"name": VM})).await; // fills the name cache
    h.ok("rename_vm", json!({"name": VM, "new_name": "moved"}))
        .await;
    says(
        &h.fails("get_vm_info", json!({"name": VM})).await,
        &[VM, "not found"],
    );
    let moved = h
        .ok("get_vm_info", json!({"name": "moved"}))
        .await
        .structured
        .unwrap();
    h.ok("delete_vm", json!({"name": "moved"})).await;
    says(
        &h.fails("get_vm_info", json!({"name": "moved"})).await,
        &["moved", "not found"],
    );
    h.ok(
        "create_vm",
        json!({"name": "moved", "cpu": 1, "memory_mb": 256, "disk_gb": 1}),
    )
    .await;
    let again = h
        .ok("get_vm_info", json!({"name": "moved"}))
        .await
        .structured
        .unwrap();
    assert_ne!(
        again["uuid"], moved["uuid"],
        "the new VM, not the deleted one"
    );
    assert_eq!(
        again["uuid"].as_str(),
        h.vm_prop("moved", "config.uuid")
            .as_ref()
            .and_then(|v| v.as_str())
    );
    h.shutdown().await;
}
