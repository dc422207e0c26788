//! The resource-server side: the bearer check in front of `/mcp`, Protected
//! Resource Metadata (RFC 9728) and `WWW-Authenticate` (RFC 6750 §3).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::claims::has_required;
use super::{Auth, access, audit};
use crate::identity::{Identity, IdentitySource};

/// `GET /.well-known/oauth-protected-resource[/mcp]`.
pub async fn prm(State(auth): State<Arc<Auth>>) -> Response {
    let as_url = if auth.proxy {
        auth.base_url.clone()
    } else {
        auth.upstream.as_ref().map(|u| u.issuer.clone())
    };
    let mut r = Json(json!({
        "resource": auth.resource_url,
        "authorization_servers": as_url.into_iter().collect::<Vec<_>>(),
        "bearer_methods_supported": ["header"],
        "resource_name": "mcvsphere",
    }))
    .into_response();
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// Why a request to `/mcp` is refused.
#[derive(Debug)]
pub enum Refusal {
    /// No bearer token (RFC 6750 §3.1: no `error`).
    Missing,
    /// A token in the query string or a malformed header: 400 `invalid_request`.
    BadRequest(&'static str),
    /// 401 `invalid_token`.
    Invalid(String),
    /// Valid token, not allowed: 403 `insufficient_scope`.
    Forbidden(&'static str),
}

impl Auth {
    /// The `WWW-Authenticate` value for a refusal.
    fn challenge(&self, error: Option<(&str, &str)>) -> String {
        let mut parts = vec![];
        match &self.base_url {
            Some(b) => parts.push(format!(
                "resource_metadata=\"{b}/.well-known/oauth-protected-resource/mcp\""
            )),
            None => parts.push("realm=\"mcvsphere\"".to_string()),
        }
        if let Some((code, desc)) = error {
            parts.push(format!("error=\"{code}\""));
            // Descriptions are fixed texts or library messages; quotes and
            // backslashes are dropped so the header stays well-formed.
            let desc: String = desc
                .chars()
                .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
                .collect();
            parts.push(format!("error_description=\"{desc}\""));
        }
        format!("Bearer {}", parts.join(", "))
    }

    pub fn refusal_response(&self, r: &Refusal) -> Response {
        let (status, err) = match r {
            Refusal::Missing => (StatusCode::UNAUTHORIZED, None),
            Refusal::BadRequest(d) => (StatusCode::BAD_REQUEST, Some(("invalid_request", *d))),
            Refusal::Invalid(d) => (
                StatusCode::UNAUTHORIZED,
                Some(("invalid_token", d.as_str())),
            ),
            Refusal::Forbidden(d) => (StatusCode::FORBIDDEN, Some(("insufficient_scope", *d))),
        };
        let body = match err {
            Some((e, d)) => json!({"error": e, "error_description": d}),
            None => {
                json!({"error": "unauthorized", "error_description": "a bearer token is required"})
            }
        };
        let mut resp = (status, Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&self.challenge(err)) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }

    /// Who presents `token`: our access token, the IdP's access token, or the API key.
    pub async fn authenticate(&self, token: &str) -> Result<Identity, Refusal> {
        if let Some(key) = &self.api_key
            && super::keys::ct_eq(token, key.expose())
        {
            return Ok(Identity {
                subject: "api-key".into(),
                name: None,
                groups: self.api_key_groups.clone(),
                source: IdentitySource::ApiKey,
            });
        }
        if self.resource_url.is_none() {
            return Err(Refusal::Invalid("unknown API key".into()));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Refusal::Invalid("the token is not a JWT".into()))?;
        // Route by the (not yet verified) issuer; each path then pins its own
        // algorithm, key and issuer, so lying about `iss` gains nothing.
        let iss = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(token)
            .ok()
            .and_then(|c| c.get("iss").and_then(|i| i.as_str()).map(str::to_string))
            .unwrap_or_default();
        let ours = self
            .base_url
            .as_deref()
            .is_some_and(|b| iss.trim_end_matches('/') == b);
        let (user, source) = if ours && self.proxy {
            (
                access::verify(self, token).map_err(Refusal::Invalid)?,
                IdentitySource::ProxyToken,
            )
        } else if let Some(up) = self
            .upstream
            .as_ref()
            .filter(|u| iss.trim_end_matches('/') == u.issuer)
        {
            let user = up
                .verify_access_token(token, &header, &self.audiences())
                .await
                .map_err(Refusal::Invalid)?;
            (user, IdentitySource::IdpToken)
        } else {
            return Err(Refusal::Invalid("unknown token issuer".into()));
        };
        if !has_required(&user.groups, &self.required_groups) {
            return Err(Refusal::Forbidden(
                "the user is in none of OAUTH_REQUIRED_GROUPS",
            ));
        }
        Ok(user.identity(source))
    }
}

/// The bearer check in front of `/mcp`: on success the [`Identity`] goes into
/// the request's extensions, where the MCP handler (RBAC) reads it.
pub async fn require_bearer(
    State(auth): State<Arc<Auth>>,
    mut req: Request,
    next: Next,
) -> Response {
    let outcome = check(&auth, req.headers(), req.uri()).await;
    match outcome {
        Ok(id) => {
            req.extensions_mut().insert(id);
            next.run(req).await
        }
        Err(r) => {
            if !matches!(r, Refusal::Missing) {
                let detail = match &r {
                    Refusal::Invalid(d) => d.as_str(),
                    Refusal::BadRequest(d) | Refusal::Forbidden(d) => d,
                    Refusal::Missing => "",
                };
                audit("token_refused", None, "denied", detail);
            }
            auth.refusal_response(&r)
        }
    }
}

async fn check(auth: &Auth, headers: &HeaderMap, uri: &Uri) -> Result<Identity, Refusal> {
    // RFC 6750 §2.3 allows query tokens; OAuth 2.1 and the MCP spec do not
    // (they end up in logs and browser history).
    if let Some(q) = uri.query()
        && url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "access_token")
    {
        return Err(Refusal::BadRequest(
            "tokens in the query string are not accepted",
        ));
    }
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Refusal::Missing);
    };
    if values.next().is_some() {
        return Err(Refusal::BadRequest("more than one Authorization header"));
    }
    let value = value
        .to_str()
        .map_err(|_| Refusal::BadRequest("malformed Authorization header"))?;
    let Some((scheme, token)) = value.split_once(' ') else {
        return Err(Refusal::Missing);
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Refusal::Missing);
    }
    let token = token.trim();
    if token.is_empty() || token.len() > 16 * 1024 {
        return Err(Refusal::Invalid("malformed token".into()));
    }
    auth.authenticate(token).await
}
