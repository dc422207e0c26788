//! One runner session: the `mcvsphere` binary started with the target's
//! vCenter settings, and rmcp's client connected to it over stdio or
//! streamable HTTP. The server's stderr goes to a log file in the report
//! directory, so the runner's own output stays a summary.

use std::fs::File;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use rmcp::model::ReadResourceRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value as Json;

use crate::{Outcome, Transport, call_tool, free_port, hermetic_command_at};

/// How long one MCP request may take before the check fails; generous,
/// because a real vCenter under load is slow, but bounded so a hung server
/// cannot hang the run.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// The vCenter settings handed to the server. `Debug` hides the password.
#[derive(Clone)]
pub struct VcenterSettings {
    pub host: String,
    pub user: String,
    pub password: String,
    pub insecure: bool,
    /// `VCENTER_DATACENTER`, `VCENTER_CLUSTER`, … as given; passed through.
    pub extra: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for VcenterSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VcenterSettings")
            .field("host", &self.host)
            .field("user", &self.user)
            .field("password", &"[redacted]")
            .field("insecure", &self.insecure)
            .field("extra", &self.extra)
            .finish()
    }
}

pub struct Session {
    client: RunningService<RoleClient, ()>,
    /// The HTTP server process (a stdio child is owned by the transport).
    http_child: Option<tokio::process::Child>,
}

impl Session {
    /// Starts `server` against `vc` and performs the MCP handshake.
    pub async fn connect(
        server: &Path,
        transport: Transport,
        vc: &VcenterSettings,
        log: &Path,
    ) -> Result<Session> {
        let mut cmd = hermetic_command_at(server);
        cmd.env("VCENTER_HOST", &vc.host)
            .env("VCENTER_USER", &vc.user)
            .env("VCENTER_PASSWORD", &vc.password)
            .env(
                "VCENTER_INSECURE",
                if vc.insecure { "true" } else { "false" },
            )
            .env("LOG_LEVEL", "info");
        for (k, v) in &vc.extra {
            cmd.env(k, v);
        }
        let log_file =
            File::create(log).with_context(|| format!("creating server log {}", log.display()))?;
        match transport {
            Transport::Stdio => {
                let cmd = cmd.configure(|c| {
                    c.env("MCP_TRANSPORT", "stdio");
                });
                let (proc_transport, _) = TokioChildProcess::builder(cmd)
                    .stderr(Stdio::from(log_file))
                    .spawn()
                    .with_context(|| format!("starting {}", server.display()))?;
                let client = tokio::time::timeout(CALL_TIMEOUT, ().serve(proc_transport))
                    .await
                    .map_err(|_| anyhow!("MCP initialize over stdio timed out"))?
                    .context("MCP initialize over stdio")?;
                Ok(Session {
                    client,
                    http_child: None,
                })
            }
            Transport::Http => {
                let port = free_port()?;
                let out = log_file.try_clone().context("sharing the server log")?;
                cmd.env("MCP_TRANSPORT", "streamable-http")
                    .env("MCP_HOST", "127.0.0.1")
                    .env("MCP_PORT", port.to_string())
                    .stdin(Stdio::null())
                    .stdout(Stdio::from(out))
                    .stderr(Stdio::from(log_file));
                let mut child = cmd
                    .spawn()
                    .with_context(|| format!("starting {}", server.display()))?;
                let base = format!("http://127.0.0.1:{port}");
                wait_healthy(&mut child, &base).await?;
                let client = tokio::time::timeout(
                    CALL_TIMEOUT,
                    ().serve(StreamableHttpClientTransport::from_uri(format!(
                        "{base}/mcp"
                    ))),
                )
                .await
                .map_err(|_| anyhow!("MCP initialize over HTTP timed out"))?
                .context("MCP initialize over HTTP")?;
                Ok(Session {
                    client,
                    http_child: Some(child),
                })
            }
        }
    }

    pub fn client(&self) -> &RunningService<RoleClient, ()> {
        &self.client
    }

    /// Calls a tool with [`CALL_TIMEOUT`]; protocol failures are errors.
    pub async fn call(&self, tool: &str, args: Json) -> Result<Outcome> {
        tokio::time::timeout(CALL_TIMEOUT, call_tool(&self.client, tool, args))
            .await
            .map_err(|_| anyhow!("{tool}: no answer within {} s", CALL_TIMEOUT.as_secs()))?
    }

    /// Reads a resource and parses its (single, JSON) text content.
    pub async fn read_json(&self, uri: &str) -> Result<Json> {
        let read = tokio::time::timeout(
            CALL_TIMEOUT,
            self.client
                .read_resource(ReadResourceRequestParams::new(uri.to_string())),
        )
        .await
        .map_err(|_| anyhow!("{uri}: no answer within {} s", CALL_TIMEOUT.as_secs()))?
        .map_err(|e| anyhow!("{e}"))?;
        let text = read
            .contents
            .iter()
            .find_map(|c| match c {
                rmcp::model::ResourceContents::TextResourceContents { text, .. } => Some(text),
                _ => None,
            })
            .ok_or_else(|| anyhow!("{uri}: no text content"))?;
        serde_json::from_str(text).with_context(|| format!("{uri}: content is not JSON"))
    }

    pub async fn close(mut self) {
        let _ = self.client.close().await;
        if let Some(mut c) = self.http_child.take() {
            let _ = c.kill().await;
        }
    }
}

/// Waits for `/health`, failing fast when the server process exits (a
/// configuration error ends it with a message in the log).
async fn wait_healthy(child: &mut tokio::process::Child, base: &str) -> Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Some(status) = child.try_wait()? {
            bail!("the server exited ({status}) before it served {base}/health");
        }
        if let Ok(r) = http.get(format!("{base}/health")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("server at {base} did not become healthy within 30 s")
}
