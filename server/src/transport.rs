//! The two MCP transports: stdio (stdout carries JSON-RPC only) and
//! streamable HTTP at `/mcp` with `GET /health`, keeping rmcp's Host/Origin
//! (DNS-rebinding) checks on.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Json;
use axum::routing::get;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::net::TcpListener;

use crate::mcp::McpServer;
use crate::tools::Ctx;

/// Serves MCP over stdin/stdout until the client closes the stream. Input
/// passes through [`crate::stdio_guard`] so malformed lines get a JSON-RPC
/// error instead of silence.
pub async fn serve_stdio(ctx: Ctx) -> anyhow::Result<()> {
    let running = McpServer::new(ctx)
        .serve(crate::stdio_guard::guard(
            tokio::io::stdin(),
            tokio::io::stdout(),
        ))
        .await
        .context("starting the stdio MCP session")?;
    running.waiting().await.context("stdio MCP session")?;
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

/// The HTTP application: `/mcp` (streamable HTTP) and `/health`.
pub fn router(ctx: Ctx, bind_host: &str) -> axum::Router {
    let hosts = allowed_hosts(bind_host);
    let config = StreamableHttpServerConfig::default()
        .with_allowed_origins(allowed_origins(&hosts))
        .with_allowed_hosts(hosts);
    let mcp: StreamableHttpService<McpServer, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(McpServer::new(ctx.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    axum::Router::new()
        .nest_service("/mcp", mcp)
        .route("/health", get(health))
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

/// Serves the HTTP application on `listener` until Ctrl-C / SIGTERM.
pub async fn serve_http(ctx: Ctx, listener: TcpListener, bind_host: &str) -> anyhow::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "MCP streamable HTTP listening on http://{addr}/mcp");
    axum::serve(listener, router(ctx, bind_host))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("HTTP server")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
