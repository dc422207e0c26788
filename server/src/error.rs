//! Errors as a person reads them.
//!
//! [`VsError`] is what the vSphere client returns; [`ToolError`] is the one
//! line a tool caller sees. Neither ever carries a secret, a stack trace or a
//! Rust `Debug` dump: their `Debug` is their `Display`.

use std::fmt;

use vim25::Fault;

/// A failure talking to vCenter.
#[derive(Clone, PartialEq)]
pub enum VsError {
    /// The HTTP exchange itself failed (connect, TLS, timeout, non-SOAP status).
    Http(String),
    /// vCenter refused the credentials.
    Login(String),
    /// vCenter answered with a SOAP fault (also: a task that ended in error).
    Fault(Fault),
    /// The answer could not be understood.
    Protocol(String),
    /// The connection to vCenter failed or vCenter did not answer in time
    /// (classified in `vsphere/http_errors.rs`).
    Net(NetError),
    /// Something on this side failed (a local file to send, the HTTP
    /// client itself), already in words: not vCenter's doing.
    Local(String),
}

/// How an exchange with vCenter broke off, in words a person reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetKind {
    /// Nothing listens on the port.
    Refused,
    /// vCenter (or something between) reset the connection.
    Reset,
    /// The connection closed before an answer came.
    Closed,
    /// The host name does not resolve.
    NotResolved,
    /// The TLS handshake failed; why, in words (with the setting to change).
    Tls(String),
    /// No connection could be made within this many seconds.
    ConnectTimeout(u64),
    /// No (complete) answer within this many seconds (`VCENTER_TIMEOUT`).
    Timeout(u64),
    /// Anything else, already in words (never a library's error chain).
    Other(String),
}

/// A failed exchange with vCenter at `host` (`HOST:PORT`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetError {
    pub host: String,
    pub kind: NetKind,
    /// Whether the request may have reached vCenter: false only when no
    /// connection was made (or no slot was free), so nothing was sent.
    pub maybe_sent: bool,
    /// A state-changing method that may or may not have been done (it was
    /// not retried); the message then says to check recent tasks.
    pub unsure_method: Option<String>,
}

impl NetError {
    /// Refused, reset or closed before an answer: worth one more try when
    /// the call is read-only (or provably not sent).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            NetKind::Refused | NetKind::Reset | NetKind::Closed
        )
    }

    /// The sentence, naming `subject` (the VM or object the tool worked on)
    /// when a state change may or may not have happened.
    pub fn describe(&self, subject: Option<&str>) -> String {
        let host = &self.host;
        let base = match &self.kind {
            NetKind::Timeout(n) => {
                format!("vCenter at {host} did not answer within {n} s (VCENTER_TIMEOUT)")
            }
            NetKind::Refused => format!("cannot reach vCenter at {host} (connection refused)"),
            NetKind::Reset => format!("cannot reach vCenter at {host} (connection reset)"),
            NetKind::Closed => {
                format!("cannot reach vCenter at {host} (connection closed before an answer)")
            }
            NetKind::NotResolved => format!("cannot reach vCenter at {host} (name not resolved)"),
            NetKind::Tls(why) => {
                format!("cannot reach vCenter at {host} (TLS handshake failed: {why})")
            }
            NetKind::ConnectTimeout(n) => {
                format!("cannot reach vCenter at {host} (no connection within {n} s)")
            }
            NetKind::Other(m) => format!("cannot reach vCenter at {host} ({m})"),
        };
        let Some(method) = &self.unsure_method else {
            return base;
        };
        let on = subject.map(|s| format!(" on '{s}'")).unwrap_or_default();
        let what = match &self.kind {
            NetKind::Timeout(_) => format!("{base} during {method}{on}"),
            NetKind::Reset => format!("vCenter at {host} reset the connection during {method}{on}"),
            NetKind::Closed => {
                format!("vCenter at {host} closed the connection during {method}{on}")
            }
            // The call was answered (a task started); reading its outcome failed.
            _ => format!("{base} while {method}{on} was under way"),
        };
        format!("{what}; it may or may not have been done — check recent tasks before retrying")
    }
}

impl fmt::Display for VsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VsError::Http(m) => write!(f, "cannot reach vCenter: {m}"),
            VsError::Login(m) => write!(f, "vCenter login failed: {m}"),
            VsError::Fault(fault) => match fault.fault_type() {
                Some(t) if !fault.message.is_empty() => write!(f, "{} ({t})", fault.message),
                Some(t) => write!(f, "vCenter reported {t}"),
                None => write!(f, "{}", fault.message),
            },
            VsError::Protocol(m) => write!(f, "unexpected answer from vCenter: {m}"),
            VsError::Local(m) => f.write_str(m),
            VsError::Net(n) => f.write_str(&n.describe(None)),
        }
    }
}

impl fmt::Debug for VsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for VsError {}

impl From<Fault> for VsError {
    fn from(f: Fault) -> Self {
        VsError::Fault(f)
    }
}

impl From<vim25::Error> for VsError {
    fn from(e: vim25::Error) -> Self {
        VsError::Protocol(e.to_string())
    }
}

impl VsError {
    /// The fault, when vCenter answered with one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            VsError::Fault(f) => Some(f),
            _ => None,
        }
    }

    /// The connection failure, when the exchange itself failed.
    pub fn net(&self) -> Option<&NetError> {
        match self {
            VsError::Net(n) => Some(n),
            _ => None,
        }
    }

    /// Whether this is the vim25 fault `type_name` (or a subtype of it).
    pub fn is(&self, type_name: &str) -> bool {
        self.fault().is_some_and(|f| f.is(type_name))
    }
}

/// The message a tool call fails with (`isError: true`).
#[derive(Clone, PartialEq, Eq)]
pub struct ToolError(pub String);

impl ToolError {
    pub fn new(msg: impl Into<String>) -> Self {
        ToolError(msg.into())
    }

    /// A vSphere failure explained for the VM (or other object) the tool was working on.
    pub fn vsphere(err: &VsError, subject: Option<&str>) -> Self {
        ToolError(explain(err, subject))
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ToolError {}

impl From<VsError> for ToolError {
    fn from(e: VsError) -> Self {
        ToolError::vsphere(&e, None)
    }
}

/// Words for a `VirtualMachinePowerState` value.
pub fn power_state_words(state: &str) -> &str {
    match state {
        "poweredOn" => "powered on",
        "poweredOff" => "powered off",
        "suspended" => "suspended",
        other => other,
    }
}

/// Turns a vSphere failure into one sentence, naming `subject` (a VM name) where it helps.
pub fn explain(err: &VsError, subject: Option<&str>) -> String {
    let vm = |s: &str| format!("VM '{s}'");
    let who = subject.map(vm).unwrap_or_else(|| "the object".to_string());
    if let VsError::Net(n) = err {
        return n.describe(subject);
    }
    let Some(f) = err.fault() else {
        return err.to_string();
    };
    let detail = f.detail.as_ref();
    let field = |name: &str| {
        detail
            .and_then(|d| d.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    if f.is("InvalidPowerState") {
        return match field("existingState") {
            Some(s) => format!(
                "{who} is {}; this operation is not possible in that state",
                power_state_words(&s)
            ),
            None => format!("{who} is not in a power state that allows this operation"),
        };
    }
    if f.is("ToolsUnavailable") {
        return match subject {
            Some(s) => format!("VMware Tools is not running in VM '{s}'"),
            None => "VMware Tools is not running in the VM".to_string(),
        };
    }
    if f.is("DuplicateName") {
        let name = field("name").or_else(|| subject.map(str::to_string));
        return match name {
            Some(n) => format!("An object named '{n}' already exists"),
            None => "An object with that name already exists".to_string(),
        };
    }
    if f.is("InvalidLogin") {
        return "vCenter login failed: incorrect user name or password".to_string();
    }
    if f.is("NotAuthenticated") {
        return "vCenter session is not authenticated (login again failed)".to_string();
    }
    if f.is("NoPermission") {
        return format!("vCenter denied permission: {}", f.message);
    }
    if f.is("ManagedObjectNotFound") {
        return format!("{who} no longer exists in vCenter");
    }
    if f.is("TaskInProgress") {
        return format!("{who} is busy with another task; try again when it finishes");
    }
    if f.is("InvalidState") {
        return format!("{who} is not in a state that allows this: {}", f.message);
    }
    if f.is("InvalidArgument") || f.is("InvalidProperty") {
        return format!("vCenter rejected the request: {}", f.message);
    }
    if f.is("NotSupported")
        && let Some(s) = subject
    {
        // "not supported on a template" says nothing about which one.
        return format!("{}: {}", vm(s), err);
    }
    if f.is("FileAlreadyExists") {
        return format!(
            "a file for {who} already exists on the datastore: {}",
            f.message
        );
    }
    err.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A local file that cannot be opened is not vCenter's fault, and the
    /// message must not send the person looking at vCenter.
    #[test]
    fn a_local_failure_does_not_blame_vcenter() {
        let e = VsError::Local("cannot open /data/disk.iso: Permission denied".into());
        let msg = explain(&e, Some("vm1"));
        assert_eq!(msg, "cannot open /data/disk.iso: Permission denied");
        assert!(!msg.contains("vCenter"), "{msg}");
    }
}
