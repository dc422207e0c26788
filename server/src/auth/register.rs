//! Dynamic client registration (RFC 7591) and the redirect-URI rules.
//!
//! A client id is the client's own registration, sealed: no database, and any
//! replica recognises it. Redirect URIs are compared after parsing, exactly —
//! never as globs (the Python original's `http://localhost:*` also accepted
//! `http://localhost:1@evil.example/cb`). Loopback `http` URIs may differ only
//! in port (RFC 8252 §7.3); everything else must be `https` or an app's
//! private-use scheme (RFC 8252 §7.1).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::{Host, Url};

use super::keys::{Purpose, now, sha256_b64};
use super::{Auth, audit};

const MAX_REDIRECTS: usize = 10;
const MAX_URI_LEN: usize = 2000;
/// Client ids do not expire; rotating `OAUTH_SIGNING_KEY` retires them all.
const CLIENT_TTL_SECS: i64 = 100 * 365 * 24 * 3600;

/// A registered client, as sealed into its id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Client {
    #[serde(rename = "n")]
    pub name: String,
    #[serde(rename = "r")]
    pub redirect_uris: Vec<String>,
}

impl Client {
    /// The registered redirect URI that `presented` matches, if any.
    pub fn redirect_for(&self, presented: Option<&str>) -> Option<String> {
        match presented {
            None if self.redirect_uris.len() == 1 => self.redirect_uris.first().cloned(),
            None => None,
            Some(p) => {
                let p_url = check_redirect_uri(p).ok()?;
                self.redirect_uris
                    .iter()
                    .any(|r| Url::parse(r).is_ok_and(|r| redirect_matches(&r, &p_url)))
                    .then(|| p.to_string())
            }
        }
    }
}

/// Opens a client id; `None` for anything this server did not issue.
pub fn open_client(auth: &Auth, client_id: &str) -> Option<Client> {
    auth.keys.open(Purpose::Client, client_id)
}

/// A short stable fingerprint of a client id (carried in codes and tokens).
pub fn client_fingerprint(client_id: &str) -> String {
    sha256_b64(client_id)
}

pub fn is_loopback(host: Option<&Host<&str>>) -> bool {
    match host {
        Some(Host::Ipv4(ip)) => *ip == Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => *ip == Ipv6Addr::LOCALHOST,
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Checks one redirect URI on its own; the parsed URL on success.
pub fn check_redirect_uri(s: &str) -> Result<Url, String> {
    if s.len() > MAX_URI_LEN {
        return Err("redirect URI is too long".into());
    }
    let u = Url::parse(s).map_err(|_| format!("'{}' is not an absolute URL", clip(s)))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err("redirect URIs must not contain user information (user@host)".into());
    }
    if u.fragment().is_some() || s.contains('#') {
        return Err("redirect URIs must not contain a fragment".into());
    }
    match u.scheme() {
        "https" if u.host().is_none() => {
            return Err("an https redirect URI needs a host".into());
        }
        "http" if !is_loopback(u.host().as_ref()) => {
            return Err(
                "http redirect URIs are allowed only for loopback (127.0.0.1, [::1], localhost); use https".into(),
            );
        }
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" | "ftp" | "ws" | "wss" => {
            return Err(format!(
                "the '{}' scheme is not allowed for redirects",
                u.scheme()
            ));
        }
        // https and loopback http, and the private-use schemes of native apps
        // (RFC 8252 §7.1), e.g. `cursor://…`.
        _ => {}
    }
    Ok(u)
}

/// RFC 8252: exact match of scheme, host, path and query; the port too,
/// except for loopback `http` URIs where the client picks a port at run time.
pub fn redirect_matches(registered: &Url, presented: &Url) -> bool {
    let loopback_http = registered.scheme() == "http" && is_loopback(registered.host().as_ref());
    registered.scheme() == presented.scheme()
        && registered.host() == presented.host()
        && (loopback_http
            || registered.port_or_known_default() == presented.port_or_known_default())
        && registered.path() == presented.path()
        && registered.query() == presented.query()
        && presented.username().is_empty()
        && presented.password().is_none()
        && presented.fragment().is_none()
}

fn clip(s: &str) -> String {
    s.chars().take(100).collect()
}

#[derive(Deserialize)]
struct Registration {
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    response_types: Vec<String>,
}

pub fn reg_error(code: &str, desc: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(json!({"error": code, "error_description": desc})),
    )
        .into_response()
}

/// `POST /register`.
pub async fn register(State(auth): State<Arc<Auth>>, body: Bytes) -> Response {
    let Ok(reg) = serde_json::from_slice::<Registration>(&body) else {
        return reg_error(
            "invalid_client_metadata",
            "the body must be a JSON client registration",
        );
    };
    if reg.redirect_uris.is_empty() || reg.redirect_uris.len() > MAX_REDIRECTS {
        return reg_error(
            "invalid_redirect_uri",
            "redirect_uris must list 1 to 10 redirect URIs",
        );
    }
    for r in &reg.redirect_uris {
        if let Err(e) = check_redirect_uri(r) {
            audit("client_registration", None, "denied", &e);
            return reg_error("invalid_redirect_uri", &e);
        }
    }
    if reg
        .grant_types
        .iter()
        .any(|g| g != "authorization_code" && g != "refresh_token")
    {
        return reg_error(
            "invalid_client_metadata",
            "only the authorization_code and refresh_token grants are supported",
        );
    }
    if reg.response_types.iter().any(|r| r != "code") {
        return reg_error(
            "invalid_client_metadata",
            "only the code response type is supported",
        );
    }
    let name: String = reg
        .client_name
        .unwrap_or_else(|| "MCP client".into())
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let client = Client {
        name: name.clone(),
        redirect_uris: reg.redirect_uris.clone(),
    };
    let issued = now();
    let client_id = auth
        .keys
        .seal(Purpose::Client, issued + CLIENT_TTL_SECS, &client);
    audit("client_registration", None, "ok", &name);
    (
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(json!({
            "client_id": client_id,
            "client_id_issued_at": issued,
            "client_name": name,
            "redirect_uris": reg.redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            // Public clients with PKCE (OAuth 2.1); a secret would add nothing
            // a sealed client id does not already give.
            "token_endpoint_auth_method": "none",
        })),
    )
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn client(uris: &[&str]) -> Client {
        Client {
            name: "t".into(),
            redirect_uris: uris.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn registration_rules() {
        assert!(check_redirect_uri("http://localhost:1234/cb").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1/cb").is_ok());
        assert!(check_redirect_uri("http://[::1]:9/cb").is_ok());
        assert!(check_redirect_uri("https://app.example.com/cb").is_ok());
        assert!(check_redirect_uri("cursor://anysphere.cursor-retrieval/oauth/cb").is_ok());
        assert!(check_redirect_uri("http://app.example.com/cb").is_err());
        assert!(check_redirect_uri("http://localhost.evil.example/cb").is_err());
        assert!(check_redirect_uri("http://localhost:1@evil.example/cb").is_err());
        assert!(check_redirect_uri("https://user@app.example.com/cb").is_err());
        assert!(check_redirect_uri("https://app.example.com/cb#x").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("/relative").is_err());
    }

    #[test]
    fn matching_is_exact_except_loopback_port() {
        let c = client(&[
            "http://localhost:3000/callback",
            "https://app.example.com/cb",
        ]);
        assert!(
            c.redirect_for(Some("http://localhost:49152/callback"))
                .is_some()
        );
        assert!(c.redirect_for(Some("http://localhost/callback")).is_some());
        assert!(
            c.redirect_for(Some("http://localhost:1@evil.example/callback"))
                .is_none()
        );
        assert!(
            c.redirect_for(Some("http://localhost.evil.example/callback"))
                .is_none()
        );
        assert!(
            c.redirect_for(Some("http://127.0.0.1:3000/callback"))
                .is_none(),
            "host differs"
        );
        assert!(
            c.redirect_for(Some("http://localhost:3000/callback/../x"))
                .is_none()
        );
        assert!(
            c.redirect_for(Some("http://localhost:3000/callbackx"))
                .is_none()
        );
        assert!(c.redirect_for(Some("https://app.example.com/cb")).is_some());
        assert!(
            c.redirect_for(Some("https://app.example.com:8443/cb"))
                .is_none()
        );
        assert!(
            c.redirect_for(Some("https://app.example.com.evil.example/cb"))
                .is_none()
        );
        assert!(
            c.redirect_for(Some("https://app.example.com/cb?x=1"))
                .is_none()
        );
        assert!(
            c.redirect_for(None).is_none(),
            "two registered: must name one"
        );
        assert!(
            client(&["https://a.example/cb"])
                .redirect_for(None)
                .is_some()
        );
    }
}
