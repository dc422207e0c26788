//! Where the write checks read their effects: the simulator's own state
//! when it runs in-process, otherwise the server's `esxi://vms` resource
//! and its read tools.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use serde_json::{Value as Json, json};

use crate::session::Session;

/// Where a check reads the state it changed.
pub enum Probe<'a> {
    /// The in-process simulator: the truth, not the server's word for it.
    Sim(&'a vcsim::Simulator),
    /// A real vCenter, seen through the server.
    Server(&'a Session),
}

/// VM name → power state.
pub type Snapshot = BTreeMap<String, String>;

impl Probe<'_> {
    pub async fn vms(&self) -> Result<Snapshot> {
        match self {
            Probe::Sim(sim) => Ok(sim
                .objects("VirtualMachine")
                .iter()
                .filter_map(|vm| {
                    let s = |p: &str| {
                        sim.property(vm, p)
                            .and_then(|v| v.as_str().map(str::to_string))
                    };
                    Some((s("name")?, s("runtime.powerState").unwrap_or_default()))
                })
                .collect()),
            Probe::Server(s) => {
                let list = s.read_json("esxi://vms").await?;
                let items = list
                    .as_array()
                    .ok_or_else(|| anyhow!("esxi://vms is not a list"))?;
                Ok(items
                    .iter()
                    .filter_map(|i| {
                        let name = i.get("name")?.as_str()?.to_string();
                        let power = i.get("power_state").and_then(Json::as_str).unwrap_or("");
                        Some((name, power.to_string()))
                    })
                    .collect())
            }
        }
    }

    pub async fn power(&self, vm: &str) -> Result<String> {
        self.vms()
            .await?
            .remove(vm)
            .ok_or_else(|| anyhow!("VM {vm} not found"))
    }

    pub async fn annotation(&self, vm: &str) -> Result<String> {
        match self {
            Probe::Sim(sim) => {
                let moref = Probe::sim_vm(sim, vm)?;
                Ok(sim
                    .property(&moref, "config.annotation")
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default())
            }
            Probe::Server(s) => {
                let o = s.call("get_vm_info", json!({ "name": vm })).await?;
                if o.is_error {
                    bail!("get_vm_info: {}", o.text);
                }
                Ok(o.structured
                    .as_ref()
                    .and_then(|v| v.get("annotation"))
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string())
            }
        }
    }

    /// Whether VMware Tools answers in the guest (guest operations need it).
    pub async fn tools_running(&self, vm: &str) -> Result<bool> {
        match self {
            Probe::Sim(sim) => {
                let moref = Probe::sim_vm(sim, vm)?;
                Ok(sim
                    .property(&moref, "guest.toolsRunningStatus")
                    .and_then(|v| v.as_str().map(|s| s == "guestToolsRunning"))
                    .unwrap_or(false))
            }
            Probe::Server(s) => {
                let o = s.call("get_vm_info", json!({ "name": vm })).await?;
                if o.is_error {
                    bail!("get_vm_info: {}", o.text);
                }
                let status = o
                    .structured
                    .as_ref()
                    .and_then(|v| v.get("tools_status"))
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string();
                Ok(status == "toolsOk" || status == "toolsOld")
            }
        }
    }

    /// Polls until Tools runs in `vm`, for at most `within`.
    pub async fn wait_tools(&self, vm: &str, within: Duration) -> Result<()> {
        let started = Instant::now();
        while !self.tools_running(vm).await? {
            if started.elapsed() > within {
                bail!(
                    "VMware Tools did not come up in {vm} within {} s",
                    within.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    /// Polls until `vm` is in power state `want`; guest operations finish
    /// after the call returns.
    pub async fn wait_power(&self, vm: &str, want: &str, within: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            let got = self.power(vm).await?;
            if got == want {
                return Ok(());
            }
            if started.elapsed() > within {
                bail!(
                    "{vm} is {got}, expected {want} within {} s",
                    within.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
