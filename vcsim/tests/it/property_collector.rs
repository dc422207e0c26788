use vim25::{Data, MoRef, Request, Value};

use crate::{fault_type, logged_in, mo, obj_spec, pc};
use testkit::vm;

fn container_view_spec(view: &MoRef, kind: &str, paths: &[&str]) -> Data {
    Data::new("PropertyFilterSpec")
        .with(
            "propSet",
            vec![
                Data::new("PropertySpec")
                    .with("type", kind)
                    .with("pathSet", paths.to_vec()),
            ],
        )
        .with(
            "objectSet",
            vec![
                Data::new("ObjectSpec")
                    .with("obj", view)
                    .with("skip", true)
                    .with(
                        "selectSet",
                        vec![
                            Data::new("TraversalSpec")
                                .with("name", "traverseEntities")
                                .with("type", "ContainerView")
                                .with("path", "view")
                                .with("skip", false),
                        ],
                    ),
            ],
        )
}

async fn view_of(c: &crate::Client, kind: &str) -> MoRef {
    c.ok(
        Request::new("CreateContainerView", &mo("ViewManager", "ViewManager"))
            .arg("container", mo("Folder", "group-d1"))
            .arg("type", vec![kind])
            .arg("recursive", true),
    )
    .await
    .and_then(|v| v.as_moref().cloned())
    .expect("view")
}

fn objects(r: &Option<Value>) -> Vec<Data> {
    r.as_ref()
        .and_then(|v| v.path("objects"))
        .map(|v| {
            v.as_array()
                .iter()
                .filter_map(Value::as_data)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn prop<'a>(oc: &'a Data, name: &str) -> Option<&'a Value> {
    oc.get("propSet")?
        .as_array()
        .iter()
        .filter_map(Value::as_data)
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))?
        .get("val")
}

#[tokio::test]
async fn container_view_lists_vms_with_nested_properties() {
    let (_sim, c) = logged_in().await;
    let view = view_of(&c, "VirtualMachine").await;
    let r = c
        .ok(Request::new("RetrievePropertiesEx", &pc())
            .arg(
                "specSet",
                vec![container_view_spec(
                    &view,
                    "VirtualMachine",
                    &[
                        "name",
                        "runtime.powerState",
                        "config.hardware.numCPU",
                        "datastore",
                    ],
                )],
            )
            .arg("options", Data::new("RetrieveOptions")))
        .await;
    let objs = objects(&r);
    let mut names: Vec<String> = objs
        .iter()
        .filter_map(|o| prop(o, "name").and_then(Value::as_str).map(str::to_string))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "DC0_C0_RP0_VM0",
            "DC0_C0_RP0_VM1",
            "DC0_H0_VM0",
            "DC0_H0_VM1"
        ]
    );
    for o in &objs {
        assert_eq!(
            prop(o, "runtime.powerState").and_then(Value::as_str),
            Some("poweredOn")
        );
        assert_eq!(
            prop(o, "config.hardware.numCPU").and_then(Value::as_i64),
            Some(1)
        );
        assert_eq!(prop(o, "datastore").map(|v| v.as_array().len()), Some(1));
    }
}

#[tokio::test]
async fn base_type_filters_and_non_recursive_views() {
    let (_sim, c) = logged_in().await;
    let all = c
        .ok(
            Request::new("CreateContainerView", &mo("ViewManager", "ViewManager"))
                .arg("container", mo("Folder", "group-d1"))
                .arg("type", vec!["ManagedEntity"])
                .arg("recursive", true),
        )
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("view");
    let v = c
        .ok(Request::new("Fetch", &all).arg("prop", "view"))
        .await
        .expect("view contents");
    let kinds: Vec<String> = v
        .as_array()
        .iter()
        .filter_map(Value::as_moref)
        .map(|m| m.kind.to_string())
        .collect();
    for k in [
        "Datacenter",
        "Folder",
        "HostSystem",
        "ClusterComputeResource",
        "ResourcePool",
        "VirtualMachine",
        "Datastore",
        "Network",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
    let flat = c
        .ok(
            Request::new("CreateContainerView", &mo("ViewManager", "ViewManager"))
                .arg("container", mo("Folder", "group-d1"))
                .arg("recursive", false),
        )
        .await
        .and_then(|v| v.as_moref().cloned())
        .expect("view");
    let v = c
        .ok(Request::new("Fetch", &flat).arg("prop", "view"))
        .await
        .expect("contents");
    let kinds: Vec<&str> = v
        .as_array()
        .iter()
        .filter_map(Value::as_moref)
        .map(|m| m.kind.as_str())
        .collect();
    assert_eq!(kinds, ["Datacenter"]);
    c.ok(Request::new("DestroyView", &flat)).await;
    let r = c
        .check(Request::new("Fetch", &flat).arg("prop", "view"))
        .await;
    assert_eq!(fault_type(&r), "ManagedObjectNotFound");
}

#[tokio::test]
async fn folder_traversal_with_selection_spec_references() {
    let (_sim, c) = logged_in().await;
    // The classic inventory walk: folders recurse into themselves by name.
    let folder_ts = Data::new("TraversalSpec")
        .with("name", "folder")
        .with("type", "Folder")
        .with("path", "childEntity")
        .with("skip", false)
        .with(
            "selectSet",
            vec![
                Data::new("SelectionSpec").with("name", "folder"),
                Data::new("SelectionSpec").with("name", "dcVm"),
            ],
        );
    let dc_ts = Data::new("TraversalSpec")
        .with("name", "dcVm")
        .with("type", "Datacenter")
        .with("path", "vmFolder")
        .with("skip", false)
        .with(
            "selectSet",
            vec![Data::new("SelectionSpec").with("name", "folder")],
        );
    let spec = Data::new("PropertyFilterSpec")
        .with(
            "propSet",
            vec![
                Data::new("PropertySpec")
                    .with("type", "VirtualMachine")
                    .with("pathSet", vec!["name"]),
            ],
        )
        .with(
            "objectSet",
            vec![
                Data::new("ObjectSpec")
                    .with("obj", mo("Folder", "group-d1"))
                    .with("selectSet", vec![folder_ts, dc_ts]),
            ],
        );
    let r = c
        .ok(Request::new("RetrieveProperties", &pc()).arg("specSet", vec![spec]))
        .await;
    let n = r.map(|v| v.as_array().len()).unwrap_or(0);
    assert_eq!(n, 4);
}

#[tokio::test]
async fn paging_with_max_objects_and_continue() {
    let (_sim, c) = logged_in().await;
    let view = view_of(&c, "VirtualMachine").await;
    let r = c
        .ok(Request::new("RetrievePropertiesEx", &pc())
            .arg(
                "specSet",
                vec![container_view_spec(&view, "VirtualMachine", &["name"])],
            )
            .arg(
                "options",
                Data::new("RetrieveOptions").with("maxObjects", 3),
            ))
        .await;
    assert_eq!(objects(&r).len(), 3);
    let token = r
        .as_ref()
        .and_then(|v| v.path("token"))
        .and_then(Value::as_str)
        .expect("token")
        .to_string();
    let r2 = c
        .ok(Request::new("ContinueRetrievePropertiesEx", &pc()).arg("token", token.as_str()))
        .await;
    assert_eq!(objects(&r2).len(), 1);
    assert!(r2.as_ref().and_then(|v| v.path("token")).is_none());
    let r3 = c
        .check(Request::new("ContinueRetrievePropertiesEx", &pc()).arg("token", token.as_str()))
        .await;
    assert_eq!(fault_type(&r3), "InvalidArgument");
}

#[tokio::test]
async fn invalid_property_and_unset_property() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let r = c
        .check(
            Request::new("RetrievePropertiesEx", &pc())
                .arg(
                    "specSet",
                    vec![obj_spec(&v, "VirtualMachine", &["config.noSuchThing"])],
                )
                .arg("options", Data::new("RetrieveOptions")),
        )
        .await;
    assert_eq!(fault_type(&r), "InvalidProperty");
    // `snapshot` is valid but unset: simply absent.
    let r = c
        .ok(Request::new("RetrievePropertiesEx", &pc())
            .arg(
                "specSet",
                vec![obj_spec(&v, "VirtualMachine", &["snapshot", "name"])],
            )
            .arg("options", Data::new("RetrieveOptions")))
        .await;
    let objs = objects(&r);
    assert_eq!(objs.len(), 1);
    assert!(prop(&objs[0], "snapshot").is_none());
    assert_eq!(
        prop(&objs[0], "name").and_then(Value::as_str),
        Some("DC0_H0_VM0")
    );
    let r = c
        .check(Request::new("Fetch", &v).arg("prop", "bogus"))
        .await;
    assert_eq!(fault_type(&r), "InvalidProperty");
}

#[tokio::test]
async fn vanished_objects_are_not_found() {
    let (_sim, c) = logged_in().await;
    let gone = mo("VirtualMachine", "vm-424242");
    let r = c
        .check(
            Request::new("RetrievePropertiesEx", &pc())
                .arg(
                    "specSet",
                    vec![obj_spec(&gone, "VirtualMachine", &["name"])],
                )
                .arg("options", Data::new("RetrieveOptions")),
        )
        .await;
    assert_eq!(fault_type(&r), "ManagedObjectNotFound");
}

#[tokio::test]
async fn fetch_returns_typed_values() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let ps = c
        .ok(Request::new("Fetch", &v).arg("prop", "runtime.powerState"))
        .await
        .expect("value");
    match &ps {
        Value::Any(t) => {
            assert_eq!(t.ty.name, "VirtualMachinePowerState");
            assert_eq!(t.value.as_str(), Some("poweredOn"));
        }
        other => panic!("expected a typed value, got {other:?}"),
    }
    let devs = c
        .ok(Request::new("Fetch", &v).arg("prop", "config.hardware.device"))
        .await
        .expect("devices");
    let kinds: Vec<String> = devs
        .as_array()
        .iter()
        .filter_map(Value::as_data)
        .map(|d| d.type_name.to_string())
        .collect();
    assert!(kinds.iter().any(|k| k == "VirtualDisk"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "VirtualVmxnet3"), "{kinds:?}");
    let nic = devs
        .as_array()
        .iter()
        .filter_map(Value::as_data)
        .find(|d| d.type_name == "VirtualVmxnet3")
        .expect("nic");
    assert!(
        nic.get("macAddress")
            .and_then(Value::as_str)
            .is_some_and(|m| m.starts_with("00:50:56:"))
    );
    assert_eq!(
        nic.path("backing.network").and_then(Value::as_moref),
        sim.find("Network", "VM Network").as_ref()
    );
    let summary_cpu = c
        .ok(Request::new("Fetch", &v).arg("prop", "summary.config.numCpu"))
        .await;
    assert_eq!(summary_cpu.and_then(|v| v.as_i64()), Some(1));
}
