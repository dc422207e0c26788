//! The runner's write checks on their own, on a scratch VM that starts
//! powered off (the runner's own run finds it on): every check still
//! passes, and the VM ends powered off with the devices and snapshots it
//! had, read from the simulator itself.

use conformance::checks::{Inventory, Recorder};
use conformance::report::Status;
use conformance::writes::{Probe, Writes};
use serde_json::json;

const VM: &str = "DC0_H0_VM0";

/// The VM's power state, device labels and snapshot tree, from the simulator.
fn vm_hardware(sim: &vcsim::Simulator) -> (String, Vec<String>, String) {
    let m = sim.find("VirtualMachine", VM).unwrap();
    let power = sim
        .property(&m, "runtime.powerState")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let labels = sim
        .property(&m, "config.hardware.device")
        .map(|v| vim25::devices::DeviceList::from_value(&v))
        .unwrap_or_default()
        .iter()
        .filter_map(|d| {
            d.path("deviceInfo.label")
                .and_then(vim25::Value::as_str)
                .map(str::to_string)
        })
        .collect();
    let snaps = format!("{:?}", sim.property(&m, "snapshot.rootSnapshotList"));
    (power, labels, snaps)
}

#[tokio::test(flavor = "multi_thread")]
async fn write_checks_pass_on_a_powered_off_vm_and_leave_it_as_it_was() {
    let crate::WriteEnv {
        sim,
        s,
        registered,
        contract,
        log_dir: _log_dir,
    } = crate::write_env().await;
    let off = s.call("power_off", json!({ "name": VM })).await.unwrap();
    assert!(!off.is_error, "{}", off.text);
    let before = vm_hardware(&sim);
    assert_eq!(before.0, "poweredOff");
    let w = Writes {
        s: &s,
        probe: Probe::Sim(&sim),
        contract: &contract,
        registered: &registered,
        vm: VM.into(),
        may_create: false,
        guest: Some(conformance::writes::GuestLogin::simulator()),
    };
    let mut rec = Recorder::default();
    let inv = Inventory {
        vm: Some(VM.into()),
        ..Inventory::default()
    };
    w.run(&mut rec, &inv).await;
    let failed: Vec<String> = rec
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| format!("{}: {}", r.id, r.message))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    for id in [
        "write.revert_to_snapshot",
        "write.revert_to_current_snapshot",
        "write.delete_all_snapshots",
        "write.remove_disk",
        "write.detach_iso",
        "write.remove_nic",
        "write.connect_serial_port",
        "write.remove_serial_port",
        "write.create_guest_directory",
        "write.write_guest_file",
        "write.read_guest_file",
        "write.list_guest_directory",
        "write.run_command_in_guest",
        "write.list_guest_processes",
        "write.delete_guest_file",
        "write.create_datastore_folder",
        "write.upload_to_datastore",
        "write.download_from_datastore",
        "write.copy_datastore_file",
        "write.move_datastore_file",
        "write.browse_datastore",
        "write.delete_datastore_file",
    ] {
        let r = rec.results.iter().find(|r| r.id == id);
        assert_eq!(r.map(|r| r.status), Some(Status::Pass), "{id}: {r:?}");
    }
    let revert = rec
        .results
        .iter()
        .find(|r| r.id == "write.revert_to_snapshot")
        .unwrap();
    assert!(revert.message.contains("poweredOff"), "{}", revert.message);
    assert_eq!(vm_hardware(&sim), before);
    // The datastore checks' folder is gone again.
    let ds = sim.find("Datastore", "LocalDS_0").unwrap();
    let left: Vec<String> = sim
        .datastore_files(&ds, "")
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.starts_with("mcvsphere-conformance"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    s.close().await;
    sim.shutdown().await;
}
