//! Power-state tasks (`PowerOnVM_Task`, `PowerOffVM_Task`, `SuspendVM_Task`,
//! `ResetVM_Task`) and the power-state change every other method uses.

use vim25::{Fault, MoRef, Value};

use super::guest::set_tools_running;
use super::model::{devices, power_state};
use super::{event, not_template, where_};
use crate::call::{Call, Reply};
use crate::now;
use crate::state::State;

/// What one power operation does: the states it starts from, where it goes,
/// and the event it records.
struct PowerOp {
    /// `None`: allowed from any state except `to` itself.
    only_from: Option<&'static str>,
    requested: Option<&'static str>,
    to: &'static str,
    event: &'static str,
    verb: &'static str,
}

const POWER_ON: PowerOp = PowerOp {
    only_from: None,
    requested: Some("poweredOn"),
    to: "poweredOn",
    event: "VmPoweredOnEvent",
    verb: "is powered on",
};
const POWER_OFF: PowerOp = PowerOp {
    only_from: None,
    requested: Some("poweredOff"),
    to: "poweredOff",
    event: "VmPoweredOffEvent",
    verb: "is powered off",
};
const SUSPEND: PowerOp = PowerOp {
    only_from: Some("poweredOn"),
    requested: Some("suspended"),
    to: "suspended",
    event: "VmSuspendedEvent",
    verb: "is suspended",
};
const RESET: PowerOp = PowerOp {
    only_from: Some("poweredOn"),
    requested: None,
    to: "poweredOn",
    event: "VmResettingEvent",
    verb: "is reset",
};

pub(crate) fn power_on(c: &Call) -> Reply {
    power_task(c, &POWER_ON)
}

pub(crate) fn power_off(c: &Call) -> Reply {
    power_task(c, &POWER_OFF)
}

pub(crate) fn suspend(c: &Call) -> Reply {
    power_task(c, &SUSPEND)
}

pub(crate) fn reset(c: &Call) -> Reply {
    power_task(c, &RESET)
}

fn power_task(c: &Call, op: &'static PowerOp) -> Reply {
    let vm = c.this().clone();
    let user = c.user().to_string();
    c.task(c.this(), move |st: &mut State| {
        crate::call::require(st, &vm)?;
        not_template(st, &vm)?;
        let cur = power_state(st, &vm);
        let allowed = match op.only_from {
            Some(from) => cur == from,
            None => cur != op.to,
        };
        if !allowed {
            return Err(Fault::invalid_power_state(op.requested, &cur));
        }
        if op.to == "poweredOn" && cur != "poweredOn" {
            crate::mo::host_system::place_for_power_on(st, &user, &vm)?;
        }
        set_power(st, &vm, op.to)?;
        let msg = format!("{} {}", where_(st, &vm), op.verb);
        event(st, op.event, &user, &vm, msg)?;
        Ok(None)
    })
}

/// Sets the power state and everything that follows from it: boot time,
/// NIC connection, (summaries follow at commit), and VMware Tools, which stops
/// at once and, when the VM is (re)booted into `poweredOn`, comes up a moment
/// later (`tools.rs`), as a booting guest's Tools does.
pub(crate) fn set_power(st: &mut State, vm: &MoRef, state: &str) -> Result<(), Fault> {
    apply_power(st, vm, state)?;
    set_tools_running(st, vm, false)?;
    if state == "poweredOn" {
        super::tools::schedule_start(st, vm);
    }
    Ok(())
}

/// [`set_power`] for a VM whose guest booted long ago (an inventory VM that
/// starts powered on): its Tools is already running.
pub(crate) fn set_power_booted(st: &mut State, vm: &MoRef, state: &str) -> Result<(), Fault> {
    apply_power(st, vm, state)?;
    set_tools_running(st, vm, state == "poweredOn")
}

fn apply_power(st: &mut State, vm: &MoRef, state: &str) -> Result<(), Fault> {
    let on = state == "poweredOn";
    let o = &mut st.objects;
    o.set(vm, "runtime.powerState", Value::from(state))?;
    if on {
        o.set(vm, "runtime.bootTime", Value::from(now()))?;
        o.unset(vm, "runtime.suspendTime")?;
    } else {
        o.unset(vm, "runtime.bootTime")?;
        if state == "suspended" {
            o.set(vm, "runtime.suspendTime", Value::from(now()))?;
        }
    }
    set_connections(st, vm, on)
}

/// Devices are connected exactly while the VM runs: at power-on each
/// connectable device (NIC, CD/DVD drive, serial port) connects if it is set
/// to start connected; a VM that is not running has nothing connected.
fn set_connections(st: &mut State, vm: &MoRef, on: bool) -> Result<(), Fault> {
    let devs: Vec<Value> = devices(st, vm)
        .into_vec()
        .into_iter()
        .map(|mut d| {
            if let Some(c) = d.get_mut("connectable").and_then(Value::data_mut) {
                let start = c
                    .get("startConnected")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                c.set("connected", on && start);
                c.set("status", if on { "ok" } else { "untried" });
            }
            Value::data(d)
        })
        .collect();
    st.objects
        .set(vm, "config.hardware.device", Value::array(devs))
}

/// A change to a VM that is not running may ask for a device to be
/// connected now (an ISO inserted, a NIC connected); vCenter keeps only its
/// start-connected wish, and the device connects at the next power-on.
pub(crate) fn disconnect_unless_running(st: &mut State, vm: &MoRef) -> Result<(), Fault> {
    if power_state(st, vm) == "poweredOn" {
        return Ok(());
    }
    let connected = devices(st, vm)
        .iter()
        .any(|d| d.path("connectable.connected").and_then(Value::as_bool) == Some(true));
    if connected {
        set_connections(st, vm, false)?;
    }
    Ok(())
}
