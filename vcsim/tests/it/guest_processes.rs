//! GuestProcessManager: programs that really act on the guest's files, exit
//! codes and end times in the process table, `sleep` in simulated time, and
//! the faults for a missing program or pid.

use std::time::Duration;

use testkit::says;
use vcsim::Simulator;
use vim25::{Data, MoRef, Value};

use crate::guest_files::{fault, guest_req, process_manager, vm0};
use crate::{Client, logged_in};

fn spec(program: &str, arguments: &str) -> Data {
    Data::new("GuestProgramSpec")
        .with("programPath", program)
        .with("arguments", arguments)
}

async fn start_as(c: &Client, vm: &MoRef, user: &str, program: &str, arguments: &str) -> i64 {
    c.ok(guest_req(
        &process_manager(),
        "StartProgramInGuest",
        vm,
        user,
        "vmware",
    )
    .arg("spec", spec(program, arguments)))
        .await
        .and_then(|v| v.as_i64())
        .expect("a pid")
}

async fn sh(c: &Client, vm: &MoRef, line: &str) -> i64 {
    let arguments = format!("-c \"{}\"", line.replace('"', "\\\""));
    start_as(c, vm, "root", "/bin/sh", &arguments).await
}

/// `(exit code, has an end time)` of `pid`, as the simulator's table has it.
fn status(sim: &Simulator, vm: &MoRef, pid: i64) -> (Option<i32>, bool) {
    let p = sim
        .guest_processes(vm)
        .into_iter()
        .find(|p| p.pid == pid)
        .expect("the pid is listed");
    (p.exit_code, p.end.is_some())
}

fn file(sim: &Simulator, vm: &MoRef, path: &str) -> String {
    String::from_utf8(sim.guest_file(vm, path).unwrap_or_default()).expect("text")
}

#[tokio::test]
async fn a_shell_line_writes_files_sleeps_in_simulated_time_and_exits() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let pid = sh(&c, &vm, "echo hi > /tmp/x; sleep 30; echo done >> /tmp/x").await;
    assert_eq!(
        file(&sim, &vm, "/tmp/x"),
        "hi\n",
        "runs at once up to the sleep"
    );
    assert_eq!(status(&sim, &vm, pid), (None, false), "still sleeping");
    // ListProcessesInGuest shows it running: no end time or exit code.
    let listed = c
        .ok(guest_req(
            &process_manager(),
            "ListProcessesInGuest",
            &vm,
            "root",
            "vmware",
        )
        .arg("pids", vec![Value::Int(pid)]))
        .await;
    let rows = listed
        .as_ref()
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].path("name").and_then(Value::as_str), Some("sh"));
    assert_eq!(rows[0].path("owner").and_then(Value::as_str), Some("root"));
    assert!(
        rows[0]
            .path("cmdLine")
            .and_then(Value::as_str)
            .is_some_and(|l| l.contains("sleep 30"))
    );
    assert!(rows[0].path("endTime").is_none() && rows[0].path("exitCode").is_none());
    sim.advance_clock(Duration::from_secs(31));
    assert_eq!(file(&sim, &vm, "/tmp/x"), "hi\ndone\n");
    assert_eq!(status(&sim, &vm, pid), (Some(0), true));
    let listed = c
        .ok(guest_req(
            &process_manager(),
            "ListProcessesInGuest",
            &vm,
            "root",
            "vmware",
        )
        .arg("pids", vec![Value::Int(pid)]))
        .await;
    let row = listed
        .as_ref()
        .map(|v| v.as_array()[0].clone())
        .expect("a row");
    assert_eq!(row.path("exitCode").and_then(Value::as_i64), Some(0));
    assert!(row.path("endTime").is_some());
}

#[tokio::test]
async fn exit_codes_follow_the_shell() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let cases = [
        ("true", 0),
        ("false", 1),
        ("no-such-program --x", 127),
        ("/opt/nothing", 127),
        ("false || true", 0),
        ("false && true", 1),
        ("exit 7", 7),
        ("cat /etc/nope", 1),
        ("ls /nope", 2),
        ("rm /tmp", 1),
    ];
    for (line, code) in cases {
        let pid = sh(&c, &vm, line).await;
        assert_eq!(status(&sim, &vm, pid), (Some(code), true), "{line}");
    }
    // A program run directly (no shell) exits with its own code.
    let pid = start_as(&c, &vm, "root", "/bin/false", "").await;
    assert_eq!(status(&sim, &vm, pid).0, Some(1));
}

#[tokio::test]
async fn programs_act_on_the_guest_file_system() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let pid = sh(
        &c,
        &vm,
        "mkdir -p /tmp/a/b && touch /tmp/a/b/t && ls /tmp/a > /tmp/ls.txt; \
         uname -a > /tmp/uname; hostname > /tmp/host; cat /etc/hostname /tmp/host > /tmp/both; \
         echo one | cat > /tmp/piped; ls /nope 2> /tmp/err; rm -r /tmp/a/b; cd /tmp && echo here > rel.txt",
    )
    .await;
    assert_eq!(status(&sim, &vm, pid), (Some(0), true));
    assert_eq!(file(&sim, &vm, "/tmp/ls.txt"), "b\n");
    assert!(file(&sim, &vm, "/tmp/uname").starts_with("Linux DC0_H0_VM0 "));
    assert_eq!(file(&sim, &vm, "/tmp/host"), "DC0_H0_VM0\n");
    assert_eq!(file(&sim, &vm, "/tmp/both"), "DC0_H0_VM0\nDC0_H0_VM0\n");
    assert_eq!(file(&sim, &vm, "/tmp/piped"), "one\n");
    assert!(file(&sim, &vm, "/tmp/err").contains("/nope"));
    assert_eq!(sim.guest_dir(&vm, "/tmp/a"), Some(vec![]));
    assert_eq!(file(&sim, &vm, "/tmp/rel.txt"), "here\n");
}

#[tokio::test]
async fn a_user_process_cannot_write_outside_home_and_tmp() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let pid = start_as(&c, &vm, "user", "/bin/sh", "-c \"echo x > /etc/evil\"").await;
    assert_eq!(status(&sim, &vm, pid), (Some(1), true));
    assert_eq!(sim.guest_file(&vm, "/etc/evil"), None);
    let pid = start_as(
        &c,
        &vm,
        "user",
        "/bin/sh",
        "-c \"echo mine > note; cat /root/x\"",
    )
    .await;
    assert_eq!(status(&sim, &vm, pid).0, Some(1));
    assert_eq!(
        file(&sim, &vm, "/home/user/note"),
        "mine\n",
        "runs in the user's home"
    );
    let row = sim
        .guest_processes(&vm)
        .into_iter()
        .find(|p| p.pid == pid)
        .expect("listed");
    assert_eq!(row.owner, "user");
}

#[tokio::test]
async fn terminate_ends_a_running_process_and_unknown_pids_fault() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let pid = sh(&c, &vm, "sleep 600; echo late > /tmp/late").await;
    let by_user = fault(
        c.check(
            guest_req(
                &process_manager(),
                "TerminateProcessInGuest",
                &vm,
                "user",
                "vmware",
            )
            .arg("pid", pid),
        )
        .await,
    );
    assert_eq!(by_user.fault_type(), Some("GuestPermissionDenied"));
    c.ok(guest_req(
        &process_manager(),
        "TerminateProcessInGuest",
        &vm,
        "root",
        "vmware",
    )
    .arg("pid", pid))
        .await;
    assert_eq!(status(&sim, &vm, pid), (Some(143), true));
    sim.advance_clock(Duration::from_secs(700));
    assert_eq!(
        sim.guest_file(&vm, "/tmp/late"),
        None,
        "a terminated line does not go on"
    );
    for gone in [pid, 999_999] {
        let f = fault(
            c.check(
                guest_req(
                    &process_manager(),
                    "TerminateProcessInGuest",
                    &vm,
                    "root",
                    "vmware",
                )
                .arg("pid", gone),
            )
            .await,
        );
        assert_eq!(f.fault_type(), Some("GuestProcessNotFound"));
        says(&f.message, &[&gone.to_string()]);
    }
}

#[tokio::test]
async fn the_seeded_table_lists_and_a_missing_program_is_file_not_found() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let all = c
        .ok(guest_req(
            &process_manager(),
            "ListProcessesInGuest",
            &vm,
            "root",
            "vmware",
        ))
        .await;
    let names: Vec<String> = all
        .as_ref()
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(|p| p.path("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        names.starts_with(&["systemd".into(), "vmtoolsd".into(), "sshd".into()]),
        "{names:?}"
    );
    let f = fault(
        c.check(
            guest_req(
                &process_manager(),
                "StartProgramInGuest",
                &vm,
                "root",
                "vmware",
            )
            .arg("spec", spec("/usr/bin/nonesuch", "")),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("FileNotFound"));
    says(&f.message, &["/usr/bin/nonesuch"]);
    let bad_cwd = fault(
        c.check(
            guest_req(
                &process_manager(),
                "StartProgramInGuest",
                &vm,
                "root",
                "vmware",
            )
            .arg(
                "spec",
                spec("/bin/true", "").with("workingDirectory", "/nowhere"),
            ),
        )
        .await,
    );
    assert_eq!(bad_cwd.fault_type(), Some("FileNotFound"));
    says(&bad_cwd.message, &["/nowhere"]);
    let wrong = fault(
        c.check(
            guest_req(
                &process_manager(),
                "StartProgramInGuest",
                &vm,
                "root",
                "bad",
            )
            .arg("spec", spec("/bin/true", "")),
        )
        .await,
    );
    assert_eq!(wrong.fault_type(), Some("InvalidGuestLogin"));
    assert_eq!(sim.guest_processes(&vm).len(), 3, "nothing started");
}

#[tokio::test]
async fn windows_cmd_runs_its_builtins_and_fails_unknown_commands_with_9009() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    sim.set_property(&vm, "config.guestId", Value::from("windows9_64Guest"))
        .expect("a schema path");
    let cmd = "C:\\Windows\\System32\\cmd.exe";
    let run = |args: &'static str| start_as(&c, &vm, "Administrator", cmd, args);
    let pid = run(
        "/c \"echo hello > C:\\Temp\\x.txt & md C:\\Temp\\d\\e && hostname >> c:\\temp\\x.txt\"",
    )
    .await;
    assert_eq!(status(&sim, &vm, pid), (Some(0), true));
    // cmd's echo keeps the spaces before `>` and `&`, as typed.
    assert_eq!(
        file(&sim, &vm, "C:\\Temp\\x.txt"),
        "hello  \r\nDC0_H0_VM0\r\n"
    );
    assert_eq!(
        sim.guest_dir(&vm, "C:\\Temp\\d"),
        Some(vec!["e".to_string()])
    );
    let pid = run("/c frobnicate").await;
    assert_eq!(status(&sim, &vm, pid).0, Some(9009));
    let pid = run("/c rmdir C:\\Temp\\d").await;
    assert_eq!(status(&sim, &vm, pid).0, Some(145), "not empty");
    let pid = run("/c rmdir /s /q C:\\Temp\\d & del C:\\Temp\\x.txt").await;
    assert_eq!(status(&sim, &vm, pid).0, Some(0));
    assert_eq!(sim.guest_dir(&vm, "C:\\Temp"), Some(vec![]));
    let pid = run("/c timeout /t 5").await;
    assert_eq!(status(&sim, &vm, pid), (None, false));
    c.ok(guest_req(
        &process_manager(),
        "TerminateProcessInGuest",
        &vm,
        "Administrator",
        "vmware",
    )
    .arg("pid", pid))
        .await;
    assert_eq!(
        status(&sim, &vm, pid).0,
        Some(1),
        "Windows' terminated exit code"
    );
    let row = sim
        .guest_processes(&vm)
        .into_iter()
        .find(|p| p.pid == pid)
        .expect("listed");
    assert_eq!(row.name, "cmd.exe");
}

#[tokio::test]
async fn programs_see_the_environment_and_envvariables() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let spec = spec(
        "/bin/sh",
        "-c 'echo $HOME $USER $GREETING > /tmp/env; false; echo $? >> /tmp/env; X=1; echo \"${X}\\$X\" >> /tmp/env'",
    )
    .with("envVariables", vec!["GREETING=hello there"]);
    let pid = c
        .ok(guest_req(
            &process_manager(),
            "StartProgramInGuest",
            &vm,
            "user",
            "vmware",
        )
        .arg("spec", spec))
        .await
        .and_then(|v| v.as_i64())
        .expect("a pid");
    assert_eq!(status(&sim, &vm, pid), (Some(0), true));
    assert_eq!(
        file(&sim, &vm, "/tmp/env"),
        "/home/user user hello there\n1\n1$X\n"
    );
    let vars = c
        .ok(guest_req(
            &process_manager(),
            "ReadEnvironmentVariableInGuest",
            &vm,
            "user",
            "vmware",
        )
        .arg("names", vec!["HOME", "PATH"]))
        .await
        .map(|v| v.strings())
        .unwrap_or_default();
    assert_eq!(vars, ["HOME=/home/user", "PATH=/usr/bin:/bin"]);
}

#[tokio::test]
async fn a_script_file_runs_its_lines_and_a_binary_it_does_not_know_cannot_run() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    sim.set_guest_file(
        &vm,
        "/tmp/job.sh",
        b"#!/bin/sh\necho ran > /tmp/ran\nexit 3\n",
    )
    .expect("set-up");
    sim.set_guest_file(&vm, "/tmp/blob", b"\x7fELF not ours")
        .expect("set-up");
    let pid = start_as(&c, &vm, "root", "/tmp/job.sh", "").await;
    assert_eq!(status(&sim, &vm, pid), (Some(3), true));
    assert_eq!(file(&sim, &vm, "/tmp/ran"), "ran\n");
    let pid = start_as(&c, &vm, "root", "/tmp/blob", "").await;
    assert_eq!(status(&sim, &vm, pid).0, Some(126));
}
