//! VirtualMachine, split by concern: `model` (the property tree), `power`
//! (power-state tasks), `guest` (guest OS power and Tools), `tools` (when Tools starts after a boot), `lifecycle`
//! (clone, destroy, templates), `reconfig` (ReconfigVM_Task), `devices`
//! (the device-change rules) and `snapshot` (the snapshot tree and its tasks). Argument faults are raised synchronously;
//! state faults (wrong power state, duplicate name) arrive in the task's
//! `info.error`, as on vCenter.

pub(crate) mod devices;
pub(crate) mod files;
pub(crate) mod files_layout;
pub(crate) mod files_snapshot;
pub(crate) mod guest;
pub(crate) mod lifecycle;
pub(crate) mod model;
pub(crate) mod power;
pub(crate) mod reconfig;
pub(crate) mod relocate;
mod relocate_checks;
pub(crate) mod screenshot;
pub(crate) mod snapshot;
pub(crate) mod snapshot_tree;
pub(crate) mod tools;

use vim25::{Fault, MoRef, Value};

use crate::events;
use crate::state::State;

/// "DC0_H0_VM0 on DC0_H0 in DC0", the way vCenter names a VM in event messages.
pub(crate) fn where_(st: &State, vm: &MoRef) -> String {
    let host = st
        .objects
        .ref_prop(vm, "runtime.host")
        .map(|h| st.objects.name(&h))
        .unwrap_or_default();
    let dc = datacenter_name(st, vm);
    format!("{} on {host} in {dc}", st.objects.name(vm))
}

pub(crate) fn datacenter_name(st: &State, m: &MoRef) -> String {
    events::datacenter_of(st, m)
        .map(|d| st.objects.name(&d))
        .unwrap_or_default()
}

/// Records a VM event (its host and datacenter filled in).
pub(crate) fn event(
    st: &mut State,
    kind: &str,
    user: &str,
    vm: &MoRef,
    msg: String,
) -> Result<(), Fault> {
    events::record(st, kind, user, msg, Some(vm), None, None).map(|_| ())
}

pub(crate) fn is_template(st: &State, vm: &MoRef) -> bool {
    st.objects
        .prop(vm, "config.template")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

pub(crate) fn not_template(st: &State, vm: &MoRef) -> Result<(), Fault> {
    if is_template(st, vm) {
        Err(Fault::new(
            "NotSupported",
            "The operation is not supported on a template.",
        ))
    } else {
        Ok(())
    }
}

/// The least-loaded host of a pool's compute resource.
pub(crate) fn host_for_pool(st: &State, pool: &MoRef) -> Option<MoRef> {
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

/// A guest IP for a VM made at run time, derived from its UUID.
pub(crate) fn derived_ip(seed: &str) -> String {
    let u = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes());
    let b = u.as_bytes();
    format!("10.1.{}.{}", b[0], b[1] % 250 + 2)
}
