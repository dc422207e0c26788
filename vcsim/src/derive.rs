//! Derived properties, refreshed in one place: when a change commits
//! (`State::commit`), every object it touched gets its type's refresh here,
//! so no method has to remember to. One function per managed type that has
//! derived properties.

use vim25::{Data, Fault, MoRef, Value};

use crate::mo::virtual_machine::files_layout::StorageTotals;
use crate::mo::virtual_machine::model::{devices, is_device, network_of, tools_installed};
use crate::now;
use crate::state::State;

/// Refreshes the derived properties of `touched`. A failure here is a bug in
/// the simulator (a path the schema does not know), so it is logged loudly
/// and fails debug builds rather than failing the change that triggered it.
pub(crate) fn refresh(st: &mut State, touched: &[MoRef]) {
    // Pools sum their VMs' usage and hosts add up their VMs' quickStats, so
    // both go after the objects, once each.
    let mut pools: Vec<MoRef> = vec![];
    let mut hosts: Vec<MoRef> = vec![];
    for m in touched {
        let r = match m.kind.as_str() {
            "VirtualMachine" => {
                if let Some(p) = st.objects.ref_prop(m, "resourcePool")
                    && !pools.contains(&p)
                {
                    pools.push(p);
                }
                if let Some(h) = st.objects.ref_prop(m, "runtime.host") {
                    hosts.push(h);
                }
                virtual_machine(st, m)
            }
            "Datastore" => crate::mo::datastore::refresh(st, m),
            "ResourcePool" => {
                if !pools.contains(m) {
                    pools.push(m.clone());
                }
                Ok(())
            }
            "HostSystem" => {
                hosts.push(m.clone());
                Ok(())
            }
            _ => Ok(()),
        };
        report(m, r);
    }
    for p in &pools {
        report(p, crate::mo::resource_pool::refresh(st, p));
    }
    hosts.sort_unstable_by(|a, b| a.value.cmp(&b.value));
    hosts.dedup();
    for h in &hosts {
        report(h, crate::mo::host_system::refresh(st, h));
    }
    // Alarms of what changed (and of hosts whose VMs did); events they
    // record reach the collectors below.
    let mut watched: Vec<MoRef> = touched
        .iter()
        .filter(|m| matches!(m.kind.as_str(), "VirtualMachine" | "Datastore"))
        .cloned()
        .collect();
    watched.extend(hosts.iter().cloned());
    if !watched.is_empty() {
        let am = st.svc("alarmManager");
        report(&am, crate::mo::alarm_eval::evaluate(st, &watched));
    }
    // Collectors see new events and task states; none exist unless a client made one.
    if !st.monitor.collectors.is_empty() {
        let em = st.svc("eventManager");
        report(&em, crate::mo::history::refresh_pages(st));
    }
    // Compute resources add up their hosts and balance their VMs: refreshed
    // once each after a change to either (`mo/cluster.rs`).
    let mut crs: Vec<MoRef> = vec![];
    for m in touched {
        let cr = match m.kind.as_str() {
            "ClusterComputeResource" | "ComputeResource" => Some(m.clone()),
            "HostSystem" => st.objects.ref_prop(m, "parent"),
            "VirtualMachine" => st
                .objects
                .ref_prop(m, "runtime.host")
                .and_then(|h| st.objects.ref_prop(&h, "parent")),
            _ => None,
        };
        if let Some(cr) = cr.filter(|c| c.kind.ends_with("ComputeResource") && !crs.contains(c)) {
            crs.push(cr);
        }
    }
    for cr in &crs {
        report(cr, crate::mo::cluster::refresh(st, cr));
    }
}

fn report(m: &MoRef, r: Result<(), Fault>) {
    if let Err(f) = r {
        tracing::error!(object = %m, fault = %f, "deriving properties failed");
        debug_assert!(false, "deriving properties of {m} failed: {f}");
    }
}

/// What an object built by the inventory builder derives (the build runs
/// outside any change, so nothing refreshes it at commit).
pub(crate) fn refresh_built(st: &mut State, m: &MoRef) -> Result<(), Fault> {
    match m.kind.as_str() {
        "VirtualMachine" => virtual_machine(st, m),
        "HostSystem" | "Datastore" => {
            if m.kind == "HostSystem" {
                crate::mo::host_system::refresh(st, m)?;
            }
            crate::mo::alarm_eval::declare_built(st, m)
        }
        _ => Ok(()),
    }
}

/// A VM's Tools status, its network links, its files' layout and its summary.
fn virtual_machine(st: &mut State, vm: &MoRef) -> Result<(), Fault> {
    if !st.objects.contains(vm) {
        return Ok(());
    }
    crate::mo::virtual_machine::power::disconnect_unless_running(st, vm)?;
    vm_tools_status(st, vm)?;
    vm_networks(st, vm)?;
    let storage = crate::mo::virtual_machine::files_layout::totals(st, vm);
    vm_summary(st, vm, storage)
}

/// `guest.toolsStatus` follows `guest.toolsRunningStatus` and whether Tools
/// is installed.
fn vm_tools_status(st: &mut State, vm: &MoRef) -> Result<(), Fault> {
    let running = st.objects.str_prop(vm, "guest.toolsRunningStatus");
    let Some(running) = running else {
        return Ok(());
    };
    let status = if running == "guestToolsRunning" {
        "toolsOk"
    } else if tools_installed(st, vm) {
        "toolsNotRunning"
    } else {
        "toolsNotInstalled"
    };
    if st.objects.str_prop(vm, "guest.toolsStatus").as_deref() != Some(status) {
        st.objects
            .set(vm, "guest.toolsStatus", Value::from(status))?;
    }
    Ok(())
}

/// Re-derives `vm.network` and the networks' `vm` back-references from the NICs.
fn vm_networks(st: &mut State, vm: &MoRef) -> Result<(), Fault> {
    let before = st.objects.refs(vm, "network");
    let mut after = vec![];
    let devs = devices(st, vm);
    for d in devs.nics() {
        if let Some(n) = network_of(st, d)
            && !after.contains(&n)
        {
            after.push(n);
        }
    }
    for n in &before {
        if !after.contains(n) {
            st.objects.remove_ref(n, "vm", vm)?;
        }
    }
    // A link the VM already had got its back-reference when it was made
    // (here or at creation); scanning a network's whole `vm` list again for
    // each of 10,000 VMs would make the inventory build quadratic.
    for n in after.iter().filter(|n| !before.contains(n)) {
        st.objects.push_ref(n, "vm", vm)?;
    }
    st.objects.set(vm, "network", Value::from(after))
}

/// `summary.*`, `runtime.max*` and the heartbeat from a VM's canonical properties.
fn vm_summary(st: &mut State, vm: &MoRef, storage: StorageTotals) -> Result<(), Fault> {
    if !st.objects.contains(vm) {
        return Ok(());
    }
    // Every read goes through the checked accessor: a misspelt path fails tests.
    let o = &st.objects;
    let s = |path: &str| {
        o.prop(vm, path)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let i = |path: &str| o.prop(vm, path).and_then(Value::as_i64).unwrap_or_default();
    let devs = o
        .prop(vm, "config.hardware.device")
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default();
    let nics = devs
        .iter()
        .filter(|d| is_device(d, "VirtualEthernetCard"))
        .count() as i64;
    let disks: Vec<&Value> = devs
        .iter()
        .filter(|d| is_device(d, "VirtualDisk"))
        .collect();
    let on = s("runtime.powerState") == "poweredOn";
    let tools_running = s("guest.toolsRunningStatus") == "guestToolsRunning";
    let cpus = i("config.hardware.numCPU");
    let mem = i("config.hardware.memoryMB");
    let mut guest = Data::new("VirtualMachineGuestSummary");
    for f in [
        "guestId",
        "guestFullName",
        "toolsStatus",
        "toolsVersionStatus",
        "toolsVersionStatus2",
        "toolsRunningStatus",
        "hostName",
        "ipAddress",
    ] {
        if let Some(v) = o.prop(vm, &format!("guest.{f}")) {
            guest.set(f, v.clone());
        }
    }
    let heartbeat = if tools_running { "green" } else { "gray" };
    let uptime = if on { 3600 } else { 0 };
    let mut runtime = o
        .prop(vm, "runtime")
        .cloned()
        .unwrap_or(Value::data(Data::new("VirtualMachineRuntimeInfo")));
    if let Some(r) = runtime.data_mut() {
        r.set("maxCpuUsage", cpus * 2200);
        r.set("maxMemoryUsage", mem);
    }
    let summary = Data::new("VirtualMachineSummary")
        .with("vm", vm)
        .with("runtime", runtime.clone())
        .with("guest", guest)
        .with(
            "config",
            Data::new("VirtualMachineConfigSummary")
                .with("name", s("name"))
                .with(
                    "template",
                    o.prop(vm, "config.template")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                )
                .with("vmPathName", s("config.files.vmPathName"))
                .with("memorySizeMB", mem)
                .with("cpuReservation", 0)
                .with("memoryReservation", 0)
                .with("numCpu", cpus)
                .with("numEthernetCards", nics)
                .with("numVirtualDisks", disks.len() as i64)
                .with("uuid", s("config.uuid"))
                .with("instanceUuid", s("config.instanceUuid"))
                .with("guestId", s("config.guestId"))
                .with("guestFullName", s("config.guestFullName"))
                .with("annotation", s("config.annotation"))
                .with("hwVersion", s("config.version")),
        )
        .with(
            "storage",
            Data::new("VirtualMachineStorageSummary")
                .with("committed", storage.committed)
                .with("uncommitted", storage.uncommitted)
                .with("unshared", storage.committed)
                .with("timestamp", now()),
        )
        .with(
            "quickStats",
            Data::new("VirtualMachineQuickStats")
                .with(
                    "overallCpuUsage",
                    if on { cpus.saturating_mul(22) } else { 0 },
                )
                .with(
                    "overallCpuDemand",
                    if on { cpus.saturating_mul(22) } else { 0 },
                )
                .with("guestMemoryUsage", if on { mem / 4 } else { 0 })
                .with("hostMemoryUsage", if on { mem } else { 0 })
                .with("guestHeartbeatStatus", heartbeat)
                .with("uptimeSeconds", uptime),
        )
        .with("overallStatus", "green");
    st.objects.set(vm, "runtime", runtime)?;
    st.objects.set(vm, "summary", Value::data(summary))?;
    st.objects
        .set(vm, "guestHeartbeatStatus", Value::from(heartbeat))
}
