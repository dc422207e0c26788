//! Waiting for vSphere tasks: poll `Task.info` until it succeeds or fails,
//! turning `info.error` into a fault the caller can explain.

use std::time::{Duration, Instant};

use vim25::{Data, Fault, MoRef, Value};

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

impl Client {
    /// Waits for `task` and returns its `info.result`.
    pub async fn wait_task(&self, task: &MoRef) -> Result<Option<Value>, VsError> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(20);
        let mut last_progress = None;
        loop {
            let o = self.properties(task, &TASK_INFO).await?;
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
        self.wait_task(&task).await
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
