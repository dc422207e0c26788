//! Logs go to stderr or LOG_FILE, never stdout: on the stdio transport
//! stdout carries JSON-RPC only.

use std::path::Path;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `level` is a `tracing` level name;
/// `RUST_LOG`, when set, takes over for fine-grained filtering.
pub fn init(level: &str, file: Option<&Path>) -> anyhow::Result<()> {
    // Our own crates at the chosen level; dependencies no chattier than info.
    let deps = match level {
        "trace" | "debug" => "info",
        other => other,
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(f) if !f.trim().is_empty() => EnvFilter::try_new(f)?,
        _ => EnvFilter::try_new(format!("{deps},mcvsphere={level},vcsim={level}"))?,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = match file {
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot open LOG_FILE {}: {e}", path.display()))?;
            builder
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(f))
                .try_init()
        }
        None => {
            use std::io::IsTerminal;
            builder
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(std::io::stderr)
                .try_init()
        }
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
    Ok(())
}
