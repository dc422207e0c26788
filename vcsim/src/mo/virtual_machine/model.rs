//! A virtual machine's property tree: building one (with its devices),
//! linking it into the inventory and removing it, and reading its state.
//! Derived properties (`summary.*`) are computed in `derive.rs`.

use vim25::devices::{DeviceError, DeviceList};
use vim25::spec::generated_mac;
use vim25::{Data, Fault, MoRef, TypeRef, Value, schema};

use super::power::set_power_booted;
use crate::state::State;
use crate::{now, uuid_for};

/// Where the guest IP a VM reports lives while the VM is off: a `guestinfo`
/// variable, as real guests publish theirs.
pub(crate) const IP_KEY: &str = "guestinfo.ip";
/// The Tools build reported while Tools is installed.
pub(crate) const TOOLS_VERSION: i64 = 12352;

#[derive(Clone, Debug)]
pub(crate) struct NewVm {
    pub name: String,
    pub folder: MoRef,
    pub pool: MoRef,
    pub host: MoRef,
    pub datastore: MoRef,
    /// Inventory path the UUIDs are derived from, so they are stable across runs.
    pub uuid_seed: String,
    pub cpus: u32,
    pub memory_mb: u32,
    pub guest_id: String,
    pub annotation: String,
    pub template: bool,
    pub power_state: String,
    pub tools: bool,
    pub ip: Option<String>,
    pub devices: Vec<Data>,
}

pub(crate) fn guest_full_name(guest_id: &str) -> String {
    match guest_id {
        "otherGuest" => "Other (32-bit)".into(),
        "otherGuest64" => "Other (64-bit)".into(),
        g if g.starts_with("ubuntu") => "Ubuntu Linux (64-bit)".into(),
        g if g.starts_with("rhel") => "Red Hat Enterprise Linux (64-bit)".into(),
        g if g.starts_with("windows") => "Microsoft Windows Server (64-bit)".into(),
        g => g.to_string(),
    }
}

/// The NIC backing for a network: a standard port group or a DV port group.
pub(crate) fn nic_backing(st: &State, net: &MoRef) -> Data {
    if net.kind == "DistributedVirtualPortgroup" {
        let dvs = st.objects.ref_prop(net, "config.distributedVirtualSwitch");
        let switch_uuid = dvs
            .and_then(|d| st.objects.str_prop(&d, "uuid"))
            .unwrap_or_default();
        Data::new("VirtualEthernetCardDistributedVirtualPortBackingInfo").with(
            "port",
            Data::new("DistributedVirtualSwitchPortConnection")
                .with("switchUuid", switch_uuid)
                .with("portgroupKey", net.value.as_str()),
        )
    } else {
        Data::new("VirtualEthernetCardNetworkBackingInfo")
            .with("deviceName", st.objects.name(net))
            .with("useAutoDetect", false)
            .with("network", net)
    }
}

fn description(summary: &str) -> Data {
    // The label is the device list's to give (`DeviceList::relabel`).
    Data::new("Description")
        .with("label", "")
        .with("summary", summary)
}

/// A fixture disk on `controller` at `unit`.
fn disk(key: i64, controller: i64, unit: i64, file: &str, ds: &MoRef, kb: i64, seed: &str) -> Data {
    Data::new("VirtualDisk")
        .with("key", key)
        .with("deviceInfo", description(&format!("{kb} KB")))
        .with(
            "backing",
            Data::new("VirtualDiskFlatVer2BackingInfo")
                .with("fileName", file)
                .with("datastore", ds)
                .with("diskMode", "persistent")
                .with("thinProvisioned", true)
                .with("uuid", uuid_for(&format!("{seed}/disk/{key}"))),
        )
        .with("controllerKey", controller)
        .with("unitNumber", unit)
        .with("capacityInKB", kb)
        .with("capacityInBytes", kb * 1024)
}

/// A fixture NIC of type `kind` on `controller` at `unit`.
fn nic(
    st: &State,
    kind: &str,
    key: i64,
    (controller, unit): (i64, i64),
    net: &MoRef,
    seed: &str,
) -> Data {
    Data::new(kind)
        .with("key", key)
        .with("deviceInfo", description(&st.objects.name(net)))
        .with("backing", nic_backing(st, net))
        .with(
            "connectable",
            Data::new("VirtualDeviceConnectInfo")
                .with("startConnected", true)
                .with("allowGuestControl", true)
                .with("connected", false)
                .with("status", "untried"),
        )
        .with("controllerKey", controller)
        .with("unitNumber", unit)
        .with("addressType", "generated")
        .with("macAddress", generated_mac(&format!("{seed}/{key}")))
        .with("wakeOnLanEnabled", true)
}

/// vSphere's fixed key for a VM's PCI controller.
pub(crate) const PCI_KEY: i64 = 100;

/// A VM's PCI bus, which every VM has and everything else hangs from.
pub(crate) fn pci_controller() -> Data {
    Data::new("VirtualPCIController")
        .with("key", PCI_KEY)
        .with("deviceInfo", description("PCI controller 0"))
        .with("busNumber", 0)
}

/// The devices of a fixture VM: PCI bus, IDE 0/1, PS/2 and SIO controllers,
/// an empty CD/DVD drive, LSI Logic SCSI controller, one thin disk and one
/// VMXNET3 NIC, placed, keyed and labelled by the device model.
pub(crate) fn default_devices(
    st: &State,
    name: &str,
    ds: &MoRef,
    disk_gb: u64,
    net: Option<&MoRef>,
    seed: &str,
) -> Result<Vec<Data>, Fault> {
    // The list starts empty, so none of these can be refused; if the model's
    // rules ever change so that one is, inventory loading says which.
    let refused = |e: DeviceError| Fault::invalid_state(format!("fixture devices of {name}: {e}"));
    let no_room =
        |what: &str| Fault::invalid_state(format!("fixture devices of {name}: no room for {what}"));
    let ds_name = st.objects.name(ds);
    let mut list = DeviceList::new(vec![]);
    list.add_unlabelled(pci_controller()).map_err(refused)?;
    // What every VM has and no client adds: two IDE channels, the PS/2 and
    // SIO controllers, at vSphere's fixed keys.
    for (type_name, key, bus) in [
        ("VirtualIDEController", 200, 0),
        ("VirtualIDEController", 201, 1),
        ("VirtualPS2Controller", 300, 0),
        ("VirtualSIOController", 400, 0),
    ] {
        list.add_unlabelled(
            Data::new(type_name)
                .with("key", key)
                .with("deviceInfo", description(""))
                .with("busNumber", bus),
        )
        .map_err(refused)?;
    }
    // An empty CD/DVD drive on IDE 1, as a VM made in the vSphere Client has.
    let cdrom = list.assigned_key("VirtualCdrom");
    let change = vim25::spec::cdrom_add(cdrom, 201, 0, None)
        .map_err(|e| Fault::invalid_state(format!("fixture devices of {name}: {e}")))?;
    if let Some(d) = change.get("device").and_then(Value::as_data) {
        list.add_unlabelled(d.clone()).map_err(refused)?;
    }
    let scsi = list.assigned_key("VirtualLsiLogicController");
    list.add_unlabelled(
        Data::new("VirtualLsiLogicController")
            .with("key", scsi)
            .with("deviceInfo", description("LSI Logic"))
            .with("controllerKey", PCI_KEY)
            // Where vCenter puts the first SCSI controller on the PCI bus.
            .with("unitNumber", 3)
            .with("busNumber", 0)
            .with("hotAddRemove", true)
            .with("sharedBus", "noSharing")
            .with("scsiCtlrUnitNumber", 7),
    )
    .map_err(refused)?;
    let key = list.assigned_key("VirtualDisk");
    let unit = list
        .free_unit_for(scsi, "VirtualDisk")
        .ok_or_else(|| no_room("a disk"))?;
    list.add_unlabelled(disk(
        key,
        scsi,
        unit,
        &format!("[{ds_name}] {name}/{name}.vmdk"),
        ds,
        (disk_gb as i64).saturating_mul(1 << 20),
        seed,
    ))
    .map_err(refused)?;
    if let Some(n) = net {
        let key = list.assigned_key("VirtualVmxnet3");
        let slot = list.nic_slot().ok_or_else(|| no_room("a NIC"))?;
        list.add_unlabelled(nic(st, "VirtualVmxnet3", key, slot, n, seed))
            .map_err(refused)?;
    }
    // Labels depend on the whole list: given once it is complete.
    list.relabel();
    Ok(list.into_vec())
}

pub(crate) fn is_device(d: &Value, base: &str) -> bool {
    d.as_data()
        .is_some_and(|d| schema().is_subtype(&d.type_name, base))
}

pub(crate) fn devices(st: &State, vm: &MoRef) -> DeviceList {
    st.objects
        .prop(vm, "config.hardware.device")
        .map(DeviceList::from_value)
        .unwrap_or_default()
}

/// Creates the VM object and links it into folder, pool, host, datastore and networks.
pub(crate) fn create(st: &mut State, n: &NewVm) -> Result<MoRef, Fault> {
    let vm = MoRef::new("VirtualMachine", &st.new_id("vm"));
    let ds_name = st.objects.name(&n.datastore);
    let vmx = format!("[{ds_name}] {}/{}.vmx", n.name, n.name);
    let dir = format!("[{ds_name}] {}/", n.name);
    let created = now();
    let nets: Vec<MoRef> = n
        .devices
        .iter()
        .filter(|d| schema().is_subtype(&d.type_name, "VirtualEthernetCard"))
        .filter_map(|d| network_of(st, d))
        .collect();
    let mut extra = vec![];
    if let Some(ip) = &n.ip {
        extra.push(Value::data(
            Data::new("OptionValue").with("key", IP_KEY).with(
                "value",
                Value::any(TypeRef::new("string"), Value::from(ip.as_str())),
            ),
        ));
    }
    let config = Data::new("VirtualMachineConfigInfo")
        .with("changeVersion", created.as_str())
        .with("modified", created.as_str())
        .with("name", n.name.as_str())
        .with("guestFullName", guest_full_name(&n.guest_id))
        .with("version", "vmx-21")
        .with("uuid", uuid_for(&n.uuid_seed))
        .with("createDate", created.as_str())
        .with(
            "instanceUuid",
            uuid_for(&format!("instance:{}", n.uuid_seed)),
        )
        .with("template", n.template)
        .with("guestId", n.guest_id.as_str())
        .with("alternateGuestName", "")
        .with("annotation", n.annotation.as_str())
        .with(
            "files",
            Data::new("VirtualMachineFileInfo")
                .with("vmPathName", vmx.as_str())
                .with("snapshotDirectory", dir.as_str())
                .with("suspendDirectory", dir.as_str())
                .with("logDirectory", dir.as_str()),
        )
        .with(
            "tools",
            Data::new("ToolsConfigInfo")
                .with("toolsVersion", if n.tools { TOOLS_VERSION } else { 0 })
                .with("toolsUpgradePolicy", "manual"),
        )
        .with(
            "flags",
            Data::new("VirtualMachineFlagInfo").with("snapshotDisabled", false),
        )
        .with(
            "defaultPowerOps",
            Data::new("VirtualMachineDefaultPowerOpInfo")
                .with("powerOffType", "soft")
                .with("suspendType", "hard")
                .with("resetType", "soft")
                .with("defaultPowerOffType", "soft")
                .with("defaultSuspendType", "hard")
                .with("defaultResetType", "soft")
                .with("standbyAction", "checkpoint"),
        )
        .with(
            "hardware",
            Data::new("VirtualHardware")
                .with("numCPU", n.cpus)
                .with("numCoresPerSocket", 1)
                .with("memoryMB", n.memory_mb)
                .with(
                    "device",
                    n.devices
                        .iter()
                        .cloned()
                        .map(Value::data)
                        .collect::<Vec<_>>(),
                ),
        )
        .with("memoryHotAddEnabled", false)
        .with("cpuHotAddEnabled", false)
        .with("cpuHotRemoveEnabled", false)
        .with("extraConfig", Value::array(extra))
        .with("firmware", "bios");
    let runtime = Data::new("VirtualMachineRuntimeInfo")
        .with("host", &n.host)
        .with("connectionState", "connected")
        .with("powerState", "poweredOff")
        .with("faultToleranceState", "notConfigured")
        .with("toolsInstallerMounted", false)
        .with("numMksConnections", 0)
        .with("recordReplayState", "inactive")
        .with("onlineStandby", false)
        .with("consolidationNeeded", false);
    let props = Data::new("VirtualMachine")
        .with("name", n.name.as_str())
        .with("parent", &n.folder)
        .with("resourcePool", &n.pool)
        .with("config", config)
        .with("runtime", runtime)
        .with(
            "guest",
            Data::new("GuestInfo").with("guestState", "notRunning"),
        )
        .with("datastore", vec![n.datastore.clone()])
        .with("network", nets.clone())
        .with("overallStatus", "green")
        .with("configStatus", "green")
        .with("guestHeartbeatStatus", "gray")
        .with("alarmActionsEnabled", true)
        // A few capability flags only: clients ask about snapshots; the rest would cost
        // memory on every VM of a large inventory.
        .with(
            "capability",
            Data::new("VirtualMachineCapability")
                .with("snapshotOperationsSupported", true)
                .with("multipleSnapshotsSupported", true)
                .with("snapshotConfigSupported", true)
                .with("poweredOffSnapshotsSupported", true)
                .with("memorySnapshotsSupported", true)
                .with("revertToSnapshotSupported", true)
                .with("quiescedSnapshotsSupported", true)
                .with("settingVideoRamSizeSupported", true),
        );
    st.objects.insert(vm.clone(), props);
    st.objects.push_new_ref(&n.folder, "childEntity", &vm)?;
    st.objects.push_new_ref(&n.pool, "vm", &vm)?;
    st.objects.push_new_ref(&n.host, "vm", &vm)?;
    st.objects.push_new_ref(&n.datastore, "vm", &vm)?;
    for net in &nets {
        st.objects.push_new_ref(net, "vm", &vm)?;
    }
    super::files::vm_created(st, &vm)?;
    // A VM made in any state but on starts as vCenter has it; one the
    // inventory starts powered on booted long ago, so its Tools runs.
    set_power_booted(st, &vm, &n.power_state)?;
    Ok(vm)
}

pub(crate) fn network_of(st: &State, nic: &Data) -> Option<MoRef> {
    let backing = nic.get("backing")?.as_data()?;
    if let Some(n) = backing.get("network").and_then(Value::as_moref) {
        return Some(n.clone());
    }
    let key = backing.path("port.portgroupKey")?.as_str()?;
    st.objects
        .get(&MoRef::new("DistributedVirtualPortgroup", key))
        .map(|o| o.moref.clone())
}

/// Removes a VM and every reference other objects hold to it.
pub(crate) fn remove(st: &mut State, vm: &MoRef) -> Result<(), Fault> {
    let parent = st.objects.ref_prop(vm, "parent");
    let pool = st.objects.ref_prop(vm, "resourcePool");
    let host = st.objects.ref_prop(vm, "runtime.host");
    let dss = st.objects.refs(vm, "datastore");
    let nets = st.objects.refs(vm, "network");
    if let Some(p) = parent {
        st.objects.remove_ref(&p, "childEntity", vm)?;
    }
    if let Some(p) = pool {
        st.objects.remove_ref(&p, "vm", vm)?;
    }
    if let Some(h) = host {
        st.objects.remove_ref(&h, "vm", vm)?;
    }
    for d in dss {
        st.objects.remove_ref(&d, "vm", vm)?;
    }
    for n in nets {
        st.objects.remove_ref(&n, "vm", vm)?;
    }
    // Its snapshots go with it (ManagedObjectNotFound afterwards).
    super::snapshot::remove_all(st, vm)?;
    st.objects.remove(vm);
    Ok(())
}

pub(crate) fn power_state(st: &State, vm: &MoRef) -> String {
    st.objects
        .str_prop(vm, "runtime.powerState")
        .unwrap_or_else(|| "poweredOff".into())
}

pub(crate) fn tools_installed(st: &State, vm: &MoRef) -> bool {
    st.objects
        .prop(vm, "config.tools.toolsVersion")
        .and_then(Value::as_i64)
        .is_some_and(|v| v > 0)
}

pub(crate) fn tools_running(st: &State, vm: &MoRef) -> bool {
    st.objects
        .str_prop(vm, "guest.toolsRunningStatus")
        .as_deref()
        == Some("guestToolsRunning")
}

pub(crate) fn guest_ip(st: &State, vm: &MoRef) -> Option<String> {
    st.objects.prop(vm, "config.extraConfig").and_then(|v| {
        v.as_array().iter().find_map(|o| {
            let o = o.as_data()?;
            (o.get("key")?.as_str()? == IP_KEY)
                .then(|| o.get("value")?.as_str().map(str::to_string))?
        })
    })
}
