//! A VM's files through its life and its snapshots: created with it,
//! copied by a clone, deleted with it; snapshot delta files made, replaced on
//! revert and consolidated on removal. The space each step moves is read
//! from the simulator's file table and its datastore's summary.

use vcsim::Simulator;
use vcsim::datastore_files::FileKind;
use vim25::devices::DeviceList;
use vim25::spec::{self, Provisioning};
use vim25::{Data, MoRef, Request, Value};

use crate::datastore_files::{
    GB_KB, assert_space_is_the_files, devices, disk_file, ds, file, free, layout_names, new_disk,
    run, take,
};
use crate::{cluster_pool, logged_in, vm_folder};
use testkit::{prop_int, task_fault, vm, wait_task};

fn top_and_parent(sim: &Simulator, v: &MoRef) -> (String, Option<String>) {
    let l = devices(sim, v);
    let d = l.by_label("Hard disk 1").expect("disk");
    (
        disk_file(d),
        d.path("backing.parent.fileName")
            .and_then(Value::as_str)
            .map(str::to_string),
    )
}
#[tokio::test]
async fn snapshots_make_delta_files_that_revert_and_removal_consolidate() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let base = "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmdk".to_string();
    let delta1 = "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0-000001.vmdk".to_string();
    let delta2 = "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0-000002.vmdk".to_string();
    let free0 = free(&sim);
    // A running VM's memory snapshot: state and memory files, one delta.
    let s1 = take(&sim, &c, &v, "s1", true).await;
    assert_eq!(
        top_and_parent(&sim, &v),
        (delta1.clone(), Some(base.clone()))
    );
    let delta = file(&sim, "DC0_H0_VM0/DC0_H0_VM0-000001.vmdk").expect("delta file");
    assert_eq!(delta.kind, FileKind::DeltaDisk);
    let vmsn = file(&sim, "DC0_H0_VM0/DC0_H0_VM0-Snapshot1.vmsn").expect("state file");
    let mem = prop_int(&sim, &v, "config.hardware.memoryMB").expect("memory") << 20;
    let vmem = file(&sim, "DC0_H0_VM0/DC0_H0_VM0-Snapshot1.vmem").expect("memory file");
    assert_eq!(vmem.size, mem);
    assert_eq!(free(&sim), free0 - vmsn.size - vmem.size - delta.size);
    assert_space_is_the_files(&sim, "snapshot taken");
    // The snapshot keeps the backing the disk had.
    let held = sim
        .property(&s1, "config.hardware.device")
        .map(|d| DeviceList::from_value(&d))
        .expect("snapshot devices");
    assert_eq!(disk_file(held.by_label("Hard disk 1").expect("disk")), base);
    // layoutEx names the snapshot's state and memory files by key.
    let snap_layout = sim
        .property(&v, "layoutEx.snapshot")
        .expect("snapshot layouts");
    let first = snap_layout.as_array()[0].clone();
    assert_eq!(first.path("key").and_then(Value::as_moref), Some(&s1));
    let files = sim.property(&v, "layoutEx.file").expect("files");
    let name_of = |k: &str| {
        let key = first.path(k).and_then(Value::as_i64);
        files
            .as_array()
            .iter()
            .find(|f| f.path("key").and_then(Value::as_i64) == key)
            .and_then(|f| f.path("name").and_then(Value::as_str).map(str::to_string))
    };
    assert_eq!(
        name_of("dataKey").as_deref(),
        Some("[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0-Snapshot1.vmsn")
    );
    assert_eq!(
        name_of("memoryKey").as_deref(),
        Some("[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0-Snapshot1.vmem")
    );
    // A second snapshot freezes the first delta.
    let s2 = take(&sim, &c, &v, "s2", false).await;
    assert_eq!(
        top_and_parent(&sim, &v),
        (delta2.clone(), Some(delta1.clone()))
    );
    assert!(layout_names(&sim, &v).iter().any(|(n, _, _)| n == &delta2));
    // Revert to s1: the delta written since is replaced by a fresh one on the base.
    run(&sim, &c, Request::new("RevertToSnapshot_Task", &s1)).await;
    let (top, parent) = top_and_parent(&sim, &v);
    assert_eq!(parent, Some(base.clone()));
    assert!(!top.is_empty() && top != delta1 && top != base);
    assert!(
        file(&sim, "DC0_H0_VM0/DC0_H0_VM0-000002.vmdk").is_none(),
        "old delta gone"
    );
    assert_space_is_the_files(&sim, "reverted");
    // Remove s2: its delta (child of s1's file, which s1 still holds) is merged away.
    run(
        &sim,
        &c,
        Request::new("RemoveSnapshot_Task", &s2).arg("removeChildren", false),
    )
    .await;
    assert!(file(&sim, "DC0_H0_VM0/DC0_H0_VM0-000001.vmdk").is_none());
    assert!(file(&sim, "DC0_H0_VM0/DC0_H0_VM0-Snapshot2.vmsn").is_none());
    assert_space_is_the_files(&sim, "s2 removed");
    // Remove all: back on the base disk, no deltas, no snapshot files.
    run(&sim, &c, Request::new("RemoveAllSnapshots_Task", &v)).await;
    assert_eq!(top_and_parent(&sim, &v), (base, None));
    let left: Vec<String> = sim
        .datastore_files(&ds(&sim), "DC0_H0_VM0/")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        left,
        vec![
            "DC0_H0_VM0/DC0_H0_VM0.nvram".to_string(),
            "DC0_H0_VM0/DC0_H0_VM0.vmdk".to_string(),
            "DC0_H0_VM0/DC0_H0_VM0.vmx".to_string(),
        ]
    );
    assert_eq!(free(&sim), free0);
    assert_space_is_the_files(&sim, "all removed");
}

#[tokio::test]
async fn create_clone_and_destroy_move_the_vms_files() {
    let (sim, c) = logged_in().await;
    let free0 = free(&sim);
    let spec = Data::new("VirtualMachineConfigSpec")
        .with("name", "files-vm")
        .with("memoryMB", 64i64)
        .with(
            "files",
            Data::new("VirtualMachineFileInfo").with("vmPathName", "[LocalDS_0]"),
        )
        .with(
            "deviceChange",
            vec![
                spec::scsi_controller_add(-100, "VirtualLsiLogicController", 0).expect("valid"),
                {
                    let mut d = new_disk(GB_KB, Provisioning::Thick, None);
                    if let Some(dev) = d.get_mut("device").and_then(Value::data_mut) {
                        dev.set("controllerKey", -100);
                        dev.set("unitNumber", 0);
                    }
                    d
                },
            ],
        );
    let t = c
        .ok(Request::new("CreateVM_Task", &vm_folder(&sim))
            .arg("config", spec)
            .arg("pool", cluster_pool(&sim)))
        .await;
    let info = wait_task(&sim, &t).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
    let created = vm(&sim, "files-vm");
    let files = sim.datastore_files(&ds(&sim), "files-vm/");
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "files-vm/files-vm.nvram",
            "files-vm/files-vm.vmdk",
            "files-vm/files-vm.vmx"
        ]
    );
    let held: i64 = files.iter().map(|(_, f)| f.size).sum();
    assert_eq!(free(&sim), free0 - held);
    assert_eq!(
        prop_int(&sim, &created, "summary.storage.committed"),
        Some(held)
    );
    // A clone gets its own copies in its own folder.
    let clone_spec = Data::new("VirtualMachineCloneSpec")
        .with("location", Data::new("VirtualMachineRelocateSpec"))
        .with("template", false)
        .with("powerOn", false);
    run(
        &sim,
        &c,
        Request::new("CloneVM_Task", &created)
            .arg("folder", vm_folder(&sim))
            .arg("name", "files-clone")
            .arg("spec", clone_spec),
    )
    .await;
    let clone_files = sim.datastore_files(&ds(&sim), "files-clone/");
    let clone_held: i64 = clone_files.iter().map(|(_, f)| f.size).sum();
    assert_eq!(clone_held, held);
    assert_eq!(free(&sim), free0 - 2 * held);
    assert_space_is_the_files(&sim, "cloned");
    // Destroy takes a VM's files with it.
    for name in ["files-clone", "files-vm"] {
        let v = vm(&sim, name);
        run(&sim, &c, Request::new("Destroy_Task", &v)).await;
        assert!(
            sim.datastore_files(&ds(&sim), &format!("{name}/"))
                .is_empty()
        );
    }
    assert_eq!(free(&sim), free0);
    assert_space_is_the_files(&sim, "destroyed");
}

fn create_with_disk(name: &str, disk: Data) -> Data {
    Data::new("VirtualMachineConfigSpec")
        .with("name", name)
        .with(
            "files",
            Data::new("VirtualMachineFileInfo").with("vmPathName", "[LocalDS_0]"),
        )
        .with(
            "deviceChange",
            vec![
                spec::scsi_controller_add(-100, "VirtualLsiLogicController", 0).expect("valid"),
                disk,
            ],
        )
}

fn on_new_controller(mut change: Data) -> Data {
    if let Some(dev) = change.get_mut("device").and_then(Value::data_mut) {
        dev.set("controllerKey", -100);
        dev.set("unitNumber", 0);
    }
    change
}

#[tokio::test]
async fn create_vm_refuses_a_named_disk_file_that_exists_or_is_missing() {
    let (sim, c) = logged_in().await;
    let taken = "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmdk";
    let before = sim.datastore_files(&ds(&sim), "");
    for (disk, fault) in [
        (
            on_new_controller(new_disk(GB_KB, Provisioning::Thin, Some(taken))),
            "FileAlreadyExists",
        ),
        (
            {
                let mut d = on_new_controller(new_disk(
                    GB_KB,
                    Provisioning::Thin,
                    Some("[LocalDS_0] no/x.vmdk"),
                ));
                d.remove("fileOperation");
                d
            },
            "FileNotFound",
        ),
    ] {
        let t = c
            .ok(Request::new("CreateVM_Task", &vm_folder(&sim))
                .arg("config", create_with_disk("refused-vm", disk))
                .arg("pool", cluster_pool(&sim)))
            .await;
        assert_eq!(task_fault(&wait_task(&sim, &t).await), fault);
        assert!(sim.find("VirtualMachine", "refused-vm").is_none());
        assert_eq!(sim.datastore_files(&ds(&sim), ""), before);
    }
    // Attaching a file that exists (created by another VM, kept) works.
    let mut attach = on_new_controller(new_disk(GB_KB, Provisioning::Thin, Some(taken)));
    attach.remove("fileOperation");
    let t = c
        .ok(Request::new("CreateVM_Task", &vm_folder(&sim))
            .arg("config", create_with_disk("attached-vm", attach))
            .arg("pool", cluster_pool(&sim)))
        .await;
    assert_eq!(task_fault(&wait_task(&sim, &t).await), "");
    assert_space_is_the_files(&sim, "attached");
}
