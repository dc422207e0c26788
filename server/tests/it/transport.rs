//! The HTTP side (health, Host/Origin checks), the binary's start-up
//! messages and `tools --format json`, and the `--simulator` banner.

use std::process::Command;

use serde_json::Value as Json;

use crate::env;

async fn serve(e: &crate::Env) -> std::net::SocketAddr {
    let listener = mcvsphere::transport::bind("127.0.0.1", 0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = mcvsphere::transport::router(e.app(), "127.0.0.1");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

#[tokio::test]
async fn health_answers_and_foreign_hosts_and_origins_are_refused() {
    let e = env().await;
    let addr = serve(&e).await;
    let http = reqwest::Client::new();
    let health: Json = http
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let post = |host: Option<&str>, origin: Option<&str>| {
        let mut rb = http
            .post(format!("http://{addr}/mcp"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(init);
        if let Some(h) = host {
            rb = rb.header("host", h);
        }
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        rb.send()
    };
    assert_eq!(post(None, None).await.unwrap().status(), 200);
    assert_eq!(
        post(None, Some(&format!("http://localhost:{}", addr.port())))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post(Some("evil.example"), None).await.unwrap().status(),
        403
    );
    assert_eq!(
        post(None, Some("http://evil.example"))
            .await
            .unwrap()
            .status(),
        403
    );
    e.sim.shutdown().await;
}

/// The server side of an HTTP connection has `TCP_NODELAY` (without it each
/// keep-alive call stalls on the client's delayed ACK). The option is read
/// from the socket the server's own listener accepted, on one keep-alive
/// connection that carries many calls.
#[tokio::test]
async fn one_keep_alive_connection_carries_many_calls_with_nodelay() {
    use axum::serve::ListenerExt;
    use std::sync::{Arc, Mutex};

    let e = env().await;
    let listener = mcvsphere::transport::bind("127.0.0.1", 0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let nodelay_of_accepted: Arc<Mutex<Vec<bool>>> = Arc::default();
    let record = nodelay_of_accepted.clone();
    let listener = mcvsphere::transport::http_listener(listener).tap_io(move |tcp| {
        let on = tcp.nodelay().expect("an accepted socket has options");
        record.lock().expect("no panic while held").push(on);
    });
    let app = mcvsphere::transport::router(e.app(), "127.0.0.1");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let meta = serde_json::json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    for id in 0..40 {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "get_vm_info", "arguments": {"name": "DC0_H0_VM0"}, "_meta": meta}});
        let text = http
            .post(format!("http://{addr}/mcp"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "get_vm_info")
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let json = text
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap_or(&text);
        let reply: Json = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(reply["id"], id, "{reply}");
        assert_eq!(reply["result"]["isError"], false, "{reply}");
        assert_eq!(
            reply["result"]["structuredContent"]["name"], "DC0_H0_VM0",
            "{reply}"
        );
    }
    assert_eq!(
        *nodelay_of_accepted.lock().unwrap(),
        vec![true],
        "one connection, accepted with TCP_NODELAY"
    );
    e.sim.shutdown().await;
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mcvsphere"));
    for (k, _) in std::env::vars() {
        if k.starts_with("VCENTER_")
            || k.starts_with("MCP_")
            || k.starts_with("OAUTH_")
            || k.starts_with("MCVSPHERE_")
            || k.starts_with("LOG_")
        {
            c.env_remove(k);
        }
    }
    c.current_dir(std::env::temp_dir());
    c
}

#[test]
fn tools_json_prints_the_registry() {
    let out = bin().args(["tools", "--format", "json"]).output().unwrap();
    assert!(out.status.success());
    let tools: Vec<Json> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tools.len(), mcvsphere::tools::registry().len());
    let create = tools.iter().find(|t| t["name"] == "create_vm").unwrap();
    assert_eq!(create["permission"], "vm_lifecycle");
    assert_eq!(create["category"], "vm_lifecycle");
    assert_eq!(create["inputSchema"]["properties"]["cpu"]["default"], 2);
    assert!(create["annotations"].is_object() && create["description"].as_str().is_some());
}

#[test]
fn start_up_configuration_errors_name_the_setting_and_exit_2() {
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("VCENTER_HOST is not set") && err.contains("--simulator"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "stdout is for MCP only");

    let out = bin().env("MCP_TRANSPORT", "sse").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("streamable-http"));

    let out = bin()
        .env("OAUTH_ENABLED", "true")
        .env("OAUTH_CLIENT_SECRET", "oauth-secret-never-shown")
        .env("VCENTER_HOST", "vc")
        .env("VCENTER_USER", "u")
        .env("VCENTER_PASSWORD", "pw-never-shown")
        .env("LOG_LEVEL", "debug")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // The first missing OAuth setting is named; no secret is echoed.
    assert!(err.contains("OAUTH_ISSUER_URL"), "{err}");
    assert!(!err.contains("never-shown"), "{err}");
}

#[tokio::test]
async fn the_simulator_mode_starts_vcsim_and_says_so() {
    let (sim, settings) = mcvsphere::simulator::start().await.unwrap();
    assert_eq!(settings.url.as_str(), sim.url());
    let client = mcvsphere::vsphere::Client::new(&settings).unwrap();
    let vms = client
        .list("VirtualMachine", &mcvsphere::vsphere::NAME)
        .await
        .unwrap();
    assert_eq!(vms.len(), sim.objects("VirtualMachine").len());
    let stdio = mcvsphere::simulator::banner(&sim.url(), None);
    assert!(
        stdio.contains("SIMULATOR")
            && stdio.contains(&sim.url())
            && stdio.contains("mcvsphere --simulator"),
        "{stdio}"
    );
    let addr: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let http = mcvsphere::simulator::banner(&sim.url(), Some(addr));
    assert!(http.contains("http://127.0.0.1:8080/mcp"), "{http}");
    sim.shutdown().await;
}
