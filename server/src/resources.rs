//! The six MCP resources of the Python original: five inventory listings
//! (`esxi://…`), each one PropertyCollector round trip, and the
//! `datastore://{datastore_name}` root listing.

use serde_json::Value as Json;

use crate::error::{ToolError, VsError};
use crate::tools::Ctx;
use crate::views;
use crate::vsphere::Obj;

pub struct ResourceDef {
    pub uri: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
}

pub const RESOURCES: &[ResourceDef] = &[
    ResourceDef {
        uri: "esxi://vms",
        name: "vms",
        title: "Virtual machines",
        description: "All VMs with power state, vCPUs, memory and guest OS (JSON list).",
    },
    ResourceDef {
        uri: "esxi://hosts",
        name: "hosts",
        title: "ESXi hosts",
        description: "All ESXi hosts with connection and power state, maintenance mode, CPU and memory (JSON list).",
    },
    ResourceDef {
        uri: "esxi://datastores",
        name: "datastores",
        title: "Datastores",
        description: "All datastores with type, capacity and free space in GB (JSON list).",
    },
    ResourceDef {
        uri: "esxi://networks",
        name: "networks",
        title: "Networks",
        description: "All networks and port groups with their type and accessibility (JSON list).",
    },
    ResourceDef {
        uri: "esxi://clusters",
        name: "clusters",
        title: "Clusters",
        description: "All clusters with host count and DRS/HA state (JSON list).",
    },
];

pub const DATASTORE_TEMPLATE: &str = "datastore://{datastore_name}";
pub const DATASTORE_TEMPLATE_NAME: &str = "datastore_contents";
pub const DATASTORE_TEMPLATE_DESCRIPTION: &str = "Root listing of one datastore: files and folders with type, size and modification time (JSON list).";

/// Why a read failed.
#[derive(Debug)]
pub enum ReadError {
    /// No such resource (or no such datastore).
    NotFound(String),
    Failed(String),
}

impl From<VsError> for ReadError {
    fn from(e: VsError) -> Self {
        ReadError::Failed(crate::error::explain(&e, None))
    }
}

impl From<ToolError> for ReadError {
    fn from(e: ToolError) -> Self {
        ReadError::Failed(e.0)
    }
}

/// Reads the resource at `uri` as JSON.
pub async fn read(ctx: &Ctx, uri: &str) -> Result<Json, ReadError> {
    let c = &ctx.client;
    let by_name = |mut v: Vec<Obj>| {
        v.sort_by(|a, b| a.name().cmp(b.name()));
        v
    };
    match uri {
        "esxi://vms" => {
            let vms = views::vm::list(c).await?;
            Ok(Json::Array(
                vms.iter().map(views::vm::summary_json).collect(),
            ))
        }
        "esxi://hosts" => {
            let hosts = c.list("HostSystem", &views::host::LIST).await?;
            Ok(Json::Array(
                by_name(hosts).iter().map(views::host::list_json).collect(),
            ))
        }
        "esxi://datastores" => {
            let ds = c.list("Datastore", &views::datastore::LIST).await?;
            Ok(Json::Array(
                by_name(ds)
                    .iter()
                    .map(views::datastore::list_json)
                    .collect(),
            ))
        }
        "esxi://networks" => {
            let nets = c.list("Network", &views::network::LIST).await?;
            Ok(Json::Array(
                by_name(nets)
                    .iter()
                    .map(views::network::list_json)
                    .collect(),
            ))
        }
        "esxi://clusters" => {
            let cl = c
                .list("ClusterComputeResource", &views::cluster::LIST)
                .await?;
            Ok(Json::Array(
                by_name(cl).iter().map(views::cluster::list_json).collect(),
            ))
        }
        _ => match uri.strip_prefix("datastore://") {
            Some(name) if !name.is_empty() => datastore_root(ctx, name).await,
            _ => Err(ReadError::NotFound(format!(
                "Unknown resource '{}'",
                crate::tools::echo::quote(uri)
            ))),
        },
    }
}

/// Lists the top folder of a datastore through its browser (`SearchDatastore_Task`),
/// as browse_datastore does.
async fn datastore_root(ctx: &Ctx, name: &str) -> Result<Json, ReadError> {
    let name = percent_decode(name);
    let c = &ctx.client;
    let ds = c.find_by_name("Datastore", &name).await?.ok_or_else(|| {
        ReadError::NotFound(format!(
            "Datastore '{}' not found",
            crate::tools::echo::quote(&name)
        ))
    })?;
    let browser = c
        .properties(&ds, &views::datastore::BROWSER)
        .await?
        .moref("browser")
        .cloned()
        .ok_or_else(|| ReadError::Failed(format!("Datastore '{name}' has no browser")))?;
    crate::tools::ds_files::list_folder(ctx, &browser, &name, "")
        .await
        .map_err(ReadError::from)
}

/// URI templates carry names percent-encoded (`LocalDS%200`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
