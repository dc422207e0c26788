//! RBAC: the permission table against the contract, the group matrix through
//! the real rmcp handler (`tools/list`, `tools/call`, `resources/read`), the
//! role for callers without identity, and effects in the simulator.
//! Expectations come from the contract fixture, never from `rbac::TABLE`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use mcvsphere::audit::AuditLog;
use mcvsphere::identity::Identity;
use mcvsphere::mcp::App;
use mcvsphere::rbac::{self, Policy};
use mcvsphere::tools::{self, Defaults, Permission};
use serde_json::{Value as Json, json};

use crate::mcp_http::{Buf, Session, connect, identity};

const VM: &str = "DC0_H0_VM0";

/// The contract: tool → level name, group → level names.
struct Contract {
    tools: BTreeMap<String, String>,
    groups: BTreeMap<String, Vec<String>>,
}

fn contract() -> Contract {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/spec/tools.json");
    let spec: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let tools = spec["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let name = t["name"].as_str().unwrap().to_string();
            (name, t["permission"].as_str().unwrap().to_string())
        })
        .collect();
    let groups = spec["groups"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(g, ls)| {
            let ls = ls.as_array().unwrap();
            (
                g.clone(),
                ls.iter().map(|l| l.as_str().unwrap().to_string()).collect(),
            )
        })
        .collect();
    Contract { tools, groups }
}

impl Contract {
    /// Level names granted by contract groups `groups` (unknown ones grant nothing).
    fn levels(&self, groups: &[&str]) -> BTreeSet<String> {
        groups
            .iter()
            .filter_map(|g| self.groups.get(*g))
            .flatten()
            .cloned()
            .collect()
    }

    fn allowed(&self, levels: &BTreeSet<String>, tool: &str) -> bool {
        levels.contains(&self.tools[tool])
    }
}

fn ctx(sim: &vcsim::Simulator, policy: Policy, audit: AuditLog) -> App {
    let client = mcvsphere::vsphere::Client::new(&crate::settings(sim, crate::PASSWORD)).unwrap();
    let mut state = crate::state(
        client,
        Defaults {
            network: "VM Network".into(),
            ..Default::default()
        },
    );
    state.rbac = policy;
    state.audit = audit;
    Arc::new(state)
}

fn policy(map: &[(&str, &str)]) -> Policy {
    // full_admin for identity-less callers: proves callers with an identity
    // never fall back to the role.
    let map = map
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    Policy::new(Permission::FullAdmin, map, true)
}

fn registered() -> Vec<&'static str> {
    tools::registry().iter().map(|t| t.name).collect()
}

#[test]
fn the_table_matches_the_contract_both_ways() {
    let c = contract();
    assert_eq!(c.tools.len(), 94);
    for (tool, level) in &c.tools {
        let got = rbac::required(tool).unwrap_or_else(|| panic!("{tool} has no row"));
        assert_eq!(got.as_str(), level, "{tool}");
    }
    let mut seen = BTreeSet::new();
    for (tool, _) in rbac::TABLE {
        assert!(c.tools.contains_key(*tool), "{tool} is not a contract tool");
        assert!(seen.insert(*tool), "{tool} has two rows");
    }
    let levels: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
    let spec: Json = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/spec/tools.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(json!(levels), spec["permission_levels"]);
}

#[test]
fn every_registered_tool_has_a_row_and_reports_it() {
    for t in tools::registry() {
        let level = rbac::required(t.name)
            .unwrap_or_else(|| panic!("{} is registered without an RBAC table row", t.name));
        assert_eq!(t.permission(), Some(level));
        assert_eq!(t.describe()["permission"], level.as_str());
    }
}

#[test]
fn the_groups_are_the_contracts() {
    let c = contract();
    assert_eq!(rbac::GROUPS.len(), c.groups.len());
    for (g, levels) in rbac::GROUPS {
        let mine: Vec<&str> = levels.iter().map(|p| p.as_str()).collect();
        assert_eq!(c.groups[*g], mine, "{g}");
    }
}

/// One caller in the matrix: its groups, the group map in force, and the
/// contract groups those groups stand for.
struct Case {
    label: &'static str,
    groups: Vec<&'static str>,
    map: Vec<(&'static str, &'static str)>,
    contract_groups: Vec<&'static str>,
}

fn cases(c: &Contract) -> Vec<Case> {
    let mut out: Vec<Case> = c
        .groups
        .keys()
        .map(|g| {
            let g: &'static str = Box::leak(g.clone().into_boxed_str());
            Case {
                label: g,
                groups: vec![g],
                map: vec![],
                contract_groups: vec![g],
            }
        })
        .collect();
    out.push(Case {
        label: "no groups",
        groups: vec![],
        map: vec![],
        contract_groups: vec![],
    });
    out.push(Case {
        label: "unknown groups",
        groups: vec!["contractors", "vsphere-admin", "VSPHERE-SUPER-ADMINS"],
        map: vec![],
        contract_groups: vec![],
    });
    out.push(Case {
        label: "mapped group",
        groups: vec!["corp-vm-ops"],
        map: vec![("corp-vm-ops", "vsphere-operators")],
        contract_groups: vec!["vsphere-operators"],
    });
    // Higher group first: a "last group wins" bug would leave only read_only.
    out.push(Case {
        label: "union of two groups",
        groups: vec!["vsphere-host-admins", "corp-ro"],
        map: vec![("corp-ro", "vsphere-readers")],
        contract_groups: vec!["vsphere-host-admins", "vsphere-readers"],
    });
    out
}

#[tokio::test]
async fn the_group_matrix_over_mcp() {
    let c = contract();
    let sim = crate::sim().await;
    let vms_before = sim.objects("VirtualMachine").len();
    let all = registered();
    for case in cases(&c) {
        let audit = Buf::default();
        let ctx = ctx(&sim, policy(&case.map), AuditLog::to_writer(audit.clone()));
        let who: Identity = identity("matrix-user", &case.groups);
        let s: Session = connect(ctx, Some(who)).await;
        let levels = c.levels(&case.contract_groups);
        let label = case.label;

        let listed: BTreeSet<String> = s.tool_names().await.into_iter().collect();
        let expected: BTreeSet<String> = all
            .iter()
            .filter(|t| c.allowed(&levels, t))
            .map(|t| t.to_string())
            .collect();
        assert_eq!(listed, expected, "tools/list for {label}");

        for tool in &all {
            // No arguments: tools with a required argument stop at argument
            // checking, so allowed calls change nothing in the simulator.
            let r = s.call(tool, json!({})).await;
            let denied = r.text.starts_with("Permission denied");
            if c.allowed(&levels, tool) {
                assert!(!denied, "{label} may call {tool}: {}", r.text);
            } else {
                assert!(r.is_error && denied, "{label} must not call {tool}: {r:?}");
                let level = &c.tools[*tool];
                crate::says(&r.text, &[tool, &format!("requires the {level} level")]);
                for g in &case.groups {
                    crate::says(&r.text, &[g]);
                }
            }
            let rec = audit.records().into_iter().last().unwrap();
            assert_eq!(rec["tool"], *tool);
            assert_eq!(rec["request_id"], r.id.to_string());
            let want = if c.allowed(&levels, tool) {
                ["ok", "error"].contains(&rec["outcome"].as_str().unwrap())
            } else {
                rec["outcome"] == "denied"
            };
            assert!(want, "{label} {tool}: {rec}");
        }

        let (_, r) = s
            .request("resources/read", json!({"uri": "esxi://vms"}))
            .await;
        if levels.contains("read_only") {
            assert!(r["result"]["contents"].is_array(), "{label}: {r}");
        } else {
            let msg = r["error"]["message"].as_str().unwrap_or_default();
            crate::says(msg, &["Permission denied", "read_only"]);
            let (_, l) = s.request("resources/list", json!({})).await;
            assert_eq!(l["result"]["resources"], json!([]), "{label}: {l}");
        }
    }
    assert_eq!(sim.objects("VirtualMachine").len(), vms_before);
    assert_eq!(sim_power(&sim, VM), "poweredOn");
    sim.shutdown().await;
}

fn sim_power(sim: &vcsim::Simulator, vm: &str) -> String {
    let m = sim.find("VirtualMachine", vm).unwrap();
    sim.property(&m, "runtime.powerState")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap()
}

#[tokio::test]
async fn allowed_calls_take_effect_and_denied_ones_do_not() {
    let sim = crate::sim().await;
    let connect_as = |groups: &'static [&'static str]| {
        let ctx = ctx(&sim, policy(&[]), AuditLog::discard());
        connect(ctx, Some(identity("effects", groups)))
    };
    let reader = connect_as(&["vsphere-readers"]).await;
    let operator = connect_as(&["vsphere-operators"]).await;
    let admin = connect_as(&["vsphere-admins"]).await;

    let r = reader.call("power_off", json!({"name": VM})).await;
    crate::says(
        &r.text,
        &["Permission denied", "power_ops", "vsphere-readers"],
    );
    assert_eq!(sim_power(&sim, VM), "poweredOn");

    let r = operator.call("power_off", json!({"name": VM})).await;
    assert!(!r.is_error, "{r:?}");
    assert_eq!(sim_power(&sim, VM), "poweredOff");

    let r = operator.call("delete_vm", json!({"name": VM})).await;
    crate::says(&r.text, &["Permission denied", "vm_lifecycle"]);
    assert!(sim.find("VirtualMachine", VM).is_some());

    let r = admin
        .call(
            "rename_vm",
            json!({"name": VM, "new_name": "renamed-by-admin"}),
        )
        .await;
    assert!(!r.is_error, "{r:?}");
    assert!(sim.find("VirtualMachine", "renamed-by-admin").is_some());
    assert!(sim.find("VirtualMachine", VM).is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn without_filtering_everything_is_listed_but_calls_are_still_checked() {
    let sim = crate::sim().await;
    let p = Policy::new(Permission::FullAdmin, vec![], false);
    let s = connect(
        ctx(&sim, p, AuditLog::discard()),
        Some(identity("nofilter", &["vsphere-readers"])),
    )
    .await;
    let mut listed = s.tool_names().await;
    let mut all: Vec<String> = registered().into_iter().map(String::from).collect();
    listed.sort();
    all.sort();
    assert_eq!(listed, all);
    let r = s.call("power_off", json!({"name": VM})).await;
    crate::says(&r.text, &["Permission denied", "power_ops"]);
    assert_eq!(sim_power(&sim, VM), "poweredOn");
    sim.shutdown().await;
}

#[tokio::test]
async fn callers_without_identity_get_the_role_and_what_is_below_it() {
    let c = contract();
    let sim = crate::sim().await;
    let ro = connect(
        ctx(
            &sim,
            Policy::new(Permission::ReadOnly, vec![], true),
            AuditLog::discard(),
        ),
        None,
    )
    .await;
    let listed: BTreeSet<String> = ro.tool_names().await.into_iter().collect();
    let expected: BTreeSet<String> = registered()
        .into_iter()
        .filter(|t| c.tools[*t] == "read_only")
        .map(String::from)
        .collect();
    assert_eq!(listed, expected);
    let r = ro.call("power_off", json!({"name": VM})).await;
    crate::says(
        &r.text,
        &[
            "Permission denied",
            "power_ops",
            "read_only",
            "MCVSPHERE_ROLE",
        ],
    );
    assert_eq!(sim_power(&sim, VM), "poweredOn");

    let ops = connect(
        ctx(
            &sim,
            Policy::new(Permission::PowerOps, vec![], true),
            AuditLog::discard(),
        ),
        None,
    )
    .await;
    let r = ops.call("power_off", json!({"name": VM})).await;
    assert!(!r.is_error, "{r:?}");
    assert_eq!(sim_power(&sim, VM), "poweredOff");
    let r = ops.call("delete_vm", json!({"name": VM})).await;
    crate::says(&r.text, &["Permission denied", "vm_lifecycle"]);
    assert!(sim.find("VirtualMachine", VM).is_some());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_registered_tool_without_a_row_is_hidden_and_denied_even_to_super_admins() {
    static PARTIAL: &[(&str, Permission)] = &[("list_vms", Permission::ReadOnly)];
    let sim = crate::sim().await;
    let audit = Buf::default();
    let p = policy(&[]).with_table(PARTIAL);
    let s = connect(
        ctx(&sim, p, AuditLog::to_writer(audit.clone())),
        Some(identity("root", &["vsphere-super-admins"])),
    )
    .await;
    assert_eq!(s.tool_names().await, vec!["list_vms".to_string()]);
    let r = s.call("power_off", json!({"name": VM})).await;
    assert!(r.is_error);
    crate::says(&r.text, &["Permission denied", "power_off", "no one"]);
    assert_eq!(sim_power(&sim, VM), "poweredOn");
    assert_eq!(audit.records().last().unwrap()["outcome"], "denied");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unknown_tool_is_a_clear_protocol_error() {
    let sim = crate::sim().await;
    let s = connect(
        ctx(&sim, policy(&[]), AuditLog::discard()),
        Some(identity("u", &["vsphere-super-admins"])),
    )
    .await;
    let (_, r) = s
        .request(
            "tools/call",
            json!({"name": "no_such_tool", "arguments": {}}),
        )
        .await;
    crate::says(
        r["error"]["message"].as_str().unwrap_or_default(),
        &["Unknown tool 'no_such_tool'"],
    );
    sim.shutdown().await;
}
