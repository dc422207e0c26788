//! Everything the HTTP security layer must refuse, with the status and
//! `WWW-Authenticate` header RFC 6750 / RFC 9728 ask for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use conformance::idp::{IDP_CLIENT_ID, MockIdp, keys, now, sign_with};
use conformance::oauth::{API_KEY, OAuthServer, REDIRECT, Walker, location, pkce, query};
use conformance::start_sim;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value as Json, json};

struct Env {
    sim: vcsim::Simulator,
    idp: MockIdp,
    srv: OAuthServer,
    w: Walker,
}

async fn env(extra: &[(&str, &str)]) -> Env {
    conformance::init_tls();
    let sim = start_sim().await.unwrap();
    let idp = MockIdp::start().await;
    let srv = OAuthServer::start(&sim, &idp, extra).await.unwrap();
    let w = Walker::new(vec![srv.addr.clone()]);
    Env { sim, idp, srv, w }
}

impl Env {
    async fn stop(self) {
        self.srv.stop().await;
        self.sim.shutdown().await;
    }
    fn resource(&self) -> String {
        format!("{}/mcp", self.srv.public)
    }
    /// POST /mcp (an initialize) with `auth` as the Authorization header.
    async fn mcp(&self, auth: Option<&str>) -> reqwest::Response {
        let mut r = self
            .w
            .http
            .post(format!("{}/mcp", self.srv.addr))
            .header("accept", "application/json, text/event-stream")
            .json(
                &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"}}}),
            );
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send().await.unwrap()
    }
    async fn bearer(&self, token: &str) -> reqwest::Response {
        self.mcp(Some(&format!("Bearer {token}"))).await
    }
    /// An IdP access token with `claims` merged over good defaults.
    fn idp_token(&self, over: Json) -> String {
        let t = now();
        let mut c = json!({"iss": self.idp.issuer, "aud": self.resource(), "sub": "alice",
            "groups": ["vsphere-readers"], "iat": t, "exp": t + 300});
        let Json::Object(over) = over else {
            panic!("token claims to merge must be a JSON object, got {over}");
        };
        for (k, v) in over {
            c[k] = v;
        }
        self.idp.sign(&c)
    }
}

fn www(r: &reqwest::Response) -> String {
    r.headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[track_caller]
fn invalid_token(r: &reqwest::Response, what: &str) {
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
    let h = www(r);
    assert!(
        h.starts_with("Bearer ")
            && h.contains("error=\"invalid_token\"")
            && h.contains("resource_metadata=\""),
        "{what}: {h}"
    );
}

#[tokio::test]
async fn bearer_tokens_are_checked_at_the_mcp_endpoint() {
    let e = env(&[
        ("MCP_API_KEY", API_KEY),
        ("MCP_ALLOWED_HOSTS", "mcp.example.com"),
    ])
    .await;
    // No token: 401 with where to look, and no error code (RFC 6750 §3.1).
    let r = e.mcp(None).await;
    assert_eq!(r.status(), 401);
    let h = www(&r);
    assert_eq!(
        h,
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            e.srv.public
        )
    );
    // Both PRM paths answer and name the proxy as authorization server.
    for p in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let prm: Json =
            e.w.http
                .get(format!("{}{p}", e.srv.addr))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        assert_eq!(prm["resource"], e.resource());
        assert_eq!(prm["authorization_servers"], json!([e.srv.public]));
    }
    // A good IdP access token for this resource, and the API key, pass.
    assert_eq!(e.bearer(&e.idp_token(json!({}))).await.status(), 200);
    assert_eq!(e.bearer(API_KEY).await.status(), 200);
    // Not a bearer scheme: treated as no token.
    let r = e.mcp(Some("Basic dXNlcjpwYXNz")).await;
    assert_eq!(r.status(), 401);
    assert!(!www(&r).contains("error="));

    invalid_token(&e.bearer("garbage").await, "garbage");
    invalid_token(
        &e.bearer("not-the-api-key-but-long-enough").await,
        "wrong API key",
    );
    // Tampered signature.
    let good = e.idp_token(json!({}));
    let (body, sig) = good.rsplit_once('.').unwrap();
    let mut sig = B64.decode(sig).unwrap();
    sig[10] ^= 1;
    invalid_token(
        &e.bearer(&format!("{body}.{}", B64.encode(sig))).await,
        "tampered signature",
    );
    // Tampered claims (groups raised) with the original signature.
    let parts: Vec<&str> = good.split('.').collect();
    let mut claims: Json = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    claims["groups"] = json!(["vsphere-super-admins"]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(claims.to_string()),
        parts[2]
    );
    invalid_token(&e.bearer(&forged).await, "tampered claims");
    // alg: none.
    let none = format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        B64.encode(claims.to_string())
    );
    invalid_token(&e.bearer(&none).await, "alg none");
    // HS256 "signed" with the IdP's public key (RS/HS confusion).
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(keys().0.kid.clone());
    let t = now();
    let c = json!({"iss": e.idp.issuer, "aud": e.resource(), "sub": "mallory", "groups": ["vsphere-super-admins"], "iat": t, "exp": t + 300});
    let confused = jsonwebtoken::encode(
        &h,
        &c,
        &EncodingKey::from_secret(keys().0.public_pem.as_bytes()),
    )
    .unwrap();
    invalid_token(&e.bearer(&confused).await, "HS256 with the public key");
    // The same, claiming to be one of the proxy's own tokens.
    let mut c2 = c.clone();
    c2["iss"] = json!(e.srv.public);
    let mut h2 = Header::new(Algorithm::HS256);
    h2.typ = Some("at+jwt".into());
    let forged_own =
        jsonwebtoken::encode(&h2, &c2, &EncodingKey::from_secret(b"guessed-key")).unwrap();
    invalid_token(
        &e.bearer(&forged_own).await,
        "own-issuer token with a guessed key",
    );
    // Time, issuer, audience, key.
    invalid_token(
        &e.bearer(&e.idp_token(json!({"exp": now() - 600, "iat": now() - 900})))
            .await,
        "expired",
    );
    invalid_token(
        &e.bearer(&e.idp_token(json!({"nbf": now() + 600}))).await,
        "not yet valid",
    );
    invalid_token(
        &e.bearer(&e.idp_token(json!({"iss": "https://evil.example"})))
            .await,
        "wrong issuer",
    );
    invalid_token(
        &e.bearer(&e.idp_token(json!({"aud": "https://other.example/mcp"})))
            .await,
        "wrong audience",
    );
    invalid_token(
        &e.bearer(&e.idp_token(json!({"aud": IDP_CLIENT_ID}))).await,
        "audience = the proxy's client",
    );
    let t = now();
    let rogue = sign_with(
        &keys().1,
        &json!({"iss": e.idp.issuer, "aud": e.resource(), "sub": "x", "iat": t, "exp": t + 300}),
    );
    invalid_token(&e.bearer(&rogue).await, "unknown kid");
    // An ID token, even one whose audience is this server.
    invalid_token(
        &e.bearer(&e.idp.id_token("alice", &["vsphere-readers"], "n0nce"))
            .await,
        "ID token",
    );
    invalid_token(
        &e.bearer(&e.idp_token(json!({"nonce": "n0nce"}))).await,
        "ID token with our audience",
    );
    // DNS rebinding: a foreign Host is refused on every route; MCP_ALLOWED_HOSTS adds names.
    for p in ["/mcp", "/token", "/.well-known/oauth-protected-resource"] {
        let r =
            e.w.http
                .post(format!("{}{p}", e.srv.addr))
                .header("host", "evil.example")
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), 403, "{p}");
    }
    let r =
        e.w.http
            .post(format!("{}/mcp", e.srv.addr))
            .header("host", "mcp.example.com")
            .header("authorization", format!("Bearer {API_KEY}"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
    assert_ne!(r.status(), 403, "MCP_ALLOWED_HOSTS names mcp.example.com");
    let r = e.mcp(Some(&format!("Bearer {API_KEY}"))).await;
    assert_eq!(r.status(), 200);
    let r =
        e.w.http
            .post(format!("{}/mcp", e.srv.addr))
            .header("origin", "https://evil.example")
            .header("authorization", format!("Bearer {API_KEY}"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 403, "foreign Origin");
    // A token in the query string is refused outright.
    let r =
        e.w.http
            .post(format!(
                "{}/mcp?access_token={}",
                e.srv.addr,
                e.idp_token(json!({}))
            ))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 400);
    assert!(www(&r).contains("error=\"invalid_request\""), "{}", www(&r));
    e.stop().await;
}

#[tokio::test]
async fn required_groups_refuse_outsiders_at_sign_in_and_at_the_endpoint() {
    let e = env(&[("OAUTH_REQUIRED_GROUPS", "vsphere-admins")]).await;
    let r = e
        .bearer(&e.idp_token(json!({"groups": ["vsphere-readers"]})))
        .await;
    assert_eq!(r.status(), 403);
    assert!(
        www(&r).contains("error=\"insufficient_scope\""),
        "{}",
        www(&r)
    );
    assert_eq!(
        e.bearer(&e.idp_token(json!({"groups": ["vsphere-admins"]})))
            .await
            .status(),
        200
    );
    let err =
        e.w.login(&e.idp, &e.srv.public, "outsider", &["other"])
            .await
            .unwrap_err();
    assert!(format!("{err:#}").contains("403"), "{err:#}");
    assert!(format!("{err:#}").contains("not a member"), "{err:#}");
    e.w.login(&e.idp, &e.srv.public, "insider", &["vsphere-admins"])
        .await
        .unwrap();
    e.stop().await;
}

#[tokio::test]
async fn redirect_uri_tricks_are_refused() {
    let e = env(&[]).await;
    for bad in [
        "http://localhost:1@evil.example/cb",
        "http://evil.example/cb",
        "http://localhost.evil.example/cb",
        "http://127.0.0.1.evil.example/cb",
        "https://app.example.com/cb#frag",
        "https://user@app.example.com/cb",
        "javascript:alert(1)",
        "/relative/cb",
    ] {
        let r = e.w.register(&[bad]).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let j: Json = r.json().await.unwrap();
        assert_eq!(j["error"], "invalid_redirect_uri", "{bad}");
    }
    let r =
        e.w.register(&["http://localhost:3000/cb", "https://app.example.com/cb"])
            .await
            .unwrap();
    assert_eq!(r.status(), 201);
    let cid = r.json::<Json>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, challenge) = pkce();
    let authorize = |redirect: &str| {
        let mut u = url::Url::parse(&format!("{}/authorize", e.srv.addr)).unwrap();
        u.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &cid)
            .append_pair("redirect_uri", redirect)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        e.w.http.get(u).send()
    };
    for bad in [
        "http://localhost:1@evil.example/cb",
        "http://localhost.evil.example/cb",
        "http://127.0.0.1:3000/cb",
        "http://localhost:3000/cb/../../evil",
        "http://localhost:3000/cbx",
        "https://app.example.com.evil.example/cb",
        "https://app.example.com:444/cb",
        "https://app.example.com/cb?next=evil",
        "https://evil.example/cb",
    ] {
        let r = authorize(bad).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert!(
            r.headers().get("location").is_none(),
            "{bad}: an unregistered URI must never be redirected to"
        );
    }
    // Loopback may change port; the https one must match exactly.
    assert_eq!(
        authorize("http://localhost:51234/cb")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        authorize("https://app.example.com/cb")
            .await
            .unwrap()
            .status(),
        200
    );
    // An unknown client id is a page, not a redirect.
    let r =
        e.w.http
            .get(format!(
                "{}/authorize?client_id=forged&redirect_uri=https://evil.example/",
                e.srv.addr
            ))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    e.stop().await;
}

#[tokio::test]
async fn pkce_codes_refresh_tokens_and_consent_are_enforced() {
    let e = env(&[]).await;
    let r = e.w.register(&[REDIRECT]).await.unwrap();
    let cid = r.json::<Json>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    // PKCE missing or not S256: back to the client with invalid_request.
    let (_, challenge) = pkce();
    for (ch, method) in [
        (None, None),
        (Some(challenge.as_str()), Some("plain")),
        (Some(challenge.as_str()), None),
    ] {
        let mut u = url::Url::parse(&format!("{}/authorize", e.srv.addr)).unwrap();
        u.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &cid)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("state", "s1");
        if let Some(c) = ch {
            u.query_pairs_mut().append_pair("code_challenge", c);
        }
        if let Some(m) = method {
            u.query_pairs_mut().append_pair("code_challenge_method", m);
        }
        let r = e.w.http.get(u).send().await.unwrap();
        assert_eq!(r.status(), 302);
        let q = query(&location(r.headers()));
        assert_eq!(
            q.get("error").map(String::as_str),
            Some("invalid_request"),
            "{ch:?} {method:?}"
        );
        assert_eq!(q.get("state").map(String::as_str), Some("s1"));
    }
    // A wrong resource is invalid_target.
    let mut u = url::Url::parse(&format!("{}/authorize", e.srv.addr)).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &cid)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", "https://other.example/mcp");
    let r = e.w.http.get(u.clone()).send().await.unwrap();
    assert_eq!(
        query(&location(r.headers()))
            .get("error")
            .map(String::as_str),
        Some("invalid_target")
    );
    // Consent: posting the form without its browser cookie is refused; deny → access_denied.
    let good = u
        .as_str()
        .replace("&resource=https%3A%2F%2Fother.example%2Fmcp", "");
    let r = e.w.http.get(&good).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let token = conformance::oauth::consent_token(&r.text().await.unwrap()).unwrap();
    let post = |cookie: Option<&str>, decision: &str| {
        let mut b =
            e.w.http
                .post(format!("{}/authorize/consent", e.srv.addr))
                .form(&[("consent", token.as_str()), ("decision", decision)]);
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        b.send()
    };
    assert_eq!(post(None, "approve").await.unwrap().status(), 403);
    assert_eq!(
        post(Some("mcvsphere_consent=someone-elses"), "approve")
            .await
            .unwrap()
            .status(),
        403
    );
    let r = post(Some(&cookie), "deny").await.unwrap();
    assert_eq!(r.status(), 303);
    let back = location(r.headers());
    assert!(back.starts_with(REDIRECT));
    assert_eq!(
        query(&back).get("error").map(String::as_str),
        Some("access_denied")
    );

    // Codes: PKCE missing or wrong, then right once, then reused.
    let login =
        e.w.login(&e.idp, &e.srv.public, "bob", &["vsphere-readers"])
            .await
            .unwrap();
    let w = &e.w;
    let redeem = |code: String, verifier: Option<String>| {
        let cid = login.client_id.clone();
        async move {
            let mut f = vec![
                ("grant_type", "authorization_code".to_string()),
                ("code", code),
                ("redirect_uri", REDIRECT.to_string()),
                ("client_id", cid),
            ];
            if let Some(v) = verifier {
                f.push(("code_verifier", v));
            }
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            w.token(&f).await.unwrap()
        }
    };
    let (s, j) = redeem(login.code.clone(), Some(login.verifier.clone())).await;
    assert_eq!(
        (s.as_u16(), j["error"].as_str()),
        (400, Some("invalid_grant")),
        "code reused: {j}"
    );
    let fresh =
        e.w.login(&e.idp, &e.srv.public, "bob", &["vsphere-readers"])
            .await
            .unwrap();
    let (s, j) = redeem(fresh.code.clone(), None).await;
    assert_eq!(s, 400, "{j}");
    // (`login` redeemed its code already; a fresh sign-in gives one more to try.)
    let third = walker_code(&e).await;
    let (s, j) =
        e.w.token(&[
            ("grant_type", "authorization_code"),
            ("code", &third.1),
            ("redirect_uri", REDIRECT),
            ("client_id", &third.0),
            ("code_verifier", &pkce().0),
        ])
        .await
        .unwrap();
    assert_eq!(
        (s.as_u16(), j["error"].as_str()),
        (400, Some("invalid_grant")),
        "wrong verifier: {j}"
    );
    let (s, _) =
        e.w.token(&[
            ("grant_type", "authorization_code"),
            ("code", &third.1),
            ("redirect_uri", REDIRECT),
            ("client_id", &third.0),
            ("code_verifier", &third.2),
        ])
        .await
        .unwrap();
    assert_eq!(s, 200, "the right verifier still works after a wrong one");
    // Refresh: rotated; the old one is refused and revokes the family.
    let rt = |t: &str| {
        let (t, cid) = (t.to_string(), login.client_id.clone());
        async move {
            w.token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &t),
                ("client_id", &cid),
            ])
            .await
            .unwrap()
        }
    };
    let (s, j) = rt(&login.refresh_token).await;
    assert_eq!(s, 200, "{j}");
    let next = j["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(next, login.refresh_token);
    let (s, j) = rt(&login.refresh_token).await;
    assert_eq!(
        (s.as_u16(), j["error"].as_str()),
        (400, Some("invalid_grant")),
        "refresh reused: {j}"
    );
    let (s, _) = rt(&next).await;
    assert_eq!(s, 400, "after reuse the whole sign-in is revoked");
    // Another client cannot use this client's refresh token; unknown grants are named.
    let (s, j) =
        e.w.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &fresh.refresh_token),
            ("client_id", &login.client_id),
        ])
        .await
        .unwrap();
    assert_eq!(
        (s.as_u16(), j["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (s, j) =
        e.w.token(&[("grant_type", "password"), ("client_id", &login.client_id)])
            .await
            .unwrap();
    assert_eq!(
        (s.as_u16(), j["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (s, j) =
        e.w.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "forged"),
        ])
        .await
        .unwrap();
    assert_eq!(
        (s.as_u16(), j["error"].as_str()),
        (401, Some("invalid_client"))
    );
    e.stop().await;
}

/// A sign-in taken up to the IdP: (client id, verifier, the upstream authorize query).
async fn to_idp(e: &Env) -> (String, String, std::collections::HashMap<String, String>) {
    let r = e.w.register(&[REDIRECT]).await.unwrap();
    let cid = r.json::<Json>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (verifier, challenge) = pkce();
    let mut u = url::Url::parse(&format!("{}/authorize", e.srv.addr)).unwrap();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &cid)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "st");
    let r = e.w.http.get(u).send().await.unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = conformance::oauth::consent_token(&r.text().await.unwrap()).unwrap();
    let r =
        e.w.http
            .post(format!("{}/authorize/consent", e.srv.addr))
            .header("cookie", cookie)
            .form(&[("consent", token.as_str()), ("decision", "approve")])
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 303);
    (cid, verifier, query(&location(r.headers())))
}

async fn callback(e: &Env, params: &[(&str, &str)]) -> reqwest::Response {
    let mut u = url::Url::parse(&format!("{}/auth/callback", e.srv.addr)).unwrap();
    for (k, v) in params {
        u.query_pairs_mut().append_pair(k, v);
    }
    e.w.http.get(u).send().await.unwrap()
}

/// A sign-in stopped just before the token request: (client id, code, verifier).
async fn walker_code(e: &Env) -> (String, String, String) {
    let (cid, verifier, q) = to_idp(e).await;
    let idp_code = format!("idp-{}", pkce().0);
    e.idp
        .expect_code(
            &idp_code,
            &q["code_challenge"],
            &e.idp.id_token("carol", &["vsphere-readers"], &q["nonce"]),
        )
        .await;
    let r = callback(e, &[("code", &idp_code), ("state", &q["state"])]).await;
    assert_eq!(r.status(), 302);
    let code = query(&location(r.headers()))["code"].clone();
    (cid, code, verifier)
}

#[tokio::test]
async fn callback_refuses_forged_state_idp_errors_and_bad_id_tokens() {
    let e = env(&[]).await;
    // A state this server did not seal: a page, no redirect.
    let r = callback(&e, &[("code", "x"), ("state", "forged")]).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    // The IdP says the user refused: back to the client with access_denied.
    let (_, _, q) = to_idp(&e).await;
    let r = callback(&e, &[("error", "access_denied"), ("state", &q["state"])]).await;
    assert_eq!(r.status(), 302);
    let back = query(&location(r.headers()));
    assert_eq!(
        (back["error"].as_str(), back["state"].as_str()),
        ("access_denied", "st")
    );
    // The IdP refuses the code (nothing mounted for it): a clear error page.
    let r = callback(&e, &[("code", "unknown-code"), ("state", &q["state"])]).await;
    assert_eq!(r.status(), 502);
    // An ID token with the wrong nonce, or signed by a stranger, is refused.
    let (_, _, q) = to_idp(&e).await;
    e.idp
        .expect_code(
            "c-nonce",
            &q["code_challenge"],
            &e.idp
                .id_token("eve", &["vsphere-super-admins"], "other-nonce"),
        )
        .await;
    assert_eq!(
        callback(&e, &[("code", "c-nonce"), ("state", &q["state"])])
            .await
            .status(),
        502
    );
    let t = now();
    let rogue = sign_with(
        &keys().1,
        &json!({"iss": e.idp.issuer, "aud": IDP_CLIENT_ID, "sub": "eve", "nonce": q["nonce"], "iat": t, "exp": t + 300}),
    );
    e.idp
        .expect_code("c-rogue", &q["code_challenge"], &rogue)
        .await;
    assert_eq!(
        callback(&e, &[("code", "c-rogue"), ("state", &q["state"])])
            .await
            .status(),
        502
    );
    e.stop().await;
}

#[tokio::test]
async fn resource_server_mode_accepts_only_the_idps_tokens_and_names_the_idp() {
    conformance::init_tls();
    let sim = start_sim().await.unwrap();
    let idp = MockIdp::start().await;
    let srv = OAuthServer::start(
        &sim,
        &idp,
        &[
            ("OAUTH_MODE", "resource_server"),
            ("OAUTH_CLIENT_ID", ""),
            ("OAUTH_CLIENT_SECRET", ""),
        ],
    )
    .await
    .unwrap();
    let w = Walker::new(vec![srv.addr.clone()]);
    let prm: Json = w
        .http
        .get(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            srv.addr
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(prm["authorization_servers"], json!([idp.issuer]));
    for p in ["/register", "/token"] {
        assert_eq!(
            w.http
                .post(format!("{}{p}", srv.addr))
                .send()
                .await
                .unwrap()
                .status(),
            404,
            "{p}"
        );
    }
    let token = idp.access_token("dave", &["vsphere-readers"], &format!("{}/mcp", srv.public));
    let client = conformance::oauth::mcp_client(&format!("{}/mcp", srv.addr), &token)
        .await
        .unwrap();
    assert!(!client.list_all_tools().await.unwrap().is_empty());
    let _ = client.cancel().await;
    srv.stop().await;
    sim.shutdown().await;
}
