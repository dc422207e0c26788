//! The datastore file checks, in a folder of their own
//! (`mcvsphere-conformance-<random>`) on the inventory's datastore: create
//! the folder, upload a small file into it, download it back, copy it, move
//! the copy, browse the folder, and delete the folder with everything in
//! it, which also puts the datastore back as it was. Nothing outside that
//! folder is touched. Each effect is read through the [`Probe`]: the
//! simulator's file table in-process, otherwise the server's browse and
//! download tools.

use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use base64::Engine;
use serde_json::{Value as Json, json};

use super::{Probe, Step, Writes};
use crate::checks::{Recorder, Spec, Verdict, summarize};

const TOOLS: [&str; 7] = [
    "create_datastore_folder",
    "upload_to_datastore",
    "download_from_datastore",
    "copy_datastore_file",
    "move_datastore_file",
    "browse_datastore",
    "delete_datastore_file",
];

const CONTENT: &[u8] = b"written by mcvsphere-conformance\n";

/// What is at a path on a datastore.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Folder,
    File(i64),
}

impl Probe<'_> {
    /// The datastore to work on when the inventory names none: the first.
    async fn first_datastore(&self) -> Result<String> {
        match self {
            Probe::Sim(sim) => sim
                .objects("Datastore")
                .first()
                .and_then(|d| sim.property(d, "name"))
                .and_then(|v| v.as_str().map(str::to_string))
                .ok_or_else(|| anyhow!("the simulator has no datastore")),
            Probe::Server(s) => s
                .read_json("esxi://datastores")
                .await?
                .get(0)
                .and_then(|d| d.get("name"))
                .and_then(Json::as_str)
                .map(str::to_string)
                .ok_or_else(|| anyhow!("esxi://datastores lists no datastore")),
        }
    }

    async fn ds_entry(&self, ds: &str, path: &str) -> Result<Option<Entry>> {
        match self {
            Probe::Sim(sim) => {
                let m = sim
                    .find("Datastore", ds)
                    .ok_or_else(|| anyhow!("no datastore {ds}"))?;
                if sim.datastore_folder_exists(&m, path) {
                    return Ok(Some(Entry::Folder));
                }
                Ok(sim.datastore_file(&m, path).map(|f| Entry::File(f.size)))
            }
            Probe::Server(s) => {
                let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
                let o = s
                    .call("browse_datastore", json!({"datastore": ds, "path": folder}))
                    .await?;
                if o.is_error {
                    return Ok(None);
                }
                let list = o.structured.as_ref().and_then(|v| v.get("result"));
                let item = list
                    .and_then(Json::as_array)
                    .and_then(|l| l.iter().find(|i| i["name"] == name));
                Ok(item.map(|i| match i["type"].as_str() {
                    Some("folder") => Entry::Folder,
                    _ => Entry::File(i["size_bytes"].as_i64().unwrap_or(-1)),
                }))
            }
        }
    }

    async fn ds_bytes(&self, ds: &str, path: &str) -> Result<Vec<u8>> {
        match self {
            Probe::Sim(sim) => {
                let m = sim
                    .find("Datastore", ds)
                    .ok_or_else(|| anyhow!("no datastore {ds}"))?;
                sim.datastore_file_bytes(&m, path)
                    .ok_or_else(|| anyhow!("[{ds}] {path} holds no uploaded bytes"))
            }
            Probe::Server(s) => {
                let o = s
                    .call(
                        "download_from_datastore",
                        json!({"datastore": ds, "path": path}),
                    )
                    .await?;
                if o.is_error {
                    bail!("download_from_datastore: {}", o.text);
                }
                content_of(o.structured.as_ref())
            }
        }
    }
}

/// The bytes a download_from_datastore result carries.
fn content_of(r: Option<&Json>) -> Result<Vec<u8>> {
    let r = r.ok_or_else(|| anyhow!("download_from_datastore returned no object"))?;
    let content = r["content"].as_str().unwrap_or_default();
    match r["encoding"].as_str() {
        Some("base64") => Ok(base64::engine::general_purpose::STANDARD.decode(content)?),
        _ => Ok(content.as_bytes().to_vec()),
    }
}

impl Writes<'_> {
    async fn expect_entry(&self, ds: &str, path: &str, want: Option<Entry>) -> Result<()> {
        let got = self.probe.ds_entry(ds, path).await?;
        if got != want {
            bail!("[{ds}] {path} is {got:?}, expected {want:?}");
        }
        Ok(())
    }

    pub(super) async fn datastore_checks(&self, rec: &mut Recorder, ds: Option<&str>) {
        if !TOOLS.iter().all(|t| self.has(t)) {
            return;
        }
        let ds = match ds {
            Some(d) => d.to_string(),
            None => match self.probe.first_datastore().await {
                Ok(d) => d,
                Err(e) => return self.skip_all(rec, &TOOLS, &format!("{e:#}")),
            },
        };
        // Unique per run, so a folder left by an interrupted run is never reused.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let folder = format!("mcvsphere-conformance-{}-{nanos}", std::process::id());
        let note = format!("{folder}/note.txt");
        let size = CONTENT.len() as i64;
        let spec = self.spec(
            "create_datastore_folder",
            &format!("create_datastore_folder makes {folder} on {ds}"),
        );
        let made = self
            .step(rec, spec, async {
                let text = self
                    .ok(
                        "create_datastore_folder",
                        json!({"datastore": ds, "path": folder}),
                    )
                    .await?;
                self.expect_entry(&ds, &folder, Some(Entry::Folder)).await?;
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        if !made {
            return self.skip_all(rec, &TOOLS[1..], "create_datastore_folder made no folder");
        }
        let spec = self.spec(
            "upload_to_datastore",
            "upload_to_datastore puts a small file into the folder",
        );
        self.step(rec, spec, async {
            let b64 = base64::engine::general_purpose::STANDARD.encode(CONTENT);
            let text = self
                .ok(
                    "upload_to_datastore",
                    json!({"datastore": ds, "remote_path": note, "content_base64": b64}),
                )
                .await?;
            self.expect_entry(&ds, &note, Some(Entry::File(size)))
                .await?;
            if self.probe.ds_bytes(&ds, &note).await? != CONTENT {
                bail!("[{ds}] {note} does not hold the bytes uploaded");
            }
            Ok(Step::Done(summarize(&text)))
        })
        .await;
        let spec = self.spec(
            "download_from_datastore",
            "download_from_datastore returns the uploaded bytes",
        );
        self.step(rec, spec, async {
            let o = self
                .s
                .call(
                    "download_from_datastore",
                    json!({"datastore": ds, "path": note}),
                )
                .await?;
            if o.is_error {
                bail!("download_from_datastore failed: {}", o.text);
            }
            if content_of(o.structured.as_ref())? != CONTENT {
                bail!("download_from_datastore returned other bytes: {}", o.text);
            }
            Ok(Step::Done(format!("{size} bytes back")))
        })
        .await;
        let copy = format!("{folder}/copy.txt");
        let moved = format!("{folder}/moved.txt");
        let spec = self.spec(
            "copy_datastore_file",
            "copy_datastore_file copies the file within the folder",
        );
        self.step(rec, spec, async {
            let text = self
                .ok(
                    "copy_datastore_file",
                    json!({"source_datastore": ds, "source_path": note, "dest_path": copy}),
                )
                .await?;
            self.expect_entry(&ds, &copy, Some(Entry::File(size)))
                .await?;
            self.expect_entry(&ds, &note, Some(Entry::File(size)))
                .await?;
            Ok(Step::Done(summarize(&text)))
        })
        .await;
        let spec = self.spec(
            "move_datastore_file",
            "move_datastore_file renames the copy",
        );
        self.step(rec, spec, async {
            let text = self
                .ok(
                    "move_datastore_file",
                    json!({"source_datastore": ds, "source_path": copy, "dest_path": moved}),
                )
                .await?;
            self.expect_entry(&ds, &moved, Some(Entry::File(size)))
                .await?;
            self.expect_entry(&ds, &copy, None).await?;
            Ok(Step::Done(summarize(&text)))
        })
        .await;
        let spec = self.spec(
            "browse_datastore",
            "browse_datastore lists the folder's files",
        );
        self.step(rec, spec, async {
            let o = self
                .s
                .call("browse_datastore", json!({"datastore": ds, "path": folder}))
                .await?;
            if o.is_error {
                bail!("browse_datastore failed: {}", o.text);
            }
            let names: Vec<String> = o
                .structured
                .as_ref()
                .and_then(|v| v["result"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|i| i["name"].as_str().map(str::to_string))
                .collect();
            if !names.iter().any(|n| n == "note.txt") {
                bail!("browse_datastore does not list note.txt: {names:?}");
            }
            Ok(Step::Done(format!("lists {}", names.join(", "))))
        })
        .await;
        let spec = self.spec(
            "delete_datastore_file",
            "delete_datastore_file removes the folder with its files",
        );
        let deleted = self
            .step(rec, spec, async {
                let text = self
                    .ok(
                        "delete_datastore_file",
                        json!({"datastore": ds, "path": folder}),
                    )
                    .await?;
                self.expect_entry(&ds, &note, None).await?;
                self.expect_entry(&ds, &folder, None).await?;
                Ok(Step::Done(summarize(&text)))
            })
            .await;
        if !deleted {
            rec.record(
                Spec::new(
                    "write.restore.datastore",
                    "writes",
                    format!("the datastore {ds} is left without the checks' folder"),
                )
                .write(),
                Verdict::Fail(format!("[{ds}] {folder} is still there; delete it by hand")),
                Instant::now(),
            );
        }
    }
}
