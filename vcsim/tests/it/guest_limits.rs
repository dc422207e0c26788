//! Guest operations on hostile input: deep paths and runaway nesting end in
//! an answer (a path limit, a depth limit), never a crashed or stalled simulator.

use crate::guest_files::{as_root, guest_req, process_manager, vm0};
use crate::logged_in;
use vim25::Data;

#[tokio::test]
async fn a_very_deep_directory_path_is_made_without_recursion() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    // Just under the guest's path limit.
    let deep = format!("/tmp{}", "/d".repeat(2_000));
    c.ok(as_root("MakeDirectoryInGuest", &vm)
        .arg("directoryPath", deep.as_str())
        .arg("createParentDirectories", true))
        .await;
    assert_eq!(sim.guest_dir(&vm, &deep), Some(vec![]));
    c.ok(as_root("DeleteDirectoryInGuest", &vm)
        .arg("directoryPath", "/tmp/d")
        .arg("recursive", true))
        .await;
    assert_eq!(sim.guest_dir(&vm, "/tmp"), Some(vec![]));
    let too_deep = format!("/tmp{}", "/d".repeat(50_000));
    let f = crate::guest_files::fault(
        c.check(
            as_root("MakeDirectoryInGuest", &vm)
                .arg("directoryPath", too_deep.as_str())
                .arg("createParentDirectories", true),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("FileNameTooLong"));
    testkit::says(&f.message, &["/tmp/d/d", "longer than"]);
    assert_eq!(sim.guest_dir(&vm, "/tmp"), Some(vec![]));
}

#[tokio::test]
async fn scripts_calling_themselves_stop_at_a_depth_limit() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    sim.set_guest_file(&vm, "/tmp/again.sh", b"#!/bin/sh\n/tmp/again.sh\n")
        .expect("set-up");
    let pid = c
        .ok(guest_req(
            &process_manager(),
            "StartProgramInGuest",
            &vm,
            "root",
            "vmware",
        )
        .arg(
            "spec",
            Data::new("GuestProgramSpec")
                .with("programPath", "/tmp/again.sh")
                .with("arguments", ""),
        ))
        .await
        .and_then(|v| v.as_i64())
        .expect("a pid");
    let p = sim
        .guest_processes(&vm)
        .into_iter()
        .find(|p| p.pid == pid)
        .expect("listed");
    assert_eq!(p.exit_code, Some(126));
}

#[tokio::test]
async fn a_runaway_append_fills_the_guest_not_the_host() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    sim.set_guest_file(&vm, "/tmp/seed", &vec![b'x'; 1024 * 1024])
        .expect("set-up");
    // Each round triples /tmp/a: 20 would be 2^31 MiB.
    let line = "cat /tmp/seed /tmp/seed > /tmp/a; ".to_string()
        + &"cat /tmp/a /tmp/a >> /tmp/a; ".repeat(20);
    let pid = c
        .ok(guest_req(
            &process_manager(),
            "StartProgramInGuest",
            &vm,
            "root",
            "vmware",
        )
        .arg(
            "spec",
            Data::new("GuestProgramSpec")
                .with("programPath", "/bin/sh")
                .with("arguments", format!("-c '{line}'")),
        ))
        .await
        .and_then(|v| v.as_i64())
        .expect("a pid");
    let p = sim
        .guest_processes(&vm)
        .into_iter()
        .find(|p| p.pid == pid)
        .expect("listed");
    assert_eq!(p.exit_code, Some(1), "the last append failed");
    let a = sim.guest_file(&vm, "/tmp/a").map(|b| b.len()).unwrap_or(0);
    assert!(a <= 64 * 1024 * 1024, "{a} bytes");
    // Copies of it fill the guest's disk: the write that does not fit fails.
    let copies =
        "cat /tmp/a > /tmp/b; cat /tmp/a > /tmp/c; cat /tmp/a > /tmp/d; cat /tmp/a > /tmp/e";
    let pid = c
        .ok(guest_req(
            &process_manager(),
            "StartProgramInGuest",
            &vm,
            "root",
            "vmware",
        )
        .arg(
            "spec",
            Data::new("GuestProgramSpec")
                .with("programPath", "/bin/sh")
                .with("arguments", format!("-c '{copies}'")),
        ))
        .await
        .and_then(|v| v.as_i64())
        .expect("a pid");
    let p = sim
        .guest_processes(&vm)
        .into_iter()
        .find(|p| p.pid == pid)
        .expect("listed");
    assert_eq!(p.exit_code, Some(1));
    assert_eq!(sim.guest_file(&vm, "/tmp/e"), None, "it did not fit");
}
