//! The reliability settings: per-call vCenter timeout and concurrency,
//! tool-call rate limits, and the shutdown grace period.

use std::time::Duration;

use super::{ConfigError, Sources, setting};

/// The longest connect wait, whatever `VCENTER_TIMEOUT` says: a host that
/// takes longer to accept a connection is not going to answer well.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `MCVSPHERE_RATE_LIMIT=auto` over authenticated HTTP: ten calls a second
/// is more than a busy agent makes, far less than a runaway loop.
pub const AUTO_RATE_PER_MINUTE: u32 = 600;

/// `MCVSPHERE_RATE_LIMIT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateSetting {
    /// Off over stdio and unauthenticated HTTP, [`AUTO_RATE_PER_MINUTE`]
    /// over authenticated HTTP.
    Auto,
    /// Calls per minute per caller; 0 is off.
    PerMinute(u32),
}

/// The resolved reliability settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub vcenter_timeout: Duration,
    pub vcenter_max_concurrency: usize,
    pub rate: RateSetting,
    pub rate_burst: u32,
    pub shutdown_grace: Duration,
}

impl Limits {
    /// The connect bound: the smaller of `VCENTER_TIMEOUT` and [`MAX_CONNECT_TIMEOUT`].
    pub fn connect_timeout(&self) -> Duration {
        self.vcenter_timeout.min(MAX_CONNECT_TIMEOUT)
    }

    /// Calls per minute per caller for this transport and authentication;
    /// 0 is off.
    pub fn rate_per_minute(&self, http: bool, authenticated: bool) -> u32 {
        match self.rate {
            RateSetting::PerMinute(n) => n,
            RateSetting::Auto if http && authenticated => AUTO_RATE_PER_MINUTE,
            RateSetting::Auto => 0,
        }
    }
}

pub(super) fn resolve(src: &Sources) -> Result<Limits, ConfigError> {
    let value = |key: &str| -> (String, &'static str) {
        let info = setting(key);
        let v = src
            .get(key)
            .map(|(v, _)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .or_else(|| info.and_then(|s| s.default).map(str::to_string))
            .unwrap_or_default();
        (v, info.map_or("?", |s| s.env))
    };
    let number = |key: &str, min: u64, max: u64| -> Result<u64, ConfigError> {
        let (v, env) = value(key);
        match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ConfigError(format!(
                "{env} must be a whole number from {min} to {max}, got '{v}'"
            ))),
        }
    };
    let rate = match value("mcvsphere_rate_limit")
        .0
        .to_ascii_lowercase()
        .as_str()
    {
        "auto" => RateSetting::Auto,
        "off" | "false" => RateSetting::PerMinute(0),
        _ => RateSetting::PerMinute(
            u32::try_from(number("mcvsphere_rate_limit", 0, 1_000_000)?).unwrap_or(u32::MAX),
        ),
    };
    Ok(Limits {
        vcenter_timeout: Duration::from_secs(number("vcenter_timeout", 1, 3600)?),
        vcenter_max_concurrency: usize::try_from(number("vcenter_max_concurrency", 1, 1024)?)
            .unwrap_or(1024),
        rate,
        rate_burst: u32::try_from(number("mcvsphere_rate_burst", 1, 1_000_000)?)
            .unwrap_or(u32::MAX),
        shutdown_grace: Duration::from_secs(number("mcvsphere_shutdown_grace", 0, 3600)?),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn limits(vars: &[(&str, &str)]) -> Result<Limits, ConfigError> {
        let m: std::collections::BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(&Sources::default().with_env(|k| m.get(k).cloned()))
    }

    #[test]
    fn defaults_and_bad_values() {
        let l = limits(&[]).unwrap();
        assert_eq!(l.vcenter_timeout, Duration::from_secs(30));
        assert_eq!(l.vcenter_max_concurrency, 8);
        assert_eq!(l.rate, RateSetting::Auto);
        assert_eq!(l.rate_per_minute(false, false), 0);
        assert_eq!(l.rate_per_minute(true, true), AUTO_RATE_PER_MINUTE);
        assert_eq!(l.connect_timeout(), MAX_CONNECT_TIMEOUT);
        let l = limits(&[("VCENTER_TIMEOUT", "2"), ("MCVSPHERE_RATE_LIMIT", "5")]).unwrap();
        assert_eq!(l.connect_timeout(), Duration::from_secs(2));
        assert_eq!(l.rate_per_minute(false, false), 5);
        let e = limits(&[("VCENTER_TIMEOUT", "0")]).unwrap_err();
        assert!(
            e.0.contains("VCENTER_TIMEOUT must be a whole number"),
            "{e}"
        );
        let e = limits(&[("MCVSPHERE_RATE_LIMIT", "lots")]).unwrap_err();
        assert!(e.0.contains("MCVSPHERE_RATE_LIMIT"), "{e}");
    }
}
