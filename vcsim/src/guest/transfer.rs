//! Open guest file transfers: what `InitiateFileTransfer{To,From}Guest`
//! handed out and `/guestFile` will honour once, within a few minutes. The
//! random token is the credential (as on ESXi, no session needed).

use std::collections::HashMap;

use chrono::TimeDelta;

use crate::clock::Instant;

/// Largest file a transfer moves either way.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// How long a transfer URL stays valid (simulated time).
pub const LIFETIME_SECS: i64 = 600;
/// Open transfers kept at most; the oldest go first.
const MAX_OPEN: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    /// PUT: the body must be exactly `size` bytes.
    ToGuest { size: i64, overwrite: bool },
    /// GET: the file's bytes.
    FromGuest,
}

#[derive(Clone, Debug)]
pub struct Transfer {
    pub vm: String,
    pub path: String,
    /// The guest account the transfer acts as (name only, never its password).
    pub user: String,
    pub direction: Direction,
    /// What the upload's `fileAttributes` ask of the written file.
    pub attrs: super::attrs::AttrChange,
    pub expires: Instant,
}

#[derive(Debug, Default)]
pub struct Transfers {
    next_id: u64,
    open: HashMap<u64, (String, Transfer)>,
}

impl Transfers {
    /// Registers `t` (expiring [`LIFETIME_SECS`] after `now`): `(id, token)`.
    pub fn issue(&mut self, mut t: Transfer, now: Instant) -> (u64, String) {
        self.open.retain(|_, (_, o)| o.expires > now);
        if self.open.len() >= MAX_OPEN
            && let Some(oldest) = self.open.keys().min().copied()
        {
            self.open.remove(&oldest);
        }
        self.next_id += 1;
        t.expires = now
            .checked_add_signed(TimeDelta::seconds(LIFETIME_SECS))
            .unwrap_or(now);
        let token = format!("{:032x}", rand::random::<u128>());
        self.open.insert(self.next_id, (token.clone(), t));
        (self.next_id, token)
    }

    /// Uses up transfer `id` if `token` matches, it has not expired and it
    /// goes the way asked (`upload`: to the guest).
    pub fn take(&mut self, id: u64, token: &str, upload: bool, now: Instant) -> Option<Transfer> {
        let goes = |t: &Transfer| matches!(t.direction, Direction::ToGuest { .. }) == upload;
        match self.open.get(&id) {
            Some((tok, t)) if tok == token && t.expires > now && goes(t) => {}
            Some((_, t)) if t.expires <= now => {
                self.open.remove(&id);
                return None;
            }
            _ => return None,
        }
        self.open.remove(&id).map(|(_, t)| t)
    }
}
