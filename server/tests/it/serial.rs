//! serial_port tools against the simulator: each change is read back from
//! the simulator's own device list.

use serde_json::json;
use vim25::Data;
use vim25::devices::DeviceList;

use crate::{Env, env, says};
use testkit::{flag, has_result_keys as has_keys, str_at};

const VM: &str = "DC0_H0_VM0";

fn ports(e: &Env) -> Vec<Data> {
    e.vm_prop(VM, "config.hardware.device")
        .map(|v| DeviceList::from_value(&v))
        .unwrap_or_default()
        .serial_ports()
        .into_iter()
        .cloned()
        .collect()
}

fn port(e: &Env) -> Data {
    let all = ports(e);
    assert_eq!(all.len(), 1, "{all:?}");
    all[0].clone()
}

async fn powered_off() -> Env {
    let e = env().await;
    e.ok("power_off", json!({"name": VM})).await;
    e
}

#[tokio::test]
async fn setup_serial_port_adds_then_updates_a_uri_backed_port() {
    let e = powered_off().await;
    let r = e
        .json("setup_serial_port", json!({"name": VM, "port": 9001}))
        .await;
    has_keys("setup_serial_port", &r);
    assert_eq!(r["operation"], "added");
    assert_eq!(r["service_uri"], "telnet://:9001");
    assert!(
        r["connection_string"]
            .as_str()
            .unwrap()
            .starts_with("telnet DC0_H0 9001")
    );
    let p = port(&e);
    assert_eq!(str_at(&p, "deviceInfo.label"), Some("Serial port 1"));
    assert_eq!(
        p.path("backing")
            .map(|b| b.as_data().unwrap().type_name.as_str()),
        Some("VirtualSerialPortURIBackingInfo")
    );
    assert_eq!(str_at(&p, "backing.serviceURI"), Some("telnet://:9001"));
    assert_eq!(str_at(&p, "backing.direction"), Some("server"));
    assert_eq!(flag(&p, "yieldOnPoll"), Some(true));
    // The same again changes nothing; a new protocol, direction and flag update it.
    let same = e
        .json("setup_serial_port", json!({"name": VM, "port": 9001}))
        .await;
    assert_eq!(same["operation"], "unchanged");
    let r = e
        .json(
            "setup_serial_port",
            json!({"name": VM, "protocol": "tcp", "direction": "client", "yield_on_poll": false}),
        )
        .await;
    assert_eq!(r["operation"], "updated");
    assert_eq!(r["port"], 9001, "the port is kept: {r}");
    let p = port(&e);
    assert_eq!(
        str_at(&p, "backing.serviceURI"),
        Some("tcp://127.0.0.1:9001")
    );
    assert_eq!(str_at(&p, "backing.direction"), Some("client"));
    assert_eq!(flag(&p, "yieldOnPoll"), Some(false));
    assert!(testkit::has_event(&e.sim, "VmReconfiguredEvent"));
    e.sim.shutdown().await;
}

#[tokio::test]
async fn setup_serial_port_failures() {
    let e = env().await;
    // vSphere cannot hot-add a serial port.
    says(
        &e.fails("setup_serial_port", json!({"name": VM})).await,
        &[VM, "powered on", "Serial port 1", "Power it off"],
    );
    says(
        &e.fails("setup_serial_port", json!({"name": VM, "protocol": "ftp"}))
            .await,
        &["Unknown protocol 'ftp'", "telnet, tcp"],
    );
    says(
        &e.fails(
            "setup_serial_port",
            json!({"name": VM, "direction": "both"}),
        )
        .await,
        &["Unknown direction 'both'", "server or client"],
    );
    says(
        &e.fails("setup_serial_port", json!({"name": VM, "port": 70000}))
            .await,
        &["port", "1 and 65535", "70000"],
    );
    says(
        &e.fails("setup_serial_port", json!({"name": "ghost"})).await,
        &["VM 'ghost' not found"],
    );
    assert!(ports(&e).is_empty());
    e.sim.shutdown().await;
}

#[tokio::test]
async fn get_serial_port_reports_the_port_or_none() {
    let e = powered_off().await;
    let none = e.json("get_serial_port", json!({"name": VM})).await;
    has_keys("get_serial_port", &none);
    assert_eq!(none["configured"], false);
    e.json("setup_serial_port", json!({"name": VM, "port": 9100}))
        .await;
    let r = e.json("get_serial_port", json!({"name": VM})).await;
    has_keys("get_serial_port", &r);
    let p = port(&e);
    assert_eq!(r["configured"], true);
    assert_eq!(r["label"].as_str(), str_at(&p, "deviceInfo.label"));
    assert_eq!(r["service_uri"].as_str(), str_at(&p, "backing.serviceURI"));
    assert_eq!(r["direction"], "server");
    assert_eq!(r["connected"].as_bool(), flag(&p, "connectable.connected"));
    assert_eq!(
        r["start_connected"].as_bool(),
        flag(&p, "connectable.startConnected")
    );
    says(
        &e.fails("get_serial_port", json!({"name": "ghost"})).await,
        &["VM 'ghost' not found"],
    );
    e.sim.shutdown().await;
}

#[tokio::test]
async fn connect_and_clear_serial_port_while_running() {
    let e = powered_off().await;
    e.json("setup_serial_port", json!({"name": VM, "port": 9200}))
        .await;
    e.ok("power_on", json!({"name": VM})).await;
    let r = e
        .json(
            "connect_serial_port",
            json!({"name": VM, "connected": false}),
        )
        .await;
    has_keys("connect_serial_port", &r);
    assert_eq!(flag(&port(&e), "connectable.connected"), Some(false));
    e.json("connect_serial_port", json!({"name": VM})).await;
    let p = port(&e);
    assert_eq!(flag(&p, "connectable.connected"), Some(true));
    assert_eq!(flag(&p, "connectable.startConnected"), Some(true));
    let since = e.sim.events().len();
    let r = e.json("clear_serial_port", json!({"name": VM})).await;
    has_keys("clear_serial_port", &r);
    assert_eq!(r["status"], "cleared");
    assert_eq!(r["service_uri"], "telnet://:9200");
    assert_eq!(flag(&port(&e), "connectable.connected"), Some(true));
    // Two reconfigurations: off, then on again.
    let reconfigs = testkit::event_types_since(&e.sim, since)
        .into_iter()
        .filter(|t| t == "VmReconfiguredEvent")
        .count();
    assert_eq!(reconfigs, 2);
    e.sim.shutdown().await;
}

#[tokio::test]
async fn connect_and_clear_need_a_port() {
    let e = env().await;
    for tool in ["connect_serial_port", "clear_serial_port"] {
        says(
            &e.fails(tool, json!({"name": VM})).await,
            &[VM, "no network serial port", "setup_serial_port"],
        );
        says(
            &e.fails(tool, json!({"name": "ghost"})).await,
            &["VM 'ghost' not found"],
        );
    }
    e.sim.shutdown().await;
}

#[tokio::test]
async fn remove_serial_port_removes_it_when_off() {
    let e = powered_off().await;
    e.json("setup_serial_port", json!({"name": VM, "port": 9300}))
        .await;
    e.ok("power_on", json!({"name": VM})).await;
    says(
        &e.fails("remove_serial_port", json!({"name": VM})).await,
        &[VM, "powered on", "Serial port 1", "Power it off"],
    );
    assert_eq!(ports(&e).len(), 1);
    e.ok("power_off", json!({"name": VM})).await;
    let out = e.ok("remove_serial_port", json!({"name": VM})).await;
    says(&out, &["Serial port 1", "telnet://:9300", "removed", VM]);
    assert!(ports(&e).is_empty());
    let again = e.ok("remove_serial_port", json!({"name": VM})).await;
    says(&again, &["nothing to remove"]);
    says(
        &e.fails("remove_serial_port", json!({"name": "ghost"}))
            .await,
        &["VM 'ghost' not found"],
    );
    e.sim.shutdown().await;
}
