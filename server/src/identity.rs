//! Who is calling. The HTTP auth layer puts an [`Identity`] into the request's
//! extensions; the MCP handler reads it (rmcp hands tools the request's
//! `http::request::Parts`). Stdio and unauthenticated HTTP have none, and get
//! the configured role instead.

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// A stable user id (the token's `sub`, or `api-key`).
    pub subject: String,
    /// A display name if the IdP gave one (`preferred_username`, `email`).
    pub name: Option<String>,
    /// Group names as the IdP sent them (before `RBAC_GROUP_MAP`).
    pub groups: Vec<String>,
    pub source: IdentitySource,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentitySource {
    /// An access token this server issued through its OIDC proxy.
    ProxyToken,
    /// The IdP's own JWT access token, audience = this server.
    IdpToken,
    /// The static `MCP_API_KEY`.
    ApiKey,
}

impl IdentitySource {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentitySource::ProxyToken => "oauth",
            IdentitySource::IdpToken => "idp_token",
            IdentitySource::ApiKey => "api_key",
        }
    }
}
