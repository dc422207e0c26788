//! Reads of a VM's guest as VMware Tools reports it: Tools state and
//! version, the guest's IP, host name and OS, for `get_vm_tools_status` and
//! `wait_for_vm_tools`.

use serde_json::{Value as Json, json};

use crate::vsphere::{Obj, PropSet};

/// VMware Tools and guest identity, with the power state (a powered-off VM
/// never gets Tools, so waiting for them is pointless).
pub const TOOLS: PropSet = PropSet {
    kind: "VirtualMachine",
    paths: &[
        "name",
        "runtime.powerState",
        "guest.toolsStatus",
        "guest.toolsVersion",
        "guest.toolsRunningStatus",
        "guest.toolsVersionStatus2",
        "guest.ipAddress",
        "guest.hostName",
        "guest.guestFullName",
        "guest.guestId",
        "guest.guestState",
    ],
};

/// Whether Tools answer in the guest: `toolsRunningStatus` is the current
/// field, `toolsStatus` the older one a server may report alone.
pub fn tools_running(o: &Obj) -> bool {
    match o.str("guest.toolsRunningStatus") {
        Some(s) => s == "guestToolsRunning",
        None => matches!(o.str("guest.toolsStatus"), Some("toolsOk" | "toolsOld")),
    }
}

/// The contract's `get_vm_tools_status` object; a field Tools does not
/// report (nothing while they are not running) is `null`.
pub fn tools_json(o: &Obj) -> Json {
    let s = |p: &str| o.str(p).map(str::to_string);
    json!({
        "tools_status": s("guest.toolsStatus"),
        "tools_version": s("guest.toolsVersion"),
        "tools_running_status": s("guest.toolsRunningStatus"),
        "tools_version_status": s("guest.toolsVersionStatus2"),
        "ip_address": s("guest.ipAddress"),
        "hostname": s("guest.hostName"),
        "guest_os": s("guest.guestFullName"),
        "guest_id": s("guest.guestId"),
        "guest_state": s("guest.guestState"),
    })
}

/// The guest operations managers, read once per guest tool call.
pub const MANAGERS: PropSet = PropSet {
    kind: "GuestOperationsManager",
    paths: &["fileManager", "processManager"],
};
