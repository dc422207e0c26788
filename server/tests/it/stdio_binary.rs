//! The real binary on stdio against a simulator, with `LOG_FILE` and
//! `AUDIT_LOG` in a scratch directory, for the tests that check what it
//! writes (secrets in no log line, no record, no reply).

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// What one run wrote: a reply per request (messages with an `id`), the log
/// file, the audit log and everything on stdout and stderr.
pub(crate) struct Run {
    pub(crate) replies: Vec<Json>,
    pub(crate) logged: String,
    pub(crate) audited: String,
    pub(crate) output: String,
}

/// Starts `mcvsphere` on stdio at `LOG_LEVEL=level` with `role`, sends
/// `messages` one by one (waiting for the reply to each request), closes
/// stdin and collects what it wrote; the process must exit cleanly.
pub(crate) async fn run(
    sim_url: &str,
    dir: &Path,
    role: &str,
    level: &str,
    messages: &[Json],
) -> Run {
    let (log, audit_log): (PathBuf, PathBuf) = (dir.join("server.log"), dir.join("audit.jsonl"));
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_mcvsphere"));
    for (k, _) in std::env::vars() {
        if k.starts_with("VCENTER_") || k.starts_with("MCP_") || k.starts_with("MCVSPHERE_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .env_remove("RUST_LOG")
        .env("VCENTER_HOST", sim_url)
        .env("VCENTER_USER", crate::USER)
        .env("VCENTER_PASSWORD", crate::PASSWORD)
        .env("VCENTER_INSECURE", "true")
        .env("MCP_TRANSPORT", "stdio")
        .env("MCVSPHERE_ROLE", role)
        .env("LOG_LEVEL", level)
        .env("LOG_FILE", &log)
        .env("AUDIT_LOG", &audit_log)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut replies = vec![];
    for m in messages {
        stdin.write_all(format!("{m}\n").as_bytes()).await.unwrap();
        if m.get("id").is_some() {
            let line = stdout.next_line().await.unwrap().unwrap();
            replies.push(serde_json::from_str::<Json>(&line).unwrap());
        }
    }
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Run {
        replies,
        logged: std::fs::read_to_string(&log).unwrap(),
        audited: std::fs::read_to_string(&audit_log).unwrap(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}
