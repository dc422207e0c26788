//! The tool registry. A tool is defined in one place, its family module: a
//! [`ToolDef`] (name, title, description, hints, example, failure case), its
//! typed arguments ([`typed::tool_args!`], descriptions of common
//! parameters from [`params`]) and its handler. Families are one table
//! ([`family::FAMILIES`]) that the registry, the docs and each tool's
//! category read; each tool's permission level comes from
//! [`crate::rbac::TABLE`].

use std::sync::{Arc, LazyLock};

use futures::future::BoxFuture;
use serde_json::{Map, Value as Json};

use crate::config::Config;
use crate::error::ToolError;
use crate::vsphere::Client;

mod args;
pub mod call_env;
pub mod clusters;
pub mod console;
mod def;
mod devices;
pub mod disks;
pub mod ds_files;
mod ds_lookup;
pub mod ds_path;
pub mod ds_transfer;
pub mod echo;
pub mod family;
pub mod folders;
mod guest;
pub mod guest_files;
pub mod guest_ops;
mod host;
pub mod host_power;
pub mod host_services;
pub mod hosts;
pub mod inventory;
pub mod local_paths;
pub mod migration;
pub mod monitoring;
pub mod monitoring_history;
pub mod nics;
pub mod ovf;
pub mod ovf_deploy;
mod ovf_examples;
pub mod ovf_export;
mod ovf_lease;
mod ovf_stream;
pub mod params;
mod placement;
pub mod power_ops;
pub mod recent;
pub mod serial;
pub mod snapshots;
pub mod templates;
pub mod typed;
pub mod vcenter_ops;
mod vm;
pub mod vm_lifecycle;

pub use args::Args;
pub use def::{
    DefaultValue, Example, Failure, Hints, Output, Param, ParamType, Returns, Run, ToolDef,
};
pub use family::{FAMILIES, Family};
pub use typed::ToolArgs;

/// What every tool handler gets: the shared vSphere session and the
/// placement defaults from the configuration. Access control and the audit
/// trail are the MCP layer's ([`crate::mcp::AppState`]): a handler never
/// decides who may call it.
#[derive(Debug)]
pub struct ToolContext {
    pub client: Client,
    pub defaults: Defaults,
}

/// Where new VMs go unless a call says otherwise, and the one local
/// directory tools may read and write files in.
#[derive(Clone, Debug, Default)]
pub struct Defaults {
    pub datacenter: Option<String>,
    pub cluster: Option<String>,
    pub datastore: Option<String>,
    pub network: String,
    /// `MCVSPHERE_LOCAL_DIR` ([`local_paths`]); `None`: local file access is off.
    pub local_dir: Option<std::path::PathBuf>,
}

impl Defaults {
    pub fn from_config(c: &Config) -> Self {
        Defaults {
            datacenter: c.datacenter.clone(),
            cluster: c.cluster.clone(),
            datastore: c.datastore.clone(),
            network: c.network.clone(),
            local_dir: c.local_dir.clone(),
        }
    }
}

pub type Ctx = Arc<ToolContext>;

/// The level type lives in the leaf [`crate::permission`]; re-exported
/// because callers of the registry name it from here.
pub use crate::permission::Permission;

pub type Handler = fn(Ctx, Args) -> BoxFuture<'static, Result<Output, ToolError>>;

/// `run!(f, A)`: the [`Run`] of a tool whose handler is
/// `async fn f(Ctx, A) -> Result<Output, ToolError>` and whose parameters are
/// `A`'s ([`typed::tool_args!`]). The arguments are read into `A` (with
/// their checks) before `f` runs; an `f` taking anything but `A` does not
/// compile, and the parameter table comes from the same `A`.
macro_rules! run {
    ($f:path, $A:ty) => {
        $crate::tools::Run {
            params: <$A as $crate::tools::ToolArgs>::PARAMS,
            handler: $crate::tools::handler!($f, $A),
        }
    };
}
pub(crate) use run;

/// The [`Handler`] half of [`run!`].
macro_rules! handler {
    ($f:path, $A:ty) => {{
        fn h(
            c: $crate::tools::Ctx,
            a: $crate::tools::Args,
        ) -> ::futures::future::BoxFuture<
            'static,
            Result<$crate::tools::Output, $crate::error::ToolError>,
        > {
            match <$A as $crate::tools::ToolArgs>::from_args(&a) {
                Ok(typed) => Box::pin($f(c, typed)),
                Err(e) => Box::pin(async move { Err(e) }),
            }
        }
        h as $crate::tools::Handler
    }};
}
pub(crate) use handler;

static REGISTRY: LazyLock<Vec<&'static ToolDef>> =
    LazyLock::new(|| FAMILIES.iter().flat_map(|f| f.tools.iter()).collect());

/// Every registered tool, families in the contract's order.
pub fn registry() -> &'static [&'static ToolDef] {
    &REGISTRY
}

pub fn find(name: &str) -> Option<&'static ToolDef> {
    registry().iter().copied().find(|t| t.name == name)
}

/// Calls a tool by name with JSON arguments (an object, or null for none).
pub async fn call(ctx: &Ctx, name: &str, args: Json) -> Result<Output, ToolError> {
    let def = find(name).ok_or_else(|| ToolError::new(format!("Unknown tool '{name}'")))?;
    let map = match args {
        Json::Null => Map::new(),
        Json::Object(m) => m,
        other => {
            return Err(ToolError::new(format!(
                "Arguments for {name} must be a JSON object, got {}",
                args::json_kind(&other)
            )));
        }
    };
    // What an error may repeat of the input is bounded (see `echo`).
    let echoes = echo::Echoes::of(&map);
    let out = match Args::new(def, map) {
        Ok(args) => (def.run.handler)(ctx.clone(), args).await,
        Err(e) => Err(e),
    };
    out.map_err(|e| ToolError(echoes.bound(&e.0)))
}
