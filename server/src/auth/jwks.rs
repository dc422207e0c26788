//! The IdP's signing keys (JWKS): fetched on first use, cached, refreshed
//! when a token names a `kid` we do not have — at most once per
//! [`MIN_REFETCH`], so a stream of made-up `kid`s cannot turn the server into
//! a request amplifier against the IdP.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::Mutex;

const MIN_REFETCH: Duration = Duration::from_secs(10);
/// Keys are re-read this often even without an unknown `kid` (IdPs retire keys).
const MAX_AGE: Duration = Duration::from_secs(3600);

pub struct Jwks {
    http: reqwest::Client,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    keys: Vec<Jwk>,
    fetched: Option<Instant>,
}

/// Asymmetric algorithms an IdP may sign with. HS* and `none` are never
/// accepted from the IdP: an HMAC "signed" with the public key must fail.
pub const IDP_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

impl Jwks {
    pub fn new(http: reqwest::Client) -> Jwks {
        Jwks {
            http,
            state: Mutex::new(State::default()),
        }
    }

    /// The key for a token signed with `alg` and naming `kid`, from `uri`.
    pub async fn key(
        &self,
        uri: &str,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, String> {
        if !IDP_ALGORITHMS.contains(&alg) {
            return Err(format!("algorithm {alg:?} is not accepted"));
        }
        let mut st = self.state.lock().await;
        let stale = st.fetched.is_none_or(|t| t.elapsed() > MAX_AGE);
        let found = find(&st.keys, kid, alg);
        let may_refetch = st.fetched.is_none_or(|t| t.elapsed() >= MIN_REFETCH);
        if stale || (found.is_none() && may_refetch) {
            match self.fetch(uri).await {
                Ok(keys) => {
                    st.keys = keys;
                    st.fetched = Some(Instant::now());
                }
                Err(e) => {
                    // Keep serving the keys we have; note the failure.
                    tracing::warn!(target: "mcvsphere::auth", "cannot refresh the IdP's JWKS: {e}");
                    if st.fetched.is_none() {
                        return Err("the identity provider's keys are unavailable".into());
                    }
                }
            }
        }
        let jwk = find(&st.keys, kid, alg).ok_or("no matching signing key (unknown kid)")?;
        DecodingKey::from_jwk(&jwk).map_err(|_| "unusable signing key".to_string())
    }

    async fn fetch(&self, uri: &str) -> Result<Vec<Jwk>, String> {
        let resp = self
            .http
            .get(uri)
            .send()
            .await
            .map_err(|e| format!("GET jwks: {}", e.without_url()))?;
        if !resp.status().is_success() {
            return Err(format!("GET jwks: HTTP {}", resp.status()));
        }
        let set: JwkSet = resp
            .json()
            .await
            .map_err(|e| format!("jwks is not a JWK set: {}", e.without_url()))?;
        Ok(set.keys)
    }
}

/// The signing key named `kid` (or the only signing key when the token names
/// none) whose declared algorithm, if any, is `alg`.
fn find(keys: &[Jwk], kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
    let alg_name = format!("{alg:?}");
    let usable = |k: &&Jwk| {
        let for_sig = k
            .common
            .public_key_use
            .as_ref()
            .is_none_or(|u| matches!(u, jsonwebtoken::jwk::PublicKeyUse::Signature));
        let alg_ok = k
            .common
            .key_algorithm
            .as_ref()
            .is_none_or(|a| format!("{a:?}") == alg_name);
        for_sig && alg_ok
    };
    match kid {
        Some(kid) => keys
            .iter()
            .filter(usable)
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .cloned(),
        None => {
            let mut it = keys.iter().filter(usable);
            match (it.next(), it.next()) {
                (Some(k), None) => Some(k.clone()),
                _ => None,
            }
        }
    }
}
