//! The host checks, on the first host (the one the host tools act on by
//! default): start a stopped SSH service (`TSM-SSH`) and stop it again, and
//! change its startup policy and set it back — a host whose SSH already runs
//! is left alone, so no one's session is cut; the NTP check is `host_ntp.rs`. Maintenance mode moves VMs to
//! other hosts, so enter/exit runs against the simulator only, on a DRS
//! cluster host. Each effect is read through the [`Probe`]: the simulator's
//! host in-process, otherwise the server's `list_services`.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value as Json, json};

use super::{Probe, Step, Writes};
use crate::checks::{Recorder, summarize};

const SSH: &str = "TSM-SSH";

impl Probe<'_> {
    /// `(running, policy)` of service `key` on host `host`.
    async fn host_service(&self, host: &str, key: &str) -> Result<(bool, String)> {
        let list: Vec<Json> = match self {
            Probe::Sim(sim) => {
                let h = sim
                    .find("HostSystem", host)
                    .ok_or_else(|| anyhow!("the simulator has no host {host}"))?;
                sim.property(&h, "config.service.service")
                    .map(|v| {
                        v.as_array()
                            .iter()
                            .map(|s| {
                                json!({
                                    "key": s.path("key").and_then(vim25::Value::as_str),
                                    "running": s.path("running").and_then(vim25::Value::as_bool),
                                    "policy": s.path("policy").and_then(vim25::Value::as_str),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            }
            Probe::Server(s) => {
                let o = s
                    .call("list_services", json!({ "host_name": host }))
                    .await?;
                if o.is_error {
                    bail!("list_services: {}", o.text);
                }
                o.structured
                    .as_ref()
                    .and_then(|v| v.get("result"))
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default()
            }
        };
        let s = list
            .iter()
            .find(|s| s["key"] == key)
            .ok_or_else(|| anyhow!("host {host} has no service {key}"))?;
        Ok((
            s["running"].as_bool().unwrap_or(false),
            s["policy"].as_str().unwrap_or_default().to_string(),
        ))
    }
}

impl Writes<'_> {
    /// Records every registered tool of `tools` as skipped for `why`.
    fn skip_hosts(&self, rec: &mut Recorder, tools: &[&str], why: &str) {
        for t in tools.iter().filter(|t| self.has(t)) {
            rec.skip(self.spec(t, &format!("{t} on a host")), why);
        }
    }

    /// The first host, as `get_host_info` without `host_name` picks it.
    async fn first_host(&self) -> Result<String> {
        let o = self.s.call("get_host_info", json!({})).await?;
        if o.is_error {
            bail!("get_host_info: {}", o.text);
        }
        o.structured
            .as_ref()
            .and_then(|v| v.get("name"))
            .and_then(Json::as_str)
            .map(str::to_string)
            .context("get_host_info returned no name")
    }

    pub async fn host_checks(&self, rec: &mut Recorder) {
        let tools = ["start_service", "stop_service", "set_service_policy"];
        if !self.has("list_services") || !self.has("get_host_info") {
            return;
        }
        let host = match self.first_host().await {
            Ok(h) => h,
            Err(e) => return self.skip_hosts(rec, &tools, &format!("no host to work on: {e:#}")),
        };
        let (running, policy) = match self.probe.host_service(&host, SSH).await {
            Ok(s) => s,
            Err(e) => return self.skip_hosts(rec, &tools, &format!("{e:#}")),
        };
        let args = json!({ "service_key": SSH, "host_name": host });
        if running {
            let why = format!("{SSH} already runs on {host}; left alone");
            self.skip_hosts(rec, &tools[..2], &why);
        } else {
            let spec = self.spec("start_service", &format!("start_service starts {SSH}"));
            let started = self
                .step(rec, spec, async {
                    let text = self.ok("start_service", args.clone()).await?;
                    if !self.probe.host_service(&host, SSH).await?.0 {
                        bail!("{SSH} is not running on {host} after start_service");
                    }
                    Ok(Step::Done(summarize(&text)))
                })
                .await;
            let spec = self.spec("stop_service", &format!("stop_service stops {SSH} again"));
            self.step(rec, spec, async {
                if !started {
                    return Ok(Step::Skip("start_service did not pass".into()));
                }
                let text = self.ok("stop_service", args.clone()).await?;
                if self.probe.host_service(&host, SSH).await?.0 {
                    bail!("{SSH} still runs on {host} after stop_service");
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        }
        if self.has("set_service_policy") {
            let other = if policy == "automatic" {
                "off"
            } else {
                "automatic"
            };
            let spec = self.spec(
                "set_service_policy",
                &format!("set_service_policy sets {SSH} to {other}, then back to {policy}"),
            );
            self.step(rec, spec, async {
                let set = |p: &str| json!({ "service_key": SSH, "policy": p, "host_name": host });
                self.ok("set_service_policy", set(other)).await?;
                let got = self.probe.host_service(&host, SSH).await?.1;
                self.ok("set_service_policy", set(&policy)).await?;
                if got != other {
                    bail!("{SSH}'s policy is {got} after set_service_policy {other}");
                }
                let back = self.probe.host_service(&host, SSH).await?.1;
                if back != policy {
                    bail!("{SSH}'s policy not restored: {back}, was {policy}");
                }
                Ok(Step::Done(format!("{other}, then {policy} again")))
            })
            .await;
        }
        self.ntp_checks(rec, &host).await;
        self.maintenance_checks(rec).await;
    }

    /// enter_maintenance_mode and exit_maintenance_mode on a DRS cluster host
    /// of the simulator: its VMs move off and it comes out again.
    async fn maintenance_checks(&self, rec: &mut Recorder) {
        let tools = ["enter_maintenance_mode", "exit_maintenance_mode"];
        let (true, Probe::Sim(sim)) = (self.may_create, &self.probe) else {
            let why = "moves VMs to other hosts; runs against the simulator only";
            return self.skip_hosts(rec, &tools, why);
        };
        if !self.has(tools[0]) || !self.has(tools[1]) {
            return;
        }
        let in_cluster = |h: &vim25::MoRef| {
            sim.property(h, "parent")
                .and_then(|p| p.as_moref().map(|m| m.kind == "ClusterComputeResource"))
                .unwrap_or(false)
        };
        let Some(h) = sim.objects("HostSystem").into_iter().find(in_cluster) else {
            return self.skip_hosts(rec, &tools, "the simulator has no cluster host");
        };
        let name = sim
            .property(&h, "name")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let flag = || {
            sim.property(&h, "runtime.inMaintenanceMode")
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        };
        let vms = || {
            sim.property(&h, "vm")
                .map(|v| v.as_array().len())
                .unwrap_or(0)
        };
        let args = json!({ "host_name": name });
        let spec = self.spec(
            "enter_maintenance_mode",
            &format!("enter_maintenance_mode moves {name}'s VMs off"),
        );
        let entered = self
            .step(rec, spec, async {
                let text = self.ok("enter_maintenance_mode", args.clone()).await?;
                if !flag() || vms() != 0 {
                    bail!("{name} is not in maintenance mode with no VMs: {text}");
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        let spec = self.spec(
            "exit_maintenance_mode",
            &format!("exit_maintenance_mode takes {name} out again"),
        );
        self.step(rec, spec, async {
            if !entered {
                return Ok(Step::Skip("enter_maintenance_mode did not pass".into()));
            }
            let text = self.ok("exit_maintenance_mode", args.clone()).await?;
            if flag() {
                bail!("{name} is still in maintenance mode: {text}");
            }
            Ok(Step::Done(summarize(&text)))
        })
        .await;
    }
}
