//! Issue 14: the archive's own folders are never written or cleaned through a symbolic link. A
//! symlinked `tmp/` (whose stale-temp cleanup once deleted files outside the archive), `db/`,
//! `warc/` or `files/` folder is refused with exit 2, naming it, and nothing outside is touched.

use std::path::Path;

use crate::changes::store_command;
use crate::common::{Behaviour, Linkward, TestServer, pdf};

/// A real archive with one run in it, over a server that lists one PDF.
async fn archive_with_a_run() -> (TestServer, Linkward, String) {
    let server = TestServer::start([("/a.pdf", Behaviour::ok("application/pdf", pdf("A")))]).await;
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[server.url("/a.pdf")]);
    let seed = seed.to_string_lossy().into_owned();
    let run = linkward.check(&[&seed], &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    (server, linkward, seed)
}

/// Moves `folder` of the archive outside it and leaves a symbolic link in its place; returns
/// the folder outside, with a decoy file that looks like a stale temp file.
fn link_out(archive: &Path, folder: &str, outside: &Path) -> std::path::PathBuf {
    let inside = archive.join(folder);
    let target = outside.join(folder.replace('/', "-"));
    std::fs::rename(&inside, &target).expect("move the folder out");
    std::fs::write(target.join("part-decoy"), b"not the archive's").expect("decoy");
    std::os::unix::fs::symlink(&target, &inside).expect("symlink");
    target
}

#[tokio::test]
async fn a_symlinked_archive_folder_is_refused_naming_it_and_nothing_outside_is_touched() {
    for folder in ["tmp", "db", "warc", "files"] {
        let (_server, linkward, seed) = archive_with_a_run().await;
        let outside = tempfile::TempDir::new().expect("outside dir");
        let target = link_out(linkward.archive(), folder, outside.path());

        let run = linkward.check(&[&seed], &[]).await;
        run.assert_usage_error();
        assert!(
            run.stderr
                .contains(&format!("{folder} is a symbolic link inside the archive")),
            "{folder}: {}",
            run.dump()
        );
        assert!(
            target.join("part-decoy").is_file(),
            "{folder}: the file outside the archive was deleted"
        );
        // Readers refuse it too.
        let report = store_command(&linkward, "report", &["--format", "json"]).await;
        report.assert_usage_error();
        assert!(report.stderr.contains("symbolic link"), "{}", report.dump());
    }
}

#[tokio::test]
async fn a_symlinked_format_1_blob_folder_is_refused() {
    let (_server, linkward, seed) = archive_with_a_run().await;
    // What a format-1 archive that the upgrade has not reached yet holds.
    let blobs = linkward.archive().join("blobs/sha256/ab");
    std::fs::create_dir_all(&blobs).expect("blob folder");
    let outside = tempfile::TempDir::new().expect("outside dir");
    let target = link_out(linkward.archive(), "blobs/sha256/ab", outside.path());

    let run = linkward.check(&[&seed], &[]).await;
    run.assert_usage_error();
    assert!(
        run.stderr
            .contains("ab is a symbolic link inside the archive"),
        "{}",
        run.dump()
    );
    assert!(target.join("part-decoy").is_file());
}

#[tokio::test]
async fn verify_reports_symlinked_folders_without_reading_through_them() {
    let (_server, linkward, _seed) = archive_with_a_run().await;
    let outside = tempfile::TempDir::new().expect("outside dir");
    let target = link_out(linkward.archive(), "tmp", outside.path());
    let before: Vec<_> = std::fs::read_dir(&target)
        .expect("outside")
        .flatten()
        .collect();

    let text = linkward.verify("terminal").await;
    assert_eq!(text.code, Some(1), "{}", text.dump());
    assert!(text.stdout.contains("symlink     tmp"), "{}", text.dump());
    let json = linkward.verify("json").await;
    assert_eq!(json.code, Some(1), "{}", json.dump());
    assert_eq!(
        json.json()["symlinks"],
        serde_json::json!(["tmp"]),
        "{}",
        json.dump()
    );
    let after: Vec<_> = std::fs::read_dir(&target)
        .expect("outside")
        .flatten()
        .collect();
    assert_eq!(before.len(), after.len(), "verify wrote through the link");
}
