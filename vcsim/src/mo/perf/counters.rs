//! The performance counters: ids, groups, names, units, rollups and stats
//! types as ESXi numbers them (group index << 16 | counter index: cpu 0,
//! mem 1, disk 2, net 3, sys 4), plus vCenter's datastore space counter the
//! default "Datastore usage on disk" alarm watches. Clients look counters up
//! by `group.name.rollup`; the ids only have to be stable and distinct.

use vim25::{Data, Value};

/// Which entities report a counter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scope {
    /// Hosts and VMs.
    Compute,
    VmOnly,
    Datastore,
}

pub(crate) struct Counter {
    pub key: i64,
    pub group: &'static str,
    pub name: &'static str,
    pub rollup: &'static str,
    pub unit: &'static str,
    pub stats: &'static str,
    pub level: i64,
    pub label: &'static str,
    pub summary: &'static str,
    pub scope: Scope,
}

/// A table row, argument order as the columns read.
#[allow(clippy::too_many_arguments)]
const fn c(
    key: i64,
    group: &'static str,
    name: &'static str,
    rollup: &'static str,
    unit: &'static str,
    stats: &'static str,
    level: i64,
    label: &'static str,
    summary: &'static str,
) -> Counter {
    Counter {
        key,
        group,
        name,
        rollup,
        unit,
        stats,
        level,
        label,
        summary,
        scope: Scope::Compute,
    }
}

const fn scoped(mut k: Counter, scope: Scope) -> Counter {
    k.scope = scope;
    k
}

const CPU_USAGE: &str = "CPU usage as a percentage during the interval";
const CPU_MHZ: &str = "CPU usage in megahertz during the interval";
const MEM_USAGE: &str = "Memory usage as percent of total configured or available memory";

#[rustfmt::skip]
pub(crate) static COUNTERS: &[Counter] = &[
    c(0, "cpu", "usage", "none", "percent", "rate", 4, "Usage", CPU_USAGE),
    c(1, "cpu", "usage", "average", "percent", "rate", 1, "Usage", CPU_USAGE),
    c(2, "cpu", "usage", "maximum", "percent", "rate", 4, "Usage", CPU_USAGE),
    c(3, "cpu", "usage", "minimum", "percent", "rate", 4, "Usage", CPU_USAGE),
    c(4, "cpu", "usagemhz", "none", "megaHertz", "rate", 4, "Usage in MHz", CPU_MHZ),
    c(5, "cpu", "usagemhz", "average", "megaHertz", "rate", 1, "Usage in MHz", CPU_MHZ),
    c(6, "cpu", "usagemhz", "maximum", "megaHertz", "rate", 4, "Usage in MHz", CPU_MHZ),
    c(7, "cpu", "usagemhz", "minimum", "megaHertz", "rate", 4, "Usage in MHz", CPU_MHZ),
    c(11, "cpu", "ready", "summation", "millisecond", "delta", 1, "Ready", "Time that the virtual machine was ready, but could not get scheduled to run on the physical CPU"),
    c(12, "cpu", "used", "summation", "millisecond", "delta", 3, "Used", "Total CPU usage"),
    c(13, "cpu", "idle", "summation", "millisecond", "delta", 2, "Idle", "Total time that the CPU spent in an idle state"),
    c(65536, "mem", "usage", "none", "percent", "absolute", 4, "Usage", MEM_USAGE),
    c(65537, "mem", "usage", "average", "percent", "absolute", 1, "Usage", MEM_USAGE),
    c(65538, "mem", "usage", "maximum", "percent", "absolute", 4, "Usage", MEM_USAGE),
    c(65539, "mem", "usage", "minimum", "percent", "absolute", 4, "Usage", MEM_USAGE),
    c(65541, "mem", "granted", "average", "kiloBytes", "absolute", 2, "Granted", "Amount of host physical memory or physical memory that is mapped for a virtual machine or a host"),
    c(65545, "mem", "active", "average", "kiloBytes", "absolute", 2, "Active", "Amount of guest physical memory that is being actively read or written by guest"),
    c(65561, "mem", "swapused", "average", "kiloBytes", "absolute", 2, "Swap used", "Swap storage space consumed"),
    c(65586, "mem", "overhead", "average", "kiloBytes", "absolute", 1, "Overhead", "Host physical memory consumed by ESXi data structures for running the virtual machines"),
    c(65611, "mem", "consumed", "average", "kiloBytes", "absolute", 1, "Consumed", "Amount of host physical memory consumed for backing up guest physical memory pages"),
    c(131073, "disk", "usage", "average", "kiloBytesPerSecond", "rate", 1, "Usage", "Aggregated disk I/O rate"),
    c(131076, "disk", "numberRead", "summation", "number", "delta", 3, "Read requests", "Number of disk reads during the collection interval"),
    c(131077, "disk", "numberWrite", "summation", "number", "delta", 3, "Write requests", "Number of disk writes during the collection interval"),
    c(131078, "disk", "read", "average", "kiloBytesPerSecond", "rate", 2, "Read rate", "Average number of kilobytes read from the disk each second"),
    c(131079, "disk", "write", "average", "kiloBytesPerSecond", "rate", 2, "Write rate", "Average number of kilobytes written to disk each second"),
    scoped(c(131100, "disk", "used", "latest", "percent", "absolute", 1, "Datastore disk usage", "Percentage of the datastore's capacity in use"), Scope::Datastore),
    c(196609, "net", "usage", "average", "kiloBytesPerSecond", "rate", 1, "Usage", "Network utilization (combined transmit-rates and receive-rates) during the interval"),
    c(196612, "net", "packetsRx", "summation", "number", "delta", 3, "Packets received", "Number of packets received during the interval"),
    c(196613, "net", "packetsTx", "summation", "number", "delta", 3, "Packets transmitted", "Number of packets transmitted during the interval"),
    c(196614, "net", "received", "average", "kiloBytesPerSecond", "rate", 2, "Data receive rate", "Average rate at which data was received during the interval"),
    c(196615, "net", "transmitted", "average", "kiloBytesPerSecond", "rate", 2, "Data transmit rate", "Average rate at which data was transmitted during the interval"),
    c(262144, "sys", "uptime", "latest", "second", "absolute", 1, "Uptime", "Total time elapsed, in seconds, since last system startup"),
    scoped(c(262145, "sys", "heartbeat", "latest", "number", "absolute", 1, "Heartbeat", "Number of heartbeats issued per virtual machine during the interval"), Scope::VmOnly),
];

pub(crate) fn by_key(key: i64) -> Option<&'static Counter> {
    COUNTERS.iter().find(|k| k.key == key)
}

/// The counter `group.name.rollup` (`cpu.usagemhz.average`).
pub(crate) fn by_name(full: &str) -> Option<&'static Counter> {
    COUNTERS
        .iter()
        .find(|k| format!("{}.{}.{}", k.group, k.name, k.rollup) == full)
}

/// Whether entities of managed type `kind` report `k`.
pub(crate) fn applies(k: &Counter, kind: &str) -> bool {
    match k.scope {
        Scope::Compute => kind == "HostSystem" || kind == "VirtualMachine",
        Scope::VmOnly => kind == "VirtualMachine",
        Scope::Datastore => kind == "Datastore",
    }
}

fn description(key: &str, label: &str, summary: &str) -> Data {
    Data::new("ElementDescription")
        .with("label", label)
        .with("summary", summary)
        .with("key", key)
}

fn group_label(g: &str) -> &'static str {
    match g {
        "cpu" => "CPU",
        "mem" => "Memory",
        "disk" => "Disk",
        "net" => "Network",
        _ => "System",
    }
}

fn unit_label(u: &str) -> &'static str {
    match u {
        "percent" => "%",
        "megaHertz" => "MHz",
        "kiloBytes" => "KB",
        "kiloBytesPerSecond" => "KBps",
        "millisecond" => "ms",
        "second" => "s",
        _ => "num",
    }
}

/// `PerfCounterInfo` for `k`.
pub(crate) fn info(k: &Counter) -> Value {
    Value::data(
        Data::new("PerfCounterInfo")
            .with("key", k.key)
            .with("nameInfo", description(k.name, k.label, k.summary))
            .with(
                "groupInfo",
                description(k.group, group_label(k.group), group_label(k.group)),
            )
            .with(
                "unitInfo",
                description(k.unit, unit_label(k.unit), unit_label(k.unit)),
            )
            .with("rollupType", k.rollup)
            .with("statsType", k.stats)
            .with("level", k.level)
            .with("perDeviceLevel", (k.level + 2).min(4)),
    )
}

/// The historical intervals vCenter keeps by default: (key, sampling
/// period s, name, length s).
pub(crate) const INTERVALS: &[(i64, i64, &str, i64)] = &[
    (1, 300, "Past day", 86_400),
    (2, 1800, "Past week", 604_800),
    (3, 7200, "Past month", 2_592_000),
    (4, 86_400, "Past year", 31_536_000),
];

/// How long real-time samples are kept (an hour: 180 samples of 20 s).
pub(crate) const REALTIME_LENGTH: i64 = 3600;

pub(crate) fn historical_intervals() -> Value {
    Value::array(
        INTERVALS
            .iter()
            .map(|(key, period, name, length)| {
                Value::data(
                    Data::new("PerfInterval")
                        .with("key", *key)
                        .with("samplingPeriod", *period)
                        .with("name", *name)
                        .with("length", *length)
                        .with("level", 1)
                        .with("enabled", true),
                )
            })
            .collect(),
    )
}
