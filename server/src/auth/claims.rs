//! Claims read from JWTs (ours, the IdP's access and ID tokens) and the user
//! they describe.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::identity::{Identity, IdentitySource};

/// The claims this server reads from any JWT; everything else is ignored.
#[derive(Debug, Deserialize)]
pub struct TokenClaims {
    pub sub: String,
    #[serde(default)]
    pub groups: Json,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub nonce: Option<String>,
    pub azp: Option<String>,
    /// Keycloak marks ID tokens with `typ: "ID"`.
    pub typ: Option<String>,
}

impl TokenClaims {
    pub fn user(self) -> UserInfo {
        UserInfo {
            name: self
                .preferred_username
                .or(self.email)
                .or(self.name)
                .map(|n| n.chars().take(200).collect()),
            groups: parse_groups(&self.groups),
            sub: self.sub,
        }
    }
}

/// The signed-in user, as carried in codes, refresh tokens and access tokens.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserInfo {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

impl UserInfo {
    pub fn identity(&self, source: IdentitySource) -> Identity {
        Identity {
            subject: self.sub.clone(),
            name: self.name.clone(),
            groups: self.groups.clone(),
            source,
        }
    }
}

/// `groups` as an array of strings, or one string separated by spaces or
/// commas. Keycloak's full group paths (`/vsphere-admins`) lose the slash.
pub fn parse_groups(v: &Json) -> Vec<String> {
    let raw: Vec<String> = match v {
        Json::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Json::String(s) => s.split([' ', ',']).map(str::to_string).collect(),
        _ => vec![],
    };
    let mut out: Vec<String> = raw
        .into_iter()
        .map(|g| g.trim().trim_start_matches('/').to_string())
        .filter(|g| !g.is_empty() && g.len() <= 256)
        .collect();
    out.truncate(256);
    out
}

/// Whether `groups` meets `OAUTH_REQUIRED_GROUPS` (any one of them; none required = yes).
pub fn has_required(groups: &[String], required: &[String]) -> bool {
    required.is_empty() || groups.iter().any(|g| required.contains(g))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_claim_forms() {
        assert_eq!(parse_groups(&json!(["a", "b", 3])), vec!["a", "b"]);
        assert_eq!(parse_groups(&json!("a b,c")), vec!["a", "b", "c"]);
        assert_eq!(
            parse_groups(&json!(["/vsphere-admins"])),
            vec!["vsphere-admins"]
        );
        assert!(parse_groups(&json!(null)).is_empty());
        assert!(has_required(&["x".into()], &[]));
        assert!(!has_required(&["x".into()], &["y".into()]));
    }
}
