//! What `Config::resolve` refuses or accepts for serving over HTTP.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use super::*;

fn cfg(vars: &[(&str, &str)]) -> Config {
    let m: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::resolve(&Sources::default().with_env(|k| m.get(k).cloned())).unwrap()
}

const FULL: &[(&str, &str)] = &[
    ("OAUTH_ENABLED", "true"),
    ("OAUTH_ISSUER_URL", "https://idp.example.com/realms/x"),
    ("OAUTH_CLIENT_ID", "id"),
    ("OAUTH_CLIENT_SECRET", "secret"),
    ("OAUTH_BASE_URL", "https://mcp.example.com"),
];

#[test]
fn oauth_settings_are_checked_and_named() {
    assert!(cfg(FULL).check_serve().is_ok());
    for (drop, name) in [
        (1, "OAUTH_ISSUER_URL"),
        (2, "OAUTH_CLIENT_ID"),
        (3, "OAUTH_CLIENT_SECRET"),
        (4, "OAUTH_BASE_URL"),
    ] {
        let v: Vec<(&str, &str)> = FULL
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, p)| *p)
            .collect();
        let e = cfg(&v).check_serve().unwrap_err().0;
        assert!(e.contains(name), "{e}");
    }
    let mut v = FULL.to_vec();
    v.push(("OAUTH_BASE_URL", "http://mcp.example.com"));
    assert!(
        cfg(&v[..4].iter().chain(&v[5..]).copied().collect::<Vec<_>>())
            .check_serve()
            .unwrap_err()
            .0
            .contains("https")
    );
    let loopback = [FULL, &[("OAUTH_BASE_URL", "http://127.0.0.1:8080")]].concat();
    let loopback: Vec<_> = loopback
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 4)
        .map(|(_, p)| *p)
        .collect();
    assert!(cfg(&loopback).check_serve().is_ok());
    // Resource-server mode needs no client at the IdP.
    let rs = [
        ("OAUTH_ENABLED", "true"),
        ("OAUTH_MODE", "resource_server"),
        ("OAUTH_ISSUER_URL", "https://idp.example.com"),
        ("OAUTH_BASE_URL", "https://mcp.example.com"),
    ];
    assert!(cfg(&rs).check_serve().is_ok());
    assert!(
        Config::resolve(
            &Sources::default().with_env(|k| (k == "OAUTH_MODE").then(|| "magic".to_string()))
        )
        .is_err()
    );
}

#[test]
fn open_http_on_a_network_address_needs_an_explicit_yes() {
    let open = [("MCP_TRANSPORT", "http"), ("MCP_HOST", "0.0.0.0")];
    let e = cfg(&open).check_serve().unwrap_err().0;
    assert!(e.contains("MCP_ALLOW_UNAUTHENTICATED"), "{e}");
    assert!(
        cfg(&[open[0], open[1], ("MCP_ALLOW_UNAUTHENTICATED", "true")])
            .check_serve()
            .is_ok()
    );
    assert!(
        cfg(&[open[0], open[1], ("MCP_API_KEY", "0123456789abcdef0123")])
            .check_serve()
            .is_ok()
    );
    assert!(
        cfg(&[open[0], ("MCP_HOST", "127.0.0.1")])
            .check_serve()
            .is_ok()
    );
    assert!(cfg(&[open[0], ("MCP_HOST", "::1")]).check_serve().is_ok());
}
