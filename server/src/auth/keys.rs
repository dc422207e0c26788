//! Keys derived from `OAUTH_SIGNING_KEY` and the sealed blobs they make.
//!
//! Everything the proxy would otherwise keep in a database — registered
//! clients, pending logins, authorization codes, refresh tokens, consent
//! forms — is a *sealed blob*: JSON encrypted and authenticated with
//! XChaCha20-Poly1305 under a key derived with HKDF. The blob's purpose is
//! the AEAD's associated data, so a code can never be replayed as a refresh
//! token or a client id. Any replica holding the same signing key can open
//! any blob, which is what lets a flow move between processes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// What a sealed blob is for (the AEAD associated data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Client,
    Consent,
    Pending,
    Code,
    Refresh,
}

impl Purpose {
    fn aad(self) -> &'static [u8] {
        match self {
            Purpose::Client => b"mcvsphere/client/v1",
            Purpose::Consent => b"mcvsphere/consent/v1",
            Purpose::Pending => b"mcvsphere/pending/v1",
            Purpose::Code => b"mcvsphere/code/v1",
            Purpose::Refresh => b"mcvsphere/refresh/v1",
        }
    }
}

/// Longest blob accepted before decoding (client ids hold up to 10 redirect URIs).
const MAX_BLOB: usize = 16 * 1024;

pub struct Keys {
    seal: XChaCha20Poly1305,
    /// HS256 key for the access tokens this server issues.
    access: [u8; 32],
}

impl Keys {
    /// Derives the per-purpose keys; the input is never stored.
    pub fn derive(secret: &[u8]) -> Keys {
        let hk = Hkdf::<Sha256>::new(Some(b"mcvsphere-oauth-v1"), secret);
        let mut seal = [0u8; 32];
        let mut access = [0u8; 32];
        // Expanding 32 bytes from SHA-256 HKDF cannot fail (the limit is 8160).
        let ok = hk.expand(b"seal", &mut seal).is_ok()
            && hk.expand(b"access-token", &mut access).is_ok();
        debug_assert!(ok);
        Keys {
            seal: XChaCha20Poly1305::new((&seal).into()),
            access,
        }
    }

    /// A key for this process only (no `OAUTH_SIGNING_KEY`).
    pub fn random() -> Keys {
        Keys::derive(&random_bytes::<32>())
    }

    pub fn access_key(&self) -> &[u8] {
        &self.access
    }

    /// Seals `value` with an absolute expiry (unix seconds).
    pub fn seal<T: Serialize>(&self, purpose: Purpose, exp: i64, value: &T) -> String {
        let body = serde_json::to_vec(&Envelope { e: exp, v: value }).unwrap_or_default();
        let nonce_bytes = random_bytes::<24>();
        let nonce = XNonce::from_slice(&nonce_bytes);
        let ct = self
            .seal
            .encrypt(
                nonce,
                Payload {
                    msg: &body,
                    aad: purpose.aad(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&ct);
        B64.encode(out)
    }

    /// Opens a blob of `purpose` that has not expired; `None` for anything else
    /// (wrong key, tampered, other purpose, expired, malformed).
    pub fn open<T: DeserializeOwned>(&self, purpose: Purpose, blob: &str) -> Option<T> {
        if blob.len() > MAX_BLOB {
            return None;
        }
        let raw = B64.decode(blob.as_bytes()).ok()?;
        if raw.len() < 24 + 16 {
            return None;
        }
        let (nonce, ct) = raw.split_at(24);
        let body = self
            .seal
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: purpose.aad(),
                },
            )
            .ok()?;
        let env: Envelope<T> = serde_json::from_slice(&body).ok()?;
        (env.e > now()).then_some(env.v)
    }
}

#[derive(Serialize, serde::Deserialize)]
struct Envelope<T> {
    e: i64,
    v: T,
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

/// A random url-safe token (ids, nonces, PKCE verifiers).
pub fn random_token() -> String {
    B64.encode(random_bytes::<32>())
}

/// base64url(SHA-256(s)): PKCE S256 and short fingerprints of long values.
pub fn sha256_b64(s: &str) -> String {
    B64.encode(Sha256::digest(s.as_bytes()))
}

/// Constant-time string equality (API key, PKCE).
pub fn ct_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sealed_blobs_round_trip_and_refuse_everything_else() {
        let k = Keys::derive(b"0123456789abcdef0123456789abcdef");
        let blob = k.seal(Purpose::Code, now() + 60, &"hello");
        assert_eq!(
            k.open::<String>(Purpose::Code, &blob).as_deref(),
            Some("hello")
        );
        // Another purpose, another key, expired, tampered: all refused.
        assert!(k.open::<String>(Purpose::Refresh, &blob).is_none());
        let other = Keys::derive(b"another-key-another-key-another-key");
        assert!(other.open::<String>(Purpose::Code, &blob).is_none());
        let old = k.seal(Purpose::Code, now() - 1, &"hello");
        assert!(k.open::<String>(Purpose::Code, &old).is_none());
        let mut t = blob.into_bytes();
        let i = t.len() / 2;
        t[i] = if t[i] == b'A' { b'B' } else { b'A' };
        assert!(
            k.open::<String>(Purpose::Code, &String::from_utf8(t).unwrap())
                .is_none()
        );
        assert!(k.open::<String>(Purpose::Code, "garbage!").is_none());
    }

    #[test]
    fn same_secret_same_keys_across_processes() {
        let a = Keys::derive(b"shared-secret-shared-secret-shared");
        let b = Keys::derive(b"shared-secret-shared-secret-shared");
        let blob = a.seal(Purpose::Client, now() + 60, &42u32);
        assert_eq!(b.open::<u32>(Purpose::Client, &blob), Some(42));
        assert_eq!(a.access_key(), b.access_key());
    }

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            sha256_b64("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
