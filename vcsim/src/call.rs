//! One call context for every handler: the request, its receiver, the caller's
//! session and user, the shared state, typed argument accessors and the task
//! helper. An argument that is missing or of the wrong type is an
//! `InvalidArgument` fault naming it, raised before anything changes.

use std::sync::Arc;

use vim25::{Data, Fault, MoRef, Request, Value};

use crate::state::{ReadGuard, Session, Shared, State};
use crate::tasks;

/// What a handler answers: the return value (`None` for `void`) or a fault.
pub(crate) type Reply = Result<Option<Value>, Fault>;

pub(crate) struct Call {
    pub shared: Arc<Shared>,
    pub req: Request,
    pub session: Option<Session>,
    /// The caller's session cookie, as sent.
    pub cookie: Option<String>,
}

impl Call {
    /// The managed object the method was called on.
    pub(crate) fn this(&self) -> &MoRef {
        &self.req.this
    }

    pub(crate) fn method(&self) -> &str {
        &self.req.method
    }

    /// The session's user name; empty before login.
    pub(crate) fn user(&self) -> &str {
        self.session.as_ref().map(|s| s.user.as_str()).unwrap_or("")
    }

    pub(crate) fn read(&self) -> ReadGuard<'_> {
        self.shared.lock()
    }

    /// The raw argument, if the client sent it.
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.req.get(name)
    }

    /// A present argument converted by `f`; the wrong type is a fault.
    fn typed<'a, T>(
        &'a self,
        name: &str,
        f: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, Fault> {
        match self.req.get(name) {
            None => Ok(None),
            Some(v) => f(v).map(Some).ok_or_else(|| Fault::invalid_argument(name)),
        }
    }

    pub(crate) fn opt_str(&self, name: &str) -> Result<Option<&str>, Fault> {
        self.typed(name, Value::as_str)
    }

    pub(crate) fn str(&self, name: &str) -> Result<&str, Fault> {
        self.opt_str(name)?
            .ok_or_else(|| Fault::invalid_argument(name))
    }

    /// A string argument that must be present and not empty.
    pub(crate) fn non_empty_str(&self, name: &str) -> Result<&str, Fault> {
        self.opt_str(name)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Fault::invalid_argument(name))
    }

    pub(crate) fn opt_moref(&self, name: &str) -> Result<Option<MoRef>, Fault> {
        self.typed(name, |v| v.as_moref().cloned())
    }

    pub(crate) fn moref(&self, name: &str) -> Result<MoRef, Fault> {
        self.opt_moref(name)?
            .ok_or_else(|| Fault::invalid_argument(name))
    }

    pub(crate) fn opt_data(&self, name: &str) -> Result<Option<&Data>, Fault> {
        self.typed(name, Value::as_data)
    }

    pub(crate) fn data(&self, name: &str) -> Result<&Data, Fault> {
        self.opt_data(name)?
            .ok_or_else(|| Fault::invalid_argument(name))
    }

    pub(crate) fn bool_or(&self, name: &str, default: bool) -> Result<bool, Fault> {
        Ok(self.typed(name, Value::as_bool)?.unwrap_or(default))
    }

    /// A `string[]` argument; absent reads as empty.
    pub(crate) fn strings(&self, name: &str) -> Vec<String> {
        self.req.get(name).map(Value::strings).unwrap_or_default()
    }

    /// Submits a Task for this call on `entity`: `op` runs when the task
    /// completes, in a transaction, so a failing `op` leaves the inventory as
    /// it was and its fault lands in `info.error`.
    pub(crate) fn task(
        &self,
        entity: &MoRef,
        op: impl FnOnce(&mut State) -> Reply + Send + 'static,
    ) -> Reply {
        let task = tasks::submit(
            &self.shared,
            self.user(),
            self.method(),
            entity,
            Box::new(op),
        )?;
        Ok(Some(Value::moref(task)))
    }
}

/// `m` must exist, as vCenter checks every MoRef argument.
pub(crate) fn require(st: &State, m: &MoRef) -> Result<(), Fault> {
    if st.objects.contains(m) {
        Ok(())
    } else {
        Err(Fault::managed_object_not_found(m))
    }
}
