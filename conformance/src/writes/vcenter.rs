//! The vCenter-operations and OVF checks, against the simulator only (they
//! make VMs, folders and files besides the scratch VM): on a VM of their own
//! — made with create_vm, deleted at the end with everything made from it —
//! create a folder and move the VM into it, storage-vMotion it to another
//! datastore and move its disk back, export it as OVF, list the package's
//! networks and deploy it as a new VM, make it a template, deploy a VM from
//! the template and make it a VM again. Each effect is read from the
//! simulator. reboot_host and shutdown_host take a host down for everyone
//! and are left to the server's own tests.

use anyhow::{Result, anyhow, bail};
use serde_json::{Value as Json, json};
use vim25::{MoRef, Value};

use super::{Probe, Step, Writes};
use crate::checks::{Recorder, summarize};

const TOOLS: [&str; 10] = [
    "create_folder",
    "move_vm_to_folder",
    "storage_vmotion",
    "move_vm_disk",
    "export_vm_ovf",
    "list_ovf_networks",
    "deploy_ovf",
    "convert_to_template",
    "deploy_from_template",
    "convert_to_vm",
];
const VM: &str = "mcvsphere-conformance-ops";
const FROM_OVF: &str = "mcvsphere-conformance-from-ovf";
const FROM_TEMPLATE: &str = "mcvsphere-conformance-from-template";
const FOLDER: &str = "mcvsphere-conformance";
const EXPORT: &str = "mcvsphere-conformance-export";

fn name_of(sim: &vcsim::Simulator, m: &MoRef) -> String {
    sim.property(m, "name")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The datastore names a VM's first disk lives on, from its backing file.
fn disk_datastore(sim: &vcsim::Simulator, vm: &MoRef) -> Option<String> {
    let devices = sim.property(vm, "config.hardware.device")?;
    devices.as_array().iter().find_map(|d| {
        let file = d.path("backing.fileName").and_then(Value::as_str)?;
        let ds = file.strip_prefix('[')?.split(']').next()?;
        file.ends_with(".vmdk").then(|| ds.to_string())
    })
}

impl Writes<'_> {
    async fn ops_ok(&self, tool: &str, args: Json) -> Result<Json> {
        let o = self.s.call(tool, args.clone()).await?;
        if o.is_error {
            bail!("{tool}({args}) failed: {}", o.text);
        }
        Ok(o.structured.unwrap_or(Json::Null))
    }

    pub(super) async fn vcenter_checks(&self, rec: &mut Recorder) {
        for t in ["reboot_host", "shutdown_host"] {
            if self.has(t) {
                let why = "takes a host down for every VM on it; checked by the server's own tests";
                rec.skip(self.spec(t, &format!("{t} on a host")), why);
            }
        }
        let (true, Probe::Sim(sim)) = (self.may_create, &self.probe) else {
            let why = "makes VMs, folders and files besides the scratch VM; runs against the simulator only";
            return self.skip_all(rec, &TOOLS, why);
        };
        let helpers = ["create_vm", "delete_vm", "delete_datastore_file"];
        if !TOOLS.iter().chain(helpers.iter()).all(|t| self.has(t)) {
            return;
        }
        if let Err(e) = self
            .ops_ok("create_vm", json!({ "name": VM, "disk_gb": 1 }))
            .await
        {
            return self.skip_all(rec, &TOOLS, &format!("create_vm failed: {e:#}"));
        }
        self.vcenter_steps(rec, sim).await;
        for vm in [FROM_TEMPLATE, FROM_OVF, VM] {
            if sim.find("VirtualMachine", vm).is_some()
                && let Err(e) = self.ops_ok("delete_vm", json!({ "name": vm })).await
            {
                self.restore_failed(rec, &format!("clean-up (delete {vm})"), &e);
            }
        }
    }

    async fn vcenter_steps(&self, rec: &mut Recorder, sim: &vcsim::Simulator) {
        let find = |kind: &str, name: &str| {
            sim.find(kind, name)
                .ok_or_else(|| anyhow!("the simulator has no {kind} {name}"))
        };
        let Ok(vm) = find("VirtualMachine", VM) else {
            return;
        };
        let home = disk_datastore(sim, &vm).unwrap_or_default();
        let Some(other) = sim
            .objects("Datastore")
            .iter()
            .map(|d| name_of(sim, d))
            .find(|n| *n != home && !n.is_empty())
        else {
            return self.skip_all(rec, &TOOLS, "the simulator has one datastore only");
        };
        let spec = |t: &str, what: &str| self.spec(t, &format!("{t} {what}"));
        self.step(rec, spec("create_folder", "makes a VM folder"), async {
            self.ops_ok("create_folder", json!({ "folder_name": FOLDER }))
                .await?;
            find("Folder", FOLDER)?;
            Ok(Step::Done(format!("folder {FOLDER}")))
        })
        .await;
        self.step(
            rec,
            spec("move_vm_to_folder", "moves the VM into it"),
            async {
                let r = self
                    .ops_ok(
                        "move_vm_to_folder",
                        json!({ "vm_name": VM, "folder_path": FOLDER }),
                    )
                    .await?;
                let parent = sim
                    .property(&vm, "parent")
                    .and_then(|p| p.as_moref().cloned());
                if parent != Some(find("Folder", FOLDER)?) {
                    bail!("{VM}'s parent is {parent:?} after move_vm_to_folder: {r}");
                }
                Ok(Step::Done(summarize(&r.to_string())))
            },
        )
        .await;
        self.step(
            rec,
            spec("storage_vmotion", &format!("moves the VM to {other}")),
            async {
                self.ops_ok(
                    "storage_vmotion",
                    json!({ "vm_name": VM, "target_datastore": other }),
                )
                .await?;
                match disk_datastore(sim, &vm) {
                    Some(ds) if ds == other => Ok(Step::Done(format!("{home} → {other}"))),
                    got => bail!("{VM}'s disk is on {got:?} after storage_vmotion to {other}"),
                }
            },
        )
        .await;
        self.step(
            rec,
            spec("move_vm_disk", &format!("moves its disk back to {home}")),
            async {
                let args =
                    json!({ "vm_name": VM, "disk_label": "Hard disk 1", "target_datastore": home });
                self.ops_ok("move_vm_disk", args).await?;
                match disk_datastore(sim, &vm) {
                    Some(ds) if ds == home => Ok(Step::Done(format!("{other} → {home}"))),
                    got => bail!("{VM}'s disk is on {got:?} after move_vm_disk to {home}"),
                }
            },
        )
        .await;
        self.ovf_steps(rec, sim, &home).await;
        self.template_steps(rec, sim).await;
    }

    async fn ovf_steps(&self, rec: &mut Recorder, sim: &vcsim::Simulator, home: &str) {
        let spec = |t: &str, what: &str| self.spec(t, &format!("{t} {what}"));
        let Some(ds) = sim.find("Datastore", home) else {
            return;
        };
        let ovf = || {
            sim.datastore_files(&ds, &format!("{EXPORT}/"))
                .into_iter()
                .map(|(p, _)| p)
                .find(|p| p.ends_with(".ovf"))
        };
        let exported = self
            .step(
                rec,
                spec("export_vm_ovf", "writes the VM's package to the datastore"),
                async {
                    let args = json!({ "vm_name": VM, "target_path": EXPORT, "datastore": home });
                    let r = self.ops_ok("export_vm_ovf", args).await?;
                    let files = sim.datastore_files(&ds, &format!("{EXPORT}/"));
                    if ovf().is_none() || !files.iter().any(|(p, _)| p.ends_with(".vmdk")) {
                        bail!("[{home}] {EXPORT}/ holds {files:?} after export_vm_ovf: {r}");
                    }
                    Ok(Step::Done(format!("{} files", files.len())))
                },
            )
            .await;
        let path = ovf().unwrap_or_default();
        self.step(
            rec,
            spec("list_ovf_networks", "reads the package's networks"),
            async {
                if !exported {
                    return Ok(Step::Skip("export_vm_ovf did not pass".into()));
                }
                let r = self
                    .ops_ok(
                        "list_ovf_networks",
                        json!({ "ovf_path": path, "datastore": home }),
                    )
                    .await?;
                let n = r.get("result").and_then(Json::as_array).map_or(0, Vec::len);
                if n == 0 {
                    bail!("list_ovf_networks found no network in {path}: {r}");
                }
                Ok(Step::Done(format!("{n} network(s)")))
            },
        )
        .await;
        self.step(
            rec,
            spec("deploy_ovf", "imports the package as a new VM"),
            async {
                if !exported {
                    return Ok(Step::Skip("export_vm_ovf did not pass".into()));
                }
                let args = json!({ "ovf_path": path, "vm_name": FROM_OVF, "datastore": home });
                self.ops_ok("deploy_ovf", args).await?;
                let made = sim
                    .find("VirtualMachine", FROM_OVF)
                    .ok_or_else(|| anyhow!("deploy_ovf made no VM {FROM_OVF}"))?;
                if disk_datastore(sim, &made).is_none() {
                    bail!("{FROM_OVF} has no disk after deploy_ovf");
                }
                Ok(Step::Done(format!("{FROM_OVF} with its disk")))
            },
        )
        .await;
        // The package goes again (delete_datastore_file has its own check in `datastore.rs`).
        let removed = self
            .ops_ok(
                "delete_datastore_file",
                json!({ "datastore": home, "path": EXPORT }),
            )
            .await;
        let left = sim.datastore_files(&ds, &format!("{EXPORT}/"));
        let cleaned = removed.and_then(|_| {
            if left.is_empty() {
                Ok(())
            } else {
                Err(anyhow!("[{home}] {EXPORT}/ still holds {left:?}"))
            }
        });
        if let Err(e) = cleaned {
            self.restore_failed(rec, "clean-up (the exported package)", &e);
        }
    }

    async fn template_steps(&self, rec: &mut Recorder, sim: &vcsim::Simulator) {
        let spec = |t: &str, what: &str| self.spec(t, &format!("{t} {what}"));
        let Some(vm) = sim.find("VirtualMachine", VM) else {
            return;
        };
        let template = || {
            sim.property(&vm, "config.template")
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        };
        let made = self
            .step(
                rec,
                spec("convert_to_template", "marks the VM a template"),
                async {
                    self.ops_ok("convert_to_template", json!({ "vm_name": VM }))
                        .await?;
                    if !template() {
                        bail!("{VM} is not a template after convert_to_template");
                    }
                    Ok(Step::Done(format!("{VM} is a template")))
                },
            )
            .await;
        self.step(
            rec,
            spec("deploy_from_template", "makes a VM from it"),
            async {
                if !made {
                    return Ok(Step::Skip("convert_to_template did not pass".into()));
                }
                let args = json!({ "template_name": VM, "new_vm_name": FROM_TEMPLATE });
                self.ops_ok("deploy_from_template", args).await?;
                if sim.find("VirtualMachine", FROM_TEMPLATE).is_none() {
                    bail!("deploy_from_template made no VM {FROM_TEMPLATE}");
                }
                Ok(Step::Done(format!("{FROM_TEMPLATE} made")))
            },
        )
        .await;
        self.step(
            rec,
            spec("convert_to_vm", "makes the template a VM again"),
            async {
                if !made {
                    return Ok(Step::Skip("convert_to_template did not pass".into()));
                }
                self.ops_ok("convert_to_vm", json!({ "template_name": VM }))
                    .await?;
                if template() {
                    bail!("{VM} is still a template after convert_to_vm");
                }
                Ok(Step::Done(format!("{VM} is a VM again")))
            },
        )
        .await;
    }
}
