//! The mutating checks. They act on one VM (the scratch VM) and put back
//! what they change: power off/on in the order that ends where it started,
//! rename and rename back, annotate and restore the annotation. Creating,
//! cloning and deleting VMs touches objects besides the scratch VM, so those
//! run against the simulator only. The snapshot, disk, CD/DVD, network
//! adapter and serial port checks live in their own modules and work only
//! on what they add themselves (a snapshot, a disk, an adapter, a port); the
//! datastore file checks work in a folder they make and delete; the host
//! checks (`hosts.rs`) toggle a stopped SSH service and its policy back and
//! forth, and maintenance mode against the simulator only.
//!
//! Every effect is verified through a [`Probe`]: the simulator's own state
//! when it runs in-process, otherwise the server's `esxi://vms` resource and
//! its read tools (`get_vm_info`, `list_snapshots`, `list_disks`, …).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value as Json, json};

use crate::checks::{Inventory, Recorder, Spec, Verdict, summarize, unknown_vm_check};
use crate::contract::Contract;
use crate::report::Status;
use crate::session::Session;

mod datastore;
mod devices;
mod guest;
mod guest_probe;
mod host_ntp;
mod hosts;
mod nics;
mod probe;
mod serial;
mod snapshots;
mod state;
mod vcenter;

pub use guest_probe::GuestLogin;
pub use probe::{Probe, Snapshot};

const QUICK: Duration = Duration::from_secs(60);
/// A guest OS may take minutes to shut down or suspend.
const GUEST: Duration = Duration::from_secs(300);

/// The write checks against `vm`. `may_create`: creating and deleting other
/// VMs is allowed (the simulator).
pub struct Writes<'a> {
    pub s: &'a Session,
    pub probe: Probe<'a>,
    pub contract: &'a Contract,
    pub registered: &'a BTreeSet<String>,
    pub vm: String,
    pub may_create: bool,
    /// A guest account for the guest operation checks; none skips them.
    pub guest: Option<GuestLogin>,
}

/// What a step did, or why it stopped; `Skip` carries the reason.
enum Step {
    Done(String),
    Skip(String),
}

impl Writes<'_> {
    fn has(&self, tool: &str) -> bool {
        self.registered.contains(tool)
    }

    fn spec(&self, tool: &str, what: &str) -> Spec {
        let family = self
            .contract
            .tool(tool)
            .map_or("unknown", |t| t.category.as_str());
        Spec::new(format!("write.{tool}"), family, what)
            .tool(tool)
            .write()
    }

    /// A call that must succeed; its text on success.
    async fn ok(&self, tool: &str, args: Json) -> Result<String> {
        let o = self.s.call(tool, args.clone()).await?;
        if o.is_error {
            bail!("{tool}({args}) failed: {}", o.text);
        }
        Ok(o.text)
    }

    /// Brings the scratch VM to `want` (poweredOn/poweredOff) with the power tools.
    async fn ensure_power(&self, want: &str) -> Result<()> {
        let now = self.probe.power(&self.vm).await?;
        if now == want {
            return Ok(());
        }
        let tool = if want == "poweredOn" {
            "power_on"
        } else {
            "power_off"
        };
        if !self.has(tool) {
            bail!(
                "{tool} is not registered; cannot bring {} to {want}",
                self.vm
            );
        }
        self.ok(tool, json!({ "name": self.vm })).await?;
        self.probe.wait_power(&self.vm, want, QUICK).await
    }

    async fn step(
        &self,
        rec: &mut Recorder,
        spec: Spec,
        f: impl std::future::Future<Output = Result<Step>>,
    ) -> bool {
        let status = rec
            .run(spec, async {
                match f.await {
                    Ok(Step::Done(m)) => Verdict::Pass(m),
                    Ok(Step::Skip(m)) => Verdict::Skip(m),
                    Err(e) => Verdict::Fail(format!("{e:#}")),
                }
            })
            .await;
        status == Status::Pass
    }

    /// Records every registered tool of `tools` as skipped for `why`.
    fn skip_all(&self, rec: &mut Recorder, tools: &[&str], why: &str) {
        for t in tools.iter().filter(|t| self.has(t)) {
            rec.skip(self.spec(t, &format!("{t} on the scratch VM")), why);
        }
    }

    /// A failure to put the scratch VM back, as its own failed check.
    fn restore_failed(&self, rec: &mut Recorder, what: &str, e: &anyhow::Error) {
        rec.record(
            Spec::new(
                "write.restore",
                "writes",
                format!("the scratch VM {} gets its {what} back", self.vm),
            )
            .write(),
            Verdict::Fail(format!("{e:#}")),
            Instant::now(),
        );
    }

    pub async fn run(&self, rec: &mut Recorder, inv: &Inventory) {
        let vm = self.vm.clone();
        let initial = match self.probe.power(&vm).await {
            Ok(p) => p,
            Err(e) => {
                rec.record(
                    Spec::new("write.scratch_vm", "writes", "the scratch VM exists").write(),
                    Verdict::Fail(format!("scratch VM {vm}: {e:#}")),
                    Instant::now(),
                );
                return;
            }
        };
        let power_known = initial == "poweredOn" || initial == "poweredOff";
        // Tools running at the start means a guest check may wait for it to come back.
        let tools_seen =
            initial == "poweredOn" && self.probe.tools_running(&vm).await.unwrap_or(false);
        // Off→on or on→off first, then back: the VM ends where it started.
        let order: [(&str, &str); 2] = if initial == "poweredOff" {
            [("power_on", "poweredOn"), ("power_off", "poweredOff")]
        } else {
            [("power_off", "poweredOff"), ("power_on", "poweredOn")]
        };
        for (tool, want) in order {
            if !self.has(tool) {
                continue;
            }
            let spec = self.spec(tool, &format!("{tool} changes the power state to {want}"));
            if !power_known {
                rec.skip(
                    spec,
                    format!("scratch VM {vm} is {initial}; power it on or off first"),
                );
                continue;
            }
            self.step(rec, spec, async {
                let text = self.ok(tool, json!({ "name": vm })).await?;
                self.probe.wait_power(&vm, want, QUICK).await?;
                Ok(Step::Done(format!("{} (now {want})", summarize(&text))))
            })
            .await;
        }
        // Tools that need a running VM and come back to it with power_on.
        let running: [(&str, Option<&str>, Duration, &str); 5] = [
            (
                "suspend_vm",
                Some("suspended"),
                QUICK,
                "suspends, then power_on resumes",
            ),
            ("reset_vm", None, QUICK, "resets and the VM stays on"),
            (
                "shutdown_guest",
                Some("poweredOff"),
                GUEST,
                "shuts the guest down, then power_on",
            ),
            (
                "reboot_guest",
                None,
                GUEST,
                "reboots the guest and the VM stays on",
            ),
            (
                "standby_guest",
                Some("suspended"),
                GUEST,
                "puts the guest in standby, then power_on",
            ),
        ];
        for (tool, after, within, what) in running {
            if !self.has(tool) {
                continue;
            }
            let spec = self.spec(tool, &format!("{tool} {what}"));
            if !power_known {
                rec.skip(spec, format!("scratch VM {vm} is {initial}"));
                continue;
            }
            let guest = tool.ends_with("_guest");
            self.step(rec, spec, async {
                self.ensure_power("poweredOn").await?;
                if guest && tools_seen {
                    // Tools ran earlier: give it time to come back after a power-on.
                    self.probe.wait_tools(&vm, GUEST).await?;
                }
                let o = self.s.call(tool, json!({ "name": vm })).await?;
                if o.is_error && o.text.contains("VMware Tools") {
                    // A guest operation needs Tools in the guest; that is the VM, not the server.
                    return Ok(Step::Skip(format!(
                        "needs VMware Tools running: {}",
                        o.text
                    )));
                }
                if o.is_error {
                    bail!("{tool} failed: {}", o.text);
                }
                if let Some(state) = after {
                    self.probe.wait_power(&vm, state, within).await?;
                    self.ensure_power("poweredOn").await?;
                } else {
                    self.probe.wait_power(&vm, "poweredOn", within).await?;
                    if guest {
                        // A reboot is done when the guest answers again.
                        self.probe.wait_tools(&vm, within).await?;
                    }
                }
                Ok(Step::Done(summarize(&o.text)))
            })
            .await;
        }
        if power_known && let Err(e) = self.ensure_power(&initial).await {
            rec.record(
                Spec::new(
                    "write.restore_power",
                    "writes",
                    "the scratch VM is back in its power state",
                )
                .write(),
                Verdict::Fail(format!("{e:#}")),
                Instant::now(),
            );
        }
        if self.has("reconfigure_vm") {
            let spec = self.spec(
                "reconfigure_vm",
                "reconfigure_vm sets the annotation, then restores it",
            );
            self.step(rec, spec, async {
                let original = self.probe.annotation(&vm).await?;
                let marker = format!("mcvsphere conformance {}", chrono::Utc::now().to_rfc3339());
                self.ok(
                    "reconfigure_vm",
                    json!({ "name": vm, "annotation": marker }),
                )
                .await?;
                let got = self.probe.annotation(&vm).await?;
                let changed = got == marker;
                self.ok(
                    "reconfigure_vm",
                    json!({ "name": vm, "annotation": original }),
                )
                .await?;
                if !changed {
                    bail!("annotation is {got:?} after reconfigure_vm, expected {marker:?}");
                }
                let back = self.probe.annotation(&vm).await?;
                if back != original {
                    bail!("annotation not restored: {back:?}, was {original:?}");
                }
                Ok(Step::Done("annotation set and restored".into()))
            })
            .await;
        }
        if self.has("rename_vm") {
            let spec = self.spec("rename_vm", "rename_vm renames the VM, then back");
            self.step(rec, spec, async {
                let temp = format!("{vm}-mcvsphere-conformance");
                if self.probe.vms().await?.contains_key(&temp) {
                    return Ok(Step::Skip(format!("a VM named {temp} already exists")));
                }
                self.ok("rename_vm", json!({ "name": vm, "new_name": temp }))
                    .await?;
                let during = self.probe.vms().await?;
                self.ok("rename_vm", json!({ "name": temp, "new_name": vm }))
                    .await?;
                if !during.contains_key(&temp) || during.contains_key(&vm) {
                    bail!("after rename_vm the inventory does not show {temp} in place of {vm}");
                }
                let after = self.probe.vms().await?;
                if !after.contains_key(&vm) || after.contains_key(&temp) {
                    bail!("renaming back did not restore {vm}");
                }
                Ok(Step::Done(format!("renamed to {temp} and back")))
            })
            .await;
        }
        self.create_and_delete(rec).await;
        self.snapshot_checks(rec).await;
        self.disk_checks(rec).await;
        self.nic_checks(rec).await;
        self.serial_checks(rec).await;
        self.guest_checks(rec).await;
        self.vcenter_checks(rec).await;
        self.datastore_checks(rec, inv.datastore.as_deref()).await;
        self.host_checks(rec).await;
        // A missing VM is a tool error for the write tools too; harmless, it exists nowhere.
        let extra: [(&str, Json); 10] = [
            ("power_on", json!({})),
            ("power_off", json!({})),
            ("suspend_vm", json!({})),
            ("reset_vm", json!({})),
            ("shutdown_guest", json!({})),
            ("reboot_guest", json!({})),
            ("standby_guest", json!({})),
            ("delete_vm", json!({})),
            (
                "rename_vm",
                json!({"new_name": "mcvsphere-conformance-unused"}),
            ),
            ("reconfigure_vm", json!({"annotation": "unused"})),
        ];
        for (tool, args) in extra.into_iter().chain(devices::unknown_vm_args()) {
            if let (true, Some(ct)) = (self.has(tool), self.contract.tool(tool)) {
                unknown_vm_check(rec, self.s, ct, inv, Some(args)).await;
            }
        }
    }

    /// create_vm, clone_vm and delete_vm; each VM made here is deleted again.
    async fn create_and_delete(&self, rec: &mut Recorder) {
        let tools = ["create_vm", "clone_vm", "delete_vm"];
        if !self.may_create {
            for t in tools.iter().filter(|t| self.has(t)) {
                rec.skip(
                    self.spec(t, &format!("{t} (creates or deletes a VM)")),
                    "creates or deletes a VM other than the scratch VM; runs against the simulator only",
                );
            }
            return;
        }
        let created = "mcvsphere-conformance-created";
        let cloned = "mcvsphere-conformance-clone";
        if self.has("create_vm") {
            let spec = self.spec("create_vm", "create_vm makes a VM that then exists");
            self.step(rec, spec, async {
                let text = self.ok("create_vm", json!({ "name": created })).await?;
                if !self.probe.vms().await?.contains_key(created) {
                    bail!("create_vm said {text:?} but {created} does not exist");
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        }
        if self.has("clone_vm") {
            let spec = self.spec("clone_vm", "clone_vm copies the scratch VM to a new VM");
            self.step(rec, spec, async {
                let text = self
                    .ok(
                        "clone_vm",
                        json!({ "template_name": self.vm, "new_name": cloned }),
                    )
                    .await?;
                if !self.probe.vms().await?.contains_key(cloned) {
                    bail!("clone_vm said {text:?} but {cloned} does not exist");
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        }
        if self.has("delete_vm") {
            let spec = self.spec(
                "delete_vm",
                "delete_vm removes the VMs made by create_vm and clone_vm",
            );
            self.step(rec, spec, async {
                let present: Vec<&str> = {
                    let vms = self.probe.vms().await?;
                    [created, cloned]
                        .into_iter()
                        .filter(|n| vms.contains_key(*n))
                        .collect()
                };
                if present.is_empty() {
                    return Ok(Step::Skip(
                        "create_vm and clone_vm made no VM to delete".into(),
                    ));
                }
                for name in &present {
                    self.ok("delete_vm", json!({ "name": name })).await?;
                }
                let vms = self.probe.vms().await?;
                if let Some(left) = present.iter().find(|n| vms.contains_key(**n)) {
                    bail!("{left} still exists after delete_vm");
                }
                Ok(Step::Done(format!("deleted {}", present.join(", "))))
            })
            .await;
        }
    }
}
