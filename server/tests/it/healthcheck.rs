//! `mcvsphere healthcheck`, as the Docker HEALTHCHECK runs it: the real
//! binary with a scrubbed environment, against a live `/health`, nothing
//! listening, and stdio mode.

use std::process::Command;

fn healthcheck(env: &[(String, String)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcvsphere"));
    for (k, _) in std::env::vars() {
        if k.starts_with("MCP_") || k.starts_with("VCENTER_") || k.starts_with("OAUTH_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("healthcheck")
        .current_dir(std::env::temp_dir())
        .envs(env.iter().map(|(k, v)| (k, v)));
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn in_stdio_mode_there_is_nothing_to_probe() {
    let (ok, text) = healthcheck(&[("MCP_TRANSPORT".into(), "stdio".into())]);
    assert!(ok, "{text}");
    crate::says(&text, &["stdio"]);
}

#[tokio::test]
async fn http_mode_probes_health_and_fails_when_nothing_answers() {
    let env = crate::env().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let app = mcvsphere::transport::router(env.app(), "127.0.0.1");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let vars: Vec<(String, String)> = [
        ("MCP_TRANSPORT", "streamable-http"),
        ("MCP_HOST", "0.0.0.0"),
        ("MCP_PORT", port.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let again = vars.clone();
    let (ok, text) = tokio::task::spawn_blocking(move || healthcheck(&vars))
        .await
        .unwrap();
    assert!(ok, "{text}");

    server.abort();
    let _ = server.await;
    let (ok, text) = tokio::task::spawn_blocking(move || healthcheck(&again))
        .await
        .unwrap();
    assert!(!ok, "healthy with nothing listening: {text}");
    crate::says(&text, &["cannot connect", &port]);
    env.sim.shutdown().await;
}
