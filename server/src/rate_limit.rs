//! Tool-call rate limits per caller (the MCP specification asks servers to
//! rate-limit tool invocations): a token bucket per user or API key, holding
//! up to `burst` calls and refilled evenly at `per_minute` calls a minute.
//! A runaway agent loop is refused within seconds; a busy person's agent
//! never notices. Time comes from a [`Clock`] so tests can move it.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the limiter reads the time: monotonic, from any fixed start.
pub trait Clock: Send + Sync {
    fn now(&self) -> Duration;
}

/// The process's monotonic clock.
pub struct SystemClock(Instant);

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Default)]
pub struct ManualClock(Mutex<Duration>);

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Past this many callers, buckets that are full again (idle callers) are
/// dropped, so many one-off identities cannot grow the map without bound.
const PRUNE_AT: usize = 4096;

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Duration,
}

/// The per-caller buckets; `per_minute == 0` is off.
pub struct RateLimiter {
    per_minute: u32,
    burst: u32,
    clock: Arc<dyn Clock>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("per_minute", &self.per_minute)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

/// A refused call: the message the caller reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limited(pub String);

impl RateLimiter {
    /// No limit.
    pub fn off() -> Self {
        RateLimiter::new(0, 1)
    }

    /// `per_minute` calls a minute per caller, `burst` at once (at least 1).
    pub fn new(per_minute: u32, burst: u32) -> Self {
        RateLimiter::with_clock(per_minute, burst, Arc::new(SystemClock(Instant::now())))
    }

    pub fn with_clock(per_minute: u32, burst: u32, clock: Arc<dyn Clock>) -> Self {
        RateLimiter {
            per_minute,
            burst: burst.max(1),
            clock,
            buckets: Mutex::default(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.per_minute > 0
    }

    /// Takes one call from `user`'s bucket, or says when to try again.
    pub fn check(&self, user: &str) -> Result<(), Limited> {
        if !self.is_on() {
            return Ok(());
        }
        let now = self.clock.now();
        let per_sec = f64::from(self.per_minute) / 60.0;
        let burst = f64::from(self.burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, b| {
                now.saturating_sub(b.at)
                    .as_secs_f64()
                    .mul_add(per_sec, b.tokens)
                    < burst
            });
        }
        let b = buckets.entry(user.to_string()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = now
            .saturating_sub(b.at)
            .as_secs_f64()
            .mul_add(per_sec, b.tokens)
            .min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - b.tokens) / per_sec).ceil().max(1.0);
        Err(Limited(format!(
            "rate limit exceeded for {user}: {} calls per minute (MCVSPHERE_RATE_LIMIT); try again in {wait} s",
            self.per_minute
        )))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_refills() {
        let clock = Arc::new(ManualClock::default());
        let l = RateLimiter::with_clock(60, 2, clock.clone());
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        let e = l.check("a").unwrap_err();
        assert!(e.0.contains("try again in 1 s"), "{}", e.0);
        assert!(l.check("b").is_ok());
        clock.advance(Duration::from_secs(1));
        assert!(l.check("a").is_ok());
        assert!(RateLimiter::off().check("a").is_ok());
    }
}
