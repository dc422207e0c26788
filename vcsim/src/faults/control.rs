//! The HTTP control API under `/vcsim/` (JSON in and out), answering 404
//! unless the simulator was started with it enabled. It is never held by a
//! hang: it sits outside the gate every other route passes.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

use super::{FaultRule, sessions};
use crate::listen::Server;
use crate::state::Shared;

/// The default `down_ms` of `POST /vcsim/restart`.
pub const DEFAULT_RESTART_DOWN: Duration = Duration::from_millis(500);

pub(crate) struct Ctl {
    pub shared: Arc<Shared>,
    /// Set once the server is up (the server holds the router holding this).
    pub server: OnceLock<Weak<Server>>,
}

type Ctx = State<Arc<Ctl>>;

pub(crate) fn routes(ctl: Arc<Ctl>) -> Router {
    Router::new()
        .route("/vcsim/faults", get(list).post(add).delete(clear))
        .route("/vcsim/faults/{id}", delete(remove))
        .route("/vcsim/latency", put(latency))
        .route("/vcsim/seed", put(seed))
        .route("/vcsim/hang", post(hang))
        .route("/vcsim/release", post(release))
        .route("/vcsim/sessions/expire", post(expire))
        .route("/vcsim/restart", post(restart))
        .route("/vcsim/status", get(status))
        .route_layer(middleware::from_fn_with_state(ctl.clone(), enabled))
        .with_state(ctl)
}

async fn enabled(State(ctl): Ctx, req: Request, next: Next) -> Response {
    if !ctl
        .shared
        .faults
        .control_api
        .load(std::sync::atomic::Ordering::Acquire)
    {
        return (
            StatusCode::NOT_FOUND,
            "404 Not Found: the vcsim control API is off (start vcsim with --control-api, or set Config::control_api)",
        )
            .into_response();
    }
    next.run(req).await
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

/// An error answer: `{"error": "..."}` with its status.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "error": self.1 }))).into_response()
    }
}

type Answer = Result<Response, Refusal>;

fn bad(message: impl Into<String>) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, message.into())
}

/// The body as a JSON object.
fn body(bytes: &Bytes) -> Result<Value, Refusal> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad("the body must be a JSON object"));
    }
    Ok(v)
}

/// An optional whole-number field of `v`.
fn number(v: &Value, field: &str) -> Result<Option<u64>, Refusal> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(format!("{field}: must be a whole number (0 or more)"))),
    }
}

async fn list(State(ctl): Ctx) -> Response {
    let rules: Vec<Value> = ctl
        .shared
        .faults
        .rules()
        .iter()
        .map(|r| r.to_json())
        .collect();
    ok(json!({ "rules": rules }))
}

async fn add(State(ctl): Ctx, bytes: Bytes) -> Answer {
    let rule = FaultRule::from_json(&body(&bytes)?).map_err(bad)?;
    let faults = &ctl.shared.faults;
    let id = faults.add(rule).map_err(bad)?;
    Ok(match faults.rules().into_iter().find(|r| r.id == id) {
        Some(r) => (StatusCode::CREATED, axum::Json(r.to_json())).into_response(),
        // Removed by a concurrent DELETE between the two calls.
        None => ok(json!({ "id": id })),
    })
}

async fn clear(State(ctl): Ctx) -> Response {
    let n = ctl.shared.faults.rules().len();
    ctl.shared.faults.clear();
    ok(json!({ "removed": n }))
}

async fn remove(State(ctl): Ctx, Path(id): Path<String>) -> Answer {
    let n = id
        .parse::<u64>()
        .map_err(|_| bad(format!("id: {id:?} is not a rule id (a whole number)")))?;
    if !ctl.shared.faults.remove(n) {
        return Err(Refusal(
            StatusCode::NOT_FOUND,
            format!("there is no fault rule {n}"),
        ));
    }
    Ok(ok(json!({ "removed": 1 })))
}

async fn latency(State(ctl): Ctx, bytes: Bytes) -> Answer {
    let v = body(&bytes)?;
    let method = match v.get("method") {
        None | Some(Value::Null) => "*".to_string(),
        Some(Value::String(m)) if m == "*" || vim25::schema().method(m).is_some() => m.clone(),
        Some(Value::String(m)) => {
            return Err(bad(format!(
                "method: {m:?} is not a vim25 method (or \"*\" for every method)"
            )));
        }
        Some(_) => return Err(bad("method: must be a string")),
    };
    let ms = number(&v, "ms")?.ok_or_else(|| bad("ms: required (0 clears)"))?;
    ctl.shared
        .faults
        .set_latency(&method, Duration::from_millis(ms));
    Ok(ok(json!({ "method": method, "ms": ms })))
}

async fn seed(State(ctl): Ctx, bytes: Bytes) -> Answer {
    let s = number(&body(&bytes)?, "seed")?.ok_or_else(|| bad("seed: required"))?;
    ctl.shared.faults.seed(s);
    Ok(ok(json!({ "seed": s })))
}

async fn hang(State(ctl): Ctx) -> Response {
    ctl.shared.faults.gate.hang();
    ok(json!({ "hung": true }))
}

async fn release(State(ctl): Ctx) -> Response {
    ctl.shared.faults.gate.release();
    ok(json!({ "hung": false }))
}

async fn expire(State(ctl): Ctx) -> Response {
    let n = sessions::expire(&ctl.shared);
    ok(json!({ "expired": n }))
}

async fn restart(State(ctl): Ctx, bytes: Bytes) -> Answer {
    let down = if bytes.iter().all(u8::is_ascii_whitespace) {
        DEFAULT_RESTART_DOWN
    } else {
        number(&body(&bytes)?, "down_ms")?.map_or(DEFAULT_RESTART_DOWN, Duration::from_millis)
    };
    let server = ctl.server.get().and_then(Weak::upgrade).ok_or_else(|| {
        Refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down".into(),
        )
    })?;
    // This answer goes out first: the restart lets in-flight requests finish.
    tokio::spawn(async move {
        if let Err(e) = server.restart(down).await {
            tracing::error!(error = %e, "restart failed");
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({ "restarting": true, "down_ms": down.as_millis() as u64 })),
    )
        .into_response())
}

async fn status(State(ctl): Ctx) -> Response {
    let s = ctl.shared.faults.status();
    let rules: Vec<Value> = s.rules.iter().map(|r| r.to_json()).collect();
    let latency: serde_json::Map<String, Value> = s
        .latency
        .iter()
        .map(|(m, d)| (m.clone(), json!(d.as_millis() as u64)))
        .collect();
    ok(json!({
        "rules": rules,
        "latency_ms": latency,
        "hung": s.hung,
        "held": s.held,
        "delayed": s.delayed,
        "sessions": sessions::live(&ctl.shared),
        "seed": s.seed,
    }))
}
