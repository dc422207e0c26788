//! OVF export (issue 13): `ExportVm` → a lease with a download URL per
//! disk, the bytes served (what an import wrote, or an empty
//! stream-optimized disk), `CreateDescriptor` of the VM, and the refusals.

use vim25::{Data, Request, Value};

use crate::ovf_import::{TINY_VMDK, cookie, http, import_tiny, ovf_manager, settled, urls};
use crate::{fault_type, logged_in};
use testkit::{prop_str, says, vm, wait_task};

#[tokio::test]
async fn issue_13_export_serves_what_the_import_wrote_and_describes_the_vm() {
    let (sim, c) = logged_in().await;
    let (lease, _) = import_tiny(&c, &sim, "roundtrip").await;
    let url = urls(&sim, &lease)[0].0.clone();
    let r = http()
        .put(&url)
        .header("Cookie", cookie(&c))
        .body(TINY_VMDK.to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status().as_u16(), 200);
    c.ok(Request::new("HttpNfcLeaseComplete", &lease)).await;
    let v = vm(&sim, "roundtrip");

    let out = c
        .ok(Request::new("ExportVm", &v))
        .await
        .and_then(|l| l.as_moref().cloned())
        .expect("a lease");
    assert_eq!(settled(&sim, &out).await, "ready");
    let u = urls(&sim, &out);
    assert_eq!(u.len(), 1);
    let (url, import_key, key) = u[0].clone();
    assert!(import_key.is_empty(), "an export has no import keys");
    let r = http()
        .get(&url)
        .header("Cookie", cookie(&c))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.expect("body").to_vec();
    assert_eq!(bytes, TINY_VMDK, "the download is the uploaded disk");
    let m = c
        .ok(Request::new("HttpNfcLeaseGetManifest", &out))
        .await
        .expect("manifest");
    assert_eq!(
        m.as_array()[0].path("key").and_then(Value::as_str),
        Some(key.as_str())
    );
    assert_eq!(
        m.as_array()[0].path("size").and_then(Value::as_i64),
        Some(TINY_VMDK.len() as i64)
    );

    let file = Data::new("OvfFile")
        .with("deviceId", key.as_str())
        .with("path", "roundtrip-disk1.vmdk")
        .with("size", bytes.len() as i64);
    let d = c
        .ok(Request::new("CreateDescriptor", &ovf_manager())
            .arg("obj", &v)
            .arg(
                "cdp",
                Data::new("OvfCreateDescriptorParams")
                    .with("ovfFiles", vec![file])
                    .with("name", "roundtrip"),
            ))
        .await
        .expect("a descriptor");
    let text = d
        .path("ovfDescriptor")
        .and_then(Value::as_str)
        .expect("ovfDescriptor")
        .to_string();
    assert!(
        text.contains("roundtrip-disk1.vmdk") && text.contains("VM Network"),
        "{text}"
    );
    let p = c
        .ok(Request::new("ParseDescriptor", &ovf_manager())
            .arg("ovfDescriptor", text.as_str())
            .arg(
                "pdp",
                Data::new("OvfParseDescriptorParams")
                    .with("locale", "")
                    .with("deploymentOption", ""),
            ))
        .await
        .expect("parses");
    assert!(p.path("error").is_none(), "{p:?}");
    assert_eq!(
        p.path("approximateFlatDeploymentSize")
            .and_then(Value::as_i64),
        Some(16 << 20)
    );
    assert_eq!(
        p.path("defaultEntityName").and_then(Value::as_str),
        Some("roundtrip")
    );
    c.ok(Request::new("HttpNfcLeaseComplete", &out)).await;
    assert_eq!(prop_str(&sim, &out, "state"), "done");
    let r = http()
        .get(&url)
        .header("Cookie", cookie(&c))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 409, "a finished lease serves nothing");
}

#[tokio::test]
async fn issue_13_an_unwritten_disk_exports_as_an_empty_stream() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM1");
    let r = c.check(Request::new("ExportVm", &v)).await;
    assert_eq!(
        fault_type(&r),
        "InvalidPowerState",
        "a running VM is not exported"
    );
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    let lease = c
        .ok(Request::new("ExportVm", &v))
        .await
        .and_then(|l| l.as_moref().cloned())
        .expect("lease");
    assert_eq!(settled(&sim, &lease).await, "ready");
    let cap = sim
        .property(&lease, "info.deviceUrl")
        .and_then(|u| {
            u.as_array()
                .first()
                .and_then(|d| d.path("fileSize").and_then(Value::as_i64))
        })
        .expect("fileSize");
    let url = urls(&sim, &lease)[0].0.clone();
    let bytes = http()
        .get(&url)
        .header("Cookie", cookie(&c))
        .send()
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body")
        .to_vec();
    assert_eq!(&bytes[0..4], b"KDMV", "a stream-optimized VMDK");
    let sectors = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    assert_eq!(sectors * 512, cap as u64, "of the disk's capacity");
    let r = http()
        .get(url.replace("disk-0", "disk-9"))
        .header("Cookie", cookie(&c))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 404);
    says(
        &r.text().await.unwrap_or_default(),
        &["no file disk-9.vmdk", "disk-0.vmdk"],
    );
    c.ok(Request::new("HttpNfcLeaseAbort", &lease)).await;
    assert!(
        sim.property(&v, "name").is_some(),
        "aborting an export keeps the VM"
    );
    let r = c
        .check(
            Request::new("CreateDescriptor", &ovf_manager())
                .arg("obj", sim.find("Datastore", "LocalDS_0").expect("ds")),
        )
        .await;
    assert_eq!(fault_type(&r), "NotSupported");
}
