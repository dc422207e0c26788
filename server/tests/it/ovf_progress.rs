//! ovf_management's progress and cancellation: the MCP progress a deploy
//! and an export report through the call's environment, and a cancelled
//! deploy aborting its lease, read from the simulator's leases and VMs.

use std::sync::{Arc, Mutex};

use futures::FutureExt;
use mcvsphere::tools::call_env::{CallEnv, ProgressFn, scope};
use serde_json::json;

use crate::ovf::{DS, fixture, lease_states, put_fixture_ovf};
use crate::{Env, env, says};

/// One progress notification: (done, total, message).
type Progress = (f64, Option<f64>, String);
type Seen = Arc<Mutex<Vec<Progress>>>;

/// Runs deploy_ovf with a progress recorder; the first notification also
/// cancels the call when `cancel_on_progress`.
async fn deploy_watched(
    e: &Env,
    vm: &str,
    cancel_on_progress: bool,
) -> (Result<String, String>, Vec<Progress>) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let cancel = Arc::new(Mutex::new(Some(cancel)));
    let progress: ProgressFn = Arc::new(move |done, total, msg| {
        record.lock().unwrap().push((done, total, msg));
        if cancel_on_progress && let Some(c) = cancel.lock().unwrap().take() {
            c.send(()).unwrap();
        }
        Box::pin(async {})
    });
    let env = CallEnv {
        progress: Some(progress),
        cancelled: Some(async move { drop(cancelled.await) }.boxed().shared()),
    };
    let out = scope(
        env,
        mcvsphere::tools::call(
            &e.ctx,
            "deploy_ovf",
            json!({"ovf_path": "ovf/tiny.ovf", "vm_name": vm, "datastore": DS}),
        ),
    )
    .await;
    let seen = seen.lock().unwrap().clone();
    (out.map(|o| o.text()).map_err(|e| e.0), seen)
}

#[tokio::test]
async fn deploy_ovf_reports_the_uploads_progress() {
    let e = env().await;
    put_fixture_ovf(&e);
    let (out, seen) = deploy_watched(&e, "tiny-p", false).await;
    out.unwrap();
    let size = fixture("tiny-disk1.vmdk").len() as f64;
    let last = seen.last().expect("progress notifications");
    assert_eq!(last.0, size);
    assert_eq!(last.1, Some(size));
    says(&last.2, &["[LocalDS_0] ovf/tiny.ovf", "100%"]);
    assert_eq!(lease_states(&e), ["done"]);
}

#[tokio::test]
async fn a_cancelled_deploy_aborts_the_lease_and_leaves_no_vm() {
    let e = env().await;
    put_fixture_ovf(&e);
    let (out, seen) = deploy_watched(&e, "tiny-c", true).await;
    let msg = out.unwrap_err();
    says(&msg, &["cancelled", "lease was aborted"]);
    assert!(!seen.is_empty());
    assert_eq!(lease_states(&e), ["error"]);
    assert!(e.sim.find("VirtualMachine", "tiny-c").is_none());
}

#[tokio::test]
async fn export_vm_ovf_reports_progress_to_the_end() {
    let e = env().await;
    e.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let progress: ProgressFn = Arc::new(move |done, total, msg| {
        record.lock().unwrap().push((done, total, msg));
        Box::pin(async {})
    });
    let env = CallEnv {
        progress: Some(progress),
        cancelled: None,
    };
    scope(
        env,
        mcvsphere::tools::call(
            &e.ctx,
            "export_vm_ovf",
            json!({"vm_name": "DC0_H0_VM1", "target_path": "exports/vm1"}),
        ),
    )
    .await
    .unwrap();
    let seen = seen.lock().unwrap();
    let last = seen.last().expect("progress notifications");
    assert_eq!(Some(last.0), last.1, "the last notification is the whole");
    says(&last.2, &["DC0_H0_VM1", "100%"]);
    assert_eq!(lease_states(&e), ["done"]);
}
