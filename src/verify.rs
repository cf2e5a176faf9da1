//! `linkward verify`: the archive proves its own integrity. Every body the store's `bodies`
//! index names is read back from its pack (decoded, streamed, never held whole in memory) and
//! must hash to its name. Every hash the store references (each check's `sha256`, each
//! resource's `last_good_sha256`, each recovered copy) must name an intact stored body. A file
//! left under format 1's `blobs/` (one the upgrade could not move: it no longer hashed to its
//! name) is `unexpected`.
//!
//! Every WARC file under `warc/` is read record by record and each record's WARC-Block-Digest and
//! WARC-Payload-Digest are recomputed from its content (a revisit's payload digest names another
//! record's payload and is not checked against its own block).
//!
//! Invariants: verify holds the archive's lock for its whole walk, so no run writes packs or
//! records while it looks; it never modifies, moves or deletes what it finds (but for moving a
//! format-1 archive's blobs into a pack, as every command does first); it never follows a
//! symlink or opens anything but a regular file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;

use crate::archive::Archive;
use crate::error::Error;
use crate::lock::ArchiveLock;
use crate::model::Sha256;
use crate::model::StoredBody;
use crate::report::verify::{Corrupt, Missing, VerifyReport, WarcProblem};
use crate::store::{Store, VerificationRecord};

/// The folder under the archive root where format 1 kept blobs.
const BLOBS_ROOT: &str = "blobs";
/// The store's folder under the archive root: no store there means no archive to verify.
const STORE_DIR: &str = "db";
/// Most blobs rehashed at once; more only queues on the same disk.
const MAX_PARALLEL_HASHES: usize = 8;

/// Verifies the archive at `archive_dir`. Problems found are in the report; an `Err` means the
/// archive could not be looked at (not there, in use by a run, unreadable folders or store).
pub async fn run(archive_dir: &Path) -> Result<VerifyReport, Error> {
    run_sampled(archive_dir, None).await
}

/// Whether this file is among the `sample` percent checked.
fn in_sample(sample: Option<f64>) -> bool {
    sample.is_none_or(|p| fastrand::f64() * 100.0 < p)
}

/// [`run`], checking only a random `sample` percent of the blob and WARC files when given.
pub async fn run_sampled(archive_dir: &Path, sample: Option<f64>) -> Result<VerifyReport, Error> {
    run_with(archive_dir, sample, true, Duration::ZERO).await
}

/// [`run_sampled`], reading the WARC files again only when `warc` is true (`--blobs-only` skips
/// them: the blobs hold every good body, and a WARC file is a second copy), waiting up to `wait`
/// for a running check to release the archive.
pub async fn run_with(
    archive_dir: &Path,
    sample: Option<f64>,
    warc: bool,
    wait: Duration,
) -> Result<VerifyReport, Error> {
    crate::archive::refuse_non_folder(archive_dir)?;
    // Opening the store would create an empty one: there is nothing to verify without it.
    if !archive_dir.join(STORE_DIR).is_dir() {
        return Err(Error::NoArchive(archive_dir.to_path_buf()));
    }
    // The same lock as `check`: no run writes blobs or records while verify looks.
    let _lock = ArchiveLock::acquire_waiting(archive_dir, wait)?;
    // A linked folder is reported, and nothing is opened through it (opening the archive writes a
    // probe in tmp/, opening the store writes db/).
    let linked = crate::archive::linked_folders(archive_dir);
    if !linked.is_empty() {
        return Ok(VerifyReport {
            symlinks: linked
                .iter()
                .map(|p| {
                    let rel = p.strip_prefix(archive_dir).unwrap_or(p);
                    rel.to_string_lossy().replace('\\', "/")
                })
                .collect(),
            ..VerifyReport::default()
        });
    }
    let store = Store::open(archive_dir)?;
    let archive = Archive::open(archive_dir)?;
    crate::upgrade::ensure_current(&archive, &store).await?;

    let root = archive.root().to_path_buf();
    let listed = store.clone();
    let (files, unexpected) = tokio::task::spawn_blocking(move || stored_bodies(&root, &listed))
        .await
        .map_err(|e| verify_error(archive_dir, io::Error::other(e)))??;
    let (files, skipped): (Vec<BlobFile>, Vec<BlobFile>) =
        files.into_iter().partition(|_| in_sample(sample));
    let mut blobs = rehash(files).await?;
    blobs.extend(skipped.into_iter().map(|f| Rehashed {
        rel: f.rel,
        name: f.name,
        bytes: 0,
        health: Health::Unchecked,
    }));

    let reader = store.clone();
    let mut ledger = tokio::task::spawn_blocking(move || -> Result<Ledger, Error> {
        let store = reader;
        let mut ledger = Ledger::default();
        for check in store.all_checks() {
            let check = check?;
            if let Some(sha) = check.sha256 {
                ledger.check_ref(sha, &check.url, check.run_id);
            }
            if let Some(r) = &check.recovered {
                ledger.check_ref(r.sha256, &check.url, check.run_id);
            }
        }
        for resource in store.all_resources() {
            let resource = resource?;
            if let Some(sha) = resource.last_good_sha256 {
                ledger.resource_ref(sha, &resource.url);
            }
            // A copy recovered from a web archive may be the only one we have: it must be there.
            if let Some(r) = &resource.recovered {
                ledger.resource_ref(r.sha256, &resource.url);
            }
        }
        Ok(ledger)
    })
    .await
    .map_err(|e| verify_error(archive_dir, io::Error::other(e)))??;
    ledger.unexpected = unexpected;
    let mut report = ledger.report(blobs);
    let root = archive.root().to_path_buf();
    report.sampled = sample;
    let warcs = if warc {
        tokio::task::spawn_blocking(move || verify_warcs(&root, sample))
            .await
            .map_err(|e| verify_error(archive_dir, io::Error::other(e)))??
    } else {
        WarcCheck::default()
    };
    report.warc_files = warcs.files;
    report.warc_records = warcs.records;
    report.warc = warcs.problems;
    // Kept so the index can say when the archive was last proven intact, and shown at once.
    store.put_verification(&VerificationRecord {
        at: chrono::Utc::now(),
        clean: report.is_clean(),
        blobs: report.blobs,
        bytes: report.bytes,
        references: report.references,
        warc_records: report.warc_records,
        problems: (report.corrupt.len()
            + report.missing.len()
            + report.unexpected.len()
            + report.warc.len()) as u64,
        sampled: report.sampled,
    })?;
    store.flush().await?;
    crate::index::refresh(&archive, &store);
    Ok(report)
}

/// What reading the WARC files found.
#[derive(Debug, Default)]
struct WarcCheck {
    files: u64,
    records: u64,
    problems: Vec<WarcProblem>,
}

/// Reads every finished WARC file under `warc/` (sorted by name) and rechecks each record's
/// digests. A file a run is still writing (`.open`) is not looked at: no run holds the lock.
fn verify_warcs(root: &Path, sample: Option<f64>) -> Result<WarcCheck, Error> {
    let dir = root.join(crate::warc::WARC_DIR);
    let mut out = WarcCheck::default();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(verify_error(&dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| verify_error(&dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let file_type = entry
            .file_type()
            .map_err(|e| verify_error(&entry.path(), e))?;
        if file_type.is_file() && name.ends_with(crate::warc::FILE_SUFFIX) && in_sample(sample) {
            files.push((name, entry.path()));
        }
    }
    files.sort();
    for (name, path) in files {
        let rel = format!("{}/{name}", crate::warc::WARC_DIR);
        out.files += 1;
        let mut records = 0;
        let mut problems = Vec::new();
        let read = crate::warc::read::read_records(&path, |record| {
            records += 1;
            problems.extend(record_problems(&rel, &record));
        });
        if let Err((offset, e)) = read {
            problems.push(WarcProblem {
                file: rel.clone(),
                offset,
                problem: "unreadable",
                record_id: None,
                target_uri: None,
                expected: Some(e.to_string()),
                actual: None,
            });
        }
        out.records += records;
        out.problems.extend(problems);
    }
    Ok(out)
}

/// The digests of `record` that do not match its content. Only `sha256:<hex>` digests (what
/// linkward writes) can be rechecked; others are left alone.
fn record_problems(file: &str, record: &crate::warc::read::ReadRecord) -> Vec<WarcProblem> {
    let label = |digest: &[u8; 32]| format!("sha256:{}", hex::encode(digest));
    let mut out = Vec::new();
    let mut check = |problem: &'static str, declared: Option<&str>, actual: Option<&[u8; 32]>| {
        let (Some(declared), Some(actual)) = (declared, actual) else {
            return;
        };
        let Some(hex) = declared.strip_prefix("sha256:") else {
            return;
        };
        if !hex.eq_ignore_ascii_case(&hex::encode(actual)) {
            out.push(WarcProblem {
                file: file.to_owned(),
                offset: record.offset,
                problem,
                record_id: record.header("WARC-Record-ID").map(str::to_owned),
                target_uri: record.header("WARC-Target-URI").map(str::to_owned),
                expected: Some(declared.to_owned()),
                actual: Some(label(actual)),
            });
        }
    };
    check(
        "block-digest",
        record.header("WARC-Block-Digest"),
        Some(&record.block_sha256),
    );
    if record.header("WARC-Type") != Some("revisit") {
        check(
            "payload-digest",
            record.header("WARC-Payload-Digest"),
            record.payload_sha256.as_ref(),
        );
    }
    out
}

fn verify_error(path: &Path, source: io::Error) -> Error {
    Error::Verify {
        path: path.to_path_buf(),
        source,
    }
}

/// A body the store says is in a pack.
#[derive(Debug)]
struct BlobFile {
    /// Where: `warc/<file>@<offset>`.
    rel: String,
    root: PathBuf,
    stored: StoredBody,
    name: Sha256,
}

/// Every body the `bodies` index names, and every file left under format 1's `blobs/` (as
/// unexpected). Folders are only descended; nothing is followed or opened.
fn stored_bodies(root: &Path, store: &Store) -> Result<(Vec<BlobFile>, Vec<String>), Error> {
    let mut files = Vec::new();
    for body in store.all_bodies() {
        let (name, stored) = body?;
        // A body whose pack is gone is not there: every reference to it is missing.
        if crate::bodies::pack_path(root, &stored.file).is_none() {
            continue;
        }
        files.push(BlobFile {
            rel: format!(
                "{}/{}@{}",
                crate::warc::WARC_DIR,
                stored.file,
                stored.offset
            ),
            root: root.to_path_buf(),
            stored,
            name,
        });
    }
    let mut unexpected = Vec::new();
    let mut dirs = vec![(root.join(BLOBS_ROOT), BLOBS_ROOT.to_owned())];
    while let Some((dir, rel_dir)) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(verify_error(&dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| verify_error(&dir, e))?;
            let rel = format!("{rel_dir}/{}", entry.file_name().to_string_lossy());
            let file_type = entry
                .file_type()
                .map_err(|e| verify_error(&entry.path(), e))?;
            if file_type.is_dir() {
                dirs.push((entry.path(), rel));
            } else {
                unexpected.push(rel);
            }
        }
    }
    unexpected.sort();
    Ok((files, unexpected))
}

/// The sha256 and length of a stored body, read back from its pack.
fn hash_stored(root: &Path, stored: &StoredBody) -> io::Result<(Sha256, u64)> {
    use sha2::Digest;
    use std::io::BufRead;
    let mut reader = crate::bodies::open_stored(root, stored).map_err(|(_, e)| e)?;
    let mut hasher = sha2::Sha256::new();
    let mut len = 0u64;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok((Sha256(hasher.finalize().into()), len));
        }
        hasher.update(buf);
        let n = buf.len();
        len += n as u64;
        reader.consume(n);
    }
}

/// What rehashing one blob file found.
#[derive(Debug, PartialEq)]
enum Health {
    Intact,
    /// Left out of a `--sample`d verify: there, not rehashed.
    Unchecked,
    /// Holds other bytes (`actual`) or could not be read (`error`).
    Corrupt {
        actual: Option<Sha256>,
        error: Option<String>,
    },
}

/// One rehashed blob file.
#[derive(Debug)]
struct Rehashed {
    rel: String,
    name: Sha256,
    bytes: u64,
    health: Health,
}

/// Rehashes every blob file, a few at a time on the blocking pool.
async fn rehash(files: Vec<BlobFile>) -> Result<Vec<Rehashed>, Error> {
    let parallel = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_PARALLEL_HASHES);
    let mut hashed = futures_util::stream::iter(files)
        .map(|file| async move {
            let path = file.root.clone();
            tokio::task::spawn_blocking(move || {
                let (bytes, health) = match hash_stored(&file.root, &file.stored) {
                    Ok((actual, bytes)) if actual == file.name => (bytes, Health::Intact),
                    Ok((actual, bytes)) => (
                        bytes,
                        Health::Corrupt {
                            actual: Some(actual),
                            error: None,
                        },
                    ),
                    Err(e) => (
                        file.stored.bytes,
                        Health::Corrupt {
                            actual: None,
                            error: Some(e.to_string()),
                        },
                    ),
                };
                Rehashed {
                    rel: file.rel,
                    name: file.name,
                    bytes,
                    health,
                }
            })
            .await
            .map_err(|e| verify_error(&path, io::Error::other(e)))
        })
        .buffer_unordered(parallel);
    let mut out = Vec::new();
    while let Some(r) = hashed.next().await {
        out.push(r?);
    }
    Ok(out)
}

/// The store's references, collected and then checked against the rehashed blobs.
#[derive(Debug, Default)]
struct Ledger {
    references: u64,
    /// (url, sha256) → the runs whose checks kept it.
    checks: BTreeMap<(String, Sha256), BTreeSet<u64>>,
    /// (url, sha256) of each resource's last good copy.
    last_good: BTreeSet<(String, Sha256)>,
    unexpected: Vec<String>,
}

impl Ledger {
    fn check_ref(&mut self, sha: Sha256, url: &str, run_id: u64) {
        self.references += 1;
        self.checks
            .entry((url.to_owned(), sha))
            .or_default()
            .insert(run_id);
    }

    fn resource_ref(&mut self, sha: Sha256, url: &str) {
        self.references += 1;
        self.last_good.insert((url.to_owned(), sha));
    }

    /// Checks every reference against `blobs`. A resource's last good copy is nearly always also
    /// a check's: it is reported under that check's run, and with no run only when no check of
    /// that URL kept it.
    fn report(self, blobs: Vec<Rehashed>) -> VerifyReport {
        let health: HashMap<Sha256, &Health> = blobs.iter().map(|b| (b.name, &b.health)).collect();
        let mut missing = Vec::new();
        let mut referrers: HashMap<Sha256, BTreeSet<String>> = HashMap::new();
        let only_last_good = self
            .last_good
            .iter()
            .filter(|key| !self.checks.contains_key(*key))
            .map(|key| (key, None));
        let by_check = self
            .checks
            .iter()
            .flat_map(|(key, runs)| runs.iter().map(move |&run| (key, Some(run))));
        for ((url, sha), run_id) in by_check.chain(only_last_good) {
            match health.get(sha) {
                Some(Health::Intact | Health::Unchecked) => {}
                Some(Health::Corrupt { .. }) => {
                    referrers.entry(*sha).or_default().insert(url.clone());
                }
                None => missing.push(Missing {
                    sha256: *sha,
                    url: url.clone(),
                    run_id,
                }),
            }
        }
        missing.sort_by(|a, b| (&a.url, a.run_id, a.sha256).cmp(&(&b.url, b.run_id, b.sha256)));

        let mut corrupt: Vec<Corrupt> = blobs
            .iter()
            .filter_map(|b| match &b.health {
                Health::Intact | Health::Unchecked => None,
                Health::Corrupt { actual, error } => Some(Corrupt {
                    path: b.rel.clone(),
                    expected: b.name,
                    actual: *actual,
                    urls: referrers
                        .get(&b.name)
                        .map(|urls| urls.iter().cloned().collect())
                        .unwrap_or_default(),
                    error: error.clone(),
                }),
            })
            .collect();
        corrupt.sort_by(|a, b| a.path.cmp(&b.path));

        let checked = || blobs.iter().filter(|b| b.health != Health::Unchecked);
        VerifyReport {
            blobs: checked().count() as u64,
            bytes: checked().map(|b| b.bytes).sum(),
            references: self.references,
            corrupt,
            missing,
            unexpected: self.unexpected,
            ..VerifyReport::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const HELLO: &str = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

    fn sha(hex: &str) -> Result<Sha256, Box<dyn std::error::Error>> {
        Ok(hex.parse()?)
    }

    fn rehashed(name: Sha256, health: Health) -> Rehashed {
        Rehashed {
            rel: format!("warc/pack.warc.gz@{}", name.0[0]),
            name,
            bytes: 10,
            health,
        }
    }

    #[test]
    fn hashing_streams_a_file_larger_than_the_buffer() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("big");
        let body: Vec<u8> = (0..(3 * crate::archive::FILE_CHUNK + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&path, &body)?;
        let (hash, bytes) = crate::archive::hash_file(&path)?;
        assert_eq!(
            hash,
            Sha256(<sha2::Sha256 as sha2::Digest>::digest(&body).into())
        );
        assert_eq!(bytes, body.len() as u64);
        Ok(())
    }

    #[test]
    fn references_to_absent_blobs_are_missing_and_corrupt_blobs_name_their_urls() -> TestResult {
        let intact = sha(HELLO)?;
        let damaged = Sha256([1; 32]);
        let gone = Sha256([2; 32]);
        let mut ledger = Ledger::default();
        ledger.check_ref(intact, "http://a/ok", 1);
        ledger.resource_ref(intact, "http://a/ok");
        ledger.check_ref(damaged, "http://a/damaged", 1);
        ledger.check_ref(damaged, "http://b/same-bytes", 2);
        ledger.check_ref(gone, "http://a/gone", 1);
        ledger.check_ref(gone, "http://a/gone", 3);
        ledger.resource_ref(gone, "http://a/gone");
        // A last good copy no check of that URL kept (a store that lost a record).
        ledger.resource_ref(gone, "http://c/orphan");

        let report = ledger.report(vec![
            rehashed(intact, Health::Intact),
            rehashed(
                damaged,
                Health::Corrupt {
                    actual: Some(Sha256([9; 32])),
                    error: None,
                },
            ),
        ]);

        assert_eq!(report.blobs, 2);
        assert_eq!(report.bytes, 20);
        assert_eq!(report.references, 8);
        let missing: Vec<(&str, Option<u64>)> = report
            .missing
            .iter()
            .map(|m| (m.url.as_str(), m.run_id))
            .collect();
        assert_eq!(
            missing,
            [
                ("http://a/gone", Some(1)),
                ("http://a/gone", Some(3)),
                ("http://c/orphan", None)
            ]
        );
        assert!(report.missing.iter().all(|m| m.sha256 == gone));
        assert_eq!(report.corrupt.len(), 1);
        assert_eq!(report.corrupt[0].path, "warc/pack.warc.gz@1");
        assert_eq!(
            report.corrupt[0].urls,
            ["http://a/damaged", "http://b/same-bytes"]
        );
        assert!(!report.is_clean());
        Ok(())
    }

    #[test]
    fn a_blob_left_out_of_a_sample_is_neither_counted_nor_missing() -> TestResult {
        let skipped = sha(HELLO)?;
        let mut ledger = Ledger::default();
        ledger.check_ref(skipped, "http://a/ok", 1);
        let report = ledger.report(vec![rehashed(skipped, Health::Unchecked)]);
        assert_eq!((report.blobs, report.bytes), (0, 0));
        assert!(report.is_clean(), "{report:?}");
        Ok(())
    }

    #[tokio::test]
    async fn a_folder_without_a_store_is_no_archive_and_is_left_untouched() -> TestResult {
        let dir = tempfile::tempdir()?;
        let absent = dir.path().join("nowhere");
        let err = run(&absent)
            .await
            .err()
            .ok_or("verify of nothing succeeded")?;
        assert!(matches!(err, Error::NoArchive(_)), "{err}");
        assert!(!absent.exists(), "verify must not create an archive");

        let err = run(dir.path())
            .await
            .err()
            .ok_or("verify of an empty dir succeeded")?;
        assert!(matches!(err, Error::NoArchive(_)), "{err}");
        assert_eq!(
            std::fs::read_dir(dir.path())?.count(),
            0,
            "nothing may be created"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_real_archive_with_a_corrupt_a_missing_and_a_stray_file() -> TestResult {
        use crate::fetch::capture::{Capture, CaptureSink, CapturedBody, CapturedRequest};
        use crate::fetch::capture::{CapturedResponse, KeptBody};
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let sink = crate::warc::WarcSink::open(
            dir.path(),
            &crate::warc::RunInfo {
                started: chrono::Utc::now(),
                run_id: 1,
                seeds: Vec::new(),
            },
            std::sync::Arc::new(store.clone()),
            crate::warc::WarcOptions::default(),
        )?;
        let keep = |url: &str, body: &[u8]| -> Result<Sha256, Box<dyn std::error::Error>> {
            let sha = Sha256(<sha2::Sha256 as sha2::Digest>::digest(body).into());
            sink.capture(Capture {
                target_uri: url.parse()?,
                date: chrono::Utc::now(),
                remote_ip: None,
                request: CapturedRequest {
                    method: "GET".into(),
                    target: "/".into(),
                    headers: Vec::new(),
                },
                response: CapturedResponse {
                    version: "HTTP/1.1".into(),
                    status: 200,
                    reason: "OK".into(),
                    headers: Vec::new(),
                },
                body: CapturedBody::Memory {
                    bytes: body.to_vec(),
                    truncated: false,
                },
                kept: Some(KeptBody {
                    sha256: sha,
                    bytes: body.len() as u64,
                    encoding: None,
                    content_type: None,
                }),
                held: None,
                decoded: None,
            });
            store.record_check(&crate::store::CheckRecord {
                run_id: 1,
                url: url.into(),
                state: crate::State::Ok,
                sha256: Some(sha),
                ..Default::default()
            })?;
            Ok(sha)
        };
        keep("http://a/good", b"hello world")?;
        // Incompressible, so the member holds the bytes as they are and one flip damages them.
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let damaged = keep("http://a/damaged", &noise)?;
        let gone = Sha256([2; 32]);
        let pack = sink.finish()?.ok_or("no pack")?;
        store.record_check(&crate::store::CheckRecord {
            run_id: 1,
            url: "http://a/gone".into(),
            state: crate::State::Ok,
            sha256: Some(gone),
            ..Default::default()
        })?;
        store.flush().await?;
        let at = store.body(&damaged)?.ok_or("not stored")?;
        drop(store);

        let mut bytes = std::fs::read(&pack)?;
        let middle = usize::try_from(at.offset + at.length / 2)?;
        bytes[middle] ^= 0xff;
        std::fs::write(&pack, &bytes)?;
        std::fs::create_dir_all(dir.path().join("blobs"))?;
        std::fs::write(dir.path().join("blobs/stray.txt"), b"?")?;

        let report = run_with(dir.path(), None, false, Duration::ZERO).await?;
        assert_eq!(report.blobs, 2);
        assert_eq!(report.references, 6);
        assert_eq!(report.corrupt.len(), 1, "{report:?}");
        assert_eq!(
            report.corrupt[0].path,
            format!("warc/{}@{}", at.file, at.offset)
        );
        assert_eq!(report.corrupt[0].urls, ["http://a/damaged"]);
        assert_eq!(
            report.missing,
            [Missing {
                sha256: gone,
                url: "http://a/gone".into(),
                run_id: Some(1)
            }]
        );
        assert_eq!(report.unexpected, ["blobs/stray.txt"]);
        Ok(())
    }
}
