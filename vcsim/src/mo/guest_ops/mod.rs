//! Guest operations (`GuestOperationsManager`'s file, process and auth
//! managers) over the simulated guests in `crate::guest`. Every method takes
//! the VM and guest credentials and checks, in vSphere's order: the VM
//! exists, is powered on, runs Tools, and the credentials log in; then the
//! operation's own faults, each naming the path or pid. Guest passwords are
//! compared and dropped: never logged, echoed in a fault or kept.

pub(crate) mod auth_manager;
pub(crate) mod door;
pub(crate) mod file_manager;
pub(crate) mod process_manager;

use vim25::{Fault, MoRef, Value, schema};

use crate::call::{Call, require};
use crate::guest::{FsError, Guest, Os, User, Who, find_account};
use crate::mo::virtual_machine::model as vm;
use crate::state::State;

/// A guest operation's caller, checked: the VM and the guest account.
pub(crate) struct Login {
    pub vm: MoRef,
    pub user: User,
}

impl Login {
    pub(crate) fn who(&self) -> Who<'_> {
        Who {
            name: &self.user.name,
            admin: self.user.admin,
        }
    }

    /// The VM's guest, made on first use, with what became due run.
    pub(crate) fn guest<'a>(&self, st: &'a mut State) -> &'a mut Guest {
        open(st, &self.vm)
    }
}

/// `vm`'s guest (an existing VM), made from its seed — `config.guestId`
/// and name — if it has none, with what became due run.
pub(crate) fn open<'a>(st: &'a mut State, vm: &MoRef) -> &'a mut Guest {
    let prop = |p: &str| st.objects.str_prop(vm, p).unwrap_or_default();
    let (guest_id, boot) = (prop("config.guestId"), prop("runtime.bootTime"));
    let name = st.objects.name(vm);
    st.guests.open(&vm.value, &guest_id, &name, &boot)
}

/// The checks every guest operation makes first, in vSphere's order.
pub(crate) fn login(st: &State, c: &Call) -> Result<Login, Fault> {
    let vm = c.moref("vm")?;
    require(st, &vm)?;
    if !schema().is_subtype(&vm.kind, "VirtualMachine") {
        return Err(Fault::invalid_argument("vm"));
    }
    let power = vm::power_state(st, &vm);
    if power != "poweredOn" {
        return Err(Fault::invalid_power_state(Some("poweredOn"), &power));
    }
    if !vm::tools_running(st, &vm) {
        return Err(Fault::guest_operations_unavailable());
    }
    let auth = c.data("auth")?;
    if !schema().is_subtype(&auth.type_name, "NamePasswordAuthentication") {
        return Err(Fault::new(
            "NotSupported",
            format!(
                "vcsim's guests take NamePasswordAuthentication, not {}",
                auth.type_name
            ),
        ));
    }
    let field = |f: &str| auth.get(f).and_then(Value::as_str).unwrap_or("");
    let (name, password) = (field("username"), field("password"));
    let guest_id = st
        .objects
        .str_prop(&vm, "config.guestId")
        .unwrap_or_default();
    let os = st
        .guests
        .get(&vm.value)
        .map(|g| g.os)
        .unwrap_or_else(|| Os::from_guest_id(&guest_id));
    let accounts = st.guests.accounts(&vm.value, &guest_id);
    let user = find_account(os, &accounts, name, password)
        .ok_or_else(|| Fault::invalid_guest_login(name))?;
    Ok(Login { vm, user })
}

/// A file system refusal as vSphere's fault, naming the path.
pub(crate) fn fs_fault(e: FsError, arg: &str) -> Fault {
    match e {
        FsError::NotFound(p) => Fault::file_not_found(&p),
        FsError::AlreadyExists(p) => Fault::file_already_exists(&p),
        FsError::NotADirectory(p) => Fault::not_a_directory(&p),
        FsError::NotAFile(p) => Fault::not_a_file(&p),
        FsError::NotEmpty(p) => Fault::directory_not_empty(&p),
        FsError::Denied(p) => Fault::guest_permission_denied(&format!("access to {p} is denied")),
        FsError::TooBig(p) => Fault::file_fault(
            "FileTooLarge",
            format!("{p} would be larger than the guest's limit of {} bytes per file", crate::guest::fs::MAX_FILE),
            &p,
        )
        .with("datastore", "")
        .with("fileSize", crate::guest::fs::MAX_FILE as i64 + 1)
        .with("maxFileSize", crate::guest::fs::MAX_FILE as i64),
        FsError::NoSpace(p) => Fault::file_fault(
            "NoDiskSpace",
            format!("The guest's disk is full ({} bytes): cannot write {p}", crate::guest::fs::MAX_GUEST_BYTES),
            &p,
        )
        .with("datastore", ""),
        FsError::TooLong(p) => Fault::file_fault(
            "FileNameTooLong",
            format!("The path {p} is longer than the guest allows ({} bytes)", crate::guest::fs::MAX_PATH),
            &p,
        ),
        FsError::BadPath(p) => Fault::new(
            "InvalidArgument",
            format!("A specified parameter was not correct: {arg} ({p:?} is not an absolute path in the guest)"),
        )
        .with("invalidProperty", arg),
    }
}
