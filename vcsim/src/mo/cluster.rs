//! ComputeResource and ClusterComputeResource: `summary` added up from the
//! hosts (total and effective CPU and memory; a host in maintenance mode or
//! not connected counts in the totals, not in what is effective), the
//! cluster's `configurationEx` (DRS: enabled, default behaviour, vMotion
//! rate; HA: admission control with a failover level) and
//! `ReconfigureComputeResource_Task` / `ReconfigureCluster_Task` changing it.
//! DRS recommendations are `cluster_drs.rs`.

use vim25::{Data, Fault, MoRef, Value, schema};

use crate::call::{Call, Reply, require};
use crate::state::State;

/// A fresh cluster's configuration, as vCenter makes one with DRS and HA
/// turned on: fully automated DRS at the default migration threshold (3),
/// HA with admission control tolerating one host failure.
pub(crate) fn default_config() -> Data {
    Data::new("ClusterConfigInfoEx")
        .with("dasConfig", default_das())
        .with("drsConfig", default_drs())
}

fn default_drs() -> Data {
    Data::new("ClusterDrsConfigInfo")
        .with("enabled", true)
        .with("enableVmBehaviorOverrides", true)
        .with("defaultVmBehavior", "fullyAutomated")
        .with("vmotionRate", 3)
}

fn default_das() -> Data {
    Data::new("ClusterDasConfigInfo")
        .with("enabled", true)
        .with("vmMonitoring", "vmMonitoringDisabled")
        .with("hostMonitoring", "enabled")
        .with("failoverLevel", 1)
        .with("admissionControlEnabled", true)
        .with(
            "admissionControlPolicy",
            Data::new("ClusterFailoverLevelAdmissionControlPolicy").with("failoverLevel", 1),
        )
}

/// Sets up a just-built compute resource: a cluster's configuration, and
/// the summary of either kind.
pub(crate) fn init(st: &mut State, cr: &MoRef) -> Result<(), Fault> {
    if cr.kind == "ClusterComputeResource" {
        write_config(st, cr, default_config())?;
    } else {
        st.objects.set(
            cr,
            "configurationEx",
            Value::data(
                Data::new("ComputeResourceConfigInfo").with("vmSwapPlacement", "vmDirectory"),
            ),
        )?;
    }
    refresh(st, cr)
}

/// The cluster's DRS and HA configuration (a default one if unset).
pub(crate) fn config(st: &State, cr: &MoRef) -> Data {
    st.objects
        .prop(cr, "configurationEx")
        .and_then(Value::as_data)
        .filter(|d| d.type_name.as_str() == "ClusterConfigInfoEx")
        .cloned()
        .unwrap_or_else(default_config)
}

/// Writes `configurationEx` and the older `configuration` view of it.
fn write_config(st: &mut State, cr: &MoRef, cfg: Data) -> Result<(), Fault> {
    let mut old = Data::new("ClusterConfigInfo");
    for f in ["dasConfig", "drsConfig"] {
        if let Some(v) = cfg.get(f) {
            old.set(f, v.clone());
        }
    }
    st.objects.set(cr, "configuration", Value::data(old))?;
    st.objects.set(cr, "configurationEx", Value::data(cfg))
}

/// What one host brings: (CPU MHz, memory bytes, cores, threads, effective).
fn host_resources(st: &State, h: &MoRef) -> (i64, i64, i64, i64, bool) {
    let i = |p: &str| st.objects.prop(h, p).and_then(Value::as_i64).unwrap_or(0);
    let mhz = i("summary.hardware.cpuMhz");
    let cores = i("summary.hardware.numCpuCores");
    let threads = i("summary.hardware.numCpuThreads").max(cores);
    let connected = st.objects.str_prop(h, "runtime.connectionState").as_deref()
        != Some("disconnected")
        && st.objects.str_prop(h, "runtime.connectionState").as_deref() != Some("notResponding");
    let maintenance = st
        .objects
        .prop(h, "runtime.inMaintenanceMode")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    (
        mhz * cores,
        i("summary.hardware.memorySize"),
        cores,
        threads,
        connected && !maintenance,
    )
}

/// `summary` of a compute resource from its hosts, and its root pool's
/// limits from the same totals. A cluster's summary also reports its HA
/// failover level, vMotions so far and the DRS balance.
pub(crate) fn refresh(st: &mut State, cr: &MoRef) -> Result<(), Fault> {
    if !st.objects.contains(cr) {
        return Ok(());
    }
    let hosts = st.objects.refs(cr, "host");
    let (mut cpu, mut mem, mut cores, mut threads) = (0i64, 0i64, 0i64, 0i64);
    let (mut eff_cpu, mut eff_mem, mut eff_hosts) = (0i64, 0i64, 0i64);
    for h in &hosts {
        let (c, m, n, t, effective) = host_resources(st, h);
        cpu += c;
        mem += m;
        cores += n;
        threads += t;
        if effective {
            eff_cpu += c;
            eff_mem += m;
            eff_hosts += 1;
        }
    }
    let is_cluster = cr.kind == "ClusterComputeResource";
    let mut s = Data::new(if is_cluster {
        "ClusterComputeResourceSummary"
    } else {
        "ComputeResourceSummary"
    })
    .with("totalCpu", cpu)
    .with("totalMemory", mem)
    .with("numCpuCores", cores)
    .with("numCpuThreads", threads)
    .with("effectiveCpu", eff_cpu)
    .with("effectiveMemory", eff_mem >> 20)
    .with("numHosts", hosts.len() as i64)
    .with("numEffectiveHosts", eff_hosts)
    .with("overallStatus", "green");
    if is_cluster {
        let cfg = config(st, cr);
        let ha = cfg
            .path("dasConfig.enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let wanted = cfg
            .path("dasConfig.admissionControlPolicy.failoverLevel")
            .or_else(|| cfg.path("dasConfig.failoverLevel"))
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let level = if ha {
            wanted.min((eff_hosts - 1).max(0))
        } else {
            0
        };
        let vmotions = st
            .objects
            .prop(cr, "migrationHistory")
            .map(|v| v.as_array().len() as i64)
            .unwrap_or(0);
        let balance = super::cluster_drs::balance(st, cr);
        s.set("currentFailoverLevel", level);
        let admission = cfg
            .path("dasConfig.admissionControlEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if ha && admission {
            // How many host failures the cluster can take now, by admission control.
            s.set(
                "admissionControlInfo",
                Data::new("ClusterFailoverLevelAdmissionControlInfo")
                    .with("currentFailoverLevel", level),
            );
        }
        s.set("numVmotions", vmotions);
        s.set("currentBalance", (balance * 1000.0) as i64);
        s.set(
            "targetBalance",
            (super::cluster_drs::tolerance(&cfg) * 1000.0) as i64,
        );
    }
    // Written only when it changed: every VM change refreshes its cluster.
    let s = Value::data(s);
    if st.objects.prop(cr, "summary") != Some(&s) {
        st.objects.set(cr, "summary", s)?;
    }
    // The root pool's limits follow the totals (rewritten only when they
    // change, so a VM's power-on does not bump the pool's `lastModified`).
    if let Some(pool) = st.objects.ref_prop(cr, "resourcePool")
        && (st
            .objects
            .prop(&pool, "config.cpuAllocation.limit")
            .and_then(Value::as_i64)
            != Some(cpu)
            || st
                .objects
                .prop(&pool, "config.memoryAllocation.limit")
                .and_then(Value::as_i64)
                != Some(mem >> 20))
    {
        let config = super::resource_pool::root_config(&pool, cpu, mem >> 20);
        st.objects.set(&pool, "config", Value::data(config))?;
    }
    Ok(())
}

/// Merges the present fields of `change` into `into` (modify), or takes
/// `change` whole (replace).
fn merge(into: Option<&Value>, change: &Data, modify: bool) -> Data {
    let mut out = match into.and_then(Value::as_data) {
        Some(d) if modify => d.clone(),
        _ => Data::new(&change.type_name),
    };
    for (k, v) in &change.fields {
        out.set(k.as_str(), v.clone());
    }
    out
}

fn check_drs(drs: &Data) -> Result<(), Fault> {
    if let Some(r) = drs.get("vmotionRate").and_then(Value::as_i64)
        && !(1..=5).contains(&r)
    {
        return Err(Fault::new(
            "InvalidArgument",
            format!("The DRS vMotion rate must be between 1 and 5, not {r}."),
        )
        .with("invalidProperty", "spec.drsConfig.vmotionRate"));
    }
    if let Some(b) = drs.get("defaultVmBehavior").and_then(Value::as_str) {
        let valid = schema()
            .get("DrsBehavior")
            .map(|t| t.enum_values.clone())
            .unwrap_or_default();
        if !valid.iter().any(|v| v == b) {
            return Err(Fault::new(
                "InvalidArgument",
                format!("Unknown DRS behaviour '{b}'; valid: {}.", valid.join(", ")),
            )
            .with("invalidProperty", "spec.drsConfig.defaultVmBehavior"));
        }
    }
    Ok(())
}

/// `ReconfigureComputeResource_Task` (and the older `ReconfigureCluster_Task`):
/// the spec's `drsConfig` and `dasConfig` merged (`modify`) or replacing.
pub(crate) fn reconfigure(c: &Call) -> Reply {
    let spec = c.data("spec")?.clone();
    let modify = c.bool_or("modify", true)?;
    if let Some(drs) = spec.get("drsConfig").and_then(Value::as_data) {
        check_drs(drs)?;
    }
    let cr = c.this().clone();
    c.task(c.this(), move |st: &mut State| {
        require(st, &cr)?;
        if cr.kind != "ClusterComputeResource" {
            if spec.get("drsConfig").is_some() || spec.get("dasConfig").is_some() {
                return Err(Fault::new(
                    "NotSupported",
                    format!(
                        "{} is a standalone host, not a cluster: it has no DRS or HA.",
                        st.objects.name(&cr)
                    ),
                ));
            }
            return Ok(None);
        }
        let mut cfg = config(st, &cr);
        for f in ["drsConfig", "dasConfig"] {
            if let Some(ch) = spec.get(f).and_then(Value::as_data) {
                let merged = merge(cfg.get(f), ch, modify);
                cfg.set(f, merged);
            } else if !modify {
                cfg.set(
                    f,
                    if f == "drsConfig" {
                        default_drs()
                    } else {
                        default_das()
                    },
                );
            }
        }
        write_config(st, &cr, cfg)?;
        super::cluster_drs::recompute(st, &cr, "")?;
        refresh(st, &cr)?;
        Ok(None)
    })
}
