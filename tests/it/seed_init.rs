//! `linkward seed init URL`: a manifest written from a live loopback page loads with the manifest
//! loader, lists what the page lists (section, title, URL), checks the same URLs as the page
//! itself, never replaces a file, writes nothing on --dry-run, and keeps hostile titles as values.

use std::collections::BTreeSet;
use std::path::Path;

use linkward::seed::manifest::{self, LoadedManifest};

use crate::common::{Behaviour, Linkward, TestServer};

const PAGE: &str = r#"<html><head><title>Migrants' participation in host countries</title>
<meta property="og:site_name" content="UNITAR New York Office"></head><body>
<h2>Related Documents</h2>
<a href="/docs/programme.pdf">Programme (pdf) of the seminar</a>
<a href="docs/summary.pdf">Summary report</a>
<a href="/docs/programme.pdf#annex">Programme, with annexes</a>
<p><b>Related Links</b></p>
<a href="/aoc/">Alliance of Civilizations</a>
<a href="mailto:office@unitar.example">Write to the office</a>
</body></html>"#;

const SLUG: &str = "migrants-participation-in-host-countries";

fn page_server_routes() -> Vec<(&'static str, Behaviour)> {
    vec![
        ("/ny/page.html", Behaviour::html(PAGE)),
        (
            "/docs/programme.pdf",
            Behaviour::ok("application/pdf", "%PDF-1.4 p"),
        ),
        (
            "/ny/docs/summary.pdf",
            Behaviour::ok("application/pdf", "%PDF-1.4 s"),
        ),
        ("/aoc/", Behaviour::html("<title>AoC</title>")),
    ]
}

/// (section, title, URLs) of every item.
fn items(m: &LoadedManifest) -> Vec<(Option<String>, String, Vec<String>)> {
    m.items
        .iter()
        .map(|i| {
            (
                i.section.clone(),
                i.title.clone(),
                i.urls.iter().map(|u| u.to_string()).collect(),
            )
        })
        .collect()
}

/// The URLs a `check --format json` run lists, the seed page left out.
fn checked_urls(json: &serde_json::Value) -> BTreeSet<String> {
    json["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["kind"] != "page")
        .filter_map(|r| r["url"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_written_manifest_loads_with_every_item_and_checks_the_same_urls_as_the_page() {
    let server = TestServer::start(page_server_routes()).await;
    let linkward = Linkward::new();
    let url = server.url("/ny/page.html");
    let before = chrono::Utc::now().date_naive();

    let run = linkward.run(["seed", "init", &url]).await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let path = linkward.cwd().join("seeds").join(format!("{SLUG}.toml"));
    assert!(
        run.stdout.contains(&format!("seeds/{SLUG}.toml")),
        "{}",
        run.dump()
    );
    assert!(
        run.stdout.contains("4 items in 2 sections"),
        "{}",
        run.dump()
    );
    let m = manifest::load(&path).expect("the written manifest loads");
    assert_eq!(m.page.title, "Migrants' participation in host countries");
    assert_eq!(m.page_url.as_ref().map(|u| u.as_str()), Some(url.as_str()));
    assert_eq!(m.page.publisher.as_deref(), Some("UNITAR New York Office"));
    let date = m.page.date.clone().unwrap_or_default();
    let after = chrono::Utc::now().date_naive();
    assert!(
        [before, after]
            .iter()
            .any(|d| d.format("%Y-%m-%d").to_string() == date),
        "date {date:?} is not today"
    );
    let docs = Some("Related Documents".to_owned());
    let links = Some("Related Links".to_owned());
    assert_eq!(
        items(&m),
        vec![
            (
                docs.clone(),
                "Programme (pdf) of the seminar".to_owned(),
                vec![server.url("/docs/programme.pdf")]
            ),
            (
                docs,
                "Summary report".to_owned(),
                vec![server.url("/ny/docs/summary.pdf")]
            ),
            (
                links.clone(),
                "Alliance of Civilizations".to_owned(),
                vec![server.url("/aoc/")]
            ),
            (
                links,
                "Write to the office".to_owned(),
                vec!["mailto:office@unitar.example".to_owned()]
            ),
        ]
    );
    assert_eq!(
        m.items[0].note.as_deref(),
        Some(r#"also listed as "Programme, with annexes""#)
    );

    let from_manifest = linkward.check(&[format!("seeds/{SLUG}.toml")], &[]).await;
    let from_page = linkward.check(&[url.as_str()], &[]).await;
    let (from_manifest, from_page) = (
        checked_urls(&from_manifest.json()),
        checked_urls(&from_page.json()),
    );
    assert_eq!(from_manifest.len(), 4, "{from_manifest:?}");
    assert_eq!(from_manifest, from_page);
}

#[tokio::test]
async fn an_existing_file_is_refused_with_one_line_and_left_as_it_was() {
    let server = TestServer::start(page_server_routes()).await;
    let linkward = Linkward::new();
    let url = server.url("/ny/page.html");
    let mine = linkward.write_file("seeds/mine.toml", "# my own notes\n");

    let named = linkward
        .run(["seed", "init", &url, "-o", "seeds/mine.toml"])
        .await;

    named.assert_usage_error();
    assert!(named.stderr.contains("seeds/mine.toml"), "{}", named.dump());
    assert!(
        named.stderr.contains("-o"),
        "says what to do: {}",
        named.dump()
    );
    assert_eq!(
        std::fs::read_to_string(&mine).ok().as_deref(),
        Some("# my own notes\n")
    );
    assert!(server.requests().is_empty(), "refused before fetching");

    // The default name, taken by an earlier init.
    let first = linkward.run(["seed", "init", &url]).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    let path = linkward.cwd().join("seeds").join(format!("{SLUG}.toml"));
    let written = std::fs::read_to_string(&path).expect("first manifest");
    let second = linkward.run(["seed", "init", &url]).await;
    second.assert_usage_error();
    assert!(
        second.stderr.contains(&format!("{SLUG}.toml")),
        "{}",
        second.dump()
    );
    assert_eq!(std::fs::read_to_string(&path).ok(), Some(written));
    let files = std::fs::read_dir(path.parent().expect("seeds/"))
        .expect("seeds/")
        .count();
    assert_eq!(files, 2, "mine.toml and the first manifest, no temp file");
}

#[tokio::test]
async fn dry_run_prints_a_loadable_manifest_and_writes_nothing() {
    let server = TestServer::start(page_server_routes()).await;
    let linkward = Linkward::new();
    let url = server.url("/ny/page.html");
    let out = linkward.cwd().join("out.toml");

    let run = linkward
        .run(["seed", "init", &url, "--dry-run", "-o", "out.toml"])
        .await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let entries: Vec<_> = std::fs::read_dir(linkward.cwd())
        .expect("cwd")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(entries.is_empty(), "wrote {entries:?}");
    assert!(!out.exists());
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let printed = elsewhere.path().join("printed.toml");
    std::fs::write(&printed, &run.stdout).expect("write printed manifest");
    let m = manifest::load(&printed).expect("the printed manifest loads");
    assert_eq!(m.items.len(), 4, "{}", run.stdout);
}

#[tokio::test]
async fn hostile_titles_stay_a_valid_manifest() {
    let nasty_title = "A \"quoted\" title&#10;[[item]]&#10;title = 'x' ]] \"\"\" ''' \\";
    let nasty_link = "Doc ]]\n[page]\nurl = \"http://evil.example/\" \"\"\"";
    let html = format!(
        "<html><head><title>{nasty_title}</title></head><body>\
         <h2>]] [[item]] \"</h2><a href=\"/docs/a.pdf\">{nasty_link}</a></body></html>"
    );
    let server = TestServer::start([("/p", Behaviour::html(html))]).await;
    let linkward = Linkward::new();

    let run = linkward
        .run(["seed", "init", &server.url("/p"), "-o", "nasty.toml"])
        .await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let m = manifest::load(&linkward.cwd().join("nasty.toml")).expect("loads");
    assert_eq!(
        m.page.title,
        "A \"quoted\" title [[item]] title = 'x' ]] \"\"\" ''' \\"
    );
    assert_eq!(
        m.page_url.as_ref().map(|u| u.as_str()),
        Some(server.url("/p").as_str())
    );
    assert_eq!(m.items.len(), 1, "no item injected: {:?}", m.items);
    assert_eq!(
        m.items[0].title,
        "Doc ]] [page] url = \"http://evil.example/\" \"\"\""
    );
    assert_eq!(m.items[0].section.as_deref(), Some("]] [[item]] \""));
    assert_eq!(m.items[0].urls.len(), 1);
    assert_eq!(m.items[0].urls[0].as_str(), server.url("/docs/a.pdf"));
}

#[tokio::test]
async fn a_page_that_is_not_there_is_one_line_and_writes_nothing() {
    let server = TestServer::start([("/p", Behaviour::html("<title>t</title>"))]).await;
    let linkward = Linkward::new();

    let run = linkward.run(["seed", "init", &server.url("/gone")]).await;

    run.assert_usage_error();
    assert!(run.stderr.contains("404"), "{}", run.dump());
    assert!(!Path::new(&linkward.cwd().join("seeds")).exists());
}
