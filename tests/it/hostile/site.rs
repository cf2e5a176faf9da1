//! The hostile site and the runs against it: the servers, their routes and bodies, the two
//! `check` runs, and the `Hostile` record the cases in `hostile.rs` assert on (reports, request
//! logs, the archive's listing, peaks of disk and memory sampled during the run).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::json::resource;
use crate::common::linkward::Run;
use crate::common::server::Request;
use crate::common::{Behaviour, Linkward, MIB, TestServer, pdf, sha256_hex};

/// `--timeout` of the runs, in ms: every slow case is cut by it.
pub const TIMEOUT_MS: u64 = 2000;
/// Decoded size of both bombs.
pub const BOMB_DECODED: u64 = 100 * MIB as u64;
/// Hops in each redirect chain; the default `--max-redirects` is 10.
pub const CHAIN_HOPS: usize = 20;
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

// Routes of the main server.
pub const PAGE: &str = "/hostile/index.html";
pub const LATIN1_SAYS_UTF8: &str = "/hostile/latin1-says-utf8.html";
pub const META_1252_HEADER_UTF8: &str = "/hostile/meta-1252-header-utf8.html";
pub const ENDLESS: &str = "/endless.bin";
pub const ENDLESS_CHUNKED: &str = "/endless-chunked.bin";
pub const GZIP_BOMB: &str = "/gzip-bomb.pdf";
pub const BROTLI_BOMB: &str = "/brotli-bomb.pdf";
pub const TRUNCATED: &str = "/truncated.pdf";
pub const LOOP_A: &str = "/loop/a";
pub const LOOP_B: &str = "/loop/b";
pub const TO_FTP: &str = "/to-ftp";
pub const TO_JAVASCRIPT: &str = "/to-javascript";
pub const FTP_TARGET: &str = "ftp://127.0.0.1/pub/report.pdf";
pub const JAVASCRIPT_TARGET: &str = "javascript:alert(1)";
/// Redirects whose Location is no URL, keyed by route.
pub const MALFORMED_LOCATIONS: &[(&str, &str)] = &[
    ("/malformed/unclosed-ipv6", "http://[::1"),
    ("/malformed/space-in-host", "http://exa mple.org/x"),
    ("/malformed/empty-host", "http://:80/x"),
];
pub const DISPOSITION_RELATIVE: &str = "/disposition/relative.pdf";
pub const DISPOSITION_ABSOLUTE: &str = "/disposition/absolute.pdf";
pub const DISPOSITION_EXTENDED: &str = "/disposition/extended.pdf";
/// Links of the two lying-charset pages (all 200 PDFs).
pub const CHARSET_LINKS_A: &[&str] = &["/charset/cafe.pdf", "/charset/after-garbage.pdf"];
pub const CHARSET_LINKS_B: &[&str] = &["/charset/resume.pdf", "/charset/last.pdf"];
// Routes of the single-purpose servers.
pub const NEVER: &str = "/never";
pub const TRICKLE: &str = "/trickle";
pub const RESET: &str = "/reset";
pub const CHAIN_START: &str = "/chain/0";
pub const LONG_PAGE: &str = "/long/index.html";

/// One archive entry, relative to the archive dir, with `/` separators.
#[derive(Debug)]
pub struct Entry {
    pub path: String,
    pub is_dir: bool,
    pub size: u64,
    /// sha256 of a file's contents (files under `files/`, the view of kept copies, only).
    pub sha256: Option<String>,
}

/// What the hostile runs left behind, for the cases to assert on.
pub struct Hostile {
    /// Base URL of each server, by name.
    pub bases: HashMap<&'static str, String>,
    /// Every request each server received, by name.
    pub requests: HashMap<&'static str, Vec<Request>>,
    pub run: Run,
    pub wall: Duration,
    /// The archive after the run.
    pub archive: Vec<Entry>,
    /// Largest total size of the files under `files/`, `warc/` and `tmp/` seen while the run went
    /// on.
    pub peak_disk: u64,
    /// linkward's peak resident set (VmHWM), when /proc showed it.
    pub peak_rss_kib: Option<u64>,
    /// The unique part of every hostile file name offered by Content-Disposition.
    pub evil_tag: String,
    /// Files carrying that tag anywhere they must not be.
    pub evil_found: Vec<PathBuf>,
    pub long_run: Run,
    pub long_base: String,
}

impl Hostile {
    pub fn url(&self, server: &str, path: &str) -> String {
        format!("{}{path}", self.bases[server])
    }

    pub fn report(&self) -> Value {
        self.run.json()
    }

    /// The resource checked for `path` on `server`.
    pub fn resource(&self, server: &str, path: &str) -> Value {
        resource(&self.report(), &self.url(server, path)).clone()
    }

    pub fn requests_under(&self, server: &str, prefix: &str) -> Vec<&Request> {
        self.requests[server]
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    /// Blob files in the archive: `(path, size)`.
    pub fn blobs(&self) -> Vec<(&str, u64)> {
        self.archive
            .iter()
            .filter(|e| !e.is_dir && e.path.starts_with("files/"))
            .map(|e| (e.path.as_str(), e.size))
            .collect()
    }
}

/// The hostile runs, done once for every test of this file.
pub fn hostile() -> &'static Hostile {
    // A failed run is kept too, so that every case reports it instead of running it again.
    static HOSTILE: OnceLock<Result<Hostile, String>> = OnceLock::new();
    let hostile = HOSTILE.get_or_init(|| {
        // Own thread and runtime: the servers must outlive whichever test asks first.
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime")
                .block_on(run_hostile())
        })
        .join()
        .map_err(|panic| {
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })
    });
    match hostile {
        Ok(hostile) => hostile,
        Err(panic) => panic!("the hostile runs panicked: {panic}"),
    }
}

/// Argument list of a hostile `check` run.
pub fn check_args(seeds: &[String], archive: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["check".to_string()];
    args.extend(seeds.iter().cloned());
    args.push("--archive".into());
    args.push(archive.to_string_lossy().into_owned());
    for flag in [
        "--per-host-rate",
        "unlimited",
        "--per-host-concurrency",
        "8",
        "--timeout",
        &format!("{TIMEOUT_MS}ms"),
        "--idle-timeout",
        "1s",
        "--max-size",
        "1MiB",
        "--format",
        "json",
        // Each attempt gets its own --timeout; the time bounds here are about one attempt.
        "--retries",
        "0",
    ] {
        args.push(flag.into());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

pub async fn run_hostile() -> Hostile {
    let tag = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let temp_root = std::env::temp_dir();

    let never = TestServer::start([(NEVER, Behaviour::HeadersNever)]).await;
    let trickle = TestServer::start([(
        // 100 bytes, one every 250 ms: never idle for --idle-timeout (1 s), done only after 25 s.
        TRICKLE,
        Behaviour::trickle(100, Duration::from_millis(250)),
    )])
    .await;
    let reset = TestServer::start([(RESET, Behaviour::ResetMidHeaders)]).await;
    let chain = TestServer::start(chain_routes("/chain")).await;
    let long = TestServer::start(chain_routes("/chain")).await;
    long.set_route(
        LONG_PAGE,
        Behaviour::html(format!(
            r#"<html><body><h2>Chain</h2><a href="{}">Twenty hops</a></body></html>"#,
            long.url(CHAIN_START)
        )),
    );
    let main = TestServer::start(main_routes(&tag, &temp_root)).await;
    let links: Vec<String> = main_links()
        .into_iter()
        .map(|p| main.url(p))
        .chain([
            never.url(NEVER),
            trickle.url(TRICKLE),
            reset.url(RESET),
            chain.url(CHAIN_START),
        ])
        .collect();
    main.set_route(PAGE, Behaviour::html(main_page(&links)));

    let linkward = Linkward::new();
    let long_linkward = Linkward::new();
    let cwd = linkward
        .write_file("cwd-marker", "")
        .parent()
        .expect("cwd")
        .to_path_buf();
    let seeds = [PAGE, LATIN1_SAYS_UTF8, META_1252_HEADER_UTF8].map(|p| main.url(p));
    let args = check_args(&seeds, linkward.archive(), &[]);
    let long_args = check_args(
        &[long.url(LONG_PAGE)],
        long_linkward.archive(),
        &["--max-redirects", "25"],
    );

    let done = AtomicBool::new(false);
    let started = Instant::now();
    let ((run, wall), (peak_disk, peak_rss_kib), long_run) = tokio::join!(
        async {
            let run = linkward.run(&args).await;
            let wall = started.elapsed();
            done.store(true, Ordering::SeqCst);
            (run, wall)
        },
        watch(&done, linkward.archive(), &cwd),
        long_linkward.run(&long_args),
    );

    let archive = list_archive(linkward.archive());
    let evil_found = find_evil(&tag, &[linkward.archive(), &cwd], &temp_root);
    let requests = [
        ("main", &main),
        ("never", &never),
        ("trickle", &trickle),
        ("reset", &reset),
        ("chain", &chain),
        ("long", &long),
    ];
    Hostile {
        bases: requests
            .iter()
            .map(|(name, s)| (*name, s.base().to_string()))
            .collect(),
        requests: requests
            .iter()
            .map(|(name, s)| (*name, s.requests()))
            .collect(),
        run,
        wall,
        archive,
        peak_disk,
        peak_rss_kib,
        evil_tag: tag,
        evil_found,
        long_run,
        long_base: long.base().to_string(),
    }
}

/// `/chain/0` → … → `/chain/20` by 301s, and `/chain/20` answers 200.
pub fn chain_routes(prefix: &str) -> Vec<(String, Behaviour)> {
    let mut routes: Vec<(String, Behaviour)> = (0..CHAIN_HOPS)
        .map(|i| {
            (
                format!("{prefix}/{i}"),
                Behaviour::redirect(301, format!("{prefix}/{}", i + 1)),
            )
        })
        .collect();
    routes.push((
        format!("{prefix}/{CHAIN_HOPS}"),
        Behaviour::ok("application/pdf", pdf("end of the chain")),
    ));
    routes
}

/// The raw answer of a redirect whose Location is exactly `location`.
pub fn raw_redirect(location: &str) -> Behaviour {
    Behaviour::Raw(
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        )
        .into_bytes(),
    )
}

pub fn pdf_with_disposition(label: &str, disposition: String) -> Behaviour {
    Behaviour::Ok {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/pdf".into()),
            ("Content-Disposition".into(), disposition),
        ],
        body: pdf(label),
    }
}

/// A 200 HTML answer whose header claims UTF-8, whatever `body` really is.
pub fn html_claiming_utf8(body: Vec<u8>) -> Behaviour {
    Behaviour::Ok {
        status: 200,
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body,
    }
}

/// Windows-1252 bytes (é = E9, curly quotes = 93/94), a NUL, bytes invalid in any UTF-8 (FF FE,
/// a lone surrogate ED A0 80) and UTF-8 sequences cut short (E2 80, C3), around two links; the
/// header says UTF-8.
pub fn latin1_says_utf8_body() -> Vec<u8> {
    [
        b"<html><head><title>Caf\xe9 \x93r\xe9sum\xe9\x94</title></head><body>\n".as_slice(),
        b"<h2>Documents \xff\xfe\x00 r\xe9f\xe9rence</h2>\n<p><a href=\"",
        CHARSET_LINKS_A[0].as_bytes(),
        b"\" title=\"caf\xe9\">Caf\xe9 cr\xe8me</a></p>\n",
        b"<p>\xe2\x80 \xc3 \xed\xa0\x80 garbage \x81\x8d\x8f\x90\x9d</p>\n<p><a href=\"",
        CHARSET_LINKS_A[1].as_bytes(),
        b"\">After the garbage</a></p>\n</body></html>\n\xe2\x80",
    ]
    .concat()
}

/// Windows-1252 bytes declared as such by `<meta>`, while the header says UTF-8.
pub fn meta_1252_header_utf8_body() -> Vec<u8> {
    let mut body = b"<html><head><meta charset=\"windows-1252\">\
        <title>R\xe9sum\xe9 \x96 \x93page\x94</title></head><body>\n<h2>Pi\xe8ces</h2>\n"
        .to_vec();
    for link in CHARSET_LINKS_B {
        body.extend_from_slice(b"<p><a href=\"");
        body.extend_from_slice(link.as_bytes());
        body.extend_from_slice(b"\">R\xe9sum\xe9 n\xb0 \x85</a></p>\n");
    }
    body.extend_from_slice(b"</body></html>\n");
    body
}

pub fn main_routes(tag: &str, temp_root: &Path) -> Vec<(String, Behaviour)> {
    let mut routes: Vec<(String, Behaviour)> = vec![
        (
            LATIN1_SAYS_UTF8.into(),
            html_claiming_utf8(latin1_says_utf8_body()),
        ),
        (
            META_1252_HEADER_UTF8.into(),
            html_claiming_utf8(meta_1252_header_utf8_body()),
        ),
        (ENDLESS.into(), Behaviour::Endless { chunked: false }),
        (ENDLESS_CHUNKED.into(), Behaviour::Endless { chunked: true }),
        (
            GZIP_BOMB.into(),
            Behaviour::GzipBomb {
                decoded_len: BOMB_DECODED,
            },
        ),
        (
            BROTLI_BOMB.into(),
            Behaviour::BrotliBomb {
                decoded_len: BOMB_DECODED,
            },
        ),
        (
            TRUNCATED.into(),
            Behaviour::Truncated {
                declared_len: 64 * 1024,
                body: pdf("shorter than it says"),
            },
        ),
        (LOOP_A.into(), Behaviour::redirect(302, LOOP_B)),
        (LOOP_B.into(), Behaviour::redirect(302, LOOP_A)),
        (TO_FTP.into(), Behaviour::redirect(302, FTP_TARGET)),
        (TO_JAVASCRIPT.into(), raw_redirect(JAVASCRIPT_TARGET)),
        (
            DISPOSITION_RELATIVE.into(),
            pdf_with_disposition(
                "relative",
                format!(r#"attachment; filename="../../../../tmp/evil-{tag}.pdf""#),
            ),
        ),
        (
            DISPOSITION_ABSOLUTE.into(),
            pdf_with_disposition(
                "absolute",
                format!(
                    r#"attachment; filename="{}/evil-abs-{tag}.pdf""#,
                    temp_root.display()
                ),
            ),
        ),
        (
            DISPOSITION_EXTENDED.into(),
            pdf_with_disposition(
                "extended",
                format!(
                    "attachment; filename=\"evil-plain-{tag}.pdf\"; \
                     filename*=UTF-8''..%2F..%2F..%2Fevil-star-{tag}.pdf"
                ),
            ),
        ),
    ];
    routes.extend(
        MALFORMED_LOCATIONS
            .iter()
            .map(|(path, location)| (path.to_string(), raw_redirect(location))),
    );
    routes.extend(
        CHARSET_LINKS_A
            .iter()
            .chain(CHARSET_LINKS_B)
            .map(|p| (p.to_string(), Behaviour::ok("application/pdf", pdf(p)))),
    );
    routes
}

/// Paths on the main server that its page links to.
pub fn main_links() -> Vec<&'static str> {
    let mut links = vec![
        ENDLESS,
        ENDLESS_CHUNKED,
        GZIP_BOMB,
        BROTLI_BOMB,
        TRUNCATED,
        LOOP_A,
        TO_FTP,
        TO_JAVASCRIPT,
        DISPOSITION_RELATIVE,
        DISPOSITION_ABSOLUTE,
        DISPOSITION_EXTENDED,
    ];
    links.extend(MALFORMED_LOCATIONS.iter().map(|(path, _)| *path));
    links
}

pub fn main_page(links: &[String]) -> String {
    let items: String = links
        .iter()
        .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>\n"))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Hostile</title></head>\
         <body><h2>Related Documents</h2><ul>\n{items}</ul></body></html>\n"
    )
}

/// Samples, until `done`, the archive's disk use and linkward's peak memory.
pub async fn watch(done: &AtomicBool, archive: &Path, cwd: &Path) -> (u64, Option<u64>) {
    let mut peak_disk = 0;
    let mut peak_rss = None;
    while !done.load(Ordering::SeqCst) {
        let disk: u64 = ["files", "warc", "tmp"]
            .iter()
            .flat_map(|d| walk(&archive.join(d)))
            .filter(|(_, meta)| meta.is_file())
            .map(|(_, meta)| meta.len())
            .sum();
        peak_disk = peak_disk.max(disk);
        if let Some(rss) = linkward_peak_rss_kib(cwd) {
            peak_rss = Some(peak_rss.unwrap_or(0).max(rss));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (peak_disk, peak_rss)
}

/// VmHWM of the linkward process working in `cwd` (only this run's works there), if running.
pub fn linkward_peak_rss_kib(cwd: &Path) -> Option<u64> {
    let cwd = cwd.canonicalize().ok()?;
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|proc| {
        let name = proc.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let dir = proc.path();
        if std::fs::read_link(dir.join("cwd")).ok()? != cwd {
            return None;
        }
        let exe = std::fs::read_link(dir.join("exe")).ok()?;
        if !exe.to_string_lossy().contains("linkward") {
            return None;
        }
        let status = std::fs::read_to_string(dir.join("status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    })
}

/// Every file and folder under `root`, depth first; errors (a file removed meanwhile) skipped.
pub fn walk(root: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    walk_depth(root, usize::MAX)
}

pub fn walk_depth(root: &Path, depth: usize) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let is_dir = meta.is_dir();
        out.push((path.clone(), meta));
        if is_dir && depth > 1 {
            out.extend(walk_depth(&path, depth - 1));
        }
    }
    out
}

pub fn list_archive(archive: &Path) -> Vec<Entry> {
    let mut entries: Vec<Entry> = walk(archive)
        .into_iter()
        .map(|(path, meta)| {
            let rel = path
                .strip_prefix(archive)
                .expect("under the archive")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let sha256 = (meta.is_file() && rel.starts_with("files/"))
                .then(|| std::fs::read(&path).ok().map(|b| sha256_hex(&b)))
                .flatten();
            Entry {
                path: rel,
                is_dir: meta.is_dir(),
                size: meta.len(),
                sha256,
            }
        })
        .collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries
}

/// Files whose name carries `tag`: anywhere under `private` (linkward's own dirs) and, three
/// levels deep, under the temp root (where every test HOME, cwd and archive lives), plus the
/// test process's working directory.
pub fn find_evil(tag: &str, private: &[&Path], temp_root: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = private
        .iter()
        .flat_map(|dir| walk(dir))
        .chain(walk_depth(temp_root, 3))
        .chain(walk_depth(Path::new("."), 1))
        .map(|(path, _)| path)
        .filter(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(tag))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}
