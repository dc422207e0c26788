//! The NTP check, on the host the other host checks use: set two servers
//! with `configure_ntp` (ntpd left as it is: `start_service` false), read
//! them back through the [`Probe`] (the simulator's host in-process,
//! otherwise `get_ntp_config`), then put the host's own list back — an empty
//! one included.

use anyhow::{Result, anyhow, bail};
use serde_json::{Value as Json, json};

use super::{Probe, Step, Writes};
use crate::checks::Recorder;

const SERVERS: [&str; 2] = ["0.pool.ntp.org", "time.mcvsphere-conformance.example"];

impl Probe<'_> {
    /// The NTP servers host `host` is configured with.
    async fn ntp_servers(&self, host: &str) -> Result<Vec<String>> {
        match self {
            Probe::Sim(sim) => {
                let h = sim
                    .find("HostSystem", host)
                    .ok_or_else(|| anyhow!("the simulator has no host {host}"))?;
                Ok(sim
                    .property(&h, "config.dateTimeInfo.ntpConfig.server")
                    .map(|v| v.strings())
                    .unwrap_or_default())
            }
            Probe::Server(s) => {
                let o = s
                    .call("get_ntp_config", json!({ "host_name": host }))
                    .await?;
                if o.is_error {
                    bail!("get_ntp_config: {}", o.text);
                }
                Ok(o.structured
                    .as_ref()
                    .and_then(|v| v.get("ntp_servers"))
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default())
            }
        }
    }
}

impl Writes<'_> {
    pub(super) async fn ntp_checks(&self, rec: &mut Recorder, host: &str) {
        if !self.has("configure_ntp") {
            return;
        }
        let spec = self.spec(
            "configure_ntp",
            &format!("configure_ntp sets {host}'s NTP servers, then puts its own back"),
        );
        self.step(rec, spec, async {
            let before = self.probe.ntp_servers(host).await?;
            let set = |list: &[String]| {
                json!({ "ntp_servers": list, "start_service": false, "host_name": host })
            };
            let ours: Vec<String> = SERVERS.iter().map(|s| s.to_string()).collect();
            self.ok("configure_ntp", set(&ours)).await?;
            let during = self.probe.ntp_servers(host).await?;
            self.ok("configure_ntp", set(&before)).await?;
            if during != ours {
                bail!("{host} has NTP servers {during:?} after configure_ntp {ours:?}");
            }
            let after = self.probe.ntp_servers(host).await?;
            if after != before {
                bail!("{host}'s NTP servers not restored: {after:?}, were {before:?}");
            }
            Ok(Step::Done(format!("{ours:?}, then {before:?} again")))
        })
        .await;
    }
}
