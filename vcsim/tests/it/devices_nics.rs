//! vCenter's rules for NICs in `ReconfigVM_Task`, over raw SOAP: distributed
//! port groups, unknown networks, a fixed NIC type, manual and duplicate MACs.

use vim25::spec::{Mac, NewNic, NicBacking, NicEdit, nic_add, nic_edit, nic_remove};
use vim25::{Data, MoRef, Value};

use crate::devices_rules::{applied, refused, str_at};
use crate::logged_in;
use testkit::vm;

const VM: &str = "DC0_H0_VM0";

fn std_nic(key: i64, net: &MoRef, mac: Mac) -> Data {
    nic_add(&NewNic {
        key,
        type_name: "VirtualE1000".into(),
        backing: NicBacking::Standard {
            network_name: "VM Network".into(),
            network: Some(net.clone()),
        },
        mac,
        start_connected: true,
        connected: false,
    })
    .expect("a NIC spec")
}

#[tokio::test]
async fn nics_on_distributed_port_groups_and_unknown_networks() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, VM);
    let pg = sim
        .find("DistributedVirtualPortgroup", "DC0_DVPG0")
        .expect("a DV port group");
    let dvs_uuid = sim
        .property(
            &sim.find("VmwareDistributedVirtualSwitch", "DVS0")
                .expect("DVS0"),
            "uuid",
        )
        .and_then(|u| u.as_str().map(str::to_string))
        .expect("a switch uuid");
    let dv = nic_add(&NewNic {
        key: -1,
        type_name: "VirtualVmxnet3".into(),
        backing: NicBacking::Distributed {
            switch_uuid: dvs_uuid.clone(),
            portgroup_key: pg.value.to_string(),
        },
        mac: Mac::Generated,
        start_connected: true,
        connected: false,
    })
    .expect("present and valid");
    // NICs hot-add.
    let l = applied(&sim, &c, &v, vec![dv]).await;
    let n = l
        .by_label("Network adapter 2")
        .expect("a second NIC")
        .clone();
    assert_eq!(
        str_at(&n, "backing.port.switchUuid"),
        Some(dvs_uuid.as_str())
    );
    assert!(
        sim.property(&v, "network")
            .is_some_and(|nets| nets.as_array().iter().any(|m| m.as_moref() == Some(&pg)))
    );
    // Unknown port group key, unknown network object, unknown name.
    let mut bad_key = nic_edit(&n, &NicEdit::default()).expect("present and valid");
    if let Some(p) = bad_key
        .path_mut("device.backing.port")
        .and_then(Value::data_mut)
    {
        p.set("portgroupKey", "dvportgroup-999");
    }
    refused(&sim, &c, &v, vec![bad_key], "InvalidDeviceBacking").await;
    let ghost = MoRef::new("Network", "network-999");
    refused(
        &sim,
        &c,
        &v,
        vec![std_nic(-1, &ghost, Mac::Generated)],
        "ManagedObjectNotFound",
    )
    .await;
    let by_name = nic_add(&NewNic {
        key: -1,
        type_name: "VirtualE1000".into(),
        backing: NicBacking::Standard {
            network_name: "No Such Network".into(),
            network: None,
        },
        mac: Mac::Generated,
        start_connected: true,
        connected: false,
    })
    .expect("present and valid");
    refused(&sim, &c, &v, vec![by_name], "NotFound").await;
    // A NIC keeps its model: no type change by edit.
    let mut retype = nic_edit(&n, &NicEdit::default()).expect("present and valid");
    if let Some(d) = retype.get_mut("device").and_then(Value::data_mut) {
        d.type_name = vim25::Name::new("VirtualE1000");
    }
    refused(&sim, &c, &v, vec![retype], "InvalidDeviceOperation").await;
    // Removing works hot; removing it again names no device.
    let l = applied(
        &sim,
        &c,
        &v,
        vec![nic_remove(&n).expect("present and valid")],
    )
    .await;
    assert_eq!(l.nics().len(), 1);
    refused(
        &sim,
        &c,
        &v,
        vec![nic_remove(&n).expect("present and valid")],
        "InvalidArgument",
    )
    .await;
}

#[tokio::test]
async fn manual_macs_must_be_in_range_and_unique() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, VM);
    let other = vm(&sim, "DC0_H0_VM1");
    let net = sim
        .find("Network", "VM Network")
        .expect("present and valid");
    let l = applied(
        &sim,
        &c,
        &v,
        vec![std_nic(-1, &net, Mac::Manual("00:50:56:00:00:01".into()))],
    )
    .await;
    let n = l
        .by_label("Network adapter 2")
        .expect("present and valid")
        .clone();
    assert_eq!(str_at(&n, "macAddress"), Some("00:50:56:00:00:01"));
    assert_eq!(str_at(&n, "addressType"), Some("manual"));
    // The same MAC on another VM, and on another NIC of this VM.
    let info = refused(
        &sim,
        &c,
        &other,
        vec![std_nic(-1, &net, Mac::Manual("00:50:56:00:00:01".into()))],
        "InvalidDeviceSpec",
    )
    .await;
    assert_eq!(
        info.path("error.fault.property").and_then(Value::as_str),
        Some("virtualDeviceSpec.device.macAddress")
    );
    let first = l
        .by_label("Network adapter 1")
        .expect("present and valid")
        .clone();
    let mut dup = nic_edit(&first, &NicEdit::default()).expect("present and valid");
    if let Some(d) = dup.get_mut("device").and_then(Value::data_mut) {
        d.set("addressType", "manual");
        d.set("macAddress", "00:50:56:00:00:01");
    }
    refused(&sim, &c, &v, vec![dup], "InvalidDeviceSpec").await;
    // Outside 00:50:56:00-3F, by edit (the builder refuses it; a careless client does not).
    let mut outside = nic_edit(&first, &NicEdit::default()).expect("present and valid");
    if let Some(d) = outside.get_mut("device").and_then(Value::data_mut) {
        d.set("addressType", "manual");
        d.set("macAddress", "00:50:56:80:00:01");
    }
    refused(&sim, &c, &v, vec![outside], "InvalidDeviceSpec").await;
}
