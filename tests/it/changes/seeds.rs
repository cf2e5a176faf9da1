//! A seed's list against the previous run's: a link removed from the page, one added, and one
//! whose href changed under the same title, in `check`'s seeds and in the change report.

use serde_json::{Value, json};

use super::{check, report_json, seed_html};
use crate::common::json::resource;
use crate::common::{Behaviour, Linkward, TestServer, pdf};

const SECTION: &str = "Related Documents";

fn item(title: &str, url: &str) -> Value {
    json!({"title": title, "section": SECTION, "url": url})
}

#[tokio::test]
async fn links_added_removed_and_relinked_on_the_seed_page() {
    let docs = [
        "/docs/programme.pdf",
        "/docs/summary.pdf",
        "/docs/summary-final.pdf",
        "/docs/note.pdf",
        "/docs/annex.pdf",
    ];
    let server = TestServer::start(
        docs.iter()
            .map(|d| (*d, Behaviour::ok("application/pdf", pdf(d)))),
    )
    .await;
    let before = seed_html(
        "Seminar",
        &[
            ("/docs/programme.pdf", "Programme (pdf) of the seminar"),
            ("/docs/summary.pdf", "Summary report"),
            ("/docs/note.pdf", "Information note"),
        ],
    );
    let after = seed_html(
        "Seminar",
        &[
            ("/docs/programme.pdf", "Programme (pdf) of the seminar"),
            ("/docs/summary-final.pdf", "Summary report"),
            ("/docs/annex.pdf", "Annex: list of participants"),
        ],
    );
    server.set_route("/", Behaviour::html(before));
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    let first = check(&linkward, &seeds, &[]).await;
    let nothing = json!({"added_to_page": [], "removed_from_page": [], "href_changed": []});
    assert_eq!(
        first["seeds"][0]["changes"], nothing,
        "{:#}",
        first["seeds"]
    );

    server.set_route("/", Behaviour::html(after));
    let second = check(&linkward, &seeds, &[]).await;
    let expected = json!({
        "added_to_page": [item("Annex: list of participants", &server.url("/docs/annex.pdf"))],
        "removed_from_page": [item("Information note", &server.url("/docs/note.pdf"))],
        "href_changed": [[
            item("Summary report", &server.url("/docs/summary.pdf")),
            item("Summary report", &server.url("/docs/summary-final.pdf")),
        ]],
    });
    assert_eq!(
        second["seeds"][0]["changes"], expected,
        "{:#}",
        second["seeds"]
    );
    let page = resource(&second, &server.url("/"));
    assert_eq!(page["change"], "changed", "{page:#}");
    assert_eq!(page["significance"], "content", "{page:#}");
    assert_eq!(
        server.count("/docs/note.pdf"),
        1,
        "a link no longer listed is not checked"
    );

    let report = report_json(&linkward, &[]).await;
    let seed = &report["seeds"][0];
    assert_eq!(seed["items"], expected, "{report:#}");
    assert_eq!(report["summary"]["seed_changes"], 3, "{report:#}");
    let page_ids: Vec<&str> = seed["page"]
        .as_array()
        .expect("page ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let page_entry = format!("{}#2#changed", server.url("/"));
    assert_eq!(page_ids, [page_entry.as_str()], "{report:#}");

    // A window over both runs (none before the first) still holds run 2's list changes, as it
    // holds run 2's other events.
    let wide = report_json(&linkward, &["--runs", "2"]).await;
    assert_eq!(
        wide["seeds"][0]["items"], expected,
        "--runs 2: {:#}",
        wide["seeds"]
    );
    assert_eq!(
        wide["summary"]["seed_changes"], 3,
        "--runs 2: {:#}",
        wide["summary"]
    );
}

#[tokio::test]
async fn check_ends_its_terminal_output_with_what_changed_since_the_last_run() {
    let server = TestServer::start([
        (
            "/",
            Behaviour::html(seed_html("Seminar", &[("/docs/a.pdf", "Programme")])),
        ),
        ("/docs/a.pdf", Behaviour::ok("application/pdf", pdf("A"))),
        ("/docs/b.pdf", Behaviour::ok("application/pdf", pdf("B"))),
    ])
    .await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    check(&linkward, &seeds, &[]).await;
    server.set_route(
        "/",
        Behaviour::html(seed_html(
            "Seminar",
            &[("/docs/a.pdf", "Programme"), ("/docs/b.pdf", "Annex")],
        )),
    );
    server.set_route("/docs/a.pdf", Behaviour::status(404, "text/plain", "no"));
    let run = linkward.check(&seeds, &["--format", "terminal"]).await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let tail = run
        .stdout
        .split("Since the last run")
        .nth(1)
        .unwrap_or_else(|| panic!("no changes at the end:\n{}", run.stdout));
    let line = |needle: &str| tail.lines().any(|l| l.contains(needle));
    assert!(line("newly-broken") && line("Programme"), "{tail}");
    assert!(line("added to the page") && line("Annex"), "{tail}");
}
