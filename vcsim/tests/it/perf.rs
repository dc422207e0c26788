//! Issue 12: PerformanceManager — counters, intervals, and samples that add
//! up: a host's CPU and memory are its running VMs' plus the hypervisor's
//! overhead, and its latest sample is its quickStats.

use std::collections::HashMap;

use vim25::{Data, MoRef, Request, Value};

use crate::hosts::host;
use crate::{fault_type, logged_in, mo};
use testkit::{prop, prop_int, says, vm, wait_task};

fn pm() -> MoRef {
    mo("PerformanceManager", "PerfMgr")
}

/// `group.name.rollup` → counter id, from the manager's own `perfCounter`.
fn counter_ids(sim: &vcsim::Simulator) -> HashMap<String, i64> {
    prop(sim, &pm(), "perfCounter")
        .expect("perfCounter")
        .as_array()
        .iter()
        .filter_map(|c| {
            let s = |p: &str| {
                c.path(p)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let key = c.path("key").and_then(Value::as_i64)?;
            Some((
                format!(
                    "{}.{}.{}",
                    s("groupInfo.key"),
                    s("nameInfo.key"),
                    s("rollupType")
                ),
                key,
            ))
        })
        .collect()
}

fn spec(entity: &MoRef, ids: &[i64], max: i64) -> Data {
    Data::new("PerfQuerySpec")
        .with("entity", entity)
        .with("maxSample", max)
        .with("intervalId", 20)
        .with(
            "metricId",
            Value::array(
                ids.iter()
                    .map(|i| {
                        Value::data(
                            Data::new("PerfMetricId")
                                .with("counterId", *i)
                                .with("instance", ""),
                        )
                    })
                    .collect(),
            ),
        )
}

/// (entity, counter id) → values, oldest first; and each entity's sample times.
type Series = HashMap<(String, i64), Vec<i64>>;

fn series(result: &Option<Value>) -> (Series, HashMap<String, Vec<String>>) {
    let mut out = HashMap::new();
    let mut times = HashMap::new();
    for m in result
        .as_ref()
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default()
    {
        let e = m
            .path("entity")
            .and_then(Value::as_moref)
            .expect("entity")
            .value
            .to_string();
        let stamps = m
            .path("sampleInfo")
            .map(|s| {
                s.as_array()
                    .iter()
                    .filter_map(|i| {
                        i.path("timestamp")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        times.insert(e.clone(), stamps);
        for v in m
            .path("value")
            .map(|v| v.as_array().to_vec())
            .unwrap_or_default()
        {
            let id = v
                .path("id.counterId")
                .and_then(Value::as_i64)
                .expect("counterId");
            let vals = v
                .path("value")
                .map(|a| a.as_array().iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            out.insert((e.clone(), id), vals);
        }
    }
    (out, times)
}

#[tokio::test]
async fn issue_12_perf_counters_intervals_and_provider_summary() {
    let (sim, c) = logged_in().await;
    let ids = counter_ids(&sim);
    for name in [
        "cpu.usage.average",
        "cpu.usagemhz.average",
        "mem.usage.average",
        "mem.active.average",
        "mem.consumed.average",
        "disk.usage.average",
        "disk.read.average",
        "disk.write.average",
        "net.usage.average",
        "net.received.average",
        "net.transmitted.average",
        "sys.uptime.latest",
    ] {
        assert!(ids.contains_key(name), "{name} in {ids:?}");
    }
    let usage = ids["cpu.usage.average"];
    let got = c
        .ok(Request::new("QueryPerfCounter", &pm())
            .arg("counterId", Value::array(vec![Value::Int(usage)])))
        .await;
    let info = got
        .as_ref()
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default();
    assert_eq!(info.len(), 1);
    assert_eq!(
        info[0].path("unitInfo.key").and_then(Value::as_str),
        Some("percent")
    );
    assert_eq!(
        info[0].path("statsType").and_then(Value::as_str),
        Some("rate")
    );
    let level1 = c
        .ok(Request::new("QueryPerfCounterByLevel", &pm()).arg("level", 1))
        .await;
    let n1 = level1.map(|v| v.as_array().len()).unwrap_or(0);
    assert!(n1 > 5 && n1 < ids.len(), "{n1}");
    let intervals = prop(&sim, &pm(), "historicalInterval").expect("intervals");
    let periods: Vec<i64> = intervals
        .as_array()
        .iter()
        .filter_map(|i| i.path("samplingPeriod").and_then(Value::as_i64))
        .collect();
    assert_eq!(periods, [300, 1800, 7200, 86400]);
    let h = host(&sim, "DC0_H0");
    let s = c
        .ok(Request::new("QueryPerfProviderSummary", &pm()).arg("entity", &h))
        .await;
    let s = s.as_ref().and_then(Value::as_data).expect("summary");
    assert_eq!(s.get("refreshRate").and_then(Value::as_i64), Some(20));
    assert_eq!(
        s.get("currentSupported").and_then(Value::as_bool),
        Some(true)
    );
    let avail = c
        .ok(Request::new("QueryAvailablePerfMetric", &pm())
            .arg("entity", &h)
            .arg("intervalId", 20))
        .await;
    let avail: Vec<i64> = avail
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(|m| m.path("counterId").and_then(Value::as_i64))
                .collect()
        })
        .unwrap_or_default();
    assert!(avail.contains(&ids["cpu.usagemhz.average"]));
    assert!(
        !avail.contains(&ids["sys.heartbeat.latest"]),
        "a VM-only counter"
    );
    // Faults name what is wrong.
    let r = c
        .check(
            Request::new("QueryPerfCounter", &pm())
                .arg("counterId", Value::array(vec![Value::Int(999_999)])),
        )
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    says(&r.expect_err("fault").to_string(), &["999999"]);
    let folder = mo("Folder", "group-d1");
    let r = c
        .check(Request::new("QueryPerfProviderSummary", &pm()).arg("entity", &folder))
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    says(
        &r.expect_err("fault").to_string(),
        &["Datacenters", "hosts, VMs and datastores"],
    );
    let r = c
        .check(Request::new("QueryPerf", &pm()).arg(
            "querySpec",
            vec![Data::new("PerfQuerySpec").with("entity", &h).with("intervalId", 60)],
        ))
        .await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    says(&r.expect_err("fault").to_string(), &["60", "300"]);
}

/// The "adds up" test: for every real-time sample, a host's cpu.usagemhz
/// and mem.consumed are the sum of its running VMs' plus the hypervisor's
/// own (40–70 MHz, 1200–1264 MB); a powered-off VM reports no samples; the
/// host's latest sample is its summary.quickStats.
#[tokio::test]
async fn issue_12_host_perf_samples_add_up_to_its_vms_and_quick_stats() {
    let (sim, c) = logged_in().await;
    let ids = counter_ids(&sim);
    let (mhz, consumed) = (ids["cpu.usagemhz.average"], ids["mem.consumed.average"]);
    let (usage, uptime) = (ids["cpu.usage.average"], ids["sys.uptime.latest"]);
    let h = host(&sim, "DC0_H0");
    let (on, off) = (vm(&sim, "DC0_H0_VM0"), vm(&sim, "DC0_H0_VM1"));
    let t = c.ok(Request::new("PowerOffVM_Task", &off)).await;
    wait_task(&sim, &t).await;
    let quick = || {
        (
            prop_int(&sim, &h, "summary.quickStats.overallCpuUsage").expect("cpu"),
            prop_int(&sim, &h, "summary.quickStats.overallMemoryUsage").expect("mem"),
        )
    };
    let before = quick();
    let metrics = [mhz, consumed, usage, uptime];
    let r = c
        .ok(Request::new("QueryPerf", &pm()).arg(
            "querySpec",
            vec![
                spec(&h, &metrics, 6),
                spec(&on, &metrics, 6),
                spec(&off, &metrics, 6),
            ],
        ))
        .await;
    let after = quick();
    let (s, times) = series(&r);
    assert!(
        !times.contains_key(off.value.as_str()),
        "a powered-off VM has no samples"
    );
    let (hv, vv) = (h.value.to_string(), on.value.to_string());
    assert_eq!(times[&hv].len(), 6);
    assert_eq!(times[&hv], times[&vv], "the same sample times");
    let host_mhz = &s[&(hv.clone(), mhz)];
    let vm_mhz = &s[&(vv.clone(), mhz)];
    let host_kb = &s[&(hv.clone(), consumed)];
    let vm_kb = &s[&(vv.clone(), consumed)];
    for i in 0..6 {
        let cpu_overhead = host_mhz[i] - vm_mhz[i];
        assert!(
            (40..70).contains(&cpu_overhead),
            "sample {i}: {host_mhz:?} vs {vm_mhz:?}"
        );
        let mem_overhead = host_kb[i] - vm_kb[i];
        assert!(
            (1200 * 1024..1264 * 1024).contains(&mem_overhead),
            "sample {i}: {host_kb:?} vs {vm_kb:?}"
        );
    }
    // The simulator's own view of the latest sample is its quickStats
    // (read between two equal quickStats reads, so no sample boundary
    // fell in between).
    let own = loop {
        let q1 = quick();
        let own = sim.perf_latest(&h, "cpu.usagemhz.average");
        if quick() == q1 {
            break (own, q1.0);
        }
    };
    assert_eq!(own.0, Some(own.1));
    assert_eq!(sim.perf_latest(&off, "cpu.usagemhz.average"), None);
    // The VM's samples are its quickStats.
    assert_eq!(
        vm_mhz[5],
        testkit::vm_int(&sim, "DC0_H0_VM0", "summary.quickStats.overallCpuUsage").expect("vm cpu")
    );
    // The latest host sample is the quickStats read around the query (a
    // 20 s boundary may fall between the reads).
    let latest = (host_mhz[5], host_kb[5] / 1024);
    assert!(
        latest == before || latest == after,
        "{latest:?} vs {before:?} / {after:?}"
    );
    // cpu.usage is usagemhz over the host's capacity, in 1/100 %.
    let cores = prop_int(&sim, &h, "summary.hardware.numCpuCores").expect("cores");
    assert_eq!(
        s[&(hv.clone(), usage)][5],
        host_mhz[5] * 10_000 / (cores * 2200)
    );
    assert!(s[&(hv, uptime)][5] >= 0);
    // Historical intervals and csv.
    let hist = Data::new("PerfQuerySpec")
        .with("entity", &h)
        .with("intervalId", 300)
        .with("maxSample", 4)
        .with("format", "csv")
        .with(
            "metricId",
            vec![
                Data::new("PerfMetricId")
                    .with("counterId", mhz)
                    .with("instance", "*"),
            ],
        );
    let r = c
        .ok(Request::new("QueryPerf", &pm()).arg("querySpec", vec![hist]))
        .await;
    let m = r
        .as_ref()
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default();
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].as_data().map(|d| d.type_name.to_string()),
        Some("PerfEntityMetricCSV".into())
    );
    let info = m[0]
        .path("sampleInfoCSV")
        .and_then(Value::as_str)
        .expect("sampleInfoCSV");
    assert_eq!(info.split(',').count(), 8, "{info}");
    assert!(info.starts_with("300,"));
    let vals = m[0].path("value").expect("value").as_array()[0]
        .path("value")
        .and_then(Value::as_str)
        .expect("csv");
    assert_eq!(vals.split(',').count(), 4);
}
