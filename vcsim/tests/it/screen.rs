//! `GET /screen`: the console screenshot door, authenticated like vCenter,
//! answering a real PNG of the requested size.

use base64::Engine;
use testkit::{power_state, wait_task};
use vcsim::{Config, Simulator};
use vim25::Request;

use crate::{Client, logged_in, start};

fn screen_url(sim: &Simulator, query: &str) -> String {
    format!("{}/screen?{query}", sim.url().trim_end_matches("/sdk"))
}

/// GETs `/screen` with the client's session cookie: (status, body).
async fn get(c: &Client, sim: &Simulator, query: &str) -> (u16, Vec<u8>) {
    let mut rb = reqwest::Client::new().get(screen_url(sim, query));
    if let Some(cookie) = c.cookie() {
        rb = rb.header("Cookie", format!("vmware_soap_session={cookie}"));
    }
    let resp = rb.send().await.expect("GET /screen");
    let status = resp.status().as_u16();
    (status, resp.bytes().await.expect("body").to_vec())
}

/// Decodes a PNG: (width, height, RGB bytes).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn vm0(sim: &Simulator) -> vim25::MoRef {
    sim.find("VirtualMachine", "DC0_H0_VM0")
        .expect("DC0_H0_VM0")
}

#[tokio::test]
async fn screen_is_a_png_of_the_requested_size() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOn");
    let (status, body) = get(&c, &sim, &format!("id={}", vm.value)).await;
    assert_eq!(status, 200);
    let (w, h, _) = decode(&body);
    assert_eq!((w, h), (800, 600), "the default size");
    let (status, body) = get(&c, &sim, &format!("id={}&w=320&h=200", vm.value)).await;
    assert_eq!(status, 200);
    let (w, h, rgb) = decode(&body);
    assert_eq!((w, h), (320, 200));
    assert_eq!(rgb.len(), 320 * 200 * 3);
}

#[tokio::test]
async fn powered_on_console_shows_text_and_off_is_black() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let q = format!("id={}&w=640&h=400", vm.value);
    let (_, on) = get(&c, &sim, &q).await;
    let (_, _, on_rgb) = decode(&on);
    // Light text on a dark background: some bright pixels, mostly dark ones.
    let bright = on_rgb.chunks(3).filter(|p| p[0] > 0x80).count();
    assert!(bright > 500, "text is drawn: {bright} bright pixels");
    assert!(bright < on_rgb.len() / 3 / 4, "the background is dark");
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &vm)).await).await;
    assert_eq!(power_state(&sim, "DC0_H0_VM0"), "poweredOff");
    let (status, off) = get(&c, &sim, &q).await;
    assert_eq!(status, 200);
    let (w, h, off_rgb) = decode(&off);
    assert_eq!((w, h), (640, 400));
    assert!(
        off_rgb.iter().all(|&b| b == 0),
        "a powered-off VM's screen is black"
    );
    assert_ne!(on_rgb, off_rgb);
}

#[tokio::test]
async fn screen_needs_a_session_or_basic_auth() {
    let (sim, c) = start(Config {
        credentials: Some(("admin".into(), "secret".into())),
        ..Config::default()
    })
    .await;
    let q = format!("id={}", vm0(&sim).value);
    let (status, _) = get(&c, &sim, &q).await;
    assert_eq!(status, 401, "no cookie, no Basic auth");
    c.set_cookie(Some("not-a-session".into()));
    let (status, _) = get(&c, &sim, &q).await;
    assert_eq!(status, 401, "an unknown session cookie");
    let basic = |u: &str, p: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        )
    };
    let http = reqwest::Client::new();
    let r = http
        .get(screen_url(&sim, &q))
        .header("Authorization", basic("admin", "wrong"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 401, "a wrong Basic password");
    let r = http
        .get(screen_url(&sim, &q))
        .header("Authorization", basic("admin", "secret"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 200);
    let (w, h, _) = decode(&r.bytes().await.expect("body"));
    assert_eq!((w, h), (800, 600));
}

#[tokio::test]
async fn unknown_vm_is_404_and_bad_sizes_are_400() {
    let (sim, c) = logged_in().await;
    let (status, body) = get(&c, &sim, "id=vm-does-not-exist").await;
    assert_eq!(status, 404);
    testkit::says(&String::from_utf8_lossy(&body), &["vm-does-not-exist"]);
    let host = sim.find("HostSystem", "DC0_H0").expect("host");
    let (status, _) = get(&c, &sim, &format!("id={}", host.value)).await;
    assert_eq!(status, 404, "a host is not a VM");
    let (status, _) = get(&c, &sim, "w=100").await;
    assert_eq!(status, 400, "no id");
    let id = vm0(&sim).value.to_string();
    for bad in ["w=0", "w=abc", "h=-5", "w=100000"] {
        let (status, body) = get(&c, &sim, &format!("id={id}&{bad}")).await;
        assert_eq!(status, 400, "{bad}");
        testkit::says(&String::from_utf8_lossy(&body), &["1 to 4096"]);
    }
}

#[tokio::test]
async fn create_screenshot_task_saves_a_png_in_the_vm_folder() {
    let (sim, c) = logged_in().await;
    let vm = vm0(&sim);
    let ds = sim.find("Datastore", "LocalDS_0").expect("LocalDS_0");
    let info = wait_task(
        &sim,
        &c.ok(Request::new("CreateScreenshot_Task", &vm)).await,
    )
    .await;
    let path = testkit::str_at(&info, "result")
        .expect("a datastore path")
        .to_string();
    assert!(path.ends_with("/DC0_H0_VM0-1.png"), "{path}");
    let (ds_name, rel) = vcsim::datastore_files::split_path(&path).expect("[ds] path");
    assert_eq!(ds_name, "LocalDS_0");
    let files = sim.datastore_files(&ds, rel);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].1.size > 100, "a PNG's worth of bytes: {files:?}");
    // A second screenshot keeps the first.
    let info = wait_task(
        &sim,
        &c.ok(Request::new("CreateScreenshot_Task", &vm)).await,
    )
    .await;
    assert!(testkit::str_at(&info, "result").is_some_and(|p| p.ends_with("-2.png")));
    // Only a running VM has a console to capture.
    wait_task(&sim, &c.ok(Request::new("PowerOffVM_Task", &vm)).await).await;
    let info = wait_task(
        &sim,
        &c.ok(Request::new("CreateScreenshot_Task", &vm)).await,
    )
    .await;
    assert_eq!(testkit::task_fault(&info), "InvalidPowerState");
    let (dir, _) = rel.rsplit_once('/').expect("a folder");
    let pngs = sim
        .datastore_files(&ds, dir)
        .into_iter()
        .filter(|(p, _)| p.ends_with(".png"))
        .count();
    assert_eq!(pngs, 2, "the failed screenshot wrote nothing");
}
