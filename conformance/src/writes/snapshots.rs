//! The snapshot checks: take a snapshot, rename it, revert to it by name and
//! as the current one, delete it; then, on a VM that had no snapshots,
//! take two and delete them all. Every effect is read from the VM's
//! snapshot tree; the tree, the current snapshot and the power state end
//! as they started. A VM's own snapshots are never touched: only
//! `delete_all_snapshots` would, so it runs only when there are none.

use anyhow::bail;
use serde_json::json;

use super::{QUICK, Step, Writes};
use crate::checks::{Recorder, summarize};

const SNAP: &str = "mcvsphere-conformance-snap";
const RENAMED: &str = "mcvsphere-conformance-renamed";
const SECOND: &str = "mcvsphere-conformance-second";

const TOOLS: [&str; 6] = [
    "create_snapshot",
    "rename_snapshot",
    "revert_to_snapshot",
    "revert_to_current_snapshot",
    "delete_snapshot",
    "delete_all_snapshots",
];

impl Writes<'_> {
    pub(super) async fn snapshot_checks(&self, rec: &mut Recorder) {
        if !self.has("create_snapshot") {
            return;
        }
        let vm = self.vm.clone();
        let (start, initial) = match (self.probe.snapshots(&vm).await, self.probe.power(&vm).await)
        {
            (Ok(s), Ok(p)) if p == "poweredOn" || p == "poweredOff" => (s, p),
            (Ok(_), Ok(p)) => return self.skip_all(rec, &TOOLS, &format!("{vm} is {p}")),
            (Err(e), _) | (_, Err(e)) => {
                return self.skip_all(rec, &TOOLS, &format!("cannot read {vm}: {e:#}"));
            }
        };
        if start
            .names
            .iter()
            .any(|n| [SNAP, RENAMED, SECOND].contains(&n.as_str()))
        {
            let why = format!("{vm} already has a snapshot named like {SNAP}; left alone");
            return self.skip_all(rec, &TOOLS, &why);
        }
        // Every later check needs the snapshot this one takes.
        let spec = self.spec(
            "create_snapshot",
            "create_snapshot adds a snapshot that becomes the current one",
        );
        let created = self
            .step(rec, spec, async {
                let text = self
                    .ok(
                        "create_snapshot",
                        json!({ "name": vm, "snapshot_name": SNAP }),
                    )
                    .await?;
                let now = self.probe.snapshots(&vm).await?;
                if !now.names.iter().any(|n| n == SNAP) || now.current.as_deref() != Some(SNAP) {
                    bail!("after create_snapshot the tree is {now:?}, expected {SNAP} current");
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        if !created {
            return self.skip_all(rec, &TOOLS[1..], "create_snapshot failed");
        }
        let mut name = SNAP;
        if self.has("rename_snapshot") {
            let spec = self.spec(
                "rename_snapshot",
                "rename_snapshot gives the snapshot a new name",
            );
            let renamed = self
                .step(rec, spec, async {
                    let text = self
                        .ok(
                            "rename_snapshot",
                            json!({ "name": vm, "snapshot_name": SNAP, "new_name": RENAMED,
                                    "new_description": "renamed by mcvsphere-conformance" }),
                        )
                        .await?;
                    let now = self.probe.snapshots(&vm).await?;
                    if now.names.iter().any(|n| n == SNAP)
                        || !now.names.iter().any(|n| n == RENAMED)
                    {
                        bail!("after rename_snapshot the snapshots are {:?}", now.names);
                    }
                    Ok(Step::Done(summarize(&text)))
                })
                .await;
            if renamed {
                name = RENAMED;
            }
        }
        // The snapshot holds the power state it was taken in; flipping it
        // first makes the revert visible.
        let flipped = if initial == "poweredOn" {
            "poweredOff"
        } else {
            "poweredOn"
        };
        let reverts = [
            (
                "revert_to_snapshot",
                json!({ "name": vm, "snapshot_name": name }),
            ),
            ("revert_to_current_snapshot", json!({ "name": vm })),
        ];
        for (tool, args) in reverts {
            if !self.has(tool) {
                continue;
            }
            let spec = self.spec(
                tool,
                &format!("{tool} brings back the snapshot's power state ({initial})"),
            );
            self.step(rec, spec, async {
                self.ensure_power(flipped).await?;
                let text = self.ok(tool, args).await?;
                self.probe.wait_power(&vm, &initial, QUICK).await?;
                let now = self.probe.snapshots(&vm).await?;
                if now.current.as_deref() != Some(name) {
                    bail!(
                        "after {tool} the current snapshot is {:?}, expected {name}",
                        now.current
                    );
                }
                Ok(Step::Done(format!("{} (now {initial})", summarize(&text))))
            })
            .await;
        }
        if let Err(e) = self.ensure_power(&initial).await {
            self.restore_failed(rec, "power state after the snapshot reverts", &e);
        }
        let spec = self.spec(
            "delete_snapshot",
            "delete_snapshot removes the snapshot; the tree is as it was",
        );
        self.step(rec, spec, async {
            let text = self
                .ok(
                    "delete_snapshot",
                    json!({ "name": vm, "snapshot_name": name }),
                )
                .await?;
            let now = self.probe.snapshots(&vm).await?;
            if now != start {
                bail!("after delete_snapshot the tree is {now:?}, it was {start:?}");
            }
            Ok(Step::Done(summarize(&text)))
        })
        .await;
        self.delete_all_check(rec, &start.names).await;
    }

    /// Takes two snapshots (the second below the first), then removes both.
    async fn delete_all_check(&self, rec: &mut Recorder, had: &[String]) {
        let tool = "delete_all_snapshots";
        if !self.has(tool) {
            return;
        }
        let spec = self.spec(tool, "delete_all_snapshots removes a tree of two snapshots");
        if !had.is_empty() {
            let why = format!(
                "{} has snapshots of its own ({}); deleting them cannot be undone",
                self.vm,
                had.join(", ")
            );
            return rec.skip(spec, why);
        }
        let vm = &self.vm;
        self.step(rec, spec, async {
            for n in [SNAP, SECOND] {
                self.ok("create_snapshot", json!({ "name": vm, "snapshot_name": n }))
                    .await?;
            }
            let before = self.probe.snapshots(vm).await?;
            if before.names != [SNAP, SECOND] {
                bail!("create_snapshot twice made {:?}", before.names);
            }
            let text = self.ok(tool, json!({ "name": vm })).await?;
            let now = self.probe.snapshots(vm).await?;
            if !now.names.is_empty() || now.current.is_some() {
                bail!("after {tool} the tree is {now:?}, expected none");
            }
            Ok(Step::Done(summarize(&text)))
        })
        .await;
    }
}
