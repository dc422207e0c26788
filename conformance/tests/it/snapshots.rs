//! snapshots tools through the real binary: a take, revert and delete round
//! trip with the effect read from the simulator's snapshot tree.

use serde_json::json;

use crate::{harness, says};

const VM: &str = "DC0_H0_VM0";

/// The root snapshot names of `VM` in the simulator.
fn roots(h: &conformance::Harness) -> Vec<String> {
    testkit::vm_prop(&h.sim, VM, "snapshot.rootSnapshotList")
        .map(|l| {
            l.as_array()
                .iter()
                .filter_map(|n| n.as_data()?.get("name")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn take_revert_and_delete_a_snapshot() {
    let h = harness().await;
    h.ok(
        "create_snapshot",
        json!({"name": VM, "snapshot_name": "base"}),
    )
    .await;
    assert_eq!(roots(&h), ["base"]);
    h.ok("power_off", json!({"name": VM})).await;
    h.ok(
        "revert_to_snapshot",
        json!({"name": VM, "snapshot_name": "base"}),
    )
    .await;
    assert_eq!(h.power_state(VM), "poweredOn");
    let listed = h.ok("list_snapshots", json!({"name": VM})).await;
    let s = listed.structured.expect("structured result");
    assert_eq!(s["result"][0]["name"], "base");
    assert_eq!(s["result"][0]["is_current"], true);
    h.ok(
        "delete_snapshot",
        json!({"name": VM, "snapshot_name": "base"}),
    )
    .await;
    assert!(roots(&h).is_empty());
    says(
        &h.fails("revert_to_current_snapshot", json!({"name": VM}))
            .await,
        &["VM 'DC0_H0_VM0' has no snapshots"],
    );
    h.shutdown().await;
}
