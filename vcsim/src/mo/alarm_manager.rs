//! AlarmManager and its default alarms, defined on the root folder as
//! vCenter's are: host connection state, host CPU and memory usage,
//! datastore usage on disk, VM CPU and memory usage. `alarm_eval.rs` makes
//! them trigger. `GetAlarm` lists definitions; `GetAlarmState` the states
//! on an entity.

use vim25::{Data, Fault, MoRef, Value};

use crate::call::{Call, Reply, require};
use crate::state::State;

/// What an alarm watches.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Watch {
    /// A property equal to `red` (or `yellow`).
    State {
        path: &'static str,
        yellow: Option<&'static str>,
        red: &'static str,
    },
    /// A counter above thresholds, in the counter's unit (1/100 % here).
    Metric { counter: i64, yellow: i64, red: i64 },
}

pub(crate) struct Definition {
    pub id: &'static str,
    pub system_name: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// The managed type it applies to.
    pub kind: &'static str,
    pub watch: Watch,
}

/// vCenter's defaults (names and system names as vCenter 8 has them;
/// thresholds as its defaults).
pub(crate) static DEFAULTS: &[Definition] = &[
    Definition {
        id: "alarm-1",
        system_name: "alarm.HostConnectionStateAlarm",
        name: "Host connection state",
        description: "Default alarm to monitor host connection state",
        kind: "HostSystem",
        watch: Watch::State {
            path: "runtime.connectionState",
            yellow: None,
            red: "notResponding",
        },
    },
    Definition {
        id: "alarm-2",
        system_name: "alarm.HostCPUUsageAlarm",
        name: "Host CPU usage",
        description: "Default alarm to monitor host CPU usage",
        kind: "HostSystem",
        watch: Watch::Metric {
            counter: 1,
            yellow: 7500,
            red: 9000,
        },
    },
    Definition {
        id: "alarm-3",
        system_name: "alarm.HostMemoryUsageAlarm",
        name: "Host memory usage",
        description: "Default alarm to monitor host memory usage",
        kind: "HostSystem",
        watch: Watch::Metric {
            counter: 65537,
            yellow: 9000,
            red: 9500,
        },
    },
    Definition {
        id: "alarm-4",
        system_name: "alarm.DatastoreDiskUsageAlarm",
        name: "Datastore usage on disk",
        description: "Default alarm to monitor datastore disk usage",
        kind: "Datastore",
        watch: Watch::Metric {
            counter: 131_100,
            yellow: 7500,
            red: 8500,
        },
    },
    Definition {
        id: "alarm-5",
        system_name: "alarm.VmCPUUsageAlarm",
        name: "Virtual machine CPU usage",
        description: "Default alarm to monitor virtual machine CPU usage",
        kind: "VirtualMachine",
        watch: Watch::Metric {
            counter: 1,
            yellow: 7500,
            red: 9000,
        },
    },
    Definition {
        id: "alarm-6",
        system_name: "alarm.VmMemoryUsageAlarm",
        name: "Virtual machine memory usage",
        description: "Default alarm to monitor virtual machine memory usage",
        kind: "VirtualMachine",
        watch: Watch::Metric {
            counter: 65537,
            yellow: 8500,
            red: 9500,
        },
    },
];

pub(crate) fn alarm_ref(d: &Definition) -> MoRef {
    MoRef::new("Alarm", d.id)
}

fn expression(d: &Definition) -> Data {
    match d.watch {
        Watch::State { path, yellow, red } => Data::new("StateAlarmExpression")
            .with("operator", "isEqual")
            .with("type", d.kind)
            .with("statePath", path)
            .with_opt("yellow", yellow)
            .with("red", red),
        Watch::Metric {
            counter,
            yellow,
            red,
        } => Data::new("MetricAlarmExpression")
            .with("operator", "isAbove")
            .with("type", d.kind)
            .with(
                "metric",
                Data::new("PerfMetricId")
                    .with("counterId", counter)
                    .with("instance", ""),
            )
            .with("yellow", yellow)
            .with("yellowInterval", 300)
            .with("red", red)
            .with("redInterval", 300),
    }
}

/// Creates the AlarmManager's properties and the default Alarm objects.
pub(crate) fn install(st: &mut State) -> Result<(), Fault> {
    let am = st.svc("alarmManager");
    let root = st.svc("rootFolder");
    let el = |key: &str| {
        Value::data(
            Data::new("ElementDescription")
                .with("label", key)
                .with("summary", key)
                .with("key", key),
        )
    };
    let mut desc = Data::new("AlarmDescription");
    for f in [
        "expr",
        "action",
        "stateOperator",
        "metricOperator",
        "hostSystemConnectionState",
        "virtualMachinePowerState",
        "datastoreConnectionState",
        "hostSystemPowerState",
        "virtualMachineGuestHeartbeatStatus",
    ] {
        desc.set(f, Value::array(vec![]));
    }
    desc.set(
        "entityStatus",
        Value::array(["gray", "green", "yellow", "red"].map(el).to_vec()),
    );
    st.objects.set(&am, "description", Value::data(desc))?;
    st.objects.set(
        &am,
        "defaultExpression",
        Value::array(
            DEFAULTS
                .iter()
                .map(|d| Value::data(expression(d)))
                .collect(),
        ),
    )?;
    for (i, d) in DEFAULTS.iter().enumerate() {
        let m = alarm_ref(d);
        let info = Data::new("AlarmInfo")
            .with("name", d.name)
            .with("systemName", d.system_name)
            .with("description", d.description)
            .with("enabled", true)
            .with("expression", expression(d))
            .with(
                "setting",
                Data::new("AlarmSetting")
                    .with("toleranceRange", 0)
                    .with("reportingFrequency", 300),
            )
            .with("key", d.id)
            .with("alarm", &m)
            .with("entity", &root)
            .with("lastModifiedTime", crate::now())
            .with("lastModifiedUser", "")
            .with("creationEventId", i as i64);
        st.objects.insert(m, Data::new("Alarm").with("info", info));
    }
    Ok(())
}

/// `AlarmManager.GetAlarm(entity)`: the alarms defined on `entity` (not
/// inherited ones), or every alarm when `entity` is unset.
pub(crate) fn get_alarm(c: &Call) -> Reply {
    let entity = c.opt_moref("entity")?;
    let st = c.read();
    if let Some(e) = &entity {
        require(&st, e)?;
    }
    let out: Vec<Value> = st
        .objects
        .of_kind("Alarm")
        .into_iter()
        .filter(|a| {
            entity
                .as_ref()
                .is_none_or(|e| st.objects.ref_prop(a, "info.entity").as_ref() == Some(e))
        })
        .map(Value::moref)
        .collect();
    Ok(Some(Value::array(out)))
}

/// `AlarmManager.GetAlarmState(entity)`: the states of the alarms that
/// apply to `entity` (its `declaredAlarmState`).
pub(crate) fn get_alarm_state(c: &Call) -> Reply {
    let e = c.moref("entity")?;
    let st = c.read();
    require(&st, &e)?;
    Ok(Some(crate::mo::alarm_eval::declared(&st, &e)))
}
