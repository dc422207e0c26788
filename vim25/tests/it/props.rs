//! Properties over generated input: every schema-conforming value survives an
//! encode→decode trip, and no byte string makes the decoder panic.

use proptest::prelude::*;
use vim25::schema::Kind;
use vim25::{
    Data, MoRef, TypeRef, Value, decode_request, decode_response, encode_response, schema,
};

/// A tiny deterministic generator, so one proptest seed builds one value tree.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn text(&mut self) -> String {
        const CHARS: &[char] = &[
            'a', 'Z', '0', ' ', '<', '>', '&', '"', '\'', '/', 'é', '中', '\n', '\t', ';', '=',
        ];
        (0..self.below(10))
            .map(|_| CHARS[self.below(CHARS.len())])
            .collect()
    }
}

fn gen_single(ty: &str, rng: &mut Rng, depth: u32) -> Value {
    let s = schema();
    match ty {
        "boolean" => Value::Bool(rng.next().is_multiple_of(2)),
        "byte" => Value::Int(rng.next() as i8 as i64),
        "short" => Value::Int(rng.next() as i16 as i64),
        "int" => Value::Int(rng.next() as i32 as i64),
        "long" => Value::Int(rng.next() as i64),
        "float" | "double" => Value::Float((rng.next() % 1_000_000) as f64 / 8.0),
        "base64Binary" => Value::binary((0..rng.below(8)).map(|_| rng.next() as u8).collect()),
        "string" | "dateTime" | "anyURI" => Value::str(rng.text()),
        "anyType" => Value::any(TypeRef::new("string"), Value::str(rng.text())),
        t if s.is_managed(t) => Value::moref(MoRef::new(
            if t == "ManagedObject" { "Folder" } else { t },
            &format!("obj-{}", rng.below(100)),
        )),
        t if s.is_enum(t) => {
            let vals = &s.get(t).map(|d| d.enum_values.clone()).unwrap_or_default();
            Value::str(vals.get(rng.below(vals.len())).cloned().unwrap_or_default())
        }
        t => Value::data(gen_data(t, rng, depth)),
    }
}

fn gen_value(ty: &TypeRef, rng: &mut Rng, depth: u32) -> Value {
    if ty.array {
        Value::array(
            (0..1 + rng.below(3))
                .map(|_| gen_single(&ty.name, rng, depth))
                .collect(),
        )
    } else {
        gen_single(&ty.name, rng, depth)
    }
}

fn gen_data(ty: &str, rng: &mut Rng, depth: u32) -> Data {
    let mut d = Data::new(ty);
    if depth == 0 {
        return d;
    }
    for p in schema().all_props(ty) {
        if p.name == "dynamicProperty" || p.name == "dynamicType" || rng.below(3) == 0 {
            continue;
        }
        d.set(&p.name, gen_value(&p.ty, rng, depth - 1));
    }
    d
}

fn data_types() -> Vec<String> {
    let s = schema();
    let mut v: Vec<String> = s
        .type_names()
        .filter(|t| s.kind(t) == Some(Kind::Data))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_data_object_round_trips(seed in any::<u64>(), pick in any::<prop::sample::Index>()) {
        let types = data_types();
        let ty = &types[pick.index(types.len())];
        let mut rng = Rng(seed);
        let obj = gen_data(ty, &mut rng, 3);
        // Carried the way PropertyCollector carries it: as an anyType property value.
        let content = Data::new("ObjectContent").with("obj", MoRef::new("VirtualMachine", "vm-1")).with(
            "propSet",
            vec![Value::data(Data::new("DynamicProperty").with("name", "x").with("val", Value::any(TypeRef::new(ty), Value::data(obj))))],
        );
        let ret = Value::array(vec![Value::data(content)]);
        let xml = encode_response("RetrieveProperties", &Ok(Some(ret.clone()))).expect("schema-conforming values encode");
        let back = decode_response("RetrieveProperties", xml.as_bytes()).expect("own output decodes").expect("not a fault");
        prop_assert_eq!(back, Some(ret));
    }

    #[test]
    fn decoder_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_request(&bytes);
        let _ = decode_response("RetrieveProperties", &bytes);
    }

    #[test]
    fn decoder_never_panics_on_mangled_envelopes(cut in 0usize..600, junk in "[<>&\"a-z/ =:]{0,12}") {
        let xml = encode_response("RetrievePropertiesEx", &Ok(None)).unwrap_or_default()
            + r#"<x xsi:type="ArrayOfInt"><int>1</int></x>"#;
        let cut = cut.min(xml.len());
        let mangled = format!("{}{}{}", &xml[..cut], junk, &xml[cut..]);
        let _ = decode_request(mangled.as_bytes());
        let _ = decode_response("Fetch", mangled.as_bytes());
    }
}
