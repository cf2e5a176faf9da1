//! Rescue from web archives: broken resources are looked up in a (fake, local) Wayback
//! availability API and Memento TimeGates for the snapshot closest to their date, `--rescue`
//! downloads that snapshot in its original (`id_`) form, answers are cached in the store, and a
//! seed page that is gone has its snapshot's links recovered (`check`, `seed recover`).
//!
//! Every archive is an `ArchiveServer` on 127.0.0.1; the harness sets LINKWARD_WAYBACK=off, so
//! each test turns the archives on with flags (or linkward.toml for the keys the environment
//! does not override).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::common::archive_server::{
    AVAILABLE, ArchiveServer, Availability, Gate, Memento, accepts_gzip,
};
use crate::common::json::{assert_kept, assert_state, resource, resource_titled};
use crate::common::seed_page::PAGE;
use crate::common::{Behaviour, Linkward, TestServer, noise, pdf, sha256_hex};

/// The manifests' `[page] date`, and the timestamp it is asked for with.
const PAGE_DATE: &str = "2007-05-03";
const PAGE_DATE_TS: &str = "20070503000000";
const PAGE_DATE_RFC3339: &str = "2007-05-03T00:00:00Z";
const PAGE_DATE_HTTP: &str = "Thu, 03 May 2007 00:00:00 GMT";

const SECTION: &str = "Related Documents";
const TITLE_INFO: &str = "Information note (pdf) on the seminar organization and objectives";
const TITLE_PROGRAMME: &str = "Programme (pdf) of the seminar";
const TITLE_SUMMARY: &str = "Summary report (pdf) on the seminar discussions and outcomes";
const TITLE_CHEUNG: &str = "Settlement, Labour Market and Business Integration";

// ---------------------------------------------------------------------------------------------
// helpers

/// A manifest without a page URL, listing `items` (title, URL), dated `PAGE_DATE`: its items are
/// looked up at 2007-05-03 00:00:00 UTC.
fn items_manifest(items: &[(&str, &str)]) -> String {
    let mut text = format!(
        "format = 1\n\n[page]\ntitle = \"Migrants' participation in host countries\"\n\
         date = \"{PAGE_DATE}\"\n"
    );
    for (title, url) in items {
        text.push_str(&format!(
            "\n[[item]]\nsection = \"{SECTION}\"\ntitle = \"{title}\"\nurls = [\"{url}\"]\n"
        ));
    }
    text
}

/// A JSON RFC 3339 date as a UTC datetime.
#[track_caller]
fn time(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not an RFC 3339 string: {value:#}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

#[track_caller]
fn at(rfc3339: &str) -> DateTime<Utc> {
    time(&Value::String(rfc3339.into()))
}

/// The 14-digit form of a datetime.
fn ts(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d%H%M%S").to_string()
}

/// `archive_lookup` of `resource`, which must not be null.
#[track_caller]
fn lookup(resource: &Value) -> &Value {
    let l = &resource["archive_lookup"];
    assert!(
        l.is_object(),
        "archive_lookup is not an object: {resource:#}"
    );
    l
}

/// The notes of a lookup, as strings.
#[track_caller]
fn notes(lookup: &Value) -> Vec<&str> {
    lookup["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("notes is not an array: {lookup:#}"))
        .iter()
        .map(|n| n.as_str().expect("a note is a string"))
        .collect()
}

/// Asserts the lookup's snapshot, field by field (datetimes compared as instants).
#[track_caller]
fn assert_snapshot(lookup: &Value, archive: &str, url: &str, datetime: &str) {
    let s = &lookup["snapshot"];
    assert!(s.is_object(), "no snapshot: {lookup:#}");
    assert_eq!(s["archive"], archive, "snapshot.archive: {lookup:#}");
    assert_eq!(s["url"], url, "snapshot.url: {lookup:#}");
    assert_eq!(
        time(&s["datetime"]),
        at(datetime),
        "snapshot.datetime: {lookup:#}"
    );
}

/// Every file under `<archive>/blobs`, with its bytes.
fn blobs(archive: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(&archive.join("blobs"), &mut out);
    out
}

/// The content-addressed path of `sha256` under the archive.
fn blob_path(sha256: &str) -> String {
    format!("blobs/sha256/{}/{}/{sha256}", &sha256[..2], &sha256[2..4])
}

fn summary_count(report: &Value, key: &str) -> u64 {
    report["summary"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.{key} is not a count: {:#}", report["summary"]))
}

// ---------------------------------------------------------------------------------------------
// lookups through the availability API

#[tokio::test]
async fn a_found_snapshot_of_a_404_is_reported_after_asking_for_the_manifest_date() {
    let live_body = pdf("Programme");
    let docs = TestServer::start([(
        "/docs/programme.pdf",
        Behaviour::ok("application/pdf", live_body.clone()),
    )])
    .await;
    let archive = ArchiveServer::start().await;
    let gone = docs.url("/docs/summary.pdf");
    let live = docs.url("/docs/programme.pdf");
    archive.set_availability(&gone, Availability::closest("20070504101112", "200"));
    // Were the live document asked about, it would be reported with a snapshot too.
    archive.set_availability(&live, Availability::closest("20070504101112", "200"));
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &gone), (TITLE_PROGRAMME, &live)]),
    );

    let run = linkward
        .check(&[&manifest], &["--wayback", &archive.endpoint()])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    // Exactly one question, about the broken URL, for the manifest's date at midnight UTC.
    let asked = archive.availability_requests();
    assert_eq!(
        asked,
        vec![vec![
            ("url".to_string(), gone.clone()),
            ("timestamp".to_string(), PAGE_DATE_TS.to_string()),
        ]],
        "availability requests: {:?}",
        archive.requests()
    );
    // Without --rescue nothing is downloaded from the archive.
    assert_eq!(archive.requests().len(), 1, "{:?}", archive.requests());

    let broken = resource(&report, &gone);
    assert_state(broken, "broken", Some("not-found"));
    let l = lookup(broken);
    assert_eq!(time(&l["target"]), at(PAGE_DATE_RFC3339), "{l:#}");
    assert_snapshot(
        l,
        "wayback",
        &archive.memento_url("20070504101112", &gone),
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
    archive.add_memento(
        "20070504101112",
        &gone,
        Memento::ok("application/pdf", body.clone()),
    );
    let rescue = linkward
        .check(
            &[&manifest],
            &["--wayback", &archive.endpoint(), "--rescue"],
        )
        .await;
    let report = rescue.json();
    assert_eq!(rescue.code, Some(1), "{}", rescue.dump());
    assert_eq!(
        archive.availability_requests().len(),
        1,
        "{:?}",
        archive.requests()
    );
    let broken = resource(&report, &gone);
    assert_eq!(lookup(broken)["cached"], true, "{broken:#}");
    assert_eq!(
        broken["recovered"]["sha256"],
        sha256_hex(&body).as_str(),
        "{broken:#}"
    );
    assert_eq!(
        archive.count(&ArchiveServer::original_path("20070504101112", &gone)),
        1,
        "{:?}",
        archive.requests()
    );
    assert_eq!(summary_count(&report, "recovered"), 1);
}

#[tokio::test]
async fn every_kind_of_broken_is_looked_up_and_nothing_else() {
    let docs = TestServer::start([
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
    let archive = ArchiveServer::start().await;
    let broken = [
        (docs.url("/docs/gone.pdf"), "gone"),
        (docs.url("/docs/error.pdf"), "http-error"),
        (docs.url("/docs/soft.html"), "soft-404"),
        (refused.clone(), "connect"),
    ];
    let moved = docs.url("/docs/moved.pdf");
    let linkward = Linkward::new();
    let mut listed: Vec<String> = broken.iter().map(|(u, _)| u.clone()).collect();
    listed.push(moved.clone());
    let seed = linkward.seed_listing(&listed);

    let run = linkward
        .check(&[&seed], &["--wayback", &archive.endpoint()])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for (url, reason) in &broken {
        let r = resource(&report, url);
        assert_state(r, "broken", Some(reason));
        assert_eq!(notes(lookup(r)), vec!["wayback: no snapshot"], "{r:#}");
        assert_eq!(archive.availability_asked(url).len(), 1, "{url}");
    }
    let r = resource(&report, &moved);
    assert_eq!(r["state"], "redirected", "{r:#}");
    assert_eq!(r["archive_lookup"], Value::Null, "{r:#}");
    assert_eq!(archive.availability_requests().len(), broken.len());
}

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
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let never = docs.url("/docs/never-archived.pdf");
    let error_capture = docs.url("/docs/captured-as-404.pdf");
    archive.set_availability(&never, Availability::Nothing);
    archive.set_availability(
        &error_capture,
        Availability::closest("20070504101112", "404"),
    );
    // Were the error capture downloaded anyway, this is what would come back.
    archive.add_memento(
        "20070504101112",
        &error_capture,
        Memento::ok("application/pdf", pdf("must not be recovered")),
    );
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &never), (TITLE_PROGRAMME, &error_capture)]),
    );

    let run = linkward
        .check(
            &[&manifest],
            &["--wayback", &archive.endpoint(), "--rescue"],
        )
        .await;
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
    let paths: Vec<String> = archive.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(archive.availability_requests().len(), 2, "{paths:?}");
    assert_eq!(paths.len(), 2, "{paths:?}");
}

#[tokio::test]
async fn a_memento_that_answers_404_or_says_not_found_is_not_recovered() {
    const TS: &str = "20070504101112";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let gone_404 = docs.url("/docs/summary.pdf");
    let gone_soft = docs.url("/docs/programme.html");
    let error_body =
        b"<html><body>MEMENTO-404-BODY: the archive lost this capture</body></html>".to_vec();
    for url in [&gone_404, &gone_soft] {
        archive.set_availability(url, Availability::closest(TS, "200"));
    }
    archive.add_memento(
        TS,
        &gone_404,
        Memento::status(404, "text/html", error_body.clone()),
    );
    archive.add_memento(
        TS,
        &gone_soft,
        Memento::ok(
            "text/html; charset=utf-8",
            "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>\
             <p>The requested URL was not found on this server.</p></body></html>",
        ),
    );
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &gone_404), (TITLE_PROGRAMME, &gone_soft)]),
    );

    let run = linkward
        .check(
            &[&manifest],
            &["--wayback", &archive.endpoint(), "--rescue"],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for url in [&gone_404, &gone_soft] {
        let r = resource(&report, url);
        // The availability API said the capture is a 200: the snapshot is reported...
        assert_snapshot(
            lookup(r),
            "wayback",
            &archive.memento_url(TS, url),
            "2007-05-04T10:11:12Z",
        );
        // ...its original form was asked for once, and it was not kept.
        assert_eq!(
            archive.count(&ArchiveServer::original_path(TS, url)),
            1,
            "{:?}",
            archive.requests()
        );
        assert_eq!(r["recovered"], Value::Null, "{r:#}");
        assert_eq!(r["archived"], Value::Null, "{r:#}");
    }
    let n404 = notes(lookup(resource(&report, &gone_404)));
    assert!(
        n404.len() == 1 && n404[0].starts_with("wayback: ") && n404[0].contains("404"),
        "a note must say the memento answered 404: {n404:?}"
    );
    let nsoft = notes(lookup(resource(&report, &gone_soft)));
    assert!(
        nsoft.len() == 1
            && nsoft[0].starts_with("wayback: ")
            && nsoft[0].to_lowercase().contains("not found"),
        "a note must say the memento is a \"not found\" page: {nsoft:?}"
    );
    assert_eq!(summary_count(&report, "snapshots_found"), 2);
    assert_eq!(summary_count(&report, "recovered"), 0);
    let error_sha = sha256_hex(&error_body);
    for (path, bytes) in blobs(linkward.archive()) {
        assert_ne!(
            sha256_hex(&bytes),
            error_sha,
            "the 404 memento's body was kept at {}",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_slow_availability_answer_is_noted_the_run_completes_and_it_is_asked_again() {
    let live_body = pdf("Programme");
    let docs = TestServer::start([(
        "/docs/programme.pdf",
        Behaviour::ok("application/pdf", live_body.clone()),
    )])
    .await;
    let archive = ArchiveServer::start().await;
    let gone = docs.url("/docs/summary.pdf");
    let live = docs.url("/docs/programme.pdf");
    archive.set_availability(
        &gone,
        Availability::Slow(
            Duration::from_secs(8),
            Box::new(Availability::closest("20070504101112", "200")),
        ),
    );
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &gone), (TITLE_PROGRAMME, &live)]),
    );
    let flags = ["--wayback", &archive.endpoint()];

    let started = Instant::now();
    let first = linkward.check(&[&manifest], &flags).await;
    let took = started.elapsed();
    let report = first.json();

    // --timeout 1s: the run does not wait for the 8 s answer, and ends as usual.
    assert!(took < Duration::from_secs(6), "run took {took:?}");
    assert_eq!(first.code, Some(1), "{}", first.dump());
    assert_state(resource(&report, &live), "ok", None);
    assert_kept(linkward.archive(), resource(&report, &live), &live_body);
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
    assert_eq!(archive.availability_asked(&gone), vec![PAGE_DATE_TS]);

    // The timeout was not cached: the next run asks again, and takes the (now quick) answer.
    archive.set_availability(&gone, Availability::Nothing);
    let second = linkward.check(&[&manifest], &flags).await;
    let report = second.json();
    assert_eq!(second.code, Some(1), "{}", second.dump());
    assert_eq!(
        archive.availability_asked(&gone),
        vec![PAGE_DATE_TS, PAGE_DATE_TS]
    );
    let l = lookup(resource(&report, &gone));
    assert_eq!(l["cached"], false, "{l:#}");
    assert_eq!(notes(l), vec!["wayback: no snapshot"], "{l:#}");
}

#[tokio::test]
async fn malformed_and_error_availability_answers_are_noted_and_not_cached() {
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let malformed = docs.url("/docs/summary.pdf");
    let busy = docs.url("/docs/programme.pdf");
    archive.set_availability(
        &malformed,
        Availability::raw(
            200,
            "application/json",
            "{\"archived_snapshots\": {\"closest\": {\"status\": \"200\", \"url\": ",
        ),
    );
    archive.set_availability(
        &busy,
        Availability::raw(
            503,
            "text/html",
            "<html><body>Try again later</body></html>",
        ),
    );
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &malformed), (TITLE_PROGRAMME, &busy)]),
    );
    let flags = ["--wayback", &archive.endpoint()];

    for run_no in 1..=2 {
        let run = linkward.check(&[&manifest], &flags).await;
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
        assert_eq!(archive.availability_asked(&malformed).len(), run_no);
        assert_eq!(archive.availability_asked(&busy).len(), run_no);
        assert_eq!(summary_count(&report, "snapshots_found"), 0);
    }
}

// ---------------------------------------------------------------------------------------------
// --rescue

#[tokio::test]
async fn rescue_keeps_the_mementos_original_bytes_once_without_consulting_robots_txt() {
    const TS: &str = "20070504101112";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    // Archives publish mementos for tools: their robots.txt is not asked.
    archive.set_robots("User-agent: *\nDisallow: /\n");
    let gone = docs.url("/docs/summary.pdf");
    let mut body = pdf("Summary report on the seminar discussions and outcomes");
    body.extend(noise(4096, 73));
    archive.set_availability(&gone, Availability::closest(TS, "200"));
    archive.add_memento(TS, &gone, Memento::ok("application/pdf", body.clone()));
    let linkward = Linkward::new();
    let manifest = linkward.write_file("seminar.toml", &items_manifest(&[(TITLE_SUMMARY, &gone)]));
    let flags = ["--wayback", &archive.endpoint(), "--rescue"];

    let started = Utc::now();
    let run = linkward.check(&[&manifest], &flags).await;
    let ended = Utc::now();
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let r = resource(&report, &gone);
    assert_state(r, "broken", Some("not-found"));
    let sha = sha256_hex(&body);
    let rec = &r["recovered"];
    assert!(rec.is_object(), "nothing recovered: {r:#}");
    assert_eq!(rec["sha256"], sha.as_str(), "{rec:#}");
    assert_eq!(rec["bytes"], body.len() as u64, "{rec:#}");
    assert_eq!(rec["content_type"], "application/pdf", "{rec:#}");
    assert_eq!(rec["archive"], "wayback", "{rec:#}");
    assert_eq!(
        rec["memento_url"],
        archive.memento_url(TS, &gone),
        "{rec:#}"
    );
    assert_eq!(
        rec["fetched_url"],
        archive.original_url(TS, &gone),
        "{rec:#}"
    );
    assert_eq!(time(&rec["memento_datetime"]), at("2007-05-04T10:11:12Z"));
    let recovered_at = time(&rec["recovered_at"]);
    assert!(
        started <= recovered_at && recovered_at <= ended,
        "recovered_at {recovered_at} not within the run ({started} .. {ended})"
    );
    assert_eq!(rec["archived"], blob_path(&sha).as_str(), "{rec:#}");
    let stored = std::fs::read(linkward.archive().join(blob_path(&sha))).expect("read the blob");
    assert!(stored == body, "the blob is not the memento's bytes");
    // The recovered copy is no live copy: the resource itself still has none.
    assert_eq!(r["archived"], Value::Null, "{r:#}");
    assert_eq!(r["last_good_sha256"], Value::Null, "{r:#}");
    assert_eq!(r["sha256"], Value::Null, "{r:#}");
    assert_eq!(summary_count(&report, "recovered"), 1);
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
    // The original form, once; never the replay form (with its banner), never robots.txt.
    assert_eq!(archive.count(&ArchiveServer::original_path(TS, &gone)), 1);
    assert_eq!(archive.count(&ArchiveServer::replay_path(TS, &gone)), 0);
    assert_eq!(archive.count("/robots.txt"), 0, "{:?}", archive.requests());

    // A second run holds the recovered copy: no new question, no new download.
    let again = linkward.check(&[&manifest], &flags).await;
    let report = again.json();
    assert_eq!(again.code, Some(1), "{}", again.dump());
    let r = resource(&report, &gone);
    let l = lookup(r);
    assert_eq!(l["cached"], true, "{l:#}");
    assert_snapshot(
        l,
        "wayback",
        &archive.memento_url(TS, &gone),
        "2007-05-04T10:11:12Z",
    );
    assert_eq!(archive.availability_asked(&gone).len(), 1);
    assert_eq!(archive.count(&ArchiveServer::original_path(TS, &gone)), 1);
    assert_eq!(r["recovered"]["sha256"], sha.as_str(), "{r:#}");
    assert_eq!(summary_count(&report, "recovered"), 0);
}

#[tokio::test]
async fn an_html_memento_is_rescued_without_consulting_the_archives_robots_txt() {
    const TS: &str = "20070504101112";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    archive.set_robots("User-agent: *\nDisallow: /\n");
    let gone = docs.url("/papers/soysal-claims-making.html");
    let body = "<html><head><title>Citizenship and identity: claims-making</title></head><body>\
                <h1>Citizenship and identity</h1><p>Yasemin Soysal on migrants' claims-making \
                in European public spheres.</p></body></html>";
    archive.set_availability(&gone, Availability::closest(TS, "200"));
    archive.add_memento(TS, &gone, Memento::ok("text/html; charset=utf-8", body));
    let linkward = Linkward::new();
    let manifest = linkward.write_file("seminar.toml", &items_manifest(&[(TITLE_SUMMARY, &gone)]));

    let run = linkward
        .check(
            &[&manifest],
            &["--wayback", &archive.endpoint(), "--rescue"],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let r = resource(&report, &gone);
    assert_eq!(
        r["recovered"]["sha256"],
        sha256_hex(body.as_bytes()),
        "{r:#}"
    );
    assert_eq!(archive.count(&ArchiveServer::original_path(TS, &gone)), 1);
    let paths: Vec<String> = archive.requests().into_iter().map(|r| r.path).collect();
    assert!(
        !paths.iter().any(|p| p == "/robots.txt"),
        "robots.txt was consulted for an archive request: {paths:?}"
    );
}

#[tokio::test]
async fn a_url_with_a_query_string_is_asked_about_and_rescued_whole() {
    const TS: &str = "20070504101112";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let gone = docs.url("/download.php?id=73&lang=en");
    let body = pdf("Report 73 (en)");
    archive.set_availability(&gone, Availability::closest(TS, "200"));
    archive.add_memento(TS, &gone, Memento::ok("application/pdf", body.clone()));
    let linkward = Linkward::new();
    let manifest = linkward.write_file("seminar.toml", &items_manifest(&[(TITLE_SUMMARY, &gone)]));

    let run = linkward
        .check(
            &[&manifest],
            &["--wayback", &archive.endpoint(), "--rescue"],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(
        archive.availability_requests(),
        vec![vec![
            ("url".to_string(), gone.clone()),
            ("timestamp".to_string(), PAGE_DATE_TS.to_string()),
        ]]
    );
    let r = resource(&report, &gone);
    assert_snapshot(
        lookup(r),
        "wayback",
        &archive.memento_url(TS, &gone),
        "2007-05-04T10:11:12Z",
    );
    assert_eq!(r["recovered"]["sha256"], sha256_hex(&body), "{r:#}");
    assert_eq!(
        r["recovered"]["fetched_url"],
        archive.original_url(TS, &gone),
        "{r:#}"
    );
}

#[tokio::test]
async fn a_resource_good_before_is_looked_up_at_its_last_good_check_and_not_rescued() {
    const TS: &str = "20070504101112";
    let body = pdf("Programme");
    let docs = TestServer::start([(
        "/docs/programme.pdf",
        Behaviour::ok("application/pdf", body.clone()),
    )])
    .await;
    let archive = ArchiveServer::start().await;
    let url = docs.url("/docs/programme.pdf");
    archive.set_availability(&url, Availability::closest(TS, "200"));
    archive.add_memento(
        TS,
        &url,
        Memento::ok("application/pdf", pdf("an archived programme")),
    );
    let linkward = Linkward::new();
    // A page seed, not a manifest: its links have no date of their own.
    let seed = linkward.seed_listing(std::slice::from_ref(&url));
    let flags = ["--wayback", &archive.endpoint(), "--rescue"];

    let first = linkward.check(&[&seed], &flags).await;
    let first_report = first.json();
    assert_eq!(first.code, Some(0), "{}", first.dump());
    let before = resource(&first_report, &url);
    assert_kept(linkward.archive(), before, &body);
    assert_eq!(before["archive_lookup"], Value::Null, "{before:#}");
    assert!(archive.requests().is_empty(), "{:?}", archive.requests());
    let last_good = time(&before["checked_at"]);

    docs.set_route(
        "/docs/programme.pdf",
        Behaviour::status(404, "text/html", "<h1>Not Found</h1>"),
    );
    let second = linkward.check(&[&seed], &flags).await;
    let report = second.json();

    assert_eq!(second.code, Some(1), "{}", second.dump());
    let after = resource(&report, &url);
    assert_state(after, "broken", Some("not-found"));
    assert_eq!(archive.availability_asked(&url), vec![ts(last_good)]);
    let l = lookup(after);
    assert_eq!(time(&l["target"]), last_good, "target: {l:#}");
    assert_snapshot(
        l,
        "wayback",
        &archive.memento_url(TS, &url),
        "2007-05-04T10:11:12Z",
    );
    // We hold its good copy: the snapshot is not downloaded, and the live copy stays the one.
    assert_eq!(after["recovered"], Value::Null, "{after:#}");
    assert_eq!(archive.count(&ArchiveServer::original_path(TS, &url)), 0);
    assert_eq!(archive.count(&ArchiveServer::replay_path(TS, &url)), 0);
    assert_eq!(
        after["last_good_sha256"],
        sha256_hex(&body).as_str(),
        "{after:#}"
    );
    assert_eq!(after["archived"], before["archived"], "{after:#}");
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
    assert_eq!(summary_count(&report, "recovered"), 0);
}

// ---------------------------------------------------------------------------------------------
// the cache

#[tokio::test]
async fn answers_are_cached_and_a_no_snapshot_answer_expires_with_lookup_cache() {
    const TS: &str = "20070504101112";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let found = docs.url("/docs/summary.pdf");
    let none = docs.url("/docs/programme.pdf");
    archive.set_availability(&found, Availability::closest(TS, "200"));
    archive.set_availability(&none, Availability::Nothing);
    let linkward = Linkward::new();
    // A page seed: links never good are looked up at "the latest", i.e. now.
    let seed = linkward.seed_listing(&[found.clone(), none.clone()]);
    let endpoint = archive.endpoint();

    let started = Utc::now();
    let first = linkward.check(&[&seed], &["--wayback", &endpoint]).await;
    let ended = Utc::now();
    let report = first.json();
    assert_eq!(first.code, Some(1), "{}", first.dump());
    for url in [&found, &none] {
        let asked = archive.availability_asked(url);
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
    let second = linkward.check(&[&seed], &["--wayback", &endpoint]).await;
    let report = second.json();
    assert_eq!(second.code, Some(1), "{}", second.dump());
    assert_eq!(
        archive.availability_requests().len(),
        2,
        "{:?}",
        archive.requests()
    );
    let l = lookup(resource(&report, &found));
    assert_eq!(l["cached"], true, "{l:#}");
    assert_snapshot(
        l,
        "wayback",
        &archive.memento_url(TS, &found),
        "2007-05-04T10:11:12Z",
    );
    let l = lookup(resource(&report, &none));
    assert_eq!(l["cached"], true, "{l:#}");
    assert_eq!(l["snapshot"], Value::Null, "{l:#}");
    assert_eq!(notes(l), vec!["wayback: no snapshot"], "{l:#}");
    assert_eq!(summary_count(&report, "snapshots_found"), 1);

    // Run 3: a "no snapshot" answer is trusted for --lookup-cache only; a found one for 30 days.
    let third = linkward
        .check(&[&seed], &["--wayback", &endpoint, "--lookup-cache", "1ms"])
        .await;
    let report = third.json();
    assert_eq!(third.code, Some(1), "{}", third.dump());
    assert_eq!(archive.availability_asked(&none).len(), 2);
    assert_eq!(archive.availability_asked(&found).len(), 1);
    assert_eq!(lookup(resource(&report, &none))["cached"], false);
    assert_eq!(lookup(resource(&report, &found))["cached"], true);

    // Run 4: a TimeGate added; it is asked, so the answer is no longer all from the cache, while
    // the Wayback Machine's cached answer still stands.
    let fourth = linkward
        .check(
            &[&seed],
            &["--wayback", &endpoint, "--timegate", &archive.timegate()],
        )
        .await;
    let report = fourth.json();
    assert_eq!(fourth.code, Some(1), "{}", fourth.dump());
    assert_eq!(archive.availability_asked(&found).len(), 1);
    assert_eq!(archive.count(&ArchiveServer::gate_path(&found)), 1);
    let l = lookup(resource(&report, &found));
    assert_eq!(l["cached"], false, "{l:#}");
    assert_snapshot(
        l,
        "wayback",
        &archive.memento_url(TS, &found),
        "2007-05-04T10:11:12Z",
    );
    assert_eq!(
        notes(l),
        vec![format!("{}: no snapshot", archive.timegate())],
        "{l:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Memento TimeGates, several archives

#[tokio::test]
async fn a_timegate_with_a_link_header_gives_the_memento_and_its_datetime() {
    const TS: &str = "20070601000000";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let gone = docs.url("/docs/summary.pdf");
    archive.set_gate(
        &gone,
        Gate {
            timestamp: TS.into(),
            link: true,
        },
    );
    // The same server's availability API knows it too, but --wayback off means it is not asked.
    archive.set_availability(&gone, Availability::closest("20070504101112", "200"));
    let linkward = Linkward::new();
    let manifest = linkward.write_file("seminar.toml", &items_manifest(&[(TITLE_SUMMARY, &gone)]));
    let gate = archive.timegate();

    let run = linkward
        .check(&[&manifest], &["--wayback", "off", "--timegate", &gate])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let asked = archive.requests_to(&ArchiveServer::gate_path(&gone));
    assert_eq!(asked.len(), 1, "{:?}", archive.requests());
    assert_eq!(asked[0].method, "GET");
    assert_eq!(asked[0].header("accept-datetime"), Some(PAGE_DATE_HTTP));
    let l = lookup(resource(&report, &gone));
    assert_eq!(time(&l["target"]), at(PAGE_DATE_RFC3339), "{l:#}");
    assert_snapshot(
        l,
        &gate,
        &archive.memento_url(TS, &gone),
        "2007-06-01T00:00:00Z",
    );
    assert!(
        [Value::Null, json!(200)].contains(&l["snapshot"]["status"]),
        "status: {l:#}"
    );
    assert_eq!(notes(l), Vec::<&str>::new(), "{l:#}");
    // The Link header named the datetime: the memento itself was not requested.
    assert_eq!(archive.count(&ArchiveServer::replay_path(TS, &gone)), 0);
    assert!(
        archive.availability_requests().is_empty(),
        "{:?}",
        archive.requests()
    );
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
}

#[tokio::test]
async fn without_a_link_header_the_mementos_own_datetime_is_read_and_a_gate_404_is_no_snapshot() {
    const TS: &str = "20070505080910";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let gone = docs.url("/docs/summary.pdf");
    let unknown = docs.url("/docs/programme.pdf");
    archive.set_gate(
        &gone,
        Gate {
            timestamp: TS.into(),
            link: false,
        },
    );
    archive.add_memento(
        TS,
        &gone,
        Memento::ok("application/pdf", pdf("Summary report")),
    );
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &gone), (TITLE_PROGRAMME, &unknown)]),
    );
    let gate = archive.timegate();

    let run = linkward
        .check(&[&manifest], &["--wayback", "off", "--timegate", &gate])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let l = lookup(resource(&report, &gone));
    assert_snapshot(
        l,
        &gate,
        &archive.memento_url(TS, &gone),
        "2007-05-05T08:09:10Z",
    );
    assert!(
        [Value::Null, json!(200)].contains(&l["snapshot"]["status"]),
        "status: {l:#}"
    );
    assert_eq!(notes(l), Vec::<&str>::new(), "{l:#}");
    let memento_requests = archive.requests_to(&ArchiveServer::replay_path(TS, &gone));
    assert_eq!(memento_requests.len(), 1, "{:?}", archive.requests());

    let l = lookup(resource(&report, &unknown));
    assert_eq!(l["snapshot"], Value::Null, "{l:#}");
    assert_eq!(notes(l), vec![format!("{gate}: no snapshot")], "{l:#}");
    for url in [&gone, &unknown] {
        let asked = archive.requests_to(&ArchiveServer::gate_path(url));
        assert_eq!(asked.len(), 1, "{url}: {:?}", archive.requests());
        assert_eq!(asked[0].header("accept-datetime"), Some(PAGE_DATE_HTTP));
    }
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
}

#[tokio::test]
async fn of_several_archives_the_snapshot_closest_to_the_target_wins() {
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let wayback = ArchiveServer::start().await;
    let second = ArchiveServer::start().await;
    let third = ArchiveServer::start().await;
    let a = docs.url("/docs/summary.pdf");
    let b = docs.url("/docs/programme.pdf");
    // Target 2007-05-03. For `a` the second archive's capture is closest (7 days after)...
    wayback.set_availability(&a, Availability::closest("20080101000000", "200"));
    second.set_gate(
        &a,
        Gate {
            timestamp: "20070510000000".into(),
            link: true,
        },
    );
    third.set_gate(
        &a,
        Gate {
            timestamp: "20070401000000".into(),
            link: true,
        },
    );
    // ...for `b` the Wayback Machine's (12 hours after).
    wayback.set_availability(&b, Availability::closest("20070503120000", "200"));
    second.set_gate(
        &b,
        Gate {
            timestamp: "20061201000000".into(),
            link: true,
        },
    );
    third.set_gate(
        &b,
        Gate {
            timestamp: "20070601000000".into(),
            link: true,
        },
    );
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &a), (TITLE_PROGRAMME, &b)]),
    );
    // Two TimeGates, comma-separated.
    let gates = format!("{},{}", second.timegate(), third.timegate());

    let run = linkward
        .check(
            &[&manifest],
            &["--wayback", &wayback.endpoint(), "--timegate", &gates],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let la = lookup(resource(&report, &a));
    assert_snapshot(
        la,
        &second.timegate(),
        &second.memento_url("20070510000000", &a),
        "2007-05-10T00:00:00Z",
    );
    assert_eq!(notes(la), Vec::<&str>::new(), "{la:#}");
    let lb = lookup(resource(&report, &b));
    assert_snapshot(
        lb,
        "wayback",
        &wayback.memento_url("20070503120000", &b),
        "2007-05-03T12:00:00Z",
    );
    assert_eq!(lb["snapshot"]["status"], 200, "{lb:#}");
    assert_eq!(notes(lb), Vec::<&str>::new(), "{lb:#}");
    // Every archive was asked once about each.
    for url in [&a, &b] {
        assert_eq!(wayback.availability_asked(url), vec![PAGE_DATE_TS]);
        for gate in [&second, &third] {
            assert_eq!(
                gate.count(&ArchiveServer::gate_path(url)),
                1,
                "{:?}",
                gate.requests()
            );
        }
    }
    assert_eq!(summary_count(&report, "snapshots_found"), 2);
}

#[tokio::test]
async fn timegates_given_repeated_and_comma_separated_are_all_asked() {
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let gates = [
        ArchiveServer::start().await,
        ArchiveServer::start().await,
        ArchiveServer::start().await,
    ];
    let gone = docs.url("/docs/summary.pdf");
    let linkward = Linkward::new();
    let manifest = linkward.write_file("seminar.toml", &items_manifest(&[(TITLE_SUMMARY, &gone)]));
    let first_two = format!("{},{}", gates[0].timegate(), gates[1].timegate());

    let run = linkward
        .check(
            &[&manifest],
            &["--timegate", &first_two, "--timegate", &gates[2].timegate()],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for gate in &gates {
        assert_eq!(
            gate.count(&ArchiveServer::gate_path(&gone)),
            1,
            "{}",
            gate.timegate()
        );
    }
    let l = lookup(resource(&report, &gone));
    let expected: Vec<String> = gates
        .iter()
        .map(|g| format!("{}: no snapshot", g.timegate()))
        .collect();
    assert_eq!(notes(l), expected, "{l:#}");
}

#[tokio::test]
async fn timegate_rescue_and_lookup_cache_keys_in_linkward_toml() {
    const TS: &str = "20070504101112";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let gone = docs.url("/docs/summary.pdf");
    let body = pdf("Summary report, as the TimeGate's archive captured it");
    archive.set_gate(
        &gone,
        Gate {
            timestamp: TS.into(),
            link: true,
        },
    );
    archive.add_memento(TS, &gone, Memento::ok("application/pdf", body.clone()));
    let linkward = Linkward::new();
    let gate = archive.timegate();
    linkward.write_file(
        "linkward.toml",
        &format!("timegate = [\"{gate}\"]\nrescue = true\nlookup-cache = \"7d\"\n"),
    );
    let manifest = linkward.write_file("seminar.toml", &items_manifest(&[(TITLE_SUMMARY, &gone)]));

    let run = linkward.check(&[&manifest], &[]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let r = resource(&report, &gone);
    assert_snapshot(
        lookup(r),
        &gate,
        &archive.memento_url(TS, &gone),
        "2007-05-04T10:11:12Z",
    );
    let rec = &r["recovered"];
    let sha = sha256_hex(&body);
    assert_eq!(rec["sha256"], sha.as_str(), "{r:#}");
    assert_eq!(rec["archive"], gate.as_str(), "{rec:#}");
    assert_eq!(
        rec["memento_url"],
        archive.memento_url(TS, &gone),
        "{rec:#}"
    );
    assert_eq!(
        rec["fetched_url"],
        archive.original_url(TS, &gone),
        "{rec:#}"
    );
    let stored = std::fs::read(linkward.archive().join(blob_path(&sha))).expect("read the blob");
    assert!(stored == body, "the blob is not the memento's bytes");
    assert_eq!(summary_count(&report, "recovered"), 1);
    assert_eq!(archive.count(&ArchiveServer::gate_path(&gone)), 1);

    let again = linkward.check(&[&manifest], &[]).await;
    let report = again.json();
    assert_eq!(
        lookup(resource(&report, &gone))["cached"],
        true,
        "{}",
        again.dump()
    );
    assert_eq!(archive.count(&ArchiveServer::gate_path(&gone)), 1);
    assert_eq!(archive.count(&ArchiveServer::original_path(TS, &gone)), 1);
}

#[tokio::test]
async fn archive_requests_are_paced_like_any_host() {
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    archive.set_robots("User-agent: *\nDisallow: /\n");
    let urls: Vec<String> = (1..=3)
        .map(|i| docs.url(&format!("/docs/{i}.pdf")))
        .collect();
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&urls);

    let run = linkward
        .check(
            &[&seed],
            &["--wayback", &archive.endpoint(), "--per-host-rate", "4/s"],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for url in &urls {
        assert_eq!(archive.availability_asked(url).len(), 1, "{url}");
        assert_eq!(
            notes(lookup(resource(&report, url))),
            vec!["wayback: no snapshot"]
        );
    }
    let requests = archive.requests();
    assert_eq!(requests.len(), 3, "robots.txt is not asked: {requests:?}");
    for pair in requests.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= Duration::from_millis(200),
            "4/s, but two availability requests were {gap:?} apart"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// seed page recovery

const SNAPSHOT_TS: &str = "20070503101010";
const INFO: &str = "/docs/information-note.pdf";
const PROGRAMME: &str = "/docs/programme.pdf";
const LINK_INFO: &str = "Information Note (PDF) on the seminar organization and objectives.";
/// Names the item by containment: the title plus the date.
const LINK_PROGRAMME: &str = "PROGRAMME (pdf) of the seminar, 3 May 2007";

/// The page's snapshot: a root-relative link (to be resolved against the page's original URL,
/// not the memento's), a link still pointing into the archive (to be unwrapped) and a link no
/// item names.
fn snapshot_html(archive: &ArchiveServer, docs: &TestServer) -> String {
    format!(
        "<html><head><title>Migrants' participation in host countries</title></head><body>\
         <h2>Related Documents</h2>\
         <p><a href=\"{INFO}\">{LINK_INFO}</a></p>\
         <p><a href=\"{}\">{LINK_PROGRAMME}</a></p>\
         <h2>Related Links</h2>\
         <p><a href=\"/about\">About the UNITAR New York Office</a></p>\
         </body></html>",
        archive.memento_url(SNAPSHOT_TS, &docs.url(PROGRAMME)),
    )
}

/// A manifest for the page at `page_url`: two items the snapshot links to (one with a candidate
/// URL already) and one it does not; with comments.
fn page_manifest(page_url: &str, mirror: &str) -> String {
    format!(
        "# Seed manifest for the rescue tests: this comment must survive.\n\
         format = 1\n\n\
         [page]\n\
         title = \"Migrants' participation in host countries\"\n\
         url = \"{page_url}\"\n\
         date = \"{PAGE_DATE}\"\n\n\
         # The documents the page listed.\n\
         [[item]]\n\
         section = \"{SECTION}\"\n\
         title = \"{TITLE_INFO}\"\n\
         urls = []\n\n\
         [[item]]\n\
         section = \"{SECTION}\"\n\
         title = \"{TITLE_PROGRAMME}\"\n\
         note = \"A mirror was found before.\" # an inline comment\n\
         urls = [\"{mirror}\"]\n\n\
         [[item]]\n\
         section = \"{SECTION}\"\n\
         title = \"{TITLE_CHEUNG}\"\n\
         urls = []\n"
    )
}

/// The documents' host (the seed page itself 404s there) and an archive holding the page's
/// snapshot.
async fn gone_page_sites() -> (TestServer, ArchiveServer) {
    let docs = TestServer::start([
        (
            INFO,
            Behaviour::ok("application/pdf", pdf("Information note")),
        ),
        (
            PROGRAMME,
            Behaviour::ok("application/pdf", pdf("Programme")),
        ),
        (
            "/mirror/programme.html",
            Behaviour::html("<title>Programme (mirror)</title>"),
        ),
    ])
    .await;
    let archive = ArchiveServer::start().await;
    let page = docs.url(PAGE);
    archive.set_availability(&page, Availability::closest(SNAPSHOT_TS, "200"));
    archive.add_memento(
        SNAPSHOT_TS,
        &page,
        Memento::ok("text/html; charset=utf-8", snapshot_html(&archive, &docs)),
    );
    (docs, archive)
}

/// Asserts the two links recovered from the snapshot, with their evidence.
#[track_caller]
fn assert_recovered_links(links: &Value, docs: &TestServer, archive: &ArchiveServer) {
    let links = links
        .as_array()
        .unwrap_or_else(|| panic!("recovered links are not an array: {links:#}"));
    assert_eq!(links.len(), 2, "{links:#?}");
    let memento = archive.memento_url(SNAPSHOT_TS, &docs.url(PAGE));
    for (title, url, text) in [
        (TITLE_INFO, docs.url(INFO), LINK_INFO),
        (TITLE_PROGRAMME, docs.url(PROGRAMME), LINK_PROGRAMME),
    ] {
        let link = links
            .iter()
            .find(|l| l["title"] == title)
            .unwrap_or_else(|| panic!("no recovered link titled {title:?}: {links:#?}"));
        assert_eq!(link["section"], SECTION, "{link:#}");
        assert_eq!(link["url"], url.as_str(), "{link:#}");
        assert_eq!(link["link_text"], text, "{link:#}");
        assert_eq!(link["archive"], "wayback", "{link:#}");
        assert_eq!(link["memento_url"], memento.as_str(), "{link:#}");
        assert_eq!(time(&link["memento_datetime"]), at("2007-05-03T10:10:10Z"));
    }
}

#[tokio::test]
async fn a_gone_seed_page_has_its_snapshots_links_recovered_and_checked() {
    let (docs, archive) = gone_page_sites().await;
    let linkward = Linkward::new();
    let page = docs.url(PAGE);
    let manifest = linkward.write_file(
        "seminar.toml",
        &page_manifest(&page, &docs.url("/mirror/programme.html")),
    );

    let run = linkward
        .check(&[&manifest], &["--wayback", &archive.endpoint()])
        .await;
    let report = run.json();

    // The page itself is broken.
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(archive.availability_asked(&page), vec![PAGE_DATE_TS]);
    assert_eq!(
        archive.count(&ArchiveServer::original_path(SNAPSHOT_TS, &page)),
        1,
        "{:?}",
        archive.requests()
    );
    let seeds = report["seeds"].as_array().expect("seeds array");
    assert_eq!(seeds.len(), 1, "{seeds:#?}");
    let seed = &seeds[0];
    let pl = &seed["page_lookup"];
    assert!(pl.is_object(), "page_lookup: {seed:#}");
    assert_eq!(time(&pl["target"]), at(PAGE_DATE_RFC3339), "{pl:#}");
    assert_snapshot(
        pl,
        "wayback",
        &archive.memento_url(SNAPSHOT_TS, &page),
        "2007-05-03T10:10:10Z",
    );
    assert_recovered_links(&seed["recovered_links"], &docs, &archive);

    // The recovered URLs were checked in this run, against the documents' host.
    for (path, title, body) in [
        (INFO, TITLE_INFO, pdf("Information note")),
        (PROGRAMME, TITLE_PROGRAMME, pdf("Programme")),
    ] {
        let r = resource(&report, &docs.url(path));
        assert_state(r, "ok", None);
        assert_eq!(r["title"], title, "{r:#}");
        let note = r["note"].as_str().unwrap_or_default();
        assert!(
            note.starts_with("original URL recovered from"),
            "note: {r:#}"
        );
        assert_kept(linkward.archive(), r, &body);
        assert_eq!(docs.count(path), 1, "{path}");
    }
    let expected: BTreeSet<String> = [PAGE, INFO, PROGRAMME, "/mirror/programme.html"]
        .into_iter()
        .map(String::from)
        .collect();
    // Not the snapshot's unmatched link, and not the memento's root-relative reading of INFO.
    assert_eq!(docs.document_paths(), expected);
    assert_eq!(archive.count(INFO), 0, "{:?}", archive.requests());
    let cheung = resource_titled(&report, TITLE_CHEUNG);
    assert_state(cheung, "unresolved", Some("no-url"));

    // Run 2: the answer is cached and the page's copy recovered before is reused; the
    // recovered URLs are checked again.
    let again = linkward
        .check(&[&manifest], &["--wayback", &archive.endpoint()])
        .await;
    let report = again.json();
    assert_eq!(again.code, Some(1), "{}", again.dump());
    let seed = &report["seeds"][0];
    assert_eq!(seed["page_lookup"]["cached"], true, "{seed:#}");
    assert_recovered_links(&seed["recovered_links"], &docs, &archive);
    assert_eq!(archive.availability_asked(&page).len(), 1);
    assert_eq!(
        archive.count(&ArchiveServer::original_path(SNAPSHOT_TS, &page)),
        1,
        "the page's snapshot was downloaded again: {:?}",
        archive.requests()
    );
    for path in [INFO, PROGRAMME] {
        assert_state(resource(&report, &docs.url(path)), "ok", None);
        assert_eq!(docs.count(path), 2, "{path}");
    }
}

#[tokio::test]
async fn a_gone_seed_page_without_a_snapshot_is_noted_and_its_items_still_checked() {
    let docs = TestServer::start([(
        INFO,
        Behaviour::ok("application/pdf", pdf("Information note")),
    )])
    .await;
    let archive = ArchiveServer::start().await;
    let linkward = Linkward::new();
    let page = docs.url(PAGE);
    let manifest = linkward.write_file("seminar.toml", &page_manifest(&page, &docs.url(INFO)));

    let run = linkward
        .check(&[&manifest], &["--wayback", &archive.endpoint()])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(archive.availability_asked(&page), vec![PAGE_DATE_TS]);
    let seed = &report["seeds"][0];
    let pl = &seed["page_lookup"];
    assert!(pl.is_object(), "page_lookup: {seed:#}");
    assert_eq!(pl["snapshot"], Value::Null, "{pl:#}");
    assert_eq!(notes(pl), vec!["wayback: no snapshot"], "{pl:#}");
    assert_eq!(seed["recovered_links"], json!([]), "{seed:#}");
    // The item listed with a URL is checked as usual.
    assert_state(resource(&report, &docs.url(INFO)), "ok", None);
}

#[tokio::test]
async fn a_live_seed_page_without_links_is_recovered_from_its_snapshot_too() {
    let (docs, archive) = gone_page_sites().await;
    docs.set_route(
        PAGE,
        Behaviour::html(
            "<html><head><title>UNITAR New York</title></head>\
             <body><p>This office has moved.</p></body></html>",
        ),
    );
    let linkward = Linkward::new();
    let page = docs.url(PAGE);
    let manifest = linkward.write_file(
        "seminar.toml",
        &page_manifest(&page, &docs.url("/mirror/programme.html")),
    );

    let run = linkward
        .check(&[&manifest], &["--wayback", &archive.endpoint()])
        .await;
    let report = run.json();

    assert_eq!(
        archive.availability_asked(&page),
        vec![PAGE_DATE_TS],
        "{}",
        run.dump()
    );
    let seed = &report["seeds"][0];
    assert!(seed["page_lookup"].is_object(), "page_lookup: {seed:#}");
    assert_recovered_links(&seed["recovered_links"], &docs, &archive);
    for path in [INFO, PROGRAMME] {
        assert_state(resource(&report, &docs.url(path)), "ok", None);
        assert_eq!(docs.count(path), 1, "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// linkward seed recover

/// `seed recover <manifest> --archive <archive> --wayback <endpoint> --timeout 1s <extra>`; the
/// working directory's linkward.toml lifts the default per-host rate.
async fn seed_recover(
    linkward: &Linkward,
    manifest: &Path,
    wayback: &str,
    extra: &[&str],
) -> crate::common::linkward::Run {
    let mut args: Vec<std::ffi::OsString> = vec!["seed".into(), "recover".into(), manifest.into()];
    args.push("--archive".into());
    args.push(linkward.archive().into());
    args.push("--wayback".into());
    args.push(wayback.into());
    args.push("--timeout".into());
    args.push("1s".into());
    args.extend(extra.iter().map(Into::into));
    linkward.run(args).await
}

fn unlimited(linkward: &Linkward) {
    linkward.write_file("linkward.toml", "per-host-rate = \"unlimited\"\n");
}

#[tokio::test]
async fn seed_recover_writes_the_links_into_the_manifest_and_dry_run_writes_nothing() {
    let (docs, archive) = gone_page_sites().await;
    let linkward = Linkward::new();
    unlimited(&linkward);
    let page = docs.url(PAGE);
    let mirror = docs.url("/mirror/programme.html");
    let original = page_manifest(&page, &mirror);
    let manifest = linkward.write_file("seeds/seminar.toml", &original);
    let endpoint = archive.endpoint();

    // --dry-run: the same findings, the file untouched.
    let dry = seed_recover(
        &linkward,
        &manifest,
        &endpoint,
        &["--dry-run", "--format", "json"],
    )
    .await;
    assert_eq!(dry.code, Some(0), "{}", dry.dump());
    assert_eq!(
        std::fs::read(&manifest).expect("read manifest"),
        original.as_bytes(),
        "--dry-run changed the manifest"
    );
    let found = dry.json();
    assert_eq!(
        found["manifest"],
        manifest.display().to_string(),
        "{found:#}"
    );
    assert_eq!(found["page_url"], page.as_str(), "{found:#}");
    assert_eq!(time(&found["lookup"]["target"]), at(PAGE_DATE_RFC3339));
    assert_snapshot(
        &found["lookup"],
        "wayback",
        &archive.memento_url(SNAPSHOT_TS, &page),
        "2007-05-03T10:10:10Z",
    );
    let snapshot_bytes = snapshot_html(&archive, &docs).into_bytes();
    let sha = sha256_hex(&snapshot_bytes);
    let rec = &found["recovered"];
    assert_eq!(rec["sha256"], sha.as_str(), "{found:#}");
    assert_eq!(
        rec["fetched_url"],
        archive.original_url(SNAPSHOT_TS, &page),
        "{rec:#}"
    );
    assert_eq!(rec["archived"], blob_path(&sha).as_str(), "{rec:#}");
    let stored = std::fs::read(linkward.archive().join(blob_path(&sha))).expect("page blob");
    assert!(
        stored == snapshot_bytes,
        "the page's blob is not the snapshot's bytes"
    );
    assert_recovered_links(&found["links"], &docs, &archive);
    assert_eq!(found["unmatched"], json!([TITLE_CHEUNG]), "{found:#}");
    assert_eq!(found["written"], 0, "{found:#}");

    // For real.
    let wrote = seed_recover(&linkward, &manifest, &endpoint, &["--format", "json"]).await;
    assert_eq!(wrote.code, Some(0), "{}", wrote.dump());
    let found = wrote.json();
    assert_eq!(found["written"], 2, "{found:#}");
    assert_recovered_links(&found["links"], &docs, &archive);
    let text = std::fs::read_to_string(&manifest).expect("read manifest");
    for comment in [
        "# Seed manifest for the rescue tests: this comment must survive.",
        "# The documents the page listed.",
        "# an inline comment",
    ] {
        assert!(text.contains(comment), "comment {comment:?} lost:\n{text}");
    }
    let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let items = doc["item"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{text}");
    let urls = |i: usize| -> Vec<&str> {
        items[i]["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .map(|u| u.as_str().expect("a URL"))
            .collect()
    };
    let memento = archive.memento_url(SNAPSHOT_TS, &page);
    for (i, title, url, text_) in [
        (0, TITLE_INFO, docs.url(INFO), LINK_INFO),
        (1, TITLE_PROGRAMME, docs.url(PROGRAMME), LINK_PROGRAMME),
    ] {
        assert_eq!(items[i]["title"].as_str(), Some(title));
        assert_eq!(urls(i)[0], url, "the recovered URL comes first:\n{text}");
        let evidence = items[i]["recovered"]
            .as_table()
            .unwrap_or_else(|| panic!("item {title:?} has no recovered table:\n{text}"));
        assert_eq!(evidence["url"].as_str(), Some(url.as_str()), "{text}");
        assert_eq!(evidence["link_text"].as_str(), Some(text_), "{text}");
        assert_eq!(evidence["archive"].as_str(), Some("wayback"), "{text}");
        assert_eq!(
            evidence["memento"].as_str(),
            Some(memento.as_str()),
            "{text}"
        );
        let when = evidence["memento_datetime"]
            .as_str()
            .expect("memento_datetime");
        assert_eq!(at(when), at("2007-05-03T10:10:10Z"), "{text}");
    }
    assert_eq!(urls(0).len(), 1, "{text}");
    assert_eq!(
        urls(1),
        vec![docs.url(PROGRAMME).as_str(), mirror.as_str()],
        "{text}"
    );
    assert_eq!(urls(2), Vec::<&str>::new(), "{text}");
    assert!(items[2].get("recovered").is_none(), "{text}");

    // A second recovery finds the same links and leaves the manifest as it is.
    let again = seed_recover(&linkward, &manifest, &endpoint, &["--format", "json"]).await;
    assert_eq!(again.code, Some(0), "{}", again.dump());
    assert_recovered_links(&again.json()["links"], &docs, &archive);
    let twice = std::fs::read_to_string(&manifest).expect("read manifest");
    let parsed = |t: &str| toml::from_str::<toml::Table>(t).expect("a manifest");
    assert_eq!(
        parsed(&twice),
        parsed(&text),
        "a second recovery changed the manifest:\n{twice}"
    );

    // The rewritten manifest loads and checks: its items now point at the recovered URLs.
    let check = linkward.check(&[&manifest], &[]).await;
    let report = check.json();
    assert_eq!(check.code, Some(1), "the page still 404s: {}", check.dump());
    for (path, title) in [(INFO, TITLE_INFO), (PROGRAMME, TITLE_PROGRAMME)] {
        let r = resource(&report, &docs.url(path));
        assert_state(r, "ok", None);
        assert_eq!(r["title"], title, "{r:#}");
    }
}

#[tokio::test]
async fn seed_recover_puts_an_already_listed_recovered_url_first() {
    let (docs, archive) = gone_page_sites().await;
    let linkward = Linkward::new();
    unlimited(&linkward);
    let page = docs.url(PAGE);
    let mirror = docs.url("/mirror/programme.html");
    let recovered = docs.url(PROGRAMME);
    // The programme's recovered URL is already listed, second.
    let manifest = linkward.write_file(
        "seminar.toml",
        &page_manifest(&page, &format!("{mirror}\", \"{recovered}")),
    );
    let programme_urls = |text: &str| -> Vec<String> {
        let doc: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        doc["item"].as_array().expect("items")[1]["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .map(|u| u.as_str().expect("a URL").to_string())
            .collect()
    };
    assert_eq!(
        programme_urls(&std::fs::read_to_string(&manifest).expect("read")),
        vec![mirror.clone(), recovered.clone()]
    );

    let run = seed_recover(&linkward, &manifest, &archive.endpoint(), &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let text = std::fs::read_to_string(&manifest).expect("read");
    assert_eq!(
        programme_urls(&text),
        vec![recovered.clone(), mirror.clone()],
        "the recovered URL must be first, and listed once:\n{text}"
    );
}

#[tokio::test]
async fn seed_recover_with_only_a_timegate() {
    let (docs, archive) = gone_page_sites().await;
    let page = docs.url(PAGE);
    archive.set_gate(
        &page,
        Gate {
            timestamp: SNAPSHOT_TS.into(),
            link: true,
        },
    );
    let linkward = Linkward::new();
    unlimited(&linkward);
    let manifest = linkward.write_file(
        "seminar.toml",
        &page_manifest(&page, &docs.url("/mirror/programme.html")),
    );
    let gate = archive.timegate();

    let run = seed_recover(
        &linkward,
        &manifest,
        "off",
        &["--timegate", &gate, "--format", "json", "--dry-run"],
    )
    .await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let found = run.json();
    assert_snapshot(
        &found["lookup"],
        &gate,
        &archive.memento_url(SNAPSHOT_TS, &page),
        "2007-05-03T10:10:10Z",
    );
    let links = found["links"].as_array().expect("links");
    assert_eq!(links.len(), 2, "{found:#}");
    for link in links {
        assert_eq!(link["archive"], gate.as_str(), "{link:#}");
    }
    let urls: BTreeSet<&str> = links.iter().filter_map(|l| l["url"].as_str()).collect();
    assert_eq!(
        urls,
        BTreeSet::from([docs.url(INFO).as_str(), docs.url(PROGRAMME).as_str()])
    );
    assert!(
        archive.availability_requests().is_empty(),
        "{:?}",
        archive.requests()
    );
    assert_eq!(archive.count(&ArchiveServer::gate_path(&page)), 1);
}

#[tokio::test]
async fn seed_recover_exits_1_when_nothing_is_recovered_and_2_on_usage_errors() {
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let linkward = Linkward::new();
    unlimited(&linkward);
    let endpoint = archive.endpoint();

    // A snapshot whose links name none of the items.
    let page = docs.url(PAGE);
    archive.set_availability(&page, Availability::closest(SNAPSHOT_TS, "200"));
    archive.add_memento(
        SNAPSHOT_TS,
        &page,
        Memento::ok(
            "text/html; charset=utf-8",
            "<html><head><title>UNITAR New York</title></head><body>\
             <p><a href=\"/calendar\">Calendar of events</a></p></body></html>",
        ),
    );
    let original = page_manifest(&page, &docs.url("/mirror/programme.html"));
    let nothing = linkward.write_file("nothing.toml", &original);
    let run = seed_recover(&linkward, &nothing, &endpoint, &["--format", "json"]).await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let found = run.json();
    assert_eq!(found["links"], json!([]), "{found:#}");
    assert_eq!(
        found["unmatched"],
        json!([TITLE_INFO, TITLE_PROGRAMME, TITLE_CHEUNG]),
        "{found:#}"
    );
    assert_eq!(found["written"], 0, "{found:#}");
    assert_eq!(std::fs::read_to_string(&nothing).expect("read"), original);

    // No snapshot at all.
    let other = docs.url("/ny/node/74");
    let unarchived = linkward.write_file(
        "unarchived.toml",
        &page_manifest(&other, &docs.url("/mirror/programme.html")),
    );
    let run = seed_recover(&linkward, &unarchived, &endpoint, &["--format", "json"]).await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let found = run.json();
    assert_eq!(found["lookup"]["snapshot"], Value::Null, "{found:#}");
    assert_eq!(found["recovered"], Value::Null, "{found:#}");
    assert_eq!(found["links"], json!([]), "{found:#}");
    assert_eq!(archive.availability_asked(&other), vec![PAGE_DATE_TS]);
    let asked_before = archive.requests().len();

    // Usage errors: one line on stderr, exit 2, the archive not asked.
    let no_page_url = linkward.write_file(
        "no-page-url.toml",
        &items_manifest(&[(TITLE_SUMMARY, &docs.url("/docs/summary.pdf"))]),
    );
    seed_recover(&linkward, &no_page_url, &endpoint, &[])
        .await
        .assert_usage_error();
    seed_recover(&linkward, &nothing, "off", &[])
        .await
        .assert_usage_error();
    let missing = linkward.archive().join("no-such-manifest.toml");
    seed_recover(&linkward, &missing, &endpoint, &[])
        .await
        .assert_usage_error();
    assert_eq!(
        archive.requests().len(),
        asked_before,
        "{:?}",
        archive.requests()
    );
    assert_eq!(std::fs::read_to_string(&nothing).expect("read"), original);
}

// ---------------------------------------------------------------------------------------------
// archives that answer badly: compressed, never, 429; memento URLs of other layouts or schemes

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
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    // Every answer is gzipped whenever the request allows it (as archive.org's front ends do).
    archive.set_gzip(true);
    let gone = docs.url("/docs/summary.pdf");
    let mut body = pdf("Summary report");
    body.extend(noise(2048, 11));
    archive.set_availability(&gone, Availability::closest(TS, "200"));
    archive.add_memento(TS, &gone, Memento::ok("application/pdf", body.clone()));
    let linkward = Linkward::new();
    let manifest = linkward.write_file("seminar.toml", &items_manifest(&[(TITLE_SUMMARY, &gone)]));

    let run = linkward
        .check(
            &[&manifest],
            &["--wayback", &archive.endpoint(), "--rescue"],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let asked: Vec<_> = archive
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(AVAILABLE))
        .collect();
    assert_eq!(asked.len(), 1, "{:?}", archive.requests());
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
        &archive.memento_url(TS, &gone),
        "2007-05-04T10:11:12Z",
    );
    assert_eq!(notes(l), Vec::<&str>::new(), "{l:#}");
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
    // The fake does gzip when allowed: the memento, fetched like any body (which linkward
    // decodes itself), came gzipped, and its decoded bytes are what was kept.
    let original = ArchiveServer::original_path(TS, &gone);
    let fetched = archive.requests_to(&original);
    assert_eq!(fetched.len(), 1, "{:?}", archive.requests());
    assert!(
        accepts_gzip(fetched[0].header("accept-encoding")),
        "{:?}",
        fetched[0]
    );
    assert_eq!(archive.gzipped(), vec![original]);
    let sha = sha256_hex(&body);
    assert_eq!(r["recovered"]["sha256"], sha.as_str(), "{r:#}");
    assert_eq!(r["recovered"]["bytes"], body.len() as u64, "{r:#}");
    let stored = std::fs::read(linkward.archive().join(blob_path(&sha))).expect("read the blob");
    assert!(
        stored == body,
        "the blob is not the memento's decoded bytes"
    );
}

#[tokio::test]
async fn an_archive_that_never_answers_is_asked_once_and_the_queued_questions_are_dropped() {
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let urls: Vec<String> = (1..=6)
        .map(|i| docs.url(&format!("/docs/{i}.pdf")))
        .collect();
    for url in &urls {
        archive.set_availability(url, Availability::Hang);
    }
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&urls);

    let started = Instant::now();
    let run = linkward
        .check(
            &[&seed],
            &[
                "--wayback",
                &archive.endpoint(),
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
        archive.availability_requests().len(),
        1,
        "{:?}",
        archive.requests()
    );
    assert_eq!(archive.requests().len(), 1, "{:?}", archive.requests());
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
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let urls = [
        docs.url("/docs/summary.pdf"),
        docs.url("/docs/programme.pdf"),
    ];
    // Whichever question comes first is answered 429, Retry-After: 1.
    archive.set_busy(1, "1");
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &urls[0]), (TITLE_PROGRAMME, &urls[1])]),
    );
    let flags = [
        "--wayback",
        &archive.endpoint(),
        "--per-host-concurrency",
        "1",
        // No pace of its own: only the pause can explain a gap between two questions.
        "--per-host-rate",
        "unlimited",
    ];

    let first = linkward.check(&[&manifest], &flags).await;
    let report = first.json();

    assert_eq!(first.code, Some(1), "{}", first.dump());
    let requests = archive.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let asked = archive.availability_requests();
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
    let second = linkward.check(&[&manifest], &flags).await;
    let report = second.json();
    assert_eq!(second.code, Some(1), "{}", second.dump());
    assert_eq!(archive.availability_asked(&busy).len(), 2);
    assert_eq!(archive.availability_asked(&other).len(), 1);
    let l = lookup(resource(&report, &busy));
    assert_eq!(l["cached"], false, "{l:#}");
    assert_eq!(notes(l), vec!["wayback: no snapshot"], "{l:#}");
    assert_eq!(lookup(resource(&report, &other))["cached"], true);
}

#[tokio::test]
async fn a_failed_rescue_tries_the_next_closest_snapshot_and_is_not_downloaded_again() {
    // Target 2007-05-03: the Wayback Machine's capture (a day after) is closer than the
    // TimeGate's (a month after), but its original form answers 404.
    const CLOSE: &str = "20070504101112";
    const FAR: &str = "20070601000000";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let wayback = ArchiveServer::start().await;
    let gate = ArchiveServer::start().await;
    // `both`: held by both archives; `only`: by the Wayback Machine alone.
    let both = docs.url("/docs/summary.pdf");
    let only = docs.url("/docs/programme.pdf");
    for url in [&both, &only] {
        wayback.set_availability(url, Availability::closest(CLOSE, "200"));
        wayback.add_memento(
            CLOSE,
            url,
            Memento::status(404, "text/html", "<h1>capture lost</h1>"),
        );
    }
    gate.set_gate(
        &both,
        Gate {
            timestamp: FAR.into(),
            link: true,
        },
    );
    let mut body = pdf("Summary report, as the second archive captured it");
    body.extend(noise(1024, 29));
    gate.add_memento(FAR, &both, Memento::ok("application/pdf", body.clone()));
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &both), (TITLE_PROGRAMME, &only)]),
    );
    let timegate = gate.timegate();
    let flags = [
        "--wayback",
        &wayback.endpoint(),
        "--timegate",
        &timegate,
        "--rescue",
    ];
    let close_both = ArchiveServer::original_path(CLOSE, &both);
    let close_only = ArchiveServer::original_path(CLOSE, &only);
    let far_both = ArchiveServer::original_path(FAR, &both);

    let first = linkward.check(&[&manifest], &flags).await;
    let report = first.json();

    assert_eq!(first.code, Some(1), "{}", first.dump());
    let r = resource(&report, &both);
    let l = lookup(r);
    // The snapshot reported is the one recovered.
    assert_snapshot(
        l,
        &timegate,
        &gate.memento_url(FAR, &both),
        "2007-06-01T00:00:00Z",
    );
    let n = notes(l);
    assert!(
        n.len() == 1 && n[0].starts_with("wayback: ") && n[0].contains("HTTP 404"),
        "a note must name the closer memento's 404: {n:?}"
    );
    let sha = sha256_hex(&body);
    let rec = &r["recovered"];
    assert_eq!(rec["sha256"], sha.as_str(), "{r:#}");
    assert_eq!(rec["archive"], timegate.as_str(), "{rec:#}");
    assert_eq!(rec["memento_url"], gate.memento_url(FAR, &both), "{rec:#}");
    assert_eq!(rec["fetched_url"], gate.original_url(FAR, &both), "{rec:#}");
    assert_eq!(time(&rec["memento_datetime"]), at("2007-06-01T00:00:00Z"));
    let stored = std::fs::read(linkward.archive().join(blob_path(&sha))).expect("read the blob");
    assert!(stored == body, "the blob is not the memento's bytes");
    // Nothing else to fall back on: noted, not recovered.
    let r = resource(&report, &only);
    assert_eq!(r["recovered"], Value::Null, "{r:#}");
    let n = notes(lookup(r));
    assert!(
        n.len() == 2
            && n[0] == format!("{timegate}: no snapshot")
            && n[1].starts_with("wayback: ")
            && n[1].contains("HTTP 404"),
        "{n:?}"
    );
    assert_eq!(wayback.count(&close_both), 1, "{:?}", wayback.requests());
    assert_eq!(wayback.count(&close_only), 1, "{:?}", wayback.requests());
    assert_eq!(gate.count(&far_both), 1, "{:?}", gate.requests());
    assert_eq!(summary_count(&report, "recovered"), 1);

    // Run 2: every lookup from the cache; the memento that failed is remembered, not asked for.
    let second = linkward.check(&[&manifest], &flags).await;
    let report = second.json();
    assert_eq!(second.code, Some(1), "{}", second.dump());
    for url in [&both, &only] {
        assert_eq!(lookup(resource(&report, url))["cached"], true, "{url}");
        assert_eq!(wayback.availability_asked(url).len(), 1, "{url}");
        assert_eq!(gate.count(&ArchiveServer::gate_path(url)), 1, "{url}");
    }
    assert_eq!(wayback.count(&close_only), 1, "{:?}", wayback.requests());
    assert_eq!(wayback.count(&close_both), 1, "{:?}", wayback.requests());
    assert_eq!(gate.count(&far_both), 1, "{:?}", gate.requests());
    let r = resource(&report, &only);
    assert_eq!(r["recovered"], Value::Null, "{r:#}");
    let n = notes(lookup(r));
    let memento = wayback.memento_url(CLOSE, &only);
    assert!(
        n.iter().any(|note| note.starts_with("wayback: ")
            && note.contains(&memento)
            && note.contains("not tried again")),
        "a note must say the failed memento is not tried again yet: {n:?}"
    );
    assert_eq!(
        resource(&report, &both)["recovered"]["sha256"],
        sha.as_str()
    );
    assert_eq!(summary_count(&report, "recovered"), 0);

    // Run 3: remembered for --lookup-cache only.
    let mut flags3 = flags.to_vec();
    flags3.extend(["--lookup-cache", "1ms"]);
    let third = linkward.check(&[&manifest], &flags3).await;
    assert_eq!(third.code, Some(1), "{}", third.dump());
    assert_eq!(wayback.count(&close_only), 2, "{:?}", wayback.requests());
}

#[tokio::test]
async fn memento_urls_that_are_not_http_are_refused_without_counting_the_archive_down() {
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let urls = [
        docs.url("/docs/summary.pdf"),
        docs.url("/docs/programme.pdf"),
    ];
    for url in &urls {
        archive.set_availability(
            url,
            Availability::closest_at("javascript:alert(1)", "20070504101112", "200"),
        );
        archive.set_gate_location(url, "javascript:alert(1)");
    }
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seminar.toml",
        &items_manifest(&[(TITLE_SUMMARY, &urls[0]), (TITLE_PROGRAMME, &urls[1])]),
    );
    let gate = archive.timegate();

    let run = linkward
        .check(
            &[&manifest],
            &[
                "--wayback",
                &archive.endpoint(),
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
        assert_eq!(archive.availability_asked(url).len(), 1, "{url}");
        assert_eq!(archive.count(&ArchiveServer::gate_path(url)), 1, "{url}");
    }
    // Those four questions and nothing else: no memento was requested.
    assert_eq!(archive.requests().len(), 4, "{:?}", archive.requests());
    assert_eq!(summary_count(&report, "snapshots_found"), 0);
}

#[tokio::test]
async fn a_pywb_memento_is_rescued_in_its_collections_original_form() {
    const TS: &str = "20070504101112";
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let archive = ArchiveServer::start().await;
    let gone = docs.url("/docs/summary.pdf");
    let replay = format!("{}/my-coll/{TS}/{gone}", archive.base());
    let original_path = format!("/my-coll/{TS}id_/{gone}");
    let mut body = pdf("Summary report, from a pywb collection");
    body.extend(noise(3000, 41));
    archive.set_availability(&gone, Availability::closest_at(&replay, TS, "200"));
    archive.add_memento_in(
        "my-coll",
        TS,
        &gone,
        Memento::ok("application/pdf", body.clone()),
    );
    let linkward = Linkward::new();
    let manifest = linkward.write_file("seminar.toml", &items_manifest(&[(TITLE_SUMMARY, &gone)]));

    let run = linkward
        .check(
            &[&manifest],
            &["--wayback", &archive.endpoint(), "--rescue"],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let r = resource(&report, &gone);
    assert_snapshot(lookup(r), "wayback", &replay, "2007-05-04T10:11:12Z");
    let sha = sha256_hex(&body);
    let rec = &r["recovered"];
    assert_eq!(rec["sha256"], sha.as_str(), "{r:#}");
    assert_eq!(rec["bytes"], body.len() as u64, "{rec:#}");
    assert_eq!(rec["memento_url"], replay.as_str(), "{rec:#}");
    assert_eq!(
        rec["fetched_url"],
        format!("{}{original_path}", archive.base()),
        "{rec:#}"
    );
    let stored = std::fs::read(linkward.archive().join(blob_path(&sha))).expect("read the blob");
    assert!(stored == body, "the blob is not the memento's bytes");
    // The original form, once; not the replay form (with its banner).
    assert_eq!(archive.count(&original_path), 1, "{:?}", archive.requests());
    let paths: Vec<String> = archive.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths.len(), 2, "one question, one download: {paths:?}");
    assert!(paths[0].starts_with(AVAILABLE), "{paths:?}");
}

#[tokio::test]
async fn seed_recover_into_a_new_archive_keeps_a_record_that_history_and_verify_see() {
    let (docs, archive) = gone_page_sites().await;
    let linkward = Linkward::new();
    unlimited(&linkward);
    let page = docs.url(PAGE);
    let manifest = linkward.write_file(
        "seminar.toml",
        &page_manifest(&page, &docs.url("/mirror/programme.html")),
    );
    // An archive folder no `check` has used: it does not even exist yet.
    let parent = tempfile::TempDir::new().expect("temp dir");
    let new_dir = parent.path().join("archive");
    let endpoint = archive.endpoint();
    let recover = || {
        linkward.run([
            "seed".as_ref(),
            "recover".as_ref(),
            manifest.as_os_str(),
            "--archive".as_ref(),
            new_dir.as_os_str(),
            "--wayback".as_ref(),
            endpoint.as_ref(),
            "--timeout".as_ref(),
            "1s".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
        ] as [&std::ffi::OsStr; 11])
    };
    let snapshot_bytes = snapshot_html(&archive, &docs).into_bytes();
    let sha = sha256_hex(&snapshot_bytes);
    let original = ArchiveServer::original_path(SNAPSHOT_TS, &page);

    let first = recover().await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    assert_eq!(first.json()["recovered"]["sha256"], sha.as_str());
    assert_eq!(archive.count(&original), 1, "{:?}", archive.requests());

    // `history` finds the page's record, holding the recovered copy, and no check of it.
    let history = linkward
        .run([
            "history".as_ref(),
            page.as_ref(),
            "--archive".as_ref(),
            new_dir.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ] as [&std::ffi::OsStr; 6])
        .await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    let h = history.json();
    assert_eq!(h["url"], page.as_str(), "{h:#}");
    assert_eq!(h["checks"], json!([]), "{h:#}");
    let record = &h["resource"];
    assert!(record.is_object(), "no record of the page: {h:#}");
    assert_eq!(record["url"], page.as_str(), "{h:#}");
    let rec = &record["recovered"];
    assert_eq!(rec["sha256"], sha.as_str(), "{h:#}");
    assert_eq!(rec["bytes"], snapshot_bytes.len() as u64, "{h:#}");
    assert_eq!(rec["archive"], "wayback", "{h:#}");
    assert_eq!(
        rec["memento_url"],
        archive.memento_url(SNAPSHOT_TS, &page),
        "{h:#}"
    );
    assert_eq!(
        rec["fetched_url"],
        archive.original_url(SNAPSHOT_TS, &page),
        "{h:#}"
    );
    assert_eq!(time(&rec["memento_datetime"]), at("2007-05-03T10:10:10Z"));
    assert_eq!(
        record["last_good_sha256"],
        Value::Null,
        "a recovered copy is no live copy: {h:#}"
    );

    // `verify` accepts the archive: the one blob, intact, and no WARC file.
    let verify = linkward
        .run([
            "verify".as_ref(),
            "--archive".as_ref(),
            new_dir.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ] as [&std::ffi::OsStr; 5])
        .await;
    assert_eq!(verify.code, Some(0), "{}", verify.dump());
    let v = verify.json();
    assert_eq!(v["blobs"], 1, "{v:#}");
    assert_eq!(v["bytes"], snapshot_bytes.len() as u64, "{v:#}");
    assert_eq!(v["warc_files"], 0, "{v:#}");
    for list in ["corrupt", "missing", "unexpected"] {
        assert_eq!(v[list], json!([]), "{list}: {v:#}");
    }
    let stored = std::fs::read(new_dir.join(blob_path(&sha))).expect("the page's blob");
    assert!(
        stored == snapshot_bytes,
        "the blob is not the snapshot's bytes"
    );

    // A second recovery reuses the copy held: the memento is not downloaded again.
    let second = recover().await;
    assert_eq!(second.code, Some(0), "{}", second.dump());
    let found = second.json();
    assert_eq!(found["recovered"]["sha256"], sha.as_str(), "{found:#}");
    assert_recovered_links(&found["links"], &docs, &archive);
    assert_eq!(archive.count(&original), 1, "{:?}", archive.requests());
    assert_eq!(archive.availability_asked(&page).len(), 1);
}
