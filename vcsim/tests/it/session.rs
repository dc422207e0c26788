use vcsim::Config;
use vim25::{Request, Value};

use crate::{fault_type, logged_in, mo, start};
use testkit::has_event;

#[tokio::test]
async fn service_content_is_public_and_complete() {
    let (sim, c) = start(Config::default()).await;
    let content = c
        .ok(Request::new(
            "RetrieveServiceContent",
            &mo("ServiceInstance", "ServiceInstance"),
        ))
        .await
        .expect("ServiceContent");
    let content = content.as_data().expect("data").clone();
    assert_eq!(
        content.path("about.apiType").and_then(Value::as_str),
        Some("VirtualCenter")
    );
    assert_eq!(
        content.path("about.apiVersion").and_then(Value::as_str),
        Some("8.0.3.0")
    );
    assert_eq!(
        content.path("about.productLineId").and_then(Value::as_str),
        Some("vpx")
    );
    // Every MoRef handed out names an existing object.
    for (name, v) in &content.fields {
        if let Some(m) = v.as_moref() {
            assert!(sim.objects(&m.kind).contains(m), "{name} -> {m} exists");
        }
    }
}

#[tokio::test]
async fn calls_without_a_session_are_not_authenticated() {
    let (_sim, c) = start(Config::default()).await;
    let r = c
        .check(Request::new("Fetch", &mo("Folder", "group-d1")).arg("prop", "name"))
        .await;
    assert_eq!(fault_type(&r), "NotAuthenticated");
}

#[tokio::test]
async fn login_sets_a_cookie_and_counts() {
    let (sim, c) = start(Config::default()).await;
    assert_eq!(sim.login_count(), 0);
    c.login().await;
    assert!(
        c.cookie().is_some_and(|v| v.starts_with('"')),
        "cookie quoted like vCenter's"
    );
    assert_eq!(sim.login_count(), 1);
    let cur = c
        .ok(
            Request::new("Fetch", &mo("SessionManager", "SessionManager"))
                .arg("prop", "currentSession"),
        )
        .await
        .expect("current session");
    assert_eq!(cur.path("userName").and_then(Value::as_str), Some("user"));
    assert!(has_event(&sim, "UserLoginSessionEvent"));
}

#[tokio::test]
async fn wrong_credentials_are_refused() {
    let (sim, c) = start(Config {
        credentials: Some(("admin".into(), "secret".into())),
        ..Config::default()
    })
    .await;
    let r = c
        .check(
            Request::new("Login", &mo("SessionManager", "SessionManager"))
                .arg("userName", "admin")
                .arg("password", "wrong"),
        )
        .await;
    assert_eq!(fault_type(&r), "InvalidLogin");
    assert_eq!(sim.login_count(), 0);
    c.ok(
        Request::new("Login", &mo("SessionManager", "SessionManager"))
            .arg("userName", "admin")
            .arg("password", "secret"),
    )
    .await;
    assert_eq!(sim.login_count(), 1);
}

#[tokio::test]
async fn logout_and_expiry_end_the_session() {
    let (sim, c) = logged_in().await;
    let fetch = || Request::new("Fetch", &mo("Folder", "group-d1")).arg("prop", "name");
    assert_eq!(
        c.ok(fetch())
            .await
            .and_then(|v| v.as_str().map(str::to_string))
            .as_deref(),
        Some("Datacenters")
    );
    sim.expire_sessions();
    assert_eq!(fault_type(&c.check(fetch()).await), "NotAuthenticated");
    c.login().await;
    assert_eq!(sim.login_count(), 2);
    c.ok(Request::new(
        "Logout",
        &mo("SessionManager", "SessionManager"),
    ))
    .await;
    assert_eq!(fault_type(&c.check(fetch()).await), "NotAuthenticated");
    assert!(has_event(&sim, "UserLogoutSessionEvent"));
}

#[tokio::test]
async fn session_is_active_reports_by_key() {
    let (_sim, c) = logged_in().await;
    let cur = c
        .ok(
            Request::new("Fetch", &mo("SessionManager", "SessionManager"))
                .arg("prop", "currentSession"),
        )
        .await
        .expect("session");
    let key = cur
        .path("key")
        .and_then(Value::as_str)
        .expect("key")
        .to_string();
    let active = |k: String| {
        Request::new("SessionIsActive", &mo("SessionManager", "SessionManager"))
            .arg("sessionID", k)
            .arg("userName", "user")
    };
    assert_eq!(
        c.ok(active(key)).await.and_then(|v| v.as_bool()),
        Some(true)
    );
    assert_eq!(
        c.ok(active("nope".into())).await.and_then(|v| v.as_bool()),
        Some(false)
    );
}
