//! resources, the read half: get_vcenter_info, list_templates,
//! get_datastore_info, get_network_info, get_resource_pool_info. Each is
//! one lookup and one PropertyCollector read, plus one read of the names of
//! the objects a result lists (a datastore's VMs, a network's VMs and hosts).
//! An unknown name fails with the names that do exist.

use serde_json::{Value as Json, json};
use vim25::MoRef;

use super::params::{DATASTORE, NETWORK};
use super::typed::{NoArgs, tool_args};
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::views;
use crate::vsphere::{NAME, Obj, PropSet};

tool_args! {
    pub struct DatastoreInfoArgs {
        name: name, DATASTORE;
    }
}

tool_args! {
    pub struct NetworkInfoArgs {
        name: name, NETWORK;
    }
}

tool_args! {
    pub struct PoolInfoArgs {
        name: opt_name, "Name of the resource pool; omit for the first pool in the inventory (a cluster's or host's root pool is named 'Resources').";
    }
}

pub const GET_VCENTER_INFO: ToolDef = ToolDef {
    name: "get_vcenter_info",
    title: "Get vCenter information",
    description: "What the endpoint is: name, full_name, vendor, version, build, os_type, \
        api_type (VirtualCenter for vCenter, HostAgent for a standalone ESXi host), \
        api_version and instance_uuid. Takes no arguments.",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args("{}"),
    failure: Failure::Unreachable {
        expect: &["cannot reach vCenter"],
    },
    run: run!(get_vcenter_info, NoArgs),
};

pub const LIST_TEMPLATES: ToolDef = ToolDef {
    name: "list_templates",
    title: "List VM templates",
    description: "Every VM template (a VM marked as template) with name, guest_os, cpu and \
        memory_mb, sorted by name; an empty list when there are none. Takes no arguments.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example::args("{}"),
    failure: Failure::Unreachable {
        expect: &["cannot reach vCenter"],
    },
    run: run!(list_templates, NoArgs),
};

pub const GET_DATASTORE_INFO: ToolDef = ToolDef {
    name: "get_datastore_info",
    title: "Get datastore details",
    description: "One datastore: type (VMFS, NFS, vsan, ...), capacity_gb, free_gb, used_gb, \
        used_percent, uncommitted_gb, accessible, maintenance_mode, url, host_count, and the \
        VMs with files on it (vm_count, vms).",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args(r#"{"name":"LocalDS_0"}"#),
    failure: Failure::Args {
        args: r#"{"name":"no-such-datastore"}"#,
        expect: &["Datastore 'no-such-datastore' not found", "LocalDS_0"],
    },
    run: run!(get_datastore_info, DatastoreInfoArgs),
};

pub const GET_NETWORK_INFO: ToolDef = ToolDef {
    name: "get_network_info",
    title: "Get network details",
    description: "One network or port group: type (Network for a standard port group, \
        DistributedVirtualPortgroup for a distributed one), accessible, and the VMs and hosts \
        attached (vm_count, vms, host_count, hosts).",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args(r#"{"name":"VM Network"}"#),
    failure: Failure::Args {
        args: r#"{"name":"no-such-network"}"#,
        expect: &["Network 'no-such-network' not found", "VM Network"],
    },
    run: run!(get_network_info, NetworkInfoArgs),
};

pub const GET_RESOURCE_POOL_INFO: ToolDef = ToolDef {
    name: "get_resource_pool_info",
    title: "Get resource pool details",
    description: "One resource pool: CPU reservation, limit (-1 = unlimited), expandable \
        reservation, shares and current usage in MHz; the same for memory in MB; the number of \
        VMs in it and the cluster or host that owns it. Without a name, the first pool in the \
        inventory.",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args(r#"{"name":"Resources"}"#),
    failure: Failure::Args {
        args: r#"{"name":"no-such-pool"}"#,
        expect: &["Resource pool 'no-such-pool' not found", "Resources"],
    },
    run: run!(get_resource_pool_info, PoolInfoArgs),
};

/// The object of `kind` named `name` with the paths of `set`; `what` names
/// the kind in the error, which lists the names that do exist.
pub(super) async fn find_named(
    ctx: &Ctx,
    kind: &str,
    what: &str,
    name: &str,
    set: &PropSet,
) -> Result<Obj, ToolError> {
    let c = &ctx.client;
    let subject = |e| ToolError::vsphere(&e, None);
    if let Some(o) = c.read_by_name(kind, name, set).await.map_err(subject)? {
        return Ok(o);
    }
    let mut names: Vec<String> = c
        .list(kind, &NAME)
        .await
        .map_err(subject)?
        .iter()
        .map(|o| o.name().to_string())
        .collect();
    names.sort();
    names.dedup();
    let known = if names.is_empty() {
        "there are none".to_string()
    } else {
        format!("known: {}", names.join(", "))
    };
    Err(ToolError::new(format!(
        "{what} '{name}' not found ({known})"
    )))
}

/// The names of `objs`, in their order (one read for all of them).
async fn names_of(ctx: &Ctx, objs: &[MoRef]) -> Result<Vec<String>, ToolError> {
    if objs.is_empty() {
        return Ok(vec![]);
    }
    let read = ctx
        .client
        .properties_of(objs, &NAME)
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?;
    let mut names: Vec<String> = read.iter().map(|o| o.name().to_string()).collect();
    names.sort();
    Ok(names)
}

async fn get_vcenter_info(ctx: Ctx, _: NoArgs) -> Result<Output, ToolError> {
    let content = ctx
        .client
        .content()
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?;
    let about = content
        .about
        .ok_or_else(|| ToolError::new("vCenter's service content carries no AboutInfo"))?;
    let s = |f: &str| about.get(f).and_then(vim25::Value::as_str);
    Ok(Output::Json(json!({
        "name": s("name"),
        "full_name": s("fullName"),
        "vendor": s("vendor"),
        "version": s("version"),
        "build": s("build"),
        "os_type": s("osType"),
        "product_line_id": s("productLineId"),
        "api_type": s("apiType"),
        "api_version": s("apiVersion"),
        "instance_uuid": s("instanceUuid"),
    })))
}

async fn list_templates(ctx: Ctx, _: NoArgs) -> Result<Output, ToolError> {
    let vms = ctx
        .client
        .list("VirtualMachine", &views::vm::LIST)
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?;
    let mut templates: Vec<&Obj> = vms
        .iter()
        .filter(|o| o.bool("config.template") == Some(true))
        .collect();
    templates.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(Output::Json(Json::Array(
        templates
            .iter()
            .map(|o| {
                json!({
                    "name": o.name(),
                    "guest_os": o.str("config.guestFullName"),
                    "cpu": o.i64("config.hardware.numCPU"),
                    "memory_mb": o.i64("config.hardware.memoryMB"),
                })
            })
            .collect(),
    )))
}

async fn get_datastore_info(ctx: Ctx, args: DatastoreInfoArgs) -> Result<Output, ToolError> {
    let set = &views::datastore::INFO;
    let o = find_named(&ctx, "Datastore", "Datastore", &args.name, set).await?;
    let vms = names_of(&ctx, &o.morefs("vm")).await?;
    Ok(Output::Json(views::datastore::info_json(&o, &vms)))
}

async fn get_network_info(ctx: Ctx, args: NetworkInfoArgs) -> Result<Output, ToolError> {
    let set = &views::network::INFO;
    let o = find_named(&ctx, "Network", "Network", &args.name, set).await?;
    let vms = names_of(&ctx, &o.morefs("vm")).await?;
    let hosts = names_of(&ctx, &o.morefs("host")).await?;
    Ok(Output::Json(views::network::info_json(&o, &vms, &hosts)))
}

async fn get_resource_pool_info(ctx: Ctx, args: PoolInfoArgs) -> Result<Output, ToolError> {
    let set = &views::pool::INFO;
    let o = match &args.name {
        Some(name) => find_named(&ctx, "ResourcePool", "Resource pool", name, set).await?,
        None => ctx
            .client
            .list("ResourcePool", set)
            .await
            .map_err(|e| ToolError::vsphere(&e, None))?
            .into_iter()
            .next()
            .ok_or_else(|| ToolError::new("This vCenter has no resource pools"))?,
    };
    let owner = match o.moref("owner") {
        Some(m) => names_of(&ctx, std::slice::from_ref(m)).await?.pop(),
        None => None,
    };
    Ok(Output::Json(views::pool::info_json(&o, owner.as_deref())))
}

/// The resources family's tools: these five reads, the datastore file
/// tools ([`super::ds_files`]) and the transfers ([`super::ds_transfer`]).
pub static TOOLS: &[ToolDef] = &[
    GET_VCENTER_INFO,
    LIST_TEMPLATES,
    GET_DATASTORE_INFO,
    GET_NETWORK_INFO,
    GET_RESOURCE_POOL_INFO,
    super::ds_files::BROWSE_DATASTORE,
    super::ds_files::CREATE_DATASTORE_FOLDER,
    super::ds_files::DELETE_DATASTORE_FILE,
    super::ds_files::COPY_DATASTORE_FILE,
    super::ds_files::MOVE_DATASTORE_FILE,
    super::ds_transfer::UPLOAD_TO_DATASTORE,
    super::ds_transfer::DOWNLOAD_FROM_DATASTORE,
];
