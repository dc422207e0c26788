//! One vCenter session for all calls; one re-login when it expires.

use serde_json::json;

use crate::env;

#[tokio::test]
async fn many_calls_share_one_login() {
    let e = env().await;
    for _ in 0..5 {
        e.ok("list_vms", json!({})).await;
        e.ok("get_vm_info", json!({"name": "DC0_H0_VM1"})).await;
    }
    e.ok("power_off", json!({"name": "DC0_H0_VM1"})).await;
    assert_eq!(e.sim.login_count(), 1);
    assert_eq!(e.ctx.client.login_count(), 1);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn concurrent_first_calls_log_in_once() {
    let e = env().await;
    let calls = (0..8).map(|_| e.call("list_vms", json!({})));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(e.sim.login_count(), 1);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_session_is_renewed_once_and_cached_views_are_rebuilt() {
    let e = env().await;
    e.ok("list_vms", json!({})).await;
    assert_eq!(e.sim.login_count(), 1);
    e.sim.expire_sessions();
    // The cached container view died with the session; the call still works.
    let vms = e.json("list_vms", json!({})).await;
    assert_eq!(
        vms.as_array().unwrap().len(),
        e.sim.objects("VirtualMachine").len()
    );
    assert_eq!(e.sim.login_count(), 2);
    e.ok("get_vm_info", json!({"name": "DC0_H0_VM0"})).await;
    e.sim.expire_sessions();
    e.ok("power_off", json!({"name": "DC0_H0_VM0"})).await;
    assert_eq!(e.power("DC0_H0_VM0"), "poweredOff");
    assert_eq!(e.sim.login_count(), 3);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_vcenter_is_a_clear_error() {
    let sim = crate::sim().await;
    let mut s = crate::settings(&sim, crate::PASSWORD);
    sim.shutdown().await;
    s.url = url::Url::parse(&format!("http://127.0.0.1:{}/sdk", s.url.port().unwrap())).unwrap();
    let client = mcvsphere::vsphere::Client::new(&s).unwrap();
    let ctx = std::sync::Arc::new(crate::state(client, Default::default()));
    let err = mcvsphere::tools::call(&ctx.tools, "list_vms", json!({}))
        .await
        .unwrap_err();
    crate::says(&err.0, &["cannot reach vCenter"]);
}

/// A listing larger than one PropertyCollector page is complete: the client
/// follows `ContinueRetrievePropertiesEx` tokens to the last page.
#[tokio::test]
async fn a_listing_larger_than_one_page_is_complete() {
    let sim = crate::sim().await;
    let vms_in_sim = sim.objects("VirtualMachine");
    assert!(
        vms_in_sim.len() > 3,
        "the default inventory has several VMs"
    );
    let mut want: Vec<String> = vms_in_sim
        .iter()
        .filter_map(|vm| sim.property(vm, "name"))
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    want.sort();
    let page_size = 3;
    let client = mcvsphere::vsphere::Client::with_page_size(
        &crate::settings(&sim, crate::PASSWORD),
        page_size,
    )
    .unwrap();
    let ctx = std::sync::Arc::new(crate::state(client.clone(), Default::default()));
    let listed = mcvsphere::tools::call(&ctx.tools, "list_vms", json!({}))
        .await
        .unwrap();
    let mcvsphere::tools::Output::Json(listed) = listed else {
        panic!("list_vms answers JSON");
    };
    let got: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|vm| vm["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, want);
    let pages = client.pages_read();
    assert_eq!(
        pages,
        want.len().div_ceil(page_size) as u64,
        "read in pages of {page_size}"
    );
    sim.shutdown().await;
}

/// Once a VM's name is known, `get_vm_info` confirms it with the same read
/// that fetches the VM: two PropertyCollector reads (the VM, then the names
/// of what it refers to), not a separate check first. A rename is still seen.
#[tokio::test]
async fn get_vm_info_of_a_known_vm_is_two_reads_and_sees_a_rename() {
    let e = env().await;
    let first = e.json("get_vm_info", json!({"name": "DC0_H0_VM0"})).await;
    assert_eq!(first["name"], "DC0_H0_VM0");
    let before = e.ctx.client.pages_read();
    let again = e.json("get_vm_info", json!({"name": "DC0_H0_VM0"})).await;
    assert_eq!(again, first);
    assert_eq!(e.ctx.client.pages_read() - before, 2);
    e.ok(
        "rename_vm",
        json!({"name": "DC0_H0_VM0", "new_name": "renamed-vm"}),
    )
    .await;
    let gone = e.fails("get_vm_info", json!({"name": "DC0_H0_VM0"})).await;
    assert!(gone.contains("not found"), "{gone}");
    let renamed = e.json("get_vm_info", json!({"name": "renamed-vm"})).await;
    assert_eq!(renamed["name"], "renamed-vm");
    assert_eq!(renamed["uuid"], first["uuid"]);
    e.sim.shutdown().await;
}
