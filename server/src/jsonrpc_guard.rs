//! JSON-RPC answered per the specification on `POST /mcp`, in a thin axum
//! layer in front of rmcp's streamable HTTP service.
//!
//! rmcp answers a body that is not JSON with HTTP 415 "fail to deserialize
//! request body", `tools/call` with non-object `arguments` with −32601
//! "tools/call" (its typed request fails to deserialize and it falls back
//! to "unknown method"), and has no bound of its own on the body. The fix
//! is a layer here rather than upstream because the behaviour comes from
//! rmcp's typed (serde) request model as a whole, not one bug; a layer
//! fixes it for every rmcp version we may take, in one place we test, and
//! it shares its checks with the stdio guard ([`crate::stdio_guard::judge`]).
//!
//! What it answers itself (everything else goes to rmcp untouched, with
//! the same body):
//! - a body over [`MAX_BODY`] → 413 with −32600;
//! - not JSON (whatever the `Content-Type`) → 400 with −32700, id null;
//! - JSON but not a JSON-RPC message (a batch, no `"jsonrpc": "2.0"`, no
//!   method) → 400 with −32600;
//! - a request for a method MCP does not have → −32601 naming the method;
//! - `tools/call` without a string `name`, or with `arguments` that are not
//!   an object → −32602.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use crate::stdio_guard::{Verdict, judge};

/// The largest body accepted, the same bound as one stdio line.
pub const MAX_BODY: usize = crate::stdio_guard::MAX_LINE;

/// Request methods a client may send (MCP 2025-11-25 and 2026-07-28, the
/// ones rmcp knows); notifications (no id) are rmcp's to judge.
const METHODS: &[&str] = &[
    "initialize",
    "server/discover",
    "subscriptions/listen",
    "skills/list",
    "skills/get",
    "resources/directory/read",
    "tasks/update",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "tasks/get",
    "tasks/result",
    "tasks/list",
    "tasks/cancel",
];

fn error(id: &Json, code: i64, message: &str) -> Json {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn reply(status: StatusCode, body: &Json) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// What the guard makes of one POSTed body: `None` forwards it.
pub fn check(body: &[u8]) -> Option<(StatusCode, Json)> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some((
            StatusCode::BAD_REQUEST,
            error(&Json::Null, -32700, "Parse error: the body is empty"),
        ));
    }
    match judge(body) {
        Verdict::Reply(e) => return Some((StatusCode::BAD_REQUEST, e)),
        Verdict::Skip | Verdict::Forward => {}
    }
    let msg: Json = serde_json::from_slice(body).ok()?;
    let (Some(id), Some(method)) = (msg.get("id"), msg.get("method").and_then(Json::as_str)) else {
        return None; // a notification or a response: rmcp's business
    };
    if !METHODS.contains(&method) && !method.starts_with("notifications/") {
        // Short and printable, as tool errors quote their input.
        let shown = crate::tools::echo::quote(method);
        return Some((
            StatusCode::OK,
            error(id, -32601, &format!("Method not found: '{shown}'")),
        ));
    }
    if method == "tools/call" {
        let params = msg.get("params");
        if !params
            .and_then(|p| p.get("name"))
            .is_some_and(Json::is_string)
        {
            return Some((
                StatusCode::OK,
                error(
                    id,
                    -32602,
                    "Invalid params: tools/call needs a string \"name\"",
                ),
            ));
        }
        if params
            .and_then(|p| p.get("arguments"))
            .is_some_and(|a| !a.is_object() && !a.is_null())
        {
            return Some((
                StatusCode::OK,
                error(id, -32602, "Invalid params: arguments must be an object"),
            ));
        }
    }
    None
}

/// Whether `origin` matches one of `allowed` (`scheme://host[:port]`, or
/// `scheme://host:*` for any port), as rmcp's own check reads them.
pub fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    fn parts(v: &str) -> Option<(String, String, Option<u16>)> {
        let uri = axum::http::Uri::try_from(v.trim()).ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let auth = uri.authority()?;
        let host = auth
            .host()
            .trim_matches(|c| c == '[' || c == ']')
            .to_ascii_lowercase();
        Some((scheme, host, auth.port_u16()))
    }
    let default_port = |scheme: &str| match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let Some((scheme, host, port)) = parts(origin) else {
        return false;
    };
    allowed.iter().any(|a| {
        let (base, any_port) = match a.trim().strip_suffix(":*") {
            Some(b) => (b, true),
            None => (a.trim(), false),
        };
        let Some((a_scheme, a_host, a_port)) = parts(base) else {
            return false;
        };
        a_scheme == scheme
            && a_host == host
            && (any_port
                || a_port.is_none_or(|p| port.or_else(|| default_port(&scheme)) == Some(p)))
    })
}

/// The layer: reads a POST body (bounded), answers what [`check`] refuses,
/// and hands the rest on with the same body. A request from a browser
/// origin rmcp will refuse goes straight on, so it gets rmcp's 403, not a
/// word about its body.
pub async fn guard(State(origins): State<Arc<Vec<String>>>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let foreign = req
        .headers()
        .get(header::ORIGIN)
        .is_some_and(|o| o.to_str().map_or(true, |o| !origin_allowed(o, &origins)));
    if foreign {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        let msg = format!("Invalid Request: the body is longer than {MAX_BODY} bytes");
        return reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            &error(&Json::Null, -32600, &msg),
        );
    };
    if let Some((status, e)) = check(&bytes) {
        tracing::info!(
            status = status.as_u16(),
            "refused a malformed JSON-RPC body on /mcp"
        );
        return reply(status, &e);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn code(body: &str) -> Option<(u16, i64)> {
        check(body.as_bytes()).map(|(s, e)| (s.as_u16(), e["error"]["code"].as_i64().unwrap()))
    }

    #[test]
    fn verdicts() {
        assert_eq!(code("not json"), Some((400, -32700)));
        assert_eq!(code(""), Some((400, -32700)));
        assert_eq!(code("[1]"), Some((400, -32600)));
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"nope/x"}"#),
            Some((200, -32601))
        );
        assert_eq!(
            code(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":[1]}}"#
            ),
            Some((200, -32602))
        );
        assert_eq!(
            code(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{}}}"#
            ),
            None
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            None
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}"#),
            None
        );
    }

    #[test]
    fn origins() {
        let allowed = vec![
            "http://localhost:*".to_string(),
            "https://mcp.example.com".to_string(),
        ];
        assert!(origin_allowed("http://localhost:5173", &allowed));
        assert!(origin_allowed("https://mcp.example.com", &allowed));
        assert!(!origin_allowed("https://evil.example", &allowed));
        assert!(!origin_allowed("http://mcp.example.com", &allowed));
        assert!(!origin_allowed("garbage", &allowed));
    }
}
