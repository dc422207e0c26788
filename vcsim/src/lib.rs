//! vcsim: a vCenter simulator speaking the vSphere Web Services API (vim25
//! SOAP) so that unmodified clients (pyvmomi, govc) work against it.
//!
//! Start one in-process with [`start`]; the returned [`Simulator`] serves on
//! its own port and exposes the object model for test set-up and checks.

mod call;
pub mod clock;
pub mod datastore_content;
pub mod datastore_files;
mod derive;
mod dispatch;
mod events;
pub mod faults;
mod folder_door;
pub mod guest;
mod http;
pub mod inventory;
mod journal;
mod listen;
mod methods;
mod mo;
mod model;
mod nfc_door;
mod ovf;
mod screen;
mod service;
mod state;
mod tasks;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use vim25::{MoRef, Value};

use crate::mo::property_collector;
use crate::state::{Shared, State};

/// Every `(managed type, method)` the simulator implements, sorted: the
/// method table, for `vcsim --list-methods` and the docs.
pub fn methods() -> Vec<(&'static str, &'static str)> {
    methods::rows()
}

/// Which inventory the simulator starts with.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Inventory {
    /// govmomi vcsim's default VPX model (`fixtures/inventory/default.yaml`).
    #[default]
    Default,
    /// A YAML inventory file in the fixture format.
    File(PathBuf),
    /// A large generated inventory with this many VMs ([`inventory::generate`]).
    Generated { vms: usize },
}

/// What the simulator presents itself as in `ServiceContent.about`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Personality {
    /// vCenter Server: `apiType` `VirtualCenter`.
    #[default]
    VCenter,
    /// A standalone ESXi host: `apiType` `HostAgent`.
    Esxi,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub tls: bool,
    pub inventory: Inventory,
    /// How long a task stays running before it completes.
    pub task_duration: Duration,
    pub session_idle_timeout: Option<Duration>,
    /// `None`: any user name and password are accepted.
    pub credentials: Option<(String, String)>,
    /// How long VMware Tools takes to come up after a VM boots (power-on,
    /// reset, guest reboot); an inventory VM's `tools_delay_ms` overrides it.
    pub tools_start_delay: Duration,
    /// Where files uploaded through `/folder` are kept: `None` (the default)
    /// keeps them in memory; a directory gets one subdirectory per datastore
    /// and every upload is streamed to disk there, never held whole in memory.
    pub datastore_dir: Option<PathBuf>,
    /// Bytes of uploads all in-memory files may hold together (507 beyond it).
    pub datastore_memory_limit: u64,
    /// Largest single file `/folder` accepts (413 beyond it).
    pub max_upload_bytes: u64,
    /// vCenter (the default) or ESXi, as `ServiceContent.about` says.
    pub personality: Personality,
    /// How long a host rebooted by `RebootHost_Task` stays `notResponding`
    /// before it is connected again.
    pub host_reboot_delay: Duration,
    /// Whether the HTTP control API (`/vcsim/…`, issue 14) answers; 404 otherwise.
    pub control_api: bool,
    /// Fault rules in force from the start (see [`faults::FaultRule`]).
    pub faults: Vec<faults::FaultRule>,
    /// Seeds the draws of rules with a probability below 1, so a run repeats.
    pub fault_seed: Option<u64>,
}

/// Short, so tools waiting for Tools see a real wait without slowing anyone.
pub const DEFAULT_TOOLS_START_DELAY: Duration = Duration::from_millis(300);

/// Short, so a reboot is observable (the host is down for a moment) without slowing tests.
pub const DEFAULT_HOST_REBOOT_DELAY: Duration = Duration::from_secs(2);

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            inventory: Inventory::Default,
            task_duration: Duration::ZERO,
            session_idle_timeout: None,
            credentials: None,
            tools_start_delay: DEFAULT_TOOLS_START_DELAY,
            datastore_dir: None,
            datastore_memory_limit: datastore_content::DEFAULT_MEMORY_LIMIT,
            max_upload_bytes: datastore_content::DEFAULT_MAX_FILE,
            personality: Personality::VCenter,
            host_reboot_delay: DEFAULT_HOST_REBOOT_DELAY,
            control_api: false,
            faults: vec![],
            fault_seed: None,
        }
    }
}

/// A running simulator.
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Arc<listen::Server>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .finish()
    }
}

/// Builds the inventory and starts serving.
pub async fn start(config: Config) -> anyhow::Result<Simulator> {
    let spec = match &config.inventory {
        Inventory::Default => inventory::InventorySpec::default_inventory()?,
        Inventory::File(p) => inventory::InventorySpec::load(p)?,
        Inventory::Generated { vms } => inventory::generate(*vms),
    };
    let mut st = State::new();
    service::install(&mut st).map_err(|f| anyhow::anyhow!("{f}"))?;
    service::set_personality(&mut st, config.personality).map_err(|f| anyhow::anyhow!("{f}"))?;
    st.tools.default_delay = config.tools_start_delay;
    st.files.store = Arc::new(datastore_content::ContentStore::new(
        config.datastore_memory_limit,
        config.max_upload_bytes,
        config.datastore_dir.clone(),
    ));
    st.monitor.reboot_delay = config.host_reboot_delay;
    inventory::build(&mut st, &spec)?;
    tracing::info!(objects = st.objects.len(), "inventory built");
    let shared = Shared::new(
        st,
        config.task_duration,
        config.session_idle_timeout,
        config.credentials.clone(),
        config.tls,
    );
    mo::virtual_machine::tools::spawn_timer(&shared);
    mo::host_system::spawn_stats_timer(&shared);
    shared
        .faults
        .configure(config.control_api, config.fault_seed, &config.faults)?;
    let server = listen::Server::serve(shared.clone(), config.listen, config.tls).await?;
    let addr = server.addr();
    // Guest file transfer URLs point back at this server.
    let scheme = if config.tls { "https" } else { "http" };
    shared.bookkeeping(|st| st.guests.base_url = format!("{scheme}://{addr}"));
    Ok(Simulator {
        shared,
        addr,
        server,
    })
}

impl Simulator {
    pub fn url(&self) -> String {
        let scheme = if self.shared.tls { "https" } else { "http" };
        format!("{scheme}://{}/sdk", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The object of type `kind` (or a subtype) named `name`.
    pub fn find(&self, kind: &str, name: &str) -> Option<MoRef> {
        let st = self.shared.lock();
        st.objects
            .of_kind(kind)
            .into_iter()
            .find(|m| st.objects.name(m) == name)
    }

    pub fn objects(&self, kind: &str) -> Vec<MoRef> {
        self.shared.lock().objects.of_kind(kind)
    }

    /// A property by dotted path, as stored (no `anyType` wrapper at the top).
    pub fn property(&self, obj: &MoRef, path: &str) -> Option<Value> {
        let st = self.shared.lock();
        property_collector::read(&st, None, obj, path)
            .ok()
            .flatten()
            .map(|v| match v {
                Value::Any(t) => t.value.clone(),
                v => v,
            })
    }

    /// Test set-up: writes a property and keeps derived ones consistent
    /// (setting `guest.toolsRunningStatus` updates `summary.guest` too), as
    /// every change does when it commits.
    pub fn set_property(&self, obj: &MoRef, path: &str, value: Value) -> anyhow::Result<()> {
        if vim25::schema().path_type(&obj.kind, path).is_none() {
            anyhow::bail!("{} has no property {path}", obj.kind);
        }
        self.shared
            .try_mutate(|st| st.objects.set(obj, path, value))
            .map_err(|f| anyhow::anyhow!("{f}"))
    }

    /// Every object with its whole property tree, in creation order: for
    /// tests that check a failed change left the model exactly as it was.
    pub fn snapshot(&self) -> Vec<(MoRef, vim25::Data)> {
        let st = self.shared.lock();
        st.objects
            .of_kind("ManagedObject")
            .into_iter()
            .filter_map(|m| st.objects.get(&m).map(|o| (m, o.props.clone())))
            .collect()
    }

    /// The files on datastore `ds` (a Datastore MoRef) under `prefix`, by
    /// path: what tests compare free space and layouts with.
    pub fn datastore_files(
        &self,
        ds: &MoRef,
        prefix: &str,
    ) -> Vec<(String, datastore_files::DsFile)> {
        self.shared.lock().files.list(&ds.value, prefix)
    }

    /// Moves the simulated clock forward: `sleep`s that end within `d` have
    /// ended on the next guest access, transfer URLs may expire, and hosts'
    /// `summary.quickStats` and performance samples move to the new present
    /// (real-time samples are 20 s apart).
    pub fn advance_clock(&self, d: Duration) {
        self.shared.bookkeeping(|st| st.guests.clock.advance(d));
        // Hosts' statistics move to the simulated present's sample (issue 12).
        self.shared.mutate(mo::host_system::tick);
    }

    /// The bytes of the file at `path` in `vm`'s guest (made from its seed
    /// if no guest operation has touched it yet); `None` if there is no such
    /// file.
    pub fn guest_file(&self, vm: &MoRef, path: &str) -> Option<Vec<u8>> {
        self.with_guest(vm, |g| {
            let p = g.fs.path(None, path).ok()?;
            match &g.fs.get(&p)?.body {
                guest::fs::Body::File(b) => Some(b.as_ref().clone()),
                guest::fs::Body::Dir => None,
            }
        })?
    }

    /// The names in directory `path` of `vm`'s guest, sorted; `None` if
    /// it is not a directory.
    pub fn guest_dir(&self, vm: &MoRef, path: &str) -> Option<Vec<String>> {
        let admin = guest::Who {
            name: "root",
            admin: true,
        };
        self.with_guest(vm, |g| {
            let p = g.fs.path(None, path).ok()?;
            if !g.fs.get(&p)?.is_dir() {
                return None;
            }
            let names = g.fs.list(admin, &p).ok()?;
            Some(names.iter().map(|n| n.name().to_string()).collect())
        })?
    }

    /// Test set-up: writes a file in `vm`'s guest (parents must exist),
    /// owned by the guest's administrator.
    pub fn set_guest_file(&self, vm: &MoRef, path: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let now = self.shared.lock().guests.clock.now();
        self.with_guest(vm, |g| {
            let p =
                g.fs.path(None, path)
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let admin = g.users.iter().find(|u| u.admin).map(|u| u.name.clone());
            let who = guest::Who {
                name: admin.as_deref().unwrap_or("root"),
                admin: true,
            };
            g.fs.write(who, &p, bytes, guest::fs::WriteMode::Replace, now)
                .map_err(|e| anyhow::anyhow!("cannot write {path}: {e:?}"))
        })
        .ok_or_else(|| anyhow::anyhow!("no VM {vm}"))?
    }

    /// `vm`'s guest process table (what has become due by now has run).
    pub fn guest_processes(&self, vm: &MoRef) -> Vec<guest::Process> {
        self.with_guest(vm, |g| g.processes(&[]))
            .unwrap_or_default()
    }

    /// Runs `f` on `vm`'s guest, made if needed; `None` for an unknown VM.
    fn with_guest<R>(&self, vm: &MoRef, f: impl FnOnce(&mut guest::Guest) -> R) -> Option<R> {
        self.shared.mutate(|st| {
            if !st.objects.contains(vm) {
                return None;
            }
            Some(f(crate::mo::guest_ops::open(st, vm)))
        })
    }

    /// The file at exactly `path` on datastore `ds` (folders made by
    /// `MakeDirectory` are entries of kind `Folder`).
    pub fn datastore_file(&self, ds: &MoRef, path: &str) -> Option<datastore_files::DsFile> {
        self.shared.lock().files.get(&ds.value, path).copied()
    }

    /// Whether `path` on `ds` is a folder: made as one, or holding files
    /// (a VM's folder); `""` is the datastore's root.
    pub fn datastore_folder_exists(&self, ds: &MoRef, path: &str) -> bool {
        self.shared.lock().files.is_folder(&ds.value, path)
    }

    /// The bytes of a file uploaded through `/folder` (or set with
    /// [`Simulator::write_datastore_file`]); `None` when there is no such file
    /// or it has no uploaded bytes (a VM's disk, a seeded ISO: those read as
    /// zeros of their size through the door).
    pub fn datastore_file_bytes(&self, ds: &MoRef, path: &str) -> Option<Vec<u8>> {
        let blob = {
            let st = self.shared.lock();
            st.files.meta(&ds.value, path)?.blob.clone()?
        };
        blob.read_all().ok()
    }

    /// Where an uploaded file's bytes sit on the host's disk, when the
    /// simulator has a `datastore_dir`.
    pub fn datastore_file_backing(&self, ds: &MoRef, path: &str) -> Option<PathBuf> {
        let st = self.shared.lock();
        let blob = st.files.meta(&ds.value, path)?.blob.clone()?;
        blob.disk_path().map(PathBuf::from)
    }

    /// Bytes of uploads held in memory now (never above `datastore_memory_limit`).
    pub fn upload_memory_in_use(&self) -> u64 {
        self.shared.lock().files.store.in_memory()
    }

    /// Test set-up: puts a file with these bytes on datastore `ds` (in
    /// memory), its space taken as any upload's; its folder need not exist.
    pub fn write_datastore_file(&self, ds: &MoRef, path: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.shared
            .try_mutate(|st| {
                let blob = st
                    .files
                    .store
                    .memory_blob(bytes.to_vec())
                    .map_err(|e| vim25::Fault::new("FileFault", e.to_string()))?;
                let file = datastore_files::DsFile::fixed(
                    datastore_files::FileKind::for_name(path),
                    bytes.len() as i64,
                );
                st.files
                    .set_with(&ds.value, path, file, Some(Arc::new(blob)));
                mo::datastore::files_changed(st, ds)
            })
            .map_err(|f| anyhow::anyhow!("{f}"))
    }

    /// The latest real-time sample of counter `counter` (`cpu.usagemhz.average`)
    /// for `entity`, as `QueryPerf` reports it; `None` for an unknown
    /// counter or an entity that reports nothing (a powered-off VM).
    pub fn perf_latest(&self, entity: &MoRef, counter: &str) -> Option<i64> {
        let st = self.shared.lock();
        let k = mo::perf::counters::by_name(counter)?;
        let period = mo::perf::sample::REALTIME_SECS;
        mo::perf::sample::value(&st, entity, k, st.monitor.perf_index * period, period)
    }

    /// The alarms triggered on `entity` itself: `(alarm name, status)`.
    pub fn triggered_alarms(&self, entity: &MoRef) -> Vec<(String, String)> {
        let st = self.shared.lock();
        st.monitor
            .alarms
            .get(entity.value.as_str())
            .map(|list| {
                list.iter()
                    .filter_map(|x| {
                        let d = mo::alarm_manager::DEFAULTS
                            .iter()
                            .find(|d| d.id == x.alarm)?;
                        Some((d.name.to_string(), x.status.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many managed objects exist (Tasks and views included).
    pub fn object_count(&self) -> usize {
        self.shared.lock().objects.len()
    }

    /// `(event type, fullFormattedMessage)`, oldest first.
    pub fn events(&self) -> Vec<(String, String)> {
        self.shared.lock().events.summary()
    }

    /// `(connections accepted, of which with TCP_NODELAY set)`, as read back
    /// from the server's own sockets after accepting them.
    pub fn connections(&self) -> (u64, u64) {
        self.shared.conns.get()
    }

    pub fn login_count(&self) -> u64 {
        self.shared.lock().login_count
    }

    pub async fn shutdown(self) {
        self.server.stop().await;
    }
}

/// The current time as vim25 `dateTime` text.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A stable UUID for an inventory path, so ids survive restarts.
pub(crate) fn uuid_for(seed: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("vcsim:{seed}").as_bytes(),
    )
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every property of every object must be encodable as vim25 puts it on
    /// the wire: a field the schema does not know would break real clients.
    #[test]
    fn every_property_of_the_default_inventory_encodes() {
        let mut st = State::new();
        service::install(&mut st).expect("the service objects use schema paths only");
        let spec = inventory::InventorySpec::default_inventory().expect("built-in fixture parses");
        inventory::build(&mut st, &spec).expect("built-in fixture builds");
        let mut failures = vec![];
        for kind in ["ManagedObject"] {
            for m in st.objects.of_kind(kind) {
                let names: Vec<String> = st
                    .objects
                    .get(&m)
                    .map(|o| o.props.fields.iter().map(|(n, _)| n.to_string()).collect())
                    .unwrap_or_default();
                for n in names {
                    match property_collector::read(&st, None, &m, &n) {
                        Ok(Some(v)) => {
                            if let Err(e) = vim25::encode_response("Fetch", &Ok(Some(v))) {
                                failures.push(format!("{m} {n}: {e}"));
                            }
                        }
                        Ok(None) => {}
                        Err(f) => failures.push(format!("{m} {n}: {f}")),
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        assert_eq!(st.objects.of_kind("VirtualMachine").len(), 4);
    }
}
