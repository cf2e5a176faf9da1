//! Every format against one fixture report covering every urgency, a soft 404, a permanent
//! redirect, a content change with a diff, seed list changes, timelines, three runs, and web
//! archives' answers (a snapshot with a recovered copy, none with an archive's error, a snapshot
//! whose recovery failed); and against an empty report. Times and hashes are fixed in the
//! fixture, so the snapshots need no masking.

use std::collections::HashSet;
use std::error::Error;

use chrono::{DateTime, TimeZone, Utc};

use super::{ReportFormat, renderer};
use crate::model::{
    ArchiveLookup, Change, ItemChanges, ListedItem, Recovered, Significance, Snapshot, Soft404Rule,
};
use crate::model::{Reason, Sha256, State};
use crate::report::RecoveredCopy;
use crate::report::changes::{
    CHANGE_REPORT_VERSION, Cell, ChangeReport, ChangeSummary, Entry, RunPoint, RunRef, SeedChanges,
    Timeline, Urgency, Window,
};

type TestResult = Result<(), Box<dyn Error>>;

const UNITAR: &str = "seeds/unitar-ny-node-73.toml";
const LINKS: &str = "https://example.org/links.html";
const PAGE: &str = "http://www.unitar.org/ny/node/73?page=1";
const ATOM: &str = "http://www.w3.org/2005/Atom";

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .single()
        .unwrap_or_default()
}

/// The three runs of the window start at 06:00 on the 27th, 28th and 29th.
fn run_time(run: u64) -> DateTime<Utc> {
    at(26 + (run - 40) as u32, 6, 0)
}

fn entry(urgency: Urgency, change: Change, url: &str, run_id: u64) -> Entry {
    Entry {
        urgency,
        id: format!("{url}#{run_id}#{}", change.as_str()),
        seed: Some(UNITAR.into()),
        section: Some("Related Documents".into()),
        title: None,
        url: url.into(),
        run_id,
        checked_at: run_time(run_id) + chrono::Duration::seconds(42),
        change,
        state: State::Ok,
        reason: None,
        http_status: Some(200),
        update_to: None,
        soft_404: None,
        significance: None,
        similarity: None,
        diff: None,
        broken_since: None,
        failures: 0,
        archive_lookup: None,
        recovered: None,
    }
}

const PROGRAMME_MEMENTO: &str =
    "https://web.archive.org/web/20070504101112/https://www.unitar.org/ny/programme.pdf";

/// What the archives said about `url`, asked for its seed's date (1 May 2007).
pub(super) fn lookup(snapshot: Option<Snapshot>, notes: &[&str]) -> ArchiveLookup {
    ArchiveLookup {
        candidates: Vec::new(),
        target: Utc
            .with_ymd_and_hms(2007, 5, 1, 0, 0, 0)
            .single()
            .unwrap_or_default(),
        snapshot,
        cached: false,
        notes: notes.iter().map(|n| (*n).to_owned()).collect(),
    }
}

fn snapshot(url: &str) -> Snapshot {
    Snapshot {
        archive: "wayback".into(),
        url: url.into(),
        datetime: Utc
            .with_ymd_and_hms(2007, 5, 4, 10, 11, 12)
            .single()
            .unwrap_or_default(),
        status: Some(200),
    }
}

fn cell(run_id: u64, state: State, http_status: Option<u16>, reason: Option<Reason>) -> Cell {
    Cell {
        run_id,
        checked_at: run_time(run_id) + chrono::Duration::seconds(42),
        state,
        http_status,
        reason,
    }
}

fn ok(run_id: u64) -> Option<Cell> {
    Some(cell(run_id, State::Ok, Some(200), None))
}

fn timeline(
    url: &str,
    title: &str,
    seed: &str,
    section: Option<&str>,
    cells: Vec<Option<Cell>>,
) -> Timeline {
    Timeline {
        url: url.into(),
        title: Some(title.into()),
        seed: Some(seed.into()),
        section: section.map(Into::into),
        cells,
    }
}

fn item(title: &str, section: &str, url: Option<&str>) -> ListedItem {
    ListedItem {
        title: title.into(),
        section: Some(section.into()),
        url: url.map(Into::into),
    }
}

fn fixture() -> ChangeReport {
    let programme = Entry {
        title: Some("Programme (pdf) of the seminar".into()),
        state: State::Broken,
        reason: Some(Reason::NotFound),
        http_status: Some(404),
        broken_since: Some(run_time(43) + chrono::Duration::seconds(42)),
        failures: 1,
        archive_lookup: Some(lookup(Some(snapshot(PROGRAMME_MEMENTO)), &[])),
        recovered: Some(RecoveredCopy::of(&Recovered {
            sha256: Sha256([0xab; 32]),
            bytes: 48_213,
            content_type: Some("application/pdf".into()),
            archive: "wayback".into(),
            memento_url: PROGRAMME_MEMENTO.into(),
            fetched_url: PROGRAMME_MEMENTO.replace("/20070504101112/", "/20070504101112id_/"),
            memento_datetime: snapshot(PROGRAMME_MEMENTO).datetime,
            recovered_at: run_time(43) + chrono::Duration::seconds(50),
        })),
        ..entry(
            Urgency::Broken,
            Change::NewlyBroken,
            "https://www.unitar.org/ny/programme.pdf",
            43,
        )
    };
    // A title with markup in it, which every format must show as text.
    let summary = Entry {
        seed: Some(LINKS.into()),
        section: Some("Reports & papers".into()),
        title: Some("Summary <script>alert(1)</script> *draft* [v2]".into()),
        state: State::Broken,
        reason: Some(Reason::Soft404),
        soft_404: Some(Soft404Rule::RedirectToRoot),
        broken_since: Some(run_time(43) + chrono::Duration::seconds(42)),
        failures: 1,
        ..entry(
            Urgency::Broken,
            Change::NewlyBroken,
            "https://example.org/docs/summary.html",
            43,
        )
    };
    let migration = Entry {
        title: Some("Migration statistics".into()),
        state: State::Redirected,
        reason: Some(Reason::PermanentRedirect),
        http_status: Some(301),
        update_to: Some("https://stats.example.org/en/migration".into()),
        ..entry(
            Urgency::Moved,
            Change::Moved,
            "http://stats.example.org/migration",
            42,
        )
    };
    let page = Entry {
        section: None,
        title: Some("Migrants' participation in host countries".into()),
        significance: Some(Significance::Content),
        similarity: Some(0.734),
        diff: Some(
            "@@ -3,4 +3,4 @@\n Related Documents\n-Programme (pdf) of the seminar\n+Programme of the seminar (updated)\n Background note\n"
                .into(),
        ),
        ..entry(Urgency::Changed, Change::Changed, PAGE, 43)
    };
    let news = Entry {
        seed: Some(LINKS.into()),
        section: Some("Reports & papers".into()),
        title: Some("Seminar news".into()),
        significance: Some(Significance::Volatile),
        similarity: Some(0.981),
        ..entry(
            Urgency::Changed,
            Change::Changed,
            "https://example.org/news.html",
            42,
        )
    };
    let background = Entry {
        title: Some("Background note".into()),
        broken_since: Some(at(20, 6, 0)),
        ..entry(
            Urgency::Recovered,
            Change::Recovered,
            "https://www.unitar.org/ny/background.pdf",
            42,
        )
    };
    let bios = Entry {
        title: Some("Speakers' biographies".into()),
        state: State::Broken,
        reason: Some(Reason::Dns),
        http_status: None,
        broken_since: Some(at(1, 6, 0)),
        failures: 9,
        // An error message with markup in it, which every format must show as text.
        archive_lookup: Some(lookup(
            None,
            &[
                "wayback: no snapshot",
                "http://timetravel.example/timegate/: the TimeGate answered HTTP 503 <b>busy</b>",
            ],
        )),
        ..entry(
            Urgency::StillBroken,
            Change::StillBroken,
            "http://www.unitar.org/ny/bios.doc",
            43,
        )
    };
    let gallery = Entry {
        seed: Some(LINKS.into()),
        section: Some("Reports & papers".into()),
        title: Some("Photo gallery".into()),
        state: State::Broken,
        reason: Some(Reason::Timeout),
        http_status: None,
        failures: 1,
        archive_lookup: Some(lookup(
            Some(snapshot(
                "https://web.archive.org/web/20070504101112/https://example.org/gallery/",
            )),
            &["wayback: the snapshot answered HTTP 502"],
        )),
        ..entry(
            Urgency::Failing,
            Change::Failing,
            "https://example.org/gallery/",
            43,
        )
    };
    let page_id = page.id.clone();
    let entries = vec![
        programme, summary, migration, page, news, background, bios, gallery,
    ];

    let u = UNITAR;
    let rd = Some("Related Documents");
    let papers = Some("Reports & papers");
    let timelines = vec![
        timeline(
            PAGE,
            "Migrants' participation in host countries",
            u,
            None,
            vec![ok(41), ok(42), ok(43)],
        ),
        timeline(
            "https://www.unitar.org/ny/programme.pdf",
            "Programme (pdf) of the seminar",
            u,
            rd,
            vec![
                ok(41),
                ok(42),
                Some(cell(43, State::Broken, Some(404), Some(Reason::NotFound))),
            ],
        ),
        timeline(
            "http://stats.example.org/migration",
            "Migration statistics",
            u,
            rd,
            vec![
                ok(41),
                Some(cell(
                    42,
                    State::Redirected,
                    Some(301),
                    Some(Reason::PermanentRedirect),
                )),
                Some(cell(
                    43,
                    State::Redirected,
                    Some(301),
                    Some(Reason::PermanentRedirect),
                )),
            ],
        ),
        timeline(
            "https://www.unitar.org/ny/background.pdf",
            "Background note",
            u,
            rd,
            vec![
                Some(cell(41, State::Broken, Some(404), Some(Reason::NotFound))),
                ok(42),
                ok(43),
            ],
        ),
        timeline(
            "http://www.unitar.org/ny/bios.doc",
            "Speakers' biographies",
            u,
            rd,
            vec![
                Some(cell(41, State::Broken, None, Some(Reason::Dns))),
                Some(cell(42, State::Broken, None, Some(Reason::Dns))),
                Some(cell(43, State::Broken, None, Some(Reason::Dns))),
            ],
        ),
        timeline(
            "mailto:office@unitar.org",
            "Write to the office",
            u,
            Some("Contact"),
            vec![
                Some(cell(
                    41,
                    State::Skipped,
                    None,
                    Some(Reason::UnsupportedScheme),
                )),
                Some(cell(
                    42,
                    State::Skipped,
                    None,
                    Some(Reason::UnsupportedScheme),
                )),
                Some(cell(
                    43,
                    State::Skipped,
                    None,
                    Some(Reason::UnsupportedScheme),
                )),
            ],
        ),
        timeline(
            "https://example.org/docs/summary.html",
            "Summary <script>alert(1)</script> *draft* [v2]",
            LINKS,
            papers,
            vec![
                ok(41),
                ok(42),
                Some(cell(43, State::Broken, Some(200), Some(Reason::Soft404))),
            ],
        ),
        timeline(
            "https://example.org/news.html",
            "Seminar news",
            LINKS,
            papers,
            vec![ok(41), ok(42), ok(43)],
        ),
        timeline(
            "https://example.org/gallery/",
            "Photo gallery",
            LINKS,
            papers,
            vec![
                None,
                ok(42),
                Some(cell(43, State::Broken, None, Some(Reason::Timeout))),
            ],
        ),
    ];

    ChangeReport {
        version: CHANGE_REPORT_VERSION,
        generated: at(29, 6, 5),
        window: Window {
            baseline_run: Some(40),
            runs: (41..=43)
                .map(|id| RunRef {
                    id,
                    started: run_time(id),
                })
                .collect(),
        },
        summary: ChangeSummary {
            newly_broken: 1,
            soft_404: 1,
            moved: 1,
            changed: 2,
            recovered: 1,
            still_broken: 1,
            failing: 1,
            seed_changes: 3,
            snapshots_found: 2,
            recovered_copies: 1,
        },
        seeds: vec![
            SeedChanges {
                seed: UNITAR.into(),
                title: Some("Migrants' participation in host countries".into()),
                page_url: Some(PAGE.into()),
                page: vec![page_id],
                items: ItemChanges {
                    added_to_page: vec![item(
                        "Final report of the seminar",
                        "Related Documents",
                        Some("https://www.unitar.org/ny/final-report.pdf"),
                    )],
                    removed_from_page: vec![item("Registration form", "Related Documents", None)],
                    href_changed: vec![(
                        item(
                            "Migration statistics",
                            "Related Documents",
                            Some("http://stats.example.org/migration"),
                        ),
                        item(
                            "Migration statistics",
                            "Related Documents",
                            Some("https://stats.example.org/en/migration"),
                        ),
                    )],
                },
            },
            SeedChanges {
                seed: LINKS.into(),
                title: None,
                page_url: Some(LINKS.into()),
                page: Vec::new(),
                items: ItemChanges::default(),
            },
        ],
        entries,
        timelines,
        reachability: vec![
            RunPoint {
                run_id: 41,
                started: run_time(41),
                reachable_share: Some(4.0 / 6.0),
                checked: 6,
            },
            RunPoint {
                run_id: 42,
                started: run_time(42),
                reachable_share: Some(6.0 / 7.0),
                checked: 7,
            },
            RunPoint {
                run_id: 43,
                started: run_time(43),
                reachable_share: Some(3.0 / 7.0),
                checked: 7,
            },
        ],
    }
}

/// A window with nothing in it: no runs, no seeds, no entries.
fn empty() -> ChangeReport {
    ChangeReport {
        version: CHANGE_REPORT_VERSION,
        generated: at(29, 6, 5),
        window: Window {
            baseline_run: None,
            runs: Vec::new(),
        },
        summary: ChangeSummary::default(),
        seeds: Vec::new(),
        entries: Vec::new(),
        timelines: Vec::new(),
        reachability: Vec::new(),
    }
}

/// Two runs in which nothing changed: nothing to report, but a chart and timelines to show.
fn quiet() -> ChangeReport {
    let mut report = fixture();
    report.window.runs.remove(0);
    report.window.baseline_run = Some(41);
    report.summary = ChangeSummary::default();
    report.entries.clear();
    for seed in &mut report.seeds {
        seed.page.clear();
        seed.items = ItemChanges::default();
    }
    report.timelines.truncate(1);
    report.timelines[0].cells.remove(0);
    report.reachability = vec![RunPoint {
        run_id: 43,
        started: run_time(43),
        reachable_share: Some(1.0),
        checked: 1,
    }];
    report
}

fn render(format: ReportFormat, report: &ChangeReport) -> Result<String, Box<dyn Error>> {
    let mut out = Vec::new();
    renderer(format).render(report, &mut out)?;
    Ok(String::from_utf8(out)?)
}

#[test]
fn formats_parse_and_print_their_names() -> TestResult {
    for format in ReportFormat::ALL {
        assert_eq!(format.to_string().parse::<ReportFormat>()?, format);
    }
    assert_eq!("HTML".parse::<ReportFormat>()?, ReportFormat::Html);
    assert!("terminal".parse::<ReportFormat>().is_err());
    Ok(())
}

#[test]
fn markdown_snapshot() -> TestResult {
    insta::assert_snapshot!("markdown", render(ReportFormat::Markdown, &fixture())?);
    Ok(())
}

#[test]
fn html_snapshot() -> TestResult {
    insta::assert_snapshot!("html", render(ReportFormat::Html, &fixture())?);
    Ok(())
}

#[test]
fn json_snapshot() -> TestResult {
    let json = render(ReportFormat::Json, &fixture())?;
    assert!(json.ends_with("}\n"));
    let value: serde_json::Value = serde_json::from_str(&json)?;
    assert_eq!(value["entries"].as_array().map(Vec::len), Some(8));
    insta::assert_snapshot!("json", json);
    Ok(())
}

#[test]
fn junit_snapshot() -> TestResult {
    insta::assert_snapshot!("junit", render(ReportFormat::Junit, &fixture())?);
    Ok(())
}

#[test]
fn every_format_says_what_web_archives_hold_of_a_broken_link() -> TestResult {
    let report = fixture();
    let blob = format!("blobs/sha256/ab/ab/{}", Sha256([0xab; 32]).to_hex());
    let recovered = "copy recovered from wayback snapshot of 2007-05-04 10:11 UTC";

    let md = render(ReportFormat::Markdown, &report)?;
    assert!(md.contains(&format!(
        "  - closest snapshot: [{PROGRAMME_MEMENTO}]({PROGRAMME_MEMENTO}) (wayback, 2007-05-04 10:11 UTC)"
    )));
    assert!(md.contains(&format!("  - {recovered}, kept as `{blob}`")));
    assert!(md.contains(
        "  - no snapshot in wayback (http://timetravel.example/timegate/: the TimeGate answered HTTP 503 \\<b\\>busy\\</b\\>)"
    ));
    assert!(md.contains("  - note: wayback: the snapshot answered HTTP 502"));
    assert!(md.contains("Web archives: 2 snapshots found, 1 recovered copy held."));

    let html = render(ReportFormat::Html, &report)?;
    assert!(html.contains(&format!(
        "closest snapshot: <a href=\"{PROGRAMME_MEMENTO}\">{PROGRAMME_MEMENTO}</a>"
    )));
    assert!(html.contains(&format!("{recovered}, kept as <code>{blob}</code>")));
    assert!(html.contains("HTTP 503 &lt;b&gt;busy&lt;/b&gt;"));
    assert!(!html.contains("<b>busy"));

    let json: serde_json::Value = serde_json::from_str(&render(ReportFormat::Json, &report)?)?;
    assert_eq!(json["summary"]["snapshots_found"], 2);
    assert_eq!(json["summary"]["recovered_copies"], 1);
    let programme = &json["entries"][0];
    assert_eq!(
        programme["archive_lookup"]["snapshot"]["url"],
        PROGRAMME_MEMENTO
    );
    assert_eq!(programme["recovered"]["archived"], blob.as_str());
    assert_eq!(programme["recovered"]["memento_url"], PROGRAMME_MEMENTO);
    assert_eq!(programme["recovered"]["archive"], "wayback");
    // Entries no archive was asked about say so with nulls, like every optional field.
    assert!(json["entries"][1]["archive_lookup"].is_null());
    assert!(json["entries"][1]["recovered"].is_null());

    let atom = render(ReportFormat::Atom, &report)?;
    let doc = roxmltree::Document::parse(&atom)?;
    let summaries: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "summary")
        .filter_map(|n| n.text())
        .collect();
    assert!(summaries.iter().any(|s| s.contains(&format!(
        "closest snapshot: {PROGRAMME_MEMENTO} (wayback, 2007-05-04 10:11 UTC) · {recovered}, kept as {blob}"
    ))));
    let contents: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "content")
        .filter_map(|n| n.text())
        .collect();
    assert!(contents.iter().any(|c| c.contains(&format!(
        "<li>closest snapshot: <a href=\"{PROGRAMME_MEMENTO}\">"
    ))));

    let junit = render(ReportFormat::Junit, &report)?;
    let doc = roxmltree::Document::parse(&junit)?;
    let failures: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "failure")
        .filter_map(|n| n.text())
        .collect();
    assert!(failures.iter().any(|f| f.contains(&format!(
        "closest snapshot: {PROGRAMME_MEMENTO} (wayback, 2007-05-04 10:11 UTC)\n{recovered}, kept as {blob}"
    ))));
    assert!(
        failures
            .iter()
            .any(|f| f.contains("no snapshot in wayback ("))
    );
    Ok(())
}

#[test]
fn atom_snapshot() -> TestResult {
    insta::assert_snapshot!("atom", render(ReportFormat::Atom, &fixture())?);
    Ok(())
}

#[test]
fn the_markdown_escapes_titles_and_orders_sections_by_urgency() -> TestResult {
    let md = render(ReportFormat::Markdown, &fixture())?;
    assert!(!md.contains("<script>"));
    assert!(md.contains(r"Summary \<script\>alert(1)\</script\> \*draft\* \[v2\]"));
    let at = |heading: &str| md.find(heading).ok_or(format!("no {heading:?}"));
    let order = [
        at("## Newly broken (2)")?,
        at("## Moved (1)")?,
        at("## Changed (2)")?,
        at("## Recovered (1)")?,
        at("## Still broken (1)")?,
        at("## Failing (1)")?,
        at("## Seed pages")?,
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(md.contains("soft 404 (redirect-to-root"));
    assert!(md.contains("Update the link to [https://stats.example.org/en/migration]"));
    assert!(md.contains("```diff\n  @@ -3,4 +3,4 @@"));
    assert!(md.contains("73% similar"));
    assert!(md.contains("broken since 2026-11-01 06:00 UTC (9 checks in a row)"));
    Ok(())
}

#[test]
fn the_atom_feed_is_atom_with_one_stable_entry_per_event() -> TestResult {
    let report = fixture();
    let first = render(ReportFormat::Atom, &report)?;
    let doc = roxmltree::Document::parse(&first)?;
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    let child = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.children()
            .find(|c| c.is_element() && c.tag_name().name() == name)
            .and_then(|c| c.text())
            .map(str::to_string)
    };
    for required in ["id", "title", "updated"] {
        assert!(child(feed, required).is_some(), "feed has no {required}");
    }
    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "entry")
        .collect();
    assert_eq!(entries.len(), report.entries.len());
    let ids: Vec<String> = entries.iter().filter_map(|e| child(*e, "id")).collect();
    assert_eq!(ids.len(), entries.len());
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "ids repeat"
    );
    for (e, id) in entries.iter().zip(&ids) {
        assert!(id.starts_with("urn:linkward:entry:"), "{id}");
        for required in ["title", "updated", "summary"] {
            assert!(
                child(*e, required).is_some(),
                "entry {id} has no {required}"
            );
        }
        let link = e
            .children()
            .find(|c| c.tag_name().name() == "link" && c.attribute("rel").is_none());
        assert!(link.and_then(|l| l.attribute("href")).is_some(), "{id}");
    }
    let titles: Vec<String> = entries.iter().filter_map(|e| child(*e, "title")).collect();
    assert!(titles.contains(&"Newly broken: Programme (pdf) of the seminar".to_string()));
    assert!(
        titles.contains(&"Soft 404: Summary <script>alert(1)</script> *draft* [v2]".to_string())
    );

    // The same events in a report made later, over a longer window: same feed id, same entry ids.
    let mut later = report.clone();
    later.generated = at(30, 6, 5);
    later.window.runs.insert(
        0,
        RunRef {
            id: 40,
            started: run_time(40),
        },
    );
    let second = render(ReportFormat::Atom, &later)?;
    let doc2 = roxmltree::Document::parse(&second)?;
    let ids2: Vec<String> = doc2
        .root_element()
        .children()
        .filter(|c| c.tag_name().name() == "entry")
        .filter_map(|e| child(e, "id"))
        .collect();
    assert_eq!(ids, ids2);
    assert_eq!(child(feed, "id"), child(doc2.root_element(), "id"));
    Ok(())
}

#[test]
fn the_junit_counts_match_its_testcases() -> TestResult {
    let xml = render(ReportFormat::Junit, &fixture())?;
    let doc = roxmltree::Document::parse(&xml)?;
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let attr = |n: roxmltree::Node<'_, '_>, a: &str| -> Result<usize, Box<dyn Error>> {
        Ok(n.attribute(a).ok_or(format!("no {a}"))?.parse()?)
    };
    let suites: Vec<_> = root
        .children()
        .filter(|c| c.tag_name().name() == "testsuite")
        .collect();
    assert_eq!(
        suites
            .iter()
            .filter_map(|s| s.attribute("name"))
            .collect::<Vec<_>>(),
        vec![UNITAR, LINKS]
    );
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for suite in &suites {
        let cases: Vec<_> = suite
            .children()
            .filter(|c| c.tag_name().name() == "testcase")
            .collect();
        let has = |name: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|x| x.tag_name().name() == name))
                .count()
        };
        assert_eq!(attr(*suite, "tests")?, cases.len());
        assert_eq!(attr(*suite, "failures")?, has("failure"));
        assert_eq!(attr(*suite, "skipped")?, has("skipped"));
        assert_eq!(attr(*suite, "errors")?, 0);
        tests += cases.len();
        failures += has("failure");
        skipped += has("skipped");
    }
    // Broken: programme (404), bios (dns), summary (soft 404). Skipped: the gallery (failing,
    // not confirmed) and the mailto link (never checked).
    assert_eq!((tests, failures, skipped), (9, 3, 2));
    assert_eq!(attr(root, "tests")?, tests);
    assert_eq!(attr(root, "failures")?, failures);
    assert_eq!(attr(root, "skipped")?, skipped);
    let soft = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("Summary <script>alert(1)</script> *draft* [v2]"))
        .ok_or("no summary testcase")?;
    assert_eq!(
        soft.attribute("classname"),
        Some("https://example.org/links.html/Reports & papers")
    );
    let failure = soft
        .children()
        .find(|c| c.tag_name().name() == "failure")
        .ok_or("summary passes")?;
    assert_eq!(
        failure.attribute("message"),
        Some("broken, soft-404 (redirect-to-root), HTTP 200")
    );
    Ok(())
}

#[test]
fn the_html_is_self_contained() -> TestResult {
    let html = render(ReportFormat::Html, &fixture())?;
    assert!(
        !html.to_lowercase().contains("<script"),
        "script in the HTML"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    for asset in [
        "src=", "<link", "@import", "url(", "<img", "<iframe", "<object", "<embed",
    ] {
        assert!(
            !html.contains(asset),
            "the HTML refers to an asset: {asset}"
        );
    }
    // Links (`<a href>`) may go out; the stylesheet names no URL at all.
    let style = html
        .split("<style>")
        .nth(1)
        .and_then(|rest| rest.split("</style>").next())
        .ok_or("no <style>")?;
    assert!(
        !style.contains("http") && !style.contains("//"),
        "URL in the CSS"
    );
    for (i, _) in html.match_indices("http") {
        let tag_start = html[..i].rfind('<').unwrap_or(0);
        let tag = &html[tag_start..i];
        assert!(
            tag.contains('>') || tag.starts_with("<a "),
            "a URL outside a link: {}",
            &html[tag_start..(i + 40).min(html.len())]
        );
    }
    assert!(!html.contains("xlink:href"));
    assert!(html.contains("<svg"));
    assert!(html.contains("<polyline"));
    // A tooltip on every timeline cell: 9 links × 3 runs.
    assert_eq!(html.matches("</title></rect>").count(), 9 * 3);
    assert!(
        html.contains(
            "<title>run 43 · 2026-11-29 06:00 UTC · broken · HTTP 404 · not-found</title>"
        )
    );
    Ok(())
}

#[test]
fn an_empty_report_renders_in_every_format() -> TestResult {
    let report = empty();
    let md = render(ReportFormat::Markdown, &report)?;
    assert_eq!(md, "linkward: no runs in this window, nothing to report.\n");

    let html = render(ReportFormat::Html, &report)?;
    assert!(html.contains("nothing to report"));
    assert!(html.contains("No runs in this window"));
    assert!(html.contains("<svg") && !html.contains("<polyline"));
    insta::assert_snapshot!("html_empty", html);

    let json: serde_json::Value = serde_json::from_str(&render(ReportFormat::Json, &report)?)?;
    assert_eq!(json["entries"], serde_json::json!([]));

    let junit = render(ReportFormat::Junit, &report)?;
    let doc = roxmltree::Document::parse(&junit)?;
    assert_eq!(doc.root_element().attribute("tests"), Some("0"));
    insta::assert_snapshot!("junit_empty", junit);

    let atom = render(ReportFormat::Atom, &report)?;
    let doc = roxmltree::Document::parse(&atom)?;
    assert_eq!(doc.root_element().tag_name().namespace(), Some(ATOM));
    assert!(!doc.descendants().any(|n| n.tag_name().name() == "entry"));
    insta::assert_snapshot!("atom_empty", atom);
    Ok(())
}

#[test]
fn a_quiet_window_says_so_in_one_line_and_still_charts_its_run() -> TestResult {
    let report = quiet();
    let md = render(ReportFormat::Markdown, &report)?;
    assert_eq!(
        md,
        "linkward: nothing to report for runs 42–43 (2026-11-28 – 2026-11-29): nothing broke, moved, changed or recovered.\n"
    );
    let html = render(ReportFormat::Html, &report)?;
    // One run: a dot, no line.
    assert_eq!(html.matches("<circle").count(), 1);
    assert!(!html.contains("<polyline"));
    assert!(html.contains("100% reachable of 1 checked"));
    Ok(())
}

/// Not a check but a tool for a person: writes the sample HTML report to the file
/// `LINKWARD_SAMPLE_HTML` names, to look at in a browser, with the quiet and the empty report
/// beside it (`<name>.quiet.html`, `<name>.empty.html`). What the HTML says is checked above
/// (`html_snapshot` and the empty and quiet reports' tests), so it is ignored in normal runs and,
/// when run, fails unless it is told where to write.
#[test]
#[ignore = "writes a sample report for a person to look at: LINKWARD_SAMPLE_HTML=/tmp/r.html cargo test --lib sample_html -- --ignored"]
fn sample_html() -> TestResult {
    let path = std::path::PathBuf::from(std::env::var_os("LINKWARD_SAMPLE_HTML").ok_or(
        "LINKWARD_SAMPLE_HTML is not set: name the file to write, e.g. \
         LINKWARD_SAMPLE_HTML=/tmp/r.html cargo test --lib sample_html -- --ignored",
    )?);
    std::fs::write(&path, render(ReportFormat::Html, &fixture())?)?;
    std::fs::write(
        path.with_extension("quiet.html"),
        render(ReportFormat::Html, &quiet())?,
    )?;
    std::fs::write(
        path.with_extension("empty.html"),
        render(ReportFormat::Html, &empty())?,
    )?;
    Ok(())
}
