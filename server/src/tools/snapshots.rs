//! snapshots: create_snapshot, list_snapshots, revert_to_snapshot,
//! revert_to_current_snapshot, delete_snapshot, delete_all_snapshots,
//! rename_snapshot. Snapshots are addressed by name; vSphere lets two share
//! a name, and then the most recent one (highest id) is meant. Each tool
//! reads the VM and its whole tree in one PropertyCollector round trip.

use serde_json::Value as Json;
use vim25::Request;

use super::params::{SNAPSHOT_NAME, VM_NAME};
use super::typed::{VmName, tool_args};
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::{ToolError, power_state_words};
use crate::views::snapshot::{self as view, Snap};
use crate::vsphere::Obj;

tool_args! {
    pub struct CreateSnapshotArgs {
        name: name, VM_NAME;
        snapshot_name: name, "Name for the new snapshot (need not be unique, but unique names are easier to address).";
        description: string = "", "Free-text description stored with the snapshot.";
        memory: bool = true, "Include the VM's memory, so reverting resumes it running; ignored for a VM that is not powered on.";
        quiesce: bool = false, "Quiesce the guest file systems through VMware Tools first (needs Tools running in a powered-on VM).";
    }
}

tool_args! {
    pub struct SnapshotArgs {
        name: name, VM_NAME;
        snapshot_name: name, SNAPSHOT_NAME;
    }
}

tool_args! {
    pub struct DeleteSnapshotArgs {
        name: name, VM_NAME;
        snapshot_name: name, SNAPSHOT_NAME;
        remove_children: bool = false, "Also remove every snapshot below this one; otherwise they move up to its parent.";
    }
}

tool_args! {
    pub struct RenameSnapshotArgs {
        name: name, VM_NAME;
        snapshot_name: name, SNAPSHOT_NAME;
        new_name: opt_name, "New name; omit to keep the current one.";
        new_description: opt_string, "New description; omit to keep the current one, an empty string clears it.";
    }
}

/// Setting up a snapshot named "before-upgrade" on the first VM.
const TAKE: &[(&str, &str)] = &[(
    "create_snapshot",
    r#"{"name":"DC0_H0_VM0","snapshot_name":"before-upgrade"}"#,
)];
const UNKNOWN_SNAPSHOT: &str = r#"{"name":"DC0_H0_VM0","snapshot_name":"no-such-snapshot"}"#;

pub static TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "create_snapshot",
        title: "Create snapshot",
        description: "Take a snapshot of a virtual machine. With memory (the default) a running \
            VM's memory is saved too, so reverting brings it back running; without, the snapshot \
            holds the disks only. quiesce asks VMware Tools to flush the guest file systems \
            first. The new snapshot becomes the current one. Returns a confirmation sentence.",
        hints: Hints::change(false, Some(false)),
        returns: Returns::Text,
        example: Example::args(
            r#"{"name":"DC0_H0_VM0","snapshot_name":"before-upgrade","description":"pre-patch state"}"#,
        ),
        failure: Failure::Args {
            args: r#"{"name":"no-such-vm","snapshot_name":"s1"}"#,
            expect: &["VM 'no-such-vm' not found"],
        },
        run: run!(create_snapshot, CreateSnapshotArgs),
    },
    ToolDef {
        name: "list_snapshots",
        title: "List snapshots",
        description: "The snapshot tree of a virtual machine, flattened parents-first: one \
            object per snapshot with name, description, id, created (time), state (the power \
            state it was taken in), quiesced, parent (the parent snapshot's name, null for a \
            root), is_current and children (how many hang below it). Empty when the VM has no \
            snapshots.",
        hints: Hints::READ_ONLY,
        returns: Returns::List,
        example: Example {
            setup: TAKE,
            args: r#"{"name":"DC0_H0_VM0"}"#,
        },
        failure: Failure::Args {
            args: r#"{"name":"no-such-vm"}"#,
            expect: &["VM 'no-such-vm' not found"],
        },
        run: run!(list_snapshots, VmName),
    },
    ToolDef {
        name: "revert_to_snapshot",
        title: "Revert to snapshot",
        description: "Return a virtual machine to a named snapshot: its disks, settings and \
            devices as they were, and its power state (running if the snapshot holds memory, \
            otherwise powered off). Changes since are lost unless another snapshot holds them. \
            The snapshot becomes the current one. Returns a confirmation sentence.",
        hints: Hints::change(true, Some(false)),
        returns: Returns::Text,
        example: Example {
            setup: TAKE,
            args: r#"{"name":"DC0_H0_VM0","snapshot_name":"before-upgrade"}"#,
        },
        failure: Failure::Args {
            args: UNKNOWN_SNAPSHOT,
            expect: &["VM 'DC0_H0_VM0' has no snapshots", "'no-such-snapshot'"],
        },
        run: run!(revert_to_snapshot, SnapshotArgs),
    },
    ToolDef {
        name: "revert_to_current_snapshot",
        title: "Revert to current snapshot",
        description: "Return a virtual machine to its current snapshot (the one last taken or \
            reverted to), discarding changes made since. Fails if the VM has no snapshots. \
            Returns a confirmation sentence.",
        hints: Hints::change(true, Some(false)),
        returns: Returns::Text,
        example: Example {
            setup: TAKE,
            args: r#"{"name":"DC0_H0_VM0"}"#,
        },
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0"}"#,
            expect: &["VM 'DC0_H0_VM0' has no snapshots"],
        },
        run: run!(revert_to_current_snapshot, VmName),
    },
    ToolDef {
        name: "delete_snapshot",
        title: "Delete snapshot",
        description: "Remove one named snapshot; its changes are consolidated into the disks, so \
            the VM's present state is kept. Snapshots below it move up to its parent, or go too \
            with remove_children. If it was the current snapshot, its parent becomes current. \
            Returns a confirmation sentence.",
        hints: Hints::change(true, Some(true)),
        returns: Returns::Text,
        example: Example {
            setup: TAKE,
            args: r#"{"name":"DC0_H0_VM0","snapshot_name":"before-upgrade"}"#,
        },
        failure: Failure::Args {
            args: UNKNOWN_SNAPSHOT,
            expect: &["VM 'DC0_H0_VM0' has no snapshots", "'no-such-snapshot'"],
        },
        run: run!(delete_snapshot, DeleteSnapshotArgs),
    },
    ToolDef {
        name: "delete_all_snapshots",
        title: "Delete all snapshots",
        description: "Remove every snapshot of a virtual machine, consolidating them into its \
            disks (the VM's present state is kept). A VM without snapshots is left as it is and \
            the reply says so. Returns a confirmation sentence.",
        hints: Hints::change(true, Some(true)),
        returns: Returns::Text,
        example: Example {
            setup: TAKE,
            args: r#"{"name":"DC0_H0_VM0"}"#,
        },
        failure: Failure::Args {
            args: r#"{"name":"no-such-vm"}"#,
            expect: &["VM 'no-such-vm' not found"],
        },
        run: run!(delete_all_snapshots, VmName),
    },
    ToolDef {
        name: "rename_snapshot",
        title: "Rename snapshot",
        description: "Change the name and/or the description of a snapshot; give at least one of \
            new_name and new_description. Returns a confirmation sentence.",
        hints: Hints::change(false, Some(true)),
        returns: Returns::Text,
        example: Example {
            setup: TAKE,
            args: r#"{"name":"DC0_H0_VM0","snapshot_name":"before-upgrade","new_name":"patched","new_description":"after the patch run"}"#,
        },
        failure: Failure::Args {
            args: r#"{"name":"DC0_H0_VM0","snapshot_name":"before-upgrade","new_name":"x"}"#,
            expect: &["VM 'DC0_H0_VM0' has no snapshots"],
        },
        run: run!(rename_snapshot, RenameSnapshotArgs),
    },
];

/// The VM named `name` with its snapshot tree, in one read.
async fn read_vm(ctx: &Ctx, name: &str) -> Result<(Obj, Vec<Snap>), ToolError> {
    let o = ctx
        .client
        .read_by_name("VirtualMachine", name, &view::TREE)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(name)))?
        .ok_or_else(|| ToolError::new(format!("VM '{name}' not found")))?;
    let snaps = view::flatten(&o);
    Ok((o, snaps))
}

fn no_snapshots(vm: &str) -> ToolError {
    ToolError::new(format!("VM '{vm}' has no snapshots"))
}

/// The snapshot named `wanted` (the most recent of several), or an error
/// listing the names the VM has.
fn by_name<'a>(vm: &str, snaps: &'a [Snap], wanted: &str) -> Result<&'a Snap, ToolError> {
    if snaps.is_empty() {
        return Err(ToolError::new(format!(
            "VM '{vm}' has no snapshots, so none named '{wanted}'"
        )));
    }
    if let Some(s) = snaps
        .iter()
        .filter(|s| s.name == wanted)
        .max_by_key(|s| s.id)
    {
        return Ok(s);
    }
    let mut names: Vec<String> = snaps.iter().map(|s| format!("'{}'", s.name)).collect();
    names.dedup();
    Err(ToolError::new(format!(
        "VM '{vm}' has no snapshot named '{wanted}'; its snapshots are: {}",
        names.join(", ")
    )))
}

async fn task(ctx: &Ctx, req: Request, vm: &str) -> Result<(), ToolError> {
    ctx.client
        .run_task(&req)
        .await
        .map(|_| ())
        .map_err(|e| ToolError::vsphere(&e, Some(vm)))
}

/// "it is powered on", read back after a revert.
async fn power_now(ctx: &Ctx, vm: &str) -> Result<String, ToolError> {
    let (o, _) = read_vm(ctx, vm).await?;
    Ok(power_state_words(o.str("runtime.powerState").unwrap_or("unknown")).to_string())
}

async fn create_snapshot(ctx: Ctx, a: CreateSnapshotArgs) -> Result<Output, ToolError> {
    let (o, _) = read_vm(&ctx, &a.name).await?;
    let on = o.str("runtime.powerState") == Some("poweredOn");
    // vSphere quietly skips quiescing when Tools is not running; a caller who
    // asked for it should hear so before a crash-consistent snapshot is taken.
    let tools = o.str("guest.toolsRunningStatus") == Some("guestToolsRunning");
    if a.quiesce && on && !tools {
        return Err(ToolError::new(format!(
            "VMware Tools is not running in VM '{}'; a quiesced snapshot needs it (take the \
             snapshot with quiesce=false for a crash-consistent one)",
            a.name
        )));
    }
    let req = Request::new("CreateSnapshot_Task", &o.moref)
        .arg("name", a.snapshot_name.as_str())
        .arg("description", a.description.as_str())
        .arg("memory", a.memory && on)
        .arg("quiesce", a.quiesce);
    task(&ctx, req, &a.name).await?;
    let what = match (on, a.memory) {
        (true, true) => "with memory",
        (true, false) => "disks only",
        (false, _) if a.quiesce => "disks only; the VM is not running, so nothing to quiesce",
        (false, _) => "disks only; the VM is not running",
    };
    let quiesced = if a.quiesce && on {
        ", guest quiesced"
    } else {
        ""
    };
    Ok(Output::Text(format!(
        "Snapshot '{}' of VM '{}' created ({what}{quiesced}); it is now the current snapshot",
        a.snapshot_name, a.name
    )))
}

async fn list_snapshots(ctx: Ctx, a: VmName) -> Result<Output, ToolError> {
    let (_, snaps) = read_vm(&ctx, &a.name).await?;
    Ok(Output::Json(Json::Array(
        snaps.iter().map(Snap::json).collect(),
    )))
}

async fn revert_to_snapshot(ctx: Ctx, a: SnapshotArgs) -> Result<Output, ToolError> {
    let (_, snaps) = read_vm(&ctx, &a.name).await?;
    let s = by_name(&a.name, &snaps, &a.snapshot_name)?;
    task(
        &ctx,
        Request::new("RevertToSnapshot_Task", &s.snapshot),
        &a.name,
    )
    .await?;
    let power = power_now(&ctx, &a.name).await?;
    Ok(Output::Text(format!(
        "VM '{}' reverted to snapshot '{}'; it is {power}",
        a.name, s.name
    )))
}

async fn revert_to_current_snapshot(ctx: Ctx, a: VmName) -> Result<Output, ToolError> {
    let (o, snaps) = read_vm(&ctx, &a.name).await?;
    let Some(cur) = snaps.iter().find(|s| s.current) else {
        return Err(no_snapshots(&a.name));
    };
    let req = Request::new("RevertToCurrentSnapshot_Task", &o.moref);
    task(&ctx, req, &a.name).await?;
    let power = power_now(&ctx, &a.name).await?;
    Ok(Output::Text(format!(
        "VM '{}' reverted to its current snapshot '{}'; it is {power}",
        a.name, cur.name
    )))
}

async fn delete_snapshot(ctx: Ctx, a: DeleteSnapshotArgs) -> Result<Output, ToolError> {
    let (_, snaps) = read_vm(&ctx, &a.name).await?;
    let s = by_name(&a.name, &snaps, &a.snapshot_name)?;
    let req = Request::new("RemoveSnapshot_Task", &s.snapshot)
        .arg("removeChildren", a.remove_children)
        .arg("consolidate", true);
    task(&ctx, req, &a.name).await?;
    let children = match (s.children, a.remove_children) {
        (0, _) => String::new(),
        (n, true) => format!(" with the snapshots below it ({n} directly below)"),
        (_, false) => "; the snapshots below it moved up to its parent".to_string(),
    };
    Ok(Output::Text(format!(
        "Snapshot '{}' of VM '{}' deleted{children}",
        s.name, a.name
    )))
}

async fn delete_all_snapshots(ctx: Ctx, a: VmName) -> Result<Output, ToolError> {
    let (o, snaps) = read_vm(&ctx, &a.name).await?;
    if snaps.is_empty() {
        return Ok(Output::Text(format!(
            "VM '{}' has no snapshots; nothing to do",
            a.name
        )));
    }
    let req = Request::new("RemoveAllSnapshots_Task", &o.moref).arg("consolidate", true);
    task(&ctx, req, &a.name).await?;
    let what = match snaps.len() {
        1 => format!("The one snapshot ('{}')", snaps[0].name),
        n => format!("All {n} snapshots"),
    };
    Ok(Output::Text(format!("{what} of VM '{}' deleted", a.name)))
}

async fn rename_snapshot(ctx: Ctx, a: RenameSnapshotArgs) -> Result<Output, ToolError> {
    if a.new_name.is_none() && a.new_description.is_none() {
        return Err(ToolError::new(
            "Give new_name or new_description (or both) to rename a snapshot",
        ));
    }
    let (_, snaps) = read_vm(&ctx, &a.name).await?;
    let s = by_name(&a.name, &snaps, &a.snapshot_name)?;
    let mut req = Request::new("RenameSnapshot", &s.snapshot);
    if let Some(n) = &a.new_name {
        req = req.arg("name", n.as_str());
    }
    if let Some(d) = &a.new_description {
        req = req.arg("description", d.as_str());
    }
    ctx.client
        .invoke(&req)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&a.name)))?;
    let what = match (&a.new_name, &a.new_description) {
        (Some(n), Some(_)) => format!("renamed to '{n}' with a new description"),
        (Some(n), None) => format!("renamed to '{n}'"),
        _ => "given a new description".to_string(),
    };
    Ok(Output::Text(format!(
        "Snapshot '{}' of VM '{}' {what}",
        s.name, a.name
    )))
}
