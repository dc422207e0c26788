//! The simulator's shared state: one mutex around the object model and the
//! per-session bookkeeping, plus a watch channel that ticks on every change so
//! `WaitForUpdates` can sleep until something happens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use vim25::{Data, MoRef, Value};

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
        }
    }

    /// A fresh id in vCenter style (`vm-42`); one counter across all kinds.
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
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
pub struct Shared {
    state: Mutex<State>,
    changed: watch::Sender<u64>,
    pub task_duration: Duration,
    pub idle_timeout: Option<Duration>,
    pub credentials: Option<(String, String)>,
    pub tls: bool,
}

impl Shared {
    pub fn new(
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
        })
    }

    /// Read access. A panic elsewhere while holding the lock must not take the
    /// whole simulator down, so a poisoned lock is recovered.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a mutation and wakes everyone waiting for updates.
    pub fn mutate<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let r = {
            let mut st = self.lock();
            f(&mut st)
        };
        self.changed.send_modify(|v| *v += 1);
        r
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}
