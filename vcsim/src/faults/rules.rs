//! Fault rules: what a rule matches (method, receiver type, receiver name),
//! what it does when it fires (answer a fault, drop the connection before or
//! after running the method), and when it fires (skip, count, probability).

use std::time::Duration;

use vim25::{Fault, MoRef, schema};

/// What a firing rule does to the call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer the rule's fault; the method does not run.
    #[default]
    Fault,
    /// Close the connection without answering; the method does not run.
    Drop,
    /// Run the method (its change commits), then close the connection
    /// without answering: the client cannot tell whether it happened.
    DropAfter,
}

impl FaultAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultAction::Fault => "fault",
            FaultAction::Drop => "drop",
            FaultAction::DropAfter => "drop_after",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fault" => Some(FaultAction::Fault),
            "drop" => Some(FaultAction::Drop),
            "drop_after" => Some(FaultAction::DropAfter),
            _ => None,
        }
    }
}

/// How a fault reaches the client of a `*_Task` method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaultDelivery {
    /// As vCenter reports most failures of a task method: the call returns
    /// a Task, which ends in `error` with the fault. Other methods answer a
    /// SOAP fault whatever this says.
    #[default]
    Task,
    /// A SOAP fault answering the call itself.
    Soap,
}

impl FaultDelivery {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultDelivery::Task => "task",
            FaultDelivery::Soap => "soap",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "task" => Some(FaultDelivery::Task),
            "soap" => Some(FaultDelivery::Soap),
            _ => None,
        }
    }
}

/// One fault rule. Build with [`FaultRule::new`] / [`FaultRule::drop`] /
/// [`FaultRule::drop_after`] and the builder methods, or parse the `--fault`
/// flag grammar with [`FaultRule::parse`].
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    /// The wire method name (`PowerOnVM_Task`); `None` matches every method.
    pub method: Option<String>,
    /// The receiver's managed type or a base of it (`ManagedEntity` matches a VM).
    pub object_type: Option<String>,
    /// The receiver's `name` property, exactly.
    pub object_name: Option<String>,
    /// A vim25 fault type: `MethodFault` or a subtype. Unused by the drop actions.
    pub fault: String,
    /// The fault's `localizedMessage`; a message naming the rule when `None`.
    pub message: Option<String>,
    /// The chance (0 to 1) that an eligible call fires the rule.
    pub probability: f64,
    /// Fire at most this many times; then the rule is spent.
    pub count: Option<u32>,
    /// Let the first `skip` matching calls pass.
    pub skip: u32,
    /// Wait this long before answering, faulting or dropping.
    pub delay: Option<Duration>,
    pub action: FaultAction,
    /// Task error or SOAP fault, for `*_Task` methods.
    pub deliver: FaultDelivery,
}

impl FaultRule {
    /// A rule answering `fault` (a vim25 fault type) to `method` (`"*"`: any).
    pub fn new(method: &str, fault: &str) -> Self {
        FaultRule {
            method: (method != "*" && !method.is_empty()).then(|| method.to_string()),
            object_type: None,
            object_name: None,
            fault: fault.to_string(),
            message: None,
            probability: 1.0,
            count: None,
            skip: 0,
            delay: None,
            action: FaultAction::Fault,
            deliver: FaultDelivery::Task,
        }
    }

    /// A rule closing the connection instead of running `method`.
    pub fn drop(method: &str) -> Self {
        FaultRule {
            action: FaultAction::Drop,
            ..FaultRule::new(method, "")
        }
    }

    /// A rule running `method`, then closing the connection without answering.
    pub fn drop_after(method: &str) -> Self {
        FaultRule {
            action: FaultAction::DropAfter,
            ..FaultRule::new(method, "")
        }
    }

    pub fn on_type(mut self, kind: &str) -> Self {
        self.object_type = Some(kind.to_string());
        self
    }

    pub fn on_name(mut self, name: &str) -> Self {
        self.object_name = Some(name.to_string());
        self
    }

    pub fn message(mut self, m: &str) -> Self {
        self.message = Some(m.to_string());
        self
    }

    pub fn probability(mut self, p: f64) -> Self {
        self.probability = p;
        self
    }

    pub fn count(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }

    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }

    /// Answer a SOAP fault even to a `*_Task` method.
    pub fn as_soap(mut self) -> Self {
        self.deliver = FaultDelivery::Soap;
        self
    }

    /// Checks the rule against the schema; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(m) = &self.method
            && schema().method(m).is_none()
        {
            return Err(format!(
                "method: {m:?} is not a vim25 method (use the wire name, e.g. PowerOnVM_Task, or \"*\")"
            ));
        }
        if let Some(m) = &self.method
            && !crate::methods::rows().iter().any(|(_, name)| name == m)
        {
            // It could never fire: the call answers MethodNotFound first.
            return Err(format!(
                "method: {m:?} is a vim25 method vcsim does not implement (vcsim --list-methods lists those it does)"
            ));
        }
        if let Some(t) = &self.object_type
            && !schema().is_managed(t)
        {
            return Err(format!(
                "object_type: {t:?} is not a vim25 managed object type (e.g. VirtualMachine, ManagedEntity)"
            ));
        }
        if self.action == FaultAction::Fault {
            if self.fault.is_empty() {
                return Err(
                    "fault: a fault type is required (e.g. InsufficientResourcesFault)".into(),
                );
            }
            if !is_fault_type(&self.fault) {
                return Err(format!(
                    "fault: {:?} is not a vim25 fault type (MethodFault or a subtype, e.g. InsufficientResourcesFault, NotAuthenticated, SystemError)",
                    self.fault
                ));
            }
        } else if !self.fault.is_empty() && !is_fault_type(&self.fault) {
            return Err(format!("fault: {:?} is not a vim25 fault type", self.fault));
        }
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(format!(
                "probability: {} is out of range (0 to 1)",
                self.probability
            ));
        }
        Ok(())
    }

    /// Whether the call `method` on `this` matches; `name` reads the
    /// receiver's name only when the rule asks for one.
    pub(crate) fn matches(
        &self,
        method: &str,
        this: &MoRef,
        name: impl FnOnce() -> String,
    ) -> bool {
        if self.method.as_deref().is_some_and(|m| m != method) {
            return false;
        }
        if let Some(t) = &self.object_type
            && !schema().is_subtype(&this.kind, t)
        {
            return false;
        }
        match &self.object_name {
            Some(n) => *n == name(),
            None => true,
        }
    }

    /// The fault this rule answers for a call on `this`, with the fields its
    /// type requires filled from the call.
    pub(crate) fn make_fault(&self, id: u64, method: &str, this: &MoRef) -> Fault {
        let message = self
            .message
            .clone()
            .unwrap_or_else(|| format!("{} injected by vcsim fault rule {id}", self.fault));
        let base = match self.fault.as_str() {
            "NotAuthenticated" => Fault::not_authenticated(this),
            "ManagedObjectNotFound" => Fault::managed_object_not_found(this),
            "MethodNotFound" => Fault::method_not_found(this, method),
            "InvalidArgument" => Fault::invalid_argument("spec"),
            "InvalidProperty" => Fault::invalid_property("name"),
            t => Fault::new(t, ""),
        };
        Fault { message, ..base }
    }
}

/// `MethodFault` or one of its subtypes.
pub(crate) fn is_fault_type(t: &str) -> bool {
    schema().is_data(t) && schema().is_subtype(t, "MethodFault")
}

/// A rule the simulator holds, with what it has seen.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleStatus {
    pub id: u64,
    pub rule: FaultRule,
    /// Calls the rule fired on.
    pub hits: u64,
    /// Calls that matched it (fired, skipped, spent or not drawn).
    pub matched: u64,
}

impl RuleStatus {
    /// Whether the rule has fired its `count` times.
    pub fn spent(&self) -> bool {
        self.rule.count.is_some_and(|c| self.hits >= u64::from(c))
    }
}
