//! How a guest runs one command: shell builtins, programs found on the
//! guest's PATH (or by path), nested shells and `#!` script files run at
//! once, `sleep` handed back to the process table to wait in simulated time.

use super::Guest;
use super::fs::{GPath, Os, Who};
use super::process::{Exec, MAX_DEPTH, Sh};
use super::programs::{self, Ctx, Out};
use super::shell::{self, Cmd, Join};

impl Guest {
    pub(super) fn command(&mut self, sh: &mut Sh, cmd: &Cmd, stdin: &[u8]) -> Exec {
        let Some(word) = cmd.words.first() else {
            return Exec::Done(Out::default());
        };
        let args = &cmd.words[1..];
        let os = self.os;
        let name = shell::program_name(os, word);
        if let Some(out) = assignment(os, sh, &name, cmd) {
            return Exec::Done(out);
        }
        // Shell builtins, and the programs a seeded guest has on its PATH.
        let builtin = match os {
            Os::Linux => {
                matches!(
                    name.as_str(),
                    "echo" | "cd" | "exit" | "pwd" | "true" | "false"
                ) && !word.contains('/')
            }
            Os::Windows => matches!(
                name.as_str(),
                "echo"
                    | "type"
                    | "dir"
                    | "mkdir"
                    | "md"
                    | "del"
                    | "erase"
                    | "rmdir"
                    | "rd"
                    | "cd"
                    | "chdir"
                    | "exit"
            ),
        };
        if !builtin && !self.on_path(sh, word) {
            return Exec::Done(match os {
                Os::Linux => programs::failed(127, format!("sh: {word}: not found")),
                Os::Windows => programs::failed(
                    9009,
                    format!("'{word}' is not recognized as an internal or external command"),
                ),
            });
        }
        let sleep_secs = match (os, name.as_str()) {
            (Os::Linux, "sleep") => Some(args.first().and_then(|a| a.parse::<f64>().ok())),
            (Os::Windows, "timeout") => Some(
                args.iter()
                    .skip_while(|a| !a.eq_ignore_ascii_case("/t"))
                    .nth(1)
                    .and_then(|a| a.parse::<f64>().ok()),
            ),
            _ => None,
        };
        match sleep_secs {
            Some(Some(s)) if s >= 0.0 => return Exec::Sleep(s),
            Some(_) => {
                return Exec::Done(programs::failed(
                    1,
                    format!("{name}: invalid time interval"),
                ));
            }
            None => {}
        }
        let nested = match (os, name.as_str()) {
            (Os::Linux, "sh" | "bash") => args
                .first()
                .filter(|f| *f == "-c")
                .map(|_| args.get(1).cloned().unwrap_or_default()),
            (Os::Windows, "cmd") => shell::inner_script(os, &vec![(Join::Seq, cmd.clone())]),
            _ => None,
        };
        if let Some(line) = nested {
            return Exec::Done(self.nested(sh, &line));
        }
        let mut ctx = Ctx {
            guest: self,
            user: &sh.user,
            admin: sh.admin,
            cwd: &mut sh.cwd,
            now: sh.t,
        };
        let ran = match os {
            Os::Linux => programs::linux(&mut ctx, &name, args, stdin),
            Os::Windows => programs::windows(&mut ctx, &name, args, cmd),
        };
        Exec::Done(match ran {
            Some(out) => out,
            None => self.script_file(sh, word),
        })
    }

    /// A nested shell (`sh -c LINE`, `cmd /c LINE`, a script file): a
    /// subshell with a copy of the caller's state.
    fn nested(&mut self, sh: &Sh, line: &str) -> Out {
        if sh.depth >= MAX_DEPTH {
            return programs::failed(126, "sh: scripts nest too deep".into());
        }
        match shell::parse(self.os, line) {
            Ok(s) => {
                let mut inner = sh.clone();
                inner.depth += 1;
                self.run_inline(&mut inner, &s)
            }
            Err(e) => programs::failed(2, format!("sh: {e}")),
        }
    }

    /// A program file the simulator does not know: a `#!` script runs its
    /// lines; anything else cannot be executed.
    fn script_file(&mut self, sh: &Sh, word: &str) -> Out {
        let who = Who {
            name: &sh.user,
            admin: sh.admin,
        };
        let body = self
            .resolve(&sh.cwd, word)
            .and_then(|p| self.fs.read(who, &p).ok());
        match body {
            Some(b) if b.starts_with(b"#!") => {
                let text = String::from_utf8_lossy(&b);
                let lines: Vec<&str> = text.lines().skip(1).collect();
                self.nested(sh, &lines.join("\n"))
            }
            _ => programs::failed(126, format!("sh: {word}: cannot execute binary file")),
        }
    }

    /// The program file a command word names: a path, or a name looked up
    /// on the guest's PATH.
    fn resolve(&self, cwd: &GPath, word: &str) -> Option<GPath> {
        if word.contains(['/', '\\']) {
            return self.fs.path(Some(cwd), word).ok();
        }
        let root = self.fs.root();
        let dirs = match self.os {
            Os::Linux => vec![root.join("usr").join("bin"), root.join("bin")],
            Os::Windows => vec![root.join("Windows").join("System32"), cwd.clone()],
        };
        let names = match self.os {
            Os::Linux => vec![word.to_string()],
            Os::Windows if word.to_lowercase().ends_with(".exe") => vec![word.to_string()],
            Os::Windows => vec![format!("{word}.exe"), word.to_string()],
        };
        dirs.iter()
            .flat_map(|d| names.iter().map(move |n| d.join(n)))
            .find(|p| self.fs.get(p).is_some_and(|n| !n.is_dir()))
    }

    fn on_path(&self, sh: &Sh, word: &str) -> bool {
        let who = Who {
            name: &sh.user,
            admin: sh.admin,
        };
        self.resolve(&sh.cwd, word)
            .is_some_and(|p| self.fs.stat(who, &p).is_ok_and(|n| !n.is_dir()))
    }
}

/// `NAME=value` and `export NAME=value` (Linux), `set NAME=value` (Windows):
/// the shell's own variables, for the commands after it.
fn assignment(os: Os, sh: &mut Sh, name: &str, cmd: &Cmd) -> Option<Out> {
    let words: &[String] = match (os, name) {
        (Os::Linux, "export") => cmd.words.get(1..)?,
        (Os::Linux, _) if cmd.words.iter().all(|w| w.contains('=')) => &cmd.words,
        (Os::Windows, "set") => {
            let line = cmd.words.get(1..)?.join(" ");
            let (k, v) = line.split_once('=')?;
            sh.set(k.trim(), v);
            return Some(Out::default());
        }
        _ => return None,
    };
    for w in words {
        if let Some((k, v)) = w.split_once('=')
            && !k.is_empty()
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            sh.set(k, v);
        }
    }
    Some(Out::default())
}
