//! Lookups through the Wayback Machine's availability API: which links are asked about (every
//! kind of broken, nothing else, nothing with the archives off) and for which date, how a found
//! snapshot, no snapshot and a capture that is itself a 404 are reported, how answers are cached
//! across runs, and that the archive is paced like any other host.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use super::{
    PAGE_DATE_RFC3339, PAGE_DATE_TS, Scenario, TITLE_PROGRAMME, TITLE_SUMMARY, assert_snapshot, at,
    lookup, notes, summary_count, time, ts,
};
use crate::common::archive_server::{ArchiveServer, Availability, Memento};
use crate::common::json::{assert_state, resource};
use crate::common::{Behaviour, Linkward, TestServer, pdf, sha256_hex};

#[tokio::test]
async fn a_found_snapshot_of_a_404_is_reported_after_asking_for_the_manifest_date() {
    let live_body = pdf("Programme");
    let s = Scenario::serving([(
        "/docs/programme.pdf",
        Behaviour::ok("application/pdf", live_body.clone()),
    )])
    .await;
    let gone = s.docs.url("/docs/summary.pdf");
    let live = s.docs.url("/docs/programme.pdf");
    s.archive
        .set_availability(&gone, Availability::closest("20070504101112", "200"));
    // Were the live document asked about, it would be reported with a snapshot too.
    s.archive
        .set_availability(&live, Availability::closest("20070504101112", "200"));
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone), (TITLE_PROGRAMME, &live)]);

    let run = s.check(&manifest, &[]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    // Exactly one question, about the broken URL, for the manifest's date at midnight UTC.
    let asked = s.archive.availability_requests();
    assert_eq!(
        asked,
        vec![vec![
            ("url".to_string(), gone.clone()),
            ("timestamp".to_string(), PAGE_DATE_TS.to_string()),
        ]],
        "availability requests: {:?}",
        s.archive.requests()
    );
    // Without --rescue nothing is downloaded from the archive.
    assert_eq!(s.archive.requests().len(), 1, "{:?}", s.archive.requests());

    let broken = resource(&report, &gone);
    assert_state(broken, "broken", Some("not-found"));
    let l = lookup(broken);
    assert_eq!(time(&l["target"]), at(PAGE_DATE_RFC3339), "{l:#}");
    assert_snapshot(
        l,
        "wayback",
        &s.archive.memento_url("20070504101112", &gone),
        "2007-05-04T10:11:12Z",
    );
    assert_eq!(l["snapshot"]["status"], 200, "{l:#}");
    assert_eq!(l["cached"], false, "{l:#}");
    assert_eq!(notes(l), Vec::<&str>::new(), "{l:#}");
    assert_eq!(broken["recovered"], Value::Null, "{broken:#}");

    let ok = resource(&report, &live);
    assert_state(ok, "ok", None);
    assert_eq!(ok["archive_lookup"], Value::Null, "{ok:#}");
    assert_eq!(ok["recovered"], Value::Null, "{ok:#}");
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
    assert_eq!(summary_count(&report, "recovered"), 0);
    // A manifest without a page URL: no page to look up.
    let seed = &report["seeds"][0];
    assert_eq!(seed["page_lookup"], Value::Null, "{seed:#}");
    assert_eq!(seed["recovered_links"], json!([]), "{seed:#}");

    // Later, --rescue: the snapshot found before (cached, not asked again) is downloaded now.
    let body = pdf("Summary report, captured 2007-05-04");
    s.archive.add_memento(
        "20070504101112",
        &gone,
        Memento::ok("application/pdf", body.clone()),
    );
    let rescue = s.check(&manifest, &["--rescue"]).await;
    let report = rescue.json();
    assert_eq!(rescue.code, Some(1), "{}", rescue.dump());
    assert_eq!(
        s.archive.availability_requests().len(),
        1,
        "{:?}",
        s.archive.requests()
    );
    let broken = resource(&report, &gone);
    assert_eq!(lookup(broken)["cached"], true, "{broken:#}");
    assert_eq!(
        broken["recovered"]["sha256"],
        sha256_hex(&body).as_str(),
        "{broken:#}"
    );
    assert_eq!(
        s.archive
            .count(&ArchiveServer::original_path("20070504101112", &gone)),
        1,
        "{:?}",
        s.archive.requests()
    );
    assert_eq!(summary_count(&report, "recovered"), 1);
}

#[tokio::test]
async fn every_kind_of_broken_is_looked_up_and_nothing_else() {
    let s = Scenario::serving([
        (
            "/docs/gone.pdf",
            Behaviour::status(410, "text/html", "<h1>Gone</h1>"),
        ),
        (
            "/docs/error.pdf",
            Behaviour::status(500, "text/html", "<h1>oops</h1>"),
        ),
        (
            "/docs/soft.html",
            Behaviour::html(
                "<html><head><title>Page not found | UNITAR</title></head><body><h1>Oops!</h1>\
                 <p>Try the search box.</p></body></html>",
            ),
        ),
        (
            "/docs/moved.pdf",
            Behaviour::redirect(302, "/docs/here.pdf"),
        ),
        (
            "/docs/here.pdf",
            Behaviour::ok("application/pdf", pdf("here")),
        ),
    ])
    .await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let refused = format!("http://127.0.0.1:{closed}/docs/programme.pdf");
    let broken = [
        (s.docs.url("/docs/gone.pdf"), "gone"),
        (s.docs.url("/docs/error.pdf"), "http-error"),
        (s.docs.url("/docs/soft.html"), "soft-404"),
        (refused.clone(), "connect"),
    ];
    let moved = s.docs.url("/docs/moved.pdf");
    let mut listed: Vec<String> = broken.iter().map(|(u, _)| u.clone()).collect();
    listed.push(moved.clone());
    let seed = s.linkward.seed_listing(&listed);

    let run = s.check(&seed, &[]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for (url, reason) in &broken {
        let r = resource(&report, url);
        assert_state(r, "broken", Some(reason));
        assert_eq!(notes(lookup(r)), vec!["wayback: no snapshot"], "{r:#}");
        assert_eq!(s.archive.availability_asked(url).len(), 1, "{url}");
    }
    let r = resource(&report, &moved);
    assert_eq!(r["state"], "redirected", "{r:#}");
    assert_eq!(r["archive_lookup"], Value::Null, "{r:#}");
    assert_eq!(s.archive.availability_requests().len(), broken.len());
}

/// No archive at all here, so not a [`Scenario`].
#[tokio::test]
async fn with_the_archives_off_a_broken_link_is_not_looked_up() {
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let linkward = Linkward::new();
    let gone = docs.url("/docs/summary.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&gone));

    // The harness's environment says LINKWARD_WAYBACK=off; the flag says it again.
    let run = linkward
        .check(&[&seed], &["--wayback", "off", "--rescue"])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let broken = resource(&report, &gone);
    assert_state(broken, "broken", Some("not-found"));
    assert_eq!(broken["archive_lookup"], Value::Null, "{broken:#}");
    assert_eq!(broken["recovered"], Value::Null, "{broken:#}");
    assert_eq!(summary_count(&report, "snapshots_found"), 0);
    assert_eq!(summary_count(&report, "recovered"), 0);
}

#[tokio::test]
async fn no_snapshot_and_a_capture_that_is_itself_a_404_are_noted_and_nothing_is_downloaded() {
    let s = Scenario::new().await;
    let never = s.docs.url("/docs/never-archived.pdf");
    let error_capture = s.docs.url("/docs/captured-as-404.pdf");
    s.archive.set_availability(&never, Availability::Nothing);
    s.archive.set_availability(
        &error_capture,
        Availability::closest("20070504101112", "404"),
    );
    // Were the error capture downloaded anyway, this is what would come back.
    s.archive.add_memento(
        "20070504101112",
        &error_capture,
        Memento::ok("application/pdf", pdf("must not be recovered")),
    );
    let manifest = s.manifest(&[(TITLE_SUMMARY, &never), (TITLE_PROGRAMME, &error_capture)]);

    let run = s.check(&manifest, &["--rescue"]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let none = lookup(resource(&report, &never));
    assert_eq!(none["snapshot"], Value::Null, "{none:#}");
    assert_eq!(notes(none), vec!["wayback: no snapshot"], "{none:#}");
    assert_eq!(none["cached"], false, "{none:#}");
    assert_eq!(time(&none["target"]), at(PAGE_DATE_RFC3339), "{none:#}");

    let is_404 = lookup(resource(&report, &error_capture));
    assert_eq!(is_404["snapshot"], Value::Null, "{is_404:#}");
    assert_eq!(
        notes(is_404),
        vec!["wayback: the closest capture (2007-05-04) is itself an HTTP 404"],
        "{is_404:#}"
    );
    for url in [&never, &error_capture] {
        assert_eq!(resource(&report, url)["recovered"], Value::Null);
    }
    assert_eq!(summary_count(&report, "snapshots_found"), 0);
    assert_eq!(summary_count(&report, "recovered"), 0);
    // Two questions, no download.
    let paths: Vec<String> = s.archive.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(s.archive.availability_requests().len(), 2, "{paths:?}");
    assert_eq!(paths.len(), 2, "{paths:?}");
}

#[tokio::test]
async fn answers_are_cached_and_a_no_snapshot_answer_expires_with_lookup_cache() {
    const TS: &str = "20070504101112";
    let s = Scenario::new().await;
    let found = s.docs.url("/docs/summary.pdf");
    let none = s.docs.url("/docs/programme.pdf");
    s.archive
        .set_availability(&found, Availability::closest(TS, "200"));
    s.archive.set_availability(&none, Availability::Nothing);
    // A page seed: links never good are looked up at "the latest", i.e. now.
    let seed = s.linkward.seed_listing(&[found.clone(), none.clone()]);

    let started = Utc::now();
    let first = s.check(&seed, &[]).await;
    let ended = Utc::now();
    let report = first.json();
    assert_eq!(first.code, Some(1), "{}", first.dump());
    for url in [&found, &none] {
        let asked = s.archive.availability_asked(url);
        assert_eq!(asked.len(), 1, "{url}: {asked:?}");
        // 14-digit stamps order like the instants they stand for.
        assert!(
            ts(started) <= asked[0] && asked[0] <= ts(ended),
            "{url} asked for {} outside the run ({} .. {})",
            asked[0],
            ts(started),
            ts(ended)
        );
        let l = lookup(resource(&report, url));
        let target = time(&l["target"]);
        assert!(
            started <= target && target <= ended,
            "target {target}: {l:#}"
        );
        assert_eq!(l["cached"], false, "{l:#}");
    }

    // Run 2: nothing asked, both answers from the cache.
    let second = s.check(&seed, &[]).await;
    let report = second.json();
    assert_eq!(second.code, Some(1), "{}", second.dump());
    assert_eq!(
        s.archive.availability_requests().len(),
        2,
        "{:?}",
        s.archive.requests()
    );
    let l = lookup(resource(&report, &found));
    assert_eq!(l["cached"], true, "{l:#}");
    assert_snapshot(
        l,
        "wayback",
        &s.archive.memento_url(TS, &found),
        "2007-05-04T10:11:12Z",
    );
    let l = lookup(resource(&report, &none));
    assert_eq!(l["cached"], true, "{l:#}");
    assert_eq!(l["snapshot"], Value::Null, "{l:#}");
    assert_eq!(notes(l), vec!["wayback: no snapshot"], "{l:#}");
    assert_eq!(summary_count(&report, "snapshots_found"), 1);

    // Run 3: a "no snapshot" answer is trusted for --lookup-cache only; a found one for 30 days.
    let third = s.check(&seed, &["--lookup-cache", "1ms"]).await;
    let report = third.json();
    assert_eq!(third.code, Some(1), "{}", third.dump());
    assert_eq!(s.archive.availability_asked(&none).len(), 2);
    assert_eq!(s.archive.availability_asked(&found).len(), 1);
    assert_eq!(lookup(resource(&report, &none))["cached"], false);
    assert_eq!(lookup(resource(&report, &found))["cached"], true);

    // Run 4: a TimeGate added; it is asked, so the answer is no longer all from the cache, while
    // the Wayback Machine's cached answer still stands.
    let fourth = s.check(&seed, &["--timegate", &s.archive.timegate()]).await;
    let report = fourth.json();
    assert_eq!(fourth.code, Some(1), "{}", fourth.dump());
    assert_eq!(s.archive.availability_asked(&found).len(), 1);
    assert_eq!(s.archive.count(&ArchiveServer::gate_path(&found)), 1);
    let l = lookup(resource(&report, &found));
    assert_eq!(l["cached"], false, "{l:#}");
    assert_snapshot(
        l,
        "wayback",
        &s.archive.memento_url(TS, &found),
        "2007-05-04T10:11:12Z",
    );
    assert_eq!(
        notes(l),
        vec![format!("{}: no snapshot", s.archive.timegate())],
        "{l:#}"
    );
}

#[tokio::test]
async fn archive_requests_are_paced_like_any_host() {
    let s = Scenario::new().await;
    s.archive.set_robots("User-agent: *\nDisallow: /\n");
    let urls: Vec<String> = (1..=3)
        .map(|i| s.docs.url(&format!("/docs/{i}.pdf")))
        .collect();
    let seed = s.linkward.seed_listing(&urls);

    let run = s.check(&seed, &["--per-host-rate", "4/s"]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for url in &urls {
        assert_eq!(s.archive.availability_asked(url).len(), 1, "{url}");
        assert_eq!(
            notes(lookup(resource(&report, url))),
            vec!["wayback: no snapshot"]
        );
    }
    let requests = s.archive.requests();
    assert_eq!(requests.len(), 3, "robots.txt is not asked: {requests:?}");
    for pair in requests.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= Duration::from_millis(200),
            "4/s, but two availability requests were {gap:?} apart"
        );
    }
}
