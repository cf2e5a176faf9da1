//! Reading documents back out of an archive written by `check`: `export bagit` makes a BagIt 1.0
//! bag of the latest good copy of every listed document that validates (checked here in Rust, and
//! by the Library of Congress' bagit.py when it is installed), holds a copy recovered from a
//! (fake, local) web archive only for a document never fetched live, marked with its provenance,
//! refuses an OUT that is in use, and `get` writes the version that was good at a date.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha512};

use crate::common::archive_server::ArchiveServer;
use crate::common::linkward::Run;
use crate::common::{Behaviour, Linkward, TestServer, noise, pdf, sha256_hex};

const PROGRAMME: &str = "/docs/programme.pdf";
const SUMMARY: &str = "/docs/summary.pdf";
const NOTE: &str = "/docs/note";
const TABLE: &str = "/docs/table.csv";
const ANNEX: &str = "/docs/annex.zip";
const GONE: &str = "/docs/gone.pdf";

const PUBLISHER: &str = "UNITAR New York Office";
const SEED_TITLE: &str = "Migrants' participation in host countries";

fn programme_v1() -> Vec<u8> {
    pdf("Programme of the seminar, first version")
}

fn programme_v2() -> Vec<u8> {
    pdf("Programme of the seminar, revised with the afternoon panel")
}

fn summary_body() -> Vec<u8> {
    pdf("Summary report on the seminar discussions and outcomes")
}

/// Bigger than several read chunks, so the copy is streamed in pieces.
fn annex_body() -> Vec<u8> {
    noise(300 * 1024, 7)
}

async fn site() -> TestServer {
    let server = TestServer::start([
        (PROGRAMME, Behaviour::ok("application/pdf", programme_v1())),
        (SUMMARY, Behaviour::ok("application/pdf", summary_body())),
        (NOTE, Behaviour::ok("text/plain", "An information note.\n")),
        (
            TABLE,
            Behaviour::ok("application/octet-stream", "a,b\n1,2\n"),
        ),
        (
            ANNEX,
            Behaviour::ok("application/octet-stream", annex_body()),
        ),
    ])
    .await;
    server.set_route(
        "/",
        Behaviour::html(format!(
            "<title>{SEED_TITLE}</title><h2>Related Documents</h2>\
             <p><a href=\"{PROGRAMME}\">Programme (pdf) of the seminar</a></p>\
             <p><a href=\"{SUMMARY}\">Summary report (pdf)</a></p>"
        )),
    );
    server
}

/// A seed manifest listing the site's documents in two sections, an item with two candidate
/// URLs under the same title, a dead link, and an item with no URL.
fn manifest(server: &TestServer) -> String {
    let u = |p: &str| server.url(p);
    format!(
        r#"format = 1

[page]
title = "{SEED_TITLE}"
url = "{page}"
publisher = "{PUBLISHER}"
description = "A 2007 seminar page whose capture lost its hyperlinks."

[[item]]
section = "Related Documents"
title = "Programme (pdf) of the seminar"
urls = ["{programme}"]

[[item]]
section = "Related Documents"
title = "Summary report (pdf) on the seminar discussions & outcomes"
urls = ["{summary}", "{gone}"]

[[item]]
section = "Related Documents"
title = "Information note (pdf) on the seminar organization and objectives"
note = "no copy found anywhere"
urls = []

[[item]]
section = "Annexes — Données"
title = "Note"
urls = ["{note}"]

[[item]]
section = "Annexes — Données"
title = "Note"
urls = ["{table}", "{annex}"]
"#,
        page = u("/"),
        programme = u(PROGRAMME),
        summary = u(SUMMARY),
        gone = u(GONE),
        note = u(NOTE),
        table = u(TABLE),
        annex = u(ANNEX),
    )
}

/// Checks the manifest seed once; the dead link makes exit 1.
async fn check(linkward: &Linkward, seed: &Path) -> Run {
    let run = linkward.check(&[seed], &[]).await;
    assert_eq!(
        run.code,
        Some(1),
        "the dead link makes exit 1\n{}",
        run.dump()
    );
    run
}

/// `export bagit OUT --archive ARCHIVE`.
pub(crate) async fn export(linkward: &Linkward, out: &Path) -> Run {
    linkward
        .run([
            OsStr::new("export"),
            OsStr::new("bagit"),
            out.as_os_str(),
            OsStr::new("--archive"),
            linkward.archive().as_os_str(),
        ])
        .await
}

async fn get(linkward: &Linkward, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["get", url, "--archive"];
    let archive = linkward.archive().to_string_lossy().into_owned();
    args.push(&archive);
    args.extend_from_slice(extra);
    linkward.run(args).await
}

/// Every file under `dir`, relative to `root`, `/`-separated.
fn files_under(root: &Path, dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(files_under(root, &path));
        } else {
            let rel = path.strip_prefix(root).expect("below root");
            out.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    out
}

/// `<hex>  <path>` lines of a checksum manifest, as path → hex.
fn read_manifest(file: &Path) -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    text.lines()
        .map(|line| {
            let (hash, path) = line
                .split_once(char::is_whitespace)
                .unwrap_or_else(|| panic!("manifest line {line:?}"));
            (path.trim_start().to_owned(), hash.to_owned())
        })
        .collect()
}

/// `Label: value` lines of a tag file, in order.
fn read_tags(file: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(file)
        .expect("read tag file")
        .lines()
        .map(|l| {
            let (k, v) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("tag line {l:?}"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// Validates a bag the way RFC 8493 says (section 3), independently of linkward: bagit.txt; both
/// payload manifests complete and correct; Payload-Oxum; the tag manifest.
pub(crate) fn assert_valid_bag(bag: &Path) {
    assert_eq!(
        std::fs::read_to_string(bag.join("bagit.txt")).expect("bagit.txt"),
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    );
    let payload = files_under(bag, &bag.join("data"));
    let mut total = 0u64;
    for (name, hash) in [
        ("manifest-sha256.txt", sha256_hex as fn(&[u8]) -> String),
        ("manifest-sha512.txt", |b: &[u8]| {
            hex::encode(Sha512::digest(b))
        }),
    ] {
        let manifest = read_manifest(&bag.join(name));
        assert_eq!(
            manifest.keys().cloned().collect::<BTreeSet<_>>(),
            payload,
            "{name} lists every payload file, and only those"
        );
        total = 0;
        for (path, expected) in &manifest {
            let bytes = std::fs::read(bag.join(path)).expect("payload file");
            total += bytes.len() as u64;
            assert_eq!(&hash(&bytes), expected, "{name}: {path}");
        }
    }
    let info = read_tags(&bag.join("bag-info.txt"));
    let oxum: Vec<&str> = info
        .iter()
        .filter(|(k, _)| k == "Payload-Oxum")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(oxum, vec![format!("{total}.{}", payload.len())], "{info:?}");
    let tags = read_manifest(&bag.join("tagmanifest-sha256.txt"));
    let expected: BTreeSet<String> = [
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "linkward-manifest.tsv",
    ]
    .map(String::from)
    .into();
    assert_eq!(tags.keys().cloned().collect::<BTreeSet<_>>(), expected);
    for (path, hash) in &tags {
        let bytes = std::fs::read(bag.join(path)).expect("tag file");
        assert_eq!(&sha256_hex(&bytes), hash, "tagmanifest: {path}");
    }
}

fn bagit_py_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import bagit"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `python3 -m bagit --validate OUT` when bagit.py is installed; a notice otherwise.
pub(crate) fn assert_bagit_py_accepts(bag: &Path) {
    if !bagit_py_available() {
        eprintln!(
            "NOTICE: bagit.py is not installed (python3 -m pip install bagit): \
             `python3 -m bagit --validate` was NOT run on {}",
            bag.display()
        );
        return;
    }
    let out = std::process::Command::new("python3")
        .args(["-m", "bagit", "--validate"])
        .arg(bag)
        .output()
        .expect("run python3 -m bagit");
    assert!(
        out.status.success(),
        "bagit.py rejects the bag:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The rows of `linkward-manifest.tsv`, keyed by URL.
fn linkward_rows(bag: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(bag.join("linkward-manifest.tsv")).expect("tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header line").split('\t').collect();
    // The first seven columns keep their places; provenance columns only ever come after.
    assert_eq!(
        header,
        [
            "path",
            "url",
            "sha256",
            "title",
            "section",
            "seed",
            "last_good_at",
            "origin",
            "archive",
            "memento_url",
            "fetched_url",
            "memento_datetime",
            "recovered_at",
        ]
    );
    lines
        .map(|l| {
            let row: BTreeMap<String, String> = header
                .iter()
                .map(|h| (*h).to_owned())
                .zip(l.split('\t').map(String::from))
                .collect();
            assert_eq!(row.len(), header.len(), "{l:?}");
            (row["url"].clone(), row)
        })
        .collect()
}

#[tokio::test]
async fn bag_holds_the_latest_good_copy_of_every_listed_document_and_validates() {
    let server = site().await;
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    check(&linkward, &seed).await;
    // Run 2: the programme is revised, the summary breaks (its good copy is run 1's).
    server.set_route(PROGRAMME, Behaviour::ok("application/pdf", programme_v2()));
    server.set_route(
        SUMMARY,
        Behaviour::status(500, "text/html", "<h1>oops</h1>"),
    );
    check(&linkward, &seed).await;

    let out = tempfile::tempdir().expect("temp dir");
    let bag = out.path().join("bag");
    let run = export(&linkward, &bag).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_valid_bag(&bag);
    assert_bagit_py_accepts(&bag);

    let rows = linkward_rows(&bag);
    let expect = [
        ("/", None),
        (PROGRAMME, Some(programme_v2())),
        (SUMMARY, Some(summary_body())),
        (NOTE, Some(b"An information note.\n".to_vec())),
        (TABLE, Some(b"a,b\n1,2\n".to_vec())),
        (ANNEX, Some(annex_body())),
    ];
    assert_eq!(
        rows.keys().cloned().collect::<BTreeSet<_>>(),
        expect.iter().map(|(p, _)| server.url(p)).collect(),
        "the seed page and every listed URL with a good copy; not the dead link"
    );
    for (path, body) in &expect {
        let row = &rows[&server.url(path)];
        let file = bag.join(&row["path"]);
        let bytes = std::fs::read(&file).expect("payload file");
        assert_eq!(row["sha256"], sha256_hex(&bytes), "{row:?}");
        if let Some(body) = body {
            assert!(bytes == *body, "{path}: the bag holds the latest good copy");
        }
        assert!(row["seed"].ends_with("site.toml"), "{row:?}");
        assert!(row["last_good_at"].ends_with('Z'), "{row:?}");
        assert_eq!(row["origin"], "live", "{row:?}");
        assert_eq!(row["memento_url"], "", "{row:?}");
    }
    let seed_dir = "data/migrants-participation-in-host-countries";
    let path = |url: &str| rows[&server.url(url)]["path"].clone();
    assert_eq!(path("/"), format!("{seed_dir}/seed-page.html"));
    assert_eq!(
        path(PROGRAMME),
        format!("{seed_dir}/related-documents/programme-pdf-of-the-seminar.pdf")
    );
    assert_eq!(
        path(SUMMARY),
        format!(
            "{seed_dir}/related-documents/summary-report-pdf-on-the-seminar-discussions-outcomes.pdf"
        )
    );
    // One title, three URLs: extensions from the content type, else the URL; then -2, -3.
    assert_eq!(path(NOTE), format!("{seed_dir}/annexes-donnees/note.txt"));
    assert_eq!(path(TABLE), format!("{seed_dir}/annexes-donnees/note.csv"));
    assert_eq!(path(ANNEX), format!("{seed_dir}/annexes-donnees/note.zip"));
    for row in rows.values() {
        let p = &row["path"];
        assert!(
            p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-./".contains(&b))
                && !p.contains("..")
                && p.starts_with("data/"),
            "unsafe payload path {p:?}"
        );
    }
    assert_eq!(
        rows[&server.url(SUMMARY)]["title"],
        "Summary report (pdf) on the seminar discussions & outcomes"
    );
    assert_eq!(rows[&server.url(NOTE)]["section"], "Annexes — Données");

    let info = read_tags(&bag.join("bag-info.txt"));
    let field = |k: &str| -> Vec<&str> {
        info.iter()
            .filter(|(l, _)| l == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(field("Source-Organization"), vec![PUBLISHER]);
    assert_eq!(
        field("External-Description"),
        vec![format!(
            "{SEED_TITLE}: A 2007 seminar page whose capture lost its hyperlinks."
        )]
    );
    assert_eq!(
        field("Bagging-Date"),
        vec![chrono::Utc::now().format("%Y-%m-%d").to_string()]
    );
    assert_eq!(
        field("Bag-Software-Agent"),
        vec![format!("linkward/{}", env!("CARGO_PKG_VERSION"))]
    );
    assert!(run.stdout.contains("bagged 6 files"), "{}", run.dump());
}

/// The capture of the dead link a fake web archive holds.
const MEMENTO_TS: &str = "20070504101112";

fn archived_gone() -> Vec<u8> {
    pdf("Summary report, as a web archive captured it in 2007")
}

fn bag_info_field(bag: &Path, label: &str) -> Vec<String> {
    read_tags(&bag.join("bag-info.txt"))
        .into_iter()
        .filter(|(l, _)| l == label)
        .map(|(_, v)| v)
        .collect()
}

#[tokio::test]
async fn a_copy_recovered_from_a_web_archive_is_bagged_marked_and_only_without_a_live_one() {
    let server = site().await;
    let (archive, flags) =
        ArchiveServer::holding(&server.url(GONE), MEMENTO_TS, archived_gone()).await;
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    let run = linkward.check(&[&seed], &flags).await;
    assert_eq!(run.code, Some(1), "the link is still dead\n{}", run.dump());
    let out = tempfile::tempdir().expect("temp dir");

    let bag = out.path().join("rescued");
    let run = export(&linkward, &bag).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_valid_bag(&bag);
    assert_bagit_py_accepts(&bag);
    assert!(
        run.stdout.contains("bagged 7 files") && run.stdout.contains("0 listed URLs have no"),
        "{}",
        run.dump()
    );
    let rows = linkward_rows(&bag);
    let gone_url = server.url(GONE);
    let gone = &rows[&gone_url];
    // Listed under the summary's title, beside its live copy: the name says which is which.
    let seed_dir = "data/migrants-participation-in-host-countries/related-documents";
    let title = "summary-report-pdf-on-the-seminar-discussions-outcomes";
    assert_eq!(gone["path"], format!("{seed_dir}/{title}.web-archive.pdf"));
    assert_eq!(
        rows[&server.url(SUMMARY)]["path"],
        format!("{seed_dir}/{title}.pdf")
    );
    let bytes = std::fs::read(bag.join(&gone["path"])).expect("the recovered copy");
    assert!(bytes == archived_gone(), "the bag holds the archived bytes");
    assert_eq!(gone["sha256"], sha256_hex(&bytes));
    assert_eq!(gone["origin"], "web-archive");
    assert_eq!(gone["archive"], "wayback");
    assert_eq!(
        gone["memento_url"],
        archive.memento_url(MEMENTO_TS, &gone_url)
    );
    assert_eq!(
        gone["fetched_url"],
        archive.original_url(MEMENTO_TS, &gone_url)
    );
    assert_eq!(gone["memento_datetime"], "2007-05-04T10:11:12Z");
    assert!(gone["recovered_at"].ends_with('Z'), "{gone:?}");
    assert_eq!(gone["last_good_at"], "", "never good live: {gone:?}");
    for (url, row) in &rows {
        if url != &gone_url {
            assert_eq!(row["origin"], "live", "{row:?}");
            assert!(!row["path"].contains("web-archive"), "{row:?}");
        }
    }
    assert_eq!(bag_info_field(&bag, "Linkward-Web-Archive-Copies"), ["1"]);
    let description = bag_info_field(&bag, "Internal-Sender-Description").join("\n");
    assert!(
        description
            .contains("1 of them, never fetched live, are copies recovered from a web archive"),
        "{description}"
    );

    // The link comes back: the bag holds its live copy alone, and says there is no other.
    let back = pdf("Summary report, back online");
    server.set_route(GONE, Behaviour::ok("application/pdf", back.clone()));
    let run = linkward.check(&[&seed], &flags).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let bag = out.path().join("live");
    let run = export(&linkward, &bag).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_valid_bag(&bag);
    assert_bagit_py_accepts(&bag);
    let rows = linkward_rows(&bag);
    let gone = &rows[&gone_url];
    assert_eq!(gone["origin"], "live");
    assert_eq!(gone["path"], format!("{seed_dir}/{title}-2.pdf"));
    assert!(std::fs::read(bag.join(&gone["path"])).expect("live copy") == back);
    assert!(
        rows.values()
            .all(|r| r["origin"] == "live" && r["memento_url"].is_empty())
    );
    assert_eq!(bag_info_field(&bag, "Linkward-Web-Archive-Copies"), ["0"]);
}

#[tokio::test]
async fn export_refuses_an_out_in_use_and_fills_an_empty_folder() {
    let server = site().await;
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    check(&linkward, &seed).await;
    let parent = tempfile::tempdir().expect("temp dir");

    let busy = parent.path().join("busy");
    std::fs::create_dir(&busy).expect("mkdir");
    std::fs::write(busy.join("keep.txt"), "mine").expect("write");
    let file = parent.path().join("file.txt");
    std::fs::write(&file, "mine").expect("write");
    for out in [&busy, &file] {
        let run = export(&linkward, out).await;
        run.assert_usage_error();
        assert!(run.stderr.contains("not an empty folder"), "{}", run.dump());
    }
    assert_eq!(
        std::fs::read_to_string(busy.join("keep.txt")).expect("still there"),
        "mine"
    );
    assert_eq!(std::fs::read_dir(&busy).expect("ls").count(), 1);

    let empty = parent.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let run = export(&linkward, &empty).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_valid_bag(&empty);
    let left: BTreeSet<String> = std::fs::read_dir(parent.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        ["busy", "empty", "file.txt"].map(String::from).into(),
        "no staging folder is left beside the bag"
    );

    let none = Linkward::new();
    let run = export(&none, &parent.path().join("other")).await;
    run.assert_usage_error();
    assert!(!parent.path().join("other").exists());
}

/// How the harness shows binary stdout.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn get_writes_the_version_that_was_good_at_the_date() {
    let server = site().await;
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    let before_any = chrono::Utc::now();
    check(&linkward, &seed).await;
    let between = chrono::Utc::now();
    server.set_route(PROGRAMME, Behaviour::ok("application/pdf", programme_v2()));
    check(&linkward, &seed).await;
    let url = server.url(PROGRAMME);
    let rfc3339 = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339();

    let first = get(&linkward, &url, &["--at", &rfc3339(between)]).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    assert_eq!(first.stdout, lossy(&programme_v1()), "{}", first.dump());

    let latest = get(&linkward, &url, &[]).await;
    assert_eq!(latest.code, Some(0), "{}", latest.dump());
    assert_eq!(latest.stdout, lossy(&programme_v2()), "{}", latest.dump());

    // A date is the end of that day: today's latest copy.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let dated = get(&linkward, &url, &["--at", &today]).await;
    assert_eq!(dated.stdout, lossy(&programme_v2()), "{}", dated.dump());

    // The harness keeps stdout as (lossy) text: the exact bytes are checked through -o.
    let dir = tempfile::tempdir().expect("temp dir");
    let file: PathBuf = dir.path().join("v1.pdf");
    let to_file = get(
        &linkward,
        &url,
        &["--at", &rfc3339(between), "-o", &file.to_string_lossy()],
    )
    .await;
    assert_eq!(to_file.code, Some(0), "{}", to_file.dump());
    assert!(to_file.stdout.is_empty(), "{}", to_file.dump());
    assert!(std::fs::read(&file).expect("written") == programme_v1());

    let too_early = get(&linkward, &url, &["--at", &rfc3339(before_any)]).await;
    assert_eq!(too_early.code, Some(1), "{}", too_early.dump());
    assert!(too_early.stdout.is_empty());
    assert_eq!(too_early.stderr.lines().count(), 1, "{}", too_early.dump());
    assert!(
        too_early.stderr.contains("first good copy"),
        "{}",
        too_early.dump()
    );
}

#[tokio::test]
async fn get_of_a_url_never_archived_exits_1_with_one_line() {
    let server = site().await;
    let linkward = Linkward::new();
    let seed = linkward.write_file("seeds/site.toml", &manifest(&server));
    check(&linkward, &seed).await;
    for url in [server.url(GONE), server.url("/never/listed.pdf")] {
        let run = get(&linkward, &url, &[]).await;
        assert_eq!(run.code, Some(1), "{}", run.dump());
        assert!(run.stdout.is_empty(), "{}", run.dump());
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}", run.dump());
        assert!(lines[0].contains(&url), "{}", run.dump());
    }
    let bad_date = get(&linkward, &server.url(PROGRAMME), &["--at", "last tuesday"]).await;
    bad_date.assert_usage_error();
}
