//! The device-change rules of a config spec: keys, disk backings and labels,
//! NIC backings and MACs, controller device lists. One narrow entry point,
//! [`apply_device_changes`], so the rules can move to a shared device model.

use vim25::{Data, Fault, MoRef, Value, schema};

use super::model as vm;
use crate::state::State;

/// Next free device key at or above `base`.
fn free_key(devs: &[Data], base: i64) -> i64 {
    let mut k = base;
    while devs
        .iter()
        .any(|d| d.get("key").and_then(Value::as_i64) == Some(k))
    {
        k += 1;
    }
    k
}

fn key_base(type_name: &str) -> i64 {
    let s = schema();
    if s.is_subtype(type_name, "VirtualDisk") {
        2000
    } else if s.is_subtype(type_name, "VirtualEthernetCard") {
        4000
    } else if s.is_subtype(type_name, "VirtualCdrom") {
        3000
    } else if s.is_subtype(type_name, "VirtualSCSIController") {
        1000
    } else if s.is_subtype(type_name, "VirtualController") {
        200
    } else {
        9000
    }
}

/// Applies `deviceChange` to a VM's device list.
pub(crate) fn apply_device_changes(
    st: &State,
    vm_name: &str,
    ds: Option<&MoRef>,
    devs: &mut Vec<Data>,
    changes: &[Value],
    seed: &str,
) -> Result<(), Fault> {
    let ds_name = ds.map(|d| st.objects.name(d)).unwrap_or_default();
    for ch in changes.iter().filter_map(Value::as_data) {
        let op = ch
            .get("operation")
            .and_then(Value::as_str)
            .unwrap_or("edit");
        let Some(dev) = ch.get("device").and_then(Value::as_data) else {
            return Err(Fault::invalid_argument("deviceChange.device"));
        };
        let key = dev.get("key").and_then(Value::as_i64).unwrap_or(0);
        match op {
            "add" => {
                let mut d = dev.clone();
                let k = if key <= 0
                    || devs
                        .iter()
                        .any(|x| x.get("key").and_then(Value::as_i64) == Some(key))
                {
                    free_key(devs, key_base(&d.type_name))
                } else {
                    key
                };
                d.set("key", k);
                if schema().is_subtype(&d.type_name, "VirtualDisk") {
                    let kb = d
                        .get("capacityInKB")
                        .and_then(Value::as_i64)
                        .or_else(|| {
                            d.get("capacityInBytes")
                                .and_then(Value::as_i64)
                                .map(|b| b / 1024)
                        })
                        .unwrap_or(1 << 20);
                    if kb <= 0 {
                        return Err(Fault::invalid_argument("deviceChange.device.capacityInKB"));
                    }
                    d.set("capacityInKB", kb);
                    d.set("capacityInBytes", kb * 1024);
                    let n = devs
                        .iter()
                        .filter(|x| schema().is_subtype(&x.type_name, "VirtualDisk"))
                        .count();
                    let mut b = d
                        .get("backing")
                        .and_then(Value::as_data)
                        .cloned()
                        .unwrap_or_else(|| {
                            Data::new("VirtualDiskFlatVer2BackingInfo")
                                .with("diskMode", "persistent")
                        });
                    if b.get("fileName")
                        .and_then(Value::as_str)
                        .is_none_or(|f| f.is_empty() || f.ends_with(']'))
                    {
                        let file = if n == 0 {
                            format!("{vm_name}.vmdk")
                        } else {
                            format!("{vm_name}_{n}.vmdk")
                        };
                        b.set("fileName", format!("[{ds_name}] {vm_name}/{file}"));
                    }
                    if let Some(ds) = ds
                        && b.get("datastore").is_none()
                    {
                        b.set("datastore", ds);
                    }
                    if b.type_name == "VirtualDiskFlatVer2BackingInfo" && b.get("uuid").is_none() {
                        b.set("uuid", crate::uuid_for(&format!("{seed}/disk/{k}")));
                    }
                    d.set("backing", b);
                    if d.get("unitNumber").is_none() {
                        d.set("unitNumber", n as i64);
                    }
                    if d.get("controllerKey")
                        .is_none_or(|c| c.as_i64().is_some_and(|c| c <= 0))
                    {
                        d.set("controllerKey", 1000);
                    }
                    d.set(
                        "deviceInfo",
                        Data::new("Description")
                            .with("label", format!("Hard disk {}", n + 1))
                            .with("summary", format!("{kb} KB")),
                    );
                }
                if schema().is_subtype(&d.type_name, "VirtualEthernetCard") {
                    if d.get("macAddress")
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                    {
                        d.set("macAddress", vm::mac_for(&format!("{seed}/{k}")));
                        d.set("addressType", "generated");
                    }
                    if d.get("connectable").is_none() {
                        d.set(
                            "connectable",
                            Data::new("VirtualDeviceConnectInfo")
                                .with("startConnected", true)
                                .with("allowGuestControl", true)
                                .with("connected", false),
                        );
                    }
                    if let Some(net) = vm::network_of(st, &d) {
                        d.set("backing", vm::nic_backing(st, &net));
                    } else if let Some(name) = d.path("backing.deviceName").and_then(Value::as_str)
                    {
                        let net = st
                            .objects
                            .of_kind("Network")
                            .into_iter()
                            .find(|n| st.objects.name(n) == name);
                        match net {
                            Some(n) => d.set("backing", vm::nic_backing(st, &n)),
                            None => {
                                return Err(Fault::not_found(format!("network {name} not found")));
                            }
                        }
                    }
                    if d.get("controllerKey").is_none() {
                        d.set("controllerKey", 100);
                    }
                    let n = devs
                        .iter()
                        .filter(|x| schema().is_subtype(&x.type_name, "VirtualEthernetCard"))
                        .count();
                    d.set(
                        "deviceInfo",
                        Data::new("Description")
                            .with("label", format!("Network adapter {}", n + 1))
                            .with("summary", "network"),
                    );
                }
                if let Some(ck) = d.get("controllerKey").and_then(Value::as_i64)
                    && let Some(c) = devs
                        .iter_mut()
                        .find(|x| x.get("key").and_then(Value::as_i64) == Some(ck))
                    && schema().is_subtype(&c.type_name, "VirtualController")
                {
                    let mut keys: Vec<Value> = c
                        .get("device")
                        .map(|v| v.as_array().to_vec())
                        .unwrap_or_default();
                    keys.push(Value::Int(k));
                    c.set("device", Value::Array(keys));
                }
                devs.push(d);
            }
            "remove" => {
                let Some(i) = devs
                    .iter()
                    .position(|x| x.get("key").and_then(Value::as_i64) == Some(key))
                else {
                    return Err(Fault::invalid_argument("deviceChange.device.key"));
                };
                devs.remove(i);
                for c in devs.iter_mut() {
                    if let Some(Value::Array(keys)) = c.get_mut("device") {
                        keys.retain(|x| x.as_i64() != Some(key));
                    }
                }
            }
            "edit" => {
                let Some(cur) = devs
                    .iter_mut()
                    .find(|x| x.get("key").and_then(Value::as_i64) == Some(key))
                else {
                    return Err(Fault::invalid_argument("deviceChange.device.key"));
                };
                if schema().is_subtype(&cur.type_name, "VirtualDisk") {
                    let old = cur.get("capacityInKB").and_then(Value::as_i64).unwrap_or(0);
                    let new = dev
                        .get("capacityInKB")
                        .and_then(Value::as_i64)
                        .or_else(|| {
                            dev.get("capacityInBytes")
                                .and_then(Value::as_i64)
                                .map(|b| b / 1024)
                        })
                        .unwrap_or(old);
                    if new < old {
                        return Err(Fault::invalid_argument("deviceChange.device.capacityInKB"));
                    }
                }
                let mut merged = cur.clone();
                for (n, v) in &dev.fields {
                    merged.set(n, v.clone());
                }
                if schema().is_subtype(&merged.type_name, "VirtualDisk") {
                    let kb = merged
                        .get("capacityInKB")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    let kb = dev
                        .get("capacityInBytes")
                        .and_then(Value::as_i64)
                        .map(|b| b / 1024)
                        .filter(|b| *b > kb)
                        .unwrap_or(kb);
                    merged.set("capacityInKB", kb);
                    merged.set("capacityInBytes", kb * 1024);
                }
                if schema().is_subtype(&merged.type_name, "VirtualEthernetCard")
                    && let Some(net) = vm::network_of(st, &merged)
                {
                    merged.set("backing", vm::nic_backing(st, &net));
                }
                *cur = merged;
            }
            other => {
                return Err(Fault::invalid_argument(&format!(
                    "deviceChange.operation {other}"
                )));
            }
        }
    }
    Ok(())
}
