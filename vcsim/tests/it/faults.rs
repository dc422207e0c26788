//! Fault rules through the library API (issue 14): the fault a rule answers,
//! as a task error or a SOAP fault; count, skip and a seeded probability;
//! matching by method, type and name. Effects are read from the simulator.

use vcsim::faults::{FaultAction, FaultRule};
use vcsim::{Config, Simulator};
use vim25::{MoRef, Request, Value};

use crate::{Client, fault_type, logged_in, mo, start};
use testkit::{power_state, says, task_fault, vm, wait_task};

/// Powers `name` off (the default inventory's VMs start powered on).
pub(crate) async fn powered_off(sim: &Simulator, c: &Client, name: &str) -> MoRef {
    let v = vm(sim, name);
    wait_task(sim, &c.ok(Request::new("PowerOffVM_Task", &v)).await).await;
    assert_eq!(power_state(sim, name), "poweredOff");
    v
}

/// How many `method` tasks on `vm` the TaskManager lists.
pub(crate) fn task_count(sim: &Simulator, method: &str, vm: &MoRef) -> usize {
    let tasks = sim
        .property(&mo("TaskManager", "TaskManager"), "recentTask")
        .map(|v| v.as_array().to_vec())
        .unwrap_or_default();
    tasks
        .iter()
        .filter_map(Value::as_moref)
        .filter(|t| {
            let info = |p: &str| sim.property(t, p);
            info("info.name").and_then(|v| v.as_str().map(str::to_string)) == Some(method.into())
                && info("info.entity")
                    .and_then(|v| v.as_moref().cloned())
                    .as_ref()
                    == Some(vm)
        })
        .count()
}

#[tokio::test]
async fn issue_14_count_1_fails_the_first_power_on_as_a_task_error_then_lets_it_through() {
    let (sim, c) = logged_in().await;
    let v = powered_off(&sim, &c, "DC0_H0_VM0").await;
    let id = sim
        .add_fault(
            FaultRule::new("PowerOnVM_Task", "InsufficientResourcesFault")
                .count(1)
                .message("Insufficient memory resources on host DC0_H0."),
        )
        .expect("a valid rule");
    let info = wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    assert_eq!(info.get("state").and_then(Value::as_str), Some("error"));
    assert_eq!(task_fault(&info), "InsufficientResourcesFault");
    says(
        info.path("error.localizedMessage")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        &["Insufficient memory resources"],
    );
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOff");
    assert_eq!(sim.fault_hits(id), Some(1));
    let info = wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &v)).await).await;
    assert_eq!(info.get("state").and_then(Value::as_str), Some("success"));
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOn");
    let status = &sim.faults()[0];
    assert_eq!((status.hits, status.matched, status.spent()), (1, 2, true));
}

#[tokio::test]
async fn issue_14_as_soap_answers_the_call_itself_with_the_fault() {
    let (sim, c) = logged_in().await;
    let v = powered_off(&sim, &c, "DC0_H0_VM0").await;
    sim.add_fault(FaultRule::new("PowerOnVM_Task", "NotAuthenticated").as_soap())
        .expect("a valid rule");
    let r = c.check(Request::new("PowerOnVM_Task", &v)).await;
    assert_eq!(fault_type(&r), "NotAuthenticated");
    assert_eq!(task_count(&sim, "PowerOnVM_Task", &v), 0);
    // A method that is not a task answers a SOAP fault whatever `as` says.
    sim.clear_faults();
    sim.add_fault(FaultRule::new("RetrieveServiceContent", "SystemError"))
        .expect("a valid rule");
    let r = c
        .check(Request::new(
            "RetrieveServiceContent",
            &mo("ServiceInstance", "ServiceInstance"),
        ))
        .await;
    assert_eq!(fault_type(&r), "SystemError");
    says(
        &r.expect_err("a fault").message,
        &["injected by vcsim fault rule"],
    );
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOff");
}

#[tokio::test]
async fn issue_14_skip_lets_the_first_calls_pass() {
    let (sim, c) = logged_in().await;
    let v = vm(&sim, "DC0_H0_VM0");
    let id = sim
        .add_fault(
            FaultRule::new("ReconfigVM_Task", "TaskInProgress")
                .skip(2)
                .count(1),
        )
        .expect("a valid rule");
    let spec = || {
        Request::new("ReconfigVM_Task", &v).arg(
            "spec",
            vim25::Data::new("VirtualMachineConfigSpec").with("annotation", "x"),
        )
    };
    let mut states = vec![];
    for _ in 0..4 {
        let info = wait_task(&sim, &c.ok(spec()).await).await;
        states.push(task_fault(&info));
    }
    assert_eq!(states, ["", "", "TaskInProgress", ""]);
    assert_eq!(sim.fault_hits(id), Some(1));
}

/// Hits of a probability-0.3 rule over 40 calls with `seed`.
async fn hits_with_seed(seed: u64) -> u64 {
    let (sim, c) = start(Config {
        fault_seed: Some(seed),
        faults: vec![FaultRule::new("CurrentTime", "SystemError").probability(0.3)],
        ..Config::default()
    })
    .await;
    c.login().await;
    let si = mo("ServiceInstance", "ServiceInstance");
    let mut faults = 0;
    for _ in 0..40 {
        if c.check(Request::new("CurrentTime", &si)).await.is_err() {
            faults += 1;
        }
    }
    let hits = sim.faults()[0].hits;
    assert_eq!(hits, faults, "every hit is a fault the client saw");
    assert_eq!(sim.faults()[0].matched, 40);
    hits
}

#[tokio::test]
async fn issue_14_a_seeded_probability_repeats_exactly() {
    let a = hits_with_seed(14).await;
    assert_eq!(a, hits_with_seed(14).await);
    assert!(
        a > 0 && a < 40,
        "0.3 of 40 calls is neither none nor all: {a}"
    );
}

#[tokio::test]
async fn issue_14_rules_match_by_type_and_name() {
    let (sim, c) = logged_in().await;
    let vm0 = powered_off(&sim, &c, "DC0_H0_VM0").await;
    let vm1 = powered_off(&sim, &c, "DC0_H0_VM1").await;
    // By name, through a base type: ManagedEntity matches a VM.
    sim.add_fault(
        FaultRule::new("PowerOnVM_Task", "InsufficientResourcesFault")
            .on_type("ManagedEntity")
            .on_name("DC0_H0_VM0"),
    )
    .expect("a valid rule");
    let info = wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &vm1)).await).await;
    assert_eq!(task_fault(&info), "");
    assert_eq!(power_state(&sim, "DC0_H0_VM1"), "poweredOn");
    let info = wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &vm0)).await).await;
    assert_eq!(task_fault(&info), "InsufficientResourcesFault");
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOff");
    // A type the receiver is not: a HostSystem rule leaves VMs alone.
    sim.clear_faults();
    sim.add_fault(FaultRule::new("*", "SystemError").on_type("HostSystem"))
        .expect("a valid rule");
    let info = wait_task(&sim, &c.ok(Request::new("PowerOnVM_Task", &vm0)).await).await;
    assert_eq!(task_fault(&info), "");
    let host = sim.find("HostSystem", "DC0_H0").expect("host");
    let info = wait_task(
        &sim,
        &c.ok(Request::new("EnterMaintenanceMode_Task", &host).arg("timeout", 0))
            .await,
    )
    .await;
    assert_eq!(task_fault(&info), "SystemError");
    assert_eq!(
        sim.property(&host, "runtime.inMaintenanceMode"),
        Some(Value::Bool(false))
    );
}

#[tokio::test]
async fn issue_14_invalid_rules_are_refused_with_the_field_named() {
    let (sim, _c) = logged_in().await;
    let e = sim
        .add_fault(FaultRule::new("PowerOnVM_Task", "NoSuchFault"))
        .expect_err("unknown fault type");
    says(
        &e.to_string(),
        &["fault", "NoSuchFault", "not a vim25 fault type"],
    );
    let e = sim
        .add_fault(FaultRule::new("PowerOnVM_Task", "SystemError").probability(-0.1))
        .expect_err("probability below 0");
    says(&e.to_string(), &["probability", "out of range"]);
    let e = vcsim::start(Config {
        faults: vec![FaultRule::new("PowerOnVM_Task", "VirtualMachine")],
        ..Config::default()
    })
    .await
    .expect_err("a start-up rule is checked too");
    says(
        &e.to_string(),
        &["VirtualMachine", "not a vim25 fault type"],
    );
    assert!(sim.faults().is_empty());
    assert!(!sim.remove_fault(99));
    assert_eq!(sim.fault_hits(99), None);
}

#[tokio::test]
async fn issue_14_every_fault_type_encodes_as_an_answer() {
    // Any fault type a rule may name must reach the client as a decodable
    // fault, its required fields filled from the call where known.
    let (sim, c) = logged_in().await;
    let si = mo("ServiceInstance", "ServiceInstance");
    for t in [
        "NotAuthenticated",
        "ManagedObjectNotFound",
        "InvalidArgument",
        "RequestCanceled",
        "HostCommunication",
        "MethodFault",
    ] {
        sim.clear_faults();
        sim.add_fault(FaultRule::new("CurrentTime", t))
            .expect("a valid rule");
        let r = c.check(Request::new("CurrentTime", &si)).await;
        assert_eq!(fault_type(&r), t);
    }
    assert!(
        sim.faults()
            .iter()
            .all(|r| r.rule.action == FaultAction::Fault)
    );
}
