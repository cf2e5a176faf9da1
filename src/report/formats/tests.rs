//! Every format against one fixture report covering every urgency, a soft 404, a permanent
//! redirect, a content change with a diff, seed list changes, timelines, three runs, and web
//! archives' answers (a snapshot with a recovered copy, none with an archive's error, a snapshot
//! whose recovery failed); and against an empty report. Times and hashes are fixed in the
//! fixture (`fixture`), so the snapshots need no masking.

use std::collections::HashSet;
use std::error::Error;

use super::{ReportFormat, renderer};
use crate::model::Sha256;
use crate::report::changes::{ChangeReport, RunRef};

mod fixture;

pub(super) use fixture::lookup;
use fixture::{LINKS, PROGRAMME_MEMENTO, UNITAR, at, empty, fixture, quiet, run_time};

type TestResult = Result<(), Box<dyn Error>>;

const ATOM: &str = "http://www.w3.org/2005/Atom";

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
    let blob = format!("files/ab/{}.pdf", Sha256([0xab; 32]).to_hex());
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
            status: crate::store::RunStatus::Complete,
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

#[test]
fn an_inconclusive_run_is_named_in_every_format_that_names_the_window() -> TestResult {
    let mut report = quiet();
    let second = report.window.runs.len() - 1;
    report.window.runs[second].status = crate::store::RunStatus::Inconclusive;
    let md = render(ReportFormat::Markdown, &report)?;
    assert_eq!(
        md,
        "linkward: nothing to report for runs 42–43 (2026-11-28 – 2026-11-29; run 43 inconclusive: network down): nothing broke, moved, changed or recovered.\n"
    );
    let mut full = fixture_with_inconclusive(43);
    let junit = render(ReportFormat::Junit, &full)?;
    assert!(
        junit.contains(r#"<property name="inconclusive-runs" value="43"/>"#),
        "{junit}"
    );
    // Its checks make no timeline cells: the HTML says why the cell is blank.
    let at = full
        .window
        .runs
        .iter()
        .position(|r| r.id == 43)
        .ok_or("run 43 in the fixture")?;
    for timeline in &mut full.timelines {
        timeline.cells[at] = None;
    }
    let html = render(ReportFormat::Html, &full)?;
    assert!(
        html.contains("run 43 · 2026-11-29") && html.contains("inconclusive: the network was down"),
        "{html}"
    );
    let one = ChangeReport {
        window: crate::report::changes::Window {
            baseline_run: Some(42),
            runs: vec![RunRef {
                id: 43,
                started: run_time(43),
                status: crate::store::RunStatus::Inconclusive,
            }],
        },
        ..quiet()
    };
    assert!(
        render(ReportFormat::Atom, &one)?
            .contains("run 43 (2026-11-29, inconclusive: network down)")
    );
    Ok(())
}

/// The fixture with run `id` of its window inconclusive.
fn fixture_with_inconclusive(id: u64) -> ChangeReport {
    let mut report = fixture();
    for run in &mut report.window.runs {
        if run.id == id {
            run.status = crate::store::RunStatus::Inconclusive;
        }
    }
    report
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

/// Issue 14: a `javascript:` (or `data:`, `file:`) URL on a hostile page became a clickable link
/// in the HTML report and an autolink in the Markdown one. Only http(s) URLs are links now, in
/// every format; the others are shown as text.
#[test]
fn only_http_urls_become_links_in_any_format() -> TestResult {
    let mut report = fixture();
    let hostile = [
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "JaVaScRiPt:alert(2)",
    ];
    for (entry, url) in report.entries.iter_mut().zip(hostile.iter().cycle()) {
        entry.url = (*url).to_owned();
        entry.update_to = Some((*url).to_owned());
    }
    for seed in &mut report.seeds {
        seed.page_url = Some(hostile[0].to_owned());
        for item in seed.items.added_to_page.iter_mut() {
            item.url = Some(hostile[2].to_owned());
        }
    }
    for format in ReportFormat::ALL {
        let text = render(format, &report)?.to_ascii_lowercase();
        if format == ReportFormat::Json {
            continue;
        }
        for bad in [
            "href=\"javascript:",
            "href=\"data:",
            "href=&quot;javascript:",
            "href=&quot;data:",
            "<javascript:",
            "<data:",
            "](javascript:",
            "](data:",
        ] {
            assert!(!text.contains(bad), "{format}: {bad}\n{text}");
        }
        assert!(
            text.contains("javascript:alert"),
            "{format}: the URL is not shown\n{text}"
        );
    }
    Ok(())
}

/// Issue 17 item 3: the `get` command shown for a held copy pastes into a shell as one command,
/// whatever the URL (`?`, `&`, a quote) or the archive's path (a space) holds; HTML escapes it.
#[test]
fn the_get_command_is_quoted_for_the_shell() -> Result<(), Box<dyn Error>> {
    let mut report = fixture();
    report.archive_dir = Some("/srv/link ward/it's".into());
    let programme = report
        .entries
        .iter_mut()
        .find(|e| e.good_copy.is_some())
        .ok_or("an entry with a good copy in the fixture")?;
    programme.url = String::from("https://www.unitar.org/ny/get.php?id=7&lang=en");
    let markdown = render(ReportFormat::Markdown, &report)?;
    let command = r#"linkward get 'https://www.unitar.org/ny/get.php?id=7&lang=en' --archive '/srv/link ward/it'\''s'"#;
    assert!(markdown.contains(&format!("`{command}`")), "{markdown}");
    let html = render(ReportFormat::Html, &report)?;
    assert!(
        html.contains("linkward get &#39;https://www.unitar.org/ny/get.php?id=7&amp;lang=en&#39;"),
        "{html}"
    );
    Ok(())
}
