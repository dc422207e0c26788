//! The OAuth flow end to end: the real binary as OIDC proxy in front of a
//! mock IdP; a by-hand browser walk per contract group, then an MCP session
//! with the issued token; two replicas sharing a key serving one flow; and
//! no secret in any output.

use std::collections::{BTreeMap, BTreeSet};

use conformance::idp::{IDP_CLIENT_SECRET, MockIdp};
use conformance::oauth::{API_KEY, OAuthServer, REDIRECT, SIGNING_KEY, Walker, mcp_client};
use conformance::{SIM_PASSWORD, free_port, server_binary, start_sim};
use serde_json::Value as Json;

pub(crate) const GROUPS: [&str; 5] = [
    "vsphere-readers",
    "vsphere-operators",
    "vsphere-admins",
    "vsphere-host-admins",
    "vsphere-super-admins",
];

/// Group → the tools it must see: the contract's permission levels for the
/// group, applied to the tools this server registers.
fn expected_tools() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(conformance::contract::contract_path()).unwrap();
    let spec: Json = serde_json::from_str(&text).unwrap();
    let out = std::process::Command::new(server_binary().unwrap())
        .args(["tools", "--format", "json"])
        .output()
        .unwrap();
    let registered: Vec<Json> = serde_json::from_slice(&out.stdout).unwrap();
    let registered: BTreeSet<String> = registered
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    let mut m = BTreeMap::new();
    for g in GROUPS {
        let levels: Vec<&str> = spec["groups"][g]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l.as_str())
            .collect();
        let tools = spec["tools"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| levels.contains(&t["permission"].as_str().unwrap_or("")))
            .filter_map(|t| t["name"].as_str().map(str::to_string))
            .filter(|n| registered.contains(n))
            .collect();
        m.insert(g.to_string(), tools);
    }
    m
}

async fn listed(url: &str, token: &str) -> BTreeSet<String> {
    let client = mcp_client(url, token).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let _ = client.cancel().await;
    tools.into_iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test]
async fn every_group_signs_in_through_the_proxy_and_sees_exactly_its_tools() {
    conformance::init_tls();
    let sim = start_sim().await.unwrap();
    let idp = MockIdp::start().await;
    let srv = OAuthServer::start(&sim, &idp, &[]).await.unwrap();
    let expected = expected_tools();
    let walker = Walker::new(vec![srv.addr.clone()]);
    for g in GROUPS {
        let login = walker
            .login(&idp, &srv.public, &format!("user-{g}"), &[g])
            .await
            .unwrap_or_else(|e| panic!("{g}: {e:#}"));
        let got = listed(&format!("{}/mcp", srv.addr), &login.access_token).await;
        assert_eq!(&got, &expected[g], "tools listed to {g}");
    }
    // Groups nest, and readers do not see what operators see.
    for w in GROUPS.windows(2) {
        assert!(expected[w[0]].is_subset(&expected[w[1]]));
    }
    assert!(!expected["vsphere-readers"].is_empty());
    assert_ne!(expected["vsphere-readers"], expected["vsphere-operators"]);
    srv.stop().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn two_replicas_sharing_a_key_serve_one_flow_alternately() {
    conformance::init_tls();
    let sim = start_sim().await.unwrap();
    let idp = MockIdp::start().await;
    // Both claim the same public URL (the load balancer's); each hop of the
    // walk goes to the other process.
    let (pa, pb) = (free_port().unwrap(), free_port().unwrap());
    let public = format!("http://127.0.0.1:{pa}");
    let a = OAuthServer::start_at(&sim, &idp, pa, &public, &[])
        .await
        .unwrap();
    let b = OAuthServer::start_at(&sim, &idp, pb, &public, &[])
        .await
        .unwrap();
    let walker = Walker::new(vec![a.addr.clone(), b.addr.clone()]);
    let login = walker
        .login(&idp, &public, "replica-user", &["vsphere-operators"])
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    // The token works on both; a refresh on one is honoured by the other.
    let expected = expected_tools();
    assert_eq!(
        listed(&format!("{}/mcp", a.addr), &login.access_token).await,
        expected["vsphere-operators"]
    );
    assert_eq!(
        listed(&format!("{}/mcp", b.addr), &login.access_token).await,
        expected["vsphere-operators"]
    );
    let (status, t) = walker
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &login.refresh_token),
            ("client_id", &login.client_id),
        ])
        .await
        .unwrap();
    assert_eq!(status, 200, "{t}");
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(
        listed(&format!("{}/mcp", a.addr), access).await,
        expected["vsphere-operators"]
    );
    // A replica with another key recognises nothing of it.
    let pc = free_port().unwrap();
    let c = OAuthServer::start_at(
        &sim,
        &idp,
        pc,
        &public,
        &[(
            "OAUTH_SIGNING_KEY",
            "a-different-signing-key-0123456789abcdef",
        )],
    )
    .await
    .unwrap();
    let r = walker
        .http
        .post(format!("{}/mcp", c.addr))
        .bearer_auth(access)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    for s in [a, b, c] {
        s.stop().await;
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn no_secret_appears_in_any_log_line_or_audit_record() {
    conformance::init_tls();
    let sim = start_sim().await.unwrap();
    let idp = MockIdp::start().await;
    let srv = OAuthServer::start(
        &sim,
        &idp,
        &[
            ("MCP_API_KEY", API_KEY),
            ("OAUTH_REQUIRED_GROUPS", "vsphere-admins,vsphere-readers"),
        ],
    )
    .await
    .unwrap();
    let walker = Walker::new(vec![srv.addr.clone()]);
    let login = walker
        .login(&idp, &srv.public, "auditor", &["vsphere-admins"])
        .await
        .unwrap();
    // A tool call, a refresh, a reused code, a refused token and the API key: all leave records.
    let client = mcp_client(&format!("{}/mcp", srv.addr), &login.access_token)
        .await
        .unwrap();
    client.list_all_tools().await.unwrap();
    let _ = client
        .call_tool(rmcp::model::CallToolRequestParams::new(
            "list_vms".to_string(),
        ))
        .await
        .unwrap();
    let _ = client.cancel().await;
    let (_, t) = walker
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &login.refresh_token),
            ("client_id", &login.client_id),
        ])
        .await
        .unwrap();
    let (status, _) = walker
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &login.code),
            ("redirect_uri", REDIRECT),
            ("client_id", &login.client_id),
            ("code_verifier", &login.verifier),
        ])
        .await
        .unwrap();
    assert_eq!(status, 400);
    let r = walker
        .http
        .post(format!("{}/mcp", srv.addr))
        .bearer_auth(&login.id_token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    listed(&format!("{}/mcp", srv.addr), API_KEY).await;
    let out = srv.output();
    assert!(out.contains("\"auth\""), "auth events were audited:\n{out}");
    let secrets = [
        ("client secret", IDP_CLIENT_SECRET.to_string()),
        ("signing key", SIGNING_KEY.to_string()),
        ("API key", API_KEY.to_string()),
        ("vCenter password", SIM_PASSWORD.to_string()),
        ("access token", login.access_token.clone()),
        (
            "refreshed access token",
            t["access_token"].as_str().unwrap_or("").to_string(),
        ),
        ("refresh token", login.refresh_token.clone()),
        (
            "new refresh token",
            t["refresh_token"].as_str().unwrap_or("").to_string(),
        ),
        ("authorization code", login.code.clone()),
        ("IdP code", login.idp_code.clone()),
        ("ID token", login.id_token.clone()),
        ("PKCE verifier", login.verifier.clone()),
        ("client id", login.client_id.clone()),
    ];
    for (what, s) in secrets {
        assert!(s.len() > 8, "{what} is empty");
        // Any 24-character piece would do for a leak; the whole value or its signature part.
        let probe = s.rsplit('.').next().unwrap_or(&s);
        assert!(
            !out.contains(&s) && !out.contains(probe),
            "{what} leaked into the output:\n{out}"
        );
    }
    srv.stop().await;
    sim.shutdown().await;
}
