//! The datastore file tools against the simulator: browsing, folders,
//! delete, copy and move, each effect read back from the simulator's own
//! file table and datastore summary; hostile datastore paths refused before
//! vCenter is asked, each in its own test.

use serde_json::json;
use testkit::{has_result_keys as has_keys, prop_int};
use vcsim::datastore_files::{DsFile, FileKind};
use vim25::MoRef;

use crate::{Env, env, env_with, says};

const DS: &str = "LocalDS_0";

fn store(e: &Env) -> MoRef {
    e.sim.find("Datastore", DS).unwrap()
}

/// What the simulator holds at `path` on LocalDS_0.
fn file(e: &Env, path: &str) -> Option<DsFile> {
    e.sim
        .datastore_files(&store(e), path)
        .into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, f)| f)
}

fn free(e: &Env) -> i64 {
    prop_int(&e.sim, &store(e), "summary.freeSpace").unwrap()
}

async fn mkdir(e: &Env, path: &str) {
    e.ok(
        "create_datastore_folder",
        json!({"datastore": DS, "path": path}),
    )
    .await;
}

/// A copy of the seeded `iso/a.iso` at `to` (64 MiB).
async fn copy_iso(e: &Env, to: &str) {
    e.json(
        "copy_datastore_file",
        json!({"source_datastore": DS, "source_path": "iso/a.iso", "dest_path": to}),
    )
    .await;
}

#[tokio::test]
async fn browse_datastore_lists_the_top_of_the_datastore_as_the_simulator_holds_it() {
    let e = env().await;
    let r = e.json("browse_datastore", json!({"datastore": DS})).await;
    let items = r.as_array().unwrap();
    let mut names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    let mut want: Vec<String> = e
        .sim
        .datastore_files(&store(&e), "")
        .into_iter()
        .filter(|(p, _)| !p.contains('/'))
        .map(|(p, _)| p)
        .collect();
    // Folders that exist only because files are in them count too.
    for (p, _) in e.sim.datastore_files(&store(&e), "") {
        if let Some((top, _)) = p.split_once('/')
            && !want.iter().any(|w| w == top)
        {
            want.push(top.to_string());
        }
    }
    want.sort_unstable();
    assert_eq!(names, want, "{r}");
    let iso = items.iter().find(|i| i["name"] == "iso").unwrap();
    assert_eq!(iso["type"], "folder");
    assert_eq!(iso["path"], "[LocalDS_0] iso");
}

#[tokio::test]
async fn the_datastore_resource_lists_what_browse_datastore_lists_at_the_top() {
    let e = env().await;
    mkdir(&e, "from-resource-test").await;
    let listed = e.json("browse_datastore", json!({"datastore": DS})).await;
    let read = mcvsphere::resources::read(&e.ctx, "datastore://LocalDS_0")
        .await
        .unwrap();
    assert_eq!(read, listed);
    assert!(
        read.as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "from-resource-test" && i["type"] == "folder"),
        "{read}"
    );
}

#[tokio::test]
async fn browse_datastore_lists_a_folder_with_types_and_sizes() {
    let e = env().await;
    let r = e
        .json("browse_datastore", json!({"datastore": DS, "path": "iso"}))
        .await;
    let a = r
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "a.iso")
        .unwrap_or_else(|| panic!("a.iso listed: {r}"));
    assert_eq!(a["type"], "iso_image");
    assert_eq!(a["size_bytes"], file(&e, "iso/a.iso").unwrap().size);
    assert_eq!(a["size_human"], "64.0 MB");
    assert_eq!(a["path"], "[LocalDS_0] iso/a.iso");
    assert!(a["modified"].is_string(), "{a}");
}

#[tokio::test]
async fn browse_datastore_of_a_missing_folder_or_datastore_fails_clearly() {
    let e = env().await;
    let msg = e
        .fails("browse_datastore", json!({"datastore": DS, "path": "nope"}))
        .await;
    says(&msg, &["'[LocalDS_0] nope' not found"]);
    let msg = e
        .fails("browse_datastore", json!({"datastore": "no-such-ds"}))
        .await;
    says(&msg, &["Datastore 'no-such-ds' not found", DS]);
}

#[tokio::test]
async fn create_datastore_folder_makes_the_folder_and_its_parents_once() {
    let e = env().await;
    let r = e
        .ok(
            "create_datastore_folder",
            json!({"datastore": DS, "path": "build/out"}),
        )
        .await;
    says(&r, &["Created folder '[LocalDS_0] build/out'"]);
    assert_eq!(
        file(&e, "build/out").map(|f| f.kind),
        Some(FileKind::Folder)
    );
    assert_eq!(file(&e, "build").map(|f| f.kind), Some(FileKind::Folder));
    let before = e.sim.datastore_files(&store(&e), "");
    let again = e
        .ok(
            "create_datastore_folder",
            json!({"datastore": DS, "path": "build/out"}),
        )
        .await;
    says(&again, &["already exists"]);
    assert_eq!(e.sim.datastore_files(&store(&e), ""), before);
}

#[tokio::test]
async fn delete_datastore_file_removes_the_file_and_frees_its_space() {
    let e = env().await;
    copy_iso(&e, "spare.iso").await;
    let size = file(&e, "spare.iso").unwrap().size;
    let free_before = free(&e);
    let r = e
        .ok(
            "delete_datastore_file",
            json!({"datastore": DS, "path": "spare.iso"}),
        )
        .await;
    says(&r, &["Deleted '[LocalDS_0] spare.iso'"]);
    assert!(file(&e, "spare.iso").is_none());
    assert_eq!(free(&e), free_before + size);
}

#[tokio::test]
async fn delete_datastore_file_removes_a_folder_with_its_files() {
    let e = env().await;
    mkdir(&e, "old").await;
    copy_iso(&e, "old/x.iso").await;
    e.ok(
        "delete_datastore_file",
        json!({"datastore": DS, "path": "old"}),
    )
    .await;
    assert!(e.sim.datastore_files(&store(&e), "old").is_empty());
}

#[tokio::test]
async fn delete_datastore_file_of_a_missing_file_or_a_running_vms_file_fails_clearly() {
    let e = env().await;
    let msg = e
        .fails(
            "delete_datastore_file",
            json!({"datastore": DS, "path": "nope.txt"}),
        )
        .await;
    says(&msg, &["'[LocalDS_0] nope.txt' not found"]);
    let vmx = "DC0_H0_VM0/DC0_H0_VM0.vmx";
    assert!(file(&e, vmx).is_some(), "the VM's config is on {DS}");
    assert_eq!(e.power("DC0_H0_VM0"), "poweredOn");
    let msg = e
        .fails(
            "delete_datastore_file",
            json!({"datastore": DS, "path": vmx}),
        )
        .await;
    says(&msg, &["in use"]);
    assert!(file(&e, vmx).is_some(), "still there");
}

#[tokio::test]
async fn copy_datastore_file_copies_and_needs_force_to_overwrite() {
    let e = env().await;
    let free_before = free(&e);
    let r = e
        .json(
            "copy_datastore_file",
            json!({"source_datastore": DS, "source_path": "iso/a.iso", "dest_path": "copy.iso"}),
        )
        .await;
    has_keys("copy_datastore_file", &r);
    assert_eq!(r["action"], "copied");
    assert_eq!(r["source"], "[LocalDS_0] iso/a.iso");
    assert_eq!(r["destination"], "[LocalDS_0] copy.iso");
    assert_eq!(r["force"], false);
    let size = file(&e, "iso/a.iso").unwrap().size;
    assert_eq!(file(&e, "copy.iso").unwrap().size, size);
    assert_eq!(free(&e), free_before - size);
    let msg = e
        .fails(
            "copy_datastore_file",
            json!({"source_datastore": DS, "source_path": "iso/ubuntu.iso", "dest_path": "copy.iso"}),
        )
        .await;
    says(
        &msg,
        &["'[LocalDS_0] copy.iso' already exists", "force=true"],
    );
    assert_eq!(file(&e, "copy.iso").unwrap().size, size, "unchanged");
    let r = e
        .json(
            "copy_datastore_file",
            json!({"source_datastore": DS, "source_path": "iso/ubuntu.iso", "dest_path": "copy.iso", "force": true}),
        )
        .await;
    assert_eq!(r["force"], true);
    assert_eq!(
        file(&e, "copy.iso").unwrap().size,
        file(&e, "iso/ubuntu.iso").unwrap().size
    );
}

#[tokio::test]
async fn copy_datastore_file_of_a_missing_source_or_onto_itself_fails_clearly() {
    let e = env().await;
    let msg = e
        .fails(
            "copy_datastore_file",
            json!({"source_datastore": DS, "source_path": "nope.iso", "dest_path": "x.iso"}),
        )
        .await;
    says(&msg, &["'[LocalDS_0] nope.iso' not found"]);
    let msg = e
        .fails(
            "copy_datastore_file",
            json!({"source_datastore": DS, "source_path": "iso/a.iso"}),
        )
        .await;
    says(&msg, &["dest_datastore or dest_path"]);
    let msg = e
        .fails(
            "copy_datastore_file",
            json!({"source_datastore": DS, "source_path": "iso/a.iso", "dest_datastore": "no-such-ds"}),
        )
        .await;
    says(&msg, &["Datastore 'no-such-ds' not found"]);
}

#[tokio::test]
async fn move_datastore_file_renames_and_refuses_to_overwrite() {
    let e = env().await;
    copy_iso(&e, "first.iso").await;
    let size = file(&e, "first.iso").unwrap().size;
    let r = e
        .json(
            "move_datastore_file",
            json!({"source_datastore": DS, "source_path": "first.iso", "dest_path": "iso/moved.iso"}),
        )
        .await;
    has_keys("move_datastore_file", &r);
    assert_eq!(r["action"], "moved");
    assert_eq!(r["source"], "[LocalDS_0] first.iso");
    assert_eq!(r["destination"], "[LocalDS_0] iso/moved.iso");
    assert!(file(&e, "first.iso").is_none());
    assert_eq!(file(&e, "iso/moved.iso").unwrap().size, size);
    let msg = e
        .fails(
            "move_datastore_file",
            json!({"source_datastore": DS, "source_path": "iso/moved.iso", "dest_path": "iso/a.iso"}),
        )
        .await;
    says(&msg, &["'[LocalDS_0] iso/a.iso' already exists"]);
    assert!(file(&e, "iso/moved.iso").is_some(), "not moved");
}

/// DC0 with LocalDS_0 and a second datastore, Small (NFS).
async fn two_datastores() -> (Env, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "datacenters:\n  - name: DC0\n    networks: [VM Network]\n    datastores:\n      \
                - name: LocalDS_0\n      - {name: Small, capacity_gb: 5, free_gb: 4, type: NFS}\n    \
                hosts:\n      - name: DC0_H0\n        vms:\n          - name: VM0\n";
    let path = dir.path().join("two.yaml");
    std::fs::write(&path, yaml).unwrap();
    let config = vcsim::Config {
        inventory: vcsim::Inventory::File(path),
        ..Default::default()
    };
    (env_with(config, Default::default()).await, dir)
}

fn file_on(e: &Env, ds: &str, path: &str) -> Option<DsFile> {
    let m = e.sim.find("Datastore", ds).unwrap();
    e.sim
        .datastore_files(&m, path)
        .into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, f)| f)
}

#[tokio::test]
async fn copy_and_move_work_across_datastores() {
    let (e, _dir) = two_datastores().await;
    let r = e
        .json(
            "copy_datastore_file",
            json!({"source_datastore": DS, "source_path": "iso/a.iso", "dest_datastore": "Small", "dest_path": "a.iso"}),
        )
        .await;
    assert_eq!(r["destination"], "[Small] a.iso");
    let size = file_on(&e, DS, "iso/a.iso").unwrap().size;
    assert_eq!(file_on(&e, "Small", "a.iso").unwrap().size, size);
    let r = e
        .json(
            "move_datastore_file",
            json!({"source_datastore": "Small", "source_path": "a.iso", "dest_datastore": DS}),
        )
        .await;
    assert_eq!(r["source"], "[Small] a.iso");
    assert_eq!(r["destination"], "[LocalDS_0] a.iso");
    assert!(file_on(&e, "Small", "a.iso").is_none());
    assert_eq!(file_on(&e, DS, "a.iso").unwrap().size, size);
}

#[tokio::test]
async fn an_inaccessible_datastore_is_said_to_be_so() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "datacenters:\n  - name: DC0\n    networks: [VM Network]\n    datastores:\n      \
                - name: LocalDS_0\n      - {name: gone, accessible: false}\n    \
                hosts:\n      - name: DC0_H0\n";
    let path = dir.path().join("gone.yaml");
    std::fs::write(&path, yaml).unwrap();
    let config = vcsim::Config {
        inventory: vcsim::Inventory::File(path),
        ..Default::default()
    };
    let e = env_with(config, Default::default()).await;
    let info = e.json("get_datastore_info", json!({"name": "gone"})).await;
    assert_eq!(info["accessible"], false);
    for (tool, args) in [
        ("browse_datastore", json!({"datastore": "gone"})),
        (
            "create_datastore_folder",
            json!({"datastore": "gone", "path": "x"}),
        ),
    ] {
        let msg = e.fails(tool, args).await;
        says(&msg, &["[gone]", "not accessible"]);
    }
}

// Hostile datastore paths: refused before vCenter is asked, nothing changed.

#[tokio::test]
async fn a_datastore_prefix_in_a_path_is_refused() {
    let e = env().await;
    let before = e.sim.datastore_files(&store(&e), "");
    for (tool, args) in [
        (
            "browse_datastore",
            json!({"datastore": DS, "path": "[other] secret"}),
        ),
        (
            "delete_datastore_file",
            json!({"datastore": DS, "path": "[LocalDS_0] iso/a.iso"}),
        ),
        (
            "copy_datastore_file",
            json!({"source_datastore": DS, "source_path": "iso/a.iso", "dest_path": "[x] a.iso"}),
        ),
    ] {
        let msg = e.fails(tool, args).await;
        says(&msg, &["refused", "no '[datastore]' prefix"]);
    }
    assert_eq!(e.sim.datastore_files(&store(&e), ""), before);
}

#[tokio::test]
async fn dot_dot_in_a_datastore_path_is_refused() {
    let e = env().await;
    let before = e.sim.datastore_files(&store(&e), "");
    for (tool, args) in [
        (
            "browse_datastore",
            json!({"datastore": DS, "path": "iso/../.."}),
        ),
        (
            "create_datastore_folder",
            json!({"datastore": DS, "path": "../escape"}),
        ),
        (
            "move_datastore_file",
            json!({"source_datastore": DS, "source_path": "iso/a.iso", "dest_path": "../a.iso"}),
        ),
    ] {
        let msg = e.fails(tool, args).await;
        says(&msg, &["refused", "'..' is not allowed"]);
    }
    assert_eq!(e.sim.datastore_files(&store(&e), ""), before);
}

#[tokio::test]
async fn nul_and_control_characters_in_a_datastore_path_are_refused() {
    let e = env().await;
    let before = e.sim.datastore_files(&store(&e), "");
    for path in ["a\u{0}b", "new\nline", "esc\u{1b}[2J"] {
        let msg = e
            .fails(
                "create_datastore_folder",
                json!({"datastore": DS, "path": path}),
            )
            .await;
        says(&msg, &["refused", "control characters"]);
    }
    assert_eq!(e.sim.datastore_files(&store(&e), ""), before);
}
