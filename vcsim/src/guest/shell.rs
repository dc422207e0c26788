//! Command lines as a guest's shell reads them: `sh -c` on Linux (quotes,
//! backslash escapes, `;`, `&&`, `||`, `|`, `>`, `>>`, `2>`), `cmd.exe /c` on
//! Windows (double quotes, `^` escapes, `&`, `&&`, `||`, `|`, `>`, `>>`).
//! Variables are expanded when a command runs (`expand.rs`); no globs or
//! subshells.

use super::fs::Os;

/// How a command joins the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Join {
    /// `;`, `&` (Windows), a background `&` (Linux, run in order here), or first.
    Seq,
    And,
    Or,
    /// `|`: the previous command's stdout is this one's stdin.
    Pipe,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub path: String,
    pub append: bool,
    /// `2>`: the command's stderr rather than stdout.
    pub stderr: bool,
}

/// One simple command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cmd {
    /// Words with quotes removed.
    pub words: Vec<String>,
    /// The same words as typed.
    pub raw: Vec<String>,
    pub redirects: Vec<Redirect>,
    /// Windows: the command as typed, spacing kept, its redirections taken
    /// out — what cmd's `echo` prints from.
    pub text: String,
}

pub type Script = Vec<(Join, Cmd)>;

/// Marks the next character of a word as literal (a `$` the user quoted or
/// escaped), until `expand::expand` drops it.
pub(crate) const LITERAL: char = '\u{1}';

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String, String),
    Op(Join),
    Redir { append: bool, stderr: bool },
}

// `flush!` resets `in_word` for the next word, which the last flush never reads.
#[allow(unused_assignments)]
fn tokens(os: Os, line: &str) -> Result<Vec<Tok>, String> {
    let mut out = vec![];
    let mut chars = line.chars().peekable();
    let (mut word, mut raw, mut in_word) = (String::new(), String::new(), false);
    macro_rules! flush {
        () => {
            if in_word {
                out.push(Tok::Word(
                    std::mem::take(&mut word),
                    std::mem::take(&mut raw),
                ));
                in_word = false;
            }
        };
    }
    while let Some(c) = chars.next() {
        match c {
            // A new line ends a command on Linux, as `;` does (script files).
            ' ' | '\t' | '\r' | '\n' if c != '\n' || os == Os::Windows => flush!(),
            '\'' if os == Os::Linux => {
                in_word = true;
                raw.push(c);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some('$') => {
                            word.push(LITERAL);
                            word.push('$');
                        }
                        Some(x) => word.push(x),
                        None => return Err("unterminated quote (')".into()),
                    }
                }
                raw.push('\'');
            }
            '"' => {
                in_word = true;
                raw.push(c);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') if os == Os::Linux => match chars.next() {
                            Some('$') => {
                                word.push(LITERAL);
                                word.push('$');
                            }
                            Some(x @ ('"' | '\\' | '`')) => word.push(x),
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err("unterminated quote (\")".into()),
                        },
                        Some(x) => {
                            word.push(x);
                            raw.push(x);
                        }
                        None => return Err("unterminated quote (\")".into()),
                    }
                }
                raw.push('"');
            }
            '\\' if os == Os::Linux => {
                in_word = true;
                if let Some(x) = chars.next() {
                    if x == '$' {
                        word.push(LITERAL);
                    }
                    word.push(x);
                    raw.push(x);
                }
            }
            '^' if os == Os::Windows => {
                in_word = true;
                if let Some(x) = chars.next() {
                    word.push(x);
                    raw.push(x);
                }
            }
            ';' | '\n' if os == Os::Linux => {
                flush!();
                out.push(Tok::Op(Join::Seq));
            }
            '&' | '|' => {
                flush!();
                let double = chars.peek() == Some(&c);
                if double {
                    chars.next();
                }
                out.push(Tok::Op(match (c, double) {
                    ('&', true) => Join::And,
                    ('&', false) => Join::Seq,
                    ('|', true) => Join::Or,
                    _ => Join::Pipe,
                }));
            }
            '>' => {
                // `2>` when the word so far is exactly an unquoted `2`.
                let stderr = in_word && word == "2" && raw == "2";
                if stderr {
                    word.clear();
                    raw.clear();
                } else {
                    flush!();
                }
                in_word = false;
                let append = chars.peek() == Some(&'>');
                if append {
                    chars.next();
                }
                out.push(Tok::Redir { append, stderr });
            }
            c => {
                in_word = true;
                word.push(c);
                raw.push(c);
            }
        }
    }
    flush!();
    Ok(out)
}

/// Parses a command line into commands and how they join.
pub fn parse(os: Os, line: &str) -> Result<Script, String> {
    let mut script: Script = vec![];
    let mut cur = Cmd::default();
    let mut join = Join::Seq;
    let mut toks = tokens(os, line)?.into_iter().peekable();
    while let Some(t) = toks.next() {
        match t {
            Tok::Word(w, r) => {
                cur.words.push(w);
                cur.raw.push(r);
            }
            Tok::Redir { append, stderr } => match toks.next() {
                // `2>&1`: stderr joins stdout, which is what happens to it here anyway.
                Some(Tok::Op(Join::Seq)) if stderr => {
                    if let Some(Tok::Word(w, _)) = toks.peek()
                        && w == "1"
                    {
                        toks.next();
                    }
                }
                Some(Tok::Word(path, _)) => cur.redirects.push(Redirect {
                    path,
                    append,
                    stderr,
                }),
                _ => return Err("syntax error: a redirection needs a file name".into()),
            },
            Tok::Op(op) => {
                if cur.words.is_empty() {
                    if op == Join::Seq && cur.redirects.is_empty() {
                        continue;
                    }
                    return Err("syntax error near an operator".into());
                }
                script.push((join, std::mem::take(&mut cur)));
                join = op;
            }
        }
    }
    if !cur.words.is_empty() {
        script.push((join, cur));
    } else if join != Join::Seq || !cur.redirects.is_empty() {
        return Err("syntax error: unexpected end of the command line".into());
    }
    if os == Os::Windows {
        let texts = super::cmd_text::command_texts(line);
        let aligned = texts.len() == script.len();
        for (i, (_, cmd)) in script.iter_mut().enumerate() {
            cmd.text = match texts.get(i) {
                Some(t) if aligned => t.clone(),
                // A line this scan reads differently: the words, single-spaced.
                _ => cmd.raw.join(" "),
            };
        }
    }
    Ok(script)
}

/// The script a shell runs when the whole line is `sh -c S` / `bash -c S`
/// (Linux) or `cmd.exe /c S` (Windows), unwrapped as often as it nests;
/// `None` when the line is something else.
pub fn inner_script(os: Os, script: &Script) -> Option<String> {
    let [(_, cmd)] = script.as_slice() else {
        return None;
    };
    if !cmd.redirects.is_empty() {
        return None;
    }
    let name = program_name(os, cmd.words.first()?);
    let flag = cmd.words.get(1)?;
    let shell = match os {
        Os::Linux => matches!(name.as_str(), "sh" | "bash") && flag == "-c",
        Os::Windows => name == "cmd" && flag.eq_ignore_ascii_case("/c"),
    };
    if !shell {
        return None;
    }
    Some(match os {
        // The inner shell reads the text as written, and expands it itself.
        Os::Linux => cmd
            .words
            .get(2)
            .map(|w| w.replace(LITERAL, ""))
            .unwrap_or_default(),
        // cmd.exe takes the rest of the line as typed.
        Os::Windows => unquote(&cmd.raw.get(2..).unwrap_or_default().join(" ")),
    })
}

/// The line `cmd.exe` runs for its `arguments` (`/c LINE`, `/k LINE`), as
/// typed: on Windows a program gets its argument string unparsed, so the
/// operators and redirections in it are cmd's to read.
pub fn cmd_exe_line(arguments: &str) -> Option<String> {
    let a = arguments.trim_start();
    let flag = a.get(..2)?;
    if !(flag.eq_ignore_ascii_case("/c") || flag.eq_ignore_ascii_case("/k")) {
        return None;
    }
    Some(unquote(a.get(2..)?.trim()))
}

/// cmd's rule for `/c "LINE"`: one pair of quotes around the whole line goes.
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if !inner.contains('"') => inner.to_string(),
        _ => s.to_string(),
    }
}

/// A program's name as the process table shows it and the simulator
/// dispatches on: the path's last component (Windows: lower case, no `.exe`).
pub fn program_name(os: Os, path: &str) -> String {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match os {
        Os::Linux => base.to_string(),
        Os::Windows => {
            let l = base.to_lowercase();
            l.strip_suffix(".exe").map(str::to_string).unwrap_or(l)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &Script) -> Vec<(Join, Vec<String>)> {
        s.iter().map(|(j, c)| (*j, c.words.clone())).collect()
    }

    #[test]
    fn linux_quotes_operators_and_redirections() {
        let s = parse(
            Os::Linux,
            r#"echo "a b" 'c;d' e\ f > /tmp/x; false && echo no || echo yes >> /tmp/x"#,
        )
        .expect("parses");
        let w = words(&s);
        assert_eq!(
            w[0],
            (
                Join::Seq,
                vec!["echo".into(), "a b".into(), "c;d".into(), "e f".into()]
            )
        );
        assert_eq!(
            s[0].1.redirects[0],
            Redirect {
                path: "/tmp/x".into(),
                append: false,
                stderr: false
            }
        );
        assert_eq!(w[1].0, Join::Seq);
        assert_eq!(w[2].0, Join::And);
        assert_eq!(w[3], (Join::Or, vec!["echo".into(), "yes".into()]));
        assert!(s[3].1.redirects[0].append);
        let s = parse(Os::Linux, "ls /nope 2> /tmp/err | cat").expect("parses");
        assert!(s[0].1.redirects[0].stderr);
        assert_eq!(s[1].0, Join::Pipe);
        assert!(parse(Os::Linux, "echo 'open").is_err());
        assert!(parse(Os::Linux, "echo >").is_err());
        assert!(parse(Os::Linux, "&& echo").is_err());
    }

    #[test]
    fn sh_dash_c_and_cmd_slash_c_unwrap() {
        let s = parse(Os::Linux, r#""/bin/sh" -c "echo hi > /tmp/x; sleep 1""#).expect("parses");
        assert_eq!(
            inner_script(Os::Linux, &s).as_deref(),
            Some("echo hi > /tmp/x; sleep 1")
        );
        // On Windows the redirection belongs to the line cmd reads.
        assert_eq!(
            cmd_exe_line(r#"/c echo "hi there" > C:\Temp\x.txt"#).as_deref(),
            Some(r#"echo "hi there" > C:\Temp\x.txt"#)
        );
        assert_eq!(
            cmd_exe_line(r#"/C "echo hi & dir""#).as_deref(),
            Some("echo hi & dir")
        );
        assert_eq!(cmd_exe_line("echo hi"), None);
        let s = parse(Os::Windows, r#"cmd /c "echo a & echo b""#).expect("parses");
        assert_eq!(
            inner_script(Os::Windows, &s).as_deref(),
            Some("echo a & echo b")
        );
        assert_eq!(
            program_name(Os::Windows, r"C:\Windows\System32\CMD.EXE"),
            "cmd"
        );
    }
}
