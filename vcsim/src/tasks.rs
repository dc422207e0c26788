//! Tasks: a `Task` object whose `info` goes queued → running → success|error.
//! The work itself runs when the task completes, so a failing precondition
//! (a VM already powered on) lands in `info.error` like on vCenter, while the
//! method call itself has already returned the Task. The work runs in a
//! transaction: when it fails, everything it changed is undone before the
//! task records its error.

use std::sync::Arc;

use vim25::{Data, Fault, MoRef, TypeRef, Value};

use crate::now;
use crate::state::{Shared, State};

/// The work a task does when it completes; its `Ok` value becomes `info.result`.
pub(crate) type Op = Box<dyn FnOnce(&mut State) -> Result<Option<Value>, Fault> + Send>;

/// Completed Task objects kept for reading back; older ones are dropped.
const KEEP_TASKS: usize = 1000;
/// Tasks listed in `TaskManager.recentTask`.
const RECENT_TASKS: usize = 200;

/// Methods whose tasks vCenter lets a client cancel while they run
/// (`info.cancelable`): the long copies and moves, and maintenance mode
/// (which may wait a long time for its VMs). A cancelled task ends in
/// `RequestCanceled` without doing its work.
const CANCELABLE: &[&str] = &[
    "CloneVM_Task",
    "RelocateVM_Task",
    "MigrateVM_Task",
    "EnterMaintenanceMode_Task",
    "CopyDatastoreFile_Task",
    "MoveDatastoreFile_Task",
    "CopyVirtualDisk_Task",
    "SearchDatastoreSubFolders_Task",
];

/// How often a running task looks at `info.cancelled` while it runs.
const CANCEL_CHECK: std::time::Duration = std::time::Duration::from_millis(20);

fn set_info(st: &mut State, task: &MoRef, field: &str, v: Value) -> Result<(), Fault> {
    st.objects.set(task, &format!("info.{field}"), v)
}

/// Creates the Task and schedules `op`. `method` is the wire method name
/// (`PowerOnVM_Task`), which pyvmomi reads back from `info.name`.
pub(crate) fn submit(
    shared: &Arc<Shared>,
    user: &str,
    method: &str,
    entity: &MoRef,
    op: Op,
) -> Result<MoRef, Fault> {
    let task = shared.try_mutate(|st| {
        let task = MoRef::new("Task", &st.new_id("task"));
        let entity_name = st.objects.name(entity);
        let description_id = format!("{}.{}", entity.kind, description_verb(method));
        let info = Data::new("TaskInfo")
            .with("key", task.value.as_str())
            .with("task", &task)
            .with("name", method)
            .with("descriptionId", description_id)
            .with("entity", entity)
            .with("entityName", entity_name)
            .with("state", "queued")
            .with("cancelled", false)
            .with("cancelable", CANCELABLE.contains(&method))
            .with("reason", Data::new("TaskReasonUser").with("userName", user))
            .with("queueTime", now())
            .with("eventChainId", 0);
        st.objects
            .insert(task.clone(), Data::new("Task").with("info", info));
        let tm = st.svc("taskManager");
        let mut recent = st.objects.refs(&tm, "recentTask");
        recent.push(task.clone());
        if recent.len() > RECENT_TASKS {
            let drop = recent.len() - RECENT_TASKS;
            recent.drain(..drop);
        }
        st.objects.set(&tm, "recentTask", Value::from(recent))?;
        prune(st)?;
        Ok(task)
    })?;
    let shared = shared.clone();
    let t = task.clone();
    tokio::spawn(async move {
        tokio::task::yield_now().await;
        shared.mutate(|st| {
            let started = set_info(st, &t, "state", Value::from("running"))
                .and_then(|()| set_info(st, &t, "startTime", Value::from(now())))
                .and_then(|()| set_info(st, &t, "progress", Value::Int(0)));
            report(&t, started);
        });
        // The task runs for `task_duration`, ending early once cancelled.
        let end = tokio::time::Instant::now() + shared.task_duration;
        while tokio::time::Instant::now() < end && !cancelled(&shared.lock(), &t) {
            tokio::time::sleep_until(end.min(tokio::time::Instant::now() + CANCEL_CHECK)).await;
        }
        shared.mutate(|st| {
            // The op's own transaction: a failure undoes its changes only,
            // then the task records the outcome. A cancelled task does no work.
            let outcome = if cancelled(st, &t) {
                Err(Fault::new(
                    "RequestCanceled",
                    "The task was canceled by a user.",
                ))
            } else {
                st.transaction(op)
            };
            let recorded = finish(st, &t, outcome);
            report(&t, recorded);
        });
    });
    Ok(task)
}

/// Whether `CancelTask` asked `t` to stop.
fn cancelled(st: &State, t: &MoRef) -> bool {
    st.objects
        .prop(t, "info.cancelled")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Writes a finished task's state, result or error, and completion time.
fn finish(st: &mut State, t: &MoRef, outcome: Result<Option<Value>, Fault>) -> Result<(), Fault> {
    match outcome {
        Ok(result) => {
            set_info(st, t, "state", Value::from("success"))?;
            set_info(st, t, "progress", Value::Int(100))?;
            if let Some(v) = result {
                let v = match v {
                    Value::MoRef(m) => {
                        Value::any(TypeRef::new("ManagedObjectReference"), Value::MoRef(m))
                    }
                    v => v,
                };
                set_info(st, t, "result", v)?;
            }
        }
        Err(f) => {
            tracing::debug!(task = %t, fault = %f, "task failed");
            set_info(st, t, "state", Value::from("error"))?;
            set_info(st, t, "error", Value::data(f.to_localized()))?;
        }
    }
    set_info(st, t, "completeTime", Value::from(now()))
}

/// A task's own bookkeeping failing is a simulator bug: loud, and fatal in debug builds.
fn report(t: &MoRef, r: Result<(), Fault>) {
    if let Err(f) = r {
        tracing::error!(task = %t, fault = %f, "recording task state failed");
        debug_assert!(false, "recording the state of {t} failed: {f}");
    }
}

/// Drops the oldest Task objects beyond [`KEEP_TASKS`].
fn prune(st: &mut State) -> Result<(), Fault> {
    let tasks = st.objects.of_kind("Task");
    if tasks.len() > KEEP_TASKS {
        let tm = st.svc("taskManager");
        for t in &tasks[..tasks.len() - KEEP_TASKS] {
            st.objects.remove(t);
            st.objects.remove_ref(&tm, "recentTask", t)?;
        }
    }
    Ok(())
}

/// `PowerOnVM_Task` → `powerOn`, the verb vCenter uses in `descriptionId`.
fn description_verb(method: &str) -> String {
    let base = method.strip_suffix("_Task").unwrap_or(method);
    let base = base.strip_suffix("VM").unwrap_or(base);
    let mut c = base.chars();
    match c.next() {
        Some(f) => format!("{}{}", f.to_ascii_lowercase(), c.as_str()),
        None => String::new(),
    }
}
