//! power_ops: power_on, power_off, reset_vm, suspend_vm and the guest-OS
//! requests (through VMware Tools) shutdown_guest, reboot_guest, standby_guest.

use vim25::Request;

use super::typed::VmName;
use super::vm::{find_vm, require_powered_on, require_tools, state};
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;

/// Every power tool takes the VM's name, and is shown on the first VM of
/// the default inventory (powered on) and failing on a name it lacks.
const fn tool(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    destructive: bool,
    idempotent: bool,
    example: Example,
    run: super::Run,
) -> ToolDef {
    ToolDef {
        name,
        title,
        description,
        hints: Hints {
            read_only: None,
            destructive: Some(destructive),
            idempotent: Some(idempotent),
        },
        returns: Returns::Text,
        example,
        failure: Failure::Args {
            args: r#"{"name":"no-such-vm"}"#,
            expect: &["VM 'no-such-vm' not found"],
        },
        run,
    }
}

/// All VMs of the default inventory are powered on.
const ON_VM0: Example = Example::args(r#"{"name":"DC0_H0_VM0"}"#);

pub static TOOLS: &[ToolDef] = &[
    tool(
        "power_on",
        "Power on VM",
        "Power on a virtual machine (also resumes a suspended one) and wait until it is running. \
         If it is already powered on nothing happens and the reply says so. Needs the VM name; \
         returns a confirmation sentence.",
        false,
        true,
        Example {
            setup: &[("power_off", r#"{"name":"DC0_H0_VM0"}"#)],
            args: r#"{"name":"DC0_H0_VM0"}"#,
        },
        run!(power_on, VmName),
    ),
    tool(
        "power_off",
        "Power off VM",
        "Hard power-off of a virtual machine, like pulling the plug: the guest OS gets no chance \
         to shut down (use shutdown_guest for a clean shutdown). If it is already off nothing \
         happens and the reply says so. Needs the VM name; returns a confirmation sentence.",
        true,
        true,
        ON_VM0,
        run!(power_off, VmName),
    ),
    tool(
        "reset_vm",
        "Reset VM",
        "Hard reset of a running virtual machine, like pressing the reset button: the guest OS \
         restarts without shutting down (use reboot_guest for a clean restart). Fails if the VM \
         is not powered on. Needs the VM name; returns a confirmation sentence.",
        true,
        false,
        ON_VM0,
        run!(reset_vm, VmName),
    ),
    tool(
        "suspend_vm",
        "Suspend VM",
        "Suspend a running virtual machine: its memory is saved to disk and it stops; power_on \
         resumes it. Already suspended is a no-op; a powered-off VM cannot be suspended. Needs \
         the VM name; returns a confirmation sentence.",
        false,
        true,
        ON_VM0,
        run!(suspend_vm, VmName),
    ),
    tool(
        "shutdown_guest",
        "Shut down guest OS",
        "Ask the guest operating system, through VMware Tools, to shut down cleanly; the VM \
         powers off when the guest finishes (the call returns once the request is accepted). \
         Needs a powered-on VM with VMware Tools running; returns a confirmation sentence.",
        true,
        true,
        ON_VM0,
        run!(shutdown_guest, VmName),
    ),
    tool(
        "reboot_guest",
        "Reboot guest OS",
        "Ask the guest operating system, through VMware Tools, to restart cleanly (the call \
         returns once the request is accepted). Needs a powered-on VM with VMware Tools \
         running; returns a confirmation sentence.",
        true,
        false,
        ON_VM0,
        run!(reboot_guest, VmName),
    ),
    tool(
        "standby_guest",
        "Put guest OS on standby",
        "Ask the guest operating system, through VMware Tools, to enter standby (sleep). Needs \
         a powered-on VM with VMware Tools running and a guest that supports standby; returns a \
         confirmation sentence.",
        false,
        true,
        ON_VM0,
        run!(standby_guest, VmName),
    ),
];

/// Runs a power task on the VM and explains its failure in terms of the VM.
async fn power_task(
    ctx: &Ctx,
    method: &str,
    vm: &vim25::MoRef,
    name: &str,
) -> Result<(), ToolError> {
    ctx.client
        .run_task(&Request::new(method, vm))
        .await
        .map(|_| ())
        .map_err(|e| ToolError::vsphere(&e, Some(name)))
}

async fn power_on(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    let name = args.name;
    let vm = find_vm(&ctx, &name).await?;
    let st = state(&ctx, &vm, &name).await?;
    if st.power == "poweredOn" {
        return Ok(Output::Text(format!(
            "VM '{name}' is already powered on; nothing to do"
        )));
    }
    power_task(&ctx, "PowerOnVM_Task", &vm, &name).await?;
    let how = if st.power == "suspended" {
        "resumed and powered on"
    } else {
        "powered on"
    };
    Ok(Output::Text(format!("VM '{name}' {how}")))
}

async fn power_off(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    let name = args.name;
    let vm = find_vm(&ctx, &name).await?;
    let st = state(&ctx, &vm, &name).await?;
    if st.power == "poweredOff" {
        return Ok(Output::Text(format!(
            "VM '{name}' is already powered off; nothing to do"
        )));
    }
    power_task(&ctx, "PowerOffVM_Task", &vm, &name).await?;
    Ok(Output::Text(format!("VM '{name}' powered off")))
}

async fn reset_vm(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    let name = args.name;
    let vm = find_vm(&ctx, &name).await?;
    let st = state(&ctx, &vm, &name).await?;
    require_powered_on(&name, &st, "a reset")?;
    power_task(&ctx, "ResetVM_Task", &vm, &name).await?;
    Ok(Output::Text(format!("VM '{name}' reset")))
}

async fn suspend_vm(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    let name = args.name;
    let vm = find_vm(&ctx, &name).await?;
    let st = state(&ctx, &vm, &name).await?;
    if st.power == "suspended" {
        return Ok(Output::Text(format!(
            "VM '{name}' is already suspended; nothing to do"
        )));
    }
    require_powered_on(&name, &st, "suspending")?;
    power_task(&ctx, "SuspendVM_Task", &vm, &name).await?;
    Ok(Output::Text(format!("VM '{name}' suspended")))
}

/// The guest requests share one shape: a running VM, Tools up, one call.
async fn guest_request(
    ctx: Ctx,
    args: VmName,
    method: &str,
    what: &str,
    done: &str,
) -> Result<Output, ToolError> {
    let name = args.name;
    let vm = find_vm(&ctx, &name).await?;
    let st = state(&ctx, &vm, &name).await?;
    require_powered_on(&name, &st, what)?;
    require_tools(&name, &st, what)?;
    ctx.client
        .invoke(&Request::new(method, &vm))
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&name)))?;
    Ok(Output::Text(format!("{done} VM '{name}'")))
}

async fn shutdown_guest(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    guest_request(
        ctx,
        args,
        "ShutdownGuest",
        "a guest shutdown",
        "Guest OS shutdown requested for",
    )
    .await
}

async fn reboot_guest(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    guest_request(
        ctx,
        args,
        "RebootGuest",
        "a guest reboot",
        "Guest OS reboot requested for",
    )
    .await
}

async fn standby_guest(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    guest_request(
        ctx,
        args,
        "StandbyGuest",
        "guest standby",
        "Guest OS standby requested for",
    )
    .await
}
