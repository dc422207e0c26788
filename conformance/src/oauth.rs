//! The OAuth side of the harness: the real `mcvsphere` binary started with
//! OAuth settings against a [`MockIdp`], and a walker that goes through the
//! whole browser flow by hand (no redirects followed automatically), checking
//! each hop.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::idp::{IDP_CLIENT_ID, IDP_CLIENT_SECRET, MockIdp};
use crate::{free_port, server_command, wait_healthy};

/// Shared by replicas in the tests; must never appear in any output.
pub const SIGNING_KEY: &str = "signing-key-for-tests-0123456789abcdef-DO-NOT-LOG";
pub const API_KEY: &str = "api-key-for-tests-DO-NOT-LOG-42";
/// The redirect URI the test client registers.
pub const REDIRECT: &str = "http://127.0.0.1:7777/callback";

/// One `mcvsphere` process serving streamable HTTP with OAuth.
pub struct OAuthServer {
    /// Where this process listens (`http://127.0.0.1:PORT`).
    pub addr: String,
    /// `OAUTH_BASE_URL` (the public URL; a replica's may be another process's).
    pub public: String,
    child: tokio::process::Child,
    stderr_path: PathBuf,
    audit_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl OAuthServer {
    /// Starts a server on its own port whose public URL is itself.
    pub async fn start(
        sim: &vcsim::Simulator,
        idp: &MockIdp,
        extra: &[(&str, &str)],
    ) -> Result<OAuthServer> {
        let port = free_port()?;
        Self::start_at(sim, idp, port, &format!("http://127.0.0.1:{port}"), extra).await
    }

    /// Starts a server on `port` with `OAUTH_BASE_URL=public`.
    pub async fn start_at(
        sim: &vcsim::Simulator,
        idp: &MockIdp,
        port: u16,
        public: &str,
        extra: &[(&str, &str)],
    ) -> Result<OAuthServer> {
        let dir = tempfile::tempdir()?;
        let stderr_path = dir.path().join("stderr.log");
        let audit_path = dir.path().join("audit.log");
        let stderr = std::fs::File::create(&stderr_path)?;
        let mut cmd = server_command(sim, &[])?;
        cmd.env("MCP_TRANSPORT", "streamable-http")
            .env("MCP_HOST", "127.0.0.1")
            .env("MCP_PORT", port.to_string())
            .env("LOG_LEVEL", "debug")
            .env("AUDIT_LOG", &audit_path)
            .env("OAUTH_ENABLED", "true")
            .env("OAUTH_ISSUER_URL", &idp.issuer)
            .env("OAUTH_CLIENT_ID", IDP_CLIENT_ID)
            .env("OAUTH_CLIENT_SECRET", IDP_CLIENT_SECRET)
            .env("OAUTH_BASE_URL", public)
            .env("OAUTH_SIGNING_KEY", SIGNING_KEY);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(stderr));
        let child = cmd.spawn().context("spawning the OAuth server")?;
        let addr = format!("http://127.0.0.1:{port}");
        if let Err(e) = wait_healthy(&addr).await {
            let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            bail!("{e}; server output:\n{log}");
        }
        Ok(OAuthServer {
            addr,
            public: public.to_string(),
            child,
            stderr_path,
            audit_path,
            _dir: dir,
        })
    }

    /// Everything the process wrote: stderr (logs) and the audit log.
    pub fn output(&self) -> String {
        let a = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let b = std::fs::read_to_string(&self.audit_path).unwrap_or_default();
        format!("{a}\n{b}")
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// An HTTP client that follows nothing by itself.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("reqwest: {e}"))
}

pub fn pkce() -> (String, String) {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    let verifier = B64.encode(b);
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn query(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

pub fn location(h: &HeaderMap) -> String {
    h.get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Everything one sign-in produced, for the tests to poke at.
#[derive(Debug, Clone, Default)]
pub struct Login {
    pub client_id: String,
    pub verifier: String,
    /// The proxy's authorization code (already redeemed).
    pub code: String,
    pub idp_code: String,
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// Walks the flow; each request goes to the next of `bases` in turn, so with
/// two replicas consecutive hops land on different processes.
pub struct Walker {
    pub http: reqwest::Client,
    pub bases: Vec<String>,
    i: AtomicUsize,
}

impl Walker {
    pub fn new(bases: Vec<String>) -> Walker {
        Walker {
            http: http(),
            bases,
            i: AtomicUsize::new(0),
        }
    }

    /// The next process's address.
    pub fn next(&self) -> String {
        let i = self.i.fetch_add(1, Ordering::SeqCst);
        self.bases[i % self.bases.len()].clone()
    }

    /// `url` (from some server's answer, on the public base) rewritten to the next process.
    pub fn route(&self, url: &str, public: &str) -> String {
        format!("{}{}", self.next(), url.strip_prefix(public).unwrap_or(url))
    }

    pub async fn register(&self, redirect_uris: &[&str]) -> Result<reqwest::Response> {
        Ok(self
            .http
            .post(format!("{}/register", self.next()))
            .json(&json!({"client_name": "Conformance Client", "redirect_uris": redirect_uris}))
            .send()
            .await?)
    }

    /// PRM → AS metadata → DCR → authorize → consent → IdP → callback → token.
    pub async fn login(
        &self,
        idp: &MockIdp,
        public: &str,
        sub: &str,
        groups: &[&str],
    ) -> Result<Login> {
        // 1. The MCP endpoint says where to look.
        let r = self
            .http
            .post(format!("{}/mcp", self.next()))
            .json(&json!({}))
            .send()
            .await?;
        if r.status() != StatusCode::UNAUTHORIZED {
            bail!("unauthenticated /mcp answered {}", r.status());
        }
        let www = r
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let prm_url = www
            .split("resource_metadata=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .context("no resource_metadata in WWW-Authenticate")?
            .to_string();
        // 2. Protected Resource Metadata → the authorization server.
        let prm: Json = self
            .http
            .get(self.route(&prm_url, public))
            .send()
            .await?
            .json()
            .await?;
        if prm["resource"] != format!("{public}/mcp") {
            bail!("PRM resource is {}", prm["resource"]);
        }
        let as_url = prm["authorization_servers"][0]
            .as_str()
            .context("no authorization server")?
            .to_string();
        // 3. AS metadata.
        let meta: Json = self
            .http
            .get(self.route(
                &format!("{as_url}/.well-known/oauth-authorization-server"),
                public,
            ))
            .send()
            .await?
            .json()
            .await?;
        let s = |k: &str| {
            meta[k]
                .as_str()
                .map(str::to_string)
                .with_context(|| format!("AS metadata lacks {k}"))
        };
        let (authz, token_ep, reg_ep) = (
            s("authorization_endpoint")?,
            s("token_endpoint")?,
            s("registration_endpoint")?,
        );
        if meta["code_challenge_methods_supported"] != json!(["S256"]) {
            bail!("S256 not advertised");
        }
        // 4. Dynamic client registration.
        let r = self
            .http
            .post(self.route(&reg_ep, public))
            .json(&json!({"client_name": "Conformance Client", "redirect_uris": [REDIRECT]}))
            .send()
            .await?;
        if r.status() != StatusCode::CREATED {
            bail!("registration answered {}", r.status());
        }
        let reg: Json = r.json().await?;
        let client_id = reg["client_id"]
            .as_str()
            .context("no client_id")?
            .to_string();
        // 5. Authorize → the consent page with its cookie.
        let (verifier, challenge) = pkce();
        let mut u = url::Url::parse(&self.route(&authz, public))?;
        u.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", "client-state-1")
            .append_pair("resource", &format!("{public}/mcp"));
        let r = self.http.get(u).send().await?;
        if r.status() != StatusCode::OK {
            bail!(
                "authorize answered {} {}",
                r.status(),
                location(r.headers())
            );
        }
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .context("consent page set no cookie")?
            .to_string();
        let page = r.text().await?;
        let consent = consent_token(&page).context("no consent token in the page")?;
        // 6. Approve → the IdP's authorize endpoint.
        let r = self
            .http
            .post(format!("{}/authorize/consent", self.next()))
            .header("cookie", &cookie)
            .form(&[("consent", consent.as_str()), ("decision", "approve")])
            .send()
            .await?;
        if r.status() != StatusCode::SEE_OTHER {
            bail!("consent answered {}", r.status());
        }
        let to_idp = location(r.headers());
        if !to_idp.starts_with(&format!("{}/authorize?", idp.issuer)) {
            bail!("consent did not send the browser to the IdP: {to_idp}");
        }
        let q = query(&to_idp);
        if q.get("redirect_uri") != Some(&format!("{public}/auth/callback"))
            || q.get("client_id").map(String::as_str) != Some(IDP_CLIENT_ID)
            || q.get("code_challenge_method").map(String::as_str) != Some("S256")
        {
            bail!("bad upstream authorize request: {q:?}");
        }
        // 7. The user signs in at the IdP, which redirects to the callback.
        let idp_code = format!("idp-code-{}", pkce().0);
        let id_token = idp.id_token(sub, groups, &q["nonce"]);
        idp.expect_code(&idp_code, &q["code_challenge"], &id_token)
            .await;
        let mut cb = url::Url::parse(&format!("{}/auth/callback", self.next()))?;
        cb.query_pairs_mut()
            .append_pair("code", &idp_code)
            .append_pair("state", &q["state"]);
        let r = self.http.get(cb).send().await?;
        if r.status() != StatusCode::FOUND {
            bail!(
                "callback answered {}: {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
        }
        let back = location(r.headers());
        let bq = query(&back);
        if !back.starts_with(REDIRECT)
            || bq.get("state").map(String::as_str) != Some("client-state-1")
        {
            bail!("callback redirected to {back}");
        }
        if bq.get("iss") != Some(&public.to_string()) {
            bail!("callback did not name the issuer: {back}");
        }
        let code = bq.get("code").context("no code")?.clone();
        // 8. Code → tokens.
        let r = self
            .http
            .post(self.route(&token_ep, public))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("client_id", client_id.as_str()),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await?;
        if r.status() != StatusCode::OK {
            bail!(
                "token answered {}: {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
        }
        let t: Json = r.json().await?;
        Ok(Login {
            client_id,
            verifier,
            code,
            idp_code,
            id_token,
            access_token: t["access_token"]
                .as_str()
                .context("no access_token")?
                .to_string(),
            refresh_token: t["refresh_token"]
                .as_str()
                .context("no refresh_token")?
                .to_string(),
        })
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> Result<(StatusCode, Json)> {
        let r = self
            .http
            .post(format!("{}/token", self.next()))
            .form(form)
            .send()
            .await?;
        let status = r.status();
        Ok((status, r.json().await.unwrap_or(Json::Null)))
    }
}

/// The hidden `consent` field of the consent page.
pub fn consent_token(page: &str) -> Option<String> {
    let i = page.find("name=\"consent\" value=\"")? + "name=\"consent\" value=\"".len();
    Some(page[i..].split('"').next()?.to_string())
}

/// An MCP client on `url` presenting `token`.
pub async fn mcp_client(url: &str, token: &str) -> Result<RunningService<RoleClient, ()>> {
    let cfg = StreamableHttpClientTransportConfig::with_uri(url.to_string())
        .auth_header(token.to_string());
    let t = StreamableHttpClientTransport::from_config(cfg);
    ().serve(t)
        .await
        .context("MCP initialize with a bearer token")
}
