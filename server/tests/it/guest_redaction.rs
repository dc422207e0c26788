//! Guest passwords (issue 10): the real binary at trace level, calling every
//! kind of guest tool with a guest account whose password is unmistakable,
//! right and wrong, writes it to no log line, no audit record, no reply and
//! nothing on stdout or stderr; the audit records show it redacted.

use serde_json::{Value as Json, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const GUEST_PW: &str = "Guest-Pw-Redact-5521";
const WRONG_PW: &str = "Wrong-Guest-Pw-8812";

/// One VM whose guest has the account `ops` with [`GUEST_PW`].
const INVENTORY: &str = r#"
datacenters:
  - name: DC0
    networks: [VM Network]
    datastores:
      - name: LocalDS_0
    hosts:
      - name: H0
        vms:
          - name: guarded
            guest_users:
              - {name: ops, password: "Guest-Pw-Redact-5521", admin: true}
"#;

#[tokio::test]
async fn guest_passwords_reach_no_log_audit_record_or_reply() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    std::fs::write(&inventory, INVENTORY).unwrap();
    let sim = vcsim::start(vcsim::Config {
        credentials: Some((crate::USER.into(), crate::PASSWORD.into())),
        inventory: vcsim::Inventory::File(inventory),
        ..Default::default()
    })
    .await
    .unwrap();
    let (log, audit_log) = (
        dir.path().join("server.log"),
        dir.path().join("audit.jsonl"),
    );
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcvsphere"));
    for (k, _) in std::env::vars() {
        if k.starts_with("VCENTER_") || k.starts_with("MCP_") || k.starts_with("MCVSPHERE_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .env_remove("RUST_LOG")
        .env("VCENTER_HOST", sim.url())
        .env("VCENTER_USER", crate::USER)
        .env("VCENTER_PASSWORD", crate::PASSWORD)
        .env("VCENTER_INSECURE", "true")
        .env("MCP_TRANSPORT", "stdio")
        .env("MCVSPHERE_ROLE", "full_admin")
        .env("LOG_LEVEL", "trace")
        .env("LOG_FILE", &log)
        .env("AUDIT_LOG", &audit_log)
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let as_ops = |pw: &str, extra: Json| {
        let mut a = json!({"name": "guarded", "username": "ops", "password": pw});
        if let (Json::Object(into), Json::Object(from)) = (&mut a, extra) {
            into.extend(from);
        }
        a
    };
    let calls = [
        (
            "write_guest_file",
            as_ops(
                GUEST_PW,
                json!({"guest_path": "/tmp/r.txt", "content": "r"}),
            ),
        ),
        (
            "read_guest_file",
            as_ops(GUEST_PW, json!({"guest_path": "/tmp/r.txt"})),
        ),
        (
            "run_command_in_guest",
            as_ops(
                GUEST_PW,
                json!({"command": "/bin/sh", "arguments": "-c true"}),
            ),
        ),
        ("list_guest_processes", as_ops(WRONG_PW, json!({}))),
        (
            "read_guest_file",
            as_ops(WRONG_PW, json!({"guest_path": "/tmp/r.txt"})),
        ),
    ];
    let mut messages = vec![
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "it", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    ];
    for (i, (tool, args)) in calls.iter().enumerate() {
        messages.push(
            json!({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}),
        );
    }
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut replies = vec![];
    for m in &messages {
        stdin.write_all(format!("{m}\n").as_bytes()).await.unwrap();
        if m.get("id").is_some() {
            let line = stdout.next_line().await.unwrap().unwrap();
            replies.push(serde_json::from_str::<Json>(&line).unwrap());
        }
    }
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The right password worked, the wrong one was refused, clearly.
    for r in &replies[1..4] {
        assert_eq!(r["result"]["isError"], false, "{r}");
    }
    for r in &replies[4..] {
        assert_eq!(r["result"]["isError"], true, "{r}");
        crate::says(
            &r.to_string(),
            &["incorrect user name or password", "'ops'"],
        );
    }
    let vm = sim.find("VirtualMachine", "guarded").unwrap();
    assert_eq!(
        sim.guest_file(&vm, "/tmp/r.txt").as_deref(),
        Some(&b"r"[..])
    );

    let logged = std::fs::read_to_string(&log).unwrap();
    let audited = std::fs::read_to_string(&audit_log).unwrap();
    assert!(logged.contains("tool call"), "{logged}");
    assert_eq!(audited.lines().count(), calls.len(), "{audited}");
    for line in audited.lines() {
        let rec: Json = serde_json::from_str(line).unwrap();
        assert_eq!(rec["arguments"]["password"], "[REDACTED]", "{rec}");
        assert_eq!(rec["arguments"]["username"], "ops", "{rec}");
    }
    let rest = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in [GUEST_PW, WRONG_PW, crate::PASSWORD] {
        assert!(
            !logged.contains(secret),
            "LOG_FILE leaks {secret}: {logged}"
        );
        assert!(!audited.contains(secret), "AUDIT_LOG leaks {secret}");
        assert!(!rest.contains(secret), "output leaks {secret}: {rest}");
        for r in &replies {
            assert!(!r.to_string().contains(secret), "reply leaks {secret}: {r}");
        }
    }
    sim.shutdown().await;
}
