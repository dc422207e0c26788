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

/// Where a running command line is.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    script: Script,
    next: usize,
    status: i32,
    /// When the next command runs (a `sleep`'s end).
    resume_at: Instant,
    cwd: GPath,
    /// What the last command piped (`|`) to the next.
    stdin: Vec<u8>,
    admin: bool,
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
    /// `cwd` defaults to the user's home.
    pub fn start(
        &mut self,
        user: &User,
        program: &str,
        arguments: &str,
        cwd: Option<&str>,
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
                proc.run = Some(Run {
                    script,
                    next: 0,
                    status: 0,
                    resume_at: now,
                    cwd,
                    stdin: vec![],
                    admin: user.admin,
                });
            }
        }
        self.procs.push(proc);
        let idx = self.procs.len() - 1;
        self.step(idx, now);
        Ok(pid)
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
            if self.procs[i]
                .run
                .as_ref()
                .is_some_and(|r| r.resume_at <= now)
            {
                self.step(i, now);
            }
        }
    }

    /// Runs process `idx` from where it stands until a `sleep` past `now` or its end.
    fn step(&mut self, idx: usize, now: Instant) {
        let Some(mut run) = self.procs[idx].run.take() else {
            return;
        };
        let owner = self.procs[idx].info.owner.clone();
        loop {
            let t = run.resume_at;
            let Some((join, cmd)) = run.script.get(run.next).cloned() else {
                return self.finish(idx, t, run.status);
            };
            run.next += 1;
            let skip = match join {
                Join::And => run.status != 0,
                Join::Or => run.status == 0,
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
            let (admin, mut cwd) = (run.admin, run.cwd.clone());
            let exec = self.exec(&owner, admin, &mut cwd, &cmd, &stdin, t, 0);
            run.cwd = cwd;
            match exec {
                Exec::Sleep(secs) => {
                    run.status = 0;
                    run.resume_at = after(t, secs);
                    if run.resume_at > now {
                        self.procs[idx].run = Some(run);
                        return;
                    }
                }
                Exec::Done(out) => {
                    run.status = out.status;
                    let piped = run
                        .script
                        .get(run.next)
                        .is_some_and(|(j, _)| *j == Join::Pipe);
                    run.stdin = if piped { out.stdout } else { vec![] };
                    if out.exit {
                        return self.finish(idx, t, run.status);
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
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run_inline(
        &mut self,
        user: &str,
        admin: bool,
        cwd: &mut GPath,
        script: &Script,
        t: Instant,
        depth: u32,
    ) -> Out {
        let mut out = Out::default();
        let mut piped = vec![];
        for (i, (join, cmd)) in script.iter().enumerate() {
            let skip = match join {
                Join::And => out.status != 0,
                Join::Or => out.status == 0,
                _ => false,
            };
            if skip {
                continue;
            }
            let stdin = std::mem::take(&mut piped);
            let o = match self.exec(user, admin, cwd, cmd, &stdin, t, depth) {
                Exec::Sleep(_) => Out::default(),
                Exec::Done(o) => o,
            };
            out.status = o.status;
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
        out
    }

    /// One command with its redirections.
    #[allow(clippy::too_many_arguments)]
    fn exec(
        &mut self,
        user: &str,
        admin: bool,
        cwd: &mut GPath,
        cmd: &Cmd,
        stdin: &[u8],
        t: Instant,
        depth: u32,
    ) -> Exec {
        let mut out = match self.command(user, admin, cwd, cmd, stdin, t, depth) {
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
                user,
                admin,
                cwd,
                now: t,
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
