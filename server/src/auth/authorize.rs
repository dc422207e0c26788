//! `GET /authorize`: checks the client's request, then shows the consent page
//! (or, for `OAUTH_TRUSTED_CLIENTS`, goes straight to the IdP).
//!
//! Until the client and its redirect URI are known good, errors are shown as
//! a page and never redirected (RFC 6749 §4.1.2.1) — otherwise this endpoint
//! would be an open redirector.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::consent::{self, error_page, redirect};
use super::keys::{Purpose, now, random_token, sha256_b64};
use super::register::{client_fingerprint, open_client};
use super::{Auth, FLOW_TTL_SECS, audit, params};

/// A checked authorization request, carried (sealed) through consent and the
/// IdP round trip.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthRequest {
    /// Fingerprint of the client id.
    pub cid: String,
    pub client_name: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub challenge: String,
    pub scope: String,
}

/// The sealed upstream `state`: the request plus this server's own PKCE
/// verifier and nonce for the IdP.
#[derive(Serialize, Deserialize)]
pub struct Pending {
    pub req: AuthRequest,
    pub verifier: String,
    pub nonce: String,
}

/// `redirect_uri?error=…&state=…&iss=…` for errors after the redirect URI is trusted.
pub fn error_redirect(
    auth: &Auth,
    req_redirect: &str,
    state: Option<&str>,
    code: &str,
    desc: &str,
) -> Response {
    let Ok(mut u) = url::Url::parse(req_redirect) else {
        return error_page(StatusCode::BAD_REQUEST, "Invalid request", desc);
    };
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("error", code)
            .append_pair("error_description", desc);
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        if let Some(b) = &auth.base_url {
            q.append_pair("iss", b);
        }
    }
    redirect(StatusCode::FOUND, u.as_str())
}

fn is_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

pub async fn authorize(State(auth): State<Arc<Auth>>, RawQuery(q): RawQuery) -> Response {
    let p = match params::parse(q.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(name) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                &format!("The parameter {name} appears more than once."),
            );
        }
    };
    let Some(client_id) = p.get("client_id") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "client_id is missing.",
        );
    };
    let Some(client) = open_client(&auth, client_id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Unknown client",
            "This client is not registered with this server (or the server's signing key changed). Register the client again.",
        );
    };
    let Some(redirect_uri) = client.redirect_for(p.get("redirect_uri").map(String::as_str)) else {
        audit("authorize", None, "denied", "redirect_uri not registered");
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid redirect URI",
            "The redirect_uri is not one this client registered (it must match exactly; loopback addresses may differ only in port).",
        );
    };
    let state = p.get("state").cloned();
    let back =
        |code: &str, desc: &str| error_redirect(&auth, &redirect_uri, state.as_deref(), code, desc);
    if p.get("response_type").map(String::as_str) != Some("code") {
        return back("unsupported_response_type", "response_type must be code");
    }
    let Some(challenge) = p.get("code_challenge").filter(|c| is_pkce_value(c)) else {
        return back(
            "invalid_request",
            "PKCE is required: code_challenge (S256) is missing or malformed",
        );
    };
    if p.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return back("invalid_request", "code_challenge_method must be S256");
    }
    if let Some(resource) = p.get("resource")
        && !auth.audiences().contains(resource)
    {
        return back(
            "invalid_target",
            "resource must be this server's MCP endpoint",
        );
    }
    let req = AuthRequest {
        cid: client_fingerprint(client_id),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        challenge: challenge.clone(),
        scope: p
            .get("scope")
            .map(|s| s.chars().take(500).collect())
            .unwrap_or_default(),
    };
    if auth.trusted_clients.contains(&redirect_uri) {
        return to_upstream(&auth, req).await;
    }
    consent::page(&auth, &req)
}

/// Sends the browser to the IdP with this server's own state, nonce and PKCE.
pub async fn to_upstream(auth: &Auth, req: AuthRequest) -> Response {
    let Some(up) = &auth.upstream else {
        return error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Not configured",
            "No identity provider is configured.",
        );
    };
    let verifier = random_token();
    let nonce = random_token();
    let challenge = sha256_b64(&verifier);
    let pending = Pending {
        req,
        verifier,
        nonce: nonce.clone(),
    };
    let state = auth
        .keys
        .seal(Purpose::Pending, now() + FLOW_TTL_SECS, &pending);
    match up.authorize_url(&state, &nonce, &challenge).await {
        Ok(url) => redirect(StatusCode::FOUND, &url),
        Err(e) => {
            tracing::warn!(target: "mcvsphere::auth", "cannot start the sign-in at the IdP: {e}");
            error_page(
                StatusCode::BAD_GATEWAY,
                "Identity provider unavailable",
                "The identity provider cannot be reached right now. Try again later.",
            )
        }
    }
}
