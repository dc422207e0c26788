//! The disk and CD/DVD checks: add a disk, grow it, remove it again (its
//! file with it); put an ISO in the first CD/DVD drive and eject it. The
//! VM's own disks are never touched, and its drive gets back the ISO it
//! had. Effects are read from `config.hardware.device` (or `list_disks`).

use anyhow::bail;
use serde_json::{Value as Json, json};

use super::{Probe, Step, Writes};
use crate::checks::{Recorder, summarize};

/// An ISO the simulator's default inventory holds (the server's own tests
/// use the same datastore path).
pub(super) const ISO: &str = "[LocalDS_0] iso/a.iso";

const ADD_GB: i64 = 1;
const EXTENDED_GB: i64 = 2;

impl Writes<'_> {
    /// The label of the disk `add_disk` made: its reply, else the one label
    /// that is new since `before`.
    async fn added_disk(&self, reply: &Json, before: &[String]) -> anyhow::Result<String> {
        let now = self.probe.disks(&self.vm).await?;
        let new: Vec<&str> = now
            .iter()
            .map(|d| d.label.as_str())
            .filter(|l| !before.iter().any(|b| b == l))
            .collect();
        let told = reply.get("disk_label").and_then(Json::as_str);
        match (new.as_slice(), told) {
            ([one], Some(t)) if *one == t => Ok(t.to_string()),
            ([one], None) => Ok((*one).to_string()),
            _ => bail!("after add_disk (which named {told:?}) the new disks are {new:?}"),
        }
    }

    pub(super) async fn disk_checks(&self, rec: &mut Recorder) {
        let vm = self.vm.clone();
        let mut added: Option<String> = None;
        let before: Vec<String> = match self.probe.disks(&vm).await {
            Ok(d) => d.into_iter().map(|d| d.label).collect(),
            Err(e) => {
                let tools = ["add_disk", "extend_disk", "remove_disk"];
                return self.skip_all(rec, &tools, &format!("cannot read {vm}'s disks: {e:#}"));
            }
        };
        if self.has("add_disk") {
            let spec = self.spec("add_disk", "add_disk adds a 1 GB disk to the VM");
            self.step(rec, spec, async {
                let o = self
                    .s
                    .call("add_disk", json!({ "vm_name": vm, "size_gb": ADD_GB }))
                    .await?;
                if o.is_error {
                    bail!("add_disk failed: {}", o.text);
                }
                let reply = o.structured.unwrap_or(Json::Null);
                let label = self.added_disk(&reply, &before).await?;
                added = Some(label.clone());
                let size = self.disk_gb(&label).await?;
                if (size - ADD_GB as f64).abs() > 0.01 {
                    bail!("{label} has {size} GB, expected {ADD_GB}");
                }
                Ok(Step::Done(format!("{label} added with {size} GB")))
            })
            .await;
        }
        let why = "add_disk made no disk to work on; the VM's own disks are left alone";
        for (tool, what) in [
            ("extend_disk", "extend_disk grows the added disk to 2 GB"),
            (
                "remove_disk",
                "remove_disk removes the added disk and its file",
            ),
        ] {
            if !self.has(tool) {
                continue;
            }
            let spec = self.spec(tool, what);
            let Some(label) = added.clone() else {
                rec.skip(spec, why);
                continue;
            };
            self.step(rec, spec, async {
                if tool == "extend_disk" {
                    let args =
                        json!({ "vm_name": vm, "disk_label": label, "new_size_gb": EXTENDED_GB });
                    let text = self.ok(tool, args).await?;
                    let size = self.disk_gb(&label).await?;
                    if (size - EXTENDED_GB as f64).abs() > 0.01 {
                        bail!("{label} has {size} GB after extend_disk, expected {EXTENDED_GB}");
                    }
                    return Ok(Step::Done(summarize(&text)));
                }
                let args = json!({ "vm_name": vm, "disk_label": label, "delete_file": true });
                let text = self.ok(tool, args).await?;
                let now: Vec<String> = self
                    .probe
                    .disks(&vm)
                    .await?
                    .into_iter()
                    .map(|d| d.label)
                    .collect();
                if now != before {
                    bail!("after remove_disk the disks are {now:?}, they were {before:?}");
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        }
        self.iso_checks(rec).await;
    }

    async fn disk_gb(&self, label: &str) -> anyhow::Result<f64> {
        let disks = self.probe.disks(&self.vm).await?;
        match disks.iter().find(|d| d.label == label) {
            Some(d) => Ok(d.size_gb),
            None => bail!("{} has no disk {label}", self.vm),
        }
    }

    /// attach_iso then detach_iso, on the VM's first CD/DVD drive.
    async fn iso_checks(&self, rec: &mut Recorder) {
        let tools = ["attach_iso", "detach_iso"];
        if !tools.iter().any(|t| self.has(t)) {
            return;
        }
        if let Probe::Server(_) = self.probe {
            let why = format!(
                "no read tool shows a CD/DVD drive, and {ISO} exists only in the simulator; runs against the simulator only"
            );
            return self.skip_all(rec, &tools, &why);
        }
        let vm = self.vm.clone();
        let had = match self.probe.cdrom_iso(&vm).await {
            Ok(iso) => iso,
            // Adding a drive would leave one behind: no tool removes drives.
            Err(e) => return self.skip_all(rec, &tools, &format!("{e:#}")),
        };
        let attach = self.spec(
            "attach_iso",
            "attach_iso puts an ISO in the first CD/DVD drive",
        );
        let attached = self
            .step(rec, attach, async {
                let text = self
                    .ok("attach_iso", json!({ "vm_name": vm, "iso_path": ISO }))
                    .await?;
                let now = self.probe.cdrom_iso(&vm).await?;
                if now.as_deref() != Some(ISO) {
                    bail!("after attach_iso the drive holds {now:?}, expected {ISO}");
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        let detach = self.spec("detach_iso", "detach_iso empties the CD/DVD drive");
        if !attached {
            return rec.skip(detach, "attach_iso put no ISO in the drive");
        }
        self.step(rec, detach, async {
            let text = self.ok("detach_iso", json!({ "vm_name": vm })).await?;
            let now = self.probe.cdrom_iso(&vm).await?;
            if let Some(iso) = now {
                bail!("after detach_iso the drive still holds {iso}");
            }
            // Back to the ISO the drive held before, if any.
            if let Some(iso) = &had {
                self.ok("attach_iso", json!({ "vm_name": vm, "iso_path": iso }))
                    .await?;
            }
            Ok(Step::Done(summarize(&text)))
        })
        .await;
    }
}

/// Arguments besides the VM for an unknown-VM call of each snapshot and
/// device write tool; harmless, the VM exists nowhere. `create_snapshot`
/// names its VM `name` but creates, so the derivation does not see it as a
/// VM parameter: the VM goes in here.
pub(super) fn unknown_vm_args() -> Vec<(&'static str, Json)> {
    let nic = "Network adapter 1";
    vec![
        (
            "create_snapshot",
            json!({ "name": crate::checks::NO_SUCH_VM, "snapshot_name": "unused" }),
        ),
        ("revert_to_snapshot", json!({ "snapshot_name": "unused" })),
        ("revert_to_current_snapshot", json!({})),
        (
            "rename_snapshot",
            json!({ "snapshot_name": "unused", "new_name": "unused" }),
        ),
        ("delete_snapshot", json!({ "snapshot_name": "unused" })),
        ("delete_all_snapshots", json!({})),
        ("add_disk", json!({ "size_gb": ADD_GB })),
        (
            "extend_disk",
            json!({ "disk_label": "Hard disk 1", "new_size_gb": EXTENDED_GB }),
        ),
        ("remove_disk", json!({ "disk_label": "Hard disk 1" })),
        ("attach_iso", json!({ "iso_path": ISO })),
        ("detach_iso", json!({})),
        ("add_nic", json!({ "network": "unused" })),
        ("remove_nic", json!({ "nic_label": nic })),
        (
            "change_nic_network",
            json!({ "nic_label": nic, "new_network": "unused" }),
        ),
        ("connect_nic", json!({ "nic_label": nic })),
        (
            "set_nic_mac",
            json!({ "nic_label": nic, "mac_address": "00:50:56:00:00:01" }),
        ),
        ("setup_serial_port", json!({})),
        ("connect_serial_port", json!({})),
        ("clear_serial_port", json!({})),
        ("remove_serial_port", json!({})),
    ]
}
