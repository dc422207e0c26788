//! The server's answers when vCenter misbehaves, against the simulator's
//! fault injection: restarted, down, hung, slow, failing on one method, a
//! lost answer to a state change (never sent twice) and to a read (retried),
//! a TLS certificate not trusted, and a burst bounded in connections.
//! State is checked in the simulator afterwards; no timing assertions.

use std::sync::Arc;
use std::time::Duration;

use mcvsphere::tools::{self, Defaults};
use mcvsphere::vsphere::{CallLimits, Client};
use serde_json::json;
use testkit::eventually;
use vcsim::faults::FaultRule;

use crate::mcp_http::connect;
use crate::{Env, says};

const VM: &str = "DC0_H0_VM0";

/// An environment whose client has `limits`.
async fn env_limited(limits: CallLimits) -> Env {
    let sim = crate::sim().await;
    let client = Client::with_limits(&crate::settings(&sim, crate::PASSWORD), limits).unwrap();
    let ctx = Arc::new(tools::ToolContext {
        client,
        defaults: Defaults::default(),
    });
    Env { sim, ctx }
}

fn short(timeout_secs: u64) -> CallLimits {
    CallLimits {
        timeout: Duration::from_secs(timeout_secs),
        connect_timeout: Duration::from_secs(timeout_secs),
        ..CallLimits::default()
    }
}

/// `PowerOnVM_Task` tasks on `vm` the simulator holds.
fn power_on_tasks(e: &Env, vm: &str) -> usize {
    e.sim
        .objects("Task")
        .iter()
        .filter(|t| {
            let info = e.sim.property(t, "info");
            let d = info.as_ref().and_then(|v| v.as_data());
            d.and_then(|d| testkit::str_at(d, "name")) == Some("PowerOnVM_Task")
                && d.and_then(|d| testkit::str_at(d, "entityName")) == Some(vm)
        })
        .count()
}

fn no_secret(msg: &str) {
    assert!(!msg.contains(crate::PASSWORD), "the password leaked: {msg}");
    assert!(!msg.contains("os error"), "a library's words: {msg}");
    assert!(
        !msg.contains("error sending request"),
        "a library's words: {msg}"
    );
}

#[tokio::test]
async fn a_lost_answer_to_power_on_says_maybe_done_and_it_ran_once() {
    let e = crate::env().await;
    e.ok("power_off", json!({"name": VM})).await;
    assert_eq!(power_on_tasks(&e, VM), 0);
    let events_before = e.sim.events().len();
    let rule = e
        .sim
        .add_fault(FaultRule::drop_after("PowerOnVM_Task").count(1))
        .unwrap();
    let msg = e.fails("power_on", json!({"name": VM})).await;
    says(
        &msg,
        &[
            "closed the connection during PowerOnVM_Task on 'DC0_H0_VM0'",
            "may or may not have been done",
            "check recent tasks before retrying",
        ],
    );
    no_secret(&msg);
    assert_eq!(e.sim.fault_hits(rule), Some(1));
    // The call reached vCenter and ran there, once: not sent again.
    eventually("the VM is powered on", || e.power(VM) == "poweredOn").await;
    assert_eq!(power_on_tasks(&e, VM), 1, "exactly one PowerOnVM_Task");
    let powered_on = testkit::event_types_since(&e.sim, events_before)
        .iter()
        .filter(|t| *t == "VmPoweredOnEvent")
        .count();
    assert_eq!(powered_on, 1, "{:?}", e.sim.events());
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_dropped_read_is_retried_and_the_tool_succeeds() {
    let e = crate::env().await;
    e.ok("list_vms", json!({})).await;
    let rule = e
        .sim
        .add_fault(FaultRule::drop("RetrievePropertiesEx").count(1))
        .unwrap();
    let listed = e.json("list_vms", json!({})).await;
    assert!(listed.to_string().contains(VM), "{listed}");
    assert_eq!(e.sim.fault_hits(rule), Some(1), "the drop fired");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_restarted_vcenter_costs_no_failed_call_and_keeps_its_state() {
    let e = crate::env().await;
    e.ok("power_off", json!({"name": VM})).await;
    let logins = e.ctx.client.login_count();
    e.sim.restart(Duration::from_millis(200)).await.unwrap();
    let listed = e.json("list_vms", json!({})).await;
    assert!(listed.to_string().contains(VM), "{listed}");
    assert!(e.ctx.client.login_count() > logins, "logged in again");
    assert_eq!(e.power(VM), "poweredOff", "state as before the restart");
    let info = e.json("get_vm_info", json!({"name": VM})).await;
    assert!(info.to_string().contains("poweredOff"), "{info}");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_vcenter_that_is_down_is_named_with_connection_refused() {
    let e = crate::env().await;
    let Env { sim, ctx } = e;
    let port = sim.addr().port();
    sim.shutdown().await;
    let fails = |tool: &'static str, args| {
        let ctx = ctx.clone();
        async move { tools::call(&ctx, tool, args).await.unwrap_err().0 }
    };
    let msg = fails("list_vms", json!({})).await;
    says(
        &msg,
        &[&format!(
            "cannot reach vCenter at 127.0.0.1:{port} (connection refused)"
        )],
    );
    no_secret(&msg);
    let msg = fails("power_on", json!({"name": VM})).await;
    says(&msg, &["connection refused"]);
    no_secret(&msg);
}

#[tokio::test]
async fn a_hung_vcenter_times_out_while_ping_and_tools_list_answer() {
    let e = env_limited(short(1)).await;
    e.ok("list_vms", json!({})).await;
    let s = connect(
        Arc::new(crate::state(e.ctx.client.clone(), Defaults::default())),
        None,
    )
    .await;
    e.sim.hang();
    let call = s.call("list_vms", json!({}));
    let others = async {
        let (_, pong) = s.request("ping", json!({})).await;
        let (_, list) = s.request("tools/list", json!({})).await;
        (pong, list)
    };
    let (result, (pong, list)) = tokio::join!(call, others);
    assert!(pong.get("result").is_some(), "{pong}");
    assert!(
        list["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(result.is_error);
    let port = e.sim.addr().port();
    says(
        &result.text,
        &[&format!(
            "vCenter at 127.0.0.1:{port} did not answer within 1 s (VCENTER_TIMEOUT)"
        )],
    );
    no_secret(&result.text);
    e.sim.release();
    let after = s.call("list_vms", json!({})).await;
    assert!(!after.is_error, "{}", after.text);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_hung_state_change_says_it_may_or_may_not_have_been_done() {
    let e = env_limited(short(1)).await;
    e.ok("power_off", json!({"name": VM})).await;
    e.sim.set_latency("PowerOnVM_Task", Duration::from_secs(30));
    let msg = e.fails("power_on", json!({"name": VM})).await;
    says(
        &msg,
        &[
            "did not answer within 1 s (VCENTER_TIMEOUT) during PowerOnVM_Task on 'DC0_H0_VM0'",
            "may or may not have been done",
        ],
    );
    e.sim.release();
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_slow_vcenter_below_the_timeout_answers() {
    let e = env_limited(short(10)).await;
    e.sim
        .set_latency("RetrievePropertiesEx", Duration::from_millis(300));
    let listed = e.json("list_vms", json!({})).await;
    assert!(listed.to_string().contains(VM), "{listed}");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_fault_on_one_method_is_named_and_changes_nothing() {
    let e = crate::env().await;
    e.ok("power_off", json!({"name": VM})).await;
    e.sim
        .add_fault(
            FaultRule::new("PowerOnVM_Task", "InsufficientResourcesFault")
                .on_name(VM)
                .message("Insufficient resources to power on"),
        )
        .unwrap();
    let msg = e.fails("power_on", json!({"name": VM})).await;
    says(
        &msg,
        &[
            "Insufficient resources to power on",
            "InsufficientResourcesFault",
        ],
    );
    assert_eq!(e.power(VM), "poweredOff", "the fault changed nothing");
    // Other methods and other VMs are unaffected.
    e.ok("list_vms", json!({})).await;
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_burst_opens_at_most_max_concurrency_connections() {
    let limits = CallLimits {
        max_concurrency: 3,
        ..CallLimits::default()
    };
    let e = env_limited(limits).await;
    e.ok("list_vms", json!({})).await;
    let (before, _) = e.sim.connections();
    e.sim
        .set_latency("RetrievePropertiesEx", Duration::from_millis(20));
    let calls = (0..40).map(|_| tools::call(&e.ctx, "list_vms", json!({})));
    for r in futures::future::join_all(calls).await {
        assert!(r.is_ok(), "{:?}", r.err());
    }
    let (after, _) = e.sim.connections();
    assert!(
        after - before <= 3,
        "{} new connections for a burst of 40 with VCENTER_MAX_CONCURRENCY=3",
        after - before
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn an_untrusted_certificate_names_the_setting() {
    let sim = vcsim::start(vcsim::Config {
        tls: true,
        credentials: Some((crate::USER.into(), crate::PASSWORD.into())),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut settings = crate::settings(&sim, crate::PASSWORD);
    settings.insecure = false;
    let client = Client::new(&settings).unwrap();
    let ctx = Arc::new(tools::ToolContext {
        client,
        defaults: Defaults::default(),
    });
    let err = tools::call(&ctx, "list_vms", json!({})).await.unwrap_err();
    says(
        &err.0,
        &[
            "TLS handshake failed",
            "certificate not trusted",
            "VCENTER_INSECURE=true",
        ],
    );
    no_secret(&err.0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_host_name_that_does_not_resolve_says_so() {
    let sim = crate::sim().await;
    let mut settings = crate::settings(&sim, crate::PASSWORD);
    sim.shutdown().await;
    // `.invalid` never resolves (RFC 6761).
    settings.url = url::Url::parse("http://mcvsphere-test.invalid:8989/sdk").unwrap();
    let client = Client::with_limits(&settings, short(5)).unwrap();
    let ctx = Arc::new(tools::ToolContext {
        client,
        defaults: Defaults::default(),
    });
    let err = tools::call(&ctx, "list_vms", json!({})).await.unwrap_err();
    says(
        &err.0,
        &["cannot reach vCenter at mcvsphere-test.invalid:8989 (name not resolved)"],
    );
    no_secret(&err.0);
}

/// The change was started (vCenter answered with a task) but reading the
/// task's outcome failed twice: the error says to check, the change happened once.
/// The reads `power_on` makes before its task starts (the already-on path
/// makes the same ones), counted with a rule that never fires.
async fn reads_before_task(e: &Env) -> u32 {
    e.ok("power_on", json!({"name": VM})).await; // already on; warms the lookups
    let counter = e
        .sim
        .add_fault(FaultRule::drop("RetrievePropertiesEx").probability(0.0))
        .unwrap();
    e.ok("power_on", json!({"name": VM})).await;
    let reads = e
        .sim
        .faults()
        .iter()
        .find(|r| r.id == counter)
        .unwrap()
        .matched;
    assert!(e.sim.remove_fault(counter));
    u32::try_from(reads).unwrap()
}

#[tokio::test]
async fn a_lost_task_poll_is_read_again_and_the_change_is_not_sent_again() {
    let e = crate::env().await;
    let skip = reads_before_task(&e).await;
    e.ok("power_off", json!({"name": VM})).await;
    // Two polls of the started task lose their connection: the wait reads
    // the task's state again and ends with the task's own result.
    e.sim
        .add_fault(FaultRule::drop("RetrievePropertiesEx").skip(skip).count(2))
        .unwrap();
    e.ok("power_on", json!({"name": VM})).await;
    assert_eq!(e.power(VM), "poweredOn");
    assert_eq!(power_on_tasks(&e, VM), 1, "exactly one PowerOnVM_Task");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn a_task_whose_state_stays_unreadable_says_maybe_done_and_is_not_sent_again() {
    let e = env_limited(short(1)).await;
    let skip = reads_before_task(&e).await;
    e.ok("power_off", json!({"name": VM})).await;
    // Every poll after the task started loses its connection, for longer
    // than VCENTER_TIMEOUT (1 s here): the wait gives up, saying so.
    e.sim
        .add_fault(FaultRule::drop("RetrievePropertiesEx").skip(skip))
        .unwrap();
    let msg = e.fails("power_on", json!({"name": VM})).await;
    says(
        &msg,
        &[
            "during PowerOnVM_Task on 'DC0_H0_VM0'",
            "may or may not have been done",
        ],
    );
    e.sim.clear_faults();
    eventually("the VM is powered on", || e.power(VM) == "poweredOn").await;
    assert_eq!(power_on_tasks(&e, VM), 1, "exactly one PowerOnVM_Task");
    e.sim.shutdown().await;
}
