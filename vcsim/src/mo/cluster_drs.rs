//! DRS on a simulated cluster: how unbalanced its hosts are, the
//! migrations that would balance them (`recommendation`, made by
//! `RefreshRecommendation` and whenever DRS is reconfigured), and applying
//! them (`ApplyRecommendation`; a fully automated cluster applies its own at
//! once, as vCenter does, and lists none).
//!
//! The load of a host is the memory its powered-on VMs are configured with
//! over the host's memory: the simulated guests are idle, so configured
//! memory is the demand that differs between VMs. The imbalance is the
//! standard deviation of the loads of the cluster's usable hosts (what
//! vCenter reports as `currentBalance`, ×1000); DRS tolerates up to a
//! threshold set by `vmotionRate` (1 to 5: a higher rate tolerates more
//! and so migrates less, as the API describes it).

use vim25::{Data, Fault, MoRef, Value};

use super::cluster::{config, refresh};
use crate::call::{Call, Reply, require};
use crate::events;
use crate::state::State;

/// How much imbalance DRS accepts at the cluster's `vmotionRate`.
pub(crate) fn tolerance(cfg: &Data) -> f64 {
    let rate = cfg
        .path("drsConfig.vmotionRate")
        .and_then(Value::as_i64)
        .unwrap_or(3)
        .clamp(1, 5);
    0.05 * rate as f64
}

/// A usable host: its memory (MB) and its powered-on VMs with theirs.
struct HostLoad {
    host: MoRef,
    capacity: f64,
    vms: Vec<(MoRef, f64)>,
}

impl HostLoad {
    fn load(&self) -> f64 {
        self.vms.iter().map(|(_, m)| m).sum::<f64>() / self.capacity
    }
}

fn loads(st: &State, cr: &MoRef) -> Vec<HostLoad> {
    let mut out = vec![];
    for h in st.objects.refs(cr, "host") {
        let maintenance = st
            .objects
            .prop(&h, "runtime.inMaintenanceMode")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let connected = st
            .objects
            .str_prop(&h, "runtime.connectionState")
            .as_deref()
            == Some("connected");
        let mem = st
            .objects
            .prop(&h, "summary.hardware.memorySize")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            >> 20;
        if maintenance || !connected || mem <= 0 {
            continue;
        }
        let vms = st
            .objects
            .refs(&h, "vm")
            .into_iter()
            .filter(|v| {
                st.objects.str_prop(v, "runtime.powerState").as_deref() == Some("poweredOn")
            })
            .map(|v| {
                let m = st
                    .objects
                    .prop(&v, "config.hardware.memoryMB")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                (v, m as f64)
            })
            .collect();
        out.push(HostLoad {
            host: h,
            capacity: mem as f64,
            vms,
        });
    }
    out
}

fn std_dev(hosts: &[HostLoad]) -> f64 {
    if hosts.len() < 2 {
        return 0.0;
    }
    let n = hosts.len() as f64;
    let mean = hosts.iter().map(HostLoad::load).sum::<f64>() / n;
    (hosts.iter().map(|h| (h.load() - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// The cluster's imbalance now.
pub(crate) fn balance(st: &State, cr: &MoRef) -> f64 {
    std_dev(&loads(st, cr))
}

/// One planned migration: VM, from, to, and how much it improves the balance.
type Move = (MoRef, MoRef, MoRef, f64);

/// Greedy plan: while the imbalance exceeds the tolerance, move the VM of
/// the most loaded host to the least loaded one that lowers it most.
fn plan(st: &State, cr: &MoRef, tol: f64) -> Vec<Move> {
    let mut hosts = loads(st, cr);
    let mut out = vec![];
    for _ in 0..16 {
        let sd = std_dev(&hosts);
        if sd <= tol {
            break;
        }
        let by_load = |a: &&HostLoad, b: &&HostLoad| a.load().total_cmp(&b.load());
        let (Some(hi), Some(lo)) = (
            hosts
                .iter()
                .enumerate()
                .max_by(|a, b| by_load(&a.1, &b.1))
                .map(|(i, _)| i),
            hosts
                .iter()
                .enumerate()
                .min_by(|a, b| by_load(&a.1, &b.1))
                .map(|(i, _)| i),
        ) else {
            break;
        };
        let mut best: Option<(usize, f64)> = None;
        for i in 0..hosts[hi].vms.len() {
            let vm = hosts[hi].vms.remove(i);
            hosts[lo].vms.push(vm.clone());
            let after = std_dev(&hosts);
            let back = hosts[lo].vms.pop();
            hosts[hi].vms.insert(i, back.unwrap_or(vm));
            if after < sd - 0.01 && best.is_none_or(|(_, b)| after < b) {
                best = Some((i, after));
            }
        }
        let Some((i, after)) = best else { break };
        let vm = hosts[hi].vms.remove(i);
        out.push((
            vm.0.clone(),
            hosts[hi].host.clone(),
            hosts[lo].host.clone(),
            sd - after,
        ));
        hosts[lo].vms.push(vm);
    }
    out
}

fn recommendation(st: &mut State, cr: &MoRef, m: &Move) -> Data {
    let (vm, from, to, gain) = m;
    let key = st.new_id("drs");
    let rating = ((gain * 20.0) as i64 + 1).clamp(1, 5);
    let now = crate::now();
    let migration = Data::new("ClusterDrsMigration")
        .with("key", key.as_str())
        .with("time", now.as_str())
        .with("vm", vm)
        .with("source", from)
        .with("destination", to);
    Data::new("ClusterRecommendation")
        .with("key", key.as_str())
        .with("type", "V1")
        .with("time", now.as_str())
        .with("rating", rating)
        .with("reason", "LoadBalance")
        .with(
            "reasonText",
            format!(
                "Balance average memory loads: migrate {} from {} to {}.",
                st.objects.name(vm),
                st.objects.name(from),
                st.objects.name(to)
            ),
        )
        .with("target", cr)
        .with(
            "action",
            vec![
                Data::new("ClusterMigrationAction")
                    .with("type", "MigrationV1")
                    .with("target", vm)
                    .with("drsMigration", migration),
            ],
        )
}

/// Makes the cluster's recommendations again; a fully automated cluster
/// applies them at once instead (`DrsVmMigratedEvent`s by `user`).
pub(crate) fn recompute(st: &mut State, cr: &MoRef, user: &str) -> Result<(), Fault> {
    let cfg = config(st, cr);
    let enabled = cfg
        .path("drsConfig.enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let moves = if enabled {
        plan(st, cr, tolerance(&cfg))
    } else {
        vec![]
    };
    let recs: Vec<Data> = moves.iter().map(|m| recommendation(st, cr, m)).collect();
    let automatic = cfg
        .path("drsConfig.defaultVmBehavior")
        .and_then(Value::as_str)
        == Some("fullyAutomated");
    if automatic {
        for r in &recs {
            apply(st, cr, r, user)?;
        }
        st.objects.set(cr, "recommendation", Value::array(vec![]))?;
    } else {
        st.objects.set(
            cr,
            "recommendation",
            Value::array(recs.into_iter().map(Value::data).collect()),
        )?;
    }
    refresh(st, cr)
}

/// Carries out one recommendation's migrations.
fn apply(st: &mut State, cr: &MoRef, rec: &Data, user: &str) -> Result<(), Fault> {
    for a in rec.get("action").map(Value::as_array).unwrap_or_default() {
        let Some(m) = a
            .as_data()
            .and_then(|a| a.get("drsMigration"))
            .and_then(Value::as_data)
        else {
            continue;
        };
        let (Some(vm), Some(from), Some(to)) = (
            m.get("vm").and_then(Value::as_moref).cloned(),
            m.get("source").and_then(Value::as_moref).cloned(),
            m.get("destination").and_then(Value::as_moref).cloned(),
        ) else {
            continue;
        };
        require(st, &vm)?;
        if st.objects.ref_prop(&vm, "runtime.host").as_ref() != Some(&from) {
            return Err(Fault::invalid_state(format!(
                "The recommendation is out of date: {} is no longer on {}.",
                st.objects.name(&vm),
                st.objects.name(&from)
            )));
        }
        crate::mo::virtual_machine::relocate::move_ref(st, &vm, "runtime.host", "vm", &to)?;
        let msg = format!(
            "Migrating {} from {} to {} in {}",
            st.objects.name(&vm),
            st.objects.name(&from),
            st.objects.name(&to),
            st.objects.name(cr)
        );
        events::record(st, "DrsVmMigratedEvent", user, msg, Some(&vm), None, None)?;
        if let Some(last) = st.events.events.back_mut() {
            last.set(
                "sourceHost",
                Data::new("HostEventArgument")
                    .with("name", st.objects.name(&from).as_str())
                    .with("host", &from),
            );
        }
        let mut history = st
            .objects
            .prop(cr, "migrationHistory")
            .map(|v| v.as_array().to_vec())
            .unwrap_or_default();
        history.push(Value::data(m.clone()));
        st.objects
            .set(cr, "migrationHistory", Value::array(history))?;
    }
    Ok(())
}

/// `ClusterComputeResource.RefreshRecommendation`.
pub(crate) fn refresh_recommendation(c: &Call) -> Reply {
    let cr = c.this().clone();
    let u = c.user().to_string();
    c.shared.try_mutate(|st| {
        require(st, &cr)?;
        recompute(st, &cr, &u)?;
        Ok(None)
    })
}

fn take(st: &mut State, cr: &MoRef, key: &str) -> Result<Data, Fault> {
    let recs: Vec<Data> = st
        .objects
        .prop(cr, "recommendation")
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(|r| r.as_data().cloned())
                .collect()
        })
        .unwrap_or_default();
    let keys: Vec<String> = recs
        .iter()
        .filter_map(|r| r.get("key").and_then(Value::as_str).map(str::to_string))
        .collect();
    let Some(i) = keys.iter().position(|k| k == key) else {
        let listed = if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        };
        return Err(Fault::new(
            "InvalidArgument",
            format!(
                "{} has no recommendation '{key}'; its recommendations: {listed}.",
                st.objects.name(cr)
            ),
        )
        .with("invalidProperty", "key"));
    };
    let rest: Vec<Value> = recs
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, r)| Value::data(r.clone()))
        .collect();
    st.objects.set(cr, "recommendation", Value::array(rest))?;
    Ok(recs[i].clone())
}

/// `ClusterComputeResource.ApplyRecommendation`.
pub(crate) fn apply_recommendation(c: &Call) -> Reply {
    let key = c.non_empty_str("key")?.to_string();
    let cr = c.this().clone();
    let u = c.user().to_string();
    c.shared.try_mutate(|st| {
        require(st, &cr)?;
        let rec = take(st, &cr, &key)?;
        apply(st, &cr, &rec, &u)?;
        refresh(st, &cr)?;
        Ok(None)
    })
}

/// `ClusterComputeResource.CancelRecommendation`: dropped from the list.
pub(crate) fn cancel_recommendation(c: &Call) -> Reply {
    let key = c.non_empty_str("key")?.to_string();
    let cr = c.this().clone();
    c.shared.try_mutate(|st| {
        require(st, &cr)?;
        take(st, &cr, &key)?;
        Ok(None)
    })
}
