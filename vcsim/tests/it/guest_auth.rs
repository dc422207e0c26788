//! The checks every guest operation starts with (VM, power, Tools,
//! credentials, in vSphere's order), `ValidateCredentialsInGuest`, the
//! fixture's per-VM guest accounts, and a Windows guest's tree and accounts.

use testkit::says;
use vcsim::{Config, Inventory};
use vim25::{Request, Value};

use crate::guest_files::{as_root, auth, fault, file_manager, guest_req, names, vm0};
use crate::{fault_type, logged_in, mo, start};

#[tokio::test]
async fn checks_vm_power_tools_and_credentials_in_vsphere_order() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    // Wrong password and unknown user: InvalidGuestLogin, the password never echoed.
    for (user, pw) in [("root", "s3cret-wrong"), ("nobody", "s3cret-wrong")] {
        let f = fault(
            c.check(
                guest_req(&file_manager(), "ListFilesInGuest", &vm, user, pw).arg("filePath", "/"),
            )
            .await,
        );
        assert_eq!(f.fault_type(), Some("InvalidGuestLogin"));
        says(&f.message, &["authenticate", user]);
        assert!(!f.message.contains(pw), "{}", f.message);
    }
    let auth_ok = Request::new(
        "ValidateCredentialsInGuest",
        &mo("GuestAuthManager", "guestOperationsAuthManager"),
    )
    .arg("vm", &vm)
    .arg("auth", auth("user", "vmware"));
    c.ok(auth_ok).await;
    let auth_bad = Request::new(
        "ValidateCredentialsInGuest",
        &mo("GuestAuthManager", "guestOperationsAuthManager"),
    )
    .arg("vm", &vm)
    .arg("auth", auth("user", "nope"));
    assert_eq!(fault_type(&c.check(auth_bad).await), "InvalidGuestLogin");
    // Tools not running comes before the credentials.
    sim.set_property(
        &vm,
        "guest.toolsRunningStatus",
        Value::from("guestToolsNotRunning"),
    )
    .expect("a schema path");
    let f = fault(
        c.check(
            guest_req(&file_manager(), "ListFilesInGuest", &vm, "root", "wrong")
                .arg("filePath", "/"),
        )
        .await,
    );
    assert_eq!(f.fault_type(), Some("GuestOperationsUnavailable"));
    says(&f.message, &["tools", "not running"]);
    // Powered off comes before Tools.
    sim.set_property(&vm, "runtime.powerState", Value::from("poweredOff"))
        .expect("a schema path");
    let f = fault(
        c.check(as_root("ListFilesInGuest", &vm).arg("filePath", "/"))
            .await,
    );
    assert_eq!(f.fault_type(), Some("InvalidPowerState"));
    says(&f.message, &["poweredOff"]);
    let ghost = mo("VirtualMachine", "vm-404");
    let f = fault(
        c.check(as_root("ListFilesInGuest", &ghost).arg("filePath", "/"))
            .await,
    );
    assert_eq!(f.fault_type(), Some("ManagedObjectNotFound"));
    says(&f.message, &["vm-404"]);
    let rel = fault(
        c.check(as_root("ListFilesInGuest", &vm0(&sim)).arg("filePath", "etc"))
            .await,
    );
    assert!(
        matches!(rel.fault_type(), Some("InvalidPowerState")),
        "power is checked first"
    );
}

#[tokio::test]
async fn a_relative_path_is_an_invalid_argument_naming_it() {
    let (sim, c) = logged_in().await;
    let f = fault(
        c.check(as_root("ListFilesInGuest", &vm0(&sim)).arg("filePath", "etc"))
            .await,
    );
    assert_eq!(f.fault_type(), Some("InvalidArgument"));
    says(&f.message, &["filePath", "etc", "absolute"]);
}

#[tokio::test]
async fn a_windows_guest_has_its_tree_accounts_and_case_insensitive_paths() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    // Before the first guest operation, the guest id chooses the seed.
    sim.set_property(&vm, "config.guestId", Value::from("windows2019srv_64Guest"))
        .expect("a schema path");
    let admin = |m: &str| guest_req(&file_manager(), m, &vm, "Administrator", "vmware");
    let root = c
        .ok(admin("ListFilesInGuest").arg("filePath", "C:\\"))
        .await;
    assert_eq!(names(&root).0, ["Temp", "Users", "Windows"]);
    let sys = c
        .ok(admin("ListFilesInGuest").arg("filePath", "c:/windows/SYSTEM32"))
        .await;
    assert!(
        names(&sys).0.contains(&"cmd.exe".to_string()),
        "{:?}",
        names(&sys)
    );
    let attrs = sys
        .as_ref()
        .and_then(|v| v.path("files"))
        .map(|f| f.as_array()[0].clone())
        .and_then(|e| {
            e.path("attributes")
                .and_then(Value::as_data)
                .map(|d| d.type_name.to_string())
        });
    assert_eq!(attrs.as_deref(), Some("GuestWindowsFileAttributes"));
    c.ok(guest_req(
        &file_manager(),
        "MakeDirectoryInGuest",
        &vm,
        "user",
        "vmware",
    )
    .arg("directoryPath", "c:\\temp\\Work")
    .arg("createParentDirectories", false))
        .await;
    assert_eq!(
        sim.guest_dir(&vm, "C:\\Temp"),
        Some(vec!["Work".to_string()])
    );
    let f = fault(
        c.check(
            guest_req(&file_manager(), "ListFilesInGuest", &vm, "root", "vmware")
                .arg("filePath", "C:\\"),
        )
        .await,
    );
    assert_eq!(
        f.fault_type(),
        Some("InvalidGuestLogin"),
        "a Windows guest has no root"
    );
    let denied = fault(
        c.check(
            guest_req(&file_manager(), "ListFilesInGuest", &vm, "user", "vmware")
                .arg("filePath", "C:\\Users\\Administrator"),
        )
        .await,
    );
    assert_eq!(denied.fault_type(), Some("GuestPermissionDenied"));
}

#[tokio::test]
async fn fixture_guest_users_replace_the_default_accounts() {
    let yaml = vcsim::inventory::DEFAULT_YAML.replacen(
        "name: DC0_H0_VM0",
        "name: DC0_H0_VM0\n            guest_users: [{name: ops, password: \"Opw-1\", admin: true}, {name: dev}]",
        1,
    );
    assert_ne!(
        yaml,
        vcsim::inventory::DEFAULT_YAML,
        "the fixture names DC0_H0_VM0"
    );
    let file = std::env::temp_dir().join(format!("vcsim-guest-users-{}.yaml", std::process::id()));
    std::fs::write(&file, yaml).expect("temp file");
    let (sim, c) = start(Config {
        inventory: Inventory::File(file.clone()),
        ..Config::default()
    })
    .await;
    let _ = std::fs::remove_file(&file);
    c.login().await;
    let vm = vm0(&sim);
    let list = |u: &str, p: &str| {
        guest_req(&file_manager(), "ListFilesInGuest", &vm, u, p).arg("filePath", "/root")
    };
    c.ok(list("ops", "Opw-1")).await;
    assert_eq!(
        fault_type(&c.check(list("root", "vmware")).await),
        "InvalidGuestLogin"
    );
    // `dev` has the default password and is no admin.
    assert_eq!(
        fault_type(&c.check(list("dev", "vmware")).await),
        "GuestPermissionDenied"
    );
    // Other VMs keep the defaults.
    let other = sim.find("VirtualMachine", "DC0_H0_VM1").expect("VM1");
    c.ok(guest_req(
        &file_manager(),
        "ListFilesInGuest",
        &other,
        "root",
        "vmware",
    )
    .arg("filePath", "/root"))
        .await;
}
