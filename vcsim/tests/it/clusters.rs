//! Clusters (issue 13): summaries added up from the hosts, `configurationEx`
//! with DRS and HA and its reconfiguration, and DRS recommendations made
//! when the hosts are unbalanced, applied by `ApplyRecommendation` (or at
//! once in a fully automated cluster).

use vim25::{Data, MoRef, Request, Value};

use crate::{Client, cluster_pool, fault_type, logged_in, vm_folder};
use testkit::{has_event, last_event, prop_int, prop_str, says, task_fault, wait_task};

fn cluster(sim: &vcsim::Simulator) -> MoRef {
    sim.find("ClusterComputeResource", "DC0_C0")
        .expect("DC0_C0")
}

/// A property of a subtype's field (`configurationEx.drsConfig...` is
/// `ClusterConfigInfoEx`'s, not the declared `ComputeResourceConfigInfo`'s):
/// read the whole property and walk inside it.
fn sub(sim: &vcsim::Simulator, m: &MoRef, path: &str) -> Option<Value> {
    let (top, rest) = path.split_once('.')?;
    sim.property(m, top)?.as_data()?.path(rest).cloned()
}

fn sub_int(sim: &vcsim::Simulator, m: &MoRef, path: &str) -> Option<i64> {
    sub(sim, m, path).and_then(|v| v.as_i64())
}

fn sub_str(sim: &vcsim::Simulator, m: &MoRef, path: &str) -> String {
    sub(sim, m, path)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn hosts(sim: &vcsim::Simulator, cr: &MoRef) -> Vec<MoRef> {
    sim.property(cr, "host")
        .map(|l| {
            l.as_array()
                .iter()
                .filter_map(|m| m.as_moref().cloned())
                .collect()
        })
        .unwrap_or_default()
}

async fn reconfigure(sim: &vcsim::Simulator, c: &Client, cr: &MoRef, drs: Data) -> Data {
    let spec = Data::new("ClusterConfigSpecEx").with("drsConfig", drs);
    let t = c
        .ok(Request::new("ReconfigureComputeResource_Task", cr)
            .arg("spec", spec)
            .arg("modify", true))
        .await;
    wait_task(sim, &t).await
}

/// Three powered-on 1 GiB VMs on the first host of the cluster.
async fn crowd_first_host(sim: &vcsim::Simulator, c: &Client, cr: &MoRef) -> MoRef {
    let h0 = hosts(sim, cr)[0].clone();
    for i in 0..3 {
        let config = Data::new("VirtualMachineConfigSpec")
            .with("name", format!("big-{i}"))
            .with("memoryMB", 1024i64)
            .with(
                "files",
                Data::new("VirtualMachineFileInfo").with("vmPathName", "[LocalDS_0]"),
            );
        let t = c
            .ok(Request::new("CreateVM_Task", &vm_folder(sim))
                .arg("config", config)
                .arg("pool", cluster_pool(sim))
                .arg("host", &h0))
            .await;
        let info = wait_task(sim, &t).await;
        let v = info
            .get("result")
            .and_then(Value::as_moref)
            .cloned()
            .expect("new VM");
        assert_eq!(
            task_fault(&wait_task(sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await),
            ""
        );
    }
    h0
}

fn recommendations(sim: &vcsim::Simulator, cr: &MoRef) -> Vec<Data> {
    sim.property(cr, "recommendation")
        .map(|l| {
            l.as_array()
                .iter()
                .filter_map(|r| r.as_data().cloned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn issue_13_cluster_summary_adds_up_its_hosts_and_follows_maintenance() {
    let (sim, _c) = logged_in().await;
    let cr = cluster(&sim);
    let hs = hosts(&sim, &cr);
    assert_eq!(hs.len(), 3);
    let per = |h: &MoRef| {
        (
            prop_int(&sim, h, "summary.hardware.cpuMhz").unwrap_or(0)
                * prop_int(&sim, h, "summary.hardware.numCpuCores").unwrap_or(0),
            prop_int(&sim, h, "summary.hardware.memorySize").unwrap_or(0),
        )
    };
    let cpu: i64 = hs.iter().map(|h| per(h).0).sum();
    let mem: i64 = hs.iter().map(|h| per(h).1).sum();
    assert!(cpu > 0 && mem > 0);
    assert_eq!(prop_int(&sim, &cr, "summary.totalCpu"), Some(cpu));
    assert_eq!(prop_int(&sim, &cr, "summary.totalMemory"), Some(mem));
    assert_eq!(prop_int(&sim, &cr, "summary.effectiveCpu"), Some(cpu));
    assert_eq!(
        prop_int(&sim, &cr, "summary.effectiveMemory"),
        Some(mem >> 20)
    );
    assert_eq!(prop_int(&sim, &cr, "summary.numEffectiveHosts"), Some(3));
    assert_eq!(sub_int(&sim, &cr, "summary.currentFailoverLevel"), Some(1));
    assert_eq!(
        sub_int(
            &sim,
            &cr,
            "summary.admissionControlInfo.currentFailoverLevel"
        ),
        Some(1)
    );
    sim.set_property(&hs[2], "runtime.inMaintenanceMode", Value::Bool(true))
        .expect("maintenance");
    assert_eq!(
        prop_int(&sim, &cr, "summary.totalCpu"),
        Some(cpu),
        "totals keep every host"
    );
    assert_eq!(
        prop_int(&sim, &cr, "summary.effectiveCpu"),
        Some(cpu - per(&hs[2]).0)
    );
    assert_eq!(
        prop_int(&sim, &cr, "summary.effectiveMemory"),
        Some((mem - per(&hs[2]).1) >> 20)
    );
    assert_eq!(prop_int(&sim, &cr, "summary.numEffectiveHosts"), Some(2));
    // The standalone host's compute resource adds up its one host.
    let cr0 = sim.find("ComputeResource", "DC0_H0").expect("DC0_H0");
    let h = sim.find("HostSystem", "DC0_H0").expect("host");
    assert_eq!(prop_int(&sim, &cr0, "summary.totalCpu"), Some(per(&h).0));
}

#[tokio::test]
async fn issue_13_configuration_ex_has_drs_and_ha_and_reconfigure_merges() {
    let (sim, c) = logged_in().await;
    let cr = cluster(&sim);
    assert_eq!(
        sub(&sim, &cr, "configurationEx.drsConfig.enabled").and_then(|v| v.as_bool()),
        Some(true)
    );
    assert_eq!(
        sub_str(&sim, &cr, "configurationEx.drsConfig.defaultVmBehavior"),
        "fullyAutomated"
    );
    assert_eq!(
        sub_int(&sim, &cr, "configurationEx.drsConfig.vmotionRate"),
        Some(3)
    );
    assert_eq!(
        sub(
            &sim,
            &cr,
            "configurationEx.dasConfig.admissionControlEnabled"
        )
        .and_then(|v| v.as_bool()),
        Some(true)
    );
    let drs = Data::new("ClusterDrsConfigInfo")
        .with("defaultVmBehavior", "manual")
        .with("vmotionRate", 2);
    assert_eq!(task_fault(&reconfigure(&sim, &c, &cr, drs).await), "");
    assert_eq!(
        sub_str(&sim, &cr, "configurationEx.drsConfig.defaultVmBehavior"),
        "manual"
    );
    assert_eq!(
        sub_int(&sim, &cr, "configurationEx.drsConfig.vmotionRate"),
        Some(2)
    );
    assert_eq!(
        sub(&sim, &cr, "configurationEx.drsConfig.enabled").and_then(|v| v.as_bool()),
        Some(true),
        "modify keeps what the spec leaves out"
    );
    let das = Data::new("ClusterConfigSpecEx").with(
        "dasConfig",
        Data::new("ClusterDasConfigInfo")
            .with("enabled", false)
            .with("admissionControlEnabled", false),
    );
    let t = c
        .ok(Request::new("ReconfigureComputeResource_Task", &cr)
            .arg("spec", das)
            .arg("modify", true))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_eq!(
        sub(
            &sim,
            &cr,
            "configurationEx.dasConfig.admissionControlEnabled"
        )
        .and_then(|v| v.as_bool()),
        Some(false)
    );
    assert_eq!(
        sub_int(&sim, &cr, "summary.currentFailoverLevel"),
        Some(0),
        "no HA, no failover"
    );
    assert!(sub(&sim, &cr, "summary.admissionControlInfo").is_none());
}

#[tokio::test]
async fn issue_13_bad_drs_settings_and_drs_on_a_standalone_host_are_refused() {
    let (sim, c) = logged_in().await;
    let cr = cluster(&sim);
    let spec = Data::new("ClusterConfigSpecEx").with(
        "drsConfig",
        Data::new("ClusterDrsConfigInfo").with("vmotionRate", 9),
    );
    let r = c
        .check(
            Request::new("ReconfigureComputeResource_Task", &cr)
                .arg("spec", spec)
                .arg("modify", true),
        )
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    if let Err(f) = &r {
        says(&f.to_string(), &["vMotion rate", "between 1 and 5", "9"]);
    }
    assert_eq!(
        sub_int(&sim, &cr, "configurationEx.drsConfig.vmotionRate"),
        Some(3)
    );
    let cr0 = sim.find("ComputeResource", "DC0_H0").expect("DC0_H0");
    let info = reconfigure(
        &sim,
        &c,
        &cr0,
        Data::new("ClusterDrsConfigInfo").with("enabled", true),
    )
    .await;
    assert_eq!(task_fault(&info), "NotSupported");
    let r = c
        .check(Request::new("ApplyRecommendation", &cr).arg("key", "nope"))
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    if let Err(f) = &r {
        says(&f.to_string(), &["DC0_C0", "no recommendation", "nope"]);
    }
}

#[tokio::test]
async fn issue_13_an_unbalanced_manual_cluster_gets_recommendations_that_apply() {
    let (sim, c) = logged_in().await;
    let cr = cluster(&sim);
    let manual = Data::new("ClusterDrsConfigInfo").with("defaultVmBehavior", "manual");
    assert_eq!(task_fault(&reconfigure(&sim, &c, &cr, manual).await), "");
    c.ok(Request::new("RefreshRecommendation", &cr)).await;
    assert!(
        recommendations(&sim, &cr).is_empty(),
        "the default cluster is balanced"
    );
    let h0 = crowd_first_host(&sim, &c, &cr).await;
    c.ok(Request::new("RefreshRecommendation", &cr)).await;
    let recs = recommendations(&sim, &cr);
    assert!(
        !recs.is_empty(),
        "an unbalanced cluster gets recommendations"
    );
    let balance = sub_int(&sim, &cr, "summary.currentBalance").expect("balance");
    assert!(balance > sub_int(&sim, &cr, "summary.targetBalance").expect("target"));
    let first = &recs[0];
    let mig = first
        .path("action")
        .map(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_data)
        .expect("action");
    let vm = mig
        .path("drsMigration.vm")
        .and_then(Value::as_moref)
        .cloned()
        .expect("vm");
    let to = mig
        .path("drsMigration.destination")
        .and_then(Value::as_moref)
        .cloned()
        .expect("destination");
    assert_eq!(
        mig.path("drsMigration.source").and_then(Value::as_moref),
        Some(&h0)
    );
    assert_ne!(to, h0);
    let key = first
        .get("key")
        .and_then(Value::as_str)
        .expect("key")
        .to_string();
    c.ok(Request::new("ApplyRecommendation", &cr).arg("key", key.as_str()))
        .await;
    assert_eq!(
        sim.property(&vm, "runtime.host")
            .and_then(|h| h.as_moref().cloned()),
        Some(to)
    );
    assert_eq!(recommendations(&sim, &cr).len(), recs.len() - 1);
    assert_eq!(sub_int(&sim, &cr, "summary.numVmotions"), Some(1));
    says(
        &last_event(&sim, "DrsVmMigratedEvent").expect("event"),
        &["Migrating", "DC0_C0"],
    );
    assert!(sub_int(&sim, &cr, "summary.currentBalance").expect("balance") < balance);
}

#[tokio::test]
async fn issue_13_a_fully_automated_cluster_balances_itself_on_refresh() {
    let (sim, c) = logged_in().await;
    let cr = cluster(&sim);
    let h0 = crowd_first_host(&sim, &c, &cr).await;
    let on_h0 = |sim: &vcsim::Simulator| {
        sim.property(&h0, "vm")
            .map(|l| {
                l.as_array()
                    .iter()
                    .filter_map(|v| v.as_moref().cloned())
                    .filter(|v| prop_str(sim, v, "runtime.powerState") == "poweredOn")
                    .count()
            })
            .unwrap_or(0)
    };
    let before = on_h0(&sim);
    c.ok(Request::new("RefreshRecommendation", &cr)).await;
    assert!(recommendations(&sim, &cr).is_empty(), "applied, not listed");
    assert!(on_h0(&sim) < before, "VMs left the crowded host");
    assert!(has_event(&sim, "DrsVmMigratedEvent"));
    assert!(
        sub_int(&sim, &cr, "summary.currentBalance") <= sub_int(&sim, &cr, "summary.targetBalance")
    );
}
