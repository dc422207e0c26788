//! ovf_management against the simulator: packages from `fixtures/ovf/`
//! put on a datastore, imported and exported through real leases; the
//! imported VM's devices, the disk bytes on the datastore, the leases'
//! states and the files an export writes read from the simulator itself.

use serde_json::json;
use testkit::{has_result_keys as has_keys, prop_str};
use vim25::{MoRef, Value};

use crate::{Env, env, says};

pub(crate) const DS: &str = "LocalDS_0";

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../fixtures/ovf/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn ds(e: &Env) -> MoRef {
    e.sim.find("Datastore", DS).unwrap()
}

/// Puts `bytes` at `path` on LocalDS_0.
fn put(e: &Env, path: &str, bytes: &[u8]) {
    e.sim.write_datastore_file(&ds(e), path, bytes).unwrap();
}

pub(crate) fn put_fixture_ovf(e: &Env) {
    put(e, "ovf/tiny.ovf", &fixture("tiny.ovf"));
    put(e, "ovf/tiny-disk1.vmdk", &fixture("tiny-disk1.vmdk"));
}

/// The states of every lease the simulator has made.
pub(crate) fn lease_states(e: &Env) -> Vec<String> {
    e.sim
        .objects("HttpNfcLease")
        .iter()
        .map(|l| prop_str(&e.sim, l, "state"))
        .collect()
}

fn disks(e: &Env, vm: &str) -> Vec<vim25::Data> {
    e.vm_prop(vm, "config.hardware.device")
        .map(|l| l.as_array().to_vec())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| d.as_data().cloned())
        .filter(|d| d.type_name.as_str() == "VirtualDisk")
        .collect()
}

/// The bytes of the imported VM's disk file, as the datastore holds them.
fn disk_bytes(e: &Env, vm: &str) -> Option<Vec<u8>> {
    let d = disks(e, vm).into_iter().next()?;
    let file = d.path("backing.fileName")?.as_str()?.to_string();
    let rel = file.split("] ").nth(1)?.to_string();
    e.sim.datastore_file_bytes(&ds(e), &rel)
}

#[tokio::test]
async fn list_ovf_networks_reads_the_descriptor() {
    let e = env().await;
    put_fixture_ovf(&e);
    let r = e
        .json(
            "list_ovf_networks",
            json!({"ovf_path": "ovf/tiny.ovf", "datastore": DS}),
        )
        .await;
    let rows = r.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{r}");
    has_keys("list_ovf_networks", &rows[0]);
    assert_eq!(rows[0]["name"], "VM Network");
    assert_eq!(rows[0]["network"], "VM Network");
    // The same from the OVA.
    put(&e, "ovf/tiny.ova", &fixture("tiny.ova"));
    let r = e
        .json(
            "list_ovf_networks",
            json!({"ovf_path": "ovf/tiny.ova", "datastore": DS}),
        )
        .await;
    assert_eq!(r[0]["name"], "VM Network");
    let msg = e
        .fails(
            "list_ovf_networks",
            json!({"ovf_path": "ovf/none.ovf", "datastore": DS}),
        )
        .await;
    says(&msg, &["'[LocalDS_0] ovf/none.ovf' not found"]);
    let msg = e
        .fails(
            "list_ovf_networks",
            json!({"ovf_path": "ovf/tiny.vmdk", "datastore": DS}),
        )
        .await;
    says(&msg, &["ovf_path", ".ovf or .ova"]);
}

#[tokio::test]
async fn deploy_ovf_imports_the_vm_and_uploads_its_disk() {
    let e = env().await;
    put_fixture_ovf(&e);
    let r = e
        .json(
            "deploy_ovf",
            json!({"ovf_path": "ovf/tiny.ovf", "vm_name": "tiny-01", "datastore": DS,
                   "power_on": true}),
        )
        .await;
    has_keys("deploy_ovf", &r);
    assert_eq!(r["source"], "[LocalDS_0] ovf/tiny.ovf");
    assert_eq!(r["power_state"], "poweredOn");
    assert_eq!(e.power("tiny-01"), "poweredOn");
    assert_eq!(e.int("tiny-01", "config.hardware.memoryMB"), Some(64));
    let d = disks(&e, "tiny-01");
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].get("capacityInKB").and_then(Value::as_i64),
        Some(16 * 1024)
    );
    assert_eq!(disk_bytes(&e, "tiny-01"), Some(fixture("tiny-disk1.vmdk")));
    assert_eq!(lease_states(&e), ["done"]);
}

#[tokio::test]
async fn deploy_ovf_streams_disks_out_of_an_ova() {
    let e = env().await;
    put(&e, "ovf/tiny.ova", &fixture("tiny.ova"));
    let r = e
        .json(
            "deploy_ovf",
            json!({"ovf_path": "ovf/tiny.ova", "vm_name": "tiny-ova", "datastore": DS}),
        )
        .await;
    assert_eq!(r["disks"], 1);
    assert_eq!(r["power_state"], "poweredOff");
    assert_eq!(disk_bytes(&e, "tiny-ova"), Some(fixture("tiny-disk1.vmdk")));
    assert_eq!(lease_states(&e), ["done"]);
}

#[tokio::test]
async fn a_corrupt_ova_is_refused_and_leaves_no_vm() {
    let e = env().await;
    put(&e, "ovf/corrupt.ova", &fixture("corrupt.ova"));
    let msg = e
        .fails(
            "deploy_ovf",
            json!({"ovf_path": "ovf/corrupt.ova", "vm_name": "broken", "datastore": DS}),
        )
        .await;
    says(&msg, &["'[LocalDS_0] ovf/corrupt.ova'"]);
    assert!(
        msg.contains("corrupt") || msg.contains("not a valid OVA"),
        "{msg}"
    );
    assert!(e.sim.find("VirtualMachine", "broken").is_none());
    assert!(
        lease_states(&e).iter().all(|s| s == "error"),
        "{:?}",
        lease_states(&e)
    );
}

#[tokio::test]
async fn an_ovf_network_vcenter_lacks_is_refused_unless_mapped() {
    let e = env().await;
    let text = String::from_utf8(fixture("tiny.ovf"))
        .unwrap()
        .replace("VM Network", "Prod Net");
    put(&e, "ovf/prod.ovf", text.as_bytes());
    put(&e, "ovf/tiny-disk1.vmdk", &fixture("tiny-disk1.vmdk"));
    let args = json!({"ovf_path": "ovf/prod.ovf", "vm_name": "prod-01", "datastore": DS});
    let msg = e.fails("deploy_ovf", args.clone()).await;
    says(&msg, &["network 'Prod Net'", "VM Network"]);
    let msg = e
        .fails(
            "deploy_ovf",
            json!({"ovf_path": "ovf/prod.ovf", "vm_name": "prod-01", "datastore": DS,
                   "network": "no-such-net"}),
        )
        .await;
    says(&msg, &["Network 'no-such-net' not found", "VM Network"]);
    assert!(e.sim.find("VirtualMachine", "prod-01").is_none());
    assert!(
        lease_states(&e).is_empty(),
        "no lease before the checks pass"
    );
    let listed = e
        .json(
            "list_ovf_networks",
            json!({"ovf_path": "ovf/prod.ovf", "datastore": DS}),
        )
        .await;
    assert_eq!(listed[0]["network"], serde_json::Value::Null);
    let mut mapped = args;
    mapped["network"] = json!("DC0_DVPG0");
    e.json("deploy_ovf", mapped).await;
    assert!(e.sim.find("VirtualMachine", "prod-01").is_some());
}

#[tokio::test]
async fn deploy_ovf_refuses_a_taken_name() {
    let e = env().await;
    put_fixture_ovf(&e);
    let msg = e
        .fails(
            "deploy_ovf",
            json!({"ovf_path": "ovf/tiny.ovf", "vm_name": "DC0_H0_VM0", "datastore": DS}),
        )
        .await;
    says(&msg, &["VM 'DC0_H0_VM0' already exists"]);
    assert!(lease_states(&e).is_empty());
}

#[tokio::test]
async fn export_vm_ovf_writes_disks_and_descriptor_to_the_datastore() {
    let e = env().await;
    put_fixture_ovf(&e);
    e.json(
        "deploy_ovf",
        json!({"ovf_path": "ovf/tiny.ovf", "vm_name": "tiny-01", "datastore": DS}),
    )
    .await;
    let r = e
        .json(
            "export_vm_ovf",
            json!({"vm_name": "tiny-01", "target_path": "exports/tiny"}),
        )
        .await;
    has_keys("export_vm_ovf", &r);
    assert_eq!(r["ovf_descriptor"], "[LocalDS_0] exports/tiny/tiny-01.ovf");
    let files = r["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{r}");
    let disk_path = files[0]
        .as_str()
        .unwrap()
        .trim_start_matches("[LocalDS_0] ");
    // The exported disk is the bytes that were imported.
    assert_eq!(
        e.sim.datastore_file_bytes(&ds(&e), disk_path),
        Some(fixture("tiny-disk1.vmdk"))
    );
    let desc = e
        .sim
        .datastore_file_bytes(&ds(&e), "exports/tiny/tiny-01.ovf")
        .unwrap();
    let desc = String::from_utf8(desc).unwrap();
    let disk_name = disk_path.rsplit('/').next().unwrap();
    assert!(desc.contains(disk_name), "{desc}");
    assert_eq!(lease_states(&e), ["done", "done"]);
    // And the export deploys again.
    e.json(
        "deploy_ovf",
        json!({"ovf_path": "exports/tiny/tiny-01.ovf", "vm_name": "tiny-02", "datastore": DS}),
    )
    .await;
    assert_eq!(disk_bytes(&e, "tiny-02"), Some(fixture("tiny-disk1.vmdk")));
}

#[tokio::test]
async fn export_vm_ovf_refuses_a_running_vm() {
    let e = env().await;
    let msg = e
        .fails(
            "export_vm_ovf",
            json!({"vm_name": "DC0_H0_VM0", "target_path": "exports/vm0"}),
        )
        .await;
    says(&msg, &["VM 'DC0_H0_VM0' is powered on", "power it off"]);
    assert!(lease_states(&e).is_empty());
    let msg = e
        .fails(
            "export_vm_ovf",
            json!({"vm_name": "nope", "target_path": "exports/x"}),
        )
        .await;
    says(&msg, &["VM 'nope' not found"]);
}

#[tokio::test]
async fn a_failed_upload_aborts_the_lease() {
    let e = env().await;
    put(&e, "ovf/tiny.ovf", &fixture("tiny.ovf"));
    // No disk beside the descriptor: the import fails after ImportVApp.
    let msg = e
        .fails(
            "deploy_ovf",
            json!({"ovf_path": "ovf/tiny.ovf", "vm_name": "half", "datastore": DS}),
        )
        .await;
    says(&msg, &["'[LocalDS_0] ovf/tiny-disk1.vmdk' not found"]);
    assert_eq!(lease_states(&e), ["error"]);
    // A disk that is not a stream-optimized VMDK is refused by the lease.
    put(&e, "ovf/tiny-disk1.vmdk", &[7u8; 1536]);
    let msg = e
        .fails(
            "deploy_ovf",
            json!({"ovf_path": "ovf/tiny.ovf", "vm_name": "half2", "datastore": DS}),
        )
        .await;
    says(&msg, &["tiny-disk1.vmdk"]);
    assert_eq!(lease_states(&e), ["error", "error"]);
    for vm in ["half", "half2"] {
        assert!(
            e.sim.find("VirtualMachine", vm).is_none(),
            "{vm} was left behind"
        );
    }
}

#[tokio::test]
async fn the_examples_upload_the_fixture_package() {
    let e = env().await;
    let def = mcvsphere::tools::find("deploy_ovf").unwrap();
    for (tool, args) in def.example.setup {
        e.ok(tool, serde_json::from_str(args).unwrap()).await;
    }
    let bytes = |p: &str| e.sim.datastore_file_bytes(&ds(&e), p);
    assert_eq!(bytes("ovf/tiny.ovf"), Some(fixture("tiny.ovf")));
    assert_eq!(
        bytes("ovf/tiny-disk1.vmdk"),
        Some(fixture("tiny-disk1.vmdk"))
    );
}

#[tokio::test]
async fn an_ova_without_its_disk_is_refused_and_aborted() {
    let e = env().await;
    // The fixture OVA's first member (the descriptor) and the end blocks.
    let ova = fixture("tiny.ova");
    let size = fixture("tiny.ovf").len();
    let mut cut = ova[..512 + size.div_ceil(512) * 512].to_vec();
    cut.extend_from_slice(&[0u8; 1024]);
    put(&e, "ovf/nodisk.ova", &cut);
    let msg = e
        .fails(
            "deploy_ovf",
            json!({"ovf_path": "ovf/nodisk.ova", "vm_name": "nodisk", "datastore": DS}),
        )
        .await;
    says(&msg, &["lacks files its descriptor needs: tiny-disk1.vmdk"]);
    assert_eq!(lease_states(&e), ["error"]);
    assert!(e.sim.find("VirtualMachine", "nodisk").is_none());
}
