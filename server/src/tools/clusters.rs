//! vcenter_ops, clusters: list_clusters and get_drs_recommendations, both
//! reads of `ClusterComputeResource` (summary, configurationEx and the
//! pending `recommendation` list); the objects a recommendation names are
//! resolved to names in one more read.

use std::collections::HashMap;

use serde_json::{Value as Json, json};
use vim25::{Data, MoRef, Value};

use super::typed::{NoArgs, tool_args};
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, inventory, run};
use crate::error::ToolError;
use crate::views;
use crate::vsphere::NAME;

tool_args! {
    pub struct ClusterArgs {
        cluster_name: name, "Name of the cluster.";
    }
}

pub const LIST_CLUSTERS: ToolDef = ToolDef {
    name: "list_clusters",
    title: "List clusters",
    description: "Every cluster with host_count, total_cpu_mhz and total_memory_gb (what its \
        hosts have), effective_cpu_mhz and effective_memory_gb (what is available to VMs), \
        drs (enabled, behavior, vmotion_rate) and ha (enabled, admission_control, \
        host_monitoring), and how many DRS recommendations are pending. Sorted by name.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example::args("{}"),
    failure: Failure::Unreachable {
        expect: &["cannot reach vCenter"],
    },
    run: run!(list_clusters, NoArgs),
};

pub const GET_DRS_RECOMMENDATIONS: ToolDef = ToolDef {
    name: "get_drs_recommendations",
    title: "Get DRS recommendations",
    description: "The DRS recommendations a cluster has pending (an empty list when it is \
        balanced or DRS is off): key, type, target, rating (1-5, 5 the most important), \
        reason, reason_text, time and actions (each with type, vm, source and destination \
        host where the action moves a VM). Fails for an unknown cluster, listing the clusters.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example::args(r#"{"cluster_name":"DC0_C0"}"#),
    failure: Failure::Args {
        args: r#"{"cluster_name":"no-such-cluster"}"#,
        expect: &["Cluster 'no-such-cluster' not found", "DC0_C0"],
    },
    run: run!(get_drs_recommendations, ClusterArgs),
};

async fn list_clusters(ctx: Ctx, _: NoArgs) -> Result<Output, ToolError> {
    let mut all = ctx
        .client
        .list("ClusterComputeResource", &views::cluster::DETAIL)
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?;
    all.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(Output::Json(Json::Array(
        all.iter().map(views::cluster::detail_json).collect(),
    )))
}

fn moref_at(d: &Data, path: &str) -> Option<MoRef> {
    d.path(path).and_then(Value::as_moref).cloned()
}

/// The objects an action names: (role, object).
fn action_refs(a: &Data) -> Vec<(&'static str, MoRef)> {
    let mut out = vec![];
    let mut push = |role, m: Option<MoRef>| {
        if let Some(m) = m {
            out.push((role, m));
        }
    };
    push("target", moref_at(a, "target"));
    push("vm", moref_at(a, "drsMigration.vm"));
    push("vm", moref_at(a, "vm"));
    push("source", moref_at(a, "drsMigration.source"));
    push("destination", moref_at(a, "drsMigration.destination"));
    push("destination", moref_at(a, "targetHost"));
    out
}

async fn get_drs_recommendations(ctx: Ctx, args: ClusterArgs) -> Result<Output, ToolError> {
    let set = &views::cluster::DETAIL;
    let name = &args.cluster_name;
    let c = inventory::find_named(&ctx, "ClusterComputeResource", "Cluster", name, set).await?;
    let recs: Vec<Data> = c
        .get("recommendation")
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(Value::as_data)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let mut refs: Vec<MoRef> = vec![];
    for r in &recs {
        refs.extend(moref_at(r, "target"));
        for a in r.get("action").map(Value::as_array).unwrap_or(&[]) {
            if let Some(a) = a.as_data() {
                refs.extend(action_refs(a).into_iter().map(|(_, m)| m));
            }
        }
    }
    refs.sort_by(|a, b| (&a.kind, &a.value).cmp(&(&b.kind, &b.value)));
    refs.dedup();
    let names: HashMap<MoRef, String> = if refs.is_empty() {
        HashMap::new()
    } else {
        ctx.client
            .properties_of(&refs, &NAME)
            .await
            .map_err(|e| ToolError::vsphere(&e, Some(name)))?
            .into_iter()
            .map(|o| (o.moref.clone(), o.name().to_string()))
            .collect()
    };
    let name_of = |m: &MoRef| names.get(m).cloned().unwrap_or_else(|| m.value.to_string());
    let s = |d: &Data, f: &str| d.get(f).and_then(Value::as_str).map(str::to_string);
    let rows = recs
        .iter()
        .map(|r| {
            let actions: Vec<Json> = r
                .get("action")
                .map(Value::as_array)
                .unwrap_or(&[])
                .iter()
                .filter_map(Value::as_data)
                .map(|a| {
                    let mut o = json!({"type": s(a, "type")});
                    for (role, m) in action_refs(a) {
                        o[role] = json!(name_of(&m));
                    }
                    o
                })
                .collect();
            json!({
                "key": s(r, "key"),
                "type": s(r, "type"),
                "target": moref_at(r, "target").map(|m| name_of(&m)).or_else(|| Some(args.cluster_name.clone())),
                "rating": r.get("rating").and_then(Value::as_i64),
                "reason": s(r, "reason"),
                "reason_text": s(r, "reasonText"),
                "time": s(r, "time"),
                "actions": actions,
            })
        })
        .collect();
    Ok(Output::Json(Json::Array(rows)))
}
