//! `linkward verify` on real archives written by `check`: clean after a run, and a damaged or
//! deleted pack, or a stray file left under format 1's `blobs/`, is named, with exit 1; no
//! archive at all is a setup error (exit 2).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::json::resource;
use crate::common::{Behaviour, Linkward, TestServer, pdf, sha256_hex};

const DOCS: [&str; 3] = ["/docs/programme.pdf", "/docs/summary.pdf", "/docs/note.pdf"];

/// A seed page listing three PDFs (and one dead link, which keeps nothing), checked once.
async fn checked_archive() -> (TestServer, Linkward, Value) {
    let server =
        TestServer::start(DOCS.map(|d| (d, Behaviour::ok("application/pdf", pdf(d))))).await;
    server.set_route(
        "/",
        Behaviour::html(
            "<h2>Related Documents</h2>\
             <p><a href=\"/docs/programme.pdf\">Programme (pdf) of the seminar</a></p>\
             <p><a href=\"/docs/summary.pdf\">Summary report (pdf)</a></p>\
             <p><a href=\"/docs/note.pdf\">Information note (pdf)</a></p>\
             <p><a href=\"/docs/gone.pdf\">Background paper (pdf)</a></p>",
        ),
    );
    let linkward = Linkward::new();
    let run = linkward.check(&[server.url("/")], &[]).await;
    assert_eq!(
        run.code,
        Some(1),
        "the dead link makes exit 1\n{}",
        run.dump()
    );
    let report = run.json();
    (server, linkward, report)
}

/// The archived path of `path`'s last good copy, from the check report.
fn archived<'a>(server: &TestServer, report: &'a Value, path: &str) -> &'a str {
    let r = resource(report, &server.url(path));
    r["archived"]
        .as_str()
        .unwrap_or_else(|| panic!("{path} kept no copy: {r:#}"))
}

/// The run's pack (its one WARC file).
fn pack(archive: &Path) -> std::path::PathBuf {
    let mut packs: Vec<_> = std::fs::read_dir(archive.join("warc"))
        .expect("warc/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    assert_eq!(packs.len(), 1, "{packs:?}");
    packs.remove(0)
}

/// Offset and length of the gzip member holding the `response` record of `uri` in `pack`.
fn response_member(pack: &Path, uri: &str) -> (usize, usize) {
    use std::io::Read;
    let bytes = std::fs::read(pack).expect("read the pack");
    let mut offset = 0;
    while offset < bytes.len() {
        let mut rest: &[u8] = &bytes[offset..];
        let mut record = Vec::new();
        flate2::bufread::GzDecoder::new(&mut rest)
            .read_to_end(&mut record)
            .expect("a gzip member");
        let len = bytes.len() - offset - rest.len();
        let text = String::from_utf8_lossy(&record);
        if text.contains("WARC-Type: response")
            && text.contains(&format!("WARC-Target-URI: {uri}\r\n"))
        {
            return (offset, len);
        }
        offset += len;
    }
    panic!("no response record of {uri} in {}", pack.display());
}

fn problems(report: &Value) -> [usize; 3] {
    ["corrupt", "missing", "unexpected"].map(|k| {
        report[k]
            .as_array()
            .unwrap_or_else(|| panic!("{k} is not an array: {report:#}"))
            .len()
    })
}

#[tokio::test]
async fn verify_after_a_check_finds_every_blob_intact_and_exits_0() {
    let (_server, linkward, _report) = checked_archive().await;

    let run = linkward.verify("json").await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let report = run.json();
    assert_eq!(problems(&report), [0, 0, 0], "{report:#}");
    // The seed page and three PDFs; each referenced by its check and its resource record.
    assert_eq!(report["blobs"], 4, "{report:#}");
    assert_eq!(report["references"], 8, "{report:#}");
    let sizes: u64 = DOCS.iter().map(|d| pdf(d).len() as u64).sum();
    assert!(
        report["bytes"].as_u64().is_some_and(|b| b > sizes),
        "{report:#}"
    );

    let terminal = linkward.verify("terminal").await;
    assert_eq!(terminal.code, Some(0), "{}", terminal.dump());
    assert!(
        terminal.stdout.starts_with("verified 4 blobs (")
            && terminal
                .stdout
                .contains("8 references: 0 corrupt, 0 missing, 0 unexpected; 1 WARC files, ")
            && terminal.stdout.ends_with(" records: 0 problems\n"),
        "{}",
        terminal.dump()
    );
    // Each verify is kept, and the offline index says when the archive was last proven intact.
    let index = std::fs::read_to_string(linkward.archive().join("index.html")).expect("index.html");
    assert!(
        index.contains("Last verified") && index.contains("intact: 4 blobs"),
        "the index does not show the clean verify"
    );
}

#[tokio::test]
async fn a_damaged_body_in_a_pack_is_reported_corrupt_by_place_and_exits_1() {
    // Bytes deflate cannot shrink are stored as they are: the body is visible in the pack, and
    // one byte of it can be changed without touching any other record.
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let photo: Vec<u8> = (0..16 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[5]
        })
        .collect();
    let server = TestServer::start([
        (
            "/",
            Behaviour::html("<p><a href=\"/photo.jpg\">Photo</a></p>"),
        ),
        ("/photo.jpg", Behaviour::ok("image/jpeg", photo.clone())),
    ])
    .await;
    let linkward = Linkward::new();
    let run = linkward.check(&[server.url("/")], &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let pack = pack(linkward.archive());
    let name = pack
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let (offset, _) = response_member(&pack, &server.url("/photo.jpg"));
    let mut bytes = std::fs::read(&pack).expect("read the pack");
    let at = bytes
        .windows(1024)
        .position(|w| w == &photo[4096..5120])
        .expect("the photo's bytes are in the pack");
    bytes[at + 10] ^= 0x55;
    std::fs::write(&pack, &bytes).expect("damage the pack");
    let mut damaged = photo.clone();
    damaged[4096 + 10] ^= 0x55;
    let place = format!("warc/{name}@{offset}");

    let run = linkward.verify("json").await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let report = run.json();
    assert_eq!(problems(&report), [1, 0, 0], "{report:#}");
    let corrupt = &report["corrupt"][0];
    assert_eq!(corrupt["path"], place.as_str(), "{report:#}");
    assert_eq!(corrupt["expected"], sha256_hex(&photo), "{report:#}");
    assert_eq!(corrupt["actual"], sha256_hex(&damaged), "{report:#}");
    assert_eq!(
        corrupt["urls"],
        serde_json::json!([server.url("/photo.jpg")]),
        "{report:#}"
    );
    // Reading the WARC records finds the same damage.
    assert!(
        !report["warc"].as_array().is_some_and(Vec::is_empty),
        "{report:#}"
    );

    let terminal = linkward.verify("terminal").await;
    assert_eq!(terminal.code, Some(1), "{}", terminal.dump());
    let line = terminal
        .stdout
        .lines()
        .find(|l| l.contains(&place))
        .unwrap_or_else(|| panic!("no line names {place}\n{}", terminal.dump()));
    assert!(line.starts_with("corrupt"), "{line}");
    let index = std::fs::read_to_string(linkward.archive().join("index.html")).expect("index.html");
    assert!(
        index.contains("Last verified") && index.contains("problems found"),
        "the index does not show the failed verify"
    );
}

#[tokio::test]
async fn a_deleted_pack_is_reported_missing_with_the_urls_that_kept_its_bodies() {
    let (server, linkward, check) = checked_archive().await;
    std::fs::remove_file(pack(linkward.archive())).expect("delete the pack");

    let run = linkward.verify("json").await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let report = run.json();
    // The page and its three documents were all in it.
    assert_eq!(problems(&report)[1], 4, "{report:#}");
    assert!(
        report["missing"]
            .as_array()
            .expect("missing")
            .contains(&serde_json::json!({
                "sha256": sha256_hex(&pdf(DOCS[1])),
                "url": server.url(DOCS[1]),
                "run_id": check["run"]["id"],
            })),
        "{report:#}"
    );

    let terminal = linkward.verify("terminal").await;
    assert_eq!(terminal.code, Some(1), "{}", terminal.dump());
    let sha = sha256_hex(&pdf(DOCS[1]));
    let line = terminal
        .stdout
        .lines()
        .find(|l| l.starts_with("missing") && l.contains(&sha))
        .unwrap_or_else(|| panic!("no missing line\n{}", terminal.dump()));
    assert!(line.contains(&server.url(DOCS[1])), "{line}");
}

#[tokio::test]
async fn a_stray_or_misplaced_file_in_blobs_is_unexpected() {
    let (server, linkward, check) = checked_archive().await;
    let archive = linkward.archive();
    let good = archived(&server, &check, DOCS[2]);
    let name = good.rsplit('/').next().expect("blob file name");
    // A copy of a real blob under the wrong prefix folders, and a file no blob is named like.
    let misplaced = format!("blobs/sha256/00/00/{name}");
    std::fs::create_dir_all(archive.join("blobs/sha256/00/00")).expect("mkdir");
    std::fs::copy(archive.join(good), archive.join(&misplaced)).expect("copy blob");
    std::fs::write(archive.join("blobs/notes.txt"), "hello").expect("write stray");

    let run = linkward.verify("json").await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let report = run.json();
    assert_eq!(
        report["unexpected"],
        serde_json::json!(["blobs/notes.txt", misplaced]),
        "{report:#}"
    );
    assert_eq!(problems(&report), [0, 0, 2], "{report:#}");
}

#[tokio::test]
async fn verify_of_a_nonexistent_archive_exits_2_with_one_line_and_creates_nothing() {
    let linkward = Linkward::new();
    let absent = linkward.archive().join("no-such-archive");
    let absent_arg = absent.to_str().expect("UTF-8 temp path");

    let run = linkward
        .run(["verify", "--archive", absent_arg, "--format", "json"])
        .await;

    run.assert_usage_error();
    assert!(run.stderr.contains("no-such-archive"), "{}", run.dump());
    assert!(run.stdout.is_empty(), "{}", run.dump());
    assert!(!absent.exists(), "verify created {}", absent.display());
}

#[tokio::test]
async fn verify_while_a_check_holds_the_archive_exits_2_naming_the_holder() {
    let server = TestServer::start([(
        "/",
        Behaviour::delay(Duration::from_secs(20), Behaviour::html("<p>late</p>")),
    )])
    .await;
    let linkward = Linkward::new();
    let seed = server.url("/");
    let archive = linkward.archive().to_str().expect("UTF-8 temp path");
    let mut check = linkward.spawn([
        "check",
        &seed,
        "--archive",
        archive,
        "--per-host-rate",
        "unlimited",
    ]);
    // The lock is taken before anything is fetched: once a request arrives, it is held.
    let waited = Instant::now();
    while server.requests().is_empty() {
        assert!(
            waited.elapsed() < Duration::from_secs(15),
            "check never fetched"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let run = linkward.verify("json").await;

    check.start_kill().expect("kill the check");
    check.wait().await.expect("reap the check");
    run.assert_usage_error();
    assert!(
        run.stderr.contains("in use") && run.stderr.contains("pid"),
        "{}",
        run.dump()
    );
    assert!(run.stdout.is_empty(), "{}", run.dump());
}
