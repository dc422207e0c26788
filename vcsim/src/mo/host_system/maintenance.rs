//! `EnterMaintenanceMode_Task` and `ExitMaintenanceMode_Task`.
//!
//! On vCenter, entering maintenance mode waits until no VM runs on the
//! host: in a DRS cluster (fully automated) DRS migrates the powered-on VMs
//! to the cluster's other usable hosts; elsewhere the task keeps waiting for
//! someone to power them off or move them, and fails with `Timedout` once
//! its `timeout` passes. The simulator has no one to wait for, so when there
//! is nowhere to move a running VM it fails the task with that same
//! `Timedout` fault at once, naming the VMs that still run and why — rather
//! than a task that never ends (`timeout` 0) or a sleep of `timeout` seconds.

use vim25::{Fault, MoRef, Value};

use crate::call::{Call, Reply, require};
use crate::events::{entity_arg, record, record_with};
use crate::state::State;

fn in_maintenance(st: &State, h: &MoRef) -> bool {
    st.objects
        .prop(h, "runtime.inMaintenanceMode")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A connected, powered-on host, or `InvalidState` saying what it is.
pub(crate) fn require_up(st: &State, h: &MoRef) -> Result<(), Fault> {
    require(st, h)?;
    if super::is_up(st, h) {
        return Ok(());
    }
    Err(Fault::invalid_state(format!(
        "The host {} is {} and {}",
        st.objects.name(h),
        st.objects
            .str_prop(h, "runtime.connectionState")
            .unwrap_or_default(),
        st.objects
            .str_prop(h, "runtime.powerState")
            .unwrap_or_default()
    )))
}

/// The hosts DRS may move `h`'s VMs to: the other connected, powered-on
/// hosts of its cluster that are not in maintenance mode, when the cluster
/// has DRS enabled.
fn drs_targets(st: &State, h: &MoRef) -> Vec<MoRef> {
    let Some(cluster) = st.objects.ref_prop(h, "parent") else {
        return vec![];
    };
    let drs = cluster.kind == "ClusterComputeResource"
        && st
            .objects
            .prop(&cluster, "configurationEx")
            .and_then(|c| c.path("drsConfig.enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
    if !drs {
        return vec![];
    }
    st.objects
        .refs(&cluster, "host")
        .into_iter()
        .filter(|o| o != h && super::is_up(st, o) && !in_maintenance(st, o))
        .collect()
}

/// Moves `vm` from `from` to `to` as a DRS vMotion does, with its events.
fn migrate(st: &mut State, user: &str, vm: &MoRef, from: &MoRef, to: &MoRef) -> Result<(), Fault> {
    st.objects
        .set(vm, "runtime.host", Value::moref(to.clone()))?;
    st.objects.remove_ref(from, "vm", vm)?;
    st.objects.push_ref(to, "vm", vm)?;
    let source = entity_arg(st, "HostEventArgument", "host", from);
    let msg = format!(
        "Migrating {} off host {} in {} to {}",
        st.objects.name(vm),
        st.objects.name(from),
        crate::events::datacenter_of(st, from)
            .map(|d| st.objects.name(&d))
            .unwrap_or_default(),
        st.objects.name(to)
    );
    record_with(
        st,
        "DrsVmMigratedEvent",
        user,
        msg,
        Some(vm),
        Some(to),
        None,
        |e| e.set("sourceHost", source),
    )?;
    Ok(())
}

/// `HostSystem.EnterMaintenanceMode_Task(timeout, evacuatePoweredOffVms)`.
pub(crate) fn enter_maintenance_mode(c: &Call) -> Reply {
    let h = c.this().clone();
    let evacuate_off = c.bool_or("evacuatePoweredOffVms", false)?;
    let user = c.user().to_string();
    require(&c.read(), &h)?;
    c.task(&h.clone(), move |st| {
        require_up(st, &h)?;
        let name = st.objects.name(&h);
        if in_maintenance(st, &h) {
            return Err(Fault::invalid_state(format!(
                "The host {name} is already in maintenance mode"
            )));
        }
        record(
            st,
            "EnteringMaintenanceModeEvent",
            &user,
            format!("Host {name} is entering maintenance mode"),
            None,
            Some(&h),
            None,
        )?;
        let vms = st.objects.refs(&h, "vm");
        let running = |st: &State, v: &MoRef| {
            st.objects.str_prop(v, "runtime.powerState").as_deref() == Some("poweredOn")
        };
        let movable: Vec<MoRef> = vms
            .iter()
            .filter(|v| evacuate_off || running(st, v))
            .cloned()
            .collect();
        let targets = drs_targets(st, &h);
        if targets.is_empty() && movable.iter().any(|v| running(st, v)) {
            let names: Vec<String> = movable
                .iter()
                .filter(|v| running(st, v))
                .map(|v| st.objects.name(v))
                .collect();
            let why = match st.objects.ref_prop(&h, "parent") {
                Some(p) if p.kind == "ClusterComputeResource" => format!(
                    "no other connected host of cluster {} can take them",
                    st.objects.name(&p)
                ),
                _ => "it is a standalone host, so there is no host to move them to".into(),
            };
            return Err(Fault::new(
                "Timedout",
                format!(
                    "Host {name} cannot enter maintenance mode: {} powered-on VM(s) ({}) still run on it and {why}; power them off or migrate them first",
                    names.len(),
                    names.join(", ")
                ),
            ));
        }
        for vm in &movable {
            if targets.is_empty() {
                break;
            }
            // The least loaded target, as DRS balances: fewest VMs, then inventory order.
            let to = targets
                .iter()
                .min_by_key(|t| st.objects.refs(t, "vm").len())
                .cloned()
                .ok_or_else(|| Fault::invalid_state("no target host"))?;
            migrate(st, &user, vm, &h, &to)?;
        }
        st.objects
            .set(&h, "runtime.inMaintenanceMode", Value::from(true))?;
        record(
            st,
            "EnteredMaintenanceModeEvent",
            &user,
            format!("Host {name} in {} has entered maintenance mode", dc_name(st, &h)),
            None,
            Some(&h),
            None,
        )?;
        Ok(None)
    })
}

fn dc_name(st: &State, h: &MoRef) -> String {
    crate::events::datacenter_of(st, h)
        .map(|d| st.objects.name(&d))
        .unwrap_or_default()
}

/// `HostSystem.ExitMaintenanceMode_Task(timeout)`.
pub(crate) fn exit_maintenance_mode(c: &Call) -> Reply {
    let h = c.this().clone();
    let user = c.user().to_string();
    require(&c.read(), &h)?;
    c.task(&h.clone(), move |st| {
        require_up(st, &h)?;
        let name = st.objects.name(&h);
        if !in_maintenance(st, &h) {
            return Err(Fault::invalid_state(format!(
                "The host {name} is not in maintenance mode"
            )));
        }
        st.objects
            .set(&h, "runtime.inMaintenanceMode", Value::from(false))?;
        record(
            st,
            "ExitMaintenanceModeEvent",
            &user,
            format!(
                "Host {name} in {} has exited maintenance mode",
                dc_name(st, &h)
            ),
            None,
            Some(&h),
            None,
        )?;
        Ok(None)
    })
}

/// Where a VM about to power on runs, as vCenter decides it: on its host
/// when that host is up and not in maintenance mode; else, in a DRS
/// cluster, on the least loaded usable host of the cluster (DRS's initial
/// placement moves it there first); else nowhere — `InvalidHostState` for
/// a host in maintenance mode, `InvalidHostConnectionState` for one that
/// is disconnected or not responding, each naming the host.
pub(crate) fn place_for_power_on(st: &mut State, user: &str, vm: &MoRef) -> Result<(), Fault> {
    let Some(h) = st.objects.ref_prop(vm, "runtime.host") else {
        return Ok(());
    };
    let up = super::is_up(st, &h);
    let maintenance = in_maintenance(st, &h);
    if up && !maintenance {
        return Ok(());
    }
    let to = drs_targets(st, &h)
        .into_iter()
        .min_by_key(|t| st.objects.refs(t, "vm").len());
    if let Some(to) = to {
        return migrate(st, user, vm, &h, &to);
    }
    let name = st.objects.name(&h);
    let fault = if maintenance {
        Fault::new(
            "InvalidHostState",
            format!(
                "The operation is not allowed in the current state of the host: {name} is in maintenance mode"
            ),
        )
    } else {
        let state = st
            .objects
            .str_prop(&h, "runtime.connectionState")
            .unwrap_or_default();
        Fault::new(
            "InvalidHostConnectionState",
            format!(
                "The operation is not allowed in the current connection state of the host: {name} is {state}"
            ),
        )
    };
    Err(fault.with("host", Value::moref(h)))
}

/// Whether the host is in maintenance mode (for reboot and shutdown).
pub(crate) fn is_in_maintenance(st: &State, h: &MoRef) -> bool {
    in_maintenance(st, h)
}
