//! host_management services and NTP: list_services, start_service,
//! stop_service, set_service_policy, get_ntp_config, configure_ntp, each
//! effect read from the simulator's host (`config.service`,
//! `config.dateTimeInfo`).

use serde_json::json;
use testkit::{has_result_keys, prop};
use vim25::Value;

use crate::hosts::host;
use crate::{env, says};

const H: &str = "DC0_C0_H0";

/// `(running, policy)` of service `key` on host `h`, from the simulator.
fn service(sim: &vcsim::Simulator, h: &str, key: &str) -> (bool, String) {
    let list = prop(sim, &host(sim, h), "config.service.service").unwrap();
    let s = list
        .as_array()
        .iter()
        .find(|s| s.path("key").and_then(Value::as_str) == Some(key))
        .unwrap()
        .clone();
    (
        s.path("running").and_then(Value::as_bool).unwrap(),
        s.path("policy")
            .and_then(Value::as_str)
            .unwrap()
            .to_string(),
    )
}

#[tokio::test]
async fn list_services_matches_the_hosts_services() {
    let e = env().await;
    let r = e.json("list_services", json!({"host_name": H})).await;
    let list = r.as_array().unwrap();
    for s in list {
        has_result_keys("list_services", s);
    }
    let keys: Vec<&str> = list.iter().map(|s| s["key"].as_str().unwrap()).collect();
    for k in ["TSM", "TSM-SSH", "ntpd", "vpxa", "lbtd", "sfcbd-watchdog"] {
        assert!(keys.contains(&k), "{keys:?}");
    }
    let ssh = list.iter().find(|s| s["key"] == "TSM-SSH").unwrap();
    let (running, policy) = service(&e.sim, H, "TSM-SSH");
    assert_eq!(ssh["running"], running);
    assert_eq!(ssh["policy"], policy);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn start_and_stop_service_change_the_running_state() {
    let e = env().await;
    assert!(!service(&e.sim, H, "TSM-SSH").0);
    let r = e
        .json(
            "start_service",
            json!({"service_key": "TSM-SSH", "host_name": H}),
        )
        .await;
    has_result_keys("start_service", &r);
    assert_eq!(r["running"], true);
    assert!(service(&e.sim, H, "TSM-SSH").0);
    // Another host is untouched.
    assert!(!service(&e.sim, "DC0_C0_H1", "TSM-SSH").0);
    let r = e
        .json(
            "stop_service",
            json!({"service_key": "TSM-SSH", "host_name": H}),
        )
        .await;
    has_result_keys("stop_service", &r);
    assert_eq!(r["running"], false);
    assert_eq!(r["action"], "stopped");
    assert!(!service(&e.sim, H, "TSM-SSH").0);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn service_failures_are_clear() {
    let e = env().await;
    for tool in ["start_service", "stop_service"] {
        says(
            &e.fails(tool, json!({"service_key": "sshd", "host_name": H}))
                .await,
            &["Service 'sshd' not found", H, "TSM-SSH", "ntpd"],
        );
        says(&e.fails(tool, json!({})).await, &["service_key"]);
    }
    says(
        &e.fails(
            "stop_service",
            json!({"service_key": "vmsyslogd", "host_name": H}),
        )
        .await,
        &[H, "vmsyslogd", "required", "cannot be stopped"],
    );
    assert!(service(&e.sim, H, "vmsyslogd").0);
    says(
        &e.fails(
            "set_service_policy",
            json!({"service_key": "TSM-SSH", "policy": "always"}),
        )
        .await,
        &["policy 'always'", "on, off, automatic"],
    );
    says(
        &e.fails(
            "set_service_policy",
            json!({"service_key": "nope", "policy": "on", "host_name": H}),
        )
        .await,
        &["Service 'nope' not found", "TSM-SSH"],
    );
    assert_eq!(service(&e.sim, H, "TSM-SSH").1, "off");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn set_service_policy_reports_old_and_new() {
    let e = env().await;
    let r = e
        .json(
            "set_service_policy",
            json!({"service_key": "TSM-SSH", "policy": "automatic", "host_name": H}),
        )
        .await;
    has_result_keys("set_service_policy", &r);
    assert_eq!(r["old_policy"], "off");
    assert_eq!(r["new_policy"], "automatic");
    assert_eq!(service(&e.sim, H, "TSM-SSH").1, "automatic");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn configure_ntp_sets_servers_and_starts_ntpd_then_get_ntp_config_reads_them() {
    let e = env().await;
    let before = e.json("get_ntp_config", json!({"host_name": H})).await;
    has_result_keys("get_ntp_config", &before);
    assert_eq!(before["ntp_servers"], json!([]));
    assert_eq!(before["service_running"], false);
    assert_eq!(before["timezone"], "UTC");
    assert!(before["current_time"].as_str().is_some(), "{before}");
    let r = e
        .json(
            "configure_ntp",
            json!({"ntp_servers": ["0.pool.ntp.org", "10.0.0.1"], "host_name": H}),
        )
        .await;
    has_result_keys("configure_ntp", &r);
    assert_eq!(r["service_action"], "started");
    let servers = prop(
        &e.sim,
        &host(&e.sim, H),
        "config.dateTimeInfo.ntpConfig.server",
    )
    .unwrap()
    .strings();
    assert_eq!(servers, ["0.pool.ntp.org", "10.0.0.1"]);
    assert!(service(&e.sim, H, "ntpd").0);
    let after = e.json("get_ntp_config", json!({"host_name": H})).await;
    assert_eq!(after["ntp_servers"], json!(["0.pool.ntp.org", "10.0.0.1"]));
    assert_eq!(after["service_running"], true);
    // Running: restarted; start_service=false leaves ntpd alone.
    let r = e
        .json(
            "configure_ntp",
            json!({"ntp_servers": ["time.example.com"], "host_name": H}),
        )
        .await;
    assert_eq!(r["service_action"], "restarted");
    let r = e
        .json(
            "configure_ntp",
            json!({"ntp_servers": ["a.example.com"], "start_service": false, "host_name": "DC0_C0_H1"}),
        )
        .await;
    assert_eq!(r["service_action"], json!(null));
    assert!(!service(&e.sim, "DC0_C0_H1", "ntpd").0);
    // An empty list clears them (it travels as an ntpConfig without servers).
    e.json("configure_ntp", json!({"ntp_servers": [], "host_name": H}))
        .await;
    let cleared = prop(
        &e.sim,
        &host(&e.sim, H),
        "config.dateTimeInfo.ntpConfig.server",
    )
    .map(|v| v.strings())
    .unwrap_or_default();
    assert!(cleared.is_empty(), "{cleared:?}");
    let after = e.json("get_ntp_config", json!({"host_name": H})).await;
    assert_eq!(after["ntp_servers"], json!([]));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn configure_ntp_refuses_bad_servers_and_leaves_the_config() {
    let e = env().await;
    says(
        &e.fails(
            "configure_ntp",
            json!({"ntp_servers": ["pool.ntp.org", "bad server!"], "host_name": H}),
        )
        .await,
        &["'bad server!'", "not a host name or address"],
    );
    says(
        &e.fails("configure_ntp", json!({"ntp_servers": [""]})).await,
        &["''", "not a host name or address"],
    );
    says(
        &e.fails("configure_ntp", json!({"ntp_servers": "pool.ntp.org"}))
            .await,
        &["ntp_servers", "list of strings"],
    );
    let servers = prop(
        &e.sim,
        &host(&e.sim, H),
        "config.dateTimeInfo.ntpConfig.server",
    )
    .unwrap()
    .strings();
    assert!(servers.is_empty());
    assert!(!service(&e.sim, H, "ntpd").0);
    e.sim.shutdown().await;
}
