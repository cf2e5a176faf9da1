//! Rescue from web archives (shared helpers here, tests by topic beside): broken resources are
//! looked up in a (fake, local) Wayback availability API and Memento TimeGates (in each of RFC
//! 7089's patterns) for the snapshot closest to their date, `--rescue` downloads that snapshot in
//! its original (`id_`) form, answers are cached in the store, and a seed page that is gone has
//! its snapshot's links recovered (`check`, `seed recover`): a manifest's page, a URL seed's, or
//! the page a saved HTML file names in its `<base href>`.
//!
//! Every archive is an `ArchiveServer` on 127.0.0.1; the harness sets LINKWARD_WAYBACK=off, so
//! each test turns the archives on with flags (or linkward.toml for the keys the environment
//! does not override). Most tests start from a [`Scenario`]: one documents' host, one archive
//! and one linkward installation.

mod bad_archives;
mod downloads;
mod memento_patterns;
mod seed_page;
mod seed_recover;
mod timegates;
mod url_seed;
mod wayback;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::common::archive_server::{ArchiveServer, Availability, Memento};
use crate::common::linkward::Run;
use crate::common::seed_page::PAGE;
use crate::common::{Behaviour, Linkward, TestServer, pdf};

/// The manifests' `[page] date`, and the timestamp it is asked for with.
const PAGE_DATE: &str = "2007-05-03";
const PAGE_DATE_TS: &str = "20070503000000";
const PAGE_DATE_RFC3339: &str = "2007-05-03T00:00:00Z";
const PAGE_DATE_HTTP: &str = "Thu, 03 May 2007 00:00:00 GMT";

const SECTION: &str = "Related Documents";
const TITLE_INFO: &str = "Information note (pdf) on the seminar organization and objectives";
const TITLE_PROGRAMME: &str = "Programme (pdf) of the seminar";
const TITLE_SUMMARY: &str = "Summary report (pdf) on the seminar discussions and outcomes";
const TITLE_CHEUNG: &str = "Settlement, Labour Market and Business Integration";

// ---------------------------------------------------------------------------------------------
// the scenario

/// The setup most rescue tests share: a documents' host (serving the routes given; any other
/// path is a 404), one fake archive, and a fresh linkward installation.
struct Scenario {
    docs: TestServer,
    archive: ArchiveServer,
    linkward: Linkward,
}

impl Scenario {
    /// A documents' host that serves nothing: every URL on it is a 404.
    async fn new() -> Self {
        Self::serving(Vec::<(String, Behaviour)>::new()).await
    }

    /// A documents' host serving `routes`.
    async fn serving<K: Into<String>>(routes: impl IntoIterator<Item = (K, Behaviour)>) -> Self {
        let docs = TestServer::start(routes).await;
        let archive = ArchiveServer::start().await;
        Scenario {
            docs,
            archive,
            linkward: Linkward::new(),
        }
    }

    /// The documents' host (the seed page itself 404s there) and an archive holding the page's
    /// snapshot (see [`snapshot_html`]).
    async fn gone_page() -> Self {
        let s = Self::serving([
            (
                INFO,
                Behaviour::ok("application/pdf", pdf("Information note")),
            ),
            (
                PROGRAMME,
                Behaviour::ok("application/pdf", pdf("Programme")),
            ),
            (MIRROR, Behaviour::html("<title>Programme (mirror)</title>")),
        ])
        .await;
        let page = s.docs.url(PAGE);
        s.capture(
            SNAPSHOT_TS,
            &page,
            Memento::ok(
                "text/html; charset=utf-8",
                snapshot_html(&s.archive, &s.docs),
            ),
        );
        s
    }

    /// The archive's availability API answers that `url` has a capture (HTTP 200) at `ts`, and
    /// the archive serves `memento` as that capture.
    fn capture(&self, ts: &str, url: &str, memento: Memento) {
        self.archive
            .set_availability(url, Availability::closest(ts, "200"));
        self.archive.add_memento(ts, url, memento);
    }

    /// Writes `seminar.toml`: the manifest of [`items_manifest`].
    fn manifest(&self, items: &[(&str, &str)]) -> PathBuf {
        self.linkward
            .write_file("seminar.toml", &items_manifest(items))
    }

    /// Writes `seminar.toml`: the [`page_manifest`] of the seed page on the documents' host,
    /// its programme item listing the mirror.
    fn page_seed(&self) -> PathBuf {
        self.linkward.write_file(
            "seminar.toml",
            &page_manifest(&self.docs.url(PAGE), &self.docs.url(MIRROR)),
        )
    }

    /// `check <seed> --wayback <this archive's endpoint> <extra>` (with the harness's flags).
    async fn check(&self, seed: &Path, extra: &[&str]) -> Run {
        let endpoint = self.archive.endpoint();
        let mut flags = vec!["--wayback", endpoint.as_str()];
        flags.extend_from_slice(extra);
        self.linkward.check(&[seed], &flags).await
    }

    /// Lifts the default per-host rate with the working directory's linkward.toml, for
    /// `seed recover` (which takes no harness flags).
    fn unlimited(&self) {
        self.linkward
            .write_file("linkward.toml", "per-host-rate = \"unlimited\"\n");
    }

    /// `seed recover <manifest> --archive <archive> --wayback <wayback> --timeout 1s <extra>`.
    async fn seed_recover(&self, manifest: &Path, wayback: &str, extra: &[&str]) -> Run {
        let mut args: Vec<std::ffi::OsString> =
            vec!["seed".into(), "recover".into(), manifest.into()];
        args.push("--archive".into());
        args.push(self.linkward.archive().into());
        args.push("--wayback".into());
        args.push(wayback.into());
        args.push("--timeout".into());
        args.push("1s".into());
        args.extend(extra.iter().map(Into::into));
        self.linkward.run(args).await
    }
}

// ---------------------------------------------------------------------------------------------
// manifests and the report

/// A manifest without a page URL, listing `items` (title, URL), dated `PAGE_DATE`: its items are
/// looked up at 2007-05-03 00:00:00 UTC.
fn items_manifest(items: &[(&str, &str)]) -> String {
    let mut text = format!(
        "format = 1\n\n[page]\ntitle = \"Migrants' participation in host countries\"\n\
         date = \"{PAGE_DATE}\"\n"
    );
    for (title, url) in items {
        text.push_str(&format!(
            "\n[[item]]\nsection = \"{SECTION}\"\ntitle = \"{title}\"\nurls = [\"{url}\"]\n"
        ));
    }
    text
}

/// A JSON RFC 3339 date as a UTC datetime.
#[track_caller]
fn time(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not an RFC 3339 string: {value:#}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

#[track_caller]
fn at(rfc3339: &str) -> DateTime<Utc> {
    time(&Value::String(rfc3339.into()))
}

/// The 14-digit form of a datetime.
fn ts(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d%H%M%S").to_string()
}

/// `archive_lookup` of `resource`, which must not be null.
#[track_caller]
fn lookup(resource: &Value) -> &Value {
    let l = &resource["archive_lookup"];
    assert!(
        l.is_object(),
        "archive_lookup is not an object: {resource:#}"
    );
    l
}

/// The notes of a lookup, as strings.
#[track_caller]
fn notes(lookup: &Value) -> Vec<&str> {
    lookup["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("notes is not an array: {lookup:#}"))
        .iter()
        .map(|n| n.as_str().expect("a note is a string"))
        .collect()
}

/// Asserts the lookup's snapshot, field by field (datetimes compared as instants).
#[track_caller]
fn assert_snapshot(lookup: &Value, archive: &str, url: &str, datetime: &str) {
    let s = &lookup["snapshot"];
    assert!(s.is_object(), "no snapshot: {lookup:#}");
    assert_eq!(s["archive"], archive, "snapshot.archive: {lookup:#}");
    assert_eq!(s["url"], url, "snapshot.url: {lookup:#}");
    assert_eq!(
        time(&s["datetime"]),
        at(datetime),
        "snapshot.datetime: {lookup:#}"
    );
}

/// Every kept copy (the files under `<archive>/files`, the view of kept copies), with its bytes.
fn blobs(archive: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(&archive.join("files"), &mut out);
    out
}

/// The `files/` view's copy of `sha256` in `archive`: named by the hash, with an extension.
fn view_file(archive: &Path, sha256: &str) -> PathBuf {
    let dir = archive.join("files").join(&sha256[..2]);
    std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_stem().is_some_and(|s| s.to_string_lossy() == sha256))
        .unwrap_or_else(|| dir.join(sha256))
}

/// Asserts that `archived` is the `files/` view's path of `sha256`.
#[track_caller]
fn assert_view_path(archived: &Value, sha256: &str) {
    let prefix = format!("files/{}/{sha256}.", &sha256[..2]);
    assert!(
        archived.as_str().is_some_and(|a| a.starts_with(&prefix)),
        "archived {archived} is not {prefix}<ext>"
    );
}

fn summary_count(report: &Value, key: &str) -> u64 {
    report["summary"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.{key} is not a count: {:#}", report["summary"]))
}

// ---------------------------------------------------------------------------------------------
// the seed page and its snapshot

const SNAPSHOT_TS: &str = "20070503101010";
const INFO: &str = "/docs/information-note.pdf";
const PROGRAMME: &str = "/docs/programme.pdf";
/// Where a mirror of the programme lives, listed by [`Scenario::page_seed`].
const MIRROR: &str = "/mirror/programme.html";
const LINK_INFO: &str = "Information Note (PDF) on the seminar organization and objectives.";
/// Names the item by containment: the title plus the date.
const LINK_PROGRAMME: &str = "PROGRAMME (pdf) of the seminar, 3 May 2007";

/// The page's snapshot: a root-relative link (to be resolved against the page's original URL,
/// not the memento's), a link still pointing into the archive (to be unwrapped) and a link no
/// item names.
fn snapshot_html(archive: &ArchiveServer, docs: &TestServer) -> String {
    format!(
        "<html><head><title>Migrants' participation in host countries</title></head><body>\
         <h2>Related Documents</h2>\
         <p><a href=\"{INFO}\">{LINK_INFO}</a></p>\
         <p><a href=\"{}\">{LINK_PROGRAMME}</a></p>\
         <h2>Related Links</h2>\
         <p><a href=\"/about\">About the UNITAR New York Office</a></p>\
         </body></html>",
        archive.memento_url(SNAPSHOT_TS, &docs.url(PROGRAMME)),
    )
}

/// A manifest for the page at `page_url`: two items the snapshot links to (one with a candidate
/// URL already) and one it does not; with comments.
fn page_manifest(page_url: &str, mirror: &str) -> String {
    format!(
        "# Seed manifest for the rescue tests: this comment must survive.\n\
         format = 1\n\n\
         [page]\n\
         title = \"Migrants' participation in host countries\"\n\
         url = \"{page_url}\"\n\
         date = \"{PAGE_DATE}\"\n\n\
         # The documents the page listed.\n\
         [[item]]\n\
         section = \"{SECTION}\"\n\
         title = \"{TITLE_INFO}\"\n\
         urls = []\n\n\
         [[item]]\n\
         section = \"{SECTION}\"\n\
         title = \"{TITLE_PROGRAMME}\"\n\
         note = \"A mirror was found before.\" # an inline comment\n\
         urls = [\"{mirror}\"]\n\n\
         [[item]]\n\
         section = \"{SECTION}\"\n\
         title = \"{TITLE_CHEUNG}\"\n\
         urls = []\n"
    )
}

/// Asserts the two links recovered from the snapshot, with their evidence.
#[track_caller]
fn assert_recovered_links(links: &Value, docs: &TestServer, archive: &ArchiveServer) {
    let links = links
        .as_array()
        .unwrap_or_else(|| panic!("recovered links are not an array: {links:#}"));
    assert_eq!(links.len(), 2, "{links:#?}");
    let memento = archive.memento_url(SNAPSHOT_TS, &docs.url(PAGE));
    for (title, url, text) in [
        (TITLE_INFO, docs.url(INFO), LINK_INFO),
        (TITLE_PROGRAMME, docs.url(PROGRAMME), LINK_PROGRAMME),
    ] {
        let link = links
            .iter()
            .find(|l| l["title"] == title)
            .unwrap_or_else(|| panic!("no recovered link titled {title:?}: {links:#?}"));
        assert_eq!(link["section"], SECTION, "{link:#}");
        assert_eq!(link["url"], url.as_str(), "{link:#}");
        assert_eq!(link["link_text"], text, "{link:#}");
        assert_eq!(link["archive"], "wayback", "{link:#}");
        assert_eq!(link["memento_url"], memento.as_str(), "{link:#}");
        assert_eq!(time(&link["memento_datetime"]), at("2007-05-03T10:10:10Z"));
    }
}
