//! The upstream IdP: OIDC discovery, the authorization redirect (with this
//! server's own state, nonce and PKCE), the code exchange and the ID-token
//! check. Upstream tokens never leave this module: only the verified claims
//! (subject, name, groups) do.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Validation, decode, decode_header};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::claims::{TokenClaims, UserInfo};
use super::jwks::Jwks;
use crate::config::Secret;

/// The parts of the IdP's discovery document this server uses.
#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

const DISCOVERY_MAX_AGE: Duration = Duration::from_secs(3600);
/// Clock skew tolerated on `exp`/`nbf`/`iat`.
pub const LEEWAY_SECS: u64 = 60;

pub struct Upstream {
    pub issuer: String,
    /// `None` in resource-server-only mode (no proxy, no client at the IdP).
    client: Option<(String, Secret)>,
    scopes: Vec<String>,
    pub callback_url: String,
    http: reqwest::Client,
    discovery: Mutex<Option<(Discovery, Instant)>>,
    pub jwks: Jwks,
}

/// What the IdP's token endpoint answered (only what is used).
#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: Option<String>,
}

impl Upstream {
    pub fn new(
        issuer: &str,
        client: Option<(String, Secret)>,
        scopes: Vec<String>,
        callback_url: String,
    ) -> anyhow::Result<Upstream> {
        crate::vsphere::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            // A redirect from the IdP's API endpoints is not expected; not following
            // one keeps a token request from being re-sent somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Upstream {
            issuer: issuer.trim_end_matches('/').to_string(),
            client,
            scopes,
            callback_url,
            jwks: Jwks::new(http.clone()),
            http,
            discovery: Mutex::new(None),
        })
    }

    /// The discovery document, cached for an hour.
    pub async fn discovery(&self) -> Result<Discovery, String> {
        let mut cached = self.discovery.lock().await;
        if let Some((d, at)) = cached.as_ref()
            && at.elapsed() < DISCOVERY_MAX_AGE
        {
            return Ok(d.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let fetched: Result<Discovery, String> = async {
            let resp = self
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| format!("GET {url}: {}", e.without_url()))?;
            if !resp.status().is_success() {
                return Err(format!("GET {url}: HTTP {}", resp.status()));
            }
            resp.json::<Discovery>().await.map_err(|e| {
                format!(
                    "{url} is not an OIDC discovery document: {}",
                    e.without_url()
                )
            })
        }
        .await;
        match fetched {
            Ok(d) if d.issuer.trim_end_matches('/') != self.issuer => Err(format!(
                "the IdP's discovery document names issuer {}, not OAUTH_ISSUER_URL {}",
                d.issuer, self.issuer
            )),
            Ok(d) => {
                *cached = Some((d.clone(), Instant::now()));
                Ok(d)
            }
            // A stale document beats none while the IdP is briefly unreachable.
            Err(e) => match cached.as_ref() {
                Some((d, _)) => {
                    tracing::warn!(target: "mcvsphere::auth", "{e}; using the cached discovery document");
                    Ok(d.clone())
                }
                None => Err(e),
            },
        }
    }

    /// Where to send the user's browser to sign in.
    pub async fn authorize_url(
        &self,
        state: &str,
        nonce: &str,
        code_challenge: &str,
    ) -> Result<String, String> {
        let d = self.discovery().await?;
        let (client_id, _) = self.client.as_ref().ok_or("no OAuth client configured")?;
        let mut url = url::Url::parse(&d.authorization_endpoint)
            .map_err(|_| "the IdP's authorization_endpoint is not a URL".to_string())?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", &self.callback_url)
            .append_pair("scope", &self.scopes.join(" "))
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Exchanges the IdP's code and returns the verified user from the ID token.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<UserInfo, String> {
        let d = self.discovery().await?;
        let (client_id, secret) = self.client.as_ref().ok_or("no OAuth client configured")?;
        let methods = &d.token_endpoint_auth_methods_supported;
        let basic = methods.is_empty() || methods.iter().any(|m| m == "client_secret_basic");
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "authorization_code")
                .append_pair("code", code)
                .append_pair("redirect_uri", &self.callback_url)
                .append_pair("code_verifier", verifier)
                .append_pair("client_id", client_id);
            if !basic {
                form.append_pair("client_secret", secret.expose());
            }
            form.finish()
        };
        let mut req = self
            .http
            .post(&d.token_endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json");
        if basic {
            // RFC 6749 §2.3.1: form-encode id and secret before base64.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let cred = STANDARD.encode(format!("{}:{}", enc(client_id), enc(secret.expose())));
            req = req.header("authorization", format!("Basic {cred}"));
        }
        let resp = req.body(body).send().await.map_err(|e| {
            format!(
                "the IdP's token endpoint is unreachable: {}",
                e.without_url()
            )
        })?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("reading the IdP's token response: {}", e.without_url()))?;
        if !status.is_success() {
            // Only the RFC 6749 error code is repeated: a description might echo input.
            let code = serde_json::from_slice::<ErrorResponse>(&body)
                .ok()
                .and_then(|e| e.error)
                .filter(|e| {
                    e.len() < 64 && e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .unwrap_or_else(|| "unknown".into());
            return Err(format!(
                "the IdP refused the code exchange (HTTP {status}, error {code})"
            ));
        }
        let tokens: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| "the IdP's token response is not JSON".to_string())?;
        let id_token = tokens
            .id_token
            .ok_or("the IdP returned no ID token (is `openid` in OAUTH_SCOPES?)")?;
        self.verify_id_token(&id_token, &d, client_id, nonce).await
    }

    async fn verify_id_token(
        &self,
        token: &str,
        d: &Discovery,
        client_id: &str,
        nonce: &str,
    ) -> Result<UserInfo, String> {
        let header = decode_header(token).map_err(|_| "the ID token is malformed".to_string())?;
        let key = self
            .jwks
            .key(&d.jwks_uri, header.kid.as_deref(), header.alg)
            .await?;
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[&d.issuer]);
        v.set_audience(&[client_id]);
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = decode::<TokenClaims>(token, &key, &v)
            .map_err(|e| format!("the ID token is invalid: {e}"))?;
        let c = data.claims;
        if !c
            .nonce
            .as_deref()
            .is_some_and(|n| super::keys::ct_eq(n, nonce))
        {
            return Err("the ID token's nonce does not match this sign-in".into());
        }
        if let Some(azp) = &c.azp
            && azp != client_id
        {
            return Err("the ID token was issued to another client (azp)".into());
        }
        Ok(c.user())
    }

    /// Validates the IdP's own access token (resource-server mode): signed by
    /// the IdP, `aud` = this server's resource URL, never an ID token.
    pub async fn verify_access_token(
        &self,
        token: &str,
        header: &jsonwebtoken::Header,
        resource: &[String],
    ) -> Result<UserInfo, String> {
        let d = self.discovery().await?;
        if let Some(typ) = &header.typ {
            let t = typ.to_ascii_lowercase();
            if !matches!(t.as_str(), "jwt" | "at+jwt" | "application/at+jwt") {
                return Err(format!("token type {typ} is not an access token"));
            }
        }
        let key = self
            .jwks
            .key(&d.jwks_uri, header.kid.as_deref(), header.alg)
            .await?;
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[&d.issuer]);
        v.set_audience(resource);
        v.leeway = LEEWAY_SECS;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = decode::<TokenClaims>(token, &key, &v).map_err(|e| format!("{e}"))?;
        let c = data.claims;
        // ID tokens carry a nonce (or Keycloak's typ=ID); access tokens do not.
        if c.nonce.is_some()
            || c.typ
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("id"))
        {
            return Err("an ID token is not an access token".into());
        }
        Ok(c.user())
    }
}
