//! The permission levels and sets of them. A leaf: it imports nothing from
//! the crate, so settings, the tool registry, RBAC and audit can all name a
//! level without importing each other.

use std::fmt;

use serde::Serialize;

/// A permission level (the contract's `permission_levels`). The order is the
/// ladder a `--role` climbs; groups grant explicit sets instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ReadOnly,
    PowerOps,
    VmLifecycle,
    HostAdmin,
    FullAdmin,
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::ReadOnly,
        Permission::PowerOps,
        Permission::VmLifecycle,
        Permission::HostAdmin,
        Permission::FullAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ReadOnly => "read_only",
            Permission::PowerOps => "power_ops",
            Permission::VmLifecycle => "vm_lifecycle",
            Permission::HostAdmin => "host_admin",
            Permission::FullAdmin => "full_admin",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of levels. A set, not a rank: the contract maps groups to explicit
/// lists, so "has power_ops" never means "has everything below power_ops".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Levels(u8);

impl Levels {
    pub const NONE: Levels = Levels(0);

    pub fn of(levels: &[Permission]) -> Levels {
        Levels(levels.iter().fold(0, |acc, p| acc | p.bit()))
    }

    /// `role` and every level below it: what a `--role` grants.
    pub fn up_to(role: Permission) -> Levels {
        Levels::of(&Permission::ALL[..=role as usize])
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn union(self, other: Levels) -> Levels {
        Levels(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl fmt::Display for Levels {
    /// `read_only, power_ops`, or `nothing`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing");
        }
        let names: Vec<&str> = self.iter().map(Permission::as_str).collect();
        f.write_str(&names.join(", "))
    }
}
