//! deploy_ovf: an OVF package on a datastore becomes a VM. The descriptor
//! goes to `CreateImportSpec` (its networks mapped: to `network` if given,
//! else each to the vCenter network of the same name), the spec to
//! `ImportVApp`; once the lease is ready each disk is streamed from the
//! datastore (the file beside an `.ovf`, or its member of the `.ova`)
//! through the `/folder` door to its lease URL; then the lease completes
//! and the VM is optionally powered on. Any failure or cancellation after
//! `ImportVApp` aborts the lease, so no half-imported VM is left.

use std::collections::HashMap;

use serde_json::json;
use vim25::{Data, Request, Value};

use super::ovf::{
    Package, common, inventory_networks, messages, ovf_manager, ovf_networks, package,
};
use super::ovf_lease::{Lease, device_urls, send};
use super::ovf_stream::{Source, next_entry, padding};
use super::typed::tool_args;
use super::vm::ensure_vm_absent;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, placement, run};
use crate::error::ToolError;

tool_args! {
    pub struct DeployOvfArgs {
        ovf_path: string, "Path of the .ovf or .ova file on the datastore, e.g. 'ovf/app.ova' (no [datastore] prefix); an .ovf's disks are read from beside it.";
        vm_name: name, "Name for the new VM (must not exist yet).";
        datastore: name, "Datastore the package is on; the VM is created there too.";
        network: opt_name, "Network every OVF network is mapped to; default: the vCenter network of the same name as each.";
        power_on: bool = false, "Power the VM on once it is imported.";
    }
}

pub const DEPLOY_OVF: ToolDef = ToolDef {
    name: "deploy_ovf",
    title: "Deploy OVF",
    description: "Deploy a new VM from an OVF package on a datastore (an .ovf with its disks \
        beside it, or an .ova): vCenter reads the descriptor (CreateImportSpec, networks mapped \
        to network or to the same-named vCenter networks, thin disks), creates the VM \
        (ImportVApp), and each disk is streamed to vCenter's lease, with progress \
        notifications; the VM goes into the datacenter's VM folder and the default cluster's \
        pool on the same datastore, powered on if power_on. On any failure or cancellation \
        the lease is aborted and no VM is left. Returns vm, action, datastore, source, \
        power_state, disks and networks.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example {
        setup: super::ovf::FIXTURE_SETUP,
        args: r#"{"ovf_path":"ovf/tiny.ovf","vm_name":"tiny-01","datastore":"LocalDS_0"}"#,
    },
    failure: Failure::Args {
        args: r#"{"ovf_path":"ovf/none.ova","vm_name":"x","datastore":"LocalDS_0"}"#,
        expect: &["'[LocalDS_0] ovf/none.ova' not found"],
    },
    run: run!(deploy_ovf, DeployOvfArgs),
};

/// One disk to upload: the lease URL and the package file it comes from.
struct Upload {
    url: url::Url,
    path: String,
    size: Option<u64>,
}

/// The `networkMapping` of the import: every OVF network to a vCenter one.
async fn network_mapping(
    ctx: &Ctx,
    p: &Package,
    network: Option<&str>,
) -> Result<(Vec<Value>, Vec<serde_json::Value>), ToolError> {
    let wanted = ovf_networks(ctx, p).await?;
    let have = inventory_networks(ctx).await?;
    let known = || {
        have.iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(n) = network
        && !have.iter().any(|(h, _)| h == n)
    {
        return Err(ToolError::new(format!(
            "Network '{n}' not found (known: {})",
            known()
        )));
    }
    let mut mapping = vec![];
    let mut shown = vec![];
    for (name, _) in &wanted {
        let target = network.unwrap_or(name);
        let Some((_, m)) = have.iter().find(|(h, _)| h == target) else {
            return Err(ToolError::new(format!(
                "The OVF expects network '{name}', which vCenter does not have; give network \
                 (one of: {})",
                known()
            )));
        };
        mapping.push(Value::data(
            Data::new("OvfNetworkMapping")
                .with("name", name.as_str())
                .with("network", m),
        ));
        shown.push(json!({"ovf_network": name, "network": target}));
    }
    Ok((mapping, shown))
}

async fn deploy_ovf(ctx: Ctx, a: DeployOvfArgs) -> Result<Output, ToolError> {
    let p = package(&ctx, &a.datastore, &a.ovf_path).await?;
    ensure_vm_absent(&ctx, &a.vm_name).await?;
    let (mapping, networks) = network_mapping(&ctx, &p, a.network.as_deref()).await?;
    let dc = placement::datacenter(&ctx).await?;
    let pool = placement::resource_pool(&ctx, &dc).await?;
    let om = ovf_manager(&ctx).await?;
    let cisp = common("OvfCreateImportSpecParams")
        .with("entityName", a.vm_name.as_str())
        .with("networkMapping", Value::array(mapping))
        .with("diskProvisioning", "thin");
    let req = Request::new("CreateImportSpec", &om)
        .arg("ovfDescriptor", p.descriptor.as_str())
        .arg("resourcePool", &pool)
        .arg("datastore", &p.ds_ref)
        .arg("cisp", cisp);
    let r = ctx
        .client
        .invoke(&req)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&a.vm_name)))?;
    let r = r
        .as_ref()
        .and_then(Value::as_data)
        .cloned()
        .ok_or_else(|| ToolError::new("OvfManager.CreateImportSpec returned nothing"))?;
    let errors = messages(&r, "error");
    if !errors.is_empty() {
        return Err(ToolError::new(format!(
            "vCenter cannot import '{}': {}",
            p.full(),
            errors.join("; ")
        )));
    }
    let spec = r
        .get("importSpec")
        .cloned()
        .ok_or_else(|| ToolError::new(format!("vCenter made no import spec of '{}'", p.full())))?;
    // deviceId → (path, size) of each file the import needs.
    let files: HashMap<String, (String, Option<u64>)> = r
        .get("fileItem")
        .map(Value::as_array)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_data)
        .filter_map(|f| {
            let s = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
            let size = f
                .get("size")
                .and_then(Value::as_i64)
                .map(|n| n.max(0) as u64);
            Some((s("deviceId")?, (s("path")?, size)))
        })
        .collect();
    let req = Request::new("ImportVApp", &pool)
        .arg("spec", spec)
        .arg("folder", &dc.vm_folder);
    let lease_ref = ctx
        .client
        .invoke(&req)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&a.vm_name)))?
        .as_ref()
        .and_then(Value::as_moref)
        .cloned()
        .ok_or_else(|| ToolError::new("ImportVApp returned no lease"))?;
    let what = format!("the import of '{}'", p.full());
    let mut lease = Lease::new(lease_ref.clone(), &what);
    let mut made: Option<vim25::MoRef> = None;
    let work = async {
        let ready = lease.ready(&ctx).await?;
        let mut uploads = vec![];
        for u in device_urls(&ready) {
            let key = u
                .get("importKey")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some((path, size)) = files.get(key) else {
                continue;
            };
            let raw = u.get("url").and_then(Value::as_str).unwrap_or_default();
            uploads.push(Upload {
                url: ctx
                    .client
                    .nfc_url(raw)
                    .map_err(|e| ToolError::vsphere(&e, None))?,
                path: path.clone(),
                size: *size,
            });
        }
        let vm = ready
            .moref("info.entity")
            .cloned()
            .ok_or_else(|| ToolError::new("the import lease names no VM"))?;
        made = Some(vm.clone());
        lease.total = uploads.iter().filter_map(|u| u.size).sum();
        if p.ova {
            upload_from_ova(&ctx, &p, &mut lease, &uploads).await?;
        } else {
            for u in &uploads {
                let mut src = p.open(&ctx, &p.sibling(&u.path)).await?;
                upload(&ctx, &mut lease, &mut src, u, None).await?;
            }
        }
        let req = Request::new("HttpNfcLeaseProgress", &lease.moref).arg("percent", 100);
        ctx.client
            .invoke(&req)
            .await
            .map_err(|e| ToolError::vsphere(&e, None))?;
        lease.complete(&ctx).await?;
        Ok::<_, ToolError>((vm, uploads.len()))
    };
    let done = Lease::new(lease_ref, &what).guard(&ctx, work).await;
    let (vm, disks) = match done {
        Ok(d) => d,
        Err(e) => {
            if let Some(vm) = made {
                discard(&ctx, &vm).await;
            }
            return Err(e);
        }
    };
    if a.power_on {
        ctx.client
            .run_task(&Request::new("PowerOnVM_Task", &vm))
            .await
            .map_err(|e| ToolError::vsphere(&e, Some(&a.vm_name)))?;
    }
    let state = super::vm::state(&ctx, &vm, &a.vm_name).await?;
    Ok(Output::Json(json!({
        "vm": a.vm_name,
        "action": "deployed",
        "datastore": p.ds.name,
        "source": p.full(),
        "power_state": state.power,
        "disks": disks,
        "networks": networks,
    })))
}

/// Destroys what a failed import left (vCenter removes it when the lease
/// fails; an endpoint that does not must not keep a VM without its disks).
async fn discard(ctx: &Ctx, vm: &vim25::MoRef) {
    if ctx
        .client
        .properties(vm, &crate::vsphere::NAME)
        .await
        .is_err()
    {
        return;
    }
    if let Err(e) = ctx.client.run_task(&Request::new("Destroy_Task", vm)).await {
        tracing::warn!(vm = %vm.value, error = %e, "removing a failed import's VM failed");
    }
}

/// Streams one disk to its lease URL; `length` is the OVA member's size.
async fn upload(
    ctx: &Ctx,
    lease: &mut Lease,
    src: &mut Source,
    u: &Upload,
    length: Option<u64>,
) -> Result<(), ToolError> {
    let length = length
        .or(u.size)
        .ok_or_else(|| ToolError::new(format!("the size of '{}' is unknown", u.path)))?;
    let url = u.url.clone();
    let client = ctx.client.clone();
    let resp = send(ctx, lease, src, length, move |body| async move {
        client.nfc_put(&url, length, body).await
    })
    .await?;
    if !(200..300).contains(&resp.status) {
        let status = resp.status;
        return Err(ToolError::new(format!(
            "vCenter refused the disk '{}': HTTP {status}: {}",
            u.path,
            resp.words().await
        )));
    }
    Ok(())
}

/// One pass over the OVA: each member the import needs goes to its URL,
/// the others (the descriptor, the manifest) are skipped.
async fn upload_from_ova(
    ctx: &Ctx,
    p: &Package,
    lease: &mut Lease,
    uploads: &[Upload],
) -> Result<(), ToolError> {
    let mut src = p.open(ctx, &p.path).await?;
    let mut sent: Vec<&str> = vec![];
    while let Some(entry) = next_entry(&mut src).await? {
        match uploads.iter().find(|u| u.path == entry.name) {
            Some(u) => {
                upload(ctx, lease, &mut src, u, Some(entry.size)).await?;
                sent.push(u.path.as_str());
            }
            None => src.skip(entry.size).await?,
        }
        src.skip(padding(entry.size)).await?;
    }
    let missing: Vec<&str> = uploads
        .iter()
        .map(|u| u.path.as_str())
        .filter(|p| !sent.contains(p))
        .collect();
    if !missing.is_empty() {
        return Err(ToolError::new(format!(
            "'{}' lacks files its descriptor needs: {}",
            p.full(),
            missing.join(", ")
        )));
    }
    Ok(())
}
