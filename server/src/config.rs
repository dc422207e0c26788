//! Settings: the same names as the Python mcvsphere (environment variables,
//! a `.env` file, a YAML file whose keys are the lowercase variable names),
//! resolved in layers: built-in default < config file < environment < CLI flag.
//!
//! Every setting is described once in [`SETTINGS`] so the CLI, the error
//! messages and a docs generator all enumerate the same list.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use url::Url;

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

/// One documented setting.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SettingInfo {
    /// Key in the YAML config file (the lowercase environment variable name).
    pub key: &'static str,
    /// Environment variable.
    pub env: &'static str,
    /// Command-line flag overriding it, if any.
    pub flag: Option<&'static str>,
    /// `string`, `bool`, `port`, `url`, `path`, `enum`, `list`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub default: Option<&'static str>,
    /// Never logged or echoed.
    pub secret: bool,
    pub description: &'static str,
}

const fn s(
    key: &'static str,
    env: &'static str,
    flag: Option<&'static str>,
    ty: &'static str,
    default: Option<&'static str>,
    secret: bool,
    description: &'static str,
) -> SettingInfo {
    SettingInfo {
        key,
        env,
        flag,
        ty,
        default,
        secret,
        description,
    }
}

/// Every setting the server reads, in documentation order.
pub const SETTINGS: &[SettingInfo] = &[
    s(
        "vcenter_host",
        "VCENTER_HOST",
        Some("--vcenter-host"),
        "url",
        None,
        false,
        "vCenter or ESXi to manage: `host`, `host:port`, or a URL such as `https://vc.example.com/sdk` (`http://` for a plain-HTTP simulator). Required unless `--simulator`.",
    ),
    s(
        "vcenter_user",
        "VCENTER_USER",
        Some("--vcenter-user"),
        "string",
        None,
        false,
        "User name for the vCenter session, e.g. `administrator@vsphere.local`. Required unless `--simulator`.",
    ),
    s(
        "vcenter_password",
        "VCENTER_PASSWORD",
        None,
        "string",
        None,
        true,
        "Password for `VCENTER_USER`. Required unless `--simulator`. Never logged; not settable on the command line.",
    ),
    s(
        "vcenter_insecure",
        "VCENTER_INSECURE",
        Some("--insecure"),
        "bool",
        Some("false"),
        false,
        "Skip TLS certificate verification (self-signed vCenter certificates). Development only.",
    ),
    s(
        "vcenter_datacenter",
        "VCENTER_DATACENTER",
        Some("--datacenter"),
        "string",
        None,
        false,
        "Datacenter new VMs go into; default: the first datacenter.",
    ),
    s(
        "vcenter_cluster",
        "VCENTER_CLUSTER",
        Some("--cluster"),
        "string",
        None,
        false,
        "Cluster whose resource pool new VMs use; default: the first cluster (or standalone host).",
    ),
    s(
        "vcenter_datastore",
        "VCENTER_DATASTORE",
        Some("--datastore"),
        "string",
        None,
        false,
        "Default datastore for new VMs; default: the first datastore.",
    ),
    s(
        "vcenter_network",
        "VCENTER_NETWORK",
        Some("--network"),
        "string",
        Some("VM Network"),
        false,
        "Default network (port group) for new NICs.",
    ),
    s(
        "mcp_transport",
        "MCP_TRANSPORT",
        Some("--transport"),
        "enum",
        Some("stdio"),
        false,
        "`stdio` or `streamable-http` (alias `http`). The deprecated SSE transport is not supported.",
    ),
    s(
        "mcp_host",
        "MCP_HOST",
        Some("--host"),
        "string",
        Some("127.0.0.1"),
        false,
        "Address the streamable HTTP transport listens on.",
    ),
    s(
        "mcp_port",
        "MCP_PORT",
        Some("--port"),
        "port",
        Some("8080"),
        false,
        "Port the streamable HTTP transport listens on (MCP endpoint `/mcp`, health `/health`).",
    ),
    s(
        "log_level",
        "LOG_LEVEL",
        Some("--log-level"),
        "enum",
        Some("INFO"),
        false,
        "`DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL` (lowercase and `TRACE` accepted too).",
    ),
    s(
        "log_file",
        "LOG_FILE",
        Some("--log-file"),
        "path",
        None,
        false,
        "Write logs to this file (appending) instead of stderr. stdout always carries only MCP messages.",
    ),
    s(
        "oauth_enabled",
        "OAUTH_ENABLED",
        None,
        "bool",
        Some("false"),
        false,
        "OAuth 2.1 for the HTTP transport: `/mcp` requires a bearer token, and (in `proxy` mode) the server is an OAuth authorization server that signs people in at `OAUTH_ISSUER_URL`. See the OAuth page of the documentation site (docs/src/content/docs/deployment/oauth.md).",
    ),
    s(
        "oauth_issuer_url",
        "OAUTH_ISSUER_URL",
        None,
        "url",
        None,
        false,
        "OIDC issuer of the identity provider, e.g. `https://auth.example.com/application/o/mcvsphere/` (Authentik) or `https://kc.example.com/realms/main` (Keycloak). `https` unless loopback.",
    ),
    s(
        "oauth_client_id",
        "OAUTH_CLIENT_ID",
        None,
        "string",
        None,
        false,
        "OAuth client id of this server at the identity provider (proxy mode).",
    ),
    s(
        "oauth_client_secret",
        "OAUTH_CLIENT_SECRET",
        None,
        "string",
        None,
        true,
        "OAuth client secret of this server at the identity provider (proxy mode). Never logged.",
    ),
    s(
        "oauth_base_url",
        "OAUTH_BASE_URL",
        None,
        "url",
        None,
        false,
        "Public base URL of this server, e.g. `https://mcp.example.com` (no path). The MCP resource (token audience) is `{OAUTH_BASE_URL}/mcp`; the IdP redirects to `{OAUTH_BASE_URL}/auth/callback`. `https` unless loopback.",
    ),
    s(
        "oauth_scopes",
        "OAUTH_SCOPES",
        None,
        "list",
        Some("openid,profile,email,groups"),
        false,
        "Comma-separated scopes requested from the identity provider; must yield an ID token with a `groups` claim.",
    ),
    s(
        "oauth_required_groups",
        "OAUTH_REQUIRED_GROUPS",
        None,
        "list",
        None,
        false,
        "Comma-separated groups; when set, a user in none of them is refused at sign-in and their tokens are refused (403).",
    ),
    s(
        "oauth_mode",
        "OAUTH_MODE",
        None,
        "enum",
        Some("proxy"),
        false,
        "`proxy`: this server is the authorization server MCP clients see (OIDC proxy to the IdP; needs `OAUTH_CLIENT_ID`/`OAUTH_CLIENT_SECRET`) and also accepts the IdP's own access tokens. `resource_server`: only the IdP's JWT access tokens whose audience is `{OAUTH_BASE_URL}/mcp` are accepted, and the metadata names the IdP as the authorization server.",
    ),
    s(
        "oauth_signing_key",
        "OAUTH_SIGNING_KEY",
        None,
        "string",
        None,
        true,
        "Secret (at least 32 bytes) that signs and encrypts the server's own tokens, codes and registered client ids. Replicas behind a load balancer must share it; without it a random key is made at start and every restart signs users out. Never logged.",
    ),
    s(
        "oauth_trusted_clients",
        "OAUTH_TRUSTED_CLIENTS",
        None,
        "list",
        None,
        false,
        "Comma-separated redirect URIs of pre-trusted MCP clients that skip the consent page (exact match).",
    ),
    s(
        "oauth_access_token_ttl",
        "OAUTH_ACCESS_TOKEN_TTL",
        None,
        "seconds",
        Some("3600"),
        false,
        "Lifetime of the access tokens the server issues, in seconds.",
    ),
    s(
        "mcp_allowed_hosts",
        "MCP_ALLOWED_HOSTS",
        None,
        "list",
        None,
        false,
        "Comma-separated `Host` header values accepted over HTTP in addition to loopback names (DNS-rebinding protection). Needed when clients reach the server by a DNS name.",
    ),
    s(
        "mcp_allowed_origins",
        "MCP_ALLOWED_ORIGINS",
        None,
        "list",
        None,
        false,
        "Comma-separated browser `Origin`s accepted over HTTP in addition to loopback origins, e.g. `https://mcp.example.com`.",
    ),
    s(
        "mcp_api_key",
        "MCP_API_KEY",
        None,
        "string",
        None,
        true,
        "A static bearer token for simple single-tenant HTTP setups; callers presenting it get the groups in `MCP_API_KEY_GROUPS`. Never logged.",
    ),
    s(
        "mcp_api_key_groups",
        "MCP_API_KEY_GROUPS",
        None,
        "list",
        Some("vsphere-readers"),
        false,
        "Comma-separated groups granted to `MCP_API_KEY` callers (least privilege by default).",
    ),
    s(
        "mcp_allow_unauthenticated",
        "MCP_ALLOW_UNAUTHENTICATED",
        None,
        "bool",
        Some("false"),
        false,
        "Allow serving HTTP on a non-loopback address with neither OAuth nor an API key. Off by default: such a server would let anyone on the network run every permitted tool.",
    ),
    s(
        "mcvsphere_role",
        "MCVSPHERE_ROLE",
        Some("--role"),
        "enum",
        Some("full_admin"),
        false,
        "Permission level for callers without an identity (stdio, and HTTP without authentication): `read_only`, `power_ops`, `vm_lifecycle`, `host_admin` or `full_admin`. E.g. `read_only` for a look-but-don't-touch assistant.",
    ),
    s(
        "mcvsphere_local_dir",
        "MCVSPHERE_LOCAL_DIR",
        None,
        "path",
        None,
        false,
        "The one directory on the server's own disk that `upload_to_datastore` (`local_path`) may read from and `download_from_datastore` (`save_to`) may write to; paths are relative to it or absolute inside it, and `..`, symlinks leading out, devices and FIFOs are refused. Unset: the working directory over stdio (unless that is `/`), off over HTTP (callers there are remote). `off` turns it off for stdio too.",
    ),
    s(
        "rbac_group_map",
        "RBAC_GROUP_MAP",
        None,
        "list",
        None,
        false,
        "Comma-separated `idp-group=contract-group` pairs for IdPs with other group names, e.g. `vmware-ro=vsphere-readers,vmware-root=vsphere-super-admins`.",
    ),
    s(
        "rbac_filter_tools",
        "RBAC_FILTER_TOOLS",
        None,
        "bool",
        Some("true"),
        false,
        "Show each caller only the tools its groups allow in `tools/list` (calls are checked either way).",
    ),
    s(
        "audit_log",
        "AUDIT_LOG",
        None,
        "path",
        None,
        false,
        "Append one JSON line per tool call, denial and auth event to this file (stderr when unset). Secrets in arguments are redacted.",
    ),
];

/// Where to look a setting up by key.
pub fn setting(key: &str) -> Option<&'static SettingInfo> {
    SETTINGS.iter().find(|s| s.key == key)
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

/// The raw values from each layer, by setting key. Values are strings as a
/// person wrote them; parsing happens once, in [`Config::resolve`].
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub file: BTreeMap<String, String>,
    pub env: BTreeMap<String, String>,
    pub cli: BTreeMap<String, String>,
    /// Where `file` came from, for messages.
    pub file_name: Option<PathBuf>,
}

impl Sources {
    /// Reads every setting's environment variable through `lookup` (empty values count as unset).
    pub fn with_env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        for s in SETTINGS {
            if let Some(v) = lookup(s.env).filter(|v| !v.trim().is_empty()) {
                self.env.insert(s.key.to_string(), v);
            }
        }
        self
    }

    /// Reads a YAML config file: a mapping from setting keys (lowercase
    /// environment names; uppercase accepted) to scalars or lists.
    pub fn with_file(mut self, path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
        self.file = parse_yaml(&text)
            .map_err(|m| ConfigError(format!("config file {}: {m}", path.display())))?;
        self.file_name = Some(path.to_path_buf());
        Ok(self)
    }

    fn get(&self, key: &str) -> Option<(&str, Layer)> {
        if let Some(v) = self.cli.get(key) {
            return Some((v, Layer::Cli));
        }
        if let Some(v) = self.env.get(key) {
            return Some((v, Layer::Env));
        }
        self.file.get(key).map(|v| (v.as_str(), Layer::File))
    }
}

#[derive(Clone, Copy)]
enum Layer {
    File,
    Env,
    Cli,
}

/// Parses YAML config text into setting keys → raw strings. Unknown keys are
/// kept (reported as warnings by [`Config::resolve`]).
pub fn parse_yaml(text: &str) -> Result<BTreeMap<String, String>, String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let mut out = BTreeMap::new();
    let map = match doc {
        serde_yaml::Value::Null => return Ok(out),
        serde_yaml::Value::Mapping(m) => m,
        _ => return Err("expected a mapping of setting names to values".into()),
    };
    for (k, v) in map {
        let Some(key) = k.as_str() else {
            return Err("setting names must be strings".into());
        };
        let key = key.to_ascii_lowercase();
        let value = match v {
            serde_yaml::Value::Null => continue,
            serde_yaml::Value::Bool(b) => b.to_string(),
            serde_yaml::Value::Number(n) => n.to_string(),
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Sequence(items) => {
                let mut parts = vec![];
                for i in items {
                    match i {
                        serde_yaml::Value::String(s) => parts.push(s),
                        serde_yaml::Value::Number(n) => parts.push(n.to_string()),
                        serde_yaml::Value::Bool(b) => parts.push(b.to_string()),
                        _ => return Err(format!("{key}: list items must be plain values")),
                    }
                }
                parts.join(",")
            }
            _ => return Err(format!("{key}: expected a plain value")),
        };
        out.insert(key, value);
    }
    Ok(out)
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

/// `127.0.0.1`, `::1`, `localhost` (and other 127/8 addresses).
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_matches(|c| c == '[' || c == ']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An absolute `https` URL (or `http` on loopback) without credentials,
/// query or fragment; `allow_path` for issuers, which often have one.
fn check_public_url(var: &str, v: &str, allow_path: bool) -> Result<(), ConfigError> {
    let u =
        Url::parse(v).map_err(|_| ConfigError(format!("{var} is not an absolute URL: '{v}'")))?;
    let host = u.host_str().unwrap_or("");
    match u.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        _ => {
            return err(format!(
                "{var} must use https (http only on loopback), got '{v}'"
            ));
        }
    }
    if host.is_empty() || !u.username().is_empty() || u.password().is_some() {
        return err(format!(
            "{var} must name a host and no credentials, got '{v}'"
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return err(format!(
            "{var} must not have a query or fragment, got '{v}'"
        ));
    }
    if !allow_path && u.path() != "/" && !u.path().is_empty() {
        return err(format!(
            "{var} must be the server's origin without a path (e.g. https://mcp.example.com), got '{v}'"
        ));
    }
    Ok(())
}

/// A permission level by its contract name (`read_only` … `full_admin`; `-` for `_` too).
pub fn parse_level(v: &str) -> Option<crate::permission::Permission> {
    use crate::permission::Permission as P;
    match v.trim().to_ascii_lowercase().replace('-', "_").as_str() {
        "read_only" => Some(P::ReadOnly),
        "power_ops" => Some(P::PowerOps),
        "vm_lifecycle" => Some(P::VmLifecycle),
        "host_admin" => Some(P::HostAdmin),
        "full_admin" => Some(P::FullAdmin),
        _ => None,
    }
}

fn name(info: &SettingInfo, layer: Layer) -> String {
    match layer {
        Layer::Env => info.env.to_string(),
        Layer::Cli => info.flag.unwrap_or(info.env).to_string(),
        Layer::File => format!("{} (config file key '{}')", info.env, info.key),
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_transport(v: &str) -> Result<Transport, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "stdio" => Ok(Transport::Stdio),
        "streamable-http" | "streamable_http" | "http" => Ok(Transport::StreamableHttp),
        "sse" => {
            Err("the SSE transport is deprecated and not supported; use streamable-http".into())
        }
        _ => Err("expected stdio or streamable-http (alias http)".into()),
    }
}

fn parse_log_level(v: &str) -> Option<String> {
    Some(
        match v.trim().to_ascii_lowercase().as_str() {
            "trace" => "trace",
            "debug" => "debug",
            "info" => "info",
            "warning" | "warn" => "warn",
            "error" | "critical" | "fatal" => "error",
            _ => return None,
        }
        .to_string(),
    )
}

/// `host`, `host:port`, `[v6]:port` or an `http(s)://` URL → the SOAP endpoint URL.
pub fn parse_vcenter_host(v: &str) -> Result<Url, String> {
    let bad = || format!("is not a host, host:port or http(s) URL: '{v}'");
    let v = v.trim();
    if v.is_empty() || v.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let mut url = if v.contains("://") {
        let u = Url::parse(v).map_err(|_| bad())?;
        if u.scheme() != "https" && u.scheme() != "http" {
            return Err(format!("must use http or https, got '{}'", u.scheme()));
        }
        u
    } else {
        if v.contains(['/', '?', '#', '@']) {
            return Err(bad());
        }
        Url::parse(&format!("https://{v}/sdk")).map_err(|_| bad())?
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials; use VCENTER_USER and VCENTER_PASSWORD".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    if url.path().is_empty() || url.path() == "/" {
        url.set_path("/sdk");
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod serve_checks {
    use super::*;

    fn cfg(vars: &[(&str, &str)]) -> Config {
        let m: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::resolve(&Sources::default().with_env(|k| m.get(k).cloned())).unwrap()
    }

    const FULL: &[(&str, &str)] = &[
        ("OAUTH_ENABLED", "true"),
        ("OAUTH_ISSUER_URL", "https://idp.example.com/realms/x"),
        ("OAUTH_CLIENT_ID", "id"),
        ("OAUTH_CLIENT_SECRET", "secret"),
        ("OAUTH_BASE_URL", "https://mcp.example.com"),
    ];

    #[test]
    fn oauth_settings_are_checked_and_named() {
        assert!(cfg(FULL).check_serve().is_ok());
        for (drop, name) in [
            (1, "OAUTH_ISSUER_URL"),
            (2, "OAUTH_CLIENT_ID"),
            (3, "OAUTH_CLIENT_SECRET"),
            (4, "OAUTH_BASE_URL"),
        ] {
            let v: Vec<(&str, &str)> = FULL
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != drop)
                .map(|(_, p)| *p)
                .collect();
            let e = cfg(&v).check_serve().unwrap_err().0;
            assert!(e.contains(name), "{e}");
        }
        let mut v = FULL.to_vec();
        v.push(("OAUTH_BASE_URL", "http://mcp.example.com"));
        assert!(
            cfg(&v[..4].iter().chain(&v[5..]).copied().collect::<Vec<_>>())
                .check_serve()
                .unwrap_err()
                .0
                .contains("https")
        );
        let loopback = [FULL, &[("OAUTH_BASE_URL", "http://127.0.0.1:8080")]].concat();
        let loopback: Vec<_> = loopback
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 4)
            .map(|(_, p)| *p)
            .collect();
        assert!(cfg(&loopback).check_serve().is_ok());
        // Resource-server mode needs no client at the IdP.
        let rs = [
            ("OAUTH_ENABLED", "true"),
            ("OAUTH_MODE", "resource_server"),
            ("OAUTH_ISSUER_URL", "https://idp.example.com"),
            ("OAUTH_BASE_URL", "https://mcp.example.com"),
        ];
        assert!(cfg(&rs).check_serve().is_ok());
        assert!(
            Config::resolve(
                &Sources::default().with_env(|k| (k == "OAUTH_MODE").then(|| "magic".to_string()))
            )
            .is_err()
        );
    }

    #[test]
    fn open_http_on_a_network_address_needs_an_explicit_yes() {
        let open = [("MCP_TRANSPORT", "http"), ("MCP_HOST", "0.0.0.0")];
        let e = cfg(&open).check_serve().unwrap_err().0;
        assert!(e.contains("MCP_ALLOW_UNAUTHENTICATED"), "{e}");
        assert!(
            cfg(&[open[0], open[1], ("MCP_ALLOW_UNAUTHENTICATED", "true")])
                .check_serve()
                .is_ok()
        );
        assert!(
            cfg(&[open[0], open[1], ("MCP_API_KEY", "0123456789abcdef0123")])
                .check_serve()
                .is_ok()
        );
        assert!(
            cfg(&[open[0], ("MCP_HOST", "127.0.0.1")])
                .check_serve()
                .is_ok()
        );
        assert!(cfg(&[open[0], ("MCP_HOST", "::1")]).check_serve().is_ok());
    }
}
