//! Guest file transfers: the URLs `InitiateFileTransfer{To,From}Guest` hand
//! out, served by vcsim's `/guestFile` door once each, with the size rules.

use std::time::Duration;

use testkit::says;
use vim25::{Data, Value};

use crate::guest_files::{as_root, as_user, fault, vm0};
use crate::{Client, logged_in};

fn attrs() -> Data {
    Data::new("GuestPosixFileAttributes")
}

async fn upload_url(
    c: &Client,
    vm: &vim25::MoRef,
    path: &str,
    size: i64,
    overwrite: bool,
) -> String {
    c.ok(as_root("InitiateFileTransferToGuest", vm)
        .arg("guestFilePath", path)
        .arg("fileAttributes", attrs())
        .arg("fileSize", size)
        .arg("overwrite", overwrite))
        .await
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("a URL")
}

async fn put(url: &str, body: Vec<u8>) -> (u16, String) {
    let r = reqwest::Client::new()
        .put(url)
        .body(body)
        .send()
        .await
        .expect("PUT");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn get(url: &str) -> (u16, Vec<u8>) {
    let r = reqwest::Client::new().get(url).send().await.expect("GET");
    (r.status().as_u16(), r.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn uploads_once_through_the_url_vcsim_serves() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let url = upload_url(&c, &vm, "/tmp/up.bin", 5, false).await;
    let base = sim.url().trim_end_matches("/sdk").to_string();
    assert!(
        url.starts_with(&format!("{base}/guestFile?id=")) && url.contains("&token="),
        "{url}"
    );
    // No session cookie: the token is the credential.
    assert_eq!(put(&url, b"he\x00lo".to_vec()).await.0, 200);
    assert_eq!(
        sim.guest_file(&vm, "/tmp/up.bin").as_deref(),
        Some(&b"he\x00lo"[..])
    );
    let (status, msg) = put(&url, b"again".to_vec()).await;
    assert_eq!(status, 404, "one use only");
    says(&msg, &["already used"]);
    let (status, _) = put(&format!("{url}x"), b"again".to_vec()).await;
    assert_eq!(status, 404, "a wrong token");
}

#[tokio::test]
async fn an_upload_of_the_wrong_size_or_onto_a_new_file_is_refused() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let url = upload_url(&c, &vm, "/tmp/sized", 10, false).await;
    let (status, msg) = put(&url, b"short".to_vec()).await;
    assert_eq!(status, 400);
    says(&msg, &["5 bytes", "10", "/tmp/sized"]);
    assert_eq!(sim.guest_file(&vm, "/tmp/sized"), None);
    // Overwrite rules are checked when the URL is made and again at the PUT.
    sim.set_guest_file(&vm, "/tmp/there", b"old")
        .expect("set-up");
    let f = fault(
        c.check(
            as_root("InitiateFileTransferToGuest", &vm)
                .arg("guestFilePath", "/tmp/there")
                .arg("fileAttributes", attrs())
                .arg("fileSize", 3)
                .arg("overwrite", false),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("FileAlreadyExists"));
    says(&f.message, &["/tmp/there"]);
    let url = upload_url(&c, &vm, "/tmp/later", 3, false).await;
    sim.set_guest_file(&vm, "/tmp/later", b"raced")
        .expect("set-up");
    let (status, msg) = put(&url, b"new".to_vec()).await;
    assert_eq!(status, 409);
    says(&msg, &["/tmp/later", "overwrite"]);
    assert_eq!(
        sim.guest_file(&vm, "/tmp/later").as_deref(),
        Some(&b"raced"[..])
    );
    let url = upload_url(&c, &vm, "/tmp/there", 3, true).await;
    assert_eq!(put(&url, b"new".to_vec()).await.0, 200);
    assert_eq!(
        sim.guest_file(&vm, "/tmp/there").as_deref(),
        Some(&b"new"[..])
    );
}

#[tokio::test]
async fn uploads_have_a_size_limit_and_permissions() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let f = fault(
        c.check(
            as_root("InitiateFileTransferToGuest", &vm)
                .arg("guestFilePath", "/tmp/huge")
                .arg("fileAttributes", attrs())
                .arg("fileSize", 65 * 1024 * 1024_i64)
                .arg("overwrite", false),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("FileTooLarge"));
    says(&f.message, &["limit"]);
    let url = upload_url(&c, &vm, "/tmp/small", 4, false).await;
    let (status, msg) = put(&url, vec![0; 64 * 1024 * 1024 + 1]).await;
    assert_eq!(status, 413);
    says(&msg, &["at most"]);
    let f = fault(
        c.check(
            as_user("InitiateFileTransferToGuest", &vm)
                .arg("guestFilePath", "/etc/motd")
                .arg("fileAttributes", attrs())
                .arg("fileSize", 1)
                .arg("overwrite", true),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("GuestPermissionDenied"));
    says(&f.message, &["/etc/motd"]);
}

#[tokio::test]
async fn downloads_a_file_once_with_its_size_and_attributes() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    sim.set_guest_file(&vm, "/tmp/down.txt", b"payload\n")
        .expect("set-up");
    let info = c
        .ok(as_root("InitiateFileTransferFromGuest", &vm).arg("guestFilePath", "/tmp/down.txt"))
        .await
        .expect("FileTransferInformation");
    assert_eq!(info.path("size").and_then(Value::as_i64), Some(8));
    assert!(info.path("attributes").and_then(Value::as_data).is_some());
    let url = info
        .path("url")
        .and_then(Value::as_str)
        .expect("a URL")
        .to_string();
    assert_eq!(get(&url).await, (200, b"payload\n".to_vec()));
    assert_eq!(get(&url).await.0, 404, "one use only");
    for (path, kind) in [("/tmp/none", "FileNotFound"), ("/tmp", "NotAFile")] {
        let f = fault(
            c.check(as_root("InitiateFileTransferFromGuest", &vm).arg("guestFilePath", path))
                .await,
        );
        assert_eq!(f.fault_type(), Some(kind));
        says(&f.message, &[path]);
    }
    let f = fault(
        c.check(
            as_user("InitiateFileTransferFromGuest", &vm).arg("guestFilePath", "/root/.profile"),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("GuestPermissionDenied"));
}

#[tokio::test]
async fn transfer_urls_expire_and_go_one_way() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let up = upload_url(&c, &vm, "/tmp/exp", 1, false).await;
    assert_eq!(get(&up).await.0, 404, "an upload URL does not download");
    sim.advance_clock(Duration::from_secs(11 * 60));
    let (status, msg) = put(&up, b"x".to_vec()).await;
    assert_eq!(status, 404);
    says(&msg, &["expired"]);
    assert_eq!(sim.guest_file(&vm, "/tmp/exp"), None);
}

#[tokio::test]
async fn a_transfer_needs_tools_running_when_the_bytes_move() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let url = upload_url(&c, &vm, "/tmp/late", 1, false).await;
    sim.set_property(
        &vm,
        "guest.toolsRunningStatus",
        Value::from("guestToolsNotRunning"),
    )
    .expect("a schema path");
    let (status, msg) = put(&url, b"x".to_vec()).await;
    assert_eq!(status, 503);
    says(&msg, &["tools", "DC0_H0_VM0"]);
    assert_eq!(sim.guest_file(&vm, "/tmp/late"), None);
}

#[tokio::test]
async fn an_upload_takes_the_attributes_it_was_given() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let url = c
        .ok(as_root("InitiateFileTransferToGuest", &vm)
            .arg("guestFilePath", "/tmp/run.sh")
            .arg("fileAttributes", attrs().with("permissions", 0o700))
            .arg("fileSize", 2)
            .arg("overwrite", false))
        .await
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("a URL");
    assert_eq!(put(&url, b"#!".to_vec()).await.0, 200);
    let info = c
        .ok(as_root("InitiateFileTransferFromGuest", &vm).arg("guestFilePath", "/tmp/run.sh"))
        .await
        .expect("info");
    assert_eq!(
        info.path("attributes.permissions").and_then(Value::as_i64),
        Some(0o100700)
    );
    let f = fault(
        c.check(
            as_user("InitiateFileTransferToGuest", &vm)
                .arg("guestFilePath", "/tmp/gift")
                .arg("fileAttributes", attrs().with("ownerId", 0))
                .arg("fileSize", 1)
                .arg("overwrite", false),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("GuestPermissionDenied"));
    says(&f.message, &["/tmp/gift", "owner"]);
}
