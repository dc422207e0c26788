//! Hosts and VMs placed into a datacenter while an inventory is built.

use vim25::{Data, MoRef, Value};

use super::build::{DcCtx, fault};
use super::spec::{HostSpec, VmSpec};
use crate::mo::virtual_machine::model::{self as vm, NewVm};
use crate::state::State;
use crate::{now, uuid_for};

pub(super) fn host(st: &mut State, h: &HostSpec, cr: &MoRef, ctx: &DcCtx) -> anyhow::Result<MoRef> {
    let m = MoRef::new("HostSystem", &st.new_id("host"));
    let uuid = uuid_for(&format!("/{}/host/{}", ctx.dc_name, h.name));
    let mem = (h.memory_gb as i64) << 30;
    let cores = i64::from(h.cpu_cores);
    let boot = now();
    let runtime = Data::new("HostRuntimeInfo")
        .with("connectionState", "connected")
        .with("powerState", "poweredOn")
        .with("inMaintenanceMode", false)
        .with("bootTime", boot.as_str());
    let product = Data::new("AboutInfo")
        .with("name", "VMware ESXi")
        .with("fullName", "VMware ESXi 8.0.3 build-24022510")
        .with("vendor", "VMware, Inc.")
        .with("version", "8.0.3")
        .with("build", "24022510")
        .with("osType", "vmnix-x86")
        .with("productLineId", "embeddedEsx")
        .with("apiType", "HostAgent")
        .with("apiVersion", "8.0.3.0");
    let port_groups: Vec<String> = ctx
        .networks
        .iter()
        .filter(|(_, n)| n.kind == "Network")
        .map(|(name, _)| name.clone())
        .collect();
    let config = super::host::config(&m, &h.name, product.clone(), &port_groups);
    let config_manager = super::host::managers(st, &m, &config).map_err(fault)?;
    st.objects.insert(
        m.clone(),
        Data::new("HostSystem")
            .with("name", h.name.as_str())
            .with("parent", cr)
            .with("runtime", runtime.clone())
            .with("hardware", super::host::hardware(&uuid, cores, mem))
            .with("config", config)
            .with("configManager", config_manager)
            .with(
                "summary",
                Data::new("HostListSummary")
                    .with("host", &m)
                    .with(
                        "hardware",
                        Data::new("HostHardwareSummary")
                            .with("vendor", "VMware, Inc. (vcsim)")
                            .with("model", "VMware Virtual Platform")
                            .with("uuid", uuid.as_str())
                            .with("memorySize", mem)
                            .with("cpuModel", "Intel(R) Xeon(R) CPU E5-2650 v4 @ 2.20GHz")
                            .with("cpuMhz", super::host::CPU_MHZ)
                            .with("numCpuPkgs", super::host::CPU_PACKAGES)
                            .with("numCpuCores", cores)
                            .with("numCpuThreads", cores)
                            .with("numNics", 2)
                            .with("numHBAs", 2),
                    )
                    .with("runtime", runtime)
                    .with(
                        "config",
                        Data::new("HostConfigSummary")
                            .with("name", h.name.as_str())
                            .with("port", 443)
                            .with("product", product)
                            .with("vmotionEnabled", false)
                            .with("faultToleranceEnabled", false),
                    )
                    .with(
                        "quickStats",
                        Data::new("HostListSummaryQuickStats")
                            .with("overallCpuUsage", 67)
                            .with("overallMemoryUsage", 1404)
                            .with("uptime", 1),
                    )
                    .with("overallStatus", "green")
                    .with("rebootRequired", false)
                    .with("managementServerIp", "127.0.0.1"),
            )
            .with("vm", Value::array(vec![]))
            .with(
                "datastore",
                ctx.datastores
                    .iter()
                    .map(|(_, d)| d.clone())
                    .collect::<Vec<_>>(),
            )
            .with(
                "network",
                ctx.networks
                    .iter()
                    .map(|(_, n)| n.clone())
                    .collect::<Vec<_>>(),
            )
            .with("overallStatus", "green")
            .with("configStatus", "green"),
    );
    st.objects.push_ref(cr, "host", &m).map_err(fault)?;
    // The host's own browser searches every datastore it mounts.
    let browser = MoRef::new(
        "HostDatastoreBrowser",
        &format!("datastoreBrowser-{}", m.value),
    );
    let mounted: Vec<MoRef> = ctx.datastores.iter().map(|(_, d)| d.clone()).collect();
    st.objects.insert(
        browser.clone(),
        Data::new("HostDatastoreBrowser").with("datastore", mounted),
    );
    st.objects
        .set(&m, "datastoreBrowser", Value::moref(browser))
        .map_err(fault)?;
    for (_, d) in &ctx.datastores {
        let accessible = st
            .objects
            .prop(d, "summary.accessible")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let mount = Data::new("DatastoreHostMount").with("key", &m).with(
            "mountInfo",
            Data::new("HostMountInfo")
                .with("path", format!("/vmfs/volumes/{}", d.value))
                .with("accessMode", "readWrite")
                .with("mounted", true)
                .with("accessible", accessible),
        );
        let mut mounts = st
            .objects
            .prop(d, "host")
            .map(|v| v.as_array().to_vec())
            .unwrap_or_default();
        mounts.push(Value::data(mount));
        st.objects
            .set(d, "host", Value::array(mounts))
            .map_err(fault)?;
        st.objects.push_ref(cr, "datastore", d).map_err(fault)?;
    }
    for (_, n) in &ctx.networks {
        st.objects.push_ref(n, "host", &m).map_err(fault)?;
        st.objects.push_ref(cr, "network", n).map_err(fault)?;
    }
    Ok(m)
}

pub(super) fn place_vm(
    st: &mut State,
    ctx: &DcCtx,
    v: &VmSpec,
    pool: &MoRef,
    host: &MoRef,
    index: usize,
) -> anyhow::Result<MoRef> {
    let ds = ctx
        .datastore(v.datastore.as_deref())
        .ok_or_else(|| anyhow::anyhow!("VM {}: no datastore {:?}", v.name, v.datastore))?;
    let net = ctx.network(v.network.as_deref());
    if v.network.is_some() && net.is_none() {
        anyhow::bail!("VM {}: no network {:?}", v.name, v.network);
    }
    let ip = v.ip.clone().unwrap_or_else(|| {
        // 10.0.0.0/16, skipping .0 and .255 host parts.
        format!("10.0.{}.{}", (index / 250) % 256, index % 250 + 2)
    });
    let path = format!("/{}/vm/{}", ctx.dc_name, v.name);
    let seed = path.clone();
    let power = match v.power.as_str() {
        "poweredOn" | "poweredOff" | "suspended" => v.power.clone(),
        other => anyhow::bail!("VM {}: unknown power state {other:?}", v.name),
    };
    let devices =
        vm::default_devices(st, &v.name, &ds, v.disk_gb, net.as_ref(), &seed).map_err(fault)?;
    let new = NewVm {
        name: v.name.clone(),
        folder: ctx.vm_folder.clone(),
        pool: pool.clone(),
        host: host.clone(),
        datastore: ds,
        uuid_seed: path,
        cpus: v.cpus,
        memory_mb: v.memory_mb,
        guest_id: v.guest_id.clone(),
        annotation: v.annotation.clone(),
        template: v.template,
        power_state: power,
        tools: v.tools,
        ip: Some(ip),
        devices,
    };
    let vm = vm::create(st, &new).map_err(fault)?;
    if let Some(ms) = v.tools_delay_ms {
        st.tools
            .set_delay(&vm, std::time::Duration::from_millis(ms));
    }
    // The build runs outside any change, so the VM's derived properties are
    // computed here; then its tree is final and its parts equal to other
    // VMs' are joined (a tree shared earlier would be copied again by these
    // writes, leaving the first copies in the sharer until the build ends).
    crate::derive::refresh_built(st, &vm).map_err(fault)?;
    st.objects.reshare(&vm);
    Ok(vm)
}
