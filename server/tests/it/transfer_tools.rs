//! upload_to_datastore and download_from_datastore through the simulator's
//! `/folder` door: bytes read back from the simulator's datastore model (and
//! from the local disk), a streamed upload larger than the inline limit,
//! max_memory_mb, hostile remote paths. The local paths are `local_paths.rs`.

use std::path::Path;

use base64::Engine;
use mcvsphere::tools::Defaults;
use serde_json::json;
use testkit::{has_result_keys as has_keys, prop_int};
use vim25::MoRef;

use crate::{Env, env_with, says};

pub(crate) const DS: &str = "LocalDS_0";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A simulator and a server whose local files are confined to `dir`.
pub(crate) async fn env_in(dir: Option<&Path>) -> Env {
    env_with(vcsim::Config::default(), defaults(dir)).await
}

pub(crate) fn defaults(dir: Option<&Path>) -> Defaults {
    Defaults {
        network: "VM Network".into(),
        local_dir: dir.map(Path::to_path_buf),
        ..Default::default()
    }
}

pub(crate) fn store(e: &Env) -> MoRef {
    e.sim.find("Datastore", DS).unwrap()
}

pub(crate) fn bytes_on(e: &Env, path: &str) -> Option<Vec<u8>> {
    e.sim.datastore_file_bytes(&store(e), path)
}

fn free(e: &Env) -> i64 {
    prop_int(&e.sim, &store(e), "summary.freeSpace").unwrap()
}

/// Bytes that are not all alike, so a reordered or short copy shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn upload_to_datastore_puts_inline_content_on_the_datastore() {
    let e = env_in(None).await;
    let free_before = free(&e);
    let r = e
        .json(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "hello.txt", "content_base64": b64(b"hello, datastore\n")}),
        )
        .await;
    has_keys("upload_to_datastore", &r);
    assert_eq!(r["path"], "[LocalDS_0] hello.txt");
    assert_eq!(r["size_bytes"], 17);
    assert_eq!(r["source"], "content_base64");
    assert_eq!(r["streamed"], false);
    assert_eq!(bytes_on(&e, "hello.txt").unwrap(), b"hello, datastore\n");
    assert_eq!(free(&e), free_before - 17);
    // Idempotent: the same call again replaces the file with the same bytes.
    e.json(
        "upload_to_datastore",
        json!({"datastore": DS, "remote_path": "hello.txt", "content_base64": b64(b"v2")}),
    )
    .await;
    assert_eq!(bytes_on(&e, "hello.txt").unwrap(), b"v2");
}

#[tokio::test]
async fn upload_to_datastore_streams_a_local_file_larger_than_the_inline_limit() {
    let dir = tempfile::tempdir().unwrap();
    // Past the 64 MB content_base64 holds in memory, sent in 1 MB pieces.
    let big = pattern((64 << 20) + 12_345);
    std::fs::write(dir.path().join("big.bin"), &big).unwrap();
    let e = env_in(Some(dir.path())).await;
    let r = e
        .json(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "iso/big.bin", "local_path": "big.bin", "chunk_size": 1 << 20}),
        )
        .await;
    assert_eq!(r["streamed"], true);
    assert_eq!(r["source"], "big.bin");
    assert_eq!(r["size_bytes"], big.len());
    let stored = bytes_on(&e, "iso/big.bin").unwrap();
    assert!(stored == big, "the datastore holds the file byte for byte");
}

#[tokio::test]
async fn upload_to_datastore_streams_into_a_simulator_that_may_not_hold_it_in_memory() {
    // The simulator keeps uploads on disk and may hold only 1 MB in memory:
    // the 3 MB file arrives in pieces on both sides.
    let local = tempfile::tempdir().unwrap();
    let backing = tempfile::tempdir().unwrap();
    let data = pattern((3 << 20) + 1);
    std::fs::write(local.path().join("disk.img"), &data).unwrap();
    let config = vcsim::Config {
        datastore_dir: Some(backing.path().to_path_buf()),
        datastore_memory_limit: 1 << 20,
        ..Default::default()
    };
    let e = env_with(config, defaults(Some(local.path()))).await;
    e.json(
        "upload_to_datastore",
        json!({"datastore": DS, "remote_path": "disk.img", "local_path": "disk.img", "chunk_size": 65536}),
    )
    .await;
    let on_disk = e
        .sim
        .datastore_file_backing(&store(&e), "disk.img")
        .unwrap();
    assert!(
        std::fs::read(on_disk).unwrap() == data,
        "stored byte for byte"
    );
    assert!(e.sim.upload_memory_in_use() <= 1 << 20);
}

#[tokio::test]
async fn upload_to_datastore_past_vcenters_size_limit_fails_clearly() {
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("big.bin"), pattern(4096)).unwrap();
    let config = vcsim::Config {
        max_upload_bytes: 1024,
        ..Default::default()
    };
    let e = env_with(config, defaults(Some(local.path()))).await;
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "big.bin", "local_path": "big.bin"}),
        )
        .await;
    says(
        &msg,
        &[
            "Cannot upload '[LocalDS_0] big.bin'",
            "larger than vCenter accepts",
        ],
    );
    assert!(bytes_on(&e, "big.bin").is_none());
}

#[tokio::test]
async fn transfers_log_in_again_when_the_session_has_expired() {
    let local = tempfile::tempdir().unwrap();
    let data = pattern(200_000);
    std::fs::write(local.path().join("f.bin"), &data).unwrap();
    let e = env_in(Some(local.path())).await;
    e.json("get_datastore_info", json!({"name": DS})).await;
    let logins = e.ctx.client.login_count();
    e.sim.expire_sessions();
    e.json(
        "upload_to_datastore",
        json!({"datastore": DS, "remote_path": "f.bin", "local_path": "f.bin", "chunk_size": 4096}),
    )
    .await;
    assert!(bytes_on(&e, "f.bin").unwrap() == data);
    e.sim.expire_sessions();
    let r = e
        .json(
            "download_from_datastore",
            json!({"datastore": DS, "path": "f.bin", "save_to": "back.bin"}),
        )
        .await;
    assert_eq!(r["size_bytes"], data.len());
    assert!(std::fs::read(local.path().join("back.bin")).unwrap() == data);
    assert!(e.ctx.client.login_count() >= logins + 2, "logged in again");
}

#[tokio::test]
async fn upload_to_datastore_needs_one_source_and_an_existing_folder() {
    let e = env_in(None).await;
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "a.txt"}),
        )
        .await;
    says(&msg, &["local_path or content_base64"]);
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "a.txt", "content_base64": "aGk=", "local_path": "x"}),
        )
        .await;
    says(&msg, &["not both"]);
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "a.txt", "content_base64": "not base64!"}),
        )
        .await;
    says(&msg, &["content_base64 is not valid base64"]);
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "no/such/folder/a.txt", "content_base64": "aGk="}),
        )
        .await;
    says(
        &msg,
        &[
            "'[LocalDS_0] no/such/folder/a.txt'",
            "create_datastore_folder",
        ],
    );
    assert!(bytes_on(&e, "no/such/folder/a.txt").is_none());
}

#[tokio::test]
async fn download_from_datastore_returns_text_and_binary_content() {
    let e = env_in(None).await;
    e.sim
        .write_datastore_file(&store(&e), "logs/vm.log", b"line 1\nline 2\n")
        .unwrap();
    let r = e
        .json(
            "download_from_datastore",
            json!({"datastore": DS, "path": "logs/vm.log"}),
        )
        .await;
    has_keys("download_from_datastore", &r);
    assert_eq!(r["encoding"], "utf-8");
    assert_eq!(r["content"], "line 1\nline 2\n");
    assert_eq!(r["size_bytes"], 14);
    let bin = pattern(1000);
    e.sim
        .write_datastore_file(&store(&e), "blob.bin", &bin)
        .unwrap();
    let r = e
        .json(
            "download_from_datastore",
            json!({"datastore": DS, "path": "blob.bin"}),
        )
        .await;
    assert_eq!(r["encoding"], "base64");
    assert_eq!(r["content"], b64(&bin));
}

#[tokio::test]
async fn download_from_datastore_past_max_memory_mb_needs_save_to() {
    let dir = tempfile::tempdir().unwrap();
    let e = env_in(Some(dir.path())).await;
    let big = pattern((2 << 20) + 7);
    e.sim
        .write_datastore_file(&store(&e), "big.bin", &big)
        .unwrap();
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "big.bin", "max_memory_mb": 1}),
        )
        .await;
    says(
        &msg,
        &["'[LocalDS_0] big.bin'", "max_memory_mb=1", "save_to"],
    );
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let r = e
        .json(
            "download_from_datastore",
            json!({"datastore": DS, "path": "big.bin", "save_to": "out/big.bin", "max_memory_mb": 1}),
        )
        .await;
    assert_eq!(r["size_bytes"], big.len());
    let saved = dir.path().join("out/big.bin");
    assert_eq!(
        r["saved_to"],
        std::fs::canonicalize(&saved).unwrap().display().to_string()
    );
    assert!(std::fs::read(&saved).unwrap() == big, "saved byte for byte");
    let left: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|d| d.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "no partial file left: {left:?}");
}

#[tokio::test]
async fn download_from_datastore_of_a_missing_file_fails_clearly() {
    let e = env_in(None).await;
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "nope.txt"}),
        )
        .await;
    says(&msg, &["'[LocalDS_0] nope.txt' not found"]);
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": "no-such-ds", "path": "x"}),
        )
        .await;
    says(&msg, &["Datastore 'no-such-ds' not found", DS]);
}

#[tokio::test]
async fn a_hostile_remote_path_is_refused_before_any_upload() {
    let e = env_in(None).await;
    let before = e.sim.datastore_files(&store(&e), "");
    for (path, words) in [
        ("[other] x.txt", "no '[datastore]' prefix"),
        ("../x.txt", "'..' is not allowed"),
        ("x\u{0}.txt", "control characters"),
    ] {
        let msg = e
            .fails(
                "upload_to_datastore",
                json!({"datastore": DS, "remote_path": path, "content_base64": "aGk="}),
            )
            .await;
        says(&msg, &["remote_path", "refused", words]);
    }
    assert_eq!(e.sim.datastore_files(&store(&e), ""), before);
}
