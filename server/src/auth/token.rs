//! `POST /token`: authorization codes (PKCE checked, single use, 60 s) and
//! refresh tokens (rotated; reuse revokes the family in this process).
//! Errors follow RFC 6749 §5.2.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::callback::Code;
use super::claims::{UserInfo, has_required};
use super::keys::{Purpose, ct_eq, now, random_token, sha256_b64};
use super::register::{client_fingerprint, open_client};
use super::{Auth, REFRESH_TTL_SECS, access, audit, params};

/// A refresh token, sealed. `fam` names the sign-in it descends from; `fexp`
/// is that sign-in's end (rotation does not extend it).
#[derive(Serialize, Deserialize)]
struct Refresh {
    id: String,
    fam: String,
    fexp: i64,
    cid: String,
    scope: String,
    user: UserInfo,
}

fn error(status: StatusCode, code: &str, desc: &str) -> Response {
    let mut r = (
        status,
        Json(json!({"error": code, "error_description": desc})),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mcvsphere\""),
        );
    }
    r
}

fn bad(code: &str, desc: &str) -> Response {
    error(StatusCode::BAD_REQUEST, code, desc)
}

/// The client id from the form or from HTTP Basic (public clients may use either).
fn client_id(
    form: &std::collections::HashMap<String, String>,
    headers: &HeaderMap,
) -> Option<String> {
    if let Some(id) = form.get("client_id") {
        return Some(id.clone());
    }
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let id = raw.split_once(':').map_or(raw.as_str(), |(id, _)| id);
    url::form_urlencoded::parse(format!("x={id}").as_bytes())
        .next()
        .map(|(_, v)| v.to_string())
}

pub async fn token(State(auth): State<Arc<Auth>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = match std::str::from_utf8(&body).map(params::parse) {
        Ok(Ok(f)) => f,
        Ok(Err(name)) => {
            return bad(
                "invalid_request",
                &format!("parameter {name} appears more than once"),
            );
        }
        Err(_) => {
            return bad(
                "invalid_request",
                "the body must be application/x-www-form-urlencoded",
            );
        }
    };
    let Some(client_id) = client_id(&form, &headers) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id is required",
        );
    };
    if open_client(&auth, &client_id).is_none() {
        audit("token", None, "denied", "unknown client");
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client; register again",
        );
    }
    let cid = client_fingerprint(&client_id);
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => code_grant(&auth, &form, &cid),
        Some("refresh_token") => refresh_grant(&auth, &form, &cid),
        Some(_) => bad(
            "unsupported_grant_type",
            "supported: authorization_code, refresh_token",
        ),
        None => bad("invalid_request", "grant_type is required"),
    }
}

fn code_grant(
    auth: &Auth,
    form: &std::collections::HashMap<String, String>,
    cid: &str,
) -> Response {
    let code: Option<Code> = form
        .get("code")
        .and_then(|c| auth.keys.open(Purpose::Code, c));
    let Some(code) = code else {
        audit(
            "token",
            None,
            "denied",
            "invalid or expired authorization code",
        );
        return bad(
            "invalid_grant",
            "the authorization code is invalid or expired",
        );
    };
    if !ct_eq(&code.cid, cid) {
        audit(
            "token",
            Some(&code.user.sub),
            "denied",
            "code issued to another client",
        );
        return bad(
            "invalid_grant",
            "the authorization code was issued to another client",
        );
    }
    if form.get("redirect_uri") != Some(&code.redirect_uri) {
        return bad(
            "invalid_grant",
            "redirect_uri does not match the authorization request",
        );
    }
    let Some(verifier) = form.get("code_verifier") else {
        audit(
            "token",
            Some(&code.user.sub),
            "denied",
            "PKCE code_verifier missing",
        );
        return bad("invalid_request", "code_verifier is required (PKCE)");
    };
    if !ct_eq(&sha256_b64(verifier), &code.challenge) {
        audit(
            "token",
            Some(&code.user.sub),
            "denied",
            "PKCE verification failed",
        );
        return bad("invalid_grant", "PKCE verification failed");
    }
    if !auth.used_codes.first_use(&code.id, code.exp) {
        audit(
            "token",
            Some(&code.user.sub),
            "denied",
            "authorization code reused",
        );
        return bad("invalid_grant", "the authorization code was already used");
    }
    let fexp = now() + REFRESH_TTL_SECS;
    issue(auth, code.user, cid, &code.scope, random_token(), fexp)
}

fn refresh_grant(
    auth: &Auth,
    form: &std::collections::HashMap<String, String>,
    cid: &str,
) -> Response {
    let rt: Option<Refresh> = form
        .get("refresh_token")
        .and_then(|t| auth.keys.open(Purpose::Refresh, t));
    let Some(rt) = rt else {
        audit("token", None, "denied", "invalid or expired refresh token");
        return bad("invalid_grant", "the refresh token is invalid or expired");
    };
    if !ct_eq(&rt.cid, cid) {
        return bad(
            "invalid_grant",
            "the refresh token was issued to another client",
        );
    }
    if auth.revoked_families.contains(&rt.fam) {
        audit(
            "token",
            Some(&rt.user.sub),
            "denied",
            "refresh token family revoked",
        );
        return bad("invalid_grant", "this sign-in was revoked; sign in again");
    }
    if !auth.used_refresh.first_use(&rt.id, rt.fexp) {
        // A rotated token came back: someone holds a copy. End the whole sign-in.
        auth.revoked_families.first_use(&rt.fam, rt.fexp);
        audit(
            "token",
            Some(&rt.user.sub),
            "denied",
            "refresh token reused; sign-in revoked",
        );
        return bad(
            "invalid_grant",
            "the refresh token was already used; sign in again",
        );
    }
    if !has_required(&rt.user.groups, &auth.required_groups) {
        return bad(
            "invalid_grant",
            "the user is in none of the required groups",
        );
    }
    issue(auth, rt.user, cid, &rt.scope, rt.fam, rt.fexp)
}

fn issue(auth: &Auth, user: UserInfo, cid: &str, scope: &str, fam: String, fexp: i64) -> Response {
    let access_token = match access::issue(auth, &user, cid, scope) {
        Ok(t) => t,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e),
    };
    let refresh = Refresh {
        id: random_token(),
        fam,
        fexp,
        cid: cid.to_string(),
        scope: scope.to_string(),
        user,
    };
    let refresh_token = auth.keys.seal(Purpose::Refresh, fexp, &refresh);
    audit(
        "token",
        Some(&refresh.user.sub),
        "ok",
        "access token issued",
    );
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": auth.access_ttl_secs,
        "refresh_token": refresh_token,
    });
    if !scope.is_empty() {
        body["scope"] = json!(scope);
    }
    let mut r = Json(body).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}
