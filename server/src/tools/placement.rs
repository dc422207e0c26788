//! Where new VMs go: the configured (or first) datacenter, its VM folder,
//! the configured (or first) cluster's or standalone host's resource pool,
//! a datastore and a network backing for the NIC.

use vim25::MoRef;
use vim25::spec::NicBacking;

use super::Ctx;
use crate::error::ToolError;
use crate::views;
use crate::vsphere::{NAME, Obj};

pub(super) struct Datacenter {
    pub name: String,
    pub moref: MoRef,
    pub vm_folder: MoRef,
    pub host_folder: MoRef,
    pub datastores: Vec<MoRef>,
}

pub(super) async fn datacenter(ctx: &Ctx) -> Result<Datacenter, ToolError> {
    let dcs = ctx
        .client
        .list("Datacenter", &views::datacenter::PLACEMENT)
        .await?;
    let dc = match &ctx.defaults.datacenter {
        Some(want) => dcs.into_iter().find(|d| d.name() == want).ok_or_else(|| {
            ToolError::new(format!(
                "Datacenter '{want}' (VCENTER_DATACENTER) not found"
            ))
        })?,
        None => dcs
            .into_iter()
            .next()
            .ok_or_else(|| ToolError::new("vCenter has no datacenter to place the VM in"))?,
    };
    let folder = |p: &str| {
        dc.moref(p)
            .cloned()
            .ok_or_else(|| ToolError::new(format!("Datacenter '{}' has no {p}", dc.name())))
    };
    Ok(Datacenter {
        name: dc.name().to_string(),
        vm_folder: folder("vmFolder")?,
        host_folder: folder("hostFolder")?,
        datastores: dc.morefs("datastore"),
        moref: dc.moref.clone(),
    })
}

/// The resource pool of the configured cluster, else of the first cluster,
/// else of the first standalone host.
pub(super) async fn resource_pool(ctx: &Ctx, dc: &Datacenter) -> Result<MoRef, ToolError> {
    let clusters = ctx
        .client
        .list_in(
            &dc.host_folder,
            "ClusterComputeResource",
            &views::pool::OF_COMPUTE,
        )
        .await?;
    let pool_of = |o: &Obj| o.moref("resourcePool").cloned();
    if let Some(want) = &ctx.defaults.cluster {
        let c = clusters.iter().find(|c| c.name() == want).ok_or_else(|| {
            ToolError::new(format!(
                "Cluster '{want}' (VCENTER_CLUSTER) not found in datacenter '{}'",
                dc.name
            ))
        })?;
        return pool_of(c)
            .ok_or_else(|| ToolError::new(format!("Cluster '{want}' has no resource pool")));
    }
    if let Some(p) = clusters.iter().find_map(pool_of) {
        return Ok(p);
    }
    let hosts = ctx
        .client
        .list_in(&dc.host_folder, "ComputeResource", &views::pool::OF_COMPUTE)
        .await?;
    hosts.iter().find_map(pool_of).ok_or_else(|| {
        ToolError::new(format!(
            "Datacenter '{}' has no cluster or host with a resource pool",
            dc.name
        ))
    })
}

/// A datastore by name (in the datacenter), or the default one.
pub(super) async fn datastore(
    ctx: &Ctx,
    dc: &Datacenter,
    name: Option<&str>,
) -> Result<(MoRef, String), ToolError> {
    let want = name.or(ctx.defaults.datastore.as_deref());
    let all = ctx.client.list_in(&dc.moref, "Datastore", &NAME).await?;
    match want {
        Some(w) => all
            .into_iter()
            .find(|d| d.name() == w)
            .map(|d| (d.moref.clone(), d.name().to_string()))
            .ok_or_else(|| {
                ToolError::new(format!(
                    "Datastore '{w}' not found in datacenter '{}'",
                    dc.name
                ))
            }),
        None => {
            // The datacenter's own list keeps vCenter's order; fall back to the view's.
            let first = dc
                .datastores
                .iter()
                .find_map(|m| all.iter().find(|d| &d.moref == m))
                .or_else(|| all.first());
            first
                .map(|d| (d.moref.clone(), d.name().to_string()))
                .ok_or_else(|| ToolError::new(format!("Datacenter '{}' has no datastore", dc.name)))
        }
    }
}

/// The NIC backing for the network (standard port group or distributed port group) named `name`.
pub(super) async fn nic_backing(
    ctx: &Ctx,
    dc: &Datacenter,
    name: &str,
) -> Result<NicBacking, ToolError> {
    let nets = ctx.client.list_in(&dc.moref, "Network", &NAME).await?;
    let mut net = nets.into_iter().find(|n| n.name() == name).map(|n| n.moref);
    if net.is_none() {
        // Some inventories do not report port groups under the Network type.
        net = ctx
            .client
            .find_in(&dc.moref, "DistributedVirtualPortgroup", name)
            .await?;
    }
    let net = net.ok_or_else(|| {
        ToolError::new(format!(
            "Network '{name}' not found in datacenter '{}'",
            dc.name
        ))
    })?;
    if net.kind != "DistributedVirtualPortgroup" {
        return Ok(NicBacking::Standard {
            network_name: name.to_string(),
            network: Some(net),
        });
    }
    let pg = ctx
        .client
        .properties(&net, &views::network::PORTGROUP)
        .await?;
    let portgroup_key = pg.str("key").unwrap_or(&net.value).to_string();
    let dvs = pg
        .moref("config.distributedVirtualSwitch")
        .cloned()
        .ok_or_else(|| ToolError::new(format!("Port group '{name}' has no distributed switch")))?;
    let switch_uuid = ctx
        .client
        .properties(&dvs, &views::network::SWITCH_UUID)
        .await?
        .str("uuid")
        .map(str::to_string)
        .ok_or_else(|| ToolError::new(format!("The switch of port group '{name}' has no uuid")))?;
    Ok(NicBacking::Distributed {
        switch_uuid,
        portgroup_key,
    })
}
