//! The other seed inputs: a local HTML file with `<base href>`, a seed manifest matched against
//! the live page by title, and the default of checking every manifest in the seeds directory.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::json::{
    assert_kept, assert_nothing_kept, assert_state, assert_summary_consistent, resource,
    resource_titled,
};
use crate::common::seed_page::{INFO_NOTE, PAGE, PAGE_TITLE, PROGRAMME, info_note_body};
use crate::common::{Behaviour, Linkward, TestServer, pdf};

#[tokio::test]
async fn local_html_file_seed_checks_its_links_against_its_base_href() {
    let server = TestServer::start([
        (
            "/docs/programme.pdf",
            Behaviour::ok("application/pdf", pdf("Programme")),
        ),
        ("/embed/map.html", Behaviour::html("<p>map</p>")),
    ])
    .await;
    let linkward = Linkward::new();
    let seed = linkward.write_file(
        "saved/seminar.html",
        &format!(
            "<html><head><title>{PAGE_TITLE}</title><base href=\"{}/\"></head><body>\
             <h2>Related Documents</h2>\
             <p><a href=\"docs/programme.pdf\">Programme (pdf) of the seminar</a></p>\
             <p><a href=\"docs/summary.pdf\">Summary report (pdf) on the seminar discussions and outcomes</a></p>\
             <iframe src=\"embed/map.html\"></iframe>\
             </body></html>",
            server.base()
        ),
    );

    let run = linkward.check(&[&seed], &[]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_summary_consistent(&report);
    let programme = resource(&report, &server.url("/docs/programme.pdf"));
    assert_state(programme, "ok", None);
    assert_eq!(programme["kind"], "link", "{programme:#}");
    assert_eq!(programme["section"], "Related Documents", "{programme:#}");
    assert_kept(linkward.archive(), programme, &pdf("Programme"));
    let summary = resource(&report, &server.url("/docs/summary.pdf"));
    assert_state(summary, "broken", Some("not-found"));
    let embed = resource(&report, &server.url("/embed/map.html"));
    assert_eq!(embed["kind"], "embed", "{embed:#}");
    assert_state(embed, "ok", None);
    let requested = server.document_paths();
    let expected: BTreeSet<String> = [
        "/docs/programme.pdf",
        "/docs/summary.pdf",
        "/embed/map.html",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(requested, expected);
}

const TITLE_ON_PAGE: &str = "Information note (pdf) on the seminar organization and objectives";
const TITLE_NO_URL: &str = "Settlement, Labour Market and Business Integration";
const TITLE_NOT_ON_PAGE: &str = "Muslims in Europe: Integration Policies in Selected Countries";
const TITLE_BROKEN: &str = "Programme (pdf) of the seminar";
const CRS: &str = "/crs/RL33166.html";
const NEW_LINK: &str = "/gcir/";

/// A live seminar page whose link texts differ from the manifest's titles only in case,
/// punctuation and whitespace, plus one link the manifest does not list.
async fn manifest_site() -> TestServer {
    let server = TestServer::start([
        (
            INFO_NOTE,
            Behaviour::ok("application/pdf", info_note_body()),
        ),
        (
            PROGRAMME,
            Behaviour::status(404, "text/html", "<h1>Not Found</h1>"),
        ),
        (CRS, Behaviour::html("<title>RL33166</title>")),
        (NEW_LINK, Behaviour::html("<title>GCIR</title>")),
    ])
    .await;
    server.set_route(
        PAGE,
        Behaviour::html(format!(
            "<html><head><title>{PAGE_TITLE}</title></head><body>\
             <h2>Related Documents</h2>\
             <p><a href=\"{INFO_NOTE}\">Information Note (PDF) on the seminar\n   organization and objectives.</a></p>\
             <p><a href=\"{PROGRAMME}\">PROGRAMME (pdf) of the  seminar</a></p>\
             <h2>Related Links</h2>\
             <p><a href=\"{NEW_LINK}\">Grantmakers Concerned with Immigrants and Refugees</a></p>\
             </body></html>"
        )),
    );
    server
}

fn manifest(server: &TestServer) -> String {
    format!(
        r#"format = 1

[page]
title = "{PAGE_TITLE}"
url = "{page}"
date = "2007-05-03"

[[item]]
section = "Related Documents"
title = "{TITLE_ON_PAGE}"
note = "Linked from the live page."
urls = ["{info_note}"]

[[item]]
section = "Related Documents"
title = "{TITLE_NO_URL}"
note = "Ms. Ansar Cheung, S.U.C.C.E.S.S. No URL found in public material."
urls = []

[[item]]
section = "Related Documents"
title = "{TITLE_NOT_ON_PAGE}"
note = "CRS report RL33166; no longer listed on the page."
urls = ["{crs}"]

[[item]]
section = "Related Documents"
title = "{TITLE_BROKEN}"
note = "Listed, but its target is gone."
urls = ["{programme}"]
"#,
        page = server.url(PAGE),
        info_note = server.url(INFO_NOTE),
        crs = server.url(CRS),
        programme = server.url(PROGRAMME),
    )
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value:#}"))
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

#[tokio::test]
async fn manifest_items_are_checked_and_matched_against_the_live_page() {
    let server = manifest_site().await;
    let linkward = Linkward::new();
    let manifest_path = linkward.write_file("seminar.toml", &manifest(&server));

    let run = linkward.check(&[&manifest_path], &[]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_summary_consistent(&report);
    assert_eq!(
        report["summary"]["unresolved"], 1,
        "{:#}",
        report["summary"]
    );

    let seeds = report["seeds"].as_array().expect("seeds array");
    assert_eq!(seeds.len(), 1, "{seeds:#?}");
    let seed = &seeds[0];
    assert_eq!(seed["title"], PAGE_TITLE, "{seed:#}");
    assert_eq!(seed["page_url"], server.url(PAGE), "{seed:#}");
    assert_eq!(seed["state"], "ok", "{seed:#}");
    // Four items, plus the one link only the live page lists; the live page's links to two of
    // the items' URLs merge with them, and the page itself is not counted.
    assert_eq!(seed["listed"], 5, "{seed:#}");
    // The item with no URL is not on the live page either.
    assert_eq!(
        strings(&seed["missing_from_page"]),
        vec![TITLE_NO_URL, TITLE_NOT_ON_PAGE],
        "{seed:#}"
    );
    assert_eq!(
        strings(&seed["new_on_page"]),
        vec![server.url(NEW_LINK).as_str()],
        "{seed:#}"
    );

    let on_page = resource(&report, &server.url(INFO_NOTE));
    assert_eq!(on_page["kind"], "item", "{on_page:#}");
    assert_eq!(on_page["title"], TITLE_ON_PAGE, "{on_page:#}");
    assert_eq!(on_page["section"], "Related Documents", "{on_page:#}");
    assert_eq!(on_page["note"], "Linked from the live page.", "{on_page:#}");
    assert_state(on_page, "ok", None);
    assert_kept(linkward.archive(), on_page, &info_note_body());

    let no_url = resource_titled(&report, TITLE_NO_URL);
    assert_eq!(no_url["kind"], "item", "{no_url:#}");
    assert_eq!(no_url["url"], Value::Null, "{no_url:#}");
    assert_state(no_url, "unresolved", Some("no-url"));
    assert_nothing_kept(no_url);

    let off_page = resource(&report, &server.url(CRS));
    assert_eq!(off_page["kind"], "item", "{off_page:#}");
    assert_state(off_page, "ok", None);

    let broken = resource(&report, &server.url(PROGRAMME));
    assert_eq!(broken["kind"], "item", "{broken:#}");
    assert_state(broken, "broken", Some("not-found"));

    assert_eq!(server.count(PAGE), 1, "the page is fetched once");
    assert_eq!(
        server.count(INFO_NOTE),
        1,
        "item and page link are one resource"
    );
}

#[tokio::test]
async fn without_a_seed_every_manifest_in_the_seeds_dir_is_checked() {
    let server = manifest_site().await;
    let linkward = Linkward::new();
    linkward.write_file("seeds/seminar.toml", &manifest(&server));
    linkward.write_file("other-seeds/seminar.toml", &manifest(&server));
    linkward.write_file("seeds/notes.txt", "not a manifest");

    let default_dir = linkward.check::<&str>(&[], &[]).await;
    let requests_after_default = server.count(PAGE);
    let explicit_dir = linkward
        .check::<&str>(&[], &["--seeds-dir", "other-seeds"])
        .await;

    for run in [&default_dir, &explicit_dir] {
        let report = run.json();
        let seeds = report["seeds"].as_array().expect("seeds array");
        assert_eq!(seeds.len(), 1, "{}", run.dump());
        assert_eq!(seeds[0]["page_url"], server.url(PAGE), "{}", run.dump());
    }
    assert_eq!(requests_after_default, 1);
    assert_eq!(server.count(PAGE), 2);
}
