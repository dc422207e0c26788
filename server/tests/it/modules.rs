//! The server's top-level modules form no import cycle: reading the sources,
//! every `crate::x` reference (outside comments) is an edge from the module
//! the file belongs to to `x`, and the graph must be acyclic. A cycle (as
//! config → tools → rbac → config once was) makes modules impossible to
//! understand or test one at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module a file under `src/` belongs to: `tools/vm.rs` → `tools`.
fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Source text without `//` comments (doc comments name modules freely).
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Top-level module names referenced as `crate::x` or `crate::{x, y::z}`.
fn references(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        // `$crate::` in macros is the same crate.
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start && depth == 1 => {
                        out.insert(ident_at(&group[j..]).to_string());
                        start = false;
                    }
                    _ => start = false,
                }
            }
        } else {
            out.insert(ident_at(rest).to_string());
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// The module graph: module → modules it references.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = src_dir();
    let mut files = vec![];
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let m = top_module(&src, &f);
        if m == "lib" || m == "main" {
            continue;
        }
        let code = code_only(&std::fs::read_to_string(&f).unwrap());
        let entry = g.entry(m.clone()).or_default();
        entry.extend(references(&code).into_iter().filter(|r| *r != m));
    }
    g
}

/// A cycle in `g`, as the path of modules that closes it, if there is one.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        m: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(g, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys().find_map(|m| visit(g, m, &mut vec![], &mut done))
}

#[test]
fn the_reference_parser_sees_paths_and_groups_but_not_comments() {
    let code = code_only(
        "use crate::config::X;\nuse crate::{logging, tools::{a, b}, transport};\n\
         // see crate::mcp\nlet x = crate::error::explain(); /// crate::docs\n",
    );
    let got: Vec<String> = references(&code).into_iter().collect();
    assert_eq!(got, ["config", "error", "logging", "tools", "transport"]);
}

#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let edge = |g: &mut BTreeMap<String, BTreeSet<String>>, a: &str, b: &str| {
        g.entry(a.into()).or_default().insert(b.into());
    };
    edge(&mut g, "config", "permission");
    edge(&mut g, "tools", "rbac");
    assert_eq!(find_cycle(&g), None);
    edge(&mut g, "rbac", "config");
    edge(&mut g, "config", "tools");
    assert_eq!(
        find_cycle(&g),
        Some(vec![
            "config".into(),
            "tools".into(),
            "rbac".into(),
            "config".into()
        ])
    );
}

#[test]
fn the_top_level_modules_have_no_import_cycle() {
    let g = graph();
    // The graph is read from the real tree: the modules that matter are in it.
    for m in ["config", "tools", "rbac", "audit", "permission", "mcp"] {
        assert!(g.contains_key(m), "module {m} not found under src/");
    }
    assert!(
        g["permission"].is_empty(),
        "permission must be a leaf, references {:?}",
        g["permission"]
    );
    // Handlers get the vSphere client and defaults; auditing is the MCP layer's.
    assert!(
        !g["tools"].contains("audit") && !g["tools"].contains("mcp"),
        "tools reaches into the MCP layer: {:?}",
        g["tools"]
    );
    if let Some(cycle) = find_cycle(&g) {
        panic!("import cycle: {}", cycle.join(" → "));
    }
}
