//! What deploy_ovf and export_vm_ovf do with an `HttpNfcLease`: wait until
//! it is ready, report progress (to the lease and, when the client asked,
//! as MCP progress notifications), complete it, or abort it on any failure
//! or cancellation, and move a disk's bytes between a [`Source`] and a
//! lease or `/folder` URL without holding them.

use std::time::Duration;

use axum::body::Bytes;
use futures::SinkExt;
use vim25::{Data, MoRef, Request, Value};

use super::Ctx;
use super::call_env::CallEnv;
use super::ovf_stream::Source;
use crate::error::ToolError;
use crate::views::ovf::LEASE;
use crate::vsphere::{FolderResponse, Obj};

/// Past this a lease still initializing is reported as stuck.
const READY_WAIT: Duration = Duration::from_secs(30 * 60);

pub(super) struct Lease {
    pub(super) moref: MoRef,
    /// Bytes to move in all, and moved so far (for progress).
    pub(super) total: u64,
    pub(super) done: u64,
    last_percent: i64,
    env: CallEnv,
    what: String,
}

impl Lease {
    pub(super) fn new(moref: MoRef, what: &str) -> Self {
        Lease {
            moref,
            total: 0,
            done: 0,
            last_percent: -1,
            env: super::call_env::current(),
            what: what.to_string(),
        }
    }

    /// Waits for `ready`; the lease's own error when it fails instead.
    pub(super) async fn ready(&self, ctx: &Ctx) -> Result<Obj, ToolError> {
        let start = std::time::Instant::now();
        let mut delay = Duration::from_millis(20);
        loop {
            let o = ctx
                .client
                .properties(&self.moref, &LEASE)
                .await
                .map_err(|e| ToolError::vsphere(&e, None))?;
            match o.str("state") {
                Some("ready") => return Ok(o),
                Some("error") => {
                    let why = o
                        .get("error")
                        .and_then(Value::as_data)
                        .and_then(|d| d.path("localizedMessage").and_then(Value::as_str))
                        .unwrap_or("no reason given");
                    return Err(ToolError::new(format!(
                        "vCenter's lease for {} failed: {why}",
                        self.what
                    )));
                }
                Some("done") => {
                    return Err(ToolError::new(format!(
                        "vCenter's lease for {} ended before any transfer",
                        self.what
                    )));
                }
                _ => {}
            }
            if start.elapsed() > READY_WAIT {
                return Err(ToolError::new(format!(
                    "vCenter's lease for {} is still initializing after {} minutes",
                    self.what,
                    READY_WAIT.as_secs() / 60
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// Counts `n` more bytes moved; tells the lease (every 5%) and the
    /// client (every 1%) how far along it is.
    pub(super) async fn advance(&mut self, ctx: &Ctx, n: u64) {
        self.done += n;
        let percent = self
            .done
            .saturating_mul(100)
            .checked_div(self.total)
            .map_or(100, |p| p.min(100) as i64);
        if percent == self.last_percent {
            return;
        }
        if percent / 5 != self.last_percent / 5 {
            let req = Request::new("HttpNfcLeaseProgress", &self.moref).arg("percent", percent);
            if let Err(e) = ctx.client.invoke(&req).await {
                tracing::warn!(lease = %self.moref.value, error = %e, "HttpNfcLeaseProgress failed");
            }
        }
        self.last_percent = percent;
        let msg = format!("{}: {percent}% transferred", self.what);
        self.env
            .progress(self.done as f64, Some(self.total as f64), msg)
            .await;
    }

    pub(super) async fn complete(&self, ctx: &Ctx) -> Result<(), ToolError> {
        ctx.client
            .invoke(&Request::new("HttpNfcLeaseComplete", &self.moref))
            .await
            .map(|_| ())
            .map_err(|e| ToolError::vsphere(&e, None))
    }

    /// Aborts the lease (so vCenter discards a half-made import), logging
    /// rather than hiding the failure that caused it if this fails too.
    pub(super) async fn abort(&self, ctx: &Ctx, why: &str) {
        let fault = Data::new("LocalizedMethodFault")
            .with("fault", Data::new("SystemError").with("reason", why))
            .with("localizedMessage", why);
        let req = Request::new("HttpNfcLeaseAbort", &self.moref).arg("fault", fault);
        if let Err(e) = ctx.client.invoke(&req).await {
            tracing::warn!(lease = %self.moref.value, error = %e, "HttpNfcLeaseAbort failed");
        }
    }

    /// Runs `work` (everything done under the lease); aborts the lease when
    /// it fails or the client cancels the call.
    pub(super) async fn guard<T>(
        &self,
        ctx: &Ctx,
        work: impl Future<Output = Result<T, ToolError>>,
    ) -> Result<T, ToolError> {
        let env = self.env.clone();
        let out = tokio::select! {
            r = work => r,
            _ = env.cancelled() => Err(ToolError::new(format!(
                "{} was cancelled; the lease was aborted",
                self.what
            ))),
        };
        if let Err(e) = &out {
            self.abort(ctx, &e.0).await;
        }
        out
    }
}

/// The lease's `info.deviceUrl` entries.
pub(super) fn device_urls(o: &Obj) -> Vec<Data> {
    o.get("info.deviceUrl")
        .map(Value::as_array)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_data)
        .cloned()
        .collect()
}

/// Sends `length` bytes of `src` as the body of `put` (a PUT started with
/// the receiving end of the channel it is given), counting them on `lease`.
pub(super) async fn send<F>(
    ctx: &Ctx,
    lease: &mut Lease,
    src: &mut Source,
    length: u64,
    put: impl FnOnce(reqwest::Body) -> F,
) -> Result<FolderResponse, ToolError>
where
    F: Future<Output = Result<FolderResponse, crate::error::VsError>>,
{
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let upload = put(reqwest::Body::wrap_stream(rx));
    let feed = async {
        let mut left = length;
        while left > 0 {
            let Some(b) = src.take(left.min(1 << 20)).await? else {
                return Err(ToolError::new(format!(
                    "{} ends early: the file is truncated or corrupt",
                    src.what
                )));
            };
            left -= b.len() as u64;
            let n = b.len() as u64;
            if tx.send(Ok(b)).await.is_err() {
                // The upload stopped reading; its answer says why.
                break;
            }
            lease.advance(ctx, n).await;
        }
        drop(tx);
        Ok(())
    };
    let (answer, fed) = tokio::join!(upload, feed);
    fed?;
    answer.map_err(|e| ToolError::vsphere(&e, None))
}
