//! `--rescue` downloads: a broken resource's snapshot is fetched once in its original (`id_`, or
//! a pywb collection's) form without asking the archive's robots.txt, its bytes are kept and
//! reported; a memento that answers 404 or says "not found" is not kept; a resource we hold a
//! good copy of is not rescued; and a failed rescue falls back to the next closest snapshot.

use chrono::Utc;
use serde_json::Value;

use super::{
    PAGE_DATE_TS, Scenario, TITLE_PROGRAMME, TITLE_SUMMARY, assert_snapshot, assert_view_path, at,
    blobs, lookup, notes, summary_count, time, ts, view_file,
};
use crate::common::archive_server::{AVAILABLE, ArchiveServer, Availability, Gate, Memento};
use crate::common::json::{assert_kept, assert_state, resource};
use crate::common::{Behaviour, noise, pdf, sha256_hex};

#[tokio::test]
async fn rescue_keeps_the_mementos_original_bytes_once_without_consulting_robots_txt() {
    const TS: &str = "20070504101112";
    let s = Scenario::new().await;
    // Archives publish mementos for tools: their robots.txt is not asked.
    s.archive.set_robots("User-agent: *\nDisallow: /\n");
    let gone = s.docs.url("/docs/summary.pdf");
    let mut body = pdf("Summary report on the seminar discussions and outcomes");
    body.extend(noise(4096, 73));
    s.capture(TS, &gone, Memento::ok("application/pdf", body.clone()));
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone)]);
    let flags = ["--rescue"];

    let started = Utc::now();
    let run = s.check(&manifest, &flags).await;
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
        s.archive.memento_url(TS, &gone),
        "{rec:#}"
    );
    assert_eq!(
        rec["fetched_url"],
        s.archive.original_url(TS, &gone),
        "{rec:#}"
    );
    assert_eq!(time(&rec["memento_datetime"]), at("2007-05-04T10:11:12Z"));
    let recovered_at = time(&rec["recovered_at"]);
    assert!(
        started <= recovered_at && recovered_at <= ended,
        "recovered_at {recovered_at} not within the run ({started} .. {ended})"
    );
    assert_view_path(&rec["archived"], &sha);
    let stored = std::fs::read(view_file(s.linkward.archive(), &sha)).expect("read the blob");
    assert!(stored == body, "the blob is not the memento's bytes");
    // The recovered copy is no live copy: the resource itself still has none.
    assert_eq!(r["archived"], Value::Null, "{r:#}");
    assert_eq!(r["last_good_sha256"], Value::Null, "{r:#}");
    assert_eq!(r["sha256"], Value::Null, "{r:#}");
    assert_eq!(summary_count(&report, "recovered"), 1);
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
    // The original form, once; never the replay form (with its banner), never robots.txt.
    assert_eq!(s.archive.count(&ArchiveServer::original_path(TS, &gone)), 1);
    assert_eq!(s.archive.count(&ArchiveServer::replay_path(TS, &gone)), 0);
    assert_eq!(
        s.archive.count("/robots.txt"),
        0,
        "{:?}",
        s.archive.requests()
    );

    // A second run holds the recovered copy: no new question, no new download.
    let again = s.check(&manifest, &flags).await;
    let report = again.json();
    assert_eq!(again.code, Some(1), "{}", again.dump());
    let r = resource(&report, &gone);
    let l = lookup(r);
    assert_eq!(l["cached"], true, "{l:#}");
    assert_snapshot(
        l,
        "wayback",
        &s.archive.memento_url(TS, &gone),
        "2007-05-04T10:11:12Z",
    );
    assert_eq!(s.archive.availability_asked(&gone).len(), 1);
    assert_eq!(s.archive.count(&ArchiveServer::original_path(TS, &gone)), 1);
    assert_eq!(r["recovered"]["sha256"], sha.as_str(), "{r:#}");
    assert_eq!(summary_count(&report, "recovered"), 0);
}

#[tokio::test]
async fn an_html_memento_is_rescued_without_consulting_the_archives_robots_txt() {
    const TS: &str = "20070504101112";
    let s = Scenario::new().await;
    s.archive.set_robots("User-agent: *\nDisallow: /\n");
    let gone = s.docs.url("/papers/soysal-claims-making.html");
    let body = "<html><head><title>Citizenship and identity: claims-making</title></head><body>\
                <h1>Citizenship and identity</h1><p>Yasemin Soysal on migrants' claims-making \
                in European public spheres.</p></body></html>";
    s.capture(TS, &gone, Memento::ok("text/html; charset=utf-8", body));
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone)]);

    let run = s.check(&manifest, &["--rescue"]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let r = resource(&report, &gone);
    assert_eq!(
        r["recovered"]["sha256"],
        sha256_hex(body.as_bytes()),
        "{r:#}"
    );
    assert_eq!(s.archive.count(&ArchiveServer::original_path(TS, &gone)), 1);
    let paths: Vec<String> = s.archive.requests().into_iter().map(|r| r.path).collect();
    assert!(
        !paths.iter().any(|p| p == "/robots.txt"),
        "robots.txt was consulted for an archive request: {paths:?}"
    );
}

#[tokio::test]
async fn a_url_with_a_query_string_is_asked_about_and_rescued_whole() {
    const TS: &str = "20070504101112";
    let s = Scenario::new().await;
    let gone = s.docs.url("/download.php?id=73&lang=en");
    let body = pdf("Report 73 (en)");
    s.capture(TS, &gone, Memento::ok("application/pdf", body.clone()));
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone)]);

    let run = s.check(&manifest, &["--rescue"]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(
        s.archive.availability_requests(),
        vec![vec![
            ("url".to_string(), gone.clone()),
            ("timestamp".to_string(), PAGE_DATE_TS.to_string()),
        ]]
    );
    let r = resource(&report, &gone);
    assert_snapshot(
        lookup(r),
        "wayback",
        &s.archive.memento_url(TS, &gone),
        "2007-05-04T10:11:12Z",
    );
    assert_eq!(r["recovered"]["sha256"], sha256_hex(&body), "{r:#}");
    assert_eq!(
        r["recovered"]["fetched_url"],
        s.archive.original_url(TS, &gone),
        "{r:#}"
    );
}

#[tokio::test]
async fn a_resource_good_before_is_looked_up_at_its_last_good_check_and_not_rescued() {
    const TS: &str = "20070504101112";
    let body = pdf("Programme");
    let s = Scenario::serving([(
        "/docs/programme.pdf",
        Behaviour::ok("application/pdf", body.clone()),
    )])
    .await;
    let url = s.docs.url("/docs/programme.pdf");
    s.capture(
        TS,
        &url,
        Memento::ok("application/pdf", pdf("an archived programme")),
    );
    // A page seed, not a manifest: its links have no date of their own.
    let seed = s.linkward.seed_listing(std::slice::from_ref(&url));
    let flags = ["--rescue"];

    let first = s.check(&seed, &flags).await;
    let first_report = first.json();
    assert_eq!(first.code, Some(0), "{}", first.dump());
    let before = resource(&first_report, &url);
    assert_kept(s.linkward.archive(), before, &body);
    assert_eq!(before["archive_lookup"], Value::Null, "{before:#}");
    assert!(
        s.archive.requests().is_empty(),
        "{:?}",
        s.archive.requests()
    );
    let last_good = time(&before["checked_at"]);

    s.docs.set_route(
        "/docs/programme.pdf",
        Behaviour::status(404, "text/html", "<h1>Not Found</h1>"),
    );
    let second = s.check(&seed, &flags).await;
    let report = second.json();

    assert_eq!(second.code, Some(1), "{}", second.dump());
    let after = resource(&report, &url);
    assert_state(after, "broken", Some("not-found"));
    assert_eq!(s.archive.availability_asked(&url), vec![ts(last_good)]);
    let l = lookup(after);
    assert_eq!(time(&l["target"]), last_good, "target: {l:#}");
    assert_snapshot(
        l,
        "wayback",
        &s.archive.memento_url(TS, &url),
        "2007-05-04T10:11:12Z",
    );
    // We hold its good copy: the snapshot is not downloaded, and the live copy stays the one.
    assert_eq!(after["recovered"], Value::Null, "{after:#}");
    assert_eq!(s.archive.count(&ArchiveServer::original_path(TS, &url)), 0);
    assert_eq!(s.archive.count(&ArchiveServer::replay_path(TS, &url)), 0);
    assert_eq!(
        after["last_good_sha256"],
        sha256_hex(&body).as_str(),
        "{after:#}"
    );
    assert_eq!(after["archived"], before["archived"], "{after:#}");
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
    assert_eq!(summary_count(&report, "recovered"), 0);
}

#[tokio::test]
async fn a_memento_that_answers_404_or_says_not_found_is_not_recovered() {
    const TS: &str = "20070504101112";
    let s = Scenario::new().await;
    let gone_404 = s.docs.url("/docs/summary.pdf");
    let gone_soft = s.docs.url("/docs/programme.html");
    let error_body =
        b"<html><body>MEMENTO-404-BODY: the archive lost this capture</body></html>".to_vec();
    s.capture(
        TS,
        &gone_404,
        Memento::status(404, "text/html", error_body.clone()),
    );
    s.capture(
        TS,
        &gone_soft,
        Memento::ok(
            "text/html; charset=utf-8",
            "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>\
             <p>The requested URL was not found on this server.</p></body></html>",
        ),
    );
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone_404), (TITLE_PROGRAMME, &gone_soft)]);

    let run = s.check(&manifest, &["--rescue"]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for url in [&gone_404, &gone_soft] {
        let r = resource(&report, url);
        // The availability API said the capture is a 200: the snapshot is reported...
        assert_snapshot(
            lookup(r),
            "wayback",
            &s.archive.memento_url(TS, url),
            "2007-05-04T10:11:12Z",
        );
        // ...its original form was asked for once, and it was not kept.
        assert_eq!(
            s.archive.count(&ArchiveServer::original_path(TS, url)),
            1,
            "{:?}",
            s.archive.requests()
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
    for (path, bytes) in blobs(s.linkward.archive()) {
        assert_ne!(
            sha256_hex(&bytes),
            error_sha,
            "the 404 memento's body was kept at {}",
            path.display()
        );
    }
}

#[tokio::test]
async fn a_failed_rescue_tries_the_next_closest_snapshot_and_is_not_downloaded_again() {
    // Target 2007-05-03: the Wayback Machine's capture (a day after) is closer than the
    // TimeGate's (a month after), but its original form answers 404.
    const CLOSE: &str = "20070504101112";
    const FAR: &str = "20070601000000";
    // The scenario's archive is the Wayback Machine; a second archive is the TimeGate.
    let s = Scenario::new().await;
    let wayback = &s.archive;
    let gate = ArchiveServer::start().await;
    // `both`: held by both archives; `only`: by the Wayback Machine alone.
    let both = s.docs.url("/docs/summary.pdf");
    let only = s.docs.url("/docs/programme.pdf");
    for url in [&both, &only] {
        s.capture(
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
    let manifest = s.manifest(&[(TITLE_SUMMARY, &both), (TITLE_PROGRAMME, &only)]);
    let timegate = gate.timegate();
    let flags = ["--timegate", &timegate, "--rescue"];
    let close_both = ArchiveServer::original_path(CLOSE, &both);
    let close_only = ArchiveServer::original_path(CLOSE, &only);
    let far_both = ArchiveServer::original_path(FAR, &both);

    let first = s.check(&manifest, &flags).await;
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
    let stored = std::fs::read(view_file(s.linkward.archive(), &sha)).expect("read the blob");
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
    let second = s.check(&manifest, &flags).await;
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
    let third = s.check(&manifest, &flags3).await;
    assert_eq!(third.code, Some(1), "{}", third.dump());
    assert_eq!(wayback.count(&close_only), 2, "{:?}", wayback.requests());
}

#[tokio::test]
async fn a_pywb_memento_is_rescued_in_its_collections_original_form() {
    const TS: &str = "20070504101112";
    let s = Scenario::new().await;
    let gone = s.docs.url("/docs/summary.pdf");
    let replay = format!("{}/my-coll/{TS}/{gone}", s.archive.base());
    let original_path = format!("/my-coll/{TS}id_/{gone}");
    let mut body = pdf("Summary report, from a pywb collection");
    body.extend(noise(3000, 41));
    s.archive
        .set_availability(&gone, Availability::closest_at(&replay, TS, "200"));
    s.archive.add_memento_in(
        "my-coll",
        TS,
        &gone,
        Memento::ok("application/pdf", body.clone()),
    );
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone)]);

    let run = s.check(&manifest, &["--rescue"]).await;
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
        format!("{}{original_path}", s.archive.base()),
        "{rec:#}"
    );
    let stored = std::fs::read(view_file(s.linkward.archive(), &sha)).expect("read the blob");
    assert!(stored == body, "the blob is not the memento's bytes");
    // The original form, once; not the replay form (with its banner).
    assert_eq!(
        s.archive.count(&original_path),
        1,
        "{:?}",
        s.archive.requests()
    );
    let paths: Vec<String> = s.archive.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths.len(), 2, "one question, one download: {paths:?}");
    assert!(paths[0].starts_with(AVAILABLE), "{paths:?}");
}
