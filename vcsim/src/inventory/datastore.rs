//! A datastore as the builder makes it from a fixture entry: its summary,
//! the `info` subtype its file system type has (`VmfsDatastoreInfo`,
//! `NasDatastoreInfo`, `VsanDatastoreInfo`), a `url` in the form that type
//! has on vSphere, its browser, and the files it starts with.

use vim25::{Data, MoRef, Value};

use super::build::fault;
use super::spec::DatastoreSpec;
use crate::state::State;
use crate::{now, uuid_for};

/// The file system types a fixture may name, as `summary.type` spells them.
pub(super) const TYPES: &[&str] = &["VMFS", "NFS", "NFS41", "vsan", "vvol", "PMEM"];
const MAINTENANCE: &[&str] = &["normal", "enteringMaintenance", "inMaintenance"];

pub(super) fn datastore(
    st: &mut State,
    dc_name: &str,
    ds: &DatastoreSpec,
    ds_folder: &MoRef,
) -> anyhow::Result<MoRef> {
    if !TYPES.contains(&ds.r#type.as_str()) {
        anyhow::bail!(
            "datastore {}: type '{}' is not one of {}",
            ds.name,
            ds.r#type,
            TYPES.join(", ")
        );
    }
    if !MAINTENANCE.contains(&ds.maintenance_mode.as_str()) {
        anyhow::bail!(
            "datastore {}: maintenance_mode '{}' is not one of {}",
            ds.name,
            ds.maintenance_mode,
            MAINTENANCE.join(", ")
        );
    }
    let m = MoRef::new("Datastore", &st.new_id("datastore"));
    let uuid = uuid_for(&format!("/{dc_name}/datastore/{}", ds.name));
    let hex: String = uuid.chars().filter(|c| *c != '-').collect();
    let cap = (ds.capacity_gb as i64).saturating_mul(1 << 30);
    let free = (ds.free_gb as i64).saturating_mul(1 << 30);
    let (url, info) = match ds.r#type.as_str() {
        // NFS volumes are named by two 8-digit hex halves, vSAN by `vsan:` and its UUID.
        t @ ("NFS" | "NFS41") => (
            format!("ds:///vmfs/volumes/{}-{}/", &hex[..8], &hex[8..16]),
            Data::new("NasDatastoreInfo").with(
                "nas",
                Data::new("HostNasVolume")
                    .with("type", t)
                    .with("name", ds.name.as_str())
                    .with("capacity", cap)
                    .with("remoteHost", "nfs.vcsim.local")
                    .with("remotePath", format!("/export/{}", ds.name))
                    .with("protocolEndpoint", false),
            ),
        ),
        "vsan" => (
            format!("ds:///vmfs/volumes/vsan:{}-{}/", &hex[..16], &hex[16..]),
            Data::new("VsanDatastoreInfo").with("membershipUuid", uuid.as_str()),
        ),
        "VMFS" => (
            format!("ds:///vmfs/volumes/{uuid}/"),
            Data::new("VmfsDatastoreInfo")
                .with("maxPhysicalRDMFileSize", 64i64 << 40)
                .with("maxVirtualRDMFileSize", 62i64 << 40)
                .with(
                    "vmfs",
                    Data::new("HostVmfsVolume")
                        .with("type", "VMFS")
                        .with("name", ds.name.as_str())
                        .with("capacity", cap)
                        .with("blockSizeMb", 1)
                        .with("maxBlocks", 63_963_136)
                        .with("majorVersion", 6)
                        .with("version", "6.82")
                        .with("uuid", uuid.as_str())
                        .with("extent", Value::array(vec![]))
                        .with("vmfsUpgradable", false)
                        .with("ssd", true)
                        .with("local", true),
                ),
        ),
        _ => (
            format!("ds:///vmfs/volumes/{uuid}/"),
            Data::new("DatastoreInfo"),
        ),
    };
    let info = info
        .with("name", ds.name.as_str())
        .with("url", url.as_str())
        .with("freeSpace", free)
        .with("maxFileSize", cap)
        .with("timestamp", now());
    let browser = MoRef::new(
        "HostDatastoreBrowser",
        &format!("datastoreBrowser-{}", m.value),
    );
    st.objects.insert(
        browser.clone(),
        Data::new("HostDatastoreBrowser").with("datastore", vec![m.clone()]),
    );
    let status = if ds.accessible { "green" } else { "red" };
    st.objects.insert(
        m.clone(),
        Data::new("Datastore")
            .with("name", ds.name.as_str())
            .with("parent", ds_folder)
            .with("browser", &browser)
            .with(
                "summary",
                Data::new("DatastoreSummary")
                    .with("datastore", &m)
                    .with("name", ds.name.as_str())
                    .with("url", url.as_str())
                    .with("capacity", cap)
                    .with("freeSpace", free)
                    .with("uncommitted", 0i64)
                    .with("accessible", ds.accessible)
                    .with("multipleHostAccess", true)
                    .with("type", ds.r#type.as_str())
                    .with("maintenanceMode", ds.maintenance_mode.as_str()),
            )
            .with("info", info)
            .with("host", Value::array(vec![]))
            .with("vm", Value::array(vec![]))
            .with("overallStatus", status)
            .with("configStatus", "green"),
    );
    st.objects
        .push_ref(ds_folder, "childEntity", &m)
        .map_err(fault)?;
    crate::mo::datastore::seed(st, &m, cap - free).map_err(fault)?;
    Ok(m)
}
