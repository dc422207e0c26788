//! The runner's host write checks through the real binary: SSH started and
//! stopped, its policy changed and set back, a cluster host in and out of
//! maintenance mode — each passing, and the host's services as they were,
//! read from the simulator itself.

use conformance::checks::Recorder;
use conformance::report::Status;
use conformance::writes::{Probe, Writes};
use vim25::Value;

/// Every host's services as `(key, running, policy)`, from the simulator.
fn services(sim: &vcsim::Simulator) -> Vec<(String, bool, String)> {
    sim.objects("HostSystem")
        .iter()
        .flat_map(|h| {
            sim.property(h, "config.service.service")
                .map(|v| v.as_array().to_vec())
                .unwrap_or_default()
        })
        .map(|s| {
            (
                s.path("key")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                s.path("running")
                    .and_then(Value::as_bool)
                    .unwrap_or_default(),
                s.path("policy")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn host_checks_pass_and_leave_the_hosts_services_as_they_were() {
    let crate::WriteEnv {
        sim,
        s,
        registered,
        contract,
        log_dir: _log_dir,
    } = crate::write_env().await;
    let before = services(&sim);
    let w = Writes {
        s: &s,
        probe: Probe::Sim(&sim),
        contract: &contract,
        registered: &registered,
        vm: "DC0_H0_VM0".into(),
        may_create: true,
        guest: None,
    };
    let mut rec = Recorder::default();
    w.host_checks(&mut rec).await;
    for id in [
        "write.start_service",
        "write.stop_service",
        "write.set_service_policy",
        "write.configure_ntp",
        "write.enter_maintenance_mode",
        "write.exit_maintenance_mode",
    ] {
        let r = rec.results.iter().find(|r| r.id == id);
        assert_eq!(r.map(|r| r.status), Some(Status::Pass), "{id}: {r:?}");
    }
    assert_eq!(services(&sim), before);
    // The host's own (empty) NTP list is back.
    let ntp: Vec<Vec<String>> = sim
        .objects("HostSystem")
        .iter()
        .map(|h| {
            sim.property(h, "config.dateTimeInfo.ntpConfig.server")
                .map(|v| v.strings())
                .unwrap_or_default()
        })
        .collect();
    assert!(ntp.iter().all(Vec::is_empty), "{ntp:?}");
    let out_of_maintenance = sim.objects("HostSystem").iter().all(|h| {
        sim.property(h, "runtime.inMaintenanceMode")
            .and_then(|v| v.as_bool())
            == Some(false)
    });
    assert!(out_of_maintenance);
    s.close().await;
    sim.shutdown().await;
}
