//! The registry's tool definitions: schemas shaped like FastMCP's, hints and
//! permissions per the contract, results shaped as MCP expects.

use mcvsphere::mcp::tool_result;
use mcvsphere::tools::{Output, Permission, find, registry};
use serde_json::json;

#[test]
fn the_two_families_are_registered() {
    let names: Vec<&str> = registry().iter().map(|t| t.name).collect();
    for n in [
        "list_vms",
        "get_vm_info",
        "create_vm",
        "clone_vm",
        "delete_vm",
        "reconfigure_vm",
        "rename_vm",
        "power_on",
        "power_off",
        "reset_vm",
        "suspend_vm",
        "shutdown_guest",
        "reboot_guest",
        "standby_guest",
        "create_snapshot",
        "list_snapshots",
        "revert_to_snapshot",
        "revert_to_current_snapshot",
        "delete_snapshot",
        "delete_all_snapshots",
        "rename_snapshot",
        "add_disk",
        "list_disks",
        "extend_disk",
        "remove_disk",
        "attach_iso",
        "detach_iso",
        "add_nic",
        "list_nics",
        "remove_nic",
        "change_nic_network",
        "connect_nic",
        "set_nic_mac",
        "setup_serial_port",
        "get_serial_port",
        "connect_serial_port",
        "clear_serial_port",
        "remove_serial_port",
        "get_vm_tools_status",
        "vm_screenshot",
        "wait_for_vm_tools",
        "create_guest_directory",
        "delete_guest_file",
        "list_guest_directory",
        "list_guest_processes",
        "read_guest_file",
        "run_command_in_guest",
        "write_guest_file",
        "get_vcenter_info",
        "list_templates",
        "get_datastore_info",
        "get_network_info",
        "get_resource_pool_info",
        "browse_datastore",
        "create_datastore_folder",
        "delete_datastore_file",
        "copy_datastore_file",
        "move_datastore_file",
        "upload_to_datastore",
        "download_from_datastore",
        "get_host_info",
        "get_host_hardware",
        "get_host_networking",
        "list_services",
        "start_service",
        "stop_service",
        "set_service_policy",
        "get_ntp_config",
        "configure_ntp",
        "enter_maintenance_mode",
        "exit_maintenance_mode",
        "reboot_host",
        "shutdown_host",
        "get_alarms",
        "get_host_stats",
        "get_recent_events",
        "get_recent_tasks",
        "get_vm_stats",
        "list_hosts",
        "list_folders",
        "create_folder",
        "move_vm_to_folder",
        "convert_to_template",
        "convert_to_vm",
        "deploy_from_template",
        "storage_vmotion",
        "move_vm_disk",
        "list_clusters",
        "get_drs_recommendations",
        "list_recent_events",
        "list_recent_tasks",
        "deploy_ovf",
        "export_vm_ovf",
        "list_ovf_networks",
    ] {
        assert!(names.contains(&n), "{n} missing");
    }
    assert_eq!(names.len(), 94, "every contract tool");
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "duplicate tool names");
}

#[test]
fn input_schemas_follow_fastmcp() {
    let s = serde_json::Value::Object(find("create_vm").unwrap().input_schema());
    assert_eq!(s["type"], "object");
    assert_eq!(s["required"], json!(["name"]));
    assert_eq!(s["properties"]["cpu"]["type"], "integer");
    assert_eq!(s["properties"]["cpu"]["default"], 2);
    assert_eq!(s["properties"]["memory_mb"]["default"], 4096);
    assert_eq!(s["properties"]["disk_gb"]["default"], 20);
    assert_eq!(s["properties"]["guest_id"]["default"], "otherGuest64");
    assert_eq!(
        s["properties"]["datastore"]["anyOf"],
        json!([{"type": "string"}, {"type": "null"}])
    );
    assert_eq!(s["properties"]["datastore"]["default"], json!(null));
    let s = serde_json::Value::Object(find("clone_vm").unwrap().input_schema());
    assert_eq!(
        s["properties"]["power_on"],
        json!({"type": "boolean", "default": false, "description": s["properties"]["power_on"]["description"]})
    );
    let s = serde_json::Value::Object(find("list_vms").unwrap().input_schema());
    assert_eq!(s["properties"], json!({}));
    assert!(s.get("required").is_none());
}

#[test]
fn hints_and_permissions_match_the_contract() {
    let t = serde_json::to_value(find("list_vms").unwrap().to_mcp()).unwrap();
    assert_eq!(t["annotations"]["readOnlyHint"], true);
    assert!(t["annotations"].get("destructiveHint").is_none());
    assert!(t["title"].as_str().is_some());
    let t = serde_json::to_value(find("power_off").unwrap().to_mcp()).unwrap();
    assert_eq!(t["annotations"]["destructiveHint"], true);
    assert_eq!(t["annotations"]["idempotentHint"], true);
    assert!(t["annotations"].get("readOnlyHint").is_none());
    assert_eq!(
        find("get_vm_info").unwrap().permission(),
        Some(Permission::ReadOnly)
    );
    assert_eq!(
        find("reboot_guest").unwrap().permission(),
        Some(Permission::PowerOps)
    );
    assert_eq!(
        find("delete_vm").unwrap().permission(),
        Some(Permission::VmLifecycle)
    );
    for t in registry() {
        assert!(
            t.description.len() > 60,
            "{} needs a real description",
            t.name
        );
        let d = t.describe();
        assert_eq!(d["permission"], t.permission().unwrap().as_str());
        assert!(d["inputSchema"].is_object() && d["outputSchema"].is_object());
    }
}

#[test]
fn results_are_text_plus_structured_content() {
    let r = tool_result(
        find("power_on").unwrap(),
        Ok(Output::Text("VM 'a' powered on".into())),
    );
    assert_eq!(r.is_error, Some(false));
    assert_eq!(
        r.structured_content,
        Some(json!({"result": "VM 'a' powered on"}))
    );
    let r = tool_result(
        find("list_vms").unwrap(),
        Ok(Output::Json(json!([{"name": "a"}]))),
    );
    assert_eq!(
        r.structured_content,
        Some(json!({"result": [{"name": "a"}]}))
    );
    assert!(r.content[0].as_text().unwrap().text.contains("\"a\""));
    let r = tool_result(
        find("get_vm_info").unwrap(),
        Ok(Output::Json(json!({"name": "a"}))),
    );
    assert_eq!(r.structured_content, Some(json!({"name": "a"})));
    let r = tool_result(
        find("get_vm_info").unwrap(),
        Err(mcvsphere::error::ToolError::new("VM 'x' not found")),
    );
    assert_eq!(r.is_error, Some(true));
    assert_eq!(r.content[0].as_text().unwrap().text, "VM 'x' not found");
}

#[test]
fn families_are_one_table_in_the_contract_order() {
    use mcvsphere::tools::FAMILIES;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/spec/tools.json");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let contract: std::collections::BTreeMap<&str, &str> = spec["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["category"].as_str().unwrap()))
        .collect();
    let mut ids: Vec<&str> = FAMILIES.iter().map(|f| f.id).collect();
    assert_eq!(ids.len(), 13);
    assert_eq!(&ids[..2], ["vm_lifecycle", "power_ops"]);
    ids.sort_unstable();
    let mut categories: Vec<&str> = contract.values().copied().collect();
    categories.sort_unstable();
    categories.dedup();
    assert_eq!(ids, categories, "one family per contract category");
    for f in FAMILIES {
        assert!(!f.title.is_empty() && !f.blurb.is_empty(), "{}", f.id);
    }
    // The registry is the families' lists, in order; categories come from them.
    let from_families: Vec<&str> = FAMILIES
        .iter()
        .flat_map(|f| f.tools.iter().map(|t| t.name))
        .collect();
    let registered: Vec<&str> = registry().iter().map(|t| t.name).collect();
    assert_eq!(registered, from_families);
    for t in registry() {
        assert_eq!(t.category(), contract[t.name], "{}", t.name);
        assert_eq!(t.describe()["category"], contract[t.name]);
    }
}

#[test]
fn every_tool_has_a_valid_example_and_a_failure_case() {
    use mcvsphere::tools::{Args, Failure};
    let object = |what: &str, s: &str| match serde_json::from_str(s) {
        Ok(serde_json::Value::Object(m)) => m,
        other => panic!("{what}: not a JSON object: {other:?}"),
    };
    for t in registry() {
        let args = object(t.name, t.example.args);
        if let Err(e) = Args::new(t, args) {
            panic!("{}: example arguments rejected: {e}", t.name);
        }
        for (tool, a) in t.example.setup {
            let def = find(tool).unwrap_or_else(|| panic!("{}: set-up tool {tool}", t.name));
            Args::new(def, object(tool, a)).unwrap();
        }
        match t.failure {
            Failure::Args { args, expect } => {
                object(t.name, args);
                assert!(!expect.is_empty(), "{}: expects nothing", t.name);
            }
            Failure::Unreachable { expect } => {
                assert!(!expect.is_empty(), "{}: expects nothing", t.name);
            }
        }
    }
}
