//! HTTP security: an OAuth 2.1 resource server in front of `/mcp` and, with
//! `OAUTH_ENABLED=true`, an OIDC proxy that is the authorization server MCP
//! clients see while people sign in at the real IdP. `docs/src/content/docs/deployment/oauth.md` has the
//! whole picture; in short:
//!
//! - [`resource`]: bearer check on `/mcp` (our tokens, the IdP's JWT access
//!   tokens, `MCP_API_KEY`), Protected Resource Metadata, `WWW-Authenticate`.
//! - [`metadata`], [`register`], [`authorize`] + [`consent`], [`callback`],
//!   [`token`]: the proxy's endpoints; [`upstream`] + [`jwks`]: the IdP side.
//! - [`keys`]: all proxy state is sealed into the values handed out, so any
//!   replica holding `OAUTH_SIGNING_KEY` continues any flow; [`replay`] keeps
//!   codes and refresh tokens single-use within a process.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::config::{Config, OAuthMode, Secret};

pub mod access;
pub mod authorize;
pub mod callback;
pub mod claims;
pub mod consent;
pub mod jwks;
pub mod keys;
pub mod metadata;
pub mod params;
pub mod register;
pub mod replay;
pub mod resource;
pub mod token;
pub mod upstream;

use keys::Keys;
use replay::Replay;
use upstream::Upstream;

/// Path of the proxy's callback at the IdP (the Python original's path).
pub const CALLBACK_PATH: &str = "/auth/callback";
/// How long a refresh token lives; group changes at the IdP take effect at the
/// next sign-in, so this bounds how long a removed user keeps access.
pub const REFRESH_TTL_SECS: i64 = 24 * 3600;
/// How long an authorization code lives.
pub const CODE_TTL_SECS: i64 = 60;
/// How long a sign-in (consent page, IdP round trip) may take.
pub const FLOW_TTL_SECS: i64 = 600;

/// Everything the auth layer needs, built once from the configuration.
pub struct Auth {
    /// `OAUTH_BASE_URL` without a trailing slash (`None`: API key only).
    pub base_url: Option<String>,
    /// The resource (audience) URL: `{base}/mcp`.
    pub resource_url: Option<String>,
    /// `true` when this server is the authorization server (OIDC proxy).
    pub proxy: bool,
    pub upstream: Option<Upstream>,
    pub keys: Keys,
    pub api_key: Option<Secret>,
    pub api_key_groups: Vec<String>,
    pub required_groups: Vec<String>,
    pub trusted_clients: Vec<String>,
    pub access_ttl_secs: i64,
    /// Authorization codes already redeemed (by id).
    pub used_codes: Replay,
    /// Refresh tokens already rotated (by id) and families revoked on reuse.
    pub used_refresh: Replay,
    pub revoked_families: Replay,
}

impl Auth {
    /// The auth layer for this configuration, or `None` when HTTP is open
    /// (neither OAuth nor an API key; `Config::check_serve` decided that is allowed).
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Arc<Auth>>> {
        let o = &config.oauth;
        let a = &config.access;
        if !o.enabled && a.api_key.is_none() {
            return Ok(None);
        }
        let keys = match &o.signing_key {
            Some(k) => Keys::derive(k.expose().as_bytes()),
            None => {
                if o.enabled {
                    tracing::warn!(
                        target: "mcvsphere::auth",
                        "OAUTH_SIGNING_KEY is not set: using a random key for this process. \
                         Every restart signs users out and replicas cannot share flows; set it \
                         (32+ random bytes, the same on every replica)."
                    );
                }
                Keys::random()
            }
        };
        let base_url = o
            .base_url
            .as_ref()
            .map(|b| b.trim_end_matches('/').to_string());
        let proxy = o.enabled && o.mode == OAuthMode::Proxy;
        let upstream = match (o.enabled, &o.issuer_url, &base_url) {
            (true, Some(issuer), Some(base)) => {
                let client = match (proxy, &o.client_id, &o.client_secret) {
                    (true, Some(id), Some(secret)) => Some((id.clone(), secret.clone())),
                    _ => None,
                };
                Some(Upstream::new(
                    issuer,
                    client,
                    o.scopes.clone(),
                    format!("{base}{CALLBACK_PATH}"),
                )?)
            }
            _ => None,
        };
        Ok(Some(Arc::new(Auth {
            resource_url: base_url
                .as_ref()
                .filter(|_| o.enabled)
                .map(|b| format!("{b}/mcp")),
            base_url: base_url.filter(|_| o.enabled),
            proxy,
            upstream,
            keys,
            api_key: a.api_key.clone(),
            api_key_groups: a.api_key_groups.clone(),
            required_groups: o.required_groups.clone(),
            trusted_clients: o.trusted_clients.clone(),
            access_ttl_secs: i64::try_from(o.access_token_ttl_secs).unwrap_or(3600),
            used_codes: Replay::new(100_000),
            used_refresh: Replay::new(100_000),
            revoked_families: Replay::new(100_000),
        })))
    }

    /// The resource URLs a token's `aud` may name (with and without a trailing slash).
    pub fn audiences(&self) -> Vec<String> {
        self.resource_url
            .iter()
            .flat_map(|r| [r.clone(), format!("{r}/")])
            .collect()
    }

    /// The endpoints outside `/mcp`: metadata always (with OAuth), the proxy's when it is on.
    pub fn routes(self: &Arc<Self>) -> Router {
        let mut r = Router::new();
        if self.resource_url.is_some() {
            r = r
                .route("/.well-known/oauth-protected-resource", get(resource::prm))
                .route(
                    "/.well-known/oauth-protected-resource/mcp",
                    get(resource::prm),
                );
        }
        if self.proxy {
            r = r
                .route(
                    "/.well-known/oauth-authorization-server",
                    get(metadata::as_metadata),
                )
                .route(
                    "/.well-known/oauth-authorization-server/mcp",
                    get(metadata::as_metadata),
                )
                .route("/register", post(register::register))
                .route("/authorize", get(authorize::authorize))
                .route("/authorize/consent", post(consent::decide))
                .route(CALLBACK_PATH, get(callback::callback))
                .route("/token", post(token::token));
        }
        r.with_state(self.clone())
    }
}

/// Records an authentication event in the audit log (`crate::audit`).
/// `subject` is a user id, never a token; `detail` is a fixed text or a
/// client name, never a token, code or secret.
pub fn audit(kind: &str, subject: Option<&str>, outcome: &str, detail: &str) {
    crate::audit::auth_event(kind, subject, outcome, detail);
}
