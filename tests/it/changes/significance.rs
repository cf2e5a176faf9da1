//! What counts as a change: markup-only edits are `bytes-only`, a page whose only difference per
//! request is a timestamp and a random token is `volatile` (never `content`), a real edit is
//! `content` with a similarity below 1 and a diff naming the changed words; only the last is
//! news in the change report. A page rotating between two versions is `unchanged`.

use serde_json::Value;

use super::{article, check, entries_for, report_json, seed_html};
use crate::common::json::resource;
use crate::common::scripted::{Reply, ScriptedServer};
use crate::common::{Behaviour, Linkward, TestServer};

const MARKUP: &str = "/s/markup.html";
const CONTENT: &str = "/s/content.html";
const VOLATILE: &str = "/s/programme.html";
const QUOTE: &str = "/ab/quote.html";

const PANEL: &str = "Panel one brings together mayors, community organisers and researchers \
                     to discuss how migrants take part in the civic life of their new cities.";

fn markup_v1() -> String {
    article("Reading list", &[PANEL, "Further reading is listed below."])
}

/// The same text as `markup_v1`, with other markup, scripts, comments, meta tags, hidden inputs
/// and whitespace.
fn markup_v2() -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <meta name=\"generator\" content=\"CMS 9.2\">\n  <title>Reading   list</title>\n\
         <style>p {{ margin: 0 }}</style>\n<script>window.build = 'a1b2c3';</script>\n</head>\n\
         <body class=\"v2\">\n<!-- rebuilt by the new theme -->\n<header><nav class=\"top\">Home · \
         Publications · Events · Contact</nav></header>\n<main id=\"content\">\n<h1 class=\"t\">\
         Reading list</h1>\n<p class=\"lead\">{PANEL}</p>\n<p>Further   reading is\n listed \
         below.</p>\n<form><input type=\"hidden\" name=\"csrf\" value=\"x9y8z7\"></form>\n</main>\n\
         <footer>Migration Policy Institute</footer>\n<script src=\"/app.js\"></script>\n</body>\
         </html>"
    )
}

fn content(meeting: &str) -> String {
    article(
        "Expert meeting",
        &[
            PANEL,
            meeting,
            "Registration closes one week before the meeting.",
        ],
    )
}

const MEETING_V1: &str =
    "The expert meeting is held on Tuesday in Geneva at the Palais des Nations.";
const MEETING_V2: &str =
    "The expert meeting is postponed to Thursday and moves to Vienna, at the International Centre.";

/// The programme as served at one request: the text never changes, but the footer carries the
/// time it was rendered, a request id and a session token, all new on every request.
fn volatile_page() -> String {
    let now = chrono::Utc::now();
    format!(
        "<!doctype html><html><head><title>Seminar programme</title></head><body>\
         <h1>Seminar programme</h1><p>{PANEL}</p><p>Panel two: local authorities and civil \
         society.</p><footer>Page generated {} at {} · request {:032x} · session {:x}{} · served \
         in {} ms</footer></body></html>",
        now.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        now.format("%H:%M:%S"),
        fastrand::u128(..),
        fastrand::u64(1 << 60..),
        fastrand::u32(1000..),
        fastrand::u32(2..900),
    )
}

#[tokio::test]
async fn markup_volatile_and_content_changes_are_told_apart() {
    let volatile = ScriptedServer::start(|r| {
        if r.path == VOLATILE {
            Reply::html(volatile_page())
        } else {
            Reply::not_found()
        }
    })
    .await;
    let volatile_url = volatile.url(VOLATILE);
    let server = TestServer::start([
        (
            "/",
            Behaviour::html(seed_html(
                "Seminar",
                &[
                    (MARKUP, "Reading list"),
                    (CONTENT, "Expert meeting"),
                    (&volatile_url, "Programme"),
                ],
            )),
        ),
        (MARKUP, Behaviour::html(markup_v1())),
        (CONTENT, Behaviour::html(content(MEETING_V1))),
    ])
    .await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    let first = check(&linkward, &seeds, &[]).await;
    assert_eq!(resource(&first, &volatile_url)["change"], "new");

    server.set_route(MARKUP, Behaviour::html(markup_v2()));
    server.set_route(CONTENT, Behaviour::html(content(MEETING_V2)));
    let second = check(&linkward, &seeds, &[]).await;
    assert_eq!(volatile.requests_to(VOLATILE).len(), 2);

    let markup = resource(&second, &server.url(MARKUP));
    assert_eq!(markup["change"], "changed", "{markup:#}");
    assert_eq!(markup["significance"], "bytes-only", "{markup:#}");
    assert_eq!(markup["similarity"], 1.0, "{markup:#}");
    assert_ne!(
        markup["sha256"],
        resource(&first, &server.url(MARKUP))["sha256"]
    );

    let v = resource(&second, &volatile_url);
    assert_eq!(v["change"], "changed", "{v:#}");
    assert_eq!(v["significance"], "volatile", "{v:#}");
    assert_ne!(v["significance"], "content", "{v:#}");

    let c = resource(&second, &server.url(CONTENT));
    assert_eq!(c["change"], "changed", "{c:#}");
    assert_eq!(c["significance"], "content", "{c:#}");
    let similarity = c["similarity"].as_f64().expect("similarity");
    assert!(similarity > 0.0 && similarity < 1.0, "{c:#}");
    let diff = c["diff"].as_str().expect("a diff");
    let removed: String = diff.lines().filter(|l| l.starts_with('-')).collect();
    let added: String = diff.lines().filter(|l| l.starts_with('+')).collect();
    for word in ["Tuesday", "Geneva"] {
        assert!(removed.contains(word), "{word} not removed in\n{diff}");
    }
    for word in ["Thursday", "Vienna"] {
        assert!(added.contains(word), "{word} not added in\n{diff}");
    }
    // An excerpt: the changed sentence and its neighbours, not the whole page.
    assert!(!diff.contains("Publications"), "{diff}");

    // Only the content change is news for the maintainer.
    let report = report_json(&linkward, &[]).await;
    assert_eq!(report["summary"]["changed"], 1, "{report:#}");
    assert_eq!(
        entries_for(&report, &server.url(CONTENT)).len(),
        1,
        "{report:#}"
    );
    for url in [server.url(MARKUP), volatile_url.clone()] {
        assert!(
            entries_for(&report, &url).is_empty(),
            "{url} reported: {report:#}"
        );
    }
}

#[tokio::test]
async fn a_page_rotating_between_two_versions_is_unchanged_once_both_were_seen() {
    let quote = |text: &str| article("Quote of the day", &[text, PANEL]);
    let a = quote(
        "Migration is an expression of the human aspiration for dignity, safety and a better future.",
    );
    let b = quote("Cities are where integration succeeds or fails, one neighbourhood at a time.");
    let server = TestServer::start([
        (
            "/",
            Behaviour::html(seed_html("Quotes", &[(QUOTE, "Quote")])),
        ),
        (QUOTE, Behaviour::html(a.clone())),
    ])
    .await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    let url = server.url(QUOTE);
    let mut seen = Vec::new();
    for (body, extra) in [
        (&a, &[][..]),
        (&b, &[][..]),
        (&a, &[][..]),
        (&b, &[][..]),
        // Remembering only the last version, A is a change again.
        (&a, &["--versions", "1"][..]),
    ] {
        server.set_route(QUOTE, Behaviour::html(body.clone()));
        let report = check(&linkward, &seeds, extra).await;
        let r = resource(&report, &url).clone();
        seen.push(r["change"].as_str().unwrap_or("?").to_owned());
        if seen.len() == 4 {
            let changes = report_json(&linkward, &[]).await;
            assert!(entries_for(&changes, &url).is_empty(), "{changes:#}");
            assert_eq!(r["significance"], Value::Null, "{r:#}");
        }
    }
    assert_eq!(
        seen,
        ["new", "changed", "unchanged", "unchanged", "changed"]
    );
}

/// Issue 15, item 5: a document's text is read only when it is needed. A PDF seen for the first
/// time is kept but not read (no fingerprint); when a later copy differs, both are read (the
/// older one back from its pack) and the change is judged on their text as before.
#[tokio::test]
async fn a_document_is_read_for_its_text_only_when_a_later_copy_differs() {
    use crate::common::pdf;
    const DOC: &str = "/s/programme.pdf";
    let server = TestServer::start([
        (
            "/",
            Behaviour::html(seed_html("Seminar", &[(DOC, "Programme")])),
        ),
        (DOC, Behaviour::ok("application/pdf", pdf(MEETING_V1))),
    ])
    .await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    let first = check(&linkward, &seeds, &[]).await;
    assert_eq!(resource(&first, &server.url(DOC))["change"], "new");

    server.set_route(DOC, Behaviour::ok("application/pdf", pdf(MEETING_V2)));
    let second = check(&linkward, &seeds, &[]).await;
    let r = resource(&second, &server.url(DOC));
    assert_eq!(r["change"], "changed", "{r:#}");
    // Judged on both copies (the first read back from its pack).
    assert_eq!(r["significance"], "content", "{r:#}");
    assert!(r["similarity"].is_number(), "{r:#}");

    let history = super::store_command(
        &linkward,
        "history",
        &[&server.url(DOC), "--format", "json"],
    )
    .await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    let fingerprints: Vec<Value> = history.json()["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["fingerprint"].clone())
        .collect();
    assert_eq!(fingerprints.len(), 2);
    assert!(
        fingerprints[0].is_null(),
        "not read on first sight: {fingerprints:?}"
    );
    assert!(
        fingerprints[1].is_string(),
        "read once it differed: {fingerprints:?}"
    );
}
