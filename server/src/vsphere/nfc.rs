//! The HTTP side of an `HttpNfcLease`: PUT a disk to an import lease's
//! URL, GET one from an export lease's, within the server's session (the
//! `vmware_soap_session` cookie vCenter and ESXi accept on NFC URLs). A
//! lease URL may name its host `*`, meaning the host the client reached
//! vCenter at. Bodies stream both ways; an upload's body is made once by
//! the caller (a stream cannot be replayed), so the session is checked
//! before it is sent.

use url::Url;

use super::Client;
use super::folder::{FolderResponse, TRANSFER_TIMEOUT};
use super::session::{COOKIE_NAME, http_error};
use crate::error::VsError;

impl Client {
    /// A lease's device URL with `*` replaced by vCenter's host.
    pub fn nfc_url(&self, raw: &str) -> Result<Url, VsError> {
        let fixed = match (raw.find("://*"), self.inner.url.host_str()) {
            (Some(i), Some(host)) => format!("{}://{host}{}", &raw[..i], &raw[i + 4..]),
            _ => raw.to_string(),
        };
        Url::parse(&fixed)
            .map_err(|e| VsError::Protocol(format!("the lease's device URL is not a URL: {e}")))
    }

    /// PUTs `length` bytes of a stream-optimized disk to an import lease's URL.
    pub async fn nfc_put(
        &self,
        url: &Url,
        length: u64,
        body: reqwest::Body,
    ) -> Result<FolderResponse, VsError> {
        let (cookie, _) = self.session_cookie().await?;
        let resp = self
            .inner
            .http
            .put(url.clone())
            .header(reqwest::header::COOKIE, format!("{COOKIE_NAME}={cookie}"))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-vnd.vmware-streamVmdk",
            )
            .header(reqwest::header::CONTENT_LENGTH, length)
            .timeout(TRANSFER_TIMEOUT)
            .body(body)
            .send()
            .await
            .map_err(|e| http_error(&e))?;
        tracing::debug!(path = url.path(), status = %resp.status(), length, "NFC PUT");
        Ok(FolderResponse::new(resp, self.inner.limits.timeout))
    }

    /// GETs an export lease's URL; the body is left to read piece by piece.
    pub async fn nfc_get(&self, url: &Url) -> Result<FolderResponse, VsError> {
        let (cookie, _) = self.session_cookie().await?;
        let send = self
            .inner
            .http
            .get(url.clone())
            .header(reqwest::header::COOKIE, format!("{COOKIE_NAME}={cookie}"))
            .timeout(TRANSFER_TIMEOUT)
            .send();
        let resp = self.answered(send, url).await?;
        tracing::debug!(path = url.path(), status = %resp.status(), "NFC GET");
        Ok(FolderResponse::new(resp, self.inner.limits.timeout))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Secret, VCenterSettings};
    use crate::vsphere::Client;

    #[test]
    fn a_star_host_is_vcenters() {
        let settings = VCenterSettings {
            url: url::Url::parse("https://vc.example.test/sdk").expect("a valid URL"),
            user: "u".into(),
            password: Secret::new("p"),
            insecure: true,
        };
        let c = Client::new(&settings).expect("a client builds without network");
        let u = c.nfc_url("https://*/nfc/52a1/disk-0.vmdk").expect("parses");
        assert_eq!(u.as_str(), "https://vc.example.test/nfc/52a1/disk-0.vmdk");
        let u = c
            .nfc_url("https://10.0.0.5:443/nfc/52a1/disk-0.vmdk")
            .expect("parses");
        assert_eq!(u.host_str(), Some("10.0.0.5"));
    }
}
