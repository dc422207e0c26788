//! SearchIndex: finding entities by inventory path, UUID, IP, DNS name,
//! datastore path, or by name under a parent.

use vim25::{Fault, MoRef, Value};

use crate::call::{Call, Reply};
use crate::events::datacenter_of;
use crate::mo::view_manager::children;
use crate::state::State;

pub fn find_by_inventory_path(c: &Call) -> Reply {
    call(&c.read(), c.method(), &c.req.args)
}

pub fn find_child(c: &Call) -> Reply {
    call(&c.read(), c.method(), &c.req.args)
}

pub fn find_by_datastore_path(c: &Call) -> Reply {
    call(&c.read(), c.method(), &c.req.args)
}

/// FindByUuid, FindByIp, FindByDnsName: the first match.
pub fn find_one(c: &Call) -> Reply {
    call(&c.read(), c.method(), &c.req.args)
}

/// FindAllByUuid, FindAllByIp, FindAllByDnsName.
pub fn find_all(c: &Call) -> Reply {
    call(&c.read(), c.method(), &c.req.args)
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

fn arg_str<'a>(args: &'a [(String, Value)], n: &str) -> Option<&'a str> {
    args.iter()
        .find(|(k, _)| k == n)
        .and_then(|(_, v)| v.as_str())
}

fn arg_bool(args: &[(String, Value)], n: &str) -> bool {
    args.iter()
        .find(|(k, _)| k == n)
        .and_then(|(_, v)| v.as_bool())
        .unwrap_or(false)
}

/// All matches of a FindBy*/FindAllBy* lookup: VMs when `vmSearch`, else hosts.
fn matches(st: &State, method: &str, args: &[(String, Value)]) -> Result<Vec<MoRef>, Fault> {
    let dc = args
        .iter()
        .find(|(k, _)| k == "datacenter")
        .and_then(|(_, v)| v.as_moref())
        .cloned();
    if let Some(d) = &dc
        && !st.objects.contains(d)
    {
        return Err(Fault::managed_object_not_found(d));
    }
    let vm_search = arg_bool(args, "vmSearch");
    let kind = if vm_search {
        "VirtualMachine"
    } else {
        "HostSystem"
    };
    let (needle, paths): (String, Vec<&str>) = match method {
        "FindByUuid" | "FindAllByUuid" => {
            let uuid = arg_str(args, "uuid").ok_or_else(|| Fault::invalid_argument("uuid"))?;
            let path = match (vm_search, arg_bool(args, "instanceUuid")) {
                (true, true) => "config.instanceUuid",
                (true, false) => "config.uuid",
                (false, _) => "summary.hardware.uuid",
            };
            (uuid.to_lowercase(), vec![path])
        }
        "FindByIp" | "FindAllByIp" => (
            arg_str(args, "ip")
                .ok_or_else(|| Fault::invalid_argument("ip"))?
                .to_string(),
            vec!["guest.ipAddress"],
        ),
        "FindByDnsName" | "FindAllByDnsName" => (
            arg_str(args, "dnsName")
                .ok_or_else(|| Fault::invalid_argument("dnsName"))?
                .to_lowercase(),
            if vm_search {
                vec!["guest.hostName"]
            } else {
                vec!["name"]
            },
        ),
        _ => return Ok(vec![]),
    };
    Ok(st
        .objects
        .of_kind(kind)
        .into_iter()
        .filter(|m| {
            paths.iter().any(|p| {
                st.objects
                    .str_prop(m, p)
                    .is_some_and(|v| v.to_lowercase() == needle.to_lowercase())
            }) && in_dc(st, m, dc.as_ref())
        })
        .collect())
}

fn call(st: &State, method: &str, args: &[(String, Value)]) -> Result<Option<Value>, Fault> {
    match method {
        "FindByInventoryPath" => {
            let p = arg_str(args, "inventoryPath")
                .ok_or_else(|| Fault::invalid_argument("inventoryPath"))?;
            Ok(inventory_path(st, p).map(Value::MoRef))
        }
        "FindChild" => {
            let e = args
                .iter()
                .find(|(k, _)| k == "entity")
                .and_then(|(_, v)| v.as_moref())
                .ok_or_else(|| Fault::invalid_argument("entity"))?;
            if !st.objects.contains(e) {
                return Err(Fault::managed_object_not_found(e));
            }
            let name = arg_str(args, "name").ok_or_else(|| Fault::invalid_argument("name"))?;
            Ok(child_named(st, e, name).map(Value::MoRef))
        }
        "FindByDatastorePath" => {
            let p = arg_str(args, "path").ok_or_else(|| Fault::invalid_argument("path"))?;
            Ok(st
                .objects
                .of_kind("VirtualMachine")
                .into_iter()
                .find(|m| st.objects.str_prop(m, "config.files.vmPathName").as_deref() == Some(p))
                .map(Value::MoRef))
        }
        m if m.starts_with("FindAll") => Ok(Some(Value::from(matches(st, m, args)?))),
        m => Ok(matches(st, m, args)?.into_iter().next().map(Value::MoRef)),
    }
}
