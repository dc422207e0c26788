//! Descriptions of the parameters many tools share, so the same argument
//! reads the same in every tool's schema. A tool declares the parameter
//! (its name, kind and default) in its own [`super::typed::tool_args!`] and
//! takes the description from here.

/// `name` (or `vm_name`) of an existing VM.
pub const VM_NAME: &str = "Name of the virtual machine, exactly as shown in the vSphere inventory.";

/// `datastore` where a tool reads or writes files.
pub const DATASTORE: &str = "Name of the datastore, exactly as shown in the vSphere inventory.";

/// `network` a NIC connects to.
pub const NETWORK: &str =
    "Network (standard or distributed port group) name, exactly as shown in the vSphere inventory.";

/// `host_name` of an ESXi host.
pub const HOST_NAME: &str = "Name of the ESXi host, exactly as shown in the vSphere inventory.";

/// `snapshot_name` of a VM snapshot.
pub const SNAPSHOT_NAME: &str = "Name of the snapshot, as shown in the VM's snapshot tree.";

/// `username` for guest operations.
pub const GUEST_USER: &str = "User name of an account in the guest operating system.";

/// `password` for guest operations; redacted in audit records and logs.
pub const GUEST_PASSWORD: &str = "Password of that guest account (never logged or echoed).";
