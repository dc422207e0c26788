//! monitoring, the history: get_recent_tasks (TaskManager.recentTask),
//! get_recent_events (the newest events of the last hours, read as
//! list_recent_events reads them: `recent.rs`) and get_alarms (the alarms triggered on
//! inventory objects, `triggeredAlarmState`).

use std::collections::{HashMap, HashSet};

use serde_json::{Value as Json, json};
use vim25::{Data, MoRef, Value};

use super::typed::{NoArgs, tool_args};
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::views::monitor::{ALARM_INFO, RECENT_TASKS, TRIGGERED};
use crate::vsphere::TASK_INFO;

/// vCenter's largest history collector page.
const MAX_PAGE: i64 = 1000;
/// A year: how far back get_recent_events may look.
const MAX_HOURS: i64 = 24 * 366;

tool_args! {
    pub struct TasksArgs {
        count: int = 20, "How many of the most recent tasks to return.", positive(MAX_PAGE, "tasks");
    }
}

tool_args! {
    pub struct EventsArgs {
        count: int = 50, "How many of the newest events to return.", positive(MAX_PAGE, "events");
        hours: int = 24, "Only events of the last this many hours.", positive(MAX_HOURS, "hours");
    }
}

pub const GET_RECENT_TASKS: ToolDef = ToolDef {
    name: "get_recent_tasks",
    title: "Recent tasks",
    description: "The most recent vSphere tasks (newest first, at most count): name (the \
        method), state (queued, running, success, error), progress, entity, queued_time, \
        start_time, complete_time, description and error.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example {
        setup: &[("power_off", r#"{"name":"DC0_H0_VM0"}"#)],
        args: r#"{"count":5}"#,
    },
    failure: Failure::Args {
        args: r#"{"count":0}"#,
        expect: &["count", "positive"],
    },
    run: run!(get_recent_tasks, TasksArgs),
};

pub const GET_RECENT_EVENTS: ToolDef = ToolDef {
    name: "get_recent_events",
    title: "Recent events",
    description: "The newest vCenter events of the last `hours` hours (at most count, newest \
        first): key, type (VmPoweredOnEvent, ...), created_time, message, username and the \
        datacenter, host and vm they concern.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example {
        setup: &[("power_off", r#"{"name":"DC0_H0_VM0"}"#)],
        args: r#"{"count":10,"hours":1}"#,
    },
    failure: Failure::Args {
        args: r#"{"count":5000}"#,
        expect: &["count", "at most 1000"],
    },
    run: run!(get_recent_events, EventsArgs),
};

pub const GET_ALARMS: ToolDef = ToolDef {
    name: "get_alarms",
    title: "Triggered alarms",
    description: "The alarms currently triggered on any inventory object, newest first: alarm \
        (its name), description, entity (name) and entity_type, status (yellow or red), time \
        and acknowledged. An empty list when nothing is alarmed. Takes no arguments.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example {
        setup: &[("shutdown_host", r#"{"host_name":"DC0_C0_H2","force":true}"#)],
        args: "{}",
    },
    failure: Failure::Unreachable {
        expect: &["cannot reach vCenter"],
    },
    run: run!(get_alarms, NoArgs),
};

async fn get_recent_tasks(ctx: Ctx, args: TasksArgs) -> Result<Output, ToolError> {
    let tm = ctx
        .client
        .content()
        .await
        .map_err(ToolError::from)?
        .task_manager
        .ok_or_else(|| ToolError::new("This endpoint has no task manager"))?;
    let recent = ctx
        .client
        .properties(&tm, &RECENT_TASKS)
        .await
        .map_err(ToolError::from)?
        .morefs("recentTask");
    let mut tasks = ctx
        .client
        .properties_of(&recent, &TASK_INFO)
        .await
        .map_err(ToolError::from)?;
    let queued = |o: &crate::vsphere::Obj| o.str("info.queueTime").unwrap_or_default().to_string();
    // Newest first; equal times keep the task manager's (oldest-first) order reversed.
    tasks.reverse();
    tasks.sort_by_key(|o| std::cmp::Reverse(queued(o)));
    let count = usize::try_from(args.count).unwrap_or(usize::MAX);
    let list: Vec<Json> = tasks
        .iter()
        .take(count)
        .map(|o| {
            let s = |p: &str| o.str(&format!("info.{p}"));
            json!({
                "name": s("name"),
                "key": s("key"),
                "state": s("state"),
                "progress": o.i64("info.progress"),
                "entity": s("entityName"),
                "queued_time": s("queueTime"),
                "start_time": s("startTime"),
                "complete_time": s("completeTime"),
                "description": s("description.message").or(s("descriptionId")),
                "error": s("error.localizedMessage").or(s("error.fault.faultMessage")),
            })
        })
        .collect();
    Ok(Output::Json(Json::Array(list)))
}

fn event_json(e: &Data) -> Json {
    let s = |p: &str| e.path(p).and_then(Value::as_str);
    json!({
        "key": e.path("key").and_then(Value::as_i64),
        "type": e.type_name.as_str(),
        "created_time": s("createdTime"),
        "message": s("fullFormattedMessage"),
        "username": s("userName"),
        "datacenter": s("datacenter.name"),
        "host": s("host.name"),
        "vm": s("vm.name"),
    })
}

async fn get_recent_events(ctx: Ctx, args: EventsArgs) -> Result<Output, ToolError> {
    let events = super::recent::events_since(&ctx, args.hours, None, args.count).await?;
    Ok(Output::Json(Json::Array(
        events.iter().map(event_json).collect(),
    )))
}

async fn get_alarms(ctx: Ctx, _: NoArgs) -> Result<Output, ToolError> {
    let c = &ctx.client;
    let entities = c
        .list("ManagedEntity", &TRIGGERED)
        .await
        .map_err(ToolError::from)?;
    let names: HashMap<&MoRef, &str> = entities.iter().map(|o| (&o.moref, o.name())).collect();
    let mut seen = HashSet::new();
    let mut states: Vec<&Value> = vec![];
    for o in &entities {
        for st in o
            .get("triggeredAlarmState")
            .map(Value::as_array)
            .unwrap_or_default()
        {
            let key = st.path("key").and_then(Value::as_str).unwrap_or_default();
            if seen.insert(key.to_string()) {
                states.push(st);
            }
        }
    }
    let mut alarms: Vec<MoRef> = states
        .iter()
        .filter_map(|s| s.path("alarm").and_then(Value::as_moref).cloned())
        .collect();
    alarms.sort_by(|a, b| a.value.cmp(&b.value));
    alarms.dedup();
    // An alarm removed since it triggered has no info left: its id stands in.
    let info = match c.properties_of(&alarms, &ALARM_INFO).await {
        Ok(i) => i,
        Err(e) if e.is("ManagedObjectNotFound") => vec![],
        Err(e) => return Err(ToolError::from(e)),
    };
    let info: HashMap<&MoRef, &crate::vsphere::Obj> = info.iter().map(|o| (&o.moref, o)).collect();
    let mut list: Vec<Json> = states
        .iter()
        .map(|s| {
            let alarm = s.path("alarm").and_then(Value::as_moref);
            let entity = s.path("entity").and_then(Value::as_moref);
            let a = alarm.and_then(|m| info.get(m));
            json!({
                "key": s.path("key").and_then(Value::as_str),
                "alarm": a.and_then(|o| o.str("info.name")).or(alarm.map(|m| m.value.as_str())),
                "description": a.and_then(|o| o.str("info.description")),
                "entity": entity.and_then(|m| names.get(m).copied()),
                "entity_type": entity.map(|m| m.kind.as_str()),
                "status": s.path("overallStatus").and_then(Value::as_str),
                "time": s.path("time").and_then(Value::as_str),
                "acknowledged": s.path("acknowledged").and_then(Value::as_bool),
            })
        })
        .collect();
    list.sort_by(|a, b| b["time"].as_str().cmp(&a["time"].as_str()));
    Ok(Output::Json(Json::Array(list)))
}
