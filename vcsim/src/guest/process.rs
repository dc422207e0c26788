//! A guest's process table and the shell that runs its command lines in
//! simulated time. A started program runs at once up to its first `sleep`;
//! the rest runs when the clock reaches the sleep's end, on the next guest
//! access (`Guest::settle`), with the time each later command ran at.

use chrono::TimeDelta;

use super::fs::{FsError, GPath, Os};
use super::programs::{self, Ctx, Out};
use super::shell::{self, Cmd, Join, Script};
use super::{Guest, User};
use crate::clock::Instant;

/// A row of the process table, as `ListProcessesInGuest` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: i64,
    pub name: String,
    pub owner: String,
    pub cmd_line: String,
    pub start: Instant,
    pub end: Option<Instant>,
    pub exit_code: Option<i32>,
}

/// A shell's state while it runs a line: as whom, where, its variables,
/// the last exit code, and the (simulated) time the next command runs at.
#[derive(Clone, Debug)]
pub(crate) struct Sh {
    pub user: String,
    pub admin: bool,
    pub cwd: GPath,
    /// `NAME`, `value`; later entries win.
    pub env: Vec<(String, String)>,
    pub status: i32,
    pub t: Instant,
    pub depth: u32,
}

impl Sh {
    /// The value of variable `name` (`$?`, `$PWD`, `%ERRORLEVEL%`, `%CD%` included).
    pub(crate) fn var(&self, os: Os, name: &str) -> Option<String> {
        let same = |k: &str| match os {
            Os::Linux => k == name,
            Os::Windows => k.eq_ignore_ascii_case(name),
        };
        match (os, name) {
            (Os::Linux, "?") => return Some(self.status.to_string()),
            (Os::Linux, "PWD") => return Some(self.cwd.display()),
            (Os::Windows, n) if n.eq_ignore_ascii_case("errorlevel") => {
                return Some(self.status.to_string());
            }
            (Os::Windows, n) if n.eq_ignore_ascii_case("cd") => return Some(self.cwd.display()),
            _ => {}
        }
        self.env
            .iter()
            .rev()
            .find(|(k, _)| same(k))
            .map(|(_, v)| v.clone())
    }

    pub(crate) fn set(&mut self, name: &str, value: &str) {
        self.env.push((name.to_string(), value.to_string()));
    }
}

/// Where a running command line is.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    script: Script,
    next: usize,
    /// `sh.t`: when the next command runs (a `sleep`'s end).
    sh: Sh,
    /// What the last command piped (`|`) to the next.
    stdin: Vec<u8>,
}

#[derive(Clone, Debug)]
pub(crate) struct Proc {
    pub info: Process,
    pub run: Option<Run>,
}

/// Exit code of a process ended by `TerminateProcessInGuest` (SIGTERM's 128+15 on Linux).
pub fn terminated_code(os: Os) -> i32 {
    match os {
        Os::Linux => 143,
        Os::Windows => 1,
    }
}

/// How deep scripts may call scripts (`sh -c "sh -c …"`, a script file).
pub(crate) const MAX_DEPTH: u32 = 8;

pub(crate) enum Exec {
    Done(Out),
    Sleep(f64),
}

fn after(t: Instant, secs: f64) -> Instant {
    let ms = (secs.clamp(0.0, 1.0e9) * 1000.0) as i64;
    t.checked_add_signed(TimeDelta::milliseconds(ms))
        .unwrap_or(t)
}

impl Guest {
    pub(crate) fn seed_processes(&mut self, now: Instant) {
        self.procs = super::seed::processes(self.os)
            .iter()
            .map(|(pid, name, owner, cmd)| Proc {
                info: Process {
                    pid: *pid,
                    name: name.to_string(),
                    owner: owner.to_string(),
                    cmd_line: cmd.to_string(),
                    start: now,
                    end: None,
                    exit_code: None,
                },
                run: None,
            })
            .collect();
    }

    /// `StartProgramInGuest`: the new pid. The program must exist;
    /// `cwd` defaults to the user's home; `env` (`NAME=value`) adds to the
    /// user's environment.
    pub fn start(
        &mut self,
        user: &User,
        program: &str,
        arguments: &str,
        cwd: Option<&str>,
        env: &[String],
        now: Instant,
    ) -> Result<i64, FsError> {
        let who = super::fs::Who {
            name: &user.name,
            admin: user.admin,
        };
        let prog = self.fs.path(None, program)?;
        if self.fs.stat(who, &prog)?.is_dir() {
            return Err(FsError::NotAFile(prog.display()));
        }
        let cwd = match cwd.filter(|c| !c.is_empty()) {
            Some(c) => {
                let p = self.fs.path(None, c)?;
                match self.fs.stat(who, &p)? {
                    n if n.is_dir() => p,
                    _ => return Err(FsError::NotADirectory(p.display())),
                }
            }
            None => self.home_of(user),
        };
        let line = format!("\"{program}\" {arguments}");
        let script = match self.os {
            Os::Linux => shell::parse(Os::Linux, &line).map(|mut s| {
                while let Some(inner) = shell::inner_script(Os::Linux, &s) {
                    match shell::parse(Os::Linux, &inner) {
                        Ok(i) => s = i,
                        Err(_) => break,
                    }
                }
                s
            }),
            Os::Windows if shell::program_name(Os::Windows, program) == "cmd" => shell::parse(
                Os::Windows,
                &shell::cmd_exe_line(arguments).unwrap_or_default(),
            ),
            Os::Windows => shell::parse(Os::Windows, &line),
        };
        let pid = self.next_pid;
        self.next_pid += 1;
        let mut proc = Proc {
            info: Process {
                pid,
                name: shell::program_name(Os::Linux, program),
                owner: user.name.clone(),
                cmd_line: line.trim_end().to_string(),
                start: now,
                end: None,
                exit_code: None,
            },
            run: None,
        };
        match script {
            // The shell reports the syntax error and exits 2.
            Err(_) => {
                proc.info.end = Some(now);
                proc.info.exit_code = Some(2);
            }
            Ok(script) => {
                let mut vars = self.environment(user);
                vars.extend(
                    env.iter()
                        .filter_map(|e| e.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.to_string())),
                );
                let sh = Sh {
                    user: user.name.clone(),
                    admin: user.admin,
                    cwd,
                    env: vars,
                    status: 0,
                    t: now,
                    depth: 0,
                };
                proc.run = Some(Run {
                    script,
                    next: 0,
                    sh,
                    stdin: vec![],
                });
            }
        }
        self.procs.push(proc);
        let idx = self.procs.len() - 1;
        self.step(idx, now);
        Ok(pid)
    }

    /// The environment a user's programs start with.
    pub fn environment(&self, user: &User) -> Vec<(String, String)> {
        let home = self.home_of(user).display();
        let pairs: Vec<(&str, String)> = match self.os {
            Os::Linux => vec![
                ("HOME", home),
                ("USER", user.name.clone()),
                ("LOGNAME", user.name.clone()),
                ("PATH", "/usr/bin:/bin".into()),
                ("SHELL", "/bin/sh".into()),
                ("HOSTNAME", self.hostname.clone()),
            ],
            Os::Windows => vec![
                ("USERNAME", user.name.clone()),
                ("USERPROFILE", home),
                ("COMPUTERNAME", self.hostname.clone()),
                ("SystemRoot", "C:\\Windows".into()),
                ("PATH", "C:\\Windows\\System32;C:\\Windows".into()),
                ("TEMP", "C:\\Temp".into()),
                ("TMP", "C:\\Temp".into()),
            ],
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    fn home_of(&self, user: &User) -> GPath {
        let root = self.fs.root();
        let home = match (self.os, user.name.as_str()) {
            (Os::Linux, "root") => root.join("root"),
            (Os::Linux, n) => root.join("home").join(n),
            (Os::Windows, n) => root.join("Users").join(n),
        };
        if self.fs.get(&home).is_some() {
            home
        } else {
            root
        }
    }

    /// Runs every command that became due by `now`.
    pub fn settle(&mut self, now: Instant) {
        for i in 0..self.procs.len() {
            if self.procs[i].run.as_ref().is_some_and(|r| r.sh.t <= now) {
                self.step(i, now);
            }
        }
    }

    /// Runs process `idx` from where it stands until a `sleep` past `now` or its end.
    fn step(&mut self, idx: usize, now: Instant) {
        let Some(mut run) = self.procs[idx].run.take() else {
            return;
        };
        loop {
            let Some((join, cmd)) = run.script.get(run.next).cloned() else {
                return self.finish(idx, run.sh.t, run.sh.status);
            };
            run.next += 1;
            let skip = match join {
                Join::And => run.sh.status != 0,
                Join::Or => run.sh.status == 0,
                Join::Seq | Join::Pipe => false,
            };
            if skip {
                continue;
            }
            let stdin = if join == Join::Pipe {
                std::mem::take(&mut run.stdin)
            } else {
                vec![]
            };
            match self.exec(&mut run.sh, &cmd, &stdin) {
                Exec::Sleep(secs) => {
                    run.sh.status = 0;
                    run.sh.t = after(run.sh.t, secs);
                    if run.sh.t > now {
                        self.procs[idx].run = Some(run);
                        return;
                    }
                }
                Exec::Done(out) => {
                    run.sh.status = out.status;
                    let piped = run
                        .script
                        .get(run.next)
                        .is_some_and(|(j, _)| *j == Join::Pipe);
                    run.stdin = if piped { out.stdout } else { vec![] };
                    if out.exit {
                        return self.finish(idx, run.sh.t, run.sh.status);
                    }
                }
            }
        }
    }

    fn finish(&mut self, idx: usize, t: Instant, status: i32) {
        let p = &mut self.procs[idx];
        p.run = None;
        p.info.end = Some(t);
        p.info.exit_code = Some(status);
    }

    /// Runs a whole script at once (a nested shell): its `sleep`s take no time.
    pub(super) fn run_inline(&mut self, sh: &mut Sh, script: &Script) -> Out {
        let mut out = Out::default();
        let mut piped = vec![];
        for (i, (join, cmd)) in script.iter().enumerate() {
            let skip = match join {
                Join::And => sh.status != 0,
                Join::Or => sh.status == 0,
                _ => false,
            };
            if skip {
                continue;
            }
            let stdin = std::mem::take(&mut piped);
            let o = match self.exec(sh, cmd, &stdin) {
                Exec::Sleep(_) => Out::default(),
                Exec::Done(o) => o,
            };
            sh.status = o.status;
            if script.get(i + 1).is_some_and(|(j, _)| *j == Join::Pipe) {
                piped = o.stdout;
            } else {
                out.stdout.extend_from_slice(&o.stdout);
            }
            out.stderr.extend_from_slice(&o.stderr);
            if o.exit {
                break;
            }
        }
        out.status = sh.status;
        out
    }

    /// One command with its variables expanded and its redirections done.
    fn exec(&mut self, sh: &mut Sh, cmd: &Cmd, stdin: &[u8]) -> Exec {
        let cmd = super::expand::expand(self.os, cmd, |name| sh.var(self.os, name));
        let mut out = match self.command(sh, &cmd, stdin) {
            Exec::Sleep(s) => return Exec::Sleep(s),
            Exec::Done(o) => o,
        };
        for r in &cmd.redirects {
            let bytes = if r.stderr {
                std::mem::take(&mut out.stderr)
            } else {
                std::mem::take(&mut out.stdout)
            };
            let mut ctx = Ctx {
                guest: self,
                user: &sh.user,
                admin: sh.admin,
                cwd: &mut sh.cwd,
                now: sh.t,
            };
            if let Err(e) = programs::redirect(&mut ctx, &r.path, &bytes, r.append) {
                out.status = 1;
                out.stderr.extend_from_slice(e.as_bytes());
            }
        }
        Exec::Done(out)
    }

    /// `TerminateProcessInGuest`: ends a running process. `Err(true)`: not
    /// the caller's to end; `Err(false)`: no such running process.
    pub fn terminate(&mut self, user: &User, pid: i64, now: Instant) -> Result<(), bool> {
        let code = terminated_code(self.os);
        let p = self
            .procs
            .iter_mut()
            .find(|p| p.info.pid == pid && p.info.end.is_none())
            .ok_or(false)?;
        if !user.admin && p.info.owner != user.name {
            return Err(true);
        }
        p.run = None;
        p.info.end = Some(now);
        p.info.exit_code = Some(code);
        Ok(())
    }

    /// The table, or the rows for `pids` (all when empty).
    pub fn processes(&self, pids: &[i64]) -> Vec<Process> {
        self.procs
            .iter()
            .filter(|p| pids.is_empty() || pids.contains(&p.info.pid))
            .map(|p| p.info.clone())
            .collect()
    }
}
