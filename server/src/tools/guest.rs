//! What every guest_ops tool shares: the VM, the guest credentials as
//! vSphere takes them (`NamePasswordAuthentication`, sent with each call),
//! the guest file and process managers, and guest faults explained in one
//! sentence that names the VM, the user and the path — never the password.

use vim25::{Data, MoRef, Request, Value};

use super::Ctx;
use super::vm::find_vm;
use crate::error::{ToolError, VsError, explain, power_state_words};
use crate::views::guest::MANAGERS;

/// One guest tool call's target and login.
pub(super) struct Guest {
    pub(super) vm: MoRef,
    /// The VM's name as the caller gave it.
    pub(super) name: String,
    user: String,
    /// Kept only to scrub it from vCenter's words (see [`Guest::explain`]).
    password: String,
    files: Option<MoRef>,
    processes: Option<MoRef>,
}

/// Which guest manager a method belongs to.
#[derive(Clone, Copy)]
pub(super) enum Manager {
    Files,
    Processes,
}

impl Guest {
    /// Finds the VM and the guest managers. Credentials are checked by the
    /// guest with each call, as vSphere does; nothing is sent to it here.
    pub(super) async fn open(
        ctx: &Ctx,
        name: &str,
        user: &str,
        password: &str,
    ) -> Result<Guest, ToolError> {
        if user.trim().is_empty() {
            return Err(ToolError::new(
                "username is empty; give an account of the guest operating system",
            ));
        }
        let vm = find_vm(ctx, name).await?;
        let content = ctx
            .client
            .content()
            .await
            .map_err(|e| ToolError::vsphere(&e, Some(name)))?;
        let gom = content.guest_operations_manager.ok_or_else(|| {
            ToolError::new(
                "this vSphere endpoint offers no guest operations (no GuestOperationsManager)",
            )
        })?;
        let managers = ctx
            .client
            .properties(&gom, &MANAGERS)
            .await
            .map_err(|e| ToolError::vsphere(&e, Some(name)))?;
        Ok(Guest {
            vm,
            name: name.to_string(),
            user: user.to_string(),
            password: password.to_string(),
            files: managers.moref("fileManager").cloned(),
            processes: managers.moref("processManager").cloned(),
        })
    }

    /// A guest method call on `manager` with the VM and the login filled in.
    pub(super) fn request(&self, manager: Manager, method: &str) -> Result<Request, ToolError> {
        let (this, what) = match manager {
            Manager::Files => (&self.files, "file"),
            Manager::Processes => (&self.processes, "process"),
        };
        let this = this.as_ref().ok_or_else(|| {
            ToolError::new(format!("this vSphere endpoint has no guest {what} manager"))
        })?;
        let auth = Data::new("NamePasswordAuthentication")
            .with("interactiveSession", false)
            .with("username", self.user.as_str())
            .with("password", self.password.as_str());
        Ok(Request::new(method, this)
            .arg("vm", Value::moref(self.vm.clone()))
            .arg("auth", Value::data(auth)))
    }

    /// Calls a guest method; a fault comes back explained for `path`.
    pub(super) async fn call(
        &self,
        ctx: &Ctx,
        req: &Request,
        path: Option<&str>,
    ) -> Result<Option<Value>, ToolError> {
        ctx.client
            .invoke(req)
            .await
            .map_err(|e| self.explain(&e, path))
    }

    /// "in the guest of VM 'x'" — where a path lives.
    pub(super) fn where_(&self) -> String {
        format!("in the guest of VM '{}'", self.name)
    }

    /// A guest failure as one sentence. vCenter's own words are used only
    /// for faults this does not know, and then with the password scrubbed
    /// out, should a guest ever echo it.
    pub(super) fn explain(&self, err: &VsError, path: Option<&str>) -> ToolError {
        let vm = &self.name;
        let Some(f) = err.fault() else {
            return ToolError::new(self.scrub(&explain(err, Some(vm))));
        };
        let file = f
            .detail
            .as_ref()
            .and_then(|d| d.get("file"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| path.map(str::to_string))
            .unwrap_or_default();
        let file = self.scrub(&file);
        let inside = self.where_();
        let msg = if f.is("InvalidGuestLogin") {
            format!(
                "guest login to VM '{vm}' failed for user '{}': incorrect user name or password",
                self.user
            )
        } else if f.is("GuestPermissionDenied") {
            format!(
                "guest user '{}' may not access '{file}' {inside}",
                self.user
            )
        } else if f.is("GuestOperationsUnavailable") || f.is("ToolsUnavailable") {
            format!(
                "VMware Tools is not running in VM '{vm}'; guest operations need it \
                 (wait_for_vm_tools waits for it after a power-on)"
            )
        } else if f.is("InvalidPowerState") {
            let state = f
                .detail
                .as_ref()
                .and_then(|d| d.get("existingState"))
                .and_then(Value::as_str)
                .map(|s| power_state_words(s).to_string())
                .unwrap_or_else(|| "not powered on".into());
            format!("VM '{vm}' is {state}; guest operations need it powered on (power_on it first)")
        } else if f.is("FileNotFound") {
            format!("'{file}' not found {inside}")
        } else if f.is("FileAlreadyExists") {
            format!("'{file}' already exists {inside}")
        } else if f.is("NotADirectory") {
            format!("'{file}' is not a directory {inside}")
        } else if f.is("NotAFile") {
            format!("'{file}' is a directory, not a file, {inside}")
        } else if f.is("DirectoryNotEmpty") {
            format!("directory '{file}' is not empty {inside}; delete what it holds first")
        } else if f.is("GuestProcessNotFound") {
            format!("no such process {inside}")
        } else if f.is("GuestComponentsOutOfDate") {
            format!("VMware Tools in VM '{vm}' are too old for guest operations; upgrade them")
        } else {
            explain(err, Some(vm))
        };
        ToolError::new(self.scrub(&msg))
    }

    fn scrub(&self, text: &str) -> String {
        if self.password.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.password, "********")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vim25::Fault;

    fn guest(password: &str) -> Guest {
        Guest {
            vm: MoRef::new("VirtualMachine", "vm-1"),
            name: "web".into(),
            user: "root".into(),
            password: password.into(),
            files: None,
            processes: None,
        }
    }

    #[test]
    fn guest_faults_read_as_sentences_without_the_password() {
        let g = guest("S3cret-pw");
        let login = VsError::Fault(Fault::new("InvalidGuestLogin", "Failed: S3cret-pw"));
        let m = g.explain(&login, None).0;
        assert!(m.contains("incorrect user name or password"), "{m}");
        assert!(m.contains("'root'") && m.contains("VM 'web'"), "{m}");
        let other = VsError::Fault(Fault::new("SystemError", "guest said S3cret-pw"));
        let m = g.explain(&other, None).0;
        assert!(!m.contains("S3cret-pw"), "{m}");
        assert!(m.contains("********"), "{m}");
        let missing = VsError::Fault(Fault::new("FileNotFound", "x"));
        let m = g.explain(&missing, Some("/etc/nope")).0;
        assert_eq!(m, "'/etc/nope' not found in the guest of VM 'web'");
    }

    #[test]
    fn a_request_without_a_manager_is_refused() {
        let g = guest("pw");
        let e = g.request(Manager::Files, "ListFilesInGuest").err();
        assert!(e.is_some_and(|e| e.0.contains("no guest file manager")));
    }
}
