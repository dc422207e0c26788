//! console tools against the simulator: Tools state read back from the
//! simulator's guest info, screenshots decoded to the size asked for, and
//! waiting for Tools with progress and cancellation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use futures::FutureExt;
use mcvsphere::mcp::tool_result;
use mcvsphere::tools::call_env::{CallEnv, ProgressFn, scope};
use mcvsphere::tools::{self, find};
use serde_json::{Value as Json, json};
use testkit::{has_result_keys as has_keys, prop_str};
use vim25::Value;

use crate::{Env, env, says};

const VM: &str = "DC0_H0_VM0";

/// One progress notification: (done, total, message).
type Progress = (f64, Option<f64>, String);

fn vm(e: &Env) -> vim25::MoRef {
    testkit::vm(&e.sim, VM)
}

fn set_tools(e: &Env, status: &str) {
    e.sim
        .set_property(&vm(e), "guest.toolsRunningStatus", Value::from(status))
        .unwrap();
}

/// Width and height of a PNG, from its header.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

#[tokio::test]
async fn get_vm_tools_status_reports_the_simulators_guest_info() {
    let e = env().await;
    let r = e.json("get_vm_tools_status", json!({"name": VM})).await;
    has_keys("get_vm_tools_status", &r);
    let v = vm(&e);
    for (key, path) in [
        ("tools_status", "guest.toolsStatus"),
        ("tools_version", "guest.toolsVersion"),
        ("tools_running_status", "guest.toolsRunningStatus"),
        ("tools_version_status", "guest.toolsVersionStatus2"),
        ("ip_address", "guest.ipAddress"),
        ("hostname", "guest.hostName"),
        ("guest_os", "guest.guestFullName"),
        ("guest_id", "guest.guestId"),
        ("guest_state", "guest.guestState"),
    ] {
        assert_eq!(r[key], prop_str(&e.sim, &v, path), "{key}: {r}");
    }
    assert_eq!(r["tools_running_status"], "guestToolsRunning");
    // Powered off, Tools stop and the guest identity they report goes away.
    e.ok("power_off", json!({"name": VM})).await;
    let r = e.json("get_vm_tools_status", json!({"name": VM})).await;
    assert_eq!(r["tools_running_status"], "guestToolsNotRunning");
    assert_eq!(r["tools_status"], prop_str(&e.sim, &v, "guest.toolsStatus"));
    assert_eq!(r["ip_address"], Json::Null);
}

#[tokio::test]
async fn get_vm_tools_status_names_an_unknown_vm() {
    let e = env().await;
    let msg = e
        .fails("get_vm_tools_status", json!({"name": "nope"}))
        .await;
    says(&msg, &["VM 'nope' not found"]);
}

#[tokio::test]
async fn vm_screenshot_returns_a_png_of_the_asked_size() {
    let e = env().await;
    let r = e
        .json(
            "vm_screenshot",
            json!({"name": VM, "width": 320, "height": 200}),
        )
        .await;
    has_keys("vm_screenshot", &r);
    let png = base64::engine::general_purpose::STANDARD
        .decode(r["image_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(png_size(&png), (320, 200));
    assert_eq!(r["width"], 320);
    assert_eq!(r["height"], 200);
    assert_eq!(r["size_bytes"], png.len());
    assert_eq!(r["content_type"], "image/png");
    assert_eq!(r["moid"], vm(&e).value.as_str());
    // The default size is the console's own; a powered-off console differs.
    let full = e.json("vm_screenshot", json!({"name": VM})).await;
    assert_eq!(
        (full["width"].clone(), full["height"].clone()),
        (json!(800), json!(600))
    );
    e.ok("power_off", json!({"name": VM})).await;
    assert_eq!(e.power(VM), "poweredOff");
    let off = e
        .json(
            "vm_screenshot",
            json!({"name": VM, "width": 320, "height": 200}),
        )
        .await;
    assert_ne!(off["image_base64"], r["image_base64"]);
}

#[tokio::test]
async fn vm_screenshot_is_an_image_content_block_over_mcp() {
    let e = env().await;
    let def = find("vm_screenshot").unwrap();
    let out = tools::call(
        &e.ctx,
        "vm_screenshot",
        json!({"name": VM, "width": 64, "height": 40}),
    )
    .await;
    let r = serde_json::to_value(tool_result(def, out)).unwrap();
    let content = r["content"].as_array().unwrap();
    let image = content.iter().find(|c| c["type"] == "image").unwrap();
    assert_eq!(image["mimeType"], "image/png");
    let png = base64::engine::general_purpose::STANDARD
        .decode(image["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(png_size(&png), (64, 40));
    assert_eq!(r["structuredContent"]["image_base64"], image["data"]);
    let text = content.iter().find(|c| c["type"] == "text").unwrap();
    assert!(
        !text["text"].as_str().unwrap().contains("image_base64"),
        "the bytes are sent once as an image"
    );
}

#[tokio::test]
async fn vm_screenshot_refuses_bad_sizes_and_unknown_vms() {
    let e = env().await;
    let msg = e
        .fails("vm_screenshot", json!({"name": VM, "width": 0}))
        .await;
    says(&msg, &["width", "positive"]);
    let msg = e
        .fails("vm_screenshot", json!({"name": VM, "height": 5000}))
        .await;
    says(&msg, &["height", "at most 4096"]);
    let msg = e.fails("vm_screenshot", json!({"name": "nope"})).await;
    says(&msg, &["VM 'nope' not found"]);
}

#[tokio::test]
async fn wait_for_vm_tools_returns_when_tools_come_up() {
    let e = env().await;
    set_tools(&e, "guestToolsNotRunning");
    let wait = e.json(
        "wait_for_vm_tools",
        json!({"name": VM, "timeout": 30, "poll_interval": 1}),
    );
    let start_tools = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        set_tools(&e, "guestToolsRunning");
    };
    let (r, ()) = tokio::join!(wait, start_tools);
    has_keys("wait_for_vm_tools", &r);
    assert_eq!(r["status"], "ready", "{r}");
    assert_eq!(r["tools_running_status"], "guestToolsRunning");
    assert_eq!(r["hostname"], prop_str(&e.sim, &vm(&e), "guest.hostName"));
    assert!(r["wait_time_seconds"].as_f64().unwrap() >= 0.2, "{r}");
}

/// An Env whose simulator's Tools takes `delay` to come up after a boot.
async fn env_with_tools_delay(delay: Duration) -> Env {
    let sim = vcsim::start(vcsim::Config {
        credentials: Some((crate::USER.into(), crate::PASSWORD.into())),
        tools_start_delay: delay,
        ..Default::default()
    })
    .await
    .unwrap();
    let client = mcvsphere::vsphere::Client::new(&crate::settings(&sim, crate::PASSWORD)).unwrap();
    let ctx = Arc::new(tools::ToolContext {
        client,
        defaults: tools::Defaults {
            network: "VM Network".into(),
            ..Default::default()
        },
    });
    Env { sim, ctx }
}

/// Issue 10: after a power-on Tools is not up yet; the tool really waits
/// until the simulator starts it, then reports what Tools reports.
#[tokio::test]
async fn wait_for_vm_tools_waits_for_tools_after_power_on() {
    // Long enough that Tools is certainly down when read right after power_on.
    let e = env_with_tools_delay(Duration::from_secs(3)).await;
    let v = vm(&e);
    e.ok("power_off", json!({"name": VM})).await;
    e.ok("power_on", json!({"name": VM})).await;
    assert_eq!(e.power(VM), "poweredOn");
    assert_eq!(
        prop_str(&e.sim, &v, "guest.toolsRunningStatus"),
        "guestToolsNotRunning",
        "Tools is not up the moment the VM is"
    );
    let r = e
        .json(
            "wait_for_vm_tools",
            json!({"name": VM, "timeout": 120, "poll_interval": 1}),
        )
        .await;
    has_keys("wait_for_vm_tools", &r);
    assert_eq!(r["status"], "ready", "{r}");
    assert_eq!(
        prop_str(&e.sim, &v, "guest.toolsRunningStatus"),
        "guestToolsRunning"
    );
    let ip = prop_str(&e.sim, &v, "guest.ipAddress");
    assert!(!ip.is_empty());
    assert_eq!(r["ip_address"], ip.as_str(), "{r}");
    assert_eq!(r["hostname"], VM, "{r}");
    assert_eq!(r["hostname"], prop_str(&e.sim, &v, "guest.hostName"));
}

#[tokio::test]
async fn wait_for_vm_tools_times_out_and_refuses_a_powered_off_vm() {
    let e = env().await;
    set_tools(&e, "guestToolsNotRunning");
    let r = e
        .json("wait_for_vm_tools", json!({"name": VM, "timeout": 0}))
        .await;
    assert_eq!(r["status"], "timeout");
    assert_eq!(r["tools_running_status"], "guestToolsNotRunning");
    let msg = e
        .fails("wait_for_vm_tools", json!({"name": VM, "timeout": -1}))
        .await;
    says(&msg, &["timeout", "0 to 3600"]);
    e.ok("power_off", json!({"name": VM})).await;
    let msg = e.fails("wait_for_vm_tools", json!({"name": VM})).await;
    says(&msg, &["VM 'DC0_H0_VM0' is powered off", "power_on"]);
    let msg = e.fails("wait_for_vm_tools", json!({"name": "nope"})).await;
    says(&msg, &["VM 'nope' not found"]);
}

#[tokio::test]
async fn wait_for_vm_tools_reports_progress_and_stops_when_cancelled() {
    let e = env().await;
    set_tools(&e, "guestToolsNotRunning");
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let record = seen.clone();
    let progress: ProgressFn = Arc::new(move |done, total, msg| {
        record.lock().unwrap().push((done, total, msg));
        Box::pin(async {})
    });
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let env = CallEnv {
        progress: Some(progress),
        cancelled: Some(async move { drop(cancelled.await) }.boxed().shared()),
    };
    let call = scope(
        env,
        tools::call(
            &e.ctx,
            "wait_for_vm_tools",
            json!({"name": VM, "timeout": 600, "poll_interval": 300}),
        ),
    );
    let cancel_after_first_progress = async {
        testkit::eventually("a progress notification", || {
            !seen.lock().unwrap().is_empty()
        })
        .await;
        cancel.send(()).unwrap();
    };
    let (out, ()) = tokio::join!(call, cancel_after_first_progress);
    let msg = out.unwrap_err().0;
    says(&msg, &["cancelled", "DC0_H0_VM0"]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].1, Some(600.0), "the total is the timeout");
    says(&seen[0].2, &["DC0_H0_VM0", "guestToolsNotRunning"]);
}

#[tokio::test]
async fn wait_for_vm_tools_sends_progress_over_mcp_when_asked() {
    let e = env().await;
    set_tools(&e, "guestToolsNotRunning");
    let session = crate::mcp_http::connect(e.app(), None).await;
    let msgs = session
        .request_stream(
            "tools/call",
            json!({"name": "wait_for_vm_tools",
                   "arguments": {"name": VM, "timeout": 2, "poll_interval": 1},
                   "_meta": {"progressToken": "wait-1"}}),
        )
        .await;
    let progress: Vec<&Json> = msgs
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .collect();
    assert!(!progress.is_empty(), "no progress notifications: {msgs:?}");
    assert_eq!(progress[0]["params"]["progressToken"], "wait-1");
    assert_eq!(progress[0]["params"]["total"], 2.0);
    says(
        progress[0]["params"]["message"].as_str().unwrap(),
        &["DC0_H0_VM0"],
    );
    let result = msgs.iter().find(|m| m.get("result").is_some()).unwrap();
    assert_eq!(
        result["result"]["structuredContent"]["status"], "timeout",
        "{result}"
    );
    // Without a progress token the same call sends none.
    let msgs = session
        .request_stream(
            "tools/call",
            json!({"name": "wait_for_vm_tools", "arguments": {"name": VM, "timeout": 1, "poll_interval": 1}}),
        )
        .await;
    assert!(
        msgs.iter().all(|m| m["method"] != "notifications/progress"),
        "{msgs:?}"
    );
}

#[tokio::test]
async fn wait_for_vm_tools_stops_when_the_mcp_call_is_cancelled() {
    let e = env().await;
    set_tools(&e, "guestToolsNotRunning");
    let session = crate::mcp_http::connect(e.app(), None).await;
    // Only cancelling can end it (its wait is an hour, its next check 5 minutes away).
    let msgs = session
        .request_cancelled(
            "tools/call",
            json!({"name": "wait_for_vm_tools",
                   "arguments": {"name": VM, "timeout": 3600, "poll_interval": 300},
                   "_meta": {"progressToken": "wait-2"}}),
        )
        .await;
    // The stream ends without the hour-long wait; no "ready" or "timeout" result.
    assert!(
        msgs.iter()
            .all(|m| m["result"]["structuredContent"]["status"].is_null()),
        "{msgs:?}"
    );
}
