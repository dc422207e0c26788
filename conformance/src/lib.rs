//! The conformance harness: an in-process vcsim, the real `mcvsphere` binary
//! connected to it, and a real MCP client (rmcp's) talking to that binary over
//! stdio or streamable HTTP.
//!
//! Tests call tools through [`Harness::call`] and then check the effect in the
//! simulator's own state through [`Harness::sim`], never only through the
//! tool's reply.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value as Json;
use vim25::{MoRef, Value};

pub mod args;
pub mod checks;
pub mod contract;
pub mod idp;
pub mod oauth;
pub mod report;
pub mod runner;
pub mod session;
pub mod writes;

/// How the client reaches the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Stdio,
    Http,
}

/// The simulator credentials the harness configures; deliberately not the
/// defaults, so a server that ignored its configuration would fail to log in.
pub const SIM_USER: &str = "conformance@vsphere.local";
pub const SIM_PASSWORD: &str = "s3cret-conformance-pw";

/// One tool call's outcome as the client saw it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub is_error: bool,
    /// All text blocks, joined by newlines.
    pub text: String,
    pub structured: Option<Json>,
}

pub struct Harness {
    pub sim: vcsim::Simulator,
    pub transport: Transport,
    client: RunningService<RoleClient, ()>,
    /// The HTTP server process (stdio children are owned by the transport).
    http_child: Option<tokio::process::Child>,
    pub http_url: Option<String>,
}

/// Where the server binary under test is: `MCVSPHERE_BIN`, else the
/// `mcvsphere` built beside the running executable (`cargo test --workspace`
/// builds it). Works from a test binary (`target/<profile>/deps/`) and from
/// the `mcvsphere-conformance` runner (`target/<profile>/`).
pub fn server_binary() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("MCVSPHERE_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().context("locating the running executable")?;
    server_binary_near(&exe)
}

/// The `mcvsphere` binary in `exe`'s directory or the one above it: a runner
/// in `target/debug/` has it beside itself, a test in `target/debug/deps/`
/// one level up.
pub fn server_binary_near(exe: &std::path::Path) -> Result<PathBuf> {
    let name = format!("mcvsphere{}", std::env::consts::EXE_SUFFIX);
    let dir = exe.parent().context("executable has no parent directory")?;
    let candidates: Vec<PathBuf> = std::iter::successors(Some(dir), |d| d.parent())
        .take(2)
        .map(|d| d.join(&name))
        .collect();
    if let Some(found) = candidates.iter().find(|b| b.is_file()) {
        return Ok(found.clone());
    }
    let tried: Vec<String> = candidates.iter().map(|b| b.display().to_string()).collect();
    bail!(
        "server binary not found (looked for {}): run `cargo build -p mcvsphere` (or the workspace tests) first, or set MCVSPHERE_BIN",
        tried.join(", ")
    )
}

/// A command for the server with a hermetic environment: no inherited vCenter
/// or MCP settings, a scratch working directory (so no stray `.env` is read).
pub fn server_command(
    sim: &vcsim::Simulator,
    extra_env: &[(&str, &str)],
) -> Result<tokio::process::Command> {
    let mut cmd = hermetic_command()?;
    cmd.env("VCENTER_HOST", sim.url())
        .env("VCENTER_USER", SIM_USER)
        .env("VCENTER_PASSWORD", SIM_PASSWORD)
        .env("VCENTER_INSECURE", "true")
        .env("LOG_LEVEL", "warn");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    Ok(cmd)
}

/// The server binary with none of the caller's vCenter, MCP, OAuth or RBAC
/// settings inherited and a scratch working directory (so no stray `.env`
/// is read); killed when dropped.
pub fn hermetic_command() -> Result<tokio::process::Command> {
    Ok(hermetic_command_at(&server_binary()?))
}

/// [`hermetic_command`] for a given server binary.
pub fn hermetic_command_at(bin: &std::path::Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin);
    for (k, _) in std::env::vars() {
        if k.starts_with("VCENTER_")
            || k.starts_with("MCP_")
            || k.starts_with("OAUTH_")
            || k.starts_with("MCVSPHERE_")
            || k == "LOG_FILE"
            || k == "AUDIT_LOG"
            || k.starts_with("RBAC_")
        {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(std::env::temp_dir()).kill_on_drop(true);
    cmd
}

pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Starts a simulator with the default inventory and the credentials above.
pub async fn start_sim() -> Result<vcsim::Simulator> {
    let config = vcsim::Config {
        credentials: Some((SIM_USER.to_string(), SIM_PASSWORD.to_string())),
        ..Default::default()
    };
    vcsim::start(config).await
}

impl Harness {
    /// Simulator + server over stdio.
    pub async fn stdio() -> Result<Harness> {
        Self::start(Transport::Stdio, &[]).await
    }

    /// Simulator + server over streamable HTTP.
    pub async fn http() -> Result<Harness> {
        Self::start(Transport::Http, &[]).await
    }

    pub async fn start(transport: Transport, extra_env: &[(&str, &str)]) -> Result<Harness> {
        Self::start_on(start_sim().await?, transport, extra_env).await
    }

    /// The server against a simulator the caller started (with fault rules,
    /// a seed, another inventory); its credentials must be [`SIM_USER`]'s.
    pub async fn start_on(
        sim: vcsim::Simulator,
        transport: Transport,
        extra_env: &[(&str, &str)],
    ) -> Result<Harness> {
        match transport {
            Transport::Stdio => {
                let cmd = server_command(&sim, extra_env)?.configure(|c| {
                    c.env("MCP_TRANSPORT", "stdio");
                });
                let (proc_transport, _stderr) = TokioChildProcess::builder(cmd)
                    .stderr(Stdio::inherit())
                    .spawn()?;
                let client = ().serve(proc_transport).await.context("MCP initialize over stdio")?;
                Ok(Harness {
                    sim,
                    transport,
                    client,
                    http_child: None,
                    http_url: None,
                })
            }
            Transport::Http => {
                let port = free_port()?;
                let port_s = port.to_string();
                let mut cmd = server_command(&sim, extra_env)?;
                cmd.env("MCP_TRANSPORT", "streamable-http")
                    .env("MCP_HOST", "127.0.0.1")
                    .env("MCP_PORT", &port_s)
                    .stdin(Stdio::null())
                    .stdout(Stdio::inherit())
                    .stderr(Stdio::inherit());
                let child = cmd.spawn().context("spawning the HTTP server")?;
                let base = format!("http://127.0.0.1:{port}");
                wait_healthy(&base).await?;
                let url = format!("{base}/mcp");
                let client =
                    ().serve(StreamableHttpClientTransport::from_uri(url.clone()))
                        .await
                        .context("MCP initialize over HTTP")?;
                Ok(Harness {
                    sim,
                    transport,
                    client,
                    http_child: Some(child),
                    http_url: Some(url),
                })
            }
        }
    }

    /// The HTTP server process's id (stdio servers belong to the transport).
    pub fn server_pid(&self) -> Option<u32> {
        self.http_child.as_ref().and_then(tokio::process::Child::id)
    }

    pub fn client(&self) -> &RunningService<RoleClient, ()> {
        &self.client
    }

    /// The names `tools/list` shows this client.
    pub async fn tool_names(&self) -> Result<std::collections::BTreeSet<String>> {
        let tools = self
            .client
            .list_all_tools()
            .await
            .map_err(|e| anyhow!("tools/list: {e}"))?;
        Ok(tools.into_iter().map(|t| t.name.to_string()).collect())
    }

    /// Calls a tool; protocol-level failures are errors, tool errors are an [`Outcome`].
    pub async fn call(&self, tool: &str, args: Json) -> Result<Outcome> {
        call_tool(&self.client, tool, args).await
    }

    /// Calls a tool that must succeed.
    pub async fn ok(&self, tool: &str, args: Json) -> Outcome {
        match self.call(tool, args.clone()).await {
            Ok(o) if !o.is_error => o,
            Ok(o) => panic!("{tool}({args}) failed: {}", o.text),
            Err(e) => panic!("{tool}({args}) protocol error: {e:#}"),
        }
    }

    /// Calls a tool that must fail with a tool error; returns its message.
    pub async fn fails(&self, tool: &str, args: Json) -> String {
        match self.call(tool, args.clone()).await {
            Ok(o) if o.is_error => o.text,
            Ok(o) => panic!(
                "{tool}({args}) succeeded but should have failed: {}",
                o.text
            ),
            // Some argument errors are reported at the protocol level (-32602); those count too.
            Err(e) => format!("{e:#}"),
        }
    }

    /// The MoRef of a VM by name, from the simulator's own state.
    pub fn vm(&self, name: &str) -> Option<MoRef> {
        self.sim.find("VirtualMachine", name)
    }

    /// A VM property from the simulator's own state.
    pub fn vm_prop(&self, name: &str, path: &str) -> Option<Value> {
        let vm = self.vm(name)?;
        self.sim.property(&vm, path)
    }

    /// An integer VM property from the simulator's own state.
    pub fn vm_int(&self, name: &str, path: &str) -> Option<i64> {
        self.vm_prop(name, path).and_then(|v| v.as_i64())
    }

    /// The power state of a VM as the simulator holds it.
    pub fn power_state(&self, name: &str) -> String {
        self.vm_prop(name, "runtime.powerState")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("VM {name} has no power state in the simulator"))
    }

    pub async fn shutdown(mut self) {
        let _ = self.client.close().await;
        if let Some(mut c) = self.http_child.take() {
            let _ = c.kill().await;
        }
        self.sim.shutdown().await;
    }
}

/// Calls a tool through `client`; protocol-level failures are errors, tool
/// errors are an [`Outcome`] with `is_error` set.
pub async fn call_tool(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    args: Json,
) -> Result<Outcome> {
    let mut params = CallToolRequestParams::new(tool.to_string());
    match args {
        Json::Object(map) => params = params.with_arguments(map),
        Json::Null => {}
        other => bail!("tool arguments must be an object, got {other}"),
    }
    let res: CallToolResult = client
        .call_tool(params)
        .await
        .map_err(|e| anyhow!("{tool}: {e}"))?;
    let text = res
        .content
        .iter()
        .filter_map(|c| c.as_text())
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Outcome {
        is_error: res.is_error.unwrap_or(false),
        text,
        structured: res.structured_content,
    })
}

pub async fn wait_healthy(base: &str) -> Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("{base}/health")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("server at {base} did not become healthy within 10 s")
}

/// Installs rustls' ring provider for reqwest; idempotent.
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_is_found_beside_the_runner_and_above_a_test_binary() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let profile = tmp.path().join("debug");
        let deps = profile.join("deps");
        std::fs::create_dir_all(&deps).expect("dirs");
        let server = profile.join(format!("mcvsphere{}", std::env::consts::EXE_SUFFIX));
        assert!(server_binary_near(&profile.join("mcvsphere-conformance")).is_err());
        std::fs::write(&server, b"").expect("server file");
        // The runner: target/debug/mcvsphere-conformance.
        let found = server_binary_near(&profile.join("mcvsphere-conformance"));
        assert_eq!(found.ok(), Some(server.clone()));
        // A test: target/debug/deps/it-1234.
        let found = server_binary_near(&deps.join("it-1234"));
        assert_eq!(found.ok(), Some(server));
    }
}
