//! JSON-RPC over HTTP answered per the specification by the guard in front
//! of rmcp (`jsonrpc_guard.rs`): the real router, driven without a socket.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value as Json, json};
use tower::ServiceExt;

use crate::env;

async fn post(app: &axum::Router, content_type: &str, body: Vec<u8>) -> (StatusCode, Json) {
    let req = Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", content_type)
        .header("accept", "application/json, text/event-stream")
        .body(Body::from(body))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    // An SSE answer carries its JSON on a `data:` line.
    let json_text = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:").map(str::trim))
        .find(|d| !d.is_empty())
        .unwrap_or(text.as_str());
    let v = serde_json::from_str(json_text).unwrap_or(Json::String(text.clone()));
    (status, v)
}

#[tokio::test]
async fn malformed_bodies_get_json_rpc_errors_and_good_ones_pass() {
    let e = env().await;
    let app = mcvsphere::transport::router(e.app(), "127.0.0.1");

    for ct in ["text/plain", "application/json", "application/octet-stream"] {
        let (status, v) = post(&app, ct, b"this is { not json".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{ct}: {v}");
        assert_eq!(v["error"]["code"], -32700, "{ct}: {v}");
        assert_eq!(v["id"], Json::Null, "{v}");
        crate::says(v["error"]["message"].as_str().unwrap(), &["Parse error"]);
    }

    let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "list_vms", "arguments": ["not", "an", "object"]}});
    let (status, v) = post(&app, "application/json", call.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["id"], 7);
    assert_eq!(v["error"]["code"], -32602, "{v}");
    crate::says(
        v["error"]["message"].as_str().unwrap(),
        &["arguments must be an object"],
    );

    let unknown = json!({"jsonrpc": "2.0", "id": "u1", "method": "vm/explode", "params": {}});
    let (status, v) = post(&app, "application/json", unknown.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["id"], "u1");
    assert_eq!(v["error"]["code"], -32601, "{v}");
    crate::says(v["error"]["message"].as_str().unwrap(), &["vm/explode"]);

    // A method name of 100,000 characters with a terminal escape in it is
    // quoted short and printable.
    let name = format!("\u{1b}[2J{}", "m".repeat(100_000));
    let long = json!({"jsonrpc": "2.0", "id": "u2", "method": name});
    let (status, v) = post(&app, "application/json", long.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.len() < 300 && !msg.contains('\u{1b}'), "{msg}");
    crate::says(msg, &["100004 characters in all"]);

    let mut huge = br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":""#.to_vec();
    huge.resize(mcvsphere::jsonrpc_guard::MAX_BODY + 10, b'a');
    let (status, v) = post(&app, "application/json", huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["error"]["code"], -32600, "{v}");

    // A foreign browser origin gets rmcp's refusal, not a word about its body.
    let req = Request::post("/mcp")
        .header("host", "localhost")
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(Body::from("this is { not json"))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // A well-formed initialize still reaches rmcp, body intact.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "it", "version": "1"}}});
    let (status, v) = post(&app, "application/json", init.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["result"]["serverInfo"]["name"], "mcvsphere", "{v}");
    e.sim.shutdown().await;
}
