//! guest_ops file tools against the simulated guest: every effect read back
//! from the simulator's guest file system, not from the tool's reply.

use base64::Engine;
use serde_json::{Value as Json, json};
use testkit::has_result_keys as has_keys;

use crate::{Env, env, says};

pub(crate) const VM: &str = "DC0_H0_VM0";
pub(crate) const GUEST_PASSWORD: &str = "vmware";

pub(crate) fn vm(e: &Env) -> vim25::MoRef {
    testkit::vm(&e.sim, VM)
}

/// `extra` with the VM and root's login added.
pub(crate) fn login(extra: Json) -> Json {
    let mut a = json!({"name": VM, "username": "root", "password": GUEST_PASSWORD});
    if let (Json::Object(into), Json::Object(from)) = (&mut a, extra) {
        into.extend(from);
    }
    a
}

#[tokio::test]
async fn write_then_read_guest_file_round_trips_through_the_guest() {
    let e = env().await;
    let text = "line one\nline two — ünïcode\n";
    let msg = e
        .ok(
            "write_guest_file",
            login(json!({"guest_path": "/tmp/notes.txt", "content": text})),
        )
        .await;
    says(&msg, &["/tmp/notes.txt", "DC0_H0_VM0"]);
    assert_eq!(
        e.sim.guest_file(&vm(&e), "/tmp/notes.txt").as_deref(),
        Some(text.as_bytes())
    );
    let r = e
        .json(
            "read_guest_file",
            login(json!({"guest_path": "/tmp/notes.txt"})),
        )
        .await;
    has_keys("read_guest_file", &r);
    assert_eq!(r["content"], text);
    assert_eq!(r["encoding"], "utf-8");
    assert_eq!(r["size"], text.len());
    // The simulator's own seed: /etc/hostname holds the VM's name.
    let r = e
        .json(
            "read_guest_file",
            login(json!({"guest_path": "/etc/hostname"})),
        )
        .await;
    let seeded = e.sim.guest_file(&vm(&e), "/etc/hostname").unwrap();
    assert_eq!(r["content"], String::from_utf8(seeded).unwrap());
}

#[tokio::test]
async fn binary_guest_files_come_back_as_base64() {
    let e = env().await;
    let bytes: Vec<u8> = (0u8..=255).collect();
    e.sim
        .set_guest_file(&vm(&e), "/tmp/blob.bin", &bytes)
        .unwrap();
    let r = e
        .json(
            "read_guest_file",
            login(json!({"guest_path": "/tmp/blob.bin"})),
        )
        .await;
    assert_eq!(r["encoding"], "base64");
    let back = base64::engine::general_purpose::STANDARD
        .decode(r["content"].as_str().unwrap())
        .unwrap();
    assert_eq!(back, bytes);
    assert_eq!(r["size"], 256);
}

#[tokio::test]
async fn write_guest_file_refuses_to_overwrite_when_told_not_to() {
    let e = env().await;
    let before = e.sim.guest_file(&vm(&e), "/etc/hostname").unwrap();
    let msg = e
        .fails(
            "write_guest_file",
            login(json!({"guest_path": "/etc/hostname", "content": "x", "overwrite": false})),
        )
        .await;
    says(&msg, &["'/etc/hostname' already exists", "overwrite"]);
    assert_eq!(e.sim.guest_file(&vm(&e), "/etc/hostname").unwrap(), before);
    // overwrite (the default) replaces it.
    e.ok(
        "write_guest_file",
        login(json!({"guest_path": "/etc/hostname", "content": "renamed\n"})),
    )
    .await;
    assert_eq!(
        e.sim.guest_file(&vm(&e), "/etc/hostname").as_deref(),
        Some(&b"renamed\n"[..])
    );
}

#[tokio::test]
async fn guest_file_contents_have_a_size_limit_both_ways() {
    let e = env().await;
    let big = "x".repeat(4 * 1024 * 1024 + 1);
    let msg = e
        .fails(
            "write_guest_file",
            login(json!({"guest_path": "/tmp/big.txt", "content": big})),
        )
        .await;
    says(&msg, &["4194305 bytes", "at most 4 MiB"]);
    assert_eq!(e.sim.guest_file(&vm(&e), "/tmp/big.txt"), None);
    e.sim
        .set_guest_file(&vm(&e), "/tmp/big.txt", big.as_bytes())
        .unwrap();
    let msg = e
        .fails(
            "read_guest_file",
            login(json!({"guest_path": "/tmp/big.txt"})),
        )
        .await;
    says(&msg, &["'/tmp/big.txt'", "4194305 bytes", "at most 4 MiB"]);
}

#[tokio::test]
async fn read_guest_file_names_a_missing_path_and_a_forbidden_one() {
    let e = env().await;
    let msg = e
        .fails("read_guest_file", login(json!({"guest_path": "/etc/nope"})))
        .await;
    says(
        &msg,
        &["'/etc/nope' not found in the guest of VM 'DC0_H0_VM0'"],
    );
    e.sim
        .set_guest_file(&vm(&e), "/root/secret.txt", b"root only")
        .unwrap();
    let msg = e
        .fails(
            "read_guest_file",
            login(json!({"username": "user", "guest_path": "/root/secret.txt"})),
        )
        .await;
    says(&msg, &["guest user 'user' may not access", "/root"]);
}

#[tokio::test]
async fn create_guest_directory_makes_parents_and_accepts_an_existing_one() {
    let e = env().await;
    let msg = e
        .ok(
            "create_guest_directory",
            login(json!({"guest_path": "/tmp/a/b/c"})),
        )
        .await;
    says(&msg, &["Created directory /tmp/a/b/c"]);
    assert_eq!(e.sim.guest_dir(&vm(&e), "/tmp/a/b"), Some(vec!["c".into()]));
    assert_eq!(e.sim.guest_dir(&vm(&e), "/tmp/a/b/c"), Some(vec![]));
    // mkdir -p: again is fine.
    let msg = e
        .ok(
            "create_guest_directory",
            login(json!({"guest_path": "/tmp/a/b/c"})),
        )
        .await;
    says(&msg, &["already exists"]);
    // Without parents, a missing parent is an error that says how to fix it.
    let msg = e
        .fails(
            "create_guest_directory",
            login(json!({"guest_path": "/tmp/x/y", "create_parents": false})),
        )
        .await;
    says(
        &msg,
        &[
            "not found in the guest of VM 'DC0_H0_VM0'",
            "create_parents",
        ],
    );
    assert_eq!(e.sim.guest_dir(&vm(&e), "/tmp/x"), None);
    // A file in the way is not a directory, even with parents.
    let msg = e
        .fails(
            "create_guest_directory",
            login(json!({"guest_path": "/etc/hostname"})),
        )
        .await;
    says(&msg, &["'/etc/hostname' already exists"]);
}

#[tokio::test]
async fn delete_guest_file_removes_files_and_empty_directories_only() {
    let e = env().await;
    let v = vm(&e);
    e.sim.set_guest_file(&v, "/tmp/gone.txt", b"bye").unwrap();
    let msg = e
        .ok(
            "delete_guest_file",
            login(json!({"guest_path": "/tmp/gone.txt"})),
        )
        .await;
    says(&msg, &["Deleted file /tmp/gone.txt"]);
    assert_eq!(e.sim.guest_file(&v, "/tmp/gone.txt"), None);
    e.ok(
        "create_guest_directory",
        login(json!({"guest_path": "/tmp/d/e"})),
    )
    .await;
    let msg = e
        .fails("delete_guest_file", login(json!({"guest_path": "/tmp/d"})))
        .await;
    says(
        &msg,
        &["'/tmp/d' is not empty", "delete what it holds first"],
    );
    assert_eq!(e.sim.guest_dir(&v, "/tmp/d"), Some(vec!["e".into()]));
    let msg = e
        .ok(
            "delete_guest_file",
            login(json!({"guest_path": "/tmp/d/e"})),
        )
        .await;
    says(&msg, &["Deleted directory /tmp/d/e"]);
    assert_eq!(e.sim.guest_dir(&v, "/tmp/d"), Some(vec![]));
    let msg = e
        .fails(
            "delete_guest_file",
            login(json!({"guest_path": "/tmp/d/e"})),
        )
        .await;
    says(
        &msg,
        &["'/tmp/d/e' not found in the guest of VM 'DC0_H0_VM0'"],
    );
}

#[tokio::test]
async fn list_guest_directory_shows_the_guests_entries() {
    let e = env().await;
    let v = vm(&e);
    e.sim.set_guest_file(&v, "/tmp/seen.txt", b"12345").unwrap();
    let r = e
        .json("list_guest_directory", login(json!({"guest_path": "/tmp"})))
        .await;
    let items = r.as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    let mut expected = e.sim.guest_dir(&v, "/tmp").unwrap();
    expected.sort();
    let mut got: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    got.sort();
    assert_eq!(got, expected);
    let seen = items.iter().find(|i| i["name"] == "seen.txt").unwrap();
    for i in items {
        has_keys("list_guest_directory", i);
    }
    assert_eq!(seen["size"], 5);
    assert_eq!(seen["type"], "file");
    assert_eq!(seen["owner"], 0, "root wrote it: {seen}");
    assert!(seen["modified"].as_str().unwrap().contains('T'), "{seen}");
    // A file's path lists the file alone; a missing one is named.
    let r = e
        .json(
            "list_guest_directory",
            login(json!({"guest_path": "/tmp/seen.txt"})),
        )
        .await;
    assert_eq!(r.as_array().unwrap().len(), 1, "{r}");
    let msg = e
        .fails(
            "list_guest_directory",
            login(json!({"guest_path": "/nope"})),
        )
        .await;
    says(&msg, &["'/nope' not found"]);
}

#[tokio::test]
async fn empty_paths_and_users_are_refused_before_vcenter_is_asked() {
    let e = env().await;
    let msg = e
        .fails("read_guest_file", login(json!({"guest_path": " "})))
        .await;
    says(&msg, &["guest_path is empty"]);
    let msg = e
        .fails(
            "list_guest_directory",
            login(json!({"username": "", "guest_path": "/tmp"})),
        )
        .await;
    says(&msg, &["username is empty"]);
    let msg = e
        .fails("read_guest_file", json!({"name": VM, "username": "root"}))
        .await;
    says(&msg, &["password"]);
}
