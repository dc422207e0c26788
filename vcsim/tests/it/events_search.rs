use vim25::{Data, Request, Value};

use crate::{logged_in, mo};
use testkit::{vm, wait_task};

fn si() -> vim25::MoRef {
    mo("SearchIndex", "SearchIndex")
}

#[tokio::test]
async fn query_events_filters_by_entity_type_and_count() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    let em = mo("EventManager", "EventManager");
    let q = |f: Data| Request::new("QueryEvents", &em).arg("filter", f);
    let evs = c
        .ok(q(Data::new("EventFilterSpec").with(
            "entity",
            Data::new("EventFilterSpecByEntity")
                .with("entity", &v)
                .with("recursion", "self"),
        )))
        .await
        .expect("events");
    let kinds: Vec<String> = evs
        .as_array()
        .iter()
        .filter_map(Value::as_data)
        .map(|e| e.type_name.to_string())
        .collect();
    // Newest first.
    assert_eq!(kinds, ["VmPoweredOnEvent", "VmPoweredOffEvent"]);
    let e = evs.as_array()[0].as_data().expect("event").clone();
    assert_eq!(e.path("vm.vm").and_then(Value::as_moref), Some(&v));
    assert_eq!(
        e.path("datacenter.name").and_then(Value::as_str),
        Some("DC0")
    );
    assert!(
        e.get("fullFormattedMessage")
            .and_then(Value::as_str)
            .is_some_and(|m| m.contains("powered on"))
    );
    let by_type = c
        .ok(q(Data::new("EventFilterSpec")
            .with("type", vec!["UserLoginSessionEvent"])
            .with("maxCount", 1)))
        .await
        .expect("events");
    assert_eq!(by_type.as_array().len(), 1);
    let latest = sim.property(&em, "latestEvent").expect("latestEvent");
    assert_eq!(
        latest.as_data().map(|d| d.type_name.as_str()),
        Some("VmPoweredOnEvent")
    );
}

#[tokio::test]
async fn search_index_finds_by_path_uuid_and_child() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_C0_RP0_VM1");
    let found = c
        .ok(Request::new("FindByInventoryPath", &si())
            .arg("inventoryPath", "/DC0/vm/DC0_C0_RP0_VM1"))
        .await;
    assert_eq!(found.as_ref().and_then(Value::as_moref), Some(&v));
    let missing = c
        .ok(Request::new("FindByInventoryPath", &si()).arg("inventoryPath", "/DC0/vm/nope"))
        .await;
    assert!(missing.is_none());
    let host = c
        .ok(Request::new("FindByInventoryPath", &si())
            .arg("inventoryPath", "DC0/host/DC0_C0/DC0_C0_H1"))
        .await;
    assert_eq!(
        host.as_ref().and_then(Value::as_moref),
        sim.find("HostSystem", "DC0_C0_H1").as_ref()
    );
    let uuid = testkit::prop_str(&sim, &v, "config.uuid");
    let by_uuid = c
        .ok(Request::new("FindByUuid", &si())
            .arg("uuid", uuid.to_uppercase())
            .arg("vmSearch", true))
        .await;
    assert_eq!(by_uuid.as_ref().and_then(Value::as_moref), Some(&v));
    let iuuid = testkit::prop_str(&sim, &v, "config.instanceUuid");
    let by_iuuid = c
        .ok(Request::new("FindByUuid", &si())
            .arg("uuid", iuuid.as_str())
            .arg("vmSearch", true)
            .arg("instanceUuid", true))
        .await;
    assert_eq!(by_iuuid.as_ref().and_then(Value::as_moref), Some(&v));
    let not_instance = c
        .ok(Request::new("FindByUuid", &si())
            .arg("uuid", iuuid.as_str())
            .arg("vmSearch", true))
        .await;
    assert!(not_instance.is_none());
    let dc = sim.find("Datacenter", "DC0").expect("dc");
    let vm_folder = c
        .ok(Request::new("FindChild", &si())
            .arg("entity", &dc)
            .arg("name", "vm"))
        .await;
    assert_eq!(
        vm_folder.as_ref().and_then(Value::as_moref),
        sim.property(&dc, "vmFolder")
            .as_ref()
            .and_then(Value::as_moref)
    );
}
