//! `linkward check` against a replica of the bundled seed page: every kind of link on it is
//! classified as the contract says, kept bodies are archived under their own hash, and the server
//! saw exactly the requests it should have.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::json::{
    assert_archived, assert_kept, assert_nothing_kept, assert_state, assert_summary_consistent,
    resource, resources, titles,
};
use crate::common::linkward::Run;
use crate::common::seed_page::{self, *};
use crate::common::{Behaviour, Linkward, TestServer, sha256_hex};

/// One check of the seed page with the suite's fast flags.
struct SeedPageRun {
    server: TestServer,
    linkward: Linkward,
    run: Run,
    report: Value,
}

impl SeedPageRun {
    async fn new() -> Self {
        let server = seed_page::start().await;
        let linkward = Linkward::new();
        let run = linkward.check(&[server.url(PAGE)], &[]).await;
        let report = run.json();
        SeedPageRun {
            server,
            linkward,
            run,
            report,
        }
    }

    fn resource(&self, path: &str) -> &Value {
        resource(&self.report, &self.server.url(path))
    }
}

#[tokio::test]
async fn broken_links_on_the_seed_page_make_the_run_exit_1() {
    let page = SeedPageRun::new().await;

    assert_eq!(page.run.code, Some(1), "{}", page.run.dump());
    let report = &page.report;
    assert!(!report["version"].is_null(), "no version: {report:#}");
    assert!(
        !report["run"]["id"].is_null(),
        "no run id: {:#}",
        report["run"]
    );
    assert!(report["run"]["started"].is_string(), "{:#}", report["run"]);
    assert!(report["run"]["finished"].is_string(), "{:#}", report["run"]);
    assert_summary_consistent(&page.report);
    // 17 http(s) URLs (the page plus 16 distinct link targets) and two skipped links.
    assert_eq!(resources(&page.report).len(), 19, "{:#}", page.report);
    let summary = &page.report["summary"];
    assert_eq!(summary["ok"], 8, "{summary:#}");
    assert_eq!(summary["redirected"], 1, "{summary:#}");
    assert_eq!(summary["broken"], 8, "{summary:#}");
    assert_eq!(summary["skipped"], 2, "{summary:#}");
    assert_eq!(summary["unresolved"], 0, "{summary:#}");
}

#[tokio::test]
async fn seed_page_is_itself_a_resource_of_kind_page_that_is_ok() {
    let page = SeedPageRun::new().await;

    let page_url = page.server.url(PAGE);
    let resource = page.resource(PAGE);
    assert_eq!(resource["kind"], "page", "{resource:#}");
    assert_state(resource, "ok", None);
    assert_eq!(resource["http_status"], 200, "{resource:#}");
    let served = page_html(page.server.base());
    assert_kept(page.linkward.archive(), resource, served.as_bytes());
    let seeds = page.report["seeds"].as_array().expect("seeds array");
    assert_eq!(seeds.len(), 1, "{seeds:#?}");
    assert_eq!(seeds[0]["page_url"], page_url.as_str(), "{:#}", seeds[0]);
    assert_eq!(seeds[0]["title"], PAGE_TITLE, "{:#}", seeds[0]);
    assert_eq!(seeds[0]["state"], "ok", "{:#}", seeds[0]);
    for resource in resources(&page.report) {
        assert_eq!(resource["seed"], seeds[0]["seed"], "{resource:#}");
    }
}

#[tokio::test]
async fn ok_links_are_archived_under_the_sha256_of_the_bytes_served() {
    let page = SeedPageRun::new().await;
    let archive = page.linkward.archive();

    for (path, body) in [
        (INFO_NOTE, info_note_body()),
        (SUMMARY, summary_body()),
        (ANNUAL, annual_body()),
        (MIPEX, mipex_body()),
        (AOC, aoc_body()),
        (GCIR, gcir_body()),
    ] {
        let resource = page.resource(path);
        assert_state(resource, "ok", None);
        assert_eq!(resource["kind"], "link", "{resource:#}");
        assert_eq!(resource["http_status"], 200, "{resource:#}");
        assert_eq!(resource["final_url"], page.server.url(path), "{resource:#}");
        assert_kept(archive, resource, &body);
    }
    let note = page.resource(INFO_NOTE);
    assert_eq!(note["content_type"], "application/pdf", "{note:#}");
}

#[tokio::test]
async fn gzip_body_is_hashed_and_archived_decoded() {
    let page = SeedPageRun::new().await;

    let resource = page.resource(GZIPPED);

    assert_state(resource, "ok", None);
    assert_kept(page.linkward.archive(), resource, &gzipped_body());
}

#[tokio::test]
async fn http_errors_are_broken_with_their_reason_and_status_and_keep_nothing() {
    let page = SeedPageRun::new().await;

    for (path, reason, status) in [
        (PROGRAMME, "not-found", 404),
        (BARRIGA, "gone", 410),
        (CHEUNG, "http-error", 500),
    ] {
        let resource = page.resource(path);
        assert_state(resource, "broken", Some(reason));
        assert_eq!(resource["http_status"], status, "{resource:#}");
        assert_nothing_kept(resource);
    }
}

#[tokio::test]
async fn redirect_chain_301_then_302_is_temporary_and_lists_every_hop_as_absolute_url() {
    let page = SeedPageRun::new().await;
    let server = &page.server;

    let resource = page.resource(UVALIC);

    assert_state(resource, "redirected", Some("temporary-redirect"));
    assert_eq!(
        resource["final_url"],
        server.url(UVALIC_FINAL),
        "{resource:#}"
    );
    let expected_hops = serde_json::json!([
        {"status": 301, "location": server.url(UVALIC_HOP)},
        {"status": 302, "location": server.url(UVALIC_FINAL)},
    ]);
    let hops: Vec<Value> = resource["redirects"]
        .as_array()
        .expect("redirects array")
        .iter()
        .map(|hop| serde_json::json!({"status": hop["status"], "location": hop["location"]}))
        .collect();
    assert_eq!(Value::Array(hops), expected_hops, "{resource:#}");
    let body = uvalic_body();
    assert_eq!(resource["sha256"], sha256_hex(&body), "{resource:#}");
    assert_archived(page.linkward.archive(), resource, &sha256_hex(&body));
    for path in [UVALIC, UVALIC_HOP, UVALIC_FINAL] {
        assert_eq!(server.count(path), 1, "requests to {path}");
    }
}

#[tokio::test]
async fn redirect_loop_is_broken_and_stops_without_requesting_a_hop_twice() {
    let page = SeedPageRun::new().await;

    let resource = page.resource(LOOP_A);

    assert_state(resource, "broken", Some("redirect-loop"));
    assert_nothing_kept(resource);
    assert_eq!(page.server.count(LOOP_A), 1, "requests to {LOOP_A}");
    assert_eq!(page.server.count(LOOP_B), 1, "requests to {LOOP_B}");
}

#[tokio::test]
async fn response_slower_than_the_timeout_is_broken_timeout() {
    let page = SeedPageRun::new().await;

    let resource = page.resource(SLOW);

    assert_state(resource, "broken", Some("timeout"));
    assert_nothing_kept(resource);
    assert!(
        page.server.count(SLOW) >= 1,
        "the slow link was never requested"
    );
}

#[tokio::test]
async fn body_cut_short_of_its_content_length_is_truncated_and_not_kept() {
    let page = SeedPageRun::new().await;

    let resource = page.resource(TRUNCATED);

    assert_state(resource, "broken", Some("truncated"));
    assert_nothing_kept(resource);
}

#[tokio::test]
async fn body_over_max_size_is_too_large_and_not_kept() {
    let page = SeedPageRun::new().await;

    let resource = page.resource(TOO_LARGE);

    assert_state(resource, "broken", Some("too-large"));
    assert_nothing_kept(resource);
}

#[tokio::test]
async fn gzip_bomb_is_too_large_by_its_decoded_size() {
    let page = SeedPageRun::new().await;

    let resource = page.resource(BOMB);

    assert_state(resource, "broken", Some("too-large"));
    assert_nothing_kept(resource);
}

#[tokio::test]
async fn mailto_and_javascript_links_are_skipped_and_never_requested() {
    let page = SeedPageRun::new().await;

    for href in [MAILTO, JAVASCRIPT] {
        let resource = resource(&page.report, href);
        assert_state(resource, "skipped", Some("unsupported-scheme"));
        assert_nothing_kept(resource);
    }
    for request in page.server.requests() {
        assert!(
            !request.path.contains("mailto") && !request.path.contains("javascript"),
            "requested {}",
            request.path
        );
    }
}

#[tokio::test]
async fn the_server_receives_exactly_one_request_set_for_the_page() {
    let page = SeedPageRun::new().await;

    let requested = page.server.document_paths();
    let expected: BTreeSet<String> = [
        PAGE,
        INFO_NOTE,
        PROGRAMME,
        SUMMARY,
        BARRIGA,
        CHEUNG,
        UVALIC,
        UVALIC_HOP,
        UVALIC_FINAL,
        LOOP_A,
        LOOP_B,
        SLOW,
        TRUNCATED,
        TOO_LARGE,
        GZIPPED,
        BOMB,
        ANNUAL,
        MIPEX,
        AOC,
        GCIR,
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(requested, expected);
}

#[tokio::test]
async fn relative_link_resolves_against_base_href_not_the_page_url() {
    let page = SeedPageRun::new().await;

    let resource = page.resource(SUMMARY);

    assert_state(resource, "ok", None);
    assert_eq!(page.server.count(SUMMARY), 1);
    assert_eq!(page.server.count(SUMMARY_WITHOUT_BASE), 0);
}

#[tokio::test]
async fn href_with_spaces_is_requested_percent_encoded() {
    let page = SeedPageRun::new().await;

    let resource = page.resource(ANNUAL);

    assert_state(resource, "ok", None);
    assert_eq!(page.server.count("/docs/annual%20report.pdf"), 1);
    assert!(
        page.server.requests().iter().all(|r| !r.path.contains(' ')),
        "a request-target contained a raw space: {:#?}",
        page.server.requests()
    );
}

#[tokio::test]
async fn url_listed_twice_is_one_resource_with_both_titles_requested_once() {
    let page = SeedPageRun::new().await;

    // `resource` panics unless exactly one resource has this URL.
    let resource = page.resource(MIPEX);

    let titles = titles(resource);
    assert!(titles.contains(&TITLE_MIPEX), "{resource:#}");
    assert!(titles.contains(&TITLE_MIPEX_AGAIN), "{resource:#}");
    assert_eq!(titles.len(), 2, "{resource:#}");
    assert_eq!(page.server.count(MIPEX), 1, "requests to {MIPEX}");
}

#[tokio::test]
async fn every_request_carries_a_linkward_user_agent() {
    let page = SeedPageRun::new().await;

    let requests = page.server.requests();
    assert!(!requests.is_empty());
    for request in requests {
        let agent = request.header("user-agent").unwrap_or_default();
        assert!(
            agent.starts_with("linkward/"),
            "User-Agent {agent:?} for {}",
            request.path
        );
    }
}

#[tokio::test]
async fn link_titles_are_collapsed_and_sections_are_the_nearest_heading() {
    let page = SeedPageRun::new().await;

    let uvalic = page.resource(UVALIC);
    assert_eq!(uvalic["title"], TITLE_UVALIC, "{uvalic:#}");
    assert_eq!(uvalic["section"], "Related Documents", "{uvalic:#}");
    let note = page.resource(INFO_NOTE);
    assert_eq!(note["title"], TITLE_INFO_NOTE, "{note:#}");
    assert_eq!(note["section"], "Related Documents", "{note:#}");
    let aoc = page.resource(AOC);
    assert_eq!(aoc["title"], "Alliance of Civilizations", "{aoc:#}");
    assert_eq!(aoc["section"], "Related Links", "{aoc:#}");
}

#[tokio::test]
async fn seed_with_only_ok_links_exits_0_on_a_first_and_a_second_run() {
    let server = TestServer::start([
        (
            "/a.pdf",
            Behaviour::ok("application/pdf", crate::common::pdf("a")),
        ),
        ("/b.html", Behaviour::html("<p>b</p>")),
    ])
    .await;
    server.set_route(
        "/",
        Behaviour::html(format!(
            "<title>{PAGE_TITLE}</title><h2>Related Documents</h2>\
             <a href=\"/a.pdf\">Programme (pdf) of the seminar</a>\
             <h2>Related Links</h2><a href=\"{}\">Alliance of Civilizations</a>",
            server.url("/b.html")
        )),
    );
    let linkward = Linkward::new();

    let first = linkward.check(&[server.url("/")], &[]).await;
    let second = linkward.check(&[server.url("/")], &[]).await;

    assert_eq!(first.code, Some(0), "{}", first.dump());
    assert_eq!(second.code, Some(0), "{}", second.dump());
    let report = second.json();
    assert_summary_consistent(&report);
    assert_eq!(report["summary"]["broken"], 0, "{report:#}");
    assert_eq!(report["summary"]["ok"], 3, "{report:#}");
}
