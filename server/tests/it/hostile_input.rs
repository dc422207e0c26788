//! Issue 14: hostile input for every registered tool, generated from its
//! parameter table (the same table its JSON schema is made from) with
//! proptest, sent as real `tools/call` requests over the HTTP application
//! (`transport::router`) to a server logged in to the simulator. Wrong
//! types, missing and extra arguments, huge strings, control characters,
//! unicode, path traversal and markup in every string slot. Whatever comes
//! back must be a success or a tool error (or a JSON-RPC invalid-params
//! error), never an HTTP 5xx, and an error never repeats more than a bounded
//! prefix of the input (`tools::echo`).
//!
//! `MCVSPHERE_HOSTILE_CASES=N` runs N cases per tool (default 8) for a
//! longer local run.

use std::time::Duration;

use mcvsphere::tools::{self, ParamType, echo::ECHO_LIMIT};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value as Json, json};

/// The repeated unit of huge strings: periodic, so every window of an echo
/// is one of `UNIT.len()` windows the check can list.
const UNIT: &str = "HOSTILE-";

/// Names the default inventory has, so some cases get past the lookups.
const KNOWN: &[&str] = &[
    "DC0_H0_VM0",
    "DC0_C0_RP0_VM0",
    "DC0_H0",
    "DC0_C0_H0",
    "DC0_C0",
    "LocalDS_0",
    "VM Network",
    "DC0",
];

const NASTY: &[&str] = &[
    "../../../../etc/passwd",
    "..\\..\\..\\Windows\\System32\\config\\SAM",
    "[LocalDS_0] ../../../etc/shadow",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/etc/shadow",
    "/proc/self/environ",
    "C:\\Windows\\..\\..\\boot.ini",
    "a\u{0}b",
    "\u{202e}gpj.exe",
    "\u{1b}[2J\u{1b}[31mred",
    "</name><vim25:evil xmlns:vim25=\"urn:vim25\"/>",
    "<![CDATA[x]]>&amp;&lt;&#0;",
    "'; DROP TABLE vms; --",
    "{}{:?}%s%n%x",
    "$(reboot)`id`",
    "",
    "   ",
    "\t\r\n",
    "ｆｕｌｌｗｉｄｔｈ 名前 🖥️ é\u{301}",
];

fn hostile_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => proptest::sample::select(KNOWN).prop_map(str::to_string),
        3 => proptest::sample::select(NASTY).prop_map(str::to_string),
        2 => "\\PC{0,40}",
        1 => "[\\x00-\\x1f\\x7f]{1,12}",
        2 => (200usize..25_000).prop_map(|n| UNIT.repeat(n)),
    ]
    .boxed()
}

fn hostile_int() -> BoxedStrategy<Json> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(2.5)),
        Just(json!("99999999999999999999999")),
        (-5i64..5000).prop_map(|i| json!(i)),
    ]
    .boxed()
}

/// A value of some other JSON kind than the parameter wants.
fn wrong_kind() -> BoxedStrategy<Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        hostile_string().prop_map(Json::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Json::Array),
            proptest::collection::btree_map("\\PC{0,12}", inner, 0..6)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

fn right_kind(ty: ParamType) -> BoxedStrategy<Json> {
    match ty {
        ParamType::String => hostile_string().prop_map(Json::String).boxed(),
        ParamType::Integer => hostile_int(),
        ParamType::Boolean => prop_oneof![
            any::<bool>().prop_map(Json::Bool),
            Just(json!("TRUE")),
            Just(json!("yes")),
        ]
        .boxed(),
        ParamType::StringArray => proptest::collection::vec(hostile_string(), 0..5)
            .prop_map(|v| json!(v))
            .boxed(),
    }
}

/// One argument object for `def`: each parameter left out, of its kind with
/// hostile content, or of another kind; sometimes arguments it does not have.
fn arguments(def: &'static tools::ToolDef) -> BoxedStrategy<Json> {
    let per_param: Vec<BoxedStrategy<Option<(String, Json)>>> = def
        .params()
        .iter()
        .map(|p| {
            let name = p.name.to_string();
            let (n1, n2) = (name.clone(), name);
            prop_oneof![
                1 => Just(None),
                3 => right_kind(p.ty).prop_map(move |v| Some((n1.clone(), v))),
                1 => wrong_kind().prop_map(move |v| Some((n2.clone(), v))),
            ]
            .boxed()
        })
        .collect();
    let extra = proptest::collection::vec((hostile_string(), wrong_kind()), 0..3);
    (per_param, extra)
        .prop_map(|(given, extra)| {
            let mut m = Map::new();
            for (k, v) in extra {
                m.insert(k, v);
            }
            for (k, v) in given.into_iter().flatten() {
                m.insert(k, v);
            }
            Json::Object(m)
        })
        .boxed()
}

/// Every string in `v` (keys too).
fn strings(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) => out.push(s.clone()),
        Json::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Json::Object(m) => m.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out);
        }),
        _ => {}
    }
}

/// The message must not repeat more than [`ECHO_LIMIT`] characters (plus
/// slack for the quote around it) of any huge input, verbatim or escaped,
/// nor carry raw control characters.
fn check_echo(tool: &str, args: &Json, text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{tool}: error carries a raw control character: {text:?}"
    );
    let mut all = vec![];
    strings(args, &mut all);
    if all
        .iter()
        .any(|s| s.starts_with(UNIT) && s.len() > 4 * ECHO_LIMIT)
    {
        let window = ECHO_LIMIT + 2 * UNIT.len();
        let long = UNIT.repeat(window / UNIT.len() + 2);
        for k in 0..UNIT.len() {
            let w = &long[k..k + window];
            assert!(
                !text.contains(w),
                "{tool}: error repeats more than {ECHO_LIMIT} characters of a huge argument \
                 ({} characters of message)",
                text.len()
            );
        }
    }
    assert!(
        text.chars().count() <= tools::echo::MESSAGE_LIMIT + 100,
        "{tool}: error of {} characters",
        text.chars().count()
    );
}

fn cases() -> u32 {
    std::env::var("MCVSPHERE_HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_hostile_arguments_for_every_tool_get_a_clear_answer() {
    let env = crate::env().await;
    // The whole HTTP application, JSON-RPC guard included.
    let router = mcvsphere::transport::router(env.app(), "127.0.0.1");
    let client = crate::mcp_http::serve_and_open(router).await;
    // Deterministic, so a failure names a case that reproduces.
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let mut id = 1;
    let (mut ok, mut failed) = (0, 0);
    for def in tools::registry() {
        let strategy = arguments(def);
        for _ in 0..cases() {
            let args = strategy.new_tree(&mut runner).unwrap().current();
            id += 1;
            let req = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": def.name, "arguments": args}});
            let answer =
                tokio::time::timeout(Duration::from_secs(120), client.post_raw(&req)).await;
            let Ok((status, msgs)) = answer else {
                panic!("{}: no answer within 120 s to {}", def.name, short(&args));
            };
            assert!(
                status < 500,
                "{}: HTTP {status} for {}",
                def.name,
                short(&args)
            );
            let resp = msgs
                .iter()
                .find(|m| m["id"] == id)
                .unwrap_or_else(|| panic!("{}: no JSON-RPC answer ({status})", def.name));
            if let Some(err) = resp.get("error") {
                assert_eq!(err["code"], -32602, "{}: {err}", def.name);
                check_echo(def.name, &args, err["message"].as_str().unwrap_or(""));
                failed += 1;
                continue;
            }
            let result = &resp["result"];
            let is_error = result["isError"].as_bool().unwrap_or(false);
            let text: String = result["content"]
                .as_array()
                .map(|c| c.iter().filter_map(|b| b["text"].as_str()).collect())
                .unwrap_or_default();
            if is_error {
                assert!(
                    !text.trim().is_empty(),
                    "{}: an error with no words",
                    def.name
                );
                check_echo(def.name, &args, &text);
                failed += 1;
            } else {
                assert!(result["content"].is_array(), "{}: {resp}", def.name);
                ok += 1;
            }
        }
        // The server still answers after each tool's batch.
        let (status, msgs) = client
            .post_raw(&json!({"jsonrpc": "2.0", "id": -1, "method": "ping"}))
            .await;
        assert_eq!(status, 200, "ping after {}", def.name);
        assert!(
            msgs.iter().any(|m| m["id"] == -1),
            "ping after {}",
            def.name
        );
    }
    // A tool name nobody registered, huge and with escapes: invalid params,
    // quoted short.
    let name = format!("{}\u{1b}[2J", UNIT.repeat(20_000));
    let req = json!({"jsonrpc": "2.0", "id": -2, "method": "tools/call",
        "params": {"name": name, "arguments": {}}});
    let (status, msgs) = client.post_raw(&req).await;
    assert!(status < 500, "unknown tool: HTTP {status}");
    let err = &msgs.iter().find(|m| m["id"] == -2).expect("an answer")["error"];
    assert_eq!(err["code"], -32602, "{err}");
    check_echo(
        "an unknown tool",
        &json!({ "name": name }),
        err["message"].as_str().unwrap(),
    );
    eprintln!("hostile input: {ok} successes, {failed} clear failures");
    // The generator must reach both outcomes, or it is not testing much.
    assert!(failed > 0 && ok > 0, "{ok} successes, {failed} failures");
}

fn short(args: &Json) -> String {
    let s = args.to_string();
    if s.len() > 600 {
        let head: String = s.chars().take(600).collect();
        format!("{head}… ({} bytes)", s.len())
    } else {
        s
    }
}
