//! Every method the simulator implements, called with random but
//! well-typed arguments (issue 14): receivers and object arguments are
//! mostly real objects so the calls reach deep into the handlers; numbers
//! take edge values, strings odd characters and path traversal. Each call
//! gets a value or a SOAP fault, never a panic or a dropped connection, and
//! afterwards every property of every object still encodes as the schema
//! says (no handler stored a value a client could not read).
//! `MCVSPHERE_FUZZ_CASES` sets the case count (default 128).

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use vcsim::Simulator;
use vim25::{Data, MoRef, Request, TypeRef, Value, schema};

use crate::fuzz_requests::fuzz_support::cases;
use crate::{Client, mo};

/// Methods left out: they would end the fuzzing session, or wait for
/// changes by design (a long poll is not a hang).
const SKIP: &[&str] = &[
    "Logout",
    "TerminateSession",
    "WaitForUpdates",
    "WaitForUpdatesEx",
];

/// A small deterministic generator: one proptest seed, one call.
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

    fn int(&mut self) -> i64 {
        const EDGES: &[i64] = &[
            0,
            1,
            -1,
            2,
            1000,
            4000,
            65535,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ];
        if self.below(3) == 0 {
            (self.next() % 64) as i64
        } else {
            EDGES[self.below(EDGES.len())]
        }
    }

    fn text(&mut self) -> String {
        const SAMPLES: &[&str] = &[
            "",
            "DC0_H0_VM0",
            "DC0",
            "LocalDS_0",
            "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmx",
            "[LocalDS_0] ../../etc/passwd",
            "../../../etc/passwd",
            "/tmp",
            "C:\\Windows",
            "vm-1",
            "a\u{0}b",
            "é中\u{202e}",
            "<x>&amp;",
            "*",
            "%s%n",
            "VM Network",
        ];
        match self.below(4) {
            0 => "x".repeat(self.below(5000)),
            _ => SAMPLES[self.below(SAMPLES.len())].to_string(),
        }
    }
}

/// Objects by type, to pick real receivers and arguments from.
struct World {
    by_kind: Vec<(String, Vec<MoRef>)>,
}

impl World {
    fn new(sim: &Simulator) -> World {
        let mut by_kind: Vec<(String, Vec<MoRef>)> = vec![];
        for m in sim.objects("ManagedObject") {
            match by_kind.iter_mut().find(|(k, _)| *k == m.kind.as_str()) {
                Some((_, v)) => v.push(m),
                None => by_kind.push((m.kind.to_string(), vec![m])),
            }
        }
        World { by_kind }
    }

    /// A real object of `kind` (or a subtype) mostly; sometimes a made-up one.
    fn pick(&self, kind: &str, rng: &mut Rng) -> MoRef {
        let fits: Vec<&MoRef> = self
            .by_kind
            .iter()
            .filter(|(k, _)| kind == "ManagedObject" || schema().is_subtype(k, kind))
            .flat_map(|(_, v)| v)
            .collect();
        if fits.is_empty() || rng.below(10) == 0 {
            let k = if schema().is_managed(kind) && kind != "ManagedObject" {
                kind
            } else {
                "Folder"
            };
            return MoRef::new(k, &format!("fuzz-{}", rng.below(5)));
        }
        fits[rng.below(fits.len())].clone()
    }
}

fn single(ty: &str, w: &World, rng: &mut Rng, depth: u32) -> Value {
    let s = schema();
    match ty {
        "boolean" => Value::Bool(rng.below(2) == 0),
        "byte" => Value::Int(rng.int() as i8 as i64),
        "short" => Value::Int(rng.int() as i16 as i64),
        "int" => Value::Int(rng.int() as i32 as i64),
        "long" => Value::Int(rng.int()),
        "float" | "double" => Value::Float(rng.int() as f64 / 3.0),
        "base64Binary" => Value::binary((0..rng.below(16)).map(|_| rng.next() as u8).collect()),
        "dateTime" => {
            Value::str(["2026-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "not a date"][rng.below(3)])
        }
        "string" | "anyURI" => Value::str(rng.text()),
        "anyType" => Value::any(TypeRef::new("string"), Value::str(rng.text())),
        t if s.is_managed(t) => Value::moref(w.pick(t, rng)),
        t if s.is_enum(t) => {
            let vals = s.get(t).map(|d| d.enum_values.clone()).unwrap_or_default();
            Value::str(vals.get(rng.below(vals.len())).cloned().unwrap_or_default())
        }
        t => Value::data(data(t, w, rng, depth)),
    }
}

fn value(ty: &TypeRef, w: &World, rng: &mut Rng, depth: u32) -> Value {
    if ty.array {
        Value::array(
            (0..rng.below(4))
                .map(|_| single(&ty.name, w, rng, depth))
                .collect(),
        )
    } else {
        single(&ty.name, w, rng, depth)
    }
}

/// A data object of `ty` or, now and then, of a concrete subtype (a
/// device spec takes a `VirtualDisk`, not a `VirtualDevice`).
fn data(ty: &str, w: &World, rng: &mut Rng, depth: u32) -> Data {
    let s = schema();
    let subs: Vec<&str> = s
        .type_names()
        .filter(|t| s.is_data(t) && s.is_subtype(t, ty))
        .collect();
    let ty = if subs.len() > 1 && rng.below(2) == 0 {
        subs[rng.below(subs.len())]
    } else {
        ty
    };
    let mut d = Data::new(ty);
    if depth == 0 {
        return d;
    }
    for p in s.all_props(ty) {
        if p.name == "dynamicProperty"
            || p.name == "dynamicType"
            || (p.optional && rng.below(2) == 0)
        {
            continue;
        }
        d.set(&p.name, value(&p.ty, w, rng, depth - 1));
    }
    d
}

/// A call to `(kind, method)` with generated arguments.
fn request(kind: &str, method: &str, w: &World, seed: u64) -> Request {
    let mut rng = Rng(seed);
    let mut req = Request::new(method, &w.pick(kind, &mut rng));
    if let Some(def) = schema().method(method) {
        for p in &def.params {
            // Required arguments are mostly there; optional ones half the time.
            let keep = if p.optional {
                rng.below(2) == 0
            } else {
                rng.below(12) != 0
            };
            if keep {
                req = req.arg(&p.name, value(&p.ty, w, &mut rng, 3));
            }
        }
    }
    req
}

/// Whether every property of every object encodes as its schema type.
fn model_encodes(sim: &Simulator) -> Result<(), String> {
    for (m, props) in sim.snapshot() {
        for (name, v) in &props.fields {
            let Some(ty) = schema().path_type(&m.kind, name) else {
                return Err(format!("{m} has {name}, which the schema does not define"));
            };
            let v = Value::any(ty, v.clone());
            vim25::encode_response("Fetch", &Ok(Some(v)))
                .map_err(|e| format!("{m} {name} does not encode: {e}"))?;
        }
    }
    Ok(())
}

/// Cases per simulator: calls add objects (VMs, views, tasks), and a call
/// that walks everything slows with them, so a long run starts afresh.
const BATCH: u32 = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_14_every_method_takes_random_arguments_without_breaking() {
    let mut left = cases();
    while left > 0 {
        let n = left.min(BATCH);
        batch(n).await;
        left -= n;
    }
}

/// `n` random calls against a fresh simulator, then the checks on its state.
async fn batch(n: u32) {
    let (sim, c) = crate::logged_in().await;
    let methods: Vec<(&str, &str)> = vcsim::methods()
        .into_iter()
        .filter(|(_, m)| !SKIP.contains(m))
        .collect();
    let world = World::new(&sim);
    let mut runner = TestRunner::new(RunnerConfig {
        failure_persistence: None,
        ..RunnerConfig::with_cases(n)
    });
    let rt = tokio::runtime::Handle::current();
    let outcome = runner.run(
        &(any::<prop::sample::Index>(), any::<u64>()),
        |(pick, seed)| {
            let (kind, method) = methods[pick.index(methods.len())];
            let req = request(kind, method, &world, seed);
            let body = vim25::encode_request(&req)
                .map_err(|e| TestCaseError::fail(format!("{method}: {e}")))?;
            tokio::task::block_in_place(|| rt.block_on(answer(&c, method, body.clone())))
                .map_err(|e| TestCaseError::fail(format!("{kind}.{method}: {e}\n{body}")))
        },
    );
    if let Err(e) = outcome {
        panic!("{e}");
    }
    c.ok(Request::new(
        "CurrentTime",
        &mo("ServiceInstance", "ServiceInstance"),
    ))
    .await;
    // A task whose work panicked would stay `running` for ever.
    testkit::eventually("every task finishing", || {
        sim.objects("Task").iter().all(|t| {
            let s = testkit::prop_str(&sim, t, "info.state");
            s == "success" || s == "error"
        })
    })
    .await;
    if let Err(e) = model_encodes(&sim) {
        panic!("after fuzzing: {e}");
    }
}

async fn answer(c: &Client, method: &str, body: String) -> Result<(), String> {
    let (status, text) = crate::fuzz_requests::post_sdk(c, body).await?;
    match (status, vim25::decode_response(method, text.as_bytes())) {
        (200, Ok(Ok(_))) | (500, Ok(Err(_))) => Ok(()),
        (s, r) => Err(format!("HTTP {s}: {r:?}: {text}")),
    }
}
