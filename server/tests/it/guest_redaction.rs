//! Guest passwords (issue 10): the real binary at trace level, calling every
//! kind of guest tool with a guest account whose password is unmistakable,
//! right and wrong, writes it to no log line, no audit record, no reply and
//! nothing on stdout or stderr; the audit records show it redacted.

use serde_json::{Value as Json, json};

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
    let run =
        crate::stdio_binary::run(&sim.url(), dir.path(), "full_admin", "trace", &messages).await;
    let replies = &run.replies;

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

    let (logged, audited, rest) = (&run.logged, &run.audited, &run.output);
    assert!(logged.contains("tool call"), "{logged}");
    assert_eq!(audited.lines().count(), calls.len(), "{audited}");
    for line in audited.lines() {
        let rec: Json = serde_json::from_str(line).unwrap();
        assert_eq!(rec["arguments"]["password"], "[REDACTED]", "{rec}");
        assert_eq!(rec["arguments"]["username"], "ops", "{rec}");
    }
    for secret in [GUEST_PW, WRONG_PW, crate::PASSWORD] {
        assert!(
            !logged.contains(secret),
            "LOG_FILE leaks {secret}: {logged}"
        );
        assert!(!audited.contains(secret), "AUDIT_LOG leaks {secret}");
        assert!(!rest.contains(secret), "output leaks {secret}: {rest}");
        for r in replies {
            assert!(!r.to_string().contains(secret), "reply leaks {secret}: {r}");
        }
    }
    sim.shutdown().await;
}
