//! OVF import (issue 13): `ParseDescriptor`, `ValidateHost`,
//! `CreateImportSpec` (networks mapped, provisioning, problems in the
//! result), `ImportVApp` → an HttpNfcLease (initializing → ready → done or
//! error) whose disk URL takes the fixture's stream-optimized VMDK, which
//! lands on the datastore.

use vim25::{Data, MoRef, Request, Value};

use crate::{Client, cluster_pool, fault_type, logged_in, mo, vm_folder};
use testkit::{eventually, prop_str, says};

pub(crate) const TINY_OVF: &str = include_str!("../../../fixtures/ovf/tiny.ovf");
pub(crate) const TINY_VMDK: &[u8] = include_bytes!("../../../fixtures/ovf/tiny-disk1.vmdk");

pub(crate) fn ovf_manager() -> MoRef {
    mo("OvfManager", "OvfManager")
}

fn messages(v: &Value, list: &str) -> Vec<String> {
    v.path(list)
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.path("faultMessage"))
        .flat_map(|m| m.as_array().to_vec())
        .filter_map(|m| {
            m.path("message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

pub(crate) fn cisp(name: &str, net: Option<(&str, &MoRef)>, prov: &str) -> Data {
    let mut d = Data::new("OvfCreateImportSpecParams")
        .with("locale", "")
        .with("deploymentOption", "")
        .with("entityName", name)
        .with("diskProvisioning", prov);
    if let Some((n, m)) = net {
        d.set(
            "networkMapping",
            vec![
                Data::new("OvfNetworkMapping")
                    .with("name", n)
                    .with("network", m),
            ],
        );
    }
    d
}

pub(crate) async fn import_spec(c: &Client, sim: &vcsim::Simulator, ovf: &str, p: Data) -> Value {
    let ds = sim.find("Datastore", "LocalDS_0").expect("LocalDS_0");
    c.ok(Request::new("CreateImportSpec", &ovf_manager())
        .arg("ovfDescriptor", ovf)
        .arg("resourcePool", cluster_pool(sim))
        .arg("datastore", &ds)
        .arg("cisp", p))
        .await
        .expect("a result")
}

/// Waits for a lease to leave `initializing`; its state.
pub(crate) async fn settled(sim: &vcsim::Simulator, lease: &MoRef) -> String {
    eventually("the lease initializing", || {
        prop_str(sim, lease, "state") != "initializing"
    })
    .await;
    prop_str(sim, lease, "state")
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .build()
        .expect("a plain-HTTP client builds")
}

pub(crate) fn cookie(c: &Client) -> String {
    format!(
        "vmware_soap_session={}",
        c.cookie().expect("a session cookie")
    )
}

/// The lease's device URLs: (url, importKey, key).
pub(crate) fn urls(sim: &vcsim::Simulator, lease: &MoRef) -> Vec<(String, String, String)> {
    sim.property(lease, "info.deviceUrl")
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default()
        .iter()
        .map(|u| {
            let s = |k: &str| {
                u.path(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            (s("url"), s("importKey"), s("key"))
        })
        .collect()
}

/// Imports the tiny fixture as `name`: the lease, once ready.
pub(crate) async fn import_tiny(c: &Client, sim: &vcsim::Simulator, name: &str) -> (MoRef, Value) {
    let r = import_spec(c, sim, TINY_OVF, cisp(name, None, "thin")).await;
    let spec = r.path("importSpec").cloned().expect("an import spec");
    let lease = c
        .ok(Request::new("ImportVApp", &cluster_pool(sim))
            .arg("spec", spec)
            .arg("folder", vm_folder(sim)))
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("a lease");
    assert_eq!(settled(sim, &lease).await, "ready");
    (lease, r)
}

#[tokio::test]
async fn issue_13_parse_descriptor_and_validate_host_read_the_fixture() {
    let (sim, c) = logged_in().await;
    let r = c
        .ok(Request::new("ParseDescriptor", &ovf_manager())
            .arg("ovfDescriptor", TINY_OVF)
            .arg(
                "pdp",
                Data::new("OvfParseDescriptorParams")
                    .with("locale", "")
                    .with("deploymentOption", ""),
            ))
        .await
        .expect("a result");
    assert_eq!(
        r.path("defaultEntityName").and_then(Value::as_str),
        Some("tiny")
    );
    assert_eq!(
        r.path("annotation").and_then(Value::as_str),
        Some("Imported from the tiny fixture")
    );
    assert_eq!(
        r.path("approximateFlatDeploymentSize")
            .and_then(Value::as_i64),
        Some(16 << 20)
    );
    assert_eq!(
        r.path("approximateDownloadSize").and_then(Value::as_i64),
        Some(TINY_VMDK.len() as i64)
    );
    let nets: Vec<_> = r
        .path("network")
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.path("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    assert_eq!(nets, ["VM Network"]);
    let host = sim.find("HostSystem", "DC0_C0_H0").expect("host");
    let v = c
        .ok(Request::new("ValidateHost", &ovf_manager())
            .arg("ovfDescriptor", TINY_OVF)
            .arg("host", &host)
            .arg(
                "vhp",
                Data::new("OvfValidateHostParams")
                    .with("locale", "")
                    .with("deploymentOption", ""),
            ))
        .await
        .expect("a result");
    assert!(v.path("error").is_none());
    assert_eq!(
        v.path("flatDeploymentSize").and_then(Value::as_i64),
        Some(16 << 20)
    );
    // A host in maintenance mode cannot take it.
    sim.set_property(&host, "runtime.inMaintenanceMode", Value::Bool(true))
        .expect("maintenance");
    let v = c
        .ok(Request::new("ValidateHost", &ovf_manager())
            .arg("ovfDescriptor", TINY_OVF)
            .arg("host", &host)
            .arg(
                "vhp",
                Data::new("OvfValidateHostParams")
                    .with("locale", "")
                    .with("deploymentOption", ""),
            ))
        .await
        .expect("a result");
    says(
        &messages(&v, "error").join(" "),
        &["DC0_C0_H0", "maintenance mode"],
    );
    // Not XML: the problem is in the result, named.
    let bad = c
        .ok(Request::new("ParseDescriptor", &ovf_manager())
            .arg("ovfDescriptor", "this is <not xml")
            .arg(
                "pdp",
                Data::new("OvfParseDescriptorParams")
                    .with("locale", "")
                    .with("deploymentOption", ""),
            ))
        .await
        .expect("a result");
    says(
        &messages(&bad, "error").join(" "),
        &["OVF descriptor is invalid"],
    );
}

#[tokio::test]
async fn issue_13_create_import_spec_maps_networks_and_provisions_disks() {
    let (sim, c) = logged_in().await;
    let pg = sim
        .find("DistributedVirtualPortgroup", "DC0_DVPG0")
        .expect("portgroup");
    let r = import_spec(
        &c,
        &sim,
        TINY_OVF,
        cisp("mapped", Some(("VM Network", &pg)), "thick"),
    )
    .await;
    assert!(r.path("error").is_none(), "{r:?}");
    let cfg = r
        .path("importSpec.configSpec")
        .and_then(Value::as_data)
        .cloned()
        .expect("configSpec");
    assert_eq!(cfg.get("name").and_then(Value::as_str), Some("mapped"));
    assert_eq!(cfg.get("memoryMB").and_then(Value::as_i64), Some(64));
    let devs: Vec<Data> = cfg
        .get("deviceChange")
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.path("device").and_then(Value::as_data).cloned())
        .collect();
    let kinds: Vec<&str> = devs.iter().map(|d| d.type_name.as_str()).collect();
    assert_eq!(
        kinds,
        ["VirtualLsiLogicController", "VirtualDisk", "VirtualE1000"]
    );
    assert_eq!(
        testkit::flag(&devs[1], "backing.thinProvisioned"),
        Some(false)
    );
    assert_eq!(
        devs[2].path("backing.network").and_then(Value::as_moref),
        Some(&pg)
    );
    let items = r
        .path("fileItem")
        .map(Value::as_array)
        .unwrap_or_default()
        .to_vec();
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].path("path").and_then(Value::as_str),
        Some("tiny-disk1.vmdk")
    );
    assert_eq!(
        items[0].path("deviceId").and_then(Value::as_str),
        Some("/mapped/VirtualLsiLogicController0:0")
    );
}

#[tokio::test]
async fn issue_13_an_unknown_network_or_provisioning_is_reported_by_create_import_spec() {
    let (sim, c) = logged_in().await;
    let ovf = TINY_OVF.replace("VM Network", "Lab Network");
    let r = import_spec(&c, &sim, &ovf, cisp("lab", None, "thin")).await;
    let w = messages(&r, "warning").join(" ");
    says(&w, &["Lab Network", "not mapped", "VM Network"]);
    assert_eq!(
        r.path("warning")
            .map(Value::as_array)
            .and_then(|a| a.first().and_then(Value::as_data))
            .map(|d| d.type_name.as_str()),
        Some("OvfNetworkMappingNotSupported")
    );
    assert!(
        r.path("importSpec").is_some(),
        "a warning leaves the spec usable"
    );
    let r = import_spec(&c, &sim, TINY_OVF, cisp("x", None, "diagonal")).await;
    says(
        &messages(&r, "error").join(" "),
        &["diagonal", "not supported"],
    );
    assert!(r.path("importSpec").is_none(), "an error leaves no spec");
}

#[tokio::test]
async fn issue_13_import_vapp_uploads_the_disk_onto_the_datastore_and_completes() {
    let (sim, c) = logged_in().await;
    let local = sim.find("Datastore", "LocalDS_0").expect("LocalDS_0");
    let (lease, _) = import_tiny(&c, &sim, "imported").await;
    let vm = sim
        .property(&lease, "info.entity")
        .and_then(|v| v.as_moref().cloned())
        .expect("the VM");
    assert_eq!(prop_str(&sim, &vm, "name"), "imported");
    let devs = sim
        .property(&vm, "config.hardware.device")
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default();
    let kinds: Vec<String> = devs
        .iter()
        .filter_map(|d| d.as_data())
        .map(|d| d.type_name.to_string())
        .collect();
    for k in ["VirtualLsiLogicController", "VirtualDisk", "VirtualE1000"] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
    let u = urls(&sim, &lease);
    assert_eq!(u.len(), 1);
    assert_eq!(
        u[0].1, "/imported/VirtualLsiLogicController0:0",
        "importKey names the fileItem"
    );
    let r = http()
        .put(&u[0].0)
        .header("Cookie", cookie(&c))
        .body(TINY_VMDK.to_vec())
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status().as_u16(), 200, "{:?}", r.text().await);
    let disk = sim
        .datastore_files(&local, "imported/")
        .into_iter()
        .find(|(p, _)| p.ends_with(".vmdk"))
        .expect("the disk file");
    assert_eq!(
        sim.datastore_file_bytes(&local, &disk.0).as_deref(),
        Some(TINY_VMDK),
        "the upload is the disk"
    );
    assert_eq!(
        disk.1.size,
        TINY_VMDK.len() as i64,
        "a thin disk takes what was written"
    );
    assert_eq!(disk.1.capacity, 16 << 20);
    c.ok(Request::new("HttpNfcLeaseProgress", &lease).arg("percent", 50))
        .await;
    assert_eq!(
        testkit::prop_int(&sim, &lease, "transferProgress"),
        Some(50)
    );
    let m = c
        .ok(Request::new("HttpNfcLeaseGetManifest", &lease))
        .await
        .expect("manifest");
    let e = m.as_array().first().cloned().expect("an entry");
    assert_eq!(
        e.path("size").and_then(Value::as_i64),
        Some(TINY_VMDK.len() as i64)
    );
    assert_eq!(
        e.path("sha1").and_then(Value::as_str).map(str::len),
        Some(40)
    );
    c.ok(Request::new("HttpNfcLeaseComplete", &lease)).await;
    assert_eq!(prop_str(&sim, &lease, "state"), "done");
    assert!(sim.property(&vm, "name").is_some(), "the imported VM stays");
    let r = c.check(Request::new("HttpNfcLeaseComplete", &lease)).await;
    assert_eq!(fault_type(&r), "InvalidState");
}

/// A USTAR header's checksum: the bytes summed with the checksum field as spaces.
fn tar_checksum_ok(h: &[u8]) -> bool {
    let stored = std::str::from_utf8(&h[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let sum: u32 = h
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    stored == Some(sum)
}

#[test]
fn issue_13_the_ova_fixture_is_a_tar_with_the_descriptor_first_and_the_corrupt_one_is_not() {
    let ova = include_bytes!("../../../fixtures/ovf/tiny.ova");
    assert_eq!(&ova[0..8], b"tiny.ovf");
    assert_eq!(&ova[257..262], b"ustar");
    assert!(tar_checksum_ok(&ova[0..512]));
    let size = usize::from_str_radix(std::str::from_utf8(&ova[124..135]).expect("octal"), 8)
        .expect("size");
    assert_eq!(
        &ova[512..512 + size],
        TINY_OVF.as_bytes(),
        "the OVA's descriptor is tiny.ovf"
    );
    let bad = include_bytes!("../../../fixtures/ovf/corrupt.ova");
    assert!(
        !tar_checksum_ok(&bad[0..512]),
        "the corrupt OVA's first header is broken"
    );
    assert!(bad.len() < ova.len(), "and it is cut short");
}
