//! Dead seeds given by URL (issue 16, item 5): a URL seed whose page is gone, or answers without
//! links, has its snapshot recovered (closest to its last good check, else the latest), every
//! link of it (archive links unwrapped, the archive's own navigation left out) checked in the
//! run and with `--rescue` rescued, the page's copy kept and reused next run; a saved HTML file
//! whose `<base href>` page is gone gets the same.

use std::collections::BTreeSet;

use chrono::Utc;
use serde_json::Value;

use super::{Scenario, assert_snapshot, at, summary_count, time, ts};
use crate::common::archive_server::{ArchiveServer, Memento};
use crate::common::json::{assert_kept, assert_state, resource};
use crate::common::{Behaviour, TestServer, pdf, sha256_hex};

/// The seed page, on the documents' host.
const PAGE: &str = "/ny/seminar.html";
/// The page's snapshot, and the one document of it that only the archive still has.
const PAGE_TS: &str = "20070503101010";
const GONE_TS: &str = "20070504101112";
const GONE: &str = "/docs/summary.pdf";
/// Two documents the page listed, still live on another host.
const INFO: &str = "/un/information-note.pdf";
const PROGRAMME: &str = "/un/programme.pdf";

/// The documents' host (serving nothing: the page and its summary are gone), the host where
/// two of the page's documents still live, and an archive holding the page's snapshot and the
/// summary's.
async fn gone_site() -> (Scenario, TestServer) {
    let s = Scenario::new().await;
    let elsewhere = TestServer::start([
        (
            INFO,
            Behaviour::ok("application/pdf", pdf("Information note")),
        ),
        (
            PROGRAMME,
            Behaviour::ok("application/pdf", pdf("Programme")),
        ),
    ])
    .await;
    let page = s.docs.url(PAGE);
    s.capture(
        PAGE_TS,
        &page,
        Memento::ok("text/html; charset=utf-8", snapshot(&s, &elsewhere)),
    );
    s.capture(
        GONE_TS,
        &s.docs.url(GONE),
        Memento::ok("application/pdf", pdf("Summary report")),
    );
    (s, elsewhere)
}

/// The page as the archive captured it: the archive's own navigation (its home page), a link
/// root-relative to the page's host, one into the archive by its absolute memento URL, and one
/// root-relative to the archive (read against the page's host, then unwrapped).
fn snapshot(s: &Scenario, elsewhere: &TestServer) -> String {
    format!(
        "<html><head><title>Migrants' participation in host countries</title></head><body>\
         <p><a href=\"{}/web/\">Back to the archive's home</a></p>\
         <h2>Related Documents</h2>\
         <p><a href=\"{GONE}\">Summary report (pdf)</a></p>\
         <p><a href=\"{}\">Information note (pdf)</a></p>\
         <p><a href=\"/web/{PAGE_TS}im_/{}\">Programme (pdf)</a></p>\
         </body></html>",
        s.archive.base(),
        s.archive.memento_url(PAGE_TS, &elsewhere.url(INFO)),
        elsewhere.url(PROGRAMME),
    )
}

/// `check <seed> --wayback <the archive> --rescue`.
async fn check(s: &Scenario, seed: &str) -> crate::common::linkward::Run {
    let endpoint = s.archive.endpoint();
    s.linkward
        .check(&[seed], &["--wayback", &endpoint, "--rescue"])
        .await
}

/// The seed's report names the page's snapshot and the three links recovered from it, each with
/// its evidence.
#[track_caller]
fn assert_page_snapshot(report: &Value, s: &Scenario, elsewhere: &TestServer) {
    let seeds = report["seeds"].as_array().expect("seeds array");
    assert_eq!(seeds.len(), 1, "{seeds:#?}");
    let seed = &seeds[0];
    let memento = s.archive.memento_url(PAGE_TS, &s.docs.url(PAGE));
    assert_snapshot(
        &seed["page_lookup"],
        "wayback",
        &memento,
        "2007-05-03T10:10:10Z",
    );
    let links = seed["recovered_links"]
        .as_array()
        .unwrap_or_else(|| panic!("recovered_links: {seed:#}"));
    let urls: Vec<&str> = links.iter().filter_map(|l| l["url"].as_str()).collect();
    assert_eq!(
        urls,
        [
            s.docs.url(GONE),
            elsewhere.url(INFO),
            elsewhere.url(PROGRAMME)
        ],
        "{seed:#}"
    );
    for (link, text) in links.iter().zip([
        "Summary report (pdf)",
        "Information note (pdf)",
        "Programme (pdf)",
    ]) {
        assert_eq!(link["link_text"], text, "{link:#}");
        assert_eq!(link["section"], "Related Documents", "{link:#}");
        assert_eq!(link["archive"], "wayback", "{link:#}");
        assert_eq!(link["memento_url"], memento.as_str(), "{link:#}");
        assert_eq!(time(&link["memento_datetime"]), at("2007-05-03T10:10:10Z"));
    }
}

#[tokio::test]
async fn a_gone_url_seed_has_its_snapshots_links_checked_and_the_broken_one_rescued() {
    let (s, elsewhere) = gone_site().await;
    let page = s.docs.url(PAGE);
    let gone = s.docs.url(GONE);

    let started = Utc::now();
    let run = check(&s, &page).await;
    let ended = Utc::now();
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    // Never seen good: the latest snapshot is asked for.
    let asked = s.archive.availability_asked(&page);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        ts(started) <= asked[0] && asked[0] <= ts(ended),
        "asked for {} instead of now ({started} .. {ended})",
        asked[0]
    );
    assert_page_snapshot(&report, &s, &elsewhere);
    // The page is broken, and its recovered copy is kept like any recovered copy.
    let p = resource(&report, &page);
    assert_state(p, "broken", Some("not-found"));
    let page_bytes = snapshot(&s, &elsewhere).into_bytes();
    assert_eq!(p["recovered"]["sha256"], sha256_hex(&page_bytes), "{p:#}");
    assert_eq!(
        s.archive
            .count(&ArchiveServer::original_path(PAGE_TS, &page)),
        1
    );
    // Its links are checked like a live page's: the live ones kept, the gone one rescued.
    for (path, body) in [
        (INFO, pdf("Information note")),
        (PROGRAMME, pdf("Programme")),
    ] {
        let r = resource(&report, &elsewhere.url(path));
        assert_state(r, "ok", None);
        assert_eq!(r["kind"], "link", "{r:#}");
        let note = r["note"].as_str().unwrap_or_default();
        assert!(note.starts_with("original URL recovered from"), "{r:#}");
        assert_kept(s.linkward.archive(), r, &body);
        assert_eq!(elsewhere.count(path), 1, "{path}");
    }
    let g = resource(&report, &gone);
    assert_state(g, "broken", Some("not-found"));
    assert_eq!(
        g["recovered"]["sha256"],
        sha256_hex(&pdf("Summary report")),
        "{g:#}"
    );
    assert_eq!(summary_count(&report, "recovered"), 2);
    // The archive's navigation was not checked, nor a link read against the wrong host.
    let expected: BTreeSet<String> = [PAGE, GONE].into_iter().map(String::from).collect();
    assert_eq!(s.docs.document_paths(), expected);
    assert_eq!(s.archive.count("/web/"), 0, "{:?}", s.archive.requests());

    // Run 2: the page's recovered copy is reused, its links checked again.
    let again = check(&s, &page).await;
    let report = again.json();
    assert_eq!(again.code, Some(1), "{}", again.dump());
    assert_page_snapshot(&report, &s, &elsewhere);
    assert_eq!(report["seeds"][0]["page_lookup"]["cached"], true);
    assert_eq!(
        s.archive
            .count(&ArchiveServer::original_path(PAGE_TS, &page)),
        1,
        "the page's snapshot was downloaded again: {:?}",
        s.archive.requests()
    );
    assert_eq!(
        resource(&report, &page)["recovered"]["sha256"],
        sha256_hex(&page_bytes)
    );
    for path in [INFO, PROGRAMME] {
        assert_state(resource(&report, &elsewhere.url(path)), "ok", None);
        assert_eq!(elsewhere.count(path), 2, "{path}");
    }
    assert_eq!(summary_count(&report, "recovered"), 0);

    // The terminal says where the links came from, under the seed.
    let endpoint = s.archive.endpoint();
    let shown = s
        .linkward
        .check(
            &[&page],
            &["--wayback", &endpoint, "--rescue", "--format", "terminal"],
        )
        .await;
    assert_eq!(shown.code, Some(1), "{}", shown.dump());
    assert!(
        shown
            .stdout
            .contains("links recovered from the page's snapshot"),
        "{}",
        shown.dump()
    );
    for path in [INFO, PROGRAMME] {
        let line = format!("{} ← ", elsewhere.url(path));
        assert!(shown.stdout.contains(&line), "{line:?}: {}", shown.dump());
    }
}

#[tokio::test]
async fn a_url_seed_answering_without_links_is_recovered_from_the_snapshot_of_its_last_good_check()
{
    let (s, elsewhere) = gone_site().await;
    let page = s.docs.url(PAGE);
    s.docs.set_route(
        PAGE,
        Behaviour::html(format!(
            "<html><body><p><a href=\"{}\">Information note</a></p></body></html>",
            elsewhere.url(INFO)
        )),
    );

    // Run 1: the page lists its link; nothing is asked of the archive.
    let started = Utc::now();
    let first = check(&s, &page).await;
    let ended = Utc::now();
    assert_eq!(first.code, Some(0), "{}", first.dump());
    assert_eq!(s.archive.availability_asked(&page), Vec::<String>::new());

    // Run 2: the page answers 200 and lists nothing.
    s.docs.set_route(
        PAGE,
        Behaviour::html("<html><body><p>This office has moved.</p></body></html>"),
    );
    let run = check(&s, &page).await;
    let report = run.json();

    // The snapshot is asked for at the last good check (run 1), not now.
    let asked = s.archive.availability_asked(&page);
    assert_eq!(asked.len(), 1, "{asked:?}\n{}", run.dump());
    assert!(
        ts(started) <= asked[0] && asked[0] <= ts(ended),
        "asked for {}, not run 1's check ({started} .. {ended})",
        asked[0]
    );
    assert_state(resource(&report, &page), "ok", None);
    assert_page_snapshot(&report, &s, &elsewhere);
    for path in [INFO, PROGRAMME] {
        assert_state(resource(&report, &elsewhere.url(path)), "ok", None);
    }
    assert_state(
        resource(&report, &s.docs.url(GONE)),
        "broken",
        Some("not-found"),
    );
    assert!(
        resource(&report, &s.docs.url(GONE))["recovered"].is_object(),
        "{}",
        run.dump()
    );
    assert_eq!(run.code, Some(1), "{}", run.dump());
}

#[tokio::test]
async fn a_saved_page_whose_base_href_page_is_gone_has_that_pages_snapshot_checked() {
    let (s, elsewhere) = gone_site().await;
    let page = s.docs.url(PAGE);
    // Saved from the page: its one link, relative, is as dead as the page.
    let file = s.linkward.write_file(
        "saved/seminar.html",
        &format!(
            "<html><head><base href=\"{page}\"></head><body>\
             <p><a href=\"/docs/agenda.pdf\">Agenda</a></p></body></html>"
        ),
    );

    let run = s
        .linkward
        .check(&[&file], &["--wayback", &s.archive.endpoint(), "--rescue"])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let original = resource(&report, &page);
    assert_state(original, "broken", Some("not-found"));
    assert_eq!(
        original["note"], "the page this file was saved from (its <base href>)",
        "{original:#}"
    );
    assert_state(
        resource(&report, &s.docs.url("/docs/agenda.pdf")),
        "broken",
        Some("not-found"),
    );
    assert_page_snapshot(&report, &s, &elsewhere);
    for path in [INFO, PROGRAMME] {
        assert_state(resource(&report, &elsewhere.url(path)), "ok", None);
    }
    assert!(
        resource(&report, &s.docs.url(GONE))["recovered"].is_object(),
        "{}",
        run.dump()
    );
}

#[tokio::test]
async fn a_url_seed_on_a_host_that_refuses_connections_is_recovered_once_the_run_is_settled() {
    let s = Scenario::new().await;
    let elsewhere = TestServer::start([(
        INFO,
        Behaviour::ok("application/pdf", pdf("Information note")),
    )])
    .await;
    // A port that was free a moment ago and has nothing listening now: the run's first fetch
    // gets no HTTP answer, so its check is held until the run is known not to be an outage.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let page = format!("http://127.0.0.1:{closed}{PAGE}");
    s.capture(
        PAGE_TS,
        &page,
        Memento::ok(
            "text/html",
            format!(
                "<html><body><p><a href=\"{}\">Information note (pdf)</a></p></body></html>",
                elsewhere.url(INFO)
            ),
        ),
    );

    let run = check(&s, &page).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(report["run"]["status"], "complete", "{}", run.dump());
    assert_state(resource(&report, &page), "broken", Some("connect"));
    let seed = &report["seeds"][0];
    assert_snapshot(
        &seed["page_lookup"],
        "wayback",
        &s.archive.memento_url(PAGE_TS, &page),
        "2007-05-03T10:10:10Z",
    );
    assert_eq!(seed["recovered_links"][0]["url"], elsewhere.url(INFO));
    assert_state(resource(&report, &elsewhere.url(INFO)), "ok", None);
    assert_eq!(s.archive.availability_asked(&page).len(), 1);
}

#[tokio::test]
async fn a_url_seed_is_not_looked_up_in_an_outage() {
    // Nothing answers: the seed's host, the canary and the web archive all refuse connections.
    let closed = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let page = format!("http://127.0.0.1:{}{PAGE}", closed());
    let canary = format!("http://127.0.0.1:{}/", closed());
    let wayback = format!("http://127.0.0.1:{}/wayback/available", closed());
    let linkward = crate::common::Linkward::new();

    let run = linkward
        .check(
            &[&page],
            &["--wayback", &wayback, "--canary", &canary, "--rescue"],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(4), "{}", run.dump());
    assert_eq!(report["run"]["status"], "inconclusive", "{}", run.dump());
    let p = resource(&report, &page);
    assert_eq!(p["archive_lookup"], Value::Null, "{p:#}");
    assert_eq!(report["seeds"][0]["page_lookup"], Value::Null, "{report:#}");
}
