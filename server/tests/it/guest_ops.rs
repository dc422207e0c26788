//! guest_ops process tools and the failures every guest tool shares (wrong
//! password, Tools not running, VM off, unknown VM), against the simulated
//! guest; effects read from the simulator's guest state.

use std::time::Duration;

use serde_json::json;
use testkit::has_result_keys as has_keys;
use vim25::Value;

use crate::guest_files::{GUEST_PASSWORD, VM, login, vm};
use crate::{env, says};

#[tokio::test]
async fn run_command_in_guest_runs_the_program_and_reports_its_exit() {
    let e = env().await;
    let r = e
        .json(
            "run_command_in_guest",
            login(json!({
                "command": "/bin/sh",
                "arguments": "-c \"echo built by mcvsphere > /tmp/out.txt && uname > /tmp/os.txt\"",
            })),
        )
        .await;
    has_keys("run_command_in_guest", &r);
    assert_eq!(r["started"], true);
    assert_eq!(r["completed"], true, "{r}");
    assert_eq!(r["exit_code"], 0, "{r}");
    assert!(r["end_time"].is_string(), "{r}");
    let v = vm(&e);
    assert_eq!(
        e.sim.guest_file(&v, "/tmp/out.txt").as_deref(),
        Some(&b"built by mcvsphere\n"[..])
    );
    assert!(e.sim.guest_file(&v, "/tmp/os.txt").is_some());
    // The guest's process table has it, ended with that code.
    let pid = r["pid"].as_i64().unwrap();
    let p = e
        .sim
        .guest_processes(&v)
        .into_iter()
        .find(|p| p.pid == pid)
        .unwrap();
    assert_eq!(p.exit_code, Some(0));
    assert!(p.end.is_some());
    assert!(p.cmd_line.contains("/tmp/out.txt"), "{}", p.cmd_line);
}

#[tokio::test]
async fn a_failing_program_reports_its_exit_code() {
    let e = env().await;
    let r = e
        .json(
            "run_command_in_guest",
            login(json!({"command": "/bin/sh", "arguments": "-c \"no-such-tool --help\""})),
        )
        .await;
    assert_eq!(r["exit_code"], 127, "a shell's command not found: {r}");
    let r = e
        .json(
            "run_command_in_guest",
            login(json!({"command": "/bin/false"})),
        )
        .await;
    assert_eq!(r["exit_code"], 1, "{r}");
}

#[tokio::test]
async fn run_command_in_guest_without_waiting_and_listing_it() {
    let e = env().await;
    let v = vm(&e);
    let r = e
        .json(
            "run_command_in_guest",
            login(
                json!({"command": "/bin/sleep", "arguments": "600", "wait_for_completion": false}),
            ),
        )
        .await;
    assert_eq!(r["started"], true);
    assert!(r.get("exit_code").is_none(), "no wait, no exit code: {r}");
    let pid = r["pid"].as_i64().unwrap();
    let running = e.sim.guest_processes(&v);
    assert!(running.iter().any(|p| p.pid == pid && p.end.is_none()));
    let list = e.json("list_guest_processes", login(json!({}))).await;
    let items = list.as_array().unwrap();
    for i in items {
        has_keys("list_guest_processes", i);
    }
    let mine = items.iter().find(|i| i["pid"] == pid).unwrap();
    assert_eq!(mine["owner"], "root");
    assert_eq!(mine["end_time"], serde_json::Value::Null);
    assert_eq!(items.len(), e.sim.guest_processes(&v).len());
    // Ten simulated minutes later the sleep has ended with 0.
    e.sim.advance_clock(Duration::from_secs(601));
    let list = e.json("list_guest_processes", login(json!({}))).await;
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["pid"] == pid)
        .unwrap()
        .clone();
    assert_eq!(mine["exit_code"], 0, "{mine}");
    assert!(mine["end_time"].is_string());
}

#[tokio::test]
async fn waiting_stops_at_the_timeout_with_the_program_still_running() {
    let e = env().await;
    let r = e
        .json(
            "run_command_in_guest",
            login(json!({"command": "/bin/sleep", "arguments": "3600", "timeout_seconds": 0})),
        )
        .await;
    assert_eq!(r["completed"], false, "{r}");
    assert_eq!(r["exit_code"], serde_json::Value::Null);
    let pid = r["pid"].as_i64().unwrap();
    assert!(
        e.sim
            .guest_processes(&vm(&e))
            .iter()
            .any(|p| p.pid == pid && p.end.is_none())
    );
    let msg = e
        .fails(
            "run_command_in_guest",
            login(json!({"command": "/bin/true", "timeout_seconds": -1})),
        )
        .await;
    says(&msg, &["timeout_seconds", "0 to 86400"]);
}

#[tokio::test]
async fn a_missing_program_is_named() {
    let e = env().await;
    let before = e.sim.guest_processes(&vm(&e)).len();
    let msg = e
        .fails(
            "run_command_in_guest",
            login(json!({"command": "/usr/bin/nope"})),
        )
        .await;
    says(
        &msg,
        &["'/usr/bin/nope' not found in the guest of VM 'DC0_H0_VM0'"],
    );
    assert_eq!(e.sim.guest_processes(&vm(&e)).len(), before);
    let msg = e
        .fails("run_command_in_guest", login(json!({"command": "  "})))
        .await;
    says(&msg, &["command is empty"]);
}

/// Every guest tool with arguments that would succeed for root.
fn every_guest_call() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("create_guest_directory", json!({"guest_path": "/tmp/n"})),
        ("delete_guest_file", json!({"guest_path": "/etc/hostname"})),
        ("list_guest_directory", json!({"guest_path": "/etc"})),
        ("list_guest_processes", json!({})),
        ("read_guest_file", json!({"guest_path": "/etc/hostname"})),
        ("run_command_in_guest", json!({"command": "/bin/true"})),
        (
            "write_guest_file",
            json!({"guest_path": "/tmp/w.txt", "content": "w"}),
        ),
    ]
}

#[tokio::test]
async fn a_wrong_guest_password_fails_every_tool_without_echoing_it() {
    let e = env().await;
    let wrong = "Guest-Wrong-Pw-9931";
    for (tool, args) in every_guest_call() {
        let mut a = login(args);
        a["password"] = json!(wrong);
        let msg = e.fails(tool, a).await;
        says(
            &msg,
            &["failed for user 'root'", "incorrect user name or password"],
        );
        assert!(!msg.contains(wrong), "{tool}: {msg}");
    }
    // Nothing happened in the guest.
    let v = vm(&e);
    assert!(e.sim.guest_file(&v, "/etc/hostname").is_some());
    assert_eq!(e.sim.guest_dir(&v, "/tmp/n"), None);
    assert_eq!(e.sim.guest_file(&v, "/tmp/w.txt"), None);
}

#[tokio::test]
async fn guest_tools_need_tools_running_and_the_vm_on() {
    let e = env().await;
    let v = vm(&e);
    e.sim
        .set_property(
            &v,
            "guest.toolsRunningStatus",
            Value::from("guestToolsNotRunning"),
        )
        .unwrap();
    for (tool, args) in every_guest_call() {
        let msg = e.fails(tool, login(args)).await;
        says(
            &msg,
            &[
                "VMware Tools is not running in VM 'DC0_H0_VM0'",
                "wait_for_vm_tools",
            ],
        );
    }
    e.ok("power_off", json!({"name": VM})).await;
    for (tool, args) in every_guest_call() {
        let msg = e.fails(tool, login(args)).await;
        says(&msg, &["VM 'DC0_H0_VM0' is powered off", "power_on"]);
    }
    assert!(e.sim.guest_file(&v, "/etc/hostname").is_some());
    let msg = e
        .fails(
            "list_guest_processes",
            json!({"name": "no-such-vm", "username": "root", "password": GUEST_PASSWORD}),
        )
        .await;
    says(&msg, &["VM 'no-such-vm' not found"]);
}
