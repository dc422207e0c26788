//! The serial port checks: with the VM powered off (vSphere cannot hot-add
//! a serial port) add a network serial port, then with it running
//! disconnect and connect it, clear it from the disconnected state (clear
//! reconnects it), and powered off again remove it. A VM that already has
//! a network serial port is left alone. The power state is restored.

use anyhow::{Result, bail};
use serde_json::json;

use super::state::Serial;
use super::{Step, Writes};
use crate::checks::{Recorder, summarize};

const TOOLS: [&str; 4] = [
    "setup_serial_port",
    "connect_serial_port",
    "clear_serial_port",
    "remove_serial_port",
];

const PORT: u16 = 9777;

impl Writes<'_> {
    async fn port(&self) -> Result<Serial> {
        match self.probe.serial(&self.vm).await? {
            Some(p) => Ok(p),
            None => bail!("{} has no network serial port", self.vm),
        }
    }

    async fn set_port_connected(&self, want: bool) -> Result<String> {
        let args = json!({ "name": self.vm, "connected": want });
        let text = self.ok("connect_serial_port", args).await?;
        let p = self.port().await?;
        if p.connected != want || p.start_connected != want {
            bail!("the serial port is {p:?} after connect_serial_port connected={want}");
        }
        Ok(text)
    }

    pub(super) async fn serial_checks(&self, rec: &mut Recorder) {
        if !self.has("setup_serial_port") {
            return;
        }
        let vm = self.vm.clone();
        let initial = match (self.probe.serial(&vm).await, self.probe.power(&vm).await) {
            (Ok(None), Ok(p)) if p == "poweredOn" || p == "poweredOff" => p,
            (Ok(Some(p)), _) => {
                let why = format!(
                    "{vm} already has a network serial port ({}); left alone",
                    p.uri
                );
                return self.skip_all(rec, &TOOLS, &why);
            }
            (Ok(None), Ok(p)) => return self.skip_all(rec, &TOOLS, &format!("{vm} is {p}")),
            (Err(e), _) | (_, Err(e)) => {
                return self.skip_all(rec, &TOOLS, &format!("cannot read {vm}: {e:#}"));
            }
        };
        let uri = format!("telnet://:{PORT}");
        let spec = self.spec(
            "setup_serial_port",
            &format!("setup_serial_port adds {uri} to the powered-off VM"),
        );
        let added = self
            .step(rec, spec, async {
                self.ensure_power("poweredOff").await?;
                let text = self
                    .ok("setup_serial_port", json!({ "name": vm, "port": PORT }))
                    .await?;
                let p = self.port().await?;
                if p.uri != uri {
                    bail!("the serial port has {}, expected {uri}", p.uri);
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        if !added {
            if let Err(e) = self.ensure_power(&initial).await {
                self.restore_failed(rec, "power state after setup_serial_port", &e);
            }
            return self.skip_all(
                rec,
                &TOOLS[1..],
                "setup_serial_port added no port to work on",
            );
        }
        if self.has("connect_serial_port") {
            let spec = self.spec(
                "connect_serial_port",
                "connect_serial_port disconnects, then connects the running VM's port",
            );
            self.step(rec, spec, async {
                self.ensure_power("poweredOn").await?;
                self.set_port_connected(false).await?;
                let text = self.set_port_connected(true).await?;
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        }
        if self.has("clear_serial_port") {
            let spec = self.spec(
                "clear_serial_port",
                "clear_serial_port leaves a disconnected port connected again",
            );
            self.step(rec, spec, async {
                self.ensure_power("poweredOn").await?;
                self.set_port_connected(false).await?;
                let text = self.ok("clear_serial_port", json!({ "name": vm })).await?;
                let p = self.port().await?;
                if !p.connected {
                    bail!("the serial port is {p:?} after clear_serial_port, expected connected");
                }
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        }
        let spec = self.spec(
            "remove_serial_port",
            "remove_serial_port removes the port from the powered-off VM",
        );
        self.step(rec, spec, async {
            self.ensure_power("poweredOff").await?;
            let text = self.ok("remove_serial_port", json!({ "name": vm })).await?;
            if let Some(p) = self.probe.serial(&vm).await? {
                bail!("{vm} still has a serial port after remove_serial_port: {p:?}");
            }
            Ok(Step::Done(summarize(&text)))
        })
        .await;
        if let Err(e) = self.ensure_power(&initial).await {
            self.restore_failed(rec, "power state after the serial port checks", &e);
        }
    }
}
