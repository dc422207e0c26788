//! host_management, maintenance and power: enter_maintenance_mode,
//! exit_maintenance_mode, reboot_host, shutdown_host. Each starts a host
//! task and watches it ([`crate::vsphere::Client::watch_task`]): its
//! progress goes out as MCP progress notifications when the client asked for
//! them, a cancelled call cancels the vSphere task, and a task still running
//! after `timeout_seconds` (or [`POWER_WAIT`] for reboot and shutdown, which
//! have no such parameter) is cancelled and reported as timed out.

use std::time::Duration;

use serde_json::json;
use vim25::{Request, Value};

use super::call_env;
use super::host::{HOST_NAME_OPT, find_host, host_error};
use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::views::host::STATE;
use crate::vsphere::{Obj, TaskEnd};

/// The longest a maintenance task may be waited for (`timeout_seconds`).
const MAX_TIMEOUT: i64 = 24 * 60 * 60;
/// How long reboot_host and shutdown_host wait for their task.
const POWER_WAIT: Duration = Duration::from_secs(600);

tool_args! {
    pub struct EnterArgs {
        evacuate_vms: bool = true, "Also move powered-off VMs off the host (running VMs are always moved, by DRS, in a DRS cluster).";
        timeout_seconds: int = 300, "Seconds to wait for the host to enter maintenance mode before the task is cancelled and the call fails.", positive(MAX_TIMEOUT, "seconds");
        host_name: opt_name, HOST_NAME_OPT;
    }
}

tool_args! {
    pub struct ExitArgs {
        timeout_seconds: int = 300, "Seconds to wait for the host to leave maintenance mode before the task is cancelled and the call fails.", positive(MAX_TIMEOUT, "seconds");
        host_name: opt_name, HOST_NAME_OPT;
    }
}

tool_args! {
    pub struct PowerArgs {
        force: bool = false, "Go ahead outside maintenance mode (running VMs are powered off hard).";
        host_name: opt_name, HOST_NAME_OPT;
    }
}

pub const ENTER_MAINTENANCE_MODE: ToolDef = ToolDef {
    name: "enter_maintenance_mode",
    title: "Enter maintenance mode",
    description: "Put the host into maintenance mode. In a DRS cluster its running VMs move to \
        the cluster's other hosts (evacuate_vms: powered-off VMs too); a standalone host, or a \
        cluster with nowhere to go, fails naming the VMs that still run. Waits up to \
        timeout_seconds for the task, sending its progress as notifications when the client \
        asks for them; a cancelled call or the timeout cancels the vSphere task. Returns host, \
        action, maintenance_mode, evacuate_vms and the VMs moved (vms_moved). Acts on \
        host_name, or the first host when it is omitted.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example::args(r#"{"host_name":"DC0_C0_H1"}"#),
    failure: Failure::Args {
        args: r#"{"host_name":"DC0_H0"}"#,
        expect: &["DC0_H0", "cannot enter maintenance mode", "standalone"],
    },
    run: run!(enter_maintenance_mode, EnterArgs),
};

pub const EXIT_MAINTENANCE_MODE: ToolDef = ToolDef {
    name: "exit_maintenance_mode",
    title: "Exit maintenance mode",
    description: "Take the host out of maintenance mode, waiting up to timeout_seconds for the \
        task (progress notifications and cancellation as enter_maintenance_mode). A host not \
        in maintenance mode is left as it is. Returns host, action and maintenance_mode. Acts \
        on host_name, or the first host when it is omitted.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example {
        setup: &[("enter_maintenance_mode", r#"{"host_name":"DC0_C0_H2"}"#)],
        args: r#"{"host_name":"DC0_C0_H2"}"#,
    },
    failure: Failure::Args {
        args: r#"{"host_name":"DC0_C0_H2","timeout_seconds":0}"#,
        expect: &["timeout_seconds", "positive"],
    },
    run: run!(exit_maintenance_mode, ExitArgs),
};

pub const REBOOT_HOST: ToolDef = ToolDef {
    name: "reboot_host",
    title: "Reboot host",
    description: "Reboot the host. Refused outside maintenance mode unless force is true \
        (then its running VMs are powered off hard). The host is not responding until it is \
        back; its VMs are disconnected meanwhile. Returns host, action, force and a warning. \
        Progress notifications and cancellation as enter_maintenance_mode. Acts on host_name, \
        or the first host when it is omitted.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example {
        setup: &[("enter_maintenance_mode", r#"{"host_name":"DC0_C0_H1"}"#)],
        args: r#"{"host_name":"DC0_C0_H1"}"#,
    },
    failure: Failure::Args {
        args: r#"{"host_name":"DC0_C0_H0"}"#,
        expect: &["DC0_C0_H0", "not in maintenance mode", "force"],
    },
    run: run!(reboot_host, PowerArgs),
};

pub const SHUTDOWN_HOST: ToolDef = ToolDef {
    name: "shutdown_host",
    title: "Shut down host",
    description: "Shut the host down (it stays powered off). Refused outside maintenance mode \
        unless force is true (then its running VMs are powered off hard). Returns host, action, \
        force and a warning. Progress notifications and cancellation as \
        enter_maintenance_mode. Acts on host_name, or the first host when it is omitted.",
    hints: Hints::change(true, None),
    returns: Returns::Object,
    example: Example {
        setup: &[("enter_maintenance_mode", r#"{"host_name":"DC0_C0_H2"}"#)],
        args: r#"{"host_name":"DC0_C0_H2"}"#,
    },
    failure: Failure::Args {
        args: r#"{"host_name":"DC0_C0_H0"}"#,
        expect: &["DC0_C0_H0", "not in maintenance mode", "force"],
    },
    run: run!(shutdown_host, PowerArgs),
};

fn in_maintenance(o: &Obj) -> bool {
    o.bool("runtime.inMaintenanceMode") == Some(true)
}

/// Starts `req` (a host `*_Task`) and watches it for up to `timeout`.
async fn run_host_task(
    ctx: &Ctx,
    host: &str,
    req: Request,
    timeout: Duration,
) -> Result<(), ToolError> {
    let method = req.method.clone();
    let task = ctx
        .client
        .invoke(&req)
        .await
        .map_err(|e| host_error(&e, host))?
        .as_ref()
        .and_then(Value::as_moref)
        .cloned()
        .ok_or_else(|| ToolError::new(format!("vCenter returned no task for {method}")))?;
    let env = call_env::current();
    let notify = env.clone();
    let who = host.to_string();
    let progress = move |p: i64, what: String| {
        let env = notify.clone();
        let msg = format!("{what} on host '{who}': {p}%");
        async move { env.progress(p as f64, Some(100.0), msg).await }
    };
    let end = ctx
        .client
        .watch_task(&task, timeout, progress, env.cancelled())
        .await
        .map_err(|e| host_error(&e, host))?;
    let cancel_words = |r: Result<(), crate::error::VsError>| match r {
        Ok(()) => format!("the vSphere task {} was cancelled", task.value),
        Err(e) => format!(
            "cancelling the vSphere task {} failed ({}), so it may still complete",
            task.value,
            crate::error::explain(&e, None)
        ),
    };
    match end {
        TaskEnd::Done(_) => {
            let msg = format!("{method} on host '{host}': done");
            env.progress(100.0, Some(100.0), msg).await;
            Ok(())
        }
        TaskEnd::TimedOut(r) => Err(ToolError::new(format!(
            "{method} on host '{host}' did not finish within {}s; {}",
            timeout.as_secs(),
            cancel_words(r)
        ))),
        TaskEnd::Cancelled(r) => Err(ToolError::new(format!(
            "{method} on host '{host}' was cancelled by the client; {}",
            cancel_words(r)
        ))),
    }
}

fn seconds(s: i64) -> Duration {
    Duration::from_secs(s.unsigned_abs())
}

async fn enter_maintenance_mode(ctx: Ctx, args: EnterArgs) -> Result<Output, ToolError> {
    let o = find_host(&ctx, args.host_name.as_deref(), &STATE).await?;
    let name = o.name().to_string();
    if in_maintenance(&o) {
        return Ok(Output::Json(json!({
            "host": name,
            "action": "already_in_maintenance_mode",
            "maintenance_mode": true,
            "evacuate_vms": args.evacuate_vms,
            "vms_moved": [],
        })));
    }
    let before = o.morefs("vm");
    let req = Request::new("EnterMaintenanceMode_Task", &o.moref)
        .arg(
            "timeout",
            i32::try_from(args.timeout_seconds).unwrap_or(i32::MAX),
        )
        .arg("evacuatePoweredOffVms", args.evacuate_vms);
    run_host_task(&ctx, &name, req, seconds(args.timeout_seconds)).await?;
    let after = read_state(&ctx, &o, &name).await?;
    let still = after.morefs("vm");
    let moved: Vec<_> = before
        .iter()
        .filter(|v| !still.contains(v))
        .cloned()
        .collect();
    let names: Vec<String> = ctx
        .client
        .properties_of(&moved, &crate::vsphere::NAME)
        .await
        .map_err(|e| host_error(&e, &name))?
        .iter()
        .map(|v| v.name().to_string())
        .collect();
    Ok(Output::Json(json!({
        "host": name,
        "action": "entered_maintenance_mode",
        "maintenance_mode": in_maintenance(&after),
        "evacuate_vms": args.evacuate_vms,
        "vms_moved": names,
    })))
}

async fn read_state(ctx: &Ctx, o: &Obj, name: &str) -> Result<Obj, ToolError> {
    ctx.client
        .properties(&o.moref, &STATE)
        .await
        .map_err(|e| host_error(&e, name))
}

async fn exit_maintenance_mode(ctx: Ctx, args: ExitArgs) -> Result<Output, ToolError> {
    let o = find_host(&ctx, args.host_name.as_deref(), &STATE).await?;
    let name = o.name().to_string();
    if !in_maintenance(&o) {
        return Ok(Output::Json(json!({
            "host": name,
            "action": "not_in_maintenance_mode",
            "maintenance_mode": false,
        })));
    }
    let req = Request::new("ExitMaintenanceMode_Task", &o.moref).arg(
        "timeout",
        i32::try_from(args.timeout_seconds).unwrap_or(i32::MAX),
    );
    run_host_task(&ctx, &name, req, seconds(args.timeout_seconds)).await?;
    let after = read_state(&ctx, &o, &name).await?;
    Ok(Output::Json(json!({
        "host": name,
        "action": "exited_maintenance_mode",
        "maintenance_mode": in_maintenance(&after),
    })))
}

/// reboot_host and shutdown_host: `method` is `RebootHost_Task` or `ShutdownHost_Task`.
async fn host_power(
    ctx: Ctx,
    args: PowerArgs,
    method: &str,
    verb: &str,
) -> Result<Output, ToolError> {
    let o = find_host(&ctx, args.host_name.as_deref(), &STATE).await?;
    let name = o.name().to_string();
    if !args.force && !in_maintenance(&o) {
        return Err(ToolError::new(format!(
            "Host '{name}' is not in maintenance mode; enter_maintenance_mode first, or \
             {verb} with force=true (its running VMs are then powered off hard)"
        )));
    }
    let running: Vec<String> = ctx
        .client
        .properties_of(&o.morefs("vm"), &crate::views::vm::LIST)
        .await
        .map_err(|e| host_error(&e, &name))?
        .iter()
        .filter(|v| v.str("runtime.powerState") == Some("poweredOn"))
        .map(|v| v.name().to_string())
        .collect();
    let req = Request::new(method, &o.moref).arg("force", args.force);
    run_host_task(&ctx, &name, req, POWER_WAIT).await?;
    let mut warning = match verb {
        "reboot" => format!(
            "Host '{name}' is rebooting: it is not responding and its VMs are disconnected until it is back"
        ),
        _ => format!(
            "Host '{name}' is shutting down: it stays powered off until it is powered on out of band"
        ),
    };
    if !running.is_empty() {
        warning.push_str(&format!(
            "; {} running VM(s) were powered off hard: {}",
            running.len(),
            running.join(", ")
        ));
    }
    Ok(Output::Json(json!({
        "host": name,
        "action": if verb == "reboot" { "reboot_initiated" } else { "shutdown_initiated" },
        "force": args.force,
        "warning": warning,
    })))
}

async fn reboot_host(ctx: Ctx, args: PowerArgs) -> Result<Output, ToolError> {
    host_power(ctx, args, "RebootHost_Task", "reboot").await
}

async fn shutdown_host(ctx: Ctx, args: PowerArgs) -> Result<Output, ToolError> {
    host_power(ctx, args, "ShutdownHost_Task", "shut down").await
}
