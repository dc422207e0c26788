//! ovf_management through the real binary: the fixture OVA deployed (its
//! disk's bytes land on the datastore) and the VM exported back, read from
//! the simulator.

use serde_json::json;

use crate::{harness, says};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../fixtures/ovf/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn deploy_an_ova_and_export_it_back() {
    let h = harness().await;
    let ds = h.sim.find("Datastore", "LocalDS_0").unwrap();
    h.sim
        .write_datastore_file(&ds, "ovf/tiny.ova", &fixture("tiny.ova"))
        .unwrap();
    let nets = h
        .ok(
            "list_ovf_networks",
            json!({"ovf_path": "ovf/tiny.ova", "datastore": "LocalDS_0"}),
        )
        .await;
    assert_eq!(nets.structured.unwrap()["result"][0]["name"], "VM Network");
    h.ok(
        "deploy_ovf",
        json!({"ovf_path": "ovf/tiny.ova", "vm_name": "tiny-9", "datastore": "LocalDS_0"}),
    )
    .await;
    let disk = h
        .sim
        .datastore_files(&ds, "tiny-9/")
        .into_iter()
        .find(|(p, _)| p.ends_with(".vmdk"))
        .expect("the imported disk");
    assert_eq!(
        h.sim.datastore_file_bytes(&ds, &disk.0),
        Some(fixture("tiny-disk1.vmdk"))
    );
    let out = h
        .ok(
            "export_vm_ovf",
            json!({"vm_name": "tiny-9", "target_path": "exports/tiny-9"}),
        )
        .await;
    assert_eq!(
        out.structured.unwrap()["ovf_descriptor"],
        "[LocalDS_0] exports/tiny-9/tiny-9.ovf"
    );
    assert!(
        h.sim
            .datastore_file_bytes(&ds, "exports/tiny-9/tiny-9.ovf")
            .is_some()
    );
    h.sim
        .write_datastore_file(&ds, "ovf/corrupt.ova", &fixture("corrupt.ova"))
        .unwrap();
    says(
        &h.fails(
            "deploy_ovf",
            json!({"ovf_path": "ovf/corrupt.ova", "vm_name": "bad", "datastore": "LocalDS_0"}),
        )
        .await,
        &["corrupt.ova"],
    );
    assert!(h.vm("bad").is_none());
    h.shutdown().await;
}
