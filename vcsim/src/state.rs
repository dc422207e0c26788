//! The simulator's shared state: one mutex around the object model and the
//! per-session bookkeeping, plus a watch channel that ticks on every change so
//! `WaitForUpdates` can sleep until something happens.
//!
//! [`Shared::mutate`] and [`Shared::try_mutate`] are the only ways to change
//! the model: each runs in a transaction (rolled back when it fails), then
//! refreshes the derived properties of what it touched (`derive.rs`), then
//! advances the version `WaitForUpdates` watches. [`Shared::lock`] is read-only.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use vim25::{Data, Fault, MoRef, Value};

use crate::events::EventLog;
use crate::model::Objects;
use crate::property_collector::PcState;

#[derive(Clone, Debug)]
pub struct Session {
    /// `UserSession.key`, distinct from the cookie as on vCenter.
    pub key: String,
    pub user: String,
    pub login_time: String,
    pub last_active: Instant,
    pub call_count: i64,
}

impl Session {
    pub fn user_session(&self) -> Data {
        Data::new("UserSession")
            .with("key", self.key.as_str())
            .with("userName", self.user.as_str())
            .with("fullName", self.user.as_str())
            .with("loginTime", self.login_time.as_str())
            .with("lastActiveTime", crate::now())
            .with("locale", "en")
            .with("messageLocale", "en")
            .with("extensionSession", false)
            .with("ipAddress", "127.0.0.1")
            .with("userAgent", "")
            .with("callCount", self.call_count)
    }
}

#[derive(Debug)]
pub struct State {
    pub objects: Objects,
    /// The `ServiceContent` handed out by `RetrieveServiceContent`.
    pub content: Data,
    next_id: u64,
    /// By cookie value.
    pub sessions: HashMap<String, Session>,
    pub pc: PcState,
    pub events: EventLog,
    pub login_count: u64,
    /// What the datastores store (`datastore_files.rs`), undone with the objects.
    pub files: crate::datastore_files::DatastoreFiles,
    /// When booting VMs' Tools comes up (`virtual_machine/tools.rs`).
    pub(crate) tools: crate::mo::virtual_machine::tools::ToolsStarts,
    /// The simulated guests (`guest/`), made on first use, undone with the objects.
    pub guests: crate::guest::Guests,
    /// Performance samples, history collectors, triggered alarms (`mo/monitor.rs`).
    pub(crate) monitor: crate::mo::monitor::Monitor,
}

impl State {
    pub fn new() -> Self {
        State {
            objects: Objects::default(),
            content: Data::new("ServiceContent"),
            // Leave room for the fixed service ids, as vCenter numbers from small integers too.
            next_id: 0,
            sessions: HashMap::new(),
            pc: PcState::default(),
            events: EventLog::default(),
            login_count: 0,
            files: Default::default(),
            tools: Default::default(),
            guests: Default::default(),
            monitor: Default::default(),
        }
    }

    /// A fresh id in vCenter style (`vm-42`); one counter across all kinds.
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }

    /// Opens a (nestable) transaction over objects and events.
    fn begin(&mut self) {
        self.objects.begin();
        self.events.begin();
        self.files.begin();
        self.guests.begin();
    }

    /// Keeps the innermost transaction's changes; when it was the outermost,
    /// brings the derived properties of every object it touched up to date.
    fn commit(&mut self) {
        let touched = self.objects.commit();
        self.events.commit();
        self.files.commit();
        self.guests.commit();
        if !self.objects.in_transaction() {
            crate::derive::refresh(self, &touched);
        }
    }

    /// Undoes the innermost transaction: objects as they were, its events dropped.
    /// Id counters keep their advance, as on vCenter.
    fn rollback(&mut self) {
        self.objects.rollback();
        self.events.rollback();
        self.files.rollback();
        self.guests.rollback();
    }

    /// Runs `f` as a unit: on `Err` every change it made is undone.
    pub fn transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut State) -> Result<T, E>,
    ) -> Result<T, E> {
        self.begin();
        let r = f(self);
        match &r {
            Ok(_) => self.commit(),
            Err(_) => self.rollback(),
        }
        r
    }

    /// A managed object named in `ServiceContent` (`rootFolder`, `eventManager`, …).
    pub fn svc(&self, field: &str) -> MoRef {
        self.content
            .get(field)
            .and_then(Value::as_moref)
            .cloned()
            .unwrap_or_else(|| MoRef::new("ManagedObject", field))
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
    pub task_duration: Duration,
    pub idle_timeout: Option<Duration>,
    pub credentials: Option<(String, String)>,
    pub tls: bool,
    /// Accepted connections and their socket options (see `http::no_delay`).
    pub conns: crate::http::ConnStats,
    /// Fault rules, latency and the hang gate (`faults/`).
    pub faults: crate::faults::Injector,
}

impl Shared {
    pub(crate) fn new(
        state: State,
        task_duration: Duration,
        idle_timeout: Option<Duration>,
        credentials: Option<(String, String)>,
        tls: bool,
    ) -> Arc<Self> {
        Arc::new(Shared {
            state: Mutex::new(state),
            changed: watch::channel(0).0,
            task_duration,
            idle_timeout,
            credentials,
            tls,
            conns: crate::http::ConnStats::default(),
            faults: Default::default(),
        })
    }

    /// A panic elsewhere while holding the lock must not take the whole
    /// simulator down, so a poisoned lock is recovered, undoing the change
    /// that was under way.
    fn guard(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| {
            let mut st = e.into_inner();
            while st.objects.in_transaction() {
                st.rollback();
            }
            st
        })
    }

    /// Read access to the whole state.
    pub(crate) fn lock(&self) -> ReadGuard<'_> {
        ReadGuard(self.guard())
    }

    /// Runs a change that cannot fail, refreshes derived properties and
    /// wakes everyone waiting for updates.
    pub(crate) fn mutate<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let r = {
            let mut st = self.guard();
            st.begin();
            let r = f(&mut st);
            st.commit();
            r
        };
        self.changed.send_modify(|v| *v += 1);
        r
    }

    /// Runs a change that commits only if it succeeds: on a fault the model
    /// and the event log are left exactly as they were.
    pub(crate) fn try_mutate<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, Fault>,
    ) -> Result<T, Fault> {
        let r = self.guard().transaction(f);
        if r.is_ok() {
            self.changed.send_modify(|v| *v += 1);
        }
        r
    }

    /// Session and PropertyCollector bookkeeping (idle times, pages, what a
    /// filter last reported): state no client watches through
    /// PropertyCollector, so it does not advance the version. It must not
    /// touch the object model; debug builds check that.
    pub(crate) fn bookkeeping<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut st = self.guard();
        let writes = st.objects.writes();
        let r = f(&mut st);
        debug_assert_eq!(writes, st.objects.writes(), "bookkeeping changed the model");
        r
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

/// Read-only access to the state; changes go through [`Shared::mutate`].
pub(crate) struct ReadGuard<'a>(MutexGuard<'a, State>);

impl Deref for ReadGuard<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{events, inventory, service};

    fn shared() -> Arc<Shared> {
        let mut st = State::new();
        service::install(&mut st).expect("the service objects use schema paths only");
        let spec = inventory::InventorySpec::default_inventory().expect("built-in fixture parses");
        inventory::build(&mut st, &spec).expect("built-in fixture builds");
        Shared::new(st, Duration::ZERO, None, None, false)
    }

    fn vm0(sh: &Shared) -> MoRef {
        let st = sh.lock();
        st.objects
            .of_kind("VirtualMachine")
            .into_iter()
            .next()
            .expect("the fixture has VMs")
    }

    #[test]
    fn issue_7_failed_change_is_undone_with_its_events() {
        let sh = shared();
        let vm = vm0(&sh);
        let rx = sh.subscribe();
        let (count, events, name) = {
            let st = sh.lock();
            (st.objects.len(), st.events.summary(), st.objects.name(&vm))
        };
        let r: Result<(), Fault> = sh.try_mutate(|st| {
            st.objects.set(&vm, "name", Value::from("renamed"))?;
            let f = MoRef::new("Folder", &st.new_id("group"));
            st.objects
                .insert(f, Data::new("Folder").with("name", "new"));
            events::record(
                st,
                "VmRenamedEvent",
                "u",
                "renamed".into(),
                Some(&vm),
                None,
                None,
            )?;
            Err(Fault::invalid_argument("late"))
        });
        assert!(r.is_err());
        let st = sh.lock();
        assert_eq!(st.objects.len(), count);
        assert_eq!(st.objects.name(&vm), name);
        assert_eq!(st.events.summary(), events);
        assert!(!st.objects.in_transaction());
        assert!(
            !rx.has_changed().expect("sender alive"),
            "a failed change is not an update"
        );
    }

    #[test]
    fn issue_7_committed_change_derives_and_advances_the_version() {
        let sh = shared();
        let vm = vm0(&sh);
        let rx = sh.subscribe();
        sh.try_mutate(|st| st.objects.set(&vm, "config.hardware.numCPU", Value::Int(7)))
            .expect("a known path");
        assert!(rx.has_changed().expect("sender alive"));
        let st = sh.lock();
        // summary is derived at commit; the method did not refresh it.
        assert_eq!(
            st.objects
                .prop(&vm, "summary.config.numCpu")
                .and_then(Value::as_i64),
            Some(7)
        );
    }

    #[test]
    fn issue_7_failed_task_op_inside_a_change_keeps_the_outer_change() {
        let sh = shared();
        let vm = vm0(&sh);
        let tm = sh.lock().svc("taskManager");
        sh.mutate(|st| {
            let inner: Result<(), Fault> = st.transaction(|st| {
                st.objects
                    .set(&vm, "config.annotation", Value::from("lost"))?;
                Err(Fault::invalid_argument("x"))
            });
            assert!(inner.is_err());
            st.objects
                .set(&tm, "maxCollector", Value::Int(5))
                .expect("a known path");
        });
        let st = sh.lock();
        assert_ne!(
            st.objects.str_prop(&vm, "config.annotation").as_deref(),
            Some("lost")
        );
        assert_eq!(
            st.objects.prop(&tm, "maxCollector").and_then(Value::as_i64),
            Some(5)
        );
    }
}
