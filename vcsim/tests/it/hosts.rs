//! Issue 12: hosts carry full data (hardware, config, runtime) and
//! quickStats that add up the VMs running on them.

use vim25::{Request, Value};

use crate::logged_in;
use testkit::{prop, prop_int, prop_str, vm, wait_task};

pub(crate) fn host(sim: &vcsim::Simulator, name: &str) -> vim25::MoRef {
    sim.find("HostSystem", name)
        .unwrap_or_else(|| panic!("the simulator has a host named {name}"))
}

#[tokio::test]
async fn issue_12_host_hardware_config_and_runtime_are_populated() {
    let (sim, _c) = logged_in().await;
    let h = host(&sim, "DC0_C0_H0");
    assert_eq!(
        prop_int(&sim, &h, "hardware.cpuInfo.numCpuPackages"),
        Some(2)
    );
    assert_eq!(prop_int(&sim, &h, "hardware.cpuInfo.numCpuCores"), Some(4));
    assert_eq!(
        prop_int(&sim, &h, "hardware.cpuInfo.hz"),
        Some(2_200_000_000)
    );
    assert_eq!(
        prop_int(&sim, &h, "hardware.memorySize"),
        prop_int(&sim, &h, "summary.hardware.memorySize")
    );
    let pkgs = prop(&sim, &h, "hardware.cpuPkg").expect("cpuPkg");
    assert_eq!(pkgs.as_array().len(), 2);
    assert!(
        !prop(&sim, &h, "hardware.pciDevice")
            .expect("pci")
            .as_array()
            .is_empty()
    );
    assert_eq!(
        prop_str(&sim, &h, "hardware.systemInfo.uuid"),
        prop_str(&sim, &h, "summary.hardware.uuid")
    );
    assert_eq!(
        prop_str(&sim, &h, "hardware.biosInfo.vendor"),
        "VMware, Inc."
    );
    assert_eq!(prop_str(&sim, &h, "config.product.name"), "VMware ESXi");
    let vnic = prop(&sim, &h, "config.network.vnic").expect("vnic");
    let vmk0 = vnic.as_array()[0].as_data().expect("HostVirtualNic");
    assert_eq!(testkit::str_at(vmk0, "device"), Some("vmk0"));
    assert!(
        testkit::str_at(vmk0, "spec.ip.ipAddress").is_some_and(|ip| ip.starts_with("192.168.")),
        "{vmk0:?}"
    );
    let groups: Vec<String> = prop(&sim, &h, "config.network.portgroup")
        .expect("portgroup")
        .as_array()
        .iter()
        .filter_map(|p| {
            p.path("spec.name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    assert!(groups.contains(&"VM Network".to_string()), "{groups:?}");
    assert!(groups.contains(&"Management Network".to_string()));
    assert_eq!(
        prop(&sim, &h, "config.network.pnic")
            .expect("pnic")
            .as_array()
            .len(),
        2
    );
    assert_eq!(
        prop_str(&sim, &h, "config.network.dnsConfig.domainName"),
        "vcsim.local"
    );
    assert_eq!(prop_str(&sim, &h, "runtime.connectionState"), "connected");
    assert_eq!(prop_str(&sim, &h, "runtime.powerState"), "poweredOn");
    assert!(!prop_str(&sim, &h, "runtime.bootTime").is_empty());
    for m in ["serviceSystem", "dateTimeSystem", "networkSystem"] {
        let mgr = prop(&sim, &h, &format!("configManager.{m}"))
            .and_then(|v| v.as_moref().cloned())
            .unwrap_or_else(|| panic!("configManager.{m}"));
        assert!(sim.objects(&mgr.kind).contains(&mgr), "{mgr} exists");
    }
    let cl = sim
        .find("ClusterComputeResource", "DC0_C0")
        .expect("cluster");
    let cfg = prop(&sim, &cl, "configurationEx").expect("configurationEx");
    assert_eq!(
        cfg.path("drsConfig.enabled").and_then(|v| v.as_bool()),
        Some(true),
        "{cfg:?}"
    );
}

/// A host's quickStats are its running VMs' plus the hypervisor's
/// overhead; powering a VM off takes exactly its share away.
#[tokio::test]
async fn issue_12_host_quick_stats_move_with_running_vms() {
    let (sim, c) = logged_in().await;
    let h = host(&sim, "DC0_H0");
    let usage = |name: &str| {
        (
            testkit::vm_int(&sim, name, "summary.quickStats.overallCpuUsage").unwrap_or(0),
            testkit::vm_int(&sim, name, "summary.quickStats.hostMemoryUsage").unwrap_or(0),
        )
    };
    let (cpu0, mem0) = (
        prop_int(&sim, &h, "summary.quickStats.overallCpuUsage").expect("cpu"),
        prop_int(&sim, &h, "summary.quickStats.overallMemoryUsage").expect("mem"),
    );
    let (vcpu, vmem) = usage("DC0_H0_VM0");
    assert!(vcpu > 0 && vmem > 0);
    let (ocpu, omem) = usage("DC0_H0_VM1");
    assert!(cpu0 > vcpu + ocpu, "overhead on top of the VMs: {cpu0}");
    assert!(mem0 > vmem + omem);
    assert!(prop_int(&sim, &h, "summary.quickStats.uptime").is_some());
    let t = c
        .ok(Request::new("PowerOffVM_Task", &vm(&sim, "DC0_H0_VM0")))
        .await;
    wait_task(&sim, &t).await;
    let (cpu1, mem1) = (
        prop_int(&sim, &h, "summary.quickStats.overallCpuUsage").expect("cpu"),
        prop_int(&sim, &h, "summary.quickStats.overallMemoryUsage").expect("mem"),
    );
    // Same sample (no 20 s boundary between the reads) or not, the VM's share is gone.
    let overhead = |cpu: i64, mem: i64, vms: (i64, i64)| (cpu - vms.0, mem - vms.1);
    let (oc0, om0) = overhead(cpu0, mem0, (vcpu + ocpu, vmem + omem));
    let (oc1, om1) = overhead(cpu1, mem1, (ocpu, omem));
    assert!(
        (40..70).contains(&oc0) && (40..70).contains(&oc1),
        "{oc0} {oc1}"
    );
    assert!((1200..1264).contains(&om0) && (1200..1264).contains(&om1));
}

/// quickStats move with (simulated) time: uptime grows, and the latest
/// real-time sample moves with the clock and still equals quickStats.
#[tokio::test]
async fn issue_12_host_quick_stats_move_with_the_clock() {
    let (sim, c) = logged_in().await;
    let h = host(&sim, "DC0_C0_H0");
    let pm = crate::mo("PerformanceManager", "PerfMgr");
    let latest = |r: &Option<Value>| {
        let m = r
            .as_ref()
            .map(|v| v.as_array()[0].clone())
            .expect("one entity");
        let stamp = m.path("sampleInfo").expect("samples").as_array()[0]
            .path("timestamp")
            .and_then(Value::as_str)
            .expect("timestamp")
            .to_string();
        let v = m.path("value").expect("value").as_array()[0]
            .path("value")
            .expect("values")
            .as_array()[0]
            .as_i64()
            .expect("an int");
        (
            chrono::DateTime::parse_from_rfc3339(&stamp)
                .expect("dateTime")
                .timestamp(),
            v,
        )
    };
    let query = || {
        Request::new("QueryPerf", &pm).arg(
            "querySpec",
            vec![
                vim25::Data::new("PerfQuerySpec")
                    .with("entity", &h)
                    .with("intervalId", 20)
                    .with("maxSample", 1)
                    .with(
                        "metricId",
                        vec![
                            vim25::Data::new("PerfMetricId")
                                .with("counterId", 5)
                                .with("instance", ""),
                        ],
                    ),
            ],
        )
    };
    let up0 = prop_int(&sim, &h, "summary.quickStats.uptime").expect("uptime");
    let (t0, _) = latest(&c.ok(query()).await);
    sim.advance_clock(std::time::Duration::from_secs(600));
    let up1 = prop_int(&sim, &h, "summary.quickStats.uptime").expect("uptime");
    assert!(up1 >= up0 + 600, "{up0} → {up1}");
    let cpu = || prop_int(&sim, &h, "summary.quickStats.overallCpuUsage").expect("cpu");
    let before = cpu();
    let r = c.ok(query()).await;
    let after = cpu();
    let (t1, v1) = latest(&r);
    assert!(t1 >= t0 + 600, "the latest sample moved: {t0} → {t1}");
    // (A 20 s boundary of the statistics timer may fall between the reads.)
    assert!(
        v1 == before || v1 == after,
        "still the host's quickStats: {v1} vs {before}/{after}"
    );
}
