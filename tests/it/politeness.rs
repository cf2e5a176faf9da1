//! Politeness as the server sees it: robots.txt (obeyed, cached across runs, ignored on request,
//! Crawl-delay), per-host pacing, retries (backoff, Retry-After waited out and host-wide, too
//! long a Retry-After not waited for), conditional requests, and per-host rules from
//! `linkward.toml`. Every assertion is on what a local server received (request counts, headers,
//! arrival times with a tolerance) or on what linkward reported and recorded.
//!
//! Seeds are saved HTML files listing absolute links, so the only requests a server sees are
//! robots.txt and the links themselves.

use std::time::Duration;

use serde_json::Value;

use crate::common::json::{assert_archived, assert_kept, assert_state, resource};
use crate::common::server::Request;
use crate::common::{Behaviour, Linkward, TestServer, pdf, sha256_hex};

fn pdf_at(path: &str) -> (String, Behaviour) {
    (
        path.to_string(),
        Behaviour::ok("application/pdf", pdf(path)),
    )
}

fn robots(body: &str) -> (String, Behaviour) {
    ("/robots.txt".to_string(), Behaviour::ok("text/plain", body))
}

/// The gap between two requests as the server saw them.
fn gap(earlier: &Request, later: &Request) -> Duration {
    later.at.saturating_duration_since(earlier.at)
}

/// Every gap between consecutive requests, in arrival order.
fn gaps(requests: &[Request]) -> Vec<Duration> {
    requests.windows(2).map(|w| gap(&w[0], &w[1])).collect()
}

fn paths(requests: &[Request]) -> Vec<&str> {
    requests.iter().map(|r| r.path.as_str()).collect()
}

/// The store's history of `url` in the archive, after the binary has exited.
fn history(linkward: &Linkward, url: &str) -> Vec<linkward::store::CheckRecord> {
    linkward::store::Store::open(linkward.archive())
        .expect("open the store")
        .history(url)
        .expect("read the history")
}

/// The one check of `url` in a single-run archive.
fn only_check(linkward: &Linkward, url: &str) -> linkward::store::CheckRecord {
    let mut checks = history(linkward, url);
    assert_eq!(checks.len(), 1, "checks of {url}: {checks:#?}");
    checks.remove(0)
}

#[tokio::test]
async fn robots_disallowed_link_is_skipped_and_never_requested() {
    // Everyone else is shut out; linkward's own group only closes /private/.
    let server = TestServer::start([
        robots("User-agent: *\nDisallow: /\n\nUser-agent: linkward\nDisallow: /private/\n"),
        pdf_at("/private/minutes.pdf"),
        pdf_at("/public/report.pdf"),
    ])
    .await;
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[
        server.url("/private/minutes.pdf"),
        server.url("/public/report.pdf"),
    ]);

    let run = linkward.check(&[&seed], &[]).await;

    assert_eq!(run.code, Some(0), "skipped is not failing\n{}", run.dump());
    let report = run.json();
    let private = resource(&report, &server.url("/private/minutes.pdf"));
    assert_state(private, "skipped", Some("robots"));
    assert_eq!(private["http_status"], Value::Null, "{private:#}");
    assert_eq!(
        server.count("/private/minutes.pdf"),
        0,
        "a disallowed URL was requested"
    );
    let public = resource(&report, &server.url("/public/report.pdf"));
    assert_state(public, "ok", None);
    assert_eq!(
        server.count("/robots.txt"),
        1,
        "{:?}",
        paths(&server.requests())
    );
    let robots_request = &server.requests_to("/robots.txt")[0];
    assert_eq!(robots_request.method, "GET");
    assert!(
        robots_request.at <= server.requests_to("/public/report.pdf")[0].at,
        "robots.txt must be read before the first link is requested"
    );
    assert_eq!(report["summary"]["skipped"], 1, "{:#}", report["summary"]);
    // Nothing was requested for it, so no attempt was made.
    assert_eq!(private["attempts"], 0, "{private:#}");
}

#[tokio::test]
async fn robots_txt_is_cached_across_runs_and_not_requested_again() {
    let server = TestServer::start([
        robots("User-agent: linkward\nDisallow: /private/\n"),
        pdf_at("/private/minutes.pdf"),
        pdf_at("/public/report.pdf"),
    ])
    .await;
    let linkward = Linkward::new();
    let urls = [
        server.url("/private/minutes.pdf"),
        server.url("/public/report.pdf"),
    ];
    let seed = linkward.seed_listing(&urls);

    let first = linkward.check(&[&seed], &[]).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    assert_eq!(server.count("/robots.txt"), 1);
    // Were robots.txt asked again, it would now allow everything.
    server.set_route(
        "/robots.txt",
        Behaviour::ok("text/plain", "User-agent: *\nAllow: /\n"),
    );
    let second = linkward.check(&[&seed], &[]).await;

    assert_eq!(second.code, Some(0), "{}", second.dump());
    assert_eq!(
        server.count("/robots.txt"),
        1,
        "the second run within 24 h asked for robots.txt again: {:?}",
        paths(&server.requests())
    );
    let report = second.json();
    assert_state(resource(&report, &urls[0]), "skipped", Some("robots"));
    assert_state(resource(&report, &urls[1]), "ok", None);
    assert_eq!(server.count("/private/minutes.pdf"), 0);
    assert_eq!(server.count("/public/report.pdf"), 2);
}

#[tokio::test]
async fn robots_txt_answering_500_allows_every_link_and_is_not_cached() {
    let server = TestServer::start([
        (
            "/robots.txt".to_string(),
            Behaviour::status(500, "text/plain", "robots are down"),
        ),
        pdf_at("/private/minutes.pdf"),
    ])
    .await;
    // A port nobody listens on: its robots.txt cannot be had either.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        format!("http://127.0.0.1:{port}/gone.pdf")
    };
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[server.url("/private/minutes.pdf"), dead.clone()]);

    let first = linkward.check(&[&seed], &[]).await;

    assert_eq!(
        first.code,
        Some(1),
        "the dead host is broken\n{}",
        first.dump()
    );
    let report = first.json();
    let doc = resource(&report, &server.url("/private/minutes.pdf"));
    assert_state(doc, "ok", None);
    assert_eq!(server.count("/private/minutes.pdf"), 1);
    let gone = resource(&report, &dead);
    assert_state(gone, "broken", Some("connect"));
    assert_eq!(gone["attempts"], 1, "{gone:#}");
    assert_eq!(server.count("/robots.txt"), 1);

    let second = linkward.check(&[&seed], &[]).await;
    assert_eq!(second.code, Some(1), "{}", second.dump());
    assert_eq!(
        server.count("/robots.txt"),
        2,
        "a 500 robots.txt must not be cached: {:?}",
        paths(&server.requests())
    );
}

#[tokio::test]
async fn ignore_robots_never_requests_robots_txt() {
    let server =
        TestServer::start([robots("User-agent: *\nDisallow: /\n"), pdf_at("/doc.pdf")]).await;
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[server.url("/doc.pdf")]);

    let run = linkward.check(&[&seed], &["--ignore-robots"]).await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_state(resource(&run.json(), &server.url("/doc.pdf")), "ok", None);
    assert_eq!(
        server.count("/robots.txt"),
        0,
        "{:?}",
        paths(&server.requests())
    );
    assert_eq!(server.count("/doc.pdf"), 1);
}

#[tokio::test]
async fn crawl_delay_spaces_requests_to_its_host() {
    let server = TestServer::start([
        robots("User-agent: *\nCrawl-delay: 1\n"),
        pdf_at("/a.pdf"),
        pdf_at("/b.pdf"),
    ])
    .await;
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[server.url("/a.pdf"), server.url("/b.pdf")]);

    let run = linkward.check(&[&seed], &[]).await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let links: Vec<Request> = server
        .requests()
        .into_iter()
        .filter(|r| r.path != "/robots.txt")
        .collect();
    assert_eq!(links.len(), 2, "{:?}", paths(&links));
    let spacing = gap(&links[0], &links[1]);
    assert!(
        spacing >= Duration::from_millis(900),
        "Crawl-delay: 1 but the two links were requested {spacing:?} apart"
    );
}

#[tokio::test]
async fn per_host_rate_spaces_consecutive_requests() {
    let docs = ["/1.pdf", "/2.pdf", "/3.pdf", "/4.pdf"];
    let server = TestServer::start(docs.map(pdf_at)).await;
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&docs.map(|d| server.url(d)));

    let run = linkward
        .check(
            &[&seed],
            &["--per-host-rate", "5/s", "--per-host-concurrency", "8"],
        )
        .await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    // robots.txt goes through the same queue: five requests, four gaps of 200 ms.
    let requests = server.requests();
    assert_eq!(requests.len(), 5, "{:?}", paths(&requests));
    for (i, spacing) in gaps(&requests).into_iter().enumerate() {
        assert!(
            spacing >= Duration::from_millis(160),
            "5/s, but requests {i} and {} ({:?}) were {spacing:?} apart",
            i + 1,
            paths(&requests),
        );
    }
}

#[tokio::test]
async fn second_run_sends_validators_and_a_304_keeps_the_archived_copy() {
    const ETAG: &str = "\"programme-v1\"";
    const LAST_MODIFIED: &str = "Thu, 03 May 2007 10:00:00 GMT";
    let body = pdf("programme");
    let server = TestServer::start([(
        "/programme.pdf",
        Behaviour::Ok {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/pdf".into()),
                ("ETag".into(), ETAG.into()),
                ("Last-Modified".into(), LAST_MODIFIED.into()),
            ],
            body: body.clone(),
        },
    )])
    .await;
    let linkward = Linkward::new();
    let url = server.url("/programme.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&url));

    let first = linkward.check(&[&seed], &[]).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    let first_report = first.json();
    let first_doc = resource(&first_report, &url);
    assert_kept(linkward.archive(), first_doc, &body);
    assert_eq!(first_doc["not_modified"], false, "{first_doc:#}");
    assert_eq!(
        first_report["summary"]["bytes_downloaded"],
        body.len(),
        "{:#}",
        first_report["summary"]
    );
    assert_eq!(first_report["summary"]["bytes_saved"], 0);
    let plain = &server.requests_to("/programme.pdf")[0];
    assert_eq!(plain.header("if-none-match"), None, "{plain:?}");
    assert_eq!(plain.header("if-modified-since"), None, "{plain:?}");

    server.set_route(
        "/programme.pdf",
        Behaviour::Ok {
            status: 304,
            headers: vec![("ETag".into(), ETAG.into())],
            body: Vec::new(),
        },
    );
    let second = linkward.check(&[&seed], &[]).await;

    assert_eq!(second.code, Some(0), "{}", second.dump());
    let conditional = &server.requests_to("/programme.pdf")[1];
    assert_eq!(
        conditional.header("if-none-match"),
        Some(ETAG),
        "{conditional:?}"
    );
    assert_eq!(
        conditional.header("if-modified-since"),
        Some(LAST_MODIFIED),
        "{conditional:?}"
    );
    let report = second.json();
    let doc = resource(&report, &url);
    assert_state(doc, "ok", None);
    assert_eq!(doc["not_modified"], true, "{doc:#}");
    assert_eq!(doc["http_status"], 304, "{doc:#}");
    let sha = sha256_hex(&body);
    assert_eq!(doc["sha256"], sha.as_str(), "{doc:#}");
    assert_eq!(doc["archived"], first_doc["archived"], "{doc:#}");
    assert_archived(linkward.archive(), doc, &sha);
    let summary = &report["summary"];
    assert_eq!(summary["bytes_saved"], body.len(), "{summary:#}");
    assert_eq!(
        summary["bytes_downloaded"], 0,
        "a 304 has no body: {summary:#}"
    );

    // A run killed outright can leave the files/ view a file cut short and a body it never
    // judged. The next run mends the view even when it downloads nothing.
    {
        let store = linkward::store::Store::open(linkward.archive()).expect("open the store");
        let mut killed = linkward::store::RunRecord::default();
        store.begin_run(&mut killed).expect("a run that never ends");
    }
    let archived = doc["archived"].as_str().expect("an archived copy");
    let view_file = linkward.archive().join(archived);
    std::fs::write(&view_file, &body[..body.len() / 2]).expect("cut the copy short");
    let stray = linkward.archive().join("files/00/unjudged.html");
    std::fs::create_dir_all(stray.parent().expect("a folder")).expect("a view folder");
    std::fs::write(&stray, "<title>Not found</title>").expect("a stray body");
    let third = linkward.check(&[&seed], &[]).await;
    assert_eq!(third.code, Some(0), "{}", third.dump());
    assert_eq!(resource(&third.json(), &url)["http_status"], 304);
    assert_eq!(std::fs::read(&view_file).expect("the copy"), body);
    assert!(!stray.exists(), "the killed run's stray body is pruned");
}

#[tokio::test]
async fn retry_after_is_waited_out_before_the_retry() {
    let server = TestServer::start([(
        "/busy.pdf",
        Behaviour::Sequence(vec![
            Behaviour::with_headers(503, &[("Retry-After", "1")], "busy"),
            Behaviour::ok("application/pdf", pdf("busy")),
        ]),
    )])
    .await;
    let linkward = Linkward::new();
    let url = server.url("/busy.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&url));

    // A backoff far shorter than the Retry-After: only obeying the server makes the gap 1 s.
    let run = linkward
        .check(&[&seed], &["--retries", "2", "--retry-backoff", "50ms"])
        .await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let report = run.json();
    let doc = resource(&report, &url);
    assert_state(doc, "ok", None);
    assert_eq!(doc["attempts"], 2, "{doc:#}");
    let requests = server.requests_to("/busy.pdf");
    assert_eq!(requests.len(), 2);
    let spacing = gap(&requests[0], &requests[1]);
    assert!(
        spacing >= Duration::from_millis(900),
        "Retry-After: 1, but the retry came {spacing:?} after the 503"
    );
    let check = only_check(&linkward, &url);
    let attempts = &check.attempts;
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert_eq!(attempts[0].status, Some(503), "{attempts:#?}");
    assert_eq!(attempts[0].result, "http-503", "{attempts:#?}");
    assert_eq!(
        attempts[0].wait_ms,
        Some(1000),
        "waited out exactly: {attempts:#?}"
    );
    assert_eq!(attempts[1].status, Some(200), "{attempts:#?}");
    assert_eq!(attempts[1].result, "ok", "{attempts:#?}");
    assert_eq!(attempts[1].wait_ms, None, "{attempts:#?}");
}

#[tokio::test]
async fn retry_after_longer_than_max_retry_wait_is_not_waited_for() {
    let server = TestServer::start([(
        "/busy.pdf",
        Behaviour::with_headers(503, &[("Retry-After", "30")], "come back later"),
    )])
    .await;
    let linkward = Linkward::new();
    let url = server.url("/busy.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&url));

    let run = linkward
        .check(
            &[&seed],
            &[
                "--retries",
                "2",
                "--retry-backoff",
                "50ms",
                "--max-retry-wait",
                "5s",
            ],
        )
        .await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let report = run.json();
    let doc = resource(&report, &url);
    assert_state(doc, "broken", Some("http-error"));
    assert_eq!(doc["http_status"], 503, "{doc:#}");
    assert_eq!(doc["attempts"], 1, "{doc:#}");
    assert_eq!(
        server.count("/busy.pdf"),
        1,
        "retried despite Retry-After 30 > 5s"
    );
    let check = only_check(&linkward, &url);
    assert_eq!(check.attempts.len(), 1, "{:#?}", check.attempts);
    assert_eq!(check.attempts[0].wait_ms, None, "{:#?}", check.attempts);
}

#[tokio::test]
async fn bad_gateway_then_ok_is_retried_after_a_backoff() {
    let server = TestServer::start([(
        "/flaky.pdf",
        Behaviour::Sequence(vec![
            Behaviour::status(502, "text/plain", "bad gateway"),
            Behaviour::ok("application/pdf", pdf("flaky")),
        ]),
    )])
    .await;
    let linkward = Linkward::new();
    let url = server.url("/flaky.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&url));

    let run = linkward
        .check(&[&seed], &["--retries", "2", "--retry-backoff", "100ms"])
        .await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let report = run.json();
    let doc = resource(&report, &url);
    assert_state(doc, "ok", None);
    assert_eq!(doc["attempts"], 2, "{doc:#}");
    assert_eq!(doc["http_status"], 200, "{doc:#}");
    let requests = server.requests_to("/flaky.pdf");
    assert_eq!(requests.len(), 2);
    let spacing = gap(&requests[0], &requests[1]);
    assert!(
        spacing >= Duration::from_millis(80),
        "backoff 100ms, but the retry came {spacing:?} after the 502"
    );
    let check = only_check(&linkward, &url);
    assert_eq!(check.attempts.len(), 2, "{:#?}", check.attempts);
    assert_eq!(check.attempts[0].status, Some(502), "{:#?}", check.attempts);
    // The first step: 100 ms plus at most 50% jitter.
    let waited = check.attempts[0].wait_ms.unwrap_or_default();
    assert!((100..=150).contains(&waited), "{:#?}", check.attempts);
}

#[tokio::test]
async fn persistent_503_is_retried_with_growing_backoff_then_broken() {
    let server = TestServer::start([(
        "/down.pdf",
        Behaviour::status(503, "text/plain", "unavailable"),
    )])
    .await;
    let linkward = Linkward::new();
    let url = server.url("/down.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&url));

    let run = linkward
        .check(&[&seed], &["--retries", "2", "--retry-backoff", "50ms"])
        .await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let report = run.json();
    let doc = resource(&report, &url);
    assert_state(doc, "broken", Some("http-error"));
    assert_eq!(doc["http_status"], 503, "{doc:#}");
    assert_eq!(doc["attempts"], 3, "{doc:#}");
    let requests = server.requests_to("/down.pdf");
    assert_eq!(requests.len(), 3, "one request and two retries");
    let spacing = gaps(&requests);
    assert!(spacing[0] >= Duration::from_millis(40), "{spacing:?}");
    assert!(
        spacing[1] >= Duration::from_millis(80),
        "doubled: {spacing:?}"
    );
    let check = only_check(&linkward, &url);
    let waits: Vec<Option<u64>> = check.attempts.iter().map(|a| a.wait_ms).collect();
    assert_eq!(waits.len(), 3, "{:#?}", check.attempts);
    assert!(
        waits[0].is_some_and(|w| (50..=75).contains(&w)),
        "{waits:?}"
    );
    assert!(
        waits[1].is_some_and(|w| (100..=150).contains(&w)),
        "{waits:?}"
    );
    assert_eq!(waits[2], None, "{waits:?}");
}

#[tokio::test]
async fn retry_after_pauses_its_whole_host_but_not_other_hosts() {
    // Host A answers its first request 429 / Retry-After: 2. A second link on A and one on B are
    // reached through redirects that answer 500 ms later, well inside A's pause.
    let a = TestServer::start([
        (
            "/busy.pdf".to_string(),
            Behaviour::Sequence(vec![
                Behaviour::with_headers(429, &[("Retry-After", "2")], "slow down"),
                Behaviour::ok("application/pdf", pdf("busy")),
            ]),
        ),
        (
            "/later".to_string(),
            Behaviour::delay(
                Duration::from_millis(500),
                Behaviour::redirect(302, "/later.pdf"),
            ),
        ),
        pdf_at("/later.pdf"),
    ])
    .await;
    let b = TestServer::start([
        (
            "/later".to_string(),
            Behaviour::delay(
                Duration::from_millis(500),
                Behaviour::redirect(302, "/later.pdf"),
            ),
        ),
        pdf_at("/later.pdf"),
    ])
    .await;
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[a.url("/busy.pdf"), a.url("/later"), b.url("/later")]);

    let run = linkward
        .check(
            &[&seed],
            &[
                "--retries",
                "2",
                "--retry-backoff",
                "50ms",
                "--timeout",
                "10s",
            ],
        )
        .await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let report = run.json();
    let busy = resource(&report, &a.url("/busy.pdf"));
    assert_state(busy, "ok", None);
    assert_eq!(busy["attempts"], 2, "{busy:#}");
    let busy_requests = a.requests_to("/busy.pdf");
    assert_eq!(busy_requests.len(), 2);
    let told_to_wait = &busy_requests[0];
    let retried = &busy_requests[1];
    assert!(
        gap(told_to_wait, retried) >= Duration::from_millis(1800),
        "Retry-After: 2, but the retry came {:?} after the 429",
        gap(told_to_wait, retried)
    );
    // The same host: its other link waits out the pause too.
    let a_later = &a.requests_to("/later.pdf")[0];
    assert!(
        gap(told_to_wait, a_later) >= Duration::from_millis(1800),
        "host A was asked to wait 2 s, but /later.pdf on it was requested {:?} after the 429",
        gap(told_to_wait, a_later)
    );
    // Another host: not held up by A's pause.
    let b_later = &b.requests_to("/later.pdf")[0];
    assert!(
        b_later.at < retried.at,
        "host B's request came {:?} after host A's 429, after A's own retry ({:?})",
        gap(told_to_wait, b_later),
        gap(told_to_wait, retried)
    );
    assert_state(
        resource(&report, &b.url("/later")),
        "redirected",
        Some("temporary-redirect"),
    );
}

#[tokio::test]
async fn host_rule_in_linkward_toml_sends_its_headers_and_accepts_its_statuses() {
    let server = TestServer::start([
        (
            "/members-only.pdf".to_string(),
            Behaviour::status(403, "text/plain", "forbidden"),
        ),
        pdf_at("/open.pdf"),
    ])
    .await;
    let linkward = Linkward::new();
    // A rule names its origin's port (without one it covers 80 and 443 only), and sends its
    // headers over plain http only with allow-http.
    let origin = server.base().trim_start_matches("http://");
    linkward.write_file(
        "linkward.toml",
        &format!(
            r#"
retries = 0

[hosts."{origin}"]
rate = "unlimited"
concurrency = 4
headers = {{ "X-Linkward-Test" = "yes" }}
accept-status = [403]
allow-http = true

[hosts."*.example.org"]
headers = {{ "X-Not-For-This-Host" = "no" }}
accept-status = [404]
"#
        ),
    );
    let seed = linkward.seed_listing(&[
        server.url("/members-only.pdf"),
        server.url("/open.pdf"),
        server.url("/missing.pdf"),
    ]);

    let run = linkward.check(&[&seed], &[]).await;

    assert_eq!(run.code, Some(1), "the 404 is still broken\n{}", run.dump());
    let report = run.json();
    let members = resource(&report, &server.url("/members-only.pdf"));
    assert_state(members, "ok", None);
    assert_eq!(members["http_status"], 403, "{members:#}");
    assert_state(resource(&report, &server.url("/open.pdf")), "ok", None);
    assert_state(
        resource(&report, &server.url("/missing.pdf")),
        "broken",
        Some("not-found"),
    );
    let requests = server.requests();
    let (robots_txt, links): (Vec<&Request>, Vec<&Request>) =
        requests.iter().partition(|r| r.path == "/robots.txt");
    assert_eq!(links.len(), 3, "{:?}", paths(&requests));
    assert_eq!(robots_txt.len(), 1, "{:?}", paths(&requests));
    for request in &requests {
        assert_eq!(request.header("x-not-for-this-host"), None, "{request:?}");
    }
    for request in links {
        assert_eq!(
            request.header("x-linkward-test"),
            Some("yes"),
            "request for {} lacks the host rule's header: {request:?}",
            request.path
        );
    }
    // "sent with every request to this host": robots.txt is a request to it too.
    assert_eq!(
        robots_txt[0].header("x-linkward-test"),
        Some("yes"),
        "the robots.txt request lacks the host rule's header: {:?}",
        robots_txt[0]
    );
}

#[tokio::test]
async fn bad_value_in_linkward_toml_exits_2_naming_the_file_and_key() {
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&["http://127.0.0.1:9/never.pdf".to_string()]);

    linkward.write_file("linkward.toml", "retries = \"many\"\n");
    let run = linkward.check(&[&seed], &[]).await;
    run.assert_usage_error();
    assert!(
        run.stderr.contains("linkward.toml") && run.stderr.contains("retries"),
        "{}",
        run.dump()
    );

    let other = linkward.write_file(
        "conf/other.toml",
        "[hosts.\"127.0.0.1\"]\nrate = \"fast\"\n",
    );
    let other = other.to_str().expect("UTF-8 temp path");
    let run = linkward.check(&[&seed], &["--config", other]).await;
    run.assert_usage_error();
    assert!(
        run.stderr.contains("other.toml") && run.stderr.contains("hosts.\"127.0.0.1\""),
        "{}",
        run.dump()
    );
}
