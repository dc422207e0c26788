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

criterion_group!(benches, session, tools_1000_vms, list_vms_scale);
criterion_main!(benches);
