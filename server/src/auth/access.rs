//! The access tokens this server issues: HS256 JWTs under a key derived from
//! `OAUTH_SIGNING_KEY`, `iss` = `OAUTH_BASE_URL`, `aud` = the resource URL.
//! Validation pins HS256 and this issuer, so neither an IdP token nor a
//! token "signed" with a public key can pass as one of ours.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use super::Auth;
use super::claims::UserInfo;
use super::keys::{now, random_token};

const TYP: &str = "at+jwt";

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    #[serde(default)]
    pub scope: String,
}

/// Issues an access token for `user` to the client whose id fingerprint is `client`.
pub fn issue(auth: &Auth, user: &UserInfo, client: &str, scope: &str) -> Result<String, String> {
    let (Some(iss), Some(aud)) = (&auth.base_url, &auth.resource_url) else {
        return Err("OAuth is not configured".into());
    };
    let t = now();
    let claims = AccessClaims {
        iss: iss.clone(),
        aud: aud.clone(),
        sub: user.sub.clone(),
        name: user.name.clone(),
        groups: user.groups.clone(),
        exp: t + auth.access_ttl_secs,
        iat: t,
        jti: random_token(),
        client_id: client.to_string(),
        scope: scope.to_string(),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(TYP.into());
    encode(
        &header,
        &claims,
        &EncodingKey::from_secret(auth.keys.access_key()),
    )
    .map_err(|_| "cannot sign the access token".to_string())
}

/// Verifies one of our own access tokens.
pub fn verify(auth: &Auth, token: &str) -> Result<UserInfo, String> {
    let Some(iss) = &auth.base_url else {
        return Err("OAuth is not configured".into());
    };
    let header = jsonwebtoken::decode_header(token).map_err(|_| "malformed token".to_string())?;
    if header.typ.as_deref() != Some(TYP) {
        return Err("not an access token".into());
    }
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[iss]);
    v.set_audience(&auth.audiences());
    v.leeway = super::upstream::LEEWAY_SECS;
    v.validate_nbf = true;
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = decode::<AccessClaims>(token, &DecodingKey::from_secret(auth.keys.access_key()), &v)
        .map_err(|e| format!("{e}"))?;
    let c = data.claims;
    Ok(UserInfo {
        sub: c.sub,
        name: c.name,
        groups: c.groups,
    })
}
