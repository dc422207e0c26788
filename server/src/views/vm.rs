//! Reads of virtual machines: the paths fetched and the JSON made of them,
//! for `list_vms`, `get_vm_info`, the power tools' state checks, cloning and
//! the `esxi://vms` resource.

use std::collections::HashMap;

use serde_json::{Map, Value as Json, json};
use vim25::devices::DeviceList;
use vim25::{Data, MoRef, Value};

use crate::error::VsError;
use crate::vsphere::{Client, NAME, Obj, PropSet};

const KIND: &str = "VirtualMachine";

/// The inventory listing (`list_vms`, `esxi://vms`).
pub const LIST: PropSet = PropSet {
    kind: KIND,
    paths: &[
        "name",
        "runtime.powerState",
        "config.hardware.numCPU",
        "config.hardware.memoryMB",
        "config.guestFullName",
        "config.template",
    ],
};

/// One VM in full (`get_vm_info`).
pub const INFO: PropSet = PropSet {
    kind: KIND,
    paths: &[
        "name",
        "runtime.powerState",
        "runtime.host",
        "config.hardware.numCPU",
        "config.hardware.memoryMB",
        "config.hardware.device",
        "config.guestFullName",
        "config.guestId",
        "config.uuid",
        "config.instanceUuid",
        "config.annotation",
        "config.template",
        "datastore",
        "network",
        "guest.ipAddress",
        "guest.hostName",
        "guest.toolsStatus",
        "guest.toolsVersion",
    ],
};

/// Power and VMware Tools state, checked before power and guest requests.
pub const STATE: PropSet = PropSet {
    kind: KIND,
    paths: &[
        "runtime.powerState",
        "guest.toolsRunningStatus",
        "guest.toolsStatus",
    ],
};

/// Where a clone's source lives.
pub const CLONE_SOURCE: PropSet = PropSet {
    kind: KIND,
    paths: &["parent", "resourcePool", "config.template"],
};

/// Every VM with [`LIST`], sorted by name.
pub async fn list(client: &Client) -> Result<Vec<Obj>, VsError> {
    let mut vms = client.list(KIND, &LIST).await?;
    vms.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(vms)
}

/// A VM in the resource listing: name, power state, vCPUs, memory, guest OS.
pub fn summary_json(o: &Obj) -> Json {
    json!({
        "name": o.name(),
        "power_state": o.str("runtime.powerState"),
        "cpu": o.i64("config.hardware.numCPU"),
        "memory_mb": o.i64("config.hardware.memoryMB"),
        "guest_os": o.str("config.guestFullName"),
    })
}

/// A VM in `list_vms`: the summary and whether it is a template.
pub fn list_json(o: &Obj) -> Json {
    let mut m = match summary_json(o) {
        Json::Object(m) => m,
        _ => Map::new(),
    };
    m.insert(
        "template".into(),
        json!(o.bool("config.template").unwrap_or(false)),
    );
    Json::Object(m)
}

/// `get_vm_info`'s object: [`INFO`] plus the names of the host, datastores
/// and networks the VM refers to (one more round trip for all of them).
pub async fn info(client: &Client, vm: &MoRef) -> Result<Json, VsError> {
    let o = client.properties(vm, &INFO).await?;
    info_of(client, &o).await
}

/// [`info`] of a VM whose [`INFO`] paths were already read.
pub async fn info_of(client: &Client, o: &Obj) -> Result<Json, VsError> {
    let mut refs: Vec<MoRef> = o.moref("runtime.host").into_iter().cloned().collect();
    refs.extend(o.morefs("datastore"));
    refs.extend(o.morefs("network"));
    let names: HashMap<MoRef, String> = client
        .properties_of(&refs, &NAME)
        .await?
        .into_iter()
        .map(|n| (n.moref.clone(), n.name().to_string()))
        .collect();
    let name_of = |m: &MoRef| names.get(m).cloned();
    let devices = o
        .get("config.hardware.device")
        .map(DeviceList::from_value)
        .unwrap_or_default();
    let disks: Vec<Json> = devices.disks().into_iter().map(disk_json).collect();
    let nics: Vec<Json> = devices
        .nics()
        .into_iter()
        .map(|d| nic_json(d, &names))
        .collect();
    Ok(json!({
        "name": o.name(),
        "power_state": o.str("runtime.powerState"),
        "cpu": o.i64("config.hardware.numCPU"),
        "memory_mb": o.i64("config.hardware.memoryMB"),
        "guest_os": o.str("config.guestFullName"),
        "guest_id": o.str("config.guestId"),
        "uuid": o.str("config.uuid"),
        "instance_uuid": o.str("config.instanceUuid"),
        "host": o.moref("runtime.host").and_then(name_of),
        "datastore": o.morefs("datastore").iter().filter_map(name_of).collect::<Vec<_>>(),
        "ip_address": o.str("guest.ipAddress"),
        "hostname": o.str("guest.hostName"),
        "tools_status": o.str("guest.toolsStatus"),
        "tools_version": o.str("guest.toolsVersion"),
        "disks": disks,
        "nics": nics,
        "annotation": o.str("config.annotation").unwrap_or_default(),
        "template": o.bool("config.template").unwrap_or(false),
    }))
}

fn str_at<'a>(d: &'a Data, path: &str) -> Option<&'a str> {
    d.path(path).and_then(Value::as_str)
}

fn disk_json(d: &Data) -> Json {
    let kb = d.path("capacityInKB").and_then(Value::as_i64).unwrap_or(0);
    json!({
        "label": str_at(d, "deviceInfo.label"),
        "capacity_gb": (kb as f64 / (1024.0 * 1024.0) * 100.0).round() / 100.0,
        "file": str_at(d, "backing.fileName"),
        "thin_provisioned": d.path("backing.thinProvisioned").and_then(Value::as_bool),
    })
}

fn nic_json(d: &Data, names: &HashMap<MoRef, String>) -> Json {
    let network = d
        .path("backing.network")
        .and_then(Value::as_moref)
        .and_then(|m| names.get(m).cloned())
        .or_else(|| str_at(d, "backing.deviceName").map(str::to_string))
        .or_else(|| {
            // Distributed port groups: the key is the port group's MoRef value.
            let key = str_at(d, "backing.port.portgroupKey")?;
            names
                .iter()
                .find(|(m, _)| m.value == key)
                .map(|(_, n)| n.clone())
                .or_else(|| Some(key.to_string()))
        });
    json!({
        "label": str_at(d, "deviceInfo.label"),
        "type": d.type_name.as_str(),
        "mac_address": str_at(d, "macAddress"),
        "network": network,
        "connected": d.path("connectable.connected").and_then(Value::as_bool),
    })
}
