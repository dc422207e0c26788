//! The consent page: a person approves each client before the proxy signs
//! them in on its behalf — without it, any dynamically registered client
//! would ride the proxy's one upstream client (the "confused deputy" the
//! Python original allowed by turning consent off).
//!
//! The form carries a sealed token bound to a `SameSite=Strict` cookie set
//! with the page, so another site cannot submit the form for the user.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::authorize::{AuthRequest, error_redirect, to_upstream};
use super::keys::{Purpose, ct_eq, now, random_token, sha256_b64};
use super::{Auth, FLOW_TTL_SECS, audit, params};

const COOKIE: &str = "mcvsphere_consent";

#[derive(Serialize, Deserialize)]
struct Consent {
    req: AuthRequest,
    /// SHA-256 of the browser's consent cookie.
    browser: String,
}

/// HTML-escapes text for element content and quoted attributes.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}}\
         code{{background:#f3f3f3;padding:.1rem .3rem;word-break:break-all}}button{{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}}</style>\
         </head><body><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    );
    let mut r = (status, doc).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// A plain error page (nothing is redirected).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    html(status, title, &format!("<p>{}</p>", esc(message)))
}

pub fn redirect(status: StatusCode, location: &str) -> Response {
    let mut r = status.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The consent page for `req`, with its CSRF cookie.
pub fn page(auth: &Auth, req: &AuthRequest) -> Response {
    let cookie = random_token();
    let consent = Consent {
        req: req.clone(),
        browser: sha256_b64(&cookie),
    };
    let token = auth
        .keys
        .seal(Purpose::Consent, now() + FLOW_TTL_SECS, &consent);
    let host = url::Url::parse(&req.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let body = format!(
        "<p>The application <strong>{name}</strong> asks to use this vSphere MCP server as you.</p>\
         <p>After you sign in, you will be sent back to <code>{uri}</code> (host <strong>{host}</strong>).</p>\
         <p>Approve only if you started this sign-in yourself from that application.</p>\
         <form method=\"post\" action=\"/authorize/consent\">\
         <input type=\"hidden\" name=\"consent\" value=\"{token}\">\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        name = esc(&req.client_name),
        uri = esc(&req.redirect_uri),
        host = esc(&host),
        token = esc(&token),
    );
    let mut r = html(StatusCode::OK, "Allow access to vSphere?", &body);
    let secure = if auth
        .base_url
        .as_deref()
        .is_some_and(|b| b.starts_with("https://"))
    {
        "; Secure"
    } else {
        ""
    };
    let set = format!(
        "{COOKIE}={cookie}; Path=/authorize; HttpOnly; SameSite=Strict; Max-Age={FLOW_TTL_SECS}{secure}"
    );
    if let Ok(v) = HeaderValue::from_str(&set) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// `POST /authorize/consent`: approve → the IdP; deny → back with `access_denied`.
pub async fn decide(State(auth): State<Arc<Auth>>, headers: HeaderMap, body: Bytes) -> Response {
    let form = std::str::from_utf8(&body)
        .ok()
        .and_then(|s| params::parse(s).ok());
    let Some(form) = form else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The consent form is malformed.",
        );
    };
    let consent: Option<Consent> = form
        .get("consent")
        .and_then(|t| auth.keys.open(Purpose::Consent, t));
    let Some(consent) = consent else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Consent expired",
            "This consent form has expired or is not valid. Start the sign-in again from your application.",
        );
    };
    let same_browser =
        cookie_value(&headers).is_some_and(|c| ct_eq(&sha256_b64(&c), &consent.browser));
    if !same_browser {
        audit(
            "consent",
            None,
            "denied",
            "consent form posted without its browser cookie",
        );
        return error_page(
            StatusCode::FORBIDDEN,
            "Consent not confirmed",
            "This consent form was not shown in this browser. Start the sign-in again from your application.",
        );
    }
    let req = consent.req;
    match form.get("decision").map(String::as_str) {
        Some("approve") => {
            audit("consent", None, "ok", &req.client_name);
            let mut r = to_upstream(&auth, req).await;
            if r.status() == StatusCode::FOUND {
                // After a POST, 303 makes the browser follow with GET.
                *r.status_mut() = StatusCode::SEE_OTHER;
            }
            r
        }
        _ => {
            audit("consent", None, "denied", &req.client_name);
            let mut r = error_redirect(
                &auth,
                &req.redirect_uri,
                req.state.as_deref(),
                "access_denied",
                "the user denied access",
            );
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
    }
}
