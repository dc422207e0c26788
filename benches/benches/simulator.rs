//! Simulator scale: start-up, resident memory and one large PropertyCollector
//! read at 1k/10k/50k VMs, measured on the release `vcsim` binary.
//!
//! A bench binary (`harness = false`) rather than criterion: start-up and RSS
//! are one figure per process, not a loop. Each figure is printed with the
//! ratio to a baseline measured in the same run:
//! - start-up and RSS: `vcsim` with the small default inventory, so the ratio
//!   is what the VMs cost over an empty simulator;
//! - the query: a bare quick-xml pass over the same reply bytes, so the ratio
//!   is the simulator's work per byte it sends, against the cheapest reader.
//!
//! The binary is `$VCSIM_BIN`, else `target/release/vcsim` (built with
//! `cargo build --release -p vcsim` when missing). `VCSIM_BENCH_VMS=1000,10000`
//! picks the sizes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vim25::{Data, MoRef, Request, Value};

const RUNS: usize = 3;
const QUERIES: usize = 9;

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    panic!("{what}: {e}")
}

fn must<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| fail(what, e))
}

fn vcsim_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("VCSIM_BIN") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("release").join("vcsim");
    if !bin.exists() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let ok = must(
            Command::new(cargo)
                .args(["build", "--release", "-p", "vcsim", "--bin", "vcsim"])
                .current_dir(&root)
                .status(),
            "cargo build vcsim",
        );
        assert!(ok.success(), "cargo build --release -p vcsim failed");
    }
    bin
}

/// One keep-alive HTTP/1.1 connection speaking SOAP, with the session cookie.
struct Soap {
    stream: BufReader<TcpStream>,
    host: String,
    cookie: Option<String>,
}

impl Soap {
    fn connect(url: &str) -> Soap {
        let host = url
            .trim_start_matches("http://")
            .trim_end_matches("/sdk")
            .to_string();
        let tcp = must(TcpStream::connect(&host), "connect");
        must(tcp.set_nodelay(true), "nodelay");
        must(
            tcp.set_read_timeout(Some(Duration::from_secs(120))),
            "timeout",
        );
        Soap {
            stream: BufReader::new(tcp),
            host,
            cookie: None,
        }
    }

    /// Posts one request and returns the reply body.
    fn post(&mut self, req: &Request) -> Vec<u8> {
        let body = must(vim25::encode_request(req), "encode");
        let cookie = self
            .cookie
            .as_ref()
            .map(|c| format!("Cookie: vmware_soap_session={c}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "POST /sdk HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nSOAPAction: {}\r\n{cookie}Content-Length: {}\r\n\r\n",
            self.host,
            vim25::CONTENT_TYPE,
            vim25::SOAP_ACTION,
            body.len()
        );
        let w = self.stream.get_mut();
        must(w.write_all(head.as_bytes()), "write");
        must(w.write_all(body.as_bytes()), "write");
        let mut len = None;
        let mut status = String::new();
        must(self.stream.read_line(&mut status), "read status");
        loop {
            let mut line = String::new();
            must(self.stream.read_line(&mut line), "read header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim();
            if k.eq_ignore_ascii_case("content-length") {
                len = v.parse::<usize>().ok();
            } else if k.eq_ignore_ascii_case("set-cookie") {
                self.cookie = v
                    .split(';')
                    .next()
                    .and_then(|kv| kv.split_once('='))
                    .map(|(_, c)| c.to_string());
            }
        }
        let len = len.unwrap_or_else(|| fail("reply", "no Content-Length"));
        let mut out = vec![0; len];
        must(self.stream.read_exact(&mut out), "read body");
        assert!(status.contains(" 200 "), "{} failed: {status}", req.method);
        out
    }

    fn call(&mut self, req: &Request) -> Option<Value> {
        let bytes = self.post(req);
        must(
            must(vim25::decode_response(&req.method, &bytes), "decode"),
            "fault",
        )
    }
}

fn service_content() -> Request {
    Request::new(
        "RetrieveServiceContent",
        &MoRef::new("ServiceInstance", "ServiceInstance"),
    )
}

/// A running `vcsim` child, killed on drop.
struct Sim {
    child: Child,
    url: String,
    to_url: Duration,
    to_answer: Duration,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    fn spawn(vms: Option<usize>) -> Sim {
        let mut cmd = Command::new(vcsim_bin());
        cmd.args(["--no-tls", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(n) = vms {
            cmd.args(["--vms", &n.to_string()]);
        }
        let started = Instant::now();
        let mut child = must(cmd.spawn(), "spawn vcsim");
        let out = child
            .stdout
            .take()
            .unwrap_or_else(|| fail("vcsim", "no stdout"));
        let mut lines = BufReader::new(out).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("http") => break l,
                Some(Ok(_)) => {}
                Some(Err(e)) => fail("vcsim stdout", e),
                None => fail("vcsim", "exited before printing its URL"),
            }
        };
        let to_url = started.elapsed();
        Soap::connect(&url).call(&service_content());
        let to_answer = started.elapsed();
        Sim {
            child,
            url,
            to_url,
            to_answer,
        }
    }

    fn rss_mb(&self) -> f64 {
        let status = must(
            std::fs::read_to_string(format!("/proc/{}/status", self.child.id())),
            "read /proc status",
        );
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or_else(|| fail("VmRSS", "missing"))
    }
}

/// `name` + `runtime.powerState` of every VM through a container view.
fn vm_query(view: &MoRef) -> Request {
    let spec = Data::new("PropertyFilterSpec")
        .with(
            "propSet",
            vec![
                Data::new("PropertySpec")
                    .with("type", "VirtualMachine")
                    .with("pathSet", vec!["name", "runtime.powerState"]),
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
                                .with("name", "view")
                                .with("type", "ContainerView")
                                .with("path", "view")
                                .with("skip", false),
                        ],
                    ),
            ],
        );
    Request::new(
        "RetrievePropertiesEx",
        &MoRef::new("PropertyCollector", "propertyCollector"),
    )
    .arg("specSet", vec![spec])
    .arg("options", Data::new("RetrieveOptions"))
}

/// Times the query and a bare quick-xml pass over its reply; medians in ms.
fn query(sim: &Sim, vms: usize) -> (f64, f64) {
    let mut c = Soap::connect(&sim.url);
    c.call(
        &Request::new("Login", &MoRef::new("SessionManager", "SessionManager"))
            .arg("userName", "bench")
            .arg("password", "bench"),
    );
    let view = c
        .call(
            &Request::new(
                "CreateContainerView",
                &MoRef::new("ViewManager", "ViewManager"),
            )
            .arg("container", MoRef::new("Folder", "group-d1"))
            .arg("type", vec!["VirtualMachine"])
            .arg("recursive", true),
        )
        .and_then(|v| v.as_moref().cloned())
        .unwrap_or_else(|| fail("CreateContainerView", "no view"));
    let req = vm_query(&view);
    let reply = c.post(&req);
    let answered = must(
        must(vim25::decode_response(&req.method, &reply), "decode"),
        "fault",
    );
    let got = answered
        .as_ref()
        .and_then(|v| v.path("objects"))
        .map(|v| v.as_array().len())
        .unwrap_or(0);
    assert_eq!(got, vms, "the query returns every VM");
    let mut sim_ms = vec![];
    let mut parse_ms = vec![];
    for _ in 0..QUERIES {
        let t = Instant::now();
        let bytes = c.post(&req);
        sim_ms.push(ms(t.elapsed()));
        let t = Instant::now();
        let events = bare_parse(&bytes);
        parse_ms.push(ms(t.elapsed()));
        assert!(events > vms, "the reply parses");
    }
    (median(sim_ms), median(parse_ms))
}

/// Counts the events of a quick-xml pass: the cheapest honest read of a reply.
fn bare_parse(bytes: &[u8]) -> usize {
    let mut r = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        match must(r.read_event_into(&mut buf), "quick-xml") {
            quick_xml::events::Event::Eof => return n,
            _ => n += 1,
        }
        buf.clear();
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn sizes() -> Vec<usize> {
    std::env::var("VCSIM_BENCH_VMS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 50_000])
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported here.
    let mut base = (vec![], vec![], vec![]);
    for _ in 0..RUNS {
        let s = Sim::spawn(None);
        base.0.push(ms(s.to_url));
        base.1.push(ms(s.to_answer));
        base.2.push(s.rss_mb());
    }
    let (b_url, b_ans, b_rss) = (median(base.0), median(base.1), median(base.2));
    println!(
        "simulator/baseline default inventory: to URL {b_url:.1} ms, to first answer {b_ans:.1} ms, RSS {b_rss:.1} MB"
    );
    for vms in sizes() {
        let (mut url, mut ans, mut rss) = (vec![], vec![], vec![]);
        let mut last = None;
        for _ in 0..RUNS {
            let s = Sim::spawn(Some(vms));
            url.push(ms(s.to_url));
            ans.push(ms(s.to_answer));
            rss.push(s.rss_mb());
            last = Some(s);
        }
        let (url, ans, rss) = (median(url), median(ans), median(rss));
        println!(
            "simulator/{vms} VMs start: to URL {url:.1} ms, to first answer {ans:.1} ms ({:.1}x baseline), RSS {rss:.1} MB ({:.1}x baseline)",
            ans / b_ans,
            rss / b_rss
        );
        let Some(s) = last else { continue };
        let (q, p) = query(&s, vms);
        println!(
            "simulator/{vms} VMs RetrievePropertiesEx name+runtime.powerState: {q:.2} ms median; bare quick-xml parse of the reply {p:.2} ms ({:.1}x baseline)",
            q / p
        );
    }
}
