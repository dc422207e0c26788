//! Runs the pyvmomi smoke script against an in-process TLS simulator.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use vcsim::Config;

/// The pyvmomi release the interop test pins (the one the vim25 schema table
/// was generated from), so a new SDK release cannot change the verdict unseen.
const PYVMOMI: &str = "pyvmomi==9.1.1.0";

/// A Python with pyvmomi: a venv the test makes (once) under target/ with pip,
/// so a fresh machine needs nothing but python3. Several tests ask at once;
/// the venv is made by the first and waited for by the rest (two `venv`
/// runs into one directory on a fresh clone make each other fail).
pub(crate) fn python() -> PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(make_venv).clone()
}

fn make_venv() -> PathBuf {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/pyvmomi-venv");
    let py = target.join("bin/python");
    if !py.exists() {
        let st = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&target)
            .status()
            .expect("python3 runs");
        assert!(st.success(), "creating the venv failed");
    }
    let have = Command::new(&py)
        .args([
            "-c",
            "import importlib.metadata as m, sys; sys.exit(m.version('pyvmomi') != sys.argv[1])",
            PYVMOMI.trim_start_matches("pyvmomi=="),
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        let st = Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", PYVMOMI])
            .status()
            .expect("pip runs");
        assert!(st.success(), "pip install pyvmomi failed");
    }
    py
}

/// A TLS simulator with the default inventory.
async fn tls_simulator() -> vcsim::Simulator {
    vcsim::start(Config {
        tls: true,
        ..Config::default()
    })
    .await
    .expect("simulator starts")
}

/// Runs `script` (under `vcsim/tests/`) against `sim` on VM `vm` and asserts
/// it succeeded and printed `done`; its output.
pub(crate) async fn run_script(sim: &vcsim::Simulator, script: &str, vm: &str) -> String {
    let addr = sim.addr();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(script);
    let vm = vm.to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg(script)
            .args([
                &addr.ip().to_string(),
                &addr.port().to_string(),
                "user",
                "pass",
                &vm,
            ])
            .output()
            .expect("python runs")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pyvmomi script failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("done"), "{stdout}");
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyvmomi_connects_lists_and_powers() {
    let sim = tls_simulator().await;
    let vm = sim
        .find("VirtualMachine", "DC0_H0_VM0")
        .expect("fixture VM");
    run_script(&sim, "pyvmomi_smoke.py", "DC0_H0_VM0").await;
    // The script powered the VM off and on again through tasks, and logged in and out.
    let evs = sim.events();
    let off = evs
        .iter()
        .position(|(t, m)| t == "VmPoweredOffEvent" && m.contains("DC0_H0_VM0"));
    let on = evs
        .iter()
        .rposition(|(t, m)| t == "VmPoweredOnEvent" && m.contains("DC0_H0_VM0"));
    assert!(matches!((off, on), (Some(a), Some(b)) if a < b), "{evs:?}");
    assert_eq!(
        sim.property(&vm, "runtime.powerState")
            .and_then(|v| v.as_str().map(str::to_string))
            .as_deref(),
        Some("poweredOn")
    );
    assert_eq!(sim.login_count(), 1);
    assert!(evs.iter().any(|(t, _)| t == "UserLogoutSessionEvent"));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyvmomi_adds_and_removes_disks_nics_isos_and_serial_ports() {
    let sim = tls_simulator().await;
    let vm = sim
        .find("VirtualMachine", "DC0_H0_VM1")
        .expect("fixture VM");
    let before = sim
        .property(&vm, "config.hardware.device")
        .map(|d| vim25::devices::DeviceList::from_value(&d))
        .expect("devices");
    run_script(&sim, "pyvmomi_devices.py", "DC0_H0_VM1").await;
    // What the script left: its disk, NIC and serial port gone, a second
    // CD/DVD drive beside the built-in one.
    let after = sim
        .property(&vm, "config.hardware.device")
        .map(|d| vim25::devices::DeviceList::from_value(&d))
        .expect("devices");
    assert_eq!(after.disks().len(), before.disks().len());
    assert_eq!(after.nics().len(), before.nics().len());
    assert!(after.serial_ports().is_empty());
    assert_eq!(after.cdroms().len(), before.cdroms().len() + 1);
    let reconfigs = sim
        .events()
        .iter()
        .filter(|(t, m)| t == "VmReconfiguredEvent" && m.contains("DC0_H0_VM1"))
        .count();
    assert!(reconfigs >= 8, "{reconfigs} reconfigurations");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyvmomi_fetches_the_console_screenshot() {
    let sim = tls_simulator().await;
    let out = run_script(&sim, "pyvmomi_screen.py", "DC0_H0_VM0").await;
    assert!(out.contains("ok: the PNG is 200x150"), "{out}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyvmomi_runs_programs_and_transfers_files_in_the_guest() {
    let sim = tls_simulator().await;
    let vm = sim
        .find("VirtualMachine", "DC0_H0_VM0")
        .expect("fixture VM");
    let out = run_script(&sim, "pyvmomi_guest.py", "DC0_H0_VM0").await;
    assert!(out.contains("ok: the PNG header says 320x240"), "{out}");
    // What the script did, read from the guest itself.
    let upload: Vec<u8> = (0..4).flat_map(|_| 0..=255u8).collect();
    assert_eq!(sim.guest_file(&vm, "/tmp/up.bin"), Some(upload));
    assert_eq!(sim.guest_file(&vm, "/tmp/x").as_deref(), Some(&b"hi\n"[..]));
    let ran = sim
        .guest_processes(&vm)
        .into_iter()
        .find(|p| p.cmd_line.contains("echo hi"))
        .expect("the script's process is listed");
    assert_eq!((ran.owner.as_str(), ran.exit_code), ("root", Some(0)));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyvmomi_browses_uploads_downloads_copies_moves_and_deletes_datastore_files() {
    let sim = tls_simulator().await;
    let ds = sim.find("Datastore", "LocalDS_0").expect("datastore");
    let free = |sim: &vcsim::Simulator| {
        sim.property(&ds, "summary.freeSpace")
            .and_then(|v| v.as_i64())
            .expect("freeSpace")
    };
    let before = free(&sim);
    let out = run_script(&sim, "pyvmomi_datastore.py", "DC0_H0_VM0").await;
    assert!(out.contains("ok: the copy has the same bytes"), "{out}");
    // The script deleted everything it made: no files left, the space back.
    assert!(sim.datastore_files(&ds, "upload").is_empty());
    assert_eq!(free(&sim), before);
    assert_eq!(sim.upload_memory_in_use(), 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyvmomi_reads_hosts_toggles_services_queries_perf_and_reads_events() {
    let sim = tls_simulator().await;
    let out = run_script(&sim, "pyvmomi_hosts.py", "DC0_H0").await;
    assert!(out.contains("ok: three samples"), "{out}");
    // What the script left, read from the simulator: SSH stopped with policy on.
    let h = sim.find("HostSystem", "DC0_H0").expect("host");
    let ssh = sim
        .property(&h, "config.service.service")
        .expect("services")
        .as_array()
        .iter()
        .filter_map(|s| s.as_data().cloned())
        .find(|s| s.get("key").and_then(|k| k.as_str()) == Some("TSM-SSH"))
        .expect("TSM-SSH");
    assert_eq!(ssh.get("running").and_then(|v| v.as_bool()), Some(false));
    assert_eq!(ssh.get("policy").and_then(|v| v.as_str()), Some("on"));
    assert!(
        sim.objects("EventHistoryCollector").is_empty(),
        "the script destroyed its collector"
    );
    assert!(
        sim.events()
            .iter()
            .any(|(t, m)| t == "VmPoweredOnEvent" && m.contains("DC0_H0"))
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyvmomi_imports_the_fixture_ovf_and_exports_it_back() {
    let sim = tls_simulator().await;
    let ds = sim.find("Datastore", "LocalDS_0").expect("datastore");
    let out = run_script(&sim, "pyvmomi_ovf.py", "pyovf").await;
    assert!(
        out.contains("ok: GET disk-0.vmdk is the disk that was uploaded"),
        "{out}"
    );
    // The imported VM and its uploaded disk, read from the simulator.
    let vm = sim
        .find("VirtualMachine", "pyovf")
        .expect("the imported VM");
    let disk = sim
        .datastore_files(&ds, "pyovf/")
        .into_iter()
        .find(|(p, _)| p.ends_with(".vmdk"))
        .expect("its disk file");
    let fixture = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/ovf/tiny-disk1.vmdk"),
    )
    .expect("fixture");
    assert_eq!(sim.datastore_file_bytes(&ds, &disk.0), Some(fixture));
    assert_eq!(
        sim.property(&vm, "config.hardware.memoryMB")
            .and_then(|v| v.as_i64()),
        Some(64)
    );
    sim.shutdown().await;
}
