//! Folder: `CreateFolder`, and `CreateVM_Task` (a VM is created in a folder).

use vim25::devices::DeviceList;
use vim25::{Data, Fault, MoRef, Value};

use crate::call::{Call, Reply, require};
use crate::mo::virtual_machine::devices::{Target, apply_device_changes};
use crate::mo::virtual_machine::model::{self as vm, NewVm};
use crate::mo::virtual_machine::{datacenter_name, derived_ip, event, host_for_pool};
use crate::state::State;

/// `Folder.CreateFolder`: a child folder with the parent's child types.
pub(crate) fn create_folder(c: &Call) -> Reply {
    let name = c.non_empty_str("name")?;
    let parent = c.this();
    c.shared.try_mutate(|st| {
        if let Some(other) = st.objects.child_named(parent, name) {
            return Err(Fault::duplicate_name(name, &other));
        }
        let child_type = st
            .objects
            .prop(parent, "childType")
            .cloned()
            .unwrap_or(Value::array(vec![]));
        let f = MoRef::new("Folder", &st.new_id("group"));
        st.objects.insert(
            f.clone(),
            Data::new("Folder")
                .with("name", name)
                .with("parent", parent)
                .with("childType", child_type)
                .with("childEntity", Value::array(vec![]))
                .with("overallStatus", "green")
                .with("configStatus", "green"),
        );
        st.objects.push_ref(parent, "childEntity", &f)?;
        Ok(Some(Value::moref(f)))
    })
}

fn datastore_named(st: &State, path: &str) -> Option<MoRef> {
    let name = path.strip_prefix('[')?.split(']').next()?;
    st.objects
        .of_kind("Datastore")
        .into_iter()
        .find(|d| st.objects.name(d) == name)
}

/// `Folder.CreateVM_Task`: a new VM from a config spec, placed on `host` or
/// the least-loaded host of `pool`.
pub(crate) fn create_vm(c: &Call) -> Reply {
    let folder = c.this().clone();
    let config = c.data("config")?.clone();
    let pool = c.moref("pool")?;
    let host = c.opt_moref("host")?;
    // Refused before a task starts, as vCenter does.
    if config
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(Fault::invalid_argument("config.name"));
    }
    {
        let st = c.read();
        require(&st, &folder)?;
        require(&st, &pool)?;
        if let Some(h) = &host {
            require(&st, h)?;
        }
    }
    let u = c.user().to_string();
    c.task(c.this(), move |st: &mut State| {
        create_in(st, &folder, &config, &pool, host, &u).map(|vm| Some(Value::moref(vm)))
    })
}

/// A new VM from `config` in `folder` and `pool`, on `host` or the pool's
/// least-loaded host (`CreateVM_Task`, and `ImportVApp`'s VM).
pub(crate) fn create_in(
    st: &mut State,
    folder: &MoRef,
    config: &Data,
    pool: &MoRef,
    host: Option<MoRef>,
    u: &str,
) -> Result<MoRef, Fault> {
    let name = config
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Fault::invalid_argument("config.name"))?
        .to_string();
    require(st, folder)?;
    if let Some(other) = st.objects.child_named(folder, &name) {
        return Err(Fault::duplicate_name(&name, &other));
    }
    let host = match host {
        Some(h) => h,
        None => host_for_pool(st, pool).ok_or_else(|| Fault::invalid_argument("host"))?,
    };
    let vmx = config
        .path("files.vmPathName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let ds = datastore_named(st, vmx)
        .or_else(|| st.objects.refs(&host, "datastore").into_iter().next())
        .ok_or_else(|| Fault::invalid_argument("config.files.vmPathName"))?;
    let dc = datacenter_name(st, folder);
    let seed = format!("/{dc}/vm/{name}#{}", st.objects.len());
    let mut devs = DeviceList::new(vec![]);
    devs.add(vm::pci_controller())
        .map_err(|e| Fault::invalid_state(e.to_string()))?;
    if let Some(ch) = config.get("deviceChange") {
        crate::mo::virtual_machine::files::check_named_disks(st, ch.as_array())?;
        let target = Target {
            st,
            vm_name: &name,
            datastore: Some(&ds),
            seed: &seed,
        };
        apply_device_changes(&target, &mut devs, ch.as_array())?;
    }
    let guest_id = config
        .get("guestId")
        .and_then(Value::as_str)
        .unwrap_or("otherGuest")
        .to_string();
    let new = NewVm {
        name: name.clone(),
        folder: folder.clone(),
        pool: pool.clone(),
        host: host.clone(),
        datastore: ds,
        uuid_seed: seed.clone(),
        cpus: config
            .get("numCPUs")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .clamp(1, 768) as u32,
        memory_mb: config
            .get("memoryMB")
            .and_then(Value::as_i64)
            .unwrap_or(32)
            .clamp(4, 1 << 24) as u32,
        guest_id,
        annotation: config
            .get("annotation")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        template: false,
        power_state: "poweredOff".into(),
        tools: false,
        ip: Some(derived_ip(&seed)),
        devices: devs.into_vec(),
    };
    let vm = vm::create(st, &new)?;
    for f in [
        "cpuHotAddEnabled",
        "memoryHotAddEnabled",
        "cpuHotRemoveEnabled",
    ] {
        if let Some(v) = config.get(f) {
            st.objects
                .set(&vm, &format!("config.{f}"), v.plain().clone())?;
        }
    }
    let msg = format!(
        "Created virtual machine {} on {} in {dc}",
        name,
        st.objects.name(&host)
    );
    event(st, "VmCreatedEvent", u, &vm, msg)?;
    Ok(vm)
}

/// Whether `folder` may hold an entity of type `kind`: its `childType` names
/// the kinds (or supertypes) it takes, as vCenter's folder types do
/// (a VM folder: `Folder`, `VirtualMachine`, `VirtualApp`; a host folder:
/// `Folder`, `ComputeResource`).
fn takes(st: &State, folder: &MoRef, kind: &str) -> bool {
    st.objects
        .prop(folder, "childType")
        .map(Value::strings)
        .unwrap_or_default()
        .iter()
        .any(|t| vim25::schema().is_subtype(kind, t))
}

/// `Folder` is `f` or one of its ancestors.
fn is_within(st: &State, f: &MoRef, ancestor: &MoRef) -> bool {
    let mut cur = Some(f.clone());
    while let Some(m) = cur {
        if &m == ancestor {
            return true;
        }
        cur = st.objects.ref_prop(&m, "parent");
    }
    false
}

/// `Folder.MoveIntoFolder_Task`: each entity leaves its parent for this
/// folder. The folder's type decides what it takes (`NotSupported`
/// otherwise, naming both); a folder cannot go into itself or a descendant
/// (`InvalidFolder`); names stay unique (`DuplicateName`). All or nothing.
pub(crate) fn move_into_folder(c: &Call) -> Reply {
    let list: Vec<MoRef> = c
        .value("list")
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(|m| m.as_moref().cloned())
                .collect()
        })
        .unwrap_or_default();
    if list.is_empty() {
        return Err(Fault::invalid_argument("list"));
    }
    let folder = c.this().clone();
    {
        let st = c.read();
        for m in &list {
            require(&st, m)?;
        }
    }
    c.task(c.this(), move |st: &mut State| {
        require(st, &folder)?;
        let fname = st.objects.name(&folder);
        for m in &list {
            require(st, m)?;
            let name = st.objects.name(m);
            if !takes(st, &folder, &m.kind) {
                return Err(Fault::new(
                    "NotSupported",
                    format!(
                        "The folder {fname} cannot contain a {} ({name}): it holds only {}.",
                        m.kind,
                        st.objects
                            .prop(&folder, "childType")
                            .map(Value::strings)
                            .unwrap_or_default()
                            .join(", ")
                    ),
                ));
            }
            if m.kind == "Folder" && is_within(st, &folder, m) {
                return Err(Fault::new(
                    "InvalidFolder",
                    format!("The folder {name} cannot be moved into itself or one of its subfolders ({fname})."),
                )
                .with("target", m));
            }
            if st.objects.ref_prop(m, "parent").as_ref() == Some(&folder) {
                continue;
            }
            if let Some(other) = st.objects.child_named(&folder, &name) {
                return Err(Fault::duplicate_name(&name, &other));
            }
            if let Some(old) = st.objects.ref_prop(m, "parent") {
                st.objects.remove_ref(&old, "childEntity", m)?;
            }
            st.objects.set(m, "parent", Value::moref(folder.clone()))?;
            st.objects.push_ref(&folder, "childEntity", m)?;
        }
        Ok(None)
    })
}

/// `Destroy_Task` on a folder: the folder and everything in it. A
/// datacenter's own folders and the root folder stay (`NotSupported`); a
/// powered-on VM inside refuses the whole destroy (`InvalidPowerState`), as
/// does anything but folders and VMs (hosts, clusters, datacenters are
/// removed on their own first).
pub(crate) fn destroy(c: &Call) -> Reply {
    let u = c.user().to_string();
    let folder = c.this().clone();
    c.task(c.this(), move |st: &mut State| {
        require(st, &folder)?;
        let name = st.objects.name(&folder);
        let parent = st.objects.ref_prop(&folder, "parent");
        if parent.as_ref().is_none_or(|p| p.kind != "Folder") {
            return Err(Fault::new(
                "NotSupported",
                format!(
                    "The folder {name} is a root or datacenter folder and cannot be destroyed."
                ),
            ));
        }
        // Depth first: the contents, then the folder.
        let mut order = vec![];
        let mut stack = vec![folder.clone()];
        while let Some(f) = stack.pop() {
            for ch in st.objects.refs(&f, "childEntity") {
                match ch.kind.as_str() {
                    "Folder" => stack.push(ch),
                    "VirtualMachine" => order.push(ch),
                    other => {
                        return Err(Fault::new(
                            "NotSupported",
                            format!(
                                "The folder {name} contains the {other} {}; remove it first.",
                                st.objects.name(&ch)
                            ),
                        ));
                    }
                }
            }
            order.push(f);
        }
        for m in order.iter().filter(|m| m.kind == "VirtualMachine") {
            crate::mo::virtual_machine::lifecycle::destroy_vm(st, m, &u)?;
        }
        for f in order.iter().rev().filter(|m| m.kind == "Folder") {
            if let Some(p) = st.objects.ref_prop(f, "parent") {
                st.objects.remove_ref(&p, "childEntity", f)?;
            }
            st.objects.remove(f);
        }
        Ok(None)
    })
}
