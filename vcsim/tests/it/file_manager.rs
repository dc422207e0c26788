//! FileManager: every change is read back from the simulator's file table
//! (`Simulator::datastore_files`) and the datastores' free space; each
//! refusal names the file and leaves the table as it was.

use vcsim::datastore_files::{DsFile, FileKind};
use vcsim::{Config, Inventory, Simulator};
use vim25::{MoRef, Request, Value};

use crate::{Client, mo, start};
use testkit::{prop_int, says, task_fault, wait_task};

/// DC0 with LocalDS_0 (the default) and Small, an NFS datastore of 5 GiB
/// (2.9 GiB free once the seeded ISOs are in), so a copy can run out of space.
pub(crate) async fn two_datastores(tag: &str) -> (Simulator, Client) {
    let yaml = "datacenters:\n  - name: DC0\n    networks: [VM Network]\n    datastores:\n      \
                - name: LocalDS_0\n      - {name: Small, capacity_gb: 5, free_gb: 4, type: NFS}\n    \
                hosts:\n      - name: DC0_H0\n        vms:\n          - name: VM0\n          \
                - {name: VM1, power: poweredOff}\n";
    let path = std::env::temp_dir().join(format!("vcsim-fm-{}-{tag}.yaml", std::process::id()));
    std::fs::write(&path, yaml).expect("the temp dir is writable");
    let r = start(Config {
        inventory: Inventory::File(path.clone()),
        ..Config::default()
    })
    .await;
    let _ = std::fs::remove_file(&path);
    r.1.login().await;
    r
}

fn fm() -> MoRef {
    mo("FileManager", "FileManager")
}

pub(crate) fn dc(sim: &Simulator) -> MoRef {
    sim.find("Datacenter", "DC0").expect("DC0")
}

pub(crate) fn store(sim: &Simulator, name: &str) -> MoRef {
    sim.find("Datastore", name).expect("datastore")
}

pub(crate) fn file(sim: &Simulator, ds: &str, path: &str) -> Option<DsFile> {
    sim.datastore_files(&store(sim, ds), path)
        .into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, f)| f)
}

pub(crate) fn free(sim: &Simulator, ds: &str) -> i64 {
    prop_int(sim, &store(sim, ds), "summary.freeSpace").expect("freeSpace")
}

/// Runs a FileManager task; `(fault type, message)`, empty on success.
pub(crate) async fn run(sim: &Simulator, c: &Client, req: Request) -> (String, String) {
    let info = wait_task(sim, &c.ok(req).await).await;
    if task_fault(&info).is_empty() {
        assert_eq!(
            info.get("entity").and_then(Value::as_moref),
            Some(&dc(sim)),
            "the task's entity is the datacenter"
        );
    }
    let msg = info
        .path("error.localizedMessage")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    (task_fault(&info), msg)
}

fn transfer(sim: &Simulator, method: &str, from: &str, to: &str, force: bool) -> Request {
    Request::new(method, &fm())
        .arg("sourceName", from)
        .arg("sourceDatacenter", dc(sim))
        .arg("destinationName", to)
        .arg("destinationDatacenter", dc(sim))
        .arg("force", force)
}

/// Runs a copy or move of `from` to `to` and waits: `(fault type, message)`.
pub(crate) async fn copy_or_move(
    sim: &Simulator,
    c: &Client,
    method: &str,
    from: &str,
    to: &str,
    force: bool,
) -> (String, String) {
    run(sim, c, transfer(sim, method, from, to, force)).await
}

fn delete(sim: &Simulator, name: &str) -> Request {
    Request::new("DeleteDatastoreFile_Task", &fm())
        .arg("name", name)
        .arg("datacenter", dc(sim))
}

fn mkdir(sim: &Simulator, name: &str, parents: bool) -> Request {
    Request::new("MakeDirectory", &fm())
        .arg("name", name)
        .arg("datacenter", dc(sim))
        .arg("createParentDirectories", parents)
}

#[tokio::test]
async fn issue_11_make_directory_creates_folders_and_refuses_existing_or_orphaned_ones() {
    let (sim, c) = two_datastores("mkdir").await;
    c.ok(mkdir(&sim, "[Small] a/b/c", true)).await;
    for p in ["a", "a/b", "a/b/c"] {
        assert_eq!(
            file(&sim, "Small", p).map(|f| f.kind),
            Some(FileKind::Folder),
            "{p}"
        );
    }
    c.ok(mkdir(&sim, "[Small] a/d", false)).await;
    assert!(file(&sim, "Small", "a/d").is_some());
    let before = sim.datastore_files(&store(&sim, "Small"), "");
    let f = c
        .check(mkdir(&sim, "[Small] a/b", false))
        .await
        .expect_err("exists");
    assert_eq!(f.fault_type(), Some("FileAlreadyExists"));
    says(&f.to_string(), &["[Small] a/b", "already exists"]);
    let f = c
        .check(mkdir(&sim, "[Small] x/y", false))
        .await
        .expect_err("no parent");
    assert_eq!(f.fault_type(), Some("FileNotFound"));
    says(&f.to_string(), &["[Small] x", "not found"]);
    let f = c
        .check(mkdir(&sim, "[Small] ../y", true))
        .await
        .expect_err("traversal");
    assert_eq!(f.fault_type(), Some("InvalidDatastorePath"));
    let f = c
        .check(mkdir(&sim, "[Nope] y", true))
        .await
        .expect_err("no datastore");
    assert_eq!(f.fault_type(), Some("InvalidDatastore"));
    says(&f.to_string(), &["Nope", "LocalDS_0", "Small"]);
    assert_eq!(sim.datastore_files(&store(&sim, "Small"), ""), before);
}

#[tokio::test]
async fn issue_11_copy_across_datastores_takes_space_and_force_replaces() {
    let (sim, c) = two_datastores("copy").await;
    let free0 = free(&sim, "Small");
    let (fault, _) = copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] iso/ubuntu.iso",
        "[Small] u.iso",
        false,
    )
    .await;
    assert_eq!(fault, "");
    assert_eq!(file(&sim, "Small", "u.iso").map(|f| f.size), Some(2 << 30));
    assert!(
        file(&sim, "LocalDS_0", "iso/ubuntu.iso").is_some(),
        "the source stays"
    );
    assert_eq!(free(&sim, "Small"), free0 - (2 << 30));
    // Again: the destination exists.
    let (fault, msg) = copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] iso/a.iso",
        "[Small] u.iso",
        false,
    )
    .await;
    assert_eq!(fault, "FileAlreadyExists");
    says(&msg, &["[Small] u.iso", "already exists"]);
    assert_eq!(file(&sim, "Small", "u.iso").map(|f| f.size), Some(2 << 30));
    // force replaces it (and frees what it held).
    let (fault, _) = copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] iso/a.iso",
        "[Small] u.iso",
        true,
    )
    .await;
    assert_eq!(fault, "");
    assert_eq!(file(&sim, "Small", "u.iso").map(|f| f.size), Some(64 << 20));
    assert_eq!(free(&sim, "Small"), free0 - (64 << 20));
    // A copy that does not fit changes nothing.
    let before = sim.datastore_files(&store(&sim, "Small"), "");
    copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] iso/ubuntu.iso",
        "[Small] big.iso",
        false,
    )
    .await;
    let (fault, msg) = copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] iso/ubuntu.iso",
        "[Small] big2.iso",
        false,
    )
    .await;
    assert_eq!(fault, "NoDiskSpace");
    says(&msg, &["Small", "not enough space"]);
    assert!(file(&sim, "Small", "big2.iso").is_none());
    assert!(sim.datastore_files(&store(&sim, "Small"), "").len() > before.len());
    // A whole VM folder copies with its files; a missing source is FileNotFound.
    let (fault, _) = copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] VM1",
        "[LocalDS_0] VM1-copy",
        false,
    )
    .await;
    assert_eq!(fault, "");
    let src: Vec<_> = sim
        .datastore_files(&store(&sim, "LocalDS_0"), "VM1/")
        .into_iter()
        .map(|(p, f)| (p.replacen("VM1/", "", 1), f))
        .collect();
    let dst: Vec<_> = sim
        .datastore_files(&store(&sim, "LocalDS_0"), "VM1-copy/")
        .into_iter()
        .map(|(p, f)| (p.replacen("VM1-copy/", "", 1), f))
        .collect();
    assert_eq!(src, dst);
    assert!(!src.is_empty());
    let (fault, msg) = copy_or_move(
        &sim,
        &c,
        "CopyDatastoreFile_Task",
        "[LocalDS_0] nothing.iso",
        "[Small] n.iso",
        false,
    )
    .await;
    assert_eq!(fault, "FileNotFound");
    says(&msg, &["[LocalDS_0] nothing.iso", "not found"]);
}

#[tokio::test]
async fn issue_11_move_within_and_across_datastores() {
    let (sim, c) = two_datastores("move").await;
    let (free_l, free_s) = (free(&sim, "LocalDS_0"), free(&sim, "Small"));
    c.ok(mkdir(&sim, "[LocalDS_0] moved", false)).await;
    let (fault, _) = copy_or_move(
        &sim,
        &c,
        "MoveDatastoreFile_Task",
        "[LocalDS_0] iso/a.iso",
        "[LocalDS_0] moved/a.iso",
        false,
    )
    .await;
    assert_eq!(fault, "");
    assert!(file(&sim, "LocalDS_0", "iso/a.iso").is_none());
    assert_eq!(
        file(&sim, "LocalDS_0", "moved/a.iso").map(|f| f.size),
        Some(64 << 20)
    );
    assert_eq!(free(&sim, "LocalDS_0"), free_l);
    // The powered-off VM's folder moves to the other datastore whole.
    let n = sim.datastore_files(&store(&sim, "LocalDS_0"), "VM1/").len();
    let held: i64 = sim
        .datastore_files(&store(&sim, "LocalDS_0"), "VM1/")
        .iter()
        .map(|(_, f)| f.size)
        .sum();
    let (fault, _) = copy_or_move(
        &sim,
        &c,
        "MoveDatastoreFile_Task",
        "[LocalDS_0] VM1",
        "[Small] VM1",
        false,
    )
    .await;
    assert_eq!(fault, "");
    assert!(
        sim.datastore_files(&store(&sim, "LocalDS_0"), "VM1/")
            .is_empty()
    );
    assert_eq!(sim.datastore_files(&store(&sim, "Small"), "VM1/").len(), n);
    assert_eq!(free(&sim, "Small"), free_s - held);
    assert_eq!(free(&sim, "LocalDS_0"), free_l + held);
    // A running VM's files are locked; a missing parent folder is FileNotFound.
    let (fault, msg) = copy_or_move(
        &sim,
        &c,
        "MoveDatastoreFile_Task",
        "[LocalDS_0] VM0",
        "[Small] VM0",
        false,
    )
    .await;
    assert_eq!(fault, "FileLocked");
    says(&msg, &["VM0", "powered-on"]);
    let (fault, msg) = copy_or_move(
        &sim,
        &c,
        "MoveDatastoreFile_Task",
        "[LocalDS_0] moved/a.iso",
        "[Small] no/a.iso",
        false,
    )
    .await;
    assert_eq!(fault, "FileNotFound");
    says(&msg, &["[Small] no"]);
    assert!(file(&sim, "LocalDS_0", "moved/a.iso").is_some());
}

#[tokio::test]
async fn issue_11_delete_removes_files_and_folders_and_refuses_locked_or_missing_ones() {
    let (sim, c) = two_datastores("delete").await;
    let free0 = free(&sim, "LocalDS_0");
    let (fault, _) = run(&sim, &c, delete(&sim, "[LocalDS_0] iso/b.iso")).await;
    assert_eq!(fault, "");
    assert!(file(&sim, "LocalDS_0", "iso/b.iso").is_none());
    assert_eq!(free(&sim, "LocalDS_0"), free0 + (64 << 20));
    let (fault, _) = run(&sim, &c, delete(&sim, "[LocalDS_0] VM1")).await;
    assert_eq!(fault, "");
    assert!(
        sim.datastore_files(&store(&sim, "LocalDS_0"), "VM1/")
            .is_empty()
    );
    for (path, want, words) in [
        (
            "[LocalDS_0] iso/b.iso",
            "FileNotFound",
            vec!["[LocalDS_0] iso/b.iso", "not found"],
        ),
        (
            "[LocalDS_0] VM0",
            "CannotDeleteFile",
            vec!["VM0", "powered-on"],
        ),
        (
            "[LocalDS_0] VM0/VM0.vmx",
            "CannotDeleteFile",
            vec!["VM0.vmx", "powered-on"],
        ),
        ("[LocalDS_0]", "CannotDeleteFile", vec!["root"]),
    ] {
        let (fault, msg) = run(&sim, &c, delete(&sim, path)).await;
        assert_eq!(fault, want, "{path}");
        says(&msg, &words);
    }
    assert!(file(&sim, "LocalDS_0", "VM0/VM0.vmx").is_some());
}
