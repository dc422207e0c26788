//! Templates (issue 13): `MarkAsTemplate` (powered off only; a template has
//! no pool), refusing power-on, `MarkAsVirtualMachine` (needs a pool), and
//! `CloneVM_Task` from a template with a relocate spec and `powerOn`.

use vim25::{Data, MoRef, Request, Value};

use crate::{cluster_pool, fault_type, logged_in, vm_folder};
use testkit::{power_state, prop_str, says, task_fault, vm, wait_task};

async fn template(sim: &vcsim::Simulator, c: &crate::Client, name: &str) -> MoRef {
    let v = vm(sim, name);
    wait_task(sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    c.ok(Request::new("MarkAsTemplate", &v)).await;
    v
}

#[tokio::test]
async fn issue_13_a_template_has_no_pool_and_refuses_power_on() {
    let (sim, c) = logged_in().await;
    let pool = sim
        .property(&vm(&sim, "DC0_H0_VM0"), "resourcePool")
        .and_then(|p| p.as_moref().cloned())
        .expect("pool");
    let t = template(&sim, &c, "DC0_H0_VM0").await;
    assert_eq!(
        sim.property(&t, "config.template")
            .and_then(|b| b.as_bool()),
        Some(true)
    );
    assert!(sim.property(&t, "resourcePool").is_none());
    let in_pool = sim
        .property(&pool, "vm")
        .is_some_and(|l| l.as_array().iter().any(|m| m.as_moref() == Some(&t)));
    assert!(!in_pool, "the pool no longer lists the template");
    let r = c.check(Request::new("PowerOnVM_Task", &t)).await;
    let info = match r {
        Ok(task) => wait_task(&sim, &task).await,
        Err(f) => panic!("PowerOn answers a task: {f}"),
    };
    assert_eq!(task_fault(&info), "NotSupported");
    says(
        info.path("error.localizedMessage")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        &["not supported", "template"],
    );
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOff");
    // Back to a VM: a pool is required.
    let r = c.check(Request::new("MarkAsVirtualMachine", &t)).await;
    assert_eq!(fault_type(&r), "InvalidArgument");
    let host = sim.find("HostSystem", "DC0_H0").expect("DC0_H0");
    c.ok(Request::new("MarkAsVirtualMachine", &t)
        .arg("pool", &pool)
        .arg("host", &host))
        .await;
    assert_eq!(
        sim.property(&t, "resourcePool")
            .and_then(|p| p.as_moref().cloned()),
        Some(pool)
    );
    assert_eq!(
        sim.property(&t, "config.template")
            .and_then(|b| b.as_bool()),
        Some(false)
    );
}

#[tokio::test]
async fn issue_13_clone_from_a_template_relocates_converts_and_powers_on() {
    let (sim, c) = logged_in().await;
    let t = template(&sim, &c, "DC0_H0_VM1").await;
    let nfs = sim.find("Datastore", "NFS_DS_0").expect("NFS_DS_0");
    let spec = Data::new("VirtualMachineCloneSpec")
        .with(
            "location",
            Data::new("VirtualMachineRelocateSpec")
                .with("datastore", &nfs)
                .with("pool", cluster_pool(&sim))
                .with("transform", "flat"),
        )
        .with("template", false)
        .with("powerOn", true);
    let task = c
        .ok(Request::new("CloneVM_Task", &t)
            .arg("folder", vm_folder(&sim))
            .arg("name", "from-template")
            .arg("spec", spec))
        .await;
    let info = wait_task(&sim, &task).await;
    assert_eq!(task_fault(&info), "");
    let v = info
        .get("result")
        .and_then(Value::as_moref)
        .cloned()
        .expect("the clone");
    assert_eq!(power_state(&sim, "from-template"), "poweredOn");
    assert_eq!(
        prop_str(&sim, &v, "config.files.vmPathName"),
        "[NFS_DS_0] from-template/from-template.vmx"
    );
    let files = sim.datastore_files(&nfs, "from-template/");
    let disk = files
        .iter()
        .find(|(p, _)| p.ends_with(".vmdk"))
        .expect("the disk is on NFS_DS_0");
    // The inventory's disks are thin; `flat` makes the copy thick.
    assert!(
        !disk.1.thin && disk.1.size == disk.1.capacity && disk.1.size > 0,
        "converted to thick: {:?}",
        disk.1
    );
    let host = sim
        .property(&v, "runtime.host")
        .and_then(|h| h.as_moref().cloned())
        .expect("host");
    assert!(
        prop_str(&sim, &host, "name").starts_with("DC0_C0_H"),
        "placed in the cluster"
    );
    // The template is untouched.
    assert_eq!(
        sim.property(&t, "config.template")
            .and_then(|b| b.as_bool()),
        Some(true)
    );
    assert_eq!(power_state(&sim, "DC0_H0_VM1"), "poweredOff");
}

#[tokio::test]
async fn issue_13_marking_a_running_vm_or_a_template_twice_fails() {
    let (sim, c) = logged_in().await;
    let r = c
        .check(Request::new("MarkAsTemplate", &vm(&sim, "DC0_C0_RP0_VM0")))
        .await;
    assert_eq!(fault_type(&r), "InvalidPowerState");
    let t = template(&sim, &c, "DC0_C0_RP0_VM1").await;
    let r = c.check(Request::new("MarkAsTemplate", &t)).await;
    assert_eq!(fault_type(&r), "NotSupported");
    let r = c
        .check(
            Request::new("MarkAsVirtualMachine", &vm(&sim, "DC0_H0_VM0"))
                .arg("pool", cluster_pool(&sim)),
        )
        .await;
    assert_eq!(fault_type(&r), "InvalidState");
}
