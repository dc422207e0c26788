//! One exchange with vCenter, bounded and classified: a slot out of
//! `VCENTER_MAX_CONCURRENCY`, the `VCENTER_TIMEOUT` deadline, the error in
//! words (`http_errors.rs`), and the one retry `retry.rs` allows. Every SOAP
//! call and HTTP door call of [`Client`] goes through here.

use url::Url;
use vim25::{Request, Value};

use super::Client;
use super::http_errors::{Bounds, classify, host_port};
use super::retry::{RETRY_PAUSE, retry_after};
use super::session::COOKIE_NAME;
use crate::error::{NetError, NetKind, VsError};

impl Client {
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

    /// Sends one call and decodes the answer (a value or a fault).
    pub(super) async fn send(
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
    pub(super) async fn post_retried(
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
}

/// A plain HTTP answer from vCenter ([`Client::http_get`]).
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
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
