//! Deterministic sample values: every number a host or VM reports is a
//! function of the entity, the sample's index (its end time / 20 s) and the
//! inventory, so two reads agree and a host's figures are the sum of its
//! VMs' plus the host's own overhead, as on ESXi.

use vim25::MoRef;

/// ESXi samples real-time statistics every 20 seconds.
pub(crate) const REALTIME_SECS: i64 = 20;

/// A stable pseudo-random number in `0..n` for `(entity, index, salt)`
/// (FNV-1a, so runs and platforms agree).
pub(crate) fn noise(m: &MoRef, index: i64, salt: u64, n: i64) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in m.value.bytes().chain(index.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    if n <= 0 { 0 } else { (h % n as u64) as i64 }
}

/// The index of the latest complete real-time sample at `unix` seconds.
pub(crate) fn index_at(unix: i64) -> i64 {
    unix.div_euclid(REALTIME_SECS)
}

/// What the hypervisor itself uses on a host in sample `index`, beyond its
/// VMs: CPU in MHz and memory in MB (vmkernel, agents).
pub(crate) fn host_overhead(host: &MoRef, index: i64) -> (i64, i64) {
    (
        40 + noise(host, index, 1, 30),
        1200 + noise(host, index, 2, 64),
    )
}

use vim25::Value;

use super::counters::Counter;
use crate::inventory::host::CPU_MHZ;
use crate::mo::host_system::{is_up, vm_usage};
use crate::state::State;

/// One entity's figures for one sample (rates per second, sizes in KB).
#[derive(Clone, Copy, Debug, Default)]
struct Figures {
    mhz: i64,
    /// What the figures are a share of: MHz and KB of the entity's capacity.
    cpu_capacity: i64,
    mem_capacity: i64,
    granted: i64,
    consumed: i64,
    active: i64,
    overhead: i64,
    read: i64,
    write: i64,
    rx: i64,
    tx: i64,
    uptime: i64,
    heartbeats: bool,
}

fn int(st: &State, m: &MoRef, path: &str) -> i64 {
    st.objects
        .prop(m, path)
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

fn since(st: &State, m: &MoRef, path: &str, t: i64) -> i64 {
    st.objects
        .str_prop(m, path)
        .and_then(|b| chrono::DateTime::parse_from_rfc3339(&b).ok())
        .map(|b| (t - b.timestamp()).max(0))
        .unwrap_or(0)
}

/// A running VM's figures in sample `index`: CPU and memory as its
/// quickStats say (so they agree), I/O from its own noise.
fn vm_figures(st: &State, vm: &MoRef, index: i64, t: i64) -> Option<Figures> {
    let (mhz, host_mb) = vm_usage(st, vm)?;
    let mb = int(st, vm, "config.hardware.memoryMB");
    Some(Figures {
        mhz,
        cpu_capacity: int(st, vm, "config.hardware.numCPU").max(1) * CPU_MHZ,
        mem_capacity: mb * 1024,
        granted: mb * 1024,
        consumed: host_mb * 1024,
        active: int(st, vm, "summary.quickStats.guestMemoryUsage") * 1024,
        overhead: 20 * 1024 + noise(vm, index, 3, 1024),
        read: 5 + noise(vm, index, 10, 200),
        write: 5 + noise(vm, index, 11, 150),
        rx: 1 + noise(vm, index, 12, 300),
        tx: 1 + noise(vm, index, 13, 200),
        uptime: since(st, vm, "runtime.bootTime", t),
        heartbeats: st
            .objects
            .str_prop(vm, "guest.toolsRunningStatus")
            .as_deref()
            == Some("guestToolsRunning"),
    })
}

/// A host's figures: the sum of its running VMs' plus its own overhead
/// (the same overhead `summary.quickStats` adds).
fn host_figures(st: &State, host: &MoRef, index: i64, t: i64) -> Option<Figures> {
    if !is_up(st, host) {
        return None;
    }
    let (cpu, mem_mb) = host_overhead(host, index);
    let mut f = Figures {
        mhz: cpu,
        cpu_capacity: int(st, host, "summary.hardware.numCpuCores").max(1) * CPU_MHZ,
        mem_capacity: int(st, host, "hardware.memorySize") / 1024,
        consumed: mem_mb * 1024,
        active: mem_mb * 512,
        overhead: mem_mb * 1024,
        read: noise(host, index, 20, 20),
        write: noise(host, index, 21, 20),
        rx: noise(host, index, 22, 10),
        tx: noise(host, index, 23, 10),
        uptime: since(st, host, "runtime.bootTime", t),
        ..Figures::default()
    };
    for vm in st.objects.refs(host, "vm") {
        if let Some(v) = vm_figures(st, &vm, index, t) {
            f.mhz += v.mhz;
            f.granted += v.granted;
            f.consumed += v.consumed;
            f.active += v.active;
            f.overhead += v.overhead;
            f.read += v.read;
            f.write += v.write;
            f.rx += v.rx;
            f.tx += v.tx;
        }
    }
    Some(f)
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        (part * 10_000 / whole).min(10_000)
    }
}

/// The value of counter `k` for `entity` in the sample that ends at unix
/// time `t` and covers `period` seconds; `None` when the entity reports
/// nothing then (a powered-off VM, a host that is down). Percentages are in
/// hundredths of a percent, as vSphere reports them.
pub(crate) fn value(st: &State, entity: &MoRef, k: &Counter, t: i64, period: i64) -> Option<i64> {
    let index = index_at(t);
    if entity.kind == "Datastore" {
        let cap = int(st, entity, "summary.capacity");
        let free = int(st, entity, "summary.freeSpace");
        return Some(percent(cap - free, cap));
    }
    let f = match entity.kind.as_str() {
        "VirtualMachine" => vm_figures(st, entity, index, t)?,
        "HostSystem" => host_figures(st, entity, index, t)?,
        _ => return None,
    };
    let ms = period * 1000;
    Some(match (k.group, k.name) {
        ("cpu", "usage") => percent(f.mhz, f.cpu_capacity),
        ("cpu", "usagemhz") => f.mhz,
        ("cpu", "ready") => noise(entity, index, 30, 100) * period / 20,
        ("cpu", "used") => f.mhz * ms / CPU_MHZ,
        ("cpu", "idle") => (f.cpu_capacity * ms / CPU_MHZ - f.mhz * ms / CPU_MHZ).max(0),
        ("mem", "usage") => percent(
            if entity.kind == "HostSystem" {
                f.consumed
            } else {
                f.active
            },
            f.mem_capacity,
        ),
        ("mem", "granted") => f.granted,
        ("mem", "active") => f.active,
        ("mem", "consumed") => f.consumed,
        ("mem", "overhead") => f.overhead,
        ("mem", "swapused") => 0,
        ("disk", "read") => f.read,
        ("disk", "write") => f.write,
        ("disk", "usage") => f.read + f.write,
        ("disk", "numberRead") => f.read * period / 4,
        ("disk", "numberWrite") => f.write * period / 4,
        ("net", "received") => f.rx,
        ("net", "transmitted") => f.tx,
        ("net", "usage") => f.rx + f.tx,
        ("net", "packetsRx") => f.rx * period,
        ("net", "packetsTx") => f.tx * period,
        ("sys", "uptime") => f.uptime,
        ("sys", "heartbeat") => {
            if f.heartbeats {
                period
            } else {
                0
            }
        }
        _ => return None,
    })
}
