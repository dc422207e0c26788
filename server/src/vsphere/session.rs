//! One logged-in vCenter session shared by every tool call: pooled
//! keep-alive HTTP, the `vmware_soap_session` cookie on every request, and a
//! single re-login when vCenter says the session is gone. Every call is
//! bounded ([`CallLimits`]: a timeout, and at most N in flight) and failed
//! exchanges are retried only as `retry.rs` allows.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore};
use url::Url;
use vim25::{Data, MoRef, Request, Value};

pub(super) use super::http_errors::http_error;
use super::http_errors::{Bounds, classify, host_port};
use super::retry::{CallLimits, RETRY_PAUSE, retry_after};
use crate::config::VCenterSettings;
use crate::error::{NetError, NetKind, VsError};

pub(super) const COOKIE_NAME: &str = "vmware_soap_session";

/// The managers a session needs, from `ServiceInstance.content`.
#[derive(Clone, Debug)]
pub struct ServiceContent {
    pub root_folder: MoRef,
    pub property_collector: MoRef,
    pub view_manager: Option<MoRef>,
    pub session_manager: Option<MoRef>,
    /// Absent on endpoints without guest operations.
    pub guest_operations_manager: Option<MoRef>,
    pub file_manager: Option<MoRef>,
    /// History collectors are made here (recent events and tasks).
    pub event_manager: Option<MoRef>,
    pub task_manager: Option<MoRef>,
    /// Absent on endpoints that cannot import or export OVF.
    pub ovf_manager: Option<MoRef>,
    pub about: Option<Data>,
}

impl ServiceContent {
    fn from_value(v: &Value) -> Result<Self, VsError> {
        let moref = |p: &str| v.path(p).and_then(Value::as_moref).cloned();
        let missing = |p: &str| VsError::Protocol(format!("ServiceContent has no {p}"));
        Ok(ServiceContent {
            root_folder: moref("rootFolder").ok_or_else(|| missing("rootFolder"))?,
            property_collector: moref("propertyCollector")
                .ok_or_else(|| missing("propertyCollector"))?,
            view_manager: moref("viewManager"),
            session_manager: moref("sessionManager"),
            guest_operations_manager: moref("guestOperationsManager"),
            file_manager: moref("fileManager"),
            event_manager: moref("eventManager"),
            task_manager: moref("taskManager"),
            ovf_manager: moref("ovfManager"),
            about: v.path("about").and_then(Value::as_data).cloned(),
        })
    }
}

/// State that lives and dies with one vCenter login.
#[derive(Clone, Debug)]
pub(crate) struct SessionState {
    pub cookie: String,
    /// Bumped on every login so callers can tell their cached views are stale.
    pub generation: u64,
    /// Container views by (container, type); they belong to the session.
    pub views: HashMap<(MoRef, String), MoRef>,
}

/// A cheap-to-clone handle on the shared session.
#[derive(Clone)]
pub struct Client {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) http: reqwest::Client,
    pub(super) url: Url,
    /// `HOST:PORT` of `url`, for messages.
    host: String,
    pub(super) limits: CallLimits,
    /// One permit per call in flight to vCenter ([`CallLimits::max_concurrency`]).
    slots: Semaphore,
    user: String,
    password: crate::config::Secret,
    content: Mutex<Option<ServiceContent>>,
    session: Mutex<Option<SessionState>>,
    logins: std::sync::atomic::AtomicU64,
    /// The most objects one PropertyCollector answer may carry (`maxObjects`).
    pub(super) page_size: usize,
    /// Result pages read (first answers and continuations), for tests and metrics.
    pub(super) pages: std::sync::atomic::AtomicU64,
    /// Source of session generations; never reused, so a stale view is always recognised.
    generations: std::sync::atomic::AtomicU64,
    /// Names seen by lookups, (kind, name) → object; every hit is re-checked
    /// against vCenter before use (see `lookup.rs`).
    pub(super) names: std::sync::Mutex<HashMap<(String, String), MoRef>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.inner.url.as_str())
            .field("user", &self.inner.user)
            .finish_non_exhaustive()
    }
}

/// Installs rustls' ring provider once per process; a second install is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Client {
    /// A client for `settings`. Nothing is sent until the first call: a wrong
    /// password or an unreachable vCenter shows up as that call's error, and
    /// the server still starts.
    pub fn new(settings: &VCenterSettings) -> Result<Client, VsError> {
        Client::with_options(settings, super::props::PAGE_SIZE, CallLimits::default())
    }

    /// A client with these bounds on its calls (`VCENTER_TIMEOUT`, `VCENTER_MAX_CONCURRENCY`).
    pub fn with_limits(settings: &VCenterSettings, limits: CallLimits) -> Result<Client, VsError> {
        Client::with_options(settings, super::props::PAGE_SIZE, limits)
    }

    /// A client whose reads ask for at most `page_size` objects per answer
    /// (at least 1) and fetch the rest with `ContinueRetrievePropertiesEx`.
    pub fn with_page_size(settings: &VCenterSettings, page_size: usize) -> Result<Client, VsError> {
        Client::with_options(settings, page_size, CallLimits::default())
    }

    pub fn with_options(
        settings: &VCenterSettings,
        page_size: usize,
        limits: CallLimits,
    ) -> Result<Client, VsError> {
        install_crypto_provider();
        let limits = CallLimits {
            max_concurrency: limits.max_concurrency.max(1),
            ..limits
        };
        // No client-wide total timeout: SOAP calls are bounded in
        // `exchange`, and a multi-GB transfer sets its own (folder.rs).
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(settings.insecure)
            .connect_timeout(limits.connect_timeout)
            // Calls in flight are bounded by `slots`; so are idle connections.
            .pool_max_idle_per_host(limits.max_concurrency)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(30))
            // SOAP requests go out as header and body writes; never let Nagle hold the body back.
            .tcp_nodelay(true)
            .user_agent(concat!("mcvsphere/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| VsError::Http(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                url: settings.url.clone(),
                host: host_port(&settings.url),
                limits,
                slots: Semaphore::new(limits.max_concurrency),
                user: settings.user.clone(),
                password: settings.password.clone(),
                content: Mutex::new(None),
                session: Mutex::new(None),
                logins: std::sync::atomic::AtomicU64::new(0),
                page_size: page_size.max(1),
                pages: std::sync::atomic::AtomicU64::new(0),
                generations: std::sync::atomic::AtomicU64::new(0),
                names: std::sync::Mutex::default(),
            }),
        })
    }

    pub fn url(&self) -> &Url {
        &self.inner.url
    }

    /// How many successful logins this client made (for tests and metrics).
    pub fn login_count(&self) -> u64 {
        self.inner.logins.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many PropertyCollector result pages this client has read.
    pub fn pages_read(&self) -> u64 {
        self.inner.pages.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The service content, fetched once (it needs no session).
    pub async fn content(&self) -> Result<ServiceContent, VsError> {
        let mut guard = self.inner.content.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let si = MoRef::new("ServiceInstance", "ServiceInstance");
        let req = Request::new("RetrieveServiceContent", &si);
        let v = self
            .send(&req, None)
            .await?
            .map_err(VsError::Fault)?
            .ok_or_else(|| VsError::Protocol("RetrieveServiceContent returned nothing".into()))?;
        let c = ServiceContent::from_value(&v)?;
        *guard = Some(c.clone());
        Ok(c)
    }

    /// Calls a vim25 method within the session: logs in if needed and, when
    /// vCenter answers `NotAuthenticated`, logs in again once and retries.
    pub async fn invoke(&self, req: &Request) -> Result<Option<Value>, VsError> {
        let (cookie, _) = self.session_cookie().await?;
        match self.send(req, Some(&cookie)).await? {
            Ok(v) => Ok(v),
            Err(f) if f.is("NotAuthenticated") => {
                tracing::info!(method = %req.method, "vCenter session expired; logging in again");
                let cookie = self.relogin(&cookie).await?;
                self.send(req, Some(&cookie)).await?.map_err(VsError::Fault)
            }
            Err(f) => Err(VsError::Fault(f)),
        }
    }

    /// GETs `path_and_query` (e.g. `/screen?id=vm-42`) on vCenter's host
    /// within the session, over the same connection pool and TLS settings as
    /// the SOAP calls; logs in again once on a 401. Any HTTP answer is
    /// returned (the caller knows what a 404 means for it): the status, the
    /// content type and the body.
    pub async fn http_get(&self, path_and_query: &str) -> Result<HttpAnswer, VsError> {
        let url =
            self.inner.url.join(path_and_query).map_err(|e| {
                VsError::Protocol(format!("bad vCenter URL for {path_and_query}: {e}"))
            })?;
        let (cookie, _) = self.session_cookie().await?;
        let mut answer = self.get_retried(&url, &cookie).await?;
        if answer.status == reqwest::StatusCode::UNAUTHORIZED.as_u16() {
            let cookie = self.relogin(&cookie).await?;
            answer = self.get_retried(&url, &cookie).await?;
        }
        Ok(answer)
    }

    /// A GET changes nothing: sent once more after a transient failure.
    async fn get_retried(&self, url: &Url, cookie: &str) -> Result<HttpAnswer, VsError> {
        match self.get(url, cookie).await {
            Err(VsError::Net(n)) if n.is_transient() => {
                tracing::info!(path = url.path(), error = %n.describe(None), "retrying a GET once");
                tokio::time::sleep(RETRY_PAUSE).await;
                self.get(url, cookie).await
            }
            other => other,
        }
    }

    async fn get(&self, url: &Url, cookie: &str) -> Result<HttpAnswer, VsError> {
        let rb = self
            .inner
            .http
            .get(url.clone())
            .header(reqwest::header::COOKIE, format!("{COOKIE_NAME}={cookie}"));
        let (status, headers, body) = self.exchange(rb).await?;
        tracing::trace!(path = url.path(), %status, "HTTP GET");
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Ok(HttpAnswer {
            status: status.as_u16(),
            content_type,
            body,
        })
    }

    /// Sends `rb` and reads the whole answer, holding one of the
    /// [`CallLimits::max_concurrency`] slots and within
    /// [`CallLimits::timeout`] (the wait for a slot included: a caller
    /// behind calls to a hung vCenter gets the same answer, in time).
    async fn exchange(
        &self,
        rb: reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>), VsError> {
        let limits = self.inner.limits;
        let deadline = tokio::time::Instant::now() + limits.timeout;
        let timed_out = |maybe_sent| {
            VsError::Net(NetError {
                host: self.inner.host.clone(),
                kind: NetKind::Timeout(limits.timeout.as_secs()),
                maybe_sent,
                unsure_method: None,
            })
        };
        let Ok(permit) = tokio::time::timeout_at(deadline, self.inner.slots.acquire()).await else {
            return Err(timed_out(false));
        };
        // The semaphore is never closed, so `acquire` cannot fail; if it
        // did, going on without a permit is the lesser harm.
        let _permit = permit.ok();
        let call = async {
            let resp = rb.send().await.map_err(|e| self.net_error(&e))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.bytes().await.map_err(|e| self.net_error(&e))?;
            Ok((status, headers, body.to_vec()))
        };
        tokio::time::timeout_at(deadline, call)
            .await
            .unwrap_or_else(|_| Err(timed_out(true)))
    }

    /// Waits for the answer's head to a streamed GET (a download), at most
    /// [`CallLimits::timeout`]; its body is then read piece by piece, each
    /// piece bounded the same way (`FolderResponse::chunk`).
    pub(super) async fn answered(
        &self,
        send: impl std::future::Future<Output = Result<reqwest::Response, reqwest::Error>>,
        url: &Url,
    ) -> Result<reqwest::Response, VsError> {
        let limit = self.inner.limits.timeout;
        match tokio::time::timeout(limit, send).await {
            Ok(r) => r.map_err(|e| self.net_error(&e)),
            Err(_) => Err(VsError::Net(NetError {
                host: host_port(url),
                kind: NetKind::Timeout(limit.as_secs()),
                maybe_sent: true,
                unsure_method: None,
            })),
        }
    }

    fn net_error(&self, e: &reqwest::Error) -> VsError {
        let bounds = Bounds {
            timeout: self.inner.limits.timeout.as_secs(),
            connect: self.inner.limits.connect_timeout.as_secs(),
        };
        VsError::Net(classify(e, &self.inner.host, bounds))
    }

    /// The current session's cookie and generation, logging in if there is none.
    pub(super) async fn session_cookie(&self) -> Result<(String, u64), VsError> {
        let mut guard = self.inner.session.lock().await;
        if let Some(s) = guard.as_ref() {
            return Ok((s.cookie.clone(), s.generation));
        }
        let s = self.login().await?;
        let out = (s.cookie.clone(), s.generation);
        *guard = Some(s);
        Ok(out)
    }

    /// Logs in again unless another call already did since `stale` was handed out.
    pub(super) async fn relogin(&self, stale: &str) -> Result<String, VsError> {
        let mut guard = self.inner.session.lock().await;
        if let Some(s) = guard.as_ref()
            && s.cookie != stale
        {
            return Ok(s.cookie.clone());
        }
        *guard = None;
        let s = self.login().await?;
        let cookie = s.cookie.clone();
        *guard = Some(s);
        Ok(cookie)
    }

    async fn login(&self) -> Result<SessionState, VsError> {
        let content = self.content().await?;
        let sm = content
            .session_manager
            .ok_or_else(|| VsError::Protocol("this endpoint has no SessionManager".into()))?;
        let req = Request::new("Login", &sm)
            .arg("userName", self.inner.user.as_str())
            .arg("password", self.inner.password.expose());
        let body = vim25::encode_request(&req)?;
        let (headers, bytes) = self.post_retried(&req.method, body, None).await?;
        let cookie = headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|h| h.to_str().ok())
            .find_map(session_cookie_from);
        match vim25::decode_response("Login", &bytes)? {
            Ok(_) => {}
            Err(f) if f.is("InvalidLogin") => {
                return Err(VsError::Login(format!(
                    "incorrect user name or password for user '{}'",
                    self.inner.user
                )));
            }
            Err(f) => return Err(VsError::Login(f.message)),
        }
        let cookie = cookie
            .ok_or_else(|| VsError::Protocol(format!("Login set no {COOKIE_NAME} cookie")))?;
        self.inner
            .logins
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let generation = 1 + self
            .inner
            .generations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(user = %self.inner.user, url = %self.inner.url, "logged in to vCenter");
        Ok(SessionState {
            cookie,
            generation,
            views: HashMap::new(),
        })
    }

    /// Sends one call and decodes the answer (a value or a fault).
    async fn send(
        &self,
        req: &Request,
        cookie: Option<&str>,
    ) -> Result<Result<Option<Value>, vim25::Fault>, VsError> {
        let body = vim25::encode_request(req)?;
        let (_, bytes) = self.post_retried(&req.method, body, cookie).await?;
        Ok(vim25::decode_response(&req.method, &bytes)?)
    }

    /// [`Client::post`], sent once more when `retry.rs` says it is safe;
    /// a state-changing call that may have reached vCenter comes back
    /// marked so its error says it may or may not have been done.
    async fn post_retried(
        &self,
        method: &str,
        body: String,
        cookie: Option<&str>,
    ) -> Result<(reqwest::header::HeaderMap, Vec<u8>), VsError> {
        let first = match self.post(method, body.clone(), cookie).await {
            Err(VsError::Net(n)) if retry_after(method, &n) => n,
            other => return other.map_err(|e| unsure(method, e)),
        };
        tracing::info!(method, error = %first.describe(None), "retrying once");
        tokio::time::sleep(RETRY_PAUSE).await;
        self.post(method, body, cookie)
            .await
            .map_err(|e| unsure(method, e))
    }

    async fn post(
        &self,
        method: &str,
        body: String,
        cookie: Option<&str>,
    ) -> Result<(reqwest::header::HeaderMap, Vec<u8>), VsError> {
        let mut rb = self
            .inner
            .http
            .post(self.inner.url.clone())
            .header(reqwest::header::CONTENT_TYPE, vim25::CONTENT_TYPE)
            .header("SOAPAction", vim25::SOAP_ACTION)
            .body(body);
        if let Some(c) = cookie {
            rb = rb.header(reqwest::header::COOKIE, format!("{COOKIE_NAME}={c}"));
        }
        let (status, headers, bytes) = self.exchange(rb).await?;
        tracing::trace!(method, %status, "vim25 call");
        // SOAP faults come back as 500 with an envelope; anything else non-2xx is transport trouble.
        let is_xml = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("xml"));
        if !status.is_success() && !is_xml {
            return Err(VsError::Http(format!(
                "{method}: HTTP {status} from {}",
                self.inner.url
            )));
        }
        Ok((headers, bytes))
    }

    /// The current session generation and its cached view for (container, kind).
    pub(crate) async fn cached_view(&self, container: &MoRef, kind: &str) -> Option<(MoRef, u64)> {
        let guard = self.inner.session.lock().await;
        let s = guard.as_ref()?;
        s.views
            .get(&(container.clone(), kind.to_string()))
            .map(|v| (v.clone(), s.generation))
    }

    pub(crate) async fn remember_view(
        &self,
        container: &MoRef,
        kind: &str,
        view: MoRef,
        generation: u64,
    ) {
        let mut guard = self.inner.session.lock().await;
        if let Some(s) = guard.as_mut()
            && s.generation == generation
        {
            s.views.insert((container.clone(), kind.to_string()), view);
        }
    }

    pub(crate) async fn forget_view(&self, container: &MoRef, kind: &str) {
        let mut guard = self.inner.session.lock().await;
        if let Some(s) = guard.as_mut() {
            s.views.remove(&(container.clone(), kind.to_string()));
        }
    }

    /// The generation of the session in use (logging in if needed).
    pub(crate) async fn generation(&self) -> Result<u64, VsError> {
        self.session_cookie().await.map(|(_, g)| g)
    }

    /// Logs out (best effort), e.g. at shutdown.
    pub async fn logout(&self) {
        let cookie = {
            let mut guard = self.inner.session.lock().await;
            guard.take().map(|s| s.cookie)
        };
        let (Some(cookie), Ok(content)) = (cookie, self.content().await) else {
            return;
        };
        if let Some(sm) = content.session_manager {
            let _ = self.send(&Request::new("Logout", &sm), Some(&cookie)).await;
        }
    }
}

/// A plain HTTP answer from vCenter ([`Client::http_get`]).
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

fn session_cookie_from(header: &str) -> Option<String> {
    let first = header.split(';').next()?.trim();
    let (name, value) = first.split_once('=')?;
    (name.trim() == COOKIE_NAME).then(|| value.trim().trim_matches('"').to_string())
}

/// Marks a connection failure while waiting for a started state-changing
/// task: the change is under way or done, and the message says to check.
pub(super) fn started(method: &str, e: VsError) -> VsError {
    match e {
        VsError::Net(mut n) if super::retry::changes_state(method) => {
            n.unsure_method = Some(method.to_string());
            VsError::Net(n)
        }
        e => e,
    }
}

/// Marks a failed state-changing call that may have reached vCenter, so
/// its message says it may or may not have been done.
fn unsure(method: &str, e: VsError) -> VsError {
    match e {
        VsError::Net(mut n) if n.maybe_sent && super::retry::changes_state(method) => {
            n.unsure_method = Some(method.to_string());
            VsError::Net(n)
        }
        e => e,
    }
}
