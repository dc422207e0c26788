//! GuestFileManager and GuestAuthManager over the simulated guest: each
//! method's effect read back from the guest itself (`Simulator::guest_file`,
//! `guest_dir`), and the faults vSphere raises, in its order, naming the path.

use testkit::says;
use vcsim::Simulator;
use vim25::{Data, Fault, MoRef, Request, Value};

use crate::{Client, logged_in, mo};

pub(crate) const VM: &str = "DC0_H0_VM0";

pub(crate) fn file_manager() -> MoRef {
    mo("GuestFileManager", "guestOperationsFileManager")
}

pub(crate) fn process_manager() -> MoRef {
    mo("GuestProcessManager", "guestOperationsProcessManager")
}

pub(crate) fn auth(user: &str, password: &str) -> Data {
    Data::new("NamePasswordAuthentication")
        .with("interactiveSession", false)
        .with("username", user)
        .with("password", password)
}

/// A guest operation on `manager` for `vm` as `user`/`password`.
pub(crate) fn guest_req(
    manager: &MoRef,
    method: &str,
    vm: &MoRef,
    user: &str,
    password: &str,
) -> Request {
    Request::new(method, manager)
        .arg("vm", vm)
        .arg("auth", auth(user, password))
}

/// A file manager call as the default Linux admin.
pub(crate) fn as_root(method: &str, vm: &MoRef) -> Request {
    guest_req(&file_manager(), method, vm, "root", "vmware")
}

pub(crate) fn as_user(method: &str, vm: &MoRef) -> Request {
    guest_req(&file_manager(), method, vm, "user", "vmware")
}

pub(crate) fn vm0(sim: &Simulator) -> MoRef {
    sim.find("VirtualMachine", VM).expect("fixture VM")
}

pub(crate) fn fault(r: Result<Option<Value>, Fault>) -> Fault {
    match r {
        Err(f) => f,
        Ok(v) => panic!("expected a fault, got {v:?}"),
    }
}

/// The names a `GuestListFileInfo` lists, and its `remaining`.
pub(crate) fn names(list: &Option<Value>) -> (Vec<String>, i64) {
    let v = list.as_ref().expect("a GuestListFileInfo");
    let names = v
        .path("files")
        .map(|f| {
            f.as_array()
                .iter()
                .filter_map(|i| i.path("path").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (
        names,
        v.path("remaining").and_then(Value::as_i64).unwrap_or(-1),
    )
}

async fn list(c: &Client, vm: &MoRef, path: &str) -> Option<Value> {
    c.ok(as_root("ListFilesInGuest", vm).arg("filePath", path))
        .await
}

#[tokio::test]
async fn lists_a_directory_with_posix_attributes_patterns_and_paging() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let out = list(&c, &vm, "/etc").await;
    let (all, remaining) = names(&out);
    assert_eq!(all, ["hostname", "os-release", "passwd"]);
    assert_eq!(remaining, 0);
    // The seed is the VM's: /etc/hostname holds its name.
    assert_eq!(
        sim.guest_file(&vm, "/etc/hostname").as_deref(),
        Some(&b"DC0_H0_VM0\n"[..])
    );
    let first = out
        .as_ref()
        .and_then(|v| v.path("files"))
        .map(|f| f.as_array()[0].clone());
    let first = first.expect("an entry");
    assert_eq!(first.path("type").and_then(Value::as_str), Some("file"));
    assert_eq!(first.path("size").and_then(Value::as_i64), Some(11));
    let attrs = first
        .path("attributes")
        .and_then(Value::as_data)
        .expect("attributes");
    assert_eq!(attrs.type_name.as_str(), "GuestPosixFileAttributes");
    assert_eq!(attrs.get("ownerId").and_then(Value::as_i64), Some(0));
    assert!(attrs.get("modificationTime").is_some());
    let patterned = c
        .ok(as_root("ListFilesInGuest", &vm)
            .arg("filePath", "/etc")
            .arg("matchPattern", "^(host|pass)"))
        .await;
    assert_eq!(names(&patterned).0, ["hostname", "passwd"]);
    let page = c
        .ok(as_root("ListFilesInGuest", &vm)
            .arg("filePath", "/etc")
            .arg("index", 1)
            .arg("maxResults", 1))
        .await;
    assert_eq!(names(&page), (vec!["os-release".to_string()], 1));
    // A file lists as itself.
    assert_eq!(names(&list(&c, &vm, "/etc/passwd").await).0, ["passwd"]);
    let bad = fault(
        c.check(
            as_root("ListFilesInGuest", &vm)
                .arg("filePath", "/etc")
                .arg("matchPattern", "(("),
        )
        .await,
    );
    assert_eq!(bad.fault_type(), Some("InvalidArgument"));
    says(&bad.message, &["matchPattern"]);
}

#[tokio::test]
async fn makes_directories_with_and_without_parents() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let missing = fault(
        c.check(
            as_root("MakeDirectoryInGuest", &vm)
                .arg("directoryPath", "/tmp/a/b")
                .arg("createParentDirectories", false),
        )
        .await,
    );
    assert_eq!(missing.fault_type(), Some("FileNotFound"));
    says(&missing.message, &["/tmp/a"]);
    c.ok(as_root("MakeDirectoryInGuest", &vm)
        .arg("directoryPath", "/tmp/a/b")
        .arg("createParentDirectories", true))
        .await;
    assert_eq!(sim.guest_dir(&vm, "/tmp/a"), Some(vec!["b".to_string()]));
    let exists = fault(
        c.check(
            as_root("MakeDirectoryInGuest", &vm)
                .arg("directoryPath", "/tmp/a")
                .arg("createParentDirectories", false),
        )
        .await,
    );
    assert_eq!(exists.fault_type(), Some("FileAlreadyExists"));
    says(&exists.message, &["/tmp/a", "already exists"]);
    // Issue 10: the guest agent checks for the path before creating anything,
    // so createParentDirectories does not make an existing path succeed.
    let again = fault(
        c.check(
            as_root("MakeDirectoryInGuest", &vm)
                .arg("directoryPath", "/tmp/a/b")
                .arg("createParentDirectories", true),
        )
        .await,
    );
    assert_eq!(again.fault_type(), Some("FileAlreadyExists"));
    says(&again.message, &["/tmp/a/b"]);
    let under_file = fault(
        c.check(
            as_root("MakeDirectoryInGuest", &vm)
                .arg("directoryPath", "/etc/hostname/x")
                .arg("createParentDirectories", false),
        )
        .await,
    );
    assert_eq!(under_file.fault_type(), Some("NotADirectory"));
    says(&under_file.message, &["/etc/hostname"]);
}

#[tokio::test]
async fn deletes_files_and_directories_refusing_non_empty_ones() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    sim.set_guest_file(&vm, "/tmp/f.txt", b"x").expect("set-up");
    c.ok(as_root("MakeDirectoryInGuest", &vm)
        .arg("directoryPath", "/tmp/d/e")
        .arg("createParentDirectories", true))
        .await;
    let not_file = fault(
        c.check(as_root("DeleteFileInGuest", &vm).arg("filePath", "/tmp/d"))
            .await,
    );
    assert_eq!(not_file.fault_type(), Some("NotAFile"));
    says(&not_file.message, &["/tmp/d"]);
    c.ok(as_root("DeleteFileInGuest", &vm).arg("filePath", "/tmp/f.txt"))
        .await;
    assert_eq!(sim.guest_file(&vm, "/tmp/f.txt"), None);
    let gone = fault(
        c.check(as_root("DeleteFileInGuest", &vm).arg("filePath", "/tmp/f.txt"))
            .await,
    );
    assert_eq!(gone.fault_type(), Some("FileNotFound"));
    says(&gone.message, &["/tmp/f.txt"]);
    let full = fault(
        c.check(
            as_root("DeleteDirectoryInGuest", &vm)
                .arg("directoryPath", "/tmp/d")
                .arg("recursive", false),
        )
        .await,
    );
    assert_eq!(full.fault_type(), Some("DirectoryNotEmpty"));
    says(&full.message, &["/tmp/d", "not empty"]);
    assert!(
        sim.guest_dir(&vm, "/tmp/d").is_some(),
        "a refused delete changes nothing"
    );
    let not_dir = fault(
        c.check(
            as_root("DeleteDirectoryInGuest", &vm)
                .arg("directoryPath", "/etc/passwd")
                .arg("recursive", true),
        )
        .await,
    );
    assert_eq!(not_dir.fault_type(), Some("NotADirectory"));
    c.ok(as_root("DeleteDirectoryInGuest", &vm)
        .arg("directoryPath", "/tmp/d")
        .arg("recursive", true))
        .await;
    assert_eq!(sim.guest_dir(&vm, "/tmp/d"), None);
    assert_eq!(sim.guest_dir(&vm, "/tmp"), Some(vec![]));
}

#[tokio::test]
async fn moves_files_and_directories_and_makes_temporary_files() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    sim.set_guest_file(&vm, "/tmp/a.txt", b"A").expect("set-up");
    sim.set_guest_file(&vm, "/tmp/b.txt", b"B").expect("set-up");
    let clash = fault(
        c.check(
            as_root("MoveFileInGuest", &vm)
                .arg("srcFilePath", "/tmp/a.txt")
                .arg("dstFilePath", "/tmp/b.txt")
                .arg("overwrite", false),
        )
        .await,
    );
    assert_eq!(clash.fault_type(), Some("FileAlreadyExists"));
    says(&clash.message, &["/tmp/b.txt"]);
    c.ok(as_root("MoveFileInGuest", &vm)
        .arg("srcFilePath", "/tmp/a.txt")
        .arg("dstFilePath", "/tmp/b.txt")
        .arg("overwrite", true))
        .await;
    assert_eq!(
        sim.guest_file(&vm, "/tmp/b.txt").as_deref(),
        Some(&b"A"[..])
    );
    assert_eq!(sim.guest_file(&vm, "/tmp/a.txt"), None);
    c.ok(as_root("MakeDirectoryInGuest", &vm)
        .arg("directoryPath", "/tmp/d1/sub")
        .arg("createParentDirectories", true))
        .await;
    c.ok(as_root("MoveDirectoryInGuest", &vm)
        .arg("srcDirectoryPath", "/tmp/d1")
        .arg("dstDirectoryPath", "/tmp/d2"))
        .await;
    assert_eq!(sim.guest_dir(&vm, "/tmp/d2"), Some(vec!["sub".to_string()]));
    assert_eq!(sim.guest_dir(&vm, "/tmp/d1"), None);
    let tmp = c
        .ok(as_root("CreateTemporaryFileInGuest", &vm)
            .arg("prefix", "vc")
            .arg("suffix", ".tmp"))
        .await;
    let tmp = tmp
        .as_ref()
        .and_then(Value::as_str)
        .expect("a path")
        .to_string();
    assert!(tmp.starts_with("/tmp/vc") && tmp.ends_with(".tmp"), "{tmp}");
    assert_eq!(sim.guest_file(&vm, &tmp).as_deref(), Some(&b""[..]));
}

#[tokio::test]
async fn a_non_admin_user_writes_only_home_and_tmp_and_cannot_read_root() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let denied = fault(
        c.check(as_user("ListFilesInGuest", &vm).arg("filePath", "/root"))
            .await,
    );
    assert_eq!(denied.fault_type(), Some("GuestPermissionDenied"));
    says(&denied.message, &["/root", "denied"]);
    let etc = fault(
        c.check(
            as_user("MakeDirectoryInGuest", &vm)
                .arg("directoryPath", "/etc/mine")
                .arg("createParentDirectories", false),
        )
        .await,
    );
    assert_eq!(etc.fault_type(), Some("GuestPermissionDenied"));
    says(&etc.message, &["/etc/mine"]);
    assert_eq!(sim.guest_dir(&vm, "/etc/mine"), None);
    for dir in ["/home/user/work", "/tmp/work"] {
        c.ok(as_user("MakeDirectoryInGuest", &vm)
            .arg("directoryPath", dir)
            .arg("createParentDirectories", false))
            .await;
        assert_eq!(sim.guest_dir(&vm, dir), Some(vec![]), "{dir}");
    }
    // Reading elsewhere is allowed.
    assert!(
        !names(
            &c.ok(as_user("ListFilesInGuest", &vm).arg("filePath", "/etc"))
                .await
        )
        .0
        .is_empty()
    );
    let del = fault(
        c.check(as_user("DeleteFileInGuest", &vm).arg("filePath", "/etc/passwd"))
            .await,
    );
    assert_eq!(del.fault_type(), Some("GuestPermissionDenied"));
    assert!(sim.guest_file(&vm, "/etc/passwd").is_some());
}

#[tokio::test]
async fn a_listing_pages_by_fifty_unless_asked_otherwise() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    for i in 0..60 {
        sim.set_guest_file(&vm, &format!("/tmp/f{i:02}"), b"")
            .expect("set-up");
    }
    let (first, remaining) = names(&list(&c, &vm, "/tmp").await);
    assert_eq!((first.len(), remaining), (50, 10));
    assert_eq!(first[0], "f00");
    let rest = c
        .ok(as_root("ListFilesInGuest", &vm)
            .arg("filePath", "/tmp")
            .arg("index", 50))
        .await;
    let (rest, remaining) = names(&rest);
    assert_eq!(
        (rest.first().map(String::as_str), rest.len(), remaining),
        (Some("f50"), 10, 0)
    );
}

/// The POSIX attributes `ListFilesInGuest` reports for `path`.
async fn posix_attrs(c: &Client, vm: &MoRef, path: &str) -> Data {
    list(c, vm, path)
        .await
        .and_then(|v| v.path("files").map(|f| f.as_array()[0].clone()))
        .and_then(|e| e.path("attributes").and_then(Value::as_data).cloned())
        .expect("attributes")
}

#[tokio::test]
async fn changes_permissions_owner_and_times_and_read_only_files_keep_their_bytes() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    sim.set_guest_file(&vm, "/tmp/a.sh", b"#!/bin/sh\necho ran > /tmp/ran\n")
        .expect("set-up");
    let change = Data::new("GuestPosixFileAttributes")
        .with("permissions", 0o555)
        .with("ownerId", 1001)
        .with("modificationTime", "2020-01-02T03:04:05Z");
    c.ok(as_root("ChangeFileAttributesInGuest", &vm)
        .arg("guestFilePath", "/tmp/a.sh")
        .arg("fileAttributes", change))
        .await;
    let a = posix_attrs(&c, &vm, "/tmp/a.sh").await;
    assert_eq!(a.get("permissions").and_then(Value::as_i64), Some(0o100555));
    assert_eq!(a.get("ownerId").and_then(Value::as_i64), Some(1001));
    assert_eq!(
        a.get("modificationTime").and_then(Value::as_str),
        Some("2020-01-02T03:04:05.000Z")
    );
    // `user` (uid 1001) owns it now, but it has no write bits.
    let f = fault(
        c.check(
            as_user("InitiateFileTransferToGuest", &vm)
                .arg("guestFilePath", "/tmp/a.sh")
                .arg("fileAttributes", Data::new("GuestPosixFileAttributes"))
                .arg("fileSize", 1)
                .arg("overwrite", true),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("GuestPermissionDenied"));
    says(&f.message, &["/tmp/a.sh"]);
    let not_owner = fault(
        c.check(
            as_user("ChangeFileAttributesInGuest", &vm)
                .arg("guestFilePath", "/etc/passwd")
                .arg(
                    "fileAttributes",
                    Data::new("GuestPosixFileAttributes").with("permissions", 0o777),
                ),
        )
        .await,
    );
    assert_eq!(not_owner.fault_type(), Some("GuestPermissionDenied"));
    let unknown_uid = fault(
        c.check(
            as_root("ChangeFileAttributesInGuest", &vm)
                .arg("guestFilePath", "/tmp/a.sh")
                .arg(
                    "fileAttributes",
                    Data::new("GuestPosixFileAttributes").with("ownerId", 4242),
                ),
        )
        .await,
    );
    assert_eq!(unknown_uid.fault_type(), Some("InvalidArgument"));
    says(&unknown_uid.message, &["ownerId"]);
}

#[tokio::test]
async fn makes_temporary_directories() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let made = c
        .ok(as_user("CreateTemporaryDirectoryInGuest", &vm)
            .arg("prefix", "job-")
            .arg("suffix", ""))
        .await
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("a path");
    assert!(made.starts_with("/tmp/job-"), "{made}");
    assert_eq!(sim.guest_dir(&vm, &made), Some(vec![]));
    let f = fault(
        c.check(
            as_user("CreateTemporaryDirectoryInGuest", &vm)
                .arg("prefix", "x")
                .arg("suffix", "")
                .arg("directoryPath", "/etc"),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("GuestPermissionDenied"));
}
