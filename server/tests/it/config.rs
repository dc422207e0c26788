//! Settings: defaults, the file < env < flag precedence, VCENTER_HOST forms,
//! and messages that name the bad setting.

use std::collections::BTreeMap;

use clap::Parser;
use mcvsphere::cli::Cli;
use mcvsphere::config::{Config, SETTINGS, Sources, Transport, parse_yaml};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn env(pairs: &[(&str, &str)]) -> Sources {
    let m: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Sources::default().with_env(move |k| m.get(k).cloned())
}

fn resolve_err(src: &Sources) -> String {
    match Config::resolve(src) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e.0,
    }
}

#[test]
fn defaults_match_the_python_original() {
    let c = Config::resolve(&Sources::default()).unwrap();
    assert_eq!(c.transport, Transport::Stdio);
    assert_eq!(c.mcp_host, "127.0.0.1");
    assert_eq!(c.mcp_port, 8080);
    assert_eq!(c.log_level, "info");
    assert_eq!(c.network, "VM Network");
    assert!(!c.vcenter_insecure);
    assert!(!c.oauth.enabled);
    assert!(c.vcenter_url.is_none());
}

#[test]
fn missing_vcenter_settings_are_named() {
    let c = Config::resolve(&Sources::default()).unwrap();
    let e = c.vcenter().unwrap_err().0;
    assert!(
        e.contains("VCENTER_HOST is not set") && e.contains("--simulator"),
        "{e}"
    );
    let c = Config::resolve(&env(&[("VCENTER_HOST", "vc")])).unwrap();
    assert!(
        c.vcenter()
            .unwrap_err()
            .0
            .contains("VCENTER_USER is not set")
    );
    let c = Config::resolve(&env(&[("VCENTER_HOST", "vc"), ("VCENTER_USER", "u")])).unwrap();
    assert!(
        c.vcenter()
            .unwrap_err()
            .0
            .contains("VCENTER_PASSWORD is not set")
    );
    let c = Config::resolve(&env(&[
        ("VCENTER_HOST", "vc"),
        ("VCENTER_USER", "u"),
        ("VCENTER_PASSWORD", "p"),
    ]))
    .unwrap();
    let v = c.vcenter().unwrap();
    assert_eq!(v.url.as_str(), "https://vc/sdk");
    assert_eq!(v.password.expose(), "p");
}

#[test]
fn vcenter_host_accepts_host_host_port_and_urls() {
    let url = |v: &str| {
        Config::resolve(&env(&[("VCENTER_HOST", v)]))
            .unwrap()
            .vcenter_url
            .unwrap()
            .to_string()
    };
    assert_eq!(url("vc.example.com"), "https://vc.example.com/sdk");
    assert_eq!(
        url("vc.example.com:8443"),
        "https://vc.example.com:8443/sdk"
    );
    assert_eq!(url("10.0.0.5"), "https://10.0.0.5/sdk");
    assert_eq!(url("[::1]:8989"), "https://[::1]:8989/sdk");
    assert_eq!(url("https://vc.example.com"), "https://vc.example.com/sdk");
    assert_eq!(url("https://vc.example.com/"), "https://vc.example.com/sdk");
    assert_eq!(
        url("http://127.0.0.1:40000/sdk"),
        "http://127.0.0.1:40000/sdk"
    );
}

#[test]
fn bad_vcenter_hosts_are_refused_by_name() {
    for bad in ["ftp://vc", "vc/with/path", "http://", "two words"] {
        let e = resolve_err(&env(&[("VCENTER_HOST", bad)]));
        assert!(e.contains("VCENTER_HOST"), "{bad}: {e}");
    }
    let e = resolve_err(&env(&[("VCENTER_HOST", "https://admin:hunter2@vc")]));
    assert!(
        e.contains("VCENTER_HOST") && e.contains("credentials"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn bad_values_name_their_variable() {
    let e = resolve_err(&env(&[("MCP_PORT", "eighty")]));
    assert!(e.contains("MCP_PORT") && e.contains("eighty"), "{e}");
    let e = resolve_err(&env(&[("MCP_PORT", "70000")]));
    assert!(e.contains("MCP_PORT"), "{e}");
    let e = resolve_err(&env(&[("VCENTER_INSECURE", "maybe")]));
    assert!(e.contains("VCENTER_INSECURE"), "{e}");
    let e = resolve_err(&env(&[("LOG_LEVEL", "loud")]));
    assert!(e.contains("LOG_LEVEL"), "{e}");
    let e = resolve_err(&env(&[("MCP_TRANSPORT", "carrier-pigeon")]));
    assert!(
        e.contains("MCP_TRANSPORT") && e.contains("streamable-http"),
        "{e}"
    );
}

#[test]
fn sse_transport_is_a_clear_refusal() {
    let e = resolve_err(&env(&[("MCP_TRANSPORT", "sse")]));
    assert!(
        e.contains("SSE") && e.contains("not supported") && e.contains("streamable-http"),
        "{e}"
    );
}

#[test]
fn transport_names_and_log_levels() {
    for (v, t) in [
        ("stdio", Transport::Stdio),
        ("streamable-http", Transport::StreamableHttp),
        ("http", Transport::StreamableHttp),
        ("HTTP", Transport::StreamableHttp),
    ] {
        assert_eq!(
            Config::resolve(&env(&[("MCP_TRANSPORT", v)]))
                .unwrap()
                .transport,
            t,
            "{v}"
        );
    }
    for (v, l) in [
        ("DEBUG", "debug"),
        ("WARNING", "warn"),
        ("CRITICAL", "error"),
        ("info", "info"),
    ] {
        assert_eq!(
            Config::resolve(&env(&[("LOG_LEVEL", v)]))
                .unwrap()
                .log_level,
            l,
            "{v}"
        );
    }
}

#[test]
fn precedence_is_file_then_env_then_flag() {
    let mut src = env(&[("MCP_PORT", "9000"), ("VCENTER_USER", "env-user")]);
    src.file = map(&[
        ("mcp_port", "7000"),
        ("vcenter_user", "file-user"),
        ("vcenter_datastore", "file-ds"),
    ]);
    let c = Config::resolve(&src).unwrap();
    assert_eq!(c.mcp_port, 9000, "env beats file");
    assert_eq!(c.vcenter_user.as_deref(), Some("env-user"));
    assert_eq!(
        c.datastore.as_deref(),
        Some("file-ds"),
        "file fills what env lacks"
    );
    src.cli = map(&[("mcp_port", "9100")]);
    assert_eq!(
        Config::resolve(&src).unwrap().mcp_port,
        9100,
        "flag beats env"
    );
}

#[test]
fn cli_flags_become_the_top_layer() {
    let cli = Cli::try_parse_from([
        "mcvsphere",
        "--transport",
        "http",
        "--port",
        "9999",
        "--host",
        "0.0.0.0",
        "--vcenter-host",
        "vc:443",
        "--insecure",
        "--datastore",
        "DS1",
        "--log-level",
        "DEBUG",
    ])
    .unwrap();
    let mut src = env(&[("MCP_PORT", "1234"), ("VCENTER_INSECURE", "false")]);
    src.cli = cli.overrides();
    let c = Config::resolve(&src).unwrap();
    assert_eq!(c.transport, Transport::StreamableHttp);
    assert_eq!(c.mcp_port, 9999);
    assert_eq!(c.mcp_host, "0.0.0.0");
    assert!(c.vcenter_insecure);
    assert_eq!(c.datastore.as_deref(), Some("DS1"));
    assert_eq!(c.log_level, "debug");
    assert_eq!(c.vcenter_url.unwrap().as_str(), "https://vc/sdk");
    assert!(
        Cli::try_parse_from(["mcvsphere", "--simulator"])
            .unwrap()
            .simulator
    );
    assert!(Cli::try_parse_from(["mcvsphere", "tools", "--format", "json"]).is_ok());
}

#[test]
fn a_bad_file_value_names_the_variable_and_the_key() {
    let src = Sources {
        file: map(&[("mcp_port", "x")]),
        ..Default::default()
    };
    let e = resolve_err(&src);
    assert!(e.contains("MCP_PORT") && e.contains("mcp_port"), "{e}");
}

#[test]
fn yaml_config_files_use_lowercase_env_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        "vcenter_host: vc.lab:8443\nvcenter_user: admin@vsphere.local\nVCENTER_INSECURE: true\nmcp_port: 9090\n\
         oauth_required_groups: [vsphere-admins, ops]\nesxi_host: not-yet-supported\n",
    )
    .unwrap();
    let src = Sources::default().with_file(&path).unwrap();
    let c = Config::resolve(&src).unwrap();
    assert_eq!(c.vcenter_url.unwrap().as_str(), "https://vc.lab:8443/sdk");
    assert_eq!(c.vcenter_user.as_deref(), Some("admin@vsphere.local"));
    assert!(c.vcenter_insecure);
    assert_eq!(c.mcp_port, 9090);
    assert_eq!(c.oauth.required_groups, vec!["vsphere-admins", "ops"]);
    assert!(
        c.warnings.iter().any(|w| w.contains("esxi_host")),
        "{:?}",
        c.warnings
    );

    std::fs::write(&path, "- just\n- a list\n").unwrap();
    let e = Sources::default().with_file(&path).unwrap_err().0;
    assert!(e.contains("config.yaml") && e.contains("mapping"), "{e}");
    let e = Sources::default()
        .with_file(&dir.path().join("missing.yaml"))
        .unwrap_err()
        .0;
    assert!(e.contains("missing.yaml"), "{e}");
    assert!(parse_yaml("").unwrap().is_empty());
}

#[test]
fn empty_env_values_count_as_unset() {
    let c = Config::resolve(&env(&[("VCENTER_DATASTORE", ""), ("MCP_PORT", " ")])).unwrap();
    assert_eq!(c.datastore, None);
    assert_eq!(c.mcp_port, 8080);
}

#[test]
fn oauth_enabled_names_each_missing_setting() {
    // Each step adds the setting the previous error named, until the proxy can start.
    let mut vars: Vec<(&str, &str)> = vec![("OAUTH_ENABLED", "true")];
    for (next, value) in [
        (
            "OAUTH_ISSUER_URL",
            "https://idp.example.com/application/o/mcvsphere/",
        ),
        ("OAUTH_BASE_URL", "https://mcp.example.com"),
        ("OAUTH_CLIENT_ID", "mcvsphere"),
        ("OAUTH_CLIENT_SECRET", "client-secret-never-shown"),
    ] {
        let e = Config::resolve(&env(&vars))
            .unwrap()
            .check_serve()
            .unwrap_err()
            .0;
        assert!(e.contains(next), "expected {next} to be named: {e}");
        vars.push((next, value));
    }
    let c = Config::resolve(&env(&vars)).unwrap();
    assert!(c.check_serve().is_ok());
    assert!(!format!("{c:?}").contains("never-shown"));
    let c = Config::resolve(&env(&[("OAUTH_ENABLED", "false")])).unwrap();
    assert!(c.check_serve().is_ok());
}

#[test]
fn oauth_base_url_must_be_https_unless_loopback() {
    let with_base = |base: &'static str| {
        Config::resolve(&env(&[
            ("OAUTH_ENABLED", "true"),
            ("OAUTH_ISSUER_URL", "https://idp.example.com/realms/ops"),
            ("OAUTH_CLIENT_ID", "mcvsphere"),
            ("OAUTH_CLIENT_SECRET", "s"),
            ("OAUTH_BASE_URL", base),
        ]))
        .unwrap()
        .check_serve()
    };
    let e = with_base("http://mcp.example.com").unwrap_err().0;
    assert!(e.contains("OAUTH_BASE_URL"), "{e}");
    assert!(with_base("http://127.0.0.1:8080").is_ok());
    assert!(with_base("https://mcp.example.com").is_ok());
}

#[test]
fn open_http_on_a_public_address_is_refused_unless_allowed() {
    let open = [
        ("MCP_TRANSPORT", "streamable-http"),
        ("MCP_HOST", "0.0.0.0"),
    ];
    let e = Config::resolve(&env(&open))
        .unwrap()
        .check_serve()
        .unwrap_err()
        .0;
    assert!(
        e.contains("MCP_ALLOW_UNAUTHENTICATED") && e.contains("MCP_API_KEY"),
        "{e}"
    );
    let mut allowed = open.to_vec();
    allowed.push(("MCP_ALLOW_UNAUTHENTICATED", "true"));
    assert!(
        Config::resolve(&env(&allowed))
            .unwrap()
            .check_serve()
            .is_ok()
    );
    let mut keyed = open.to_vec();
    keyed.push(("MCP_API_KEY", "0123456789abcdef-key"));
    assert!(Config::resolve(&env(&keyed)).unwrap().check_serve().is_ok());
    let loopback = [
        ("MCP_TRANSPORT", "streamable-http"),
        ("MCP_HOST", "127.0.0.1"),
    ];
    assert!(
        Config::resolve(&env(&loopback))
            .unwrap()
            .check_serve()
            .is_ok()
    );
}

#[test]
fn the_settings_table_covers_every_variable() {
    for var in [
        "VCENTER_HOST",
        "VCENTER_USER",
        "VCENTER_PASSWORD",
        "VCENTER_INSECURE",
        "VCENTER_DATACENTER",
        "VCENTER_CLUSTER",
        "VCENTER_DATASTORE",
        "VCENTER_NETWORK",
        "MCP_TRANSPORT",
        "MCP_HOST",
        "MCP_PORT",
        "LOG_LEVEL",
        "LOG_FILE",
        "OAUTH_ENABLED",
        "OAUTH_ISSUER_URL",
        "OAUTH_CLIENT_ID",
        "OAUTH_CLIENT_SECRET",
        "OAUTH_BASE_URL",
        "OAUTH_SCOPES",
        "OAUTH_REQUIRED_GROUPS",
        "OAUTH_SIGNING_KEY",
        "OAUTH_TRUSTED_CLIENTS",
        "OAUTH_ACCESS_TOKEN_TTL",
        "MCP_ALLOWED_HOSTS",
        "MCP_ALLOWED_ORIGINS",
        "MCP_API_KEY",
        "MCP_API_KEY_GROUPS",
        "MCP_ALLOW_UNAUTHENTICATED",
        "MCVSPHERE_ROLE",
        "MCVSPHERE_LOCAL_DIR",
        "RBAC_GROUP_MAP",
        "RBAC_FILTER_TOOLS",
        "AUDIT_LOG",
        "OAUTH_MODE",
    ] {
        let s = SETTINGS
            .iter()
            .find(|s| s.env == var)
            .unwrap_or_else(|| panic!("{var} not in SETTINGS"));
        assert_eq!(s.key, var.to_lowercase());
        assert!(s.description.len() > 20, "{var} needs a description");
    }
    let secrets: Vec<&str> = SETTINGS
        .iter()
        .filter(|s| s.secret)
        .map(|s| s.env)
        .collect();
    assert_eq!(
        secrets,
        [
            "VCENTER_PASSWORD",
            "OAUTH_CLIENT_SECRET",
            "OAUTH_SIGNING_KEY",
            "MCP_API_KEY"
        ]
    );
}

#[test]
fn access_settings_defaults_are_least_surprise() {
    let c = Config::resolve(&env(&[])).unwrap();
    assert_eq!(
        c.access.role,
        mcvsphere::tools::Permission::FullAdmin,
        "no RBAC without identity, as the original"
    );
    assert_eq!(c.access.api_key_groups, vec!["vsphere-readers"]);
    assert!(c.access.filter_tools);
    assert!(!c.access.allow_unauthenticated);
    assert!(c.access.group_map.is_empty());
    assert_eq!(c.oauth.access_token_ttl_secs, 3600);
}

#[test]
fn access_settings_parse_and_name_bad_values() {
    let c = Config::resolve(&env(&[
        ("MCVSPHERE_ROLE", "read-only"),
        (
            "RBAC_GROUP_MAP",
            "vmware-ro=vsphere-readers, root = vsphere-super-admins",
        ),
        ("MCP_ALLOWED_HOSTS", "mcp.example.com, 10.0.0.5"),
        ("MCP_API_KEY", "0123456789abcdef0123"),
        ("OAUTH_TRUSTED_CLIENTS", "http://127.0.0.1/callback"),
    ]))
    .unwrap();
    assert_eq!(c.access.role, mcvsphere::tools::Permission::ReadOnly);
    assert_eq!(
        c.access.group_map,
        vec![
            ("vmware-ro".to_string(), "vsphere-readers".to_string()),
            ("root".to_string(), "vsphere-super-admins".to_string())
        ]
    );
    assert_eq!(c.access.allowed_hosts, vec!["mcp.example.com", "10.0.0.5"]);
    assert!(
        !format!("{c:?}").contains("0123456789abcdef0123"),
        "API key redacted in Debug"
    );
    for (k, v, needle) in [
        ("MCVSPHERE_ROLE", "god", "MCVSPHERE_ROLE"),
        ("RBAC_GROUP_MAP", "nonsense", "RBAC_GROUP_MAP"),
        ("MCP_API_KEY", "short", "MCP_API_KEY"),
        ("OAUTH_SIGNING_KEY", "too-short", "OAUTH_SIGNING_KEY"),
        ("OAUTH_ACCESS_TOKEN_TTL", "5", "OAUTH_ACCESS_TOKEN_TTL"),
    ] {
        let e = resolve_err(&env(&[(k, v)]));
        assert!(e.contains(needle), "{k}={v}: {e}");
        assert!(
            !e.contains(v)
                || k == "MCVSPHERE_ROLE"
                || k == "RBAC_GROUP_MAP"
                || k == "OAUTH_ACCESS_TOKEN_TTL",
            "secret value echoed: {e}"
        );
    }
}

#[test]
fn local_dir_is_the_working_directory_over_stdio_and_off_over_http() {
    let stdio = Config::resolve(&env(&[])).unwrap();
    assert_eq!(stdio.local_dir, Some(std::env::current_dir().unwrap()));
    let http = Config::resolve(&env(&[("MCP_TRANSPORT", "http")])).unwrap();
    assert_eq!(
        http.local_dir, None,
        "remote callers get no local files by default"
    );
    let set = Config::resolve(&env(&[
        ("MCP_TRANSPORT", "http"),
        ("MCVSPHERE_LOCAL_DIR", "/srv/mcvsphere/files"),
    ]))
    .unwrap();
    assert_eq!(
        set.local_dir,
        Some(std::path::PathBuf::from("/srv/mcvsphere/files"))
    );
    let off = Config::resolve(&env(&[("MCVSPHERE_LOCAL_DIR", "off")])).unwrap();
    assert_eq!(off.local_dir, None, "off turns it off for stdio too");
}
