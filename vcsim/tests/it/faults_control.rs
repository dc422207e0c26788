//! The fault-injection control API over real HTTP (issue 14): off unless
//! enabled, every endpoint, and 400s that name the field at fault.

use std::time::Duration;

use serde_json::{Value as Json, json};
use vcsim::faults::FaultRule;
use vcsim::{Config, Simulator};
use vim25::Request;

use crate::faults::powered_off;
use crate::{Client, start};
use testkit::{eventually, power_state, says, task_fault, wait_task};

async fn controlled() -> (Simulator, Client) {
    let (sim, c) = start(Config {
        control_api: true,
        ..Config::default()
    })
    .await;
    c.login().await;
    (sim, c)
}

fn control_url(sim: &Simulator, path: &str) -> String {
    format!("http://{}/vcsim/{path}", sim.addr())
}

/// `method path` with an optional JSON body: (status, JSON answer).
async fn call(
    c: &Client,
    sim: &Simulator,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, Json) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut rb = c.http.request(m, control_url(sim, path));
    if let Some(b) = body {
        rb = rb
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    let resp = rb.send().await.expect("the control API answers");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("a text body");
    let json = serde_json::from_str(&text).unwrap_or(Json::String(text));
    (status, json)
}

#[tokio::test]
async fn issue_14_control_api_is_off_by_default() {
    let (sim, c) = start(Config::default()).await;
    let (status, body) = call(&c, &sim, "GET", "status", None).await;
    assert_eq!(status, 404);
    says(
        body.as_str().unwrap_or_default(),
        &["control API is off", "--control-api"],
    );
    let (status, _) = call(&c, &sim, "POST", "hang", None).await;
    assert_eq!(status, 404);
    assert!(!sim.is_hung());
}

#[tokio::test]
async fn issue_14_rules_over_http_add_list_fire_and_clear() {
    let (sim, c) = controlled().await;
    let v = powered_off(&sim, &c, "DC0_H0_VM0").await;
    let (status, rule) = call(
        &c,
        &sim,
        "POST",
        "faults",
        Some(r#"{"method": "PowerOnVM_Task", "fault": "InsufficientResourcesFault", "message": "no memory", "count": 1}"#),
    )
    .await;
    assert_eq!(status, 201, "{rule}");
    let id = rule["id"].as_u64().expect("an id");
    assert_eq!(rule["fault"], "InsufficientResourcesFault");
    assert_eq!(
        (rule["hits"].as_u64(), rule["as"].as_str()),
        (Some(0), Some("task"))
    );
    let info = wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    assert_eq!(task_fault(&info), "InsufficientResourcesFault");
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOff");
    let (_, list) = call(&c, &sim, "GET", "faults", None).await;
    assert_eq!(list["rules"][0]["hits"], 1);
    assert_eq!(list["rules"][0]["spent"], true);
    assert_eq!(sim.fault_hits(id), Some(1));
    // One by id, then all.
    let (status, _) = call(&c, &sim, "DELETE", &format!("faults/{id}"), None).await;
    assert_eq!(status, 200);
    let (status, body) = call(&c, &sim, "DELETE", &format!("faults/{id}"), None).await;
    assert_eq!(status, 404);
    says(
        body["error"].as_str().unwrap_or_default(),
        &["no fault rule"],
    );
    sim.add_fault(FaultRule::new("*", "SystemError"))
        .expect("a rule");
    let (status, body) = call(&c, &sim, "DELETE", "faults", None).await;
    assert_eq!((status, body["removed"].as_u64()), (200, Some(1)));
    assert!(sim.faults().is_empty());
    wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOn");
}

#[tokio::test]
async fn issue_14_bad_control_requests_get_400_naming_the_field() {
    let (sim, c) = controlled().await;
    let cases: &[(&str, &str, &str, &[&str])] = &[
        ("POST", "faults", "{not json", &["not JSON"]),
        ("POST", "faults", "[1, 2]", &["JSON object"]),
        (
            "POST",
            "faults",
            r#"{"fault": "NoSuchFault"}"#,
            &["fault", "NoSuchFault", "not a vim25 fault type"],
        ),
        (
            "POST",
            "faults",
            r#"{"fault": "SystemError", "probability": 1.5}"#,
            &["probability", "1.5", "out of range"],
        ),
        (
            "POST",
            "faults",
            r#"{"fault": "SystemError", "count": "one"}"#,
            &["count", "whole number"],
        ),
        (
            "POST",
            "faults",
            r#"{"method": "PowerOn", "fault": "SystemError"}"#,
            &["method", "PowerOn"],
        ),
        (
            "POST",
            "faults",
            r#"{"fault": "SystemError", "object_type": "VM"}"#,
            &["object_type", "VM"],
        ),
        (
            "POST",
            "faults",
            r#"{"fault": "SystemError", "as": "email"}"#,
            &["as"],
        ),
        ("POST", "faults", r#"{"action": "explode"}"#, &["action"]),
        (
            "POST",
            "faults",
            r#"{"fault": "SystemError", "colour": "red"}"#,
            &["colour", "not a rule field"],
        ),
        (
            "PUT",
            "latency",
            r#"{"method": "Nope", "ms": 5}"#,
            &["method", "Nope"],
        ),
        (
            "PUT",
            "latency",
            r#"{"method": "CurrentTime"}"#,
            &["ms", "required"],
        ),
        ("PUT", "latency", r#"{"ms": -1}"#, &["ms", "whole number"]),
        ("PUT", "seed", r#"{"seed": "x"}"#, &["seed"]),
        (
            "POST",
            "restart",
            r#"{"down_ms": "soon"}"#,
            &["down_ms", "whole number"],
        ),
        ("DELETE", "faults/abc", "", &["id", "abc"]),
    ];
    for (method, path, body, words) in cases {
        let (status, answer) = call(&c, &sim, method, path, Some(body)).await;
        assert_eq!(status, 400, "{method} {path} {body}: {answer}");
        says(answer["error"].as_str().unwrap_or_default(), words);
    }
    assert!(sim.faults().is_empty());
    assert!(sim.fault_status().latency.is_empty());
}

#[tokio::test]
async fn issue_14_latency_seed_status_and_expire_over_http() {
    let (sim, c) = controlled().await;
    let (status, body) = call(
        &c,
        &sim,
        "PUT",
        "latency",
        Some(r#"{"method": "CurrentTime", "ms": 250}"#),
    )
    .await;
    assert_eq!((status, body["ms"].as_u64()), (200, Some(250)));
    let (status, _) = call(&c, &sim, "PUT", "seed", Some(r#"{"seed": 42}"#)).await;
    assert_eq!(status, 200);
    let (_, st) = call(&c, &sim, "GET", "status", None).await;
    assert_eq!(st["latency_ms"]["CurrentTime"], 250);
    assert_eq!(st["seed"], 42);
    assert_eq!(
        (st["hung"].as_bool(), st["sessions"].as_u64()),
        (Some(false), Some(1))
    );
    assert_eq!(
        sim.fault_status().latency.get("CurrentTime"),
        Some(&Duration::from_millis(250))
    );
    call(
        &c,
        &sim,
        "PUT",
        "latency",
        Some(r#"{"method": "CurrentTime", "ms": 0}"#),
    )
    .await;
    assert!(sim.fault_status().latency.is_empty());
    let (_, body) = call(&c, &sim, "POST", "sessions/expire", None).await;
    assert_eq!(body["expired"], 1);
    assert_eq!(sim.session_count(), 0);
}

#[tokio::test]
async fn issue_14_hang_over_http_holds_soap_but_not_the_control_api() {
    let (sim, c) = controlled().await;
    let c = std::sync::Arc::new(c);
    let (status, _) = call(&c, &sim, "POST", "hang", None).await;
    assert_eq!(status, 200);
    let si = crate::mo("ServiceInstance", "ServiceInstance");
    let held = tokio::spawn({
        let c = c.clone();
        async move { c.ok(Request::new("CurrentTime", &si)).await }
    });
    // The control API answers while SOAP is held: that is how a test sees it.
    let mut seen = Json::Null;
    for _ in 0..500 {
        seen = call(&c, &sim, "GET", "status", None).await.1;
        if seen["held"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        (seen["held"].as_u64(), seen["hung"].as_bool()),
        (Some(1), Some(true)),
        "{seen}"
    );
    assert!(!held.is_finished());
    call(&c, &sim, "POST", "release", None).await;
    assert!(held.await.expect("the call task").is_some());
}

#[tokio::test]
async fn issue_14_restart_over_http_answers_first_then_goes_down_and_back() {
    let (sim, c) = controlled().await;
    let (status, body) = call(&c, &sim, "POST", "restart", Some(r#"{"down_ms": 300}"#)).await;
    assert_eq!((status, body["down_ms"].as_u64()), (202, Some(300)));
    eventually("the sessions to go with the restart", || {
        sim.session_count() == 0
    })
    .await;
    // Back on the same address: a new login works.
    let mut back = false;
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(sim.addr()).await.is_ok() {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(back, "the simulator serves again");
    let fresh = Client::new(&sim);
    fresh.login().await;
    assert_eq!(sim.session_count(), 1);
}

#[test]
fn issue_14_listed_rules_can_be_added_again() {
    let r = FaultRule::new("PowerOnVM_Task", "SystemError").count(2);
    let listed = json!({"id": 3, "hits": 1, "matched": 1, "spent": false});
    let mut j = r.to_json();
    if let (Json::Object(a), Json::Object(b)) = (&mut j, listed) {
        a.extend(b);
    }
    assert_eq!(FaultRule::from_json(&j).expect("accepted"), r);
}
