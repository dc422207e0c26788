//! The simulated inside of each VM: a file system, users, a process table and
//! a handful of programs, all in memory (no containers, nothing on the host).
//!
//! A VM's guest is made on its first guest operation, from a seed chosen by
//! its `config.guestId` (Windows-like for `win*`, else Linux-like) and name:
//! a 50,000-VM inventory pays nothing for guests nobody opens. `Guests` is
//! transactional like the datastore files: `State` opens, keeps and undoes
//! it with the objects, and a guest is copied on its first change inside a
//! transaction (file contents are shared, so the copy is cheap).

pub mod attrs;
pub mod cmd_text;
pub mod exec;
pub mod expand;
pub mod fs;
pub mod path;
pub mod process;
pub mod programs;
pub mod seed;
pub mod shell;
pub mod transfer;
pub mod tree;

use std::collections::HashMap;
use std::sync::Arc;

pub use fs::{FsError, Os, Who};
pub use process::Process;
pub use seed::User;

use crate::clock::{Clock, Instant};

#[derive(Clone, Debug)]
pub struct Guest {
    pub os: Os,
    pub hostname: String,
    pub fs: fs::Fs,
    pub users: Arc<[User]>,
    /// The VM's `runtime.bootTime` the processes belong to: a new boot
    /// starts the table afresh (the files stay).
    boot: String,
    pub(crate) procs: Vec<process::Proc>,
    next_pid: i64,
    /// Numbers `CreateTemporaryFileInGuest` names.
    temp_seq: u64,
}

impl Guest {
    pub fn new(os: Os, hostname: &str, users: Arc<[User]>, now: Instant) -> Guest {
        let mut g = Guest {
            os,
            hostname: hostname.to_string(),
            fs: seed::file_system(os, hostname, &users, now),
            users,
            boot: String::new(),
            procs: vec![],
            next_pid: 4000,
            temp_seq: 0,
        };
        g.seed_processes(now);
        g
    }

    /// The next number for a temporary file's name.
    pub fn next_temp(&mut self) -> u64 {
        self.temp_seq += 1;
        self.temp_seq
    }
}

/// The account `name`/`password` logs in to, if any (Windows names ignore case).
pub fn find_account(os: Os, users: &[User], name: &str, password: &str) -> Option<User> {
    let same = |u: &User| match os {
        Os::Linux => u.name == name,
        Os::Windows => u.name.eq_ignore_ascii_case(name),
    };
    users
        .iter()
        .find(|u| same(u) && u.password == password)
        .cloned()
}

#[derive(Debug, Default)]
pub struct Guests {
    /// Simulated time (not undone: time does not run back).
    pub clock: Clock,
    by_vm: HashMap<String, Guest>,
    /// The fixture's accounts for VMs that do not use the defaults, by VM id.
    users: HashMap<String, Arc<[User]>>,
    /// One frame per open transaction: each guest as it was before its first change.
    undo: Vec<Vec<(String, Option<Guest>)>>,
    /// Open file transfers (not undone: a URL handed out stays handed out).
    pub transfers: transfer::Transfers,
    /// `scheme://host:port` the transfer URLs point at.
    pub base_url: String,
}

impl Guests {
    pub(crate) fn begin(&mut self) {
        self.undo.push(vec![]);
    }

    pub(crate) fn commit(&mut self) {
        let Some(frame) = self.undo.pop() else {
            return;
        };
        if let Some(outer) = self.undo.last_mut() {
            for (vm, old) in frame {
                if !outer.iter().any(|(v, _)| *v == vm) {
                    outer.push((vm, old));
                }
            }
        }
    }

    pub(crate) fn rollback(&mut self) {
        let Some(frame) = self.undo.pop() else {
            return;
        };
        for (vm, old) in frame.into_iter().rev() {
            match old {
                Some(g) => self.by_vm.insert(vm, g),
                None => self.by_vm.remove(&vm),
            };
        }
    }

    fn touch(&mut self, vm: &str) {
        if let Some(frame) = self.undo.last_mut()
            && !frame.iter().any(|(v, _)| v == vm)
        {
            frame.push((vm.to_string(), self.by_vm.get(vm).cloned()));
        }
    }

    /// The guest of `vm`, if one was made.
    pub fn get(&self, vm: &str) -> Option<&Guest> {
        self.by_vm.get(vm)
    }

    /// The guest of `vm` for a change, made from its seed if it has none,
    /// rebooted if the VM booted since (`boot`: its `runtime.bootTime`),
    /// with everything due by now run.
    pub fn open(&mut self, vm: &str, guest_id: &str, hostname: &str, boot: &str) -> &mut Guest {
        self.touch(vm);
        let now = self.clock.now();
        let os = Os::from_guest_id(guest_id);
        let users = self
            .users
            .get(vm)
            .cloned()
            .unwrap_or_else(|| seed::default_users(os));
        let g = self.by_vm.entry(vm.to_string()).or_insert_with(|| {
            let mut g = Guest::new(os, hostname, users, now);
            g.boot = boot.to_string();
            g
        });
        if g.boot != boot {
            g.boot = boot.to_string();
            g.seed_processes(now);
        }
        g.settle(now);
        g
    }

    /// The accounts `vm`'s guest has (or will have when made).
    pub fn accounts(&self, vm: &str, guest_id: &str) -> Arc<[User]> {
        match (self.by_vm.get(vm), self.users.get(vm)) {
            (Some(g), _) => g.users.clone(),
            (None, Some(u)) => u.clone(),
            (None, None) => seed::default_users(Os::from_guest_id(guest_id)),
        }
    }

    /// The fixture's accounts for `vm` (inventory build).
    pub fn set_users(&mut self, vm: &str, users: Vec<User>) {
        self.users.insert(vm.to_string(), users.into());
    }

    /// A clone's guest: the source's files and accounts, freshly booted processes.
    pub fn copy(&mut self, from: &str, to: &str) {
        if let Some(u) = self.users.get(from).cloned() {
            self.users.insert(to.to_string(), u);
        }
        if let Some(mut g) = self.by_vm.get(from).cloned() {
            self.touch(to);
            g.seed_processes(self.clock.now());
            self.by_vm.insert(to.to_string(), g);
        }
    }

    /// A destroyed VM's guest goes with it.
    pub fn remove(&mut self, vm: &str) {
        if self.by_vm.contains_key(vm) {
            self.touch(vm);
            self.by_vm.remove(vm);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::fs::WriteMode;
    use super::*;

    fn root() -> Who<'static> {
        Who {
            name: "root",
            admin: true,
        }
    }

    #[test]
    fn a_rolled_back_change_leaves_the_guest_as_it_was() {
        let mut gs = Guests::default();
        gs.begin();
        let g = gs.open("vm-1", "otherGuest", "vm1", "");
        let p = g.fs.path(None, "/tmp/kept").expect("absolute");
        g.fs.write(root(), &p, b"1", WriteMode::Replace, g.procs[0].info.start)
            .expect("root writes /tmp");
        gs.commit();
        gs.begin();
        gs.begin();
        let g = gs.open("vm-1", "otherGuest", "vm1", "");
        let q = g.fs.path(None, "/tmp/lost").expect("absolute");
        g.fs.write(root(), &q, b"2", WriteMode::Replace, g.procs[0].info.start)
            .expect("root writes /tmp");
        gs.commit();
        gs.open("vm-2", "windows9Guest", "vm2", "");
        gs.rollback();
        let g = gs.get("vm-1").expect("made in the kept change");
        assert!(g.fs.get(&p).is_some());
        assert!(
            g.fs.get(&q).is_none(),
            "the inner commit went with the outer rollback"
        );
        assert!(
            gs.get("vm-2").is_none(),
            "a guest made in a rolled-back change is gone"
        );
    }

    #[test]
    fn sleep_waits_for_the_simulated_clock() {
        let mut gs = Guests::default();
        let user = seed::default_users(Os::Linux)[0].clone();
        let now = gs.clock.now();
        let g = gs.open("vm-1", "otherGuest", "vm1", "");
        let pid = g
            .start(
                &user,
                "/bin/sh",
                "-c 'sleep 2.5 && touch /tmp/t'",
                None,
                &[],
                now,
            )
            .expect("sh exists");
        let t = g.fs.path(None, "/tmp/t").expect("absolute");
        assert!(g.fs.get(&t).is_none());
        gs.clock.advance(Duration::from_secs(2));
        let g = gs.open("vm-1", "otherGuest", "vm1", "");
        assert!(g.fs.get(&t).is_none(), "2 s of 2.5");
        gs.clock.advance(Duration::from_secs(1));
        let g = gs.open("vm-1", "otherGuest", "vm1", "");
        let p = g.processes(&[pid]).pop().expect("listed");
        assert_eq!(p.exit_code, Some(0));
        let end = p.end.expect("ended");
        // It ended when the sleep did, not when the guest was next looked at.
        assert_eq!((end - p.start).num_milliseconds(), 2500);
        assert_eq!(g.fs.get(&t).map(|n| n.mtime), Some(end));
    }
}
