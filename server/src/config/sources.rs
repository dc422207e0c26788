//! The raw layers a configuration is resolved from (config file,
//! environment, CLI flags), and the YAML config file's reading.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{ConfigError, SETTINGS};

/// The raw values from each layer, by setting key. Values are strings as a
/// person wrote them; parsing happens once, in [`Config::resolve`].
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub file: BTreeMap<String, String>,
    pub env: BTreeMap<String, String>,
    pub cli: BTreeMap<String, String>,
    /// Where `file` came from, for messages.
    pub file_name: Option<PathBuf>,
}

impl Sources {
    /// Reads every setting's environment variable through `lookup` (empty values count as unset).
    pub fn with_env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        for s in SETTINGS {
            if let Some(v) = lookup(s.env).filter(|v| !v.trim().is_empty()) {
                self.env.insert(s.key.to_string(), v);
            }
        }
        self
    }

    /// Reads a YAML config file: a mapping from setting keys (lowercase
    /// environment names; uppercase accepted) to scalars or lists.
    pub fn with_file(mut self, path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
        self.file = parse_yaml(&text)
            .map_err(|m| ConfigError(format!("config file {}: {m}", path.display())))?;
        self.file_name = Some(path.to_path_buf());
        Ok(self)
    }

    pub(super) fn get(&self, key: &str) -> Option<(&str, Layer)> {
        if let Some(v) = self.cli.get(key) {
            return Some((v, Layer::Cli));
        }
        if let Some(v) = self.env.get(key) {
            return Some((v, Layer::Env));
        }
        self.file.get(key).map(|v| (v.as_str(), Layer::File))
    }
}

#[derive(Clone, Copy)]
pub(super) enum Layer {
    File,
    Env,
    Cli,
}

/// Parses YAML config text into setting keys → raw strings. Unknown keys are
/// kept (reported as warnings by [`Config::resolve`]).
pub fn parse_yaml(text: &str) -> Result<BTreeMap<String, String>, String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let mut out = BTreeMap::new();
    let map = match doc {
        serde_yaml::Value::Null => return Ok(out),
        serde_yaml::Value::Mapping(m) => m,
        _ => return Err("expected a mapping of setting names to values".into()),
    };
    for (k, v) in map {
        let Some(key) = k.as_str() else {
            return Err("setting names must be strings".into());
        };
        let key = key.to_ascii_lowercase();
        let value = match v {
            serde_yaml::Value::Null => continue,
            serde_yaml::Value::Bool(b) => b.to_string(),
            serde_yaml::Value::Number(n) => n.to_string(),
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Sequence(items) => {
                let mut parts = vec![];
                for i in items {
                    match i {
                        serde_yaml::Value::String(s) => parts.push(s),
                        serde_yaml::Value::Number(n) => parts.push(n.to_string()),
                        serde_yaml::Value::Bool(b) => parts.push(b.to_string()),
                        _ => return Err(format!("{key}: list items must be plain values")),
                    }
                }
                parts.join(",")
            }
            _ => return Err(format!("{key}: expected a plain value")),
        };
        out.insert(key, value);
    }
    Ok(out)
}
