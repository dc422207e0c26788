//! `ChangeFileAttributesInGuest` on the file system: permissions, owner and
//! times (POSIX), read-only (Windows).

use super::fs::{Fs, FsError, GPath, Os, Who};
use crate::clock::Instant;

/// What a change of attributes asks for; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct AttrChange {
    /// POSIX permission bits (the type bits are ignored).
    pub mode: Option<u32>,
    /// A new owner (by account name); only an admin may give a file away.
    pub owner: Option<String>,
    pub read_only: Option<bool>,
    pub mtime: Option<Instant>,
    pub atime: Option<Instant>,
}

impl Fs {
    /// Applies `c` to `p`: its owner or an admin may change it.
    pub fn change_attributes(
        &mut self,
        who: Who<'_>,
        p: &GPath,
        c: &AttrChange,
    ) -> Result<(), FsError> {
        let owner = self.stat(who, p)?.owner.clone();
        if !who.admin && owner != who.name {
            return Err(FsError::Denied(p.display()));
        }
        if c.owner.as_ref().is_some_and(|o| *o != owner) && !who.admin {
            return Err(FsError::Denied(p.display()));
        }
        let os = self.os;
        let Some(n) = self.nodes.get_mut(&p.key()) else {
            return Err(FsError::NotFound(p.display()));
        };
        if let Some(m) = c.mode {
            n.mode = m & 0o7777;
        }
        if let Some(ro) = c.read_only {
            n.mode = if ro { n.mode & !0o222 } else { n.mode | 0o200 };
        }
        if let Some(o) = &c.owner
            && os == Os::Linux
        {
            n.owner = o.clone();
        }
        if let Some(t) = c.mtime {
            n.mtime = t;
        }
        if let Some(t) = c.atime {
            n.atime = t;
        }
        Ok(())
    }
}
