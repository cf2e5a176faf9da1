//! Upgrading an archive of format 1 (every body a durable file under `blobs/`) to packs: each
//! blob is rehashed, appended to an upgrade pack as a WARC `resource` record, and removed only
//! once that pack is durable and indexed. Resumable after a kill at any moment: a blob still
//! there is either indexed already (then only removed) or appended again; a record appended but
//! never indexed is an unnamed extra copy, never a missing one. Runs under the archive's lock,
//! when `check`, `verify`, `index`, `get` or `export` first opens such an archive.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::archive::{Archive, hash_file};
use crate::error::Error;
use crate::model::Sha256;
use crate::store::Store;
use crate::warc::{RunInfo, WarcOptions, WarcSink};

/// Blob bytes appended between two commits: a kill repeats at most this much work.
const BATCH_BYTES: u64 = 64 * 1024 * 1024;
/// Format 1's WARC payload index, replaced by the store's `bodies` tree.
const OLD_PAYLOAD_INDEX: &str = "payloads.json";

/// What the store says about a blob: a URL it was fetched from, its type and when.
struct Origin {
    url: String,
    content_type: Option<String>,
    at: DateTime<Utc>,
}

/// Moves every format-1 blob into a pack. Does nothing (one folder lookup) on a current archive.
pub async fn ensure_current(archive: &Archive, store: &Store) -> Result<(), Error> {
    if !archive.legacy_blobs_dir().is_dir() {
        return Ok(());
    }
    let (archive, store) = (archive.clone(), store.clone());
    tokio::task::spawn_blocking(move || convert(&archive, &store))
        .await
        .map_err(|e| Error::Upgrade(std::io::Error::other(e)))??;
    Ok(())
}

/// [`ensure_current`] for a caller off the async runtime (commands that only read).
pub fn ensure_current_blocking(archive_root: &Path, store: &Store) -> Result<(), Error> {
    let archive = Archive::open(archive_root)?;
    if !archive.legacy_blobs_dir().is_dir() {
        return Ok(());
    }
    convert(&archive, store)
}

fn convert(archive: &Archive, store: &Store) -> Result<(), Error> {
    let blobs = legacy_blobs(&archive.legacy_blobs_dir()).map_err(Error::Upgrade)?;
    if !blobs.is_empty() {
        tracing::info!(
            "moving {} format-1 blobs of {} into a pack",
            blobs.len(),
            archive.root().display()
        );
        let origins = origins(store)?;
        // Opened at the first blob that needs it: a resumed upgrade may have none left to move.
        let mut pack: Option<WarcSink> = None;
        let mut batch: Vec<PathBuf> = Vec::new();
        let mut batch_bytes = 0u64;
        let stored = crate::bodies::Bodies::new(archive.root(), store.clone());
        for (sha, path) in blobs {
            if store.body(&sha)?.is_some() {
                // Moved by an earlier, interrupted upgrade: the blob goes only once the packed
                // copy reads back whole; otherwise both stay for `verify` to show.
                if stored.copy_into(&sha, &mut std::io::sink()).is_ok() {
                    remove(&path);
                } else {
                    tracing::warn!(
                        "{} is indexed but its packed copy does not read back; left in place (run `linkward verify`)",
                        path.display()
                    );
                }
                continue;
            }
            let (actual, len) = hash_file(&path).map_err(Error::Upgrade)?;
            if actual != sha {
                // Damaged: kept where it is for `verify` to report; the store still names it.
                tracing::warn!(
                    "{} does not hash to its name; left in place (run `linkward verify`)",
                    path.display()
                );
                continue;
            }
            let (uri, content_type, at) = match origins.get(&sha) {
                Some(o) => (
                    o.url.clone(),
                    o.content_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    o.at,
                ),
                None => (
                    format!("urn:sha256:{sha}"),
                    "application/octet-stream".into(),
                    Utc::now(),
                ),
            };
            let sink = match pack.as_mut() {
                Some(sink) => sink,
                None => pack.insert(WarcSink::open(
                    archive.root(),
                    &RunInfo {
                        started: Utc::now(),
                        run_id: 0,
                        seeds: vec!["format-1 blobs, moved into this pack".into()],
                    },
                    Arc::new(store.clone()),
                    WarcOptions::default(),
                )?),
            };
            sink.store_resource(&uri, &content_type, at, &path, sha)?;
            batch.push(path);
            batch_bytes += len;
            if batch_bytes >= BATCH_BYTES {
                sink.commit()?;
                batch.drain(..).for_each(|p| remove(&p));
                batch_bytes = 0;
            }
        }
        if let Some(sink) = pack {
            sink.commit()?;
            batch.drain(..).for_each(|p| remove(&p));
            sink.finish()?;
        }
    }
    remove_empty_folders(&archive.legacy_blobs_dir());
    let old_index = archive
        .root()
        .join(crate::warc::WARC_DIR)
        .join(OLD_PAYLOAD_INDEX);
    if old_index.is_file() {
        remove(&old_index);
    }
    Ok(())
}

/// Every file under `blobs/sha256/aa/bb/` named by a hash, with that hash.
fn legacy_blobs(dir: &Path) -> std::io::Result<Vec<(Sha256, PathBuf)>> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    for _ in 0..2 {
        let mut next = Vec::new();
        for folder in &folders {
            for entry in std::fs::read_dir(folder)?.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push(entry.path());
                }
            }
        }
        folders = next;
    }
    for folder in folders {
        for entry in std::fs::read_dir(&folder)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().is_ok_and(|t| t.is_file())
                && let Ok(sha) = name.parse::<Sha256>()
            {
                out.push((sha, entry.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// For every hash the store names, a URL that had it, its type and when it was fetched.
fn origins(store: &Store) -> Result<HashMap<Sha256, Origin>, Error> {
    let mut out: HashMap<Sha256, Origin> = HashMap::new();
    for resource in store.all_resources() {
        let r = resource?;
        if let (Some(sha), Some(at)) = (r.last_good_sha256, r.last_good_at) {
            out.entry(sha).or_insert(Origin {
                url: r.url.clone(),
                content_type: r.last_good_content_type.clone(),
                at,
            });
        }
        if let Some(copy) = &r.recovered {
            out.entry(copy.sha256).or_insert(Origin {
                url: copy.fetched_url.clone(),
                content_type: copy.content_type.clone(),
                at: copy.recovered_at,
            });
        }
    }
    for check in store.all_checks() {
        let c = check?;
        if let Some(sha) = c.sha256 {
            out.entry(sha).or_insert(Origin {
                url: c.url.clone(),
                content_type: c.content_type.clone(),
                at: c.checked_at,
            });
        }
    }
    Ok(out)
}

/// Removes a file whose content is safe elsewhere; one that stays is only an extra copy.
fn remove(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!("could not remove {}: {e}", path.display());
    }
}

/// Removes `blobs/` once it holds nothing but empty folders.
fn remove_empty_folders(blobs_sha256: &Path) {
    let mut folders = vec![blobs_sha256.to_path_buf()];
    let mut all = Vec::new();
    while let Some(folder) = folders.pop() {
        if let Ok(entries) = std::fs::read_dir(&folder) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    folders.push(entry.path());
                }
            }
        }
        all.push(folder);
    }
    // Deepest first; a folder that still holds a file (a damaged blob) stays.
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for folder in all {
        let _ = std::fs::remove_dir(folder);
    }
    if let Some(blobs) = blobs_sha256.parent() {
        let _ = std::fs::remove_dir(blobs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bodies::Bodies;
    use crate::store::CheckRecord;
    use std::io::Read;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn sha_of(body: &[u8]) -> Sha256 {
        Sha256(<sha2::Sha256 as sha2::Digest>::digest(body).into())
    }

    /// A blob as format 1 wrote it, with a check naming it.
    fn legacy(archive: &Archive, store: &Store, url: &str, body: &[u8]) -> TestResult {
        let sha = sha_of(body);
        let path = archive.legacy_blob_path(&sha);
        std::fs::create_dir_all(path.parent().ok_or("no parent")?)?;
        std::fs::write(&path, body)?;
        store.record_check(&CheckRecord {
            run_id: 1,
            url: url.into(),
            state: crate::State::Ok,
            sha256: Some(sha),
            bytes: Some(body.len() as u64),
            content_type: Some("application/pdf".into()),
            ..CheckRecord::default()
        })?;
        Ok(())
    }

    fn read(bodies: &Bodies, body: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let mut out = Vec::new();
        bodies.open(&sha_of(body))?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[tokio::test]
    async fn format_1_blobs_move_into_a_pack_and_read_back_the_same() -> TestResult {
        let dir = tempfile::tempdir()?;
        let archive = Archive::open(dir.path())?;
        let store = Store::open(dir.path())?;
        let bodies: [&[u8]; 3] = [b"%PDF-1.4 one", b"%PDF-1.4 two", b""];
        for (i, body) in bodies.iter().enumerate() {
            legacy(&archive, &store, &format!("http://a/{i}.pdf"), body)?;
        }
        // A blob that no longer hashes to its name stays where it is, for verify to report.
        let damaged = archive.legacy_blob_path(&sha_of(b"%PDF-1.4 lost"));
        std::fs::create_dir_all(damaged.parent().ok_or("no parent")?)?;
        std::fs::write(&damaged, b"bit rot")?;
        std::fs::create_dir_all(dir.path().join("warc"))?;
        std::fs::write(dir.path().join("warc/payloads.json"), b"{}")?;

        ensure_current(&archive, &store).await?;

        let reader = Bodies::new(dir.path(), store.clone());
        for body in bodies {
            assert_eq!(read(&reader, body)?, body);
            assert!(!archive.legacy_blob_path(&sha_of(body)).exists());
        }
        assert!(damaged.is_file(), "the damaged blob is left alone");
        assert!(!dir.path().join("warc/payloads.json").exists());
        let packs = std::fs::read_dir(dir.path().join("warc"))?.count();
        assert_eq!(packs, 1, "one upgrade pack");

        // Killed after the commit but before the removal: the blob is only removed now.
        let again = archive.legacy_blob_path(&sha_of(bodies[0]));
        std::fs::create_dir_all(again.parent().ok_or("no parent")?)?;
        std::fs::write(&again, bodies[0])?;
        ensure_current(&archive, &store).await?;
        assert!(!again.exists());
        assert_eq!(
            std::fs::read_dir(dir.path().join("warc"))?.count(),
            1,
            "no new pack"
        );
        assert_eq!(read(&reader, bodies[0])?, bodies[0]);
        Ok(())
    }
}
