//! `tools/list` against the contract in fixtures/spec/tools.json.

use std::collections::BTreeSet;

use conformance::contract;

use crate::harness;

#[test]
fn fixture_contract_is_in_sync_with_shared_spec() {
    // The shared spec sits beside the repository in development and CI; the
    // fixture is the copy tests read. They must not drift apart.
    let shared = contract::workspace_root().join("../shared/spec/tools.json");
    let Ok(shared) = std::fs::read_to_string(&shared) else {
        // A checkout without shared/ beside it has nothing to compare with.
        eprintln!(
            "no shared spec at {}; fixture sync not checked",
            shared.display()
        );
        return;
    };
    let fixture = std::fs::read_to_string(contract::contract_path()).unwrap();
    assert!(
        shared == fixture,
        "fixtures/spec/tools.json differs from ../shared/spec/tools.json: copy it over"
    );
}

#[tokio::test]
async fn registered_tools_match_the_contract() {
    let h = harness().await;
    let c = contract::load().unwrap();
    let tools = h.client().list_all_tools().await.unwrap();
    assert!(!tools.is_empty());
    let mut diffs = vec![];
    let mut families = BTreeSet::new();
    for t in &tools {
        let json = serde_json::to_value(t).unwrap();
        match c.tool(&t.name) {
            None => diffs.push(format!("{} is not in the contract", t.name)),
            Some(ct) => {
                families.insert(ct.category.clone());
                diffs.extend(contract::differences(ct, &json));
            }
        }
    }
    assert!(
        diffs.is_empty(),
        "tools/list differs from the contract:\n{}",
        diffs.join("\n")
    );
    // Families land whole: every tool of a family that is present is registered.
    let names: BTreeSet<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for fam in &families {
        for ct in c.category(fam) {
            assert!(
                names.contains(ct.name.as_str()),
                "family {fam} is registered but {} is missing",
                ct.name
            );
        }
    }
    for fam in ["vm_lifecycle", "power_ops", "snapshots"] {
        assert!(families.contains(fam), "family {fam} is not registered");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn simulator_mode_over_stdio_lists_exactly_the_contract_tools() {
    use rmcp::ServiceExt;
    use rmcp::transport::TokioChildProcess;
    // `mcvsphere --simulator` with nothing else configured: what a newcomer runs.
    let mut cmd = conformance::hermetic_command().unwrap();
    cmd.arg("--simulator");
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    let c = contract::load().unwrap();
    // The families this build implements, each complete.
    let implemented = [
        "vm_lifecycle",
        "power_ops",
        "snapshots",
        "console",
        "disk_management",
        "nic_management",
        "serial_port",
        "guest_ops",
        "resources",
        "host_management",
        "monitoring",
        "vcenter_ops",
        "ovf_management",
    ];
    let expected: BTreeSet<&str> = c
        .tools
        .iter()
        .filter(|t| implemented.contains(&t.category.as_str()))
        .map(|t| t.name.as_str())
        .collect();
    let got: BTreeSet<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(got, expected);
    assert_eq!(got.len(), 94);
    for t in &tools {
        let diffs =
            contract::differences(c.tool(&t.name).unwrap(), &serde_json::to_value(t).unwrap());
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    }
    // The banner goes to stderr, never into the JSON-RPC stream.
    drop(client);
    let mut banner = String::new();
    if let Some(mut e) = stderr {
        use tokio::io::AsyncReadExt;
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            e.read_to_string(&mut banner),
        )
        .await;
    }
    assert!(
        banner.to_lowercase().contains("simulator"),
        "banner on stderr: {banner}"
    );
}
