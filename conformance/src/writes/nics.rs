//! The network adapter checks, all on an adapter `add_nic` adds (the VM's
//! own adapters are never touched): move it to another network, disconnect
//! and reconnect it, give it a static MAC, then remove it. Effects are read
//! from `config.hardware.device` (or `list_nics`).

use anyhow::{Result, bail};
use serde_json::{Value as Json, json};

use super::state::Nic;
use super::{Step, Writes};
use crate::checks::{Recorder, summarize};

const TOOLS: [&str; 5] = [
    "add_nic",
    "change_nic_network",
    "connect_nic",
    "set_nic_mac",
    "remove_nic",
];

/// A static MAC in VMware's manual range, varied by the clock so a rerun
/// against a vCenter that kept an old adapter does not collide.
fn manual_mac() -> String {
    let n = chrono::Utc::now().timestamp_subsec_micros();
    format!("00:50:56:3f:{:02x}:{:02x}", (n >> 8) & 0xff, n & 0xff)
}

impl Writes<'_> {
    async fn nic(&self, label: &str) -> Result<Nic> {
        let nics = self.probe.nics(&self.vm).await?;
        match nics.into_iter().find(|n| n.label == label) {
            Some(n) => Ok(n),
            None => bail!("{} has no {label}", self.vm),
        }
    }

    /// The network names from `esxi://networks`.
    async fn networks(&self) -> Result<Vec<String>> {
        let list = self.s.read_json("esxi://networks").await?;
        Ok(list
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.get("name").and_then(Json::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub(super) async fn nic_checks(&self, rec: &mut Recorder) {
        if !self.has("add_nic") {
            return;
        }
        let vm = self.vm.clone();
        let (before, networks) = match (self.probe.nics(&vm).await, self.networks().await) {
            (Ok(b), Ok(n)) if n.len() >= 2 => (b, n),
            (Ok(_), Ok(n)) => {
                let why = format!("moving an adapter needs two networks; the inventory has {n:?}");
                return self.skip_all(rec, &TOOLS, &why);
            }
            (Err(e), _) | (_, Err(e)) => {
                return self.skip_all(rec, &TOOLS, &format!("cannot read {vm}'s adapters: {e:#}"));
            }
        };
        let (first, second) = (networks[0].clone(), networks[1].clone());
        let mut added: Option<String> = None;
        let spec = self.spec(
            "add_nic",
            &format!("add_nic adds a disconnected adapter on {first}"),
        );
        self.step(rec, spec, async {
            let args = json!({ "vm_name": vm, "network": first, "start_connected": false });
            let text = self.ok("add_nic", args).await?;
            let now = self.probe.nics(&vm).await?;
            let new: Vec<&Nic> = now
                .iter()
                .filter(|n| !before.iter().any(|b| b.label == n.label))
                .collect();
            let [nic] = new.as_slice() else {
                bail!("after add_nic the new adapters are {new:?}");
            };
            if nic.network.as_deref() != Some(first.as_str()) || nic.start_connected {
                bail!(
                    "the new adapter is {nic:?}, expected on {first}, not connecting at power-on"
                );
            }
            added = Some(nic.label.clone());
            Ok(Step::Done(summarize(&text)))
        })
        .await;
        let Some(label) = added else {
            return self.skip_all(rec, &TOOLS[1..], "add_nic made no adapter to work on");
        };
        if self.has("change_nic_network") {
            let spec = self.spec(
                "change_nic_network",
                &format!("change_nic_network moves the adapter to {second}"),
            );
            self.step(rec, spec, async {
                let args = json!({ "vm_name": vm, "nic_label": label, "new_network": second });
                let text = self.ok("change_nic_network", args).await?;
                let n = self.nic(&label).await?;
                if n.network.as_deref() != Some(second.as_str()) {
                    bail!(
                        "{label} is on {:?} after change_nic_network, expected {second}",
                        n.network
                    );
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        }
        if self.has("connect_nic") {
            let spec = self.spec(
                "connect_nic",
                "connect_nic connects the adapter, then disconnects it",
            );
            self.step(rec, spec, async {
                let on = self.power_on_now().await?;
                for want in [true, false] {
                    let args = json!({ "vm_name": vm, "nic_label": label, "connected": want });
                    self.ok("connect_nic", args).await?;
                    let n = self.nic(&label).await?;
                    // Connected now only means something while the VM runs.
                    if n.start_connected != want || (on && n.connected != want) {
                        bail!("{label} is {n:?} after connect_nic connected={want}");
                    }
                }
                Ok(Step::Done(format!(
                    "{label} connected and disconnected again"
                )))
            })
            .await;
        }
        if self.has("set_nic_mac") {
            let spec = self.spec("set_nic_mac", "set_nic_mac gives the adapter a static MAC");
            self.step(rec, spec, async {
                let mac = manual_mac();
                let args = json!({ "vm_name": vm, "nic_label": label, "mac_address": mac });
                let text = self.ok("set_nic_mac", args).await?;
                let n = self.nic(&label).await?;
                if n.mac.as_deref().map(str::to_ascii_lowercase) != Some(mac.clone()) {
                    bail!(
                        "{label} has MAC {:?} after set_nic_mac, expected {mac}",
                        n.mac
                    );
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        }
        if self.has("remove_nic") {
            let spec = self.spec("remove_nic", "remove_nic removes the added adapter");
            self.step(rec, spec, async {
                let text = self
                    .ok("remove_nic", json!({ "vm_name": vm, "nic_label": label }))
                    .await?;
                let now = self.probe.nics(&vm).await?;
                let labels = |l: &[Nic]| l.iter().map(|n| n.label.clone()).collect::<Vec<_>>();
                if labels(&now) != labels(&before) {
                    bail!(
                        "after remove_nic the adapters are {:?}, they were {:?}",
                        labels(&now),
                        labels(&before)
                    );
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        }
    }

    async fn power_on_now(&self) -> Result<bool> {
        Ok(self.probe.power(&self.vm).await? == "poweredOn")
    }
}
