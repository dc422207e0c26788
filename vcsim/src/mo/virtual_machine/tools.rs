//! When VMware Tools comes up: a moment after the guest boots (power-on,
//! reset, guest reboot), never at the instant of power-on. Each boot leaves a
//! due time per VM; one timer task applies the starts that are due, as one
//! change, so `WaitForUpdates` sees Tools come up.
//!
//! A due time is only a wish: when it comes, Tools starts only if the VM
//! still exists, is on, has Tools installed and is not running it already. A
//! later boot replaces the due time, so a power cycle during the delay cannot
//! start Tools early or twice, and a VM powered off meanwhile is skipped. Due
//! times are not undone with a failed change; that check makes them harmless.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use vim25::{Fault, MoRef};

use super::guest::set_tools_running;
use super::model::{power_state, tools_installed, tools_running};
use crate::state::{Shared, State};

/// How often the timer looks whether the simulator is still there when no
/// start is due (it holds no reference that would keep the state alive).
const IDLE_CHECK: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub(crate) struct ToolsStarts {
    /// How long Tools takes to start after a boot, for VMs without their own delay.
    pub(crate) default_delay: Duration,
    /// Delays given per VM (`tools_delay_ms` in the inventory).
    delays: BTreeMap<MoRef, Duration>,
    /// When each booting VM's Tools is due to start.
    due: BTreeMap<MoRef, Instant>,
    /// Tells the timer a new due time exists.
    wake: Arc<Notify>,
}

impl ToolsStarts {
    pub(crate) fn new(default_delay: Duration) -> Self {
        ToolsStarts {
            default_delay,
            delays: BTreeMap::new(),
            due: BTreeMap::new(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Gives `vm` its own start delay.
    pub(crate) fn set_delay(&mut self, vm: &MoRef, delay: Duration) {
        self.delays.insert(vm.clone(), delay);
    }

    fn delay(&self, vm: &MoRef) -> Duration {
        self.delays.get(vm).copied().unwrap_or(self.default_delay)
    }

    fn next_due(&self) -> Option<Instant> {
        self.due.values().min().copied()
    }

    /// Removes and returns the VMs whose start is due at `now`.
    fn take_due(&mut self, now: Instant) -> Vec<MoRef> {
        let due: Vec<MoRef> = self
            .due
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(vm, _)| vm.clone())
            .collect();
        for vm in &due {
            self.due.remove(vm);
        }
        due
    }
}

impl Default for ToolsStarts {
    fn default() -> Self {
        Self::new(crate::DEFAULT_TOOLS_START_DELAY)
    }
}

/// The guest of `vm` has just booted: its Tools (if installed) is due to
/// start after the VM's delay, replacing any start still pending.
pub(crate) fn schedule_start(st: &mut State, vm: &MoRef) {
    if !tools_installed(st, vm) {
        return;
    }
    // A delay beyond what the clock can count (a huge `--tools-delay`)
    // means Tools never comes up; any start still pending is void too.
    match Instant::now().checked_add(st.tools.delay(vm)) {
        Some(at) => {
            st.tools.due.insert(vm.clone(), at);
            st.tools.wake.notify_one();
        }
        None => {
            st.tools.due.remove(vm);
        }
    }
}

/// Starts Tools on every VM whose start is due and that still qualifies;
/// how many started.
fn start_due(st: &mut State, now: Instant) -> Result<usize, Fault> {
    let mut started = 0;
    for vm in st.tools.take_due(now) {
        let qualifies = st.objects.contains(&vm)
            && power_state(st, &vm) == "poweredOn"
            && tools_installed(st, &vm)
            && !tools_running(st, &vm);
        if qualifies {
            set_tools_running(st, &vm, true)?;
            started += 1;
        }
    }
    Ok(started)
}

/// Runs the Tools start timer until the simulator is gone.
pub(crate) fn spawn_timer(shared: &Arc<Shared>) {
    let weak = Arc::downgrade(shared);
    let wake = shared.lock().tools.wake.clone();
    tokio::spawn(run_timer(weak, wake));
}

async fn run_timer(weak: Weak<Shared>, wake: Arc<Notify>) {
    loop {
        let next = match weak.upgrade() {
            Some(sh) => sh.lock().tools.next_due(),
            None => return,
        };
        let now = Instant::now();
        let until = next.unwrap_or(now + IDLE_CHECK).min(now + IDLE_CHECK);
        tokio::select! {
            _ = tokio::time::sleep_until(until.into()) => {}
            _ = wake.notified() => continue,
        }
        let Some(sh) = weak.upgrade() else { return };
        let now = Instant::now();
        if sh.lock().tools.next_due().is_none_or(|t| t > now) {
            continue;
        }
        if let Err(f) = sh.try_mutate(|st| start_due(st, now)) {
            tracing::warn!(fault = %f, "starting VMware Tools failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mo::virtual_machine::power::set_power;
    use crate::{inventory, service};

    /// The default inventory, its Tools taking 10 s to start, and a VM of it
    /// that runs (with Tools up, as the inventory starts it).
    fn booted() -> (State, MoRef) {
        let mut st = State::new();
        service::install(&mut st).expect("the service objects use schema paths only");
        st.tools.default_delay = Duration::from_secs(10);
        let spec = inventory::InventorySpec::default_inventory().expect("built-in fixture parses");
        inventory::build(&mut st, &spec).expect("built-in fixture builds");
        let vm = st
            .objects
            .of_kind("VirtualMachine")
            .into_iter()
            .find(|m| power_state(&st, m) == "poweredOn")
            .expect("the fixture has running VMs");
        assert!(tools_running(&st, &vm), "an inventory VM booted long ago");
        (st, vm)
    }

    fn due(st: &State, vm: &MoRef) -> Instant {
        *st.tools.due.get(vm).expect("a start is due")
    }

    #[test]
    fn a_power_cycle_during_the_delay_starts_tools_once_after_the_last_boot() {
        let (mut st, vm) = booted();
        set_power(&mut st, &vm, "poweredOn").expect("reset");
        assert!(!tools_running(&st, &vm), "a reset takes Tools down at once");
        let first = due(&st, &vm);
        set_power(&mut st, &vm, "poweredOff").expect("power off");
        // Ordering only: the second boot is later than the first.
        std::thread::sleep(Duration::from_millis(5));
        set_power(&mut st, &vm, "poweredOn").expect("power on");
        let second = due(&st, &vm);
        assert!(second > first, "the new boot replaced the old due time");
        assert_eq!(start_due(&mut st, first).expect("starts"), 0);
        assert!(!tools_running(&st, &vm), "not at the first boot's due time");
        assert_eq!(start_due(&mut st, second).expect("starts"), 1);
        assert!(tools_running(&st, &vm));
        let later = second + Duration::from_secs(3600);
        assert_eq!(start_due(&mut st, later).expect("starts"), 0, "not twice");
    }

    #[test]
    fn a_vm_powered_off_or_removed_meanwhile_is_skipped() {
        let (mut st, vm) = booted();
        set_power(&mut st, &vm, "poweredOn").expect("reset");
        let at = due(&st, &vm);
        set_power(&mut st, &vm, "suspended").expect("suspend");
        assert_eq!(start_due(&mut st, at).expect("starts"), 0);
        assert!(!tools_running(&st, &vm));
        assert!(st.tools.next_due().is_none(), "the stale start is dropped");
        set_power(&mut st, &vm, "poweredOn").expect("resume");
        let at = due(&st, &vm);
        crate::mo::virtual_machine::model::remove(&mut st, &vm).expect("destroy");
        assert_eq!(start_due(&mut st, at).expect("starts"), 0);
    }

    #[test]
    fn its_own_delay_is_used_and_no_tools_or_an_endless_delay_starts_nothing() {
        let (mut st, vm) = booted();
        st.tools.set_delay(&vm, Duration::ZERO);
        set_power(&mut st, &vm, "poweredOn").expect("reset");
        let now = Instant::now();
        assert!(due(&st, &vm) <= now, "its own delay, not the default 10 s");
        assert_eq!(start_due(&mut st, now).expect("starts"), 1);
        st.objects
            .set(&vm, "config.tools.toolsVersion", vim25::Value::Int(0))
            .expect("a known path");
        set_power(&mut st, &vm, "poweredOn").expect("reset");
        assert!(st.tools.next_due().is_none(), "no Tools, no start");
        assert_eq!(
            st.objects.str_prop(&vm, "guest.toolsStatus").as_deref(),
            Some("toolsNotInstalled")
        );
        st.objects
            .set(
                &vm,
                "config.tools.toolsVersion",
                vim25::Value::Int(super::super::model::TOOLS_VERSION),
            )
            .expect("a known path");
        st.tools.set_delay(&vm, Duration::MAX);
        set_power(&mut st, &vm, "poweredOn").expect("reset");
        assert!(
            st.tools.next_due().is_none(),
            "a delay past the clock's end: never"
        );
    }
}
