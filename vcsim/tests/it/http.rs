use vcsim::Config;
use vim25::Request;

use crate::{fault_type, logged_in, mo, start};

#[tokio::test]
async fn version_document_lists_vim25_8_0_3() {
    let (sim, _c) = start(Config::default()).await;
    let url = format!("{}/vimServiceVersions.xml", sim.url());
    let text = reqwest::get(&url)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(text.contains("<name>urn:vim25</name>"));
    assert!(text.contains("<version>8.0.3.0</version>"));
    assert!(text.contains("<priorVersions>"));
}

#[tokio::test]
async fn malformed_xml_gets_an_invalid_request_fault() {
    let (_sim, c) = logged_in().await;
    let (status, body, _) = c.post_raw(b"<soapenv:Envelope><notxml".to_vec()).await;
    assert_eq!(status, 500);
    let f = vim25::decode_response("Fetch", body.as_bytes())
        .expect("fault decodes")
        .expect_err("a fault");
    assert_eq!(f.fault_type(), Some("InvalidRequest"));
}

#[tokio::test]
async fn unknown_method_gets_method_not_found() {
    let (_sim, c) = logged_in().await;
    // A method no schema knows: written by hand since the encoder refuses it.
    let body = r#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><FrobnicateVM xmlns="urn:vim25"><_this type="VirtualMachine">vm-1</_this></FrobnicateVM></soapenv:Body></soapenv:Envelope>"#;
    let (status, text, _) = c.post_raw(body.as_bytes().to_vec()).await;
    assert_eq!(status, 500);
    let f = vim25::decode_response("FrobnicateVM", text.as_bytes())
        .expect("decodes")
        .expect_err("fault");
    assert_eq!(f.fault_type(), Some("MethodNotFound"));
}

#[tokio::test]
async fn known_but_unimplemented_method_gets_method_not_found() {
    let (sim, c) = logged_in().await;
    let vm = sim.find("VirtualMachine", "DC0_H0_VM0").expect("vm");
    let r = c.check(Request::new("UnregisterVM", &vm)).await;
    assert_eq!(fault_type(&r), "MethodNotFound");
    // A method of another type is not found on this receiver either.
    let r = c
        .check(Request::new("PowerOnVM_Task", &mo("Folder", "group-d1")))
        .await;
    assert_eq!(fault_type(&r), "MethodNotFound");
}

#[tokio::test]
async fn oversized_body_is_refused() {
    let (_sim, c) = logged_in().await;
    let body = vec![b' '; 17 * 1024 * 1024];
    let (status, _, _) = c.post_raw(body).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn tls_simulator_serves_https_with_secure_cookie() {
    let (sim, c) = start(Config {
        tls: true,
        ..Config::default()
    })
    .await;
    assert!(sim.url().starts_with("https://"));
    let body = vim25::encode_request(
        &Request::new("Login", &mo("SessionManager", "SessionManager"))
            .arg("userName", "u")
            .arg("password", "p"),
    )
    .expect("encodes");
    let (status, _, cookie) = c.post_raw(body.into_bytes()).await;
    assert_eq!(status, 200);
    let cookie = cookie.expect("Set-Cookie on login");
    assert!(cookie.starts_with("vmware_soap_session=\""), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Secure"),
        "{cookie}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_object_is_managed_object_not_found() {
    let (_sim, c) = logged_in().await;
    let r = c
        .check(Request::new("Fetch", &mo("VirtualMachine", "vm-99999")).arg("prop", "name"))
        .await;
    assert_eq!(fault_type(&r), "ManagedObjectNotFound");
}

/// Issue 8: Nagle's algorithm on the server's sockets stalls every keep-alive
/// reply by a delayed ACK. The simulator reads `TCP_NODELAY` back from each
/// socket it accepts; many calls on one connection must all ride a socket
/// that has it, over HTTP and HTTPS.
#[tokio::test]
async fn issue_8_keep_alive_connection_has_tcp_nodelay() {
    for tls in [false, true] {
        let (sim, c) = start(Config {
            tls,
            ..Config::default()
        })
        .await;
        c.login().await;
        for _ in 0..50 {
            c.ok(Request::new(
                "RetrieveServiceContent",
                &mo("ServiceInstance", "ServiceInstance"),
            ))
            .await
            .expect("service content");
        }
        assert_eq!(
            sim.connections(),
            (1, 1),
            "tls={tls}: one keep-alive connection for 51 calls, with TCP_NODELAY"
        );
        sim.shutdown().await;
    }
}
