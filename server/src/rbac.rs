//! Role-based access control, fail-closed.
//!
//! [`TABLE`] is the one place that says which level a tool needs; the registry
//! (`ToolDef::permission`), `tools --format json`, the docs and enforcement in
//! [`crate::mcp`] all read it. A tool without an entry is callable by no one
//! and listed to no one — a new tool family must add its rows here before
//! anybody can use it, and a test fails until it does.
//!
//! Callers with an [`Identity`] get the union of the levels of their groups
//! (after `RBAC_GROUP_MAP`), per the contract's `groups`. Callers without one
//! (stdio, HTTP without authentication) get the configured role and every
//! level below it.

use std::fmt;

use crate::config::AccessSettings;
use crate::identity::Identity;
/// The level type lives in the leaf [`crate::permission`]; re-exported for
/// the callers that name it from here.
pub use crate::permission::{Levels, Permission};

/// The contract's groups and the levels each grants, literally.
pub const GROUPS: &[(&str, &[Permission])] = {
    use Permission::{FullAdmin, HostAdmin, PowerOps, ReadOnly, VmLifecycle};
    &[
        ("vsphere-readers", &[ReadOnly]),
        ("vsphere-operators", &[ReadOnly, PowerOps]),
        ("vsphere-admins", &[ReadOnly, PowerOps, VmLifecycle]),
        (
            "vsphere-host-admins",
            &[ReadOnly, PowerOps, VmLifecycle, HostAdmin],
        ),
        (
            "vsphere-super-admins",
            &[ReadOnly, PowerOps, VmLifecycle, HostAdmin, FullAdmin],
        ),
    ]
};

/// The levels a contract group grants; `None` for a name that is not one.
pub fn group_levels(group: &str) -> Option<Levels> {
    GROUPS
        .iter()
        .find(|(g, _)| *g == group)
        .map(|(_, l)| Levels::of(l))
}

/// Tool name → the level needed to call it, for all 94 contract tools
/// (grouped by the contract's categories).
///
/// Written out here rather than parsed from `fixtures/spec/tools.json` at
/// build time: the server crate stays self-contained (the fixture lives
/// outside it, so `include_str!` would break packaging), a change of level is
/// a visible diff in the code that enforces it, and there is no parse step
/// that could fail at start-up. `tests/it/rbac.rs` checks every row against
/// the contract, both ways. Rows for tools not registered yet are inert.
pub const TABLE: &[(&str, Permission)] = {
    use Permission::{FullAdmin, HostAdmin, PowerOps, ReadOnly, VmLifecycle};
    &[
        // console
        ("get_vm_tools_status", ReadOnly),
        ("vm_screenshot", ReadOnly),
        ("wait_for_vm_tools", ReadOnly),
        // disk_management
        ("add_disk", VmLifecycle),
        ("attach_iso", VmLifecycle),
        ("detach_iso", VmLifecycle),
        ("extend_disk", VmLifecycle),
        ("list_disks", ReadOnly),
        ("remove_disk", VmLifecycle),
        // guest_ops
        ("create_guest_directory", FullAdmin),
        ("delete_guest_file", FullAdmin),
        ("list_guest_directory", FullAdmin),
        ("list_guest_processes", FullAdmin),
        ("read_guest_file", FullAdmin),
        ("run_command_in_guest", FullAdmin),
        ("write_guest_file", FullAdmin),
        // host_management
        ("configure_ntp", HostAdmin),
        ("enter_maintenance_mode", HostAdmin),
        ("exit_maintenance_mode", HostAdmin),
        ("get_host_hardware", ReadOnly),
        ("get_host_info", ReadOnly),
        ("get_host_networking", ReadOnly),
        ("get_ntp_config", ReadOnly),
        ("list_services", ReadOnly),
        ("reboot_host", HostAdmin),
        ("set_service_policy", HostAdmin),
        ("shutdown_host", HostAdmin),
        ("start_service", FullAdmin),
        ("stop_service", FullAdmin),
        // monitoring
        ("get_alarms", ReadOnly),
        ("get_host_stats", ReadOnly),
        ("get_recent_events", ReadOnly),
        ("get_recent_tasks", ReadOnly),
        ("get_vm_stats", ReadOnly),
        ("list_hosts", ReadOnly),
        // nic_management
        ("add_nic", VmLifecycle),
        ("change_nic_network", VmLifecycle),
        ("connect_nic", PowerOps),
        ("list_nics", ReadOnly),
        ("remove_nic", VmLifecycle),
        ("set_nic_mac", VmLifecycle),
        // ovf_management
        ("deploy_ovf", VmLifecycle),
        ("export_vm_ovf", VmLifecycle),
        ("list_ovf_networks", ReadOnly),
        // power_ops
        ("power_off", PowerOps),
        ("power_on", PowerOps),
        ("reboot_guest", PowerOps),
        ("reset_vm", PowerOps),
        ("shutdown_guest", PowerOps),
        ("standby_guest", PowerOps),
        ("suspend_vm", PowerOps),
        // resources
        ("browse_datastore", ReadOnly),
        ("copy_datastore_file", VmLifecycle),
        ("create_datastore_folder", VmLifecycle),
        ("delete_datastore_file", VmLifecycle),
        ("download_from_datastore", VmLifecycle),
        ("get_datastore_info", ReadOnly),
        ("get_network_info", ReadOnly),
        ("get_resource_pool_info", ReadOnly),
        ("get_vcenter_info", ReadOnly),
        ("list_templates", ReadOnly),
        ("move_datastore_file", VmLifecycle),
        ("upload_to_datastore", VmLifecycle),
        // serial_port
        ("clear_serial_port", VmLifecycle),
        ("connect_serial_port", VmLifecycle),
        ("get_serial_port", ReadOnly),
        ("remove_serial_port", VmLifecycle),
        ("setup_serial_port", VmLifecycle),
        // snapshots
        ("create_snapshot", PowerOps),
        ("delete_all_snapshots", PowerOps),
        ("delete_snapshot", PowerOps),
        ("list_snapshots", ReadOnly),
        ("rename_snapshot", PowerOps),
        ("revert_to_current_snapshot", PowerOps),
        ("revert_to_snapshot", PowerOps),
        // vcenter_ops
        ("convert_to_template", VmLifecycle),
        ("convert_to_vm", VmLifecycle),
        ("create_folder", VmLifecycle),
        ("deploy_from_template", VmLifecycle),
        ("get_drs_recommendations", ReadOnly),
        ("list_clusters", ReadOnly),
        ("list_folders", ReadOnly),
        ("list_recent_events", ReadOnly),
        ("list_recent_tasks", ReadOnly),
        ("move_vm_disk", VmLifecycle),
        ("move_vm_to_folder", VmLifecycle),
        ("storage_vmotion", VmLifecycle),
        // vm_lifecycle
        ("clone_vm", VmLifecycle),
        ("create_vm", VmLifecycle),
        ("delete_vm", VmLifecycle),
        ("get_vm_info", ReadOnly),
        ("list_vms", ReadOnly),
        ("reconfigure_vm", VmLifecycle),
        ("rename_vm", VmLifecycle),
    ]
};

/// The level `tool` needs per [`TABLE`]; `None` means no one may call it.
pub fn required(tool: &str) -> Option<Permission> {
    lookup(TABLE, tool)
}

fn lookup(table: &[(&str, Permission)], tool: &str) -> Option<Permission> {
    table.iter().find(|(n, _)| *n == tool).map(|(_, p)| *p)
}

/// How a caller without an identity reached the server; only labels differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Stdio,
    Http,
}

/// Why a caller has the levels it has, for the denial message.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Basis {
    /// Groups as sent, each with the contract group it was mapped to (if any).
    Groups(Vec<(String, Option<String>)>),
    /// No identity: the configured role.
    Role(Permission),
}

/// One caller as RBAC and the audit log see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The identity's subject; `stdio` or `anonymous` without one.
    pub user: String,
    /// A display name, if the identity carries one.
    pub name: Option<String>,
    /// Groups as the identity sent them (before `RBAC_GROUP_MAP`).
    pub groups: Vec<String>,
    /// `oauth`, `idp_token`, `api_key`, `stdio` or `unauthenticated`.
    pub source: &'static str,
    pub levels: Levels,
    basis: Basis,
}

impl Caller {
    /// The configured role, if this caller has one instead of groups.
    pub fn role(&self) -> Option<Permission> {
        match self.basis {
            Basis::Role(r) => Some(r),
            Basis::Groups(_) => None,
        }
    }

    /// "your groups (a, b → vsphere-readers) grant read_only" and the like.
    fn grants(&self) -> String {
        match &self.basis {
            Basis::Role(r) => format!(
                "callers without a login get the configured role {r} (MCVSPHERE_ROLE / --role), \
                 which grants {}",
                self.levels
            ),
            Basis::Groups(gs) if gs.is_empty() => {
                format!("you are in no groups, which grants {}", self.levels)
            }
            Basis::Groups(gs) => {
                let shown: Vec<String> = gs
                    .iter()
                    .map(|(g, mapped)| match mapped {
                        Some(m) => format!("{g} → {m}"),
                        None => g.clone(),
                    })
                    .collect();
                format!("your groups ({}) grant {}", shown.join(", "), self.levels)
            }
        }
    }
}

/// A refused call; `message` is what the caller is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    /// `None`: the tool has no row in the table.
    pub required: Option<Permission>,
    pub message: String,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The access policy of one server: the role for callers without identity,
/// the group map, and whether `tools/list` is filtered.
#[derive(Clone, Debug)]
pub struct Policy {
    role: Permission,
    group_map: Vec<(String, String)>,
    filter_tools: bool,
    table: &'static [(&'static str, Permission)],
}

impl Policy {
    pub fn new(role: Permission, group_map: Vec<(String, String)>, filter_tools: bool) -> Self {
        Policy {
            role,
            group_map,
            filter_tools,
            table: TABLE,
        }
    }

    pub fn from_settings(s: &AccessSettings) -> Self {
        Policy::new(s.role, s.group_map.clone(), s.filter_tools)
    }

    /// Replaces the permission table; only for tests that show what happens
    /// to a tool missing from it.
    #[doc(hidden)]
    pub fn with_table(mut self, table: &'static [(&'static str, Permission)]) -> Self {
        self.table = table;
        self
    }

    pub fn filter_tools(&self) -> bool {
        self.filter_tools
    }

    pub fn required(&self, tool: &str) -> Option<Permission> {
        lookup(self.table, tool)
    }

    /// Contract group names for one IdP group: every mapping whose left side
    /// matches, or the name itself when none does.
    fn map_group(&self, group: &str) -> Vec<String> {
        let mapped: Vec<String> = self
            .group_map
            .iter()
            .filter(|(from, _)| from == group)
            .map(|(_, to)| to.clone())
            .collect();
        if mapped.is_empty() {
            vec![group.to_string()]
        } else {
            mapped
        }
    }

    /// Who is calling: from the identity the auth layer attached, or the
    /// configured role when there is none.
    pub fn caller(&self, identity: Option<&Identity>, channel: Channel) -> Caller {
        let Some(id) = identity else {
            let (user, source) = match channel {
                Channel::Stdio => ("stdio", "stdio"),
                Channel::Http => ("anonymous", "unauthenticated"),
            };
            return Caller {
                user: user.into(),
                name: None,
                groups: vec![],
                source,
                levels: Levels::up_to(self.role),
                basis: Basis::Role(self.role),
            };
        };
        let mut levels = Levels::NONE;
        let mut shown = vec![];
        for g in &id.groups {
            for contract in self.map_group(g) {
                if let Some(l) = group_levels(&contract) {
                    levels = levels.union(l);
                }
                let mapped = (contract != *g).then_some(contract);
                shown.push((g.clone(), mapped));
            }
        }
        Caller {
            user: id.subject.clone(),
            name: id.name.clone(),
            groups: id.groups.clone(),
            source: id.source.as_str(),
            levels,
            basis: Basis::Groups(shown),
        }
    }

    /// May `caller` call `tool`? Fail-closed: a tool without a table row is
    /// denied to everyone, whatever their levels.
    pub fn check(&self, caller: &Caller, tool: &str) -> Result<Permission, Denied> {
        match self.required(tool) {
            Some(level) if caller.levels.contains(level) => Ok(level),
            Some(level) => Err(Denied {
                required: Some(level),
                message: format!(
                    "Permission denied: {tool} requires the {level} level; {}",
                    caller.grants()
                ),
            }),
            None => Err(Denied {
                required: None,
                message: format!(
                    "Permission denied: {tool} has no permission level in this server's RBAC \
                     table, so no one may call it"
                ),
            }),
        }
    }

    /// Whether `tools/list` shows `tool` to `caller`: never without a table
    /// row; otherwise only when allowed, unless filtering is off.
    pub fn visible(&self, caller: &Caller, tool: &str) -> bool {
        match self.required(tool) {
            None => false,
            Some(_) if !self.filter_tools => true,
            Some(_) => self.check(caller, tool).is_ok(),
        }
    }

    /// Resources are inventory reads: they need `read_only`.
    pub fn check_resource(&self, caller: &Caller, uri: &str) -> Result<(), Denied> {
        if caller.levels.contains(Permission::ReadOnly) {
            return Ok(());
        }
        Err(Denied {
            required: Some(Permission::ReadOnly),
            message: format!(
                "Permission denied: reading {uri} requires the read_only level; {}",
                caller.grants()
            ),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::identity::IdentitySource;

    fn who(groups: &[&str]) -> Identity {
        Identity {
            subject: "u1".into(),
            name: None,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            source: IdentitySource::ProxyToken,
        }
    }

    #[test]
    fn a_tool_missing_from_the_table_is_denied_and_hidden_for_everyone() {
        static PARTIAL: &[(&str, Permission)] = &[("list_vms", Permission::ReadOnly)];
        for filter in [true, false] {
            let p = Policy::new(Permission::FullAdmin, vec![], filter).with_table(PARTIAL);
            for c in [
                p.caller(Some(&who(&["vsphere-super-admins"])), Channel::Http),
                p.caller(None, Channel::Stdio),
            ] {
                assert_eq!(c.levels, Levels::of(&Permission::ALL));
                let d = p.check(&c, "power_off").unwrap_err();
                assert_eq!(d.required, None);
                assert!(d.message.contains("power_off"), "{d}");
                assert!(!p.visible(&c, "power_off"));
                assert!(p.check(&c, "list_vms").is_ok());
                assert!(p.visible(&c, "list_vms"));
            }
        }
    }

    #[test]
    fn levels_are_the_union_of_mapped_groups() {
        let p = Policy::new(
            Permission::FullAdmin,
            vec![("ro".into(), "vsphere-readers".into())],
            true,
        );
        let c = p.caller(
            Some(&who(&["ro", "nobody", "vsphere-operators"])),
            Channel::Http,
        );
        assert_eq!(
            c.levels,
            Levels::of(&[Permission::ReadOnly, Permission::PowerOps])
        );
        let d = p.check(&c, "delete_vm").unwrap_err();
        assert_eq!(
            d.message,
            "Permission denied: delete_vm requires the vm_lifecycle level; your groups \
             (ro → vsphere-readers, nobody, vsphere-operators) grant read_only, power_ops"
        );
        assert!(p.caller(Some(&who(&[])), Channel::Http).levels.is_empty());
    }

    #[test]
    fn a_role_grants_itself_and_everything_below() {
        let p = Policy::new(Permission::PowerOps, vec![], true);
        let c = p.caller(None, Channel::Stdio);
        assert_eq!(c.user, "stdio");
        assert_eq!(c.role(), Some(Permission::PowerOps));
        assert!(p.check(&c, "power_off").is_ok());
        let d = p.check(&c, "delete_vm").unwrap_err();
        assert!(d.message.contains("vm_lifecycle") && d.message.contains("power_ops"));
        assert_eq!(p.caller(None, Channel::Http).user, "anonymous");
    }
}
