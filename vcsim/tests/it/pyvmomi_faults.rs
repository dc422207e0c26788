//! Runs `pyvmomi_faults.py` (the control API from Python, issue 14) against
//! an in-process TLS simulator, then checks what it did from the simulator.

use vcsim::Config;

use crate::faults::task_count;
use testkit::{power_state, vm};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_pyvmomi_drives_faults_hang_and_restart_over_the_control_api() {
    let sim = vcsim::start(Config {
        tls: true,
        control_api: true,
        ..Config::default()
    })
    .await
    .expect("simulator starts");
    crate::pyvmomi::run_script(&sim, "pyvmomi_faults.py", "DC0_H0_VM0").await;
    // The injected failure changed nothing; the power-on after it did, once.
    let v = vm(&sim, "DC0_H0_VM0");
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOn");
    assert_eq!(task_count(&sim, "PowerOnVM_Task", &v), 2);
    let powered_on = sim
        .events()
        .iter()
        .filter(|(t, m)| t == "VmPoweredOnEvent" && m.contains("DC0_H0_VM0"))
        .count();
    assert_eq!(
        powered_on, 1,
        "the failed power-on recorded no power-on event"
    );
    assert!(sim.faults().is_empty() && !sim.is_hung());
    // Logged in twice (before and after the restart), logged out of the second.
    assert_eq!(sim.login_count(), 2);
    assert_eq!(sim.session_count(), 0);
    sim.shutdown().await;
}
