//! HostServiceSystem: ESXi's services (`TSM-SSH`, `ntpd`, …) with their
//! policy and running state. The list lives in two places as on ESXi — the
//! manager's `serviceInfo` and the host's `config.service` — and every
//! method writes both.

use vim25::{Data, Fault, MoRef, Value};

use crate::call::{Call, Reply, require};
use crate::inventory::host::host_of_manager;
use crate::state::State;

/// The policies ESXi accepts (`HostServicePolicy`).
const POLICIES: &[&str] = &["on", "off", "automatic"];

fn services(st: &State, m: &MoRef) -> Vec<Value> {
    st.objects
        .prop(m, "serviceInfo.service")
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default()
}

/// ESXi answers an unknown service id with `NotFound`; the message lists
/// the ids there are, so a caller can correct the name.
fn position(list: &[Value], id: &str) -> Result<usize, Fault> {
    list.iter()
        .position(|s| s.path("key").and_then(Value::as_str) == Some(id))
        .ok_or_else(|| {
            let keys: Vec<&str> = list
                .iter()
                .filter_map(|s| s.path("key").and_then(Value::as_str))
                .collect();
            Fault::not_found(format!(
                "The service {id:?} was not found; the host's services are {}",
                keys.join(", ")
            ))
        })
}

/// Changes service `id` of the manager `m` with `f` and writes the list back.
fn change(c: &Call, f: impl FnOnce(&mut Data) -> Result<(), Fault>) -> Reply {
    let id = c.non_empty_str("id")?.to_string();
    let m = c.this().clone();
    c.shared.try_mutate(|st| {
        require(st, &m)?;
        let mut list = services(st, &m);
        let i = position(&list, &id)?;
        let svc = list[i]
            .data_mut()
            .ok_or_else(|| Fault::invalid_state("a service entry is not a HostService"))?;
        f(svc)?;
        write(st, &m, list)
    })?;
    Ok(None)
}

pub(crate) fn write(st: &mut State, m: &MoRef, list: Vec<Value>) -> Result<(), Fault> {
    let info = Value::data(Data::new("HostServiceInfo").with("service", Value::array(list)));
    st.objects.set(m, "serviceInfo", info.clone())?;
    let host = host_of_manager(m);
    if st.objects.contains(&host) {
        st.objects.set(&host, "config.service", info)?;
    }
    Ok(())
}

fn set_running(svc: &mut Data, running: bool) {
    svc.set("running", running);
}

/// `HostServiceSystem.StartService`.
pub(crate) fn start_service(c: &Call) -> Reply {
    change(c, |s| {
        set_running(s, true);
        Ok(())
    })
}

/// `HostServiceSystem.StopService`: a required service (the syslog server)
/// cannot be stopped, as ESXi refuses with `InvalidState`.
pub(crate) fn stop_service(c: &Call) -> Reply {
    change(c, |s| {
        if s.get("required").and_then(Value::as_bool) == Some(true) {
            let key = s.get("key").and_then(Value::as_str).unwrap_or_default();
            return Err(Fault::invalid_state(format!(
                "The service {key:?} is required by the host and cannot be stopped"
            )));
        }
        set_running(s, false);
        Ok(())
    })
}

/// `HostServiceSystem.RestartService`: stopped and started again, so it runs after.
pub(crate) fn restart_service(c: &Call) -> Reply {
    start_service(c)
}

/// `HostServiceSystem.UpdateServicePolicy`: `on`, `off` or `automatic`.
pub(crate) fn update_service_policy(c: &Call) -> Reply {
    let policy = c.non_empty_str("policy")?.to_string();
    if !POLICIES.contains(&policy.as_str()) {
        return Err(Fault::new(
            "InvalidArgument",
            format!(
                "A specified parameter was not correct: policy {policy:?} (one of {})",
                POLICIES.join(", ")
            ),
        )
        .with("invalidProperty", "policy"));
    }
    change(c, move |s| {
        s.set("policy", policy.as_str());
        Ok(())
    })
}

/// `HostServiceSystem.RefreshServices`: the list is always current.
pub(crate) fn refresh_services(c: &Call) -> Reply {
    require(&c.read(), c.this())?;
    Ok(None)
}
