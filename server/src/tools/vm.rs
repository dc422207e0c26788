//! VM lookups and state checks shared by the VM tool families.

use vim25::MoRef;

use super::Ctx;
use crate::error::{ToolError, power_state_words};
use crate::views;
use crate::vsphere::Obj;

/// The VM named `name`, or "VM 'name' not found".
pub(super) async fn find_vm(ctx: &Ctx, name: &str) -> Result<MoRef, ToolError> {
    ctx.client
        .find_by_name("VirtualMachine", name)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(name)))?
        .ok_or_else(|| ToolError::new(format!("VM '{name}' not found")))
}

/// Fails with "VM 'name' already exists" when the name is taken.
pub(super) async fn ensure_vm_absent(ctx: &Ctx, name: &str) -> Result<(), ToolError> {
    let found = ctx
        .client
        .find_by_name("VirtualMachine", name)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(name)))?;
    match found {
        Some(_) => Err(ToolError::new(format!("VM '{name}' already exists"))),
        None => Ok(()),
    }
}

/// Power state and VMware Tools state of a VM.
pub(super) struct VmState {
    pub power: String,
    pub tools_running: bool,
}

pub(super) async fn state(ctx: &Ctx, vm: &MoRef, name: &str) -> Result<VmState, ToolError> {
    let o: Obj = ctx
        .client
        .properties(vm, &views::vm::STATE)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(name)))?;
    let power = o.str("runtime.powerState").unwrap_or("unknown").to_string();
    // toolsRunningStatus is the current field; toolsStatus the older one.
    let tools_running = match o.str("guest.toolsRunningStatus") {
        Some(s) => s == "guestToolsRunning",
        None => matches!(o.str("guest.toolsStatus"), Some("toolsOk" | "toolsOld")),
    };
    Ok(VmState {
        power,
        tools_running,
    })
}

/// "VM 'x' is powered off" (or suspended) unless it is powered on.
pub(super) fn require_powered_on(name: &str, st: &VmState, what: &str) -> Result<(), ToolError> {
    if st.power == "poweredOn" {
        return Ok(());
    }
    Err(ToolError::new(format!(
        "VM '{name}' is {}; {what} needs a powered-on VM",
        power_state_words(&st.power)
    )))
}

/// "VMware Tools is not running in VM 'x'" unless Tools is up.
pub(super) fn require_tools(name: &str, st: &VmState, what: &str) -> Result<(), ToolError> {
    if st.tools_running {
        return Ok(());
    }
    Err(ToolError::new(format!(
        "VMware Tools is not running in VM '{name}'; {what} needs VMware Tools in the guest \
         (use power_off or reset_vm for a hard stop)"
    )))
}
