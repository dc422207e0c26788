//! `GuestFileManager`: list, make, delete and move files and directories in
//! a guest, and hand out the `/guestFile` transfer URLs.

use vim25::{Data, Fault, Value};

use super::{Login, fs_fault, login};
use crate::call::{Call, Reply};
use crate::clock::{self, Instant};
use crate::guest::attrs::AttrChange;
use crate::guest::fs::{FsError, GPath, Node, Os, WriteMode};
use crate::guest::transfer::{self, Direction, Transfer};
use crate::guest::{Guest, User};

/// The guest path argument `arg`, absolute, or `InvalidArgument` naming it.
fn path(g: &Guest, c: &Call, arg: &str) -> Result<GPath, Fault> {
    let s = c.str(arg)?;
    g.fs.path(None, s).map_err(|e| fs_fault(e, arg))
}

/// A non-negative `int` argument.
fn count(c: &Call, arg: &str) -> Result<Option<usize>, Fault> {
    match c.value(arg) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| Fault::invalid_argument(arg)),
    }
}

/// A POSIX uid for an account: root 0, the others 1000 + their place.
fn uid(users: &[User], owner: &str) -> i64 {
    if owner == "root" {
        return 0;
    }
    users
        .iter()
        .position(|u| u.name == owner)
        .map(|i| 1000 + i as i64)
        .unwrap_or(65534)
}

/// The attributes vSphere reports for a node, POSIX or Windows.
pub(crate) fn attributes(g: &Guest, n: &Node) -> Data {
    let (m, a) = (clock::text(n.mtime), clock::text(n.atime));
    match g.os {
        Os::Linux => {
            let id = uid(&g.users, &n.owner);
            let kind = if n.is_dir() { 0o040000 } else { 0o100000 };
            Data::new("GuestPosixFileAttributes")
                .with("modificationTime", m)
                .with("accessTime", a)
                .with("ownerId", id)
                .with("groupId", id)
                .with("permissions", i64::from(kind | n.mode))
        }
        Os::Windows => Data::new("GuestWindowsFileAttributes")
            .with("modificationTime", m)
            .with("accessTime", a)
            .with("hidden", false)
            .with("readOnly", n.mode & 0o200 == 0)
            .with("createTime", clock::text(n.mtime)),
    }
}

fn file_info(g: &Guest, n: &Node) -> Data {
    Data::new("GuestFileInfo")
        .with("path", n.name())
        .with("type", if n.is_dir() { "directory" } else { "file" })
        .with("size", n.size())
        .with("attributes", attributes(g, n))
}

/// Runs `f` on the caller's guest in a change that commits only on success.
fn with_guest<T>(
    c: &Call,
    f: impl FnOnce(&Login, &mut Guest, Instant) -> Result<T, Fault>,
) -> Result<T, Fault> {
    c.shared.try_mutate(|st| {
        let l = login(st, c)?;
        let now = st.guests.clock.now();
        let g = l.guest(st);
        f(&l, g, now)
    })
}

pub(crate) fn list_files(c: &Call) -> Reply {
    let index = count(c, "index")?.unwrap_or(0);
    // vSphere's default page.
    let max = count(c, "maxResults")?.unwrap_or(50);
    let pattern = match c.opt_str("matchPattern")?.filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(regex::Regex::new(p).map_err(|e| {
            Fault::new(
                "InvalidArgument",
                format!("A specified parameter was not correct: matchPattern ({e})"),
            )
            .with("invalidProperty", "matchPattern")
        })?),
    };
    let (files, remaining) = with_guest(c, |l, g, _| {
        let p = path(g, c, "filePath")?;
        let nodes =
            g.fs.list(l.who(), &p)
                .map_err(|e| fs_fault(e, "filePath"))?;
        let matching: Vec<&Node> = nodes
            .into_iter()
            .filter(|n| pattern.as_ref().is_none_or(|r| r.is_match(n.name())))
            .collect();
        let page: Vec<Value> = matching
            .iter()
            .skip(index)
            .take(max)
            .map(|n| Value::data(file_info(g, n)))
            .collect();
        let remaining = matching.len().saturating_sub(index + page.len());
        Ok((page, remaining as i64))
    })?;
    let mut out = Data::new("GuestListFileInfo");
    if !files.is_empty() {
        out.set("files", Value::array(files));
    }
    out.set("remaining", remaining);
    Ok(Some(Value::data(out)))
}

pub(crate) fn make_directory(c: &Call) -> Reply {
    let parents = c.bool_or("createParentDirectories", false)?;
    with_guest(c, |l, g, now| {
        let p = path(g, c, "directoryPath")?;
        // Unlike `mkdir -p`, the guest agent refuses any existing path, even
        // with createParentDirectories (it checks before creating anything).
        if g.fs.get(&p).is_some() {
            return Err(fs_fault(
                FsError::AlreadyExists(p.display()),
                "directoryPath",
            ));
        }
        g.fs.mkdir(l.who(), &p, parents, now)
            .map_err(|e| fs_fault(e, "directoryPath"))
    })?;
    Ok(None)
}

pub(crate) fn delete_file(c: &Call) -> Reply {
    with_guest(c, |l, g, _| {
        let p = path(g, c, "filePath")?;
        g.fs.remove_file(l.who(), &p)
            .map_err(|e| fs_fault(e, "filePath"))
    })?;
    Ok(None)
}

pub(crate) fn delete_directory(c: &Call) -> Reply {
    let recursive = c.bool_or("recursive", false)?;
    with_guest(c, |l, g, _| {
        let p = path(g, c, "directoryPath")?;
        g.fs.remove_dir(l.who(), &p, recursive)
            .map_err(|e| fs_fault(e, "directoryPath"))
    })?;
    Ok(None)
}

pub(crate) fn move_file(c: &Call) -> Reply {
    let overwrite = c.bool_or("overwrite", false)?;
    with_guest(c, |l, g, _| {
        let from = path(g, c, "srcFilePath")?;
        let to = path(g, c, "dstFilePath")?;
        match g.fs.get(&from) {
            Some(n) if n.is_dir() => return Err(Fault::not_a_file(&from.display())),
            _ => {}
        }
        g.fs.rename(l.who(), &from, &to, overwrite)
            .map_err(|e| fs_fault(e, "srcFilePath"))
    })?;
    Ok(None)
}

pub(crate) fn move_directory(c: &Call) -> Reply {
    with_guest(c, |l, g, _| {
        let from = path(g, c, "srcDirectoryPath")?;
        let to = path(g, c, "dstDirectoryPath")?;
        match g.fs.get(&from) {
            Some(n) if !n.is_dir() => return Err(Fault::not_a_directory(&from.display())),
            _ => {}
        }
        g.fs.rename(l.who(), &from, &to, false)
            .map_err(|e| fs_fault(e, "srcDirectoryPath"))
    })?;
    Ok(None)
}

/// `CreateTemporaryFileInGuest`: an empty file in the temp directory (or
/// `directoryPath`); its path.
pub(crate) fn create_temporary_file(c: &Call) -> Reply {
    let prefix = c.str("prefix")?.to_string();
    let suffix = c.str("suffix")?.to_string();
    let made = with_guest(c, |l, g, now| {
        let dir = temp_dir(g, c)?;
        loop {
            let n = g.next_temp();
            let p = dir.join(&format!("{prefix}{n:06}{suffix}"));
            if g.fs.get(&p).is_none() {
                g.fs.write(l.who(), &p, b"", WriteMode::CreateNew, now)
                    .map_err(|e| fs_fault(e, "directoryPath"))?;
                return Ok(g.fs.get(&p).map(|n| n.path.clone()).unwrap_or_default());
            }
        }
    })?;
    Ok(Some(Value::from(made)))
}

/// What a `GuestFileAttributes` asks to change on `g`'s files: POSIX
/// `ownerId` (an account's uid) and `permissions`, Windows `readOnly`, and
/// either's times.
pub(crate) fn attr_change(g: &Guest, d: &Data) -> Result<AttrChange, Fault> {
    let time = |f: &str| -> Result<Option<Instant>, Fault> {
        match d.get(f).and_then(Value::as_str) {
            None => Ok(None),
            Some(t) => chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| Some(t.with_timezone(&chrono::Utc)))
                .map_err(|_| Fault::invalid_argument(&format!("fileAttributes.{f}"))),
        }
    };
    let owner = match d.get("ownerId").and_then(Value::as_i64) {
        None => None,
        Some(id) => Some(
            g.users
                .iter()
                .map(|u| u.name.clone())
                .find(|n| uid(&g.users, n) == id)
                .ok_or_else(|| Fault::invalid_argument("fileAttributes.ownerId"))?,
        ),
    };
    let mode = match d.get("permissions").and_then(Value::as_i64) {
        None => None,
        Some(m) => Some(
            u32::try_from(m & 0o7777)
                .map_err(|_| Fault::invalid_argument("fileAttributes.permissions"))?,
        ),
    };
    Ok(AttrChange {
        mode,
        owner,
        read_only: d.get("readOnly").and_then(Value::as_bool),
        mtime: time("modificationTime")?,
        atime: time("accessTime")?,
    })
}

/// `ChangeFileAttributesInGuest`.
pub(crate) fn change_attributes(c: &Call) -> Reply {
    let attrs = c.data("fileAttributes")?.clone();
    with_guest(c, |l, g, _| {
        let p = path(g, c, "guestFilePath")?;
        let change = attr_change(g, &attrs)?;
        g.fs.change_attributes(l.who(), &p, &change)
            .map_err(|e| fs_fault(e, "guestFilePath"))
    })?;
    Ok(None)
}

/// `CreateTemporaryDirectoryInGuest`: a new directory in the temp directory
/// (or `directoryPath`); its path.
pub(crate) fn create_temporary_directory(c: &Call) -> Reply {
    let prefix = c.str("prefix")?.to_string();
    let suffix = c.str("suffix")?.to_string();
    let made = with_guest(c, |l, g, now| {
        let dir = temp_dir(g, c)?;
        loop {
            let n = g.next_temp();
            let p = dir.join(&format!("{prefix}{n:06}{suffix}"));
            if g.fs.get(&p).is_none() {
                g.fs.mkdir(l.who(), &p, false, now)
                    .map_err(|e| fs_fault(e, "directoryPath"))?;
                return Ok(g.fs.get(&p).map(|n| n.path.clone()).unwrap_or_default());
            }
        }
    })?;
    Ok(Some(Value::from(made)))
}

/// Where temporary files go: `directoryPath`, else the guest's temp directory.
fn temp_dir(g: &Guest, c: &Call) -> Result<GPath, Fault> {
    if c.opt_str("directoryPath")?.is_some_and(|d| !d.is_empty()) {
        return path(g, c, "directoryPath");
    }
    let root = g.fs.root();
    Ok(match g.os {
        Os::Linux => root.join("tmp"),
        Os::Windows => root.join("Temp"),
    })
}

/// The transfer URL for an issued `(id, token)`.
fn url(c: &Call, id: u64, token: &str) -> String {
    let base = c.read().guests.base_url.clone();
    format!("{base}/guestFile?id={id}&token={token}")
}

fn transfer(l: &Login, p: &GPath, direction: Direction, attrs: AttrChange) -> Transfer {
    Transfer {
        attrs,
        vm: l.vm.value.to_string(),
        path: p.display(),
        user: l.user.name.clone(),
        direction,
        expires: chrono::DateTime::<chrono::Utc>::MIN_UTC,
    }
}

/// `InitiateFileTransferToGuest`: checks now what it can (the parent
/// directory, overwrite, permissions, size), again at the PUT.
pub(crate) fn initiate_to_guest(c: &Call) -> Reply {
    let overwrite = c.bool_or("overwrite", false)?;
    let size = c
        .value("fileSize")
        .and_then(Value::as_i64)
        .ok_or_else(|| Fault::invalid_argument("fileSize"))?;
    if size < 0 {
        return Err(Fault::invalid_argument("fileSize"));
    }
    if size as u64 > transfer::MAX_BYTES as u64 {
        return Err(Fault::new(
            "FileTooLarge",
            format!(
                "A file of {size} bytes is larger than vcsim's guest transfer limit of {} bytes",
                transfer::MAX_BYTES
            ),
        )
        .with("datastore", "")
        .with("fileSize", size)
        .with("maxFileSize", transfer::MAX_BYTES as i64));
    }
    let (id, token) = with_guest(c, |l, g, now| {
        let p = path(g, c, "guestFilePath")?;
        g.fs.check_upload(l.who(), &p, overwrite)
            .map_err(|e| fs_fault(e, "guestFilePath"))?;
        let change = attr_change(g, c.data("fileAttributes")?)?;
        if change.owner.is_some() && !l.user.admin {
            return Err(Fault::guest_permission_denied(&format!(
                "{} may not give {} to another owner",
                l.user.name,
                p.display()
            )));
        }
        let t = transfer(l, &p, Direction::ToGuest { size, overwrite }, change);
        Ok((t, now))
    })
    .map(|(t, now)| c.shared.bookkeeping(|st| st.guests.transfers.issue(t, now)))?;
    Ok(Some(Value::from(url(c, id, &token))))
}

/// `InitiateFileTransferFromGuest`: the file's attributes, size and URL.
pub(crate) fn initiate_from_guest(c: &Call) -> Reply {
    let (t, now, info) = with_guest(c, |l, g, now| {
        let p = path(g, c, "guestFilePath")?;
        let node =
            g.fs.stat(l.who(), &p)
                .map_err(|e| fs_fault(e, "guestFilePath"))?;
        if node.is_dir() {
            return Err(Fault::not_a_file(&p.display()));
        }
        g.fs.read(l.who(), &p)
            .map_err(|e| fs_fault(e, "guestFilePath"))?;
        let info = (attributes(g, node), node.size());
        let t = transfer(l, &p, Direction::FromGuest, AttrChange::default());
        Ok((t, now, info))
    })?;
    let (id, token) = c.shared.bookkeeping(|st| st.guests.transfers.issue(t, now));
    Ok(Some(Value::data(
        Data::new("FileTransferInformation")
            .with("attributes", info.0)
            .with("size", info.1)
            .with("url", url(c, id, &token)),
    )))
}
