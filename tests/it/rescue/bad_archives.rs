//! Archives that answer badly: slowly, malformed, with a 503, gzipped, never, with a 429, or with
//! memento URLs that are not http(s). Each is noted on the lookup, none is cached (so the next
//! run asks again), the run still completes in bounded time, and an archive is not counted down
//! for a refused memento URL.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{
    PAGE_DATE_TS, Scenario, TITLE_PROGRAMME, TITLE_SUMMARY, assert_snapshot, lookup, notes,
    summary_count, view_file,
};
use crate::common::archive_server::{
    AVAILABLE, ArchiveServer, Availability, Memento, accepts_gzip,
};
use crate::common::json::{assert_kept, assert_state, resource};
use crate::common::{Behaviour, noise, pdf, sha256_hex};

/// Six broken links listed by a local seed page, whose availability questions the archive
/// never answers.
async fn six_broken_links_and_an_archive_that_hangs() -> (Scenario, Vec<String>, std::path::PathBuf)
{
    let s = Scenario::new().await;
    let urls: Vec<String> = (1..=6)
        .map(|i| s.docs.url(&format!("/docs/{i}.pdf")))
        .collect();
    for url in &urls {
        s.archive.set_availability(url, Availability::Hang);
    }
    let seed = s.linkward.seed_listing(&urls);
    (s, urls, seed)
}

#[tokio::test]
async fn a_slow_availability_answer_is_noted_the_run_completes_and_it_is_asked_again() {
    let live_body = pdf("Programme");
    let s = Scenario::serving([(
        "/docs/programme.pdf",
        Behaviour::ok("application/pdf", live_body.clone()),
    )])
    .await;
    let gone = s.docs.url("/docs/summary.pdf");
    let live = s.docs.url("/docs/programme.pdf");
    s.archive.set_availability(
        &gone,
        Availability::Slow(
            Duration::from_secs(8),
            Box::new(Availability::closest("20070504101112", "200")),
        ),
    );
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone), (TITLE_PROGRAMME, &live)]);

    let started = Instant::now();
    let first = s.check(&manifest, &[]).await;
    let took = started.elapsed();
    let report = first.json();

    // --timeout 1s: the run does not wait for the 8 s answer, and ends as usual.
    assert!(took < Duration::from_secs(6), "run took {took:?}");
    assert_eq!(first.code, Some(1), "{}", first.dump());
    assert_state(resource(&report, &live), "ok", None);
    assert_kept(s.linkward.archive(), resource(&report, &live), &live_body);
    let broken = resource(&report, &gone);
    assert_state(broken, "broken", Some("not-found"));
    let l = lookup(broken);
    assert_eq!(l["snapshot"], Value::Null, "{l:#}");
    assert_eq!(l["cached"], false, "{l:#}");
    let n = notes(l);
    assert!(
        n.len() == 1 && n[0].starts_with("wayback: ") && n[0] != "wayback: no snapshot",
        "a note must say the archive did not answer in time: {n:?}"
    );
    assert_eq!(s.archive.availability_asked(&gone), vec![PAGE_DATE_TS]);

    // The timeout was not cached: the next run asks again, and takes the (now quick) answer.
    s.archive.set_availability(&gone, Availability::Nothing);
    let second = s.check(&manifest, &[]).await;
    let report = second.json();
    assert_eq!(second.code, Some(1), "{}", second.dump());
    assert_eq!(
        s.archive.availability_asked(&gone),
        vec![PAGE_DATE_TS, PAGE_DATE_TS]
    );
    let l = lookup(resource(&report, &gone));
    assert_eq!(l["cached"], false, "{l:#}");
    assert_eq!(notes(l), vec!["wayback: no snapshot"], "{l:#}");
}

#[tokio::test]
async fn malformed_and_error_availability_answers_are_noted_and_not_cached() {
    let s = Scenario::new().await;
    let malformed = s.docs.url("/docs/summary.pdf");
    let busy = s.docs.url("/docs/programme.pdf");
    s.archive.set_availability(
        &malformed,
        Availability::raw(
            200,
            "application/json",
            "{\"archived_snapshots\": {\"closest\": {\"status\": \"200\", \"url\": ",
        ),
    );
    s.archive.set_availability(
        &busy,
        Availability::raw(
            503,
            "text/html",
            "<html><body>Try again later</body></html>",
        ),
    );
    let manifest = s.manifest(&[(TITLE_SUMMARY, &malformed), (TITLE_PROGRAMME, &busy)]);

    for run_no in 1..=2 {
        let run = s.check(&manifest, &[]).await;
        let report = run.json();
        assert_eq!(run.code, Some(1), "run {run_no}: {}", run.dump());
        let l = lookup(resource(&report, &malformed));
        assert_eq!(l["snapshot"], Value::Null, "{l:#}");
        assert_eq!(l["cached"], false, "run {run_no}: {l:#}");
        let n = notes(l);
        assert!(
            n.len() == 1 && n[0].starts_with("wayback: malformed availability answer: "),
            "run {run_no}: {n:?}"
        );
        let l = lookup(resource(&report, &busy));
        assert_eq!(l["snapshot"], Value::Null, "{l:#}");
        assert_eq!(l["cached"], false, "run {run_no}: {l:#}");
        let n = notes(l);
        assert!(
            n.len() == 1 && n[0].starts_with("wayback: ") && n[0].contains("503"),
            "run {run_no}: a note must name the 503: {n:?}"
        );
        // Errors are not cached: every run asks about both again.
        assert_eq!(s.archive.availability_asked(&malformed).len(), run_no);
        assert_eq!(s.archive.availability_asked(&busy).len(), run_no);
        assert_eq!(summary_count(&report, "snapshots_found"), 0);
    }
}

/// The fake's reading of `Accept-Encoding`, which the gzip test below relies on.
#[test]
fn the_fake_archive_gzips_exactly_when_accept_encoding_allows_it() {
    for (value, allows) in [
        (None, true),
        (Some("identity"), false),
        (Some(""), false),
        (Some("gzip, deflate, br"), true),
        (Some("br;q=1.0, GZIP;q=0.5"), true),
        (Some("gzip;q=0"), false),
        (Some("*"), true),
        (Some("identity, *;q=0"), false),
        (Some("gzip;q=0, *"), false),
    ] {
        assert_eq!(accepts_gzip(value), allows, "Accept-Encoding: {value:?}");
    }
}

#[tokio::test]
async fn availability_answers_are_asked_for_uncompressed_and_read_from_an_archive_that_gzips() {
    const TS: &str = "20070504101112";
    let s = Scenario::new().await;
    // Every answer is gzipped whenever the request allows it (as archive.org's front ends do).
    s.archive.set_gzip(true);
    let gone = s.docs.url("/docs/summary.pdf");
    let mut body = pdf("Summary report");
    body.extend(noise(2048, 11));
    s.capture(TS, &gone, Memento::ok("application/pdf", body.clone()));
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone)]);

    let run = s.check(&manifest, &["--rescue"]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let asked: Vec<_> = s
        .archive
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(AVAILABLE))
        .collect();
    assert_eq!(asked.len(), 1, "{:?}", s.archive.requests());
    assert_eq!(
        asked[0].header("accept-encoding"),
        Some("identity"),
        "the availability API must be asked for an uncompressed answer: {:?}",
        asked[0]
    );
    // The answer was read (not taken for a malformed one): the snapshot is found.
    let r = resource(&report, &gone);
    let l = lookup(r);
    assert_snapshot(
        l,
        "wayback",
        &s.archive.memento_url(TS, &gone),
        "2007-05-04T10:11:12Z",
    );
    assert_eq!(notes(l), Vec::<&str>::new(), "{l:#}");
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
    // The fake does gzip when allowed: the memento, fetched like any body (which linkward
    // decodes itself), came gzipped, and its decoded bytes are what was kept.
    let original = ArchiveServer::original_path(TS, &gone);
    let fetched = s.archive.requests_to(&original);
    assert_eq!(fetched.len(), 1, "{:?}", s.archive.requests());
    assert!(
        accepts_gzip(fetched[0].header("accept-encoding")),
        "{:?}",
        fetched[0]
    );
    assert_eq!(s.archive.gzipped(), vec![original]);
    let sha = sha256_hex(&body);
    assert_eq!(r["recovered"]["sha256"], sha.as_str(), "{r:#}");
    assert_eq!(r["recovered"]["bytes"], body.len() as u64, "{r:#}");
    let stored = std::fs::read(view_file(s.linkward.archive(), &sha)).expect("read the blob");
    assert!(
        stored == body,
        "the blob is not the memento's decoded bytes"
    );
}

#[tokio::test]
async fn an_archive_that_never_answers_is_asked_once_and_the_queued_questions_are_dropped() {
    let (s, urls, seed) = six_broken_links_and_an_archive_that_hangs().await;

    let started = Instant::now();
    let run = s
        .check(
            &seed,
            &[
                "--timeout",
                "1s",
                // The archive is one host: its questions queue behind one another.
                "--per-host-concurrency",
                "1",
            ],
        )
        .await;
    let took = started.elapsed();
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    // Exactly one question reached the archive; the five queued behind it were not sent.
    assert_eq!(
        s.archive.availability_requests().len(),
        1,
        "{:?}",
        s.archive.requests()
    );
    assert_eq!(s.archive.requests().len(), 1, "{:?}", s.archive.requests());
    let (mut asked, mut dropped) = (0, 0);
    for url in &urls {
        let r = resource(&report, url);
        assert_state(r, "broken", Some("not-found"));
        let l = lookup(r);
        assert_eq!(l["snapshot"], Value::Null, "{l:#}");
        assert_eq!(l["cached"], false, "{l:#}");
        let n = notes(l);
        assert_eq!(n.len(), 1, "{url}: {l:#}");
        assert!(n[0].starts_with("wayback: "), "{url}: {n:?}");
        // "not asked again in this run (no answer within 1s)" names the first one's reason too.
        if n[0].contains("not asked again in this run") {
            dropped += 1;
        } else {
            assert!(n[0].contains("no answer within"), "{url}: {n:?}");
            asked += 1;
        }
    }
    assert_eq!((asked, dropped), (1, 5), "{report:#}");
    // A hang guard only, not a speed assertion: asking each of the six would take 6 s.
    assert!(took < Duration::from_secs(4), "the run took {took:?}");
}

#[tokio::test]
async fn an_archive_answering_429_pauses_that_host_for_its_retry_after_and_is_asked_next_run() {
    let s = Scenario::new().await;
    let urls = [
        s.docs.url("/docs/summary.pdf"),
        s.docs.url("/docs/programme.pdf"),
    ];
    // Whichever question comes first is answered 429, Retry-After: 1.
    s.archive.set_busy(1, "1");
    let manifest = s.manifest(&[(TITLE_SUMMARY, &urls[0]), (TITLE_PROGRAMME, &urls[1])]);
    let flags = [
        "--per-host-concurrency",
        "1",
        // No pace of its own: only the pause can explain a gap between two questions.
        "--per-host-rate",
        "unlimited",
    ];

    let first = s.check(&manifest, &flags).await;
    let report = first.json();

    assert_eq!(first.code, Some(1), "{}", first.dump());
    let requests = s.archive.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let asked = s.archive.availability_requests();
    let url_of = |q: &Vec<(String, String)>| {
        q.iter()
            .find(|(k, _)| k == "url")
            .map(|(_, v)| v.clone())
            .expect("a url parameter")
    };
    let (busy, other) = (url_of(&asked[0]), url_of(&asked[1]));
    assert_ne!(busy, other, "{asked:?}");
    let gap = requests[1].at.duration_since(requests[0].at);
    assert!(
        gap >= Duration::from_millis(900),
        "Retry-After: 1, but the next question came {gap:?} after the 429"
    );
    let l = lookup(resource(&report, &busy));
    assert_eq!(l["snapshot"], Value::Null, "{l:#}");
    assert_eq!(l["cached"], false, "{l:#}");
    let n = notes(l);
    assert!(
        n.len() == 1 && n[0].starts_with("wayback: ") && n[0].contains("429"),
        "a note must name the 429: {n:?}"
    );
    assert_eq!(
        notes(lookup(resource(&report, &other))),
        vec!["wayback: no snapshot"]
    );

    // The 429 was not cached: the next run asks about it again (and only about it).
    let second = s.check(&manifest, &flags).await;
    let report = second.json();
    assert_eq!(second.code, Some(1), "{}", second.dump());
    assert_eq!(s.archive.availability_asked(&busy).len(), 2);
    assert_eq!(s.archive.availability_asked(&other).len(), 1);
    let l = lookup(resource(&report, &busy));
    assert_eq!(l["cached"], false, "{l:#}");
    assert_eq!(notes(l), vec!["wayback: no snapshot"], "{l:#}");
    assert_eq!(lookup(resource(&report, &other))["cached"], true);
}

#[tokio::test]
async fn memento_urls_that_are_not_http_are_refused_without_counting_the_archive_down() {
    let s = Scenario::new().await;
    let urls = [
        s.docs.url("/docs/summary.pdf"),
        s.docs.url("/docs/programme.pdf"),
    ];
    for url in &urls {
        s.archive.set_availability(
            url,
            Availability::closest_at("javascript:alert(1)", "20070504101112", "200"),
        );
        s.archive.set_gate_location(url, "javascript:alert(1)");
    }
    let manifest = s.manifest(&[(TITLE_SUMMARY, &urls[0]), (TITLE_PROGRAMME, &urls[1])]);
    let gate = s.archive.timegate();

    let run = s
        .check(
            &manifest,
            &[
                "--timegate",
                &gate,
                "--rescue",
                // One question at a time: the second about each archive comes after the
                // first's refusal, so an archive wrongly counted down would not be asked again.
                "--per-host-concurrency",
                "1",
            ],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for url in &urls {
        let r = resource(&report, url);
        let l = lookup(r);
        assert_eq!(l["snapshot"], Value::Null, "{l:#}");
        assert_eq!(r["recovered"], Value::Null, "{r:#}");
        let n = notes(l);
        assert_eq!(n.len(), 2, "{url}: {n:?}");
        assert!(
            n[0].starts_with("wayback: ") && n[0].contains("not an http(s) URL"),
            "{url}: {n:?}"
        );
        assert!(
            n[1].starts_with(&format!("{gate}: ")) && n[1].contains("not an http(s) URL"),
            "{url}: {n:?}"
        );
        // Both archives were asked about both URLs.
        assert_eq!(s.archive.availability_asked(url).len(), 1, "{url}");
        assert_eq!(s.archive.count(&ArchiveServer::gate_path(url)), 1, "{url}");
    }
    // Those four questions and nothing else: no memento was requested.
    assert_eq!(s.archive.requests().len(), 4, "{:?}", s.archive.requests());
    assert_eq!(summary_count(&report, "snapshots_found"), 0);
}

/// Issue 16: an archive that went down is said once per run on the terminal, with the count of
/// lookups it left without an answer, not under every broken line; the JSON keeps every note
/// (`an_archive_that_never_answers_is_asked_once_and_the_queued_questions_are_dropped`).
#[tokio::test]
async fn an_archive_that_went_down_is_said_once_on_the_terminal_with_its_count() {
    let (s, _urls, seed) = six_broken_links_and_an_archive_that_hangs().await;

    let run = s
        .check(
            &seed,
            &[
                "--timeout",
                "1s",
                "--per-host-concurrency",
                "1",
                "--format",
                "terminal",
            ],
        )
        .await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let said: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("wayback unreachable"))
        .collect();
    assert_eq!(said.len(), 1, "{}", run.dump());
    assert!(
        said[0].starts_with("wayback unreachable in this run (no answer within ")
            && said[0].ends_with("): 6 lookups without its answer"),
        "{}",
        run.dump()
    );
    assert!(
        !run.stdout.contains("not asked again"),
        "the outage is repeated under the lines\n{}",
        run.dump()
    );
    let under: Vec<&str> = run
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("no snapshot"))
        .collect();
    assert_eq!(
        under,
        ["no snapshot found (wayback unreachable)"; 6],
        "{}",
        run.dump()
    );
    // The summary line stays the last line.
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("run 1: "), "{}", run.dump());
}
