//! The vim25 wire layer: the only place in the workspace that knows XML.
//!
//! - [`schema`]: the vSphere type system (data types, managed types, methods,
//!   enums) in wire order, generated from pyvmomi's type tables.
//! - [`Value`], [`Data`], [`MoRef`]: what a message carries.
//! - [`encode_request`]/[`decode_request`] and [`encode_response`]/
//!   [`decode_response`]: SOAP 1.1 envelopes in both directions.
//! - [`Fault`]: SOAP faults with their vim25 detail objects.
//! - [`devices`]: a VM's device list with vSphere's key, unit and label rules.
//! - [`spec`]: builders for the device changes of `ReconfigVM_Task`.

mod codec;
pub mod devices;
mod envelope;
pub mod hash;
mod name;
pub mod ovf;
pub mod schema;
pub mod share;
pub mod spec;
mod text;
mod value;
mod xml;

pub use codec::encode_object_content;
pub use envelope::{Request, decode_request, decode_response, encode_request, encode_response};
pub use name::Name;
pub use schema::{Schema, TypeRef, schema};
pub use text::Str;
pub use value::{Data, Encoded, MoRef, Typed, Value};

/// The prefix under which XML Schema primitive types are written in `xsi:type`.
pub(crate) const PRIMITIVE_PREFIX: &str = "xsd:";

/// The `Content-Type` of vim25 SOAP messages.
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// The vim25 namespace with the version this crate speaks, as sent in `SOAPAction`.
pub const SOAP_ACTION: &str = "urn:vim25/8.0.3.0";

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Error {
    #[error("malformed XML: {0}")]
    Xml(String),
    #[error("cannot decode vim25 message: {0}")]
    Decode(String),
    #[error("cannot encode vim25 message: {0}")]
    Encode(String),
    #[error("unknown vim25 method {0}")]
    UnknownMethod(String),
}

/// A SOAP fault. `detail` is the vim25 fault object (`InvalidPowerState`, …);
/// its type name is what clients dispatch on.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub code: String,
    pub message: String,
    pub detail: Option<Data>,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {}", d.type_name, self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for Fault {}

impl Fault {
    /// A server fault carrying a detail object of `type_name` with `fields`.
    pub fn new(type_name: &str, message: impl Into<String>) -> Self {
        Fault {
            code: "ServerFaultCode".into(),
            message: message.into(),
            detail: Some(Data::new(type_name)),
        }
    }

    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        if let Some(d) = self.detail.as_mut() {
            d.set(field, value);
        }
        self
    }

    /// The vim25 fault type (`InvalidPowerState`), if the fault has a detail.
    pub fn fault_type(&self) -> Option<&str> {
        self.detail.as_ref().map(|d| d.type_name.as_str())
    }

    /// Whether the fault is `type_name` or a subtype of it.
    pub fn is(&self, type_name: &str) -> bool {
        self.fault_type()
            .is_some_and(|t| schema().is_subtype(t, type_name))
    }

    pub fn not_authenticated(obj: &MoRef) -> Self {
        Fault::new("NotAuthenticated", "The session is not authenticated.")
            .with("object", obj)
            .with("privilegeId", "System.View")
    }

    pub fn invalid_login() -> Self {
        Fault::new(
            "InvalidLogin",
            "Cannot complete login due to an incorrect user name or password.",
        )
    }

    pub fn managed_object_not_found(obj: &MoRef) -> Self {
        Fault::new(
            "ManagedObjectNotFound",
            format!("The object 'vim.{}:{}' has already been deleted or has not been completely created", obj.kind, obj.value),
        )
        .with("obj", obj)
    }

    pub fn invalid_argument(property: &str) -> Self {
        Fault::new(
            "InvalidArgument",
            format!("A specified parameter was not correct: {property}"),
        )
        .with("invalidProperty", property)
    }

    pub fn invalid_property(name: &str) -> Self {
        Fault::new("InvalidProperty", format!("Invalid property: {name}")).with("name", name)
    }

    pub fn invalid_power_state(requested: Option<&str>, existing: &str) -> Self {
        let f = Fault::new(
            "InvalidPowerState",
            format!(
                "The attempted operation cannot be performed in the current state ({existing})."
            ),
        );
        let f = match requested {
            Some(r) => f.with("requestedState", r),
            None => f,
        };
        f.with("existingState", existing)
    }

    pub fn invalid_state(message: impl Into<String>) -> Self {
        Fault::new("InvalidState", message)
    }

    pub fn duplicate_name(name: &str, obj: &MoRef) -> Self {
        Fault::new(
            "DuplicateName",
            format!("The name '{name}' already exists."),
        )
        .with("name", name)
        .with("object", obj)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Fault::new("NotFound", message)
    }

    pub fn task_in_progress(task: &MoRef) -> Self {
        Fault::new(
            "TaskInProgress",
            "The operation is not allowed in the current state.",
        )
        .with("task", task)
    }

    pub fn method_not_found(receiver: &MoRef, method: &str) -> Self {
        Fault::new(
            "MethodNotFound",
            format!("Method {method} is not implemented for {}", receiver.kind),
        )
        .with("receiver", receiver)
        .with("method", method)
    }

    pub fn tools_unavailable() -> Self {
        Fault::new(
            "ToolsUnavailable",
            "Cannot complete operation because VMware Tools is not running in this virtual machine.",
        )
    }

    /// Tools are not running in the guest, so guest operations cannot reach it.
    pub fn guest_operations_unavailable() -> Self {
        Fault::new(
            "GuestOperationsUnavailable",
            "The guest operations agent could not be contacted: VMware Tools is not running in the guest.",
        )
    }

    /// The guest rejected the user name or password (which it never repeats).
    pub fn invalid_guest_login(user: &str) -> Self {
        Fault::new(
            "InvalidGuestLogin",
            format!(
                "Failed to authenticate with the guest operating system using the supplied credentials (user {user:?})."
            ),
        )
    }

    pub fn guest_permission_denied(what: &str) -> Self {
        Fault::new(
            "GuestPermissionDenied",
            format!("Insufficient permissions in the guest operating system: {what}"),
        )
    }

    pub fn guest_process_not_found(pid: i64) -> Self {
        Fault::new(
            "GuestProcessNotFound",
            format!("The guest process with pid {pid} was not found or is not running."),
        )
        .with("pid", pid)
    }

    /// A `FileFault` subtype (`FileNotFound`, `NotADirectory`, …) about `file`.
    pub fn file_fault(type_name: &str, message: impl Into<String>, file: &str) -> Self {
        Fault::new(type_name, message).with("file", file)
    }

    pub fn file_not_found(file: &str) -> Self {
        Fault::file_fault("FileNotFound", format!("File {file} was not found"), file)
    }

    pub fn file_already_exists(file: &str) -> Self {
        Fault::file_fault(
            "FileAlreadyExists",
            format!(
                "Cannot complete the operation because the file or folder {file} already exists"
            ),
            file,
        )
    }

    pub fn not_a_directory(file: &str) -> Self {
        Fault::file_fault("NotADirectory", format!("{file} is not a directory"), file)
    }

    pub fn not_a_file(file: &str) -> Self {
        Fault::file_fault("NotAFile", format!("{file} is not a file"), file)
    }

    pub fn directory_not_empty(file: &str) -> Self {
        Fault::file_fault(
            "DirectoryNotEmpty",
            format!("The directory {file} is not empty"),
            file,
        )
    }

    /// A fault for a request that could not be decoded at all.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Fault::new("InvalidRequest", message)
    }

    /// The fault as a `LocalizedMethodFault`, the shape `TaskInfo.error` carries.
    pub fn to_localized(&self) -> Data {
        Data::new("LocalizedMethodFault")
            .with(
                "fault",
                self.detail
                    .clone()
                    .unwrap_or_else(|| Data::new("SystemError")),
            )
            .with("localizedMessage", self.message.as_str())
    }

    /// The inverse of [`Fault::to_localized`].
    pub fn from_localized(d: &Data) -> Self {
        Fault {
            code: "ServerFaultCode".into(),
            message: d
                .get("localizedMessage")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            detail: d.get("fault").and_then(Value::as_data).cloned(),
        }
    }
}
