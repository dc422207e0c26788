//! nic_management tools against the simulator: each change is read back
//! from the simulator's own device list.

use serde_json::json;
use vim25::Data;
use vim25::devices::DeviceList;

use crate::{Env, env, says};
use testkit::{flag, has_result_keys as has_keys, str_at};

const VM: &str = "DC0_H0_VM0";
const NIC1: &str = "Network adapter 1";

fn devices(e: &Env, vm: &str) -> DeviceList {
    e.vm_prop(vm, "config.hardware.device")
        .map(|v| DeviceList::from_value(&v))
        .unwrap_or_default()
}

fn nic(e: &Env, vm: &str, label: &str) -> Data {
    devices(e, vm)
        .by_label(label)
        .cloned()
        .unwrap_or_else(|| panic!("{vm} has no {label}"))
}

#[tokio::test]
async fn add_nic_on_standard_and_distributed_port_groups() {
    let e = env().await;
    let r = e
        .json(
            "add_nic",
            json!({"vm_name": VM, "network": "DC0_DVPG0", "nic_type": "e1000e", "start_connected": false}),
        )
        .await;
    has_keys("add_nic", &r);
    let n = nic(&e, VM, "Network adapter 2");
    assert_eq!(n.type_name.as_str(), "VirtualE1000e");
    assert_eq!(str_at(&n, "macAddress"), r["mac_address"].as_str());
    assert!(r["mac_address"].as_str().unwrap().starts_with("00:50:56:"));
    let pg = e
        .sim
        .find("DistributedVirtualPortgroup", "DC0_DVPG0")
        .unwrap();
    assert_eq!(
        str_at(&n, "backing.port.portgroupKey"),
        Some(pg.value.as_str())
    );
    assert_eq!(flag(&n, "connectable.startConnected"), Some(false));
    e.json("add_nic", json!({"vm_name": VM, "network": "VM Network"}))
        .await;
    let n3 = nic(&e, VM, "Network adapter 3");
    assert_eq!(n3.type_name.as_str(), "VirtualVmxnet3");
    assert_eq!(str_at(&n3, "backing.deviceName"), Some("VM Network"));
    assert!(testkit::has_event(&e.sim, "VmReconfiguredEvent"));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn add_nic_failures() {
    let e = env().await;
    says(
        &e.fails("add_nic", json!({"vm_name": VM, "network": "NoSuchNet"}))
            .await,
        &["Network 'NoSuchNet' not found"],
    );
    says(
        &e.fails(
            "add_nic",
            json!({"vm_name": VM, "network": "VM Network", "nic_type": "rtl8139"}),
        )
        .await,
        &[
            "Unknown nic_type 'rtl8139'",
            "vmxnet3, e1000, e1000e, vmxnet2",
        ],
    );
    says(
        &e.fails(
            "add_nic",
            json!({"vm_name": "ghost", "network": "VM Network"}),
        )
        .await,
        &["VM 'ghost' not found"],
    );
    assert_eq!(devices(&e, VM).nics().len(), 1);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn list_nics_matches_the_device_list() {
    let e = env().await;
    e.json("add_nic", json!({"vm_name": VM, "network": "DC0_DVPG0"}))
        .await;
    let r = e.json("list_nics", json!({"vm_name": VM})).await;
    let items = r.as_array().unwrap();
    let l = devices(&e, VM);
    assert_eq!(items.len(), 2);
    for (it, d) in items.iter().zip(l.nics()) {
        has_keys("list_nics", it);
        assert_eq!(it["label"].as_str(), str_at(d, "deviceInfo.label"));
        assert_eq!(it["mac_address"].as_str(), str_at(d, "macAddress"));
        assert_eq!(it["mac_type"].as_str(), str_at(d, "addressType"));
        assert_eq!(it["connected"].as_bool(), flag(d, "connectable.connected"));
    }
    assert_eq!(items[0]["network"], "VM Network");
    assert_eq!(items[0]["type"], "vmxnet3");
    assert_eq!(items[1]["network"], "DC0_DVPG0");
    says(
        &e.fails("list_nics", json!({"vm_name": "ghost"})).await,
        &["VM 'ghost' not found"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn remove_nic_by_label() {
    let e = env().await;
    let before = nic(&e, VM, NIC1);
    let r = e
        .json("remove_nic", json!({"vm_name": VM, "nic_label": NIC1}))
        .await;
    has_keys("remove_nic", &r);
    assert_eq!(r["mac_address"].as_str(), str_at(&before, "macAddress"));
    assert_eq!(r["network"], "VM Network");
    assert!(devices(&e, VM).nics().is_empty());
    says(
        &e.fails("remove_nic", json!({"vm_name": VM, "nic_label": NIC1}))
            .await,
        &[
            VM,
            "no network adapter labelled 'Network adapter 1'",
            "it has no network adapters",
        ],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn change_nic_network_moves_the_adapter() {
    let e = env().await;
    let mac = str_at(&nic(&e, VM, NIC1), "macAddress").map(str::to_string);
    let r = e
        .json(
            "change_nic_network",
            json!({"vm_name": VM, "nic_label": NIC1, "new_network": "DC0_DVPG0"}),
        )
        .await;
    has_keys("change_nic_network", &r);
    assert_eq!(r["old_network"], "VM Network");
    let n = nic(&e, VM, NIC1);
    let pg = e
        .sim
        .find("DistributedVirtualPortgroup", "DC0_DVPG0")
        .unwrap();
    assert_eq!(
        str_at(&n, "backing.port.portgroupKey"),
        Some(pg.value.as_str())
    );
    assert_eq!(str_at(&n, "macAddress").map(str::to_string), mac);
    says(
        &e.fails(
            "change_nic_network",
            json!({"vm_name": VM, "nic_label": NIC1, "new_network": "NoSuchNet"}),
        )
        .await,
        &["Network 'NoSuchNet' not found"],
    );
    says(
        &e.fails(
            "change_nic_network",
            json!({"vm_name": VM, "nic_label": "Network adapter 4", "new_network": "VM Network"}),
        )
        .await,
        &["no network adapter labelled 'Network adapter 4'", NIC1],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn connect_nic_sets_the_connection_flags() {
    let e = env().await;
    let r = e
        .json(
            "connect_nic",
            json!({"vm_name": VM, "nic_label": NIC1, "connected": true}),
        )
        .await;
    has_keys("connect_nic", &r);
    let n = nic(&e, VM, NIC1);
    assert_eq!(flag(&n, "connectable.connected"), Some(true));
    assert_eq!(flag(&n, "connectable.startConnected"), Some(true));
    e.json(
        "connect_nic",
        json!({"vm_name": VM, "nic_label": NIC1, "connected": false}),
    )
    .await;
    let n = nic(&e, VM, NIC1);
    assert_eq!(flag(&n, "connectable.connected"), Some(false));
    assert_eq!(flag(&n, "connectable.startConnected"), Some(false));
    says(
        &e.fails("connect_nic", json!({"vm_name": VM, "nic_label": "nic0"}))
            .await,
        &["no network adapter labelled 'nic0'", NIC1],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn set_nic_mac_sets_a_manual_mac() {
    let e = env().await;
    let old = str_at(&nic(&e, VM, NIC1), "macAddress").map(str::to_string);
    let r = e
        .json(
            "set_nic_mac",
            json!({"vm_name": VM, "nic_label": NIC1, "mac_address": "00:50:56:0A:0B:0C"}),
        )
        .await;
    has_keys("set_nic_mac", &r);
    assert_eq!(r["old_mac"].as_str().map(str::to_string), old);
    let n = nic(&e, VM, NIC1);
    assert_eq!(str_at(&n, "macAddress"), Some("00:50:56:0a:0b:0c"));
    assert_eq!(str_at(&n, "addressType"), Some("manual"));
    // Outside the manual range, and one another VM's adapter already has.
    says(
        &e.fails(
            "set_nic_mac",
            json!({"vm_name": VM, "nic_label": NIC1, "mac_address": "00:50:56:40:00:01"}),
        )
        .await,
        &["00:50:56:40:00:01", "manual MACs must lie in"],
    );
    says(
        &e.fails(
            "set_nic_mac",
            json!({"vm_name": "DC0_H0_VM1", "nic_label": NIC1, "mac_address": "00:50:56:0a:0b:0c"}),
        )
        .await,
        &["DC0_H0_VM1", "00:50:56:0a:0b:0c", "already in use"],
    );
    assert_eq!(
        str_at(&nic(&e, "DC0_H0_VM1", NIC1), "addressType"),
        Some("generated")
    );
    e.sim.shutdown().await;
}
