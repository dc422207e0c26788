//! The programs a simulated guest can run, acting on its file system:
//! Linux `echo cat ls mkdir rm touch uname hostname true false pwd` (and the
//! shell builtins `cd`, `exit`), Windows cmd's `echo type dir mkdir/md del
//! rmdir/rd cd hostname exit`. `sleep` is the process table's (it takes
//! simulated time). Exit codes are what the real programs return.

use super::Guest;
use super::fs::{FsError, GPath, MAX_FILE, Os, Who, WriteMode};
use super::shell::Cmd;
use crate::clock::Instant;

/// What a program did: exit code and output.
#[derive(Debug, Default)]
pub struct Out {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `exit N`: the shell stops after this command.
    pub exit: bool,
}

impl Out {
    fn fail(status: i32, stderr: String) -> Out {
        Out {
            status,
            stderr: stderr.into_bytes(),
            ..Out::default()
        }
    }

    fn line(&mut self, s: &str) {
        self.stdout.extend_from_slice(s.as_bytes());
        self.stdout.push(b'\n');
    }

    fn err(&mut self, status: i32, s: &str) {
        self.status = status;
        self.stderr.extend_from_slice(s.as_bytes());
        self.stderr.push(b'\n');
    }
}

/// Where a command runs: the guest, as whom, in which directory, when.
pub struct Ctx<'a> {
    pub guest: &'a mut Guest,
    pub user: &'a str,
    pub admin: bool,
    pub cwd: &'a mut GPath,
    pub now: Instant,
}

impl Ctx<'_> {
    fn who(&self) -> Who<'_> {
        Who {
            name: self.user,
            admin: self.admin,
        }
    }

    fn path(&self, s: &str) -> Result<GPath, FsError> {
        self.guest.fs.path(Some(self.cwd), s)
    }
}

/// The message a program prints for a failed file operation.
fn says(prog: &str, e: &FsError) -> String {
    match e {
        FsError::NotFound(p) => format!("{prog}: {p}: No such file or directory"),
        FsError::AlreadyExists(p) => format!("{prog}: {p}: File exists"),
        FsError::NotADirectory(p) => format!("{prog}: {p}: Not a directory"),
        FsError::NotAFile(p) => format!("{prog}: {p}: Is a directory"),
        FsError::NotEmpty(p) => format!("{prog}: {p}: Directory not empty"),
        FsError::Denied(p) => format!("{prog}: {p}: Permission denied"),
        FsError::BadPath(p) => format!("{prog}: {p}: Invalid path"),
        FsError::TooLong(p) => format!("{prog}: {p}: File name too long"),
        FsError::TooBig(p) => format!("{prog}: {p}: File too large"),
        FsError::NoSpace(p) => format!("{prog}: {p}: No space left on device"),
    }
}

/// Splits `-abc` style flags from operands (a lone `-` or `--` ends flags).
fn flags(args: &[String]) -> (String, Vec<&str>) {
    let mut f = String::new();
    let mut rest = vec![];
    let mut done = false;
    for a in args {
        if !done && a == "--" {
            done = true;
        } else if !done && a.len() > 1 && a.starts_with('-') {
            f.push_str(&a[1..]);
        } else {
            rest.push(a.as_str());
        }
    }
    (f, rest)
}

/// A Linux program or builtin by name; `None` if the guest has no such program.
pub fn linux(ctx: &mut Ctx<'_>, name: &str, args: &[String], stdin: &[u8]) -> Option<Out> {
    let mut out = Out::default();
    match name {
        "true" => {}
        "false" => out.status = 1,
        "echo" => {
            let (no_newline, words) = match args.first().map(String::as_str) {
                Some("-n") => (true, &args[1..]),
                _ => (false, args),
            };
            out.stdout = words.join(" ").into_bytes();
            if !no_newline {
                out.stdout.push(b'\n');
            }
        }
        "pwd" => out.line(&ctx.cwd.display()),
        "hostname" => out.line(&ctx.guest.hostname.clone()),
        "uname" => {
            let (f, _) = flags(args);
            if f.contains('a') {
                let h = ctx.guest.hostname.clone();
                out.line(&format!("Linux {h} 5.15.0-vcsim #1 SMP x86_64 GNU/Linux"));
            } else {
                out.line("Linux");
            }
        }
        "cat" => {
            if args.is_empty() {
                out.stdout = stdin.to_vec();
            }
            for a in args {
                match ctx.path(a).and_then(|p| ctx.guest.fs.read(ctx.who(), &p)) {
                    Ok(b) if out.stdout.len() + b.len() > MAX_FILE => {
                        out.err(1, "cat: write error: File too large");
                        break;
                    }
                    Ok(b) => out.stdout.extend_from_slice(&b),
                    Err(e) => out.err(1, &says("cat", &e)),
                }
            }
        }
        "ls" => {
            let (f, mut paths) = flags(args);
            if paths.is_empty() {
                paths.push(".");
            }
            for a in paths {
                let listed = ctx.path(a).and_then(|p| {
                    let nodes = ctx.guest.fs.list(ctx.who(), &p)?;
                    Ok(nodes
                        .iter()
                        .filter(|n| f.contains('a') || !n.name().starts_with('.'))
                        .map(|n| n.name().to_string())
                        .collect::<Vec<_>>())
                });
                match listed {
                    Ok(names) => names.iter().for_each(|n| out.line(n)),
                    Err(e) => out.err(2, &says("ls", &e)),
                }
            }
        }
        "mkdir" => {
            let (f, dirs) = flags(args);
            for d in dirs {
                let now = ctx.now;
                let who = (ctx.user.to_string(), ctx.admin);
                let r = ctx.path(d).and_then(|p| {
                    let who = Who {
                        name: &who.0,
                        admin: who.1,
                    };
                    ctx.guest.fs.mkdir(who, &p, f.contains('p'), now)
                });
                if let Err(e) = r {
                    out.err(1, &says("mkdir", &e));
                }
            }
        }
        "rm" => {
            let (f, paths) = flags(args);
            let (recursive, force) = (f.contains('r') || f.contains('R'), f.contains('f'));
            for a in paths {
                let who = (ctx.user.to_string(), ctx.admin);
                let r = ctx.path(a).and_then(|p| {
                    let who = Who {
                        name: &who.0,
                        admin: who.1,
                    };
                    let fs = &mut ctx.guest.fs;
                    match fs.stat(who, &p)? {
                        n if n.is_dir() && !recursive => Err(FsError::NotAFile(p.display())),
                        n if n.is_dir() => fs.remove_dir(who, &p, true),
                        _ => fs.remove_file(who, &p),
                    }
                });
                match r {
                    Err(FsError::NotFound(_)) if force => {}
                    Err(e) => out.err(1, &says("rm", &e)),
                    Ok(()) => {}
                }
            }
        }
        "touch" => {
            let (_, paths) = flags(args);
            for a in paths {
                let (now, who) = (ctx.now, (ctx.user.to_string(), ctx.admin));
                let r = ctx.path(a).and_then(|p| {
                    let who = Who {
                        name: &who.0,
                        admin: who.1,
                    };
                    ctx.guest.fs.touch(who, &p, now)
                });
                if let Err(e) = r {
                    out.err(1, &says("touch", &e));
                }
            }
        }
        "cd" => cd(ctx, args.first().map(String::as_str), &mut out),
        "exit" => {
            out.status = args.first().and_then(|a| a.parse().ok()).unwrap_or(0);
            out.exit = true;
        }
        _ => return None,
    }
    Some(out)
}

fn cd(ctx: &mut Ctx<'_>, to: Option<&str>, out: &mut Out) {
    let home = match ctx.guest.fs.os {
        Os::Linux if ctx.user == "root" => "/root".to_string(),
        Os::Linux => format!("/home/{}", ctx.user),
        Os::Windows => format!("C:\\Users\\{}", ctx.user),
    };
    let target = ctx.path(to.unwrap_or(&home));
    match target.and_then(|p| match ctx.guest.fs.stat(ctx.who(), &p)? {
        n if n.is_dir() => Ok(p),
        _ => Err(FsError::NotADirectory(p.display())),
    }) {
        Ok(p) => *ctx.cwd = p,
        Err(e) => out.err(1, &says("cd", &e)),
    }
}

/// A cmd.exe builtin or a Windows program by name (lower case, no `.exe`);
/// `None` if cmd would say "is not recognized".
pub fn windows(ctx: &mut Ctx<'_>, name: &str, args: &[String], cmd: &Cmd) -> Option<Out> {
    let mut out = Out::default();
    let sw = |s: &str| args.iter().any(|a| a.eq_ignore_ascii_case(s));
    let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('/')).collect();
    match name {
        "echo" => {
            // What follows `echo` and one separator, spacing as typed.
            let text = match cmd.raw.first() {
                Some(word) => cmd
                    .text
                    .trim_start()
                    .strip_prefix(word.as_str())
                    .map(|r| r.strip_prefix([' ', '\t']).unwrap_or(r))
                    .unwrap_or(""),
                None => "",
            };
            if text.is_empty() {
                out.line("ECHO is on.");
            } else {
                out.stdout = format!("{text}\r\n").into_bytes();
            }
        }
        "hostname" => out.stdout = format!("{}\r\n", ctx.guest.hostname).into_bytes(),
        "cd" | "chdir" if operands.is_empty() => out.line(&ctx.cwd.display()),
        "cd" | "chdir" => cd(ctx, operands.first().map(|s| s.as_str()), &mut out),
        "type" => {
            for a in operands {
                match ctx.path(a).and_then(|p| ctx.guest.fs.read(ctx.who(), &p)) {
                    Ok(b) if out.stdout.len() + b.len() > MAX_FILE => {
                        out.err(1, "There is not enough space on the disk.");
                        break;
                    }
                    Ok(b) => out.stdout.extend_from_slice(&b),
                    Err(_) => out.err(1, "The system cannot find the file specified."),
                }
            }
        }
        "dir" => {
            let target = operands.first().map(|s| s.as_str()).unwrap_or(".");
            match ctx
                .path(target)
                .and_then(|p| ctx.guest.fs.list(ctx.who(), &p).map(|n| (p, n)))
            {
                Ok((p, nodes)) => {
                    out.line(&format!(" Directory of {}\r", p.display()));
                    for n in nodes {
                        let kind = if n.is_dir() { "<DIR>    " } else { "         " };
                        out.line(&format!("{kind} {}\r", n.name()));
                    }
                }
                Err(_) => out.err(1, "File Not Found"),
            }
        }
        "mkdir" | "md" => {
            for a in operands {
                let (now, who) = (ctx.now, (ctx.user.to_string(), ctx.admin));
                let r = ctx.path(a).and_then(|p| {
                    let who = Who {
                        name: &who.0,
                        admin: who.1,
                    };
                    // cmd's mkdir makes the missing parents too, but not an existing dir.
                    if ctx.guest.fs.get(&p).is_some() {
                        return Err(FsError::AlreadyExists(p.display()));
                    }
                    ctx.guest.fs.mkdir(who, &p, true, now)
                });
                if let Err(e) = r {
                    out.err(1, &says("mkdir", &e));
                }
            }
        }
        "del" | "erase" => {
            for a in operands {
                let who = (ctx.user.to_string(), ctx.admin);
                let r = ctx.path(a).and_then(|p| {
                    ctx.guest.fs.remove_file(
                        Who {
                            name: &who.0,
                            admin: who.1,
                        },
                        &p,
                    )
                });
                if let Err(e) = r {
                    out.err(1, &says("del", &e));
                }
            }
        }
        "rmdir" | "rd" => {
            let recursive = sw("/s");
            for a in operands {
                let who = (ctx.user.to_string(), ctx.admin);
                let r = ctx.path(a).and_then(|p| {
                    ctx.guest.fs.remove_dir(
                        Who {
                            name: &who.0,
                            admin: who.1,
                        },
                        &p,
                        recursive,
                    )
                });
                if let Err(e) = r {
                    out.err(
                        if matches!(e, FsError::NotEmpty(_)) {
                            145
                        } else {
                            2
                        },
                        &says("rmdir", &e),
                    );
                }
            }
        }
        "exit" => {
            let code = operands.first().and_then(|a| a.parse().ok()).unwrap_or(0);
            out.status = code;
            out.exit = true;
        }
        _ => return None,
    }
    Some(out)
}

/// Writes `bytes` to a redirection target (`>` replaces, `>>` appends).
pub fn redirect(ctx: &mut Ctx<'_>, path: &str, bytes: &[u8], append: bool) -> Result<(), String> {
    let mode = if append {
        WriteMode::Append
    } else {
        WriteMode::Replace
    };
    let (now, who) = (ctx.now, (ctx.user.to_string(), ctx.admin));
    ctx.path(path)
        .and_then(|p| {
            ctx.guest.fs.write(
                Who {
                    name: &who.0,
                    admin: who.1,
                },
                &p,
                bytes,
                mode,
                now,
            )
        })
        .map_err(|e| says("sh", &e))
}

/// A failure as a program's result.
pub fn failed(status: i32, message: String) -> Out {
    Out::fail(status, message)
}
