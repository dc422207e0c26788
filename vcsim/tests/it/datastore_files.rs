//! Disk files are entries on the datastore: every change that creates,
//! deletes or grows one moves the datastore's `summary.freeSpace` and
//! `summary.uncommitted` by exactly what the file table says, and the VM's
//! `layoutEx`/`summary.storage` list what it holds. Each test reads the
//! simulator's own file table (`Simulator::datastore_files`) and properties.

use vcsim::Simulator;
use vcsim::datastore_files::{DsFile, FileKind};
use vim25::devices::DeviceList;
use vim25::spec::{self, NewDisk, Provisioning};
use vim25::{Data, MoRef, Request, Value};

use crate::devices_rules::{applied, power_off, reconfigure};
use crate::{Client, cluster_pool, logged_in, vm_folder};
use testkit::{prop_int, task_fault, vm, wait_task};

const GB_KB: i64 = 1 << 20;

fn ds(sim: &Simulator) -> MoRef {
    sim.find("Datastore", "LocalDS_0")
        .expect("the default datastore")
}

fn file(sim: &Simulator, path: &str) -> Option<DsFile> {
    sim.datastore_files(&ds(sim), path)
        .into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, f)| f)
}

fn free(sim: &Simulator) -> i64 {
    prop_int(sim, &ds(sim), "summary.freeSpace").expect("freeSpace")
}

fn uncommitted(sim: &Simulator) -> i64 {
    prop_int(sim, &ds(sim), "summary.uncommitted").expect("uncommitted")
}

/// Every datastore's free space is its capacity minus what its files hold,
/// and its uncommitted space what its thin files may still take.
pub(crate) fn assert_space_is_the_files(sim: &Simulator, context: &str) {
    for d in sim.objects("Datastore") {
        let files = sim.datastore_files(&d, "");
        let held: i64 = files.iter().map(|(_, f)| f.size).sum();
        let thin: i64 = files.iter().map(|(_, f)| f.uncommitted()).sum();
        let cap = prop_int(sim, &d, "summary.capacity").expect("capacity");
        assert_eq!(
            prop_int(sim, &d, "summary.freeSpace"),
            Some(cap - held),
            "{context}: {d} free space"
        );
        assert_eq!(
            prop_int(sim, &d, "summary.uncommitted"),
            Some(thin),
            "{context}: {d} uncommitted"
        );
    }
}

fn devices(sim: &Simulator, v: &MoRef) -> DeviceList {
    sim.property(v, "config.hardware.device")
        .map(|d| DeviceList::from_value(&d))
        .unwrap_or_default()
}

fn new_disk(kb: i64, provisioning: Provisioning, file: Option<&str>) -> Data {
    spec::disk_add(&NewDisk {
        key: -1,
        controller_key: 1000,
        unit: 1,
        capacity_kb: kb,
        provisioning,
        disk_mode: "persistent".into(),
        file_name: file.map(str::to_string),
        datastore: None,
    })
    .expect("a valid disk")
}

fn at_unit(mut change: Data, unit: i64) -> Data {
    if let Some(dev) = change.get_mut("device").and_then(Value::data_mut) {
        dev.set("unitNumber", unit);
    }
    change
}

fn disk_file(d: &Data) -> String {
    d.path("backing.fileName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn layout_names(sim: &Simulator, v: &MoRef) -> Vec<(String, String, i64)> {
    sim.property(v, "layoutEx.file")
        .map(|a| {
            a.as_array()
                .iter()
                .filter_map(Value::as_data)
                .map(|f| {
                    let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    (
                        s("name"),
                        s("type"),
                        f.get("size").and_then(Value::as_i64).unwrap_or(-1),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_thick_disk_takes_its_capacity_and_destroy_gives_it_back() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    assert_space_is_the_files(&sim, "built inventory");
    let (free0, unc0) = (free(&sim), uncommitted(&sim));
    let committed0 = prop_int(&sim, &v, "summary.storage.committed").expect("committed");
    let l = applied(
        &sim,
        &c,
        &v,
        vec![new_disk(GB_KB, Provisioning::Thick, None)],
    )
    .await;
    let disk = l.by_label("Hard disk 2").expect("added").clone();
    assert_eq!(disk_file(&disk), "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0_1.vmdk");
    let f = file(&sim, "DC0_H0_VM0/DC0_H0_VM0_1.vmdk").expect("the disk's file");
    assert_eq!((f.kind, f.size, f.thin), (FileKind::Disk, 1 << 30, false));
    assert_eq!(free(&sim), free0 - (1 << 30));
    assert_eq!(uncommitted(&sim), unc0);
    assert_space_is_the_files(&sim, "thick disk added");
    // The VM reports the file and its size.
    assert!(layout_names(&sim, &v).contains(&(
        "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0_1.vmdk".into(),
        "diskDescriptor".into(),
        1 << 30
    )));
    assert_eq!(
        prop_int(&sim, &v, "summary.storage.committed"),
        Some(committed0 + (1 << 30))
    );
    let per_ds = sim
        .property(&v, "storage.perDatastoreUsage")
        .expect("per-datastore usage");
    assert_eq!(
        per_ds.as_array()[0]
            .path("committed")
            .and_then(Value::as_i64),
        Some(committed0 + (1 << 30))
    );
    let rm = spec::disk_remove(&disk, true).expect("a disk");
    applied(&sim, &c, &v, vec![rm]).await;
    assert!(file(&sim, "DC0_H0_VM0/DC0_H0_VM0_1.vmdk").is_none());
    assert_eq!(free(&sim), free0);
    assert_space_is_the_files(&sim, "thick disk destroyed");
}

#[tokio::test]
async fn a_thin_disk_is_uncommitted_and_a_kept_file_can_be_attached_again() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let (free0, unc0) = (free(&sim), uncommitted(&sim));
    let l = applied(
        &sim,
        &c,
        &v,
        vec![new_disk(2 * GB_KB, Provisioning::Thin, None)],
    )
    .await;
    let disk = l.by_label("Hard disk 2").expect("added").clone();
    assert_eq!(free(&sim), free0, "a thin disk takes nothing yet");
    assert_eq!(uncommitted(&sim), unc0 + (2 << 30));
    // Removed without destroy: the file stays, and so does its space.
    applied(
        &sim,
        &c,
        &v,
        vec![spec::disk_remove(&disk, false).expect("a disk")],
    )
    .await;
    let path = "DC0_H0_VM0/DC0_H0_VM0_1.vmdk";
    assert!(file(&sim, path).is_some(), "the file is kept");
    assert_eq!(uncommitted(&sim), unc0 + (2 << 30));
    assert_space_is_the_files(&sim, "thin disk detached");
    // Creating it again is refused; attaching the kept file works.
    let name = format!("[LocalDS_0] {path}");
    let info = reconfigure(
        &sim,
        &c,
        &v,
        vec![new_disk(2 * GB_KB, Provisioning::Thin, Some(&name))],
    )
    .await;
    assert_eq!(task_fault(&info), "FileAlreadyExists", "{info:?}");
    let mut attach = new_disk(2 * GB_KB, Provisioning::Thin, Some(&name));
    attach.remove("fileOperation");
    let l = applied(&sim, &c, &v, vec![attach]).await;
    assert_eq!(l.disks().len(), 2);
    assert_eq!(
        uncommitted(&sim),
        unc0 + (2 << 30),
        "the same file, counted once"
    );
    // A new disk after a kept file is named past it.
    let l = applied(
        &sim,
        &c,
        &v,
        vec![at_unit(new_disk(GB_KB, Provisioning::Thin, None), 2)],
    )
    .await;
    let third = l.by_label("Hard disk 3").expect("added");
    assert_eq!(disk_file(third), "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0_2.vmdk");
    // Attaching a file that is not there is refused.
    let mut missing = new_disk(
        GB_KB,
        Provisioning::Thin,
        Some("[LocalDS_0] nowhere/x.vmdk"),
    );
    missing.remove("fileOperation");
    let missing = at_unit(missing, 3);
    let info = reconfigure(&sim, &c, &v, vec![missing]).await;
    assert_eq!(task_fault(&info), "FileNotFound", "{info:?}");
    assert_space_is_the_files(&sim, "after refusals");
}

#[tokio::test]
async fn extending_grows_a_thick_file_and_a_thin_disks_reserve() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let l = applied(
        &sim,
        &c,
        &v,
        vec![new_disk(GB_KB, Provisioning::Thick, None)],
    )
    .await;
    let thick = l.by_label("Hard disk 2").expect("added").clone();
    let (free0, unc0) = (free(&sim), uncommitted(&sim));
    let grow = spec::disk_extend(&thick, 3 * GB_KB).expect("bigger");
    applied(&sim, &c, &v, vec![grow]).await;
    assert_eq!(free(&sim), free0 - (2 << 30));
    assert_eq!(uncommitted(&sim), unc0);
    // The built-in disk is thin: its capacity grows, not what it holds.
    let thin = devices(&sim, &v)
        .by_label("Hard disk 1")
        .expect("disk")
        .clone();
    let grow = spec::disk_extend(&thin, 2 * GB_KB).expect("bigger");
    applied(&sim, &c, &v, vec![grow]).await;
    assert_eq!(free(&sim), free0 - (2 << 30));
    assert_eq!(uncommitted(&sim), unc0 + (1 << 30));
    assert_space_is_the_files(&sim, "disks extended");
}

#[tokio::test]
async fn a_disk_on_a_snapshot_chain_cannot_be_extended() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    take(&sim, &c, &v, "s1", false).await;
    let disk = devices(&sim, &v)
        .by_label("Hard disk 1")
        .expect("disk")
        .clone();
    let before = sim.datastore_files(&ds(&sim), "");
    let grow = spec::disk_extend(&disk, 2 * GB_KB).expect("bigger");
    let info = reconfigure(&sim, &c, &v, vec![grow]).await;
    assert_eq!(task_fault(&info), "InvalidDeviceOperation", "{info:?}");
    let msg = info
        .path("error.localizedMessage")
        .and_then(Value::as_str)
        .unwrap_or_default();
    testkit::says(msg, &["Invalid operation", "device '0'"]);
    assert_eq!(sim.datastore_files(&ds(&sim), ""), before);
}

#[tokio::test]
async fn an_iso_that_is_not_on_the_datastore_is_refused() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM1");
    power_off(&sim, &c, &v).await;
    let add = spec::cdrom_add_unplaced(-1, Some("[LocalDS_0] iso/missing.iso")).expect("valid");
    let info = reconfigure(&sim, &c, &v, vec![add]).await;
    assert_eq!(task_fault(&info), "FileNotFound", "{info:?}");
    let msg = info
        .path("error.localizedMessage")
        .and_then(Value::as_str)
        .unwrap_or_default();
    testkit::says(msg, &["[LocalDS_0] iso/missing.iso", "not found"]);
    let add = spec::cdrom_add_unplaced(-1, Some("[LocalDS_0] iso/ubuntu.iso")).expect("valid");
    applied(&sim, &c, &v, vec![add]).await;
}

async fn take(sim: &Simulator, c: &Client, v: &MoRef, name: &str, memory: bool) -> MoRef {
    let req = Request::new("CreateSnapshot_Task", v)
        .arg("name", name)
        .arg("memory", memory)
        .arg("quiesce", false);
    let info = wait_task(sim, &c.ok(req).await).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
    info.get("result")
        .and_then(Value::as_moref)
        .cloned()
        .expect("the snapshot")
}

async fn run(sim: &Simulator, c: &Client, req: Request) {
    let info = wait_task(sim, &c.ok(req).await).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
}

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

#[tokio::test]
async fn a_refused_change_leaves_the_files_as_they_were() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let before = sim.datastore_files(&ds(&sim), "");
    let free0 = free(&sim);
    // The first disk's file is created, then the second change is refused
    // (its file exists): the whole change is undone, files included.
    let mut again = new_disk(
        GB_KB,
        Provisioning::Thick,
        Some("[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmdk"),
    );
    if let Some(dev) = again.get_mut("device").and_then(Value::data_mut) {
        dev.set("key", -2);
        dev.set("unitNumber", 2);
    }
    let info = reconfigure(
        &sim,
        &c,
        &v,
        vec![new_disk(GB_KB, Provisioning::Thick, None), again],
    )
    .await;
    assert_eq!(task_fault(&info), "FileAlreadyExists", "{info:?}");
    assert_eq!(sim.datastore_files(&ds(&sim), ""), before);
    assert_eq!(free(&sim), free0);
    assert_space_is_the_files(&sim, "refused");
}
