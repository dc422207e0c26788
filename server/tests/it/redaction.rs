//! Secrets never show in Debug output, errors or tool results.

use mcvsphere::config::{Config, Secret, Sources};
use serde_json::json;

use crate::{PASSWORD, USER, says, settings, sim};

#[test]
fn config_debug_hides_the_password_and_client_secret() {
    let vars = [
        ("VCENTER_HOST", "vc"),
        ("VCENTER_USER", "admin"),
        ("VCENTER_PASSWORD", "pw-Very-Secret-1"),
        ("OAUTH_CLIENT_SECRET", "oauth-Very-Secret-2"),
    ];
    let src = Sources::default().with_env(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    });
    let c = Config::resolve(&src).unwrap();
    let dbg = format!("{c:?} {:?} {:#?}", c.vcenter().unwrap(), c);
    assert!(!dbg.contains("pw-Very-Secret-1"), "{dbg}");
    assert!(!dbg.contains("oauth-Very-Secret-2"), "{dbg}");
    assert!(dbg.contains("********"));
    let s = Secret::new("x-secret");
    assert_eq!(format!("{s} {s:?}"), "******** \"********\"");
}

#[tokio::test]
async fn a_wrong_password_fails_with_a_login_message_that_does_not_echo_it() {
    let sim = sim().await;
    let wrong = "Wrong-Password-Echo-Check-77";
    let client = mcvsphere::vsphere::Client::new(&settings(&sim, wrong)).unwrap();
    let dbg = format!("{client:?}");
    assert!(!dbg.contains(wrong));
    let ctx = std::sync::Arc::new(crate::state(client, Default::default()));
    let err = mcvsphere::tools::call(&ctx.tools, "list_vms", json!({}))
        .await
        .unwrap_err();
    let msg = format!("{err} {err:?}");
    says(&msg, &["login", USER]);
    assert!(!msg.contains(wrong) && !msg.contains(PASSWORD), "{msg}");
    assert_eq!(sim.login_count(), 0);
    sim.shutdown().await;
}
