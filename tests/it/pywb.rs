//! Issue 16, item 4: a real pywb (2.x, the reference open-source Memento server) as the archive.
//! Each test writes a WARC holding a dead 2007 seed page and its documents (with warcio, which
//! pywb installs), builds a collection from it (`wb-manager init` + `add`), serves it with
//! `wayback` on a free loopback port in one replay mode, and runs `check --rescue` against the
//! dead originals (every URL on their host answers 404) with `--timegate` at the collection.
//! Asserted: the snapshots pywb holds are found, the copies recovered are the WARC's original
//! bytes (sha256 as warcio reads the WARC back), and the seed page's links are the original URLs;
//! then pywb's own rewritten renderings of the page are read by linkward's seed-page recovery and
//! unwrapped to the same URLs.
//!
//! pywb comes from `.ci/run` (a virtualenv named by `LINKWARD_TEST_PYWB`), else from PATH; when
//! neither has it, each test prints a NOTICE and returns.
//!
//! What pywb 2.10.0 answered, run by hand (`curl -sI -H 'Accept-Datetime: Thu, 03 May 2007
//! 00:00:00 GMT' http://127.0.0.1:PORT/coll/http://old.test:1234/doc.pdf`, captures of
//! 2007-05-04 10:12:00 and 2008-01-01):
//!
//! - framed replay (the default): `200 OK`, `Content-Type: text/html` (the frame page), no
//!   `Content-Location` and no `Memento-Datetime`; the memento only in `Link`:
//!   `<http://old.test:1234/doc.pdf>; rel="original", <…/coll/http://old.test:1234/doc.pdf>;
//!   rel="timegate", <…/coll/timemap/link/http://…>; rel="timemap"; type="application/link-format",
//!   <http://127.0.0.1:PORT/coll/20070504101200mp_/http://old.test:1234/doc.pdf>; rel="memento";
//!   datetime="Fri, 04 May 2007 10:12:00 GMT"`, and `Vary: accept-datetime`. Without
//!   `Accept-Datetime`, the 2008 capture.
//! - `framed_replay: false`: `200 OK` with the memento's own body and type, `Memento-Datetime`,
//!   `Content-Location: http://127.0.0.1:PORT/coll/20070504101200/http://old.test:1234/doc.pdf`
//!   and the same `Link` (memento URL without `mp_`, plus `collection="coll"`).
//! - `redirect_to_exact: true`: `307 Temporary Redirect`, `Location: …/coll/20070504101200/http://…`
//!   with the `Link` (its memento with `mp_` when framed).
//! - no capture of the URL: `404 Not Found`, in every mode.
//! - `…/coll/20070504101200id_/http://…`: the archived bytes as captured, with
//!   `Memento-Datetime` and `Content-Location` of the `id_` URL; `…mp_/…` and `…/<ts>/…` rewrite
//!   an HTML page's links to `/coll/<ts as asked>mp_/http://…` (host-relative),
//!   `http://127.0.0.1:PORT/coll/<ts>mp_/http://…` (absolute) or, on the non-framed TimeGate's
//!   own page, `/coll/http://…` (no timestamp); path-relative links are left as written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;
use url::Url;

use crate::common::json::{assert_state, resource};
use crate::common::{Linkward, TestServer, pdf, sha256_hex};

/// The collection's name, as the TimeGate's path: `http://127.0.0.1:PORT/coll/`.
const COLL: &str = "coll";
/// The seed page, on the dead documents' host.
const PAGE: &str = "/ny/seminar.html";
/// The page's capture.
const PAGE_TS: &str = "20070504101112";
const INFO: &str = "/docs/information-note.pdf";
const PROGRAMME: &str = "/ny/programme.pdf";
const SUMMARY: &str = "/docs/summary.pdf";
const REPORT_2006: &str = "/docs/2006-report.pdf";
/// The manifest's date: every lookup asks for the capture closest to it.
const SEED_DATE: &str = "2007-05-03";

const TITLE_INFO: &str = "Information note (pdf) on the seminar";
const TITLE_PROGRAMME: &str = "Programme (pdf) of the seminar";
const TITLE_SUMMARY: &str = "Summary report (pdf) of the discussions";
const TITLE_2006: &str = "Report of the 2006 seminar (archived copy)";

/// pywb's replay modes, as its config.yaml sets them.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// The default: the TimeGate answers 200 with a frame page, the memento only in `Link`.
    Framed,
    /// `framed_replay: false`: 200-style negotiation, `Content-Location` + `Memento-Datetime`.
    Unframed,
    /// `redirect_to_exact: true`: the TimeGate redirects (307) to the memento.
    RedirectToExact,
}

impl Mode {
    fn config(self) -> &'static str {
        match self {
            Mode::Framed => "# pywb's defaults: framed replay\n",
            Mode::Unframed => "framed_replay: false\n",
            Mode::RedirectToExact => "redirect_to_exact: true\n",
        }
    }

    /// The memento URL pywb names for a capture of `url` at `ts`.
    fn memento(self, pywb: &str, ts: &str, url: &str) -> String {
        match self {
            Mode::Framed => format!("{pywb}/{COLL}/{ts}mp_/{url}"),
            Mode::Unframed | Mode::RedirectToExact => format!("{pywb}/{COLL}/{ts}/{url}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pywb

/// Where pywb's commands are: `LINKWARD_TEST_PYWB` (a virtualenv, as `.ci/run` makes it), else
/// PATH.
struct Tools {
    python: PathBuf,
    wb_manager: PathBuf,
    wayback: PathBuf,
}

impl Tools {
    /// `None`, with a NOTICE, when pywb (with the warcio it depends on) cannot be run here.
    fn find() -> Option<Tools> {
        let tools = match std::env::var_os("LINKWARD_TEST_PYWB") {
            Some(venv) => {
                let bin = Path::new(&venv).join("bin");
                Tools {
                    python: bin.join("python"),
                    wb_manager: bin.join("wb-manager"),
                    wayback: bin.join("wayback"),
                }
            }
            None => Tools {
                python: "python3".into(),
                wb_manager: "wb-manager".into(),
                wayback: "wayback".into(),
            },
        };
        let runs = |program: &Path, args: &[&str]| {
            Command::new(program)
                .args(args)
                .stdin(Stdio::null())
                .output()
                .is_ok_and(|o| o.status.success())
        };
        let pywb_2 = "import sys, pywb, warcio; sys.exit(not pywb.__version__.startswith('2.'))";
        if runs(&tools.python, &["-c", pywb_2])
            && runs(&tools.wb_manager, &["--help"])
            && runs(&tools.wayback, &["--version"])
        {
            Some(tools)
        } else {
            eprintln!(
                "NOTICE: pywb 2.x is not installed (run .ci/run, or set LINKWARD_TEST_PYWB to a \
                 virtualenv holding it); skipping the pywb test"
            );
            None
        }
    }
}

/// One capture written into the WARC.
struct Capture {
    url: String,
    /// WARC-Date, ISO 8601.
    date: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

/// Writes the captures as response records of a gzipped WARC with warcio, and reads it back:
/// the sha256 of each record's payload by (URL, WARC-Date), as warcio sees the file.
const WRITE_WARC: &str = r#"
import hashlib, json, sys
from io import BytesIO
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

spec, out = json.load(open(sys.argv[1])), sys.argv[2]
with open(out, "wb") as f:
    writer = WARCWriter(f, gzip=True)
    for c in spec:
        body = open(c["body"], "rb").read()
        http = StatusAndHeaders("200 OK", [("Content-Type", c["type"]),
                                           ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            c["url"], "response", payload=BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Date": c["date"]}))
held = []
with open(out, "rb") as f:
    for record in ArchiveIterator(f):
        held.append({"url": record.rec_headers.get_header("WARC-Target-URI"),
                     "date": record.rec_headers.get_header("WARC-Date"),
                     "sha256": hashlib.sha256(record.content_stream().read()).hexdigest()})
print(json.dumps(held))
"#;

/// A pywb serving one collection built from `captures`, on 127.0.0.1; killed when dropped.
struct Pywb {
    child: Child,
    base: String,
    /// sha256 of each capture's payload as the WARC holds it, by (URL, WARC-Date).
    held: BTreeMap<(String, String), String>,
    log: PathBuf,
    _dir: TempDir,
}

impl Pywb {
    async fn start(tools: &Tools, mode: Mode, captures: &[Capture]) -> Pywb {
        let dir = TempDir::new().expect("pywb's folder");
        let held = write_warc(tools, dir.path(), captures);
        run(&tools.wb_manager, &["init", COLL], dir.path());
        run(
            &tools.wb_manager,
            &["add", COLL, "captures.warc.gz"],
            dir.path(),
        );
        std::fs::write(dir.path().join("config.yaml"), mode.config()).expect("config.yaml");
        let log = dir.path().join("wayback.log");
        // A port just free may be taken before pywb binds it: try again on another.
        for _ in 0..3 {
            let port = free_port();
            let out = std::fs::File::create(&log).expect("pywb's log");
            let err = out.try_clone().expect("pywb's log");
            let mut child = Command::new(&tools.wayback)
                .args(["-p", &port.to_string(), "-b", "127.0.0.1"])
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .expect("start wayback");
            let base = format!("http://127.0.0.1:{port}");
            if wait_ready(&mut child, &base).await {
                return Pywb {
                    child,
                    base,
                    held,
                    log,
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!(
            "pywb did not start:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// The TimeGate linkward is given.
    fn timegate(&self) -> String {
        format!("{}/{COLL}/", self.base)
    }

    /// The sha256 of the payload the WARC holds for `url` captured at `date`.
    #[track_caller]
    fn held(&self, url: &str, date: &str) -> &str {
        self.held
            .get(&(url.to_owned(), date.to_owned()))
            .unwrap_or_else(|| panic!("the WARC holds no capture of {url} at {date}"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Pywb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_warc(
    tools: &Tools,
    dir: &Path,
    captures: &[Capture],
) -> BTreeMap<(String, String), String> {
    let spec: Vec<Value> = captures
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let body = dir.join(format!("body-{i}"));
            std::fs::write(&body, &c.body).expect("write a body");
            json!({"url": c.url, "date": c.date, "type": c.content_type, "body": body})
        })
        .collect();
    let spec_path = dir.join("captures.json");
    std::fs::write(&spec_path, Value::Array(spec).to_string()).expect("write the spec");
    let out = run(
        &tools.python,
        &[
            "-c",
            WRITE_WARC,
            spec_path.to_str().expect("a UTF-8 path"),
            "captures.warc.gz",
        ],
        dir,
    );
    let held: Vec<Value> = serde_json::from_str(&out).expect("warcio's listing");
    assert_eq!(held.len(), captures.len(), "{held:#?}");
    held.iter()
        .map(|h| {
            let field = |k: &str| h[k].as_str().expect("a string").to_owned();
            ((field("url"), field("date")), field("sha256"))
        })
        .collect()
}

/// Runs `program args` in `dir`; panics with its output unless it succeeds; returns its stdout.
fn run(program: &Path, args: &[&str], dir: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{}\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Polls pywb's home page until it answers (pywb imports gevent and its templates first: a few
/// seconds); `false` when the process exits or 60 s pass.
async fn wait_ready(child: &mut Child, base: &str) -> bool {
    let client = client();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if client.get(format!("{base}/")).send().await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// An HTTP client for asking pywb directly: no proxy, no redirects followed.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

// ---------------------------------------------------------------------------------------------
// the dead seed page and its documents

/// The 2007 page: a host-relative link, a path-relative one, an absolute one, and a link into
/// the Wayback Machine (the author's "archived copy"), which stands for the original it wraps.
fn page_html(docs: &TestServer) -> String {
    format!(
        "<html><head><title>Migrants' participation in host countries</title></head><body>\n\
         <h2>Related Documents</h2>\n\
         <p><a href=\"{INFO}\">{TITLE_INFO}</a></p>\n\
         <p><a href=\"programme.pdf\">{TITLE_PROGRAMME}</a></p>\n\
         <p><a href=\"{}\">{TITLE_SUMMARY}</a></p>\n\
         <p><a href=\"http://web.archive.org/web/2006/{}\">{TITLE_2006}</a></p>\n\
         </body></html>\n",
        docs.url(SUMMARY),
        docs.url(REPORT_2006),
    )
}

/// What the WARC holds: the page, and its documents, the information note twice (the 2009
/// revision must not be the one recovered for a seed dated 2007).
fn captures(docs: &TestServer) -> Vec<Capture> {
    let capture = |path: &str, date, content_type, body: Vec<u8>| Capture {
        url: docs.url(path),
        date,
        content_type,
        body,
    };
    vec![
        capture(
            PAGE,
            "2007-05-04T10:11:12Z",
            "text/html; charset=utf-8",
            page_html(docs).into_bytes(),
        ),
        capture(
            INFO,
            "2007-05-04T10:12:00Z",
            "application/pdf",
            pdf("Information note, May 2007"),
        ),
        capture(
            INFO,
            "2009-03-01T00:00:00Z",
            "application/pdf",
            pdf("Information note, revised 2009"),
        ),
        capture(
            PROGRAMME,
            "2007-05-04T10:12:30Z",
            "application/pdf",
            pdf("Programme of the seminar"),
        ),
        capture(
            SUMMARY,
            "2007-06-01T09:00:00Z",
            "application/pdf",
            pdf("Summary report"),
        ),
        capture(
            REPORT_2006,
            "2006-11-20T08:00:00Z",
            "application/pdf",
            pdf("Report of the 2006 seminar"),
        ),
    ]
}

/// The documents the page lists: (path, title, the capture closest to the seed's date).
const DOCUMENTS: [(&str, &str, &str); 4] = [
    (INFO, TITLE_INFO, "2007-05-04T10:12:00Z"),
    (PROGRAMME, TITLE_PROGRAMME, "2007-05-04T10:12:30Z"),
    (SUMMARY, TITLE_SUMMARY, "2007-06-01T09:00:00Z"),
    (REPORT_2006, TITLE_2006, "2006-11-20T08:00:00Z"),
];

/// A manifest for the page: its URL and date, its items by title only (their URLs are what the
/// page's snapshot is to give).
fn manifest(page: &str) -> String {
    let mut text = format!(
        "format = 1\n\n[page]\ntitle = \"Migrants' participation in host countries\"\n\
         url = \"{page}\"\ndate = \"{SEED_DATE}\"\n"
    );
    for (_, title, _) in DOCUMENTS {
        text.push_str(&format!(
            "\n[[item]]\nsection = \"Related Documents\"\ntitle = \"{title}\"\nurls = []\n"
        ));
    }
    text
}

/// `2007-05-04T10:12:00Z` as pywb's 14 digits.
fn ts(iso: &str) -> String {
    iso.chars().filter(char::is_ascii_digit).collect()
}

// ---------------------------------------------------------------------------------------------
// the tests

#[tokio::test]
async fn pywb_framed_replay_timegate_names_the_memento_in_its_link_header() {
    rescue_through(Mode::Framed).await;
}

#[tokio::test]
async fn pywb_unframed_replay_timegate_negotiates_with_content_location() {
    rescue_through(Mode::Unframed).await;
}

#[tokio::test]
async fn pywb_redirect_to_exact_timegate_redirects_to_the_memento() {
    rescue_through(Mode::RedirectToExact).await;
}

/// The whole story in one pywb `mode`: what its TimeGate answers, `check --rescue` of the dead
/// page, and linkward's reading of pywb's rewritten renderings of it.
async fn rescue_through(mode: Mode) {
    let Some(tools) = Tools::find() else {
        return;
    };
    // Every URL on the documents' host is a 404: the page and its documents are gone.
    let docs = TestServer::start(Vec::<(String, crate::common::Behaviour)>::new()).await;
    let pywb = Pywb::start(&tools, mode, &captures(&docs)).await;
    let page = docs.url(PAGE);

    assert_timegate_answers_as_in(mode, &pywb, &docs.url(INFO)).await;

    let linkward = Linkward::new();
    let seed = linkward.write_file("seminar.toml", &manifest(&page));
    let gate = pywb.timegate();
    // pywb's first replays can take a while on a loaded machine: the harness's 1 s is for
    // local test servers.
    let run = linkward
        .check(
            &[&seed],
            &[
                "--wayback",
                "off",
                "--timegate",
                &gate,
                "--rescue",
                "--timeout",
                "30s",
                "--idle-timeout",
                "30s",
            ],
        )
        .await;
    let report = run.json();
    let context = || format!("{}\n--- pywb\n{}", run.dump(), pywb.log());
    assert_eq!(run.code, Some(1), "{}", context());

    // The page's snapshot, recovered in its original form, the WARC's bytes.
    let seed_report = &report["seeds"][0];
    let page_memento = mode.memento(&pywb.base, PAGE_TS, &page);
    let pl = &seed_report["page_lookup"];
    assert_eq!(pl["snapshot"]["archive"], gate.as_str(), "{pl:#}");
    assert_eq!(pl["snapshot"]["url"], page_memento.as_str(), "{pl:#}");
    assert_eq!(
        instant(&pl["snapshot"]["datetime"]),
        instant(&json!("2007-05-04T10:11:12Z")),
        "{pl:#}"
    );
    let page_resource = resource(&report, &page);
    assert_state(page_resource, "broken", Some("not-found"));
    assert_recovered(
        &linkward,
        page_resource,
        pywb.held(&page, "2007-05-04T10:11:12Z"),
        &page_memento,
        &format!("{}/{COLL}/{PAGE_TS}id_/{page}", pywb.base),
    );

    // The page's links, as the original URLs.
    let links = seed_report["recovered_links"]
        .as_array()
        .unwrap_or_else(|| panic!("no recovered links: {seed_report:#}"));
    let found: BTreeMap<&str, &str> = links
        .iter()
        .map(|l| {
            (
                l["title"].as_str().unwrap_or_default(),
                l["url"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let expected: BTreeMap<&str, String> = DOCUMENTS
        .iter()
        .map(|(path, title, _)| (*title, docs.url(path)))
        .collect();
    assert_eq!(
        found,
        expected.iter().map(|(t, u)| (*t, u.as_str())).collect(),
        "{}",
        context()
    );

    // Each document: dead, its closest capture found in pywb and recovered, the WARC's bytes.
    for (path, _, captured) in DOCUMENTS {
        let url = docs.url(path);
        let r = resource(&report, &url);
        assert_state(r, "broken", Some("not-found"));
        let l = &r["archive_lookup"];
        let memento = mode.memento(&pywb.base, &ts(captured), &url);
        assert_eq!(l["snapshot"]["url"], memento.as_str(), "{l:#}");
        assert_eq!(
            instant(&l["snapshot"]["datetime"]),
            instant(&json!(captured)),
            "{l:#}"
        );
        assert_recovered(
            &linkward,
            r,
            pywb.held(&url, captured),
            &memento,
            &format!("{}/{COLL}/{}id_/{url}", pywb.base, ts(captured)),
        );
    }
    assert_eq!(report["summary"]["recovered"], 5, "{:#}", report["summary"]);

    // The dead host was asked for the page and the four original URLs, never for an
    // archive-relative path read against it (`/coll/…`).
    let asked: BTreeSet<String> = docs.document_paths();
    let originals: BTreeSet<String> = [PAGE, INFO, PROGRAMME, SUMMARY, REPORT_2006]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(asked, originals, "{}", context());

    assert_rewritten_renderings_unwrap(mode, &pywb, &page, &page_memento, &expected).await;
}

/// pywb's TimeGate answers in `mode`'s RFC 7089 pattern (so each test exercises the one it is
/// named after), for a URL captured in 2007 and 2009.
async fn assert_timegate_answers_as_in(mode: Mode, pywb: &Pywb, url: &str) {
    let answer = client()
        .get(format!("{}{url}", pywb.timegate()))
        .header("Accept-Datetime", "Thu, 03 May 2007 00:00:00 GMT")
        .send()
        .await
        .expect("ask pywb's TimeGate");
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let status = answer.status().as_u16();
    let link = header("link").unwrap_or_default();
    let memento = mode.memento(&pywb.base, "20070504101200", url);
    let described = format!("{status} {:#?}", answer.headers());
    match mode {
        Mode::Framed => {
            assert_eq!(status, 200, "{described}");
            assert_eq!(header("content-location"), None, "{described}");
            assert_eq!(header("memento-datetime"), None, "{described}");
            assert!(
                link.contains(&format!("<{memento}>; rel=\"memento\"")),
                "{described}"
            );
        }
        Mode::Unframed => {
            assert_eq!(status, 200, "{described}");
            assert_eq!(header("content-location"), Some(memento), "{described}");
            assert_eq!(
                header("memento-datetime").as_deref(),
                Some("Fri, 04 May 2007 10:12:00 GMT"),
                "{described}"
            );
        }
        Mode::RedirectToExact => {
            assert_eq!(status, 307, "{described}");
            assert_eq!(header("location"), Some(memento), "{described}");
        }
    }
}

/// `resource` holds a recovered copy whose bytes hash to `sha256` (the WARC's payload), fetched
/// from the `id_` URL `fetched`, and kept in the archive.
#[track_caller]
fn assert_recovered(
    linkward: &Linkward,
    resource: &Value,
    sha256: &str,
    memento: &str,
    fetched: &str,
) {
    let rec = &resource["recovered"];
    assert!(rec.is_object(), "nothing recovered: {resource:#}");
    assert_eq!(rec["sha256"], sha256, "not the WARC's bytes: {rec:#}");
    assert_eq!(rec["memento_url"], memento, "{rec:#}");
    assert_eq!(rec["fetched_url"], fetched, "{rec:#}");
    assert!(
        files_hashing_to(linkward.archive(), sha256) > 0,
        "no file in the archive holds the recovered bytes: {rec:#}"
    );
}

/// How many files under `dir` hold bytes hashing to `sha256`, wherever the archive keeps them.
fn files_hashing_to(dir: &Path, sha256: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| e.path())
        .map(|p| {
            if p.is_dir() {
                files_hashing_to(&p, sha256)
            } else {
                std::fs::read(&p).is_ok_and(|b| sha256_hex(&b) == sha256) as usize
            }
        })
        .sum()
}

/// A JSON RFC 3339 date as an instant.
#[track_caller]
fn instant(value: &Value) -> chrono::DateTime<chrono::Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a date: {value}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .to_utc()
}

/// The renderings of the page pywb rewrites (its links turned into `/coll/…mp_/http://…`,
/// `http://127.0.0.1:PORT/coll/…`, `/coll/http://…`), read as seed-page recovery reads a
/// recovered copy: every matched link is the original URL. The non-framed TimeGate's own page
/// is what linkward used to read as the memento (issue 16).
async fn assert_rewritten_renderings_unwrap(
    mode: Mode,
    pywb: &Pywb,
    page: &str,
    page_memento: &str,
    expected: &BTreeMap<&str, String>,
) {
    let mut renderings = vec![(
        format!("{}/{COLL}/{PAGE_TS}mp_/{page}", pywb.base),
        page_memento.to_owned(),
    )];
    if let Mode::Unframed = mode {
        renderings.push((
            format!("{}{page}", pywb.timegate()),
            page_memento.to_owned(),
        ));
        renderings.push((page_memento.to_owned(), page_memento.to_owned()));
        // As linkward read it before: the TimeGate's URL taken for the memento.
        renderings.push((
            format!("{}{page}", pywb.timegate()),
            format!("{}{page}", pywb.timegate()),
        ));
    }
    let page_url = Url::parse(page).expect("the page's URL");
    let items: Vec<linkward::seed::manifest::LoadedItem> = DOCUMENTS
        .iter()
        .map(|(_, title, _)| linkward::seed::manifest::LoadedItem {
            section: Some("Related Documents".into()),
            title: (*title).into(),
            note: None,
            urls: Vec::new(),
        })
        .collect();
    for (rendering, memento) in renderings {
        let html = client()
            .get(&rendering)
            .header("Accept-Datetime", "Thu, 03 May 2007 00:00:00 GMT")
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("pywb's rendering")
            .text()
            .await
            .expect("pywb's rendering");
        // Rewritten indeed: the test would prove nothing on the original bytes.
        assert!(
            html.contains(&format!("href=\"/{COLL}/")),
            "{rendering} is not rewritten:\n{html}"
        );
        let parsed = linkward::extract::extract(&html, &page_url);
        let snapshot = linkward::model::Snapshot {
            archive: pywb.timegate(),
            url: memento.clone(),
            datetime: chrono::DateTime::parse_from_rfc3339("2007-05-04T10:11:12Z")
                .expect("a date")
                .to_utc(),
            status: Some(200),
        };
        let links = linkward::rescue::seedpage::match_links(&parsed, &page_url, &items, &snapshot);
        let found: BTreeMap<&str, &str> = links
            .iter()
            .map(|l| (l.title.as_str(), l.url.as_str()))
            .collect();
        assert_eq!(
            found,
            expected.iter().map(|(t, u)| (*t, u.as_str())).collect(),
            "{rendering} read as {memento}:\n{html}"
        );
    }
}
