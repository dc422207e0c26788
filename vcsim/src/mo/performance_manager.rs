//! PerformanceManager: the counter table (`perf/counters.rs`), the
//! historical intervals, and samples (`perf/sample.rs`) for hosts and VMs
//! every 20 s (real time, the last hour) and at the historical intervals'
//! periods, in `normal` or `csv` format. Samples are computed when asked,
//! from the entity's current state, so they cost nothing to keep.

use vim25::{Data, Fault, MoRef, Value};

use crate::call::{Call, Reply, require};
use crate::mo::perf::counters::{self, COUNTERS, Counter, INTERVALS, REALTIME_LENGTH};
use crate::mo::perf::sample::{self, REALTIME_SECS};
use crate::state::State;

/// What `PerformanceManager` shows without a call: the counters and intervals.
pub(crate) fn install(st: &mut State) -> Result<(), Fault> {
    let pm = st.svc("perfManager");
    let infos: Vec<Value> = COUNTERS.iter().map(counters::info).collect();
    st.objects.set(&pm, "perfCounter", Value::array(infos))?;
    st.objects
        .set(&pm, "historicalInterval", counters::historical_intervals())?;
    st.objects.set(
        &pm,
        "description",
        Value::data(
            Data::new("PerformanceDescription")
                .with("counterType", Value::array(vec![]))
                .with("statsType", Value::array(vec![])),
        ),
    )
}

fn bad(field: &str, why: &str) -> Fault {
    Fault::new(
        "InvalidArgument",
        format!("A specified parameter was not correct: {field}: {why}"),
    )
    .with("invalidProperty", field)
}

/// Only hosts, VMs and datastores have statistics here.
fn check_entity(st: &State, m: &MoRef) -> Result<(), Fault> {
    require(st, m)?;
    if matches!(
        m.kind.as_str(),
        "HostSystem" | "VirtualMachine" | "Datastore"
    ) {
        Ok(())
    } else {
        let name = st.objects.name(m);
        let name = if name.is_empty() {
            m.value.to_string()
        } else {
            name
        };
        Err(bad(
            "entity",
            &format!(
                "{name} ({}) has no performance statistics here; hosts, VMs and datastores do",
                m.kind
            ),
        ))
    }
}

/// `QueryPerfCounter(counterId[])`.
pub(crate) fn query_perf_counter(c: &Call) -> Reply {
    let ids: Vec<i64> = c
        .value("counterId")
        .map(|v| v.as_array().iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let mut out = vec![];
    for id in ids {
        let k = counters::by_key(id)
            .ok_or_else(|| bad("counterId", &format!("no counter has id {id}")))?;
        out.push(counters::info(k));
    }
    Ok(Some(Value::array(out)))
}

/// `QueryPerfCounterByLevel(level)`: every counter collected at `level` or below.
pub(crate) fn query_perf_counter_by_level(c: &Call) -> Reply {
    let level = c
        .value("level")
        .and_then(Value::as_i64)
        .ok_or_else(|| Fault::invalid_argument("level"))?;
    if !(1..=4).contains(&level) {
        return Err(bad("level", &format!("{level} is not 1 to 4")));
    }
    Ok(Some(Value::array(
        COUNTERS
            .iter()
            .filter(|k| k.level <= level)
            .map(counters::info)
            .collect(),
    )))
}

/// `QueryPerfProviderSummary(entity)`: hosts and VMs have real-time
/// statistics refreshed every 20 s; datastores historical ones only.
pub(crate) fn query_perf_provider_summary(c: &Call) -> Reply {
    let e = c.moref("entity")?;
    let st = c.read();
    check_entity(&st, &e)?;
    let realtime = e.kind != "Datastore";
    let mut s = Data::new("PerfProviderSummary")
        .with("entity", &e)
        .with("currentSupported", realtime)
        .with("summarySupported", true);
    s.set("refreshRate", if realtime { REALTIME_SECS } else { -1 });
    Ok(Some(Value::data(s)))
}

fn metric_id(k: &Counter) -> Value {
    Value::data(
        Data::new("PerfMetricId")
            .with("counterId", k.key)
            .with("instance", ""),
    )
}

/// `QueryAvailablePerfMetric(entity, beginTime, endTime, intervalId)`.
pub(crate) fn query_available_perf_metric(c: &Call) -> Reply {
    let e = c.moref("entity")?;
    let st = c.read();
    check_entity(&st, &e)?;
    let interval = c.value("intervalId").and_then(Value::as_i64);
    if let Some(i) = interval {
        period(&e, i)?;
    }
    Ok(Some(Value::array(
        COUNTERS
            .iter()
            .filter(|k| counters::applies(k, &e.kind))
            .map(metric_id)
            .collect(),
    )))
}

/// An interval id's sampling period and how far back its samples go.
fn period(e: &MoRef, id: i64) -> Result<(i64, i64), Fault> {
    if id == REALTIME_SECS {
        if e.kind == "Datastore" {
            return Err(bad(
                "intervalId",
                "datastores have no real-time statistics; use a historical interval (300, 1800, 7200 or 86400)",
            ));
        }
        return Ok((REALTIME_SECS, REALTIME_LENGTH));
    }
    INTERVALS
        .iter()
        .find(|(_, p, _, _)| *p == id)
        .map(|(_, p, _, len)| (*p, *len))
        .ok_or_else(|| {
            bad(
                "intervalId",
                &format!("{id} is not an interval; real time is 20, historical ones 300, 1800, 7200, 86400"),
            )
        })
}

fn unix(text: &str, field: &str) -> Result<i64, Fault> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp())
        .map_err(|_| bad(field, &format!("{text:?} is not a dateTime")))
}

/// The counters a spec asks for: its `metricId`s (instance `""` or `*`:
/// the entity-wide figure), or every counter the entity reports.
fn wanted(spec: &Data, kind: &str) -> Result<Vec<&'static Counter>, Fault> {
    let Some(ids) = spec.get("metricId") else {
        return Ok(COUNTERS
            .iter()
            .filter(|k| counters::applies(k, kind))
            .collect());
    };
    let mut out = vec![];
    for m in ids.as_array() {
        let id = m.path("counterId").and_then(Value::as_i64).unwrap_or(-1);
        let k = counters::by_key(id).ok_or_else(|| {
            bad(
                "querySpec.metricId.counterId",
                &format!("no counter has id {id}"),
            )
        })?;
        if counters::applies(k, kind) && !out.iter().any(|o: &&Counter| o.key == k.key) {
            out.push(k);
        }
    }
    Ok(out)
}

/// One `PerfQuerySpec` answered; `None` when the entity reports nothing
/// in the window (a powered-off VM).
fn query_one(st: &State, spec: &Data) -> Result<Option<Value>, Fault> {
    let e = spec
        .get("entity")
        .and_then(Value::as_moref)
        .cloned()
        .ok_or_else(|| Fault::invalid_argument("querySpec.entity"))?;
    check_entity(st, &e)?;
    let default_interval = if e.kind == "Datastore" {
        300
    } else {
        REALTIME_SECS
    };
    let interval = spec
        .get("intervalId")
        .and_then(Value::as_i64)
        .unwrap_or(default_interval);
    let (p, length) = period(&e, interval)?;
    let format = spec
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("normal");
    if !matches!(format, "normal" | "csv") {
        return Err(bad(
            "querySpec.format",
            &format!("{format:?} is not normal or csv"),
        ));
    }
    // The latest complete sample of this interval.
    let latest = (st.monitor.perf_index * REALTIME_SECS).div_euclid(p) * p;
    let mut first = latest - length + p;
    let mut last = latest;
    if let Some(s) = spec.get("startTime").and_then(Value::as_str) {
        // Samples strictly after startTime, as vCenter.
        first = first.max((unix(s, "querySpec.startTime")?).div_euclid(p) * p + p);
    }
    if let Some(t) = spec.get("endTime").and_then(Value::as_str) {
        last = last.min(unix(t, "querySpec.endTime")?.div_euclid(p) * p);
    }
    let mut times: Vec<i64> = (0..)
        .map(|i| first + i * p)
        .take_while(|t| *t <= last)
        .collect();
    if let Some(n) = spec
        .get("maxSample")
        .and_then(Value::as_i64)
        .filter(|n| *n > 0)
    {
        let skip = times.len().saturating_sub(n as usize);
        times.drain(..skip);
    }
    let ks = wanted(spec, &e.kind)?;
    // Times at which the entity reported (a VM that was off has no sample).
    let probe = ks.first().copied();
    times.retain(|t| probe.is_none_or(|k| sample::value(st, &e, k, *t, p).is_some()));
    if times.is_empty() {
        return Ok(None);
    }
    let series: Vec<(&Counter, Vec<i64>)> = ks
        .iter()
        .map(|k| {
            let vals = times
                .iter()
                .map(|t| sample::value(st, &e, k, *t, p).unwrap_or(-1))
                .collect();
            (*k, vals)
        })
        .collect();
    let stamp = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let out = if format == "csv" {
        let info: Vec<String> = times.iter().map(|t| format!("{p},{}", stamp(*t))).collect();
        Data::new("PerfEntityMetricCSV")
            .with("entity", &e)
            .with("sampleInfoCSV", info.join(","))
            .with(
                "value",
                Value::array(
                    series
                        .iter()
                        .map(|(k, v)| {
                            let text: Vec<String> = v.iter().map(i64::to_string).collect();
                            Value::data(
                                Data::new("PerfMetricSeriesCSV")
                                    .with("id", metric_id(k))
                                    .with("value", text.join(",")),
                            )
                        })
                        .collect(),
                ),
            )
    } else {
        Data::new("PerfEntityMetric")
            .with("entity", &e)
            .with(
                "sampleInfo",
                Value::array(
                    times
                        .iter()
                        .map(|t| {
                            Value::data(
                                Data::new("PerfSampleInfo")
                                    .with("timestamp", stamp(*t))
                                    .with("interval", p),
                            )
                        })
                        .collect(),
                ),
            )
            .with(
                "value",
                Value::array(
                    series
                        .iter()
                        .map(|(k, v)| {
                            Value::data(
                                Data::new("PerfMetricIntSeries")
                                    .with("id", metric_id(k))
                                    .with(
                                        "value",
                                        Value::array(v.iter().map(|x| Value::Int(*x)).collect()),
                                    ),
                            )
                        })
                        .collect(),
                ),
            )
    };
    Ok(Some(Value::data(out)))
}

/// `QueryPerf(querySpec[])`.
pub(crate) fn query_perf(c: &Call) -> Reply {
    let specs: Vec<Data> = c
        .value("querySpec")
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(Value::as_data)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if specs.is_empty() {
        return Err(Fault::invalid_argument("querySpec"));
    }
    let st = c.read();
    let mut out = vec![];
    for s in &specs {
        if let Some(m) = query_one(&st, s)? {
            out.push(m);
        }
    }
    Ok(Some(Value::array(out)))
}
