//! vcsim integration tests: real SOAP over HTTP against an in-process
//! simulator, effects checked through the simulator's own API. Helpers every
//! crate's tests share (reading the simulator, waiting on tasks, finding
//! events) come from `testkit`; this file keeps the raw SOAP client and the
//! request builders on top of it.

mod alarms;
mod clusters;
mod datastore_browser;
mod datastore_files;
mod datastore_files_vm;
mod devices;
mod devices_nics;
mod devices_rules;
mod devices_seq;
mod event_collectors;
mod events_search;
mod faults;
mod faults_conn;
mod faults_control;
mod file_manager;
mod file_manager_contents;
mod folder_door;
mod folders;
mod fuzz_methods;
mod fuzz_regressions;
mod fuzz_requests;
mod guest_auth;
mod guest_files;
mod guest_lifecycle;
mod guest_limits;
mod guest_processes;
mod guest_transfer;
mod host_services;
mod hosts;
mod http;
mod inventory_info;
mod maintenance;
mod method_table;
mod ovf_export;
mod ovf_import;
mod ovf_leases;
mod perf;
mod property_collector;
mod pyvmomi;
mod pyvmomi_faults;
mod relocate;
mod screen;
mod session;
mod snapshots;
mod task_cancel;
mod tasks;
mod templates;
mod tools_lifecycle;
mod transactions;
mod vm_lifecycle;
mod vm_power;

use std::sync::Mutex;
use std::time::Duration;

use vcsim::{Config, Simulator};
use vim25::{Data, Fault, MoRef, Request, Value};

pub struct Client {
    http: reqwest::Client,
    pub url: String,
    cookie: Mutex<Option<String>>,
}

impl Client {
    pub fn new(sim: &Simulator) -> Self {
        testkit::init_tls();
        let http = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("reqwest client builds with the ring provider installed");
        Client {
            http,
            url: sim.url(),
            cookie: Mutex::new(None),
        }
    }

    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().expect("cookie lock").clone()
    }

    pub fn set_cookie(&self, c: Option<String>) {
        *self.cookie.lock().expect("cookie lock") = c;
    }

    /// Posts raw bytes to /sdk with the session cookie: (status, body).
    pub async fn post_raw(&self, body: Vec<u8>) -> (u16, String, Option<String>) {
        let mut rb = self
            .http
            .post(&self.url)
            .header("Content-Type", vim25::CONTENT_TYPE)
            .header("SOAPAction", vim25::SOAP_ACTION)
            .body(body);
        if let Some(c) = self.cookie() {
            rb = rb.header("Cookie", format!("vmware_soap_session={c}"));
        }
        let resp = rb.send().await.expect("HTTP request reaches the simulator");
        let status = resp.status().as_u16();
        let set_cookie = resp
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await.expect("response body is text");
        (status, text, set_cookie)
    }

    /// The one call boundary: encode, POST, decode; keeps the session cookie.
    pub async fn check(&self, req: Request) -> Result<Option<Value>, Fault> {
        let body = vim25::encode_request(&req).expect("test request encodes");
        let (status, text, set_cookie) = self.post_raw(body.into_bytes()).await;
        if let Some(sc) = set_cookie {
            let v = sc
                .split(';')
                .next()
                .and_then(|kv| kv.split_once('='))
                .map(|(_, v)| v.to_string());
            self.set_cookie(v);
        }
        let r = vim25::decode_response(&req.method, text.as_bytes())
            .unwrap_or_else(|e| panic!("{} response decodes ({e}): {text}", req.method));
        assert_eq!(
            status == 200,
            r.is_ok(),
            "HTTP {status} for {}: {text}",
            req.method
        );
        r
    }

    pub async fn ok(&self, req: Request) -> Option<Value> {
        let m = req.method.clone();
        self.check(req)
            .await
            .unwrap_or_else(|f| panic!("{m} failed: {f}"))
    }

    pub async fn login(&self) {
        self.ok(
            Request::new("Login", &mo("SessionManager", "SessionManager"))
                .arg("userName", "user")
                .arg("password", "pass"),
        )
        .await;
    }
}

pub fn mo(kind: &str, id: &str) -> MoRef {
    MoRef::new(kind, id)
}

pub fn pc() -> MoRef {
    mo("PropertyCollector", "propertyCollector")
}

pub async fn start(config: Config) -> (Simulator, Client) {
    let sim = vcsim::start(config).await.expect("simulator starts");
    let c = Client::new(&sim);
    (sim, c)
}

/// A default simulator with a logged-in client.
pub async fn logged_in() -> (Simulator, Client) {
    let (sim, c) = start(Config::default()).await;
    c.login().await;
    (sim, c)
}

pub fn fault_type(r: &Result<Option<Value>, Fault>) -> String {
    match r {
        Err(f) => f.fault_type().unwrap_or_default().to_string(),
        Ok(v) => panic!("expected a fault, got {v:?}"),
    }
}

/// A PropertyFilterSpec for `paths` of `obj`.
pub fn obj_spec(obj: &MoRef, kind: &str, paths: &[&str]) -> Data {
    Data::new("PropertyFilterSpec")
        .with(
            "propSet",
            vec![
                Data::new("PropertySpec")
                    .with("type", kind)
                    .with("pathSet", paths.to_vec()),
            ],
        )
        .with("objectSet", vec![Data::new("ObjectSpec").with("obj", obj)])
}

/// DC0's VM folder, where the default inventory's VMs live.
pub fn vm_folder(sim: &Simulator) -> MoRef {
    let dc = sim.find("Datacenter", "DC0").expect("DC0");
    sim.property(&dc, "vmFolder")
        .and_then(|v| v.as_moref().cloned())
        .expect("vmFolder")
}

/// The root resource pool of cluster DC0_C0.
pub fn cluster_pool(sim: &Simulator) -> MoRef {
    let cl = sim
        .find("ClusterComputeResource", "DC0_C0")
        .expect("cluster");
    sim.property(&cl, "resourcePool")
        .and_then(|v| v.as_moref().cloned())
        .expect("pool")
}

/// A device change adding an E1000 NIC on the standard port group `net`,
/// written out as a client sends it (no key, unit or MAC of its own).
pub fn add_nic(net: &MoRef) -> Data {
    Data::new("VirtualDeviceConfigSpec")
        .with("operation", "add")
        .with(
            "device",
            Data::new("VirtualE1000").with("key", -2).with(
                "backing",
                Data::new("VirtualEthernetCardNetworkBackingInfo")
                    .with("deviceName", "VM Network")
                    .with("network", net),
            ),
        )
}

/// The `version` a `WaitForUpdates(Ex)` answer carries, for the next call.
pub fn update_version(update: &Value) -> String {
    update
        .path("version")
        .and_then(Value::as_str)
        .expect("an update set has a version")
        .to_string()
}
