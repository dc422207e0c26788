//! vCenter's `/folder` door for datastore files:
//! `GET|PUT /folder/<path>?dcPath=<datacenter>&dsName=<datastore>`, within
//! the server's own session (the `vmware_soap_session` cookie, the same
//! connection pool and TLS settings as the SOAP calls), re-logging in once
//! on a 401. Bodies stream both ways: nothing here holds a whole file.

use std::time::Duration;

use url::Url;

use super::Client;
use super::session::{COOKIE_NAME, http_error};
use crate::error::VsError;

/// A transfer of a multi-GB file may take long; the client's default
/// request timeout (two minutes, meant for SOAP calls) would cut it off.
pub(super) const TRANSFER_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);

/// A `/folder` answer whose body has not been read yet.
pub struct FolderResponse {
    pub status: u16,
    /// `Content-Length`, when the server sent one.
    pub length: Option<u64>,
    response: reqwest::Response,
    /// The longest wait for the next piece of the body (`VCENTER_TIMEOUT`):
    /// a stalled transfer fails, a long one that keeps moving does not.
    idle: Duration,
}

impl FolderResponse {
    /// An answer of the client's own HTTP calls (the `/folder` door, NFC).
    pub(super) fn new(response: reqwest::Response, idle: Duration) -> Self {
        FolderResponse {
            status: response.status().as_u16(),
            length: response.content_length(),
            response,
            idle,
        }
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<axum::body::Bytes>, VsError> {
        let host = self.response.url().clone();
        match tokio::time::timeout(self.idle, self.response.chunk()).await {
            Ok(r) => r.map_err(|e| http_error(&e)),
            Err(_) => Err(VsError::Net(crate::error::NetError {
                host: super::http_errors::host_port(&host),
                kind: crate::error::NetKind::Timeout(self.idle.as_secs()),
                maybe_sent: true,
                unsure_method: None,
            })),
        }
    }

    /// The body as text (for error answers, which are short), at most 4 KiB of it.
    pub async fn words(mut self) -> String {
        let mut out = Vec::new();
        while out.len() < 4096 {
            match self.chunk().await {
                Ok(Some(c)) => out.extend_from_slice(&c),
                _ => break,
            }
        }
        out.truncate(4096);
        String::from_utf8_lossy(&out).trim().to_string()
    }
}

impl Client {
    /// The `/folder` URL of `path` (relative, already checked) on datastore
    /// `ds` in the datacenter at inventory path `dc_path`; each path segment
    /// is percent-encoded.
    pub fn folder_url(&self, dc_path: &str, ds: &str, path: &str) -> Result<Url, VsError> {
        let mut url = self.inner.url.clone();
        url.set_query(None);
        url.path_segments_mut()
            .map_err(|()| VsError::Protocol(format!("{} cannot carry a path", self.inner.url)))?
            .clear()
            .push("folder")
            .extend(path.split('/'));
        url.query_pairs_mut()
            .append_pair("dcPath", dc_path)
            .append_pair("dsName", ds);
        Ok(url)
    }

    /// GETs `url` (a [`Client::folder_url`]) within the session; the body
    /// is left to read piece by piece.
    pub async fn folder_get(&self, url: &Url) -> Result<FolderResponse, VsError> {
        let send = |cookie: String| {
            self.inner
                .http
                .get(url.clone())
                .header(reqwest::header::COOKIE, format!("{COOKIE_NAME}={cookie}"))
                .timeout(TRANSFER_TIMEOUT)
                .send()
        };
        let (cookie, _) = self.session_cookie().await?;
        let mut resp = self.answered(send(cookie.clone()), url).await?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
            let cookie = self.relogin(&cookie).await?;
            resp = self.answered(send(cookie), url).await?;
        }
        tracing::debug!(path = url.path(), status = %resp.status(), "folder GET");
        Ok(FolderResponse::new(resp, self.inner.limits.timeout))
    }

    /// PUTs `length` bytes to `url` within the session. `body` makes the
    /// (streamed) body; it is called again for the retry after a 401, which
    /// vCenter answers before reading any of the first one.
    pub async fn folder_put(
        &self,
        url: &Url,
        length: u64,
        mut body: impl FnMut() -> Result<reqwest::Body, VsError>,
    ) -> Result<FolderResponse, VsError> {
        let mut send = |cookie: String| -> Result<_, VsError> {
            Ok(self
                .inner
                .http
                .put(url.clone())
                .header(reqwest::header::COOKIE, format!("{COOKIE_NAME}={cookie}"))
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .header(reqwest::header::CONTENT_LENGTH, length)
                .timeout(TRANSFER_TIMEOUT)
                .body(body()?)
                .send())
        };
        let (cookie, _) = self.session_cookie().await?;
        let mut resp = send(cookie.clone())?.await.map_err(|e| http_error(&e))?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
            let cookie = self.relogin(&cookie).await?;
            resp = send(cookie)?.await.map_err(|e| http_error(&e))?;
        }
        tracing::debug!(path = url.path(), status = %resp.status(), length, "folder PUT");
        Ok(FolderResponse::new(resp, self.inner.limits.timeout))
    }
}
