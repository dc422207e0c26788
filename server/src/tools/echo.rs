//! What a failed tool call may say back about its own input.
//!
//! Error messages name what the caller asked for ("VM 'web-01' not found"),
//! which is what makes them useful — and what makes hostile input dangerous:
//! a 1 MB "name" would come back as a 1 MB error, in the client's context
//! and in the log, and a name with terminal escapes would be replayed into
//! whatever displays it. So every tool error passes through [`Echoes`] on its
//! way out of [`super::call`]: any argument string longer than
//! [`ECHO_LIMIT`] is shortened wherever the message quotes it (verbatim or
//! in Rust's escaped `{:?}` form), control characters are written as
//! escapes, and the whole message is capped at [`MESSAGE_LIMIT`] ([`Echoes::bound`]).

use serde_json::{Map, Value as Json};

/// The most characters of one argument an error message repeats.
pub const ECHO_LIMIT: usize = 160;
/// The longest error message a tool returns (a list of valid names fits).
pub const MESSAGE_LIMIT: usize = 8 * 1024;

/// The long strings of one call's arguments (keys included), as much of
/// each as a capped message could hold — kept before the handler consumes
/// the arguments, without copying a 64 MB upload.
#[derive(Debug, Default)]
pub struct Echoes {
    /// (first characters, verbatim or escaped; the whole string's length in characters).
    heads: Vec<(String, usize)>,
}

impl Echoes {
    pub fn of(args: &Map<String, Json>) -> Echoes {
        let mut e = Echoes::default();
        for (k, v) in args {
            e.add(k);
            e.walk(v, 0);
        }
        e
    }

    fn walk(&mut self, v: &Json, depth: usize) {
        // serde_json already bounds nesting (128); this only keeps the walk cheap.
        if depth > 64 {
            return;
        }
        match v {
            Json::String(s) => self.add(s),
            Json::Array(items) => items.iter().for_each(|i| self.walk(i, depth + 1)),
            Json::Object(m) => m.iter().for_each(|(k, i)| {
                self.add(k);
                self.walk(i, depth + 1);
            }),
            _ => {}
        }
    }

    fn add(&mut self, s: &str) {
        // Every call passes here: most strings are short, and no longer in
        // bytes than the limit in characters needs no counting.
        if s.len() <= ECHO_LIMIT {
            return;
        }
        let total = s.chars().count();
        if total <= ECHO_LIMIT {
            return;
        }
        let head: String = s.chars().take(MESSAGE_LIMIT + 1).collect();
        let escaped = format!("{head:?}");
        let escaped = escaped[1..escaped.len() - 1].to_string();
        if escaped != head {
            self.heads.push((escaped, total));
        }
        self.heads.push((head, total));
    }

    /// `message` capped, with every quotation of a long argument shortened
    /// and control characters escaped.
    pub fn bound(&self, message: &str) -> String {
        let mut out = cap(message);
        for (head, total) in &self.heads {
            out = shorten_quotes(&out, head, *total);
        }
        escape_controls(&out)
    }
}

/// One caller-given string as a message may quote it: at most
/// [`ECHO_LIMIT`] characters (with the whole length), control characters
/// escaped — for names that are not tool arguments (a tool's or a
/// resource's name).
pub fn quote(s: &str) -> String {
    let total = s.chars().count();
    if total <= ECHO_LIMIT {
        return escape_controls(s);
    }
    let prefix: String = s.chars().take(ECHO_LIMIT).collect();
    escape_controls(&format!("{prefix}… [{total} characters in all]"))
}

/// Every run of `message` that repeats more than [`ECHO_LIMIT`] characters
/// of `head` from its start, replaced by the first characters and the length.
fn shorten_quotes(message: &str, head: &str, total: usize) -> String {
    let probe: String = head.chars().take(ECHO_LIMIT + 1).collect();
    if !message.contains(&probe) {
        return message.to_string();
    }
    let prefix: String = head.chars().take(ECHO_LIMIT).collect();
    let short = format!("{prefix}… [{total} characters in all]");
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(&probe) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        // How far the quotation follows the argument (it may be cut short).
        let matched: usize = tail
            .char_indices()
            .zip(head.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, c), _)| i + c.len_utf8());
        out.push_str(&short);
        rest = &tail[matched..];
    }
    out.push_str(rest);
    out
}

fn escape_controls(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn cap(s: &str) -> String {
    let total = s.chars().count();
    if total <= MESSAGE_LIMIT {
        return s.to_string();
    }
    let head: String = s.chars().take(MESSAGE_LIMIT).collect();
    format!("{head}… [message shortened: {total} characters in all]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bound(msg: &str, v: Json) -> String {
        let Json::Object(m) = v else {
            panic!("arguments are an object")
        };
        Echoes::of(&m).bound(msg)
    }

    #[test]
    fn a_long_argument_is_quoted_as_a_prefix_with_its_length() {
        let name = "x".repeat(10_000);
        let msg = format!("VM '{name}' not found");
        let out = bound(&msg, json!({ "name": name }));
        assert!(out.len() < 400, "{out}");
        assert!(out.contains("[10000 characters in all]"), "{out}");
        assert!(out.starts_with("VM 'xxx"), "{out}");
    }

    #[test]
    fn the_escaped_form_of_a_long_argument_is_shortened_too() {
        let name = format!("{}\u{1b}[31m", "y\n".repeat(500));
        let msg = format!("no such file {name:?}");
        let out = bound(&msg, json!({ "path": name }));
        assert!(out.len() < 400, "{out}");
    }

    #[test]
    fn control_characters_are_escaped_and_short_messages_kept() {
        let out = bound("bad name 'a\u{1b}[2Jb'", json!({}));
        assert_eq!(out, "bad name 'a\\u{1b}[2Jb'");
        assert_eq!(bound("VM 'vm1' not found", json!({})), "VM 'vm1' not found");
    }

    #[test]
    fn a_quotation_cut_short_by_the_cap_is_shortened_too() {
        let name = "q".repeat(MESSAGE_LIMIT * 2);
        let out = bound(
            &format!("VM '{name}' not found"),
            json!({ "vm_name": name }),
        );
        assert!(out.chars().count() < 400, "{out}");
    }

    #[test]
    fn a_quoted_name_is_short_and_printable() {
        assert_eq!(quote("vm1"), "vm1");
        assert_eq!(quote("a\u{7}"), "a\\u{7}");
        let q = quote(&"n".repeat(5000));
        assert!(
            q.ends_with("[5000 characters in all]") && q.len() < 200,
            "{q}"
        );
    }

    #[test]
    fn a_huge_message_is_capped() {
        let out = bound(&"z".repeat(MESSAGE_LIMIT * 3), json!({}));
        assert!(out.chars().count() < MESSAGE_LIMIT + 80);
        assert!(out.ends_with("characters in all]"));
    }
}
