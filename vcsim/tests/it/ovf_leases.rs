//! HttpNfcLease failures (issue 13): an aborted lease removes its
//! half-imported VM and refuses uploads and calls; a disk stream that is not
//! a stream-optimized VMDK fails the lease; a VM that cannot be made leaves
//! the lease in `error` with the fault; uploads need a session.

use vim25::{Request, Value};

use crate::ovf_import::{
    TINY_OVF, TINY_VMDK, cisp, cookie, http, import_spec, import_tiny, settled, urls,
};
use crate::{cluster_pool, fault_type, logged_in, vm_folder};
use testkit::{prop_str, says};

#[tokio::test]
async fn issue_13_an_aborted_lease_removes_the_vm_and_refuses_uploads() {
    let (sim, c) = logged_in().await;
    let (lease, _) = import_tiny(&c, &sim, "aborted").await;
    let vm = sim
        .property(&lease, "info.entity")
        .and_then(|v| v.as_moref().cloned())
        .expect("the VM");
    let url = urls(&sim, &lease)[0].0.clone();
    c.ok(Request::new("HttpNfcLeaseAbort", &lease)).await;
    assert_eq!(prop_str(&sim, &lease, "state"), "error");
    assert!(
        sim.property(&vm, "name").is_none(),
        "the half-imported VM is gone"
    );
    let r = http()
        .put(&url)
        .header("Cookie", cookie(&c))
        .body(TINY_VMDK.to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status().as_u16(), 409);
    says(&r.text().await.unwrap_or_default(), &["error", "not ready"]);
    let r = c
        .check(Request::new("HttpNfcLeaseProgress", &lease).arg("percent", 10))
        .await;
    assert_eq!(fault_type(&r), "InvalidState");
    if let Err(f) = &r {
        says(&f.to_string(), &["is error", "not ready"]);
    }
}

#[tokio::test]
async fn issue_13_a_corrupt_disk_stream_fails_the_lease() {
    let (sim, c) = logged_in().await;
    let (lease, _) = import_tiny(&c, &sim, "corrupt").await;
    let url = urls(&sim, &lease)[0].0.clone();
    let r = http()
        .put(&url)
        .header("Cookie", cookie(&c))
        .body(vec![7u8; 4096])
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status().as_u16(), 400);
    says(
        &r.text().await.unwrap_or_default(),
        &["not a stream-optimized VMDK", "KDMV"],
    );
    assert_eq!(prop_str(&sim, &lease, "state"), "error");
    // No cookie, no upload.
    let r = http()
        .put(&url)
        .body(TINY_VMDK.to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status().as_u16(), 401);
    // Importing a name the folder has is refused before any lease.
    let r = import_spec(&c, &sim, TINY_OVF, cisp("DC0_H0_VM0", None, "thin")).await;
    let spec = r.path("importSpec").cloned().expect("spec");
    let r = c
        .check(
            Request::new("ImportVApp", &cluster_pool(&sim))
                .arg("spec", spec)
                .arg("folder", vm_folder(&sim)),
        )
        .await;
    assert_eq!(fault_type(&r), "DuplicateName");
}

#[tokio::test]
async fn issue_13_a_vm_that_cannot_be_made_puts_the_lease_in_error() {
    let (sim, c) = logged_in().await;
    let r = import_spec(&c, &sim, TINY_OVF, cisp("broken", None, "thin")).await;
    let mut spec = r.path("importSpec").cloned().expect("spec");
    // Attach an existing disk file that is not there instead of creating one.
    let changes = spec
        .data_mut()
        .and_then(|d| d.path_mut("configSpec.deviceChange"))
        .and_then(Value::array_mut)
        .expect("deviceChange");
    for ch in changes.iter_mut().filter_map(Value::data_mut) {
        if ch.remove("fileOperation").is_some()
            && let Some(b) = ch.path_mut("device.backing").and_then(Value::data_mut)
        {
            b.set("fileName", "[LocalDS_0] nowhere/nothing.vmdk");
        }
    }
    let lease = c
        .ok(Request::new("ImportVApp", &cluster_pool(&sim))
            .arg("spec", spec)
            .arg("folder", vm_folder(&sim)))
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("a lease");
    assert_eq!(settled(&sim, &lease).await, "error");
    let err = sim
        .property(&lease, "error")
        .and_then(|e| e.as_data().cloned())
        .expect("the lease's error");
    assert_eq!(err.type_name.as_str(), "FileNotFound");
    assert!(
        sim.find("VirtualMachine", "broken").is_none(),
        "no VM was left behind"
    );
}
