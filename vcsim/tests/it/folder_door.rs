//! The `/folder` door with a real HTTP client: uploads land in the
//! simulator's file table (bytes, size and free space read back through
//! `Simulator`), downloads stream them (or zeros for VM files) with `Range`,
//! and the door answers 401/403/404/413/416/507 as it should. Path traversal
//! goes over a raw socket, since an HTTP client library normalises `..` away.

use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vcsim::{Config, Simulator};
use vim25::Request;

use crate::datastore_files::{ds, free};
use crate::{Client, start};

const Q: &str = "dcPath=DC0&dsName=LocalDS_0";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .build()
        .expect("a plain-HTTP client builds")
}

fn url(sim: &Simulator, path: &str, query: &str) -> String {
    format!("http://{}/folder/{path}?{query}", sim.addr())
}

async fn logged_in_with(config: Config) -> (Simulator, Client, String) {
    let (sim, c) = start(config).await;
    c.login().await;
    let cookie = format!(
        "vmware_soap_session={}",
        c.cookie().expect("a session cookie")
    );
    (sim, c, cookie)
}

/// `(status, headers, body)` of one request with the session cookie.
async fn send(
    rb: reqwest::RequestBuilder,
    cookie: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = rb
        .header("Cookie", cookie)
        .send()
        .await
        .expect("the door answers");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.bytes().await.expect("a body").to_vec();
    (status, headers, body)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

#[tokio::test]
async fn issue_11_put_get_range_head_delete_through_the_folder_door() {
    let (sim, _c, cookie) = logged_in_with(Config::default()).await;
    let h = http();
    let d = ds(&sim);
    let free0 = free(&sim);
    let data = b"hello, datastore".to_vec();
    let (st, _, _) = send(
        h.put(url(&sim, "iso/hello.txt", Q)).body(data.clone()),
        &cookie,
    )
    .await;
    assert_eq!(st, 201, "a new file is created");
    assert_eq!(
        sim.datastore_file_bytes(&d, "iso/hello.txt"),
        Some(data.clone())
    );
    assert_eq!(free(&sim), free0 - data.len() as i64);
    // Replacing answers 200 and takes the new size.
    let (st, _, _) = send(
        h.put(url(&sim, "iso/hello.txt", Q)).body(b"hi".to_vec()),
        &cookie,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        sim.datastore_file_bytes(&d, "iso/hello.txt"),
        Some(b"hi".to_vec())
    );
    assert_eq!(free(&sim), free0 - 2);
    send(
        h.put(url(&sim, "iso/hello.txt", Q)).body(data.clone()),
        &cookie,
    )
    .await;
    let (st, hd, body) = send(h.get(url(&sim, "iso/hello.txt", Q)), &cookie).await;
    assert_eq!((st, body), (200, data.clone()));
    assert_eq!(
        hd.get("accept-ranges").and_then(|v| v.to_str().ok()),
        Some("bytes")
    );
    let (st, hd, body) = send(
        h.get(url(&sim, "iso/hello.txt", Q))
            .header("Range", "bytes=7-15"),
        &cookie,
    )
    .await;
    assert_eq!((st, text(&body).as_str()), (206, "datastore"));
    assert_eq!(
        hd.get("content-range").and_then(|v| v.to_str().ok()),
        Some("bytes 7-15/16")
    );
    let (st, _, body) = send(
        h.get(url(&sim, "iso/hello.txt", Q))
            .header("Range", "bytes=-5"),
        &cookie,
    )
    .await;
    assert_eq!((st, text(&body).as_str()), (206, "store"));
    let (st, _, body) = send(
        h.get(url(&sim, "iso/hello.txt", Q))
            .header("Range", "bytes=16-"),
        &cookie,
    )
    .await;
    assert_eq!(st, 416, "{}", text(&body));
    let (st, hd, body) = send(h.head(url(&sim, "iso/hello.txt", Q)), &cookie).await;
    assert_eq!((st, body.len()), (200, 0));
    assert_eq!(
        hd.get("content-length").and_then(|v| v.to_str().ok()),
        Some("16")
    );
    let (st, _, _) = send(h.delete(url(&sim, "iso/hello.txt", Q)), &cookie).await;
    assert_eq!(st, 204);
    assert!(sim.datastore_files(&d, "iso/hello.txt").is_empty());
    assert_eq!(free(&sim), free0);
    assert_eq!(
        sim.upload_memory_in_use(),
        0,
        "a deleted file's bytes are freed"
    );
}

#[tokio::test]
async fn issue_11_vm_disks_read_as_zeros_of_their_capacity() {
    let (sim, _c, cookie) = logged_in_with(Config::default()).await;
    let size = sim
        .datastore_files(&ds(&sim), "DC0_H0_VM0/DC0_H0_VM0.vmdk")
        .first()
        .map(|(_, f)| f.capacity)
        .expect("the VM's disk");
    let (st, hd, body) = send(
        http()
            .get(url(&sim, "DC0_H0_VM0/DC0_H0_VM0.vmdk", Q))
            .header("Range", "bytes=0-15"),
        &cookie,
    )
    .await;
    assert_eq!((st, body), (206, vec![0u8; 16]));
    let want = format!("bytes 0-15/{size}");
    assert_eq!(
        hd.get("content-range").and_then(|v| v.to_str().ok()),
        Some(want.as_str())
    );
}

#[tokio::test]
async fn issue_11_the_door_needs_a_session_or_valid_basic_credentials() {
    let (sim, c) = start(Config {
        credentials: Some(("admin".into(), "secret".into())),
        ..Config::default()
    })
    .await;
    c.ok(
        Request::new("Login", &crate::mo("SessionManager", "SessionManager"))
            .arg("userName", "admin")
            .arg("password", "secret"),
    )
    .await;
    let cookie = format!(
        "vmware_soap_session={}",
        c.cookie().expect("a session cookie")
    );
    let h = http();
    let u = url(&sim, "iso/a.iso", Q);
    let r = h.head(&u).send().await.expect("answers");
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.headers().get("www-authenticate").is_some());
    let r = h
        .get(&u)
        .basic_auth("admin", Some("wrong"))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 401);
    let r = h
        .head(&u)
        .basic_auth("admin", Some("secret"))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 200);
    let (st, _, _) = send(h.head(&u), "vmware_soap_session=\"stale\"").await;
    assert_eq!(st, 401);
    let (st, _, _) = send(h.head(&u), &cookie).await;
    assert_eq!(st, 200);
    // Nothing is written without authentication.
    let r = h
        .put(url(&sim, "iso/x.txt", Q))
        .body("x")
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 401);
    assert!(sim.datastore_files(&ds(&sim), "iso/x.txt").is_empty());
}

#[tokio::test]
async fn issue_11_unknown_datacenters_datastores_files_and_folders_are_404() {
    let (sim, _c, cookie) = logged_in_with(Config::default()).await;
    let h = http();
    for (path, query, words) in [
        ("iso/a.iso", "dcPath=NoDC&dsName=LocalDS_0", "NoDC"),
        ("iso/a.iso", "dcPath=DC0&dsName=NoDS", "NoDS"),
        ("iso/none.iso", Q, "none.iso"),
    ] {
        let (st, _, body) = send(h.get(url(&sim, path, query)), &cookie).await;
        assert_eq!(st, 404, "{path}?{query}");
        testkit::says(&text(&body), &[words, "not found"]);
    }
    let (st, _, body) = send(h.put(url(&sim, "nofolder/x.txt", Q)).body("x"), &cookie).await;
    assert_eq!(st, 404, "PUT into a missing folder");
    testkit::says(&text(&body), &["[LocalDS_0] nofolder", "not found"]);
    assert!(sim.datastore_files(&ds(&sim), "nofolder").is_empty());
    let (st, _, _) = send(h.delete(url(&sim, "iso/none.iso", Q)), &cookie).await;
    assert_eq!(st, 404);
    let (st, _, body) = send(h.get(url(&sim, "iso/a.iso", "dcPath=DC0")), &cookie).await;
    assert_eq!(st, 400);
    testkit::says(&text(&body), &["dsName"]);
}

/// A request over a raw socket, so its path reaches the server as written.
async fn raw(sim: &Simulator, head: &str, body: &[u8]) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(sim.addr())
        .await
        .expect("connects");
    s.write_all(head.as_bytes()).await.expect("writes");
    s.write_all(body).await.expect("writes");
    let mut out = vec![];
    s.read_to_end(&mut out).await.expect("reads");
    let t = text(&out);
    let status = t
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, t)
}

#[tokio::test]
async fn issue_11_paths_that_leave_the_datastore_are_forbidden() {
    let (sim, _c, cookie) = logged_in_with(Config::default()).await;
    for p in [
        "../etc/passwd",
        "iso/../../x",
        "%2e%2e/%2e%2e/etc/passwd",
        "%2E%2E%2Fx",
        "/etc/passwd",
        "iso/..%5cx",
    ] {
        for method in ["GET", "PUT"] {
            let head = format!(
                "{method} /folder/{p}?{Q} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Length: 1\r\nConnection: close\r\n\r\n"
            );
            let (st, t) = raw(&sim, &head, b"x").await;
            assert!(st == 403 || st == 400, "{method} {p}: {t}");
        }
    }
    let all = sim.datastore_files(&ds(&sim), "");
    assert!(
        all.iter().all(|(p, _)| !p.contains("passwd") && p != "x"),
        "nothing written"
    );
}

#[tokio::test]
async fn issue_11_uploads_past_the_size_limit_are_413_even_without_a_length() {
    let (sim, _c, cookie) = logged_in_with(Config {
        max_upload_bytes: 1000,
        ..Config::default()
    })
    .await;
    let (st, _, body) = send(
        http()
            .put(url(&sim, "iso/big.bin", Q))
            .body(vec![1u8; 2000]),
        &cookie,
    )
    .await;
    assert_eq!(st, 413);
    testkit::says(&text(&body), &["1000", "limit"]);
    // Chunked, so the door only learns the size while streaming.
    let chunk = format!("{:x}\r\n{}\r\n", 1500, "y".repeat(1500));
    let head = format!(
        "PUT /folder/iso/big.bin?{Q} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let (st, t) = raw(&sim, &head, format!("{chunk}0\r\n\r\n").as_bytes()).await;
    assert_eq!(st, 413, "{t}");
    assert!(sim.datastore_files(&ds(&sim), "iso/big.bin").is_empty());
    assert_eq!(sim.upload_memory_in_use(), 0);
}

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("vcsim-door-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("the temp dir is writable");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn issue_11_an_upload_larger_than_the_memory_allowed_streams_into_the_backing_dir() {
    const MEM: u64 = 1 << 20;
    let dir = TempDir::new("stream");
    let (sim, _c, cookie) = logged_in_with(Config {
        datastore_memory_limit: MEM,
        datastore_dir: Some(dir.0.clone()),
        ..Config::default()
    })
    .await;
    let data: Vec<u8> = (0..8 * MEM).map(|i| (i % 251) as u8).collect();
    let free0 = free(&sim);
    let (st, _, body) = send(
        http().put(url(&sim, "iso/big.bin", Q)).body(data.clone()),
        &cookie,
    )
    .await;
    assert_eq!(st, 201, "{}", text(&body));
    assert_eq!(
        sim.upload_memory_in_use(),
        0,
        "nothing of it is held in memory"
    );
    let backing = sim
        .datastore_file_backing(&ds(&sim), "iso/big.bin")
        .expect("the bytes are on disk");
    assert!(backing.starts_with(dir.0.join("LocalDS_0")), "{backing:?}");
    assert_eq!(
        std::fs::metadata(&backing).map(|m| m.len()).ok(),
        Some(8 * MEM)
    );
    assert_eq!(free(&sim), free0 - (8 * MEM) as i64);
    let (st, _, got) = send(http().get(url(&sim, "iso/big.bin", Q)), &cookie).await;
    assert_eq!(st, 200);
    assert!(got == data, "the download is the upload");
    let (st, _, got) = send(
        http()
            .get(url(&sim, "iso/big.bin", Q))
            .header("Range", "bytes=3000000-3000009"),
        &cookie,
    )
    .await;
    assert_eq!((st, got.as_slice()), (206, &data[3_000_000..3_000_010]));
    let (st, _, _) = send(http().delete(url(&sim, "iso/big.bin", Q)), &cookie).await;
    assert_eq!(st, 204);
    assert!(
        !backing.exists(),
        "deleting the file removes its bytes from disk"
    );
}

#[tokio::test]
async fn issue_11_without_a_backing_dir_the_memory_limit_is_507() {
    let (sim, _c, cookie) = logged_in_with(Config {
        datastore_memory_limit: 1 << 20,
        ..Config::default()
    })
    .await;
    let (st, _, body) = send(
        http()
            .put(url(&sim, "iso/big.bin", Q))
            .body(vec![7u8; 2 << 20]),
        &cookie,
    )
    .await;
    assert_eq!(st, 507);
    testkit::says(&text(&body), &["memory", "datastore directory"]);
    assert!(sim.datastore_files(&ds(&sim), "iso/big.bin").is_empty());
    assert_eq!(
        sim.upload_memory_in_use(),
        0,
        "a refused upload frees what it held"
    );
}

#[tokio::test]
async fn issue_11_files_set_up_through_the_simulator_download_through_the_door() {
    let (sim, _c, cookie) = logged_in_with(Config::default()).await;
    let d = ds(&sim);
    let free0 = free(&sim);
    sim.write_datastore_file(&d, "iso/setup.iso", b"0123456789")
        .expect("set-up writes");
    let f = sim.datastore_file(&d, "iso/setup.iso").expect("the file");
    assert_eq!(
        (f.size, f.kind),
        (10, vcsim::datastore_files::FileKind::Iso)
    );
    assert_eq!(free(&sim), free0 - 10);
    assert!(sim.datastore_folder_exists(&d, "iso"));
    assert!(
        sim.datastore_folder_exists(&d, "DC0_H0_VM0"),
        "a VM's folder is one"
    );
    assert!(sim.datastore_folder_exists(&d, ""), "the root is one");
    assert!(
        !sim.datastore_folder_exists(&d, "iso/setup.iso"),
        "a file is not"
    );
    assert!(!sim.datastore_folder_exists(&d, "nope"));
    let (st, _, body) = send(http().get(url(&sim, "iso/setup.iso", Q)), &cookie).await;
    assert_eq!((st, body), (200, b"0123456789".to_vec()));
    assert_eq!(sim.upload_memory_in_use(), 10);
}
