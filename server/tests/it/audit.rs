//! The audit log: record shape through the real handler, redaction of secret
//! arguments at any depth, the vCenter password in no record and no log
//! line, denial records, the file sink, and auth events.

use std::sync::Arc;

use mcvsphere::audit::{self, AuditLog};
use mcvsphere::identity::{Identity, IdentitySource};
use mcvsphere::rbac::Policy;
use mcvsphere::tools::{Defaults, Permission};
use serde_json::{Value as Json, json};

use crate::mcp_http::{Buf, connect, identity};

const VM: &str = "DC0_H0_VM0";

fn ctx(sim: &vcsim::Simulator, role: Permission, audit: AuditLog) -> mcvsphere::mcp::App {
    let client = mcvsphere::vsphere::Client::new(&crate::settings(sim, crate::PASSWORD)).unwrap();
    let mut state = crate::state(client, Defaults::default());
    state.rbac = Policy::new(role, vec![], true);
    state.audit = audit;
    Arc::new(state)
}

#[tokio::test]
async fn tool_call_records_have_the_documented_shape() {
    let sim = crate::sim().await;
    let buf = Buf::default();
    let who = Identity {
        subject: "sub-123".into(),
        name: Some("alice@example.com".into()),
        groups: vec!["vsphere-operators".into(), "staff".into()],
        source: IdentitySource::ProxyToken,
    };
    let s = connect(
        ctx(
            &sim,
            Permission::FullAdmin,
            AuditLog::to_writer(buf.clone()),
        ),
        Some(who),
    )
    .await;
    let ok = s.call("list_vms", json!({})).await;
    let err = s.call("power_on", json!({"name": "ghost"})).await;
    let denied = s.call("delete_vm", json!({"name": VM})).await;
    let recs = buf.records();
    assert_eq!(recs.len(), 3, "{recs:?}");
    for (rec, (call, tool, outcome)) in recs.iter().zip([
        (&ok, "list_vms", "ok"),
        (&err, "power_on", "error"),
        (&denied, "delete_vm", "denied"),
    ]) {
        let time = rec["time"].as_str().unwrap();
        assert!(time.ends_with('Z'), "{time}");
        chrono::DateTime::parse_from_rfc3339(time).unwrap();
        assert_eq!(rec["event"], "tool_call");
        assert_eq!(rec["request_id"], call.id.to_string());
        assert_eq!(rec["user"], "sub-123");
        assert_eq!(rec["name"], "alice@example.com");
        assert_eq!(rec["groups"], json!(["vsphere-operators", "staff"]));
        assert_eq!(rec["source"], "oauth");
        assert_eq!(rec["tool"], tool);
        assert_eq!(rec["outcome"], outcome);
        assert!(rec["duration_ms"].is_u64(), "{rec}");
        assert!(rec["arguments"].is_object(), "{rec}");
        assert!(rec.get("role").is_none(), "{rec}");
    }
    assert!(recs[0].get("error").is_none());
    assert_eq!(recs[1]["error"].as_str().unwrap(), err.text);
    assert_eq!(recs[1]["arguments"], json!({"name": "ghost"}));
    crate::says(
        recs[2]["error"].as_str().unwrap(),
        &["Permission denied", "vm_lifecycle", "vsphere-operators"],
    );
    assert!(sim.find("VirtualMachine", VM).is_some());
    sim.shutdown().await;
}

#[tokio::test]
async fn callers_without_identity_are_recorded_as_anonymous_with_their_role() {
    let sim = crate::sim().await;
    let buf = Buf::default();
    let s = connect(
        ctx(&sim, Permission::ReadOnly, AuditLog::to_writer(buf.clone())),
        None,
    )
    .await;
    s.call("power_off", json!({"name": VM})).await;
    let (_, r) = s
        .request("resources/read", json!({"uri": "esxi://hosts"}))
        .await;
    assert!(r["result"].is_object(), "{r}");
    let recs = buf.records();
    assert_eq!(
        recs.len(),
        1,
        "reads of resources are not recorded: {recs:?}"
    );
    let rec = &recs[0];
    assert_eq!(rec["user"], "anonymous");
    assert_eq!(rec["source"], "unauthenticated");
    assert_eq!(rec["role"], "read_only");
    assert_eq!(rec["groups"], json!([]));
    assert_eq!(rec["outcome"], "denied");
    sim.shutdown().await;
}

#[tokio::test]
async fn secret_arguments_are_redacted_at_any_depth_in_ok_and_denied_records() {
    let sim = crate::sim().await;
    let buf = Buf::default();
    let other = "guest-Pw-99-never-logged";
    let connect_as = |groups: &'static [&'static str]| {
        let audit = AuditLog::to_writer(buf.clone());
        connect(
            ctx(&sim, Permission::FullAdmin, audit),
            Some(identity("u", groups)),
        )
    };
    let admin = connect_as(&["vsphere-readers", "vsphere-admins"]).await;
    let reader = connect_as(&["vsphere-readers"]).await;
    let args = json!({
        "name": VM,
        "new_name": "renamed-with-secrets",
        "vcenter_password": crate::PASSWORD,
        "options": {"Guest": {"apiKey": other, "ok": "kept", "list": [{"ssh_PASSPHRASE": other}]}},
        "clientCredentials": [crate::PASSWORD],
        "access_token": other,
    });
    let r = admin.call("rename_vm", args.clone()).await;
    assert!(!r.is_error, "{r:?}");
    assert!(sim.find("VirtualMachine", "renamed-with-secrets").is_some());
    let r = reader.call("delete_vm", args).await;
    crate::says(&r.text, &["Permission denied"]);
    assert!(sim.find("VirtualMachine", "renamed-with-secrets").is_some());

    let text = buf.text();
    for secret in [crate::PASSWORD, other] {
        assert!(!text.contains(secret), "audit leaks {secret}: {text}");
    }
    let recs = buf.records();
    assert_eq!(recs.len(), 2);
    for rec in &recs {
        let a = &rec["arguments"];
        assert_eq!(a["name"], VM);
        assert_eq!(a["new_name"], "renamed-with-secrets");
        assert_eq!(a["vcenter_password"], "[REDACTED]");
        assert_eq!(a["options"]["Guest"]["apiKey"], "[REDACTED]");
        assert_eq!(a["options"]["Guest"]["ok"], "kept");
        assert_eq!(
            a["options"]["Guest"]["list"][0]["ssh_PASSPHRASE"],
            "[REDACTED]"
        );
        assert_eq!(a["clientCredentials"], "[REDACTED]");
        assert_eq!(a["access_token"], "[REDACTED]");
    }
    assert_eq!(recs[0]["outcome"], "ok");
    assert_eq!(recs[1]["outcome"], "denied");
    sim.shutdown().await;
}

/// The real binary on stdio at `LOG_LEVEL=debug` with `LOG_FILE` and
/// `AUDIT_LOG`: the vCenter password and secret arguments are in no log line,
/// no audit record, nothing on stderr or stdout. (A subprocess, not a scoped
/// tracing subscriber: other tests' threads race tracing's callsite cache,
/// and this way the production logging set-up is what is checked.)
#[tokio::test]
async fn the_binary_logs_and_audits_no_secret_at_debug_level() {
    let sim = crate::sim().await;
    let dir = tempfile::tempdir().unwrap();
    let other = "guest-Pw-77-never-logged";
    let secret_args = json!({"name": VM, "password": crate::PASSWORD,
        "guest": {"auth_token": other, "list": [{"PrivateKey": crate::PASSWORD}]}});
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "it", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "power_off", "arguments": secret_args}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "delete_vm", "arguments": secret_args}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
            "params": {"name": "get_vm_info", "arguments": {"name": "ghost", "secret": other}}}),
    ];
    let run =
        crate::stdio_binary::run(&sim.url(), dir.path(), "power_ops", "debug", &messages).await;
    let replies = &run.replies;

    assert_eq!(replies[1]["result"]["isError"], false, "{}", replies[1]);
    assert_eq!(replies[2]["result"]["isError"], true, "{}", replies[2]);
    assert_eq!(replies[3]["result"]["isError"], true, "{}", replies[3]);
    let m = sim
        .find("VirtualMachine", VM)
        .expect("delete_vm was denied");
    let state = sim.property(&m, "runtime.powerState").unwrap();
    assert_eq!(state.as_str(), Some("poweredOff"));

    // The debug lines of the calls are there, so the absence below means something.
    assert!(run.logged.contains("tool call"), "{}", run.logged);
    assert_eq!(run.audited.lines().count(), 3, "{}", run.audited);
    for secret in [crate::PASSWORD, other] {
        assert!(
            !run.logged.contains(secret),
            "LOG_FILE leaks {secret}: {}",
            run.logged
        );
        assert!(
            !run.audited.contains(secret),
            "AUDIT_LOG leaks {secret}: {}",
            run.audited
        );
        assert!(
            !run.output.contains(secret),
            "output leaks {secret}: {}",
            run.output
        );
        for r in replies {
            assert!(!r.to_string().contains(secret), "reply leaks {secret}: {r}");
        }
    }
    sim.shutdown().await;
}

#[test]
fn the_file_sink_appends_and_a_bad_path_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    AuditLog::open(&path)
        .unwrap()
        .auth_event("token", Some("alice"), "ok", "first");
    AuditLog::open(&path)
        .unwrap()
        .auth_event("token", None, "denied", "second");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["detail"], "first");
    assert_eq!(lines[1]["user"], "anonymous");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "audit log readable by others: {mode:o}");
    }
    let bad = dir.path().join("missing-dir").join("audit.log");
    let err = AuditLog::open(&bad).unwrap_err().to_string();
    assert!(
        err.contains("AUDIT_LOG") && err.contains("missing-dir"),
        "{err}"
    );
}

#[test]
fn auth_events_go_to_the_installed_log() {
    let buf = Buf::default();
    // The only test in this binary that installs the process-wide log.
    assert!(audit::install(AuditLog::to_writer(buf.clone())));
    audit::auth_event(
        "token",
        Some("alice"),
        "denied",
        "expired token (it-auth-check)",
    );
    let rec = buf
        .records()
        .into_iter()
        .find(|r| r["detail"] == "expired token (it-auth-check)")
        .unwrap();
    assert_eq!(rec["event"], "auth");
    assert_eq!(rec["kind"], "token");
    assert_eq!(rec["user"], "alice");
    assert_eq!(rec["outcome"], "denied");
    uuid::Uuid::parse_str(rec["request_id"].as_str().unwrap()).unwrap();
    chrono::DateTime::parse_from_rfc3339(rec["time"].as_str().unwrap()).unwrap();
}

#[test]
fn an_audit_log_that_cannot_be_opened_stops_start_up_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("no-such-dir").join("audit.jsonl");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mcvsphere"));
    for (k, _) in std::env::vars() {
        if k.starts_with("VCENTER_") || k.starts_with("MCP_") || k.starts_with("MCVSPHERE_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg("--simulator")
        .env("AUDIT_LOG", &bad)
        .env("MCP_TRANSPORT", "stdio")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AUDIT_LOG") && err.contains("no-such-dir"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "stdout is for MCP only");
}
