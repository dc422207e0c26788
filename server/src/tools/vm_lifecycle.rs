//! vm_lifecycle: list_vms, get_vm_info, create_vm, clone_vm, delete_vm,
//! reconfigure_vm, rename_vm.

use serde_json::Value as Json;
use vim25::spec::{self, Mac, NewDisk, NewNic, Provisioning};
use vim25::{Data, Request, Value};

use super::params::VM_NAME;
use super::typed::{NoArgs, Positive, VmName, tool_args};
use super::vm::{ensure_vm_absent, find_vm};
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, placement, run};
use crate::error::ToolError;
use crate::views;
use crate::vsphere::Obj;

/// Largest values vSphere 8 accepts; anything above is a typo, not a request.
const MAX_CPU: i64 = 768;
const MAX_MEMORY_MB: i64 = 24 * 1024 * 1024;
const MAX_DISK_GB: i64 = 62 * 1024;

tool_args! {
    pub struct CreateVmArgs {
        name: name, "Name for the new VM (at most 80 characters, must not exist yet).";
        cpu: int = 2, "Number of virtual CPUs.", positive(MAX_CPU, "vCPUs");
        memory_mb: int = 4096, "Memory in MB.", positive(MAX_MEMORY_MB, "MB of memory");
        disk_gb: int = 20, "Size of the thin-provisioned system disk in GB.", positive(MAX_DISK_GB, "GB of disk");
        datastore: opt_name, "Datastore for the VM's files and disk; default: VCENTER_DATASTORE or the first datastore.";
        network: opt_name, "Network (port group) for the NIC; default: VCENTER_NETWORK or 'VM Network'.";
        guest_id: string = "otherGuest64", "vSphere guest OS identifier, e.g. otherGuest64, ubuntu64Guest, windows2019srv_64Guest.";
    }
}

tool_args! {
    pub struct CloneVmArgs {
        template_name: name, "Name of the VM or template to copy.";
        new_name: name, "Name for the new VM (must not exist yet).";
        power_on: bool = false, "Power the new VM on once the clone is done.";
        datastore: opt_name, "Datastore for the copy; default: the source's datastore.";
    }
}

tool_args! {
    pub struct ReconfigureVmArgs {
        name: name, VM_NAME;
        cpu: opt_int, "New number of virtual CPUs.";
        memory_mb: opt_int, "New memory size in MB.";
        annotation: opt_string, "New annotation (notes) text; an empty string clears it.";
    }
}

tool_args! {
    pub struct RenameVmArgs {
        name: name, VM_NAME;
        new_name: name, "The new name (at most 80 characters, must not exist yet).";
    }
}

/// A VM name the default inventory does not have.
const UNKNOWN_VM: &str = r#"{"name":"no-such-vm"}"#;

pub static TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "list_vms",
        title: "List virtual machines",
        description: "List every virtual machine in the inventory with its power state \
            (poweredOn/poweredOff/suspended), vCPU count, memory in MB and guest OS. Takes no \
            arguments; returns a list of objects with keys name, power_state, cpu, memory_mb, \
            guest_os and template, sorted by name.",
        hints: Hints {
            read_only: Some(true),
            destructive: None,
            idempotent: None,
        },
        returns: Returns::List,
        example: Example::args("{}"),
        failure: Failure::Unreachable {
            expect: &["cannot reach vCenter"],
        },
        run: run!(list_vms, NoArgs),
    },
    ToolDef {
        name: "get_vm_info",
        title: "Get VM details",
        description: "Full detail of one virtual machine: power state, vCPUs, memory, guest OS \
            and guest id, BIOS and instance UUIDs, host, datastores, IP address and hostname \
            (from VMware Tools), Tools status and version, disks (label, capacity_gb, file, \
            thin_provisioned), NICs (label, mac_address, network, connected) and annotation. \
            Needs the VM name; fails if no VM has that name.",
        hints: Hints {
            read_only: Some(true),
            destructive: None,
            idempotent: None,
        },
        returns: Returns::Object,
        example: Example::args(r#"{"name":"DC0_H0_VM0"}"#),
        failure: Failure::Args {
            args: UNKNOWN_VM,
            expect: &["VM 'no-such-vm' not found"],
        },
        run: run!(get_vm_info, VmName),
    },
    ToolDef {
        name: "create_vm",
        title: "Create VM",
        description: "Create a new, empty (no OS) virtual machine with the given vCPUs, memory, \
            one thin-provisioned disk of disk_gb on a paravirtual SCSI controller and one \
            VMXNET3 NIC. It goes into the configured (else first) datacenter's VM folder and the \
            configured (else first) cluster's resource pool; datastore defaults to \
            VCENTER_DATASTORE or the first datastore, network to VCENTER_NETWORK or 'VM Network'. \
            The VM is left powered off. Fails if the name is taken or a datastore/network is \
            unknown. Returns a confirmation sentence.",
        hints: Hints {
            read_only: None,
            destructive: Some(false),
            idempotent: Some(false),
        },
        returns: Returns::Text,
        example: Example::args(r#"{"name":"app-01"}"#),
        failure: Failure::Args {
            args: r#"{"name":"app-01","datastore":"NoSuchDS"}"#,
            expect: &["Datastore 'NoSuchDS' not found"],
        },
        run: run!(create_vm, CreateVmArgs),
    },
    ToolDef {
        name: "clone_vm",
        title: "Clone VM",
        description: "Clone a VM or template into a new VM in the same folder. Optionally place \
            the copy on another datastore and power it on. Needs the source name and a new, \
            unused name; returns a confirmation sentence.",
        hints: Hints {
            read_only: None,
            destructive: Some(false),
            idempotent: Some(false),
        },
        returns: Returns::Text,
        example: Example::args(r#"{"template_name":"DC0_H0_VM1","new_name":"DC0_H0_VM1-clone"}"#),
        failure: Failure::Args {
            args: r#"{"template_name":"DC0_H0_VM1","new_name":"DC0_H0_VM0"}"#,
            expect: &["VM 'DC0_H0_VM0' already exists"],
        },
        run: run!(clone_vm, CloneVmArgs),
    },
    ToolDef {
        name: "delete_vm",
        title: "Delete VM",
        description: "Permanently destroy a virtual machine and delete its files from the \
            datastore. A running or suspended VM is powered off first. This cannot be undone. \
            Needs the VM name; returns a confirmation sentence.",
        hints: Hints {
            read_only: None,
            destructive: Some(true),
            idempotent: Some(true),
        },
        returns: Returns::Text,
        example: Example::args(r#"{"name":"DC0_H0_VM0"}"#),
        failure: Failure::Args {
            args: UNKNOWN_VM,
            expect: &["VM 'no-such-vm' not found"],
        },
        run: run!(delete_vm, VmName),
    },
    ToolDef {
        name: "reconfigure_vm",
        title: "Reconfigure VM",
        description: "Change the vCPU count, the memory size and/or the annotation (notes) of a \
            VM; parameters left out stay as they are, and at least one must be given. Changing \
            CPU or memory of a running VM needs hot-add enabled, else power it off first. \
            Returns a sentence listing what changed.",
        hints: Hints {
            read_only: None,
            destructive: Some(false),
            idempotent: Some(true),
        },
        returns: Returns::Text,
        example: Example {
            setup: &[("power_off", r#"{"name":"DC0_H0_VM0"}"#)],
            args: r#"{"name":"DC0_H0_VM0","cpu":4,"memory_mb":8192}"#,
        },
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0"}"#,
            expect: &["Nothing to change", "cpu, memory_mb or annotation"],
        },
        run: run!(reconfigure_vm, ReconfigureVmArgs),
    },
    ToolDef {
        name: "rename_vm",
        title: "Rename VM",
        description: "Give a virtual machine a new inventory name (its files on the datastore \
            keep their names). Fails if no VM has the old name or another VM already has the new \
            one. Returns a confirmation sentence.",
        hints: Hints {
            read_only: None,
            destructive: Some(false),
            idempotent: Some(true),
        },
        returns: Returns::Text,
        example: Example::args(r#"{"name":"DC0_H0_VM0","new_name":"web-02"}"#),
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","new_name":"DC0_H0_VM1"}"#,
            expect: &["VM 'DC0_H0_VM1' already exists"],
        },
        run: run!(rename_vm, RenameVmArgs),
    },
];

async fn list_vms(ctx: Ctx, _args: NoArgs) -> Result<Output, ToolError> {
    let vms = views::vm::list(&ctx.client).await?;
    Ok(Output::Json(Json::Array(
        vms.iter().map(views::vm::list_json).collect(),
    )))
}

async fn get_vm_info(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    let name = args.name;
    // The lookup and the read are one round trip when the name is known.
    let vm = ctx
        .client
        .read_by_name("VirtualMachine", &name, &views::vm::INFO)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&name)))?
        .ok_or_else(|| ToolError::new(format!("VM '{name}' not found")))?;
    let info = views::vm::info_of(&ctx.client, &vm)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&name)))?;
    Ok(Output::Json(info))
}

async fn create_vm(ctx: Ctx, args: CreateVmArgs) -> Result<Output, ToolError> {
    let CreateVmArgs {
        name,
        cpu,
        memory_mb,
        disk_gb,
        datastore,
        network,
        guest_id,
    } = args;
    let network = network.unwrap_or_else(|| ctx.defaults.network.clone());
    if guest_id.trim().is_empty() {
        return Err(ToolError::new("Argument 'guest_id' must not be empty"));
    }
    ensure_vm_absent(&ctx, &name).await?;
    let dc = placement::datacenter(&ctx).await?;
    let (_ds, ds_name) = placement::datastore(&ctx, &dc, datastore.as_deref()).await?;
    let backing = placement::nic_backing(&ctx, &dc, &network).await?;
    let pool = placement::resource_pool(&ctx, &dc).await?;

    // Temporary (negative) keys tie the disk to the new controller; vCenter
    // assigns the real ones.
    const CONTROLLER: i64 = -100;
    let devices = [
        spec::scsi_controller_add(CONTROLLER, "ParaVirtualSCSIController", 0),
        spec::disk_add(&NewDisk {
            key: -101,
            controller_key: CONTROLLER,
            unit: 0,
            capacity_kb: disk_gb * 1024 * 1024,
            provisioning: Provisioning::Thin,
            disk_mode: "persistent".into(),
            file_name: None,
            datastore: None,
        }),
        spec::nic_add(&NewNic {
            key: -102,
            type_name: "VirtualVmxnet3".into(),
            backing,
            mac: Mac::Generated,
            start_connected: true,
            connected: false,
        }),
    ];
    let device_change = devices
        .into_iter()
        .map(|d| d.map(Value::data))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ToolError::new(format!("Cannot build the devices of VM '{name}': {e}")))?;
    let spec = Data::new("VirtualMachineConfigSpec")
        .with("name", name.as_str())
        .with("guestId", guest_id.as_str())
        .with("numCPUs", cpu)
        .with("memoryMB", memory_mb)
        .with(
            "files",
            Data::new("VirtualMachineFileInfo").with("vmPathName", format!("[{ds_name}]")),
        )
        .with("deviceChange", Value::array(device_change));
    let req = Request::new("CreateVM_Task", &dc.vm_folder)
        .arg("config", spec)
        .arg("pool", &pool);
    ctx.client
        .run_task(&req)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&name)))?;
    Ok(Output::Text(format!(
        "VM '{name}' created in datacenter '{}': {cpu} vCPU, {memory_mb} MB memory, \
         {disk_gb} GB thin disk on datastore '{ds_name}', NIC on '{network}', guest {guest_id}; \
         it is powered off",
        dc.name
    )))
}

async fn clone_vm(ctx: Ctx, args: CloneVmArgs) -> Result<Output, ToolError> {
    let CloneVmArgs {
        template_name: source,
        new_name,
        power_on,
        datastore,
    } = args;
    let src = ctx
        .client
        .find_by_name("VirtualMachine", &source)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&source)))?
        .ok_or_else(|| ToolError::new(format!("VM or template '{source}' not found")))?;
    ensure_vm_absent(&ctx, &new_name).await?;
    let o: Obj = ctx
        .client
        .properties(&src, &views::vm::CLONE_SOURCE)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&source)))?;
    let mut relocate = Data::new("VirtualMachineRelocateSpec");
    let mut on_ds = String::new();
    let dc = if datastore.is_some()
        || o.moref("resourcePool").is_none()
        || o.moref("parent").is_none()
    {
        Some(placement::datacenter(&ctx).await?)
    } else {
        None
    };
    if let (Some(ds), Some(dc)) = (&datastore, &dc) {
        let (m, n) = placement::datastore(&ctx, dc, Some(ds)).await?;
        relocate.set("datastore", &m);
        on_ds = format!(" on datastore '{n}'");
    }
    // A template has no resource pool; its copy needs one.
    let pool = match (o.moref("resourcePool"), &dc) {
        (Some(p), _) => p.clone(),
        (None, Some(dc)) => placement::resource_pool(&ctx, dc).await?,
        (None, None) => {
            return Err(ToolError::new(format!(
                "VM '{source}' has no resource pool"
            )));
        }
    };
    relocate.set("pool", &pool);
    let folder = match (o.moref("parent"), &dc) {
        (Some(f), _) => f.clone(),
        (None, Some(dc)) => dc.vm_folder.clone(),
        (None, None) => return Err(ToolError::new(format!("VM '{source}' has no folder"))),
    };
    let spec = Data::new("VirtualMachineCloneSpec")
        .with("location", relocate)
        .with("template", false)
        .with("powerOn", power_on);
    let req = Request::new("CloneVM_Task", &src)
        .arg("folder", &folder)
        .arg("name", new_name.as_str())
        .arg("spec", spec);
    ctx.client
        .run_task(&req)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&new_name)))?;
    Ok(Output::Text(format!(
        "VM '{new_name}' cloned from '{source}'{on_ds}; it is {}",
        if power_on {
            "powered on"
        } else {
            "powered off"
        }
    )))
}

async fn delete_vm(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    let name = args.name;
    let vm = find_vm(&ctx, &name).await?;
    let st = super::vm::state(&ctx, &vm, &name).await?;
    let mut note = "";
    if st.power != "poweredOff" {
        ctx.client
            .run_task(&Request::new("PowerOffVM_Task", &vm))
            .await
            .map_err(|e| ToolError::vsphere(&e, Some(&name)))?;
        note = " (powered off first)";
    }
    ctx.client
        .run_task(&Request::new("Destroy_Task", &vm))
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&name)))?;
    Ok(Output::Text(format!("VM '{name}' deleted{note}")))
}

async fn reconfigure_vm(ctx: Ctx, args: ReconfigureVmArgs) -> Result<Output, ToolError> {
    let ReconfigureVmArgs {
        name,
        cpu,
        memory_mb,
        annotation,
    } = args;
    if cpu.is_none() && memory_mb.is_none() && annotation.is_none() {
        return Err(ToolError::new(
            "Nothing to change: give at least one of cpu, memory_mb or annotation",
        ));
    }
    // Checked after "nothing to change", as that is the likelier mistake.
    cpu.check_positive("cpu", MAX_CPU, "vCPUs")?;
    memory_mb.check_positive("memory_mb", MAX_MEMORY_MB, "MB of memory")?;
    let vm = find_vm(&ctx, &name).await?;
    let spec = Data::new("VirtualMachineConfigSpec")
        .with_opt("numCPUs", cpu)
        .with_opt("memoryMB", memory_mb)
        .with_opt("annotation", annotation.as_deref());
    ctx.client
        .run_task(&Request::new("ReconfigVM_Task", &vm).arg("spec", spec))
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&name)))?;
    let mut changes = vec![];
    if let Some(c) = cpu {
        changes.push(format!("{c} vCPU"));
    }
    if let Some(m) = memory_mb {
        changes.push(format!("{m} MB memory"));
    }
    if annotation.is_some() {
        changes.push("annotation updated".to_string());
    }
    Ok(Output::Text(format!(
        "VM '{name}' reconfigured: {}",
        changes.join(", ")
    )))
}

async fn rename_vm(ctx: Ctx, args: RenameVmArgs) -> Result<Output, ToolError> {
    let RenameVmArgs { name, new_name } = args;
    let vm = find_vm(&ctx, &name).await?;
    if new_name == name {
        return Ok(Output::Text(format!("VM '{name}' already has that name")));
    }
    ensure_vm_absent(&ctx, &new_name).await?;
    ctx.client
        .run_task(&Request::new("Rename_Task", &vm).arg("newName", new_name.as_str()))
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&name)))?;
    Ok(Output::Text(format!("VM '{name}' renamed to '{new_name}'")))
}
