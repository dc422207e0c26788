//! Hang and delays: a hung simulator accepts requests and holds them until
//! `release`; a delay (latency or a rule's `delay`) waits its time or until
//! `release`, whichever comes first. A restart lets go of everything held:
//! held requests are answered by a closed connection, as by a vCenter that
//! went down.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct GateState {
    hung: bool,
    /// Bumped by every `release`: ends delays in progress.
    releases: u64,
    /// Bumped by every restart: held requests and delays give up.
    aborts: u64,
}

/// How a held request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Held {
    /// Go on and answer.
    Go,
    /// The simulator restarted meanwhile: close the connection.
    Abort,
}

#[derive(Debug)]
pub(crate) struct Gate {
    /// Mirrors `state.hung`, so a request that finds it false pays one load.
    hung: AtomicBool,
    state: watch::Sender<GateState>,
    /// Requests held by the hang now: what a test waits for instead of a clock.
    held: AtomicUsize,
    /// Calls waiting out a latency or a rule's delay now.
    delayed: AtomicUsize,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            hung: AtomicBool::new(false),
            state: watch::channel(GateState::default()).0,
            held: AtomicUsize::new(0),
            delayed: AtomicUsize::new(0),
        }
    }
}

/// Counts one waiter for as long as it lives (a dropped request included).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::AcqRel);
        Waiting(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    pub(crate) fn is_hung(&self) -> bool {
        self.hung.load(Ordering::Acquire)
    }

    /// `(requests held by the hang, calls in a delay)` now.
    pub(crate) fn waiting(&self) -> (usize, usize) {
        (
            self.held.load(Ordering::Acquire),
            self.delayed.load(Ordering::Acquire),
        )
    }

    pub(crate) fn hang(&self) {
        self.state.send_modify(|s| s.hung = true);
        self.hung.store(true, Ordering::Release);
    }

    /// Ends a hang and every delay in progress.
    pub(crate) fn release(&self) {
        self.hung.store(false, Ordering::Release);
        self.state.send_modify(|s| {
            s.hung = false;
            s.releases += 1;
        });
    }

    /// Lets go of everything held, telling it to close its connection; the
    /// hang ends too (a restarted vCenter answers again).
    pub(crate) fn abort_held(&self) {
        self.hung.store(false, Ordering::Release);
        self.state.send_modify(|s| {
            s.hung = false;
            s.aborts += 1;
        });
    }

    /// Waits while the simulator is hung.
    pub(crate) async fn pass(&self) -> Held {
        if !self.is_hung() {
            return Held::Go;
        }
        let _held = Waiting::new(&self.held);
        let mut rx = self.state.subscribe();
        let start = *rx.borrow_and_update();
        let r = rx.wait_for(|s| !s.hung || s.aborts != start.aborts).await;
        match r {
            Ok(s) if s.aborts == start.aborts => Held::Go,
            // A gone sender means the simulator is gone: nothing to answer.
            _ => Held::Abort,
        }
    }

    /// Waits `d`, or less if `release` or a restart comes first.
    pub(crate) async fn pause(&self, d: Duration) -> Held {
        if d.is_zero() {
            return Held::Go;
        }
        let _delayed = Waiting::new(&self.delayed);
        let mut rx = self.state.subscribe();
        let start = *rx.borrow_and_update();
        tokio::select! {
            () = tokio::time::sleep(d) => Held::Go,
            r = rx.wait_for(|s| s.releases != start.releases || s.aborts != start.aborts) => match r {
                Ok(s) if s.aborts == start.aborts => Held::Go,
                _ => Held::Abort,
            },
        }
    }
}
