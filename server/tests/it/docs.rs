//! The documentation site's generated pages: the committed files equal what
//! the server renders now (`MCVSPHERE_BLESS=1` rewrites them), and the tool
//! reference says what `tools/list` says — read back from the committed
//! Markdown and compared with the real rmcp handler's answer, with the
//! permission taken from the contract fixture rather than the RBAC table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mcvsphere::audit::AuditLog;
use mcvsphere::docs;
use mcvsphere::rbac::Policy;
use mcvsphere::tools::{Defaults, Permission};
use serde_json::{Value as Json, json};

use crate::mcp_http::{connect, identity};

fn site() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

#[tokio::test]
async fn generated_pages_are_current() {
    let root = site();
    let pages = docs::render().await.unwrap();
    let differing = docs::differing(&root, &pages);
    let stale = docs::stale_files(&root, &pages);
    if (!differing.is_empty() || !stale.is_empty()) && std::env::var_os("MCVSPHERE_BLESS").is_some()
    {
        docs::write(&root, &pages).unwrap();
        return;
    }
    assert!(
        differing.is_empty() && stale.is_empty(),
        "generated docs are stale: {differing:?}, no longer generated: {stale:?}; \
         run `cargo run -p mcvsphere -- docs --out docs` or \
         MCVSPHERE_BLESS=1 cargo test -p mcvsphere generated_pages"
    );
}

#[tokio::test]
async fn rendering_is_deterministic() {
    assert_eq!(docs::render().await.unwrap(), docs::render().await.unwrap());
}

/// What a committed tool page says: its parameters as (type, default)
/// cells, and the permission cell.
#[derive(Debug)]
struct PageFacts {
    params: BTreeMap<String, (String, String)>,
    permission: String,
}

fn read_page(path: &Path) -> PageFacts {
    let text = std::fs::read_to_string(path).unwrap();
    let mut params = BTreeMap::new();
    let mut permission = String::new();
    let mut in_params = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            in_params = line == "## Parameters";
        }
        if let Some(rest) = line.strip_prefix("| Required permission | ") {
            permission = rest
                .split('`')
                .nth(1)
                .unwrap_or_else(|| panic!("{}: permission cell {rest}", path.display()))
                .to_string();
        }
        if in_params && line.starts_with("| `") {
            let cells: Vec<&str> = line.split(" | ").collect();
            let name = cells[0].trim_start_matches("| ").trim_matches('`');
            params.insert(
                name.to_string(),
                (cells[1].to_string(), cells[2].to_string()),
            );
        }
    }
    PageFacts { params, permission }
}

/// The committed tool pages, by tool name (the file stem).
fn committed_tool_pages() -> BTreeMap<String, PathBuf> {
    let dir = site().join(docs::CONTENT).join(docs::TOOLS_DIR);
    let mut out = BTreeMap::new();
    for fam in std::fs::read_dir(&dir).unwrap().flatten() {
        if !fam.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(fam.path()).unwrap().flatten() {
            let p = f.path();
            let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
            assert!(out.insert(stem, p).is_none(), "two pages for one tool");
        }
    }
    out
}

/// A schema's type as the pages write it: a list as `array<item type>`.
fn type_label(schema: &Json) -> String {
    let t = schema["type"].as_str().unwrap();
    match schema["items"]["type"].as_str() {
        Some(item) if t == "array" => format!("array<{item}>"),
        _ => t.to_string(),
    }
}

/// How a page writes a `tools/list` property's type and default.
fn expected_cells(schema: &Json, required: bool) -> (String, String) {
    let ty = match schema.get("type").and_then(Json::as_str) {
        Some(_) => type_label(schema),
        None => {
            let alts: Vec<String> = schema["anyOf"]
                .as_array()
                .unwrap()
                .iter()
                .map(type_label)
                .collect();
            alts.join(" or ")
        }
    };
    let default = if required {
        "required".to_string()
    } else {
        format!("`{}`", schema["default"])
    };
    (ty, default)
}

#[tokio::test]
async fn the_reference_says_what_tools_list_says() {
    let spec: Json = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/spec/tools.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let contract_level: BTreeMap<&str, &str> = spec["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap(),
                t["permission"].as_str().unwrap(),
            )
        })
        .collect();

    let sim = crate::sim().await;
    let client = mcvsphere::vsphere::Client::new(&crate::settings(&sim, crate::PASSWORD)).unwrap();
    let mut state = crate::state(
        client,
        Defaults {
            network: "VM Network".into(),
            ..Default::default()
        },
    );
    state.rbac = Policy::new(Permission::FullAdmin, vec![], true);
    state.audit = AuditLog::discard();
    let s = connect(
        Arc::new(state),
        Some(identity("docs", &["vsphere-super-admins"])),
    )
    .await;
    let (_, r) = s.request("tools/list", json!({})).await;
    let listed = r["result"]["tools"].as_array().unwrap().clone();

    let pages = committed_tool_pages();
    let listed_names: Vec<&str> = listed.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let page_names: Vec<&str> = pages.keys().map(String::as_str).collect();
    let mut sorted = listed_names.clone();
    sorted.sort_unstable();
    assert_eq!(page_names, sorted, "one page per listed tool, no others");

    for t in &listed {
        let name = t["name"].as_str().unwrap();
        let facts = read_page(&pages[name]);
        assert_eq!(facts.permission, contract_level[name], "{name}: permission");
        let schema = &t["inputSchema"];
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        let props = schema["properties"].as_object().unwrap();
        let want: BTreeMap<String, (String, String)> = props
            .iter()
            .map(|(p, ps)| {
                (
                    p.clone(),
                    expected_cells(ps, required.contains(&p.as_str())),
                )
            })
            .collect();
        assert_eq!(facts.params, want, "{name}: parameters");
    }

    // The index states the count against the contract's 94.
    let index = std::fs::read_to_string(
        site()
            .join(docs::CONTENT)
            .join(docs::TOOLS_DIR)
            .join("index.md"),
    )
    .unwrap();
    let total = spec["tools"].as_array().unwrap().len();
    let count = if listed.len() == total {
        format!("all {total} tools")
    } else {
        format!("{} of the {total} tools", listed.len())
    };
    crate::says(&index, &[&count]);
    sim.shutdown().await;
}
