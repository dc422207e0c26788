//! The VM methods with vSphere's state rules: power operations, guest
//! operations, create/clone/destroy, reconfigure, rename, templates.
//! Argument faults are raised synchronously; state faults (wrong power state,
//! duplicate name) arrive in the task's `info.error`, as on vCenter.

use std::sync::Arc;
use std::time::Duration;

use vim25::{Data, Fault, MoRef, Request, Value, schema};

use crate::events;
use crate::state::{Shared, State};
use crate::tasks::{self, Op};
use crate::vm::{self, NewVm};

type R = Result<Option<Value>, Fault>;

pub fn arg_ref(req: &Request, name: &str) -> Option<MoRef> {
    req.get(name).and_then(Value::as_moref).cloned()
}

fn arg_data<'a>(req: &'a Request, name: &str) -> Option<&'a Data> {
    req.get(name).and_then(Value::as_data)
}

fn arg_str<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.get(name).and_then(Value::as_str)
}

fn require(st: &State, m: &MoRef) -> Result<(), Fault> {
    if st.objects.contains(m) {
        Ok(())
    } else {
        Err(Fault::managed_object_not_found(m))
    }
}

/// "DC0_H0_VM0 on DC0_H0 in DC0", the way vCenter names a VM in event messages.
fn where_(st: &State, vm: &MoRef) -> String {
    let host = st
        .objects
        .ref_prop(vm, "runtime.host")
        .map(|h| st.objects.name(&h))
        .unwrap_or_default();
    let dc = events::datacenter_of(st, vm)
        .map(|d| st.objects.name(&d))
        .unwrap_or_default();
    format!("{} on {host} in {dc}", st.objects.name(vm))
}

fn event(st: &mut State, kind: &str, user: &str, vm: &MoRef, msg: String) {
    events::record(st, kind, user, msg, Some(vm), None, None);
}

fn ensure_vm(st: &State, vm: &MoRef) -> Result<(), Fault> {
    if st.objects.contains(vm) {
        Ok(())
    } else {
        Err(Fault::managed_object_not_found(vm))
    }
}

fn not_template(st: &State, vm: &MoRef) -> Result<(), Fault> {
    if st
        .objects
        .prop(vm, "config.template")
        .and_then(Value::as_bool)
        == Some(true)
    {
        Err(Fault::new(
            "NotSupported",
            "The operation is not supported on a template.",
        ))
    } else {
        Ok(())
    }
}

/// The power-state task methods.
pub fn power(shared: &Arc<Shared>, user: &str, req: &Request) -> R {
    let vm = req.this.clone();
    require(&shared.lock(), &vm)?;
    let method = req.method.clone();
    let u = user.to_string();
    let target = vm.clone();
    let op: Op = Box::new(move |st: &mut State| {
        ensure_vm(st, &target)?;
        not_template(st, &target)?;
        let cur = vm::power_state(st, &target);
        let (ok, requested, new, kind, verb) = match method.as_str() {
            "PowerOnVM_Task" => (
                cur != "poweredOn",
                Some("poweredOn"),
                "poweredOn",
                "VmPoweredOnEvent",
                "is powered on",
            ),
            "PowerOffVM_Task" => (
                cur != "poweredOff",
                Some("poweredOff"),
                "poweredOff",
                "VmPoweredOffEvent",
                "is powered off",
            ),
            "SuspendVM_Task" => (
                cur == "poweredOn",
                Some("suspended"),
                "suspended",
                "VmSuspendedEvent",
                "is suspended",
            ),
            _ => (
                cur == "poweredOn",
                None,
                "poweredOn",
                "VmResettingEvent",
                "is reset",
            ),
        };
        if !ok {
            return Err(Fault::invalid_power_state(requested, &cur));
        }
        vm::set_power(st, &target, new);
        let msg = format!("{} {verb}", where_(st, &target));
        event(st, kind, &u, &target, msg);
        Ok(None)
    });
    Ok(Some(Value::MoRef(tasks::submit(
        shared,
        user,
        &req.method,
        &vm,
        op,
    ))))
}

/// ShutdownGuest, RebootGuest, StandbyGuest: synchronous calls that need a
/// running VM with Tools; the power change follows shortly after.
pub fn guest_power(shared: &Arc<Shared>, user: &str, req: &Request) -> R {
    let vm = req.this.clone();
    let (kind, verb, after) = match req.method.as_str() {
        "ShutdownGuest" => (
            "VmGuestShutdownEvent",
            "Guest OS shut down for",
            Some("poweredOff"),
        ),
        "StandbyGuest" => (
            "VmGuestStandbyEvent",
            "Guest OS standby for",
            Some("suspended"),
        ),
        _ => ("VmGuestRebootEvent", "Guest OS reboot for", None),
    };
    shared.mutate(|st| {
        ensure_vm(st, &vm)?;
        let cur = vm::power_state(st, &vm);
        if cur != "poweredOn" {
            return Err(Fault::invalid_power_state(None, &cur));
        }
        if !vm::tools_running(st, &vm) {
            return Err(Fault::tools_unavailable());
        }
        let msg = format!("{verb} {}", where_(st, &vm));
        event(st, kind, user, &vm, msg);
        // While the guest goes down, Tools stops answering.
        vm::set_tools_running(st, &vm, false);
        Ok(())
    })?;
    let shared2 = shared.clone();
    let u = user.to_string();
    let delay = shared.task_duration.max(Duration::from_millis(20));
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        shared2.mutate(|st| {
            if !st.objects.contains(&vm) || vm::power_state(st, &vm) != "poweredOn" {
                return;
            }
            match after {
                Some(state) => {
                    vm::set_power(st, &vm, state);
                    let (kind, verb) = if state == "poweredOff" {
                        ("VmPoweredOffEvent", "is powered off")
                    } else {
                        ("VmSuspendedEvent", "is suspended")
                    };
                    let msg = format!("{} {verb}", where_(st, &vm));
                    event(st, kind, &u, &vm, msg);
                }
                None => vm::set_tools_running(st, &vm, true),
            }
        });
    });
    Ok(None)
}

pub fn destroy(shared: &Arc<Shared>, user: &str, req: &Request) -> R {
    let vm = req.this.clone();
    require(&shared.lock(), &vm)?;
    let u = user.to_string();
    let target = vm.clone();
    let op: Op = Box::new(move |st: &mut State| {
        ensure_vm(st, &target)?;
        let cur = vm::power_state(st, &target);
        if cur == "poweredOn" {
            return Err(Fault::invalid_power_state(None, &cur));
        }
        let host = st
            .objects
            .ref_prop(&target, "runtime.host")
            .map(|h| st.objects.name(&h))
            .unwrap_or_default();
        let dc = events::datacenter_of(st, &target)
            .map(|d| st.objects.name(&d))
            .unwrap_or_default();
        let msg = format!("Removed {} on {host} from {dc}", st.objects.name(&target));
        event(st, "VmRemovedEvent", &u, &target, msg);
        vm::remove(st, &target);
        Ok(None)
    });
    Ok(Some(Value::MoRef(tasks::submit(
        shared,
        user,
        &req.method,
        &vm,
        op,
    ))))
}

pub fn rename(shared: &Arc<Shared>, user: &str, req: &Request) -> R {
    let obj = req.this.clone();
    require(&shared.lock(), &obj)?;
    let new_name = arg_str(req, "newName")
        .ok_or_else(|| Fault::invalid_argument("newName"))?
        .to_string();
    if new_name.is_empty() || new_name.len() > 80 {
        return Err(Fault::invalid_argument("newName"));
    }
    let u = user.to_string();
    let target = obj.clone();
    let op: Op = Box::new(move |st: &mut State| {
        require(st, &target)?;
        if let Some(parent) = st.objects.ref_prop(&target, "parent")
            && let Some(other) = st.objects.child_named(&parent, &new_name)
            && other != target
        {
            return Err(Fault::duplicate_name(&new_name, &other));
        }
        let old = st.objects.name(&target);
        let _ = st
            .objects
            .set(&target, "name", Value::from(new_name.as_str()));
        if target.kind == "VirtualMachine" {
            let _ = st
                .objects
                .set(&target, "config.name", Value::from(new_name.as_str()));
            vm::refresh(st, &target);
            let dc = events::datacenter_of(st, &target)
                .map(|d| st.objects.name(&d))
                .unwrap_or_default();
            event(
                st,
                "VmRenamedEvent",
                &u,
                &target,
                format!("Renamed {old} from {old} to {new_name} in {dc}"),
            );
            // VmRenamedEvent carries both names besides the message.
            if let Some(last) = st.events.events.back_mut() {
                last.set("oldName", old.as_str());
                last.set("newName", new_name.as_str());
            }
        }
        Ok(None)
    });
    Ok(Some(Value::MoRef(tasks::submit(
        shared,
        user,
        &req.method,
        &obj,
        op,
    ))))
}

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
fn apply_device_changes(
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

/// Re-derives `vm.network` and the networks' `vm` back-references from the NICs.
fn relink_networks(st: &mut State, vm: &MoRef) {
    let before = st.objects.refs(vm, "network");
    let mut after = vec![];
    for d in vm::devices(st, vm) {
        if schema().is_subtype(&d.type_name, "VirtualEthernetCard")
            && let Some(n) = vm::network_of(st, &d)
            && !after.contains(&n)
        {
            after.push(n);
        }
    }
    for n in &before {
        if !after.contains(n) {
            st.objects.remove_ref(n, "vm", vm);
        }
    }
    for n in &after {
        st.objects.push_ref(n, "vm", vm);
    }
    let _ = st.objects.set(vm, "network", Value::from(after));
}

fn apply_config(st: &mut State, vm: &MoRef, spec: &Data) -> Result<(), Fault> {
    let on = vm::power_state(st, vm) == "poweredOn";
    let cur_cpu = st
        .objects
        .prop(vm, "config.hardware.numCPU")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let cur_mem = st
        .objects
        .prop(vm, "config.hardware.memoryMB")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let flag = |st: &State, p: &str| {
        st.objects
            .prop(vm, p)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    if let Some(n) = spec.get("numCPUs").and_then(Value::as_i64) {
        if n < 1 {
            return Err(Fault::invalid_argument("numCPUs"));
        }
        if on
            && ((n > cur_cpu && !flag(st, "config.cpuHotAddEnabled"))
                || (n < cur_cpu && !flag(st, "config.cpuHotRemoveEnabled")))
        {
            return Err(Fault::invalid_power_state(None, "poweredOn"));
        }
    }
    if let Some(m) = spec.get("memoryMB").and_then(Value::as_i64) {
        if m < 4 {
            return Err(Fault::invalid_argument("memoryMB"));
        }
        if on && (m < cur_mem || (m > cur_mem && !flag(st, "config.memoryHotAddEnabled"))) {
            return Err(Fault::invalid_power_state(None, "poweredOn"));
        }
    }
    let name = st.objects.name(vm);
    let ds = st.objects.refs(vm, "datastore").into_iter().next();
    let seed = st.objects.str_prop(vm, "config.uuid").unwrap_or_default();
    let mut devs = vm::devices(st, vm);
    if let Some(ch) = spec.get("deviceChange") {
        apply_device_changes(st, &name, ds.as_ref(), &mut devs, ch.as_array(), &seed)?;
    }
    let o = &mut st.objects;
    let _ = o.set(
        vm,
        "config.hardware.device",
        Value::from(devs.into_iter().map(Value::Data).collect::<Vec<_>>()),
    );
    for (spec_field, path) in [
        ("numCPUs", "config.hardware.numCPU"),
        ("numCoresPerSocket", "config.hardware.numCoresPerSocket"),
        ("memoryMB", "config.hardware.memoryMB"),
        ("annotation", "config.annotation"),
        ("guestId", "config.guestId"),
        ("cpuHotAddEnabled", "config.cpuHotAddEnabled"),
        ("cpuHotRemoveEnabled", "config.cpuHotRemoveEnabled"),
        ("memoryHotAddEnabled", "config.memoryHotAddEnabled"),
        ("version", "config.version"),
        ("firmware", "config.firmware"),
    ] {
        if let Some(v) = spec.get(spec_field) {
            let _ = o.set(vm, path, v.plain().clone());
        }
    }
    if let Some(g) = spec.get("guestId").and_then(Value::as_str) {
        let _ = o.set(
            vm,
            "config.guestFullName",
            Value::from(vm::guest_full_name(g)),
        );
    }
    if let Some(extra) = spec.get("extraConfig") {
        let mut cur: Vec<Value> = o
            .prop(vm, "config.extraConfig")
            .map(|v| v.as_array().to_vec())
            .unwrap_or_default();
        for e in extra.as_array().iter().filter_map(Value::as_data) {
            let Some(k) = e.get("key").and_then(Value::as_str) else {
                continue;
            };
            cur.retain(|x| x.path("key").and_then(Value::as_str) != Some(k));
            let empty = e.get("value").is_none_or(|v| v.as_str() == Some(""));
            if !empty {
                cur.push(Value::Data(e.clone()));
            }
        }
        let _ = o.set(vm, "config.extraConfig", Value::Array(cur));
    }
    let now = crate::now();
    let _ = o.set(vm, "config.changeVersion", Value::from(now.as_str()));
    let _ = o.set(vm, "config.modified", Value::from(now));
    relink_networks(st, vm);
    vm::refresh(st, vm);
    Ok(())
}

pub fn reconfigure(shared: &Arc<Shared>, user: &str, req: &Request) -> R {
    let vm = req.this.clone();
    require(&shared.lock(), &vm)?;
    let spec = arg_data(req, "spec")
        .ok_or_else(|| Fault::invalid_argument("spec"))?
        .clone();
    let u = user.to_string();
    let target = vm.clone();
    let op: Op = Box::new(move |st: &mut State| {
        ensure_vm(st, &target)?;
        if let Some(n) = spec.get("name").and_then(Value::as_str)
            && let Some(parent) = st.objects.ref_prop(&target, "parent")
            && let Some(other) = st.objects.child_named(&parent, n).filter(|o| o != &target)
        {
            return Err(Fault::duplicate_name(n, &other));
        }
        apply_config(st, &target, &spec)?;
        if let Some(n) = spec.get("name").and_then(Value::as_str) {
            let _ = st.objects.set(&target, "name", Value::from(n));
            let _ = st.objects.set(&target, "config.name", Value::from(n));
            vm::refresh(st, &target);
        }
        let msg = format!("Reconfigured {}", where_(st, &target));
        event(st, "VmReconfiguredEvent", &u, &target, msg);
        Ok(None)
    });
    Ok(Some(Value::MoRef(tasks::submit(
        shared,
        user,
        &req.method,
        &vm,
        op,
    ))))
}

/// The least-loaded host of a pool's compute resource.
fn host_for_pool(st: &State, pool: &MoRef) -> Option<MoRef> {
    let mut owner = st.objects.ref_prop(pool, "owner");
    if owner.is_none() {
        // A child pool: walk up to the root pool's owner.
        let mut cur = st.objects.ref_prop(pool, "parent");
        while let Some(c) = cur {
            if c.kind.ends_with("ComputeResource") {
                owner = Some(c);
                break;
            }
            cur = st.objects.ref_prop(&c, "parent");
        }
    }
    st.objects
        .refs(&owner?, "host")
        .into_iter()
        .min_by_key(|h| st.objects.refs(h, "vm").len())
}

fn datastore_named(st: &State, path: &str) -> Option<MoRef> {
    let name = path.strip_prefix('[')?.split(']').next()?;
    st.objects
        .of_kind("Datastore")
        .into_iter()
        .find(|d| st.objects.name(d) == name)
}

/// A guest IP for a VM made at run time, derived from its UUID.
fn derived_ip(seed: &str) -> String {
    let u = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes());
    let b = u.as_bytes();
    format!("10.1.{}.{}", b[0], b[1] % 250 + 2)
}

pub fn create_vm(shared: &Arc<Shared>, user: &str, req: &Request) -> R {
    let folder = req.this.clone();
    let config = arg_data(req, "config")
        .ok_or_else(|| Fault::invalid_argument("config"))?
        .clone();
    let pool = arg_ref(req, "pool").ok_or_else(|| Fault::invalid_argument("pool"))?;
    let host = arg_ref(req, "host");
    let name = config
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Fault::invalid_argument("config.name"))?
        .to_string();
    {
        let st = shared.lock();
        require(&st, &folder)?;
        require(&st, &pool)?;
        if let Some(h) = &host {
            require(&st, h)?;
        }
    }
    let u = user.to_string();
    let op: Op = Box::new(move |st: &mut State| {
        require(st, &folder)?;
        if let Some(other) = st.objects.child_named(&folder, &name) {
            return Err(Fault::duplicate_name(&name, &other));
        }
        let host = match host {
            Some(h) => h,
            None => host_for_pool(st, &pool).ok_or_else(|| Fault::invalid_argument("host"))?,
        };
        let vmx = config
            .path("files.vmPathName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let ds = datastore_named(st, vmx)
            .or_else(|| st.objects.refs(&host, "datastore").into_iter().next())
            .ok_or_else(|| Fault::invalid_argument("config.files.vmPathName"))?;
        let dc = events::datacenter_of(st, &folder)
            .map(|d| st.objects.name(&d))
            .unwrap_or_default();
        let seed = format!("/{dc}/vm/{name}#{}", st.objects.len());
        let mut devs = vec![
            Data::new("VirtualPCIController")
                .with("key", 100)
                .with("busNumber", 0)
                .with(
                    "deviceInfo",
                    Data::new("Description")
                        .with("label", "PCI controller 0")
                        .with("summary", "PCI controller 0"),
                ),
        ];
        if let Some(ch) = config.get("deviceChange") {
            apply_device_changes(st, &name, Some(&ds), &mut devs, ch.as_array(), &seed)?;
        }
        let guest_id = config
            .get("guestId")
            .and_then(Value::as_str)
            .unwrap_or("otherGuest")
            .to_string();
        let new = NewVm {
            name: name.clone(),
            folder: folder.clone(),
            pool: pool.clone(),
            host: host.clone(),
            datastore: ds,
            uuid_seed: seed.clone(),
            cpus: config
                .get("numCPUs")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                .clamp(1, 768) as u32,
            memory_mb: config
                .get("memoryMB")
                .and_then(Value::as_i64)
                .unwrap_or(32)
                .clamp(4, 1 << 24) as u32,
            guest_id,
            annotation: config
                .get("annotation")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            template: false,
            power_state: "poweredOff".into(),
            tools: false,
            ip: Some(derived_ip(&seed)),
            devices: devs,
        };
        let vm = vm::create(st, new);
        for f in [
            "cpuHotAddEnabled",
            "memoryHotAddEnabled",
            "cpuHotRemoveEnabled",
        ] {
            if let Some(v) = config.get(f) {
                let _ = st
                    .objects
                    .set(&vm, &format!("config.{f}"), v.plain().clone());
            }
        }
        vm::refresh(st, &vm);
        let msg = format!(
            "Created virtual machine {} on {} in {dc}",
            name,
            st.objects.name(&host)
        );
        event(st, "VmCreatedEvent", &u, &vm, msg);
        Ok(Some(Value::MoRef(vm)))
    });
    Ok(Some(Value::MoRef(tasks::submit(
        shared,
        user,
        &req.method,
        &req.this,
        op,
    ))))
}

pub fn clone_vm(shared: &Arc<Shared>, user: &str, req: &Request) -> R {
    let src = req.this.clone();
    let folder = arg_ref(req, "folder").ok_or_else(|| Fault::invalid_argument("folder"))?;
    let name = arg_str(req, "name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Fault::invalid_argument("name"))?
        .to_string();
    let spec = arg_data(req, "spec")
        .ok_or_else(|| Fault::invalid_argument("spec"))?
        .clone();
    {
        let st = shared.lock();
        require(&st, &src)?;
        require(&st, &folder)?;
        for p in ["location.pool", "location.host", "location.datastore"] {
            if let Some(m) = spec.path(p).and_then(Value::as_moref) {
                require(&st, m)?;
            }
        }
    }
    let u = user.to_string();
    let source = src.clone();
    let op: Op = Box::new(move |st: &mut State| {
        ensure_vm(st, &source)?;
        if let Some(other) = st.objects.child_named(&folder, &name) {
            return Err(Fault::duplicate_name(&name, &other));
        }
        let loc = |p: &str| spec.path(p).and_then(Value::as_moref).cloned();
        let pool = loc("location.pool")
            .or_else(|| st.objects.ref_prop(&source, "resourcePool"))
            .or_else(|| {
                // A template has no pool: use the root pool of its host's compute resource.
                let h = st.objects.ref_prop(&source, "runtime.host")?;
                let cr = st.objects.ref_prop(&h, "parent")?;
                st.objects.ref_prop(&cr, "resourcePool")
            })
            .ok_or_else(|| Fault::invalid_argument("spec.location.pool"))?;
        let host = loc("location.host")
            .or_else(|| {
                if loc("location.pool").is_some() {
                    host_for_pool(st, &pool)
                } else {
                    None
                }
            })
            .or_else(|| st.objects.ref_prop(&source, "runtime.host"))
            .ok_or_else(|| Fault::invalid_argument("spec.location.host"))?;
        let ds = loc("location.datastore")
            .or_else(|| st.objects.refs(&source, "datastore").into_iter().next())
            .ok_or_else(|| Fault::invalid_argument("spec.location.datastore"))?;
        let ds_name = st.objects.name(&ds);
        let src_name = st.objects.name(&source);
        let dc = events::datacenter_of(st, &folder)
            .map(|d| st.objects.name(&d))
            .unwrap_or_default();
        let seed = format!("/{dc}/vm/{name}#{}", st.objects.len());
        let devs: Vec<Data> = vm::devices(st, &source)
            .into_iter()
            .map(|mut d| {
                let key = d.get("key").and_then(Value::as_i64).unwrap_or(0);
                if schema().is_subtype(&d.type_name, "VirtualDisk")
                    && let Some(Value::Data(b)) = d.get_mut("backing")
                {
                    if let Some(f) = b.get("fileName").and_then(Value::as_str) {
                        let file = f.rsplit('/').next().unwrap_or(f).replace(&src_name, &name);
                        b.set("fileName", format!("[{ds_name}] {name}/{file}"));
                    }
                    b.set("datastore", &ds);
                    if b.get("uuid").is_some() {
                        b.set("uuid", crate::uuid_for(&format!("{seed}/disk/{key}")));
                    }
                }
                if schema().is_subtype(&d.type_name, "VirtualEthernetCard")
                    && d.get("addressType").and_then(Value::as_str) != Some("manual")
                {
                    d.set("macAddress", vm::mac_for(&format!("{seed}/{key}")));
                }
                d
            })
            .collect();
        let cfg = |p: &str| st.objects.prop(&source, p).cloned();
        let new = NewVm {
            name: name.clone(),
            folder: folder.clone(),
            pool,
            host,
            datastore: ds,
            uuid_seed: seed.clone(),
            cpus: cfg("config.hardware.numCPU")
                .and_then(|v| v.as_i64())
                .unwrap_or(1) as u32,
            memory_mb: cfg("config.hardware.memoryMB")
                .and_then(|v| v.as_i64())
                .unwrap_or(32) as u32,
            guest_id: cfg("config.guestId")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "otherGuest".into()),
            annotation: cfg("config.annotation")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            template: spec
                .get("template")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            power_state: "poweredOff".into(),
            tools: vm::tools_installed(st, &source),
            ip: Some(derived_ip(&seed)),
            devices: devs,
        };
        let vm = vm::create(st, new);
        if let Some(c) = spec.get("config").and_then(Value::as_data) {
            apply_config(st, &vm, c)?;
        }
        if spec.get("powerOn").and_then(Value::as_bool) == Some(true) && !new_is_template(st, &vm) {
            vm::set_power(st, &vm, "poweredOn");
            let msg = format!("{} is powered on", where_(st, &vm));
            event(st, "VmPoweredOnEvent", &u, &vm, msg);
        }
        let msg = format!("Clone of {src_name} completed");
        event(st, "VmClonedEvent", &u, &vm, msg);
        Ok(Some(Value::MoRef(vm)))
    });
    Ok(Some(Value::MoRef(tasks::submit(
        shared,
        user,
        &req.method,
        &src,
        op,
    ))))
}

fn new_is_template(st: &State, vm: &MoRef) -> bool {
    st.objects
        .prop(vm, "config.template")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// MarkAsTemplate / MarkAsVirtualMachine: synchronous on vCenter.
pub fn template(shared: &Arc<Shared>, req: &Request) -> R {
    let vm = req.this.clone();
    shared.mutate(|st| {
        ensure_vm(st, &vm)?;
        let is_template = new_is_template(st, &vm);
        if req.method == "MarkAsTemplate" {
            let cur = vm::power_state(st, &vm);
            if cur != "poweredOff" {
                return Err(Fault::invalid_power_state(None, &cur));
            }
            if is_template {
                return Err(Fault::new(
                    "NotSupported",
                    "The virtual machine is already a template.",
                ));
            }
            let _ = st.objects.set(&vm, "config.template", Value::Bool(true));
        } else {
            if !is_template {
                return Err(Fault::invalid_state(
                    "The virtual machine is not a template.",
                ));
            }
            let pool = arg_ref(req, "pool").ok_or_else(|| Fault::invalid_argument("pool"))?;
            require(st, &pool)?;
            if let Some(h) = arg_ref(req, "host") {
                require(st, &h)?;
                let _ = st.objects.set(&vm, "runtime.host", Value::MoRef(h));
            }
            if let Some(old) = st.objects.ref_prop(&vm, "resourcePool") {
                st.objects.remove_ref(&old, "vm", &vm);
            }
            let _ = st
                .objects
                .set(&vm, "resourcePool", Value::MoRef(pool.clone()));
            st.objects.push_ref(&pool, "vm", &vm);
            let _ = st.objects.set(&vm, "config.template", Value::Bool(false));
        }
        vm::refresh(st, &vm);
        Ok(None)
    })
}
