//! Simulated time for the guests: the wall clock plus an offset tests move
//! forward (`Simulator::advance_clock`), so `sleep 60` in a guest ends
//! without a test waiting a minute. Nothing runs on a timer: every guest
//! access first runs what became due by `now()` (`guest::Guest::settle`).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// A point in simulated time.
pub type Instant = DateTime<Utc>;

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Duration,
}

impl Clock {
    /// The simulated present.
    pub fn now(&self) -> Instant {
        let now = Utc::now();
        chrono::TimeDelta::from_std(self.offset)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(now)
    }

    /// Moves simulated time forward by `d` (never back: guests see time pass).
    pub fn advance(&mut self, d: Duration) {
        self.offset = self.offset.saturating_add(d);
    }
}

/// vim25 `dateTime` text for a simulated instant.
pub fn text(t: Instant) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_by_at_least_the_step() {
        let mut c = Clock::default();
        let before = c.now();
        c.advance(Duration::from_secs(3600));
        assert!(c.now() - before >= chrono::Duration::seconds(3600));
    }
}
