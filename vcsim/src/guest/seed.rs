//! What a fresh guest holds: its users, a Linux-like or Windows-like tree,
//! and the processes a booted guest runs.

use std::sync::Arc;

use super::fs::{Body, Fs, GPath, Os};
use crate::clock::Instant;

/// A guest account; the inventory fixture may list a VM's own
/// (`guest_users`), else [`default_users`].
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub password: String,
    pub admin: bool,
}

/// Never prints the password (guest passwords stay out of logs).
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

/// The password every default account has.
pub const DEFAULT_PASSWORD: &str = "vmware";

/// Linux: `root` (admin) and `user`; Windows: `Administrator` (admin) and `user`.
pub fn default_users(os: Os) -> Arc<[User]> {
    let admin = match os {
        Os::Linux => "root",
        Os::Windows => "Administrator",
    };
    vec![
        User {
            name: admin.into(),
            password: DEFAULT_PASSWORD.into(),
            admin: true,
        },
        User {
            name: "user".into(),
            password: DEFAULT_PASSWORD.into(),
            admin: false,
        },
    ]
    .into()
}

/// The programs a Linux seed has in `/bin` and `/usr/bin`.
pub const LINUX_PROGRAMS: &[&str] = &[
    "sh", "bash", "echo", "cat", "ls", "mkdir", "rm", "touch", "uname", "hostname", "sleep",
    "true", "false",
];

fn program(name: &str) -> Body {
    Body::File(Arc::new(
        format!("\x7fELF vcsim guest program: {name}\n").into_bytes(),
    ))
}

fn text(s: String) -> Body {
    Body::File(Arc::new(s.into_bytes()))
}

/// The file system of a fresh guest named `hostname`.
pub fn file_system(os: Os, hostname: &str, users: &[User], now: Instant) -> Fs {
    let mut fs = Fs::new(os, now);
    let root = fs.root();
    let admin = users
        .iter()
        .find(|u| u.admin)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| "root".into());
    let dir = |fs: &mut Fs, p: &GPath, owner: &str, mode: u32| {
        fs.put(p, Body::Dir, owner, mode, now);
    };
    match os {
        Os::Linux => {
            for d in ["bin", "usr", "etc", "home", "var"] {
                dir(&mut fs, &root.join(d), "root", 0o755);
            }
            let usr_bin = root.join("usr").join("bin");
            dir(&mut fs, &usr_bin, "root", 0o755);
            dir(&mut fs, &root.join("var").join("log"), "root", 0o755);
            dir(&mut fs, &root.join("root"), "root", 0o700);
            dir(&mut fs, &root.join("tmp"), "root", 0o1777);
            for p in LINUX_PROGRAMS {
                fs.put(&root.join("bin").join(p), program(p), "root", 0o755, now);
                fs.put(&usr_bin.join(p), program(p), "root", 0o755, now);
            }
            let etc = root.join("etc");
            fs.put(
                &etc.join("hostname"),
                text(format!("{hostname}\n")),
                "root",
                0o644,
                now,
            );
            let release = "NAME=\"vcsim Linux\"\nID=vcsim\nVERSION_ID=\"1.0\"\nPRETTY_NAME=\"vcsim Linux 1.0\"\n";
            fs.put(
                &etc.join("os-release"),
                text(release.into()),
                "root",
                0o644,
                now,
            );
            let mut passwd = String::new();
            for (i, u) in users.iter().enumerate() {
                let (uid, home) = if u.admin && u.name == "root" {
                    (0, "/root".to_string())
                } else {
                    (1000 + i, format!("/home/{}", u.name))
                };
                passwd.push_str(&format!("{}:x:{uid}:{uid}::{home}:/bin/bash\n", u.name));
                if home != "/root" {
                    dir(&mut fs, &root.join("home").join(&u.name), &u.name, 0o755);
                }
            }
            fs.put(&etc.join("passwd"), text(passwd), "root", 0o644, now);
            let log = format!("vcsim: {hostname} booted\nvmtoolsd: VMware Tools started\n");
            let messages = root.join("var").join("log").join("messages");
            fs.put(&messages, text(log), "root", 0o640, now);
        }
        Os::Windows => {
            let win = root.join("Windows");
            let sys = win.join("System32");
            let etc = sys.join("drivers").join("etc");
            for d in [win, sys.clone(), sys.join("drivers"), etc.clone()] {
                dir(&mut fs, &d, &admin, 0o755);
            }
            dir(&mut fs, &root.join("Users"), &admin, 0o755);
            dir(&mut fs, &root.join("Temp"), &admin, 0o777);
            for p in ["cmd.exe", "hostname.exe", "timeout.exe"] {
                fs.put(&sys.join(p), program(p), &admin, 0o755, now);
            }
            let hosts = "# Copyright (c) Microsoft Corp.\r\n127.0.0.1 localhost\r\n";
            fs.put(&etc.join("hosts"), text(hosts.into()), &admin, 0o644, now);
            for u in users {
                dir(&mut fs, &root.join("Users").join(&u.name), &u.name, 0o755);
            }
        }
    }
    fs
}

/// `(pid, name, owner, command line)` of what a booted guest runs.
pub fn processes(os: Os) -> &'static [(i64, &'static str, &'static str, &'static str)] {
    match os {
        Os::Linux => &[
            (1, "systemd", "root", "/sbin/init"),
            (612, "vmtoolsd", "root", "/usr/bin/vmtoolsd"),
            (734, "sshd", "root", "/usr/sbin/sshd -D"),
        ],
        Os::Windows => &[
            (4, "System", "SYSTEM", ""),
            (
                1204,
                "vmtoolsd.exe",
                "SYSTEM",
                "\"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe\"",
            ),
            (
                2816,
                "explorer.exe",
                "Administrator",
                "C:\\Windows\\explorer.exe",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_debug_leaves_the_password_out() {
        let u = User {
            name: "ops".into(),
            password: "Sup3r-secret".into(),
            admin: true,
        };
        let shown = format!("{u:?} {:?}", default_users(Os::Windows));
        assert!(shown.contains("ops") && shown.contains("Administrator"));
        assert!(
            !shown.contains("Sup3r-secret") && !shown.contains(DEFAULT_PASSWORD),
            "{shown}"
        );
        let spec: crate::inventory::GuestUserSpec =
            serde_yaml::from_str("{name: dev, password: Sup3r-secret}").expect("parses");
        assert!(!format!("{spec:?}").contains("Sup3r-secret"));
        assert_eq!(spec.password, "Sup3r-secret");
        assert!(!spec.admin);
    }
}
