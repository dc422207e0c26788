//! What `/guestFile` does with a transfer URL (`http.rs` is only the HTTP
//! side): a PUT writes the body to the guest file, a GET reads it, each once,
//! as the guest account that asked for the URL. Failures are an HTTP status
//! and a message naming the path.

use vim25::MoRef;

use crate::guest::Who;
use crate::guest::fs::{FsError, WriteMode};
use crate::guest::transfer::{Direction, Transfer};
use crate::mo::virtual_machine::model as vm;
use crate::state::Shared;

/// A refusal: HTTP status and message.
pub(crate) type Refusal = (u16, String);

/// Uses up the transfer `id`/`token` going the way asked.
pub(crate) fn take(
    shared: &Shared,
    id: &str,
    token: &str,
    upload: bool,
) -> Result<Transfer, Refusal> {
    let unknown = || {
        (
            404,
            "404 Not Found: no such guest file transfer (unknown id or token, already used, or expired)"
                .to_string(),
        )
    };
    let id: u64 = id.parse().map_err(|_| unknown())?;
    shared
        .bookkeeping(|st| {
            let now = st.guests.clock.now();
            st.guests.transfers.take(id, token, upload, now)
        })
        .ok_or_else(unknown)
}

fn refusal(e: FsError, t: &Transfer) -> Refusal {
    let p = &t.path;
    match e {
        FsError::AlreadyExists(_) => (
            409,
            format!("{p} already exists in the guest and the transfer did not ask to overwrite it"),
        ),
        FsError::NotAFile(_) => (409, format!("{p} is a directory in the guest")),
        FsError::Denied(_) => (403, format!("{} may not access {p} in the guest", t.user)),
        FsError::NotFound(f) | FsError::NotADirectory(f) => {
            (404, format!("{f} does not exist in the guest (for {p})"))
        }
        FsError::TooBig(f) | FsError::NoSpace(f) => (
            413,
            format!("{f} does not fit in the guest (its file or disk limit)"),
        ),
        FsError::NotEmpty(f) | FsError::BadPath(f) | FsError::TooLong(f) => {
            (400, format!("cannot use {f} in the guest"))
        }
    }
}

/// Runs `f` on the transfer's guest as its user.
fn with_guest<R>(
    shared: &Shared,
    t: &Transfer,
    f: impl FnOnce(&mut crate::guest::Guest, Who<'_>, crate::clock::Instant) -> Result<R, FsError>,
) -> Result<R, Refusal> {
    shared
        .try_mutate(|st| {
            let vm = MoRef::new("VirtualMachine", &t.vm);
            if !st.objects.contains(&vm) {
                return Ok(Err((
                    404,
                    format!("the VM of this transfer ({}) no longer exists", t.vm),
                )));
            }
            // The bytes go through Tools in the guest, as on ESXi.
            if vm::power_state(st, &vm) != "poweredOn" || !vm::tools_running(st, &vm) {
                let name = st.objects.name(&vm);
                return Ok(Err((
                    503,
                    format!(
                        "VMware Tools is not running in {name}: the transfer cannot reach the guest"
                    ),
                )));
            }
            let now = st.guests.clock.now();
            let g = super::open(st, &vm);
            let Some(user) = g.users.iter().find(|u| u.name == t.user).cloned() else {
                return Ok(Err((
                    403,
                    format!("the guest account {} no longer exists", t.user),
                )));
            };
            let who = Who {
                name: &user.name,
                admin: user.admin,
            };
            // A refusal is an answer, not a failed change: nothing was written.
            Ok(f(g, who, now).map_err(|e| refusal(e, t)))
        })
        .unwrap_or_else(|f: vim25::Fault| Err((500, f.message)))
}

/// PUT: the body becomes the guest file, if it is exactly the size announced.
pub(crate) fn upload(shared: &Shared, t: &Transfer, body: &[u8]) -> Result<(), Refusal> {
    let Direction::ToGuest { size, overwrite } = t.direction else {
        return Err((405, "this transfer URL is for a download (GET)".into()));
    };
    if body.len() as i64 != size {
        return Err((
            400,
            format!(
                "the body is {} bytes but InitiateFileTransferToGuest announced {size} for {}",
                body.len(),
                t.path
            ),
        ));
    }
    with_guest(shared, t, |g, who, now| {
        let p = g.fs.path(None, &t.path)?;
        g.fs.check_upload(who, &p, overwrite)?;
        g.fs.write(who, &p, body, WriteMode::Replace, now)?;
        g.fs.change_attributes(who, &p, &t.attrs)
    })
}

/// GET: the guest file's bytes.
pub(crate) fn download(shared: &Shared, t: &Transfer) -> Result<Vec<u8>, Refusal> {
    with_guest(shared, t, |g, who, _| {
        let p = g.fs.path(None, &t.path)?;
        g.fs.read(who, &p).map(|b| b.as_ref().clone())
    })
}
