//! Issue 14, credentials stay where they belong: a host rule's headers (an `Authorization` token)
//! go to the rule's origin only (scheme, host and port), over plain http only with
//! `allow-http = true`, never to another port of the same host and never after a redirect to
//! another origin. The test servers record every request's headers. (That the values never reach
//! the WARC file is in `warc.rs`.)

use crate::common::json::{assert_state, resource};
use crate::common::server::Request;
use crate::common::{Behaviour, Linkward, TestServer, pdf};

const TOKEN: &str = "Bearer s3cret-token-of-the-trusted-origin";

/// `[hosts."<origin>"]` with the token header, and `allow-http` as given.
fn rule(server: &TestServer, allow_http: bool) -> String {
    let origin = server.base().trim_start_matches("http://");
    format!(
        "[hosts.\"{origin}\"]\nheaders = {{ Authorization = \"{TOKEN}\" }}\nallow-http = {allow_http}\n"
    )
}

fn authorization(request: &Request) -> Option<&str> {
    request.header("authorization")
}

#[tokio::test]
async fn host_rule_headers_go_to_their_origin_only_and_never_across_a_redirect() {
    let trusted = TestServer::start([
        (
            "/report.pdf",
            Behaviour::ok("application/pdf", pdf("report")),
        ),
        ("/annex.pdf", Behaviour::ok("application/pdf", pdf("annex"))),
    ])
    .await;
    // The same host on another port: another origin.
    let other = TestServer::start([
        (
            "/elsewhere.pdf",
            Behaviour::ok("application/pdf", pdf("elsewhere")),
        ),
        (
            "/landing.pdf",
            Behaviour::ok("application/pdf", pdf("landing")),
        ),
    ])
    .await;
    trusted.set_route(
        "/moved",
        Behaviour::redirect(302, other.url("/landing.pdf")),
    );
    trusted.set_route("/renamed", Behaviour::redirect(301, "/annex.pdf"));
    let linkward = Linkward::new();
    linkward.write_file("linkward.toml", &rule(&trusted, true));
    let seed = linkward.seed_listing(&[
        trusted.url("/report.pdf"),
        trusted.url("/renamed"),
        trusted.url("/moved"),
        other.url("/elsewhere.pdf"),
    ]);

    let run = linkward.check(&[&seed], &[]).await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let report = run.json();
    assert_state(resource(&report, &trusted.url("/report.pdf")), "ok", None);
    assert_state(
        resource(&report, &trusted.url("/moved")),
        "redirected",
        Some("temporary-redirect"),
    );
    // Every request to the trusted origin carries the token: documents, a redirect hop and the
    // hop it leads to on the same origin, robots.txt.
    let asked: Vec<String> = trusted.requests().iter().map(|r| r.path.clone()).collect();
    for path in [
        "/report.pdf",
        "/renamed",
        "/annex.pdf",
        "/moved",
        "/robots.txt",
    ] {
        assert!(
            asked.iter().any(|p| p == path),
            "{path} not asked: {asked:?}"
        );
    }
    for request in trusted.requests() {
        assert_eq!(authorization(&request), Some(TOKEN), "{request:?}");
    }
    // The other port never sees it: not when listed, not at the end of a redirect from the
    // trusted origin.
    assert_eq!(other.count("/landing.pdf"), 1, "{:?}", other.requests());
    assert_eq!(other.count("/elsewhere.pdf"), 1, "{:?}", other.requests());
    for request in other.requests() {
        assert_eq!(authorization(&request), None, "{request:?}");
    }
}

#[tokio::test]
async fn host_rule_headers_are_not_sent_over_plain_http_without_allow_http() {
    let server = TestServer::start([(
        "/report.pdf",
        Behaviour::ok("application/pdf", pdf("report")),
    )])
    .await;
    let linkward = Linkward::new();
    linkward.write_file("linkward.toml", &rule(&server, false));
    let seed = linkward.seed_listing(&[server.url("/report.pdf")]);

    let run = linkward.check(&[&seed], &[]).await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_state(
        resource(&run.json(), &server.url("/report.pdf")),
        "ok",
        None,
    );
    assert!(!server.requests().is_empty());
    for request in server.requests() {
        assert_eq!(authorization(&request), None, "{request:?}");
    }
}

#[tokio::test]
async fn a_host_rule_without_a_port_covers_only_the_default_ports() {
    let server = TestServer::start([(
        "/report.pdf",
        Behaviour::ok("application/pdf", pdf("report")),
    )])
    .await;
    let linkward = Linkward::new();
    // 127.0.0.1 without a port means 127.0.0.1:80 (and :443): not this server's port.
    linkward.write_file(
        "linkward.toml",
        &format!(
            "[hosts.\"127.0.0.1\"]\nheaders = {{ Authorization = \"{TOKEN}\" }}\nallow-http = true\n"
        ),
    );
    let seed = linkward.seed_listing(&[server.url("/report.pdf")]);

    let run = linkward.check(&[&seed], &[]).await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    for request in server.requests() {
        assert_eq!(authorization(&request), None, "{request:?}");
    }
}
