//! `--simulator`: the embedded vcsim, started in-process on a loopback port
//! with the default inventory, and the banner that says so.

use std::net::SocketAddr;

use crate::config::{Secret, VCenterSettings};

/// Credentials of the embedded simulator (it is only reachable on loopback).
pub const USER: &str = "user";
pub const PASSWORD: &str = "pass";

/// Starts the simulator and returns it with the settings to reach it.
pub async fn start() -> anyhow::Result<(vcsim::Simulator, VCenterSettings)> {
    let config = vcsim::Config {
        credentials: Some((USER.to_string(), PASSWORD.to_string())),
        ..Default::default()
    };
    let sim = vcsim::start(config).await?;
    let url = url::Url::parse(&sim.url())?;
    let settings = VCenterSettings {
        url,
        user: USER.to_string(),
        password: Secret::new(PASSWORD),
        insecure: true,
    };
    Ok((sim, settings))
}

/// The stderr banner: what is running, where, and how to connect a client.
pub fn banner(sim_url: &str, http: Option<SocketAddr>) -> String {
    let connect = match http {
        Some(addr) => format!(
            "  MCP endpoint: http://{addr}/mcp   (health: http://{addr}/health)\n  \
             Connect:      claude mcp add --transport http vsphere-sim http://{addr}/mcp"
        ),
        None => "  MCP over stdio: point your client at the command line\n    \
             mcvsphere --simulator\n  \
             e.g.  claude mcp add vsphere-sim -- mcvsphere --simulator"
            .to_string(),
    };
    format!(
        "mcvsphere: running against the BUILT-IN vSphere SIMULATOR (no real vCenter is touched)\n  \
         Simulator:    {sim_url}  (user '{USER}', inventory: DC0 with cluster DC0_C0, hosts, 4 VMs)\n\
         {connect}\n"
    )
}
