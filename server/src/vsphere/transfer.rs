//! Guest file transfers: the one-time URLs `InitiateFileTransferToGuest` /
//! `FromGuest` hand out are served by the ESXi host (or the simulator), not
//! by vCenter's `/sdk`. The token in the URL is the credential, so no
//! session cookie goes with them; the TLS settings are the client's own.

use reqwest::Url;

use super::Client;
use crate::error::VsError;

/// The most a guest file upload may take, start to answer.
const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Why a transfer did not happen.
#[derive(Clone, Debug, PartialEq)]
pub enum TransferError {
    /// The file is larger than the caller allows (the limit, in bytes).
    TooLarge(u64),
    /// The exchange failed or the host refused it.
    Failed(VsError),
}

impl Client {
    /// Downloads a transfer URL, refusing more than `limit` bytes (checked
    /// while reading, so an oversized file is never held in memory).
    pub async fn transfer_get(&self, url: &str, limit: u64) -> Result<Vec<u8>, TransferError> {
        let url = self.transfer_url(url)?;
        let send = self.inner.http.get(url.clone()).send();
        let mut resp = self
            .answered(send, &url)
            .await
            .map_err(TransferError::Failed)?;
        let idle = self.inner.limits.timeout;
        check_status(&resp, "download")?;
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(TransferError::TooLarge(limit));
        }
        let mut body = Vec::new();
        loop {
            let next = tokio::time::timeout(idle, resp.chunk())
                .await
                .map_err(|_| {
                    TransferError::Failed(VsError::Net(crate::error::NetError {
                        host: super::http_errors::host_port(&url),
                        kind: crate::error::NetKind::Timeout(idle.as_secs()),
                        maybe_sent: true,
                        unsure_method: None,
                    }))
                })?;
            let Some(chunk) =
                next.map_err(|e| TransferError::Failed(super::session::http_error(&e)))?
            else {
                break;
            };
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(TransferError::TooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Uploads `body` to a transfer URL.
    pub async fn transfer_put(&self, url: &str, body: Vec<u8>) -> Result<(), TransferError> {
        let url = self.transfer_url(url)?;
        let resp = self
            .inner
            .http
            .put(url)
            // The body is in memory and bounded; two minutes (or the call
            // timeout, if longer) is what the whole upload may take.
            .timeout(UPLOAD_TIMEOUT.max(self.inner.limits.timeout))
            .body(body)
            .send()
            .await
            .map_err(|e| TransferError::Failed(super::session::http_error(&e)))?;
        check_status(&resp, "upload")
    }

    /// The URL to use: ESXi may write its host as `*`, meaning "the host you
    /// reached me through", which is vCenter's host here.
    fn transfer_url(&self, raw: &str) -> Result<Url, TransferError> {
        let fixed = match (raw.find("://*"), self.inner.url.host_str()) {
            (Some(i), Some(host)) => format!("{}://{host}{}", &raw[..i], &raw[i + 4..]),
            _ => raw.to_string(),
        };
        Url::parse(&fixed).map_err(|e| {
            TransferError::Failed(VsError::Protocol(format!(
                "the guest file transfer URL is not a URL: {e}"
            )))
        })
    }
}

fn check_status(resp: &reqwest::Response, what: &str) -> Result<(), TransferError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    Err(TransferError::Failed(VsError::Http(format!(
        "the guest file {what} was refused: HTTP {status}"
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Secret, VCenterSettings};

    fn client() -> Client {
        let settings = VCenterSettings {
            url: Url::parse("https://vc.example.test/sdk").expect("a valid URL"),
            user: "u".into(),
            password: Secret::new("p"),
            insecure: true,
        };
        Client::new(&settings).expect("a client builds without network")
    }

    #[test]
    fn a_star_host_becomes_the_vcenter_host() {
        let c = client();
        let u = c
            .transfer_url("https://*:443/guestFile?id=7&token=abc")
            .expect("parses");
        assert_eq!(
            u.as_str(),
            "https://vc.example.test/guestFile?id=7&token=abc"
        );
        let u = c
            .transfer_url("http://10.0.0.5:8080/guestFile?id=1")
            .expect("parses");
        assert_eq!(u.host_str(), Some("10.0.0.5"));
        assert!(matches!(
            c.transfer_url("not a url"),
            Err(TransferError::Failed(_))
        ));
    }
}
