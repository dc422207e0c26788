//! Settings: the same names as the Python mcvsphere (environment variables,
//! a `.env` file, a YAML file whose keys are the lowercase variable names),
//! resolved in layers: built-in default < config file < environment < CLI flag.
//!
//! Every setting is described once in [`SETTINGS`] (`settings.rs`) so the
//! CLI, the error messages and a docs generator all enumerate the same list.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;
use url::Url;

mod limits;
mod settings;
mod sources;
mod values;
pub use limits::{AUTO_RATE_PER_MINUTE, Limits, MAX_CONNECT_TIMEOUT, RateSetting};
pub use settings::{SETTINGS, SettingInfo, setting};
use sources::Layer;
pub use sources::{Sources, parse_yaml};
use values::{check_public_url, parse_log_level, parse_transport};
pub use values::{is_loopback_host, parse_bool, parse_level, parse_vcenter_host};

/// A secret value (a password or client secret). Its `Debug` and `Display`
/// never show the value; call [`Secret::expose`] where it is really needed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"********\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// A configuration that cannot be used; the message names the setting.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ConfigError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Transport {
    Stdio,
    StreamableHttp,
}

/// The OAuth settings: parsed and kept for the issue that adds OAuth.
#[derive(Clone, Debug, Default)]
pub struct OAuthSettings {
    pub enabled: bool,
    pub mode: OAuthMode,
    pub issuer_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub base_url: Option<String>,
    pub scopes: Vec<String>,
    pub required_groups: Vec<String>,
    pub signing_key: Option<Secret>,
    pub trusted_clients: Vec<String>,
    pub access_token_ttl_secs: u64,
}

/// Whether the server is the OAuth authorization server clients see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum OAuthMode {
    /// OIDC proxy: metadata, registration, authorize, callback, token.
    #[default]
    Proxy,
    /// Resource server only: the IdP's own access tokens.
    ResourceServer,
}

/// Who may call what, and where the record of it goes.
#[derive(Clone, Debug)]
pub struct AccessSettings {
    /// Extra `Host` values accepted over HTTP (besides loopback names).
    pub allowed_hosts: Vec<String>,
    /// Extra browser origins accepted over HTTP.
    pub allowed_origins: Vec<String>,
    pub api_key: Option<Secret>,
    pub api_key_groups: Vec<String>,
    pub allow_unauthenticated: bool,
    /// Level for callers without an identity (stdio; HTTP without auth).
    pub role: crate::permission::Permission,
    /// IdP group name → contract group name.
    pub group_map: Vec<(String, String)>,
    pub filter_tools: bool,
    pub audit_log: Option<PathBuf>,
}

/// The resolved configuration. `Debug` is safe to log: secrets are [`Secret`]s.
#[derive(Clone, Debug)]
pub struct Config {
    /// The SOAP endpoint (`https://host[:port]/sdk`).
    pub vcenter_url: Option<Url>,
    pub vcenter_user: Option<String>,
    pub vcenter_password: Option<Secret>,
    pub vcenter_insecure: bool,
    pub datacenter: Option<String>,
    pub cluster: Option<String>,
    pub datastore: Option<String>,
    pub network: String,
    pub transport: Transport,
    pub mcp_host: String,
    pub mcp_port: u16,
    /// A `tracing` level name: trace, debug, info, warn, error.
    pub log_level: String,
    pub log_file: Option<PathBuf>,
    pub oauth: OAuthSettings,
    pub access: AccessSettings,
    /// The directory local file paths of tools are confined to
    /// (`MCVSPHERE_LOCAL_DIR`); `None`: local file access is off.
    pub local_dir: Option<PathBuf>,
    /// Timeouts, concurrency, rate limits, shutdown grace (`limits.rs`).
    pub limits: Limits,
    /// Things worth a log line once logging is up (unknown config-file keys).
    pub warnings: Vec<String>,
}

/// What the vSphere client needs, all present.
#[derive(Clone, Debug)]
pub struct VCenterSettings {
    pub url: Url,
    pub user: String,
    pub password: Secret,
    pub insecure: bool,
}

impl Config {
    /// Resolves the layers into typed settings; the first bad value fails with
    /// a message naming its variable.
    pub fn resolve(src: &Sources) -> Result<Config, ConfigError> {
        let mut warnings = vec![];
        for key in src.file.keys() {
            if setting(key).is_none() {
                let file = src
                    .file_name
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "config file".into());
                warnings.push(format!("{file}: unknown setting '{key}' ignored"));
            }
        }
        let raw = |key: &str| -> Option<(String, &'static SettingInfo, Layer)> {
            let info = setting(key)?;
            src.get(key).map(|(v, l)| (v.trim().to_string(), info, l))
        };
        let string = |key: &str| raw(key).map(|(v, _, _)| v).filter(|v| !v.is_empty());
        let with_default = |key: &str| -> String {
            string(key)
                .or_else(|| setting(key).and_then(|s| s.default).map(str::to_string))
                .unwrap_or_default()
        };
        let boolean = |key: &str| -> Result<bool, ConfigError> {
            match raw(key) {
                None => Ok(setting(key).and_then(|s| s.default) == Some("true")),
                Some((v, info, layer)) => parse_bool(&v).ok_or_else(|| {
                    ConfigError(format!(
                        "{} must be true or false, got '{v}'",
                        name(info, layer)
                    ))
                }),
            }
        };
        let list = |key: &str| -> Vec<String> {
            with_default(key)
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };

        let number = |key: &str, min: u64, max: u64| -> Result<u64, ConfigError> {
            let v = with_default(key);
            match v.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => {
                    let env = setting(key).map_or(key, |s| s.env);
                    err(format!(
                        "{env} must be a whole number from {min} to {max}, got '{v}'"
                    ))
                }
            }
        };

        let vcenter_url = match raw("vcenter_host").filter(|(v, _, _)| !v.is_empty()) {
            None => None,
            Some((v, info, layer)) => Some(
                parse_vcenter_host(&v)
                    .map_err(|m| ConfigError(format!("{} {m}", name(info, layer))))?,
            ),
        };
        let transport = match raw("mcp_transport") {
            None => Transport::Stdio,
            Some((v, info, layer)) => parse_transport(&v)
                .map_err(|m| ConfigError(format!("{}={v}: {m}", name(info, layer))))?,
        };
        let mcp_port = match raw("mcp_port") {
            None => 8080,
            Some((v, info, layer)) => v.parse::<u16>().map_err(|_| {
                ConfigError(format!(
                    "{} must be a port number (0-65535), got '{v}'",
                    name(info, layer)
                ))
            })?,
        };
        let log_level = match raw("log_level") {
            None => "info".to_string(),
            Some((v, info, layer)) => parse_log_level(&v).ok_or_else(|| {
                ConfigError(format!(
                    "{} must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got '{v}'",
                    name(info, layer)
                ))
            })?,
        };
        let local_dir = match string("mcvsphere_local_dir") {
            Some(v) if matches!(v.to_ascii_lowercase().as_str(), "off" | "none" | "false") => None,
            Some(v) => Some(PathBuf::from(v)),
            // Over stdio the caller is the local user who started the server;
            // but a client that starts it in `/` would open the whole disk.
            None if transport == Transport::Stdio => match std::env::current_dir() {
                Ok(d) if d.parent().is_some() => Some(d),
                _ => {
                    warnings.push(
                        "MCVSPHERE_LOCAL_DIR is unset and the working directory is the file \
                         system root: local file access is off (set MCVSPHERE_LOCAL_DIR to \
                         allow a directory)"
                            .to_string(),
                    );
                    None
                }
            },
            None => None,
        };
        let mcp_host = with_default("mcp_host");
        if mcp_host.contains(['/', ' ']) {
            return err(format!(
                "MCP_HOST must be a host name or IP address, got '{mcp_host}'"
            ));
        }
        Ok(Config {
            vcenter_url,
            vcenter_user: string("vcenter_user"),
            vcenter_password: string("vcenter_password").map(Secret::new),
            vcenter_insecure: boolean("vcenter_insecure")?,
            datacenter: string("vcenter_datacenter"),
            cluster: string("vcenter_cluster"),
            datastore: string("vcenter_datastore"),
            network: with_default("vcenter_network"),
            transport,
            mcp_host,
            mcp_port,
            log_level,
            log_file: string("log_file").map(PathBuf::from),
            oauth: OAuthSettings {
                enabled: boolean("oauth_enabled")?,
                mode: match with_default("oauth_mode").to_ascii_lowercase().replace('-', "_").as_str() {
                    "proxy" => OAuthMode::Proxy,
                    "resource_server" => OAuthMode::ResourceServer,
                    other => {
                        return err(format!(
                            "OAUTH_MODE must be proxy or resource_server, got '{other}'"
                        ));
                    }
                },
                issuer_url: string("oauth_issuer_url"),
                client_id: string("oauth_client_id"),
                client_secret: string("oauth_client_secret").map(Secret::new),
                base_url: string("oauth_base_url"),
                scopes: list("oauth_scopes"),
                required_groups: list("oauth_required_groups"),
                signing_key: match string("oauth_signing_key") {
                    Some(k) if k.len() < 32 => {
                        return err("OAUTH_SIGNING_KEY must be at least 32 bytes long");
                    }
                    k => k.map(Secret::new),
                },
                trusted_clients: list("oauth_trusted_clients"),
                access_token_ttl_secs: number("oauth_access_token_ttl", 60, 86_400)?,
            },
            access: AccessSettings {
                allowed_hosts: list("mcp_allowed_hosts"),
                allowed_origins: list("mcp_allowed_origins"),
                api_key: match string("mcp_api_key") {
                    Some(k) if k.len() < 16 => {
                        return err("MCP_API_KEY must be at least 16 characters long");
                    }
                    k => k.map(Secret::new),
                },
                api_key_groups: list("mcp_api_key_groups"),
                allow_unauthenticated: boolean("mcp_allow_unauthenticated")?,
                role: match raw("mcvsphere_role") {
                    None => crate::permission::Permission::FullAdmin,
                    Some((v, info, layer)) => parse_level(&v).ok_or_else(|| {
                        ConfigError(format!(
                            "{} must be one of read_only, power_ops, vm_lifecycle, host_admin, full_admin, got '{v}'",
                            name(info, layer)
                        ))
                    })?,
                },
                group_map: {
                    let mut pairs = vec![];
                    for item in list("rbac_group_map") {
                        match item.split_once('=') {
                            Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                                pairs.push((from.trim().to_string(), to.trim().to_string()));
                            }
                            _ => {
                                return err(format!(
                                    "RBAC_GROUP_MAP entries must look like idp-group=contract-group, got '{item}'"
                                ));
                            }
                        }
                    }
                    pairs
                },
                filter_tools: boolean("rbac_filter_tools")?,
                audit_log: string("audit_log").map(PathBuf::from),
            },
            local_dir,
            limits: limits::resolve(src)?,
            warnings,
        })
    }

    /// The vCenter connection settings, or a message naming what is missing.
    pub fn vcenter(&self) -> Result<VCenterSettings, ConfigError> {
        let Some(url) = self.vcenter_url.clone() else {
            return err(
                "VCENTER_HOST is not set (or use --simulator to run against the built-in simulator)",
            );
        };
        let Some(user) = self.vcenter_user.clone() else {
            return err("VCENTER_USER is not set");
        };
        let Some(password) = self.vcenter_password.clone() else {
            return err("VCENTER_PASSWORD is not set");
        };
        Ok(VCenterSettings {
            url,
            user,
            password,
            insecure: self.vcenter_insecure,
        })
    }

    /// Checks what must hold before serving: complete OAuth settings, and no
    /// open HTTP server on a network interface unless asked for explicitly.
    pub fn check_serve(&self) -> Result<(), ConfigError> {
        let o = &self.oauth;
        if o.enabled {
            let missing = |var: &str| {
                ConfigError(format!(
                    "OAUTH_ENABLED=true but {var} is not set; OAuth is not available without it, \
                     and the server refuses to start unprotected"
                ))
            };
            let issuer = o
                .issuer_url
                .as_deref()
                .ok_or_else(|| missing("OAUTH_ISSUER_URL"))?;
            check_public_url("OAUTH_ISSUER_URL", issuer, true)?;
            let base = o
                .base_url
                .as_deref()
                .ok_or_else(|| missing("OAUTH_BASE_URL"))?;
            check_public_url("OAUTH_BASE_URL", base, false)?;
            if o.mode == OAuthMode::Proxy {
                if o.client_id.is_none() {
                    return Err(missing("OAUTH_CLIENT_ID"));
                }
                if o.client_secret.is_none() {
                    return Err(missing("OAUTH_CLIENT_SECRET"));
                }
            }
        }
        let open = !o.enabled && self.access.api_key.is_none();
        if self.transport == Transport::StreamableHttp
            && open
            && !is_loopback_host(&self.mcp_host)
            && !self.access.allow_unauthenticated
        {
            return err(format!(
                "MCP_HOST={} is not a loopback address and neither OAUTH_ENABLED nor MCP_API_KEY \
                 is set: anyone who can reach the port could run vSphere tools. Configure OAuth \
                 or an API key, or set MCP_ALLOW_UNAUTHENTICATED=true if the network is trusted.",
                self.mcp_host
            ));
        }
        Ok(())
    }
}

fn name(info: &SettingInfo, layer: Layer) -> String {
    match layer {
        Layer::Env => info.env.to_string(),
        Layer::Cli => info.flag.unwrap_or(info.env).to_string(),
        Layer::File => format!("{} (config file key '{}')", info.env, info.key),
    }
}

#[cfg(test)]
mod serve_checks;
