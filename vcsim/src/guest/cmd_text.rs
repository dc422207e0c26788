//! What cmd's `echo` prints from: each command of a cmd line as typed,
//! spacing kept and `^` escapes applied, its redirections taken out.

/// Each command of a cmd line as typed, without its redirections (`> x`
/// and the space before its target go; the spaces around stay, as cmd
/// keeps them), in the order `shell::parse` finds the commands.
pub(crate) fn command_texts(line: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    // Inside a redirection: 0 no, 1 before its target, 2 in its target.
    let mut redir = 0;
    while let Some(c) = chars.next() {
        if redir == 1 && c.is_whitespace() {
            continue;
        }
        if redir == 2 && !quoted && (c.is_whitespace() || matches!(c, '&' | '|' | '>')) {
            redir = 0;
        }
        match c {
            '"' => quoted = !quoted,
            '^' if !quoted => {
                // The caret goes; the character it escapes stays.
                if redir == 0 {
                    cur.extend(chars.next());
                } else {
                    chars.next();
                }
                continue;
            }
            '&' | '|' if !quoted => {
                if chars.peek() == Some(&c) {
                    chars.next();
                }
                out.push(std::mem::take(&mut cur));
                continue;
            }
            '>' if !quoted => {
                if cur.ends_with('2') {
                    cur.pop();
                }
                if chars.peek() == Some(&'>') {
                    chars.next();
                }
                // `>&1`, `2>&1`: a handle, not a file.
                if chars.peek() == Some(&'&') {
                    chars.next();
                    chars.next_if(char::is_ascii_digit);
                    continue;
                }
                redir = 1;
                continue;
            }
            _ => {}
        }
        if redir == 1 {
            redir = 2;
        }
        if redir == 0 {
            cur.push(c);
        }
    }
    out.push(cur);
    out.retain(|t| !t.trim().is_empty());
    out
}

#[cfg(test)]
mod tests {
    use crate::guest::fs::Os;
    use crate::guest::shell::parse;

    #[test]
    fn cmd_commands_keep_their_spacing_without_redirections() {
        let s = parse(
            Os::Windows,
            r#"echo  a "b > c"  >> C:\out.txt 2> C:\err & echo x^&y|more"#,
        )
        .expect("parses");
        let texts: Vec<&str> = s.iter().map(|(_, c)| c.text.as_str()).collect();
        assert_eq!(texts, [r#"echo  a "b > c"    "#, " echo x&y", "more"]);
        assert_eq!(s[0].1.redirects.len(), 2);
        let s = parse(Os::Windows, "echo a 2>&1 & echo b").expect("parses");
        let texts: Vec<&str> = s.iter().map(|(_, c)| c.text.as_str()).collect();
        assert_eq!(texts, ["echo a  ", " echo b"]);
    }
}
