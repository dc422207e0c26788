//! The operational subcommands: `mcvsphere docs` (write or check the
//! documentation site's generated pages) and `mcvsphere healthcheck` (the
//! container health probe).

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cli::Cli;
use crate::config::Transport;

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("mcvsphere: cannot start the async runtime: {e}");
            None
        }
    }
}

/// `mcvsphere docs --out DIR [--check]`.
pub fn docs(out: &Path, check: bool) -> ExitCode {
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    let pages = match rt.block_on(crate::docs::render()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("mcvsphere: rendering the docs: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let mut stale = crate::docs::differing(out, &pages);
        stale.extend(
            crate::docs::stale_files(out, &pages)
                .into_iter()
                .map(|p| format!("{} (no such tool)", p.display())),
        );
        if stale.is_empty() {
            println!("{} generated pages are current", pages.len());
            return ExitCode::SUCCESS;
        }
        for s in &stale {
            eprintln!("stale: {s}");
        }
        eprintln!("run `mcvsphere docs --out {}` to regenerate", out.display());
        return ExitCode::FAILURE;
    }
    match crate::docs::write(out, &pages) {
        Ok(()) => {
            println!("wrote {} pages under {}", pages.len(), out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mcvsphere: writing the docs: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `mcvsphere healthcheck`: GET /health on the configured port over
/// loopback. Hand-rolled HTTP/1.0 so the probe needs no TLS provider or
/// client stack, and the image needs no curl.
pub fn healthcheck(cli: &Cli) -> ExitCode {
    let config = match crate::cli::load_config(cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mcvsphere healthcheck: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if config.transport == Transport::Stdio {
        // A stdio server has no socket to probe; it is alive while its
        // process is, which the container runtime already knows.
        println!("stdio transport: nothing to probe");
        return ExitCode::SUCCESS;
    }
    let host = match config.mcp_host.trim_matches(|c| c == '[' || c == ']') {
        "0.0.0.0" | "" => "127.0.0.1".to_string(),
        "::" => "::1".to_string(),
        h => h.to_string(),
    };
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    let probe = probe(&host, config.mcp_port);
    match rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), probe).await }) {
        Ok(Ok(())) => {
            println!("healthy");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("mcvsphere healthcheck: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("mcvsphere healthcheck: no answer from /health within 5 s");
            ExitCode::FAILURE
        }
    }
}

async fn probe(host: &str, port: u16) -> Result<(), String> {
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    // The Host header must pass the server's DNS-rebinding check, which
    // always allows loopback names and the bind address.
    let req = format!("GET /health HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| format!("writing to {addr}: {e}"))?;
    let mut buf = Vec::new();
    s.take(64 * 1024)
        .read_to_end(&mut buf)
        .await
        .map_err(|e| format!("reading from {addr}: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    let status = text.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") && text.contains("\"ok\"") {
        Ok(())
    } else {
        Err(format!("GET http://{addr}/health answered {status:?}"))
    }
}
