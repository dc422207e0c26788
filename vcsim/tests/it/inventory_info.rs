//! Inventory information beyond VMs: the AboutInfo of each personality,
//! resource pools' config and the runtime usage their powered-on VMs add up
//! to, networks' and datastores' host and VM lists as VMs come and go,
//! templates, and the datastore types a fixture may declare.

use vcsim::{Config, Inventory, Personality, Simulator};
use vim25::{MoRef, Request, Value};

use crate::{Client, logged_in, mo, start};
use testkit::{prop_int, prop_str, says, task_fault, vm, wait_task};

async fn task(sim: &Simulator, c: &Client, method: &str, v: &MoRef) {
    let info = wait_task(sim, &c.ok(Request::new(method, v)).await).await;
    assert_eq!(task_fault(&info), "", "{method}: {info:?}");
}

fn refs(sim: &Simulator, m: &MoRef, path: &str) -> Vec<MoRef> {
    sim.property(m, path)
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(Value::as_moref)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn issue_11_about_info_follows_the_personality() {
    for (p, api, name, line) in [
        (
            Personality::VCenter,
            "VirtualCenter",
            "VMware vCenter Server",
            "vpx",
        ),
        (Personality::Esxi, "HostAgent", "VMware ESXi", "embeddedEsx"),
    ] {
        let (sim, c) = start(Config {
            personality: p,
            ..Config::default()
        })
        .await;
        let content = c
            .ok(Request::new(
                "RetrieveServiceContent",
                &mo("ServiceInstance", "ServiceInstance"),
            ))
            .await
            .and_then(|v| v.as_data().cloned())
            .expect("ServiceContent");
        let about = content
            .get("about")
            .and_then(Value::as_data)
            .expect("about");
        assert_eq!(about.get("apiType").and_then(Value::as_str), Some(api));
        assert_eq!(about.get("name").and_then(Value::as_str), Some(name));
        assert_eq!(
            about.get("productLineId").and_then(Value::as_str),
            Some(line)
        );
        let full = about.get("fullName").and_then(Value::as_str).unwrap_or("");
        assert!(
            full.starts_with(name) && full.contains("8.0.3 build-"),
            "{full}"
        );
        // The ServiceInstance's own property says the same.
        let si = mo("ServiceInstance", "ServiceInstance");
        assert_eq!(prop_str(&sim, &si, "content.about.apiType"), api);
        assert_eq!(
            sim.property(&si, "content.about.instanceUuid").is_some(),
            p == Personality::VCenter,
            "only vCenter has an instanceUuid"
        );
    }
}

/// `(cpu MHz, memory bytes)` the pool's powered-on VMs use, from the VMs themselves.
fn vm_usage(sim: &Simulator, pool: &MoRef) -> (i64, i64) {
    refs(sim, pool, "vm")
        .iter()
        .filter(|v| prop_str(sim, v, "runtime.powerState") == "poweredOn")
        .map(|v| {
            (
                prop_int(sim, v, "summary.quickStats.overallCpuUsage").unwrap_or(0),
                prop_int(sim, v, "summary.quickStats.hostMemoryUsage").unwrap_or(0) << 20,
            )
        })
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

fn pool_usage(sim: &Simulator, pool: &MoRef) -> (i64, i64) {
    (
        prop_int(sim, pool, "runtime.cpu.overallUsage").expect("cpu usage"),
        prop_int(sim, pool, "runtime.memory.overallUsage").expect("memory usage"),
    )
}

#[tokio::test]
async fn issue_11_resource_pools_have_config_and_usage_that_follows_their_vms() {
    let (sim, c) = logged_in().await;
    let cluster = sim
        .find("ClusterComputeResource", "DC0_C0")
        .expect("cluster");
    let pool = sim
        .property(&cluster, "resourcePool")
        .and_then(|v| v.as_moref().cloned())
        .expect("root pool");
    let total_cpu = prop_int(&sim, &cluster, "summary.totalCpu").expect("totalCpu");
    let total_mem = prop_int(&sim, &cluster, "summary.totalMemory").expect("totalMemory");
    assert_eq!(
        prop_int(&sim, &pool, "config.cpuAllocation.reservation"),
        Some(total_cpu)
    );
    assert_eq!(
        prop_int(&sim, &pool, "config.cpuAllocation.limit"),
        Some(total_cpu)
    );
    assert_eq!(
        prop_int(&sim, &pool, "config.memoryAllocation.limit"),
        Some(total_mem >> 20)
    );
    assert_eq!(
        prop_str(&sim, &pool, "config.memoryAllocation.shares.level"),
        "normal"
    );
    assert_eq!(
        sim.property(&pool, "config.cpuAllocation.expandableReservation")
            .and_then(|v| v.as_bool()),
        Some(false)
    );
    assert_eq!(
        prop_int(&sim, &pool, "runtime.memory.maxUsage"),
        Some(total_mem)
    );
    let before = pool_usage(&sim, &pool);
    assert_eq!(before, vm_usage(&sim, &pool));
    assert!(before.1 > 0, "the cluster's VMs start powered on");
    assert_eq!(
        prop_int(&sim, &pool, "summary.quickStats.overallCpuUsage"),
        Some(before.0)
    );
    let v = vm(&sim, "DC0_C0_RP0_VM0");
    task(&sim, &c, "PowerOffVM_Task", &v).await;
    let off = pool_usage(&sim, &pool);
    assert_eq!(off, vm_usage(&sim, &pool));
    assert!(
        off.1 < before.1,
        "a powered-off VM uses nothing: {off:?} vs {before:?}"
    );
    task(&sim, &c, "PowerOnVM_Task", &v).await;
    assert_eq!(pool_usage(&sim, &pool), before);
}

#[tokio::test]
async fn issue_11_network_and_datastore_lists_move_with_vms_and_templates_are_marked() {
    let (sim, c) = logged_in().await;
    let net = sim.find("Network", "VM Network").expect("VM Network");
    let ds = sim.find("Datastore", "LocalDS_0").expect("datastore");
    let hosts = sim.objects("HostSystem");
    let on_net = refs(&sim, &net, "host");
    assert!(
        hosts.iter().all(|h| on_net.contains(h)),
        "every DC0 host is on VM Network"
    );
    let v = vm(&sim, "DC0_H0_VM1");
    assert!(refs(&sim, &net, "vm").contains(&v));
    assert!(refs(&sim, &ds, "vm").contains(&v));
    task(&sim, &c, "PowerOffVM_Task", &v).await;
    c.ok(Request::new("MarkAsTemplate", &v)).await;
    for path in ["config.template", "summary.config.template"] {
        assert_eq!(
            sim.property(&v, path).and_then(|x| x.as_bool()),
            Some(true),
            "{path}"
        );
    }
    task(&sim, &c, "Destroy_Task", &v).await;
    assert!(
        !refs(&sim, &net, "vm").contains(&v),
        "the network forgets a destroyed VM"
    );
    assert!(
        !refs(&sim, &ds, "vm").contains(&v),
        "the datastore forgets a destroyed VM"
    );
}

async fn fixture(tag: &str, datastores: &str) -> anyhow::Result<Simulator> {
    let yaml = format!(
        "datacenters:\n  - name: DC0\n    networks: [VM Network]\n    datastores:\n{datastores}    \
         hosts:\n      - name: H0\n"
    );
    let path = std::env::temp_dir().join(format!("vcsim-info-{}-{tag}.yaml", std::process::id()));
    std::fs::write(&path, yaml).expect("the temp dir is writable");
    let r = vcsim::start(Config {
        inventory: Inventory::File(path.clone()),
        ..Config::default()
    })
    .await;
    let _ = std::fs::remove_file(&path);
    r
}

#[tokio::test]
async fn issue_11_fixture_datastores_have_their_type_url_info_and_state() {
    let sim = fixture(
        "types",
        "      - name: LocalDS_0\n      - {name: nfs1, type: NFS}\n      \
         - {name: vsan1, type: vsan, accessible: false, maintenance_mode: inMaintenance}\n",
    )
    .await
    .expect("the fixture builds");
    let url = |n: &str| prop_str(&sim, &sim.find("Datastore", n).expect("ds"), "summary.url");
    let info_type = |n: &str| {
        sim.property(&sim.find("Datastore", n).expect("ds"), "info")
            .and_then(|v| v.as_data().map(|d| d.type_name.to_string()))
            .unwrap_or_default()
    };
    assert_eq!(info_type("LocalDS_0"), "VmfsDatastoreInfo");
    assert_eq!(info_type("nfs1"), "NasDatastoreInfo");
    assert_eq!(info_type("vsan1"), "VsanDatastoreInfo");
    let nfs = url("nfs1");
    let id = nfs
        .trim_start_matches("ds:///vmfs/volumes/")
        .trim_end_matches('/');
    assert!(
        id.len() == 17 && id.as_bytes()[8] == b'-' && nfs.ends_with('/'),
        "an NFS url is two hex halves: {nfs}"
    );
    assert!(
        url("vsan1").starts_with("ds:///vmfs/volumes/vsan:"),
        "{}",
        url("vsan1")
    );
    let nfs1 = sim.find("Datastore", "nfs1").expect("nfs1");
    assert_eq!(prop_str(&sim, &nfs1, "summary.type"), "NFS");
    let info = sim
        .property(&nfs1, "info")
        .and_then(|v| v.as_data().cloned())
        .expect("info");
    assert_eq!(testkit::str_at(&info, "nas.type"), Some("NFS"));
    assert_eq!(
        testkit::str_at(&info, "nas.remotePath"),
        Some("/export/nfs1")
    );
    let vsan = sim.find("Datastore", "vsan1").expect("vsan1");
    assert_eq!(
        sim.property(&vsan, "summary.accessible")
            .and_then(|v| v.as_bool()),
        Some(false)
    );
    assert_eq!(
        prop_str(&sim, &vsan, "summary.maintenanceMode"),
        "inMaintenance"
    );
    // The host mounts all three, and its browser searches them.
    let h = sim.find("HostSystem", "H0").expect("host");
    assert_eq!(refs(&sim, &h, "datastore").len(), 3);
    let b = sim
        .property(&h, "datastoreBrowser")
        .and_then(|v| v.as_moref().cloned())
        .expect("browser");
    assert_eq!(refs(&sim, &b, "datastore").len(), 3);
    let err = fixture("badtype", "      - {name: x, type: ZFS}\n")
        .await
        .expect_err("an unknown type is refused");
    says(&format!("{err:#}"), &["ZFS", "VMFS", "NFS", "vsan"]);
}

#[tokio::test]
async fn issue_11_a_network_lists_the_vms_whose_nics_it_backs() {
    use vim25::spec::{Mac, NewNic, NicBacking, nic_add, nic_remove};
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let pg = sim
        .find("DistributedVirtualPortgroup", "DC0_DVPG0")
        .expect("DC0_DVPG0");
    let uuid = prop_str(
        &sim,
        &sim.find("VmwareDistributedVirtualSwitch", "DVS0")
            .expect("DVS0"),
        "uuid",
    );
    assert!(!refs(&sim, &pg, "vm").contains(&v));
    let add = nic_add(&NewNic {
        key: -1,
        type_name: "VirtualVmxnet3".into(),
        backing: NicBacking::Distributed {
            switch_uuid: uuid,
            portgroup_key: pg.value.to_string(),
        },
        mac: Mac::Generated,
        start_connected: true,
        connected: false,
    })
    .expect("a NIC spec");
    let l = crate::devices_rules::applied(&sim, &c, &v, vec![add]).await;
    assert!(
        refs(&sim, &pg, "vm").contains(&v),
        "the port group lists the VM"
    );
    assert!(refs(&sim, &v, "network").contains(&pg));
    let nic = l
        .by_label("Network adapter 2")
        .expect("the new NIC")
        .clone();
    crate::devices_rules::applied(
        &sim,
        &c,
        &v,
        vec![nic_remove(&nic).expect("a removal spec")],
    )
    .await;
    assert!(
        !refs(&sim, &pg, "vm").contains(&v),
        "and forgets it with the NIC"
    );
}

#[tokio::test]
async fn issue_11_an_inaccessible_datastore_can_be_neither_browsed_nor_changed() {
    let sim = fixture(
        "offline",
        "      - name: LocalDS_0\n      - {name: gone, accessible: false}\n",
    )
    .await
    .expect("the fixture builds");
    let c = Client::new(&sim);
    c.login().await;
    let gone = sim.find("Datastore", "gone").expect("gone");
    let browser = sim
        .property(&gone, "browser")
        .and_then(|v| v.as_moref().cloned())
        .expect("browser");
    let t = c
        .ok(Request::new("SearchDatastore_Task", &browser).arg("datastorePath", "[gone] iso"))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "InaccessibleDatastore");
    let f = c
        .check(
            Request::new("MakeDirectory", &mo("FileManager", "FileManager"))
                .arg("name", "[gone] x"),
        )
        .await
        .expect_err("an inaccessible datastore is refused");
    assert_eq!(f.fault_type(), Some("InaccessibleDatastore"));
    says(&f.to_string(), &["gone", "not accessible"]);
    assert!(!sim.datastore_folder_exists(&gone, "x"));
    let cookie = format!("vmware_soap_session={}", c.cookie().expect("cookie"));
    let r = reqwest::Client::new()
        .get(format!(
            "http://{}/folder/iso/a.iso?dcPath=DC0&dsName=gone",
            sim.addr()
        ))
        .header("Cookie", cookie)
        .send()
        .await
        .expect("the door answers");
    assert_eq!(r.status().as_u16(), 404);
}
