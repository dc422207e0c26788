//! The audit log: one JSON object per line, appended to `AUDIT_LOG` or
//! written to stderr — never stdout, which belongs to MCP on stdio.
//!
//! Records: every tool call once it has finished (`outcome` `ok` | `error`),
//! every denial (`denied`, tools and resources), and authentication events.
//! Arguments pass through [`redact`] first, so no password, token or key an
//! argument carries reaches the log.
//!
//! # For the auth layer
//!
//! Call [`auth_event`]`(kind, subject, outcome, detail)` once per
//! authentication decision, e.g.
//! `auth_event("token", Some(&sub), "ok", "proxy token accepted")` or
//! `auth_event("token", None, "denied", "expired")`. It writes to the log
//! [`install`]ed at start-up (stderr before that). `kind` names the step
//! (`token`, `api_key`, `authorize`, `callback`, `register`, …), `outcome` is
//! `ok` | `denied` | `error`. `detail` is written as given: put a reason in
//! it, never a token, code, secret or key. With a handle at hand,
//! [`AuditLog::auth_event`] does the same without the global.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::config::{AccessSettings, ConfigError};
use crate::rbac::Caller;

/// Argument keys whose values never reach a record (substring, any case).
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "secret",
    "token",
    "key",
    "credential",
    "passphrase",
];

pub const REDACTED: &str = "[REDACTED]";

/// Whether an argument named `key` holds a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_KEY_PARTS.iter().any(|p| k.contains(p))
}

/// `v` with the value of every secret-named key, at any depth, replaced by
/// `"[REDACTED]"`.
pub fn redact(v: &Json) -> Json {
    match v {
        Json::Object(m) => Json::Object(redact_map(m)),
        Json::Array(a) => Json::Array(a.iter().map(redact).collect()),
        Json::String(t) if t.len() > MAX_LOGGED_STRING => Json::String(shorten(t)),
        other => other.clone(),
    }
}

/// The longest argument string a record keeps whole: file contents
/// (`write_guest_file`, `upload_to_datastore`'s base64) are the caller's
/// data, not a record of what was asked, and would make one line megabytes.
pub const MAX_LOGGED_STRING: usize = 256;

/// The first [`MAX_LOGGED_STRING`] bytes (cut on a character boundary) and
/// how long the whole was.
fn shorten(t: &str) -> String {
    let mut end = MAX_LOGGED_STRING;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} bytes in all]", &t[..end], t.len())
}

fn redact_map(m: &Map<String, Json>) -> Map<String, Json> {
    m.iter()
        .map(|(k, v)| {
            let v = if is_secret_key(k) {
                Json::String(REDACTED.into())
            } else {
                redact(v)
            };
            (k.clone(), v)
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Error,
    Denied,
    /// Refused by the caller's rate limit (`MCVSPHERE_RATE_LIMIT`); the tool did not run.
    RateLimited,
}

/// One tool call or resource read, as the MCP handler saw it.
#[derive(Debug)]
pub struct Call<'a> {
    /// The JSON-RPC id.
    pub request_id: String,
    pub caller: &'a Caller,
    /// `Some` for tool calls.
    pub tool: Option<&'a str>,
    /// `Some` for resource reads.
    pub resource: Option<&'a str>,
    /// As received; redacted when written.
    pub arguments: Option<&'a Map<String, Json>>,
}

/// The line format. Field order is the order written; absent fields are left
/// out rather than written as null.
#[derive(Serialize)]
struct Record<'a> {
    time: String,
    event: &'a str,
    request_id: String,
    user: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    groups: &'a [String],
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arguments: Option<Json>,
    outcome: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

type Sink = Box<dyn Write + Send>;

/// Where records go. Cheap to clone; clones share the sink, and a line is
/// written whole under its lock so concurrent calls never interleave.
#[derive(Clone)]
pub struct AuditLog {
    sink: Arc<Mutex<Sink>>,
    target: Arc<str>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("target", &self.target)
            .finish()
    }
}

impl AuditLog {
    pub fn stderr() -> Self {
        Self::with_sink(Box::new(std::io::stderr()), "stderr")
    }

    /// Records go to `w` (tests hand in a buffer they can read back).
    pub fn to_writer(w: impl Write + Send + 'static) -> Self {
        Self::with_sink(Box::new(w), "writer")
    }

    /// Records are dropped; for benches.
    pub fn discard() -> Self {
        Self::with_sink(Box::new(std::io::sink()), "discard")
    }

    fn with_sink(sink: Sink, target: &str) -> Self {
        AuditLog {
            sink: Arc::new(Mutex::new(sink)),
            target: target.into(),
        }
    }

    /// Appends to `path`, creating it (owner-only on Unix: records name users).
    pub fn open(path: &Path) -> Result<Self, ConfigError> {
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(path).map_err(|e| {
            ConfigError(format!(
                "AUDIT_LOG: cannot open {} for appending: {e}",
                path.display()
            ))
        })?;
        Ok(Self::with_sink(Box::new(file), &path.display().to_string()))
    }

    /// `AUDIT_LOG` when set, else stderr.
    pub fn from_settings(s: &AccessSettings) -> Result<Self, ConfigError> {
        match &s.audit_log {
            Some(p) => Self::open(p),
            None => Ok(Self::stderr()),
        }
    }

    /// A finished tool call or resource read, or a denial (`duration` `None`).
    pub fn call(
        &self,
        call: &Call<'_>,
        outcome: Outcome,
        error: Option<&str>,
        duration: Option<Duration>,
    ) {
        let c = call.caller;
        let event = if call.tool.is_some() {
            "tool_call"
        } else {
            "resource_read"
        };
        self.write(&Record {
            time: now(),
            event,
            request_id: call.request_id.clone(),
            user: &c.user,
            name: c.name.as_deref(),
            groups: &c.groups,
            source: c.source,
            role: c.role().map(|r| r.as_str()),
            kind: None,
            tool: call.tool,
            resource: call.resource,
            arguments: call
                .tool
                .map(|_| Json::Object(call.arguments.map(redact_map).unwrap_or_default())),
            outcome: outcome_str(outcome),
            error,
            detail: None,
            duration_ms: duration.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        });
    }

    /// An authentication event; see the module docs for the arguments.
    pub fn auth_event(&self, kind: &str, subject: Option<&str>, outcome: &str, detail: &str) {
        self.write(&Record {
            time: now(),
            event: "auth",
            request_id: uuid::Uuid::new_v4().to_string(),
            user: subject.unwrap_or("anonymous"),
            name: None,
            groups: &[],
            source: "http",
            role: None,
            kind: Some(kind),
            tool: None,
            resource: None,
            arguments: None,
            outcome,
            error: None,
            detail: Some(detail),
            duration_ms: None,
        });
    }

    fn write(&self, record: &Record<'_>) {
        let mut line = match serde_json::to_vec(record) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("audit record not serialisable: {e}");
                return;
            }
        };
        line.push(b'\n');
        // A poisoned lock only means another writer panicked mid-line; the
        // sink itself is still usable, and losing audit records is worse.
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = sink.write_all(&line).and_then(|()| sink.flush()) {
            tracing::warn!(target = %self.target, "cannot write the audit log: {e}");
        }
    }
}

fn outcome_str(o: Outcome) -> &'static str {
    match o {
        Outcome::Ok => "ok",
        Outcome::Error => "error",
        Outcome::Denied => "denied",
        Outcome::RateLimited => "rate_limited",
    }
}

static INSTALLED: OnceLock<AuditLog> = OnceLock::new();

/// Makes `log` the target of [`auth_event`]; the first call wins (false after).
pub fn install(log: AuditLog) -> bool {
    INSTALLED.set(log).is_ok()
}

/// Records an authentication event in the installed audit log (stderr when
/// none is installed). See the module docs for what to pass.
pub fn auth_event(kind: &str, subject: Option<&str>, outcome: &str, detail: &str) {
    match INSTALLED.get() {
        Some(log) => log.auth_event(kind, subject, outcome, detail),
        None => AuditLog::stderr().auth_event(kind, subject, outcome, detail),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_strings_are_shortened_and_say_how_long_they_were() {
        let content = "é".repeat(1000);
        let v = redact(&json!({"content": content, "name": "vm1", "list": ["x".repeat(300)]}));
        let kept = v["content"].as_str().unwrap();
        assert!(kept.len() < 300, "{}", kept.len());
        assert!(kept.ends_with("… [2000 bytes in all]"), "{kept}");
        assert!(kept.starts_with("éé"));
        assert_eq!(v["name"], "vm1");
        assert!(
            v["list"][0]
                .as_str()
                .unwrap()
                .ends_with("[300 bytes in all]")
        );
    }

    #[test]
    fn secret_keys_are_redacted_at_any_depth_and_others_kept() {
        let v = json!({
            "name": "vm1",
            "Password": "p1",
            "guest": {"username": "root", "api_key": "k", "list": [{"BearerToken": "t"}]},
            "passphrase": {"nested": "object replaced whole"},
            "clientCredentials": ["a"],
            "vcenter_secret": 5,
        });
        assert_eq!(
            redact(&v),
            json!({
                "name": "vm1",
                "Password": REDACTED,
                "guest": {"username": "root", "api_key": REDACTED, "list": [{"BearerToken": REDACTED}]},
                "passphrase": REDACTED,
                "clientCredentials": REDACTED,
                "vcenter_secret": REDACTED,
            })
        );
    }
}
