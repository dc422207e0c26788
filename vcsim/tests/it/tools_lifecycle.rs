//! Issue 10: VMware Tools follows the power state. It comes up a moment
//! after a boot (the simulator's `tools_start_delay`, or a VM's own
//! `tools_delay_ms`), goes away at once when the VM stops, never runs where
//! it is not installed, and the guest identity it reports (IP, host name,
//! NICs, OS name) comes and goes with it.

use std::time::Duration;

use vcsim::{Config, Inventory, Simulator};
use vim25::{Data, MoRef, Request, Value};

use crate::{Client, fault_type, start, vm_folder};
use testkit::{eventually, prop_str, task_fault, vm, wait_task};

/// Long enough that Tools is certainly not up while a test looks.
const LONG: Duration = Duration::from_secs(60);

async fn logged_in_with(config: Config) -> (Simulator, Client) {
    let (sim, c) = start(config).await;
    c.login().await;
    (sim, c)
}

fn delay(d: Duration) -> Config {
    Config {
        tools_start_delay: d,
        ..Config::default()
    }
}

/// A simulator on an inventory file written from `vms` (YAML list items of
/// one standalone host), with Tools starting `d` after a boot.
async fn with_vms(name: &str, vms: &str, d: Duration) -> (Simulator, Client) {
    let yaml = format!(
        "datacenters:\n  - name: DC0\n    networks: [VM Network]\n    datastores:\n      \
         - name: LocalDS_0\n    hosts:\n      - name: DC0_H0\n        vms:\n{vms}"
    );
    let path = std::env::temp_dir().join(format!("vcsim-tools-{}-{name}.yaml", std::process::id()));
    std::fs::write(&path, yaml).expect("the temp dir is writable");
    let config = Config {
        inventory: Inventory::File(path.clone()),
        tools_start_delay: d,
        ..Config::default()
    };
    let r = logged_in_with(config).await;
    let _ = std::fs::remove_file(&path);
    r
}

async fn task(sim: &Simulator, c: &Client, method: &str, v: &MoRef) {
    let info = wait_task(sim, &c.ok(Request::new(method, v)).await).await;
    assert_eq!(task_fault(&info), "", "{method} succeeds: {info:?}");
}

async fn until(sim: &Simulator, v: &MoRef, path: &str, want: &str) {
    eventually(&format!("{path} of {v} becoming {want}"), || {
        prop_str(sim, v, path) == want
    })
    .await;
}

/// Tools is down and the guest identity it reports is gone.
#[track_caller]
fn tools_down(sim: &Simulator, v: &MoRef, status: &str) {
    let p = |path: &str| prop_str(sim, v, path);
    assert_eq!(p("guest.toolsRunningStatus"), "guestToolsNotRunning");
    assert_eq!(p("guest.toolsStatus"), status);
    assert_eq!(p("summary.guest.toolsStatus"), status);
    assert_eq!(p("guest.guestState"), "notRunning");
    for gone in [
        "guest.ipAddress",
        "guest.hostName",
        "guest.net",
        "guest.guestFullName",
    ] {
        assert!(sim.property(v, gone).is_none(), "{gone} is unset: {v}");
    }
}

/// Tools runs and reports the guest's identity.
#[track_caller]
fn tools_up(sim: &Simulator, v: &MoRef) {
    let p = |path: &str| prop_str(sim, v, path);
    assert_eq!(p("guest.toolsRunningStatus"), "guestToolsRunning");
    assert_eq!(p("guest.toolsStatus"), "toolsOk");
    assert_eq!(p("guest.toolsVersionStatus2"), "guestToolsCurrent");
    assert_eq!(p("summary.guest.toolsStatus"), "toolsOk");
    assert_eq!(p("guest.guestState"), "running");
    assert_eq!(p("guest.hostName"), p("name"));
    assert_eq!(p("guest.guestFullName"), p("config.guestFullName"));
    let ip = p("guest.ipAddress");
    assert!(!ip.is_empty(), "{v} reports an IP");
    let nic_ip = sim
        .property(v, "guest.net")
        .and_then(|n| {
            n.as_array()
                .first()?
                .path("ipAddress")?
                .as_array()
                .first()
                .cloned()
        })
        .and_then(|a| a.as_str().map(str::to_string));
    assert_eq!(
        nic_ip.as_deref(),
        Some(ip.as_str()),
        "guest.net carries the IP"
    );
}

#[tokio::test]
async fn tools_is_not_up_right_after_power_on() {
    let (sim, c) = logged_in_with(delay(LONG)).await;
    let v = vm(&sim, "DC0_H0_VM0");
    tools_up(&sim, &v);
    task(&sim, &c, "PowerOffVM_Task", &v).await;
    task(&sim, &c, "PowerOnVM_Task", &v).await;
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
    tools_down(&sim, &v, "toolsNotRunning");
    assert_eq!(
        prop_str(&sim, &v, "guest.toolsVersionStatus2"),
        "guestToolsCurrent",
        "installed, just not running"
    );
}

#[tokio::test]
async fn shutdown_guest_before_tools_is_up_is_tools_unavailable() {
    let (sim, c) = logged_in_with(delay(LONG)).await;
    let v = vm(&sim, "DC0_H0_VM1");
    task(&sim, &c, "ResetVM_Task", &v).await;
    tools_down(&sim, &v, "toolsNotRunning");
    for m in ["ShutdownGuest", "RebootGuest", "StandbyGuest"] {
        let r = c.check(Request::new(m, &v)).await;
        assert_eq!(fault_type(&r), "ToolsUnavailable", "{m}");
    }
    assert_eq!(prop_str(&sim, &v, "runtime.powerState"), "poweredOn");
}

#[tokio::test]
async fn tools_comes_up_after_power_on_and_reset_with_the_same_identity() {
    let (sim, c) = logged_in_with(Config::default()).await;
    let v = vm(&sim, "DC0_C0_RP0_VM0");
    let ip = prop_str(&sim, &v, "guest.ipAddress");
    task(&sim, &c, "PowerOffVM_Task", &v).await;
    task(&sim, &c, "PowerOnVM_Task", &v).await;
    until(&sim, &v, "guest.toolsRunningStatus", "guestToolsRunning").await;
    tools_up(&sim, &v);
    assert_eq!(prop_str(&sim, &v, "guest.ipAddress"), ip, "the same IP");
    task(&sim, &c, "ResetVM_Task", &v).await;
    until(&sim, &v, "guest.toolsRunningStatus", "guestToolsRunning").await;
    tools_up(&sim, &v);
}

#[tokio::test]
async fn power_off_and_suspend_take_tools_down_at_once() {
    let (sim, c) = logged_in_with(delay(LONG)).await;
    let off = vm(&sim, "DC0_C0_RP0_VM0");
    let suspended = vm(&sim, "DC0_C0_RP0_VM1");
    tools_up(&sim, &off);
    tools_up(&sim, &suspended);
    task(&sim, &c, "PowerOffVM_Task", &off).await;
    tools_down(&sim, &off, "toolsNotRunning");
    task(&sim, &c, "SuspendVM_Task", &suspended).await;
    tools_down(&sim, &suspended, "toolsNotRunning");
    assert_eq!(prop_str(&sim, &off, "guestHeartbeatStatus"), "gray");
}

#[tokio::test]
async fn a_power_cycle_during_the_delay_leaves_tools_down_then_it_comes_up_once() {
    let (sim, c) = logged_in_with(delay(LONG)).await;
    let v = vm(&sim, "DC0_H0_VM0");
    task(&sim, &c, "ResetVM_Task", &v).await;
    task(&sim, &c, "PowerOffVM_Task", &v).await;
    task(&sim, &c, "PowerOnVM_Task", &v).await;
    tools_down(&sim, &v, "toolsNotRunning");
    // With a zero delay, the last boot's start happens; the earlier ones are void.
    let (sim, c) = logged_in_with(delay(Duration::ZERO)).await;
    let v = vm(&sim, "DC0_H0_VM0");
    task(&sim, &c, "PowerOffVM_Task", &v).await;
    task(&sim, &c, "PowerOnVM_Task", &v).await;
    task(&sim, &c, "PowerOffVM_Task", &v).await;
    task(&sim, &c, "PowerOnVM_Task", &v).await;
    until(&sim, &v, "guest.toolsRunningStatus", "guestToolsRunning").await;
    tools_up(&sim, &v);
}

#[tokio::test]
async fn a_vm_of_its_own_delay_and_a_vm_without_tools() {
    let vms = "          - name: slow\n            tools_delay_ms: 60000\n\
               \x20         - name: quick\n\
               \x20         - name: bare\n            tools: false\n";
    let (sim, c) = with_vms("own-delay", vms, Duration::ZERO).await;
    let (slow, quick, bare) = (vm(&sim, "slow"), vm(&sim, "quick"), vm(&sim, "bare"));
    tools_up(&sim, &slow);
    tools_down(&sim, &bare, "toolsNotInstalled");
    assert_eq!(
        prop_str(&sim, &bare, "guest.toolsVersionStatus2"),
        "guestToolsNotInstalled"
    );
    for v in [&slow, &quick, &bare] {
        task(&sim, &c, "ResetVM_Task", v).await;
    }
    until(
        &sim,
        &quick,
        "guest.toolsRunningStatus",
        "guestToolsRunning",
    )
    .await;
    tools_up(&sim, &quick);
    // Booted together with `quick`, whose Tools is up: `slow` waits its own
    // delay, and `bare` has no Tools to start.
    tools_down(&sim, &slow, "toolsNotRunning");
    tools_down(&sim, &bare, "toolsNotInstalled");
    let r = c.check(Request::new("ShutdownGuest", &bare)).await;
    assert_eq!(fault_type(&r), "ToolsUnavailable");
}

async fn clone(sim: &Simulator, c: &Client, src: &MoRef, name: &str, power_on: bool) -> MoRef {
    let spec = Data::new("VirtualMachineCloneSpec")
        .with("location", Data::new("VirtualMachineRelocateSpec"))
        .with("template", false)
        .with("powerOn", power_on);
    let t = c
        .ok(Request::new("CloneVM_Task", src)
            .arg("folder", vm_folder(sim))
            .arg("name", name)
            .arg("spec", spec))
        .await;
    let info = wait_task(sim, &t).await;
    assert_eq!(task_fault(&info), "", "the clone succeeds: {info:?}");
    vm(sim, name)
}

#[tokio::test]
async fn a_clone_of_a_vm_with_tools_has_tools() {
    let (sim, c) = logged_in_with(Config::default()).await;
    let src = vm(&sim, "DC0_H0_VM0");
    let on = clone(&sim, &c, &src, "clone-on", true).await;
    until(&sim, &on, "guest.toolsRunningStatus", "guestToolsRunning").await;
    tools_up(&sim, &on);
    assert_ne!(
        prop_str(&sim, &on, "guest.ipAddress"),
        prop_str(&sim, &src, "guest.ipAddress"),
        "a clone has its own IP"
    );
    let off = clone(&sim, &c, &src, "clone-off", false).await;
    tools_down(&sim, &off, "toolsNotRunning");
    task(&sim, &c, "PowerOnVM_Task", &off).await;
    until(&sim, &off, "guest.toolsRunningStatus", "guestToolsRunning").await;
    tools_up(&sim, &off);
}

#[tokio::test]
async fn a_clone_of_a_vm_without_tools_has_none() {
    let vms = "          - name: bare\n            tools: false\n";
    let (sim, c) = with_vms("clone-bare", vms, Duration::ZERO).await;
    let copy = clone(&sim, &c, &vm(&sim, "bare"), "bare-copy", true).await;
    tools_down(&sim, &copy, "toolsNotInstalled");
}

/// Every VM's IP, and that of a clone made the same way, by VM name.
async fn guest_ips() -> Vec<(String, String)> {
    let (sim, c) = logged_in_with(delay(Duration::ZERO)).await;
    let copy = clone(&sim, &c, &vm(&sim, "DC0_H0_VM0"), "ip-clone", true).await;
    until(&sim, &copy, "guest.toolsRunningStatus", "guestToolsRunning").await;
    let mut ips: Vec<(String, String)> = sim
        .objects("VirtualMachine")
        .iter()
        .map(|v| {
            (
                prop_str(&sim, v, "name"),
                prop_str(&sim, v, "guest.ipAddress"),
            )
        })
        .collect();
    ips.sort();
    ips
}

#[tokio::test]
async fn guest_ips_are_the_same_on_every_start_and_differ_between_vms() {
    let first = guest_ips().await;
    assert_eq!(
        first.len(),
        5,
        "four inventory VMs and the clone: {first:?}"
    );
    assert!(first.iter().all(|(_, ip)| !ip.is_empty()), "{first:?}");
    let mut distinct: Vec<&String> = first.iter().map(|(_, ip)| ip).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), first.len(), "one IP per VM: {first:?}");
    assert_eq!(guest_ips().await, first);
}

/// Tools coming up is a change like any other: `WaitForUpdatesEx` reports it.
#[tokio::test]
async fn wait_for_updates_sees_tools_come_up() {
    let (sim, c) = logged_in_with(Config::default()).await;
    let v = vm(&sim, "DC0_C0_RP0_VM1");
    task(&sim, &c, "PowerOffVM_Task", &v).await;
    c.ok(Request::new("CreateFilter", &crate::pc())
        .arg(
            "spec",
            crate::obj_spec(&v, "VirtualMachine", &["guest.toolsRunningStatus"]),
        )
        .arg("partialUpdates", false))
        .await;
    let wait = |version: String| {
        Request::new("WaitForUpdatesEx", &crate::pc())
            .arg("version", version)
            .arg(
                "options",
                Data::new("WaitOptions").with("maxWaitSeconds", 10),
            )
    };
    let first = c.ok(wait(String::new())).await.expect("initial update");
    let mut version = crate::update_version(&first);
    task(&sim, &c, "PowerOnVM_Task", &v).await;
    let mut seen = vec![];
    while !seen.iter().any(|s| s == "guestToolsRunning") {
        let u = c
            .ok(wait(version.clone()))
            .await
            .expect("an update before the timeout");
        version = crate::update_version(&u);
        for (_, _, val) in crate::tasks::changes(&u) {
            if let Some(s) = val.as_ref().and_then(Value::as_str) {
                seen.push(s.to_string());
            }
        }
        assert!(seen.len() < 20, "Tools never came up: {seen:?}");
    }
    assert_eq!(seen.last().map(String::as_str), Some("guestToolsRunning"));
}
