//! `linkward report` from two real runs, in every format, snapshotted with times, hashes and
//! ports masked; the Atom feed parses as Atom, with unique ids that stay the same when rendered
//! again and in a wider window.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;

use super::{article, check, report_json, seed_html, store_command};
use crate::common::mask::{mask, shift_archive_dates};
use crate::common::{Behaviour, Linkward, TestServer, pdf};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

fn page(extra: (&str, &str)) -> String {
    seed_html(
        "Migrants' participation in host countries",
        &[
            ("/r/summary.pdf", "Summary report"),
            ("/r/photos.html", "Seminar photos"),
            ("/r/programme.pdf", "Programme"),
            ("/r/meeting.html", "Expert meeting"),
            ("/r/note.pdf", "Information note"),
            ("/r/background.pdf", "Background paper"),
            extra,
        ],
    )
}

fn meeting(text: &str) -> String {
    article(
        "Expert meeting",
        &[
            "Panel one brings together mayors, community organisers and researchers.",
            text,
            "Registration closes one week before the meeting.",
        ],
    )
}

/// Two runs over a seed whose links do everything a report tells: newly broken, a soft 404, a
/// permanent move, a content change, a recovery, a link still broken, and list changes.
async fn two_runs() -> (TestServer, Linkward) {
    let server = TestServer::start([
        (
            "/",
            Behaviour::html(page(("/r/old-annex.pdf", "Old annex"))),
        ),
        (
            "/r/summary.pdf",
            Behaviour::ok("application/pdf", pdf("Summary")),
        ),
        (
            "/r/photos.html",
            Behaviour::html(article("Seminar photos", &["Photographs."])),
        ),
        (
            "/r/programme.pdf",
            Behaviour::ok("application/pdf", pdf("Programme")),
        ),
        (
            "/r/programme-2007.pdf",
            Behaviour::ok("application/pdf", pdf("Programme")),
        ),
        (
            "/r/meeting.html",
            Behaviour::html(meeting("The meeting is held on Tuesday in Geneva.")),
        ),
        ("/r/note.pdf", Behaviour::status(503, "text/plain", "busy")),
        (
            "/r/background.pdf",
            Behaviour::status(404, "text/plain", "no"),
        ),
        (
            "/r/old-annex.pdf",
            Behaviour::ok("application/pdf", pdf("Old annex")),
        ),
        (
            "/r/annex.pdf",
            Behaviour::ok("application/pdf", pdf("Annex")),
        ),
    ])
    .await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    check(&linkward, &seeds, &[]).await;
    server.set_route("/", Behaviour::html(page(("/r/annex.pdf", "Annex"))));
    server.set_route("/r/summary.pdf", Behaviour::status(404, "text/plain", "no"));
    server.set_route("/r/photos.html", Behaviour::redirect(302, "/"));
    server.set_route(
        "/r/programme.pdf",
        Behaviour::redirect(301, "/r/programme-2007.pdf"),
    );
    server.set_route(
        "/r/meeting.html",
        Behaviour::html(meeting(
            "The meeting is postponed to Thursday and moves to Vienna.",
        )),
    );
    server.set_route("/r/note.pdf", Behaviour::ok("application/pdf", pdf("Note")));
    check(&linkward, &seeds, &[]).await;
    (server, linkward)
}

async fn render(linkward: &Linkward, format: &str, extra: &[&str]) -> String {
    render_from(linkward, linkward.archive(), format, extra).await
}

/// `linkward report --format FORMAT EXTRA` over the archive at `archive`.
async fn render_from(linkward: &Linkward, archive: &Path, format: &str, extra: &[&str]) -> String {
    let mut args: Vec<OsString> = vec!["report".into(), "--format".into(), format.into()];
    args.extend(extra.iter().map(Into::into));
    args.extend(["--archive".into(), archive.into()]);
    let run = linkward.run(args).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert!(run.stderr.trim().is_empty(), "{}", run.dump());
    run.stdout
}

/// `linkward index` over the archive at `archive`, and the index.html it wrote.
async fn index_of(linkward: &Linkward, archive: &Path) -> String {
    let run = linkward
        .run([OsString::from("index"), "--archive".into(), archive.into()])
        .await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    std::fs::read_to_string(archive.join("index.html")).expect("index.html written")
}

#[tokio::test]
async fn the_report_in_every_format_matches_its_snapshot() {
    let (_server, linkward) = two_runs().await;
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    // Over both runs, the HTML timeline has a cell per run; it stays one self-contained file.
    let html = mask(&render(&linkward, "html", &["--runs", "2"]).await);
    for external in ["<script", " src=", "<link", "@import", "url("] {
        assert!(!html.contains(external), "the HTML report uses {external}");
    }
    settings.bind(|| insta::assert_snapshot!("changes_report_html_two_runs", html));
    for format in ["markdown", "html", "junit", "atom", "json"] {
        let text = mask(&render(&linkward, format, &[]).await);
        settings.bind(|| insta::assert_snapshot!(format!("changes_report_{format}"), text));
    }
}

#[tokio::test]
async fn the_junit_report_counts_what_it_lists() {
    let (_server, linkward) = two_runs().await;
    let xml = render(&linkward, "junit", &[]).await;
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<_> = root
        .descendants()
        .filter(|n| n.tag_name().name() == "testcase")
        .collect();
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|f| f.tag_name().name() == "failure"))
        .count();
    assert_eq!(
        root.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    assert_eq!(
        root.attribute("failures"),
        Some(failures.to_string().as_str())
    );
    // Newly broken, soft 404 and still broken fail; moved, changed and recovered pass.
    assert_eq!(failures, 3, "{xml}");
}

#[tokio::test]
async fn the_atom_feed_parses_with_unique_ids_that_are_stable() {
    let (_server, linkward) = two_runs().await;
    let json = report_json(&linkward, &[]).await;
    let entries = json["entries"].as_array().expect("entries").len();
    assert!(entries >= 6, "{json:#}");

    let ids = |xml: &str| -> (String, Vec<String>) {
        let doc = roxmltree::Document::parse(xml)
            .unwrap_or_else(|e| panic!("the feed is not XML ({e}):\n{xml}"));
        let feed = doc.root_element();
        assert_eq!(feed.tag_name().name(), "feed");
        assert_eq!(feed.tag_name().namespace(), Some(ATOM_NS));
        let child = |node: roxmltree::Node<'_, '_>, name: &str| -> Option<String> {
            node.children()
                .find(|c| c.tag_name().name() == name && c.tag_name().namespace() == Some(ATOM_NS))
                .and_then(|c| c.text())
                .map(str::to_owned)
        };
        let feed_id = child(feed, "id").expect("feed id");
        for required in ["title", "updated"] {
            assert!(child(feed, required).is_some(), "feed {required}");
        }
        let ids = feed
            .children()
            .filter(|c| c.tag_name().name() == "entry")
            .map(|e| {
                for required in ["title", "updated"] {
                    assert!(child(e, required).is_some(), "entry {required}:\n{xml}");
                }
                child(e, "id").expect("entry id")
            })
            .collect();
        (feed_id, ids)
    };
    let atom = render(&linkward, "atom", &[]).await;
    let (feed_id, first) = ids(&atom);
    assert_eq!(first.len(), entries, "{atom}");
    let unique: BTreeSet<&String> = first.iter().collect();
    assert_eq!(unique.len(), first.len(), "ids repeat: {first:#?}");

    // Rendered again, and over a window that also holds the first run: the same ids.
    let again = ids(&render(&linkward, "atom", &[]).await);
    assert_eq!(again, (feed_id.clone(), first.clone()));
    let (wide_feed, wide) = ids(&render(&linkward, "atom", &["--runs", "2"]).await);
    assert_eq!(wide_feed, feed_id);
    for id in &first {
        assert!(
            wide.contains(id),
            "{id} not in the wider window's feed: {wide:#?}"
        );
    }
}

#[tokio::test]
async fn since_and_runs_choose_the_window() {
    let (_server, linkward) = two_runs().await;
    let runs = |report: &serde_json::Value| -> (Vec<u64>, serde_json::Value) {
        let ids = report["window"]["runs"]
            .as_array()
            .expect("window runs")
            .iter()
            .filter_map(|r| r["id"].as_u64())
            .collect();
        (ids, report["window"]["baseline_run"].clone())
    };
    let none = serde_json::Value::Null;
    assert_eq!(
        runs(&report_json(&linkward, &[]).await),
        (vec![2], 1.into())
    );
    assert_eq!(
        runs(&report_json(&linkward, &["--runs", "1"]).await),
        (vec![2], 1.into())
    );
    assert_eq!(
        runs(&report_json(&linkward, &["--runs", "5"]).await),
        (vec![1, 2], none.clone())
    );
    assert_eq!(
        runs(&report_json(&linkward, &["--since", "7d"]).await),
        (vec![1, 2], none)
    );
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let empty = report_json(&linkward, &["--since", &tomorrow]).await;
    assert_eq!(runs(&empty).0, Vec::<u64>::new(), "{empty:#}");
    assert_eq!(empty["entries"], serde_json::json!([]), "{empty:#}");
    let bad = store_command(&linkward, "report", &["--since", "last tuesday"]).await;
    bad.assert_usage_error();
}

/// Issue 12: the snapshots held only on the day they were written, because the chart's run
/// labels were not masked. The same two runs moved to another day (every time in the store,
/// whatever its field) must give reports and an index that mask to the very same text.
#[tokio::test]
async fn reports_and_index_mask_to_the_same_text_on_another_date() {
    let (_server, linkward) = two_runs().await;
    // A verification too, so the index says when it was last verified.
    let verified = linkward.verify("json").await;
    assert_eq!(verified.code, Some(0), "{}", verified.dump());
    let moved = tempfile::TempDir::new().expect("temp dir");
    let moved = moved.path().join("archive");
    // Another day than the runs': 2031-02-28, or, should the suite itself run on that day (under
    // a faked clock), 2029-09-13.
    let today = chrono::Utc::now().date_naive();
    let day = [(2031, 2, 28), (2029, 9, 13)]
        .into_iter()
        .filter_map(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d))
        .find(|day| (*day - today).num_days().abs() > 31)
        .expect("a date");
    let (ymd, md) = (
        day.format("%Y-%m-%d").to_string(),
        day.format("%m-%d").to_string(),
    );
    let offset = shift_archive_dates(linkward.archive(), &moved, day);
    assert!(offset.num_days().abs() > 31, "moved by {offset}");

    let cases: [(&str, &[&str]); 6] = [
        ("html", &["--runs", "2"]),
        ("html", &[]),
        ("markdown", &[]),
        ("junit", &[]),
        ("atom", &["--runs", "2"]),
        ("json", &["--runs", "2"]),
    ];
    for (format, extra) in cases {
        let today = render_from(&linkward, linkward.archive(), format, extra).await;
        let later = render_from(&linkward, &moved, format, extra).await;
        assert!(
            later.contains(&ymd) || later.contains(&md),
            "the moved archive's {format} report does not show its date:\n{later}"
        );
        assert_eq!(
            mask(&today),
            mask(&later),
            "{format} {extra:?}: a date or time escapes the mask"
        );
    }
    let today = index_of(&linkward, linkward.archive()).await;
    let later = index_of(&linkward, &moved).await;
    assert!(later.contains(&ymd), "{later}");
    assert!(later.contains(&format!("Last verified {ymd}")), "{later}");
    assert_eq!(
        mask(&today),
        mask(&later),
        "index.html: a date or time escapes the mask"
    );
}
