//! A minimal MCP client over in-process streamable HTTP, for tests that must
//! go through the real rmcp handler with a caller identity.
//!
//! The server side is rmcp's `StreamableHttpService` running `McpServer`,
//! behind a layer that puts an `Identity` into the request's extensions —
//! exactly where the auth layer puts it — so no test-only path exists in the
//! server. (The server crate has no rmcp client feature, hence raw JSON-RPC.)

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use mcvsphere::identity::{Identity, IdentitySource};
use mcvsphere::mcp::App;
use mcvsphere::mcp::McpServer;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value as Json, json};

pub(crate) fn identity(subject: &str, groups: &[&str]) -> Identity {
    Identity {
        subject: subject.into(),
        name: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
        source: IdentitySource::ProxyToken,
    }
}

/// An initialised MCP session against a server with `ctx`, as `who`.
pub(crate) struct Session {
    http: reqwest::Client,
    url: String,
    session: String,
    next_id: AtomicI64,
}

/// What a `tools/call` came back with.
#[derive(Debug)]
pub(crate) struct CallResult {
    pub id: i64,
    pub is_error: bool,
    pub text: String,
}

pub(crate) async fn connect(ctx: App, who: Option<Identity>) -> Session {
    let service: StreamableHttpService<McpServer, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(McpServer::new(ctx.clone())),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let mut app = axum::Router::new().nest_service("/mcp", service);
    if let Some(id) = who {
        app = app.layer(axum::Extension(id));
    }
    serve_and_open(app).await
}

/// Serves `app` on a loopback port and opens an MCP session at its `/mcp`.
pub(crate) async fn serve_and_open(app: axum::Router) -> Session {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut s = Session {
        http: reqwest::Client::new(),
        url: format!("http://{addr}/mcp"),
        session: String::new(),
        next_id: AtomicI64::new(1),
    };
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "it", "version": "1"}}});
    let resp = s.post(&init).await;
    s.session = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("initialize gave no session id: {}", resp.status()))
        .to_string();
    let _ = messages(resp).await;
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let resp = s.post(&note).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    s
}

/// The JSON-RPC messages of a response, plain JSON or server-sent events.
async fn messages(resp: reqwest::Response) -> Vec<Json> {
    let sse = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/event-stream"));
    let body = resp.text().await.unwrap();
    if !sse {
        return serde_json::from_str(&body).into_iter().collect();
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}

impl Session {
    async fn post(&self, body: &Json) -> reqwest::Response {
        let mut rb = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if !self.session.is_empty() {
            rb = rb
                .header("mcp-session-id", &self.session)
                .header("mcp-protocol-version", "2025-11-25");
        }
        rb.json(body).send().await.unwrap()
    }

    /// Any JSON-RPC message: the HTTP status and every message that came back.
    pub(crate) async fn post_raw(&self, body: &Json) -> (u16, Vec<Json>) {
        let resp = self.post(body).await;
        let status = resp.status().as_u16();
        (status, messages(resp).await)
    }

    /// A request; the whole JSON-RPC response (with `result` or `error`).
    pub(crate) async fn request(&self, method: &str, params: Json) -> (i64, Json) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let msgs = messages(self.post(&body).await).await;
        let resp = msgs
            .into_iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no response to {method} #{id}"));
        (id, resp)
    }

    /// A notification (no answer expected).
    pub(crate) async fn notify(&self, method: &str, params: Json) {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params});
        let resp = self.post(&body).await;
        assert!(resp.status().is_success(), "{method}: {}", resp.status());
    }

    /// The id the next request will carry.
    pub(crate) fn next_id(&self) -> i64 {
        self.next_id.load(Ordering::Relaxed)
    }

    /// A request; every JSON-RPC message that came back on its stream
    /// (notifications such as progress, then the response).
    pub(crate) async fn request_stream(&self, method: &str, params: Json) -> Vec<Json> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        messages(self.post(&body).await).await
    }

    /// Sends `method` and cancels it (`notifications/cancelled`) until its
    /// stream ends: a cancellation that arrives before the call is under
    /// way is ignored, so it is repeated. Every message the call got back.
    pub(crate) async fn request_cancelled(&self, method: &str, params: Json) -> Vec<Json> {
        let id = self.next_id();
        let call = self.request_stream(method, params);
        let cancel = async {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                self.notify(
                    "notifications/cancelled",
                    json!({"requestId": id, "reason": "test"}),
                )
                .await;
            }
        };
        tokio::select! {
            msgs = call => msgs,
            () = cancel => unreachable!("the cancelling loop never ends"),
        }
    }

    pub(crate) async fn tool_names(&self) -> Vec<String> {
        let (_, r) = self.request("tools/list", json!({})).await;
        let tools = r["result"]["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("tools/list: {r}"));
        tools
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// `tools/call`; a JSON-RPC error (unknown tool) panics.
    pub(crate) async fn call(&self, tool: &str, args: Json) -> CallResult {
        let (id, r) = self
            .request("tools/call", json!({"name": tool, "arguments": args}))
            .await;
        let res = &r["result"];
        assert!(res.is_object(), "{tool}: {r}");
        let text = res["content"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|b| b["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        CallResult {
            id,
            is_error: res["isError"].as_bool().unwrap_or(false),
            text,
        }
    }
}

/// An audit sink the test can read back.
#[derive(Clone, Default)]
pub(crate) struct Buf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buf {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// Every line, each of which must be one JSON object.
    pub(crate) fn records(&self) -> Vec<Json> {
        self.text()
            .lines()
            .map(|l| {
                let v: Json = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
                assert!(v.is_object(), "{l}");
                v
            })
            .collect()
    }
}
