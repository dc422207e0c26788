//! vcenter_ops, templates: convert_to_template, convert_to_vm,
//! deploy_from_template. A template has no resource pool; turning it back
//! into a VM, or deploying a VM from it, places it in the pool of the
//! compute resource (cluster or standalone host) its host belongs to.

use serde_json::json;
use vim25::{Data, MoRef, Request};

use super::typed::tool_args;
use super::vm::{ensure_vm_absent, find_vm};
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, inventory, placement, run};
use crate::error::{ToolError, power_state_words};
use crate::views;
use crate::vsphere::Obj;

tool_args! {
    pub struct TemplateVmArgs {
        vm_name: name, "Name of the powered-off VM to mark as a template.";
    }
}

tool_args! {
    pub struct ConvertToVmArgs {
        template_name: name, "Name of the template to turn back into a VM.";
        resource_pool: opt_name, "Resource pool for the VM; default: the root pool of the cluster or host the template is on.";
    }
}

tool_args! {
    pub struct DeployArgs {
        template_name: name, "Name of the template to deploy from.";
        new_vm_name: name, "Name for the new VM (must not exist yet).";
        datastore: opt_name, "Datastore for the new VM's files; default: the template's.";
        power_on: bool = false, "Power the new VM on once it is deployed.";
    }
}

pub const CONVERT_TO_TEMPLATE: ToolDef = ToolDef {
    name: "convert_to_template",
    title: "Convert VM to template",
    description: "Mark a powered-off VM as a template (it can then only be deployed from, not \
        powered on). A VM that is already a template is left as it is. Fails for a VM that is \
        powered on or suspended. Returns vm, action and is_template (read back from vCenter).",
    hints: Hints::change(true, Some(true)),
    returns: Returns::Object,
    example: Example {
        setup: &[("power_off", r#"{"name":"DC0_H0_VM1"}"#)],
        args: r#"{"vm_name":"DC0_H0_VM1"}"#,
    },
    failure: Failure::Args {
        args: r#"{"vm_name":"DC0_H0_VM0"}"#,
        expect: &["VM 'DC0_H0_VM0' is powered on", "power it off"],
    },
    run: run!(convert_to_template, TemplateVmArgs),
};

pub const CONVERT_TO_VM: ToolDef = ToolDef {
    name: "convert_to_vm",
    title: "Convert template to VM",
    description: "Turn a template back into an ordinary (powered-off) VM in resource_pool, by \
        default the root pool of the cluster or host the template is on. A template that is \
        already a VM is left as it is. Returns vm, action, is_template and resource_pool.",
    hints: Hints::change(true, Some(true)),
    returns: Returns::Object,
    example: Example {
        setup: &[
            ("power_off", r#"{"name":"DC0_H0_VM1"}"#),
            ("convert_to_template", r#"{"vm_name":"DC0_H0_VM1"}"#),
        ],
        args: r#"{"template_name":"DC0_H0_VM1"}"#,
    },
    failure: Failure::Args {
        args: r#"{"template_name":"no-such-template"}"#,
        expect: &["Template 'no-such-template' not found"],
    },
    run: run!(convert_to_vm, ConvertToVmArgs),
};

pub const DEPLOY_FROM_TEMPLATE: ToolDef = ToolDef {
    name: "deploy_from_template",
    title: "Deploy VM from template",
    description: "Create a new VM from a template (CloneVM_Task): in the template's folder, in \
        the root pool of the cluster or host the template is on, on datastore if given (else \
        the template's), powered on if power_on. Fails if the source is not a template or the \
        new name is taken. Returns vm, action, template, datastore and power_state.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example {
        setup: &[
            ("power_off", r#"{"name":"DC0_H0_VM1"}"#),
            ("convert_to_template", r#"{"vm_name":"DC0_H0_VM1"}"#),
        ],
        args: r#"{"template_name":"DC0_H0_VM1","new_vm_name":"web-03","power_on":true}"#,
    },
    failure: Failure::Args {
        args: r#"{"template_name":"DC0_H0_VM0","new_vm_name":"web-03"}"#,
        expect: &["'DC0_H0_VM0' is not a template", "convert_to_template"],
    },
    run: run!(deploy_from_template, DeployArgs),
};

/// The root resource pool of the compute resource `host` belongs to.
async fn pool_of_host(ctx: &Ctx, host: &MoRef) -> Result<Option<MoRef>, ToolError> {
    let err = |e| ToolError::vsphere(&e, None);
    let h = ctx
        .client
        .properties(host, &views::folder::PARENT)
        .await
        .map_err(err)?;
    let Some(compute) = h.moref("parent") else {
        return Ok(None);
    };
    let c = ctx
        .client
        .properties(compute, &views::pool::OF_COMPUTE)
        .await
        .map_err(err)?;
    Ok(c.moref("resourcePool").cloned())
}

/// Where a VM or template is, read once.
async fn place(ctx: &Ctx, vm: &MoRef, name: &str) -> Result<Obj, ToolError> {
    ctx.client
        .properties(vm, &views::folder::VM_PLACE)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(name)))
}

/// The template named `name` (a VM that is not one fails saying so).
async fn find_template(ctx: &Ctx, name: &str) -> Result<(MoRef, Obj), ToolError> {
    let vm = ctx
        .client
        .find_by_name("VirtualMachine", name)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(name)))?
        .ok_or_else(|| ToolError::new(format!("Template '{name}' not found")))?;
    let o = place(ctx, &vm, name).await?;
    Ok((vm, o))
}

async fn convert_to_template(ctx: Ctx, args: TemplateVmArgs) -> Result<Output, ToolError> {
    let name = args.vm_name;
    let vm = find_vm(&ctx, &name).await?;
    let o = place(&ctx, &vm, &name).await?;
    let mut action = "converted to template";
    if o.bool("config.template") == Some(true) {
        action = "already a template";
    } else {
        let power = o.str("runtime.powerState").unwrap_or("unknown");
        if power != "poweredOff" {
            return Err(ToolError::new(format!(
                "VM '{name}' is {}; power it off before converting it to a template",
                power_state_words(power)
            )));
        }
        ctx.client
            .invoke(&Request::new("MarkAsTemplate", &vm))
            .await
            .map_err(|e| ToolError::vsphere(&e, Some(&name)))?;
    }
    let after = place(&ctx, &vm, &name).await?;
    Ok(Output::Json(json!({
        "vm": name,
        "action": action,
        "is_template": after.bool("config.template").unwrap_or(false),
    })))
}

async fn convert_to_vm(ctx: Ctx, args: ConvertToVmArgs) -> Result<Output, ToolError> {
    let ConvertToVmArgs {
        template_name: name,
        resource_pool,
    } = args;
    let (vm, o) = find_template(&ctx, &name).await?;
    let mut action = "converted to VM";
    let mut pool_name = None;
    if o.bool("config.template") != Some(true) {
        action = "already a VM";
    } else {
        let pool = match &resource_pool {
            Some(p) => {
                let set = &views::pool::INFO;
                let found = inventory::find_named(&ctx, "ResourcePool", "Resource pool", p, set);
                found.await?.moref
            }
            None => {
                let by_host = match o.moref("runtime.host") {
                    Some(h) => pool_of_host(&ctx, h).await?,
                    None => None,
                };
                match by_host {
                    Some(p) => p,
                    None => {
                        placement::resource_pool(&ctx, &placement::datacenter(&ctx).await?).await?
                    }
                }
            }
        };
        pool_name = ctx
            .client
            .properties(&pool, &crate::vsphere::NAME)
            .await
            .ok()
            .map(|p| p.name().to_string());
        let mut req = Request::new("MarkAsVirtualMachine", &vm).arg("pool", &pool);
        if let Some(h) = o.moref("runtime.host") {
            req = req.arg("host", h);
        }
        ctx.client
            .invoke(&req)
            .await
            .map_err(|e| ToolError::vsphere(&e, Some(&name)))?;
    }
    let after = place(&ctx, &vm, &name).await?;
    Ok(Output::Json(json!({
        "vm": name,
        "action": action,
        "is_template": after.bool("config.template").unwrap_or(false),
        "resource_pool": pool_name,
    })))
}

async fn deploy_from_template(ctx: Ctx, args: DeployArgs) -> Result<Output, ToolError> {
    let DeployArgs {
        template_name,
        new_vm_name,
        datastore,
        power_on,
    } = args;
    let (src, o) = find_template(&ctx, &template_name).await?;
    if o.bool("config.template") != Some(true) {
        return Err(ToolError::new(format!(
            "'{template_name}' is not a template (use clone_vm to copy a VM, or \
             convert_to_template first)"
        )));
    }
    ensure_vm_absent(&ctx, &new_vm_name).await?;
    let dc = placement::datacenter(&ctx).await?;
    let mut relocate = Data::new("VirtualMachineRelocateSpec");
    if let Some(ds) = &datastore {
        let set = &crate::vsphere::NAME;
        let m = inventory::find_named(&ctx, "Datastore", "Datastore", ds, set).await?;
        relocate.set("datastore", &m.moref);
    }
    let by_host = match o.moref("runtime.host") {
        Some(h) => pool_of_host(&ctx, h).await?,
        None => None,
    };
    let pool = match by_host {
        Some(p) => p,
        None => placement::resource_pool(&ctx, &dc).await?,
    };
    relocate.set("pool", &pool);
    if let Some(h) = o.moref("runtime.host") {
        relocate.set("host", h);
    }
    let folder = o.moref("parent").cloned().unwrap_or(dc.vm_folder.clone());
    let spec = Data::new("VirtualMachineCloneSpec")
        .with("location", relocate)
        .with("template", false)
        .with("powerOn", power_on);
    let req = Request::new("CloneVM_Task", &src)
        .arg("folder", &folder)
        .arg("name", new_vm_name.as_str())
        .arg("spec", spec);
    let made = ctx
        .client
        .run_task(&req)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&new_vm_name)))?;
    let new_vm = match made.as_ref().and_then(vim25::Value::as_moref) {
        Some(m) => m.clone(),
        None => find_vm(&ctx, &new_vm_name).await?,
    };
    let n = place(&ctx, &new_vm, &new_vm_name).await?;
    let ds_names = ctx
        .client
        .properties_of(&n.morefs("datastore"), &crate::vsphere::NAME)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&new_vm_name)))?;
    Ok(Output::Json(json!({
        "vm": new_vm_name,
        "action": "deployed",
        "template": template_name,
        "datastore": ds_names.first().map(|d| d.name().to_string()),
        "power_state": n.str("runtime.powerState"),
    })))
}
