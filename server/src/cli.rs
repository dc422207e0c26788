//! Command line. Flags override environment variables, which override the
//! config file (see [`crate::config`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Config, ConfigError, Sources};

#[derive(Debug, Parser)]
#[command(
    name = "mcvsphere",
    version,
    about = "MCP server for VMware vSphere (vCenter / ESXi), with a built-in simulator",
    long_about = "MCP server for VMware vSphere (vCenter / ESXi), with a built-in simulator.\n\n\
        Settings come from (lowest to highest precedence) a YAML config file (--config or \
        MCVSPHERE_CONFIG), a .env file, environment variables (VCENTER_HOST, VCENTER_USER, \
        VCENTER_PASSWORD, MCP_TRANSPORT, ...), and these flags. Run `mcvsphere settings` for \
        the full list."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// YAML config file; keys are the lowercase environment variable names (vcenter_host: ...).
    #[arg(long, env = "MCVSPHERE_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// .env file to load (default: ./.env if present). Variables already set win.
    #[arg(long, value_name = "FILE", global = true)]
    pub env_file: Option<PathBuf>,

    /// Run against the built-in vSphere simulator instead of a real vCenter.
    #[arg(long)]
    pub simulator: bool,

    /// MCP transport: stdio or streamable-http (alias http). [env: MCP_TRANSPORT]
    #[arg(long, value_name = "MODE")]
    pub transport: Option<String>,

    /// Listen address for streamable HTTP. [env: MCP_HOST]
    #[arg(long, value_name = "ADDR")]
    pub host: Option<String>,

    /// Listen port for streamable HTTP. [env: MCP_PORT]
    #[arg(long, value_name = "PORT")]
    pub port: Option<String>,

    /// vCenter/ESXi: host, host:port or https://host/sdk. [env: VCENTER_HOST]
    #[arg(long, value_name = "HOST")]
    pub vcenter_host: Option<String>,

    /// vCenter user. [env: VCENTER_USER] (the password is only read from VCENTER_PASSWORD)
    #[arg(long, value_name = "USER")]
    pub vcenter_user: Option<String>,

    /// Skip TLS certificate verification. [env: VCENTER_INSECURE]
    #[arg(long)]
    pub insecure: bool,

    /// Datacenter for new VMs. [env: VCENTER_DATACENTER]
    #[arg(long, value_name = "NAME")]
    pub datacenter: Option<String>,

    /// Cluster for new VMs. [env: VCENTER_CLUSTER]
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// Default datastore. [env: VCENTER_DATASTORE]
    #[arg(long, value_name = "NAME")]
    pub datastore: Option<String>,

    /// Default network. [env: VCENTER_NETWORK]
    #[arg(long, value_name = "NAME")]
    pub network: Option<String>,

    /// DEBUG, INFO, WARNING, ERROR or CRITICAL. [env: LOG_LEVEL]
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,

    /// Permission level without an identity (stdio; HTTP without auth):
    /// read_only, power_ops, vm_lifecycle, host_admin, full_admin. [env: MCVSPHERE_ROLE]
    #[arg(long, value_name = "LEVEL")]
    pub role: Option<String>,

    /// Log to this file instead of stderr. [env: LOG_FILE]
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MCP server (the default).
    Serve,
    /// Print every registered tool (name, description, schemas, annotations, permission).
    Tools {
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Print every setting (environment variable, config key, flag, type, default, description).
    Settings {
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Write the documentation site's generated pages (tool reference,
    /// permission table, settings, resources) under DIR, the site root.
    Docs {
        #[arg(long, value_name = "DIR", default_value = "docs")]
        out: PathBuf,
        /// Change nothing; exit 1 if any generated page is stale.
        #[arg(long)]
        check: bool,
    },
    /// Exit 0 if the HTTP server answers GET /health on MCP_PORT (for
    /// container health checks); in stdio mode there is nothing to probe,
    /// so it succeeds.
    Healthcheck,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Text,
}

impl Cli {
    /// The flags given, as setting key → raw value (the top layer of [`crate::config::Sources`]).
    pub fn overrides(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        put("mcp_transport", self.transport.clone());
        put("mcp_host", self.host.clone());
        put("mcp_port", self.port.clone());
        put("vcenter_host", self.vcenter_host.clone());
        put("vcenter_user", self.vcenter_user.clone());
        put(
            "vcenter_insecure",
            self.insecure.then(|| "true".to_string()),
        );
        put("vcenter_datacenter", self.datacenter.clone());
        put("vcenter_cluster", self.cluster.clone());
        put("vcenter_datastore", self.datastore.clone());
        put("vcenter_network", self.network.clone());
        put("log_level", self.log_level.clone());
        put("mcvsphere_role", self.role.clone());
        put(
            "log_file",
            self.log_file.as_ref().map(|p| p.display().to_string()),
        );
        m
    }
}

/// The settings layers for this process: config file, `.env` + environment, flags.
pub fn load_config(cli: &Cli) -> Result<Config, ConfigError> {
    load_dotenv(cli.env_file.as_deref())?;
    let mut src = Sources::default();
    if let Some(path) = &cli.config {
        src = src.with_file(path)?;
    }
    src = src.with_env(|k| std::env::var(k).ok());
    src.cli = cli.overrides();
    Config::resolve(&src)
}

fn load_dotenv(explicit: Option<&Path>) -> Result<(), ConfigError> {
    match explicit {
        Some(p) => dotenvy::from_path(p)
            .map_err(|e| ConfigError(format!("cannot load env file {}: {e}", p.display()))),
        None => match dotenvy::dotenv() {
            Ok(_) => Ok(()),
            Err(e) if e.not_found() => Ok(()),
            Err(e) => Err(ConfigError(format!("cannot load .env: {e}"))),
        },
    }
}
