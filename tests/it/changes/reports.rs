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
    // The `linkward get` commands name the archive, a temporary folder that differs every time.
    run.stdout.replace(&*archive.to_string_lossy(), "[ARCHIVE]")
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
    // The HTML report's own default is the latest 30 runs: `--runs 1` keeps this snapshot the
    // one-run window it was.
    for format in ["markdown", "html", "junit", "atom", "json"] {
        let one: &[&str] = if format == "html" {
            &["--runs", "1"]
        } else {
            &[]
        };
        let text = mask(&render(&linkward, format, one).await);
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

    // Rendered again: the same ids. Over a window that also holds the first run: the same
    // ids, but where a resource had a more urgent event in the first run (newly broken there,
    // still broken now), which is then its one entry (issue 17 item 3).
    let again = ids(&render(&linkward, "atom", &[]).await);
    assert_eq!(again, (feed_id.clone(), first.clone()));
    let (wide_feed, wide) = ids(&render(&linkward, "atom", &["--runs", "2"]).await);
    assert_eq!(wide_feed, feed_id);
    // An entry id is `urn:linkward:entry:` and the URL-encoded `<url>#<run>#<change>`.
    let url_of = |id: &str| id.split("%23").next().unwrap_or_default().to_owned();
    let wide_urls: Vec<String> = wide.iter().map(|id| url_of(id)).collect();
    let unique: BTreeSet<&String> = wide_urls.iter().collect();
    assert_eq!(unique.len(), wide.len(), "a resource twice: {wide:#?}");
    let mut replaced = 0;
    for id in first.iter().filter(|id| !wide.contains(id)) {
        replaced += 1;
        let more_urgent = wide.iter().find(|w| url_of(w) == url_of(id));
        assert!(
            more_urgent.is_some_and(|w| w.ends_with("%23newly-broken")),
            "{id} not in the wider window's feed, nor a more urgent entry of its URL: {wide:#?}"
        );
    }
    // The background paper (still broken) and the note (recovered) were newly broken in run 1.
    assert_eq!(replaced, 2, "{first:#?}\n{wide:#?}");
}

/// Issue 17 item 3: a window report lists each resource once, under its most urgent heading of
/// the window, with the run it got that way, and says what a link listed as broken is now.
#[tokio::test]
async fn a_window_report_lists_each_resource_once_under_its_most_urgent_heading() {
    let (server, linkward) = two_runs().await;
    // Run 3: the summary stays broken (newly broken in run 2), the note breaks again.
    server.set_route("/r/note.pdf", Behaviour::status(503, "text/plain", "busy"));
    check(&linkward, &[server.url("/")], &[]).await;

    let report = report_json(&linkward, &["--runs", "3"]).await;
    let entries = report["entries"].as_array().expect("entries");
    let urls: Vec<&str> = entries.iter().filter_map(|e| e["url"].as_str()).collect();
    let unique: BTreeSet<&&str> = urls.iter().collect();
    assert_eq!(unique.len(), urls.len(), "a resource twice: {report:#}");
    let one = |path: &str| -> &serde_json::Value {
        let url = server.url(path);
        entries
            .iter()
            .find(|e| e["url"] == url)
            .unwrap_or_else(|| panic!("no entry for {url}: {report:#}"))
    };
    let summary = one("/r/summary.pdf");
    assert_eq!(summary["urgency"], "broken", "{summary:#}");
    assert_eq!(summary["change"], "newly-broken", "{summary:#}");
    assert_eq!(
        (summary["run_id"].as_u64(), summary["since_run"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (
            summary["latest_run"].as_u64(),
            summary["latest_state"].as_str()
        ),
        (Some(3), Some("broken"))
    );
    // Broken in run 1 (its first check), working in 2, failing again in 3: newly broken, once.
    let note = one("/r/note.pdf");
    assert_eq!(note["urgency"], "broken", "{note:#}");
    assert_eq!(report["summary"]["still_broken"], 0, "{report:#}");
    assert_eq!(report["summary"]["recovered"], 0, "{report:#}");

    // Over runs 2 and 3, the background paper (broken since run 1) is still broken, told as of
    // run 3 and since run 2, the window's first.
    let narrow = report_json(&linkward, &["--runs", "2"]).await;
    let background = narrow["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["url"] == server.url("/r/background.pdf"))
        .unwrap_or_else(|| panic!("{narrow:#}"));
    assert_eq!(background["urgency"], "still-broken", "{background:#}");
    assert_eq!(
        (
            background["run_id"].as_u64(),
            background["since_run"].as_u64()
        ),
        (Some(3), Some(2))
    );

    let markdown = render(&linkward, "markdown", &["--runs", "3"]).await;
    let summary_url = server.url("/r/summary.pdf");
    assert_eq!(
        markdown.matches(&format!("]({summary_url})")).count(),
        1,
        "{markdown}"
    );
    assert!(!markdown.contains("## Still broken"), "{markdown}");
    let narrow_md = render(&linkward, "markdown", &["--runs", "2"]).await;
    assert!(
        narrow_md.contains("since run 2 of this window"),
        "{narrow_md}"
    );
}

/// Issue 17 item 3: a broken link whose good copy is held says so with the `get` command that
/// writes it out, and that command works; a link never good has no such line.
#[tokio::test]
async fn a_broken_link_with_a_held_copy_shows_the_get_command() {
    let (server, linkward) = two_runs().await;
    let summary_url = server.url("/r/summary.pdf");
    let report = report_json(&linkward, &[]).await;
    let entry = |url: &str| -> serde_json::Value {
        report["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["url"] == url)
            .cloned()
            .unwrap_or_else(|| panic!("no entry for {url}: {report:#}"))
    };
    let summary = entry(&summary_url);
    assert_eq!(
        summary["good_copy"]["content_type"], "application/pdf",
        "{summary:#}"
    );
    assert!(
        summary["good_copy"]["checked_at"].is_string(),
        "{summary:#}"
    );
    assert!(entry(&server.url("/r/background.pdf"))["good_copy"].is_null());

    let command = format!("linkward get {summary_url} --archive [ARCHIVE]");
    for format in ["markdown", "html"] {
        let text = render(&linkward, format, &[]).await;
        assert!(text.contains("good copy held, fetched "), "{text}");
        assert!(
            text.contains(&command),
            "{format}: no `{command}` in\n{text}"
        );
        let background = server.url("/r/background.pdf");
        assert!(!text.contains(&format!("get {background}")), "{text}");
    }
    // The command as shown gives the copy.
    let got = linkward
        .run([
            OsString::from("get"),
            summary_url.clone().into(),
            "--archive".into(),
            linkward.archive().into(),
        ])
        .await;
    assert_eq!(got.code, Some(0), "{}", got.dump());
    assert!(got.stdout.contains("Summary"), "{}", got.dump());
}

/// Issue 17 item 3: `report --format html` without `--runs` or `--since` covers the latest 30
/// runs, so its timeline and chart show history; the other formats keep the latest run.
#[tokio::test]
async fn the_html_report_covers_the_latest_30_runs_by_default() {
    let (_server, linkward) = two_runs().await;
    let default = mask(&render(&linkward, "html", &[]).await);
    assert_eq!(
        default,
        mask(&render(&linkward, "html", &["--runs", "30"]).await)
    );
    assert_ne!(
        default,
        mask(&render(&linkward, "html", &["--runs", "1"]).await)
    );
    assert!(default.contains("runs 1–2"), "{default}");
    let markdown = render(&linkward, "markdown", &[]).await;
    assert!(
        markdown.contains("run 2") && !markdown.contains("runs 1–2"),
        "{markdown}"
    );
    let help = linkward.run(["report", "--help"]).await;
    assert!(
        help.stdout.contains("the latest 30 runs"),
        "{}",
        help.dump()
    );
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
