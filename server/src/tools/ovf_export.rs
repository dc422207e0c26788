//! export_vm_ovf: a powered-off VM written as an OVF package into a
//! datastore folder. `ExportVm` opens a lease; once ready each disk is
//! streamed from its lease URL through the `/folder` door into
//! `[datastore] target_path/`, then `CreateDescriptor` describes the VM
//! with those files and the descriptor is written beside them, and the
//! lease completes. Any failure or cancellation aborts the lease.

use serde_json::json;
use vim25::{Data, Request, Value};

use super::ds_lookup::datastore;
use super::ds_path;
use super::ovf::{messages, ovf_manager};
use super::ovf_lease::{Lease, device_urls, send};
use super::ovf_stream::Source;
use super::params::VM_NAME;
use super::typed::tool_args;
use super::vm::find_vm;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::{ToolError, VsError, power_state_words};
use crate::views;

tool_args! {
    pub struct ExportOvfArgs {
        vm_name: name, VM_NAME;
        target_path: string, "Datastore folder to write the package into, e.g. 'exports/web-01' (no [datastore] prefix); made if missing.";
        datastore: opt_name, "Datastore to write to; default: the VM's own.";
    }
}

pub const EXPORT_VM_OVF: ToolDef = ToolDef {
    name: "export_vm_ovf",
    title: "Export VM as OVF",
    description: "Export a powered-off VM as an OVF package into a folder on a datastore \
        (default: the VM's): its disks are streamed from vCenter's export lease (ExportVm) \
        into target_path, with progress notifications, and the descriptor vCenter writes for \
        them (CreateDescriptor) is saved as <vm_name>.ovf beside them. On any failure or \
        cancellation the lease is aborted. Returns vm, action, datastore, target_path, files \
        and ovf_descriptor.",
    hints: Hints {
        read_only: Some(false),
        destructive: None,
        idempotent: None,
    },
    returns: Returns::Object,
    example: Example {
        setup: &[("power_off", r#"{"name":"DC0_H0_VM1"}"#)],
        args: r#"{"vm_name":"DC0_H0_VM1","target_path":"exports/vm1"}"#,
    },
    failure: Failure::Args {
        args: r#"{"vm_name":"DC0_H0_VM0","target_path":"exports/vm0"}"#,
        expect: &["VM 'DC0_H0_VM0' is powered on", "power it off"],
    },
    run: run!(export_vm_ovf, ExportOvfArgs),
};

fn vs(e: &VsError) -> ToolError {
    ToolError::vsphere(e, None)
}

async fn export_vm_ovf(ctx: Ctx, a: ExportOvfArgs) -> Result<Output, ToolError> {
    let target = ds_path::check("target_path", &a.target_path, false)?;
    let vm = find_vm(&ctx, &a.vm_name).await?;
    let place = ctx
        .client
        .properties(&vm, &views::folder::VM_PLACE)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&a.vm_name)))?;
    let power = place.str("runtime.powerState").unwrap_or("unknown");
    if power != "poweredOff" {
        return Err(ToolError::new(format!(
            "VM '{}' is {}; power it off before exporting it",
            a.vm_name,
            power_state_words(power)
        )));
    }
    let ds_name = match &a.datastore {
        Some(d) => d.clone(),
        None => place
            .str("config.files.vmPathName")
            .and_then(|p| p.strip_prefix('['))
            .and_then(|p| p.split(']').next())
            .map(str::to_string)
            .ok_or_else(|| ToolError::new(format!("VM '{}' has no datastore", a.vm_name)))?,
    };
    let ds = datastore(&ctx, &ds_name).await?;
    let folder = ds_path::ds_path(&ds.name, &target);
    let fm = ctx
        .client
        .content()
        .await
        .map_err(|e| vs(&e))?
        .file_manager
        .ok_or_else(|| ToolError::new("This endpoint has no FileManager"))?;
    let mkdir = Request::new("MakeDirectory", &fm)
        .arg("name", folder.as_str())
        .arg("datacenter", &ds.datacenter)
        .arg("createParentDirectories", true);
    match ctx.client.invoke(&mkdir).await {
        Ok(_) => {}
        Err(e) if e.is("FileAlreadyExists") => {}
        Err(e) => return Err(super::ds_lookup::file_error(&e, &folder)),
    }
    let lease_ref = ctx
        .client
        .invoke(&Request::new("ExportVm", &vm))
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&a.vm_name)))?
        .as_ref()
        .and_then(Value::as_moref)
        .cloned()
        .ok_or_else(|| ToolError::new("ExportVm returned no lease"))?;
    let what = format!("the export of VM '{}'", a.vm_name);
    let mut lease = Lease::new(lease_ref.clone(), &what);
    let work = async {
        let ready = lease.ready(&ctx).await?;
        let urls = device_urls(&ready);
        let mut files = vec![];
        let mut ovf_files = vec![];
        for u in urls
            .iter()
            .filter(|u| u.get("disk").and_then(Value::as_bool) != Some(false))
        {
            let s = |k: &str| {
                u.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let (key, name) = (s("key"), s("targetId"));
            let name = ds_path::file_name(&name).to_string();
            if name.is_empty() {
                return Err(ToolError::new(
                    "the export lease offers a disk without a file name",
                ));
            }
            let url = ctx.client.nfc_url(&s("url")).map_err(|e| vs(&e))?;
            let resp = ctx.client.nfc_get(&url).await.map_err(|e| vs(&e))?;
            if !(200..300).contains(&resp.status) {
                let status = resp.status;
                return Err(ToolError::new(format!(
                    "vCenter refused to send disk '{name}': HTTP {status}: {}",
                    resp.words().await
                )));
            }
            let length = resp.length.ok_or_else(|| {
                ToolError::new(format!("vCenter sent disk '{name}' without its length"))
            })?;
            // The total grows disk by disk: a lease's fileSize is the disk's
            // capacity, not what the stream-optimized download will be.
            if lease.total < lease.done + length {
                lease.total = lease.done + length;
            }
            let path = format!("{target}/{name}");
            let dest = ctx
                .client
                .folder_url(&ds.dc_path, &ds.name, &path)
                .map_err(|e| vs(&e))?;
            let mut src = Source::new(resp, &format!("disk '{name}' of the export"));
            let client = ctx.client.clone();
            let answer = send(&ctx, &mut lease, &mut src, length, move |body| async move {
                let mut once = Some(body);
                client
                    .folder_put(&dest, length, move || {
                        once.take().ok_or_else(|| {
                            VsError::Protocol(
                                "vCenter refused the disk upload, which cannot be sent again"
                                    .into(),
                            )
                        })
                    })
                    .await
            })
            .await?;
            if !(200..300).contains(&answer.status) {
                let status = answer.status;
                return Err(ToolError::new(format!(
                    "Cannot write '{}': HTTP {status}: {}",
                    ds_path::ds_path(&ds.name, &path),
                    answer.words().await
                )));
            }
            files.push(ds_path::ds_path(&ds.name, &path));
            ovf_files.push(Value::data(
                Data::new("OvfFile")
                    .with("deviceId", key.as_str())
                    .with("path", name.as_str())
                    .with("size", length as i64),
            ));
        }
        let om = ovf_manager(&ctx).await?;
        let cdp = Data::new("OvfCreateDescriptorParams")
            .with("ovfFiles", Value::array(ovf_files))
            .with("name", a.vm_name.as_str());
        let r = ctx
            .client
            .invoke(
                &Request::new("CreateDescriptor", &om)
                    .arg("obj", &vm)
                    .arg("cdp", cdp),
            )
            .await
            .map_err(|e| ToolError::vsphere(&e, Some(&a.vm_name)))?;
        let r = r
            .as_ref()
            .and_then(Value::as_data)
            .cloned()
            .ok_or_else(|| ToolError::new("OvfManager.CreateDescriptor returned nothing"))?;
        let errors = messages(&r, "error");
        if !errors.is_empty() {
            return Err(ToolError::new(format!(
                "vCenter cannot describe VM '{}': {}",
                a.vm_name,
                errors.join("; ")
            )));
        }
        let text = r
            .get("ovfDescriptor")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .as_bytes()
            .to_vec();
        let ovf_path = format!("{target}/{}.ovf", a.vm_name);
        let dest = ctx
            .client
            .folder_url(&ds.dc_path, &ds.name, &ovf_path)
            .map_err(|e| vs(&e))?;
        let resp = ctx
            .client
            .folder_put(&dest, text.len() as u64, || {
                Ok(reqwest::Body::from(text.clone()))
            })
            .await
            .map_err(|e| vs(&e))?;
        if !(200..300).contains(&resp.status) {
            let status = resp.status;
            return Err(ToolError::new(format!(
                "Cannot write the descriptor: HTTP {status}: {}",
                resp.words().await
            )));
        }
        lease.complete(&ctx).await?;
        Ok::<_, ToolError>((files, ds_path::ds_path(&ds.name, &ovf_path)))
    };
    let (files, descriptor) = Lease::new(lease_ref, &what).guard(&ctx, work).await?;
    Ok(Output::Json(json!({
        "vm": a.vm_name,
        "action": "exported",
        "datastore": ds.name,
        "target_path": folder,
        "files": files,
        "ovf_descriptor": descriptor,
    })))
}
