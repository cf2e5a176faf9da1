//! Self-tests of the harness's test server: the fault behaviours really produce the bytes the
//! checker's tests rely on.

use std::io::Read as _;

use flate2::read::GzDecoder;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::common::server::GzipBomb;
use crate::common::{Behaviour, MIB, TestServer};

/// Sends a bare GET for `target` and returns everything the server sent until it closed.
async fn raw_get(server: &TestServer, target: &str) -> (String, Vec<u8>) {
    let address = server.base().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: selftest/1\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response has a head");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    (head, response[split + 4..].to_vec())
}

#[tokio::test]
async fn unknown_paths_are_404_and_every_request_is_logged_with_its_raw_target() {
    let server = TestServer::start([("/here", Behaviour::html("hi"))]).await;

    let (head, _) = raw_get(&server, "/not%20here?x=1").await;
    let (ok_head, body) = raw_get(&server, "/here").await;

    assert!(head.starts_with("HTTP/1.1 404 "), "{head}");
    assert!(ok_head.starts_with("HTTP/1.1 200 "), "{ok_head}");
    assert!(ok_head.contains("Content-Length: 2"), "{ok_head}");
    assert!(ok_head.contains("Connection: close"), "{ok_head}");
    assert_eq!(body, b"hi");
    assert_eq!(server.count("/not%20here?x=1"), 1);
    assert_eq!(
        server.requests_to("/here")[0].header("user-agent"),
        Some("selftest/1")
    );
}

#[tokio::test]
async fn truncated_declares_more_than_it_sends() {
    let server = TestServer::start([(
        "/short",
        Behaviour::Truncated {
            declared_len: 1000,
            body: b"only this".to_vec(),
        },
    )])
    .await;

    let (head, body) = raw_get(&server, "/short").await;

    assert!(head.contains("Content-Length: 1000"), "{head}");
    assert_eq!(body, b"only this");
}

#[tokio::test]
async fn gzip_route_sends_a_gzip_member_of_the_body() {
    let server = TestServer::start([(
        "/z",
        Behaviour::Gzip {
            body: b"hello hello hello".to_vec(),
        },
    )])
    .await;

    let (head, body) = raw_get(&server, "/z").await;

    assert!(head.contains("Content-Encoding: gzip"), "{head}");
    let mut decoded = Vec::new();
    GzDecoder::new(&body[..])
        .read_to_end(&mut decoded)
        .expect("valid gzip");
    assert_eq!(decoded, b"hello hello hello");
}

#[tokio::test]
async fn gzip_bomb_decodes_to_exactly_its_length_of_zeros_with_a_valid_crc() {
    let decoded_len = 3 * MIB as u64 + 12345;
    let server = TestServer::start([("/bomb", Behaviour::GzipBomb { decoded_len })]).await;

    let (head, body) = raw_get(&server, "/bomb").await;

    assert!(head.contains("Content-Encoding: gzip"), "{head}");
    assert!(
        head.contains(&format!("Content-Length: {}", body.len())),
        "{head}"
    );
    assert!(
        body.len() < 64 * 1024,
        "encoded bomb is {} bytes",
        body.len()
    );
    // GzDecoder checks the CRC and length trailer when it reaches the end.
    let mut decoded = Vec::new();
    GzDecoder::new(&body[..])
        .read_to_end(&mut decoded)
        .expect("valid gzip");
    assert_eq!(decoded.len() as u64, decoded_len);
    assert!(decoded.iter().all(|&b| b == 0));
}

#[test]
fn a_100_mib_gzip_bomb_is_small_on_the_wire() {
    let bomb = GzipBomb::new(100 * MIB as u64);
    assert!(bomb.encoded_len() < 1024 * 1024, "{}", bomb.encoded_len());
    assert_eq!(bomb.to_vec().len() as u64, bomb.encoded_len());
}

#[tokio::test]
async fn set_route_switches_behaviour_between_requests() {
    let server = TestServer::start([("/flip", Behaviour::html("good"))]).await;

    let (first, _) = raw_get(&server, "/flip").await;
    server.set_route("/flip", Behaviour::status(500, "text/plain", "bad"));
    let (second, _) = raw_get(&server, "/flip").await;

    assert!(first.starts_with("HTTP/1.1 200 "), "{first}");
    assert!(second.starts_with("HTTP/1.1 500 "), "{second}");
    assert_eq!(server.count("/flip"), 2);
}

/// A real HTTP client (the same reqwest linkward builds on) accepts what the server sends.
#[tokio::test]
async fn a_real_http_client_follows_redirects_and_sees_the_truncation() {
    let server = TestServer::start([
        ("/from", Behaviour::redirect(301, "/to%20there")),
        ("/to%20there", Behaviour::html("arrived")),
        (
            "/short",
            Behaviour::Truncated {
                declared_len: 1000,
                body: b"only this".to_vec(),
            },
        ),
    ])
    .await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");

    let arrived = client.get(server.url("/from")).send().await.expect("send");
    let status = arrived.status();
    let text = arrived.text().await.expect("body");
    let short = client.get(server.url("/short")).send().await.expect("head");
    let short_body = short.bytes().await;

    assert_eq!(status, 200);
    assert_eq!(text, "arrived");
    assert!(short_body.is_err(), "truncated body read as complete");
    assert_eq!(server.count("/to%20there"), 1);
}
