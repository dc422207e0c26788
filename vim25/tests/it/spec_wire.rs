//! Every `vim25::spec` builder's output is schema-correct: it survives the
//! codec inside a `ReconfigVM_Task` request and carries every field the schema
//! marks required.

use vim25::spec::{self, Direction, Mac, NicEdit, Provisioning, SerialUri};
use vim25::{Data, MoRef, Request, Value, decode_request, encode_request, schema};

use crate::fixture::disk;
use crate::spec::{device, dv_backing, new_disk, new_nic, std_backing, vm_cdrom, vm_nic};

/// Every builder's output, wrapped in one `VirtualMachineConfigSpec`.
fn every_change() -> Vec<Data> {
    let port = device(&spec::serial_add(
        -4,
        400,
        0,
        &SerialUri {
            service_uri: "telnet://:9001".into(),
            direction: Direction::Server,
            proxy_uri: None,
        },
        true,
    ))
    .clone();
    vec![
        spec::scsi_controller_add(-100, "ParaVirtualSCSIController", 0).unwrap(),
        spec::disk_add(&new_disk(Provisioning::Thin)).unwrap(),
        spec::disk_add(&new_disk(Provisioning::EagerZeroedThick)).unwrap(),
        spec::disk_extend(&disk(2000, 1000, 0), 4096).unwrap(),
        spec::disk_remove(&disk(2000, 1000, 0), true).unwrap(),
        spec::nic_add(&new_nic(Mac::Generated, std_backing())).unwrap(),
        spec::nic_add(&new_nic(
            Mac::Manual("00:50:56:00:00:09".into()),
            dv_backing(),
        ))
        .unwrap(),
        spec::nic_edit(
            &vm_nic(),
            &NicEdit {
                backing: Some(dv_backing()),
                connected: Some(true),
                start_connected: Some(false),
                mac: Some(Mac::Generated),
            },
        )
        .unwrap(),
        spec::nic_remove(&vm_nic()).unwrap(),
        spec::cdrom_set_iso(&vm_cdrom(), "[ds] a.iso").unwrap(),
        spec::cdrom_empty(&vm_cdrom()).unwrap(),
        spec::cdrom_connect(&vm_cdrom(), false).unwrap(),
        spec::cdrom_add(-3, 200, 1, Some("[ds] b.iso")).unwrap(),
        spec::cdrom_remove(&vm_cdrom()).unwrap(),
        spec::serial_add(
            -4,
            400,
            0,
            &SerialUri {
                service_uri: "tcp://10.0.0.1:7000".into(),
                direction: Direction::Client,
                proxy_uri: Some("telnets://vspc:13370".into()),
            },
            false,
        ),
        spec::serial_remove(&port).unwrap(),
    ]
}

/// Field order is the encoder's business: compare with fields sorted.
fn normalised(v: &Value) -> Value {
    match v {
        Value::Data(d) => {
            let mut fields: Vec<(vim25::Name, Value)> =
                d.fields.iter().map(|(n, v)| (*n, normalised(v))).collect();
            fields.sort_by_key(|f| f.0);
            Value::data(Data {
                type_name: d.type_name,
                fields,
            })
        }
        Value::Array(items) => Value::array(items.iter().map(normalised).collect()),
        Value::Any(t) => Value::any(t.ty.clone(), normalised(&t.value)),
        v => v.clone(),
    }
}

/// Every property the schema marks required is present, at every depth.
fn missing_required(d: &Data, at: &str, out: &mut Vec<String>) {
    for p in schema().all_props(&d.type_name) {
        match d.get(&p.name) {
            None if !p.optional => out.push(format!("{at}{}.{}", d.type_name, p.name)),
            Some(v) => {
                for item in v.as_array() {
                    if let Some(inner) = item.as_data() {
                        missing_required(inner, &format!("{at}{}.{}/", d.type_name, p.name), out);
                    }
                }
            }
            None => {}
        }
    }
}

#[test]
fn every_builder_encodes_and_decodes_in_a_reconfigure_request() {
    let changes = every_change();
    let n = changes.len();
    let cfg = spec::config_spec(changes);
    let req = Request::new("ReconfigVM_Task", &MoRef::new("VirtualMachine", "vm-42"))
        .arg("spec", cfg.clone());
    let xml = encode_request(&req).unwrap();
    let back = decode_request(xml.as_bytes()).unwrap();
    let got = back.get("spec").unwrap();
    assert_eq!(normalised(got), normalised(&Value::data(cfg)), "{xml}");
    assert_eq!(got.path("deviceChange").unwrap().as_array().len(), n);
}

#[test]
fn every_builder_fills_the_fields_the_schema_requires() {
    let mut missing = vec![];
    for change in every_change() {
        assert_eq!(change.type_name, "VirtualDeviceConfigSpec");
        missing_required(&change, "", &mut missing);
    }
    assert!(missing.is_empty(), "missing required fields: {missing:?}");
}
