//! ovf_management: deploy_ovf ([`super::ovf_deploy`]), export_vm_ovf
//! ([`super::ovf_export`]) and list_ovf_networks, over OVF packages on a
//! datastore: an `.ovf` descriptor with its files beside it, or an `.ova`
//! (a tar whose first member is the descriptor). Files are read and written
//! through the `/folder` door, streamed; what the packages say is read by
//! vCenter's OvfManager, not parsed here.

use serde_json::{Value as Json, json};
use vim25::{Data, MoRef, Request, Value};

use super::ds_lookup::{Datastore, datastore};
use super::ds_path;
use super::ovf_stream::{MAX_DESCRIPTOR, Source, next_entry};
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::vsphere::NAME;

tool_args! {
    pub struct OvfNetworksArgs {
        ovf_path: string, "Path of the .ovf or .ova file on the datastore, e.g. 'ovf/app.ova' (no [datastore] prefix).";
        datastore: name, "Datastore the package is on.";
    }
}

/// Set-up of the examples: the fixture package's descriptor and disk
/// uploaded to `LocalDS_0/ovf/` (`fixtures/ovf/`, base64 in `ovf_examples.rs`).
pub(super) const FIXTURE_SETUP: &[(&str, &str)] = &[
    (
        "create_datastore_folder",
        r#"{"datastore":"LocalDS_0","path":"ovf"}"#,
    ),
    ("upload_to_datastore", super::ovf_examples::UPLOAD_OVF),
    ("upload_to_datastore", super::ovf_examples::UPLOAD_DISK),
];

pub const LIST_OVF_NETWORKS: ToolDef = ToolDef {
    name: "list_ovf_networks",
    title: "List OVF networks",
    description: "The networks an OVF package (.ovf or .ova on a datastore) expects, as \
        vCenter's OvfManager reads its descriptor: each with name (the OVF's network name), \
        description, and network (the vCenter network of the same name that deploy_ovf maps \
        it to by default, or null when there is none — give deploy_ovf's network then).",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example {
        setup: FIXTURE_SETUP,
        args: r#"{"ovf_path":"ovf/tiny.ovf","datastore":"LocalDS_0"}"#,
    },
    failure: Failure::Args {
        args: r#"{"ovf_path":"ovf/none.ovf","datastore":"LocalDS_0"}"#,
        expect: &["'[LocalDS_0] ovf/none.ovf' not found"],
    },
    run: run!(list_ovf_networks, OvfNetworksArgs),
};

/// An OVF package on a datastore, its descriptor read.
pub(super) struct Package {
    pub(super) ds: Datastore,
    pub(super) ds_ref: MoRef,
    /// The package's path on the datastore (checked, no prefix).
    pub(super) path: String,
    pub(super) ova: bool,
    pub(super) descriptor: String,
}

impl Package {
    /// `[ds] path`, as people read it.
    pub(super) fn full(&self) -> String {
        ds_path::ds_path(&self.ds.name, &self.path)
    }

    /// The datastore path of a file the descriptor references (`.ovf`: beside it).
    pub(super) fn sibling(&self, href: &str) -> String {
        match self.path.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{href}"),
            None => href.to_string(),
        }
    }

    /// Opens a file of the datastore for reading, streamed.
    pub(super) async fn open(&self, ctx: &Ctx, path: &str) -> Result<Source, ToolError> {
        let full = ds_path::ds_path(&self.ds.name, path);
        let url = ctx
            .client
            .folder_url(&self.ds.dc_path, &self.ds.name, path)
            .map_err(|e| ToolError::vsphere(&e, None))?;
        let resp = ctx
            .client
            .folder_get(&url)
            .await
            .map_err(|e| ToolError::vsphere(&e, None))?;
        match resp.status {
            200..=299 => Ok(Source::new(resp, &format!("'{full}'"))),
            404 => Err(ToolError::new(format!(
                "'{full}' not found on the datastore"
            ))),
            s => Err(ToolError::new(format!(
                "Cannot read '{full}': HTTP {s}: {}",
                resp.words().await
            ))),
        }
    }
}

/// Reads the package at `ovf_path` on `datastore`: the `.ovf` itself, or
/// the descriptor an `.ova` starts with.
pub(super) async fn package(
    ctx: &Ctx,
    datastore_name: &str,
    ovf_path: &str,
) -> Result<Package, ToolError> {
    let path = ds_path::check("ovf_path", ovf_path, false)?;
    let lower = path.to_ascii_lowercase();
    let ova = lower.ends_with(".ova");
    if !ova && !lower.ends_with(".ovf") {
        return Err(ToolError::new(format!(
            "Argument 'ovf_path' must name an .ovf or .ova file, got '{ovf_path}'"
        )));
    }
    let ds = datastore(ctx, datastore_name).await?;
    let ds_ref = super::inventory::find_named(ctx, "Datastore", "Datastore", &ds.name, &NAME)
        .await?
        .moref;
    let mut p = Package {
        ds,
        ds_ref,
        path,
        ova,
        descriptor: String::new(),
    };
    let mut src = p.open(ctx, &p.path.clone()).await?;
    let bytes = if ova {
        let first = next_entry(&mut src).await?.ok_or_else(|| {
            ToolError::new(format!("'{}' is an empty OVA: no descriptor", p.full()))
        })?;
        if !first.name.to_ascii_lowercase().ends_with(".ovf") {
            return Err(ToolError::new(format!(
                "'{}' is not a valid OVA: its first member is '{}', not the .ovf descriptor",
                p.full(),
                first.name
            )));
        }
        if first.size > MAX_DESCRIPTOR {
            return Err(ToolError::new(format!(
                "The descriptor in '{}' is {} bytes; at most {MAX_DESCRIPTOR} are read",
                p.full(),
                first.size
            )));
        }
        src.read_exact(first.size).await?
    } else {
        let mut out = vec![];
        while let Some(b) = src.take(1 << 20).await? {
            out.extend_from_slice(&b);
            if out.len() as u64 > MAX_DESCRIPTOR {
                return Err(ToolError::new(format!(
                    "'{}' is larger than {MAX_DESCRIPTOR} bytes: not an OVF descriptor",
                    p.full()
                )));
            }
        }
        out
    };
    p.descriptor = String::from_utf8(bytes).map_err(|_| {
        ToolError::new(format!(
            "The descriptor of '{}' is not UTF-8 text",
            p.full()
        ))
    })?;
    Ok(p)
}

/// vCenter's OvfManager.
pub(super) async fn ovf_manager(ctx: &Ctx) -> Result<MoRef, ToolError> {
    ctx.client
        .content()
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?
        .ovf_manager
        .ok_or_else(|| ToolError::new("This endpoint has no OvfManager: it cannot read OVF"))
}

/// OvfManager's common parameters of type `kind`.
pub(super) fn common(kind: &str) -> Data {
    Data::new(kind)
        .with("locale", "")
        .with("deploymentOption", "")
}

/// The messages of an OVF result's `error` (or `warning`) list.
pub(super) fn messages(r: &Data, field: &str) -> Vec<String> {
    r.get(field)
        .map(Value::as_array)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_data)
        .map(|f| {
            f.path("localizedMessage")
                .or_else(|| f.path("fault.msg"))
                .or_else(|| f.path("msg"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| f.type_name.to_string())
        })
        .collect()
}

/// The networks the descriptor names: (name, description).
pub(super) async fn ovf_networks(
    ctx: &Ctx,
    p: &Package,
) -> Result<Vec<(String, String)>, ToolError> {
    let om = ovf_manager(ctx).await?;
    let req = Request::new("ParseDescriptor", &om)
        .arg("ovfDescriptor", p.descriptor.as_str())
        .arg("pdp", common("OvfParseDescriptorParams"));
    let r = ctx
        .client
        .invoke(&req)
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?;
    let r = r
        .as_ref()
        .and_then(Value::as_data)
        .ok_or_else(|| ToolError::new("OvfManager.ParseDescriptor returned nothing"))?;
    let errors = messages(r, "error");
    if !errors.is_empty() {
        return Err(ToolError::new(format!(
            "vCenter cannot read the OVF descriptor of '{}': {}",
            p.full(),
            errors.join("; ")
        )));
    }
    Ok(r.get("network")
        .map(Value::as_array)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_data)
        .map(|n| {
            let s = |f: &str| n.get(f).and_then(Value::as_str).unwrap_or("").to_string();
            (s("name"), s("description"))
        })
        .collect())
}

/// Every network of the inventory by name (port groups included).
pub(super) async fn inventory_networks(ctx: &Ctx) -> Result<Vec<(String, MoRef)>, ToolError> {
    let mut nets: Vec<(String, MoRef)> = ctx
        .client
        .list("Network", &NAME)
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?
        .into_iter()
        .map(|o| (o.name().to_string(), o.moref))
        .collect();
    nets.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(nets)
}

async fn list_ovf_networks(ctx: Ctx, a: OvfNetworksArgs) -> Result<Output, ToolError> {
    let p = package(&ctx, &a.datastore, &a.ovf_path).await?;
    let wanted = ovf_networks(&ctx, &p).await?;
    let have = inventory_networks(&ctx).await?;
    let rows = wanted
        .iter()
        .map(|(name, description)| {
            let mapped = have.iter().find(|(n, _)| n == name).map(|(n, _)| n.clone());
            json!({"name": name, "description": description, "network": mapped})
        })
        .collect();
    Ok(Output::Json(Json::Array(rows)))
}

/// The family's tools.
pub static TOOLS: &[ToolDef] = &[
    super::ovf_deploy::DEPLOY_OVF,
    super::ovf_export::EXPORT_VM_OVF,
    LIST_OVF_NETWORKS,
];
