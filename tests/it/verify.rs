//! `linkward verify` on real archives written by `check`: clean after a run, and a tampered,
//! deleted or stray blob file is named, with exit 1; no archive at all is a setup error (exit 2).

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

/// Replaces a (read-only) blob file's content.
fn tamper(archive: &Path, rel: &str, bytes: &[u8]) {
    let file = archive.join(rel);
    let mut perms = std::fs::metadata(&file).expect("blob exists").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).expect("make blob writable");
    std::fs::write(&file, bytes).expect("overwrite blob");
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
async fn an_overwritten_blob_is_reported_corrupt_by_path_and_exits_1() {
    let (server, linkward, check) = checked_archive().await;
    let path = archived(&server, &check, DOCS[0]).to_owned();
    tamper(linkward.archive(), &path, b"not the programme any more");

    let run = linkward.verify("json").await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let report = run.json();
    assert_eq!(problems(&report), [1, 0, 0], "{report:#}");
    let corrupt = &report["corrupt"][0];
    assert_eq!(corrupt["path"], path.as_str(), "{report:#}");
    assert_eq!(corrupt["expected"], sha256_hex(&pdf(DOCS[0])), "{report:#}");
    assert_eq!(
        corrupt["actual"],
        sha256_hex(b"not the programme any more"),
        "{report:#}"
    );
    assert_eq!(
        corrupt["urls"],
        serde_json::json!([server.url(DOCS[0])]),
        "{report:#}"
    );

    let terminal = linkward.verify("terminal").await;
    assert_eq!(terminal.code, Some(1), "{}", terminal.dump());
    let line = terminal
        .stdout
        .lines()
        .find(|l| l.contains(&path))
        .unwrap_or_else(|| panic!("no line names {path}\n{}", terminal.dump()));
    assert!(line.starts_with("corrupt"), "{line}");
    let index = std::fs::read_to_string(linkward.archive().join("index.html")).expect("index.html");
    assert!(
        index.contains("Last verified") && index.contains("1 problems found"),
        "the index does not show the failed verify"
    );
    assert!(
        terminal
            .stdout
            .contains("1 corrupt, 0 missing, 0 unexpected"),
        "{}",
        terminal.dump()
    );
}

#[tokio::test]
async fn a_deleted_blob_is_reported_missing_with_the_url_that_kept_it() {
    let (server, linkward, check) = checked_archive().await;
    let path = archived(&server, &check, DOCS[1]).to_owned();
    std::fs::remove_file(linkward.archive().join(&path)).expect("delete blob");

    let run = linkward.verify("json").await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let report = run.json();
    assert_eq!(problems(&report), [0, 1, 0], "{report:#}");
    assert_eq!(
        report["missing"][0],
        serde_json::json!({
            "sha256": sha256_hex(&pdf(DOCS[1])),
            "url": server.url(DOCS[1]),
            "run_id": check["run"]["id"],
        }),
        "{report:#}"
    );
    assert_eq!(report["blobs"], 3, "{report:#}");

    let terminal = linkward.verify("terminal").await;
    assert_eq!(terminal.code, Some(1), "{}", terminal.dump());
    let line = terminal
        .stdout
        .lines()
        .find(|l| l.starts_with("missing"))
        .unwrap_or_else(|| panic!("no missing line\n{}", terminal.dump()));
    assert!(
        line.contains(&path) && line.contains(&server.url(DOCS[1])),
        "{line}"
    );
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
