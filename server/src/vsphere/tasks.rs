//! Waiting for vSphere tasks: poll `Task.info` until it succeeds or fails,
//! turning `info.error` into a fault the caller can explain.

use std::time::{Duration, Instant};

use vim25::{Data, Fault, MoRef, Request, Value};

use super::{Client, PropSet};
use crate::error::VsError;

/// What waiting on a task reads.
pub const TASK_INFO: PropSet = PropSet {
    kind: "Task",
    paths: &["info"],
};

/// Long operations (clones across datastores) can take a while; past this
/// the tool reports the task as still running instead of waiting forever.
const MAX_WAIT: Duration = Duration::from_secs(3 * 60 * 60);

/// Whether a failed read of a task's state is worth reading again: the
/// connection, or vCenter failing the read itself. A task that is gone
/// (`ManagedObjectNotFound`) or a refused login is not.
fn poll_again(e: &VsError) -> bool {
    match e {
        VsError::Net(_) => true,
        VsError::Fault(f) => ["SystemError", "HostCommunication", "RequestCanceled"]
            .iter()
            .any(|t| f.is(t)),
        _ => false,
    }
}

impl Client {
    /// `task`'s `info`, read again (with backoff) while the reads fail in a
    /// way [`poll_again`] accepts, for up to `VCENTER_TIMEOUT`: a vCenter
    /// restart or a dropped connection is a blip in the wait, not the task
    /// failing (it runs on without us).
    async fn task_info(&self, task: &MoRef) -> Result<super::Obj, VsError> {
        let grace = self.inner.limits.timeout;
        let start = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            match self.properties(task, &TASK_INFO).await {
                Ok(o) => return Ok(o),
                Err(e) if poll_again(&e) && start.elapsed() + pause < grace => {
                    tracing::info!(task = %task.value, error = %e, "reading a task's state failed; reading again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits for `task` and returns its `info.result`.
    pub async fn wait_task(&self, task: &MoRef) -> Result<Option<Value>, VsError> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(20);
        let mut last_progress = None;
        loop {
            let o = self.task_info(task).await?;
            let state = o.str("info.state").unwrap_or_default().to_string();
            match state.as_str() {
                "success" => return Ok(o.get("info.result").cloned()),
                "error" => {
                    return Err(VsError::Fault(
                        match o.get("info.error").and_then(Value::as_data) {
                            Some(d) => task_fault(d),
                            None => Fault::new("SystemError", "the task failed without saying why"),
                        },
                    ));
                }
                _ => {}
            }
            let progress = o.i64("info.progress");
            if progress.is_some() && progress != last_progress {
                tracing::debug!(task = %task.value, progress, "task progress");
                last_progress = progress;
            }
            if start.elapsed() > MAX_WAIT {
                return Err(VsError::Protocol(format!(
                    "task {} is still running after {} minutes",
                    task.value,
                    MAX_WAIT.as_secs() / 60
                )));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// Runs a `*_Task` method and waits for it.
    pub async fn run_task(&self, req: &vim25::Request) -> Result<Option<Value>, VsError> {
        let task = self
            .invoke(req)
            .await?
            .as_ref()
            .and_then(Value::as_moref)
            .cloned()
            .ok_or_else(|| VsError::Protocol(format!("{} returned no task", req.method)))?;
        self.wait_task(&task)
            .await
            .map_err(|e| super::exchange::started(&req.method, e))
    }
}

/// How a watched wait ([`Client::watch_task`]) ended, when the task did not fail.
#[derive(Debug)]
pub enum TaskEnd {
    /// The task succeeded with this `info.result`.
    Done(Option<Value>),
    /// The time allowed passed first; vCenter was asked to cancel the task
    /// (`CancelTask`), with this outcome.
    TimedOut(Result<(), VsError>),
    /// The caller gave up first; vCenter was asked to cancel the task, with
    /// this outcome.
    Cancelled(Result<(), VsError>),
}

impl Client {
    /// Waits for `task` at most `timeout`, calling `progress(percent,
    /// description)` each time `info.progress` changes, and cancelling the
    /// task (`CancelTask`) when `cancelled` completes or the time is up.
    /// Unlike [`Client::wait_task`] the caller decides how long to wait and
    /// learns when it stopped waiting.
    pub async fn watch_task<P, F>(
        &self,
        task: &MoRef,
        timeout: Duration,
        mut progress: P,
        cancelled: impl Future<Output = ()>,
    ) -> Result<TaskEnd, VsError>
    where
        P: FnMut(i64, String) -> F,
        F: Future<Output = ()>,
    {
        let start = Instant::now();
        let mut delay = Duration::from_millis(20);
        let mut last_progress = None;
        tokio::pin!(cancelled);
        loop {
            let o = self.task_info(task).await?;
            match o.str("info.state").unwrap_or_default() {
                "success" => return Ok(TaskEnd::Done(o.get("info.result").cloned())),
                "error" => {
                    return Err(VsError::Fault(
                        match o.get("info.error").and_then(Value::as_data) {
                            Some(d) => task_fault(d),
                            None => Fault::new("SystemError", "the task failed without saying why"),
                        },
                    ));
                }
                _ => {}
            }
            let p = o.i64("info.progress");
            if let Some(p) = p
                && Some(p) != last_progress
            {
                last_progress = Some(p);
                let what = o
                    .str("info.description.message")
                    .or(o.str("info.name"))
                    .unwrap_or("task")
                    .to_string();
                progress(p, what).await;
            }
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Ok(TaskEnd::TimedOut(self.cancel_task(task).await));
            }
            tokio::select! {
                _ = tokio::time::sleep(delay.min(left)) => {}
                _ = &mut cancelled => {
                    return Ok(TaskEnd::Cancelled(self.cancel_task(task).await));
                }
            }
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// `CancelTask`: vCenter refuses a task that is not cancelable or has
    /// already ended (the error says which).
    pub async fn cancel_task(&self, task: &MoRef) -> Result<(), VsError> {
        self.invoke(&Request::new("CancelTask", task))
            .await
            .map(|_| ())
    }
}

/// `TaskInfo.error` as a fault: a `LocalizedMethodFault` on the wire, or the
/// bare fault object when the decoder saw it through its declared type.
fn task_fault(d: &Data) -> Fault {
    if d.type_name == "LocalizedMethodFault" {
        let mut f = Fault::from_localized(d);
        if f.message.is_empty() {
            f.message = f.fault_type().unwrap_or("the task failed").to_string();
        }
        return f;
    }
    let message = d
        .get("faultMessage")
        .map(|m| {
            m.as_array()
                .iter()
                .filter_map(|x| x.path("message").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| d.type_name.to_string());
    Fault {
        code: "ServerFaultCode".into(),
        message,
        detail: Some(d.clone()),
    }
}
