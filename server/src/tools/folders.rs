//! vcenter_ops, folders: list_folders, create_folder, move_vm_to_folder.
//! The folder tree is one read of every folder and datacenter; a folder is
//! named by its inventory path (`DC0/vm/Prod/Web`) or by its path under the
//! placement datacenter's VM folder (`Prod/Web`; empty for the VM folder).
//! An unknown path fails listing the VM folders that exist.

use std::collections::HashMap;

use serde_json::{Value as Json, json};
use vim25::{MoRef, Request};

use super::params::VM_NAME;
use super::typed::{NoArgs, tool_args};
use super::vm::find_vm;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, placement, run};
use crate::error::ToolError;
use crate::views;
use crate::vsphere::Obj;

tool_args! {
    pub struct CreateFolderArgs {
        folder_name: name, "Name of the new folder (must not exist in the parent yet).";
        parent_path: opt_string, "The parent VM folder: an inventory path such as 'DC0/vm/Prod' or a path under the datacenter's VM folder such as 'Prod'; default: the VM folder itself.";
    }
}

tool_args! {
    pub struct MoveToFolderArgs {
        vm_name: name, VM_NAME;
        folder_path: string, "The VM folder to move the VM into: an inventory path such as 'DC0/vm/Prod' or a path under the datacenter's VM folder such as 'Prod'.";
    }
}

pub const LIST_FOLDERS: ToolDef = ToolDef {
    name: "list_folders",
    title: "List VM folders",
    description: "The VM folder tree of every datacenter: each folder's name, inventory path \
        (e.g. DC0/vm/Prod), type ('vm'), children (how many entries it holds), vms and \
        folders (of those, how many are VMs and how many are folders), sorted by path. Takes \
        no arguments.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example::args("{}"),
    failure: Failure::Unreachable {
        expect: &["cannot reach vCenter"],
    },
    run: run!(list_folders, NoArgs),
};

pub const CREATE_FOLDER: ToolDef = ToolDef {
    name: "create_folder",
    title: "Create VM folder",
    description: "Create a VM folder named folder_name under parent_path (an inventory path \
        like 'DC0/vm/Prod', or a path under the datacenter's VM folder like 'Prod'; default: \
        the VM folder). Fails if the parent is unknown or not a VM folder, or the name is taken \
        there. Returns action, name, parent and path (the new folder's inventory path).",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example::args(r#"{"folder_name":"Prod"}"#),
    failure: Failure::Args {
        args: r#"{"folder_name":"x","parent_path":"no/such/folder"}"#,
        expect: &["Folder 'no/such/folder' not found", "DC0/vm"],
    },
    run: run!(create_folder, CreateFolderArgs),
};

pub const MOVE_VM_TO_FOLDER: ToolDef = ToolDef {
    name: "move_vm_to_folder",
    title: "Move VM to folder",
    description: "Move a VM (or template) into another VM folder, given as an inventory path \
        like 'DC0/vm/Prod' or a path under the datacenter's VM folder like 'Prod'. Fails for \
        an unknown VM or folder, or a folder that holds hosts, datastores or networks rather \
        than VMs. Returns vm, action, from_folder and to_folder (inventory paths).",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example {
        setup: &[("create_folder", r#"{"folder_name":"Prod"}"#)],
        args: r#"{"vm_name":"DC0_H0_VM0","folder_path":"Prod"}"#,
    },
    failure: Failure::Args {
        args: r#"{"vm_name":"DC0_H0_VM0","folder_path":"DC0/host"}"#,
        expect: &["'DC0/host'", "not VMs"],
    },
    run: run!(move_vm_to_folder, MoveToFolderArgs),
};

/// A folder of the tree with its inventory path.
pub(super) struct Folder {
    pub moref: MoRef,
    pub path: String,
    /// The datacenter it is in (by name) and its path under that
    /// datacenter's VM folder, for VM folders.
    pub datacenter: String,
    pub relative: Option<String>,
    pub holds_vms: bool,
    pub children: Vec<MoRef>,
}

/// Every folder with its inventory path, in path order.
pub(super) async fn tree(ctx: &Ctx) -> Result<Vec<Folder>, ToolError> {
    let c = &ctx.client;
    let err = |e| ToolError::vsphere(&e, None);
    let folders = c.list("Folder", &views::folder::TREE).await.map_err(err)?;
    let dcs = c
        .list("Datacenter", &views::datacenter::PLACEMENT)
        .await
        .map_err(err)?;
    let mut by_ref: HashMap<&MoRef, &Obj> = folders.iter().map(|o| (&o.moref, o)).collect();
    for d in &dcs {
        by_ref.insert(&d.moref, d);
    }
    let vm_roots: HashMap<&MoRef, &str> = dcs
        .iter()
        .filter_map(|d| Some((d.moref("vmFolder")?, d.name())))
        .collect();
    let mut out = vec![];
    for f in &folders {
        // The root folder (no parent) is not part of any path.
        let mut names = vec![];
        let mut datacenter = String::new();
        let mut relative: Vec<&str> = vec![];
        let mut under_vm_root = None;
        let mut cur = Some(f);
        while let Some(o) = cur {
            // Paths start at the datacenter (folders above datacenters are
            // rare and not part of vCenter's usual paths).
            if o.moref.kind == "Datacenter" {
                names.push(o.name());
                if datacenter.is_empty() {
                    datacenter = o.name().to_string();
                }
                break;
            }
            let Some(parent) = o.moref("parent") else {
                break;
            };
            if under_vm_root.is_none() {
                if let Some(dc) = vm_roots.get(&o.moref) {
                    under_vm_root = Some(relative.clone());
                    datacenter = dc.to_string();
                } else {
                    relative.push(o.name());
                }
            }
            names.push(o.name());
            cur = by_ref.get(parent).copied();
        }
        names.reverse();
        let holds_vms = f
            .get("childType")
            .map(|v| {
                v.as_array()
                    .iter()
                    .any(|t| t.as_str() == Some("VirtualMachine"))
            })
            .unwrap_or(false);
        out.push(Folder {
            moref: f.moref.clone(),
            path: names.join("/"),
            datacenter,
            relative: under_vm_root.map(|mut r| {
                r.reverse();
                r.join("/")
            }),
            holds_vms,
            children: f.morefs("childEntity"),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The folder at `path` (inventory path, or relative to the placement
/// datacenter's VM folder); else an error listing the VM folders.
pub(super) async fn resolve<'a>(
    ctx: &Ctx,
    all: &'a [Folder],
    path: &str,
) -> Result<&'a Folder, ToolError> {
    let want = path.trim().trim_matches('/');
    if let Some(f) = all.iter().find(|f| f.path == want) {
        return Ok(f);
    }
    let dc = placement::datacenter(ctx).await?;
    if let Some(f) = all
        .iter()
        .find(|f| f.datacenter == dc.name && f.relative.as_deref() == Some(want))
    {
        return Ok(f);
    }
    let known: Vec<&str> = all
        .iter()
        .filter(|f| f.holds_vms)
        .map(|f| f.path.as_str())
        .collect();
    Err(ToolError::new(format!(
        "Folder '{path}' not found; VM folders: {}",
        known.join(", ")
    )))
}

/// Fails unless `f` is a VM folder.
fn require_vm_folder(f: &Folder, path: &str) -> Result<(), ToolError> {
    if f.holds_vms {
        return Ok(());
    }
    Err(ToolError::new(format!(
        "Folder '{path}' ({}) holds hosts, clusters, datastores or networks, not VMs; \
         give a VM folder such as '{}/vm'",
        f.path, f.datacenter
    )))
}

async fn list_folders(ctx: Ctx, _: NoArgs) -> Result<Output, ToolError> {
    let all = tree(&ctx).await?;
    let rows = all
        .iter()
        .filter(|f| f.holds_vms)
        .map(|f| {
            let vms = f
                .children
                .iter()
                .filter(|c| c.kind == "VirtualMachine")
                .count();
            let folders = f.children.iter().filter(|c| c.kind == "Folder").count();
            json!({
                "name": f.path.rsplit('/').next().unwrap_or_default(),
                "path": f.path,
                "type": "vm",
                "datacenter": f.datacenter,
                "children": f.children.len(),
                "vms": vms,
                "folders": folders,
            })
        })
        .collect();
    Ok(Output::Json(Json::Array(rows)))
}

async fn create_folder(ctx: Ctx, args: CreateFolderArgs) -> Result<Output, ToolError> {
    let CreateFolderArgs {
        folder_name,
        parent_path,
    } = args;
    if folder_name.contains('/') {
        return Err(ToolError::new(format!(
            "Argument 'folder_name' must be one name, not a path: '{folder_name}'"
        )));
    }
    let parent_arg = parent_path.unwrap_or_default();
    // Without a parent the folder goes under the datacenter's VM folder,
    // which needs no walk of every folder in the inventory (the soak test
    // of issue 14 showed that walk's cost growing with each folder made).
    let (parent_ref, parent_path) = if parent_arg.trim().trim_matches('/').is_empty() {
        let dc = placement::datacenter(&ctx).await?;
        (dc.vm_folder, format!("{}/vm", dc.name))
    } else {
        let all = tree(&ctx).await?;
        let parent = resolve(&ctx, &all, &parent_arg).await?;
        require_vm_folder(parent, &parent_arg)?;
        (parent.moref.clone(), parent.path.clone())
    };
    let req = Request::new("CreateFolder", &parent_ref).arg("name", folder_name.as_str());
    ctx.client.invoke(&req).await.map_err(|e| {
        if e.is("DuplicateName") {
            ToolError::new(format!(
                "Folder '{parent_path}' already has an entry named '{folder_name}'"
            ))
        } else {
            ToolError::vsphere(&e, Some(&folder_name))
        }
    })?;
    Ok(Output::Json(json!({
        "action": "created",
        "name": folder_name,
        "parent": parent_path,
        "path": format!("{parent_path}/{folder_name}"),
    })))
}

async fn move_vm_to_folder(ctx: Ctx, args: MoveToFolderArgs) -> Result<Output, ToolError> {
    let MoveToFolderArgs {
        vm_name,
        folder_path,
    } = args;
    let vm = find_vm(&ctx, &vm_name).await?;
    let all = tree(&ctx).await?;
    let target = resolve(&ctx, &all, &folder_path).await?;
    require_vm_folder(target, &folder_path)?;
    let place = ctx
        .client
        .properties(&vm, &views::folder::VM_PLACE)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&vm_name)))?;
    let from = place
        .moref("parent")
        .and_then(|p| all.iter().find(|f| &f.moref == p))
        .map(|f| f.path.clone());
    if place.moref("parent") == Some(&target.moref) {
        return Ok(Output::Json(json!({
            "vm": vm_name,
            "action": "already in folder",
            "from_folder": from,
            "to_folder": target.path,
        })));
    }
    let req = Request::new("MoveIntoFolder_Task", &target.moref)
        .arg("list", vim25::Value::array(vec![vim25::Value::moref(vm)]));
    ctx.client
        .run_task(&req)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&vm_name)))?;
    Ok(Output::Json(json!({
        "vm": vm_name,
        "action": "moved",
        "from_folder": from,
        "to_folder": target.path,
    })))
}
