//! The tool reference: one page per registered tool (with its example run
//! against a fresh simulator), the index by family and the sidebar.

use std::fmt::Write as _;

use anyhow::Context;
use serde_json::{Map, Value as Json, json};

use super::{CONTENT, Page, SIDEBAR, TOOLS_DIR, anchor, cell, frontmatter, pretty, sim_state};
use crate::rbac::{self, Permission};
use crate::tools::{self, DefaultValue, FAMILIES, Family, ToolDef};

/// The example arguments, from the tool's definition.
pub fn example_args(def: &ToolDef) -> anyhow::Result<Map<String, Json>> {
    match serde_json::from_str(def.example.args) {
        Ok(Json::Object(m)) => Ok(m),
        _ => anyhow::bail!(
            "the example arguments of {} are not a JSON object",
            def.name
        ),
    }
}

/// Runs the example call against a fresh simulator; the `tools/call` result
/// a client would get, as JSON.
async fn example_result(def: &ToolDef, args: &Map<String, Json>) -> anyhow::Result<Json> {
    let (sim, ctx) = sim_state().await?;
    for (tool, a) in def.example.setup {
        let a: Json = serde_json::from_str(a).context("example set-up arguments")?;
        tools::call(&ctx, tool, a)
            .await
            .map_err(|e| anyhow::anyhow!("example set-up {tool} for {}: {e}", def.name))?;
    }
    let out = tools::call(&ctx, def.name, Json::Object(args.clone())).await;
    let r = crate::mcp::tool_result(def, out);
    ctx.client.logout().await;
    sim.shutdown().await;
    let mut v = serde_json::to_value(&r).context("serialising the example result")?;
    // The text content repeats the structured content; show it once.
    if let Some(m) = v.as_object_mut()
        && m.contains_key("structuredContent")
    {
        m.remove("content");
    }
    steady_times(&mut v);
    steady_samples(&mut v);
    Ok(v)
}

/// A host's CPU and memory usage follow the simulator's 20-second samples,
/// which are numbered by the wall clock, so they differ between runs; the
/// page shows the figures of one fixed sample instead (and says so).
const SAMPLED: &[(&str, f64)] = &[
    ("cpu_usage_mhz", 75.0),
    ("cpu_usage_percent", 0.85),
    ("memory_usage_mb", 1258.0),
    ("memory_usage_percent", 30.71),
];

/// Whether a page's example result carries [`SAMPLED`] figures.
fn has_samples(v: &Json) -> bool {
    match v {
        Json::Array(a) => a.iter().any(has_samples),
        Json::Object(m) => {
            m.contains_key("cpu_usage_mhz") && m.contains_key("connection_state")
                || m.values().any(has_samples)
        }
        _ => false,
    }
}

fn steady_samples(v: &mut Json) {
    match v {
        Json::Array(a) => a.iter_mut().for_each(steady_samples),
        Json::Object(m) => {
            // Hosts only (they carry a connection state); a VM's figures are steady.
            if m.contains_key("connection_state") {
                for (k, shown) in SAMPLED {
                    if let Some(x) = m.get_mut(*k)
                        && x.is_number()
                    {
                        *x = if shown.fract() == 0.0 {
                            json!(*shown as i64)
                        } else {
                            json!(shown)
                        };
                    }
                }
            }
            m.values_mut().for_each(steady_samples);
        }
        _ => {}
    }
}

/// Times the simulator stamps (a snapshot's `created`, a file's `modified`)
/// differ on every run; the page shows one fixed time instead, so
/// regenerating it changes nothing.
pub(super) fn steady_times(v: &mut Json) {
    const SHOWN: &str = "2026-01-01T12:00:00.000Z";
    const SHOWN_SECONDS: &str = "2026-01-01T12:00:00Z";
    let like = |s: &str, pattern: &str| {
        let b = s.as_bytes();
        b.len() == pattern.len()
            && b.iter().zip(pattern.as_bytes()).all(|(c, p)| {
                if p.is_ascii_digit() {
                    c.is_ascii_digit()
                } else {
                    c == p
                }
            })
    };
    match v {
        Json::String(s) if like(s, SHOWN) => *s = SHOWN.to_string(),
        Json::String(s) if like(s, SHOWN_SECONDS) => *s = SHOWN_SECONDS.to_string(),
        Json::Array(a) => a.iter_mut().for_each(steady_times),
        Json::Object(m) => m.values_mut().for_each(steady_times),
        _ => {}
    }
}

/// `string`, or `string or null` for nullable parameters.
pub fn type_label(p: &tools::Param) -> String {
    match p.default {
        DefaultValue::Null => format!("{} or null", p.ty.label()),
        _ => p.ty.label().to_string(),
    }
}

/// `required`, or the default as JSON in backticks.
pub fn default_label(p: &tools::Param) -> String {
    match p.default {
        DefaultValue::Required => "required".into(),
        DefaultValue::Null => "`null`".into(),
        DefaultValue::Int(i) => format!("`{i}`"),
        DefaultValue::Str(s) => format!("`{}`", json!(s)),
        DefaultValue::Bool(b) => format!("`{b}`"),
    }
}

pub(super) fn tool_link(def: &ToolDef) -> String {
    format!("/{TOOLS_DIR}/{}/{}/", def.category(), def.name)
}

pub(super) async fn tool_page(def: &ToolDef) -> anyhow::Result<Page> {
    let mut s = frontmatter(def.name, def.title);
    let level = def.permission();
    let _ = writeln!(s, "**{}** — {}\n", def.title, def.description);
    s.push_str("| property | value |\n|---|---|\n");
    let family = def.family().map_or(def.category(), |f| f.title);
    let _ = writeln!(
        s,
        "| Family | [{family}](/{TOOLS_DIR}/#{}) |",
        anchor(family)
    );
    let _ = writeln!(
        s,
        "| Required permission | {} |",
        level.map_or(
            "none (not in the permission table: no one may call it)".into(),
            |p| { format!("[`{p}`](/reference/permissions/#levels)", p = p.as_str()) }
        )
    );
    let ann = serde_json::to_value(def.annotations()).unwrap_or(Json::Null);
    let hints: Vec<String> = ann
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.ends_with("Hint"))
        .map(|(k, v)| format!("`{k}: {v}`"))
        .collect();
    let _ = writeln!(
        s,
        "| MCP annotations | {} |",
        if hints.is_empty() {
            "none".to_string()
        } else {
            hints.join(", ")
        }
    );
    let returns = match def.returns {
        tools::Returns::Text => "a sentence (`{\"result\": \"…\"}`)",
        tools::Returns::Object => "one JSON object",
        tools::Returns::List => "a list of objects (`{\"result\": […]}`)",
    };
    let _ = writeln!(s, "| Returns | {returns} |\n");

    s.push_str("## Parameters\n\n");
    if def.params().is_empty() {
        s.push_str("None.\n\n");
    } else {
        s.push_str("| name | type | default | description |\n|---|---|---|---|\n");
        for p in def.params() {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} |",
                p.name,
                type_label(p),
                default_label(p),
                cell(p.description)
            );
        }
        s.push('\n');
    }

    let args = example_args(def)?;
    // Built by hand so `name` comes before `arguments`, as people write it.
    let call = format!(
        "{{\n  \"name\": {},\n  \"arguments\": {}\n}}",
        json!(def.name),
        pretty(&Json::Object(args.clone())).replace('\n', "\n  ")
    );
    let _ = writeln!(
        s,
        "## Example\n\nThe params of a `tools/call` request:\n\n```json\n{call}\n```\n"
    );
    let setup: Vec<String> = def
        .example
        .setup
        .iter()
        .map(|(tool, a)| format!("`{tool}` `{a}`"))
        .collect();
    let after = if setup.is_empty() {
        String::new()
    } else {
        format!(", after {}", setup.join(", "))
    };
    let result = example_result(def, &args).await?;
    let sampled = if has_samples(&result) {
        "; a host's CPU and memory usage move with the simulator's 20-second samples, shown here as of one fixed sample"
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "The result against the built-in simulator (`mcvsphere --simulator`, default inventory{after}{sampled}):\n\n```json\n{}\n```\n",
        pretty(&result)
    );
    // A tool that returns a picture shows it, as an MCP client would.
    if let Some(data) = result
        .pointer("/structuredContent/image_base64")
        .and_then(Json::as_str)
    {
        let _ = writeln!(
            s,
            "The picture in that result:\n\n![The example result's image](data:image/png;base64,{data})\n"
        );
    }
    let _ = writeln!(
        s,
        "<details>\n<summary>Input schema (as in <code>tools/list</code>)</summary>\n\n```json\n{}\n```\n\n</details>",
        pretty(&Json::Object(def.input_schema()))
    );
    Ok(Page {
        path: format!("{CONTENT}/{TOOLS_DIR}/{}/{}.md", def.category(), def.name),
        text: s,
    })
}

/// The families that register tools, in the contract's order.
fn by_family() -> impl Iterator<Item = &'static Family> {
    FAMILIES.iter().filter(|f| !f.tools.is_empty())
}

pub(super) fn tools_index() -> Page {
    let total = rbac::TABLE.len();
    let have = tools::registry().len();
    let mut s = frontmatter(
        "Tools",
        "Every tool this build of mcvsphere registers, by family.",
    );
    if have == total {
        let _ = writeln!(
            s,
            "This build registers **all {total} tools** in the contract, each with its \
             page here: parameters, an example call and its real result against the \
             simulator, and how it fails.\n"
        );
    } else {
        let _ = writeln!(
            s,
            "This build registers **{have} of the {total} tools** in the contract. Only \
             registered tools have pages here; the others appear in the \
             [permission table](/reference/permissions/) as not yet available.\n"
        );
    }
    for family in by_family() {
        let _ = writeln!(s, "## {}\n", family.title);
        if !family.blurb.is_empty() {
            let _ = writeln!(s, "{}\n", family.blurb);
        }
        s.push_str("| tool | what it does | permission |\n|---|---|---|\n");
        for d in family.tools {
            let _ = writeln!(
                s,
                "| [`{}`]({}) | {} | `{}` |",
                d.name,
                tool_link(d),
                cell(d.title),
                d.permission().map_or("none", Permission::as_str)
            );
        }
        s.push('\n');
    }
    Page {
        path: format!("{CONTENT}/{TOOLS_DIR}/index.md"),
        text: s,
    }
}

pub(super) fn sidebar() -> Page {
    let groups: Vec<Json> = by_family()
        .map(|family| {
            json!({
                "label": family.title,
                "collapsed": false,
                "items": family.tools.iter().map(|d| json!({
                    "label": d.name,
                    "link": tool_link(d),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Page {
        path: SIDEBAR.into(),
        text: format!("{}\n", pretty(&Json::Array(groups))),
    }
}
