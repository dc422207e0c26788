//! A guest across its VM's life: a power cycle boots a fresh process table
//! over the same files, a clone takes the source's files and accounts, and
//! a destroyed VM's guest is gone.

use testkit::wait_task;
use vim25::{Data, Request, Value};

use crate::guest_files::{guest_req, process_manager, vm0};
use crate::{logged_in, vm_folder};

#[tokio::test]
async fn a_power_cycle_restarts_the_processes_and_keeps_the_files() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let spec = Data::new("GuestProgramSpec")
        .with("programPath", "/bin/sh")
        .with("arguments", "-c \"echo kept > /tmp/k; sleep 600\"");
    let pid = c
        .ok(guest_req(
            &process_manager(),
            "StartProgramInGuest",
            &vm,
            "root",
            "vmware",
        )
        .arg("spec", spec))
        .await
        .and_then(|v| v.as_i64())
        .expect("a pid");
    assert!(sim.guest_processes(&vm).iter().any(|p| p.pid == pid));
    for m in ["PowerOffVM_Task", "PowerOnVM_Task"] {
        let info = wait_task(&sim, &c.ok(Request::new(m, &vm)).await).await;
        assert_eq!(
            info.get("state").and_then(Value::as_str),
            Some("success"),
            "{m}"
        );
    }
    let procs = sim.guest_processes(&vm);
    assert!(procs.iter().all(|p| p.pid != pid), "{procs:?}");
    assert_eq!(procs.len(), 3, "the booted guest's own processes");
    assert_eq!(
        sim.guest_file(&vm, "/tmp/k").as_deref(),
        Some(&b"kept\n"[..])
    );
}

#[tokio::test]
async fn a_clone_has_the_source_files_and_a_destroyed_vm_none() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    sim.set_guest_file(&vm, "/tmp/from-source", b"s")
        .expect("set-up");
    let spec = Data::new("VirtualMachineCloneSpec")
        .with("location", Data::new("VirtualMachineRelocateSpec"))
        .with("powerOn", false)
        .with("template", false);
    let task = c
        .ok(Request::new("CloneVM_Task", &vm)
            .arg("folder", vm_folder(&sim))
            .arg("name", "guest-clone")
            .arg("spec", spec))
        .await;
    let info = wait_task(&sim, &task).await;
    let clone = info
        .get("result")
        .and_then(Value::as_moref)
        .cloned()
        .expect("the clone");
    assert_eq!(
        sim.guest_file(&clone, "/tmp/from-source").as_deref(),
        Some(&b"s"[..])
    );
    let info = wait_task(&sim, &c.ok(Request::new("Destroy_Task", &clone)).await).await;
    assert_eq!(info.get("state").and_then(Value::as_str), Some("success"));
    assert_eq!(sim.guest_file(&clone, "/tmp/from-source"), None);
    assert!(sim.guest_processes(&clone).is_empty());
}
