//! `RelocateVM_Task` (issue 13): storage vMotion of a whole VM or one disk,
//! files really moving between datastores with free space following,
//! thin/thick conversion, host migration inside a cluster, and its events.

use vim25::{Data, MoRef, Request, Value};

use crate::logged_in;
use testkit::{has_event, last_event, prop_int, prop_str, says, task_fault, vm, wait_task};

fn ds(sim: &vcsim::Simulator, name: &str) -> MoRef {
    sim.find("Datastore", name).expect("datastore")
}

fn free(sim: &vcsim::Simulator, d: &MoRef) -> i64 {
    prop_int(sim, d, "summary.freeSpace").expect("freeSpace")
}

fn disk0(sim: &vcsim::Simulator, v: &MoRef) -> Data {
    sim.property(v, "config.hardware.device")
        .map(|l| l.as_array().to_vec())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| d.as_data().cloned())
        .find(|d| d.type_name.as_str() == "VirtualDisk")
        .expect("the VM has a disk")
}

fn message(info: &Data) -> String {
    info.path("error.localizedMessage")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn names(sim: &vcsim::Simulator, d: &MoRef, prefix: &str) -> Vec<String> {
    sim.datastore_files(d, prefix)
        .into_iter()
        .map(|(p, _)| p)
        .collect()
}

#[tokio::test]
async fn issue_13_relocate_moves_every_file_and_free_space_follows() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM1");
    let (local, nfs) = (ds(&sim, "LocalDS_0"), ds(&sim, "NFS_DS_0"));
    let before = names(&sim, &local, "DC0_H0_VM1/");
    assert!(before.iter().any(|p| p.ends_with(".vmdk")), "{before:?}");
    let used: i64 = sim
        .datastore_files(&local, "DC0_H0_VM1/")
        .iter()
        .map(|(_, f)| f.size)
        .sum();
    let (lf, nf) = (free(&sim, &local), free(&sim, &nfs));
    let spec = Data::new("VirtualMachineRelocateSpec").with("datastore", &nfs);
    let t = c
        .ok(Request::new("RelocateVM_Task", &v).arg("spec", spec))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert!(
        names(&sim, &local, "DC0_H0_VM1/").is_empty(),
        "gone from the source"
    );
    assert_eq!(
        names(&sim, &nfs, "DC0_H0_VM1/"),
        before,
        "all on the target"
    );
    assert_eq!(free(&sim, &local), lf + used);
    assert_eq!(free(&sim, &nfs), nf - used);
    assert_eq!(
        prop_str(&sim, &v, "config.files.vmPathName"),
        "[NFS_DS_0] DC0_H0_VM1/DC0_H0_VM1.vmx"
    );
    let d = disk0(&sim, &v);
    assert!(testkit::str_at(&d, "backing.fileName").is_some_and(|f| f.starts_with("[NFS_DS_0] ")));
    let dss = sim.property(&v, "datastore").expect("datastore list");
    assert_eq!(
        dss.as_array()
            .iter()
            .filter_map(|m| m.as_moref().cloned())
            .collect::<Vec<_>>(),
        vec![nfs.clone()]
    );
    let on_nfs = sim.property(&nfs, "vm").expect("vm list");
    assert!(on_nfs.as_array().iter().any(|m| m.as_moref() == Some(&v)));
    let msg = last_event(&sim, "VmRelocatedEvent").expect("a relocation without a host change");
    says(&msg, &["relocation", "DC0_H0_VM1"]);
    assert!(!has_event(&sim, "VmMigratedEvent"));
}

#[tokio::test]
async fn issue_13_one_disk_moves_by_disk_locator_and_becomes_thick() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let (local, nfs) = (ds(&sim, "LocalDS_0"), ds(&sim, "NFS_DS_0"));
    let d = disk0(&sim, &v);
    let key = testkit::int_at(&d, "key").expect("key");
    let file = testkit::str_at(&d, "backing.fileName")
        .expect("fileName")
        .to_string();
    let rel = file
        .split("] ")
        .nth(1)
        .expect("a datastore path")
        .to_string();
    let cap = sim
        .datastore_file(&local, &rel)
        .expect("disk file")
        .capacity;
    let nf = free(&sim, &nfs);
    let locator = Data::new("VirtualMachineRelocateSpecDiskLocator")
        .with("diskId", key)
        .with("datastore", &nfs)
        .with(
            "diskBackingInfo",
            Data::new("VirtualDiskFlatVer2BackingInfo")
                .with("fileName", "")
                .with("diskMode", "persistent")
                .with("thinProvisioned", false),
        );
    let lf = free(&sim, &local);
    assert!(
        sim.datastore_file(&local, &rel).expect("disk").thin,
        "the inventory's disks are thin"
    );
    let spec = Data::new("VirtualMachineRelocateSpec").with("disk", vec![locator]);
    let t = c
        .ok(Request::new("RelocateVM_Task", &v).arg("spec", spec))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert!(
        sim.datastore_file(&local, &rel).is_none(),
        "the disk left LocalDS_0"
    );
    let moved = sim
        .datastore_file(&nfs, &rel)
        .expect("the disk is on NFS_DS_0");
    assert!(
        !moved.thin && moved.size == cap && moved.capacity == cap,
        "{moved:?}"
    );
    assert_eq!(
        free(&sim, &nfs),
        nf - cap,
        "a thick disk takes its capacity"
    );
    assert_eq!(
        free(&sim, &local),
        lf,
        "the thin disk took nothing where it was"
    );
    let vmx = prop_str(&sim, &v, "config.files.vmPathName");
    assert!(vmx.starts_with("[LocalDS_0] "), "the home stays: {vmx}");
    assert!(
        sim.datastore_file(&local, vmx.trim_start_matches("[LocalDS_0] "))
            .is_some()
    );
    let d = disk0(&sim, &v);
    assert_eq!(testkit::flag(&d, "backing.thinProvisioned"), Some(false));
    assert_eq!(
        testkit::str_at(&d, "backing.fileName"),
        Some(format!("[NFS_DS_0] {rel}").as_str())
    );
    let dss = sim.property(&v, "datastore").expect("datastore list");
    assert_eq!(dss.as_array().len(), 2, "home and disk datastores");
}

#[tokio::test]
async fn issue_13_host_migration_inside_the_cluster_and_outside_needs_a_pool() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_C0_RP0_VM0");
    let from = sim
        .property(&v, "runtime.host")
        .and_then(|h| h.as_moref().cloned())
        .expect("host");
    let to = ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
        .iter()
        .filter_map(|n| sim.find("HostSystem", n))
        .find(|h| *h != from)
        .expect("another cluster host");
    let spec = Data::new("VirtualMachineRelocateSpec").with("host", &to);
    let t = c
        .ok(Request::new("RelocateVM_Task", &v).arg("spec", spec))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_eq!(
        sim.property(&v, "runtime.host")
            .and_then(|h| h.as_moref().cloned()),
        Some(to.clone())
    );
    let on = |h: &MoRef| {
        sim.property(h, "vm")
            .is_some_and(|l| l.as_array().iter().any(|m| m.as_moref() == Some(&v)))
    };
    assert!(on(&to) && !on(&from));
    let msg = last_event(&sim, "VmMigratedEvent").expect("a powered-on VM is migrated");
    says(&msg, &["DC0_C0_RP0_VM0", "completed"]);

    // A standalone host is another compute resource: a pool of it is needed.
    let standalone = sim.find("HostSystem", "DC0_H0").expect("DC0_H0");
    let spec = Data::new("VirtualMachineRelocateSpec").with("host", &standalone);
    let t = c
        .ok(Request::new("RelocateVM_Task", &v).arg("spec", spec))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "InvalidArgument");
    says(&message(&info), &["DC0_H0", "resource pool"]);
    assert_eq!(
        sim.property(&v, "runtime.host")
            .and_then(|h| h.as_moref().cloned()),
        Some(to)
    );
}

#[tokio::test]
async fn issue_13_relocate_onto_an_existing_file_fails_and_changes_nothing() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM1");
    let (local, nfs) = (ds(&sim, "LocalDS_0"), ds(&sim, "NFS_DS_0"));
    sim.write_datastore_file(&nfs, "DC0_H0_VM1/DC0_H0_VM1.vmx", b"other")
        .expect("set-up file");
    let before = names(&sim, &local, "DC0_H0_VM1/");
    let lf = free(&sim, &local);
    let spec = Data::new("VirtualMachineRelocateSpec").with("datastore", &nfs);
    let t = c
        .ok(Request::new("RelocateVM_Task", &v).arg("spec", spec))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "FileAlreadyExists");
    says(&message(&info), &["DC0_H0_VM1.vmx"]);
    assert_eq!(names(&sim, &local, "DC0_H0_VM1/"), before);
    assert_eq!(free(&sim, &local), lf);
    assert_eq!(
        sim.datastore_file_bytes(&nfs, "DC0_H0_VM1/DC0_H0_VM1.vmx")
            .as_deref(),
        Some(&b"other"[..])
    );
}

#[tokio::test]
async fn issue_13_relocating_onto_a_datastore_without_room_fails_with_no_disk_space() {
    let yaml = "datacenters:\n  - name: DC0\n    networks: [VM Network]\n    datastores:\n      \
                - name: LocalDS_0\n      - {name: Small, capacity_gb: 5, free_gb: 4, type: NFS}\n    \
                hosts:\n      - name: DC0_H0\n        vms:\n          - {name: big, disk_gb: 4, power: poweredOff}\n";
    let path = std::env::temp_dir().join(format!("vcsim-relocate-{}.yaml", std::process::id()));
    std::fs::write(&path, yaml).expect("the temp dir is writable");
    let (sim, c) = crate::start(vcsim::Config {
        inventory: vcsim::Inventory::File(path.clone()),
        ..vcsim::Config::default()
    })
    .await;
    let _ = std::fs::remove_file(&path);
    c.login().await;
    let v = vm(&sim, "big");
    let (local, small) = (ds(&sim, "LocalDS_0"), ds(&sim, "Small"));
    let before = names(&sim, &local, "big/");
    let sf = free(&sim, &small);
    let spec = Data::new("VirtualMachineRelocateSpec")
        .with("datastore", &small)
        .with("transform", "flat");
    let t = c
        .ok(Request::new("RelocateVM_Task", &v).arg("spec", spec))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "NoDiskSpace");
    says(&message(&info), &["Small", "bytes free", "needs"]);
    assert_eq!(names(&sim, &local, "big/"), before, "nothing moved");
    assert!(names(&sim, &small, "big/").is_empty());
    assert_eq!(free(&sim, &small), sf);
    // Thin, it fits.
    let spec = Data::new("VirtualMachineRelocateSpec").with("datastore", &small);
    let t = c
        .ok(Request::new("RelocateVM_Task", &v).arg("spec", spec))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_eq!(names(&sim, &small, "big/"), before);
}
