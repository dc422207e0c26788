//! What a tool is: its parameters, hints, result shape, example and failure
//! case, and how that renders as a `tools/list` entry (schemas shaped as
//! FastMCP emits them).

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::Handler;
use super::family::{self, Family};
use crate::permission::Permission;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    String,
    Integer,
    Boolean,
    /// A list of strings (`array<string>` in the contract).
    StringArray,
}

impl ParamType {
    /// The JSON Schema `type` (for a list, the outer one).
    pub fn json_name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
            ParamType::StringArray => "array",
        }
    }

    /// The type as the contract and the docs write it.
    pub fn label(self) -> &'static str {
        match self {
            ParamType::StringArray => "array<string>",
            other => other.json_name(),
        }
    }

    /// The JSON Schema of one value of this type.
    pub fn schema(self) -> Json {
        match self {
            ParamType::StringArray => json!({"type": "array", "items": {"type": "string"}}),
            other => json!({"type": other.json_name()}),
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
    pub(crate) fn to_json(self) -> Option<Json> {
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

impl Hints {
    /// A read: the other two hints do not apply.
    pub const READ_ONLY: Hints = Hints {
        read_only: Some(true),
        destructive: None,
        idempotent: None,
    };

    /// A change, destructive or not; `idempotent` as the contract annotates it.
    pub const fn change(destructive: bool, idempotent: Option<bool>) -> Hints {
        Hints {
            read_only: None,
            destructive: Some(destructive),
            idempotent,
        }
    }
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
    /// A JSON object that carries a picture (`image_base64` and
    /// `content_type`): structured as itself, and also sent as an MCP image
    /// content block for clients that show pictures.
    Image(Json),
}

impl Output {
    pub fn text(&self) -> String {
        match self {
            Output::Text(s) => s.clone(),
            Output::Json(v) | Output::Image(v) => {
                serde_json::to_string_pretty(v).unwrap_or_default()
            }
        }
    }
}

/// The example call the docs show and the every-tool conformance test makes:
/// `setup` calls (tool, JSON arguments) first, then the tool with `args`
/// (JSON), against the default simulator inventory.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    pub setup: &'static [(&'static str, &'static str)],
    pub args: &'static str,
}

impl Example {
    /// Just the arguments, no set-up calls.
    pub const fn args(args: &'static str) -> Example {
        Example { setup: &[], args }
    }
}

/// How the tool is shown to fail, with words its error must contain.
#[derive(Clone, Copy, Debug)]
pub enum Failure {
    /// Called with these arguments (JSON) against the default inventory.
    Args {
        args: &'static str,
        expect: &'static [&'static str],
    },
    /// Called with its example arguments while vCenter cannot be reached:
    /// for tools without arguments there is no bad input to give.
    Unreachable { expect: &'static [&'static str] },
}

/// A tool's parameters and the handler that receives them, made together
/// by [`super::run!`] from one argument struct, so they cannot disagree.
#[derive(Clone, Copy)]
pub struct Run {
    pub params: &'static [Param],
    pub handler: Handler,
}

pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub hints: Hints,
    pub returns: Returns,
    pub example: Example,
    pub failure: Failure,
    pub run: Run,
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

    /// The family whose table lists this tool; `None` only for a
    /// definition that is not registered.
    pub fn family(&self) -> Option<&'static Family> {
        family::of(self.name)
    }

    /// The family's id: `category` in `tools --format json`.
    pub fn category(&self) -> &'static str {
        self.family().map_or("", |f| f.id)
    }

    /// The parameters, in `tools/list` order.
    pub fn params(&self) -> &'static [Param] {
        self.run.params
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params().iter().find(|p| p.name == name)
    }

    /// The JSON Schema of the arguments, shaped as FastMCP emits it: nullable
    /// parameters as `anyOf [T, null]` with `default: null`.
    pub fn input_schema(&self) -> Map<String, Json> {
        let mut props = Map::new();
        let mut required = vec![];
        for p in self.params() {
            let mut schema = Map::new();
            if p.default == DefaultValue::Null {
                schema.insert("anyOf".into(), json!([p.ty.schema(), {"type": "null"}]));
            } else if let Json::Object(ty) = p.ty.schema() {
                schema.extend(ty);
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
        m.insert("category".into(), json!(self.category()));
        m.insert(
            "permission".into(),
            json!(self.permission().map(Permission::as_str)),
        );
        Json::Object(m)
    }
}
