//! The arguments a read check calls a tool with, derived from the
//! contract's parameter list and the inventory, and what its answer must
//! hold (the contract's result keys).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::checks::Inventory;
use crate::contract::ContractTool;

/// Whether the contract marks a tool read-only; only these run by default.
pub fn is_read_only(ct: &ContractTool) -> bool {
    ct.annotations.get("readOnlyHint") == Some(&Json::Bool(true))
}

/// The parameter naming an existing VM, if the tool takes one: `vm_name`, or
/// `name` on a tool that is not about a datastore, network, pool or folder
/// and does not create the object.
pub fn vm_param(ct: &ContractTool) -> Option<&str> {
    let not_vm = [
        "datastore",
        "network",
        "resource_pool",
        "folder",
        "create",
        "deploy",
    ];
    ct.params
        .iter()
        .filter(|p| p.required && p.ty == "string")
        .map(|p| p.name.as_str())
        .find(|&n| n == "vm_name" || (n == "name" && !not_vm.iter().any(|w| ct.name.contains(w))))
}

/// Plausible arguments for `ct` with `vm` as its VM, or why there are none.
pub fn derive_args(ct: &ContractTool, inv: &Inventory, vm: Option<&str>) -> Result<Json, String> {
    if ct.params.iter().any(|p| p.name == "password") {
        return Err(format!(
            "needs a guest account: checked by the guest write check write.{}",
            ct.name
        ));
    }
    let vm_p = vm_param(ct);
    let mut args = serde_json::Map::new();
    for p in ct.params.iter().filter(|p| p.required) {
        let need = |v: &Option<String>, what: &str| {
            v.clone()
                .ok_or_else(|| format!("the inventory has no {what} to pass as `{}`", p.name))
        };
        let value = if Some(p.name.as_str()) == vm_p {
            vm.map(str::to_string)
                .ok_or_else(|| "the inventory has no VM".to_string())?
        } else if p.name == "datastore" || (p.name == "name" && ct.name.contains("datastore")) {
            need(&inv.datastore, "datastore")?
        } else if p.name == "name" && ct.name.contains("network") {
            need(&inv.network, "network")?
        } else if p.name == "cluster_name" {
            need(&inv.cluster, "cluster")?
        } else if p.name == "host_name" {
            need(&inv.host, "host")?
        } else {
            return Err(format!(
                "no check yet: no plausible value for required parameter `{}`",
                p.name
            ));
        };
        args.insert(p.name.clone(), Json::String(value));
    }
    Ok(Json::Object(args))
}

/// Contract result keys missing from a tool's structured result.
pub(crate) fn missing_keys(ct: &ContractTool, structured: Option<&Json>) -> Vec<String> {
    if ct.result_keys.is_empty() {
        return vec![];
    }
    let items: Vec<&Json> = match (ct.result.as_str(), structured) {
        ("object", Some(o)) => vec![o],
        (r, Some(v)) if r.starts_with("list") => v
            .get("result")
            .and_then(Json::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        _ => vec![],
    };
    let mut missing = BTreeSet::new();
    for item in items {
        for k in &ct.result_keys {
            if item.get(k).is_none() {
                missing.insert(k.clone());
            }
        }
    }
    missing.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn tool(name: &str, params: &Json) -> ContractTool {
        serde_json::from_value(json!({
            "name": name, "category": "c", "permission": "read_only", "result": "text",
            "annotations": {"readOnlyHint": true}, "params": params
        }))
        .expect("valid contract entry")
    }

    fn inv() -> Inventory {
        Inventory {
            vm: Some("vm1".into()),
            datastore: Some("ds1".into()),
            network: Some("net1".into()),
            cluster: Some("cl1".into()),
            host: Some("h1".into()),
            counts: BTreeMap::new(),
        }
    }

    #[test]
    fn vm_arguments_are_derived_and_others_are_skipped_with_the_reason() {
        let get = tool(
            "get_vm_info",
            &json!([{"name": "name", "type": "string", "required": true}]),
        );
        assert_eq!(vm_param(&get), Some("name"));
        assert_eq!(
            derive_args(&get, &inv(), Some("vm1")),
            Ok(json!({"name": "vm1"}))
        );
        let ds = tool(
            "get_datastore_info",
            &json!([{"name": "name", "type": "string", "required": true}]),
        );
        assert_eq!(vm_param(&ds), None);
        assert_eq!(
            derive_args(&ds, &inv(), Some("vm1")),
            Ok(json!({"name": "ds1"}))
        );
        let guest = tool(
            "list_guest_processes",
            &json!([{"name": "name", "type": "string", "required": true},
                   {"name": "username", "type": "string", "required": true}]),
        );
        let why = derive_args(&guest, &inv(), Some("vm1")).expect_err("username is not derivable");
        assert!(why.contains("username"), "{why}");
    }
}
