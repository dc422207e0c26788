//! The fixture format: the YAML description of an inventory, the built-in
//! default, and the large generated inventory.

use std::path::Path;

use serde::Deserialize;

/// The default inventory, kept beside the other fixtures and compiled in so
/// the library needs no files at run time.
pub const DEFAULT_YAML: &str = include_str!("../../../fixtures/inventory/default.yaml");

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InventorySpec {
    pub datacenters: Vec<DatacenterSpec>,
}

impl InventorySpec {
    /// How many VMs the inventory holds, wherever they are placed.
    pub fn vm_count(&self) -> usize {
        let on_hosts = |hosts: &[HostSpec]| hosts.iter().map(|h| h.vms.len()).sum::<usize>();
        self.datacenters
            .iter()
            .map(|d| {
                on_hosts(&d.hosts)
                    + d.clusters
                        .iter()
                        .map(|c| c.vms.len() + on_hosts(&c.hosts))
                        .sum::<usize>()
            })
            .sum()
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatacenterSpec {
    pub name: String,
    /// Standard port groups (`VM Network`).
    #[serde(default)]
    pub networks: Vec<String>,
    #[serde(default)]
    pub datastores: Vec<DatastoreSpec>,
    #[serde(default)]
    pub switches: Vec<SwitchSpec>,
    #[serde(default)]
    pub clusters: Vec<ClusterSpec>,
    /// Standalone hosts, each in its own ComputeResource.
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatastoreSpec {
    pub name: String,
    #[serde(default = "default_capacity_gb")]
    pub capacity_gb: u64,
    #[serde(default = "default_free_gb")]
    pub free_gb: u64,
    /// `VMFS`, `NFS`, `NFS41`, `vsan`, `vvol` or `PMEM`.
    #[serde(default = "default_ds_type")]
    pub r#type: String,
    /// `summary.accessible` (and each host mount's).
    #[serde(default = "default_true")]
    pub accessible: bool,
    /// `summary.maintenanceMode`: `normal`, `enteringMaintenance` or `inMaintenance`.
    #[serde(default = "default_maintenance")]
    pub maintenance_mode: String,
}

fn default_true() -> bool {
    true
}
fn default_maintenance() -> String {
    "normal".into()
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SwitchSpec {
    pub name: String,
    #[serde(default)]
    pub portgroups: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    pub name: String,
    pub hosts: Vec<HostSpec>,
    /// VMs in the cluster's root resource pool, placed on its hosts in turn.
    #[serde(default)]
    pub vms: Vec<VmSpec>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    pub name: String,
    #[serde(default = "default_host_cores")]
    pub cpu_cores: u32,
    #[serde(default = "default_host_memory_gb")]
    pub memory_gb: u64,
    #[serde(default)]
    pub vms: Vec<VmSpec>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VmSpec {
    pub name: String,
    #[serde(default = "one")]
    pub cpus: u32,
    #[serde(default = "default_vm_memory_mb")]
    pub memory_mb: u32,
    /// `poweredOn`, `poweredOff` or `suspended`.
    #[serde(default = "default_power")]
    pub power: String,
    /// Whether VMware Tools is installed (it runs while the VM is on, from a
    /// moment after each boot).
    #[serde(default = "yes")]
    pub tools: bool,
    /// How long Tools takes to come up after this VM boots, in milliseconds;
    /// the simulator's `tools_start_delay` if absent.
    #[serde(default)]
    pub tools_delay_ms: Option<u64>,
    #[serde(default = "default_guest_id")]
    pub guest_id: String,
    /// The guest IP reported while tools run; derived from the VM if absent.
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub annotation: String,
    #[serde(default)]
    pub template: bool,
    #[serde(default = "one_u64")]
    pub disk_gb: u64,
    /// Network (or DV port group) of the NIC; the datacenter's first network if absent.
    #[serde(default)]
    pub network: Option<String>,
    /// Datastore of the VM's files; the datacenter's first datastore if absent.
    #[serde(default)]
    pub datastore: Option<String>,
    /// The guest's accounts; empty: the defaults (`root`/`Administrator` and
    /// `user`, password `vmware`).
    #[serde(default)]
    pub guest_users: Vec<GuestUserSpec>,
}

/// A guest account in the fixture.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GuestUserSpec {
    pub name: String,
    #[serde(default = "default_guest_password")]
    pub password: String,
    #[serde(default)]
    pub admin: bool,
}

/// Leaves the password out (guest passwords stay out of logs).
impl std::fmt::Debug for GuestUserSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestUserSpec")
            .field("name", &self.name)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

fn default_guest_password() -> String {
    crate::guest::seed::DEFAULT_PASSWORD.into()
}

fn default_capacity_gb() -> u64 {
    1024
}
fn default_free_gb() -> u64 {
    900
}
fn default_ds_type() -> String {
    "VMFS".into()
}
fn default_host_cores() -> u32 {
    4
}
fn default_host_memory_gb() -> u64 {
    4
}
fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}
fn yes() -> bool {
    true
}
fn default_vm_memory_mb() -> u32 {
    32
}
fn default_power() -> String {
    "poweredOn".into()
}
fn default_guest_id() -> String {
    "otherGuest".into()
}

impl InventorySpec {
    pub fn from_yaml(text: &str) -> anyhow::Result<Self> {
        Ok(serde_yaml::from_str(text)?)
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read inventory {}: {e}", path.display()))?;
        Self::from_yaml(&text)
            .map_err(|e| anyhow::anyhow!("invalid inventory {}: {e}", path.display()))
    }

    pub fn default_inventory() -> anyhow::Result<Self> {
        Self::from_yaml(DEFAULT_YAML)
    }
}

/// Hosts per generated cluster and VMs per generated host.
const GEN_HOSTS_PER_CLUSTER: usize = 8;
const GEN_VMS_PER_HOST: usize = 50;

/// A large inventory with `vms` VMs: one datacenter with the default model's
/// networks and datastore, and as many 8-host clusters as needed for 50 VMs per
/// host. Names follow vcsim's scheme (`DC0_C3_H5`, `DC0_C3_RP0_VM17`), and every
/// fourth VM is powered off so filters have something to tell apart.
pub fn generate(vms: usize) -> InventorySpec {
    let hosts = vms.div_ceil(GEN_VMS_PER_HOST).max(1);
    let clusters = hosts.div_ceil(GEN_HOSTS_PER_CLUSTER).max(1);
    let mut dc = DatacenterSpec {
        name: "DC0".into(),
        networks: vec!["VM Network".into()],
        datastores: vec![DatastoreSpec {
            name: "LocalDS_0".into(),
            capacity_gb: 1 << 20,
            free_gb: 1 << 19,
            r#type: default_ds_type(),
            accessible: true,
            maintenance_mode: default_maintenance(),
        }],
        switches: vec![SwitchSpec {
            name: "DVS0".into(),
            portgroups: vec!["DC0_DVPG0".into()],
        }],
        clusters: vec![],
        hosts: vec![],
    };
    let mut left = vms;
    for c in 0..clusters {
        let name = format!("DC0_C{c}");
        let nhosts = GEN_HOSTS_PER_CLUSTER.min(hosts - c * GEN_HOSTS_PER_CLUSTER);
        let n = left.min(nhosts * GEN_VMS_PER_HOST);
        left -= n;
        dc.clusters.push(ClusterSpec {
            hosts: (0..nhosts)
                .map(|h| HostSpec {
                    name: format!("{name}_H{h}"),
                    cpu_cores: 32,
                    memory_gb: 512,
                    vms: vec![],
                })
                .collect(),
            vms: (0..n)
                .map(|i| VmSpec {
                    name: format!("{name}_RP0_VM{i}"),
                    cpus: 1 + (i % 4) as u32,
                    memory_mb: 512 << (i % 3),
                    power: if i % 4 == 3 {
                        "poweredOff"
                    } else {
                        "poweredOn"
                    }
                    .into(),
                    tools: true,
                    tools_delay_ms: None,
                    guest_id: default_guest_id(),
                    ip: None,
                    annotation: String::new(),
                    template: false,
                    disk_gb: 1,
                    network: None,
                    datastore: None,
                    guest_users: vec![],
                })
                .collect(),
            name,
        });
    }
    InventorySpec {
        datacenters: vec![dc],
    }
}
