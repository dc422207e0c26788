//! The builder: turns an [`InventorySpec`] into objects under the root folder.

use vim25::{Data, Fault, MoRef, Value};

use super::place::{host, place_vm};
use super::spec::*;
use crate::state::State;
use crate::uuid_for;

pub(super) fn fault(f: Fault) -> anyhow::Error {
    anyhow::Error::msg(f)
}

/// What the builder needs to remember while placing VMs in one datacenter.
pub(super) struct DcCtx {
    pub(super) vm_folder: MoRef,
    pub(super) networks: Vec<(String, MoRef)>,
    pub(super) datastores: Vec<(String, MoRef)>,
    pub(super) dc_name: String,
}

impl DcCtx {
    pub(super) fn network(&self, name: Option<&str>) -> Option<MoRef> {
        match name {
            Some(n) => self
                .networks
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, m)| m.clone()),
            None => self.networks.first().map(|(_, m)| m.clone()),
        }
    }
    pub(super) fn datastore(&self, name: Option<&str>) -> Option<MoRef> {
        match name {
            Some(n) => self
                .datastores
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, m)| m.clone()),
            None => self.datastores.first().map(|(_, m)| m.clone()),
        }
    }
}

fn folder(
    st: &mut State,
    prefix: &str,
    name: &str,
    parent: &MoRef,
    child_type: &[&str],
) -> anyhow::Result<MoRef> {
    let id = st.new_id(prefix);
    let m = MoRef::new("Folder", &id);
    st.objects.insert(
        m.clone(),
        Data::new("Folder")
            .with("name", name)
            .with("parent", parent)
            .with("childType", child_type.to_vec())
            .with("childEntity", Value::array(vec![]))
            .with("overallStatus", "green")
            .with("configStatus", "green"),
    );
    Ok(m)
}

/// Room for the distinct nodes an inventory of `vms` VMs leaves in the
/// sharer, per VM as measured on the generator's (10,000 and 50,000 VMs:
/// about 10 strings, 12 data objects, 3.5 arrays, one MoRef and one
/// `anyType` value of its own each), plus the hosts' and other objects'.
fn sharer_capacity(vms: usize) -> vim25::share::Capacity {
    vim25::share::Capacity {
        strs: 10 * vms + 1024,
        morefs: vms + 1024,
        datas: 12 * vms + 1024,
        arrays: 7 * vms / 2 + 1024,
        anys: vms + 256,
    }
}

/// Builds every object of `spec` under the root folder.
pub fn build(st: &mut State, spec: &InventorySpec) -> anyhow::Result<()> {
    // Generated VMs are alike but for names, ids and addresses: storing their
    // equal parts once is most of what keeps 10,000 VMs small (issue 8).
    st.objects.start_sharing(sharer_capacity(spec.vm_count()));
    let root = st.svc("rootFolder");
    let mut vm_index = 0usize;
    for dcs in &spec.datacenters {
        let dc = MoRef::new("Datacenter", &st.new_id("datacenter"));
        let vm_folder = folder(
            st,
            "group-v",
            "vm",
            &dc,
            &["Folder", "VirtualMachine", "VirtualApp"],
        )?;
        let host_folder = folder(st, "group-h", "host", &dc, &["Folder", "ComputeResource"])?;
        let ds_folder = folder(
            st,
            "group-s",
            "datastore",
            &dc,
            &["Folder", "Datastore", "StoragePod"],
        )?;
        let net_folder = folder(
            st,
            "group-n",
            "network",
            &dc,
            &["Folder", "Network", "DistributedVirtualSwitch"],
        )?;
        st.objects.insert(
            dc.clone(),
            Data::new("Datacenter")
                .with("name", dcs.name.as_str())
                .with("parent", &root)
                .with("vmFolder", &vm_folder)
                .with("hostFolder", &host_folder)
                .with("datastoreFolder", &ds_folder)
                .with("networkFolder", &net_folder)
                .with("datastore", Value::array(vec![]))
                .with("network", Value::array(vec![]))
                .with("overallStatus", "green")
                .with("configStatus", "green"),
        );
        st.objects
            .push_ref(&root, "childEntity", &dc)
            .map_err(fault)?;
        for f in [&vm_folder, &host_folder, &ds_folder, &net_folder] {
            st.objects
                .set(f, "parent", Value::moref(dc.clone()))
                .map_err(fault)?;
        }
        let mut ctx = DcCtx {
            vm_folder,
            networks: vec![],
            datastores: vec![],
            dc_name: dcs.name.clone(),
        };
        for n in &dcs.networks {
            let m = MoRef::new("Network", &st.new_id("network"));
            st.objects
                .insert(m.clone(), network_props("Network", &m, n, &net_folder));
            st.objects
                .push_ref(&net_folder, "childEntity", &m)
                .map_err(fault)?;
            st.objects.push_ref(&dc, "network", &m).map_err(fault)?;
            ctx.networks.push((n.clone(), m));
        }
        for sw in &dcs.switches {
            let m = MoRef::new("VmwareDistributedVirtualSwitch", &st.new_id("dvs"));
            let uuid = uuid_for(&format!("/{}/network/{}", dcs.name, sw.name));
            let mut pgs = vec![];
            for pg in &sw.portgroups {
                let p = MoRef::new("DistributedVirtualPortgroup", &st.new_id("dvportgroup"));
                st.objects.insert(
                    p.clone(),
                    network_props("DistributedVirtualPortgroup", &p, pg, &net_folder)
                        .with("key", p.value.as_str())
                        .with(
                            "config",
                            Data::new("DVPortgroupConfigInfo")
                                .with("key", p.value.as_str())
                                .with("name", pg.as_str())
                                .with("numPorts", 8)
                                .with("distributedVirtualSwitch", &m)
                                .with("type", "earlyBinding"),
                        ),
                );
                st.objects
                    .push_ref(&net_folder, "childEntity", &p)
                    .map_err(fault)?;
                st.objects.push_ref(&dc, "network", &p).map_err(fault)?;
                ctx.networks.push((pg.clone(), p.clone()));
                pgs.push(p);
            }
            st.objects.insert(
                m.clone(),
                Data::new("VmwareDistributedVirtualSwitch")
                    .with("name", sw.name.as_str())
                    .with("parent", &net_folder)
                    .with("uuid", uuid.as_str())
                    .with("portgroup", pgs.clone())
                    .with(
                        "summary",
                        Data::new("DVSSummary")
                            .with("name", sw.name.as_str())
                            .with("uuid", uuid.as_str())
                            .with("numPorts", 8 * pgs.len() as i64)
                            .with("portgroupName", sw.portgroups.clone()),
                    )
                    .with("overallStatus", "green")
                    .with("configStatus", "green"),
            );
            st.objects
                .push_ref(&net_folder, "childEntity", &m)
                .map_err(fault)?;
        }
        for ds in &dcs.datastores {
            let m = super::datastore::datastore(st, &dcs.name, ds, &ds_folder)?;
            st.objects.push_ref(&dc, "datastore", &m).map_err(fault)?;
            ctx.datastores.push((ds.name.clone(), m));
        }
        for h in &dcs.hosts {
            let cr = MoRef::new("ComputeResource", &st.new_id("domain-s"));
            let pool = compute_resource(st, &cr, &h.name, &host_folder)?;
            let hm = host(st, h, &cr, &ctx)?;
            cluster_summary(st, &cr, std::slice::from_ref(h))?;
            for v in &h.vms {
                let vm = place_vm(st, &ctx, v, &pool, &hm, vm_index)?;
                guest_users(st, &vm, v);
                vm_index += 1;
            }
        }
        for c in &dcs.clusters {
            let cr = MoRef::new("ClusterComputeResource", &st.new_id("domain-c"));
            let pool = compute_resource(st, &cr, &c.name, &host_folder)?;
            let hosts: Vec<MoRef> = c
                .hosts
                .iter()
                .map(|h| host(st, h, &cr, &ctx))
                .collect::<anyhow::Result<_>>()?;
            cluster_summary(st, &cr, &c.hosts)?;
            for (i, v) in c.vms.iter().enumerate() {
                let h = hosts
                    .get(i % hosts.len().max(1))
                    .ok_or_else(|| anyhow::anyhow!("cluster {} has VMs but no hosts", c.name))?;
                let vm = place_vm(st, &ctx, v, &pool, h, vm_index)?;
                guest_users(st, &vm, v);
                vm_index += 1;
            }
        }
    }
    for pool in st.objects.of_kind("ResourcePool") {
        crate::mo::resource_pool::refresh(st, &pool).map_err(fault)?;
    }
    // Hosts' quickStats add up their VMs, so they are derived once all are placed.
    st.monitor.perf_index = crate::mo::perf::sample::index_at(st.guests.clock.now().timestamp());
    for h in st.objects.of_kind("HostSystem") {
        crate::derive::refresh_built(st, &h).map_err(fault)?;
    }
    for d in st.objects.of_kind("Datastore") {
        crate::derive::refresh_built(st, &d).map_err(fault)?;
    }
    st.objects.finish_sharing();
    Ok(())
}

/// Only a VM whose fixture names its own guest accounts costs an entry.
fn guest_users(st: &mut State, vm: &MoRef, v: &super::spec::VmSpec) {
    if !v.guest_users.is_empty() {
        let users = v
            .guest_users
            .iter()
            .map(|u| crate::guest::User {
                name: u.name.clone(),
                password: u.password.clone(),
                admin: u.admin,
            })
            .collect();
        st.guests.set_users(&vm.value, users);
    }
}

/// A ComputeResource/ClusterComputeResource with its root pool `Resources`.
fn compute_resource(
    st: &mut State,
    cr: &MoRef,
    name: &str,
    host_folder: &MoRef,
) -> anyhow::Result<MoRef> {
    let pool = MoRef::new("ResourcePool", &st.new_id("resgroup"));
    st.objects.insert(
        pool.clone(),
        Data::new("ResourcePool")
            .with("name", "Resources")
            .with("parent", cr)
            .with("owner", cr)
            .with("resourcePool", Value::array(vec![]))
            .with("vm", Value::array(vec![]))
            .with("overallStatus", "green")
            .with("configStatus", "green"),
    );
    let mut props = Data::new(&cr.kind);
    if cr.kind == "ClusterComputeResource" {
        // DRS on and fully automated, as a cluster vCenter's quick start makes:
        // a host entering maintenance mode has its VMs moved off.
        props.set(
            "configurationEx",
            Data::new("ClusterConfigInfoEx")
                .with(
                    "dasConfig",
                    Data::new("ClusterDasConfigInfo").with("enabled", false),
                )
                .with(
                    "drsConfig",
                    Data::new("ClusterDrsConfigInfo")
                        .with("enabled", true)
                        .with("defaultVmBehavior", "fullyAutomated")
                        .with("vmotionRate", 3),
                ),
        );
    }
    st.objects.insert(
        cr.clone(),
        props
            .with("name", name)
            .with("parent", host_folder)
            .with("resourcePool", &pool)
            .with("host", Value::array(vec![]))
            .with("datastore", Value::array(vec![]))
            .with("network", Value::array(vec![]))
            .with("overallStatus", "green")
            .with("configStatus", "green"),
    );
    st.objects
        .push_ref(host_folder, "childEntity", cr)
        .map_err(fault)?;
    Ok(pool)
}

/// A compute resource's configuration and summary, added up from its hosts
/// (`mo/cluster.rs`, which also keeps them current).
fn cluster_summary(st: &mut State, cr: &MoRef, _hosts: &[HostSpec]) -> anyhow::Result<()> {
    crate::mo::cluster::init(st, cr).map_err(fault)
}

/// The properties every network (standard or distributed port group) has;
/// host and vm lists start empty and fill in as VMs attach.
fn network_props(kind: &str, m: &MoRef, name: &str, parent: &MoRef) -> Data {
    Data::new(kind)
        .with("name", name)
        .with("parent", parent)
        .with(
            "summary",
            Data::new("NetworkSummary")
                .with("network", m)
                .with("name", name)
                .with("accessible", true)
                .with("ipPoolName", ""),
        )
        .with("host", Value::array(vec![]))
        .with("vm", Value::array(vec![]))
        .with("overallStatus", "green")
        .with("configStatus", "green")
}
