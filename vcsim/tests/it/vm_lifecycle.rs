use vim25::{Data, MoRef, Request, Value};

use crate::{add_nic, cluster_pool as pool, fault_type, logged_in, vm_folder};
use testkit::{has_event, last_event, prop_int, prop_str, task_fault, vm, wait_task};

fn create_spec(name: &str, net: &MoRef) -> Data {
    Data::new("VirtualMachineConfigSpec")
        .with("name", name)
        .with("numCPUs", 2)
        .with("memoryMB", 2048i64)
        .with("guestId", "ubuntu64Guest")
        .with(
            "files",
            Data::new("VirtualMachineFileInfo").with("vmPathName", "[LocalDS_0]"),
        )
        .with(
            "deviceChange",
            vec![
                Data::new("VirtualDeviceConfigSpec")
                    .with("operation", "add")
                    .with(
                        "device",
                        Data::new("VirtualLsiLogicController")
                            .with("key", -100)
                            .with("busNumber", 0)
                            .with("sharedBus", "noSharing"),
                    ),
                Data::new("VirtualDeviceConfigSpec")
                    .with("operation", "add")
                    .with("fileOperation", "create")
                    .with(
                        "device",
                        Data::new("VirtualDisk")
                            .with("key", -1)
                            .with("controllerKey", 1000)
                            .with("capacityInKB", 4 * 1024 * 1024i64)
                            .with(
                                "backing",
                                Data::new("VirtualDiskFlatVer2BackingInfo")
                                    .with("fileName", "")
                                    .with("diskMode", "persistent")
                                    .with("thinProvisioned", true),
                            ),
                    ),
                add_nic(net),
            ],
        )
}

#[tokio::test]
async fn create_vm_builds_devices_and_links_inventory() {
    let (sim, c) = logged_in().await;
    let net = sim.find("Network", "VM Network").expect("network");
    let folder = vm_folder(&sim);
    let t = c
        .ok(Request::new("CreateVM_Task", &folder)
            .arg("config", create_spec("new-vm", &net))
            .arg("pool", pool(&sim)))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(
        info.get("state").and_then(Value::as_str),
        Some("success"),
        "{info:?}"
    );
    let created = info
        .get("result")
        .and_then(Value::as_moref)
        .cloned()
        .expect("result is the VM");
    assert_eq!(sim.find("VirtualMachine", "new-vm"), Some(created.clone()));
    assert_eq!(prop_str(&sim, &created, "runtime.powerState"), "poweredOff");
    assert_eq!(prop_int(&sim, &created, "summary.config.numCpu"), Some(2));
    assert_eq!(
        prop_int(&sim, &created, "summary.config.numVirtualDisks"),
        Some(1)
    );
    assert_eq!(
        prop_int(&sim, &created, "summary.config.numEthernetCards"),
        Some(1)
    );
    let children = sim.property(&folder, "childEntity").expect("children");
    assert!(
        children
            .as_array()
            .iter()
            .any(|x| x.as_moref() == Some(&created))
    );
    let on_net = sim.property(&net, "vm").expect("network vms");
    assert!(
        on_net
            .as_array()
            .iter()
            .any(|x| x.as_moref() == Some(&created))
    );
    let disk_file = sim
        .property(&created, "config.hardware.device")
        .expect("devices")
        .as_array()
        .iter()
        .filter_map(Value::as_data)
        .find(|d| d.type_name == "VirtualDisk")
        .and_then(|d| {
            d.path("backing.fileName")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .expect("disk file");
    assert_eq!(disk_file, "[LocalDS_0] new-vm/new-vm.vmdk");
    assert!(last_event(&sim, "VmCreatedEvent").is_some_and(|m| m.contains("new-vm")));
    // Same name again in the same folder.
    let t = c
        .ok(Request::new("CreateVM_Task", &folder)
            .arg("config", create_spec("new-vm", &net))
            .arg("pool", pool(&sim)))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "DuplicateName");
}

#[tokio::test]
async fn destroy_refuses_a_running_vm_and_removes_a_stopped_one() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM1");
    let host = sim
        .property(&v, "runtime.host")
        .and_then(|x| x.as_moref().cloned())
        .expect("host");
    let info = wait_task(&sim, &c.ok(Request::new("Destroy_Task", &v)).await).await;
    assert_eq!(task_fault(&info), "InvalidPowerState");
    assert!(sim.find("VirtualMachine", "DC0_H0_VM1").is_some());
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    let info = wait_task(&sim, &c.ok(Request::new("Destroy_Task", &v)).await).await;
    assert_eq!(info.get("state").and_then(Value::as_str), Some("success"));
    assert!(sim.find("VirtualMachine", "DC0_H0_VM1").is_none());
    let host_vms = sim.property(&host, "vm").expect("host vms");
    assert!(!host_vms.as_array().iter().any(|x| x.as_moref() == Some(&v)));
    assert!(has_event(&sim, "VmRemovedEvent"));
    let r = c.check(Request::new("PowerOnVM_Task", &v)).await;
    assert_eq!(fault_type(&r), "ManagedObjectNotFound");
}

#[tokio::test]
async fn clone_copies_config_and_can_power_on() {
    let (sim, c) = logged_in().await;
    let src = vm(&sim, "DC0_H0_VM0");
    let spec = Data::new("VirtualMachineCloneSpec")
        .with("location", Data::new("VirtualMachineRelocateSpec"))
        .with("template", false)
        .with("powerOn", true);
    let t = c
        .ok(Request::new("CloneVM_Task", &src)
            .arg("folder", vm_folder(&sim))
            .arg("name", "clone1")
            .arg("spec", spec.clone()))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(
        info.get("state").and_then(Value::as_str),
        Some("success"),
        "{info:?}"
    );
    let cl = sim.find("VirtualMachine", "clone1").expect("clone exists");
    assert_eq!(prop_str(&sim, &cl, "runtime.powerState"), "poweredOn");
    assert_ne!(
        prop_str(&sim, &cl, "config.uuid"),
        prop_str(&sim, &src, "config.uuid")
    );
    assert!(has_event(&sim, "VmClonedEvent"));
    let t = c
        .ok(Request::new("CloneVM_Task", &src)
            .arg("folder", vm_folder(&sim))
            .arg("name", "clone1")
            .arg("spec", spec))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "DuplicateName");
}

#[tokio::test]
async fn reconfigure_respects_hot_add_and_changes_devices() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_C0_RP0_VM0");
    let reconfig = |spec: Data| Request::new("ReconfigVM_Task", &v).arg("spec", spec);
    let info = wait_task(
        &sim,
        &c.ok(reconfig(
            Data::new("VirtualMachineConfigSpec").with("numCPUs", 4),
        ))
        .await,
    )
    .await;
    assert_eq!(task_fault(&info), "InvalidPowerState");
    let info = wait_task(
        &sim,
        &c.ok(reconfig(
            Data::new("VirtualMachineConfigSpec").with("annotation", "hello"),
        ))
        .await,
    )
    .await;
    assert_eq!(info.get("state").and_then(Value::as_str), Some("success"));
    assert_eq!(prop_str(&sim, &v, "summary.config.annotation"), "hello");
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    let spec = Data::new("VirtualMachineConfigSpec")
        .with("numCPUs", 4)
        .with("memoryMB", 1024i64)
        .with(
            "deviceChange",
            vec![
                Data::new("VirtualDeviceConfigSpec")
                    .with("operation", "add")
                    .with("fileOperation", "create")
                    .with(
                        "device",
                        Data::new("VirtualDisk")
                            .with("key", -1)
                            .with("controllerKey", 1000)
                            .with("capacityInKB", 2048i64),
                    ),
            ],
        );
    wait_task(&sim, &c.ok(reconfig(spec)).await).await;
    assert_eq!(prop_int(&sim, &v, "config.hardware.numCPU"), Some(4));
    assert_eq!(prop_int(&sim, &v, "summary.config.numCpu"), Some(4));
    assert_eq!(
        prop_int(&sim, &v, "summary.config.memorySizeMB"),
        Some(1024)
    );
    assert_eq!(
        prop_int(&sim, &v, "summary.config.numVirtualDisks"),
        Some(2)
    );
    // Remove the NIC.
    let nic_key = sim
        .property(&v, "config.hardware.device")
        .expect("devices")
        .as_array()
        .iter()
        .filter_map(Value::as_data)
        .find(|d| d.type_name == "VirtualVmxnet3")
        .and_then(|d| d.get("key").and_then(Value::as_i64))
        .expect("nic key");
    let spec = Data::new("VirtualMachineConfigSpec").with(
        "deviceChange",
        vec![
            Data::new("VirtualDeviceConfigSpec")
                .with("operation", "remove")
                .with("device", Data::new("VirtualVmxnet3").with("key", nic_key)),
        ],
    );
    wait_task(&sim, &c.ok(reconfig(spec)).await).await;
    assert_eq!(
        prop_int(&sim, &v, "summary.config.numEthernetCards"),
        Some(0)
    );
    assert!(
        sim.property(&v, "network")
            .is_none_or(|n| n.as_array().is_empty())
    );
    assert!(has_event(&sim, "VmReconfiguredEvent"));
}

#[tokio::test]
async fn rename_refuses_a_sibling_name() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let info = wait_task(
        &sim,
        &c.ok(Request::new("Rename_Task", &v).arg("newName", "DC0_H0_VM1"))
            .await,
    )
    .await;
    assert_eq!(task_fault(&info), "DuplicateName");
    wait_task(
        &sim,
        &c.ok(Request::new("Rename_Task", &v).arg("newName", "fresh"))
            .await,
    )
    .await;
    assert_eq!(prop_str(&sim, &v, "name"), "fresh");
    assert_eq!(prop_str(&sim, &v, "config.name"), "fresh");
    assert!(has_event(&sim, "VmRenamedEvent"));
}

#[tokio::test]
async fn templates_round_trip() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let r = c.check(Request::new("MarkAsTemplate", &v)).await;
    assert_eq!(fault_type(&r), "InvalidPowerState");
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    c.ok(Request::new("MarkAsTemplate", &v)).await;
    assert_eq!(
        sim.property(&v, "summary.config.template")
            .and_then(|x| x.as_bool()),
        Some(true)
    );
    c.ok(Request::new("MarkAsVirtualMachine", &v).arg("pool", pool(&sim)))
        .await;
    assert_eq!(
        sim.property(&v, "config.template")
            .and_then(|x| x.as_bool()),
        Some(false)
    );
}
