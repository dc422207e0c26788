//! The tool registry: every tool's name, schema, hints and handler in one
//! table, so transports, RBAC and the docs generator all read the same
//! definitions; each tool's permission level comes from [`crate::rbac::TABLE`].
//! Families live in their own modules and add their `TOOLS` slice to
//! [`registry`].

use std::sync::{Arc, LazyLock};

use futures::future::BoxFuture;
use serde_json::{Map, Value as Json, json};

use crate::config::Config;
use crate::error::ToolError;
use crate::vsphere::Client;

mod args;
mod placement;
pub mod power_ops;
mod vm;
pub mod vm_lifecycle;

pub use args::Args;

/// What every tool handler gets: the shared vSphere session and the
/// placement defaults from the configuration. Access control and the audit
/// trail are the MCP layer's ([`crate::mcp::AppState`]): a handler never
/// decides who may call it.
#[derive(Debug)]
pub struct ToolContext {
    pub client: Client,
    pub defaults: Defaults,
}

/// Where new VMs go unless a call says otherwise.
#[derive(Clone, Debug, Default)]
pub struct Defaults {
    pub datacenter: Option<String>,
    pub cluster: Option<String>,
    pub datastore: Option<String>,
    pub network: String,
}

impl Defaults {
    pub fn from_config(c: &Config) -> Self {
        Defaults {
            datacenter: c.datacenter.clone(),
            cluster: c.cluster.clone(),
            datastore: c.datastore.clone(),
            network: c.network.clone(),
        }
    }
}

pub type Ctx = Arc<ToolContext>;

/// The level type lives in the leaf [`crate::permission`]; re-exported
/// because callers of the registry name it from here.
pub use crate::permission::Permission;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    String,
    Integer,
    Boolean,
}

impl ParamType {
    pub fn json_name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
        }
    }
}

/// A parameter's default; `Required` means it has none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DefaultValue {
    Required,
    /// Optional and nullable, default `null`.
    Null,
    Int(i64),
    Str(&'static str),
    Bool(bool),
}

impl DefaultValue {
    fn to_json(self) -> Option<Json> {
        match self {
            DefaultValue::Required => None,
            DefaultValue::Null => Some(Json::Null),
            DefaultValue::Int(i) => Some(json!(i)),
            DefaultValue::Str(s) => Some(json!(s)),
            DefaultValue::Bool(b) => Some(json!(b)),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub ty: ParamType,
    pub default: DefaultValue,
    pub description: &'static str,
}

/// MCP tool hints; `None` leaves a hint out of `tools/list`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hints {
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
}

/// The shape of a successful result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returns {
    /// A sentence; structured as `{"result": "..."}`.
    Text,
    /// One JSON object, structured as itself.
    Object,
    /// A list of objects, structured as `{"result": [...]}`.
    List,
}

/// A successful tool result.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Text(String),
    Json(Json),
}

impl Output {
    pub fn text(&self) -> String {
        match self {
            Output::Text(s) => s.clone(),
            Output::Json(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        }
    }
}

pub type Handler = fn(Ctx, Args) -> BoxFuture<'static, Result<Output, ToolError>>;

/// Wraps an `async fn(Ctx, Args) -> Result<Output, ToolError>` as a [`Handler`].
macro_rules! handler {
    ($f:path) => {{
        fn h(
            c: $crate::tools::Ctx,
            a: $crate::tools::Args,
        ) -> ::futures::future::BoxFuture<
            'static,
            Result<$crate::tools::Output, $crate::error::ToolError>,
        > {
            Box::pin($f(c, a))
        }
        h as $crate::tools::Handler
    }};
}
pub(crate) use handler;

pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    pub params: &'static [Param],
    pub hints: Hints,
    pub returns: Returns,
    pub handler: Handler,
}

impl std::fmt::Debug for ToolDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ToolDef {
    /// The level needed to call this tool, from [`crate::rbac::TABLE`] (the
    /// only source); `None` means it has no row and no one may call it.
    pub fn permission(&self) -> Option<Permission> {
        crate::rbac::required(self.name)
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The JSON Schema of the arguments, shaped as FastMCP emits it: nullable
    /// parameters as `anyOf [T, null]` with `default: null`.
    pub fn input_schema(&self) -> Map<String, Json> {
        let mut props = Map::new();
        let mut required = vec![];
        for p in self.params {
            let mut schema = Map::new();
            if p.default == DefaultValue::Null {
                schema.insert(
                    "anyOf".into(),
                    json!([{"type": p.ty.json_name()}, {"type": "null"}]),
                );
            } else {
                schema.insert("type".into(), json!(p.ty.json_name()));
            }
            if let Some(d) = p.default.to_json() {
                schema.insert("default".into(), d);
            } else {
                required.push(json!(p.name));
            }
            schema.insert("description".into(), json!(p.description));
            props.insert(p.name.into(), Json::Object(schema));
        }
        let mut s = Map::new();
        s.insert("type".into(), json!("object"));
        s.insert("properties".into(), Json::Object(props));
        if !required.is_empty() {
            s.insert("required".into(), Json::Array(required));
        }
        s
    }

    /// The JSON Schema of the structured result.
    pub fn output_schema(&self) -> Map<String, Json> {
        let v = match self.returns {
            Returns::Text => json!({
                "type": "object",
                "properties": {"result": {"type": "string"}},
                "required": ["result"],
                "x-fastmcp-wrap-result": true
            }),
            Returns::List => json!({
                "type": "object",
                "properties": {"result": {"type": "array", "items": {"type": "object"}}},
                "required": ["result"],
                "x-fastmcp-wrap-result": true
            }),
            Returns::Object => json!({"type": "object", "additionalProperties": true}),
        };
        match v {
            Json::Object(m) => m,
            _ => Map::new(),
        }
    }

    pub fn annotations(&self) -> rmcp::model::ToolAnnotations {
        rmcp::model::ToolAnnotations::from_raw(
            Some(self.title.to_string()),
            self.hints.read_only,
            self.hints.destructive,
            self.hints.idempotent,
            None,
        )
    }

    /// The `tools/list` entry.
    pub fn to_mcp(&self) -> rmcp::model::Tool {
        rmcp::model::Tool::new(self.name, self.description, Arc::new(self.input_schema()))
            .with_title(self.title)
            .with_raw_output_schema(Arc::new(self.output_schema()))
            .with_annotations(self.annotations())
    }

    /// Everything about the tool, for `mcvsphere tools --format json`.
    pub fn describe(&self) -> Json {
        let tool = serde_json::to_value(self.to_mcp()).unwrap_or(Json::Null);
        let mut m = match tool {
            Json::Object(m) => m,
            _ => Map::new(),
        };
        m.insert("category".into(), json!(self.category));
        m.insert(
            "permission".into(),
            json!(self.permission().map(Permission::as_str)),
        );
        Json::Object(m)
    }
}

static REGISTRY: LazyLock<Vec<&'static ToolDef>> = LazyLock::new(|| {
    vm_lifecycle::TOOLS
        .iter()
        .chain(power_ops::TOOLS.iter())
        .collect()
});

/// Every registered tool, in registration order.
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
    let args = Args::new(def, map)?;
    (def.handler)(ctx.clone(), args).await
}
