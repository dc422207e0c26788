//! Start-up: settings → logging → vSphere client (or the embedded simulator)
//! → transport. Configuration problems end the process with exit code 2 and
//! one line naming the setting.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;

use crate::cli::{Cli, Command, Format, load_config};
use crate::config::{Config, ConfigError, SETTINGS, Transport};
use crate::mcp::AppState;
use crate::tools::{Defaults, ToolContext};
use crate::vsphere::Client;
use crate::{logging, simulator, tools, transport};

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Tools { format }) => return print_tools(*format),
        Some(Command::Settings { format }) => return print_settings(*format),
        Some(Command::Docs { out, check }) => return crate::ops::docs(out, *check),
        Some(Command::Healthcheck) => return crate::ops::healthcheck(&cli),
        Some(Command::Serve) | None => {}
    }
    let config = match load_config(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mcvsphere: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mcvsphere: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = rt.block_on(serve(config, cli.simulator));
    // The stdin reader is a blocking read no one can cancel; waiting for it
    // would hold the exit until the client writes another line.
    rt.shutdown_background();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the context chain on one line, never a backtrace.
            eprintln!("mcvsphere: {e:#}");
            if e.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs the server until the transport ends.
pub async fn serve(config: Config, use_simulator: bool) -> anyhow::Result<()> {
    logging::init(&config.log_level, config.log_file.as_deref())?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    config.check_serve()?;
    let (sim, vcenter) = if use_simulator {
        let (sim, settings) = simulator::start()
            .await
            .context("starting the built-in simulator")?;
        if config.vcenter_url.is_some() {
            tracing::warn!("--simulator given: ignoring VCENTER_HOST");
        }
        (Some(sim), settings)
    } else {
        (None, config.vcenter()?)
    };
    tracing::debug!(?config, "configuration");
    let limits = crate::vsphere::CallLimits {
        timeout: config.limits.vcenter_timeout,
        connect_timeout: config.limits.connect_timeout(),
        max_concurrency: config.limits.vcenter_max_concurrency,
    };
    let client = Client::with_limits(&vcenter, limits).map_err(|e| anyhow::anyhow!("{e}"))?;
    let audit = crate::audit::AuditLog::from_settings(&config.access)?;
    crate::audit::install(audit.clone());
    let app = Arc::new(AppState {
        tools: Arc::new(ToolContext {
            client: client.clone(),
            defaults: Defaults::from_config(&config),
        }),
        rbac: crate::rbac::Policy::from_settings(&config.access),
        audit,
        rate: rate_limiter(&config),
    });
    // Before the server says it is ready: a signal from then on is graceful.
    let signal = crate::shutdown::Signal::install().context("installing signal handlers")?;
    let result = match config.transport {
        Transport::Stdio => {
            if let Some(s) = &sim {
                eprint!("{}", simulator::banner(&s.url(), None));
            }
            transport::serve_stdio(app, signal, config.limits.shutdown_grace).await
        }
        Transport::StreamableHttp => {
            let listener = transport::bind(&config.mcp_host, config.mcp_port).await?;
            if let Some(s) = &sim {
                eprint!(
                    "{}",
                    simulator::banner(&s.url(), Some(listener.local_addr()?))
                );
            }
            transport::serve_http(app, listener, &config, signal).await
        }
    };
    client.logout().await;
    tracing::info!("logged out of vCenter; exiting");
    if let Some(s) = sim {
        s.shutdown().await;
    }
    result
}

/// The tool-call rate limiter for this transport: `MCVSPHERE_RATE_LIMIT=auto`
/// limits only authenticated HTTP, where several people share the server.
fn rate_limiter(config: &Config) -> crate::rate_limit::RateLimiter {
    let http = config.transport == Transport::StreamableHttp;
    let authenticated = config.oauth.enabled || config.access.api_key.is_some();
    let per_minute = config.limits.rate_per_minute(http, authenticated);
    if per_minute > 0 {
        tracing::info!(
            per_minute,
            burst = config.limits.rate_burst,
            "tool calls are rate-limited per caller (MCVSPHERE_RATE_LIMIT)"
        );
    }
    crate::rate_limit::RateLimiter::new(per_minute, config.limits.rate_burst)
}

fn print_tools(format: Format) -> ExitCode {
    let tools = tools::registry();
    match format {
        Format::Json => {
            let all: Vec<serde_json::Value> = tools.iter().map(|t| t.describe()).collect();
            println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        }
        Format::Text => {
            for t in tools {
                let level = t.permission().map_or("(none)", |p| p.as_str());
                println!("{:<16} {:<14} {}", t.name, level, t.title);
            }
        }
    }
    ExitCode::SUCCESS
}

fn print_settings(format: Format) -> ExitCode {
    match format {
        Format::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(SETTINGS).unwrap_or_default()
            );
        }
        Format::Text => {
            for s in SETTINGS {
                println!(
                    "{:<22} {:<6} default={:<12} {}",
                    s.env,
                    s.ty,
                    s.default.unwrap_or("-"),
                    s.description
                );
            }
        }
    }
    ExitCode::SUCCESS
}
