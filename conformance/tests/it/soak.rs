//! Issue 14's soak: 10,000 mixed tool calls, 32 in flight, from rmcp's
//! client to the real binary over streamable HTTP, against a simulator that
//! fails 5 % of the calls it gets (SOAP faults, task errors, connections
//! dropped before the method runs) and restarts once in the middle.
//!
//! What must hold afterwards, read from the simulator's own state: every
//! call got a success or a tool error in words (no protocol error, no
//! silence); every change that reported success is there exactly once;
//! no change that reported failure happened; the server's resident memory
//! after the run is about what it was after the warm-up.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use conformance::{Harness, Transport};
use futures::StreamExt;
use serde_json::{Value as Json, json};
use vcsim::faults::FaultRule;

const CALLS: usize = 10_000;
const IN_FLIGHT: usize = 32;
/// The restart happens once this many calls have been answered.
const RESTART_AT: usize = CALLS / 2;
/// RSS is taken as the baseline once this many calls have been answered
/// (connections, caches and allocator arenas are warm by then).
const WARM_UP: usize = 1_000;

/// What call `i` is: reads most of the time, and three kinds of change
/// whose effect can be counted in the simulator.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Read,
    CreateVm,
    CreateFolder,
    DatastoreFolder,
}

fn kind(i: usize) -> Kind {
    match i % 20 {
        0 => Kind::CreateVm,
        1..=3 => Kind::CreateFolder,
        4 | 5 => Kind::DatastoreFolder,
        _ => Kind::Read,
    }
}

fn call_for(i: usize) -> (&'static str, Json) {
    match kind(i) {
        Kind::CreateVm => (
            "create_vm",
            json!({"name": format!("soak-vm-{i}"), "cpu": 1, "memory_mb": 128,
                   "disk_gb": 1, "datastore": "NFS_DS_0"}),
        ),
        Kind::CreateFolder => (
            "create_folder",
            json!({"folder_name": format!("soak-f-{i}")}),
        ),
        Kind::DatastoreFolder => (
            "create_datastore_folder",
            json!({"datastore": "LocalDS_0", "path": format!("soak/d-{i}")}),
        ),
        Kind::Read => match i % 5 {
            0 => ("get_vm_info", json!({"name": "DC0_H0_VM0"})),
            1 => ("get_vcenter_info", json!({})),
            2 => ("get_datastore_info", json!({"name": "LocalDS_0"})),
            3 => ("list_hosts", json!({})),
            _ => ("get_vm_info", json!({"name": "DC0_C0_RP0_VM1"})),
        },
    }
}

/// 5 % of all calls fail one way or another: each rule's probability is
/// the share of the calls it sees, so the reads' and the changes' faults
/// add up to about 5 % of the mix.
fn fault_rules() -> Vec<FaultRule> {
    vec![
        FaultRule::new("CreateVM_Task", "InsufficientResourcesFault")
            .message("soak: injected")
            .probability(0.05),
        FaultRule::new("CreateFolder", "SystemError")
            .message("soak: injected")
            .probability(0.04)
            .as_soap(),
        FaultRule::drop("CreateFolder").probability(0.01),
        FaultRule::new("MakeDirectory", "CannotCreateFile")
            .message("soak: injected")
            .probability(0.05)
            .as_soap(),
        // Reads: a dropped connection (retried once by the server) and faults.
        FaultRule::drop("RetrievePropertiesEx").probability(0.02),
        FaultRule::new("RetrievePropertiesEx", "SystemError")
            .message("soak: injected")
            .probability(0.01),
    ]
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS for process {pid}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue_14_soak_mixed_calls_with_faults_and_a_restart() {
    conformance::init_tls();
    let sim = vcsim::start(vcsim::Config {
        credentials: Some((
            conformance::SIM_USER.into(),
            conformance::SIM_PASSWORD.into(),
        )),
        fault_seed: Some(14),
        ..Default::default()
    })
    .await
    .unwrap();
    for rule in fault_rules() {
        sim.add_fault(rule).unwrap();
    }
    // No rate limit: the soak is one caller on purpose. The audit trail
    // (10,000 records) goes to a file instead of the test's output.
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let env = [
        ("MCVSPHERE_RATE_LIMIT", "0"),
        ("AUDIT_LOG", audit.to_str().unwrap()),
    ];
    let h = Harness::start_on(sim, Transport::Http, &env).await.unwrap();
    let h = Arc::new(h);
    let pid = h.server_pid().expect("the HTTP server runs as a process");
    let answered = Arc::new(AtomicUsize::new(0));
    let baseline = Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));

    let restart = {
        let (h, answered) = (h.clone(), answered.clone());
        tokio::spawn(async move {
            while answered.load(Ordering::Relaxed) < RESTART_AT {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            h.sim.restart(Duration::from_millis(500)).await.unwrap();
        })
    };

    let outcomes: Vec<(usize, Result<conformance::Outcome, String>)> =
        futures::stream::iter(0..CALLS)
            .map(|i| {
                let (h, answered, baseline) = (h.clone(), answered.clone(), baseline.clone());
                async move {
                    let (tool, args) = call_for(i);
                    let out = h.call(tool, args).await.map_err(|e| format!("{e:#}"));
                    let n = answered.fetch_add(1, Ordering::Relaxed) + 1;
                    if n % WARM_UP == 0 {
                        baseline.lock().unwrap().push(rss_kib(pid));
                    }
                    (i, out)
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
    // The restart happened (its task ended) before anything is counted.
    restart.await.unwrap();

    // Every call answered in words.
    let mut failed: HashMap<usize, String> = HashMap::new();
    for (i, out) in &outcomes {
        let (tool, _) = call_for(*i);
        match out {
            Err(e) => panic!("call {i} ({tool}) got no tool answer: {e}"),
            Ok(o) if o.is_error => {
                // A person's sentence, not a library's error chain.
                let chain = [
                    "os error",
                    "hyper",
                    "error sending request",
                    "client error (",
                ];
                assert!(
                    o.text.len() > 10 && !chain.iter().any(|c| o.text.contains(c)),
                    "call {i} ({tool}): not a clear error: {}",
                    o.text
                );
                failed.insert(*i, o.text.clone());
            }
            Ok(_) => {}
        }
    }
    assert_eq!(outcomes.len(), CALLS);
    let failures = failed.len();
    assert!(
        failures > CALLS / 100 && failures < CALLS / 5,
        "{failures} of {CALLS} calls failed: the faults are not what the test meant"
    );

    // Changes: exactly once when reported done, not at all when reported failed.
    let names = |kind: &str| -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for o in h.sim.objects(kind) {
            if let Some(n) = h
                .sim
                .property(&o, "name")
                .and_then(|v| v.as_str().map(str::to_string))
            {
                *m.entry(n).or_insert(0) += 1;
            }
        }
        m
    };
    let (vms, folders) = (names("VirtualMachine"), names("Folder"));
    let ds = h.sim.find("Datastore", "LocalDS_0").unwrap();
    let (mut changes, mut unknown) = (0, 0);
    for i in (0..CALLS).filter(|i| kind(*i) != Kind::Read) {
        let present = match kind(i) {
            Kind::CreateVm => vms.get(&format!("soak-vm-{i}")).copied().unwrap_or(0),
            Kind::CreateFolder => folders.get(&format!("soak-f-{i}")).copied().unwrap_or(0),
            Kind::DatastoreFolder => {
                usize::from(h.sim.datastore_folder_exists(&ds, &format!("soak/d-{i}")))
            }
            Kind::Read => unreachable!("filtered out"),
        };
        match failed.get(&i) {
            None => {
                assert_eq!(present, 1, "call {i} ({:?}) reported success", kind(i));
                changes += 1;
            }
            // The server could not learn the outcome (the connection broke
            // after the change was sent) and said so: done once or not at
            // all, never twice.
            Some(msg) if msg.contains("may or may not have been done") => {
                assert!(
                    present <= 1,
                    "call {i} ({:?}) happened {present} times",
                    kind(i)
                );
                unknown += 1;
            }
            Some(msg) => assert_eq!(
                present,
                0,
                "call {i} ({:?}) failed ({msg}) yet happened",
                kind(i)
            ),
        }
    }
    assert!(changes > 2_000, "only {changes} changes succeeded");
    // Unknown outcomes come from connections lost after a change was sent:
    // the dropped CreateFolder calls (1 % of them) and the restart.
    assert!(unknown <= 64, "{unknown} changes with an unknown outcome");
    let injected: u64 = h.sim.faults().iter().map(|r| r.hits).sum();
    assert!(
        injected as usize >= CALLS / 20,
        "only {injected} faults injected into {CALLS} calls"
    );

    // Memory: after ≈ after the warm-up (a leak of a few KB per call would show).
    let samples = baseline.lock().unwrap().clone();
    eprintln!("soak: RSS every {WARM_UP} calls (KiB): {samples:?}");
    let before = samples[0];
    let after = rss_kib(pid);
    assert!(
        after <= before + before / 4 + 8 * 1024,
        "server RSS grew from {before} KiB to {after} KiB over {CALLS} calls"
    );
    eprintln!(
        "soak: {CALLS} calls, {injected} faults injected, {failures} tool errors \
         ({unknown} of unknown outcome), \
         {changes} changes checked, RSS {before} → {after} KiB"
    );
}
