//! The VM state the snapshot and device checks read back: the snapshot tree
//! and the disks, CD/DVD drive, network adapters and serial port. From the
//! simulator it is its own `snapshot` and `config.hardware.device`; from a
//! real vCenter it is what the server's read tools (`list_snapshots`,
//! `list_disks`, `list_nics`, `get_serial_port`) say.

use anyhow::{Result, anyhow, bail};
use serde_json::{Value as Json, json};
use vim25::devices::DeviceList;
use vim25::{Data, MoRef, Value};

use super::Probe;

/// The snapshot tree, flattened parents-first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Snaps {
    pub(super) names: Vec<String>,
    pub(super) current: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Disk {
    pub(super) label: String,
    pub(super) size_gb: f64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Nic {
    pub(super) label: String,
    pub(super) mac: Option<String>,
    pub(super) network: Option<String>,
    pub(super) connected: bool,
    pub(super) start_connected: bool,
}

/// The VM's first network-backed serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Serial {
    pub(super) uri: String,
    pub(super) connected: bool,
    pub(super) start_connected: bool,
}

const KB_PER_GB: f64 = 1024.0 * 1024.0;

fn str_at<'a>(d: &'a Data, path: &str) -> Option<&'a str> {
    d.path(path).and_then(Value::as_str)
}

fn flag(d: &Data, path: &str) -> bool {
    d.path(path).and_then(Value::as_bool).unwrap_or(false)
}

fn label(d: &Data) -> String {
    str_at(d, "deviceInfo.label")
        .unwrap_or_default()
        .to_string()
}

/// Appends `nodes` and their children, parents first; returns the name of
/// the node whose snapshot is `current`.
fn walk(nodes: &[Value], current: Option<&MoRef>, names: &mut Vec<String>) -> Option<String> {
    let mut found = None;
    for node in nodes.iter().filter_map(Value::as_data) {
        let name = node.get("name").and_then(Value::as_str).unwrap_or_default();
        names.push(name.to_string());
        if current.is_some() && node.get("snapshot").and_then(Value::as_moref) == current {
            found = Some(name.to_string());
        }
        let children = node
            .get("childSnapshotList")
            .map_or(&[][..], Value::as_array);
        found = walk(children, current, names).or(found);
    }
    found
}

impl Probe<'_> {
    pub(super) fn sim_vm(sim: &vcsim::Simulator, vm: &str) -> Result<MoRef> {
        sim.find("VirtualMachine", vm)
            .ok_or_else(|| anyhow!("VM {vm} not found in the simulator"))
    }

    /// A read tool's structured answer on `vm` (as `name` or `vm_name`).
    async fn read_tool(s: &crate::session::Session, tool: &str, args: Json) -> Result<Json> {
        let o = s.call(tool, args).await?;
        if o.is_error {
            bail!("{tool}: {}", o.text);
        }
        o.structured
            .ok_or_else(|| anyhow!("{tool} returned no structured result"))
    }

    /// The result list of a list-returning read tool.
    async fn read_list(s: &crate::session::Session, tool: &str, args: Json) -> Result<Vec<Json>> {
        let v = Self::read_tool(s, tool, args).await?;
        v.get("result")
            .and_then(Json::as_array)
            .cloned()
            .ok_or_else(|| anyhow!("{tool} did not return a list: {v}"))
    }

    pub(super) async fn snapshots(&self, vm: &str) -> Result<Snaps> {
        match self {
            Probe::Sim(sim) => {
                let m = Self::sim_vm(sim, vm)?;
                let current = sim.property(&m, "snapshot.currentSnapshot");
                let roots = sim.property(&m, "snapshot.rootSnapshotList");
                let mut names = vec![];
                let cur = walk(
                    roots.as_ref().map_or(&[][..], Value::as_array),
                    current.as_ref().and_then(Value::as_moref),
                    &mut names,
                );
                Ok(Snaps {
                    names,
                    current: cur,
                })
            }
            Probe::Server(s) => {
                let list = Self::read_list(s, "list_snapshots", json!({ "name": vm })).await?;
                let name = |i: &Json| i.get("name").and_then(Json::as_str).map(str::to_string);
                Ok(Snaps {
                    names: list.iter().filter_map(name).collect(),
                    current: list
                        .iter()
                        .find(|i| i.get("is_current") == Some(&Json::Bool(true)))
                        .and_then(name),
                })
            }
        }
    }

    fn sim_devices(sim: &vcsim::Simulator, vm: &str) -> Result<DeviceList> {
        let m = Self::sim_vm(sim, vm)?;
        Ok(sim
            .property(&m, "config.hardware.device")
            .map(|v| DeviceList::from_value(&v))
            .unwrap_or_default())
    }

    pub(super) async fn disks(&self, vm: &str) -> Result<Vec<Disk>> {
        match self {
            Probe::Sim(sim) => Ok(Self::sim_devices(sim, vm)?
                .disks()
                .into_iter()
                .map(|d| Disk {
                    label: label(d),
                    size_gb: d
                        .get("capacityInKB")
                        .and_then(Value::as_i64)
                        .unwrap_or_default() as f64
                        / KB_PER_GB,
                })
                .collect()),
            Probe::Server(s) => Ok(Self::read_list(s, "list_disks", json!({ "vm_name": vm }))
                .await?
                .iter()
                .map(|d| Disk {
                    label: d["label"].as_str().unwrap_or_default().to_string(),
                    size_gb: d["size_gb"].as_f64().unwrap_or_default(),
                })
                .collect()),
        }
    }

    /// The ISO in the VM's first CD/DVD drive (`None`: empty); an error
    /// when it has no drive. No read tool shows CD/DVD drives, so only the
    /// simulator can answer.
    pub(super) async fn cdrom_iso(&self, vm: &str) -> Result<Option<String>> {
        match self {
            Probe::Sim(sim) => {
                let list = Self::sim_devices(sim, vm)?;
                let drive = list.cdroms().first().copied().cloned();
                let d = drive.ok_or_else(|| anyhow!("VM {vm} has no CD/DVD drive"))?;
                Ok({
                    let iso = d
                        .get("backing")
                        .and_then(Value::as_data)
                        .filter(|b| b.type_name.as_str() == "VirtualCdromIsoBackingInfo");
                    iso.and_then(|b| b.get("fileName").and_then(Value::as_str))
                        .map(str::to_string)
                })
            }
            Probe::Server(_) => bail!("no read tool shows a VM's CD/DVD drives"),
        }
    }

    pub(super) async fn nics(&self, vm: &str) -> Result<Vec<Nic>> {
        match self {
            Probe::Sim(sim) => {
                let list = Self::sim_devices(sim, vm)?;
                let name = |m: MoRef| {
                    sim.property(&m, "name")
                        .and_then(|v| v.as_str().map(str::to_string))
                };
                Ok(list
                    .nics()
                    .into_iter()
                    .map(|d| {
                        let network = match d.path("backing.network").and_then(Value::as_moref) {
                            Some(m) => name(m.clone()),
                            None => str_at(d, "backing.port.portgroupKey")
                                .and_then(|k| name(MoRef::new("DistributedVirtualPortgroup", k))),
                        };
                        Nic {
                            label: label(d),
                            mac: str_at(d, "macAddress").map(str::to_string),
                            network,
                            connected: flag(d, "connectable.connected"),
                            start_connected: flag(d, "connectable.startConnected"),
                        }
                    })
                    .collect())
            }
            Probe::Server(s) => Ok(Self::read_list(s, "list_nics", json!({ "vm_name": vm }))
                .await?
                .iter()
                .map(|n| {
                    let text = |k: &str| n.get(k).and_then(Json::as_str).map(str::to_string);
                    Nic {
                        label: text("label").unwrap_or_default(),
                        mac: text("mac_address"),
                        network: text("network"),
                        connected: n["connected"].as_bool().unwrap_or(false),
                        start_connected: n["start_connected"].as_bool().unwrap_or(false),
                    }
                })
                .collect()),
        }
    }

    pub(super) async fn serial(&self, vm: &str) -> Result<Option<Serial>> {
        match self {
            Probe::Sim(sim) => Ok(Self::sim_devices(sim, vm)?
                .serial_ports()
                .into_iter()
                .find_map(|p| {
                    let (uri, _) = vim25::spec::serial_uri_of(p)?;
                    Some(Serial {
                        uri: uri.to_string(),
                        connected: flag(p, "connectable.connected"),
                        start_connected: flag(p, "connectable.startConnected"),
                    })
                })),
            Probe::Server(s) => {
                let p = Self::read_tool(s, "get_serial_port", json!({ "name": vm })).await?;
                if p["configured"].as_bool() != Some(true) {
                    return Ok(None);
                }
                Ok(Some(Serial {
                    uri: p["service_uri"].as_str().unwrap_or_default().to_string(),
                    connected: p["connected"].as_bool().unwrap_or(false),
                    start_connected: p["start_connected"].as_bool().unwrap_or(false),
                }))
            }
        }
    }
}
