//! Turning a failed HTTP exchange into one sentence a person reads:
//! "cannot reach vCenter at HOST:PORT (connection refused)" and the like,
//! never reqwest's error chain (which reads "error sending request for url
//! (…): client error (Connect): tcp connect error: …"). Nothing secret can
//! be in it: credentials travel in the body, and only the host and port of
//! the URL are named.

use std::error::Error as StdError;

use crate::error::{NetError, NetKind, VsError};

/// The bounds the messages quote, in seconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub timeout: u64,
    pub connect: u64,
}

/// `HOST:PORT` of `url` (IPv6 hosts in brackets), the port defaulted by scheme.
pub(crate) fn host_port(url: &url::Url) -> String {
    let host = url.host().map(|h| h.to_string()).unwrap_or_default();
    match url.port_or_known_default() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// Classifies `e`; `fallback` names the host when the error carries no URL.
pub(crate) fn classify(e: &reqwest::Error, fallback: &str, bounds: Bounds) -> NetError {
    let host = e
        .url()
        .map(host_port)
        .unwrap_or_else(|| fallback.to_string());
    let connect = e.is_connect();
    let kind = if e.is_timeout() {
        if connect {
            NetKind::ConnectTimeout(bounds.connect)
        } else {
            NetKind::Timeout(bounds.timeout)
        }
    } else {
        kind_from_chain(e, connect)
    };
    NetError {
        host,
        kind,
        // A failure while connecting means no byte of the request left.
        maybe_sent: !connect,
        unsure_method: None,
    }
}

/// A `VsError` for a failed exchange (the `/folder` and NFC doors, guest
/// transfers); the SOAP path classifies with its own bounds in `session.rs`.
pub(crate) fn http_error(e: &reqwest::Error) -> VsError {
    VsError::Net(classify(e, "vCenter", Bounds::default()))
}

impl Default for Bounds {
    fn default() -> Self {
        let l = super::CallLimits::default();
        Bounds {
            timeout: l.timeout.as_secs(),
            connect: l.connect_timeout.as_secs(),
        }
    }
}

/// Walks the source chain for the first thing that says what happened.
fn kind_from_chain(e: &reqwest::Error, connect: bool) -> NetKind {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    let mut io_kind = None;
    while let Some(err) = cur {
        if let Some(why) = tls_reason(err) {
            return NetKind::Tls(why);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionRefused => return NetKind::Refused,
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => return NetKind::Reset,
                K::UnexpectedEof => return NetKind::Closed,
                k => io_kind = io_kind.or(Some(k)),
            }
        }
        // hyper's and hyper-util's errors are matched by their (stable)
        // words: the server does not depend on hyper directly.
        let text = err.to_string();
        if text.contains("dns error") || text.contains("failed to lookup address") {
            return NetKind::NotResolved;
        }
        if text.contains("connection closed before message completed")
            || text == "connection closed"
            || text.contains("operation was canceled")
        {
            return NetKind::Closed;
        }
        cur = err.source();
    }
    if let Some(k) = io_kind {
        // std's own short words ("network unreachable", "host unreachable").
        return NetKind::Other(k.to_string());
    }
    NetKind::Other(
        if connect {
            "the connection failed"
        } else if e.is_body() || e.is_decode() {
            "the answer broke off"
        } else {
            "the HTTP exchange failed"
        }
        .to_string(),
    )
}

/// A TLS failure's reason, with the setting to change where one helps.
fn tls_reason(err: &(dyn StdError + 'static)) -> Option<String> {
    if let Some(r) = err.downcast_ref::<rustls::Error>() {
        return Some(rustls_words(r));
    }
    // tokio-rustls wraps rustls' error in an io::Error whose `source()`
    // skips it, so look inside.
    let io = err.downcast_ref::<std::io::Error>()?;
    let inner: &(dyn StdError + 'static) = io.get_ref()?;
    tls_reason(inner)
}

fn rustls_words(r: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match r {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature | C::UnhandledCriticalExtension => {
                "certificate not trusted — set VCENTER_INSECURE=true for a self-signed certificate"
                    .to_string()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the certificate is for another host name — connect by the name it names, or set \
                 VCENTER_INSECURE=true"
                    .to_string()
            }
            C::Expired | C::ExpiredContext { .. } => "the certificate has expired".to_string(),
            other => format!(
                "certificate not accepted ({other:?}) — VCENTER_INSECURE=true skips the check"
            ),
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the server did not speak TLS — is it plain HTTP (use an http:// VCENTER_HOST)?"
                .to_string()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_names_the_default_port() {
        let u = url::Url::parse("https://vc.example.test/sdk").expect("a URL");
        assert_eq!(host_port(&u), "vc.example.test:443");
        let u = url::Url::parse("http://[::1]:8989/sdk").expect("a URL");
        assert_eq!(host_port(&u), "[::1]:8989");
    }

    #[test]
    fn unknown_issuer_says_which_setting() {
        let w = rustls_words(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
        assert!(w.contains("VCENTER_INSECURE=true"), "{w}");
    }
}
