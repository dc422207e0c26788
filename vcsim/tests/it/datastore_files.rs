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
use crate::{Client, logged_in};
use testkit::{prop_int, task_fault, vm, wait_task};

pub(crate) const GB_KB: i64 = 1 << 20;

pub(crate) fn ds(sim: &Simulator) -> MoRef {
    sim.find("Datastore", "LocalDS_0")
        .expect("the default datastore")
}

pub(crate) fn file(sim: &Simulator, path: &str) -> Option<DsFile> {
    sim.datastore_files(&ds(sim), path)
        .into_iter()
        .find(|(p, _)| p == path)
        .map(|(_, f)| f)
}

pub(crate) fn free(sim: &Simulator) -> i64 {
    prop_int(sim, &ds(sim), "summary.freeSpace").expect("freeSpace")
}

pub(crate) fn uncommitted(sim: &Simulator) -> i64 {
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

pub(crate) fn devices(sim: &Simulator, v: &MoRef) -> DeviceList {
    sim.property(v, "config.hardware.device")
        .map(|d| DeviceList::from_value(&d))
        .unwrap_or_default()
}

pub(crate) fn new_disk(kb: i64, provisioning: Provisioning, file: Option<&str>) -> Data {
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

pub(crate) fn at_unit(mut change: Data, unit: i64) -> Data {
    if let Some(dev) = change.get_mut("device").and_then(Value::data_mut) {
        dev.set("unitNumber", unit);
    }
    change
}

pub(crate) fn disk_file(d: &Data) -> String {
    d.path("backing.fileName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn layout_names(sim: &Simulator, v: &MoRef) -> Vec<(String, String, i64)> {
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
    let why = info
        .path("error.fault.faultMessage")
        .map(|m| m.as_array().to_vec())
        .unwrap_or_default();
    assert_eq!(
        why.first()
            .and_then(|m| m.path("message"))
            .and_then(Value::as_str),
        Some("Disks with parents cannot be expanded.")
    );
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

pub(crate) async fn take(
    sim: &Simulator,
    c: &Client,
    v: &MoRef,
    name: &str,
    memory: bool,
) -> MoRef {
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

pub(crate) async fn run(sim: &Simulator, c: &Client, req: Request) {
    let info = wait_task(sim, &c.ok(req).await).await;
    assert_eq!(task_fault(&info), "", "{info:?}");
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
