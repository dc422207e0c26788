//! Shell variables: `$NAME`, `${NAME}`, `$?` (Linux; not inside single
//! quotes or after a backslash), `%NAME%` (Windows, any case), expanded in a
//! command's words and redirection targets when it runs.

use super::fs::Os;
use super::shell::{Cmd, LITERAL, Redirect};

/// `cmd` with its variables expanded by `var` (unknown ones: empty on
/// Linux, left as typed on Windows, as the shells do).
pub fn expand(os: Os, cmd: &Cmd, var: impl Fn(&str) -> Option<String>) -> Cmd {
    let f = |w: &str| match os {
        Os::Linux => expand_linux(w, &var),
        Os::Windows => expand_windows(w, &var),
    };
    Cmd {
        words: cmd.words.iter().map(|w| f(w)).collect(),
        raw: match os {
            Os::Linux => cmd.raw.clone(),
            Os::Windows => cmd.raw.iter().map(|w| f(w)).collect(),
        },
        text: match os {
            Os::Linux => cmd.text.clone(),
            Os::Windows => f(&cmd.text),
        },
        redirects: cmd
            .redirects
            .iter()
            .map(|r| Redirect {
                path: f(&r.path),
                ..r.clone()
            })
            .collect(),
    }
}

fn expand_linux(w: &str, var: &impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut it = w.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            LITERAL => out.extend(it.next()),
            '$' => match it.peek().copied() {
                Some('{') => {
                    it.next();
                    let name: String = it.by_ref().take_while(|c| *c != '}').collect();
                    out.push_str(&var(&name).unwrap_or_default());
                }
                Some('?') => {
                    it.next();
                    out.push_str(&var("?").unwrap_or_default());
                }
                Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                    let mut name = String::new();
                    while let Some(c) = it.peek().copied()
                        && (c.is_ascii_alphanumeric() || c == '_')
                    {
                        name.push(c);
                        it.next();
                    }
                    out.push_str(&var(&name).unwrap_or_default());
                }
                _ => out.push('$'),
            },
            c => out.push(c),
        }
    }
    out
}

fn expand_windows(w: &str, var: &impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = w;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('%') {
            Some(j) if j > 0 => {
                let name = &after[..j];
                match var(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[i..i + j + 2]),
                }
                rest = &after[j + 1..];
            }
            _ => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest::shell::parse;

    #[test]
    fn variables_expand_unless_quoted() {
        let var = |n: &str| match n {
            "HOME" => Some("/root".to_string()),
            "?" => Some("3".to_string()),
            _ => None,
        };
        let s = parse(
            Os::Linux,
            r#"echo $HOME "${HOME}/x" '$HOME' \$HOME $? $NOPE$ > $HOME/out"#,
        )
        .expect("parses");
        let c = expand(Os::Linux, &s[0].1, var);
        assert_eq!(
            c.words,
            ["echo", "/root", "/root/x", "$HOME", "$HOME", "3", "$"]
        );
        assert_eq!(c.redirects[0].path, "/root/out");
        let s = parse(Os::Windows, "echo %home% %NOPE% 100%").expect("parses");
        let c = expand(Os::Windows, &s[0].1, |n: &str| {
            n.eq_ignore_ascii_case("home")
                .then(|| "C:\\Users\\u".to_string())
        });
        assert_eq!(c.raw, ["echo", "C:\\Users\\u", "%NOPE%", "100%"]);
    }
}
