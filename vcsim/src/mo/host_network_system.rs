//! HostNetworkSystem: the host's network configuration as ESXi reports it
//! (`networkInfo`: vSwitches, port groups, physical and VMkernel NICs, DNS,
//! routes), mirrored in the host's `config.network`. Writes cover DNS (and
//! the default gateway); other parts of a `HostNetworkConfig` are refused
//! with `NotSupported` rather than silently ignored.

use std::net::IpAddr;

use vim25::{Data, Fault, MoRef, Value};

use crate::call::{Call, Reply, require};
use crate::inventory::host::host_of_manager;
use crate::state::State;

fn bad(field: &str, why: &str) -> Fault {
    Fault::new(
        "InvalidArgument",
        format!("A specified parameter was not correct: {field}: {why}"),
    )
    .with("invalidProperty", field)
}

/// Checks a `HostDnsConfig` as ESXi does: a host name, addresses that parse.
fn check_dns(d: &Data) -> Result<(), Fault> {
    let dhcp = d.get("dhcp").and_then(Value::as_bool).unwrap_or(false);
    if !dhcp
        && d.get("hostName")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        return Err(bad("dnsConfig.hostName", "a host name is required"));
    }
    let addrs = d.get("address").map(Value::strings).unwrap_or_default();
    if let Some(a) = addrs.iter().find(|a| a.parse::<IpAddr>().is_err()) {
        return Err(bad(
            "dnsConfig.address",
            &format!("{a:?} is not an IP address"),
        ));
    }
    Ok(())
}

/// Writes DNS into the manager's `dnsConfig` and `networkInfo` and the host's `config.network`.
fn write_dns(st: &mut State, m: &MoRef, dns: Data) -> Result<(), Fault> {
    let dns = Value::data(dns);
    st.objects.set(m, "dnsConfig", dns.clone())?;
    st.objects.set(m, "networkInfo.dnsConfig", dns.clone())?;
    let host = host_of_manager(m);
    if st.objects.contains(&host) {
        st.objects.set(&host, "config.network.dnsConfig", dns)?;
    }
    Ok(())
}

fn write_route(st: &mut State, m: &MoRef, route: Value) -> Result<(), Fault> {
    st.objects.set(m, "ipRouteConfig", route.clone())?;
    st.objects
        .set(m, "networkInfo.ipRouteConfig", route.clone())?;
    let host = host_of_manager(m);
    if st.objects.contains(&host) {
        st.objects
            .set(&host, "config.network.ipRouteConfig", route)?;
    }
    Ok(())
}

/// `HostNetworkSystem.UpdateDnsConfig`.
pub(crate) fn update_dns_config(c: &Call) -> Reply {
    let dns = c.data("config")?.clone();
    check_dns(&dns)?;
    let m = c.this().clone();
    c.shared.try_mutate(|st| {
        require(st, &m)?;
        write_dns(st, &m, dns)
    })?;
    Ok(None)
}

/// `HostNetworkSystem.UpdateNetworkConfig`: `dnsConfig` and `ipRouteConfig`
/// are applied; a config that changes switches, port groups or NICs is
/// refused whole, before anything changes.
pub(crate) fn update_network_config(c: &Call) -> Reply {
    let config = c.data("config")?.clone();
    let mode = c.str("changeMode")?;
    if !matches!(mode, "modify" | "replace") {
        return Err(bad(
            "changeMode",
            &format!("{mode:?} is not modify or replace"),
        ));
    }
    let unsupported: Vec<&str> = config
        .fields
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !matches!(*n, "dnsConfig" | "ipRouteConfig"))
        .collect();
    if !unsupported.is_empty() {
        return Err(Fault::new(
            "NotSupported",
            format!(
                "The simulated host applies dnsConfig and ipRouteConfig only, not {}",
                unsupported.join(", ")
            ),
        ));
    }
    let dns = config.get("dnsConfig").and_then(Value::as_data).cloned();
    if let Some(d) = &dns {
        check_dns(d)?;
    }
    let route = config.get("ipRouteConfig").cloned();
    let m = c.this().clone();
    c.shared.try_mutate(|st| {
        require(st, &m)?;
        if let Some(d) = dns {
            write_dns(st, &m, d)?;
        }
        if let Some(r) = route {
            write_route(st, &m, r)?;
        }
        Ok(())
    })?;
    Ok(Some(Value::data(Data::new("HostNetworkConfigResult"))))
}

/// `HostNetworkSystem.RefreshNetworkSystem`: nothing is cached.
pub(crate) fn refresh_network_system(c: &Call) -> Reply {
    require(&c.read(), c.this())?;
    Ok(None)
}
