//! Fault injection (issue 14): rules that make chosen calls fail, hang,
//! slow down or lose their answer, driven from the library
//! ([`crate::Simulator`]'s methods), from flags (`--fault`) or over HTTP
//! (`/vcsim/…`, [`control`]). The dispatch path asks [`Injector::armed`]
//! first: one atomic load when no rule and no latency is set.

mod api;
pub(crate) mod control;
pub(crate) mod gate;
mod parse;
mod rules;
pub(crate) mod sessions;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vim25::{Fault, MoRef};

pub use control::DEFAULT_RESTART_DOWN;
pub use rules::{FaultAction, FaultDelivery, FaultRule, RuleStatus};

/// What a fired rule asks of the call.
#[derive(Debug)]
pub(crate) enum Fired {
    /// Answer this fault (as the task's error for a `*_Task` method when `task`).
    Fault {
        fault: Fault,
        task: bool,
    },
    Drop,
    DropAfter,
}

/// What the injector decided for one call.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Latency plus the fired rule's delay.
    pub delay: Duration,
    pub fired: Option<Fired>,
}

#[derive(Debug)]
struct Rules {
    list: Vec<RuleStatus>,
    next_id: u64,
    rng: StdRng,
    seed: Option<u64>,
    /// Per method; `"*"` for every method.
    latency: BTreeMap<String, Duration>,
}

/// The simulator's fault rules, latencies and hang gate.
#[derive(Debug)]
pub(crate) struct Injector {
    /// Whether any rule or latency exists: the only thing a call pays otherwise.
    armed: AtomicBool,
    rules: Mutex<Rules>,
    pub gate: gate::Gate,
    /// Whether `/vcsim/…` answers (404 otherwise).
    pub control_api: AtomicBool,
}

impl Default for Injector {
    fn default() -> Self {
        Injector {
            armed: AtomicBool::new(false),
            rules: Mutex::new(Rules {
                list: vec![],
                next_id: 1,
                rng: StdRng::from_os_rng(),
                seed: None,
                latency: BTreeMap::new(),
            }),
            gate: gate::Gate::default(),
            control_api: AtomicBool::new(false),
        }
    }
}

/// What `status` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultStatus {
    pub rules: Vec<RuleStatus>,
    pub latency: BTreeMap<String, Duration>,
    pub hung: bool,
    pub seed: Option<u64>,
    /// Requests the hang holds now.
    pub held: usize,
    /// Calls waiting out a latency or a rule's delay now.
    pub delayed: usize,
}

impl Injector {
    fn lock(&self) -> MutexGuard<'_, Rules> {
        // The rules stay usable after a panic elsewhere: they are plain data.
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn rearm(&self, r: &Rules) {
        let armed = !r.list.is_empty() || !r.latency.is_empty();
        self.armed.store(armed, Ordering::Release);
    }

    /// What `Config` asks for at start-up; a bad rule names its place.
    pub(crate) fn configure(
        &self,
        control_api: bool,
        seed: Option<u64>,
        rules: &[FaultRule],
    ) -> anyhow::Result<()> {
        self.control_api.store(control_api, Ordering::Release);
        if let Some(seed) = seed {
            self.seed(seed);
        }
        for (i, rule) in rules.iter().enumerate() {
            self.add(rule.clone())
                .map_err(|e| anyhow::anyhow!("fault rule {} of Config::faults: {e}", i + 1))?;
        }
        Ok(())
    }

    /// One load: whether [`Injector::plan`] can decide anything.
    pub(crate) fn armed(&self) -> bool {
        self.armed.load(Ordering::Acquire)
    }

    pub(crate) fn add(&self, rule: FaultRule) -> Result<u64, String> {
        rule.validate()?;
        let mut r = self.lock();
        let id = r.next_id;
        r.next_id += 1;
        r.list.push(RuleStatus {
            id,
            rule,
            hits: 0,
            matched: 0,
        });
        self.rearm(&r);
        Ok(id)
    }

    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut r = self.lock();
        let before = r.list.len();
        r.list.retain(|s| s.id != id);
        self.rearm(&r);
        r.list.len() != before
    }

    pub(crate) fn clear(&self) {
        let mut r = self.lock();
        r.list.clear();
        self.rearm(&r);
    }

    pub(crate) fn rules(&self) -> Vec<RuleStatus> {
        self.lock().list.clone()
    }

    pub(crate) fn hits(&self, id: u64) -> Option<u64> {
        self.lock().list.iter().find(|s| s.id == id).map(|s| s.hits)
    }

    /// Reseeds the draws of rules with a probability below 1.
    pub(crate) fn seed(&self, seed: u64) {
        let mut r = self.lock();
        r.rng = StdRng::seed_from_u64(seed);
        r.seed = Some(seed);
    }

    /// Sets `method`'s latency (`"*"`: every method); zero clears it.
    pub(crate) fn set_latency(&self, method: &str, d: Duration) {
        let mut r = self.lock();
        if d.is_zero() {
            r.latency.remove(method);
        } else {
            r.latency.insert(method.to_string(), d);
        }
        self.rearm(&r);
    }

    pub(crate) fn status(&self) -> FaultStatus {
        let r = self.lock();
        let (held, delayed) = self.gate.waiting();
        FaultStatus {
            rules: r.list.clone(),
            latency: r.latency.clone(),
            hung: self.gate.is_hung(),
            seed: r.seed,
            held,
            delayed,
        }
    }

    /// Decides a call's fate: rules in the order added, the first that fires
    /// wins; the others after it do not see the call. `name` reads the
    /// receiver's name (only when a rule asks for it).
    pub(crate) fn plan(&self, method: &str, this: &MoRef, name: impl Fn() -> String) -> Plan {
        let mut r = self.lock();
        let latency = r
            .latency
            .get(method)
            .or_else(|| r.latency.get("*"))
            .copied()
            .unwrap_or_default();
        let mut plan = Plan {
            delay: latency,
            fired: None,
        };
        let Rules { list, rng, .. } = &mut *r;
        for s in list.iter_mut() {
            if !s.rule.matches(method, this, &name) {
                continue;
            }
            s.matched += 1;
            if s.matched <= u64::from(s.rule.skip) || s.spent() {
                continue;
            }
            if s.rule.probability < 1.0 && rng.random::<f64>() >= s.rule.probability {
                continue;
            }
            s.hits += 1;
            plan.delay += s.rule.delay.unwrap_or_default();
            plan.fired = Some(match s.rule.action {
                FaultAction::Fault => Fired::Fault {
                    fault: s.rule.make_fault(s.id, method, this),
                    task: s.rule.deliver == FaultDelivery::Task && method.ends_with("_Task"),
                },
                FaultAction::Drop => Fired::Drop,
                FaultAction::DropAfter => Fired::DropAfter,
            });
            break;
        }
        plan
    }
}
