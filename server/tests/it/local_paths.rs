//! The local paths of upload_to_datastore (`local_path`) and
//! download_from_datastore (`save_to`), confined to MCVSPHERE_LOCAL_DIR:
//! each hostile case in its own test, nothing read from or written outside
//! the directory (checked on the disk and in the simulator's datastore).

use std::path::Path;

use serde_json::json;

use crate::says;
use crate::transfer_tools::{DS, bytes_on, env_in, store};

#[tokio::test]
async fn local_files_are_off_without_the_setting() {
    let e = env_in(None).await;
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "p.txt", "local_path": "/etc/passwd"}),
        )
        .await;
    says(&msg, &["local_path", "off", "MCVSPHERE_LOCAL_DIR"]);
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "iso/a.iso", "save_to": "a.iso"}),
        )
        .await;
    says(&msg, &["save_to", "off", "MCVSPHERE_LOCAL_DIR"]);
    assert!(bytes_on(&e, "p.txt").is_none());
}

#[tokio::test]
async fn a_local_path_with_dot_dot_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("inner");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(dir.path().join("secret.txt"), b"s").unwrap();
    let e = env_in(Some(&inner)).await;
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "s.txt", "local_path": "../secret.txt"}),
        )
        .await;
    says(&msg, &["local_path '../secret.txt' is refused", "'..'"]);
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "iso/a.iso", "save_to": "../a.iso"}),
        )
        .await;
    says(&msg, &["save_to '../a.iso' is refused", "'..'"]);
    assert!(!dir.path().join("a.iso").exists());
    assert!(bytes_on(&e, "s.txt").is_none());
}

#[tokio::test]
async fn an_absolute_local_path_elsewhere_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = env_in(Some(dir.path())).await;
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "passwd", "local_path": "/etc/passwd"}),
        )
        .await;
    says(
        &msg,
        &["'/etc/passwd' is refused", "outside MCVSPHERE_LOCAL_DIR"],
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("a.iso");
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "iso/a.iso", "save_to": target.to_str().unwrap()}),
        )
        .await;
    says(&msg, &["outside MCVSPHERE_LOCAL_DIR"]);
    assert!(!target.exists());
    assert!(bytes_on(&e, "passwd").is_none());
}

#[tokio::test]
async fn a_symlink_out_of_the_local_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("key.pem"), b"private").unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("key.pem"), dir.path().join("key")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("out")).unwrap();
    let e = env_in(Some(dir.path())).await;
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "key", "local_path": "key"}),
        )
        .await;
    says(&msg, &["leads out of MCVSPHERE_LOCAL_DIR"]);
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "iso/a.iso", "save_to": "out/a.iso"}),
        )
        .await;
    says(&msg, &["leads out of MCVSPHERE_LOCAL_DIR"]);
    assert!(!elsewhere.path().join("a.iso").exists());
    assert!(bytes_on(&e, "key").is_none());
}

#[tokio::test]
async fn save_to_onto_a_symlink_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("real.txt"), b"keep").unwrap();
    std::os::unix::fs::symlink(dir.path().join("real.txt"), dir.path().join("link.txt")).unwrap();
    let e = env_in(Some(dir.path())).await;
    e.sim
        .write_datastore_file(&store(&e), "x.txt", b"new")
        .unwrap();
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "x.txt", "save_to": "link.txt"}),
        )
        .await;
    says(&msg, &["save_to 'link.txt' is refused", "symlink"]);
    assert_eq!(std::fs::read(dir.path().join("real.txt")).unwrap(), b"keep");
}

#[tokio::test]
async fn a_device_file_as_local_path_is_refused() {
    let e = env_in(Some(Path::new("/dev"))).await;
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "zero", "local_path": "zero"}),
        )
        .await;
    says(&msg, &["local_path 'zero' is refused", "device file"]);
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "iso/a.iso", "save_to": "null"}),
        )
        .await;
    says(&msg, &["save_to 'null' is refused", "device file"]);
    assert!(bytes_on(&e, "zero").is_none());
}

#[tokio::test]
async fn a_fifo_as_local_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe"))
        .status()
        .unwrap();
    assert!(made.success());
    let e = env_in(Some(dir.path())).await;
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "pipe", "local_path": "pipe"}),
        )
        .await;
    says(&msg, &["local_path 'pipe' is refused", "FIFO"]);
}

#[tokio::test]
async fn a_directory_as_local_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let e = env_in(Some(dir.path())).await;
    let msg = e
        .fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "sub", "local_path": "sub"}),
        )
        .await;
    says(&msg, &["local_path 'sub' is refused", "directory"]);
    let msg = e
        .fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "iso/a.iso", "save_to": "sub"}),
        )
        .await;
    says(&msg, &["save_to 'sub' is refused", "directory"]);
}
