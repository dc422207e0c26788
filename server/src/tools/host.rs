//! What the host tools share: the host a call acts on (the one named by the
//! optional `host_name`, else the first host in the inventory as the
//! original did) and vSphere faults in the host's terms.

use super::Ctx;
use super::inventory::find_named;
use crate::error::{ToolError, VsError};
use crate::vsphere::{Obj, PropSet};

/// `host_name`'s description: an extension of the contract, which has none.
pub(super) const HOST_NAME_OPT: &str = "Name of the ESXi host, exactly as shown in the vSphere \
    inventory; omit for the first host in the inventory (the original tool's only behaviour; \
    this parameter extends the contract).";

/// The host named `name` (an unknown name fails listing the hosts there
/// are), or the first host in the inventory, with the paths of `set`.
pub(super) async fn find_host(
    ctx: &Ctx,
    name: Option<&str>,
    set: &PropSet,
) -> Result<Obj, ToolError> {
    if let Some(n) = name {
        return find_named(ctx, "HostSystem", "Host", n, set).await;
    }
    let mut hosts = ctx
        .client
        .list("HostSystem", set)
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?;
    if hosts.is_empty() {
        return Err(ToolError::new("This vCenter has no ESXi hosts"));
    }
    Ok(hosts.swap_remove(0))
}

/// A vSphere failure of a call on host `host`, in words naming it.
pub(super) fn host_error(e: &VsError, host: &str) -> ToolError {
    let Some(f) = e.fault() else {
        return ToolError::vsphere(e, None);
    };
    let msg = if f.message.is_empty() {
        f.fault_type().unwrap_or("the request failed").to_string()
    } else {
        f.message.clone()
    };
    let kind = f.fault_type().unwrap_or("fault");
    ToolError::new(format!("Host '{host}': {msg} ({kind})"))
}
