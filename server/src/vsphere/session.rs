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

use super::http_errors::host_port;
pub(super) use super::http_errors::http_error;
use super::retry::CallLimits;
use crate::config::VCenterSettings;
use crate::error::VsError;

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
    pub(super) host: String,
    pub(super) limits: CallLimits,
    /// One permit per call in flight to vCenter ([`CallLimits::max_concurrency`]).
    pub(super) slots: Semaphore,
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
            .map_err(|e| VsError::Local(format!("cannot build the HTTP client: {e}")))?;
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

fn session_cookie_from(header: &str) -> Option<String> {
    let first = header.split(';').next()?.trim();
    let (name, value) = first.split_once('=')?;
    (name.trim() == COOKIE_NAME).then(|| value.trim().trim_matches('"').to_string())
}
