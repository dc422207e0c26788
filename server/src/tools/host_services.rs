//! host_management, services and time: list_services, start_service,
//! stop_service, set_service_policy (HostServiceSystem), get_ntp_config and
//! configure_ntp (HostDateTimeSystem, and ntpd through the service system).
//! A service key is checked against the host's own list first, so an unknown
//! one fails naming the keys there are.

use serde_json::{Value as Json, json};
use vim25::{Data, MoRef, Request, Value};

use super::host::{HOST_NAME_OPT, find_host, host_error};
use super::hosts::{HostArgs, NO_HOST};
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::views::host::SERVICES;
use crate::vsphere::Obj;

/// The startup policies ESXi knows (`HostServicePolicy`).
const POLICIES: &[&str] = &["on", "off", "automatic"];
const NTPD: &str = "ntpd";

tool_args! {
    pub struct ServiceArgs {
        service_key: name, "Key of the host service, as list_services shows it (TSM-SSH for SSH, TSM for the ESXi Shell, ntpd, ...).";
        host_name: opt_name, HOST_NAME_OPT;
    }
}

tool_args! {
    pub struct PolicyArgs {
        service_key: name, "Key of the host service, as list_services shows it (TSM-SSH, ntpd, ...).";
        policy: name, "Startup policy: on (start and stop with the host), off (manual), or automatic (start when a port opens).";
        host_name: opt_name, HOST_NAME_OPT;
    }
}

tool_args! {
    pub struct NtpArgs {
        ntp_servers: strings, "NTP server host names or addresses, replacing the host's list (an empty list clears it).";
        start_service: bool = true, "Restart ntpd (or start it when it is stopped) so the new servers take effect.";
        host_name: opt_name, HOST_NAME_OPT;
    }
}

pub const LIST_SERVICES: ToolDef = ToolDef {
    name: "list_services",
    title: "List host services",
    description: "The services of an ESXi host (DCUI, TSM, TSM-SSH, ntpd, vpxa, ...), each with \
        key, label, policy (on, off, automatic), running, required and uninstallable. Acts on \
        host_name, or the first host when it is omitted.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example::args("{}"),
    failure: NO_HOST,
    run: run!(list_services, HostArgs),
};

pub const START_SERVICE: ToolDef = ToolDef {
    name: "start_service",
    title: "Start a host service",
    description: "Start the host service with key service_key (TSM-SSH to allow SSH logins, \
        ntpd, ...); returns host, service, action and running as the host reports it after. \
        An unknown key fails listing the keys there are. Acts on host_name, or the first host \
        when it is omitted.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example::args(r#"{"service_key":"TSM-SSH"}"#),
    failure: Failure::Args {
        args: r#"{"service_key":"no-such-service"}"#,
        expect: &["Service 'no-such-service' not found", "TSM-SSH"],
    },
    run: run!(start_service, ServiceArgs),
};

pub const STOP_SERVICE: ToolDef = ToolDef {
    name: "stop_service",
    title: "Stop a host service",
    description: "Stop the host service with key service_key; returns host, service, action \
        and running as the host reports it after. A service the host requires (vmsyslogd) \
        cannot be stopped; an unknown key fails listing the keys there are. Acts on \
        host_name, or the first host when it is omitted.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example::args(r#"{"service_key":"lbtd"}"#),
    failure: Failure::Args {
        args: r#"{"service_key":"vmsyslogd"}"#,
        expect: &["vmsyslogd", "cannot be stopped"],
    },
    run: run!(stop_service, ServiceArgs),
};

pub const SET_SERVICE_POLICY: ToolDef = ToolDef {
    name: "set_service_policy",
    title: "Set a host service's policy",
    description: "Set the startup policy of the host service service_key: on, off or \
        automatic. Returns host, service, action, old_policy and new_policy. Acts on \
        host_name, or the first host when it is omitted.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example::args(r#"{"service_key":"TSM-SSH","policy":"on"}"#),
    failure: Failure::Args {
        args: r#"{"service_key":"TSM-SSH","policy":"sometimes"}"#,
        expect: &["policy", "on, off, automatic"],
    },
    run: run!(set_service_policy, PolicyArgs),
};

pub const GET_NTP_CONFIG: ToolDef = ToolDef {
    name: "get_ntp_config",
    title: "Get host NTP configuration",
    description: "The host's time settings: ntp_servers, whether ntpd is running \
        (service_running) and its policy (service_policy), the host's current_time (asked of \
        the host) and its timezone. Acts on host_name, or the first host when it is omitted.",
    hints: Hints::READ_ONLY,
    returns: Returns::Object,
    example: Example::args("{}"),
    failure: NO_HOST,
    run: run!(get_ntp_config, HostArgs),
};

pub const CONFIGURE_NTP: ToolDef = ToolDef {
    name: "configure_ntp",
    title: "Configure host NTP",
    description: "Replace the host's NTP servers with ntp_servers (an empty list clears them) \
        and, unless start_service is false, restart ntpd (start it when stopped) so they take effect. Returns host, action, \
        ntp_servers, service_action and service_running. Acts on host_name, or the first host \
        when it is omitted.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example::args(r#"{"ntp_servers":["0.pool.ntp.org","1.pool.ntp.org"]}"#),
    failure: Failure::Args {
        args: r#"{"ntp_servers":["pool.ntp.org","not a server!"]}"#,
        expect: &["'not a server!'", "not a host name or address"],
    },
    run: run!(configure_ntp, NtpArgs),
};

fn services(o: &Obj) -> &[Value] {
    o.get("config.service.service")
        .map(Value::as_array)
        .unwrap_or_default()
}

/// The service with `key` on host `o`, or an error listing the keys there are.
fn service<'a>(o: &'a Obj, key: &str) -> Result<&'a Value, ToolError> {
    let list = services(o);
    list.iter()
        .find(|s| s.path("key").and_then(Value::as_str) == Some(key))
        .ok_or_else(|| {
            let keys: Vec<&str> = list
                .iter()
                .filter_map(|s| s.path("key").and_then(Value::as_str))
                .collect();
            ToolError::new(format!(
                "Service '{key}' not found on host '{}' (known: {})",
                o.name(),
                keys.join(", ")
            ))
        })
}

fn manager(o: &Obj, which: &str) -> Result<MoRef, ToolError> {
    o.moref(&format!("configManager.{which}"))
        .cloned()
        .ok_or_else(|| {
            ToolError::new(format!(
                "Host '{}' has no {which} (is it connected?)",
                o.name()
            ))
        })
}

fn running(svc: &Value) -> Option<bool> {
    svc.path("running").and_then(Value::as_bool)
}

fn policy(svc: &Value) -> Option<&str> {
    svc.path("policy").and_then(Value::as_str)
}

async fn list_services(ctx: Ctx, args: HostArgs) -> Result<Output, ToolError> {
    let o = find_host(&ctx, args.host_name.as_deref(), &SERVICES).await?;
    let list: Vec<Json> = services(&o)
        .iter()
        .map(|s| {
            let b = |p: &str| s.path(p).and_then(Value::as_bool);
            json!({
                "key": s.path("key").and_then(Value::as_str),
                "label": s.path("label").and_then(Value::as_str),
                "policy": policy(s),
                "running": running(s),
                "required": b("required"),
                "uninstallable": b("uninstallable"),
            })
        })
        .collect();
    Ok(Output::Json(Json::Array(list)))
}

/// Calls `method(id)` on the host's service system and reads the service back.
async fn service_call(
    ctx: &Ctx,
    host: Option<&str>,
    key: &str,
    method: &str,
    extra: Option<(&str, &str)>,
) -> Result<(Obj, Obj), ToolError> {
    let before = find_host(ctx, host, &SERVICES).await?;
    service(&before, key)?;
    let mut req = Request::new(method, &manager(&before, "serviceSystem")?).arg("id", key);
    if let Some((name, value)) = extra {
        req = req.arg(name, value);
    }
    ctx.client
        .invoke(&req)
        .await
        .map_err(|e| host_error(&e, before.name()))?;
    let after = ctx
        .client
        .properties(&before.moref, &SERVICES)
        .await
        .map_err(|e| host_error(&e, before.name()))?;
    Ok((before, after))
}

async fn start_service(ctx: Ctx, args: ServiceArgs) -> Result<Output, ToolError> {
    let key = &args.service_key;
    let (_, o) = service_call(&ctx, args.host_name.as_deref(), key, "StartService", None).await?;
    Ok(Output::Json(json!({
        "host": o.name(),
        "service": key,
        "action": "started",
        "running": running(service(&o, key)?),
    })))
}

async fn stop_service(ctx: Ctx, args: ServiceArgs) -> Result<Output, ToolError> {
    let key = &args.service_key;
    let (_, o) = service_call(&ctx, args.host_name.as_deref(), key, "StopService", None).await?;
    Ok(Output::Json(json!({
        "host": o.name(),
        "service": key,
        "action": "stopped",
        "running": running(service(&o, key)?),
    })))
}

async fn set_service_policy(ctx: Ctx, args: PolicyArgs) -> Result<Output, ToolError> {
    let key = &args.service_key;
    let wanted = args.policy.as_str();
    if !POLICIES.contains(&wanted) {
        return Err(ToolError::new(format!(
            "Unknown policy '{wanted}' for service '{key}': the policy is one of {}",
            POLICIES.join(", ")
        )));
    }
    let host = args.host_name.as_deref();
    let extra = Some(("policy", wanted));
    let (before, after) = service_call(&ctx, host, key, "UpdateServicePolicy", extra).await?;
    Ok(Output::Json(json!({
        "host": after.name(),
        "service": key,
        "action": "policy_updated",
        "old_policy": policy(service(&before, key)?),
        "new_policy": policy(service(&after, key)?),
    })))
}

async fn get_ntp_config(ctx: Ctx, args: HostArgs) -> Result<Output, ToolError> {
    let o = find_host(&ctx, args.host_name.as_deref(), &SERVICES).await?;
    let clock = manager(&o, "dateTimeSystem")?;
    let now = ctx
        .client
        .invoke(&Request::new("QueryDateTime", &clock))
        .await
        .map_err(|e| host_error(&e, o.name()))?;
    let ntpd = service(&o, NTPD).ok();
    let tz = |f: &str| o.str(&format!("config.dateTimeInfo.timeZone.{f}"));
    Ok(Output::Json(json!({
        "host": o.name(),
        "ntp_servers": o.get("config.dateTimeInfo.ntpConfig.server").map(Value::strings).unwrap_or_default(),
        "service_running": ntpd.and_then(running),
        "service_policy": ntpd.and_then(policy),
        "current_time": now.as_ref().and_then(Value::as_str),
        "timezone": tz("name").or(tz("key")),
        "gmt_offset": o.i64("config.dateTimeInfo.timeZone.gmtOffset"),
        "protocol": o.str("config.dateTimeInfo.systemClockProtocol"),
    })))
}

/// A host name, IPv4 or IPv6 address: what ESXi accepts as an NTP server.
fn looks_like_server(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
}

async fn configure_ntp(ctx: Ctx, args: NtpArgs) -> Result<Output, ToolError> {
    let servers: Vec<String> = args
        .ntp_servers
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    if let Some(bad) = servers.iter().find(|s| !looks_like_server(s)) {
        return Err(ToolError::new(format!(
            "NTP server '{bad}' in ntp_servers is not a host name or address"
        )));
    }
    let o = find_host(&ctx, args.host_name.as_deref(), &SERVICES).await?;
    let name = o.name().to_string();
    let clock = manager(&o, "dateTimeSystem")?;
    let list = Value::array(servers.iter().map(|s| Value::from(s.as_str())).collect());
    let config = Data::new("HostDateTimeConfig")
        .with("ntpConfig", Data::new("HostNtpConfig").with("server", list));
    let req = Request::new("UpdateDateTimeConfig", &clock).arg("config", config);
    ctx.client
        .invoke(&req)
        .await
        .map_err(|e| host_error(&e, &name))?;
    let mut service_action = None;
    if args.start_service {
        let was_running = service(&o, NTPD).ok().and_then(running) == Some(true);
        let method = if was_running {
            "RestartService"
        } else {
            "StartService"
        };
        let req = Request::new(method, &manager(&o, "serviceSystem")?).arg("id", NTPD);
        ctx.client
            .invoke(&req)
            .await
            .map_err(|e| host_error(&e, &name))?;
        service_action = Some(if was_running { "restarted" } else { "started" });
    }
    let after = ctx
        .client
        .properties(&o.moref, &SERVICES)
        .await
        .map_err(|e| host_error(&e, &name))?;
    Ok(Output::Json(json!({
        "host": name,
        "action": "configured",
        "ntp_servers": after.get("config.dateTimeInfo.ntpConfig.server").map(Value::strings).unwrap_or_default(),
        "service_action": service_action,
        "service_running": service(&after, NTPD).ok().and_then(running),
    })))
}
