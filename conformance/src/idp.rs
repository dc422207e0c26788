//! A mock OIDC identity provider for the OAuth tests: `wiremock` serves
//! discovery, JWKS and the token endpoint; tokens are RS256 JWTs signed with
//! RSA keys made at test time (once per test binary).

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

pub const IDP_CLIENT_ID: &str = "mcvsphere-proxy";
pub const IDP_CLIENT_SECRET: &str = "idp-client-secret-DO-NOT-LOG-7f3a";

/// An RSA signing key with its JWK and PEM forms.
pub struct TestKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Json,
    /// The public key as PKCS#1 PEM (for the HS256-with-public-key attack).
    pub public_pem: String,
}

fn make_key(kid: &str) -> TestKey {
    let mut rng = rsa::rand_core::OsRng;
    let private =
        rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap_or_else(|e| panic!("rsa keygen: {e}"));
    let public = private.to_public_key();
    let der = private
        .to_pkcs1_der()
        .unwrap_or_else(|e| panic!("pkcs1: {e}"));
    let public_pem = public
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .unwrap_or_else(|e| panic!("pem: {e}"));
    TestKey {
        kid: kid.to_string(),
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk: json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": B64.encode(public.n().to_bytes_be()),
            "e": B64.encode(public.e().to_bytes_be()),
        }),
        public_pem,
    }
}

/// The IdP's key and a key the IdP never published.
pub fn keys() -> &'static (TestKey, TestKey) {
    static KEYS: OnceLock<(TestKey, TestKey)> = OnceLock::new();
    KEYS.get_or_init(|| (make_key("idp-key-1"), make_key("rogue-key")))
}

pub struct MockIdp {
    pub server: MockServer,
    /// The issuer URL (no trailing slash).
    pub issuer: String,
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl MockIdp {
    pub async fn start() -> MockIdp {
        let server = MockServer::start().await;
        let issuer = server.uri();
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/jwks"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [keys().0.jwk]})))
            .mount(&server)
            .await;
        MockIdp { server, issuer }
    }

    /// An RS256 token signed with the IdP's key.
    pub fn sign(&self, claims: &Json) -> String {
        sign_with(&keys().0, claims)
    }

    /// An ID token for `sub` in `groups`, for the proxy's client.
    pub fn id_token(&self, sub: &str, groups: &[&str], nonce: &str) -> String {
        let t = now();
        self.sign(&json!({
            "iss": self.issuer, "aud": IDP_CLIENT_ID, "sub": sub, "nonce": nonce,
            "preferred_username": sub, "groups": groups, "iat": t, "exp": t + 300,
        }))
    }

    /// An IdP access token for `aud` (resource-server mode).
    pub fn access_token(&self, sub: &str, groups: &[&str], aud: &str) -> String {
        let t = now();
        self.sign(&json!({
            "iss": self.issuer, "aud": aud, "sub": sub, "groups": groups,
            "iat": t, "exp": t + 300, "scope": "openid",
        }))
    }

    /// The IdP's token endpoint answers `code` with `id_token`, but only if
    /// the proxy authenticates as its client and proves PKCE for `challenge`.
    pub async fn expect_code(&self, code: &str, challenge: &str, id_token: &str) {
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(TokenRequest {
                code: code.to_string(),
                challenge: challenge.to_string(),
            })
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": format!("idp-access-{code}"),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            })))
            .mount(&self.server)
            .await;
    }
}

pub fn sign_with(key: &TestKey, claims: &Json) -> String {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&h, claims, &key.encoding).unwrap_or_else(|e| panic!("sign: {e}"))
}

/// Matches the proxy's code exchange: the right code, PKCE verifier and client credentials.
struct TokenRequest {
    code: String,
    challenge: String,
}

impl Match for TokenRequest {
    fn matches(&self, req: &Request) -> bool {
        let form: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(&req.body)
                .into_owned()
                .collect();
        let verifier_ok = form
            .get("code_verifier")
            .is_some_and(|v| B64.encode(Sha256::digest(v.as_bytes())) == self.challenge);
        let basic = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .is_some_and(|raw| raw == format!("{IDP_CLIENT_ID}:{IDP_CLIENT_SECRET}").as_bytes());
        form.get("grant_type").map(String::as_str) == Some("authorization_code")
            && form.get("code") == Some(&self.code)
            && verifier_ok
            && basic
    }
}
