//! vcenter_ops, migration: storage_vmotion (all of a VM's files) and
//! move_vm_disk (one disk), both `RelocateVM_Task`. Disks get a
//! `DiskLocator` each: the target datastore, and for a thin/thick change
//! the disk's own backing with `thinProvisioned` set, as vCenter expects.

use serde_json::json;
use vim25::{Data, MoRef, Request, Value};

use super::devices::{self, VmDevices};
use super::params::VM_NAME;
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, inventory, run};
use crate::error::ToolError;
use crate::views::devices::label;
use crate::vsphere::NAME;

tool_args! {
    pub struct StorageVmotionArgs {
        vm_name: name, VM_NAME;
        target_datastore: name, "Datastore to move the VM's files (home and disks) to.";
        thin_provision: opt_bool, "true: make the disks thin on the target; false: thick; omit to keep each disk as it is.";
    }
}

tool_args! {
    pub struct MoveDiskArgs {
        vm_name: name, VM_NAME;
        disk_label: string, "Label of the disk to move, e.g. 'Hard disk 1' (list_disks shows them).";
        target_datastore: name, "Datastore to move the disk's file to.";
    }
}

pub const STORAGE_VMOTION: ToolDef = ToolDef {
    name: "storage_vmotion",
    title: "Storage vMotion",
    description: "Move all of a VM's files (its home folder and every disk) to \
        target_datastore, running or not (RelocateVM_Task). thin_provision true makes the disks \
        thin, false thick, omitted keeps them as they are. Fails for an unknown VM or \
        datastore (listing the datastores). Returns vm, action, source_datastore, \
        target_datastore and thin_provision.",
    hints: Hints::change(true, Some(true)),
    returns: Returns::Object,
    example: Example::args(r#"{"vm_name":"DC0_H0_VM0","target_datastore":"NFS_DS_0"}"#),
    failure: Failure::Args {
        args: r#"{"vm_name":"DC0_H0_VM0","target_datastore":"no-such-ds"}"#,
        expect: &["Datastore 'no-such-ds' not found", "LocalDS_0"],
    },
    run: run!(storage_vmotion, StorageVmotionArgs),
};

pub const MOVE_VM_DISK: ToolDef = ToolDef {
    name: "move_vm_disk",
    title: "Move VM disk",
    description: "Move one disk of a VM (by label, e.g. 'Hard disk 1') to target_datastore; \
        the VM's other files stay where they are (RelocateVM_Task with one disk locator). \
        Fails for an unknown VM, label (listing the VM's disks) or datastore. Returns vm, \
        action, disk, source_datastore and target_datastore.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example::args(
        r#"{"vm_name":"DC0_H0_VM0","disk_label":"Hard disk 1","target_datastore":"NFS_DS_0"}"#,
    ),
    failure: Failure::Args {
        args: r#"{"vm_name":"DC0_H0_VM0","disk_label":"Hard disk 9","target_datastore":"NFS_DS_0"}"#,
        expect: &["no disk labelled 'Hard disk 9'", "Hard disk 1"],
    },
    run: run!(move_vm_disk, MoveDiskArgs),
};

/// The datastore named `name`, or an error listing the datastores.
async fn datastore(ctx: &Ctx, name: &str) -> Result<MoRef, ToolError> {
    Ok(
        inventory::find_named(ctx, "Datastore", "Datastore", name, &NAME)
            .await?
            .moref,
    )
}

/// The datastore name in a `[ds] path` file name.
fn ds_of(file: &str) -> Option<&str> {
    file.strip_prefix('[')?.split(']').next()
}

fn disk_file(d: &Data) -> Option<&str> {
    d.path("backing.fileName").and_then(Value::as_str)
}

/// A disk's locator: where it goes, and with `thin` its backing changed.
fn locator(disk: &Data, target: &MoRef, thin: Option<bool>) -> Data {
    let key = disk.get("key").and_then(Value::as_i64).unwrap_or_default();
    let mut l = Data::new("VirtualMachineRelocateSpecDiskLocator")
        .with("diskId", key)
        .with("datastore", target);
    if let (Some(t), Some(backing)) = (thin, disk.get("backing").and_then(Value::as_data)) {
        let mut b = backing.clone();
        b.set("fileName", "");
        b.remove("datastore");
        b.set("thinProvisioned", t);
        if t {
            b.set("eagerlyScrub", false);
        }
        l.set("diskBackingInfo", b);
    }
    l
}

async fn relocate(ctx: &Ctx, vm: &VmDevices, spec: Data) -> Result<(), ToolError> {
    ctx.client
        .run_task(&Request::new("RelocateVM_Task", &vm.vm).arg("spec", spec))
        .await
        .map(|_| ())
        .map_err(|e| ToolError::vsphere(&e, Some(&vm.name)))
}

async fn storage_vmotion(ctx: Ctx, args: StorageVmotionArgs) -> Result<Output, ToolError> {
    let StorageVmotionArgs {
        vm_name,
        target_datastore,
        thin_provision,
    } = args;
    let vm = devices::read(&ctx, &vm_name).await?;
    let target = datastore(&ctx, &target_datastore).await?;
    let disks = vm.of("VirtualDisk");
    let source = match vm.datastores.first() {
        Some(d) => ctx
            .client
            .properties(d, &NAME)
            .await
            .ok()
            .map(|o| o.name().to_string()),
        None => None,
    };
    let all_there = vm.datastores.iter().all(|d| d == &target)
        && disks
            .iter()
            .all(|d| disk_file(d).and_then(ds_of) == Some(target_datastore.as_str()));
    let thin_now = |d: &&Data| d.path("backing.thinProvisioned").and_then(Value::as_bool);
    let same_kind = thin_provision.is_none_or(|t| disks.iter().all(|d| thin_now(d) == Some(t)));
    if all_there && same_kind {
        return Ok(Output::Json(json!({
            "vm": vm_name,
            "action": "already on datastore",
            "source_datastore": source,
            "target_datastore": target_datastore,
            "thin_provision": thin_provision,
        })));
    }
    let locators: Vec<Value> = disks
        .iter()
        .map(|d| Value::data(locator(d, &target, thin_provision)))
        .collect();
    let spec = Data::new("VirtualMachineRelocateSpec")
        .with("datastore", &target)
        .with("disk", Value::array(locators));
    relocate(&ctx, &vm, spec).await?;
    Ok(Output::Json(json!({
        "vm": vm_name,
        "action": "migrated",
        "source_datastore": source,
        "target_datastore": target_datastore,
        "thin_provision": thin_provision,
    })))
}

async fn move_vm_disk(ctx: Ctx, args: MoveDiskArgs) -> Result<Output, ToolError> {
    let MoveDiskArgs {
        vm_name,
        disk_label,
        target_datastore,
    } = args;
    let vm = devices::read(&ctx, &vm_name).await?;
    let disk = vm.by_label("VirtualDisk", &disk_label, "disk")?;
    let target = datastore(&ctx, &target_datastore).await?;
    let source = disk_file(disk).and_then(ds_of).map(str::to_string);
    if source.as_deref() == Some(target_datastore.as_str()) {
        return Ok(Output::Json(json!({
            "vm": vm_name,
            "action": "already on datastore",
            "disk": label(disk),
            "source_datastore": source,
            "target_datastore": target_datastore,
        })));
    }
    let spec = Data::new("VirtualMachineRelocateSpec").with(
        "disk",
        Value::array(vec![Value::data(locator(disk, &target, None))]),
    );
    relocate(&ctx, &vm, spec).await?;
    Ok(Output::Json(json!({
        "vm": vm_name,
        "action": "moved",
        "disk": label(disk),
        "source_datastore": source,
        "target_datastore": target_datastore,
    })))
}
