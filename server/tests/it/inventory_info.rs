//! The read tools of the resources family against the simulator: what the
//! endpoint is, templates, datastores, networks and resource pools, each
//! compared with the simulator's own properties, and unknown names refused
//! with the names that exist.

use serde_json::{Value as Json, json};
use testkit::{has_result_keys as has_keys, prop, prop_int, prop_str};
use vim25::{MoRef, Value};

use crate::{Env, env, env_with, says};

const DS: &str = "LocalDS_0";

fn obj(e: &Env, kind: &str, name: &str) -> MoRef {
    e.sim
        .find(kind, name)
        .unwrap_or_else(|| panic!("the simulator has a {kind} named {name}"))
}

/// The names of the objects a list property of `o` holds, sorted.
fn names_in(e: &Env, o: &MoRef, path: &str) -> Vec<String> {
    let mut names: Vec<String> = prop(&e.sim, o, path)
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(Value::as_moref)
                .map(|m| prop_str(&e.sim, m, "name"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn get_vcenter_info_is_the_simulators_about_info() {
    let e = env().await;
    let r = e.json("get_vcenter_info", json!({})).await;
    has_keys("get_vcenter_info", &r);
    let si = MoRef::new("ServiceInstance", "ServiceInstance");
    for (key, field) in [
        ("name", "name"),
        ("full_name", "fullName"),
        ("vendor", "vendor"),
        ("version", "version"),
        ("build", "build"),
        ("os_type", "osType"),
        ("api_type", "apiType"),
        ("api_version", "apiVersion"),
        ("instance_uuid", "instanceUuid"),
    ] {
        let want = prop_str(&e.sim, &si, &format!("content.about.{field}"));
        assert!(!want.is_empty(), "the simulator has about.{field}");
        assert_eq!(r[key], want, "{key}: {r}");
    }
    assert_eq!(r["api_type"], "VirtualCenter");
}

#[tokio::test]
async fn get_vcenter_info_tells_a_standalone_esxi_host_apart() {
    let config = vcsim::Config {
        personality: vcsim::Personality::Esxi,
        ..Default::default()
    };
    let e = env_with(config, Default::default()).await;
    let r = e.json("get_vcenter_info", json!({})).await;
    has_keys("get_vcenter_info", &r);
    let si = MoRef::new("ServiceInstance", "ServiceInstance");
    assert_eq!(r["api_type"], "HostAgent");
    assert_eq!(
        r["api_type"],
        prop_str(&e.sim, &si, "content.about.apiType")
    );
    assert_eq!(
        r["full_name"],
        prop_str(&e.sim, &si, "content.about.fullName")
    );
}

#[tokio::test]
async fn list_templates_lists_exactly_the_vms_marked_as_templates() {
    let e = env().await;
    assert_eq!(e.json("list_templates", json!({})).await, json!([]));
    let vm = testkit::vm(&e.sim, "DC0_H0_VM1");
    e.sim
        .set_property(&vm, "config.template", Value::from(true))
        .unwrap();
    let r = e.json("list_templates", json!({})).await;
    let list = r.as_array().unwrap();
    assert_eq!(list.len(), 1, "{r}");
    has_keys("list_templates", &list[0]);
    assert_eq!(list[0]["name"], "DC0_H0_VM1");
    assert_eq!(
        list[0]["cpu"],
        json!(prop_int(&e.sim, &vm, "config.hardware.numCPU"))
    );
    assert_eq!(
        list[0]["memory_mb"],
        json!(prop_int(&e.sim, &vm, "config.hardware.memoryMB"))
    );
    assert_eq!(
        list[0]["guest_os"],
        prop_str(&e.sim, &vm, "config.guestFullName")
    );
}

#[tokio::test]
async fn get_datastore_info_reads_capacity_space_and_vms_from_the_datastore() {
    let e = env().await;
    let r = e.json("get_datastore_info", json!({"name": DS})).await;
    has_keys("get_datastore_info", &r);
    let ds = obj(&e, "Datastore", DS);
    let gb = |b: i64| (b as f64 / 1073741824.0 * 100.0).round() / 100.0;
    let cap = prop_int(&e.sim, &ds, "summary.capacity").unwrap();
    let free = prop_int(&e.sim, &ds, "summary.freeSpace").unwrap();
    assert_eq!(r["capacity_gb"], json!(gb(cap)));
    assert_eq!(r["free_gb"], json!(gb(free)));
    assert_eq!(r["used_gb"], json!(gb(cap - free)));
    let pct = r["used_percent"].as_f64().unwrap();
    assert!(
        (pct - (cap - free) as f64 * 100.0 / cap as f64).abs() < 0.06,
        "{r}"
    );
    assert_eq!(r["type"], prop_str(&e.sim, &ds, "summary.type"));
    assert_eq!(r["url"], prop_str(&e.sim, &ds, "summary.url"));
    assert_eq!(
        r["maintenance_mode"],
        prop_str(&e.sim, &ds, "summary.maintenanceMode")
    );
    assert_eq!(r["accessible"], true);
    let vms = names_in(&e, &ds, "vm");
    assert!(!vms.is_empty(), "the default inventory's VMs live on {DS}");
    assert_eq!(r["vms"], json!(vms));
    assert_eq!(r["vm_count"], vms.len());
    assert_eq!(r["host_count"], names_in(&e, &ds, "host").len());
}

#[tokio::test]
async fn get_datastore_info_of_an_unknown_datastore_names_the_known_ones() {
    let e = env().await;
    let msg = e
        .fails("get_datastore_info", json!({"name": "no-such-ds"}))
        .await;
    says(&msg, &["Datastore 'no-such-ds' not found", DS]);
}

#[tokio::test]
async fn get_network_info_lists_the_vms_and_hosts_on_the_network() {
    let e = env().await;
    let r = e
        .json("get_network_info", json!({"name": "VM Network"}))
        .await;
    has_keys("get_network_info", &r);
    let net = obj(&e, "Network", "VM Network");
    let vms = names_in(&e, &net, "vm");
    let hosts = names_in(&e, &net, "host");
    assert!(!vms.is_empty() && !hosts.is_empty(), "VM Network is used");
    assert_eq!(r["type"], "Network");
    assert_eq!(r["vms"], json!(vms));
    assert_eq!(r["vm_count"], vms.len());
    assert_eq!(r["hosts"], json!(hosts));
    assert_eq!(r["host_count"], hosts.len());
}

#[tokio::test]
async fn get_network_info_names_a_distributed_port_group_as_such() {
    let e = env().await;
    let r = e
        .json("get_network_info", json!({"name": "DC0_DVPG0"}))
        .await;
    assert_eq!(r["type"], "DistributedVirtualPortgroup");
    let pg = obj(&e, "DistributedVirtualPortgroup", "DC0_DVPG0");
    assert_eq!(r["vm_count"], names_in(&e, &pg, "vm").len());
}

#[tokio::test]
async fn get_network_info_of_an_unknown_network_names_the_known_ones() {
    let e = env().await;
    let msg = e
        .fails("get_network_info", json!({"name": "no-such-net"}))
        .await;
    says(&msg, &["Network 'no-such-net' not found", "VM Network"]);
}

/// The pool's config and runtime as the simulator holds them.
fn pool_matches(e: &Env, r: &Json, pool: &MoRef) {
    let int = |p: &str| json!(prop_int(&e.sim, pool, p));
    assert_eq!(
        r["cpu_reservation_mhz"],
        int("config.cpuAllocation.reservation")
    );
    assert_eq!(r["cpu_limit_mhz"], int("config.cpuAllocation.limit"));
    assert_eq!(
        r["memory_reservation_mb"],
        int("config.memoryAllocation.reservation")
    );
    assert_eq!(r["memory_limit_mb"], int("config.memoryAllocation.limit"));
    assert_eq!(r["cpu_usage_mhz"], int("runtime.cpu.overallUsage"));
    assert_eq!(
        r["memory_usage_mb"],
        json!(prop_int(&e.sim, pool, "runtime.memory.overallUsage").map(|b| b / 1048576))
    );
    assert_eq!(r["vm_count"], names_in(e, pool, "vm").len());
}

#[tokio::test]
async fn get_resource_pool_info_reads_allocation_usage_and_vms_of_the_pool() {
    let e = env().await;
    let r = e
        .json("get_resource_pool_info", json!({"name": "Resources"}))
        .await;
    has_keys("get_resource_pool_info", &r);
    assert_eq!(r["name"], "Resources");
    let pool = obj(&e, "ResourcePool", "Resources");
    pool_matches(&e, &r, &pool);
    let owner = prop(&e.sim, &pool, "owner").unwrap();
    assert_eq!(
        r["owner"],
        prop_str(&e.sim, owner.as_moref().unwrap(), "name")
    );
}

#[tokio::test]
async fn get_resource_pool_info_without_a_name_reads_the_first_pool() {
    let e = env().await;
    let r = e.json("get_resource_pool_info", json!({})).await;
    has_keys("get_resource_pool_info", &r);
    let pool = e.sim.objects("ResourcePool").into_iter().next().unwrap();
    assert_eq!(r["name"], prop_str(&e.sim, &pool, "name"));
    pool_matches(&e, &r, &pool);
}

#[tokio::test]
async fn get_resource_pool_info_of_an_unknown_pool_names_the_known_ones() {
    let e = env().await;
    let msg = e
        .fails("get_resource_pool_info", json!({"name": "no-such-pool"}))
        .await;
    says(
        &msg,
        &["Resource pool 'no-such-pool' not found", "Resources"],
    );
}
