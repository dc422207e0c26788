//! `GET /auth/callback`: the IdP sends the browser back here. The sealed
//! `state` says which client request this belongs to; the IdP's code is
//! exchanged (with this server's PKCE verifier), the ID token verified, and
//! the client gets this server's own short-lived code.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::authorize::{Pending, error_redirect};
use super::claims::{UserInfo, has_required};
use super::consent::{error_page, redirect};
use super::keys::{Purpose, now, random_token};
use super::{Auth, CODE_TTL_SECS, audit, params};

/// An authorization code, sealed.
#[derive(Serialize, Deserialize)]
pub struct Code {
    pub id: String,
    pub exp: i64,
    pub cid: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub scope: String,
    pub user: UserInfo,
}

pub async fn callback(State(auth): State<Arc<Auth>>, RawQuery(q): RawQuery) -> Response {
    let p = params::parse(q.as_deref().unwrap_or("")).unwrap_or_default();
    let pending: Option<Pending> = p
        .get("state")
        .and_then(|s| auth.keys.open(Purpose::Pending, s));
    let Some(pending) = pending else {
        audit(
            "login",
            None,
            "denied",
            "callback with an unknown or expired state",
        );
        return error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in has expired or is not valid. Start again from your application.",
        );
    };
    let req = pending.req;
    if let Some(err) = p.get("error") {
        audit(
            "login",
            None,
            "denied",
            "the identity provider refused the sign-in",
        );
        let code = if err == "access_denied" {
            "access_denied"
        } else {
            "server_error"
        };
        return error_redirect(
            &auth,
            &req.redirect_uri,
            req.state.as_deref(),
            code,
            "the identity provider did not sign the user in",
        );
    }
    let (Some(code), Some(up)) = (p.get("code"), &auth.upstream) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The identity provider sent no code.",
        );
    };
    let user = match up.exchange(code, &pending.verifier, &pending.nonce).await {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(target: "mcvsphere::auth", "sign-in failed: {e}");
            audit("login", None, "error", &e);
            return error_page(
                StatusCode::BAD_GATEWAY,
                "Sign-in failed",
                "The identity provider's answer could not be verified. Try again; if it keeps failing, ask your administrator to check the server log.",
            );
        }
    };
    if !has_required(&user.groups, &auth.required_groups) {
        audit(
            "login",
            Some(&user.sub),
            "denied",
            "not in any of OAUTH_REQUIRED_GROUPS",
        );
        return error_page(
            StatusCode::FORBIDDEN,
            "Access not allowed",
            &format!(
                "You are signed in as {}, but you are not a member of any group allowed to use this server ({}). Ask your administrator for access.",
                user.name.as_deref().unwrap_or(&user.sub),
                auth.required_groups.join(", ")
            ),
        );
    }
    audit("login", Some(&user.sub), "ok", &req.client_name);
    let exp = now() + CODE_TTL_SECS;
    let code = Code {
        id: random_token(),
        exp,
        cid: req.cid,
        redirect_uri: req.redirect_uri.clone(),
        challenge: req.challenge,
        scope: req.scope,
        user,
    };
    let sealed = auth.keys.seal(Purpose::Code, exp, &code);
    let Ok(mut u) = url::Url::parse(&req.redirect_uri) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "Bad redirect URI.",
        );
    };
    {
        let mut qp = u.query_pairs_mut();
        qp.append_pair("code", &sealed);
        if let Some(s) = &req.state {
            qp.append_pair("state", s);
        }
        if let Some(b) = &auth.base_url {
            qp.append_pair("iss", b);
        }
    }
    redirect(StatusCode::FOUND, u.as_str())
}
