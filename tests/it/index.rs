//! The offline index: after every `check`, `ARCHIVE/index.html` lists every item of every seed,
//! links each good copy by a relative path that resolves to its blob, and needs nothing from a
//! network (no script, no external asset); `linkward index` rewrites it; a run whose index cannot
//! be written still succeeds. A copy recovered from a (fake, local) web archive is linked too,
//! marked with its archive, date and memento, after the live copy when there is one; and the
//! other views of the same archive (`check`'s terminal report, `report`, `history`) say the same.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;

use serde_json::Value;

use crate::common::archive_server::ArchiveServer;
use crate::common::json::resource;
use crate::common::{Behaviour, Linkward, TestServer, pdf, sha256_hex};

const PROGRAMME: &str = "/docs/programme.pdf";
const SUMMARY: &str = "/docs/summary.pdf";
const GONE: &str = "/docs/gone.pdf";

const TITLES: [&str; 4] = [
    "Programme (pdf) of the seminar",
    "Summary report (pdf) on the seminar's discussions & outcomes",
    "Information note (pdf) on the seminar organization and objectives",
    "Background paper <draft>",
];
const NOTE: &str = "mirror (low confidence): found on a partner site";

async fn site() -> TestServer {
    let server = TestServer::start([
        (
            PROGRAMME,
            Behaviour::ok("application/pdf", pdf("Programme")),
        ),
        (SUMMARY, Behaviour::ok("application/pdf", pdf("Summary"))),
    ])
    .await;
    server.set_route(
        "/",
        Behaviour::html(format!(
            "<title>Seminar</title><h2>Related Documents</h2>\
             <p><a href=\"{PROGRAMME}\">Programme (pdf) of the seminar</a></p>"
        )),
    );
    server
}

fn manifest(server: &TestServer) -> String {
    format!(
        r#"format = 1

[page]
title = "Migrants' participation in host countries"
url = "{page}"

[[item]]
section = "Related Documents"
title = "{t0}"
note = "{NOTE}"
urls = ["{programme}"]

[[item]]
section = "Related Documents"
title = "{t1}"
urls = ["{summary}"]

[[item]]
section = "Related Documents"
title = "{t2}"
urls = []

[[item]]
section = "Background"
title = "{t3}"
urls = ["{gone}"]
"#,
        page = server.url("/"),
        t0 = TITLES[0],
        t1 = TITLES[1],
        t2 = TITLES[2],
        t3 = TITLES[3],
        programme = server.url(PROGRAMME),
        summary = server.url(SUMMARY),
        gone = server.url(GONE),
    )
}

/// Text as it appears in HTML once escaped.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Every value of `attr="..."` in `html`.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').expect("closing quote")].replace("&amp;", "&")
        })
        .collect()
}

/// Asserts the page needs nothing but itself: no script, no external (or any) asset.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script",
        "javascript:",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "<embed",
        " src=",
        "@import",
        "url(",
    ] {
        assert!(!lower.contains(bad), "index.html contains {bad:?}");
    }
}

/// The relative links of the page (everything but the listed URLs themselves); each must stay
/// inside the archive and name an intact copy in the `files/` view.
fn local_links(archive: &Path, html: &str) -> BTreeSet<String> {
    let mut local = BTreeSet::new();
    for href in attribute_values(html, "href") {
        if href.starts_with("http://") || href.starts_with("https://") {
            continue;
        }
        assert!(
            !href.starts_with('/') && !href.contains("..") && !href.contains(':'),
            "not a relative link inside the archive: {href:?}"
        );
        let file = archive.join(&href);
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{href} does not resolve: {e}"));
        let name = href.rsplit('/').next().expect("a file name");
        let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
        assert_eq!(sha256_hex(&bytes), stem, "{href} is an intact copy");
        local.insert(href);
    }
    local
}

async fn check(linkward: &Linkward, seed: &Path) -> Value {
    let run = linkward.check(&[seed], &[]).await;
    assert_eq!(
        run.code,
        Some(1),
        "the dead link makes exit 1\n{}",
        run.dump()
    );
    run.json()
}

/// `linkward index --archive ARCHIVE`.
async fn index_command(linkward: &Linkward) -> crate::common::linkward::Run {
    linkward
        .run([
            OsStr::new("index"),
            OsStr::new("--archive"),
            linkward.archive().as_os_str(),
        ])
        .await
}

fn read_index(archive: &Path) -> String {
    std::fs::read_to_string(archive.join("index.html")).expect("index.html after check")
}

#[tokio::test]
async fn check_writes_a_self_contained_index_with_every_item_and_relative_links_to_its_copies() {
    let server = site().await;
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    let report = check(&linkward, &seed).await;
    let html = read_index(linkward.archive());

    assert_self_contained(&html);
    for title in TITLES {
        assert!(html.contains(&escaped(title)), "index lacks {title:?}");
    }
    assert!(html.contains(&escaped(NOTE)), "index lacks the note");
    assert!(html.contains(&escaped("Migrants' participation in host countries")));
    assert!(html.contains("unresolved — no URL"));
    assert!(html.contains("Run 1 "), "the header names the run");
    for path in [PROGRAMME, SUMMARY, GONE] {
        assert!(html.contains(&server.url(path)), "original URL of {path}");
    }

    let links = local_links(linkward.archive(), &html);
    let expected: BTreeSet<String> = ["/", PROGRAMME, SUMMARY]
        .iter()
        .map(|p| {
            let r = resource(&report, &server.url(p));
            let archived = r["archived"].as_str().unwrap_or_else(|| panic!("{r:#}"));
            let sha = r["last_good_sha256"].as_str().expect("a good copy");
            assert!(
                html.contains(&format!("title=\"sha256 {sha}\"")),
                "the full sha256 of {p} is shown"
            );
            archived.to_owned()
        })
        .collect();
    assert_eq!(links, expected, "one relative link per good copy");
}

#[tokio::test]
async fn the_index_follows_each_run_and_linkward_index_rewrites_it() {
    let server = site().await;
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    let first = check(&linkward, &seed).await;
    server.set_route(
        SUMMARY,
        Behaviour::status(500, "text/html", "<h1>oops</h1>"),
    );
    check(&linkward, &seed).await;
    let html = read_index(linkward.archive());
    assert!(html.contains("Run 2 "), "the latest run");
    assert!(
        html.contains("http-error (500)"),
        "the summary is broken now"
    );
    // Broken now, but its last good copy is still linked.
    let archived = resource(&first, &server.url(SUMMARY))["archived"]
        .as_str()
        .expect("run 1 kept the summary")
        .to_owned();
    assert!(local_links(linkward.archive(), &html).contains(&archived));

    std::fs::remove_file(linkward.archive().join("index.html")).expect("rm index.html");
    // A view file cut short (a crash while it was placed) is written again whole.
    let view_file = linkward.archive().join(&archived);
    let whole = std::fs::read(&view_file).expect("the view file");
    std::fs::write(&view_file, &whole[..whole.len() / 2]).expect("cut the view file short");
    let run = index_command(&linkward).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let again = read_index(linkward.archive());
    assert_eq!(
        std::fs::read(&view_file).expect("the view file"),
        whole,
        "linkward index mends a view file of the wrong length"
    );
    assert_self_contained(&again);
    assert!(again.contains("Run 2 ") && again.contains(&escaped(TITLES[1])));

    let no_archive = Linkward::new();
    let missing = no_archive.archive().join("nothing-here");
    let run = no_archive
        .run([
            OsStr::new("index"),
            OsStr::new("--archive"),
            missing.as_os_str(),
        ])
        .await;
    run.assert_usage_error();
    assert!(!missing.exists(), "index never creates an archive");
}

#[tokio::test]
async fn a_run_whose_index_cannot_be_written_still_succeeds() {
    let server = site().await;
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    // A non-empty folder where the index goes: the rename onto it fails.
    let blocker = linkward.archive().join("index.html");
    std::fs::create_dir_all(blocker.join("x")).expect("mkdir");
    let run = linkward.check(&[&seed], &[]).await;
    assert_eq!(run.code, Some(1), "as without the blocker\n{}", run.dump());
    run.json();
    assert!(
        run.stderr.contains("index"),
        "a warning names the index\n{}",
        run.dump()
    );
    assert!(blocker.join("x").is_dir());
    let leftovers: Vec<String> = std::fs::read_dir(linkward.archive())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".index-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

/// The capture of the gone document the fake archive holds, and its date as linkward shows it.
const MEMENTO_TS: &str = "20070504101112";
const MEMENTO_WHEN: &str = "2007-05-04 10:11 UTC";

fn archived_background() -> Vec<u8> {
    pdf("Background paper, as a web archive captured it in 2007")
}

/// The table row of the index whose title cell holds `title` (escaped).
fn row_of<'a>(html: &'a str, title: &str) -> &'a str {
    let cell = format!("<div class=\"title\">{}</div>", escaped(title));
    html.split("<tr")
        .find(|row| row.contains(&cell))
        .unwrap_or_else(|| panic!("no row titled {title:?}"))
}

#[tokio::test]
async fn a_copy_recovered_from_a_web_archive_is_linked_and_marked_after_any_live_copy() {
    let server = site().await;
    let (archive, flags) =
        ArchiveServer::holding(&server.url(GONE), MEMENTO_TS, archived_background()).await;
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    let run = linkward.check(&[&seed], &flags).await;
    assert_eq!(run.code, Some(1), "still a dead link\n{}", run.dump());
    let report = run.json();
    let gone = resource(&report, &server.url(GONE));
    let recovered = gone["recovered"]["archived"]
        .as_str()
        .unwrap_or_else(|| panic!("the snapshot was recovered: {gone:#}"))
        .to_owned();
    let memento = archive.memento_url(MEMENTO_TS, &server.url(GONE));

    let html = read_index(linkward.archive());
    assert_self_contained(&html);
    let links = local_links(linkward.archive(), &html);
    assert!(links.contains(&recovered), "{links:?}");
    let name = recovered.rsplit('/').next().expect("a file name");
    assert_eq!(name, format!("{}.pdf", sha256_hex(&archived_background())));
    let marked = format!(
        "recovered from wayback snapshot of {MEMENTO_WHEN}: <a href=\"{}\" rel=\"noreferrer\">",
        escaped(&memento)
    );
    let row = row_of(&html, TITLES[3]);
    assert!(row.contains("no live copy"), "{row}");
    assert!(row.contains(&marked), "{row}");
    assert!(row.contains(&format!("href=\"{recovered}\"")), "{row}");
    assert!(html.contains("1 kept only as a web archive copy"));
    // Items with a live copy carry no web archive mark.
    assert!(!row_of(&html, TITLES[0]).contains("web archive"));

    // The document is back: its live copy comes first, the recovered one stays, still marked.
    let back = pdf("Background paper, back online");
    server.set_route(GONE, Behaviour::ok("application/pdf", back.clone()));
    let run = linkward.check(&[&seed], &flags).await;
    let live = resource(&run.json(), &server.url(GONE))["archived"]
        .as_str()
        .unwrap_or_else(|| panic!("a live copy\n{}", run.dump()))
        .to_owned();
    assert!(live.ends_with(&format!("{}.pdf", sha256_hex(&back))));
    let html = read_index(linkward.archive());
    let row = row_of(&html, TITLES[3]);
    let (at_live, at_recovered) = (
        row.find(&format!("href=\"{live}\"")),
        row.find(&format!("href=\"{recovered}\"")),
    );
    assert!(
        at_live.is_some() && at_recovered.is_some() && at_live < at_recovered,
        "live copy first, then the recovered one: {row}"
    );
    assert!(
        row.contains(&marked) && !row.contains("no live copy"),
        "{row}"
    );
    assert!(!html.contains("kept only as a web archive copy"));
    local_links(linkward.archive(), &html);
}

#[tokio::test]
async fn the_terminal_report_history_and_change_report_say_what_the_archive_holds() {
    let server = site().await;
    let (archive, flags) =
        ArchiveServer::holding(&server.url(GONE), MEMENTO_TS, archived_background()).await;
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    let first = linkward.check(&[&seed], &flags).await;
    let report = first.json();
    let gone_url = server.url(GONE);
    let recovered = resource(&report, &gone_url)["recovered"]["archived"]
        .as_str()
        .unwrap_or_else(|| panic!("recovered\n{}", first.dump()))
        .to_owned();
    let memento = archive.memento_url(MEMENTO_TS, &gone_url);

    // A second run, in the terminal: the answer is cached and the copy is the first run's.
    let args: Vec<std::ffi::OsString> = linkward
        .check_args(&[&seed], &flags)
        .into_iter()
        .map(|a| if a == "json" { "terminal".into() } else { a })
        .collect();
    let second = linkward.run(args).await;
    assert_eq!(second.code, Some(1), "{}", second.dump());
    let lines: Vec<&str> = second.stdout.lines().map(str::trim).collect();
    let has = |line: &str| lines.iter().any(|l| l == &line);
    assert!(
        has(&format!(
            "closest snapshot: {memento} (wayback, {MEMENTO_WHEN}, cached answer)"
        )),
        "{}",
        second.dump()
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "recovered from wayback snapshot of {MEMENTO_WHEN} → {recovered} (kept since "
        ))),
        "{}",
        second.dump()
    );
    assert!(
        second.stdout.contains("; web archives: 1 snapshot found\n"),
        "{}",
        second.dump()
    );

    let history = linkward
        .run([
            OsStr::new("history"),
            OsStr::new(&gone_url),
            OsStr::new("--archive"),
            linkward.archive().as_os_str(),
        ])
        .await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    let lines: Vec<&str> = history.stdout.lines().map(str::trim).collect();
    let has = |line: &str| lines.iter().any(|l| l == &line);
    let recovered_from = format!("recovered from wayback snapshot of {MEMENTO_WHEN}");
    for line in [
        recovered_from.as_str(),
        &format!("memento:   {memento}"),
        &format!("fetched:   {}", archive.original_url(MEMENTO_TS, &gone_url)),
        "last good copy: never",
        &format!("web archive copy: {recovered_from}"),
    ] {
        assert!(has(line), "no {line:?}\n{}", history.dump());
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with(&format!(
                "closest snapshot: {memento} (wayback, {MEMENTO_WHEN}, asked for "
            )))
            .count(),
        2,
        "one lookup per check\n{}",
        history.dump()
    );

    let report = |format: &'static str| {
        linkward.run([
            OsStr::new("report"),
            OsStr::new("--archive"),
            linkward.archive().as_os_str(),
            OsStr::new("--format"),
            OsStr::new(format),
            OsStr::new("--runs"),
            OsStr::new("2"),
        ])
    };
    let markdown = report("markdown").await;
    assert_eq!(markdown.code, Some(0), "{}", markdown.dump());
    for line in [
        format!("  - closest snapshot: [{memento}]({memento}) (wayback, {MEMENTO_WHEN})"),
        format!("  - copy {recovered_from}, kept as `{recovered}`"),
    ] {
        assert!(
            markdown.stdout.lines().any(|l| l == line),
            "no {line:?}\n{}",
            markdown.dump()
        );
    }
    let json = report("json").await.json();
    let entry = json["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["url"] == gone_url.as_str()))
        .unwrap_or_else(|| panic!("no entry for the gone link: {json:#}"));
    assert_eq!(entry["archive_lookup"]["snapshot"]["url"], memento.as_str());
    assert_eq!(entry["recovered"]["archived"], recovered.as_str());
    assert_eq!(entry["recovered"]["memento_url"], memento.as_str());
    assert_eq!(json["summary"]["snapshots_found"], 1);
    assert_eq!(json["summary"]["recovered_copies"], 1);
}

/// Issue 17, item 2: an archive several seeds share keeps every seed in view. A quick check of
/// one page into an archive that tracks a site's seed leaves that seed's rows in the index and
/// its documents in the bag, each seed as of its own latest complete run.
#[tokio::test]
async fn a_run_of_another_seed_never_hides_the_seeds_the_archive_tracks() {
    let server = TestServer::start([
        ("/a.pdf", Behaviour::ok("application/pdf", pdf("A"))),
        ("/b.pdf", Behaviour::ok("application/pdf", pdf("B"))),
        (
            "/other.html",
            Behaviour::html("<h2>Elsewhere</h2><p><a href=\"/b.pdf\">The other one</a></p>"),
        ),
    ])
    .await;
    let linkward = Linkward::new();
    let site = linkward.write_file(
        "site.html",
        &format!(
            "<html><body><h2>Related Documents</h2><p><a href=\"{}\">Document alpha</a></p>\
             </body></html>",
            server.url("/a.pdf")
        ),
    );
    let first = linkward.check(&[&site], &[]).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    // The saved seed page is in the view from its first run, and every link to a copy resolves.
    let links = local_links(linkward.archive(), &read_index(linkward.archive()));
    assert!(
        links.iter().any(|l| l.ends_with(".html")),
        "the saved seed page is not linked: {links:?}"
    );
    let quick = linkward.check(&[server.url("/other.html")], &[]).await;
    assert_eq!(quick.code, Some(0), "{}", quick.dump());

    let html = read_index(linkward.archive());
    let links = local_links(linkward.archive(), &html);
    assert_eq!(
        links.iter().filter(|l| l.ends_with(".html")).count(),
        2,
        "both seeds' pages are linked: {links:?}"
    );
    assert!(
        html.contains("Document alpha"),
        "the first seed is hidden:\n{html}"
    );
    assert!(
        html.contains("The other one"),
        "the latest seed is missing:\n{html}"
    );

    let outside = tempfile::tempdir().expect("a folder for the bag");
    let bag = outside.path().join("bag");
    let export = crate::bagit::export(&linkward, &bag).await;
    assert_eq!(export.code, Some(0), "{}", export.dump());
    let manifest = std::fs::read_to_string(bag.join("manifest-sha256.txt")).expect("manifest");
    for body in [pdf("A"), pdf("B")] {
        assert!(
            manifest.contains(&crate::common::sha256_hex(&body)),
            "the bag lacks a seed's document:\n{manifest}"
        );
    }
}

/// Every file under `archive/files`, relative to the archive.
fn view_files(archive: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(folders) = std::fs::read_dir(archive.join("files")) else {
        return out;
    };
    for folder in folders.flatten() {
        for file in std::fs::read_dir(folder.path())
            .expect("a view folder")
            .flatten()
        {
            out.insert(format!(
                "files/{}/{}",
                folder.file_name().to_string_lossy(),
                file.file_name().to_string_lossy()
            ));
        }
    }
    out
}

#[tokio::test]
async fn the_view_holds_documents_and_the_seed_page_and_a_linked_page_stays_in_the_warc_files() {
    const PAGE: &str = "/about/partners.html";
    let article = "<title>Partners</title><p>Our partners in 2007.</p>";
    let server = site().await;
    server.set_route(
        "/",
        Behaviour::html(format!(
            "<title>Seminar</title><h2>Related Documents</h2>\
             <p><a href=\"{PROGRAMME}\">Programme (pdf) of the seminar</a></p>\
             <p><a href=\"{PAGE}\">Our partners</a></p>"
        )),
    );
    server.set_route(PAGE, Behaviour::html(article));
    let linkward = Linkward::new();
    let run = linkward.check(&[server.url("/")], &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let report = run.json();

    let seed_page = resource(&report, &server.url("/"));
    let programme = resource(&report, &server.url(PROGRAMME));
    let page = resource(&report, &server.url(PAGE));
    assert_eq!(seed_page["kind"], "page", "{seed_page:#}");
    // The seed's page and the document open from disk; the page it links to does not...
    let seed_file = seed_page["archived"]
        .as_str()
        .expect("the seed page is in the view");
    assert!(seed_file.ends_with(".html"), "{seed_file}");
    let pdf_file = programme["archived"]
        .as_str()
        .expect("the document is in the view");
    assert_eq!(
        view_files(linkward.archive()),
        BTreeSet::from([seed_file.to_owned(), pdf_file.to_owned()])
    );
    assert_eq!(page["archived"], Value::Null, "{page:#}");
    // ...but it is kept all the same, and `get` writes it out of the WARC files.
    let sha = page["last_good_sha256"]
        .as_str()
        .expect("a good copy of the page");
    assert_eq!(sha, sha256_hex(article.as_bytes()));
    assert_eq!(
        linkward.get_copy(&server.url(PAGE)).await,
        article.as_bytes()
    );
    // The index says where it is rather than calling it missing.
    let html = read_index(linkward.archive());
    assert!(html.contains(&format!("title=\"sha256 {sha}\"")), "{html}");
    assert!(html.contains("in the WARC files"), "{html}");
    assert!(!html.contains("missing from the archive"), "{html}");

    // `linkward index` rebuilds the same view from the packs.
    std::fs::remove_dir_all(linkward.archive().join("files")).expect("rm files/");
    let rebuilt = index_command(&linkward).await;
    assert_eq!(rebuilt.code, Some(0), "{}", rebuilt.dump());
    assert_eq!(
        view_files(linkward.archive()),
        BTreeSet::from([seed_file.to_owned(), pdf_file.to_owned()])
    );
}

/// A seed forgotten (its page leaves the view with it) and checked again has its page back in
/// the view, though nothing it holds changed: a run that tracks a new seed page refreshes the view.
#[tokio::test]
async fn a_seed_forgotten_and_checked_again_has_its_page_in_the_view_again() {
    let server = TestServer::start([(
        "/partners.html",
        Behaviour::html("<title>Partners</title><p>Our partners.</p>"),
    )])
    .await;
    let linkward = Linkward::new();
    let site = linkward.write_file(
        "site.html",
        &format!(
            "<html><body><h2>Related</h2><p><a href=\"{}\">Partners</a></p></body></html>",
            server.url("/partners.html")
        ),
    );
    let site = site.to_string_lossy().into_owned();
    let archive = linkward.archive().to_string_lossy().into_owned();
    for args in [
        vec!["check", site.as_str(), "--archive", archive.as_str()],
        vec![
            "seed",
            "forget",
            site.as_str(),
            "--archive",
            archive.as_str(),
        ],
        vec!["check", site.as_str(), "--archive", archive.as_str()],
    ] {
        let run = linkward.run(&args).await;
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.dump());
    }
    // Every link to a copy resolves (`local_links` reads each), the saved page's among them.
    let links = local_links(linkward.archive(), &read_index(linkward.archive()));
    assert!(
        links.iter().any(|l| l.ends_with(".html")),
        "the seed's page is not linked: {links:?}"
    );
}
