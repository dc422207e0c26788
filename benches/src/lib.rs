//! Shared set-up for the criterion benches: an in-process simulator and a
//! server tool context connected to it.

use std::sync::Arc;

use mcvsphere::config::{Secret, VCenterSettings};
use mcvsphere::tools::{Ctx, Defaults, ToolContext};
use mcvsphere::vsphere::Client;

const USER: &str = "bench";
const PASSWORD: &str = "bench-pw";

/// Starts vcsim with `vms` generated VMs (`None`: the default inventory).
pub async fn simulator(vms: Option<usize>) -> anyhow::Result<vcsim::Simulator> {
    mcvsphere::vsphere::install_crypto_provider();
    let inventory = match vms {
        Some(vms) => vcsim::Inventory::Generated { vms },
        None => vcsim::Inventory::Default,
    };
    let config = vcsim::Config {
        inventory,
        credentials: Some((USER.into(), PASSWORD.into())),
        ..Default::default()
    };
    vcsim::start(config).await
}

pub fn settings(sim: &vcsim::Simulator) -> anyhow::Result<VCenterSettings> {
    Ok(VCenterSettings {
        url: url::Url::parse(&sim.url())?,
        user: USER.into(),
        password: Secret::new(PASSWORD),
        insecure: true,
    })
}

/// A tool context with its own vSphere session (logged in on first use).
pub fn context(settings: &VCenterSettings) -> anyhow::Result<Ctx> {
    // Benches call tools directly; RBAC and audit sit in the MCP layer.
    Ok(Arc::new(ToolContext {
        client: Client::new(settings)?,
        defaults: Defaults {
            network: "VM Network".into(),
            ..Default::default()
        },
    }))
}
