//! disk_management: add_disk, list_disks, extend_disk, remove_disk,
//! attach_iso, detach_iso. Disks and CD/DVD drives are found by their
//! labels ("Hard disk 2"); sizes are in GB; every change is one
//! `ReconfigVM_Task` built by `vim25::spec`.

use serde_json::{Value as Json, json};
use vim25::Data;
use vim25::spec::{self, NewDisk, Provisioning};

use super::devices::{VmDevices, read, reconfigure, spec_error};
use super::params::VM_NAME;
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::views::devices::{cdrom_iso, connected, disk_file, disk_json, disk_kb, kb_to_gb, label};
use crate::vsphere::NAME;

/// Largest disk vSphere 8 creates (62 TB).
const MAX_DISK_GB: i64 = 62 * 1024;
const KB_PER_GB: i64 = 1024 * 1024;

tool_args! {
    pub struct AddDiskArgs {
        vm_name: name, VM_NAME;
        size_gb: int, "Size of the new disk in GB.", positive(MAX_DISK_GB, "GB of disk");
        thin_provisioned: bool = true, "Thin provisioning (space allocated as written); false makes a thick (lazily zeroed) disk.";
        datastore: opt_name, "Datastore for the disk file; default: the VM's own datastore.";
    }
}

tool_args! {
    pub struct VmNameArg {
        vm_name: name, VM_NAME;
    }
}

tool_args! {
    pub struct ExtendDiskArgs {
        vm_name: name, VM_NAME;
        disk_label: string, "The disk's label as vSphere shows it, e.g. 'Hard disk 1' (see list_disks).";
        new_size_gb: int, "The new, larger size in GB.", positive(MAX_DISK_GB, "GB of disk");
    }
}

tool_args! {
    pub struct RemoveDiskArgs {
        vm_name: name, VM_NAME;
        disk_label: string, "The disk's label as vSphere shows it, e.g. 'Hard disk 2' (see list_disks).";
        delete_file: bool = false, "Also delete the disk's .vmdk file from the datastore (cannot be undone); default: keep it.";
    }
}

tool_args! {
    pub struct AttachIsoArgs {
        vm_name: name, VM_NAME;
        iso_path: string, "The ISO image: a datastore path '[datastore1] iso/ubuntu.iso', or a path inside the datastore ('iso/ubuntu.iso').";
        datastore: opt_name, "Datastore holding the ISO when iso_path has no [datastore] prefix; default: the VM's datastore.";
    }
}

const UNKNOWN_VM: Failure = Failure::Args {
    args: r#"{"vm_name":"no-such-vm"}"#,
    expect: &["VM 'no-such-vm' not found"],
};
const POWER_OFF_VM0: (&str, &str) = ("power_off", r#"{"name":"DC0_H0_VM0"}"#);
const ADD_DISK_VM0: (&str, &str) = ("add_disk", r#"{"vm_name":"DC0_H0_VM0","size_gb":2}"#);
const ATTACH_ISO_VM0: (&str, &str) = (
    "attach_iso",
    r#"{"vm_name":"DC0_H0_VM0","iso_path":"iso/ubuntu.iso"}"#,
);

pub static TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "add_disk",
        title: "Add disk",
        description: "Add a new virtual disk of size_gb to a VM, on the first free unit of its \
            SCSI controller (then SATA, NVMe, IDE). Thin-provisioned unless thin_provisioned is \
            false; the file goes on the VM's datastore unless datastore names another. Works \
            on running VMs. Returns vm, action, size_gb, thin_provisioned, datastore, \
            controller and unit_number.",
        hints: Hints::change(true, None),
        returns: Returns::Object,
        example: Example::args(r#"{"vm_name":"DC0_H0_VM0","size_gb":10}"#),
        failure: Failure::Args {
            args: r#"{"vm_name":"DC0_H0_VM0","size_gb":10,"datastore":"NoSuchDS"}"#,
            expect: &["Datastore 'NoSuchDS' not found"],
        },
        run: run!(add_disk, AddDiskArgs),
    },
    ToolDef {
        name: "list_disks",
        title: "List disks",
        description: "The virtual disks of a VM in device order: label ('Hard disk 1'), \
            size_gb, unit_number, controller, backing file, provisioning (thin, thick, \
            eagerZeroedThick) and disk mode.",
        hints: Hints::READ_ONLY,
        returns: Returns::List,
        example: Example::args(r#"{"vm_name":"DC0_H0_VM0"}"#),
        failure: UNKNOWN_VM,
        run: run!(list_disks, VmNameArg),
    },
    ToolDef {
        name: "extend_disk",
        title: "Extend disk",
        description: "Grow a disk, named by its label ('Hard disk 1'), to new_size_gb. Disks \
            can only grow: a smaller size is refused. The guest must still grow its partition \
            and file system. Returns vm, action, disk_label, old_size_gb and new_size_gb.",
        hints: Hints::change(true, None),
        returns: Returns::Object,
        example: Example::args(
            r#"{"vm_name":"DC0_H0_VM0","disk_label":"Hard disk 1","new_size_gb":20}"#,
        ),
        failure: Failure::Args {
            args: r#"{"vm_name":"DC0_H0_VM0","disk_label":"Hard disk 9","new_size_gb":20}"#,
            expect: &["no disk labelled 'Hard disk 9'", "Hard disk 1"],
        },
        run: run!(extend_disk, ExtendDiskArgs),
    },
    ToolDef {
        name: "remove_disk",
        title: "Remove disk",
        description: "Detach a disk, named by its label ('Hard disk 2'), from a VM. Its .vmdk \
            file stays on the datastore unless delete_file is true, which deletes it for good. \
            Returns vm, action, disk_label, disk_path, size_gb and file_deleted.",
        hints: Hints::change(true, None),
        returns: Returns::Object,
        example: Example {
            setup: &[ADD_DISK_VM0],
            args: r#"{"vm_name":"DC0_H0_VM0","disk_label":"Hard disk 2","delete_file":true}"#,
        },
        failure: Failure::Args {
            args: r#"{"vm_name":"DC0_H0_VM0","disk_label":"Hard disk 9"}"#,
            expect: &["no disk labelled 'Hard disk 9'", "Hard disk 1"],
        },
        run: run!(remove_disk, RemoveDiskArgs),
    },
    ToolDef {
        name: "attach_iso",
        title: "Attach ISO",
        description: "Insert an ISO image from a datastore into the VM's first CD/DVD drive and \
            connect it; a VM without a drive gets one (adding a drive needs the VM powered \
            off). iso_path is '[datastore] path/file.iso' or a path inside datastore (default: \
            the VM's datastore). Returns vm, action, iso_path, cdrom and connected.",
        hints: Hints::change(true, None),
        returns: Returns::Object,
        example: Example {
            setup: &[POWER_OFF_VM0],
            args: r#"{"vm_name":"DC0_H0_VM0","iso_path":"iso/ubuntu.iso"}"#,
        },
        failure: Failure::Args {
            args: r#"{"vm_name":"DC0_H0_VM0","iso_path":"[NoSuchDS] iso/ubuntu.iso"}"#,
            expect: &["NoSuchDS", "datastore"],
        },
        run: run!(attach_iso, AttachIsoArgs),
    },
    ToolDef {
        name: "detach_iso",
        title: "Detach ISO",
        description: "Eject the ISO image from the VM's CD/DVD drive: the drive stays, empty \
            and disconnected. Nothing changes when no ISO is inserted (previous_iso is null). \
            Returns vm, action, previous_iso and cdrom.",
        hints: Hints::change(true, None),
        returns: Returns::Object,
        example: Example {
            setup: &[POWER_OFF_VM0, ATTACH_ISO_VM0],
            args: r#"{"vm_name":"DC0_H0_VM0"}"#,
        },
        failure: UNKNOWN_VM,
        run: run!(detach_iso, VmNameArg),
    },
];

/// The datastore named `name`, or an error saying it is not there.
async fn datastore_named(ctx: &Ctx, name: &str) -> Result<vim25::MoRef, ToolError> {
    ctx.client
        .find_by_name("Datastore", name)
        .await?
        .ok_or_else(|| ToolError::new(format!("Datastore '{name}' not found")))
}

/// The name of the VM's first datastore.
async fn vm_datastore_name(ctx: &Ctx, vm: &VmDevices) -> Result<String, ToolError> {
    let first = vm
        .datastores
        .first()
        .ok_or_else(|| ToolError::new(format!("VM '{}' has no datastore; name one", vm.name)))?;
    Ok(ctx
        .client
        .properties(first, &NAME)
        .await?
        .name()
        .to_string())
}

async fn add_disk(ctx: Ctx, args: AddDiskArgs) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let (file_name, datastore, ds_name) = match &args.datastore {
        Some(ds) => {
            let m = datastore_named(&ctx, ds).await?;
            (Some(format!("[{ds}]")), Some(m), ds.clone())
        }
        None => (None, None, vm_datastore_name(&ctx, &vm).await?),
    };
    let (controller_key, unit) = vm.list.disk_slot().ok_or_else(|| {
        ToolError::new(format!(
            "VM '{}' has no free unit on a disk controller (SCSI, SATA, NVMe or IDE)",
            vm.name
        ))
    })?;
    let change = spec::disk_add(&NewDisk {
        key: vm.list.temp_key(),
        controller_key,
        unit,
        capacity_kb: args.size_gb * KB_PER_GB,
        provisioning: if args.thin_provisioned {
            Provisioning::Thin
        } else {
            Provisioning::Thick
        },
        disk_mode: "persistent".into(),
        file_name,
        datastore,
    })
    .map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(&ctx, &vm, vec![change]).await?;
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": "disk_added",
        "size_gb": args.size_gb,
        "thin_provisioned": args.thin_provisioned,
        "datastore": ds_name,
        "controller": vm.controller_label(Some(controller_key)),
        "unit_number": unit,
        "disk_label": vm.list.label_for_new("VirtualDisk"),
    })))
}

async fn list_disks(ctx: Ctx, args: VmNameArg) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let disks = vm
        .of("VirtualDisk")
        .into_iter()
        .map(|d| {
            let ck = d.get("controllerKey").and_then(vim25::Value::as_i64);
            disk_json(d, vm.controller_label(ck).as_deref())
        })
        .collect();
    Ok(Output::Json(Json::Array(disks)))
}

async fn extend_disk(ctx: Ctx, args: ExtendDiskArgs) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let disk = vm.by_label("VirtualDisk", &args.disk_label, "disk")?;
    let old_kb = disk_kb(disk);
    let new_kb = args.new_size_gb * KB_PER_GB;
    if new_kb < old_kb {
        return Err(ToolError::new(format!(
            "Disk '{}' of VM '{}' has {} GB and cannot shrink to {} GB; disks can only grow",
            args.disk_label,
            vm.name,
            kb_to_gb(old_kb),
            args.new_size_gb
        )));
    }
    // vCenter refuses to grow a disk that has a parent (a snapshot delta):
    // say so, and what to do, before asking.
    if disk.path("backing.parent").is_some() {
        return Err(ToolError::new(format!(
            "Disk '{}' of VM '{}' is part of a snapshot chain and cannot be extended; \
             delete the VM's snapshots first",
            args.disk_label, vm.name
        )));
    }
    let change = spec::disk_extend(disk, new_kb).map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(&ctx, &vm, vec![change]).await?;
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": "disk_extended",
        "disk_label": args.disk_label,
        "old_size_gb": kb_to_gb(old_kb),
        "new_size_gb": args.new_size_gb,
    })))
}

async fn remove_disk(ctx: Ctx, args: RemoveDiskArgs) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let disk = vm.by_label("VirtualDisk", &args.disk_label, "disk")?;
    let change = spec::disk_remove(disk, args.delete_file).map_err(|e| spec_error(&vm.name, &e))?;
    let (path, kb) = (disk_file(disk).map(str::to_string), disk_kb(disk));
    reconfigure(&ctx, &vm, vec![change]).await?;
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": "disk_removed",
        "disk_label": args.disk_label,
        "disk_path": path,
        "size_gb": kb_to_gb(kb),
        "file_deleted": args.delete_file,
    })))
}

/// `[ds] path` as given, or `path` on `datastore` (default: the VM's).
async fn iso_datastore_path(
    ctx: &Ctx,
    vm: &VmDevices,
    iso: &str,
    datastore: Option<&str>,
) -> Result<String, ToolError> {
    let iso = iso.trim();
    if iso.is_empty() {
        return Err(ToolError::new("Argument 'iso_path' must not be empty"));
    }
    if iso.starts_with('[') {
        return Ok(iso.to_string());
    }
    let ds = match datastore {
        Some(d) => {
            datastore_named(ctx, d).await?;
            d.to_string()
        }
        None => vm_datastore_name(ctx, vm).await?,
    };
    Ok(format!("[{ds}] {}", iso.trim_start_matches('/')))
}

async fn attach_iso(ctx: Ctx, args: AttachIsoArgs) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let iso = iso_datastore_path(&ctx, &vm, &args.iso_path, args.datastore.as_deref()).await?;
    let existing = vm.of("VirtualCdrom").first().copied().cloned();
    let (change, cdrom) = match &existing {
        Some(d) => (spec::cdrom_set_iso(d, &iso), label(d).to_string()),
        None => (
            spec::cdrom_add_unplaced(vm.list.temp_key(), Some(&iso)),
            vm.list.label_for_new("VirtualCdrom").unwrap_or_default(),
        ),
    };
    let change = change.map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(&ctx, &vm, vec![change]).await?;
    // What the drive reports now (a new drive on a stopped VM is not connected yet).
    let after = read(&ctx, &vm.name).await?;
    let now_connected = after
        .by_label("VirtualCdrom", &cdrom, "CD/DVD drive")
        .map(connected)
        .unwrap_or(false);
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": if existing.is_some() { "iso_attached" } else { "cdrom_added_iso_attached" },
        "iso_path": iso,
        "cdrom": cdrom,
        "connected": now_connected,
    })))
}

async fn detach_iso(ctx: Ctx, args: VmNameArg) -> Result<Output, ToolError> {
    let vm = read(&ctx, &args.vm_name).await?;
    let drives = vm.of("VirtualCdrom");
    let Some(first) = drives.first() else {
        return Err(ToolError::new(format!(
            "VM '{}' has no CD/DVD drive",
            vm.name
        )));
    };
    let with_iso: Option<&Data> = drives.iter().copied().find(|d| cdrom_iso(d).is_some());
    let Some(drive) = with_iso else {
        return Ok(Output::Json(json!({
            "vm": vm.name,
            "action": "no_iso_attached",
            "previous_iso": null,
            "cdrom": label(first),
        })));
    };
    let previous = cdrom_iso(drive).map(str::to_string);
    let change = spec::cdrom_empty(drive).map_err(|e| spec_error(&vm.name, &e))?;
    reconfigure(&ctx, &vm, vec![change]).await?;
    Ok(Output::Json(json!({
        "vm": vm.name,
        "action": "iso_detached",
        "previous_iso": previous,
        "cdrom": label(drive),
    })))
}
