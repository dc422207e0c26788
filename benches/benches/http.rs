//! Streamable HTTP throughput: `get_vm_info` through the real server's axum
//! application (`mcvsphere::transport::router` on the server's own
//! `http_listener`) on loopback, driven by a native keep-alive load client
//! with 1, 8 and 32 calls in flight, stateless (2026-07-28) and in one
//! session. The baseline, measured in the same run, is a trivial axum
//! handler on the same listener and client answering a canned reply of the
//! same size: what the HTTP stack itself costs.
//!
//! With `MCVSPHERE_BIN` (default: the workspace's release binary, when
//! built) it also spawns that binary with `--simulator` and reports its
//! throughput and resident memory after 1k and after 100k calls
//! (`BENCH_RSS_CALLS` changes the second figure; `BENCH_HTTP_SPAWNED_ONLY=1`
//! skips the in-process part, to compare two builds quickly).
//!
//! `cargo bench -p benches --bench http`

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use benches::load::{self, Mode, Report};
use mcvsphere::mcp::AppState;
use mcvsphere::tools::Permission;
use serde_json::json;
use tokio::runtime::Runtime;

const VM: &str = "DC0_H0_VM0";
const WARMUP: Duration = Duration::from_millis(300);
const LENGTH: Duration = Duration::from_millis(1500);

fn rt(threads: usize) -> anyhow::Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?)
}

/// The server side: simulator, the real router, served from the server's listener.
async fn serve_real() -> anyhow::Result<(vcsim::Simulator, String)> {
    let sim = benches::simulator(None).await?;
    let ctx = benches::context(&benches::settings(&sim)?)?;
    let app = Arc::new(AppState {
        tools: ctx,
        rbac: mcvsphere::rbac::Policy::new(Permission::FullAdmin, vec![], true),
        // Records are still written (their cost is real), into a sink.
        audit: mcvsphere::audit::AuditLog::to_writer(std::io::sink()),
        rate: mcvsphere::rate_limit::RateLimiter::off(),
    });
    let listener = mcvsphere::transport::bind("127.0.0.1", 0).await?;
    let addr = listener.local_addr()?;
    let router = mcvsphere::transport::router(app, "127.0.0.1");
    tokio::spawn(async move {
        let _ = axum::serve(mcvsphere::transport::http_listener(listener), router).await;
    });
    Ok((sim, format!("http://{addr}/mcp")))
}

/// The baseline: the same listener and stack, a handler that answers `reply`.
async fn serve_trivial(reply: String) -> anyhow::Result<String> {
    let listener = mcvsphere::transport::bind("127.0.0.1", 0).await?;
    let addr = listener.local_addr()?;
    let reply = Arc::new(reply);
    let router = axum::Router::new().route(
        "/mcp",
        axum::routing::post(move || {
            let reply = reply.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "text/event-stream")],
                    reply.as_str().to_owned(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(mcvsphere::transport::http_listener(listener), router).await;
    });
    Ok(format!("http://{addr}/mcp"))
}

async fn measure(url: &str, mode: Mode, in_flight: usize) -> anyhow::Result<Report> {
    let http = load::http_client(in_flight)?;
    let target = load::open(&http, url, mode).await?;
    let args = json!({"name": VM});
    Ok(load::run(in_flight, WARMUP, LENGTH, move |id| {
        let http = http.clone();
        let target = target.clone();
        let args = args.clone();
        async move { load::call_tool(&http, &target, id, "get_vm_info", &args).await }
    })
    .await)
}

/// One real reply, to give the baseline a body of the same size.
async fn sample_reply(url: &str) -> anyhow::Result<String> {
    let http = load::http_client(1)?;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_vm_info", "arguments": {"name": VM},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}});
    Ok(http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "get_vm_info")
        .json(&body)
        .send()
        .await?
        .text()
        .await?)
}

fn in_process(client: &Runtime) -> anyhow::Result<()> {
    let server = rt(2)?;
    let (sim, real) = server.block_on(serve_real())?;
    let reply = client.block_on(sample_reply(&real))?;
    anyhow::ensure!(
        reply.contains("\"isError\":false"),
        "get_vm_info failed: {reply}"
    );
    let trivial = server.block_on(serve_trivial(reply))?;
    println!(
        "http: get_vm_info over streamable HTTP, in process (server 2 threads, client 2 threads)"
    );
    for mode in [Mode::Stateless, Mode::Session] {
        for in_flight in [1, 8, 32] {
            // Alternate baseline and server so both see the same machine load.
            let base = client.block_on(measure(&trivial, Mode::Stateless, in_flight))?;
            let ours = client.block_on(measure(&real, mode, in_flight))?;
            println!(
                "  {:<9} {:>2} in flight  server   {}\n  {:<9} {:>2} in flight  baseline {}\n  \
                 {:<9} {:>2} in flight  server/baseline throughput {:.2}",
                mode.as_str(),
                in_flight,
                ours.line(),
                "",
                in_flight,
                base.line(),
                "",
                in_flight,
                ours.per_second() / base.per_second(),
            );
        }
    }
    server.block_on(sim.shutdown());
    Ok(())
}

/// The binary to spawn: `MCVSPHERE_BIN`, else the workspace's release build.
fn server_binary() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("MCVSPHERE_BIN") {
        return Some(p.into());
    }
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/mcvsphere");
    p.exists().then_some(p)
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))
}

/// Makes `calls` stateless calls with 32 in flight; the errors seen.
async fn make_calls(url: &str, calls: u64) -> anyhow::Result<u64> {
    let in_flight = 32;
    let http = load::http_client(in_flight)?;
    let target = load::open(&http, url, Mode::Stateless).await?;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let args = Arc::new(json!({"name": VM}));
    let workers: Vec<_> = (0..in_flight)
        .map(|_| {
            let (http, target, next, args) =
                (http.clone(), target.clone(), next.clone(), args.clone());
            tokio::spawn(async move {
                let mut errors = 0;
                loop {
                    let id = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if id >= calls {
                        return errors;
                    }
                    if !matches!(
                        load::call_tool(&http, &target, id, "get_vm_info", &args).await,
                        Ok(true)
                    ) {
                        errors += 1;
                    }
                }
            })
        })
        .collect();
    let mut errors = 0;
    for w in workers {
        errors += w.await.unwrap_or(1);
    }
    Ok(errors)
}

fn spawned(client: &Runtime, bin: &std::path::Path) -> anyhow::Result<()> {
    let child = Command::new(bin)
        .arg("--simulator")
        .env("MCP_TRANSPORT", "streamable-http")
        .env("MCP_HOST", "127.0.0.1")
        .env("MCP_PORT", "0")
        .env("LOG_LEVEL", "warning")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut child = Reaped(child);
    drive_spawned(client, &mut child.0, bin)
}

/// The spawned server, killed when the bench is done with it (or panics).
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn drive_spawned(
    client: &Runtime,
    child: &mut std::process::Child,
    bin: &std::path::Path,
) -> anyhow::Result<()> {
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
    let mut lines = BufReader::new(stderr).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line?;
        if let Some(rest) = line.trim().strip_prefix("MCP endpoint:") {
            url = rest.split_whitespace().next().map(str::to_string);
            break;
        }
    }
    let url = url.ok_or_else(|| anyhow::anyhow!("{} printed no MCP endpoint", bin.display()))?;
    // Keep reading stderr (audit lines) so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    println!("http: spawned {} --simulator at {url}", bin.display());
    for in_flight in [1, 8, 32] {
        let r = client.block_on(measure(&url, Mode::Stateless, in_flight))?;
        println!("  stateless {in_flight:>2} in flight  {}", r.line());
    }
    let pid = child.id();
    let first: u64 = 1_000;
    let total: u64 = std::env::var("BENCH_RSS_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut errors = client.block_on(make_calls(&url, first))?;
    let after_first = rss_kib(pid)?;
    errors += client.block_on(make_calls(&url, total.saturating_sub(first)))?;
    let after_total = rss_kib(pid)?;
    println!(
        "  RSS after {first} calls {:.1} MB, after {total} calls {:.1} MB (growth {:+.1} MB, {errors} errors)",
        after_first as f64 / 1024.0,
        after_total as f64 / 1024.0,
        (after_total as f64 - after_first as f64) / 1024.0
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; a filter argument other than ours skips this bench.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !args.is_empty() && !args.iter().any(|a| "http".contains(a.as_str())) {
        return Ok(());
    }
    let client = rt(2)?;
    // `BENCH_HTTP_SPAWNED_ONLY=1`: only the spawned binary (to compare two builds).
    if std::env::var_os("BENCH_HTTP_SPAWNED_ONLY").is_none() {
        in_process(&client)?;
    }
    match server_binary() {
        Some(bin) => spawned(&client, &bin)?,
        None => println!(
            "http: no release binary (cargo build --release -p mcvsphere); spawned-server figures skipped"
        ),
    }
    Ok(())
}
