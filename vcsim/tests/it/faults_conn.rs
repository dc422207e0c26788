//! Fault rules and controls that act on the connection (issue 14): drop
//! before or after running the method, latency, hang, restart. No clock is
//! asserted on: a held or delayed call is seen through the simulator's
//! counters (`fault_status().held` / `.delayed`) and ends on `release`.

use std::sync::Arc;
use std::time::Duration;

use vcsim::faults::FaultRule;
use vcsim::{Config, Simulator};
use vim25::{Data, Request, Value};

use crate::faults::{powered_off, task_count};
use crate::{Client, fault_type, logged_in, mo, start};
use testkit::{eventually, power_state, wait_task};

/// Posts `req` with `c`'s cookie: the HTTP status and body, or the
/// transport error (a dropped connection).
async fn send(c: &Client, req: &Request) -> Result<(u16, String), reqwest::Error> {
    let body = vim25::encode_request(req).expect("test request encodes");
    let mut rb = c
        .http
        .post(&c.url)
        .header("Content-Type", vim25::CONTENT_TYPE)
        .body(body);
    if let Some(k) = c.cookie() {
        rb = rb.header("Cookie", format!("vmware_soap_session={k}"));
    }
    let resp = rb.send().await?;
    let status = resp.status().as_u16();
    Ok((status, resp.text().await?))
}

fn si() -> vim25::MoRef {
    mo("ServiceInstance", "ServiceInstance")
}

/// The whole error chain, for asserting what kind of failure a client saw.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

#[tokio::test]
async fn issue_14_drop_closes_the_connection_and_the_method_does_not_run() {
    let (sim, c) = logged_in().await;
    let v = powered_off(&sim, &c, "DC0_H0_VM0").await;
    let id = sim
        .add_fault(FaultRule::drop("PowerOnVM_Task").count(1))
        .expect("a valid rule");
    let e = send(&c, &Request::new("PowerOnVM_Task", &v))
        .await
        .expect_err("no answer");
    assert!(chain(&e).contains("closed"), "{}", chain(&e));
    assert_eq!(sim.fault_hits(id), Some(1));
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOff");
    assert_eq!(task_count(&sim, "PowerOnVM_Task", &v), 0);
    // The simulator itself is fine: the next call is answered.
    wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOn");
}

#[tokio::test]
async fn issue_14_drop_after_runs_the_method_once_then_closes_the_connection() {
    let (sim, c) = logged_in().await;
    let v = powered_off(&sim, &c, "DC0_H0_VM0").await;
    sim.add_fault(FaultRule::drop_after("PowerOnVM_Task").count(1))
        .expect("a valid rule");
    let e = send(&c, &Request::new("PowerOnVM_Task", &v))
        .await
        .expect_err("no answer");
    assert!(chain(&e).contains("closed"), "{}", chain(&e));
    eventually("the dropped call's power-on committing", || {
        power_state(&sim, "DC0_H0_VM0") == "poweredOn"
    })
    .await;
    assert_eq!(task_count(&sim, "PowerOnVM_Task", &v), 1);
}

#[tokio::test]
async fn issue_14_latency_holds_the_answer_until_release_while_other_calls_answer() {
    let (sim, c) = start(Config::default()).await;
    let c = Arc::new(c);
    sim.set_latency("CurrentTime", Duration::from_secs(3600));
    let slow = tokio::spawn({
        let c = c.clone();
        async move { c.ok(Request::new("CurrentTime", &si())).await }
    });
    eventually("the call waiting out its latency", || {
        sim.fault_status().delayed == 1
    })
    .await;
    // Another method has no latency: it answers meanwhile.
    c.ok(Request::new("RetrieveServiceContent", &si())).await;
    assert!(!slow.is_finished(), "the delayed answer came early");
    sim.release();
    let t = slow.await.expect("the call task");
    assert!(t.and_then(|v| v.as_str().map(str::to_string)).is_some());
    assert_eq!(sim.fault_status().delayed, 0);
    // Zero clears it.
    sim.set_latency("CurrentTime", Duration::ZERO);
    assert!(sim.fault_status().latency.is_empty());
}

#[tokio::test]
async fn issue_14_hang_holds_soap_and_http_until_release() {
    let (sim, c) = logged_in().await;
    let c = Arc::new(c);
    sim.hang();
    let soap = tokio::spawn({
        let c = c.clone();
        async move { c.ok(Request::new("CurrentTime", &si())).await }
    });
    let versions = format!("{}/vimServiceVersions.xml", c.url);
    let door = tokio::spawn({
        let c = c.clone();
        async move {
            c.http
                .get(versions)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    eventually("both requests held", || sim.fault_status().held == 2).await;
    assert!(!soap.is_finished() && !door.is_finished());
    assert!(sim.is_hung());
    sim.release();
    assert!(soap.await.expect("the call task").is_some());
    assert_eq!(door.await.expect("the GET task").expect("answered"), 200);
    assert!(!sim.is_hung());
}

/// Tries to connect to `sim` until a connection is refused.
async fn refused_once(sim: &Simulator) -> bool {
    for _ in 0..2000 {
        match tokio::net::TcpStream::connect(sim.addr()).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return true,
            _ => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    }
    false
}

#[tokio::test]
async fn issue_14_restart_keeps_objects_and_tasks_but_not_sessions() {
    let (sim, c) = logged_in().await;
    let v = powered_off(&sim, &c, "DC0_H0_VM0").await;
    let before = c.ok(Request::new("PowerOnVM_Task", &v)).await;
    wait_task(&sim, &before).await;
    let vmgr = mo("ViewManager", "ViewManager");
    let root = sim.find("Folder", "Datacenters").expect("root folder");
    c.ok(Request::new("CreateContainerView", &vmgr)
        .arg("container", &root)
        .arg("type", vec!["VirtualMachine"])
        .arg("recursive", true))
        .await;
    assert_eq!(sim.session_count(), 1);
    let old_cookie = c.cookie();
    let (restarted, refused) =
        tokio::join!(sim.restart(Duration::from_millis(800)), refused_once(&sim));
    restarted.expect("the simulator serves again");
    assert!(refused, "connections are refused while it is down");
    assert_eq!(sim.session_count(), 0);
    // The old session is gone: the client must log in again.
    c.set_cookie(old_cookie);
    let r = c
        .check(
            Request::new("RetrievePropertiesEx", &crate::pc())
                .arg(
                    "specSet",
                    vec![crate::obj_spec(&v, "VirtualMachine", &["name"])],
                )
                .arg("options", Data::new("RetrieveOptions")),
        )
        .await;
    assert_eq!(fault_type(&r), "NotAuthenticated");
    c.login().await;
    assert_eq!(sim.session_count(), 1);
    // The change made before the restart, and its task, are still there.
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOn");
    assert_eq!(task_count(&sim, "PowerOnVM_Task", &v), 1);
    let t = before.as_ref().and_then(Value::as_moref).expect("a task");
    assert_eq!(
        sim.property(t, "info.state")
            .and_then(|s| s.as_str().map(str::to_string)),
        Some("success".into())
    );
    // Views belonged to the old session.
    assert!(sim.objects("ContainerView").is_empty());
    assert!(
        sim.property(&vmgr, "viewList")
            .is_none_or(|l| l.as_array().is_empty())
    );
}
