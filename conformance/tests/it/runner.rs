//! The `mcvsphere-conformance` runner binary, end to end: against its own
//! simulator, and against a vcsim started here posing as a real vCenter
//! (TLS, own credentials) — where read-only must really leave it untouched.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use serde_json::Value as Json;

const RUNNER: &str = env!("CARGO_BIN_EXE_mcvsphere-conformance");
const VC_USER: &str = "operator@vsphere.local";
const VC_PASSWORD: &str = "Vc-Pa55word-9d1e";

/// The runner with none of the caller's vCenter settings, run in `cwd`.
async fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(RUNNER);
    for (k, _) in std::env::vars() {
        if k.starts_with("VCENTER_") || k.starts_with("MCP_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args).envs(env.iter().copied()).current_dir(cwd);
    cmd.output().await.unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn report(dir: &Path) -> Json {
    let p = dir.join("report.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

fn checks(r: &Json) -> &Vec<Json> {
    r["checks"].as_array().unwrap()
}

fn check<'a>(r: &'a Json, id: &str) -> &'a Json {
    checks(r)
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in the report"))
}

/// The tools the server registers, from the server itself.
fn registered_tools() -> Vec<String> {
    let out = std::process::Command::new(conformance::server_binary().unwrap())
        .args(["tools", "--format", "json"])
        .output()
        .unwrap();
    let tools: Vec<Json> = serde_json::from_slice(&out.stdout).unwrap();
    tools
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// A vcsim over TLS with its own credentials: what the runner sees as a vCenter.
async fn fake_vcenter() -> vcsim::Simulator {
    vcsim::start(vcsim::Config {
        tls: true,
        credentials: Some((VC_USER.into(), VC_PASSWORD.into())),
        ..Default::default()
    })
    .await
    .unwrap()
}

/// Every VM's name, power state and annotation, from the simulator itself.
fn vm_state(sim: &vcsim::Simulator) -> BTreeMap<String, (String, String)> {
    let s = |vm: &vim25::MoRef, p: &str| {
        sim.property(vm, p)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    sim.objects("VirtualMachine")
        .iter()
        .map(|vm| {
            (
                s(vm, "name"),
                (s(vm, "runtime.powerState"), s(vm, "config.annotation")),
            )
        })
        .collect()
}

/// The families whose write checks read the VM's snapshot tree and devices.
const DEVICE_FAMILIES: [&str; 4] = [
    "snapshots",
    "disk_management",
    "nic_management",
    "serial_port",
];

/// The registered tools of [`DEVICE_FAMILIES`].
fn device_family_tools() -> Vec<String> {
    let c = conformance::contract::embedded().unwrap();
    registered_tools()
        .into_iter()
        .filter(|t| {
            c.tool(t)
                .is_some_and(|ct| DEVICE_FAMILIES.contains(&ct.category.as_str()))
        })
        .collect()
}

/// A VM's device labels and snapshot tree, from the simulator itself.
fn hardware(sim: &vcsim::Simulator, vm: &str) -> (Vec<String>, Option<String>) {
    let m = sim.find("VirtualMachine", vm).unwrap();
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
    let snaps = sim
        .property(&m, "snapshot.rootSnapshotList")
        .filter(|v| !v.as_array().is_empty())
        .map(|v| format!("{v:?}"));
    (labels, snaps)
}

fn vcenter_env(sim: &vcsim::Simulator, password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("VCENTER_HOST", sim.url()),
        ("VCENTER_USER", VC_USER.to_string()),
        ("VCENTER_PASSWORD", password.to_string()),
        ("VCENTER_INSECURE", "true".to_string()),
    ]
}

fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn simulator_target_passes_and_reports_every_registered_tool() {
    let tmp = tempfile::tempdir().unwrap();
    // No --report and no --server: the defaults (conformance/report/ under
    // the working directory, mcvsphere beside the runner) must work.
    let out = run(tmp.path(), &["--target", "simulator"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = tmp.path().join("conformance/report");
    let r = report(&dir);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert_eq!(r["counts"]["fail"], 0, "{md}");
    assert_eq!(r["target"]["kind"], "simulator");
    assert_eq!(r["target"]["writes_allowed"], true);
    assert_eq!(r["server_name"], "mcvsphere");
    assert!(
        r["protocol_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    assert!(md.contains("PASS"), "{md}");
    let tools = registered_tools();
    assert_eq!(r["tools"]["registered"], tools.len());
    assert_eq!(r["tools"]["contract"], 94);
    for t in &tools {
        assert!(
            checks(&r).iter().any(|c| c["tool"] == t.as_str()),
            "{t} is not in report.json"
        );
        assert!(md.contains(&format!("`{t}`")), "{t} is not in report.md");
    }
    // The write checks ran, and their effects were read from the simulator.
    for id in ["write.power_off", "write.rename_vm", "write.create_vm"] {
        assert_eq!(check(&r, id)["status"], "pass", "{id}: {md}");
    }
    // The vCenter-operations and OVF round trip, and the NTP check (issue 13).
    for t in [
        "create_folder",
        "move_vm_to_folder",
        "storage_vmotion",
        "move_vm_disk",
        "export_vm_ovf",
        "list_ovf_networks",
        "deploy_ovf",
        "convert_to_template",
        "deploy_from_template",
        "convert_to_vm",
        "configure_ntp",
    ] {
        let id = format!("write.{t}");
        assert_eq!(check(&r, &id)["status"], "pass", "{id}: {md}");
    }
    assert_eq!(check(&r, "state.restored")["status"], "pass", "{md}");
    // Every write tool of the snapshot and device families has a check, and all pass.
    let family_tools = device_family_tools();
    assert!(family_tools.len() >= 24, "{family_tools:?}");
    for t in &family_tools {
        let of_tool: Vec<&Json> = checks(&r)
            .iter()
            .filter(|c| c["tool"] == t.as_str())
            .collect();
        assert!(!of_tool.is_empty(), "{t} has no check: {md}");
        for c in of_tool {
            assert_eq!(c["status"], "pass", "{t}: {c}");
        }
    }
    assert!(
        check(&r, "state.restored")["message"]
            .as_str()
            .unwrap()
            .contains("simulator"),
        "{md}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn simulator_target_over_http_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let dir_s = dir.to_str().unwrap();
    let out = run(tmp.path(), &["--transport", "http", "--report", dir_s], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = report(&dir);
    assert_eq!(r["target"]["transport"], "http");
    assert_eq!(r["counts"]["fail"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn vcenter_target_is_read_only_by_default() {
    conformance::init_tls();
    let sim = fake_vcenter().await;
    let before = vm_state(&sim);
    let events_before = sim.events().len();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    let env = vcenter_env(&sim, VC_PASSWORD);
    let out = run(
        tmp.path(),
        &["--target", "vcenter", "--report", dir.to_str().unwrap()],
        &as_refs(&env),
    )
    .await;
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{}\n{md}", text(&out));
    let r = report(&dir);
    assert_eq!(r["target"]["kind"], "vcenter");
    assert_eq!(r["target"]["writes_allowed"], false);
    assert!(
        r["target"]["host"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert_eq!(r["counts"]["fail"], 0, "{md}");
    assert_eq!(check(&r, "tool.get_vm_info")["status"], "pass", "{md}");
    assert_eq!(check(&r, "vcenter.session")["status"], "pass", "{md}");
    // Nothing ran in write mode; the write tools are listed as skipped.
    for c in checks(&r) {
        if c["mode"] == "write" {
            assert_eq!(c["status"], "skip", "{c}");
        }
    }
    let power_on = checks(&r).iter().find(|c| c["tool"] == "power_on").unwrap();
    assert!(
        power_on["message"]
            .as_str()
            .unwrap()
            .contains("--allow-writes"),
        "{power_on}"
    );
    // Read-only really is read-only: the simulator's own state says so.
    assert_eq!(vm_state(&sim), before);
    let vm_events: Vec<_> = sim.events()[events_before..]
        .iter()
        .filter(|(kind, _)| kind.starts_with("Vm"))
        .cloned()
        .collect();
    assert!(vm_events.is_empty(), "{vm_events:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn vcenter_writes_touch_only_the_scratch_vm_and_restore_it() {
    conformance::init_tls();
    let sim = fake_vcenter().await;
    let before = vm_state(&sim);
    let scratch = "DC0_H0_VM1";
    assert!(before.contains_key(scratch));
    let hardware_before = hardware(&sim, scratch);
    assert!(hardware_before.1.is_none(), "{hardware_before:?}");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    let env = vcenter_env(&sim, VC_PASSWORD);
    let out = run(
        tmp.path(),
        &[
            "--target",
            "vcenter",
            "--allow-writes",
            "--scratch-vm",
            scratch,
            "--report",
            dir.to_str().unwrap(),
        ],
        &as_refs(&env),
    )
    .await;
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{}\n{md}", text(&out));
    let r = report(&dir);
    assert_eq!(r["target"]["scratch_vm"], scratch);
    assert_eq!(check(&r, "write.power_off")["status"], "pass", "{md}");
    assert_eq!(check(&r, "write.rename_vm")["status"], "pass", "{md}");
    // Creating VMs is for the simulator target only.
    assert_eq!(check(&r, "write.create_vm")["status"], "skip", "{md}");
    // The snapshot and device checks ran through the server's read tools;
    // only the CD/DVD drive, which no read tool shows, is left out.
    for t in device_family_tools() {
        let id = format!("write.{t}");
        let Some(c) = checks(&r).iter().find(|c| c["id"] == id.as_str()) else {
            continue;
        };
        let want = if t.ends_with("_iso") { "skip" } else { "pass" };
        assert_eq!(c["status"], want, "{id}: {md}");
    }
    for id in [
        "write.create_snapshot",
        "write.delete_all_snapshots",
        "write.add_disk",
        "write.add_nic",
        "write.setup_serial_port",
    ] {
        assert_eq!(check(&r, id)["status"], "pass", "{id}: {md}");
    }
    // Every VM, the scratch VM included, is as it was.
    assert_eq!(vm_state(&sim), before);
    assert_eq!(hardware(&sim, scratch), hardware_before);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_fails_with_login_failed_and_never_leaks_it() {
    conformance::init_tls();
    let sim = fake_vcenter().await;
    let wrong = "Wr0ng-pa55-e1b7c3";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    let env = vcenter_env(&sim, wrong);
    let out = run(
        tmp.path(),
        &["--target", "vcenter", "--report", dir.to_str().unwrap()],
        &as_refs(&env),
    )
    .await;
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    let r = report(&dir);
    let session = check(&r, "vcenter.session");
    assert_eq!(session["status"], "fail");
    let msg = session["message"].as_str().unwrap().to_lowercase();
    assert!(msg.contains("login failed"), "{msg}");
    assert!(output.to_lowercase().contains("login failed"), "{output}");
    // Registered tools still appear, as not run.
    for t in registered_tools() {
        assert!(checks(&r).iter().any(|c| c["tool"] == t.as_str()), "{t}");
    }
    assert!(!output.contains(wrong), "password in the runner's output");
    for f in ["report.json", "report.md", "server.log"] {
        let body = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(!body.contains(wrong), "password in {f}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_vcenter_settings_are_named_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        tmp.path(),
        &["--target", "vcenter"],
        &[("VCENTER_USER", VC_USER), ("VCENTER_PASSWORD", VC_PASSWORD)],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("VCENTER_HOST"), "{err}");
    assert!(
        !err.contains("VCENTER_USER,"),
        "only the missing one: {err}"
    );
    assert!(!err.contains(VC_PASSWORD), "{err}");
    // Writes need a named scratch VM.
    let out = run(
        tmp.path(),
        &["--target", "vcenter", "--allow-writes"],
        &[("VCENTER_HOST", "vc.example.com")],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--scratch-vm"), "{}", text(&out));
}

/// Issue 10: against a vCenter the guest checks log in with --guest-user and
/// CONFORMANCE_GUEST_PASSWORD and read their effects back through the
/// server's own guest read tools; the password reaches no report.
#[tokio::test(flavor = "multi_thread")]
async fn vcenter_guest_checks_use_the_given_guest_account() {
    conformance::init_tls();
    let sim = fake_vcenter().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    let mut env = vcenter_env(&sim, VC_PASSWORD);
    let args = [
        "--target",
        "vcenter",
        "--allow-writes",
        "--scratch-vm",
        "DC0_H0_VM0",
        "--guest-user",
        "root",
        "--report",
        dir.to_str().unwrap(),
    ];
    // The user without the password is a usage error, not a silent skip.
    let out = run(tmp.path(), &args, &as_refs(&env)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("CONFORMANCE_GUEST_PASSWORD"),
        "{}",
        text(&out)
    );
    env.push(("CONFORMANCE_GUEST_PASSWORD", "vmware".to_string()));
    let out = run(tmp.path(), &args, &as_refs(&env)).await;
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{}\n{md}", text(&out));
    let r = report(&dir);
    for t in [
        "create_guest_directory",
        "write_guest_file",
        "read_guest_file",
        "list_guest_directory",
        "run_command_in_guest",
        "list_guest_processes",
        "delete_guest_file",
    ] {
        let id = format!("write.{t}");
        assert_eq!(check(&r, &id)["status"], "pass", "{id}: {md}");
    }
    // The checks cleaned up after themselves in the simulator's guest.
    let vm = sim.find("VirtualMachine", "DC0_H0_VM0").unwrap();
    let left: Vec<String> = sim
        .guest_dir(&vm, "/tmp")
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with("mcvsphere-conformance"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let report_text = std::fs::read_to_string(dir.join("report.json")).unwrap();
    assert!(
        !report_text.contains("\"vmware\""),
        "the guest password is in the report"
    );
    sim.shutdown().await;
}
