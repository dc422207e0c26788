//! Snapshots: `CreateSnapshot_Task`, `RevertToCurrentSnapshot_Task` and
//! `RemoveAllSnapshots_Task` on the VM; `RevertToSnapshot_Task`,
//! `RemoveSnapshot_Task` and `RenameSnapshot` on the `VirtualMachineSnapshot`.
//! Every task's entity is the VM, never the snapshot, as on vCenter. A
//! snapshot object keeps the VM's `config` as it was taken; the power state
//! it was taken in is the tree node's `state`. The tree itself is
//! `snapshot_tree.rs`.
//!
//! What vCenter logs: a `TaskEvent` ("Task: Create virtual machine snapshot")
//! when each snapshot task starts, and an `EventEx`
//! `com.vmware.vc.vm.VmStateRevertedToSnapshot` once a revert has happened.

use vim25::{Data, Fault, MoRef, Value};

use super::model::{power_state, tools_running};
use super::power::set_power;
use super::snapshot_tree::{Node, Tree};
use super::{event, not_template};
use crate::call::{Call, Reply, require};
use crate::now;
use crate::state::State;

/// `CreateSnapshot_Task(name, description, memory, quiesce)`.
pub(crate) fn create_snapshot(c: &Call) -> Reply {
    let name = c.str("name")?.to_string();
    let description = c.opt_str("description")?.unwrap_or_default().to_string();
    let memory = c.bool_or("memory", false)?;
    let quiesce = c.bool_or("quiesce", false)?;
    let vm = c.this().clone();
    let task = c.task(c.this(), move |st: &mut State| {
        require(st, &vm)?;
        not_template(st, &vm)?;
        let power = power_state(st, &vm);
        let on = power == "poweredOn";
        // Quiescing asks VMware Tools in a running guest. As the API reference
        // says, the flag is ignored when the VM is off or Tools is not
        // available: the snapshot is then simply not quiesced.
        let quiesced = quiesce && on && tools_running(st, &vm);
        // Without memory, a running VM's snapshot is a disk-only one and
        // reverting to it leaves the VM powered off.
        let state = if on && !memory {
            "poweredOff"
        } else {
            power.as_str()
        };
        let snap = MoRef::new("VirtualMachineSnapshot", &st.new_id("snapshot"));
        let config = st
            .objects
            .prop(&vm, "config")
            .cloned()
            .ok_or_else(|| Fault::invalid_state("The virtual machine has no configuration."))?;
        st.objects.insert(
            snap.clone(),
            Data::new("VirtualMachineSnapshot")
                .with("config", config)
                .with("childSnapshot", Vec::<MoRef>::new())
                .with("vm", &vm),
        );
        let mut tree = Tree::read(st, &vm);
        let info = Data::new("VirtualMachineSnapshotTree")
            .with("snapshot", &snap)
            .with("vm", &vm)
            .with("name", name.as_str())
            .with("description", description.as_str())
            .with("id", tree.next_id())
            .with("createTime", now())
            .with("state", state)
            .with("quiesced", quiesced)
            .with("replaySupported", false);
        tree.add(Node {
            info,
            children: vec![],
        });
        tree.write(st, &vm)?;
        super::files_snapshot::snapshot_taken(st, &vm, &snap, state == "poweredOn")?;
        Ok(Some(Value::moref(snap)))
    })?;
    task_event(c, &task, "Create virtual machine snapshot")?;
    Ok(task)
}

/// `RevertToSnapshot_Task(host, suppressPowerOn)` on a snapshot.
pub(crate) fn revert_to_snapshot(c: &Call) -> Reply {
    let snap = c.this().clone();
    let vm = snapshot_vm(&c.read(), &snap)?;
    revert_task(c, &vm, snap, "Revert to snapshot")
}

/// `RevertToCurrentSnapshot_Task(host, suppressPowerOn)` on the VM: `NotFound`
/// when the VM has no current snapshot.
pub(crate) fn revert_to_current_snapshot(c: &Call) -> Reply {
    let vm = c.this().clone();
    let snap = Tree::read(&c.read(), &vm)
        .current
        .ok_or_else(|| Fault::not_found("The virtual machine has no current snapshot."))?;
    revert_task(c, &vm, snap, "Revert to current snapshot")
}

fn revert_task(c: &Call, vm: &MoRef, snap: MoRef, what: &str) -> Reply {
    let host = c.opt_moref("host")?;
    let suppress = c.bool_or("suppressPowerOn", false)?;
    if let Some(h) = &host {
        require(&c.read(), h)?;
    }
    let user = c.user().to_string();
    let v = vm.clone();
    let task = c.task(vm, move |st: &mut State| {
        require(st, &v)?;
        require(st, &snap)?;
        not_template(st, &v)?;
        let mut tree = Tree::read(st, &v);
        let node = tree
            .find(&snap)
            .ok_or_else(|| Fault::managed_object_not_found(&snap))?;
        let taken_in = node
            .info
            .get("state")
            .and_then(Value::as_str)
            .unwrap_or("poweredOff")
            .to_string();
        let snap_name = node
            .info
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let snap_id = node.id();
        // The devices and sizing the VM had when the snapshot was taken.
        if let Some(hw) = st.objects.prop(&snap, "config.hardware").cloned() {
            st.objects.set(&v, "config.hardware", hw)?;
        }
        super::files_snapshot::reconcile(st, &v)?;
        let target = if suppress && taken_in == "poweredOn" {
            "poweredOff"
        } else {
            taken_in.as_str()
        };
        if let (Some(h), "poweredOn") = (&host, target) {
            move_to_host(st, &v, h)?;
        }
        // set_power also brings NIC connection state in line with the
        // restored devices, so it runs even when the state does not change.
        set_power_keeping_times(st, &v, target)?;
        tree.current = Some(snap.clone());
        tree.write(st, &v)?;
        let host_name = st
            .objects
            .ref_prop(&v, "runtime.host")
            .map(|h| st.objects.name(&h))
            .unwrap_or_default();
        let msg = format!(
            "The execution state of the virtual machine {} on host {host_name} has been \
             reverted to the state of snapshot {snap_name}, with ID {snap_id}",
            st.objects.name(&v)
        );
        event_ex(
            st,
            &user,
            &v,
            "com.vmware.vc.vm.VmStateRevertedToSnapshot",
            &msg,
        )?;
        Ok(None)
    })?;
    task_event(c, &task, what)?;
    Ok(task)
}

/// Sets the power state, leaving boot and suspend times alone when it does
/// not change (a running VM reverted to a running snapshot keeps running).
fn set_power_keeping_times(st: &mut State, vm: &MoRef, target: &str) -> Result<(), Fault> {
    let boot = st.objects.prop(vm, "runtime.bootTime").cloned();
    let same = power_state(st, vm) == target;
    set_power(st, vm, target)?;
    if same && let Some(b) = boot {
        st.objects.set(vm, "runtime.bootTime", b)?;
    }
    Ok(())
}

/// A VM powering on elsewhere on revert (`host` given): its host's VM list follows.
fn move_to_host(st: &mut State, vm: &MoRef, host: &MoRef) -> Result<(), Fault> {
    if let Some(old) = st.objects.ref_prop(vm, "runtime.host") {
        if &old == host {
            return Ok(());
        }
        st.objects.remove_ref(&old, "vm", vm)?;
    }
    st.objects
        .set(vm, "runtime.host", Value::moref(host.clone()))?;
    st.objects.push_ref(host, "vm", vm)
}

/// `RemoveSnapshot_Task(removeChildren, consolidate)` on a snapshot.
pub(crate) fn remove_snapshot(c: &Call) -> Reply {
    let snap = c.this().clone();
    let with_children = c
        .value("removeChildren")
        .and_then(Value::as_bool)
        .ok_or_else(|| Fault::invalid_argument("removeChildren"))?;
    let vm = snapshot_vm(&c.read(), &snap)?;
    let v = vm.clone();
    let task = c.task(&vm, move |st: &mut State| {
        require(st, &v)?;
        require(st, &snap)?;
        let mut tree = Tree::read(st, &v);
        for gone in tree.remove(&snap, with_children) {
            st.objects.remove(&gone);
        }
        tree.write(st, &v)?;
        super::files_snapshot::reconcile(st, &v)?;
        Ok(None)
    })?;
    task_event(c, &task, "Remove snapshot")?;
    Ok(task)
}

/// `RemoveAllSnapshots_Task` on the VM: no snapshots is no error.
pub(crate) fn remove_all_snapshots(c: &Call) -> Reply {
    let vm = c.this().clone();
    let task = c.task(c.this(), move |st: &mut State| {
        require(st, &vm)?;
        remove_all(st, &vm)?;
        super::files_snapshot::reconcile(st, &vm)?;
        Ok(None)
    })?;
    task_event(c, &task, "Remove all snapshots")?;
    Ok(task)
}

/// Removes every snapshot object of `vm` and its tree (also when the VM is destroyed).
pub(crate) fn remove_all(st: &mut State, vm: &MoRef) -> Result<(), Fault> {
    let tree = Tree::read(st, vm);
    for s in tree.all() {
        st.objects.remove(&s);
    }
    Tree::default().write(st, vm)
}

/// `RenameSnapshot(name, description)`: synchronous; an absent argument keeps its value.
pub(crate) fn rename_snapshot(c: &Call) -> Reply {
    let snap = c.this().clone();
    let name = c.opt_str("name")?.map(str::to_string);
    let description = c.opt_str("description")?.map(str::to_string);
    if name.as_deref() == Some("") {
        return Err(Fault::invalid_argument("name"));
    }
    c.shared.try_mutate(|st| {
        let vm = snapshot_vm(st, &snap)?;
        let mut tree = Tree::read(st, &vm);
        let node = tree
            .find_mut(&snap)
            .ok_or_else(|| Fault::managed_object_not_found(&snap))?;
        if let Some(n) = &name {
            node.info.set("name", n.as_str());
        }
        if let Some(d) = &description {
            node.info.set("description", d.as_str());
        }
        tree.write(st, &vm)?;
        Ok(None)
    })
}

/// The VM a snapshot belongs to.
fn snapshot_vm(st: &State, snap: &MoRef) -> Result<MoRef, Fault> {
    require(st, snap)?;
    st.objects
        .ref_prop(snap, "vm")
        .ok_or_else(|| Fault::managed_object_not_found(snap))
}

/// The `TaskEvent` vCenter logs when a task starts: "Task: <description>",
/// carrying the task's info. Recorded outside the task's own transaction, so
/// it stays when the task fails, as on vCenter.
fn task_event(c: &Call, task: &Option<Value>, what: &str) -> Result<(), Fault> {
    let Some(t) = task.as_ref().and_then(Value::as_moref).cloned() else {
        return Ok(());
    };
    let user = c.user().to_string();
    c.shared.try_mutate(|st| {
        let info = st.objects.prop(&t, "info").cloned();
        let vm = st.objects.ref_prop(&t, "info.entity");
        let key = crate::events::record(
            st,
            "TaskEvent",
            &user,
            format!("Task: {what}"),
            vm.as_ref(),
            None,
            None,
        )?;
        if let Some(i) = info {
            patch_last_event(st, key, |e| e.set("info", i))?;
        }
        Ok(())
    })
}

/// An `EventEx` with vCenter's `eventTypeId`.
fn event_ex(st: &mut State, user: &str, vm: &MoRef, type_id: &str, msg: &str) -> Result<(), Fault> {
    event(st, "EventEx", user, vm, msg.to_string())?;
    let key = st
        .events
        .events
        .back()
        .and_then(|e| e.get("key"))
        .and_then(Value::as_i64);
    if let Some(k) = key {
        patch_last_event(st, k, |e| {
            e.set("eventTypeId", type_id);
            e.set("severity", "info");
            e.set("message", msg);
            e.set("objectId", vm.value.as_str());
            e.set("objectType", "VirtualMachine");
        })?;
    }
    Ok(())
}

/// Adds fields to the event just recorded (`events::record` fills only the
/// common ones), in the log and in `EventManager.latestEvent`.
fn patch_last_event(st: &mut State, key: i64, f: impl FnOnce(&mut Data)) -> Result<(), Fault> {
    let Some(e) = st.events.events.back_mut() else {
        return Ok(());
    };
    if e.get("key").and_then(Value::as_i64) != Some(key) {
        return Ok(());
    }
    f(e);
    let e = e.clone();
    let em = st.svc("eventManager");
    st.objects.set(&em, "latestEvent", Value::data(e))
}
