//! host_management reads (get_host_info, get_host_hardware,
//! get_host_networking) against the simulator: values compared with the
//! simulator's own host properties.

use serde_json::json;
use testkit::{has_result_keys, prop, prop_int, prop_str};

use crate::{env, says};

pub(crate) fn host(sim: &vcsim::Simulator, name: &str) -> vim25::MoRef {
    sim.find("HostSystem", name).unwrap()
}

#[tokio::test]
async fn get_host_info_reads_the_named_host_and_defaults_to_the_first() {
    let e = env().await;
    let h = host(&e.sim, "DC0_C0_H0");
    let r = e
        .json("get_host_info", json!({"host_name": "DC0_C0_H0"}))
        .await;
    has_result_keys("get_host_info", &r);
    assert_eq!(r["name"], "DC0_C0_H0");
    assert_eq!(r["uuid"], prop_str(&e.sim, &h, "summary.hardware.uuid"));
    assert_eq!(
        r["product"]["name"],
        prop_str(&e.sim, &h, "config.product.name")
    );
    assert_eq!(
        r["hardware"]["cpu_cores"],
        json!(prop_int(&e.sim, &h, "summary.hardware.numCpuCores"))
    );
    assert_eq!(r["status"]["connection_state"], "connected");
    assert_eq!(r["status"]["maintenance_mode"], false);
    let vnic = prop(&e.sim, &h, "config.network.vnic").unwrap();
    let ip = vnic.as_array()[0].path("spec.ip.ipAddress").unwrap();
    assert_eq!(r["management_ip"], ip.as_str().unwrap());
    // No host_name: the first host the inventory lists, as the original.
    let first = e.json("list_hosts", json!({})).await;
    let names: Vec<&str> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    let r = e.json("get_host_info", json!({})).await;
    assert!(names.contains(&r["name"].as_str().unwrap()), "{r}");
    e.sim.shutdown().await;
}

#[tokio::test]
async fn host_tools_name_an_unknown_host_and_list_the_known_ones() {
    let e = env().await;
    for tool in [
        "get_host_info",
        "get_host_hardware",
        "get_host_networking",
        "list_services",
        "get_ntp_config",
        "enter_maintenance_mode",
        "exit_maintenance_mode",
        "reboot_host",
        "shutdown_host",
        "get_host_stats",
    ] {
        says(
            &e.fails(tool, json!({"host_name": "ghost"})).await,
            &["Host 'ghost' not found", "DC0_H0", "DC0_C0_H1"],
        );
        says(
            &e.fails(tool, json!({"host_name": ""})).await,
            &["host_name", "empty"],
        );
    }
    for tool in ["start_service", "stop_service"] {
        says(
            &e.fails(tool, json!({"service_key": "ntpd", "host_name": "ghost"}))
                .await,
            &["Host 'ghost' not found"],
        );
    }
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_host_hardware_reports_bios_cpu_memory_pci_and_nics() {
    let e = env().await;
    let h = host(&e.sim, "DC0_C0_H1");
    let r = e
        .json("get_host_hardware", json!({"host_name": "DC0_C0_H1"}))
        .await;
    has_result_keys("get_host_hardware", &r);
    assert_eq!(r["host"], "DC0_C0_H1");
    assert_eq!(r["uuid"], prop_str(&e.sim, &h, "hardware.systemInfo.uuid"));
    assert_eq!(
        r["bios"]["vendor"],
        prop_str(&e.sim, &h, "hardware.biosInfo.vendor")
    );
    assert_eq!(
        r["cpu"]["packages"],
        json!(prop_int(&e.sim, &h, "hardware.cpuInfo.numCpuPackages"))
    );
    assert_eq!(
        r["cpu"]["mhz"],
        json!(prop_int(&e.sim, &h, "hardware.cpuInfo.hz").unwrap() / 1_000_000)
    );
    assert_eq!(
        r["memory"]["total_bytes"],
        json!(prop_int(&e.sim, &h, "hardware.memorySize"))
    );
    let pci = prop(&e.sim, &h, "hardware.pciDevice").unwrap();
    assert_eq!(
        r["pci_devices"].as_array().unwrap().len(),
        pci.as_array().len()
    );
    let pnic = prop(&e.sim, &h, "config.network.pnic").unwrap();
    let nics = r["network_adapters"].as_array().unwrap();
    assert_eq!(nics.len(), pnic.as_array().len());
    assert_eq!(
        nics[0]["mac"],
        pnic.as_array()[0].path("mac").unwrap().as_str().unwrap()
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_host_networking_reports_switches_port_groups_vmkernel_and_dns() {
    let e = env().await;
    let h = host(&e.sim, "DC0_C0_H0");
    let r = e
        .json("get_host_networking", json!({"host_name": "DC0_C0_H0"}))
        .await;
    has_result_keys("get_host_networking", &r);
    assert_eq!(r["vswitches"][0]["name"], "vSwitch0");
    let groups: Vec<&str> = r["portgroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert!(groups.contains(&"Management Network"), "{groups:?}");
    let n = prop(&e.sim, &h, "config.network.portgroup").unwrap();
    assert_eq!(groups.len(), n.as_array().len());
    assert_eq!(r["vmkernel_adapters"][0]["device"], "vmk0");
    assert_eq!(
        r["dns"]["domain_name"],
        prop_str(&e.sim, &h, "config.network.dnsConfig.domainName")
    );
    assert_eq!(
        r["dns"]["servers"],
        json!(
            prop(&e.sim, &h, "config.network.dnsConfig.address")
                .unwrap()
                .strings()
        )
    );
    e.sim.shutdown().await;
}
