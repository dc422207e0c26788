//! vm_lifecycle tools against the simulator, effects checked in its state.

use serde_json::json;

use crate::{env, says};

const VM: &str = "DC0_H0_VM0";

#[tokio::test]
async fn list_vms_matches_the_simulator() {
    let e = env().await;
    let vms = e.json("list_vms", json!({})).await;
    let items = vms.as_array().unwrap();
    assert_eq!(items.len(), e.sim.objects("VirtualMachine").len());
    for it in items {
        let name = it["name"].as_str().unwrap();
        assert_eq!(it["power_state"].as_str().unwrap(), e.power(name));
        assert_eq!(it["cpu"].as_i64(), e.int(name, "config.hardware.numCPU"));
        assert_eq!(
            it["memory_mb"].as_i64(),
            e.int(name, "config.hardware.memoryMB")
        );
        assert!(it.get("guest_os").is_some());
    }
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_vm_info_has_every_contract_key() {
    let e = env().await;
    let info = e.json("get_vm_info", json!({"name": VM})).await;
    for key in testkit::contract_result_keys("get_vm_info") {
        assert!(info.get(&key).is_some(), "missing {key}: {info}");
    }
    let uuid = e.vm_prop(VM, "config.uuid").unwrap();
    assert_eq!(info["uuid"].as_str(), uuid.as_str());
    assert!(!info["disks"].as_array().unwrap().is_empty(), "{info}");
    assert!(!info["nics"].as_array().unwrap().is_empty(), "{info}");
    assert!(
        info["host"].as_str().is_some_and(|h| h.starts_with("DC0_")),
        "{info}"
    );
    assert!(info["nics"][0]["network"].as_str().is_some(), "{info}");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_vm_info_failures() {
    let e = env().await;
    says(
        &e.fails("get_vm_info", json!({"name": "ghost"})).await,
        &["VM 'ghost' not found"],
    );
    says(
        &e.fails("get_vm_info", json!({})).await,
        &["missing", "name"],
    );
    says(
        &e.fails("get_vm_info", json!({"name": 42})).await,
        &["name", "string", "integer"],
    );
    says(
        &e.fails("get_vm_info", json!({"name": ""})).await,
        &["name", "empty"],
    );
    says(
        &e.fails("get_vm_info", json!("not an object")).await,
        &["object"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn create_vm_builds_what_was_asked() {
    let e = env().await;
    let out = e
        .ok(
            "create_vm",
            json!({"name": "it-new", "cpu": 1, "memory_mb": 512, "disk_gb": 3}),
        )
        .await;
    says(&out, &["it-new", "created"]);
    assert_eq!(e.int("it-new", "config.hardware.numCPU"), Some(1));
    assert_eq!(e.int("it-new", "config.hardware.memoryMB"), Some(512));
    assert_eq!(
        e.vm_prop("it-new", "config.guestId").unwrap().as_str(),
        Some("otherGuest64")
    );
    assert_eq!(e.power("it-new"), "poweredOff");
    let devices = e.vm_prop("it-new", "config.hardware.device").unwrap();
    let disks: Vec<_> = devices
        .as_array()
        .iter()
        .filter_map(|d| d.as_data())
        .filter(|d| d.type_name == "VirtualDisk")
        .cloned()
        .collect();
    assert_eq!(disks.len(), 1);
    assert_eq!(
        disks[0].path("capacityInKB").and_then(|v| v.as_i64()),
        Some(3 * 1024 * 1024)
    );
    assert_eq!(
        disks[0]
            .path("backing.thinProvisioned")
            .and_then(|v| v.as_bool()),
        Some(true)
    );
    let nics = devices
        .as_array()
        .iter()
        .filter_map(|d| d.as_data())
        .filter(|d| vim25::schema().is_subtype(&d.type_name, "VirtualEthernetCard"))
        .count();
    assert_eq!(nics, 1);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn create_vm_defaults_and_explicit_placement() {
    let e = env().await;
    e.ok(
        "create_vm",
        json!({"name": "it-defaults", "datastore": null, "network": null}),
    )
    .await;
    assert_eq!(e.int("it-defaults", "config.hardware.numCPU"), Some(2));
    assert_eq!(e.int("it-defaults", "config.hardware.memoryMB"), Some(4096));
    e.ok("create_vm", json!({"name": "it-placed", "datastore": "LocalDS_0", "network": "DC0_DVPG0", "guest_id": "ubuntu64Guest"})).await;
    assert_eq!(
        e.vm_prop("it-placed", "config.guestId").unwrap().as_str(),
        Some("ubuntu64Guest")
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn create_vm_refusals_change_nothing() {
    let e = env().await;
    let before = e.sim.objects("VirtualMachine").len();
    says(
        &e.fails("create_vm", json!({"name": VM})).await,
        &[VM, "already exists"],
    );
    says(
        &e.fails("create_vm", json!({"name": "x", "cpu": 0})).await,
        &["cpu", "positive"],
    );
    says(
        &e.fails("create_vm", json!({"name": "x", "memory_mb": -5}))
            .await,
        &["memory_mb"],
    );
    says(
        &e.fails("create_vm", json!({"name": "x", "disk_gb": 10_000_000}))
            .await,
        &["disk_gb", "too large"],
    );
    says(
        &e.fails("create_vm", json!({"name": "x", "cpu": "two"}))
            .await,
        &["cpu", "integer"],
    );
    says(
        &e.fails("create_vm", json!({"name": "x", "datastore": "NoSuchDS"}))
            .await,
        &["Datastore 'NoSuchDS' not found"],
    );
    says(
        &e.fails("create_vm", json!({"name": "x", "network": "NoSuchNet"}))
            .await,
        &["Network 'NoSuchNet' not found"],
    );
    says(
        &e.fails("create_vm", json!({"name": "   "})).await,
        &["name", "empty"],
    );
    says(
        &e.fails("create_vm", json!({"name": "n".repeat(81)})).await,
        &["name", "too long"],
    );
    assert_eq!(e.sim.objects("VirtualMachine").len(), before);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn clone_vm_copies_and_powers_on() {
    let e = env().await;
    e.ok(
        "clone_vm",
        json!({"template_name": VM, "new_name": "it-copy"}),
    )
    .await;
    assert_eq!(
        e.int("it-copy", "config.hardware.numCPU"),
        e.int(VM, "config.hardware.numCPU")
    );
    assert_eq!(e.power("it-copy"), "poweredOff");
    e.ok("clone_vm", json!({"template_name": VM, "new_name": "it-copy-on", "power_on": true, "datastore": "LocalDS_0"})).await;
    assert_eq!(e.power("it-copy-on"), "poweredOn");
    says(
        &e.fails(
            "clone_vm",
            json!({"template_name": "ghost", "new_name": "y"}),
        )
        .await,
        &["ghost", "not found"],
    );
    says(
        &e.fails(
            "clone_vm",
            json!({"template_name": VM, "new_name": "DC0_H0_VM1"}),
        )
        .await,
        &["DC0_H0_VM1", "already exists"],
    );
    says(
        &e.fails(
            "clone_vm",
            json!({"template_name": VM, "new_name": "z", "datastore": "NoDS"}),
        )
        .await,
        &["NoDS", "not found"],
    );
    assert!(
        e.sim.find("VirtualMachine", "y").is_none() && e.sim.find("VirtualMachine", "z").is_none()
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn delete_vm_powers_off_first_and_destroys() {
    let e = env().await;
    assert_eq!(e.power(VM), "poweredOn");
    says(
        &e.ok("delete_vm", json!({"name": VM})).await,
        &["deleted", "powered off first"],
    );
    assert!(e.sim.find("VirtualMachine", VM).is_none());
    says(
        &e.fails("delete_vm", json!({"name": VM})).await,
        &[VM, "not found"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn reconfigure_vm_changes_only_what_is_given() {
    let e = env().await;
    e.ok("power_off", json!({"name": VM})).await;
    e.ok(
        "reconfigure_vm",
        json!({"name": VM, "cpu": 4, "memory_mb": 8192, "annotation": "it notes"}),
    )
    .await;
    assert_eq!(e.int(VM, "config.hardware.numCPU"), Some(4));
    assert_eq!(e.int(VM, "config.hardware.memoryMB"), Some(8192));
    assert_eq!(
        e.vm_prop(VM, "config.annotation").unwrap().as_str(),
        Some("it notes")
    );
    e.ok("reconfigure_vm", json!({"name": VM, "memory_mb": 1024}))
        .await;
    assert_eq!(e.int(VM, "config.hardware.numCPU"), Some(4));
    assert_eq!(e.int(VM, "config.hardware.memoryMB"), Some(1024));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn reconfigure_vm_refusals() {
    let e = env().await;
    let cpu = e.int(VM, "config.hardware.numCPU");
    says(
        &e.fails("reconfigure_vm", json!({"name": VM})).await,
        &["nothing to change", "cpu"],
    );
    says(
        &e.fails(
            "reconfigure_vm",
            json!({"name": VM, "cpu": null, "memory_mb": null}),
        )
        .await,
        &["nothing to change"],
    );
    says(
        &e.fails("reconfigure_vm", json!({"name": VM, "cpu": -1}))
            .await,
        &["cpu", "positive"],
    );
    says(
        &e.fails("reconfigure_vm", json!({"name": "ghost", "cpu": 2}))
            .await,
        &["ghost", "not found"],
    );
    assert_eq!(e.int(VM, "config.hardware.numCPU"), cpu);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn rename_vm_renames_and_refuses_taken_names() {
    let e = env().await;
    let moref = e.sim.find("VirtualMachine", VM).unwrap();
    e.ok("rename_vm", json!({"name": VM, "new_name": "it-renamed"}))
        .await;
    assert_eq!(e.sim.find("VirtualMachine", "it-renamed"), Some(moref));
    says(
        &e.fails(
            "rename_vm",
            json!({"name": "it-renamed", "new_name": "DC0_H0_VM1"}),
        )
        .await,
        &["DC0_H0_VM1", "already exists"],
    );
    says(
        &e.fails("rename_vm", json!({"name": VM, "new_name": "y"}))
            .await,
        &[VM, "not found"],
    );
    says(
        &e.fails("rename_vm", json!({"name": "it-renamed"})).await,
        &["new_name"],
    );
    assert!(e.sim.find("VirtualMachine", "it-renamed").is_some());
    e.sim.shutdown().await;
}
