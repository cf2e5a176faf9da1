//! Outcomes the seed page does not cover: permanent redirects, redirect limits, refused
//! connections, and `--fail-on` deciding the exit code.

use crate::common::json::{assert_state, assert_summary_consistent, resource};
use crate::common::{Behaviour, Linkward, TestServer, pdf};

/// A page with one link per `(path, title)`, under "Related Links".
fn page_linking(links: &[(&str, &str)]) -> Behaviour {
    let anchors: String = links
        .iter()
        .map(|(href, title)| format!("<li><a href=\"{href}\">{title}</a></li>"))
        .collect();
    Behaviour::html(format!(
        "<title>Migrants' participation in host countries</title>\
         <h2>Related Links</h2><ul>{anchors}</ul>"
    ))
}

async fn permanent_site() -> TestServer {
    let server = TestServer::start([
        ("/aoc", Behaviour::redirect(301, "/aoc/")),
        ("/aoc/", Behaviour::redirect(308, "/en/aoc/")),
        ("/en/aoc/", Behaviour::html("<title>UNAOC</title>")),
    ])
    .await;
    server.set_route("/", page_linking(&[("/aoc", "Alliance of Civilizations")]));
    server
}

#[tokio::test]
async fn chain_of_only_301_and_308_is_a_permanent_redirect_and_not_a_failure_by_default() {
    let server = permanent_site().await;
    let linkward = Linkward::new();

    let run = linkward.check(&[server.url("/")], &[]).await;
    let report = run.json();

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let moved = resource(&report, &server.url("/aoc"));
    assert_state(moved, "redirected", Some("permanent-redirect"));
    assert_eq!(moved["final_url"], server.url("/en/aoc/"), "{moved:#}");
    assert_eq!(
        moved["redirects"].as_array().map(Vec::len),
        Some(2),
        "{moved:#}"
    );
}

#[tokio::test]
async fn fail_on_redirected_makes_a_redirect_exit_1() {
    let server = permanent_site().await;
    let linkward = Linkward::new();

    let run = linkward
        .check(&[server.url("/")], &["--fail-on", "redirected,broken"])
        .await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_summary_consistent(&run.json());
}

#[tokio::test]
async fn chain_longer_than_max_redirects_is_too_many_redirects_and_stops_following() {
    let server = TestServer::start([
        ("/r1", Behaviour::redirect(302, "/r2")),
        ("/r2", Behaviour::redirect(302, "/r3")),
        ("/r3", Behaviour::redirect(302, "/r4")),
        ("/r4", Behaviour::redirect(302, "/end.pdf")),
        ("/end.pdf", Behaviour::ok("application/pdf", pdf("end"))),
    ])
    .await;
    server.set_route(
        "/",
        page_linking(&[("/r1", "Programme (pdf) of the seminar")]),
    );
    let linkward = Linkward::new();

    let run = linkward
        .check(&[server.url("/")], &["--max-redirects", "2"])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let chain = resource(&report, &server.url("/r1"));
    assert_state(chain, "broken", Some("too-many-redirects"));
    assert_eq!(chain["sha256"], serde_json::Value::Null, "{chain:#}");
    assert_eq!(server.count("/r4"), 0, "followed past --max-redirects");
    assert_eq!(server.count("/end.pdf"), 0, "followed past --max-redirects");
}

#[tokio::test]
async fn link_to_a_refused_port_is_broken_connect() {
    // A port bound and never listened on: connections are refused, and no other test's server
    // can take it while this one runs (a port merely freed again could be, by the tests beside).
    let reserved = tokio::net::TcpSocket::new_v4().expect("socket");
    reserved
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let closed = reserved.local_addr().expect("addr").port();
    let refused = format!("http://127.0.0.1:{closed}/docs/programme.pdf");
    let server = TestServer::start([(
        "/",
        page_linking(&[(&refused, "Programme (pdf) of the seminar")]),
    )])
    .await;
    let linkward = Linkward::new();

    let run = linkward.check(&[server.url("/")], &[]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let link = resource(&report, &refused);
    assert_state(link, "broken", Some("connect"));
    assert_eq!(link["http_status"], serde_json::Value::Null, "{link:#}");
}
