//! vcenter_ops, clusters: list_clusters against the simulator's cluster
//! summaries and configuration, get_drs_recommendations against the
//! recommendations an unbalanced manual DRS cluster gets.

use serde_json::json;
use testkit::{has_result_keys as has_keys, prop, prop_int, prop_str};
use vim25::{Data, MoRef, Request, Value};

use crate::folders_templates::{fails, ok};
use crate::{Env, env, says};

const CLUSTER: &str = "DC0_C0";

fn cluster(e: &Env) -> MoRef {
    e.sim.find("ClusterComputeResource", CLUSTER).unwrap()
}

#[tokio::test]
async fn list_clusters_is_the_simulators_summary_and_configuration() {
    let e = env().await;
    let cr = cluster(&e);
    let r = ok(&e, "list_clusters", json!({})).await;
    let rows = r.as_array().unwrap();
    assert_eq!(rows.len(), e.sim.objects("ClusterComputeResource").len());
    let row = rows.iter().find(|x| x["name"] == CLUSTER).unwrap();
    has_keys("list_clusters", row);
    let hosts = prop(&e.sim, &cr, "host").unwrap().as_array().len();
    assert_eq!(row["host_count"], hosts);
    assert_eq!(
        row["total_cpu_mhz"].as_i64(),
        prop_int(&e.sim, &cr, "summary.totalCpu")
    );
    assert_eq!(
        row["effective_cpu_mhz"].as_i64(),
        prop_int(&e.sim, &cr, "summary.effectiveCpu")
    );
    let total_gb =
        prop_int(&e.sim, &cr, "summary.totalMemory").unwrap() as f64 / (1u64 << 30) as f64;
    assert!((row["total_memory_gb"].as_f64().unwrap() - total_gb).abs() < 0.01);
    let eff_gb = prop_int(&e.sim, &cr, "summary.effectiveMemory").unwrap() as f64 / 1024.0;
    assert!((row["effective_memory_gb"].as_f64().unwrap() - eff_gb).abs() < 0.01);
    let cfg = prop(&e.sim, &cr, "configurationEx").unwrap();
    let cfg = cfg.as_data().unwrap();
    let at = |p: &str| cfg.path(p).cloned();
    let drs = at("drsConfig.enabled").and_then(|v| v.as_bool());
    assert_eq!(row["drs"]["enabled"].as_bool(), Some(drs.unwrap_or(false)));
    assert_eq!(
        row["drs"]["behavior"].as_str(),
        at("drsConfig.defaultVmBehavior")
            .as_ref()
            .and_then(Value::as_str)
    );
    let ha = at("dasConfig.enabled").and_then(|v| v.as_bool());
    assert_eq!(row["ha"]["enabled"].as_bool(), Some(ha.unwrap_or(false)));
    assert_eq!(
        row["ha"]["admission_control"].as_bool(),
        at("dasConfig.admissionControlEnabled").and_then(|v| v.as_bool())
    );
}

/// Manual DRS, and three big powered-on VMs on the cluster's first host:
/// the simulator's DRS then recommends moving some away.
async fn unbalance(e: &Env) -> MoRef {
    let c = &e.ctx.client;
    let cr = cluster(e);
    let spec = Data::new("ClusterConfigSpecEx").with(
        "drsConfig",
        Data::new("ClusterDrsConfigInfo").with("defaultVmBehavior", "manual"),
    );
    c.run_task(
        &Request::new("ReconfigureComputeResource_Task", &cr)
            .arg("spec", spec)
            .arg("modify", true),
    )
    .await
    .unwrap();
    let h0 = prop(&e.sim, &cr, "host").unwrap().as_array()[0]
        .as_moref()
        .unwrap()
        .clone();
    let pool = prop(&e.sim, &cr, "resourcePool")
        .and_then(|v| v.as_moref().cloned())
        .unwrap();
    let dc = e.sim.find("Datacenter", "DC0").unwrap();
    let folder = prop(&e.sim, &dc, "vmFolder")
        .and_then(|v| v.as_moref().cloned())
        .unwrap();
    for i in 0..3 {
        let config = Data::new("VirtualMachineConfigSpec")
            .with("name", format!("big-{i}"))
            .with("memoryMB", 1024i64)
            .with(
                "files",
                Data::new("VirtualMachineFileInfo").with("vmPathName", "[LocalDS_0]"),
            );
        c.run_task(
            &Request::new("CreateVM_Task", &folder)
                .arg("config", config)
                .arg("pool", &pool)
                .arg("host", &h0),
        )
        .await
        .unwrap();
        e.ok("power_on", json!({"name": format!("big-{i}")})).await;
    }
    c.invoke(&Request::new("RefreshRecommendation", &cr))
        .await
        .unwrap();
    h0
}

#[tokio::test]
async fn get_drs_recommendations_lists_the_simulators_recommendations() {
    let e = env().await;
    let r = ok(
        &e,
        "get_drs_recommendations",
        json!({"cluster_name": CLUSTER}),
    )
    .await;
    assert_eq!(r, json!([]), "the default cluster is balanced");
    let h0 = unbalance(&e).await;
    let cr = cluster(&e);
    let sim_recs: Vec<Data> = prop(&e.sim, &cr, "recommendation")
        .map(|l| {
            l.as_array()
                .iter()
                .filter_map(|x| x.as_data().cloned())
                .collect()
        })
        .unwrap_or_default();
    assert!(!sim_recs.is_empty());
    let r = ok(
        &e,
        "get_drs_recommendations",
        json!({"cluster_name": CLUSTER}),
    )
    .await;
    let rows = r.as_array().unwrap();
    assert_eq!(rows.len(), sim_recs.len());
    for (row, rec) in rows.iter().zip(&sim_recs) {
        has_keys("get_drs_recommendations", row);
        assert_eq!(row["key"].as_str(), rec.get("key").and_then(Value::as_str));
        let action = &row["actions"][0];
        let mig = rec.path("action").unwrap().as_array()[0].as_data().unwrap();
        let name = |p: &str| {
            let m = mig.path(p).and_then(Value::as_moref).unwrap();
            prop_str(&e.sim, m, "name")
        };
        assert_eq!(action["vm"], name("drsMigration.vm"));
        assert_eq!(action["source"], prop_str(&e.sim, &h0, "name"));
        assert_eq!(action["destination"], name("drsMigration.destination"));
        assert_ne!(action["destination"], action["source"]);
    }
    let listed = ok(&e, "list_clusters", json!({})).await;
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == CLUSTER)
        .cloned()
        .unwrap();
    assert_eq!(row["recommendation_count"], sim_recs.len());
    assert_eq!(row["drs"]["behavior"], "manual");
}

#[tokio::test]
async fn get_drs_recommendations_names_the_clusters_for_an_unknown_one() {
    let e = env().await;
    let msg = fails(
        &e,
        "get_drs_recommendations",
        json!({"cluster_name": "no-such-cluster"}),
    )
    .await;
    says(&msg, &["Cluster 'no-such-cluster' not found", CLUSTER]);
}
