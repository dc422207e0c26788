//! HostDatastoreBrowser: searches list what the simulator's file table holds
//! (compared with `Simulator::datastore_files`), typed as vSphere types them,
//! with the details asked for; bad paths fail the task with the fault vSphere raises.

use vcsim::Simulator;
use vim25::{Data, MoRef, Request, Value};

use crate::datastore_files::ds;
use crate::{Client, logged_in};
use testkit::{says, task_fault, wait_task};

pub(crate) fn browser(sim: &Simulator) -> MoRef {
    sim.property(&ds(sim), "browser")
        .and_then(|v| v.as_moref().cloned())
        .expect("the datastore's browser")
}

pub(crate) fn query(kind: &str) -> Value {
    Value::data(Data::new(kind))
}

pub(crate) fn spec(patterns: &[&str], queries: Vec<Value>, file_type: bool) -> Data {
    let mut s = Data::new("HostDatastoreBrowserSearchSpec").with(
        "details",
        Data::new("FileQueryFlags")
            .with("fileType", file_type)
            .with("fileSize", true)
            .with("modification", true)
            .with("fileOwner", true),
    );
    if !patterns.is_empty() {
        s.set("matchPattern", patterns.to_vec());
    }
    if !queries.is_empty() {
        s.set("query", Value::array(queries));
    }
    s
}

/// Runs a search; its finished task's info.
pub(crate) async fn search(
    sim: &Simulator,
    c: &Client,
    method: &str,
    path: &str,
    spec: Data,
) -> Data {
    let req = Request::new(method, &browser(sim))
        .arg("datastorePath", path)
        .arg("searchSpec", spec);
    wait_task(sim, &c.ok(req).await).await
}

/// `(type, path, fileSize)` of each file in one result.
pub(crate) fn files(result: &Data) -> Vec<(String, String, i64)> {
    result
        .get("file")
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_data)
        .map(|f| {
            (
                f.type_name.to_string(),
                f.get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                f.get("fileSize").and_then(Value::as_i64).unwrap_or(-1),
            )
        })
        .collect()
}

fn result(info: &Data) -> Data {
    assert_eq!(task_fault(info), "", "{info:?}");
    info.get("result")
        .and_then(Value::as_data)
        .cloned()
        .expect("a search result")
}

#[tokio::test]
async fn issue_11_search_lists_a_vm_folder_typed_with_sizes_from_the_file_table() {
    let (sim, c) = logged_in().await;
    let d = ds(&sim);
    let info = search(
        &sim,
        &c,
        "SearchDatastore_Task",
        "[LocalDS_0] DC0_H0_VM0",
        spec(&[], vec![], true),
    )
    .await;
    assert_eq!(
        info.get("entity").and_then(Value::as_moref),
        Some(&d),
        "the task's entity is the datastore searched"
    );
    let r = result(&info);
    assert_eq!(
        r.get("folderPath").and_then(Value::as_str),
        Some("[LocalDS_0] DC0_H0_VM0")
    );
    let want: Vec<(String, i64)> = sim
        .datastore_files(&d, "DC0_H0_VM0/")
        .into_iter()
        .map(|(p, f)| (p.trim_start_matches("DC0_H0_VM0/").to_string(), f.size))
        .collect();
    let got = files(&r);
    assert_eq!(
        got.iter()
            .map(|(_, p, s)| (p.clone(), *s))
            .collect::<Vec<_>>(),
        want
    );
    let ty = |name: &str| got.iter().find(|f| f.1 == name).map(|f| f.0.clone());
    assert_eq!(ty("DC0_H0_VM0.vmx").as_deref(), Some("VmConfigFileInfo"));
    assert_eq!(ty("DC0_H0_VM0.vmdk").as_deref(), Some("VmDiskFileInfo"));
    assert_eq!(ty("DC0_H0_VM0.nvram").as_deref(), Some("VmNvramFileInfo"));
    let disk = r
        .get("file")
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_data)
        .find(|f| f.type_name.as_str() == "VmDiskFileInfo")
        .cloned()
        .expect("the disk");
    let cap = sim
        .datastore_files(&d, "DC0_H0_VM0/DC0_H0_VM0.vmdk")
        .first()
        .map(|(_, f)| f.capacity)
        .expect("disk file");
    assert_eq!(
        disk.get("capacityKb").and_then(Value::as_i64),
        Some(cap / 1024)
    );
    assert!(disk.get("modification").is_some() && disk.get("owner").is_some());
}

#[tokio::test]
async fn issue_11_match_pattern_queries_and_folders_first() {
    let (sim, c) = logged_in().await;
    // Only ISOs, by query, in the iso folder.
    let r = result(
        &search(
            &sim,
            &c,
            "SearchDatastore_Task",
            "[LocalDS_0] iso",
            spec(&[], vec![query("IsoImageFileQuery")], true),
        )
        .await,
    );
    let names: Vec<_> = files(&r).into_iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(
        names,
        [
            ("IsoImageFileInfo".to_string(), "a.iso".to_string()),
            ("IsoImageFileInfo".into(), "b.iso".into()),
            ("IsoImageFileInfo".into(), "ubuntu.iso".into())
        ]
    );
    // A glob; without fileType the files are plain FileInfo.
    let r = result(
        &search(
            &sim,
            &c,
            "SearchDatastore_Task",
            "[LocalDS_0] iso",
            spec(&["u*.iso"], vec![], false),
        )
        .await,
    );
    assert_eq!(
        files(&r),
        [("FileInfo".to_string(), "ubuntu.iso".to_string(), 2 << 30)]
    );
    // The root: folders (VM folders, iso) are FolderFileInfo, first when asked.
    let mut s = spec(&[], vec![], true);
    s.set("sortFoldersFirst", true);
    let r = result(&search(&sim, &c, "SearchDatastore_Task", "[LocalDS_0]", s).await);
    let got = files(&r);
    assert!(
        got.iter().any(|f| f.0 == "FolderFileInfo" && f.1 == "iso"),
        "{got:?}"
    );
    let first_file = got
        .iter()
        .position(|f| f.0 != "FolderFileInfo")
        .unwrap_or(got.len());
    assert!(
        got[first_file..].iter().all(|f| f.0 != "FolderFileInfo"),
        "{got:?}"
    );
}

#[tokio::test]
async fn issue_11_sub_folder_search_returns_one_result_per_folder() {
    let (sim, c) = logged_in().await;
    let info = search(
        &sim,
        &c,
        "SearchDatastoreSubFolders_Task",
        "[LocalDS_0]",
        spec(&["*.vmdk"], vec![query("VmDiskFileQuery")], true),
    )
    .await;
    assert_eq!(task_fault(&info), "", "{info:?}");
    let results: Vec<Data> = info
        .get("result")
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_data)
        .cloned()
        .collect();
    let paths: Vec<String> = results
        .iter()
        .filter_map(|r| {
            r.get("folderPath")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    assert_eq!(paths.first().map(String::as_str), Some("[LocalDS_0]"));
    assert!(paths.contains(&"[LocalDS_0] iso".to_string()), "{paths:?}");
    // Every VM's disk is found in its own folder's result, and nothing else.
    let vmdks: Vec<String> = sim
        .datastore_files(&ds(&sim), "")
        .into_iter()
        .filter(|(p, _)| p.ends_with(".vmdk"))
        .map(|(p, _)| format!("[LocalDS_0] {p}"))
        .collect();
    let mut found: Vec<String> = results
        .iter()
        .flat_map(|r| {
            let dir = r
                .get("folderPath")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            files(r).into_iter().map(move |f| format!("{dir}/{}", f.1))
        })
        .map(|p| p.replacen("]/", "] ", 1))
        .collect();
    found.sort();
    assert_eq!(found, vmdks);
    assert!(!vmdks.is_empty());
}

#[tokio::test]
async fn issue_11_searches_fail_with_vsphere_faults() {
    let (sim, c) = logged_in().await;
    for (path, fault, words) in [
        (
            "[LocalDS_0] no-such-folder",
            "FileNotFound",
            vec!["no-such-folder", "not found"],
        ),
        (
            "LocalDS_0 iso",
            "InvalidDatastorePath",
            vec!["LocalDS_0 iso", "invalid datastore path"],
        ),
        (
            "[LocalDS_0] iso/../x",
            "InvalidDatastorePath",
            vec!["iso/../x"],
        ),
        ("[LocalDS_0] iso/a.iso", "FileNotFound", vec!["a.iso"]),
    ] {
        let req = Request::new("SearchDatastore_Task", &browser(&sim)).arg("datastorePath", path);
        let r = c.check(req).await;
        let msg = match r {
            Ok(task) => {
                let info = wait_task(&sim, &task).await;
                assert_eq!(task_fault(&info), fault, "{path}: {info:?}");
                info.path("error.localizedMessage")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            }
            Err(f) => {
                assert_eq!(f.fault_type(), Some(fault), "{path}: {f}");
                f.to_string()
            }
        };
        says(&msg, &words);
    }
    // A datastore the browser does not search, and a query type that is no FileQuery.
    let r = c
        .check(
            Request::new("SearchDatastore_Task", &browser(&sim)).arg("datastorePath", "[nope] x"),
        )
        .await;
    let f = r.expect_err("an unknown datastore is refused");
    assert_eq!(f.fault_type(), Some("InvalidDatastore"));
    says(&f.to_string(), &["nope", "LocalDS_0"]);
    let r = c
        .check(
            Request::new("SearchDatastore_Task", &browser(&sim))
                .arg("datastorePath", "[LocalDS_0]")
                .arg("searchSpec", spec(&[], vec![query("VmDiskFileInfo")], true)),
        )
        .await;
    let f = r.expect_err("a bad query type is refused");
    assert_eq!(f.fault_type(), Some("InvalidArgument"));
    says(&f.to_string(), &["VmDiskFileInfo", "searchSpec.query"]);
}

#[tokio::test]
async fn issue_11_each_host_has_a_browser_over_its_datastores() {
    let (sim, c) = logged_in().await;
    let h = sim.find("HostSystem", "DC0_H0").expect("host");
    let b = sim
        .property(&h, "datastoreBrowser")
        .and_then(|v| v.as_moref().cloned())
        .expect("the host's datastoreBrowser");
    let req = Request::new("SearchDatastore_Task", &b).arg("datastorePath", "[LocalDS_0] iso");
    let info = wait_task(&sim, &c.ok(req).await).await;
    let r = result(&info);
    assert_eq!(files(&r).len(), 3);
}
