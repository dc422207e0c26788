//! HostDateTimeSystem: the host's clock, time zone and NTP servers. Like the
//! service list, `dateTimeInfo` is held by the manager and mirrored in the
//! host's `config.dateTimeInfo`.

use vim25::{Data, Fault, Value};

use crate::call::{Call, Reply, require};
use crate::inventory::host::{host_of_manager, utc};

/// `HostDateTimeSystem.QueryDateTime`: the host's clock (the simulated one).
pub(crate) fn query_date_time(c: &Call) -> Reply {
    let st = c.read();
    require(&st, c.this())?;
    Ok(Some(Value::from(crate::clock::text(st.guests.clock.now()))))
}

/// `HostDateTimeSystem.QueryAvailableTimeZones`: ESXi keeps UTC only.
pub(crate) fn query_available_time_zones(c: &Call) -> Reply {
    require(&c.read(), c.this())?;
    Ok(Some(Value::from(vec![utc()])))
}

/// `HostDateTimeSystem.RefreshDateTimeSystem`: nothing is cached.
pub(crate) fn refresh_date_time_system(c: &Call) -> Reply {
    require(&c.read(), c.this())?;
    Ok(None)
}

/// A host name or address an NTP server can be given as.
fn valid_server(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | ':' | '_'))
}

fn bad(field: &str, why: &str) -> Fault {
    Fault::new(
        "InvalidArgument",
        format!("A specified parameter was not correct: {field}: {why}"),
    )
    .with("invalidProperty", field)
}

/// `HostDateTimeSystem.UpdateDateTimeConfig`: the time zone (UTC is the one
/// ESXi has), NTP servers, the clock protocol and whether it is enabled.
pub(crate) fn update_date_time_config(c: &Call) -> Reply {
    let config = c.data("config")?.clone();
    let m = c.this().clone();
    if let Some(tz) = config.get("timeZone").and_then(Value::as_str)
        && tz != "UTC"
    {
        return Err(bad(
            "config.timeZone",
            &format!("unknown time zone {tz:?}; the host offers UTC"),
        ));
    }
    let servers = config.path("ntpConfig.server").map(Value::strings);
    if let Some(bad_server) = servers.iter().flatten().find(|s| !valid_server(s)) {
        return Err(bad(
            "config.ntpConfig.server",
            &format!("{bad_server:?} is not a host name or address"),
        ));
    }
    c.shared.try_mutate(|st| {
        require(st, &m)?;
        let mut info = st
            .objects
            .prop(&m, "dateTimeInfo")
            .and_then(Value::as_data)
            .cloned()
            .unwrap_or_else(crate::inventory::host::date_time);
        if let Some(servers) = &servers {
            let mut ntp = info
                .get("ntpConfig")
                .and_then(Value::as_data)
                .cloned()
                .unwrap_or_else(|| Data::new("HostNtpConfig"));
            ntp.set("server", servers.clone());
            if let Some(files) = config.path("ntpConfig.configFile") {
                ntp.set("configFile", files.clone());
            }
            info.set("ntpConfig", ntp);
        }
        if let Some(p) = config.get("protocol") {
            info.set("systemClockProtocol", p.clone());
        }
        for f in ["enabled", "disableEvents", "disableFallback"] {
            if let Some(v) = config.get(f) {
                info.set(f, v.clone());
            }
        }
        info.set("timeZone", utc());
        let info = Value::data(info);
        st.objects.set(&m, "dateTimeInfo", info.clone())?;
        let host = host_of_manager(&m);
        if st.objects.contains(&host) {
            st.objects.set(&host, "config.dateTimeInfo", info)?;
        }
        Ok(())
    })?;
    Ok(None)
}
