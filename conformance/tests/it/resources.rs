//! The resources family through the real binary: MCVSPHERE_LOCAL_DIR wired
//! from the environment to the file tools (a file uploaded from it and
//! downloaded into it, the bytes read from the simulator and the disk), and
//! no local files over HTTP unless it is set.

use conformance::Transport;
use serde_json::json;

use crate::says;

const DS: &str = "LocalDS_0";

fn bytes_on(h: &conformance::Harness, path: &str) -> Option<Vec<u8>> {
    let ds = h.sim.find("Datastore", DS).unwrap();
    h.sim.datastore_file_bytes(&ds, path)
}

#[tokio::test]
async fn local_files_move_through_the_directory_mcvsphere_local_dir_names() {
    conformance::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.path().join("up.bin"), &data).unwrap();
    let local = dir.path().to_str().unwrap();
    let h = conformance::Harness::start(Transport::Http, &[("MCVSPHERE_LOCAL_DIR", local)])
        .await
        .unwrap();
    let up = h
        .ok(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "up.bin", "local_path": "up.bin", "chunk_size": 65536}),
        )
        .await;
    assert_eq!(up.structured.unwrap()["streamed"], true);
    assert!(
        bytes_on(&h, "up.bin").unwrap() == data,
        "uploaded byte for byte"
    );
    h.ok(
        "download_from_datastore",
        json!({"datastore": DS, "path": "up.bin", "save_to": "down.bin"}),
    )
    .await;
    assert!(std::fs::read(dir.path().join("down.bin")).unwrap() == data);
    says(
        &h.fails(
            "download_from_datastore",
            json!({"datastore": DS, "path": "up.bin", "save_to": "/etc/down.bin"}),
        )
        .await,
        &["outside MCVSPHERE_LOCAL_DIR"],
    );
    h.shutdown().await;
}

#[tokio::test]
async fn over_http_local_files_are_off_unless_set() {
    conformance::init_tls();
    let h = conformance::Harness::http().await.unwrap();
    says(
        &h.fails(
            "upload_to_datastore",
            json!({"datastore": DS, "remote_path": "passwd", "local_path": "/etc/passwd"}),
        )
        .await,
        &["local_path", "off", "MCVSPHERE_LOCAL_DIR"],
    );
    assert!(bytes_on(&h, "passwd").is_none());
    // Inline content needs no local files.
    h.ok(
        "upload_to_datastore",
        json!({"datastore": DS, "remote_path": "hi.txt", "content_base64": "aGkK"}),
    )
    .await;
    assert_eq!(bytes_on(&h, "hi.txt").unwrap(), b"hi\n");
    h.shutdown().await;
}

/// Over stdio the working directory is the default, except the file system
/// root (where desktop clients may start the server): then local files are off.
#[tokio::test]
async fn over_stdio_started_in_the_root_local_files_are_off() {
    use rmcp::ServiceExt;
    use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
    conformance::init_tls();
    let sim = conformance::start_sim().await.unwrap();
    let cmd = conformance::server_command(&sim, &[])
        .unwrap()
        .configure(|c| {
            c.env("MCP_TRANSPORT", "stdio").current_dir("/");
        });
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    let out = conformance::call_tool(
        &client,
        "upload_to_datastore",
        json!({"datastore": DS, "remote_path": "passwd", "local_path": "etc/passwd"}),
    )
    .await
    .unwrap();
    assert!(out.is_error, "{}", out.text);
    says(&out.text, &["off", "MCVSPHERE_LOCAL_DIR"]);
    let ds = sim.find("Datastore", DS).unwrap();
    assert!(sim.datastore_file_bytes(&ds, "passwd").is_none());
    let _ = client.cancel().await;
    sim.shutdown().await;
}
