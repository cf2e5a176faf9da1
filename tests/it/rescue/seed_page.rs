//! Seed page recovery during `check`: a manifest's page that is gone (or live but without
//! links) is looked up, its snapshot's links are matched to the items, unwrapped and resolved
//! against the page's original URL, and checked in the same run; the answer and the page's
//! copy are reused next run; a page without a snapshot is noted and its items still checked.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{
    INFO, MIRROR, PAGE_DATE_RFC3339, PAGE_DATE_TS, PROGRAMME, SNAPSHOT_TS, Scenario, TITLE_CHEUNG,
    TITLE_INFO, TITLE_PROGRAMME, assert_recovered_links, assert_snapshot, at, notes, page_manifest,
    time,
};
use crate::common::archive_server::ArchiveServer;
use crate::common::json::{assert_kept, assert_state, resource, resource_titled};
use crate::common::seed_page::PAGE;
use crate::common::{Behaviour, pdf};

#[tokio::test]
async fn a_gone_seed_page_has_its_snapshots_links_recovered_and_checked() {
    let s = Scenario::gone_page().await;
    let page = s.docs.url(PAGE);
    let manifest = s.page_seed();

    let run = s.check(&manifest, &[]).await;
    let report = run.json();

    // The page itself is broken.
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(s.archive.availability_asked(&page), vec![PAGE_DATE_TS]);
    assert_eq!(
        s.archive
            .count(&ArchiveServer::original_path(SNAPSHOT_TS, &page)),
        1,
        "{:?}",
        s.archive.requests()
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
        &s.archive.memento_url(SNAPSHOT_TS, &page),
        "2007-05-03T10:10:10Z",
    );
    assert_recovered_links(&seed["recovered_links"], &s.docs, &s.archive);

    // The recovered URLs were checked in this run, against the documents' host.
    for (path, title, body) in [
        (INFO, TITLE_INFO, pdf("Information note")),
        (PROGRAMME, TITLE_PROGRAMME, pdf("Programme")),
    ] {
        let r = resource(&report, &s.docs.url(path));
        assert_state(r, "ok", None);
        assert_eq!(r["title"], title, "{r:#}");
        let note = r["note"].as_str().unwrap_or_default();
        assert!(
            note.starts_with("original URL recovered from"),
            "note: {r:#}"
        );
        assert_kept(s.linkward.archive(), r, &body);
        assert_eq!(s.docs.count(path), 1, "{path}");
    }
    let expected: BTreeSet<String> = [PAGE, INFO, PROGRAMME, MIRROR]
        .into_iter()
        .map(String::from)
        .collect();
    // Not the snapshot's unmatched link, and not the memento's root-relative reading of INFO.
    assert_eq!(s.docs.document_paths(), expected);
    assert_eq!(s.archive.count(INFO), 0, "{:?}", s.archive.requests());
    let cheung = resource_titled(&report, TITLE_CHEUNG);
    assert_state(cheung, "unresolved", Some("no-url"));

    // Run 2: the answer is cached and the page's copy recovered before is reused; the
    // recovered URLs are checked again.
    let again = s.check(&manifest, &[]).await;
    let report = again.json();
    assert_eq!(again.code, Some(1), "{}", again.dump());
    let seed = &report["seeds"][0];
    assert_eq!(seed["page_lookup"]["cached"], true, "{seed:#}");
    assert_recovered_links(&seed["recovered_links"], &s.docs, &s.archive);
    assert_eq!(s.archive.availability_asked(&page).len(), 1);
    assert_eq!(
        s.archive
            .count(&ArchiveServer::original_path(SNAPSHOT_TS, &page)),
        1,
        "the page's snapshot was downloaded again: {:?}",
        s.archive.requests()
    );
    for path in [INFO, PROGRAMME] {
        assert_state(resource(&report, &s.docs.url(path)), "ok", None);
        assert_eq!(s.docs.count(path), 2, "{path}");
    }
}

#[tokio::test]
async fn a_gone_seed_page_without_a_snapshot_is_noted_and_its_items_still_checked() {
    let s = Scenario::serving([(
        INFO,
        Behaviour::ok("application/pdf", pdf("Information note")),
    )])
    .await;
    let page = s.docs.url(PAGE);
    let manifest = s
        .linkward
        .write_file("seminar.toml", &page_manifest(&page, &s.docs.url(INFO)));

    let run = s.check(&manifest, &[]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(s.archive.availability_asked(&page), vec![PAGE_DATE_TS]);
    let seed = &report["seeds"][0];
    let pl = &seed["page_lookup"];
    assert!(pl.is_object(), "page_lookup: {seed:#}");
    assert_eq!(pl["snapshot"], Value::Null, "{pl:#}");
    assert_eq!(notes(pl), vec!["wayback: no snapshot"], "{pl:#}");
    assert_eq!(seed["recovered_links"], json!([]), "{seed:#}");
    // The item listed with a URL is checked as usual.
    assert_state(resource(&report, &s.docs.url(INFO)), "ok", None);
}

#[tokio::test]
async fn a_live_seed_page_without_links_is_recovered_from_its_snapshot_too() {
    let s = Scenario::gone_page().await;
    s.docs.set_route(
        PAGE,
        Behaviour::html(
            "<html><head><title>UNITAR New York</title></head>\
             <body><p>This office has moved.</p></body></html>",
        ),
    );
    let page = s.docs.url(PAGE);
    let manifest = s.page_seed();

    let run = s.check(&manifest, &[]).await;
    let report = run.json();

    assert_eq!(
        s.archive.availability_asked(&page),
        vec![PAGE_DATE_TS],
        "{}",
        run.dump()
    );
    let seed = &report["seeds"][0];
    assert!(seed["page_lookup"].is_object(), "page_lookup: {seed:#}");
    assert_recovered_links(&seed["recovered_links"], &s.docs, &s.archive);
    for path in [INFO, PROGRAMME] {
        assert_state(resource(&report, &s.docs.url(path)), "ok", None);
        assert_eq!(s.docs.count(path), 1, "{path}");
    }
}
