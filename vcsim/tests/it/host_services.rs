//! Issue 12: HostServiceSystem, HostDateTimeSystem and HostNetworkSystem.

use vim25::{Data, Request, Value};

use crate::hosts::host;
use crate::{fault_type, logged_in};
use testkit::{prop, prop_str, says};

fn manager(sim: &vcsim::Simulator, host_name: &str, field: &str) -> vim25::MoRef {
    let h = host(sim, host_name);
    prop(sim, &h, &format!("configManager.{field}"))
        .and_then(|v| v.as_moref().cloned())
        .unwrap_or_else(|| panic!("{host_name} has configManager.{field}"))
}

fn service(sim: &vcsim::Simulator, obj: &vim25::MoRef, path: &str, key: &str) -> Data {
    prop(sim, obj, path)
        .expect("a service list")
        .as_array()
        .iter()
        .filter_map(Value::as_data)
        .find(|s| s.get("key").and_then(Value::as_str) == Some(key))
        .cloned()
        .unwrap_or_else(|| panic!("service {key}"))
}

#[tokio::test]
async fn issue_12_services_start_stop_and_policy_show_on_manager_and_host() {
    let (sim, c) = logged_in().await;
    let ss = manager(&sim, "DC0_H0", "serviceSystem");
    let h = host(&sim, "DC0_H0");
    let ssh = service(&sim, &ss, "serviceInfo.service", "TSM-SSH");
    assert_eq!(ssh.get("running").and_then(Value::as_bool), Some(false));
    assert_eq!(ssh.get("policy").and_then(Value::as_str), Some("off"));
    c.ok(Request::new("StartService", &ss).arg("id", "TSM-SSH"))
        .await;
    c.ok(Request::new("UpdateServicePolicy", &ss)
        .arg("id", "TSM-SSH")
        .arg("policy", "on"))
        .await;
    for (obj, path) in [(&ss, "serviceInfo.service"), (&h, "config.service.service")] {
        let s = service(&sim, obj, path, "TSM-SSH");
        assert_eq!(
            s.get("running").and_then(Value::as_bool),
            Some(true),
            "{path}"
        );
        assert_eq!(
            s.get("policy").and_then(Value::as_str),
            Some("on"),
            "{path}"
        );
    }
    c.ok(Request::new("StopService", &ss).arg("id", "TSM-SSH"))
        .await;
    let s = service(&sim, &h, "config.service.service", "TSM-SSH");
    assert_eq!(s.get("running").and_then(Value::as_bool), Some(false));
    c.ok(Request::new("RestartService", &ss).arg("id", "ntpd"))
        .await;
    let s = service(&sim, &ss, "serviceInfo.service", "ntpd");
    assert_eq!(s.get("running").and_then(Value::as_bool), Some(true));
    c.ok(Request::new("RefreshServices", &ss)).await;
    // Another host's services are its own.
    let other = manager(&sim, "DC0_C0_H0", "serviceSystem");
    let s = service(&sim, &other, "serviceInfo.service", "TSM-SSH");
    assert_eq!(s.get("running").and_then(Value::as_bool), Some(false));
}

#[tokio::test]
async fn issue_12_service_faults_name_the_service_and_change_nothing() {
    let (sim, c) = logged_in().await;
    let ss = manager(&sim, "DC0_H0", "serviceSystem");
    let before = sim.snapshot();
    let r = c
        .check(Request::new("StartService", &ss).arg("id", "telnetd"))
        .await;
    assert_eq!(fault_type(&r), "NotFound");
    let msg = r.expect_err("fault").to_string();
    says(&msg, &["telnetd", "not found", "TSM-SSH"]);
    let r = c
        .check(
            Request::new("UpdateServicePolicy", &ss)
                .arg("id", "ntpd")
                .arg("policy", "sometimes"),
        )
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    says(
        &r.expect_err("fault").to_string(),
        &["policy", "sometimes", "automatic"],
    );
    let r = c
        .check(Request::new("StopService", &ss).arg("id", "vmsyslogd"))
        .await;
    assert_eq!(fault_type(&r), "InvalidState");
    says(
        &r.expect_err("fault").to_string(),
        &["vmsyslogd", "required"],
    );
    assert!(before == sim.snapshot(), "a refused call changes nothing");
}

#[tokio::test]
async fn issue_12_date_time_ntp_servers_and_query() {
    let (sim, c) = logged_in().await;
    let dt = manager(&sim, "DC0_H0", "dateTimeSystem");
    let h = host(&sim, "DC0_H0");
    let now = c.ok(Request::new("QueryDateTime", &dt)).await;
    let now = now.as_ref().and_then(Value::as_str).expect("a dateTime");
    assert!(chrono::DateTime::parse_from_rfc3339(now).is_ok(), "{now}");
    let config = Data::new("HostDateTimeConfig")
        .with("timeZone", "UTC")
        .with(
            "ntpConfig",
            Data::new("HostNtpConfig").with("server", vec!["pool.ntp.org", "10.0.0.1"]),
        );
    c.ok(Request::new("UpdateDateTimeConfig", &dt).arg("config", config))
        .await;
    for (obj, path) in [(&dt, "dateTimeInfo"), (&h, "config.dateTimeInfo")] {
        let servers = prop(&sim, obj, &format!("{path}.ntpConfig.server"))
            .map(|v| v.strings())
            .unwrap_or_default();
        assert_eq!(servers, ["pool.ntp.org", "10.0.0.1"], "{path}");
        assert_eq!(prop_str(&sim, obj, &format!("{path}.timeZone.key")), "UTC");
    }
    let zones = c.ok(Request::new("QueryAvailableTimeZones", &dt)).await;
    assert_eq!(zones.map(|z| z.as_array().len()), Some(1));
    let before = sim.snapshot();
    let r = c
        .check(Request::new("UpdateDateTimeConfig", &dt).arg(
            "config",
            Data::new("HostDateTimeConfig").with("timeZone", "Mars/Olympus"),
        ))
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    says(&r.expect_err("fault").to_string(), &["Mars/Olympus", "UTC"]);
    let bad = Data::new("HostDateTimeConfig").with(
        "ntpConfig",
        Data::new("HostNtpConfig").with("server", vec!["not a server!"]),
    );
    let r = c
        .check(Request::new("UpdateDateTimeConfig", &dt).arg("config", bad))
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    says(&r.expect_err("fault").to_string(), &["not a server!"]);
    assert!(before == sim.snapshot());
}

#[tokio::test]
async fn issue_12_network_system_reads_and_dns_updates() {
    let (sim, c) = logged_in().await;
    let ns = manager(&sim, "DC0_H0", "networkSystem");
    let h = host(&sim, "DC0_H0");
    assert_eq!(
        prop(&sim, &ns, "networkInfo.vswitch").map(|v| v.as_array().len()),
        Some(1)
    );
    assert_eq!(prop_str(&sim, &ns, "dnsConfig.hostName"), "DC0_H0");
    let dns = Data::new("HostDnsConfig")
        .with("dhcp", false)
        .with("hostName", "esx01")
        .with("domainName", "lab.example")
        .with("address", vec!["10.1.1.53", "10.1.2.53"]);
    let r = c
        .ok(Request::new("UpdateNetworkConfig", &ns)
            .arg(
                "config",
                Data::new("HostNetworkConfig").with("dnsConfig", dns),
            )
            .arg("changeMode", "modify"))
        .await;
    assert_eq!(
        r.as_ref()
            .and_then(Value::as_data)
            .map(|d| d.type_name.to_string()),
        Some("HostNetworkConfigResult".into())
    );
    for (obj, path) in [
        (&ns, "dnsConfig"),
        (&ns, "networkInfo.dnsConfig"),
        (&h, "config.network.dnsConfig"),
    ] {
        assert_eq!(
            prop_str(&sim, obj, &format!("{path}.domainName")),
            "lab.example",
            "{path}"
        );
        assert_eq!(
            prop(&sim, obj, &format!("{path}.address")).map(|v| v.strings()),
            Some(vec!["10.1.1.53".to_string(), "10.1.2.53".to_string()])
        );
    }
    let before = sim.snapshot();
    let bad = Data::new("HostDnsConfig")
        .with("dhcp", false)
        .with("hostName", "esx01")
        .with("domainName", "lab.example")
        .with("address", vec!["ten.one"]);
    let r = c
        .check(
            Request::new("UpdateNetworkConfig", &ns)
                .arg(
                    "config",
                    Data::new("HostNetworkConfig").with("dnsConfig", bad),
                )
                .arg("changeMode", "modify"),
        )
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    says(&r.expect_err("fault").to_string(), &["ten.one", "address"]);
    let r = c
        .check(
            Request::new("UpdateNetworkConfig", &ns)
                .arg(
                    "config",
                    Data::new("HostNetworkConfig").with("ipV6Enabled", true),
                )
                .arg("changeMode", "modify"),
        )
        .await;
    assert_eq!(fault_type(&r), "NotSupported");
    says(&r.expect_err("fault").to_string(), &["ipV6Enabled"]);
    assert!(before == sim.snapshot());
}
