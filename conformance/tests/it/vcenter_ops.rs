//! vcenter_ops through the real binary: a folder made and a VM moved into
//! it, a template made and deployed, a storage vMotion, each effect read
//! from the simulator.

use serde_json::json;
use testkit::prop;

use crate::{harness, says};

#[tokio::test]
async fn folders_templates_and_migration_round_trip() {
    let h = harness().await;
    h.ok("create_folder", json!({"folder_name": "Prod"})).await;
    let out = h
        .ok(
            "move_vm_to_folder",
            json!({"vm_name": "DC0_H0_VM0", "folder_path": "DC0/vm/Prod"}),
        )
        .await;
    assert_eq!(out.structured.unwrap()["to_folder"], "DC0/vm/Prod");
    let prod = h.sim.find("Folder", "Prod").unwrap();
    let parent = h.vm_prop("DC0_H0_VM0", "parent").unwrap();
    assert_eq!(parent.as_moref(), Some(&prod));
    says(
        &h.fails(
            "move_vm_to_folder",
            json!({"vm_name": "DC0_H0_VM0", "folder_path": "DC0/host"}),
        )
        .await,
        &["not VMs"],
    );

    h.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    h.ok("convert_to_template", json!({"vm_name": "DC0_H0_VM1"}))
        .await;
    assert_eq!(
        h.vm_prop("DC0_H0_VM1", "config.template")
            .and_then(|v| v.as_bool()),
        Some(true)
    );
    h.ok(
        "deploy_from_template",
        json!({"template_name": "DC0_H0_VM1", "new_vm_name": "web-9", "power_on": true}),
    )
    .await;
    assert_eq!(h.power_state("web-9"), "poweredOn");

    h.ok(
        "storage_vmotion",
        json!({"vm_name": "web-9", "target_datastore": "NFS_DS_0"}),
    )
    .await;
    let nfs = h.sim.find("Datastore", "NFS_DS_0").unwrap();
    assert!(!h.sim.datastore_files(&nfs, "web-9/").is_empty());
    let local = h.sim.find("Datastore", "LocalDS_0").unwrap();
    assert!(h.sim.datastore_files(&local, "web-9/").is_empty());
    let clusters = h.ok("list_clusters", json!({})).await;
    let cr = h.sim.find("ClusterComputeResource", "DC0_C0").unwrap();
    assert_eq!(
        clusters.structured.unwrap()["result"][0]["host_count"],
        prop(&h.sim, &cr, "host").unwrap().as_array().len()
    );
    h.shutdown().await;
}
