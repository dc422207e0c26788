//! SearchIndex: finding entities by inventory path, UUID, IP, DNS name,
//! datastore path, or by name under a parent.

use vim25::{Fault, MoRef, Value};

use crate::call::{Call, Reply, require};
use crate::events::datacenter_of;
use crate::mo::view_manager::children;
use crate::state::State;

pub(crate) fn find_by_inventory_path(c: &Call) -> Reply {
    let path = c.str("inventoryPath")?;
    Ok(inventory_path(&c.read(), path).map(Value::moref))
}

pub(crate) fn find_child(c: &Call) -> Reply {
    let entity = c.moref("entity")?;
    let st = c.read();
    require(&st, &entity)?;
    let name = c.str("name")?;
    Ok(child_named(&st, &entity, name).map(Value::moref))
}

pub(crate) fn find_by_datastore_path(c: &Call) -> Reply {
    let path = c.str("path")?;
    let st = c.read();
    Ok(st
        .objects
        .of_kind("VirtualMachine")
        .into_iter()
        .find(|m| st.objects.str_prop(m, "config.files.vmPathName").as_deref() == Some(path))
        .map(Value::moref))
}

pub(crate) fn find_by_uuid(c: &Call) -> Reply {
    first(c, By::Uuid)
}

pub(crate) fn find_all_by_uuid(c: &Call) -> Reply {
    all(c, By::Uuid)
}

pub(crate) fn find_by_ip(c: &Call) -> Reply {
    first(c, By::Ip)
}

pub(crate) fn find_all_by_ip(c: &Call) -> Reply {
    all(c, By::Ip)
}

pub(crate) fn find_by_dns_name(c: &Call) -> Reply {
    first(c, By::DnsName)
}

pub(crate) fn find_all_by_dns_name(c: &Call) -> Reply {
    all(c, By::DnsName)
}

/// What a FindBy*/FindAllBy* lookup matches on.
#[derive(Clone, Copy)]
enum By {
    Uuid,
    Ip,
    DnsName,
}

fn first(c: &Call, by: By) -> Reply {
    Ok(matches(c, by)?.into_iter().next().map(Value::moref))
}

fn all(c: &Call, by: By) -> Reply {
    Ok(Some(Value::from(matches(c, by)?)))
}

/// Children by name: a datacenter's folders answer to `vm`, `host`, … .
fn child_named(st: &State, parent: &MoRef, name: &str) -> Option<MoRef> {
    children(st, parent)
        .into_iter()
        .find(|c| st.objects.name(c) == name)
}

fn inventory_path(st: &State, path: &str) -> Option<MoRef> {
    let mut cur = st.svc("rootFolder");
    for part in path.split('/').filter(|p| !p.is_empty()) {
        // `%2f` is how a `/` inside a name is written in inventory paths.
        let name = part.replace("%2f", "/").replace("%2F", "/");
        cur = child_named(st, &cur, &name)?;
    }
    Some(cur)
}

fn in_dc(st: &State, m: &MoRef, dc: Option<&MoRef>) -> bool {
    dc.is_none_or(|d| datacenter_of(st, m).as_ref() == Some(d))
}

/// All matches of a lookup: VMs when `vmSearch`, else hosts, optionally
/// within one datacenter.
fn matches(c: &Call, by: By) -> Result<Vec<MoRef>, Fault> {
    let st = c.read();
    let dc = c.opt_moref("datacenter")?;
    if let Some(d) = &dc {
        require(&st, d)?;
    }
    let vm_search = c.bool_or("vmSearch", false)?;
    let kind = if vm_search {
        "VirtualMachine"
    } else {
        "HostSystem"
    };
    let (needle, path) = match by {
        By::Uuid => {
            let uuid = c.str("uuid")?;
            let path = match (vm_search, c.bool_or("instanceUuid", false)?) {
                (true, true) => "config.instanceUuid",
                (true, false) => "config.uuid",
                (false, _) => "summary.hardware.uuid",
            };
            (uuid.to_lowercase(), path)
        }
        By::Ip => (c.str("ip")?.to_string(), "guest.ipAddress"),
        By::DnsName => (
            c.str("dnsName")?.to_lowercase(),
            if vm_search { "guest.hostName" } else { "name" },
        ),
    };
    let needle = needle.to_lowercase();
    Ok(st
        .objects
        .of_kind(kind)
        .into_iter()
        .filter(|m| {
            // Hosts have no `guest.ipAddress`: an IP lookup of hosts finds none
            // (a debug-build panic before; issue 14's fuzzing found it).
            st.objects
                .prop_if_defined(m, path)
                .and_then(Value::as_str)
                .is_some_and(|v| v.to_lowercase() == needle)
                && in_dc(&st, m, dc.as_ref())
        })
        .collect())
}
