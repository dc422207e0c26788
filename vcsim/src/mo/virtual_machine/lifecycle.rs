//! VM lifecycle: clone, destroy, and turning a VM into a template and back.
//! (`Folder.CreateVM_Task` lives with Folder.)

use vim25::spec::generated_mac;
use vim25::{Data, Fault, MoRef, Value, schema};

use super::model::{self as vm, NewVm};
use super::power::set_power;
use super::reconfig::apply_config;
use super::relocate::{disk_target, move_ref};
use super::{derived_ip, event, host_for_pool, is_template, where_};
use crate::call::{Call, Reply, require};
use crate::events;
use crate::state::State;

/// `Destroy_Task` on a VM: refused while it runs.
pub(crate) fn destroy(c: &Call) -> Reply {
    let u = c.user().to_string();
    let target = c.this().clone();
    c.task(c.this(), move |st: &mut State| {
        destroy_vm(st, &target, &u)?;
        Ok(None)
    })
}

/// One VM destroyed: refused while it runs; its files and guest go with it.
/// (A folder's `Destroy_Task` destroys its VMs through this too.)
pub(crate) fn destroy_vm(st: &mut State, target: &MoRef, u: &str) -> Result<(), Fault> {
    require(st, target)?;
    let cur = vm::power_state(st, target);
    if cur == "poweredOn" {
        return Err(Fault::invalid_power_state(None, &cur));
    }
    let host = st
        .objects
        .ref_prop(target, "runtime.host")
        .map(|h| st.objects.name(&h))
        .unwrap_or_default();
    let dc = events::datacenter_of(st, target)
        .map(|d| st.objects.name(&d))
        .unwrap_or_default();
    let msg = format!("Removed {} on {host} from {dc}", st.objects.name(target));
    event(st, "VmRemovedEvent", u, target, msg)?;
    super::files::vm_destroyed(st, target)?;
    st.guests.remove(&target.value);
    vm::remove(st, target)?;
    Ok(())
}

pub(crate) fn clone_vm(c: &Call) -> Reply {
    let folder = c.moref("folder")?;
    let name = c.non_empty_str("name")?.to_string();
    let spec = c.data("spec")?.clone();
    {
        let st = c.read();
        require(&st, &folder)?;
        for p in ["location.pool", "location.host", "location.datastore"] {
            if let Some(m) = spec.path(p).and_then(Value::as_moref) {
                require(&st, m)?;
            }
        }
    }
    let u = c.user().to_string();
    let source = c.this().clone();
    c.task(c.this(), move |st: &mut State| {
        require(st, &source)?;
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
        let location = spec
            .get("location")
            .and_then(Value::as_data)
            .cloned()
            .unwrap_or_else(|| Data::new("VirtualMachineRelocateSpec"));
        let src_name = st.objects.name(&source);
        let dc = events::datacenter_of(st, &folder)
            .map(|d| st.objects.name(&d))
            .unwrap_or_default();
        let seed = format!("/{dc}/vm/{name}#{}", st.objects.len());
        let devs: Vec<Data> = vm::devices(st, &source)
            .into_vec()
            .into_iter()
            .map(|mut d| {
                let key = d.get("key").and_then(Value::as_i64).unwrap_or(0);
                if schema().is_subtype(&d.type_name, "VirtualDisk")
                    && let Some(b) = d.get_mut("backing").and_then(Value::data_mut)
                {
                    super::files::flatten_for_clone(b);
                    // The relocate spec may place this disk elsewhere and change its provisioning.
                    let (to, thin) = disk_target(&location, key);
                    let dds = to.unwrap_or_else(|| ds.clone());
                    let ds_name = st.objects.name(&dds);
                    if let Some(f) = b.get("fileName").and_then(Value::as_str) {
                        let file = f.rsplit('/').next().unwrap_or(f).replace(&src_name, &name);
                        b.set("fileName", format!("[{ds_name}] {name}/{file}"));
                    }
                    b.set("datastore", &dds);
                    if let Some(t) = thin {
                        b.set("thinProvisioned", t);
                        if t {
                            b.set("eagerlyScrub", false);
                        }
                    }
                    if b.get("uuid").is_some() {
                        b.set("uuid", crate::uuid_for(&format!("{seed}/disk/{key}")));
                    }
                }
                if schema().is_subtype(&d.type_name, "VirtualEthernetCard")
                    && d.get("addressType").and_then(Value::as_str) != Some("manual")
                {
                    d.set("macAddress", generated_mac(&format!("{seed}/{key}")));
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
        let vm = vm::create(st, &new)?;
        super::relocate::relink_datastores(st, &vm)?;
        // The clone's disks hold the source's guest: its files and accounts.
        st.guests.copy(&source.value, &vm.value);
        if let Some(c) = spec.get("config").and_then(Value::as_data) {
            apply_config(st, &vm, c)?;
        }
        if spec.get("powerOn").and_then(Value::as_bool) == Some(true) && !is_template(st, &vm) {
            set_power(st, &vm, "poweredOn")?;
            let msg = format!("{} is powered on", where_(st, &vm));
            event(st, "VmPoweredOnEvent", &u, &vm, msg)?;
        }
        let msg = format!("Clone of {src_name} completed");
        event(st, "VmClonedEvent", &u, &vm, msg)?;
        Ok(Some(Value::moref(vm)))
    })
}

/// `MarkAsTemplate`: synchronous on vCenter; the VM must be powered off.
pub(crate) fn mark_as_template(c: &Call) -> Reply {
    let vm = c.this().clone();
    c.shared.try_mutate(|st| {
        require(st, &vm)?;
        let is_template = is_template(st, &vm);
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
        st.objects.set(&vm, "config.template", Value::Bool(true))?;
        // A template belongs to no resource pool (MarkAsVirtualMachine names one).
        if let Some(pool) = st.objects.ref_prop(&vm, "resourcePool") {
            st.objects.remove_ref(&pool, "vm", &vm)?;
            st.objects.unset(&vm, "resourcePool")?;
        }
        Ok(None)
    })
}

/// `MarkAsVirtualMachine`: back from a template into a resource pool.
pub(crate) fn mark_as_virtual_machine(c: &Call) -> Reply {
    let vm = c.this().clone();
    c.shared.try_mutate(|st| {
        require(st, &vm)?;
        let is_template = is_template(st, &vm);
        if !is_template {
            return Err(Fault::invalid_state(
                "The virtual machine is not a template.",
            ));
        }
        let pool = c.moref("pool")?;
        require(st, &pool)?;
        if let Some(h) = c.opt_moref("host")? {
            require(st, &h)?;
            move_ref(st, &vm, "runtime.host", "vm", &h)?;
        }
        move_ref(st, &vm, "resourcePool", "vm", &pool)?;
        st.objects.set(&vm, "config.template", Value::Bool(false))?;
        Ok(None)
    })
}
