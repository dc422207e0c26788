//! vcenter_ops, history: list_recent_events and list_recent_tasks. Each
//! makes a history collector whose filter does the selecting (events: time
//! window and types; tasks: one entity), sets its page size to the number
//! wanted and reads `latestPage` (the newest items, newest first) — never a
//! scan of the whole history. The collector is destroyed whatever happens.

use serde_json::{Value as Json, json};
use vim25::{Data, MoRef, Request, Value};

use super::typed::tool_args;
use super::{Ctx, Example, Failure, Hints, Output, Returns, ToolDef, run};
use crate::error::ToolError;
use crate::views::history::{EVENT_PAGE, TASK_PAGE};
use crate::vsphere::PropSet;

/// vCenter's largest collector page.
const MAX_PAGE: i64 = 1000;
/// Ten years: a window longer than this is a typo.
const MAX_HOURS: i64 = 24 * 366 * 10;

tool_args! {
    pub struct RecentEventsArgs {
        max_count: int = 50, "Most events to return (newest first), 1 to 1000.", positive(MAX_PAGE, "events");
        event_types: opt_strings, "Only events of these types, e.g. [\"VmPoweredOnEvent\", \"VmPoweredOffEvent\"]; default: all.";
        hours_back: int = 24, "How many hours back to look.", positive(MAX_HOURS, "hours");
    }
}

tool_args! {
    pub struct RecentTasksArgs {
        max_count: int = 20, "Most tasks to return (newest first), 1 to 1000.", positive(MAX_PAGE, "tasks");
        entity_name: opt_name, "Only tasks of the inventory object with this name (a VM, host, cluster, datastore, ...); default: all.";
    }
}

pub const LIST_RECENT_EVENTS: ToolDef = ToolDef {
    name: "list_recent_events",
    title: "List recent events",
    description: "vCenter's events of the last hours_back hours, newest first, at most \
        max_count, optionally only those whose type is in event_types (e.g. \
        VmPoweredOnEvent). Each has key, type, created_time, message, user and the entity \
        names it concerns (vm, host, datacenter). Read through an event collector whose filter \
        does the selecting.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example {
        setup: &[("power_off", r#"{"name":"DC0_H0_VM0"}"#)],
        args: r#"{"max_count":10,"event_types":["VmPoweredOffEvent"]}"#,
    },
    failure: Failure::Args {
        args: r#"{"max_count":0}"#,
        expect: &["max_count", "positive"],
    },
    run: run!(list_recent_events, RecentEventsArgs),
};

pub const LIST_RECENT_TASKS: ToolDef = ToolDef {
    name: "list_recent_tasks",
    title: "List recent tasks",
    description: "vCenter's recent tasks, newest first, at most max_count, optionally only \
        those of the inventory object named entity_name. Each has key, name, entity, state \
        (queued, running, success, error), progress, queued_time, start_time, complete_time \
        and error (the failure's message). Read through a task collector filtered by entity.",
    hints: Hints::READ_ONLY,
    returns: Returns::List,
    example: Example {
        setup: &[("power_off", r#"{"name":"DC0_H0_VM0"}"#)],
        args: r#"{"entity_name":"DC0_H0_VM0"}"#,
    },
    failure: Failure::Args {
        args: r#"{"entity_name":"no-such-entity"}"#,
        expect: &["'no-such-entity' not found"],
    },
    run: run!(list_recent_tasks, RecentTasksArgs),
};

/// Makes a collector with `create` on `manager`, sets its page size to
/// `count`, reads its latest page with `page`, and destroys it (also when
/// a step fails).
async fn latest(
    ctx: &Ctx,
    manager: &MoRef,
    create: &str,
    filter: Data,
    count: i64,
    page: &PropSet,
) -> Result<Vec<Data>, ToolError> {
    let c = &ctx.client;
    let err = |e| ToolError::vsphere(&e, None);
    let made = c
        .invoke(&Request::new(create, manager).arg("filter", filter))
        .await
        .map_err(err)?;
    let collector = made
        .as_ref()
        .and_then(Value::as_moref)
        .cloned()
        .ok_or_else(|| ToolError::new(format!("vCenter's {create} returned no collector")))?;
    let read = async {
        c.invoke(&Request::new("SetCollectorPageSize", &collector).arg("maxCount", count))
            .await
            .map_err(err)?;
        let o = c.properties(&collector, page).await.map_err(err)?;
        Ok::<_, ToolError>(
            o.get("latestPage")
                .map(|v| {
                    v.as_array()
                        .iter()
                        .filter_map(Value::as_data)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
        )
    }
    .await;
    // A leaked collector counts against the session's limit; say so in the log only.
    if let Err(e) = c
        .invoke(&Request::new("DestroyCollector", &collector))
        .await
    {
        tracing::warn!(collector = %collector.value, error = %e, "DestroyCollector failed");
    }
    read
}

/// The newest `count` events of vCenter's last `hours` hours (only of
/// `types` when given), newest first, through a filtered collector; shared
/// with monitoring's get_recent_events.
pub(super) async fn events_since(
    ctx: &Ctx,
    hours: i64,
    types: Option<&[String]>,
    count: i64,
) -> Result<Vec<Data>, ToolError> {
    let content = ctx
        .client
        .content()
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?;
    let em = content
        .event_manager
        .ok_or_else(|| ToolError::new("This endpoint has no EventManager"))?;
    let begin = vcenter_now(ctx).await - chrono::Duration::hours(hours);
    let mut filter = Data::new("EventFilterSpec").with(
        "time",
        Data::new("EventFilterSpecByTime").with(
            "beginTime",
            begin.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        ),
    );
    if let Some(types) = types.filter(|t| !t.is_empty()) {
        let types = types.iter().map(|t| Value::from(t.trim())).collect();
        filter.set("type", Value::array(types));
    }
    latest(
        ctx,
        &em,
        "CreateCollectorForEvents",
        filter,
        count,
        &EVENT_PAGE,
    )
    .await
}

/// vCenter's clock (so a simulated or skewed clock is honoured), else ours.
async fn vcenter_now(ctx: &Ctx) -> chrono::DateTime<chrono::Utc> {
    let si = MoRef::new("ServiceInstance", "ServiceInstance");
    let said = ctx
        .client
        .invoke(&Request::new("CurrentTime", &si))
        .await
        .ok()
        .flatten();
    said.as_ref()
        .and_then(Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now)
}

fn s(d: &Data, path: &str) -> Option<String> {
    d.path(path).and_then(Value::as_str).map(str::to_string)
}

async fn list_recent_events(ctx: Ctx, args: RecentEventsArgs) -> Result<Output, ToolError> {
    let RecentEventsArgs {
        max_count,
        event_types,
        hours_back,
    } = args;
    let events = events_since(&ctx, hours_back, event_types.as_deref(), max_count).await?;
    let rows = events
        .iter()
        .map(|e| {
            json!({
                "key": e.get("key").and_then(Value::as_i64),
                "type": e.type_name.to_string(),
                "created_time": s(e, "createdTime"),
                "message": s(e, "fullFormattedMessage"),
                "user": s(e, "userName"),
                "vm": s(e, "vm.name"),
                "host": s(e, "host.name"),
                "datacenter": s(e, "datacenter.name"),
            })
        })
        .collect();
    Ok(Output::Json(Json::Array(rows)))
}

async fn list_recent_tasks(ctx: Ctx, args: RecentTasksArgs) -> Result<Output, ToolError> {
    let RecentTasksArgs {
        max_count,
        entity_name,
    } = args;
    let content = ctx
        .client
        .content()
        .await
        .map_err(|e| ToolError::vsphere(&e, None))?;
    let tm = content
        .task_manager
        .ok_or_else(|| ToolError::new("This endpoint has no TaskManager"))?;
    let mut filter = Data::new("TaskFilterSpec");
    if let Some(name) = &entity_name {
        let entity = ctx
            .client
            .find_by_name("ManagedEntity", name)
            .await
            .map_err(|e| ToolError::vsphere(&e, Some(name)))?
            .ok_or_else(|| {
                ToolError::new(format!(
                    "Inventory object '{name}' not found (no VM, host, cluster, datastore, \
                     network, folder or pool has that name)"
                ))
            })?;
        filter.set(
            "entity",
            Data::new("TaskFilterSpecByEntity")
                .with("entity", &entity)
                .with("recursion", "self"),
        );
    }
    let tasks = latest(
        &ctx,
        &tm,
        "CreateCollectorForTasks",
        filter,
        max_count,
        &TASK_PAGE,
    )
    .await?;
    let rows = tasks
        .iter()
        .map(|t| {
            json!({
                "key": s(t, "key"),
                "name": s(t, "descriptionId").or_else(|| s(t, "name")),
                "entity": s(t, "entityName"),
                "state": s(t, "state"),
                "progress": t.get("progress").and_then(Value::as_i64),
                "queued_time": s(t, "queueTime"),
                "start_time": s(t, "startTime"),
                "complete_time": s(t, "completeTime"),
                "error": s(t, "error.localizedMessage"),
            })
        })
        .collect();
    Ok(Output::Json(Json::Array(rows)))
}
