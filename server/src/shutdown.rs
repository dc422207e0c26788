//! Graceful shutdown on SIGTERM or SIGINT, for both transports: stop taking
//! new work, let calls in flight finish for up to `MCVSPHERE_SHUTDOWN_GRACE`,
//! then return so start-up code logs out of vCenter and the process exits 0.
//!
//! Over HTTP, axum's graceful shutdown stops accepting and waits for open
//! connections; the grace bounds that wait (an idle SSE stream would hold
//! it forever). Over stdio, rmcp drops the answers of calls in flight as
//! soon as its input ends, so [`track_stdio`] sits between the stdio guard
//! and rmcp: it counts requests in and responses out, stops passing input
//! on once the signal came, and says when nothing is left in flight.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::Value as Json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::watch;

const PIPE: usize = 256 * 1024;

/// Fires once on the first SIGTERM or SIGINT. The handlers are installed
/// when this is made (before the server says it is listening), so a signal
/// sent at any time after start-up is a graceful shutdown, never the
/// default "terminate at once".
#[derive(Clone)]
pub struct Signal {
    rx: watch::Receiver<bool>,
    /// [`Signal::never`]'s sender, kept so the channel never closes.
    _never: Option<Arc<watch::Sender<bool>>>,
}

impl Signal {
    pub fn install() -> std::io::Result<Signal> {
        let (tx, rx) = watch::channel(false);
        #[cfg(unix)]
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        #[cfg(unix)]
        let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        tokio::spawn(async move {
            #[cfg(unix)]
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            #[cfg(not(unix))]
            let name = {
                let _ = tokio::signal::ctrl_c().await;
                "Ctrl-C"
            };
            tracing::info!("{name}: shutting down (calls in flight may finish)");
            let _ = tx.send(true);
        });
        Ok(Signal { rx, _never: None })
    }

    /// A signal that never fires (tests, embedding).
    pub fn never() -> Signal {
        let (tx, rx) = watch::channel(false);
        Signal {
            rx,
            _never: Some(Arc::new(tx)),
        }
    }

    /// Resolves when the signal came (never, if it cannot come any more).
    pub async fn fired(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    pub fn has_fired(&self) -> bool {
        *self.rx.borrow()
    }
}

/// Requests rmcp has been given and not yet answered (stdio).
#[derive(Clone, Default)]
pub struct InFlight {
    ids: Arc<Mutex<HashSet<String>>>,
    changed: Arc<tokio::sync::Notify>,
}

impl InFlight {
    fn insert(&self, id: String) {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id);
    }

    fn remove(&self, id: &str) {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        self.changed.notify_waiters();
    }

    pub fn count(&self) -> usize {
        self.ids.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Resolves when no request is in flight.
    pub async fn drained(&self) {
        loop {
            let changed = self.changed.notified();
            if self.count() == 0 {
                return;
            }
            changed.await;
        }
    }
}

/// Just enough of a JSON-RPC message to tell requests and responses apart.
#[derive(Deserialize)]
struct Head {
    id: Option<Json>,
    method: Option<String>,
    result: Option<serde::de::IgnoredAny>,
    error: Option<serde::de::IgnoredAny>,
}

fn head(line: &[u8]) -> Option<Head> {
    serde_json::from_slice(line).ok()
}

/// The answer to a request that arrives after the signal.
fn refusal(id: &Json) -> Vec<u8> {
    let mut line = serde_json::to_vec(&serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": -32000, "message": "the server is shutting down; send the request again once it is back"},
    }))
    .unwrap_or_default();
    line.push(b'\n');
    line
}

/// Puts a counter between the stdio guard's pipes (`from_client`: what
/// rmcp would read, `to_client`: where rmcp would write) and rmcp; returns
/// the pair rmcp serves on instead. After `signal`, no further input
/// reaches rmcp (its input stays open, so answers still go out) and a new
/// request is answered "the server is shutting down".
pub fn track_stdio(
    from_client: DuplexStream,
    to_client: DuplexStream,
    signal: Signal,
    in_flight: InFlight,
) -> (DuplexStream, DuplexStream) {
    let (mut to_rmcp, rmcp_in) = tokio::io::duplex(PIPE);
    let (rmcp_out, from_rmcp) = tokio::io::duplex(PIPE);
    let (refuse_tx, mut refusals) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let counted = in_flight.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(from_client);
        let mut line = Vec::new();
        loop {
            line.clear();
            match lines.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let request_id = match head(&line) {
                Some(Head {
                    id: Some(id),
                    method: Some(_),
                    ..
                }) => Some(id),
                _ => None,
            };
            if signal.has_fired() {
                if let Some(id) = request_id
                    && refuse_tx.send(refusal(&id)).await.is_err()
                {
                    break;
                }
                continue;
            }
            if let Some(id) = request_id {
                counted.insert(id.to_string());
            }
            if to_rmcp.write_all(&line).await.is_err() {
                break;
            }
        }
        if signal.has_fired() {
            // Hold rmcp's input open until the caller ends the service.
            std::future::pending::<()>().await;
        }
    });
    tokio::spawn(async move {
        let mut lines = BufReader::new(from_rmcp);
        let mut out = to_client;
        let mut line = Vec::new();
        loop {
            // Not cleared when a refusal goes first: `read_until` keeps what
            // it had read of a line in `line`, and carries on from there.
            let read = tokio::select! {
                r = lines.read_until(b'\n', &mut line) => r,
                Some(refused) = refusals.recv() => {
                    if out.write_all(&refused).await.is_err() {
                        break;
                    }
                    continue;
                }
            };
            match read {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let done = match head(&line) {
                Some(Head {
                    id: Some(id),
                    method: None,
                    result,
                    error,
                }) if result.is_some() || error.is_some() => Some(id.to_string()),
                _ => None,
            };
            if out.write_all(&line).await.is_err() {
                break;
            }
            line.clear();
            if let Some(id) = done {
                in_flight.remove(&id);
            }
        }
    });
    (rmcp_in, rmcp_out)
}
