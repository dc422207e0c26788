//! Both transports, the health endpoint, session reuse, resources.

use serde_json::json;

use crate::harness;

#[tokio::test]
async fn http_transport_serves_the_same_tools() {
    conformance::init_tls();
    let stdio = harness().await;
    let http = conformance::Harness::http().await.unwrap();
    assert_eq!(
        stdio.tool_names().await.unwrap(),
        http.tool_names().await.unwrap()
    );
    // And a state change over HTTP lands in the simulator.
    http.ok("power_off", json!({"name": "DC0_C0_RP0_VM0"}))
        .await;
    assert_eq!(http.power_state("DC0_C0_RP0_VM0"), "poweredOff");
    stdio.shutdown().await;
    http.shutdown().await;
}

#[tokio::test]
async fn http_health_endpoint_answers() {
    conformance::init_tls();
    let h = conformance::Harness::http().await.unwrap();
    let url = h.http_url.clone().unwrap().replace("/mcp", "/health");
    let r = reqwest::get(url).await.unwrap();
    assert!(r.status().is_success());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    h.shutdown().await;
}

#[tokio::test]
async fn one_vcenter_session_serves_many_calls_and_relogin_after_expiry() {
    let h = harness().await;
    for _ in 0..5 {
        h.ok("list_vms", json!({})).await;
        h.ok("get_vm_info", json!({"name": "DC0_H0_VM1"})).await;
    }
    assert_eq!(h.sim.login_count(), 1, "one login for all calls");
    h.sim.expire_sessions();
    h.ok("list_vms", json!({})).await;
    assert_eq!(
        h.sim.login_count(),
        2,
        "logged in again once after the session expired"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn unknown_tool_is_an_error_not_a_crash() {
    let h = harness().await;
    let r = h.call("no_such_tool", json!({})).await;
    match r {
        Ok(o) => assert!(o.is_error, "unknown tool succeeded: {}", o.text),
        Err(e) => assert!(format!("{e:#}").contains("no_such_tool"), "{e:#}"),
    }
    // The server is still there.
    h.ok("list_vms", json!({})).await;
    h.shutdown().await;
}

#[tokio::test]
async fn resources_are_listed_and_readable() {
    let h = harness().await;
    let res = h.client().list_all_resources().await.unwrap();
    let uris: Vec<String> = res.iter().map(|r| r.uri.clone()).collect();
    for u in [
        "esxi://vms",
        "esxi://hosts",
        "esxi://datastores",
        "esxi://networks",
        "esxi://clusters",
    ] {
        assert!(uris.iter().any(|x| x == u), "{u} not listed: {uris:?}");
    }
    let templates = h.client().list_all_resource_templates().await.unwrap();
    assert!(
        templates
            .iter()
            .any(|t| t.uri_template == "datastore://{datastore_name}"),
        "{templates:?}"
    );
    let read = h
        .client()
        .read_resource(rmcp::model::ReadResourceRequestParams::new("esxi://vms"))
        .await
        .unwrap();
    let text = serde_json::to_string(&read).unwrap();
    for vm in h.sim.objects("VirtualMachine") {
        let name = h
            .sim
            .property(&vm, "name")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap();
        assert!(text.contains(&name), "esxi://vms lacks {name}");
    }
    h.shutdown().await;
}

/// MCP 2026-07-28 has no initialize handshake: each request carries its
/// version. Drive it with plain HTTP, as a 2026 client would.
#[tokio::test]
async fn protocol_2026_07_28_per_request_flow_over_http() {
    conformance::init_tls();
    let h = conformance::Harness::http().await.unwrap();
    let url = h.http_url.clone().unwrap();
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "conformance", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let http = reqwest::Client::new();
    let post = |method: &'static str, name: Option<&'static str>, params: serde_json::Value| {
        let mut req = http
            .post(&url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", method)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
        if let Some(n) = name {
            req = req.header("Mcp-Name", n);
        }
        req.send()
    };
    // The body may come as JSON or as one SSE event; take the JSON either way.
    async fn body(r: reqwest::Response) -> serde_json::Value {
        let text = r.text().await.unwrap();
        let json = text
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap_or(&text)
            .to_string();
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
    let d = body(
        post("server/discover", None, json!({"_meta": meta}))
            .await
            .unwrap(),
    )
    .await;
    let versions = d["result"]["supportedVersions"].as_array().unwrap();
    assert!(
        versions.iter().any(|v| v == "2026-07-28") && versions.iter().any(|v| v == "2025-11-25"),
        "{d}"
    );
    let r = body(
        post(
            "tools/call",
            Some("power_off"),
            json!({"name": "power_off", "arguments": {"name": "DC0_H0_VM1"}, "_meta": meta}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(r["result"]["isError"], false, "{r}");
    assert_eq!(h.power_state("DC0_H0_VM1"), "poweredOff");
    h.shutdown().await;
}

/// Malformed JSON-RPC on stdio gets an error reply and loses nothing: the
/// calls around it are still answered.
#[tokio::test]
async fn malformed_json_rpc_on_stdio_is_answered_and_harmless() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let sim = conformance::start_sim().await.unwrap();
    let mut cmd = conformance::server_command(&sim, &[("MCP_TRANSPORT", "stdio")]).unwrap();
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let lines = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        "this is not json {",
        r#"[{"jsonrpc":"2.0","id":2,"method":"ping"}]"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":"oops"}"#,
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"power_off","arguments":{"name":"DC0_H0_VM0"}}}"#,
    ];
    for l in lines {
        stdin.write_all(format!("{l}\n").as_bytes()).await.unwrap();
    }
    stdin.flush().await.unwrap();
    let mut replies = vec![];
    while replies.len() < 5 {
        let line = tokio::time::timeout(std::time::Duration::from_secs(10), out.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carries only JSON-RPC, got {line:?}: {e}"));
        replies.push(v);
    }
    let codes: Vec<i64> = replies
        .iter()
        .filter_map(|r| r["error"]["code"].as_i64())
        .collect();
    assert!(codes.contains(&-32700), "parse error answered: {replies:?}");
    assert!(codes.contains(&-32600), "batch refused: {replies:?}");
    assert!(codes.contains(&-32602), "bad params answered: {replies:?}");
    let call = replies
        .iter()
        .find(|r| r["id"] == 4)
        .expect("the valid call is answered");
    assert_eq!(call["result"]["isError"], false, "{call}");
    assert_eq!(
        sim.property(
            &sim.find("VirtualMachine", "DC0_H0_VM0").unwrap(),
            "runtime.powerState"
        )
        .and_then(|v| v.as_str().map(str::to_string))
        .as_deref(),
        Some("poweredOff")
    );
    drop(stdin);
    let _ = child.wait().await;
    sim.shutdown().await;
}
