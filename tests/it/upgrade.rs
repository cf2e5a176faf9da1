//! Issue 15, item 6: an archive of format 1 (one blob file per body under `blobs/`, written here
//! with the library's store as format 1 wrote it) is converted in place by the first command
//! that opens it. Every old version stays readable with `get --at`, `verify` is clean, `export
//! bagit` validates, and a SIGKILL at any moment of the conversion loses nothing: the next
//! command finishes it.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use linkward::model::{ListedItem, SeedSnapshot, Sha256, State};
use linkward::store::{CheckRecord, RunRecord, RunStatus, Store};

use crate::bagit::{assert_bagit_py_accepts, assert_valid_bag};
use crate::common::{Linkward, noise, pdf, sha256_hex};

const SEED: &str = "https://old.example/seminar";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("a test date")
        .with_timezone(&Utc)
}

fn sha(body: &[u8]) -> Sha256 {
    sha256_hex(body).parse().expect("64 hex digits")
}

/// A format-1 archive: `docs` listed by one seed, each kept in one or more versions (one run
/// per version), the bodies as blob files at their content address.
async fn format_1_archive(archive: &Path, docs: &[(&str, Vec<Vec<u8>>)]) {
    let store = Store::open(archive).expect("open the store");
    let runs = docs.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    for run_index in 0..runs {
        let started = at("2026-01-01T06:00:00Z") + chrono::Duration::days(run_index as i64);
        let mut run = RunRecord {
            started,
            seeds: vec![SEED.into()],
            ..RunRecord::default()
        };
        store.begin_run(&mut run).expect("begin a run");
        for (url, versions) in docs {
            let Some(body) = versions.get(run_index).or(versions.last()) else {
                continue;
            };
            let hex = sha256_hex(body);
            let blob = archive.join(format!("blobs/sha256/{}/{}/{hex}", &hex[..2], &hex[2..4]));
            std::fs::create_dir_all(blob.parent().expect("a folder")).expect("blob folder");
            std::fs::write(&blob, body).expect("write a blob");
            store
                .record_check(&CheckRecord {
                    run_id: run.id,
                    url: (*url).into(),
                    checked_at: started,
                    state: State::Ok,
                    http_status: Some(200),
                    final_url: Some((*url).into()),
                    sha256: Some(sha(body)),
                    bytes: Some(body.len() as u64),
                    content_type: Some("application/pdf".into()),
                    ..CheckRecord::default()
                })
                .expect("record a check");
        }
        store
            .put_seed(
                SEED,
                run.id,
                &SeedSnapshot {
                    title: Some("Seminar".into()),
                    page_url: None,
                    items: docs
                        .iter()
                        .map(|(url, _)| ListedItem {
                            title: format!("Document {url}"),
                            section: None,
                            url: Some((*url).into()),
                        })
                        .collect(),
                },
            )
            .expect("seed list");
        run.finished = Some(started);
        run.status = RunStatus::Complete;
        store.put_run(&run).expect("finish the run");
    }
    store.flush().await.expect("flush");
}

/// `get URL EXTRA…`, written to a file and read back.
async fn get(linkward: &Linkward, url: &str, extra: &[&str]) -> Vec<u8> {
    let archive = linkward.archive().to_string_lossy().into_owned();
    let out = tempfile::NamedTempFile::new().expect("an output file");
    let out_path = out.path().to_string_lossy().into_owned();
    let mut args = vec!["get", url, "--archive", &archive, "--output", &out_path];
    args.extend_from_slice(extra);
    let run = linkward.run(args).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    std::fs::read(out.path()).expect("read what get wrote")
}

#[tokio::test]
async fn a_format_1_archive_is_converted_and_every_version_stays_readable() {
    let linkward = Linkward::new();
    let (v1, v2) = (pdf("Programme, first version"), pdf("Programme, second"));
    let note = pdf("Information note");
    let programme = "https://old.example/programme.pdf";
    let info = "https://old.example/note.pdf";
    format_1_archive(
        linkward.archive(),
        &[
            (programme, vec![v1.clone(), v2.clone()]),
            (info, vec![note.clone()]),
        ],
    )
    .await;

    // The first reader converts it.
    assert_eq!(get(&linkward, programme, &["--at", "2026-01-01"]).await, v1);
    assert!(!linkward.archive().join("blobs").exists(), "blobs/ is gone");
    assert_eq!(get(&linkward, programme, &[]).await, v2);
    assert_eq!(get(&linkward, info, &["--at", "2026-01-02"]).await, note);

    let verify = linkward.verify("json").await;
    assert_eq!(verify.code, Some(0), "{}", verify.dump());
    let report = verify.json();
    assert_eq!(report["blobs"], 3, "{report:#}");
    for list in ["corrupt", "missing", "unexpected"] {
        assert_eq!(report[list], serde_json::json!([]), "{list}: {report:#}");
    }

    let outside = tempfile::tempdir().expect("a folder for the bag");
    let out = outside.path().join("bag");
    let export = crate::bagit::export(&linkward, &out).await;
    assert_eq!(export.code, Some(0), "{}", export.dump());
    assert_valid_bag(&out);
    assert_bagit_py_accepts(&out);
}

#[tokio::test]
async fn a_conversion_killed_at_any_moment_is_finished_by_the_next_command() {
    let linkward = Linkward::new();
    // Enough bodies (24 MiB) that a kill lands in the middle of the conversion.
    let docs: Vec<(String, Vec<u8>)> = (0..96)
        .map(|i| {
            (
                format!("https://old.example/doc{i}.pdf"),
                noise(256 * 1024, 2 * i + 1),
            )
        })
        .collect();
    let listed: Vec<(&str, Vec<Vec<u8>>)> = docs
        .iter()
        .map(|(u, b)| (u.as_str(), vec![b.clone()]))
        .collect();
    format_1_archive(linkward.archive(), &listed).await;
    let archive = linkward.archive().to_string_lossy().into_owned();

    for kill_after_ms in [5, 40, 120, 300] {
        let mut child = linkward.spawn(["verify", "--archive", &archive, "--format", "json"]);
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        let _ = child.start_kill();
        let _ = child.wait().await;
    }
    let verify = linkward.verify("json").await;
    assert_eq!(verify.code, Some(0), "{}", verify.dump());
    let report = verify.json();
    assert_eq!(report["blobs"], docs.len() as u64, "{report:#}");
    for list in ["corrupt", "missing", "unexpected"] {
        assert_eq!(report[list], serde_json::json!([]), "{list}: {report:#}");
    }
    assert!(!linkward.archive().join("blobs").exists(), "blobs/ is gone");
    for (url, body) in docs.iter().step_by(17) {
        assert!(get(&linkward, url, &[]).await == *body, "{url}");
    }
}
