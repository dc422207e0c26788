//! The tool families: one table, in the contract's order, with the title and
//! blurb the docs show and the tools each family registers. The registry,
//! the docs generator and every tool's `category` read it. All 13 of the
//! contract's families are here, each complete (a test checks both).

use super::ToolDef;
use super::{
    console, disks, guest_ops, hosts, inventory, monitoring, nics, ovf, power_ops, serial,
    snapshots, vcenter_ops, vm_lifecycle,
};

pub struct Family {
    /// The contract's category name.
    pub id: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    pub tools: &'static [ToolDef],
}

impl std::fmt::Debug for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Family")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

pub static FAMILIES: &[Family] = &[
    Family {
        id: "vm_lifecycle",
        title: "VM lifecycle",
        blurb: "List, inspect, create, clone, reconfigure, rename and delete virtual machines.",
        tools: vm_lifecycle::TOOLS,
    },
    Family {
        id: "power_ops",
        title: "Power operations",
        blurb: "Power on, off, reset and suspend; ask the guest to shut down, reboot or stand by.",
        tools: power_ops::TOOLS,
    },
    Family {
        id: "snapshots",
        title: "Snapshots",
        blurb: "Create, list, revert and delete VM snapshots.",
        tools: snapshots::TOOLS,
    },
    Family {
        id: "guest_ops",
        title: "Guest operations",
        blurb: "Run commands and move files inside the guest through VMware Tools.",
        tools: guest_ops::TOOLS,
    },
    Family {
        id: "console",
        title: "Console",
        blurb: "Screenshots, VMware Tools status and waiting for the guest.",
        tools: console::TOOLS,
    },
    Family {
        id: "monitoring",
        title: "Monitoring",
        blurb: "Host and VM statistics, recent tasks and events, triggered alarms.",
        tools: monitoring::TOOLS,
    },
    Family {
        id: "disk_management",
        title: "Disk management",
        blurb: "Add, extend, list and remove virtual disks.",
        tools: disks::TOOLS,
    },
    Family {
        id: "nic_management",
        title: "NIC management",
        blurb: "Add, change, connect and remove network adapters.",
        tools: nics::TOOLS,
    },
    Family {
        id: "serial_port",
        title: "Serial ports",
        blurb: "Network-backed serial ports.",
        tools: serial::TOOLS,
    },
    Family {
        id: "ovf_management",
        title: "OVF",
        blurb: "Deploy and export OVF/OVA packages on datastores.",
        tools: ovf::TOOLS,
    },
    Family {
        id: "host_management",
        title: "Host management",
        blurb: "ESXi hosts: hardware, networking, services, NTP, maintenance mode and power.",
        tools: hosts::TOOLS,
    },
    Family {
        id: "vcenter_ops",
        title: "vCenter operations",
        blurb: "Folders, templates, migration, clusters and DRS, recent events and tasks.",
        tools: vcenter_ops::TOOLS,
    },
    Family {
        id: "resources",
        title: "Inventory",
        blurb: "Datastores, networks, clusters, resource pools and hosts.",
        tools: inventory::TOOLS,
    },
];

/// The family that lists the tool named `tool` (every registered tool has
/// one: the registry is built from these lists).
pub fn of(tool: &str) -> Option<&'static Family> {
    FAMILIES
        .iter()
        .find(|f| f.tools.iter().any(|t| t.name == tool))
}

/// The family with id `id`.
pub fn find(id: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.id == id)
}
