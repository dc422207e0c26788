//! The guest operation checks, in a directory of their own inside the
//! scratch VM's guest: make it, write a file, read it back, list it, run a
//! program that copies the file, find that program in the process table,
//! then delete both files and the directory. Each effect is read back
//! through the [`Probe`](super::Probe). They need the VM powered on with
//! VMware Tools and a guest account (`--guest-user` and
//! `CONFORMANCE_GUEST_PASSWORD`; the simulator's own by default); without
//! them every guest check is skipped, saying why.

use anyhow::{Result, bail};
use serde_json::{Value as Json, json};

use super::guest_probe::GuestLogin;
use super::{GUEST, Step, Writes};
use crate::checks::{Recorder, summarize};

const TOOLS: [&str; 7] = [
    "create_guest_directory",
    "write_guest_file",
    "read_guest_file",
    "list_guest_directory",
    "run_command_in_guest",
    "list_guest_processes",
    "delete_guest_file",
];

const CONTENT: &str = "written by the mcvsphere conformance checks\n";

/// Where the checks work and how a program copies a file, per guest family.
struct Plan {
    dir: String,
    sep: char,
    shell: &'static str,
    copy: fn(&str, &str) -> String,
}

impl Plan {
    fn new(windows: bool, stamp: &str) -> Plan {
        if windows {
            Plan {
                dir: format!("C:\\Windows\\Temp\\mcvsphere-conformance-{stamp}"),
                sep: '\\',
                shell: "C:\\Windows\\System32\\cmd.exe",
                copy: |a, b| format!("/c type \"{a}\" > \"{b}\""),
            }
        } else {
            Plan {
                dir: format!("/tmp/mcvsphere-conformance-{stamp}"),
                sep: '/',
                shell: "/bin/sh",
                copy: |a, b| format!("-c \"cat '{a}' > '{b}'\""),
            }
        }
    }

    fn file(&self, name: &str) -> String {
        format!("{}{}{name}", self.dir, self.sep)
    }
}

impl Writes<'_> {
    async fn guest_ok(
        &self,
        login: &GuestLogin,
        tool: &str,
        extra: Json,
    ) -> Result<(String, Option<Json>)> {
        let o = self.s.call(tool, login.args(&self.vm, extra)).await?;
        if o.is_error {
            bail!("{tool} failed: {}", o.text);
        }
        Ok((o.text, o.structured))
    }

    /// Whether the guest is Windows, from what Tools reports.
    async fn guest_is_windows(&self) -> bool {
        let Ok(o) = self
            .s
            .call("get_vm_tools_status", json!({"name": self.vm}))
            .await
        else {
            return false;
        };
        o.structured
            .as_ref()
            .and_then(|v| v.get("guest_id"))
            .and_then(Json::as_str)
            .is_some_and(|id| id.to_ascii_lowercase().starts_with("win"))
    }

    pub(super) async fn guest_checks(&self, rec: &mut Recorder) {
        if !TOOLS.iter().any(|t| self.has(t)) {
            return;
        }
        let Some(login) = self.guest.clone() else {
            let why = "needs a guest account: --guest-user NAME and CONFORMANCE_GUEST_PASSWORD";
            return self.skip_all(rec, &TOOLS, why);
        };
        let vm = self.vm.clone();
        let initial = match self.probe.power(&vm).await {
            Ok(p) if p == "poweredOn" || p == "poweredOff" => p,
            Ok(p) => return self.skip_all(rec, &TOOLS, &format!("{vm} is {p}")),
            Err(e) => return self.skip_all(rec, &TOOLS, &format!("cannot read {vm}: {e:#}")),
        };
        self.guest_steps(rec, &login).await;
        if let Err(e) = self.ensure_power(&initial).await {
            self.restore_failed(rec, "power state after the guest checks", &e);
        }
    }

    async fn guest_steps(&self, rec: &mut Recorder, login: &GuestLogin) {
        let vm = self.vm.clone();
        let ready = async {
            self.ensure_power("poweredOn").await?;
            self.probe.wait_tools(&vm, GUEST).await
        };
        if let Err(e) = ready.await {
            let why = format!("{vm} needs to run with VMware Tools: {e:#}");
            return self.skip_all(rec, &TOOLS, &why);
        }
        let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
        let plan = Plan::new(self.guest_is_windows().await, &stamp);
        let (a, b) = (plan.file("a.txt"), plan.file("b.txt"));
        let p = &self.probe;

        let made = self
            .step(
                rec,
                self.spec(
                    "create_guest_directory",
                    "create_guest_directory makes a directory in the guest",
                ),
                async {
                    let (text, _) = self
                        .guest_ok(
                            login,
                            "create_guest_directory",
                            json!({"guest_path": plan.dir}),
                        )
                        .await?;
                    match p.guest_dir(&vm, login, &plan.dir).await? {
                        Some(names) if names.is_empty() => Ok(Step::Done(summarize(&text))),
                        other => bail!(
                            "after create_guest_directory {} lists as {other:?}",
                            plan.dir
                        ),
                    }
                },
            )
            .await;
        if !made {
            return self.skip_all(rec, &TOOLS[1..], "create_guest_directory failed");
        }
        self.step(
            rec,
            self.spec(
                "write_guest_file",
                "write_guest_file writes a file in the guest",
            ),
            async {
                let (text, _) = self
                    .guest_ok(
                        login,
                        "write_guest_file",
                        json!({"guest_path": a, "content": CONTENT}),
                    )
                    .await?;
                match p.guest_file(&vm, login, &a).await? {
                    Some(bytes) if bytes == CONTENT.as_bytes() => Ok(Step::Done(summarize(&text))),
                    other => bail!("{a} holds {other:?} after write_guest_file"),
                }
            },
        )
        .await;
        self.step(
            rec,
            self.spec("read_guest_file", "read_guest_file reads it back"),
            async {
                let (_, r) = self
                    .guest_ok(login, "read_guest_file", json!({"guest_path": a}))
                    .await?;
                let content = r
                    .as_ref()
                    .and_then(|r| r.get("content"))
                    .and_then(Json::as_str);
                if content != Some(CONTENT) {
                    bail!("read_guest_file returned {r:?}");
                }
                Ok(Step::Done(format!("{} bytes, as written", CONTENT.len())))
            },
        )
        .await;
        self.step(
            rec,
            self.spec(
                "list_guest_directory",
                "list_guest_directory shows the file",
            ),
            async {
                let (_, r) = self
                    .guest_ok(
                        login,
                        "list_guest_directory",
                        json!({"guest_path": plan.dir}),
                    )
                    .await?;
                let items = r
                    .as_ref()
                    .and_then(|r| r.get("result"))
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
                match items.iter().find(|i| i["name"] == "a.txt") {
                    Some(i) if i["size"] == CONTENT.len() => {
                        Ok(Step::Done(format!("{} entries", items.len())))
                    }
                    other => bail!("a.txt is {other:?} in {items:?}"),
                }
            },
        )
        .await;
        let mut pid = None;
        self.step(rec, self.spec("run_command_in_guest", "run_command_in_guest runs a program that copies the file"), async {
            let args = json!({"command": plan.shell, "arguments": (plan.copy)(&a, &b), "timeout_seconds": 120});
            let (_, r) = self.guest_ok(login, "run_command_in_guest", args).await?;
            let r = r.unwrap_or_default();
            pid = r["pid"].as_i64();
            if r["exit_code"] != 0 {
                bail!("the copy exited with {}: {r}", r["exit_code"]);
            }
            match p.guest_file(&vm, login, &b).await? {
                Some(bytes) if bytes == CONTENT.as_bytes() => Ok(Step::Done(format!("pid {}, exit code 0, copy made", r["pid"]))),
                other => bail!("{b} holds {other:?} after the copy"),
            }
        })
        .await;
        self.step(
            rec,
            self.spec(
                "list_guest_processes",
                "list_guest_processes shows the program that ran",
            ),
            async {
                let (_, r) = self
                    .guest_ok(login, "list_guest_processes", json!({}))
                    .await?;
                let Some(pid) = pid else {
                    return Ok(Step::Skip(
                        "run_command_in_guest started nothing to look for".into(),
                    ));
                };
                let listed = r
                    .as_ref()
                    .and_then(|r| r.get("result"))
                    .and_then(Json::as_array)
                    .is_some_and(|a| a.iter().any(|p| p["pid"] == pid));
                let probed = p.guest_process(&vm, login, pid).await?;
                match probed {
                    Some(pr) if listed && pr.ended && pr.exit_code == Some(0) => {
                        Ok(Step::Done(format!("pid {pid} ended with 0")))
                    }
                    other => bail!("pid {pid}: listed {listed}, guest says {other:?}"),
                }
            },
        )
        .await;
        self.step(
            rec,
            self.spec(
                "delete_guest_file",
                "delete_guest_file deletes the files, then the directory",
            ),
            async {
                for f in [&a, &b] {
                    self.guest_ok(login, "delete_guest_file", json!({"guest_path": f}))
                        .await?;
                    if p.guest_file(&vm, login, f).await?.is_some() {
                        bail!("{f} is still there after delete_guest_file");
                    }
                }
                self.guest_ok(login, "delete_guest_file", json!({"guest_path": plan.dir}))
                    .await?;
                if p.guest_dir(&vm, login, &plan.dir).await?.is_some() {
                    bail!("{} is still there after delete_guest_file", plan.dir);
                }
                Ok(Step::Done("both files and the directory are gone".into()))
            },
        )
        .await;
    }
}
