//! The two MCP transports: stdio (stdout carries JSON-RPC only) and
//! streamable HTTP at `/mcp` with `GET /health`, keeping rmcp's Host/Origin
//! (DNS-rebinding) checks on — extended by `MCP_ALLOWED_HOSTS` /
//! `MCP_ALLOWED_ORIGINS` and the host of `OAUTH_BASE_URL` — and, when OAuth or
//! an API key is configured, the bearer check of [`crate::auth`] in front of
//! `/mcp` plus the OAuth endpoints beside it.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::{Listener, ListenerExt};
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

use std::future::IntoFuture;
use std::time::Duration;

use crate::auth::Auth;
use crate::config::Config;
use crate::mcp::App;
use crate::mcp::McpServer;
use crate::shutdown::{InFlight, Signal, track_stdio};

/// Serves MCP over stdin/stdout until the client closes the stream or
/// `signal` fires; then calls in flight get up to `grace` to answer
/// ([`crate::shutdown`]). Input passes through [`crate::stdio_guard`] so
/// malformed lines get a JSON-RPC error instead of silence.
pub async fn serve_stdio(app: App, signal: Signal, grace: Duration) -> anyhow::Result<()> {
    let (from_client, to_client) =
        crate::stdio_guard::guard(tokio::io::stdin(), tokio::io::stdout());
    let in_flight = InFlight::default();
    let pipes = track_stdio(from_client, to_client, signal.clone(), in_flight.clone());
    let running = McpServer::new(app)
        .serve(pipes)
        .await
        .context("starting the stdio MCP session")?;
    let ct = running.cancellation_token();
    let stop = async {
        signal.fired().await;
        let waiting = in_flight.count();
        if waiting > 0 {
            tracing::info!(calls = waiting, "waiting for calls in flight");
        }
        if tokio::time::timeout(grace, in_flight.drained())
            .await
            .is_err()
        {
            tracing::warn!(
                calls = in_flight.count(),
                "calls still in flight after {} s (MCVSPHERE_SHUTDOWN_GRACE); stopping anyway",
                grace.as_secs()
            );
        }
        // Let the last answer leave the pipes before the service ends.
        tokio::time::sleep(Duration::from_millis(50)).await;
        ct.cancel();
    };
    tokio::select! {
        r = running.waiting() => { r.context("stdio MCP session")?; }
        () = stop => {}
    }
    Ok(())
}

/// Hosts the `Host` header may name. rmcp allows loopback names by default;
/// a specific bind address is added so clients using it are not refused.
pub fn allowed_hosts(bind_host: &str) -> Vec<String> {
    let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    let h = bind_host.trim_matches(|c| c == '[' || c == ']');
    let unspecified = matches!(h, "0.0.0.0" | "::" | "");
    if !unspecified && !hosts.iter().any(|x| x == h) {
        hosts.push(h.to_string());
    }
    hosts
}

/// Browser origins allowed to call `/mcp`: pages served from the allowed
/// hosts on any port. Requests without `Origin` (non-browser clients) pass.
pub fn allowed_origins(hosts: &[String]) -> Vec<String> {
    let mut out = vec![];
    for h in hosts {
        let h = if h.contains(':') {
            format!("[{h}]")
        } else {
            h.clone()
        };
        out.push(format!("http://{h}:*"));
        out.push(format!("https://{h}:*"));
    }
    out
}

/// What the HTTP application guards with: accepted hosts and origins, and
/// the auth layer (`None`: open, on loopback or by explicit choice).
#[derive(Clone)]
pub struct HttpSecurity {
    pub hosts: Vec<String>,
    pub origins: Vec<String>,
    pub auth: Option<Arc<Auth>>,
}

impl HttpSecurity {
    /// Loopback names plus the bind address, no auth (tests, local use).
    pub fn local(bind_host: &str) -> HttpSecurity {
        let hosts = allowed_hosts(bind_host);
        HttpSecurity {
            origins: allowed_origins(&hosts),
            hosts,
            auth: None,
        }
    }

    /// From the configuration: `MCP_ALLOWED_HOSTS`/`MCP_ALLOWED_ORIGINS`, the
    /// public origin of `OAUTH_BASE_URL`, and the auth layer.
    pub fn from_config(config: &Config) -> anyhow::Result<HttpSecurity> {
        let mut sec = HttpSecurity::local(&config.mcp_host);
        let mut extra_hosts = config.access.allowed_hosts.clone();
        let mut extra_origins = config.access.allowed_origins.clone();
        if config.oauth.enabled
            && let Some(base) = config
                .oauth
                .base_url
                .as_deref()
                .and_then(|b| url::Url::parse(b).ok())
            && let Some(h) = base.host_str()
        {
            extra_hosts.push(h.to_string());
            extra_origins.push(base.origin().ascii_serialization());
        }
        for h in extra_hosts {
            if !sec.hosts.contains(&h) {
                sec.hosts.push(h);
            }
        }
        sec.origins.extend(extra_origins);
        sec.auth = Auth::from_config(config)?;
        Ok(sec)
    }
}

/// The HTTP application: `/mcp` (streamable HTTP) and `/health`, open (local).
pub fn router(app: App, bind_host: &str) -> axum::Router {
    secured_router(app, &HttpSecurity::local(bind_host))
}

/// The HTTP application with its security: a `Host` check on every route,
/// rmcp's Host/Origin checks on `/mcp`, the bearer layer and OAuth endpoints.
pub fn secured_router(app: App, sec: &HttpSecurity) -> axum::Router {
    let config = StreamableHttpServerConfig::default()
        .with_allowed_origins(sec.origins.clone())
        .with_allowed_hosts(sec.hosts.clone());
    let mcp: StreamableHttpService<McpServer, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(McpServer::new(app.clone())),
        Arc::new(session_manager()),
        config,
    );
    // The JSON-RPC guard sits inside the bearer check: an unauthenticated
    // caller learns nothing, not even how its body was malformed.
    let mut mcp_routes =
        axum::Router::new()
            .nest_service("/mcp", mcp)
            .route_layer(from_fn_with_state(
                Arc::new(sec.origins.clone()),
                crate::jsonrpc_guard::guard,
            ));
    let mut app = axum::Router::new().route("/health", get(health));
    if let Some(auth) = &sec.auth {
        mcp_routes = mcp_routes.route_layer(from_fn_with_state(
            auth.clone(),
            crate::auth::resource::require_bearer,
        ));
        app = app.merge(auth.routes());
    }
    app.merge(mcp_routes)
        .layer(from_fn_with_state(Arc::new(sec.hosts.clone()), check_host))
}

/// How long rmcp keeps the messages of a finished request so a client whose
/// event stream broke can resume it (`Last-Event-ID`). Clients come back
/// after the SSE retry interval (3 s); rmcp's default of 60 s makes the
/// server hold every answer of the last minute — at a few hundred calls a
/// second, tens of megabytes (found by the issue-14 soak test).
pub const RESUME_WINDOW: std::time::Duration = std::time::Duration::from_secs(10);

/// MCP sessions as rmcp keeps them, with [`RESUME_WINDOW`].
fn session_manager() -> LocalSessionManager {
    let mut m = LocalSessionManager::default();
    m.session_config.completed_cache_ttl = RESUME_WINDOW;
    m
}

/// DNS-rebinding protection for every route (rmcp checks `/mcp` itself; the
/// OAuth endpoints need it too): the `Host` header must name an allowed host.
async fn check_host(State(hosts): State<Arc<Vec<String>>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    match host {
        Some(h) if host_allowed(&h, &hosts) => next.run(req).await,
        _ => (
            StatusCode::FORBIDDEN,
            "Forbidden: Host header is not allowed (MCP_ALLOWED_HOSTS)",
        )
            .into_response(),
    }
}

/// `host[:port]` against entries that are `host` (any port) or `host:port`.
pub fn host_allowed(value: &str, allowed: &[String]) -> bool {
    let Ok(auth) = value.parse::<axum::http::uri::Authority>() else {
        return false;
    };
    let host = auth
        .host()
        .trim_matches(|c| c == '[' || c == ']')
        .to_ascii_lowercase();
    allowed
        .iter()
        .any(|a| match a.parse::<axum::http::uri::Authority>() {
            Ok(x) => {
                x.host()
                    .trim_matches(|c| c == '[' || c == ']')
                    .eq_ignore_ascii_case(&host)
                    && x.port_u16().is_none_or(|p| auth.port_u16() == Some(p))
            }
            Err(_) => a
                .trim_matches(|c| c == '[' || c == ']')
                .eq_ignore_ascii_case(&host),
        })
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "server": "mcvsphere",
        "version": env!("CARGO_PKG_VERSION"),
        "transport": "streamable-http",
    }))
}

/// Binds the listener (so the caller can print the real address, port 0 included).
pub async fn bind(host: &str, port: u16) -> anyhow::Result<TcpListener> {
    let h = host.trim_matches(|c| c == '[' || c == ']');
    TcpListener::bind((h, port))
        .await
        .with_context(|| format!("cannot listen on {host}:{port} (MCP_HOST/MCP_PORT)"))
}

/// The listener the HTTP application is served from: every accepted
/// connection gets `TCP_NODELAY`. Without it a response written in pieces
/// (SSE framing, then the message) waits for the client's delayed ACK —
/// ~40 ms per call on a keep-alive connection.
pub fn http_listener(listener: TcpListener) -> impl Listener<Io = TcpStream, Addr = SocketAddr> {
    listener.tap_io(tune_accepted)
}

fn tune_accepted(tcp: &mut TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY on an accepted connection");
    }
}

/// Serves the HTTP application on `listener` until `signal` (SIGTERM or
/// SIGINT); then no connection is accepted and open ones get
/// `MCVSPHERE_SHUTDOWN_GRACE` to finish.
pub async fn serve_http(
    app: App,
    listener: TcpListener,
    config: &Config,
    signal: Signal,
) -> anyhow::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    let sec = HttpSecurity::from_config(config)?;
    let mode = match &sec.auth {
        Some(a) if a.proxy => "OAuth (OIDC proxy)",
        Some(a) if a.resource_url.is_some() => "OAuth (resource server)",
        Some(_) => "API key",
        None => "no authentication",
    };
    tracing::info!(%addr, "MCP streamable HTTP listening on http://{addr}/mcp ({mode})");
    let grace = config.limits.shutdown_grace;
    let fired = signal.clone();
    let server = axum::serve(http_listener(listener), secured_router(app, &sec))
        .with_graceful_shutdown(async move { fired.fired().await });
    let deadline = async {
        signal.fired().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = server.into_future() => r.context("HTTP server")?,
        () = deadline => tracing::warn!(
            "connections still open after {} s (MCVSPHERE_SHUTDOWN_GRACE); stopping anyway",
            grace.as_secs()
        ),
    }
    Ok(())
}
