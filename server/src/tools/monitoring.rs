//! monitoring, the statistics: list_hosts, get_host_stats, get_vm_stats,
//! from the hosts' and VMs' `summary.quickStats` (what vCenter keeps current
//! from the real-time performance samples). The family's table is here; the
//! history reads (tasks, events, alarms) are [`super::monitoring_history`].

use serde_json::{Value as Json, json};

use super::host::find_host;
use super::params::HOST_NAME;
use super::typed::{NoArgs, VmName, tool_args};
use super::vm::find_vm;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::views::host::{STATS, human_duration};
use crate::views::monitor::VM_STATS;
use crate::vsphere::Obj;

tool_args! {
    pub struct HostStatsArgs {
        host_name: opt_name, HOST_NAME;
    }
}

const MB: f64 = 1024.0 * 1024.0;
const GB: f64 = MB * 1024.0;

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn percent(used: Option<i64>, total: Option<f64>) -> Option<f64> {
    match (used, total) {
        (Some(u), Some(t)) if t > 0.0 => Some(round2(u as f64 / t * 100.0)),
        _ => None,
    }
}

pub const LIST_HOSTS: ToolDef = ToolDef {
    name: "list_hosts",
    title: "List ESXi hosts",
    description: "Every ESXi host with connection_state, power_state, maintenance_mode, model, \
        cpu_cores, memory_gb, cpu_usage_mhz, memory_usage_mb and vm_count, sorted by name. \
        Takes no arguments.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example::args("{}"),
    failure: Failure::Unreachable {
        expect: &["cannot reach vCenter"],
    },
    run: run!(list_hosts, NoArgs),
};

pub const GET_HOST_STATS: ToolDef = ToolDef {
    name: "get_host_stats",
    title: "Get host statistics",
    description: "Quick statistics of a host: connection and power state, model, vendor, CPU \
        (model, cores, threads, MHz, usage in MHz and percent of cores x MHz), memory (total \
        GB, usage MB and percent), uptime (seconds and human) and vm_count. Without \
        host_name, the first host.",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args(r#"{"host_name":"DC0_C0_H0"}"#),
    failure: Failure::Args {
        args: r#"{"host_name":"no-such-host"}"#,
        expect: &["Host 'no-such-host' not found", "DC0_H0"],
    },
    run: run!(get_host_stats, HostStatsArgs),
};

pub const GET_VM_STATS: ToolDef = ToolDef {
    name: "get_vm_stats",
    title: "Get VM statistics",
    description: "Quick statistics of a VM: power_state, CPU usage and demand (MHz), memory \
        usage (host memory the VM consumes), active, ballooned and swapped memory (MB), \
        committed and uncommitted storage (GB) and uptime (seconds and human). A powered-off \
        VM reports zeros.",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args(r#"{"name":"DC0_H0_VM0"}"#),
    failure: Failure::Args {
        args: r#"{"name":"no-such-vm"}"#,
        expect: &["VM 'no-such-vm' not found"],
    },
    run: run!(get_vm_stats, VmName),
};

/// The monitoring family.
pub static TOOLS: &[ToolDef] = &[
    super::monitoring_history::GET_ALARMS,
    GET_HOST_STATS,
    super::monitoring_history::GET_RECENT_EVENTS,
    super::monitoring_history::GET_RECENT_TASKS,
    GET_VM_STATS,
    LIST_HOSTS,
];

fn host_row(o: &Obj) -> Json {
    json!({
        "name": o.name(),
        "connection_state": o.str("summary.runtime.connectionState"),
        "power_state": o.str("summary.runtime.powerState"),
        "maintenance_mode": o.bool("summary.runtime.inMaintenanceMode"),
        "model": o.str("summary.hardware.model"),
        "cpu_cores": o.i64("summary.hardware.numCpuCores"),
        "memory_gb": o.i64("summary.hardware.memorySize").map(|b| round2(b as f64 / GB)),
        "cpu_usage_mhz": o.i64("summary.quickStats.overallCpuUsage"),
        "memory_usage_mb": o.i64("summary.quickStats.overallMemoryUsage"),
        "vm_count": o.morefs("vm").len(),
    })
}

async fn list_hosts(ctx: Ctx, _: NoArgs) -> Result<Output, ToolError> {
    let mut hosts = ctx
        .client
        .list("HostSystem", &STATS)
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?;
    hosts.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(Output::Json(Json::Array(
        hosts.iter().map(host_row).collect(),
    )))
}

async fn get_host_stats(ctx: Ctx, args: HostStatsArgs) -> Result<Output, ToolError> {
    let o = find_host(&ctx, args.host_name.as_deref(), &STATS).await?;
    let hw = |f: &str| o.i64(&format!("summary.hardware.{f}"));
    let q = |f: &str| o.i64(&format!("summary.quickStats.{f}"));
    let cores = hw("numCpuCores");
    let mhz = hw("cpuMhz");
    let cpu_capacity = match (cores, mhz) {
        (Some(c), Some(m)) => Some((c * m) as f64),
        _ => None,
    };
    let memory = hw("memorySize");
    let uptime = q("uptime");
    Ok(Output::Json(json!({
        "name": o.name(),
        "connection_state": o.str("summary.runtime.connectionState"),
        "power_state": o.str("summary.runtime.powerState"),
        "maintenance_mode": o.bool("summary.runtime.inMaintenanceMode"),
        "model": o.str("summary.hardware.model"),
        "vendor": o.str("summary.hardware.vendor"),
        "cpu_model": o.str("summary.hardware.cpuModel"),
        "cpu_cores": cores,
        "cpu_threads": hw("numCpuThreads").or(o.i64("hardware.cpuInfo.numCpuThreads")),
        "cpu_mhz": mhz,
        "cpu_usage_mhz": q("overallCpuUsage"),
        "cpu_usage_percent": percent(q("overallCpuUsage"), cpu_capacity),
        "memory_total_gb": memory.map(|b| round2(b as f64 / GB)),
        "memory_usage_mb": q("overallMemoryUsage"),
        "memory_usage_percent": percent(q("overallMemoryUsage"), memory.map(|b| b as f64 / MB)),
        "uptime_seconds": uptime,
        "uptime_human": human_duration(uptime),
        "vm_count": o.morefs("vm").len(),
    })))
}

async fn get_vm_stats(ctx: Ctx, args: VmName) -> Result<Output, ToolError> {
    let vm = find_vm(&ctx, &args.name).await?;
    let o = ctx
        .client
        .properties(&vm, &VM_STATS)
        .await
        .map_err(|e| ToolError::vsphere(&e, Some(&args.name)))?;
    let q = |f: &str| o.i64(&format!("summary.quickStats.{f}"));
    let gb = |f: &str| {
        o.i64(&format!("summary.storage.{f}"))
            .map(|b| round2(b as f64 / GB))
    };
    let uptime = q("uptimeSeconds");
    Ok(Output::Json(json!({
        "name": o.name(),
        "power_state": o.str("runtime.powerState"),
        "cpu_usage_mhz": q("overallCpuUsage"),
        "cpu_demand_mhz": q("overallCpuDemand"),
        "memory_usage_mb": q("hostMemoryUsage"),
        "memory_active_mb": q("guestMemoryUsage"),
        "memory_ballooned_mb": q("balloonedMemory"),
        "memory_swapped_mb": q("swappedMemory"),
        "memory_configured_mb": o.i64("config.hardware.memoryMB"),
        "storage_committed_gb": gb("committed"),
        "storage_uncommitted_gb": gb("uncommitted"),
        "uptime_seconds": uptime,
        "uptime_human": human_duration(uptime),
    })))
}
