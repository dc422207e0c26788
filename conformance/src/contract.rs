//! The tool contract (`fixtures/spec/tools.json`, a copy of the shared spec)
//! and the comparison of a server's `tools/list` entry against it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::Value as Json;

#[derive(Debug, Clone, Deserialize)]
pub struct Contract {
    pub permission_levels: Vec<String>,
    pub tools: Vec<ContractTool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ContractTool {
    pub name: String,
    pub category: String,
    pub permission: String,
    #[serde(default)]
    pub annotations: serde_json::Map<String, Json>,
    #[serde(default)]
    pub params: Vec<ContractParam>,
    pub result: String,
    #[serde(default)]
    pub result_keys: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ContractParam {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    /// Present (possibly `null`) when the parameter has a default.
    #[serde(default, deserialize_with = "some_json")]
    pub default: Option<Json>,
    #[serde(default)]
    pub nullable: bool,
}

/// Keeps an explicit JSON `null` as `Some(Null)`, distinct from an absent key.
fn some_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Json>, D::Error> {
    Json::deserialize(d).map(Some)
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn contract_path() -> PathBuf {
    workspace_root().join("fixtures/spec/tools.json")
}

pub fn load() -> Result<Contract> {
    let p = contract_path();
    let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))
}

/// The contract as it was when this crate was built: the runner binary uses
/// it, so a copy of the binary on another machine needs no source tree.
pub fn embedded() -> Result<Contract> {
    serde_json::from_str(include_str!("../../fixtures/spec/tools.json"))
        .context("parsing the embedded fixtures/spec/tools.json")
}

impl Contract {
    pub fn tool(&self, name: &str) -> Option<&ContractTool> {
        self.tools.iter().find(|t| t.name == name)
    }

    pub fn category(&self, category: &str) -> Vec<&ContractTool> {
        self.tools
            .iter()
            .filter(|t| t.category == category)
            .collect()
    }
}

/// The JSON type of a property schema and whether it admits null. Accepts
/// `{"type": "x"}`, `{"type": ["x", "null"]}` and `{"anyOf": [{"type": "x"}, {"type": "null"}]}`;
/// an array with typed items is `array<item type>`.
fn schema_type(prop: &Json) -> (Option<String>, bool) {
    let mut types: Vec<String> = vec![];
    // A list names its items' type as the contract does: `array<string>`.
    let items = prop
        .get("items")
        .and_then(|i| i.get("type"))
        .and_then(Json::as_str);
    let named = |t: &str| match (t, items) {
        ("array", Some(i)) => format!("array<{i}>"),
        _ => t.to_string(),
    };
    match prop.get("type") {
        Some(Json::String(t)) => types.push(named(t)),
        Some(Json::Array(ts)) => types.extend(ts.iter().filter_map(|t| t.as_str().map(named))),
        _ => {}
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Json::Array(alts)) = prop.get(key) {
            for a in alts {
                let (t, n) = schema_type(a);
                types.extend(t);
                if n {
                    types.push("null".into());
                }
            }
        }
    }
    let nullable = types.iter().any(|t| t == "null");
    let main = types.into_iter().find(|t| t != "null");
    (main, nullable)
}

/// The one superset of the contract issue 12 allows: an optional, nullable
/// `host_name` (default null) on the host_management tools, which in the
/// original act on the first host only. Anything else extra is a difference.
fn is_allowed_extension(c: &ContractTool, param: &str, schema: &Json, required: &[String]) -> bool {
    let (ty, nullable) = schema_type(schema);
    c.category == "host_management"
        && param == "host_name"
        && ty.as_deref() == Some("string")
        && nullable
        && schema.get("default") == Some(&Json::Null)
        && !required.iter().any(|r| r == param)
}

/// Every way `tool` (one entry of `tools/list`, as JSON) differs from the contract.
pub fn differences(c: &ContractTool, tool: &Json) -> Vec<String> {
    let mut diffs = vec![];
    let name = &c.name;
    if tool
        .get("description")
        .and_then(Json::as_str)
        .is_none_or(|d| d.trim().len() < 20)
    {
        diffs.push(format!(
            "{name}: description missing or too short to be useful"
        ));
    }
    let schema = tool.get("inputSchema").cloned().unwrap_or(Json::Null);
    let props = schema
        .get("properties")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let required: Vec<String> = schema
        .get("required")
        .and_then(Json::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for p in &c.params {
        let Some(s) = props.get(&p.name) else {
            diffs.push(format!("{name}: parameter {} missing", p.name));
            continue;
        };
        let (ty, nullable) = schema_type(s);
        if ty.as_deref() != Some(p.ty.as_str()) {
            diffs.push(format!(
                "{name}.{}: type {:?}, contract says {}",
                p.name, ty, p.ty
            ));
        }
        if p.nullable && !nullable {
            diffs.push(format!(
                "{name}.{}: contract says nullable, schema does not admit null",
                p.name
            ));
        }
        if p.required != required.contains(&p.name) {
            diffs.push(format!(
                "{name}.{}: required is {}, contract says {}",
                p.name, !p.required, p.required
            ));
        }
        if let Some(d) = &p.default {
            match s.get("default") {
                Some(got) if got == d => {}
                got => diffs.push(format!(
                    "{name}.{}: default {:?}, contract says {d}",
                    p.name, got
                )),
            }
        }
    }
    for extra in props
        .keys()
        .filter(|k| !c.params.iter().any(|p| &p.name == *k))
    {
        if is_allowed_extension(c, extra, &props[extra], &required) {
            continue;
        }
        diffs.push(format!("{name}: parameter {extra} is not in the contract"));
    }
    let ann = tool.get("annotations").cloned().unwrap_or(Json::Null);
    for (k, v) in &c.annotations {
        if ann.get(k) != Some(v) {
            diffs.push(format!(
                "{name}: annotation {k} is {:?}, contract says {v}",
                ann.get(k)
            ));
        }
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contract_tool() -> ContractTool {
        serde_json::from_value(json!({
            "name": "t", "category": "c", "permission": "read_only", "result": "text",
            "annotations": {"readOnlyHint": true},
            "params": [
                {"name": "name", "type": "string", "required": true},
                {"name": "cpu", "type": "integer", "required": false, "default": 2},
                {"name": "ds", "type": "string", "required": false, "default": null, "nullable": true}
            ]
        }))
        .expect("valid contract entry")
    }

    #[test]
    fn a_list_parameter_is_compared_with_its_item_type() {
        let c: ContractTool = serde_json::from_value(json!({
            "name": "t", "category": "c", "permission": "read_only", "result": "text",
            "params": [{"name": "servers", "type": "array<string>", "required": true}]
        }))
        .expect("valid contract entry");
        let tool = |items: Json| {
            json!({
                "name": "t", "description": "A description that is long enough.",
                "inputSchema": {"type": "object", "required": ["servers"], "properties": {
                    "servers": {"type": "array", "items": items}
                }}
            })
        };
        assert_eq!(
            differences(&c, &tool(json!({"type": "string"}))),
            Vec::<String>::new()
        );
        let d = differences(&c, &tool(json!({"type": "integer"}))).join("\n");
        assert!(d.contains("t.servers: type"), "{d}");
    }

    #[test]
    fn a_matching_tool_has_no_differences() {
        let tool = json!({
            "name": "t", "description": "A description that is long enough.",
            "inputSchema": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "cpu": {"type": "integer", "default": 2},
                "ds": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null}
            }},
            "annotations": {"readOnlyHint": true}
        });
        assert_eq!(differences(&contract_tool(), &tool), Vec::<String>::new());
    }

    #[test]
    fn only_an_optional_host_name_on_host_tools_may_extend_the_contract() {
        let host_tool = |category: &str| -> ContractTool {
            serde_json::from_value(json!({
                "name": "reboot_host", "category": category, "permission": "host_admin",
                "result": "object", "params": []
            }))
            .expect("valid contract entry")
        };
        let tool = |host_name: Json, required: Json| {
            json!({
                "name": "reboot_host", "description": "A description that is long enough.",
                "inputSchema": {"type": "object", "required": required,
                    "properties": {"host_name": host_name}}
            })
        };
        let optional = json!({"anyOf": [{"type": "string"}, {"type": "null"}], "default": null});
        let ok = differences(
            &host_tool("host_management"),
            &tool(optional.clone(), json!([])),
        );
        assert_eq!(ok, Vec::<String>::new());
        for (category, schema, required) in [
            ("monitoring", optional.clone(), json!([])),
            ("host_management", optional, json!(["host_name"])),
            ("host_management", json!({"type": "string"}), json!([])),
        ] {
            let d = differences(&host_tool(category), &tool(schema, required)).join("\n");
            assert!(
                d.contains("host_name is not in the contract"),
                "{category}: {d}"
            );
        }
    }

    #[test]
    fn each_kind_of_drift_is_reported() {
        let tool = json!({
            "name": "t", "description": "short",
            "inputSchema": {"type": "object", "required": ["name", "cpu"], "properties": {
                "name": {"type": "integer"},
                "cpu": {"type": "integer", "default": 4},
                "ds": {"type": "string"},
                "extra": {"type": "string"}
            }},
            "annotations": {"readOnlyHint": false}
        });
        let d = differences(&contract_tool(), &tool).join("\n");
        for needle in [
            "description",
            "t.name: type",
            "t.cpu: required",
            "t.cpu: default",
            "t.ds: contract says nullable",
            "t.ds: default",
            "extra",
            "readOnlyHint",
        ] {
            assert!(d.contains(needle), "missing {needle:?} in:\n{d}");
        }
    }
}
