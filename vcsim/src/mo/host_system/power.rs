//! `RebootHost_Task` and `ShutdownHost_Task`. Both need the host in
//! maintenance mode unless `force` is set (ESXi answers `InvalidState`
//! otherwise). A forced one powers off the VMs still running. While the host
//! is down it is `notResponding` to vCenter and its VMs are `disconnected`;
//! a rebooted host comes back `connected` (still in maintenance mode, as
//! ESXi keeps it across reboots) after `Config::host_reboot_delay`, with a
//! new boot time; a shut-down host stays `poweredOff`.

use std::sync::{Arc, Weak};

use vim25::{Fault, MoRef, Value};

use super::maintenance::{is_in_maintenance, require_up};
use crate::call::{Call, Reply, require};
use crate::events::record;
use crate::mo::virtual_machine::power::set_power;
use crate::state::{Shared, State};

/// The checks both methods make, in ESXi's order.
fn check(st: &State, h: &MoRef, force: bool, verb: &str) -> Result<(), Fault> {
    require_up(st, h)?;
    if !force && !is_in_maintenance(st, h) {
        return Err(Fault::invalid_state(format!(
            "The host {} is not in maintenance mode; enter maintenance mode first or {verb} with force",
            st.objects.name(h)
        )));
    }
    Ok(())
}

/// Takes the host down: running VMs powered off, every VM disconnected.
fn go_down(st: &mut State, h: &MoRef, power: &str) -> Result<(), Fault> {
    for vm in st.objects.refs(h, "vm") {
        if st.objects.str_prop(&vm, "runtime.powerState").as_deref() == Some("poweredOn") {
            set_power(st, &vm, "poweredOff")?;
        }
        st.objects
            .set(&vm, "runtime.connectionState", Value::from("disconnected"))?;
    }
    st.objects
        .set(h, "runtime.connectionState", Value::from("notResponding"))?;
    st.objects.set(h, "runtime.powerState", Value::from(power))
}

/// A rebooted host answering vCenter again.
fn come_back(st: &mut State, h: &MoRef) -> Result<(), Fault> {
    if !st.objects.contains(h)
        || st.objects.str_prop(h, "runtime.connectionState").as_deref() != Some("notResponding")
        || st.objects.str_prop(h, "runtime.powerState").as_deref() != Some("poweredOn")
    {
        return Ok(());
    }
    st.objects
        .set(h, "runtime.connectionState", Value::from("connected"))?;
    st.objects
        .set(h, "runtime.bootTime", Value::from(crate::now()))?;
    for vm in st.objects.refs(h, "vm") {
        st.objects
            .set(&vm, "runtime.connectionState", Value::from("connected"))?;
    }
    let name = st.objects.name(h);
    record(
        st,
        "HostConnectedEvent",
        "",
        format!("Connected to {name}"),
        None,
        Some(h),
        None,
    )?;
    Ok(())
}

/// `HostSystem.RebootHost_Task(force)`.
pub(crate) fn reboot_host(c: &Call) -> Reply {
    let h = c.this().clone();
    let force = c.bool_or("force", false)?;
    let user = c.user().to_string();
    require(&c.read(), &h)?;
    let weak: Weak<Shared> = Arc::downgrade(&c.shared);
    c.task(&h.clone(), move |st| {
        check(st, &h, force, "reboot")?;
        go_down(st, &h, "poweredOn")?;
        let name = st.objects.name(&h);
        record(
            st,
            "HostShutdownEvent",
            &user,
            format!("Shut down of {name}: reboot requested by {user}"),
            None,
            Some(&h),
            None,
        )?;
        record(
            st,
            "HostConnectionLostEvent",
            "",
            format!("Host {name} is not responding"),
            None,
            Some(&h),
            None,
        )?;
        let delay = st.monitor.reboot_delay;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(sh) = weak.upgrade()
                && let Err(f) = sh.try_mutate(|st| come_back(st, &h))
            {
                tracing::error!(host = %h, fault = %f, "bringing a rebooted host back failed");
            }
        });
        Ok(None)
    })
}

/// `HostSystem.ShutdownHost_Task(force)`.
pub(crate) fn shutdown_host(c: &Call) -> Reply {
    let h = c.this().clone();
    let force = c.bool_or("force", false)?;
    let user = c.user().to_string();
    require(&c.read(), &h)?;
    c.task(&h.clone(), move |st| {
        check(st, &h, force, "shut down")?;
        go_down(st, &h, "poweredOff")?;
        let name = st.objects.name(&h);
        record(
            st,
            "HostShutdownEvent",
            &user,
            format!("Shut down of {name}: shutdown requested by {user}"),
            None,
            Some(&h),
            None,
        )?;
        Ok(None)
    })
}
