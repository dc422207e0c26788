//! Typed, validated access to a tool call's JSON arguments. Missing and
//! wrong-typed arguments become one clear sentence naming the argument.
//! Defaults come from the tool's parameter table, never restated in handlers.

use serde_json::{Map, Value as Json};

use super::def::{DefaultValue, ParamType, ToolDef};
use crate::error::ToolError;

/// The longest VM name vSphere accepts.
pub(super) const MAX_NAME_LEN: usize = 80;

pub struct Args {
    def: &'static ToolDef,
    map: Map<String, Json>,
}

pub(crate) fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

fn article(t: ParamType) -> &'static str {
    match t {
        ParamType::String => "a string",
        ParamType::Integer => "an integer",
        ParamType::Boolean => "true or false",
        ParamType::StringArray => "a list of strings",
    }
}

/// Checks `v` against the parameter's type, converting leniently.
fn coerce(name: &str, ty: ParamType, v: &Json) -> Result<Json, ToolError> {
    let wrong = || {
        ToolError::new(format!(
            "Argument '{name}' must be {}, got {}",
            article(ty),
            json_kind(v)
        ))
    };
    // Lenient like pydantic: "4" for an integer, "true" for a boolean.
    match (ty, v) {
        (ParamType::String, Json::String(_)) | (ParamType::Boolean, Json::Bool(_)) => Ok(v.clone()),
        (ParamType::Integer, Json::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Json::from(i)),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Json::from(f as i64)),
                _ => Err(wrong()),
            },
        },
        (ParamType::Integer, Json::String(s)) => {
            s.trim().parse::<i64>().map(Json::from).map_err(|_| wrong())
        }
        // No leniency for lists: a lone string is not a list of one.
        (ParamType::StringArray, Json::Array(items)) => {
            match items.iter().find(|i| !i.is_string()) {
                None => Ok(v.clone()),
                Some(bad) => Err(ToolError::new(format!(
                    "Argument '{name}' must be a list of strings, got a list containing {}",
                    json_kind(bad)
                ))),
            }
        }
        (ParamType::Boolean, Json::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Json::Bool(true)),
            "false" => Ok(Json::Bool(false)),
            _ => Err(wrong()),
        },
        _ => Err(wrong()),
    }
}

impl Args {
    /// Checks every given argument's type against the tool's parameters and
    /// that required ones are present. Unknown arguments are ignored, as the
    /// Python original does, but logged.
    pub fn new(def: &'static ToolDef, map: Map<String, Json>) -> Result<Args, ToolError> {
        for key in map.keys() {
            if def.param(key).is_none() {
                tracing::debug!(tool = def.name, argument = %key, "ignoring unknown argument");
            }
        }
        let args = Args { def, map };
        for p in def.params() {
            match args.map.get(p.name) {
                None | Some(Json::Null) if p.default == DefaultValue::Required => {
                    return Err(ToolError::new(format!(
                        "Missing required argument '{}' ({}) for {}",
                        p.name,
                        article(p.ty),
                        def.name
                    )));
                }
                None | Some(Json::Null) => {}
                Some(v) => {
                    coerce(p.name, p.ty, v)?;
                }
            }
        }
        Ok(args)
    }

    fn value(&self, name: &str) -> Result<Option<Json>, ToolError> {
        let p = self.def.param(name).ok_or_else(|| {
            ToolError::new(format!("{} has no parameter '{name}'", self.def.name))
        })?;
        match self.map.get(name) {
            None | Some(Json::Null) => Ok(match p.default {
                DefaultValue::Required | DefaultValue::Null => None,
                DefaultValue::Int(i) => Some(Json::from(i)),
                DefaultValue::Str(s) => Some(Json::from(s)),
                DefaultValue::Bool(b) => Some(Json::Bool(b)),
            }),
            Some(v) => coerce(name, p.ty, v).map(Some),
        }
    }

    fn missing(&self, name: &str) -> ToolError {
        ToolError::new(format!(
            "Missing required argument '{name}' for {}",
            self.def.name
        ))
    }

    /// A string argument (required, or with a default).
    pub fn string(&self, name: &str) -> Result<String, ToolError> {
        self.opt_string(name)?.ok_or_else(|| self.missing(name))
    }

    pub fn opt_string(&self, name: &str) -> Result<Option<String>, ToolError> {
        Ok(self
            .value(name)?
            .and_then(|v| v.as_str().map(str::to_string)))
    }

    pub fn int(&self, name: &str) -> Result<i64, ToolError> {
        self.opt_int(name)?.ok_or_else(|| self.missing(name))
    }

    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, ToolError> {
        Ok(self.value(name)?.and_then(|v| v.as_i64()))
    }

    pub fn bool(&self, name: &str) -> Result<bool, ToolError> {
        self.value(name)?
            .and_then(|v| v.as_bool())
            .ok_or_else(|| self.missing(name))
    }

    /// A boolean that may be left out (null/absent → `None`).
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ToolError> {
        Ok(self.value(name)?.and_then(|v| v.as_bool()))
    }

    /// A list of strings (required).
    pub fn strings(&self, name: &str) -> Result<Vec<String>, ToolError> {
        self.opt_strings(name)?.ok_or_else(|| self.missing(name))
    }

    pub fn opt_strings(&self, name: &str) -> Result<Option<Vec<String>>, ToolError> {
        Ok(self.value(name)?.and_then(|v| {
            v.as_array().map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
        }))
    }

    /// A required inventory name: trimmed, not empty, at most 80 characters,
    /// no control characters.
    pub fn name(&self, arg: &str) -> Result<String, ToolError> {
        let v = self.string(arg)?;
        check_name(arg, &v)?;
        Ok(v)
    }

    /// An optional inventory name (null/absent → `None`).
    pub fn opt_name(&self, arg: &str) -> Result<Option<String>, ToolError> {
        match self.opt_string(arg)? {
            None => Ok(None),
            Some(v) => check_name(arg, &v).map(|()| Some(v)),
        }
    }
}

pub(super) fn check_name(arg: &str, v: &str) -> Result<(), ToolError> {
    if v.trim().is_empty() {
        return Err(ToolError::new(format!(
            "Argument '{arg}' must not be empty"
        )));
    }
    if v.chars().count() > MAX_NAME_LEN {
        return Err(ToolError::new(format!(
            "Argument '{arg}' is too long ({} characters; the limit is {MAX_NAME_LEN})",
            v.chars().count()
        )));
    }
    if v.chars().any(char::is_control) {
        return Err(ToolError::new(format!(
            "Argument '{arg}' must not contain control characters"
        )));
    }
    Ok(())
}

/// Checks `value` lies in `1..=max`, naming the argument and unit otherwise.
pub(super) fn positive(arg: &str, value: i64, max: i64, unit: &str) -> Result<i64, ToolError> {
    if value < 1 {
        return Err(ToolError::new(format!(
            "Argument '{arg}' must be a positive number of {unit}, got {value}"
        )));
    }
    if value > max {
        return Err(ToolError::new(format!(
            "Argument '{arg}' is too large: {value} {unit} (at most {max})"
        )));
    }
    Ok(value)
}
