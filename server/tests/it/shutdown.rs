//! Graceful shutdown of the real binary, over stdio and over HTTP: a call
//! is held in flight by a hung simulator, SIGTERM arrives, the simulator is
//! released, and the call still gets its answer; the process exits 0 and
//! has logged out of vCenter (the simulator has no session left).

use std::process::Stdio;

use serde_json::{Value as Json, json};
use testkit::eventually;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

fn bin(sim: &vcsim::Simulator) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mcvsphere"));
    for (k, _) in std::env::vars() {
        if ["VCENTER_", "MCP_", "OAUTH_", "MCVSPHERE_", "LOG_", "AUDIT_"]
            .iter()
            .any(|p| k.starts_with(p))
        {
            c.env_remove(k);
        }
    }
    c.env_remove("RUST_LOG")
        .env("VCENTER_HOST", sim.url())
        .env("VCENTER_USER", crate::USER)
        .env("VCENTER_PASSWORD", crate::PASSWORD)
        .env("VCENTER_INSECURE", "true")
        .env("LOG_LEVEL", "info")
        .env("MCVSPHERE_SHUTDOWN_GRACE", "60")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

/// Forwards the child's stderr lines to a channel.
fn stderr_lines(child: &mut Child) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(l)) = lines.next_line().await {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// Reads stderr until a line contains `needle`; that line.
async fn wait_line(rx: &mut mpsc::UnboundedReceiver<String>, needle: &str) -> String {
    while let Some(l) = rx.recv().await {
        if l.contains(needle) {
            return l;
        }
    }
    panic!("the server never logged '{needle}'");
}

fn sigterm(child: &Child) {
    let pid = child.id().unwrap().to_string();
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM {pid}");
}

/// Holds the next SOAP call in flight: hangs the simulator and waits until
/// it holds a request.
async fn hold_next_call(sim: &vcsim::Simulator) {
    sim.hang();
    eventually("the simulator holds a call", || sim.fault_status().held > 0).await;
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"it","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

fn list_vms(id: i64) -> Json {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "list_vms", "arguments": {}}})
}

#[tokio::test]
async fn stdio_lets_the_call_in_flight_finish_then_logs_out_and_exits_0() {
    let sim = crate::sim().await;
    let mut child = bin(&sim).env("MCP_TRANSPORT", "stdio").spawn().unwrap();
    let mut err = stderr_lines(&mut child);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    for m in [INIT, INITIALIZED] {
        stdin.write_all(format!("{m}\n").as_bytes()).await.unwrap();
    }
    let _init = stdout.next_line().await.unwrap().unwrap();
    // A first call logs in; the second is the one held in flight.
    stdin
        .write_all(format!("{}\n", list_vms(1)).as_bytes())
        .await
        .unwrap();
    let first: Json = serde_json::from_str(&stdout.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(first["result"]["isError"], false, "{first}");
    assert_eq!(sim.session_count(), 1);

    stdin
        .write_all(format!("{}\n", list_vms(2)).as_bytes())
        .await
        .unwrap();
    hold_next_call(&sim).await;
    sigterm(&child);
    wait_line(&mut err, "SIGTERM: shutting down").await;
    // A request after the signal is refused (the held call is still held).
    stdin
        .write_all(format!("{}\n", list_vms(3)).as_bytes())
        .await
        .unwrap();
    let refused: Json = serde_json::from_str(&stdout.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(refused["id"], 3, "{refused}");
    assert_eq!(refused["error"]["code"], -32000, "{refused}");
    crate::says(
        refused["error"]["message"].as_str().unwrap(),
        &["shutting down"],
    );
    sim.release();
    let reply: Json = serde_json::from_str(&stdout.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(reply["id"], 2, "{reply}");
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert!(reply.to_string().contains("DC0_H0_VM0"), "{reply}");

    let status = child.wait().await.unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(sim.session_count(), 0, "logged out of vCenter");
    drop(stdin);
    sim.shutdown().await;
}

/// Messages of a streamable HTTP answer (plain JSON or SSE `data:` lines).
fn messages(body: &str) -> Vec<Json> {
    if let Ok(v) = serde_json::from_str::<Json>(body) {
        return vec![v];
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}

#[tokio::test]
async fn http_lets_the_call_in_flight_finish_then_logs_out_and_exits_0() {
    let sim = crate::sim().await;
    let mut child = bin(&sim)
        .env("MCP_TRANSPORT", "streamable-http")
        .env("MCP_HOST", "127.0.0.1")
        .env("MCP_PORT", "0")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut err = stderr_lines(&mut child);
    let line = wait_line(&mut err, "listening on http://").await;
    let url = line
        .split("listening on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    testkit::init_tls();
    let http = reqwest::Client::new();
    let post = |body: String, session: Option<String>| {
        let mut rb = http
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body);
        if let Some(s) = session {
            rb = rb
                .header("mcp-session-id", s)
                .header("mcp-protocol-version", "2025-11-25");
        }
        rb.send()
    };
    let init = post(INIT.to_string(), None).await.unwrap();
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let _ = init.text().await.unwrap();
    let r = post(INITIALIZED.to_string(), Some(session.clone()))
        .await
        .unwrap();
    assert!(r.status().is_success());
    let first = post(list_vms(1).to_string(), Some(session.clone()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(first.contains("DC0_H0_VM0"), "{first}");
    assert_eq!(sim.session_count(), 1);

    let in_flight = tokio::spawn(post(list_vms(2).to_string(), Some(session.clone())));
    hold_next_call(&sim).await;
    sigterm(&child);
    wait_line(&mut err, "SIGTERM: shutting down").await;
    sim.release();
    let body = in_flight.await.unwrap().unwrap().text().await.unwrap();
    let reply = messages(&body)
        .into_iter()
        .find(|m| m["id"] == 2)
        .unwrap_or_else(|| panic!("no answer to the call in flight: {body}"));
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    assert!(reply.to_string().contains("DC0_H0_VM0"), "{reply}");

    let status = child.wait().await.unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(sim.session_count(), 0, "logged out of vCenter");
    // Nothing listens any more.
    assert!(post(list_vms(3).to_string(), Some(session)).await.is_err());
    sim.shutdown().await;
}
