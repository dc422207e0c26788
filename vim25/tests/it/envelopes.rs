use vim25::{
    Data, Fault, MoRef, Request, TypeRef, Value, decode_request, decode_response, encode_request,
    encode_response,
};

fn vm(id: &str) -> MoRef {
    MoRef::new("VirtualMachine", id)
}

#[test]
fn request_args_follow_method_parameter_order() {
    // Arguments given out of order are written in the schema's order.
    let req = Request::new("CloneVM_Task", &vm("vm-1"))
        .arg(
            "spec",
            Data::new("VirtualMachineCloneSpec")
                .with("powerOn", true)
                .with("template", false),
        )
        .arg("name", "copy")
        .arg("folder", MoRef::new("Folder", "group-v3"));
    let xml = encode_request(&req).unwrap();
    let folder = xml.find("<folder").unwrap();
    let name = xml.find("<name>").unwrap();
    let spec = xml.find("<spec").unwrap();
    assert!(folder < name && name < spec, "{xml}");
    // Inside the spec, `template` precedes `powerOn` in the schema.
    assert!(xml.find("<template>").unwrap() < xml.find("<powerOn>").unwrap());
    let back = decode_request(xml.as_bytes()).unwrap();
    assert_eq!(back.method, "CloneVM_Task");
    assert_eq!(back.this, vm("vm-1"));
    assert_eq!(back.get("name"), Some(&Value::from("copy")));
    assert_eq!(
        back.get("spec").and_then(|s| s.path("powerOn")),
        Some(&Value::Bool(true))
    );
}

#[test]
fn subtypes_carry_xsi_type_and_decode_as_themselves() {
    let disk = Data::new("VirtualDisk")
        .with("key", 2000)
        .with("capacityInKB", 1024_i64);
    let spec = Data::new("VirtualMachineConfigSpec").with(
        "deviceChange",
        vec![Value::data(
            Data::new("VirtualDeviceConfigSpec")
                .with("operation", "add")
                .with("device", disk),
        )],
    );
    let req = Request::new("ReconfigVM_Task", &vm("vm-2")).arg("spec", spec);
    let xml = encode_request(&req).unwrap();
    assert!(xml.contains(r#"<device xsi:type="VirtualDisk">"#), "{xml}");
    let back = decode_request(xml.as_bytes()).unwrap();
    let change = &back
        .get("spec")
        .unwrap()
        .as_data()
        .unwrap()
        .get("deviceChange")
        .unwrap()
        .as_array()[0];
    assert_eq!(
        change.path("device").unwrap().as_data().unwrap().type_name,
        "VirtualDisk"
    );
    assert_eq!(
        change.path("device.capacityInKB").and_then(Value::as_i64),
        Some(1024)
    );
}

#[test]
fn unknown_field_is_an_encoding_error_not_silent() {
    let req = Request::new("ReconfigVM_Task", &vm("vm-2")).arg(
        "spec",
        Data::new("VirtualMachineConfigSpec").with("numberOfCPUs", 2),
    );
    let err = encode_request(&req).unwrap_err().to_string();
    assert!(err.contains("numberOfCPUs"), "{err}");
}

#[test]
fn any_type_values_round_trip_with_their_wire_type() {
    let content = Data::new("ObjectContent").with("obj", vm("vm-3")).with(
        "propSet",
        vec![
            Value::data(
                Data::new("DynamicProperty")
                    .with("name", "runtime.powerState")
                    .with(
                        "val",
                        Value::any(TypeRef::new("VirtualMachinePowerState"), "poweredOn".into()),
                    ),
            ),
            Value::data(Data::new("DynamicProperty").with("name", "datastore").with(
                "val",
                Value::any(
                    TypeRef::array_of("ManagedObjectReference"),
                    Value::array(vec![MoRef::new("Datastore", "ds-1").into()]),
                ),
            )),
            Value::data(
                Data::new("DynamicProperty")
                    .with("name", "summary.storage.committed")
                    .with("val", Value::any(TypeRef::new("long"), Value::Int(1 << 40))),
            ),
        ],
    );
    let ret = Value::array(vec![Value::data(content)]);
    let xml = encode_response("RetrieveProperties", &Ok(Some(ret.clone()))).unwrap();
    assert!(
        xml.contains(r#"xsi:type="VirtualMachinePowerState""#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"xsi:type="ArrayOfManagedObjectReference""#),
        "{xml}"
    );
    assert!(xml.contains(r#"xsi:type="xsd:long""#), "{xml}");
    let back = decode_response("RetrieveProperties", xml.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(back, Some(ret));
}

#[test]
fn faults_round_trip_with_detail() {
    let f = Fault::invalid_power_state(Some("poweredOn"), "poweredOn");
    let xml = encode_response("PowerOnVM_Task", &Err(f.clone())).unwrap();
    assert!(xml.contains("<InvalidPowerStateFault"), "{xml}");
    let back = decode_response("PowerOnVM_Task", xml.as_bytes())
        .unwrap()
        .unwrap_err();
    assert_eq!(back, f);
    assert!(back.is("InvalidState"));
}

#[test]
fn fault_detail_without_xsi_type_is_named_by_element() {
    let xml = r#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>nope</faultstring><detail><NotAuthenticatedFault xmlns="urn:vim25"><object type="Folder">group-d1</object></NotAuthenticatedFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
    let f = decode_response("RetrieveProperties", xml.as_bytes())
        .unwrap()
        .unwrap_err();
    assert_eq!(f.fault_type(), Some("NotAuthenticated"));
    assert_eq!(f.message, "nope");
}

#[test]
fn unknown_method_decodes_without_args_and_encoding_refuses_it() {
    let xml = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><operationID>x</operationID></soapenv:Header><soapenv:Body><NoSuchMethod xmlns="urn:vim25"><_this type="Folder">group-d1</_this><a>1</a></NoSuchMethod></soapenv:Body></soapenv:Envelope>"#;
    let req = decode_request(xml.as_bytes()).unwrap();
    assert_eq!(req.method, "NoSuchMethod");
    assert!(req.args.is_empty());
    assert!(encode_request(&Request::new("NoSuchMethod", &vm("vm-1"))).is_err());
}

#[test]
fn void_and_empty_array_returns() {
    let xml = encode_response(
        "PowerOffVM_Task",
        &Ok(Some(MoRef::new("Task", "task-1").into())),
    )
    .unwrap();
    let v = decode_response("PowerOffVM_Task", xml.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(v, Some(Value::moref(MoRef::new("Task", "task-1"))));
    let xml = encode_response("Logout", &Ok(None)).unwrap();
    assert_eq!(
        decode_response("Logout", xml.as_bytes()).unwrap().unwrap(),
        None
    );
    let xml = encode_response("RetrieveProperties", &Ok(None)).unwrap();
    assert_eq!(
        decode_response("RetrieveProperties", xml.as_bytes())
            .unwrap()
            .unwrap(),
        Some(Value::array(vec![]))
    );
}

#[test]
fn escaping_survives_the_trip() {
    let req = Request::new("Rename_Task", &vm("vm-1")).arg("newName", "a<b & \"c\" 'd'>");
    let back = decode_request(encode_request(&req).unwrap().as_bytes()).unwrap();
    assert_eq!(
        back.get("newName").and_then(Value::as_str),
        Some("a<b & \"c\" 'd'>")
    );
}

#[test]
fn malformed_documents_are_errors() {
    for bad in [
        "",
        "<",
        "<a>",
        "<Envelope/>",
        "<soapenv:Envelope xmlns:soapenv='x'><soapenv:Body/></soapenv:Envelope>",
        "not xml at all",
    ] {
        assert!(decode_request(bad.as_bytes()).is_err(), "{bad:?} decoded");
    }
    let deep = "<a>".repeat(10_000);
    assert!(decode_request(deep.as_bytes()).is_err());
}

/// Issue 8: an ObjectContent encoded straight from a store reads back exactly
/// as the same content built as a value tree (typed values, enums, arrays,
/// data objects, MoRefs, text that needs escaping).
#[test]
fn issue_8_object_content_encoded_directly_equals_the_value_tree() {
    let obj = vm("vm-7");
    let runtime = Data::new("VirtualMachineRuntimeInfo").with("powerState", "poweredOn");
    let props: Vec<(&str, TypeRef, Value)> = vec![
        ("name", TypeRef::new("string"), Value::from("a <b> & \"c\"")),
        (
            "runtime.powerState",
            TypeRef::new("VirtualMachinePowerState"),
            "poweredOn".into(),
        ),
        (
            "runtime",
            TypeRef::new("VirtualMachineRuntimeInfo"),
            runtime.into(),
        ),
        (
            "datastore",
            TypeRef::array_of("Datastore"),
            vec![MoRef::new("Datastore", "ds-1")].into(),
        ),
        ("config.hardware.numCPU", TypeRef::new("int"), Value::Int(4)),
    ];
    let tree = Value::from(
        Data::new("ObjectContent").with("obj", &obj).with(
            "propSet",
            props
                .iter()
                .map(|(n, ty, v)| {
                    Value::from(
                        Data::new("DynamicProperty")
                            .with("name", *n)
                            .with("val", Value::any(ty.clone(), v.clone())),
                    )
                })
                .collect::<Vec<_>>(),
        ),
    );
    let direct = vim25::encode_object_content(&obj, props.iter().map(|(n, ty, v)| (*n, ty, v)))
        .expect("encodes");
    let reply = |content: Value| {
        let result = Data::new("RetrieveResult").with("objects", vec![content]);
        encode_response("RetrievePropertiesEx", &Ok(Some(result.into()))).expect("encodes")
    };
    let (from_tree, from_store) = (reply(tree), reply(direct));
    assert_eq!(from_tree, from_store, "the same bytes on the wire");
    let decoded = decode_response("RetrievePropertiesEx", from_store.as_bytes())
        .expect("decodes")
        .expect("no fault")
        .expect("a result");
    let content = decoded
        .path("objects")
        .map(Value::as_array)
        .and_then(|a| a.first())
        .expect("one object");
    let read: Vec<(String, Value)> = content
        .path("propSet")
        .map(Value::as_array)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let name = p
                .path("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            (
                name,
                p.path("val")
                    .map(|v| v.plain().clone())
                    .unwrap_or(Value::Bool(false)),
            )
        })
        .collect();
    let sent: Vec<(String, Value)> = props
        .iter()
        .map(|(n, _, v)| (n.to_string(), v.clone()))
        .collect();
    assert_eq!(read, sent, "and the same properties read back");
}
