//! The WARC files `check` writes (issue 5): every exchange of a run (seed page, PDF, gzip-encoded
//! page, an incompressible photo, both hops of a 301, a 404) as request and response records, revisits for unchanged
//! content and 304s in the next run; the files pass `warcio check` and `warcio index` lists every
//! record (skipped, with a notice, only when warcio is not installed), and a parse in Rust checks
//! types, links and digests independently of linkward. Host-rule header values are redacted in
//! request records (issue 14).

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::common::{Behaviour, Linkward, TestServer, noise, pdf, sha256_hex};

const PAGE: &str = "<h2>Related Documents</h2>\
    <p><a href=\"/doc.pdf\">Programme (pdf)</a></p>\
    <p><a href=\"/zipped.html\">Agenda</a></p>\
    <p><a href=\"/photo.jpg\">Group photo</a></p>\
    <p><a href=\"/old\">Moved report</a></p>\
    <p><a href=\"/missing.pdf\">Lost paper</a></p>";

/// One record of a WARC file, parsed here without linkward's reader.
#[derive(Debug)]
struct Record {
    headers: HashMap<String, String>,
    block: Vec<u8>,
}

impl Record {
    fn get(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }

    fn kind(&self) -> &str {
        self.get("WARC-Type")
    }

    /// What follows the HTTP head in the block.
    fn payload(&self) -> &[u8] {
        let end = self
            .block
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP head");
        &self.block[end + 4..]
    }

    fn status_line(&self) -> String {
        let end = self
            .block
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(0);
        String::from_utf8_lossy(&self.block[..end]).into_owned()
    }
}

/// Every record of a `.warc.gz` (all gzip members), in order.
fn parse(path: &Path) -> Vec<Record> {
    let file = std::fs::File::open(path).expect("open WARC");
    let mut bytes = Vec::new();
    flate2::read::MultiGzDecoder::new(file)
        .read_to_end(&mut bytes)
        .expect("gunzip WARC");
    let mut records = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let head_end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a WARC header block");
        let head = std::str::from_utf8(&rest[..head_end]).expect("UTF-8 headers");
        let mut lines = head.split("\r\n");
        assert_eq!(lines.next(), Some("WARC/1.1"));
        let headers: HashMap<String, String> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("name: value");
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let len: usize = headers["content-length"].parse().expect("Content-Length");
        let block_start = head_end + 4;
        let block = rest[block_start..block_start + len].to_vec();
        assert_eq!(
            &rest[block_start + len..block_start + len + 4],
            b"\r\n\r\n",
            "record ends with CRLF CRLF"
        );
        rest = &rest[block_start + len + 4..];
        records.push(Record { headers, block });
    }
    records
}

fn warc_files(archive: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(archive.join("warc"))
        .expect("a warc/ folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    files.sort();
    files
}

/// warcio's command line, run through python3 (warcio has no `__main__`, so `python3 -m warcio`
/// does not work; its `warcio` script may not be on PATH).
const WARCIO: &str = "import sys; from warcio.cli import main; sys.exit(main(sys.argv[1:]))";

fn warcio(args: &[&str], file: &Path) -> std::process::Output {
    std::process::Command::new("python3")
        .args(["-c", WARCIO])
        .args(args)
        .arg(file)
        .output()
        .expect("run python3")
}

fn warcio_available() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import warcio.cli"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `warcio check -v` passes and `warcio index` lists as many records as the Rust parse found.
fn warcio_accepts(file: &Path, records: &[Record]) {
    let check = warcio(&["check", "-v"], file);
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "warcio check failed on {}:\n{out}\n{}",
        file.display(),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(!out.contains("failed"), "{out}");
    let passes = out.matches("digest pass").count();
    let revisits = records.iter().filter(|r| r.kind() == "revisit").count();
    assert_eq!(
        passes,
        records.len() - revisits,
        "every non-revisit record passes:\n{out}"
    );
    let index = warcio(&["index", "-f", "warc-type,warc-target-uri"], file);
    assert!(index.status.success(), "{index:?}");
    let listed: Vec<serde_json::Value> = String::from_utf8_lossy(&index.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let kinds: Vec<&str> = listed
        .iter()
        .map(|v| v["warc-type"].as_str().unwrap_or("?"))
        .collect();
    let expected: Vec<&str> = records.iter().map(Record::kind).collect();
    assert_eq!(kinds, expected, "warcio index lists every record");
}

/// Every request record points at a response or revisit record of the same URI.
fn assert_linked(records: &[Record]) {
    let by_id: HashMap<&str, &Record> = records
        .iter()
        .map(|r| (r.get("WARC-Record-ID"), r))
        .collect();
    let answers = records
        .iter()
        .filter(|r| matches!(r.kind(), "response" | "revisit"))
        .count();
    let requests: Vec<&Record> = records.iter().filter(|r| r.kind() == "request").collect();
    assert_eq!(requests.len(), answers, "one request per answer");
    for r in requests {
        let to = by_id
            .get(r.get("WARC-Concurrent-To"))
            .unwrap_or_else(|| panic!("dangling WARC-Concurrent-To in {r:?}"));
        assert_eq!(to.get("WARC-Target-URI"), r.get("WARC-Target-URI"));
        assert!(r.block.starts_with(b"GET /"), "{r:?}");
        assert!(
            String::from_utf8_lossy(&r.block).contains("User-Agent: linkward/"),
            "{r:?}"
        );
    }
    for r in records.iter().filter(|r| r.kind() != "warcinfo") {
        assert_eq!(r.get("WARC-IP-Address"), "127.0.0.1", "{r:?}");
        assert!(r.get("WARC-Record-ID").starts_with("<urn:uuid:"));
        assert_eq!(
            r.get("WARC-Block-Digest"),
            format!("sha256:{}", sha256_hex(&r.block))
        );
    }
}

/// The answers (response or revisit records) for `url`, in order.
fn answers<'a>(records: &'a [Record], url: &str) -> Vec<&'a Record> {
    records
        .iter()
        .filter(|r| r.get("WARC-Target-URI") == url && r.kind() != "request")
        .collect()
}

#[tokio::test]
async fn check_writes_a_warc_file_per_run_that_warcio_accepts_with_revisits_for_unchanged_content()
{
    let html_gz = "<html><title>Agenda</title><body>The agenda of the seminar</body></html>";
    let doc = pdf("programme");
    let photo = noise(100_000, 7);
    let server = TestServer::start([
        ("/", Behaviour::html(PAGE)),
        (
            "/doc.pdf",
            Behaviour::Sequence(vec![
                Behaviour::Ok {
                    status: 200,
                    headers: vec![
                        ("Content-Type".into(), "application/pdf".into()),
                        ("ETag".into(), "\"v1\"".into()),
                    ],
                    body: doc.clone(),
                },
                Behaviour::Ok {
                    status: 304,
                    headers: vec![("ETag".into(), "\"v1\"".into())],
                    body: Vec::new(),
                },
            ]),
        ),
        (
            "/zipped.html",
            Behaviour::Gzip {
                body: html_gz.as_bytes().to_vec(),
            },
        ),
        ("/photo.jpg", Behaviour::ok("image/jpeg", photo.clone())),
        ("/old", Behaviour::redirect(301, "/new")),
        ("/new", Behaviour::ok("text/plain", "the moved report")),
    ])
    .await;
    let linkward = Linkward::new();
    let seed = server.url("/");
    let first = linkward.check(&[&seed], &["--ignore-robots"]).await;
    assert_eq!(first.code, Some(1), "the 404 is broken\n{}", first.dump());

    let files = warc_files(linkward.archive());
    assert_eq!(files.len(), 1, "one file per run: {files:?}");
    let name = files[0].file_name().unwrap_or_default().to_string_lossy();
    assert!(
        regex::Regex::new(r"^linkward-\d{14}-00000\.warc\.gz$")
            .expect("regex")
            .is_match(&name),
        "{name}"
    );
    let records = parse(&files[0]);
    assert_eq!(records[0].kind(), "warcinfo");
    let info = String::from_utf8_lossy(&records[0].block);
    assert!(info.contains("software: linkward/"), "{info}");
    assert!(info.contains("format: WARC File Format 1.1"), "{info}");
    assert!(info.contains(&format!("seed: {seed}")), "{info}");
    assert_linked(&records);

    let page = answers(&records, &seed);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].kind(), "response");
    assert_eq!(
        page[0].payload(),
        PAGE.as_bytes(),
        "the seed page is archived"
    );

    let pdf_answers = answers(&records, &server.url("/doc.pdf"));
    assert_eq!(pdf_answers.len(), 1);
    assert_eq!(pdf_answers[0].payload(), &doc[..]);
    assert_eq!(
        pdf_answers[0].get("WARC-Payload-Digest"),
        format!("sha256:{}", sha256_hex(&doc)),
        "the payload digest is the PDF's sha256"
    );

    // The gzip-encoded page is kept as transferred: still gzip, digest over the encoded bytes.
    let zipped = answers(&records, &server.url("/zipped.html"));
    assert_eq!(zipped.len(), 1);
    let raw = zipped[0].payload();
    assert!(raw.starts_with(&[0x1f, 0x8b]), "payload is still gzip");
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(raw)
        .read_to_string(&mut decoded)
        .expect("gunzip payload");
    assert_eq!(decoded, html_gz);
    assert_eq!(
        zipped[0].get("WARC-Payload-Digest"),
        format!("sha256:{}", sha256_hex(raw))
    );
    assert!(String::from_utf8_lossy(&zipped[0].block).contains("Content-Encoding: gzip"));

    // Deflate would not shrink the photo (issue 7): its record's member holds it in stored
    // blocks, so its bytes appear as they are in the file.
    let photo_answers = answers(&records, &server.url("/photo.jpg"));
    assert_eq!(photo_answers.len(), 1);
    assert_eq!(photo_answers[0].payload(), &photo[..]);
    let raw = std::fs::read(&files[0]).expect("read WARC");
    assert!(
        raw.windows(4096).any(|w| w == &photo[..4096]),
        "the photo is stored, not deflated"
    );

    // Both hops of the redirect, and the 404 with its body.
    let old = answers(&records, &server.url("/old"));
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].status_line(), "HTTP/1.1 301 Moved Permanently");
    let new = answers(&records, &server.url("/new"));
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].payload(), b"the moved report");
    let missing = answers(&records, &server.url("/missing.pdf"));
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].status_line(), "HTTP/1.1 404 Not Found");
    assert_eq!(missing[0].payload(), b"not found");

    // The second run: the PDF answers 304, everything else is unchanged.
    let second = linkward.check(&[&seed], &["--ignore-robots"]).await;
    assert_eq!(second.code, Some(1), "{}", second.dump());
    let files = warc_files(linkward.archive());
    assert_eq!(files.len(), 2, "one file per run: {files:?}");
    let again = parse(&files[1]);
    assert_eq!(again[0].kind(), "warcinfo");
    assert_linked(&again);
    // A 304 writes no record by default: the store has the check, the pack the copy.
    assert!(answers(&again, &server.url("/doc.pdf")).is_empty());
    for url in [
        seed.clone(),
        server.url("/new"),
        server.url("/zipped.html"),
        server.url("/photo.jpg"),
    ] {
        let a = answers(&again, &url);
        assert_eq!(a.len(), 1, "{url}");
        let r = a[0];
        assert_eq!(r.kind(), "revisit", "{url} is unchanged");
        assert_eq!(
            r.get("WARC-Profile"),
            "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
        );
        assert_eq!(r.get("WARC-Refers-To-Target-URI"), url);
        let original = answers(&records, &url);
        assert_eq!(
            r.get("WARC-Refers-To-Date"),
            original[0].get("WARC-Date"),
            "{url}"
        );
        assert_eq!(
            r.get("WARC-Payload-Digest"),
            original[0].get("WARC-Payload-Digest")
        );
        assert!(
            r.payload().is_empty(),
            "a revisit carries only the HTTP head"
        );
    }
    // A 404 is not deduplicated: its answer is recorded again.
    assert_eq!(
        answers(&again, &server.url("/missing.pdf"))[0].kind(),
        "response"
    );

    // With --warc-revisits, a 304 is kept as a revisit of the record holding the copy.
    let third = linkward
        .check(&[&seed], &["--ignore-robots", "--warc-revisits"])
        .await;
    assert_eq!(third.code, Some(1), "{}", third.dump());
    let files = warc_files(linkward.archive());
    assert_eq!(files.len(), 3, "one file per run: {files:?}");
    let revisits = parse(&files[2]);
    assert_linked(&revisits);
    let pdf_again = answers(&revisits, &server.url("/doc.pdf"));
    assert_eq!(pdf_again.len(), 1);
    assert_eq!(pdf_again[0].kind(), "revisit");
    assert_eq!(
        pdf_again[0].get("WARC-Profile"),
        "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    );
    assert_eq!(pdf_again[0].status_line(), "HTTP/1.1 304 Not Modified");
    assert_eq!(
        pdf_again[0].get("WARC-Refers-To-Target-URI"),
        server.url("/doc.pdf")
    );

    if warcio_available() {
        warcio_accepts(&files[0], &records);
        warcio_accepts(&files[1], &again);
        warcio_accepts(&files[2], &revisits);
    } else {
        eprintln!(
            "NOTICE: warcio is not installed (python3 -m pip install warcio): \
             `warcio check` and `warcio index` were NOT run on {files:?}"
        );
    }

    // verify rehashes every WARC record's digests too.
    let verify = linkward.verify("json").await;
    assert_eq!(verify.code, Some(0), "{}", verify.dump());
    let report = verify.json();
    assert_eq!(report["warc_files"], 3, "{report:#}");
    assert_eq!(
        report["warc_records"].as_u64(),
        Some((records.len() + again.len() + revisits.len()) as u64)
    );
}

#[tokio::test]
async fn verify_names_a_warc_record_whose_payload_no_longer_matches_its_digest() {
    let server = TestServer::start([
        ("/", Behaviour::html("<a href=\"/doc.pdf\">Programme</a>")),
        (
            "/doc.pdf",
            Behaviour::ok("application/pdf", pdf("original")),
        ),
    ])
    .await;
    let linkward = Linkward::new();
    let run = linkward
        .check(&[server.url("/")], &["--ignore-robots"])
        .await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let file = warc_files(linkward.archive()).remove(0);

    // Change one byte of the PDF's payload in its record's gzip member, digests left as they were.
    let bytes = std::fs::read(&file).expect("read WARC");
    let mut rest = &bytes[..];
    let mut rewritten = Vec::new();
    let mut tampered = false;
    while !rest.is_empty() {
        let mut member = Vec::new();
        flate2::bufread::GzDecoder::new(&mut rest)
            .read_to_end(&mut member)
            .expect("gunzip one member");
        if let Some(at) = member.windows(9).position(|w| w == b"(original") {
            member[at + 1] = b'O';
            tampered = true;
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &member).expect("gzip");
        rewritten.extend(gz.finish().expect("gzip"));
    }
    assert!(tampered, "the PDF's record was found");
    std::fs::write(&file, rewritten).expect("rewrite WARC");

    let verify = linkward.verify("json").await;
    assert_eq!(verify.code, Some(1), "{}", verify.dump());
    let report = verify.json();
    let problems = report["warc"].as_array().expect("a warc list");
    let kinds: Vec<&str> = problems
        .iter()
        .map(|p| p["problem"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(kinds, ["block-digest", "payload-digest"], "{report:#}");
    assert_eq!(problems[0]["target_uri"], server.url("/doc.pdf"));
    let terminal = linkward.verify("terminal").await;
    assert!(
        terminal.stdout.contains(&server.url("/doc.pdf")),
        "{}",
        terminal.dump()
    );
}

/// Issue 14: a host rule's header values (tokens) never reach the WARC file, whose request
/// records keep each header's name with a redacted value; the server still got the real token.
#[tokio::test]
async fn host_rule_header_values_are_redacted_in_warc_request_records() {
    const TOKEN: &str = "Bearer t0ken-that-must-not-be-archived";
    const KEY: &str = "k3y-that-must-not-be-archived";
    let server = TestServer::start([
        ("/doc.pdf", Behaviour::ok("application/pdf", pdf("doc"))),
        ("/moved", Behaviour::redirect(301, "/doc.pdf")),
    ])
    .await;
    let linkward = Linkward::new();
    let origin = server.base().trim_start_matches("http://");
    linkward.write_file(
        "linkward.toml",
        &format!(
            "[hosts.\"{origin}\"]\nallow-http = true\n\
             headers = {{ Authorization = \"{TOKEN}\", X-Api-Key = \"{KEY}\" }}\n"
        ),
    );
    let seed = linkward.seed_listing(&[server.url("/moved"), server.url("/missing.pdf")]);

    let run = linkward.check(&[&seed], &[]).await;

    assert_eq!(run.code, Some(1), "the 404 is broken\n{}", run.dump());
    for request in server.requests() {
        assert_eq!(request.header("authorization"), Some(TOKEN), "{request:?}");
        assert_eq!(request.header("x-api-key"), Some(KEY), "{request:?}");
    }
    let file = warc_files(linkward.archive()).remove(0);
    let mut bytes = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&file).expect("open WARC"))
        .read_to_end(&mut bytes)
        .expect("gunzip WARC");
    let text = String::from_utf8_lossy(&bytes);
    for secret in ["t0ken-that-must-not-be-archived", KEY] {
        assert!(!text.contains(secret), "{secret} is in {}", file.display());
    }
    let records = parse(&file);
    let requests: Vec<&Record> = records
        .iter()
        .filter(|r| r.kind() == "request" && r.get("WARC-Target-URI").starts_with(server.base()))
        .collect();
    // The redirect hop, the document it leads to, the 404, and the soft-404 probe.
    assert!(requests.len() >= 3, "{records:#?}");
    for request in requests {
        let head = String::from_utf8_lossy(&request.block);
        assert!(
            head.contains("\r\nAuthorization: [redacted]\r\n")
                && head.contains("\r\nX-Api-Key: [redacted]\r\n"),
            "{head}"
        );
    }
}
