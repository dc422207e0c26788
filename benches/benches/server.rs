//! Server benchmarks against an in-process vcsim.
//!
//! - `session`: `list_vms` on one shared vCenter session vs a fresh login (and
//!   logout) per call — what session reuse buys.
//! - `tools_1000_vms`: `list_vms` and `get_vm_info` through the server's tool
//!   layer with 1,000 VMs, against the baseline of one bare PropertyCollector
//!   read of the same VMs' names on the same session.
//! - `list_vms_scale`: `list_vms` at 1,000 and 10,000 VMs as an MCP client
//!   gets it (the tool, its `CallToolResult`, serialised to the JSON-RPC
//!   text the transport writes), against the baseline of the bare paged
//!   PropertyCollector read of the same VMs' names.
//! - `stdio_list_vms_1000`: `list_vms` with 1,000 VMs end to end over stdio:
//!   the release binary (`MCVSPHERE_BIN`, default the workspace's release
//!   build; skipped when absent) spawned against the in-process simulator,
//!   one JSON-RPC line in, the answer line out; baseline `tools/list` on the
//!   same pipe (the transport and JSON-RPC alone).

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use tokio::runtime::Runtime;

fn rt() -> Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("tokio runtime: {e}"),
    }
}

fn must<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn session(c: &mut Criterion) {
    let rt = rt();
    let sim = must(rt.block_on(benches::simulator(None)), "simulator");
    let settings = must(benches::settings(&sim), "settings");
    let shared = must(benches::context(&settings), "context");
    let mut g = c.benchmark_group("session");
    g.bench_function("list_vms/reused_session", |b| {
        b.iter(|| {
            must(
                rt.block_on(mcvsphere::tools::call(&shared, "list_vms", json!({}))),
                "list_vms",
            )
        })
    });
    g.bench_function("list_vms/login_per_call", |b| {
        b.iter(|| {
            rt.block_on(async {
                let ctx = must(benches::context(&settings), "context");
                let out = must(
                    mcvsphere::tools::call(&ctx, "list_vms", json!({})).await,
                    "list_vms",
                );
                ctx.client.logout().await;
                out
            })
        })
    });
    g.finish();
    rt.block_on(sim.shutdown());
}

fn tools_1000_vms(c: &mut Criterion) {
    let rt = rt();
    let sim = must(rt.block_on(benches::simulator(Some(1000))), "simulator");
    let settings = must(benches::settings(&sim), "settings");
    let ctx = must(benches::context(&settings), "context");
    let name = must(
        sim.objects("VirtualMachine")
            .last()
            .and_then(|vm| sim.property(vm, "name"))
            .and_then(|v| v.as_str().map(str::to_string))
            .ok_or("no VM in the generated inventory"),
        "pick a VM",
    );
    let mut g = c.benchmark_group("tools_1000_vms");
    g.sample_size(20);
    g.bench_function("baseline/retrieve_names", |b| {
        b.iter(|| {
            must(
                rt.block_on(ctx.client.list("VirtualMachine", &mcvsphere::vsphere::NAME)),
                "retrieve names",
            )
        })
    });
    g.bench_function("list_vms", |b| {
        b.iter(|| {
            must(
                rt.block_on(mcvsphere::tools::call(&ctx, "list_vms", json!({}))),
                "list_vms",
            )
        })
    });
    g.bench_function("get_vm_info", |b| {
        b.iter(|| {
            must(
                rt.block_on(mcvsphere::tools::call(
                    &ctx,
                    "get_vm_info",
                    json!({"name": name}),
                )),
                "get_vm_info",
            )
        })
    });
    g.finish();
    rt.block_on(sim.shutdown());
}

/// `list_vms` end to end but for the transport: tool, MCP result, JSON text.
async fn list_vms_as_sent(ctx: &mcvsphere::tools::Ctx) -> usize {
    let def = must(
        mcvsphere::tools::find("list_vms").ok_or("no list_vms"),
        "list_vms",
    );
    let out = mcvsphere::tools::call(ctx, "list_vms", json!({})).await;
    let result = mcvsphere::mcp::tool_result(def, out);
    assert_ne!(result.is_error, Some(true), "list_vms failed");
    must(serde_json::to_string(&result), "serialise").len()
}

fn list_vms_scale(c: &mut Criterion) {
    let rt = rt();
    let mut g = c.benchmark_group("list_vms_scale");
    g.sample_size(10);
    for vms in [1000, 10_000] {
        let sim = must(rt.block_on(benches::simulator(Some(vms))), "simulator");
        let settings = must(benches::settings(&sim), "settings");
        let ctx = must(benches::context(&settings), "context");
        g.bench_function(format!("{vms}/baseline/retrieve_names"), |b| {
            b.iter(|| {
                must(
                    rt.block_on(ctx.client.list("VirtualMachine", &mcvsphere::vsphere::NAME)),
                    "retrieve names",
                )
            })
        });
        g.bench_function(format!("{vms}/list_vms"), |b| {
            b.iter(|| rt.block_on(list_vms_as_sent(&ctx)))
        });
        rt.block_on(sim.shutdown());
    }
    g.finish();
}

/// The spawned server's pipes; the child is killed when dropped.
struct Stdio {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
    next_id: u64,
}

impl Stdio {
    fn spawn(bin: &std::path::Path, settings: &mcvsphere::config::VCenterSettings) -> Stdio {
        use std::process::Stdio as Pipe;
        let mut child = must(
            std::process::Command::new(bin)
                .env("MCP_TRANSPORT", "stdio")
                .env("VCENTER_HOST", settings.url.as_str())
                .env("VCENTER_USER", &settings.user)
                .env("VCENTER_PASSWORD", settings.password.expose())
                .env("VCENTER_INSECURE", "true")
                .env("LOG_LEVEL", "warning")
                .stdin(Pipe::piped())
                .stdout(Pipe::piped())
                .stderr(Pipe::null())
                .spawn(),
            "spawn the server",
        );
        let input = must(child.stdin.take().ok_or("no stdin"), "stdin");
        let output =
            std::io::BufReader::new(must(child.stdout.take().ok_or("no stdout"), "stdout"));
        let mut s = Stdio {
            child,
            input,
            output,
            next_id: 0,
        };
        s.request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "bench", "version": "1"}}),
        );
        s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        s
    }

    fn send(&mut self, msg: &serde_json::Value) {
        use std::io::Write;
        must(writeln!(self.input, "{msg}"), "write");
        must(self.input.flush(), "flush");
    }

    /// One request; the length of its answer line.
    fn request(&mut self, method: &str, params: serde_json::Value) -> usize {
        use std::io::BufRead;
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"jsonrpc": "2.0", "id": id, "method": method});
        msg["params"] = params;
        self.send(&msg);
        let want = format!("\"id\":{id}");
        let mut line = String::new();
        loop {
            line.clear();
            let n = must(self.output.read_line(&mut line), "read");
            assert!(n > 0, "the server closed stdout");
            if line.contains(&want) {
                assert!(!line.contains("\"isError\":true"), "{method} failed");
                return line.len();
            }
        }
    }
}

impl Drop for Stdio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_binary() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("MCVSPHERE_BIN") {
        return Some(p.into());
    }
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/mcvsphere");
    p.exists().then_some(p)
}

fn stdio_list_vms_1000(c: &mut Criterion) {
    let Some(bin) = server_binary() else {
        println!(
            "stdio_list_vms_1000: no release binary (cargo build --release -p mcvsphere); skipped"
        );
        return;
    };
    let rt = rt();
    let sim = must(rt.block_on(benches::simulator(Some(1000))), "simulator");
    let settings = must(benches::settings(&sim), "settings");
    let mut server = Stdio::spawn(&bin, &settings);
    let mut g = c.benchmark_group("stdio_list_vms_1000");
    g.sample_size(20);
    g.bench_function("baseline/tools_list", |b| {
        b.iter(|| server.request("tools/list", json!({})))
    });
    g.bench_function("list_vms", |b| {
        b.iter(|| server.request("tools/call", json!({"name": "list_vms", "arguments": {}})))
    });
    g.finish();
    drop(server);
    rt.block_on(sim.shutdown());
}

criterion_group!(
    benches,
    session,
    tools_1000_vms,
    list_vms_scale,
    stdio_list_vms_1000
);
criterion_main!(benches);
