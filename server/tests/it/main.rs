//! mcvsphere's integration tests: configuration, redaction, the vSphere
//! client's session handling, every tool called directly (not over MCP;
//! the conformance crate does that) against an in-process vcsim, and RBAC
//! and audit through the real rmcp handler over in-process HTTP. Effects are
//! checked in the simulator's own state, not only in the tool's reply.
#![allow(clippy::unwrap_used)]

mod audit;
mod clusters;
mod config;
mod console;
mod datastore_files_tools;
mod disks;
mod docs;
mod folders_templates;
mod guest_files;
mod guest_ops;
mod guest_redaction;
mod healthcheck;
mod host_services;
mod hostile_input;
mod hosts;
mod inventory_info;
mod jsonrpc_http;
mod local_paths;
mod maintenance;
mod mcp_http;
mod migration;
mod modules;
mod monitoring;
mod nics;
mod ovf;
mod ovf_progress;
mod power_ops;
mod rate_limit;
mod rbac;
mod recent_events_tasks;
mod redaction;
mod registry;
mod resources;
mod serial;
mod session;
mod shutdown;
mod snapshots;
mod stdio_binary;
mod transfer_tools;
mod transport;
mod vcenter_faults;
mod views;
mod vm_lifecycle;

use std::sync::Arc;

use mcvsphere::config::{Secret, VCenterSettings};
use mcvsphere::error::ToolError;
use mcvsphere::mcp::{App, AppState};
use mcvsphere::tools::{self, Ctx, Defaults, Output, ToolContext};
use serde_json::Value as Json;
use vim25::Value;

pub const USER: &str = "it-user@vsphere.local";
pub const PASSWORD: &str = "it-Secret-Pw-4411";

/// A simulator with the default inventory and a server context logged in to it.
pub struct Env {
    pub sim: vcsim::Simulator,
    pub ctx: Ctx,
}

pub async fn sim() -> vcsim::Simulator {
    testkit::simulator(USER, PASSWORD).await
}

pub fn settings(sim: &vcsim::Simulator, password: &str) -> VCenterSettings {
    VCenterSettings {
        url: url::Url::parse(&sim.url()).unwrap(),
        user: USER.into(),
        password: Secret::new(password),
        insecure: true,
    }
}

/// A simulator started with `config` (its credentials set to the tests'
/// own) and a server context with `defaults`.
pub async fn env_with(config: vcsim::Config, defaults: Defaults) -> Env {
    let config = vcsim::Config {
        credentials: Some((USER.to_string(), PASSWORD.to_string())),
        ..config
    };
    let sim = vcsim::start(config).await.unwrap();
    let client = mcvsphere::vsphere::Client::new(&settings(&sim, PASSWORD)).unwrap();
    let ctx = Arc::new(ToolContext { client, defaults });
    Env { sim, ctx }
}

pub async fn env() -> Env {
    let sim = sim().await;
    let client = mcvsphere::vsphere::Client::new(&settings(&sim, PASSWORD)).unwrap();
    let ctx = Arc::new(ToolContext {
        client,
        defaults: Defaults {
            network: "VM Network".into(),
            ..Default::default()
        },
    });
    Env { sim, ctx }
}

/// A server state for direct tool calls: RBAC and audit are the MCP layer's
/// business (tested in `rbac.rs`, `audit.rs`), so full access and no records.
pub fn state(client: mcvsphere::vsphere::Client, defaults: Defaults) -> AppState {
    AppState {
        tools: Arc::new(ToolContext { client, defaults }),
        rbac: mcvsphere::rbac::Policy::new(tools::Permission::FullAdmin, vec![], true),
        audit: mcvsphere::audit::AuditLog::discard(),
        rate: mcvsphere::rate_limit::RateLimiter::off(),
    }
}

impl Env {
    /// The MCP layer's state over this environment's tool context, with
    /// full access and no audit records.
    pub fn app(&self) -> App {
        Arc::new(AppState {
            tools: self.ctx.clone(),
            rbac: mcvsphere::rbac::Policy::new(tools::Permission::FullAdmin, vec![], true),
            audit: mcvsphere::audit::AuditLog::discard(),
            rate: mcvsphere::rate_limit::RateLimiter::off(),
        })
    }

    pub async fn call(&self, tool: &str, args: Json) -> Result<Output, ToolError> {
        tools::call(&self.ctx, tool, args).await
    }

    /// A call that must succeed; its text.
    pub async fn ok(&self, tool: &str, args: Json) -> String {
        match self.call(tool, args.clone()).await {
            Ok(o) => o.text(),
            Err(e) => panic!("{tool}({args}) failed: {e}"),
        }
    }

    /// A call that must succeed with JSON.
    pub async fn json(&self, tool: &str, args: Json) -> Json {
        match self.call(tool, args.clone()).await {
            Ok(Output::Json(v) | Output::Image(v)) => v,
            Ok(Output::Text(t)) => panic!("{tool}({args}) returned text, not JSON: {t}"),
            Err(e) => panic!("{tool}({args}) failed: {e}"),
        }
    }

    /// A call that must fail; its message.
    pub async fn fails(&self, tool: &str, args: Json) -> String {
        match self.call(tool, args.clone()).await {
            Ok(o) => panic!("{tool}({args}) succeeded but should fail: {}", o.text()),
            Err(e) => e.0,
        }
    }

    pub fn vm_prop(&self, vm: &str, path: &str) -> Option<Value> {
        testkit::vm_prop(&self.sim, vm, path)
    }

    pub fn power(&self, vm: &str) -> String {
        testkit::power_state(&self.sim, vm)
    }

    pub fn int(&self, vm: &str, path: &str) -> Option<i64> {
        testkit::vm_int(&self.sim, vm, path)
    }
}

// Shared with the other crates' tests: one copy, in testkit.
pub use testkit::says;
