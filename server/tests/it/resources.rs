//! The resources, read directly.

use mcvsphere::resources::{RESOURCES, ReadError, read};

use crate::env;

#[tokio::test]
async fn every_static_resource_reads_as_a_json_list() {
    let e = env().await;
    for r in RESOURCES {
        let v = read(&e.ctx, r.uri)
            .await
            .unwrap_or_else(|err| panic!("{}: {err:?}", r.uri));
        assert!(!v.as_array().unwrap().is_empty(), "{} is empty", r.uri);
    }
    let vms = read(&e.ctx, "esxi://vms").await.unwrap();
    let text = vms.to_string();
    for m in e.sim.objects("VirtualMachine") {
        let name = e.sim.property(&m, "name").unwrap();
        assert!(text.contains(name.as_str().unwrap()));
    }
    let ds = read(&e.ctx, "esxi://datastores").await.unwrap();
    assert!(ds.to_string().contains("LocalDS_0"));
    let cl = read(&e.ctx, "esxi://clusters").await.unwrap();
    assert!(cl.to_string().contains("DC0_C0"));
    let nets = read(&e.ctx, "esxi://networks").await.unwrap();
    assert!(nets.to_string().contains("VM Network"));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn unknown_resources_and_datastores_are_not_found() {
    let e = env().await;
    assert!(matches!(
        read(&e.ctx, "esxi://nothing").await,
        Err(ReadError::NotFound(_))
    ));
    match read(&e.ctx, "datastore://NoSuchDS").await {
        Err(ReadError::NotFound(m)) => assert!(m.contains("NoSuchDS"), "{m}"),
        other => panic!("{other:?}"),
    }
    // The datastore listing works where the simulator has a browser, else says it cannot.
    match read(&e.ctx, "datastore://LocalDS_0").await {
        Ok(v) => assert!(v.is_array()),
        Err(ReadError::Failed(m)) => assert!(m.contains("LocalDS_0") || !m.is_empty()),
        Err(other) => panic!("{other:?}"),
    }
    e.sim.shutdown().await;
}
