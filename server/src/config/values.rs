//! Reading one setting's value: booleans, levels, transports, log levels,
//! the vCenter host and public URLs, each refused with a message naming it.

use url::Url;

use super::{ConfigError, Transport, err};

/// `127.0.0.1`, `::1`, `localhost` (and other 127/8 addresses).
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_matches(|c| c == '[' || c == ']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An absolute `https` URL (or `http` on loopback) without credentials,
/// query or fragment; `allow_path` for issuers, which often have one.
pub(super) fn check_public_url(var: &str, v: &str, allow_path: bool) -> Result<(), ConfigError> {
    let u =
        Url::parse(v).map_err(|_| ConfigError(format!("{var} is not an absolute URL: '{v}'")))?;
    let host = u.host_str().unwrap_or("");
    match u.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        _ => {
            return err(format!(
                "{var} must use https (http only on loopback), got '{v}'"
            ));
        }
    }
    if host.is_empty() || !u.username().is_empty() || u.password().is_some() {
        return err(format!(
            "{var} must name a host and no credentials, got '{v}'"
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return err(format!(
            "{var} must not have a query or fragment, got '{v}'"
        ));
    }
    if !allow_path && u.path() != "/" && !u.path().is_empty() {
        return err(format!(
            "{var} must be the server's origin without a path (e.g. https://mcp.example.com), got '{v}'"
        ));
    }
    Ok(())
}

/// A permission level by its contract name (`read_only` … `full_admin`; `-` for `_` too).
pub fn parse_level(v: &str) -> Option<crate::permission::Permission> {
    use crate::permission::Permission as P;
    match v.trim().to_ascii_lowercase().replace('-', "_").as_str() {
        "read_only" => Some(P::ReadOnly),
        "power_ops" => Some(P::PowerOps),
        "vm_lifecycle" => Some(P::VmLifecycle),
        "host_admin" => Some(P::HostAdmin),
        "full_admin" => Some(P::FullAdmin),
        _ => None,
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

pub(super) fn parse_transport(v: &str) -> Result<Transport, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "stdio" => Ok(Transport::Stdio),
        "streamable-http" | "streamable_http" | "http" => Ok(Transport::StreamableHttp),
        "sse" => {
            Err("the SSE transport is deprecated and not supported; use streamable-http".into())
        }
        _ => Err("expected stdio or streamable-http (alias http)".into()),
    }
}

pub(super) fn parse_log_level(v: &str) -> Option<String> {
    Some(
        match v.trim().to_ascii_lowercase().as_str() {
            "trace" => "trace",
            "debug" => "debug",
            "info" => "info",
            "warning" | "warn" => "warn",
            "error" | "critical" | "fatal" => "error",
            _ => return None,
        }
        .to_string(),
    )
}

/// `host`, `host:port`, `[v6]:port` or an `http(s)://` URL → the SOAP endpoint URL.
pub fn parse_vcenter_host(v: &str) -> Result<Url, String> {
    let bad = || format!("is not a host, host:port or http(s) URL: '{v}'");
    let v = v.trim();
    if v.is_empty() || v.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let mut url = if v.contains("://") {
        let u = Url::parse(v).map_err(|_| bad())?;
        if u.scheme() != "https" && u.scheme() != "http" {
            return Err(format!("must use http or https, got '{}'", u.scheme()));
        }
        u
    } else {
        if v.contains(['/', '?', '#', '@']) {
            return Err(bad());
        }
        Url::parse(&format!("https://{v}/sdk")).map_err(|_| bad())?
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials; use VCENTER_USER and VCENTER_PASSWORD".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    if url.path().is_empty() || url.path() == "/" {
        url.set_path("/sdk");
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}
