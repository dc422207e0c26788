//! RBAC and audit through the real binary on stdio: `MCVSPHERE_ROLE` limits
//! what a caller without identity sees and may call; `AUDIT_LOG` gets one
//! line per call with no secret in it.

use std::collections::BTreeSet;

use conformance::{Harness, SIM_PASSWORD, Transport};
use serde_json::{Value as Json, json};

use crate::says;

const VM: &str = "DC0_H0_VM0";

async fn start(env: &[(&str, &str)]) -> Harness {
    conformance::init_tls();
    match Harness::start(Transport::Stdio, env).await {
        Ok(h) => h,
        Err(e) => panic!("starting simulator + server: {e:#}"),
    }
}

#[tokio::test]
async fn a_read_only_role_lists_only_read_only_tools_and_cannot_power_off() {
    let h = start(&[("MCVSPHERE_ROLE", "read_only")]).await;
    let contract = conformance::contract::load().unwrap();
    let listed: BTreeSet<String> = h.tool_names().await.unwrap();
    assert!(!listed.is_empty());
    for name in &listed {
        let t = contract.tools.iter().find(|t| &t.name == name).unwrap();
        assert_eq!(
            t.permission, "read_only",
            "{name} listed to a read_only role"
        );
    }
    for must in ["list_vms", "get_vm_info"] {
        assert!(listed.contains(must), "{must} missing from {listed:?}");
    }

    assert_eq!(h.power_state(VM), "poweredOn");
    let msg = h.fails("power_off", json!({"name": VM})).await;
    says(
        &msg,
        &["Permission denied", "power_off", "power_ops", "read_only"],
    );
    assert_eq!(h.power_state(VM), "poweredOn");
    let out = h.ok("get_vm_info", json!({"name": VM})).await;
    assert!(out.text.contains(VM), "{}", out.text);
    h.shutdown().await;
}

#[tokio::test]
async fn the_audit_log_gets_one_line_per_call_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let path_s = path.to_str().unwrap().to_string();
    let h = start(&[("MCVSPHERE_ROLE", "power_ops"), ("AUDIT_LOG", &path_s)]).await;
    h.ok("list_vms", json!({})).await;
    h.ok(
        "power_off",
        json!({"name": VM, "vcenter_password": SIM_PASSWORD, "extra": {"api_token": SIM_PASSWORD}}),
    )
    .await;
    assert_eq!(h.power_state(VM), "poweredOff");
    h.fails("delete_vm", json!({"name": VM})).await;
    assert!(h.vm(VM).is_some());
    h.fails("power_on", json!({"name": "ghost"})).await;
    h.shutdown().await;

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains(SIM_PASSWORD),
        "audit log leaks the password: {text}"
    );
    let recs: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let tools: Vec<&str> = recs.iter().map(|r| r["tool"].as_str().unwrap()).collect();
    assert_eq!(
        tools,
        ["list_vms", "power_off", "delete_vm", "power_on"],
        "{text}"
    );
    let outcomes: Vec<&str> = recs
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["ok", "ok", "denied", "error"]);
    for r in &recs {
        assert_eq!(r["user"], "stdio");
        assert_eq!(r["source"], "stdio");
        assert_eq!(r["role"], "power_ops");
    }
    assert_eq!(recs[1]["arguments"]["vcenter_password"], "[REDACTED]");
    assert_eq!(recs[1]["arguments"]["extra"]["api_token"], "[REDACTED]");
    says(recs[2]["error"].as_str().unwrap(), &["vm_lifecycle"]);
}
