//! The runner's report: one [`CheckResult`] per check, written as
//! `report.json` (for machines) and `report.md` (for people). Secrets are
//! scrubbed from every string before anything is written.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value as Json;

/// Whether a check only reads or may change vCenter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Read,
    Write,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub family: String,
    /// The tool (or resource URI) the check exercises; `None` for protocol checks.
    pub tool: Option<String>,
    pub description: String,
    pub mode: Mode,
    pub status: Status,
    pub message: String,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
}

/// What was tested. Never holds the password.
#[derive(Clone, Debug, Serialize)]
pub struct TargetInfo {
    /// `simulator` or `vcenter`.
    pub kind: String,
    pub host: String,
    pub user: String,
    pub insecure: bool,
    pub transport: String,
    pub writes_allowed: bool,
    pub scratch_vm: Option<String>,
    pub server_binary: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ToolCoverage {
    /// Tools in the contract.
    pub contract: usize,
    /// Tools this server lists.
    pub registered: usize,
    /// Registered tools with at least one check that passed.
    pub passed: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub runner_version: String,
    pub target: TargetInfo,
    pub server_name: Option<String>,
    pub server_version: Option<String>,
    pub protocol_version: Option<String>,
    /// vCenter's `about` (from `get_vcenter_info`); omitted when no tool provides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vcenter_about: Option<Json>,
    /// Object counts from the `esxi://` resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Json>,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub tools: ToolCoverage,
    pub counts: Counts,
    pub checks: Vec<CheckResult>,
}

impl Report {
    pub fn count(checks: &[CheckResult]) -> Counts {
        let n = |s: Status| checks.iter().filter(|c| c.status == s).count();
        Counts {
            total: checks.len(),
            pass: n(Status::Pass),
            fail: n(Status::Fail),
            skip: n(Status::Skip),
        }
    }

    pub fn failed(&self) -> bool {
        self.counts.fail > 0
    }

    /// Writes `report.json` and `report.md` into `dir` (created if missing),
    /// with every occurrence of a `secrets` entry replaced.
    pub fn write(&self, dir: &Path, secrets: &[String]) -> Result<(PathBuf, PathBuf)> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating report directory {}", dir.display()))?;
        let clean = self.scrubbed(secrets);
        let json = serde_json::to_value(&clean).context("serialising the report")?;
        let json_path = dir.join("report.json");
        let md_path = dir.join("report.md");
        // From the struct, not the Value: keeps the fields in declaration order.
        let text = serde_json::to_string_pretty(&clean).context("serialising the report")?;
        std::fs::write(&json_path, text + "\n")
            .with_context(|| format!("writing {}", json_path.display()))?;
        let md = scrub(&render_markdown(&json), secrets);
        std::fs::write(&md_path, md).with_context(|| format!("writing {}", md_path.display()))?;
        Ok((json_path, md_path))
    }
}

impl Report {
    /// A copy with every secret replaced in every string, done on the
    /// strings themselves (not on serialised JSON, where escaping could hide one).
    pub fn scrubbed(&self, secrets: &[String]) -> Report {
        let sc = |s: &str| scrub(s, secrets);
        let sco = |s: &Option<String>| s.as_deref().map(sc);
        let mut r = self.clone();
        let t = &mut r.target;
        t.host = sc(&t.host);
        t.user = sc(&t.user);
        t.server_binary = sc(&t.server_binary);
        t.scratch_vm = sco(&t.scratch_vm);
        r.server_name = sco(&r.server_name);
        r.server_version = sco(&r.server_version);
        r.protocol_version = sco(&r.protocol_version);
        for j in [&mut r.vcenter_about, &mut r.inventory]
            .into_iter()
            .flatten()
        {
            scrub_json(j, secrets);
        }
        for c in &mut r.checks {
            c.id = sc(&c.id);
            c.tool = sco(&c.tool);
            c.description = sc(&c.description);
            c.message = sc(&c.message);
        }
        r
    }
}

/// `text` with each non-empty secret replaced by `[redacted]`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "[redacted]"))
}

fn scrub_json(v: &mut Json, secrets: &[String]) {
    match v {
        Json::String(s) => *s = scrub(s, secrets),
        Json::Array(a) => a.iter_mut().for_each(|x| scrub_json(x, secrets)),
        Json::Object(m) => m.values_mut().for_each(|x| scrub_json(x, secrets)),
        _ => {}
    }
}

/// A table cell: one line, pipes escaped, long messages cut.
fn cell(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = one_line.chars().take(300).collect();
    let cut = if cut.len() < one_line.len() {
        format!("{cut}…")
    } else {
        cut
    };
    cut.replace('|', "\\|")
}

fn s<'a>(v: &'a Json, key: &str) -> &'a str {
    v.get(key).and_then(Json::as_str).unwrap_or("")
}

fn n(v: &Json, key: &str) -> u64 {
    v.get(key).and_then(Json::as_u64).unwrap_or(0)
}

/// The Markdown summary, rendered from the (already scrubbed) JSON report so
/// both files say the same thing.
fn render_markdown(r: &Json) -> String {
    let null = Json::Null;
    let t = r.get("target").unwrap_or(&null);
    let c = r.get("counts").unwrap_or(&null);
    let tools = r.get("tools").unwrap_or(&null);
    let verdict = if n(c, "fail") == 0 { "PASS" } else { "FAIL" };
    let mut out = String::new();
    out.push_str(&format!("# mcvsphere conformance report: {verdict}\n\n"));
    out.push_str(&format!(
        "**{} checks: {} passed, {} failed, {} skipped.** Tools: {} of {} contract tools registered, {} with a passing check.\n\n",
        n(c, "total"),
        n(c, "pass"),
        n(c, "fail"),
        n(c, "skip"),
        n(tools, "registered"),
        n(tools, "contract"),
        n(tools, "passed"),
    ));
    out.push_str("| | |\n|---|---|\n");
    let writes = if t.get("writes_allowed").and_then(Json::as_bool) == Some(true) {
        match t.get("scratch_vm").and_then(Json::as_str) {
            Some(vm) => format!("allowed (scratch VM `{vm}`)"),
            None => "allowed".to_string(),
        }
    } else {
        "not allowed (read-only)".to_string()
    };
    let rows = [
        ("target", format!("{} `{}`", s(t, "kind"), s(t, "host"))),
        ("user", format!("`{}`", s(t, "user"))),
        ("transport", s(t, "transport").to_string()),
        ("writes", writes),
        (
            "server",
            format!("{} {}", s(r, "server_name"), s(r, "server_version")),
        ),
        ("protocol", s(r, "protocol_version").to_string()),
        (
            "vCenter",
            r.get("vcenter_about")
                .map(|a| format!("{} (build {})", s(a, "full_name"), s(a, "build")))
                .unwrap_or_else(|| "about not available (no get_vcenter_info tool)".into()),
        ),
        (
            "inventory",
            r.get("inventory")
                .and_then(Json::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{v} {k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_else(|| "not read".into()),
        ),
        (
            "time",
            format!(
                "{} → {} ({} ms)",
                s(r, "started_at"),
                s(r, "finished_at"),
                n(r, "duration_ms")
            ),
        ),
    ];
    for (k, v) in rows {
        out.push_str(&format!("| {k} | {} |\n", cell(&v)));
    }
    out.push_str("\n| check | tool | result | message | time (ms) |\n|---|---|---|---|---:|\n");
    let empty = vec![];
    let checks = r.get("checks").and_then(Json::as_array).unwrap_or(&empty);
    // Failures first: the reader came for them.
    let order = ["fail", "pass", "skip"];
    for status in order {
        for ch in checks.iter().filter(|ch| s(ch, "status") == status) {
            let mark = match status {
                "fail" => "**FAIL**",
                "pass" => "pass",
                _ => "skip",
            };
            out.push_str(&format!(
                "| `{}` | {} | {mark} | {} | {} |\n",
                s(ch, "id"),
                ch.get("tool")
                    .and_then(Json::as_str)
                    .map(|t| format!("`{t}`"))
                    .unwrap_or_default(),
                cell(s(ch, "message")),
                n(ch, "duration_ms"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed_from_nested_json() {
        let mut v = serde_json::json!({"a": "pw=hunter2!", "b": ["x hunter2! y"], "c": 3});
        scrub_json(&mut v, &["hunter2!".to_string(), String::new()]);
        let text = v.to_string();
        assert!(!text.contains("hunter2!"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }

    #[test]
    fn written_reports_never_contain_a_secret() {
        let pw = "p\"w\\secret".to_string();
        let check = CheckResult {
            id: "x".into(),
            family: "f".into(),
            tool: Some("t".into()),
            description: "d".into(),
            mode: Mode::Read,
            status: Status::Fail,
            message: format!("login with {pw} failed"),
            duration_ms: 1,
        };
        let r = Report {
            runner_version: "0".into(),
            target: TargetInfo {
                kind: "vcenter".into(),
                host: "vc".into(),
                user: format!("u-{pw}"),
                insecure: false,
                transport: "stdio".into(),
                writes_allowed: false,
                scratch_vm: None,
                server_binary: "s".into(),
            },
            server_name: None,
            server_version: None,
            protocol_version: None,
            vcenter_about: Some(serde_json::json!({"note": pw})),
            inventory: None,
            started_at: String::new(),
            finished_at: String::new(),
            duration_ms: 0,
            tools: ToolCoverage {
                contract: 1,
                registered: 1,
                passed: 0,
            },
            counts: Report::count(std::slice::from_ref(&check)),
            checks: vec![check],
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let (json, md) = r
            .write(dir.path(), std::slice::from_ref(&pw))
            .expect("written");
        for p in [json, md] {
            let text = std::fs::read_to_string(&p).expect("readable");
            assert!(!text.contains(&pw), "{}: {text}", p.display());
            assert!(!text.contains("secret"), "{}: {text}", p.display());
            assert!(text.contains("[redacted]"), "{}: {text}", p.display());
        }
    }

    #[test]
    fn cells_are_one_line_with_pipes_escaped() {
        assert_eq!(cell("a |\n b"), "a \\| b");
        assert!(cell(&"x".repeat(500)).ends_with('…'));
    }
}
