//! Shared set-up for the criterion benches: an in-process simulator and a
//! server tool context connected to it.

use std::sync::Arc;

use mcvsphere::config::{Secret, VCenterSettings};
use mcvsphere::tools::{Ctx, Defaults, ToolContext};
use mcvsphere::vsphere::Client;

const USER: &str = "bench";
const PASSWORD: &str = "bench-pw";

/// Starts vcsim with `vms` generated VMs (`None`: the default inventory).
pub async fn simulator(vms: Option<usize>) -> anyhow::Result<vcsim::Simulator> {
    mcvsphere::vsphere::install_crypto_provider();
    let inventory = match vms {
        Some(vms) => vcsim::Inventory::Generated { vms },
        None => vcsim::Inventory::Default,
    };
    let config = vcsim::Config {
        inventory,
        credentials: Some((USER.into(), PASSWORD.into())),
        ..Default::default()
    };
    vcsim::start(config).await
}

pub fn settings(sim: &vcsim::Simulator) -> anyhow::Result<VCenterSettings> {
    Ok(VCenterSettings {
        url: url::Url::parse(&sim.url())?,
        user: USER.into(),
        password: Secret::new(PASSWORD),
        insecure: true,
    })
}

/// A tool context with its own vSphere session (logged in on first use).
pub fn context(settings: &VCenterSettings) -> anyhow::Result<Ctx> {
    // Benches call tools directly; RBAC and audit sit in the MCP layer.
    Ok(Arc::new(ToolContext {
        client: Client::new(settings)?,
        defaults: Defaults {
            network: "VM Network".into(),
            ..Default::default()
        },
    }))
}

/// A native MCP load client over streamable HTTP: `in_flight` workers on
/// keep-alive connections, each sending its next call when the last one's
/// answer is complete.
pub mod load {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use serde_json::{Value as Json, json};

    /// How calls are framed: stateless 2026-07-28 requests (each carries its
    /// version, no handshake) or one 2025-11-25 session shared by all workers.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Mode {
        Stateless,
        Session,
    }

    impl Mode {
        pub fn as_str(self) -> &'static str {
            match self {
                Mode::Stateless => "stateless",
                Mode::Session => "session",
            }
        }
    }

    /// What a run measured.
    #[derive(Debug)]
    pub struct Report {
        pub calls: usize,
        pub errors: usize,
        pub elapsed: Duration,
        /// Sorted.
        latencies: Vec<Duration>,
    }

    impl Report {
        pub fn per_second(&self) -> f64 {
            self.calls as f64 / self.elapsed.as_secs_f64()
        }
        pub fn percentile(&self, p: f64) -> Duration {
            if self.latencies.is_empty() {
                return Duration::ZERO;
            }
            let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
            self.latencies[i.min(self.latencies.len() - 1)]
        }
        pub fn line(&self) -> String {
            format!(
                "{:>8.0} calls/s  p50 {:>7.3} ms  p99 {:>7.3} ms  ({} calls, {} errors)",
                self.per_second(),
                self.percentile(0.5).as_secs_f64() * 1e3,
                self.percentile(0.99).as_secs_f64() * 1e3,
                self.calls,
                self.errors
            )
        }
    }

    const META_2026: &str = "2026-07-28";
    const SESSION_VERSION: &str = "2025-11-25";

    /// A target: the `/mcp` URL and, in session mode, the session id.
    #[derive(Clone, Debug)]
    pub struct Target {
        pub url: String,
        pub mode: Mode,
        session: Option<String>,
    }

    /// The HTTP client every worker shares: keep-alive, one idle connection per worker.
    pub fn http_client(in_flight: usize) -> anyhow::Result<reqwest::Client> {
        mcvsphere::vsphere::install_crypto_provider();
        Ok(reqwest::Client::builder()
            .pool_max_idle_per_host(in_flight)
            .tcp_nodelay(true)
            .build()?)
    }

    /// Opens the target: in session mode, `initialize` and `notifications/initialized`.
    pub async fn open(http: &reqwest::Client, url: &str, mode: Mode) -> anyhow::Result<Target> {
        let mut t = Target {
            url: url.to_string(),
            mode,
            session: None,
        };
        if mode == Mode::Session {
            let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": SESSION_VERSION, "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"}}});
            let resp = post(http, &t, "initialize", None, &init).await?;
            let id = resp
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| anyhow::anyhow!("initialize gave no session id"))?
                .to_string();
            resp.bytes().await?;
            t.session = Some(id);
            let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
            post(http, &t, "notifications/initialized", None, &note)
                .await?
                .bytes()
                .await?;
        }
        Ok(t)
    }

    async fn post(
        http: &reqwest::Client,
        t: &Target,
        method: &str,
        name: Option<&str>,
        body: &Json,
    ) -> anyhow::Result<reqwest::Response> {
        let mut rb = http
            .post(&t.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-method", method);
        if let Some(n) = name {
            rb = rb.header("mcp-name", n);
        }
        rb = match (&t.session, t.mode) {
            (Some(s), _) => rb
                .header("mcp-session-id", s)
                .header("mcp-protocol-version", SESSION_VERSION),
            (None, Mode::Stateless) => rb.header("mcp-protocol-version", META_2026),
            (None, Mode::Session) => rb,
        };
        Ok(rb.body(serde_json::to_vec(body)?).send().await?)
    }

    /// One `tools/call`; `Ok(true)` when the answer is a successful result.
    pub async fn call_tool(
        http: &reqwest::Client,
        t: &Target,
        id: u64,
        tool: &str,
        arguments: &Json,
    ) -> anyhow::Result<bool> {
        let mut params = json!({"name": tool, "arguments": arguments});
        if t.mode == Mode::Stateless {
            params["_meta"] = json!({
                "io.modelcontextprotocol/protocolVersion": META_2026,
                "io.modelcontextprotocol/clientCapabilities": {}
            });
        }
        let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
        let resp = post(http, t, "tools/call", Some(tool), &body).await?;
        let ok = resp.status().is_success();
        let text = resp.bytes().await?;
        Ok(ok && contains(&text, b"\"isError\":false"))
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// Runs `call` from `in_flight` workers: `warmup` unmeasured, then for `length`.
    pub async fn run<F, Fut>(
        in_flight: usize,
        warmup: Duration,
        length: Duration,
        call: F,
    ) -> Report
    where
        F: Fn(u64) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = anyhow::Result<bool>> + Send,
    {
        let call = Arc::new(call);
        let start = Instant::now();
        let measure_from = start + warmup;
        let until = measure_from + length;
        let workers = (0..in_flight).map(|w| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = vec![];
                let mut errors = 0;
                let mut n = w as u64 * 1_000_000_000;
                loop {
                    let sent = Instant::now();
                    if sent >= until {
                        break;
                    }
                    n += 1;
                    let ok = matches!(call(n).await, Ok(true));
                    if sent >= measure_from {
                        latencies.push(sent.elapsed());
                        if !ok {
                            errors += 1;
                        }
                    }
                }
                (latencies, errors)
            })
        });
        let mut latencies = vec![];
        let mut errors = 0;
        for w in futures_join(workers.collect()).await {
            let (l, e) = w;
            latencies.extend(l);
            errors += e;
        }
        latencies.sort_unstable();
        Report {
            calls: latencies.len(),
            errors,
            elapsed: length,
            latencies,
        }
    }

    async fn futures_join<T: Send + 'static>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = vec![];
        for h in handles {
            if let Ok(v) = h.await {
                out.push(v);
            }
        }
        out
    }
}
