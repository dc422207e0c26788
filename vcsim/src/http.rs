//! The HTTP front: `POST /sdk` (SOAP), `GET /sdk/vimServiceVersions.xml`,
//! `GET /screen` (console screenshots), `PUT`/`GET /guestFile` (guest file
//! transfers), session cookies, a body size limit, and the hang gate in
//! front of them all (`faults/`). Connections are served by `listen.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use vim25::Fault;

use crate::dispatch;
use crate::faults::gate::Held;
use crate::guest::transfer::MAX_BYTES;
use crate::listen::DropConn;
use crate::mo::guest_ops::door;
use crate::mo::session_manager;
use crate::screen::{self, ScreenError};
use crate::state::Shared;

/// Largest SOAP request accepted; vCenter's own limit is of this order.
pub(crate) const MAX_BODY: usize = 16 * 1024 * 1024;
pub(crate) const COOKIE_NAME: &str = "vmware_soap_session";

/// The namespace/version document clients read to pick an API version. Not a
/// vim25 SOAP message, so it lives here as a literal.
const VIM_SERVICE_VERSIONS: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<namespaces version="1.0">
 <namespace>
  <name>urn:vim25</name>
  <version>8.0.3.0</version>
  <priorVersions>
   <version>8.0.2.0</version>
   <version>8.0.1.0</version>
   <version>8.0.0.2</version>
   <version>8.0.0.1</version>
   <version>8.0.0.0</version>
   <version>7.0.3.0</version>
   <version>7.0.2.0</version>
   <version>7.0.1.0</version>
   <version>7.0.0.0</version>
   <version>6.7.3</version>
   <version>6.7.2</version>
   <version>6.7.1</version>
   <version>6.7</version>
   <version>6.5</version>
  </priorVersions>
 </namespace>
</namespaces>
"#;

/// What the server saw of the connections it accepted, read back from the
/// sockets themselves: tests check that every connection has `TCP_NODELAY`.
#[derive(Debug, Default)]
pub(crate) struct ConnStats {
    accepted: AtomicU64,
    nodelay: AtomicU64,
}

impl ConnStats {
    /// `(accepted, with TCP_NODELAY set)`.
    pub(crate) fn get(&self) -> (u64, u64) {
        (
            self.accepted.load(Ordering::Relaxed),
            self.nodelay.load(Ordering::Relaxed),
        )
    }
}

/// Turns Nagle's algorithm off on an accepted connection. A reply goes out
/// as headers and body in separate writes; with Nagle on, the second waits
/// for the client's delayed ACK (~40 ms) on every keep-alive call.
pub(crate) fn no_delay(tcp: &tokio::net::TcpStream, stats: &ConnStats) {
    stats.accepted.fetch_add(1, Ordering::Relaxed);
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::warn!(error = %e, "cannot set TCP_NODELAY");
    }
    // Counted from what the socket reports, not from the call having been made.
    if tcp.nodelay().unwrap_or(false) {
        stats.nodelay.fetch_add(1, Ordering::Relaxed);
    }
}

/// The simulator's routes: the SOAP endpoint and the HTTP doors behind the
/// hang gate, the control API (`/vcsim/…`) outside it.
pub(crate) fn app(shared: Arc<Shared>, ctl: Arc<crate::faults::control::Ctl>) -> Router {
    Router::new()
        .route("/sdk", post(soap))
        .route("/sdk/", post(soap))
        .route("/sdk/vimServiceVersions.xml", get(versions))
        .route("/screen", get(screen_shot))
        .route("/guestFile", get(guest_file_get).put(guest_file_put))
        .merge(crate::folder_door::routes())
        .merge(crate::nfc_door::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
        .merge(crate::faults::control::routes(ctl))
}

/// Holds requests while the simulator is hung (`faults::gate`); one atomic
/// load otherwise. A restart during the hang closes the held connection.
async fn gate(
    State(shared): State<Arc<Shared>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if shared.faults.gate.is_hung() {
        let drop = req.extensions().get::<DropConn>().cloned();
        if shared.faults.gate.pass().await == Held::Abort {
            return dropped(drop).await;
        }
    }
    next.run(req).await
}

/// Closes the connection without an answer. Without a connection to close
/// (a router driven in-process), an empty 503 is the nearest thing.
async fn dropped(conn: Option<DropConn>) -> Response {
    match conn {
        Some(c) => c.now().await,
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn versions() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        VIM_SERVICE_VERSIONS,
    )
}

/// The session cookie's value, with the quotes vCenter puts around it removed.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
}

fn xml_response(status: StatusCode, body: String, cookie: Option<HeaderValue>) -> Response {
    let mut r = (status, [(header::CONTENT_TYPE, vim25::CONTENT_TYPE)], body).into_response();
    if let Some(c) = cookie {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

fn fault_response(method: &str, f: Fault) -> Response {
    match vim25::encode_response(method, &Err(f)) {
        Ok(xml) => xml_response(StatusCode::INTERNAL_SERVER_ERROR, xml, None),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode fault");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

async fn soap(
    State(shared): State<Arc<Shared>>,
    conn: Option<Extension<DropConn>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // SOAPAction (`urn:vim25/8.0.3.0`) only names the API version; any value is accepted.
    if let Some(action) = headers.get("soapaction").and_then(|v| v.to_str().ok()) {
        tracing::trace!(action, "SOAPAction");
    }
    let req = match vim25::decode_request(&body) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, "undecodable request");
            return fault_response("", Fault::invalid_request(format!("Invalid request: {e}")));
        }
    };
    let method = req.method.clone();
    let cookie = session_cookie(&headers);
    let out = dispatch::dispatch(&shared, cookie.as_deref(), req).await;
    tracing::debug!(method, ok = out.result.is_ok(), "call");
    if out.drop_connection {
        return dropped(conn.map(|Extension(c)| c)).await;
    }
    let set_cookie = out.set_cookie.and_then(|c| {
        let secure = if shared.tls { "; Secure" } else { "" };
        HeaderValue::from_str(&format!("{COOKIE_NAME}=\"{c}\"; Path=/; HttpOnly{secure}")).ok()
    });
    let status = if out.result.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    match vim25::encode_response(&method, &out.result) {
        Ok(xml) => xml_response(status, xml, set_cookie),
        Err(e) => {
            // A value the schema rejects is a simulator bug; say so rather than send bad XML.
            tracing::error!(method, error = %e, "cannot encode response");
            fault_response(
                &method,
                Fault::new(
                    "SystemError",
                    format!("vcsim cannot encode the result of {method}: {e}"),
                )
                .with("reason", e.to_string()),
            )
        }
    }
}

/// Whether an HTTP (non-SOAP) request is authenticated as vCenter accepts it:
/// a live session cookie, or Basic credentials that would log in.
pub(crate) fn http_authenticated(shared: &Shared, headers: &HeaderMap) -> bool {
    if let Some(c) = session_cookie(headers)
        && shared
            .bookkeeping(|st| session_manager::lookup(shared, st, Some(&c)))
            .is_some()
    {
        return true;
    }
    basic_credentials(headers).is_some_and(|(u, p)| session_manager::accepts(shared, &u, &p))
}

/// `Authorization: Basic base64(user:password)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// The value of `key` in a query string (moids and sizes need no decoding).
fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// `GET /screen?id=<vm moid>[&w=&h=]`: the VM's console as a PNG.
async fn screen_shot(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if !http_authenticated(&shared, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                "Basic realm=\"VMware HTTP server\"",
            )],
            "401 Unauthorized: log in first (session cookie or Basic auth)",
        )
            .into_response();
    }
    let query = query.unwrap_or_default();
    let out = (|| {
        let (w, h) = screen::size(query_param(&query, "w"), query_param(&query, "h"))?;
        let id = query_param(&query, "id")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                ScreenError::BadRequest("the id parameter (a VM's moid) is required".into())
            })?;
        let console = {
            let st = shared.lock();
            screen::console(&st, &screen::find_vm(&st, id)?)
        };
        screen::png(&console, w, h)
    })();
    match out {
        Ok(png) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        Err(ScreenError::BadRequest(m)) => (StatusCode::BAD_REQUEST, m).into_response(),
        Err(ScreenError::NotFound(m)) => (StatusCode::NOT_FOUND, m).into_response(),
        Err(ScreenError::Encode(m)) => {
            tracing::error!(error = %m, "cannot encode a screenshot");
            (StatusCode::INTERNAL_SERVER_ERROR, m).into_response()
        }
    }
}

/// The transfer a `/guestFile?id=&token=` URL names, used up; the token is
/// the credential (no session needed, as on ESXi).
fn guest_transfer(
    shared: &Shared,
    query: Option<String>,
    upload: bool,
) -> Result<crate::guest::transfer::Transfer, door::Refusal> {
    let query = query.unwrap_or_default();
    let id = query_param(&query, "id").unwrap_or("");
    let token = query_param(&query, "token").unwrap_or("");
    door::take(shared, id, token, upload)
}

fn refused((status, message): door::Refusal) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, message).into_response()
}

/// `PUT /guestFile?id=&token=`: the body becomes the guest file
/// (`InitiateFileTransferToGuest`), at most [`MAX_BYTES`].
async fn guest_file_put(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    body: axum::body::Body,
) -> Response {
    let t = match guest_transfer(&shared, query, true) {
        Ok(t) => t,
        Err(r) => return refused(r),
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BYTES).await else {
        return refused((
            413,
            format!("413 Payload Too Large: a guest file transfer takes at most {MAX_BYTES} bytes"),
        ));
    };
    match door::upload(&shared, &t, &bytes) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(r) => refused(r),
    }
}

/// `GET /guestFile?id=&token=`: the guest file's bytes (`InitiateFileTransferFromGuest`).
async fn guest_file_get(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let bytes = guest_transfer(&shared, query, false).and_then(|t| door::download(&shared, &t));
    match bytes {
        Ok(b) => ([(header::CONTENT_TYPE, "application/octet-stream")], b).into_response(),
        Err(r) => refused(r),
    }
}
