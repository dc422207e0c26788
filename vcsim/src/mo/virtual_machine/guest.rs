//! Guest OS power requests (`ShutdownGuest`, `RebootGuest`, `StandbyGuest`)
//! and the VMware Tools / guest identity state that follows the power state.

use std::time::Duration;

use vim25::{Data, Fault, MoRef, Value};

use super::model::{TOOLS_VERSION, guest_ip, power_state, tools_installed, tools_running};
use super::power::set_power;
use super::{event, where_};
use crate::call::{Call, Reply};
use crate::state::State;

/// What a guest request does once the guest has gone down.
#[derive(Clone, Copy)]
struct GuestOp {
    event: &'static str,
    verb: &'static str,
    /// The power state the VM ends in; `None`: it comes back up (reboot).
    after: Option<&'static str>,
}

pub(crate) fn shutdown_guest(c: &Call) -> Reply {
    guest_power(
        c,
        GuestOp {
            event: "VmGuestShutdownEvent",
            verb: "Guest OS shut down for",
            after: Some("poweredOff"),
        },
    )
}

pub(crate) fn standby_guest(c: &Call) -> Reply {
    guest_power(
        c,
        GuestOp {
            event: "VmGuestStandbyEvent",
            verb: "Guest OS standby for",
            after: Some("suspended"),
        },
    )
}

pub(crate) fn reboot_guest(c: &Call) -> Reply {
    guest_power(
        c,
        GuestOp {
            event: "VmGuestRebootEvent",
            verb: "Guest OS reboot for",
            after: None,
        },
    )
}

/// Synchronous calls that need a running VM with Tools; the power change
/// follows shortly after, as its own change (so `WaitForUpdates` sees it).
fn guest_power(c: &Call, op: GuestOp) -> Reply {
    let vm = c.this().clone();
    let user = c.user().to_string();
    c.shared.try_mutate(|st| {
        crate::call::require(st, &vm)?;
        let cur = power_state(st, &vm);
        if cur != "poweredOn" {
            return Err(Fault::invalid_power_state(None, &cur));
        }
        if !tools_running(st, &vm) {
            return Err(Fault::tools_unavailable());
        }
        let msg = format!("{} {}", op.verb, where_(st, &vm));
        event(st, op.event, &user, &vm, msg)?;
        // While the guest goes down, Tools stops answering.
        set_tools_running(st, &vm, false)
    })?;
    let shared = c.shared.clone();
    let delay = shared.task_duration.max(Duration::from_millis(20));
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let done = shared.try_mutate(|st| {
            if !st.objects.contains(&vm) || power_state(st, &vm) != "poweredOn" {
                return Ok(());
            }
            match op.after {
                Some(state) => {
                    set_power(st, &vm, state)?;
                    let (kind, verb) = if state == "poweredOff" {
                        ("VmPoweredOffEvent", "is powered off")
                    } else {
                        ("VmSuspendedEvent", "is suspended")
                    };
                    let msg = format!("{} {verb}", where_(st, &vm));
                    event(st, kind, &user, &vm, msg)
                }
                // The guest is back up; its Tools follows after the boot delay.
                None => {
                    super::tools::schedule_start(st, &vm);
                    Ok(())
                }
            }
        });
        if let Err(f) = done {
            tracing::warn!(vm = %vm, fault = %f, "delayed guest power change failed");
        }
    });
    Ok(None)
}

/// Tools runs while the VM is on (if installed); the guest identity it
/// reports disappears when it stops, as on vCenter.
pub(crate) fn set_tools_running(st: &mut State, vm: &MoRef, running: bool) -> Result<(), Fault> {
    let installed = tools_installed(st, vm);
    let ip = guest_ip(st, vm);
    let name = st.objects.name(vm);
    let guest_id = st
        .objects
        .str_prop(vm, "config.guestId")
        .unwrap_or_default();
    let full = st
        .objects
        .str_prop(vm, "config.guestFullName")
        .unwrap_or_default();
    let mut g = Data::new("GuestInfo");
    if installed {
        g.set("toolsVersion", TOOLS_VERSION.to_string());
        g.set("toolsVersionStatus", "guestToolsCurrent");
        g.set("toolsVersionStatus2", "guestToolsCurrent");
        g.set("toolsInstallType", "guestToolsTypeOpenVMTools");
    } else {
        g.set("toolsVersion", "0");
        g.set("toolsVersionStatus", "guestToolsNotInstalled");
        g.set("toolsVersionStatus2", "guestToolsNotInstalled");
    }
    if running && installed {
        g.set("toolsStatus", "toolsOk");
        g.set("toolsRunningStatus", "guestToolsRunning");
        g.set("guestId", guest_id);
        g.set("guestFullName", full);
        g.set("guestFamily", "otherGuestFamily");
        g.set("hostName", name);
        if let Some(ip) = ip {
            g.set(
                "net",
                Value::array(vec![Value::data(
                    Data::new("GuestNicInfo")
                        .with("network", "VM Network")
                        .with("ipAddress", vec![ip.clone()])
                        .with("connected", true)
                        .with("deviceConfigId", 4000),
                )]),
            );
            g.set("ipAddress", ip);
        }
        g.set("guestState", "running");
        g.set("guestOperationsReady", true);
        g.set("interactiveGuestOperationsReady", false);
        g.set("guestStateChangeSupported", true);
    } else {
        g.set(
            "toolsStatus",
            if installed {
                "toolsNotRunning"
            } else {
                "toolsNotInstalled"
            },
        );
        g.set("toolsRunningStatus", "guestToolsNotRunning");
        g.set("guestState", "notRunning");
    }
    st.objects.set(vm, "guest", Value::data(g))
}
