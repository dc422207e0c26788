//! Resource pools: `config` (CPU and memory allocation: reservation, limit,
//! expandable reservation, shares), and `runtime`/`summary` usage derived
//! from the powered-on VMs in the pool and the pools under it (`derive.rs`
//! runs [`refresh`] for the pool of every VM a change touched, and for every
//! pool it touched, then for their parent pools).
//!
//! Units as vSphere reports them: CPU in MHz; memory in MB in
//! `ResourceAllocationInfo`, in bytes in `ResourcePoolResourceUsage`.

use vim25::{Data, Fault, MoRef, Value};

use crate::state::State;

/// What one MHz-or-MB allocation looks like: a root pool reserves and is
/// limited to its cluster's capacity, with normal shares.
fn allocation(reservation: i64, limit: i64, expandable: bool, shares: i64) -> Data {
    Data::new("ResourceAllocationInfo")
        .with("reservation", reservation)
        .with("expandableReservation", expandable)
        .with("limit", limit)
        .with(
            "shares",
            Data::new("SharesInfo")
                .with("shares", shares)
                .with("level", "normal"),
        )
        .with("overheadLimit", 0i64)
}

/// The config of a cluster's root pool `Resources` over `cpu_mhz` and `mem_mb`.
pub(crate) fn root_config(pool: &MoRef, cpu_mhz: i64, mem_mb: i64) -> Data {
    Data::new("ResourceConfigSpec")
        .with("entity", pool)
        .with("changeVersion", "1")
        .with("lastModified", crate::now())
        .with("cpuAllocation", allocation(cpu_mhz, cpu_mhz, false, 4000))
        .with(
            "memoryAllocation",
            allocation(mem_mb, mem_mb, false, 163_840),
        )
}

/// `(cpu MHz, memory bytes, guest memory MB, host memory MB)` the
/// powered-on VMs in `pool` and its child pools use.
fn usage(st: &State, pool: &MoRef, depth: usize) -> (i64, i64, i64, i64) {
    let mut u = (0, 0, 0, 0);
    for vm in st.objects.refs(pool, "vm") {
        if st.objects.str_prop(&vm, "runtime.powerState").as_deref() != Some("poweredOn") {
            continue;
        }
        let i = |p: &str| st.objects.prop(&vm, p).and_then(Value::as_i64).unwrap_or(0);
        let host_mb = i("summary.quickStats.hostMemoryUsage");
        let vm_use = (
            i("summary.quickStats.overallCpuUsage"),
            host_mb.saturating_mul(1 << 20),
            i("summary.quickStats.guestMemoryUsage"),
            host_mb,
        );
        u = add(u, vm_use);
    }
    // Pools nest a few levels at most; the bound only guards a cycle.
    if depth < 32 {
        for child in st.objects.refs(pool, "resourcePool") {
            u = add(u, usage(st, &child, depth + 1));
        }
    }
    u
}

/// Sums that saturate: a VM configured with absurd sizes must not overflow
/// its pool's totals (issue 14's fuzzing found the debug-build panic).
fn add(a: (i64, i64, i64, i64), b: (i64, i64, i64, i64)) -> (i64, i64, i64, i64) {
    (
        a.0.saturating_add(b.0),
        a.1.saturating_add(b.1),
        a.2.saturating_add(b.2),
        a.3.saturating_add(b.3),
    )
}

fn resource_usage(limit: i64, used: i64) -> Data {
    Data::new("ResourcePoolResourceUsage")
        .with("reservationUsed", 0i64)
        .with("reservationUsedForVm", 0i64)
        .with("unreservedForPool", limit)
        .with("unreservedForVm", limit)
        .with("overallUsage", used)
        .with("maxUsage", limit)
}

/// `runtime` and `summary` of `pool` and of each pool above it.
pub(crate) fn refresh(st: &mut State, pool: &MoRef) -> Result<(), Fault> {
    let mut p = pool.clone();
    for _ in 0..32 {
        refresh_one(st, &p)?;
        match st.objects.ref_prop(&p, "parent") {
            Some(parent) if parent.kind == "ResourcePool" => p = parent,
            _ => break,
        }
    }
    Ok(())
}

fn refresh_one(st: &mut State, pool: &MoRef) -> Result<(), Fault> {
    if !st.objects.contains(pool) {
        return Ok(());
    }
    let Some(config) = st.objects.prop(pool, "config").cloned() else {
        return Ok(());
    };
    let limit = |path: &str| config.path(path).and_then(Value::as_i64).unwrap_or(0);
    let (cpu_limit, mem_limit_mb) = (
        limit("cpuAllocation.limit"),
        limit("memoryAllocation.limit"),
    );
    let (cpu, mem, guest_mb, host_mb) = usage(st, pool, 0);
    let runtime = Data::new("ResourcePoolRuntimeInfo")
        .with("memory", resource_usage(mem_limit_mb << 20, mem))
        .with("cpu", resource_usage(cpu_limit, cpu))
        .with("overallStatus", "green");
    let summary = Data::new("ResourcePoolSummary")
        .with("name", st.objects.name(pool))
        .with("config", config)
        .with("runtime", runtime.clone())
        .with(
            "quickStats",
            Data::new("ResourcePoolQuickStats")
                .with("overallCpuUsage", cpu)
                .with("overallCpuDemand", cpu)
                .with("guestMemoryUsage", guest_mb)
                .with("hostMemoryUsage", host_mb),
        )
        .with("configuredMemoryMB", mem_limit_mb);
    let summary = Value::data(summary);
    if st.objects.prop(pool, "summary") != Some(&summary) {
        st.objects.set(pool, "runtime", Value::data(runtime))?;
        st.objects.set(pool, "summary", summary)?;
    }
    Ok(())
}
