//! `ReconfigVM_Task` and the config-spec rules clone shares: CPU and memory
//! (with the hot-add/remove rules while powered on), devices, extraConfig.

use vim25::{Data, Fault, MoRef, Value};

use super::devices::{Target, apply_device_changes_on};
use super::model as vm;
use super::{event, where_};
use crate::call::{Call, Reply, require};
use crate::state::State;

/// The most virtual CPUs and memory a VM may have (vSphere 8).
const MAX_CPUS: i64 = 768;
const MAX_MEMORY_MB: i64 = 1 << 24;

pub(crate) fn reconfigure(c: &Call) -> Reply {
    let spec = c.data("spec")?.clone();
    let u = c.user().to_string();
    let target = c.this().clone();
    c.task(c.this(), move |st: &mut State| {
        require(st, &target)?;
        if let Some(n) = spec.get("name").and_then(Value::as_str)
            && let Some(parent) = st.objects.ref_prop(&target, "parent")
            && let Some(other) = st.objects.child_named(&parent, n).filter(|o| o != &target)
        {
            return Err(Fault::duplicate_name(n, &other));
        }
        apply_config(st, &target, &spec)?;
        if let Some(n) = spec.get("name").and_then(Value::as_str) {
            st.objects.set(&target, "name", Value::from(n))?;
            st.objects.set(&target, "config.name", Value::from(n))?;
        }
        let msg = format!("Reconfigured {}", where_(st, &target));
        event(st, "VmReconfiguredEvent", &u, &target, msg)?;
        Ok(None)
    })
}

/// Applies a `VirtualMachineConfigSpec` to an existing VM. On a fault the
/// caller's transaction undoes whatever was already written.
pub(crate) fn apply_config(st: &mut State, vm: &MoRef, spec: &Data) -> Result<(), Fault> {
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
    // vSphere's limits (CreateVM clamps to the same): beyond them the
    // derived statistics overflowed (issue 14's fuzzing found it).
    if let Some(n) = spec.get("numCPUs").and_then(Value::as_i64) {
        if !(1..=MAX_CPUS).contains(&n) {
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
        if !(4..=MAX_MEMORY_MB).contains(&m) {
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
        let target = Target {
            st,
            vm_name: &name,
            datastore: ds.as_ref(),
            seed: &seed,
        };
        apply_device_changes_on(&target, &mut devs, ch.as_array(), on)?;
        super::files::disk_changes(st, vm, &devs, ch.as_array())?;
    }
    let o = &mut st.objects;
    o.set(vm, "config.hardware.device", devs.to_value())?;
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
            o.set(vm, path, v.plain().clone())?;
        }
    }
    if let Some(g) = spec.get("guestId").and_then(Value::as_str) {
        o.set(
            vm,
            "config.guestFullName",
            Value::from(vm::guest_full_name(g)),
        )?;
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
                cur.push(Value::data(e.clone()));
            }
        }
        o.set(vm, "config.extraConfig", Value::array(cur))?;
    }
    let now = crate::now();
    o.set(vm, "config.changeVersion", Value::from(now.as_str()))?;
    o.set(vm, "config.modified", Value::from(now))?;
    Ok(())
}
