//! The archive folder's own files: its folders (none of which may be a symbolic link), the
//! `tmp/` folder where a body lands while it is downloaded and hashed, and the streaming of files.
//! A body's temp file is never made durable: the body is kept by appending it to the run's pack
//! (`warc`), which is fsynced in batches (see `check`); the temp file only feeds the pack, the
//! inspection and the `files/` view, and is deleted when the last of them lets go of it.
//!
//! Format 1 kept every body as its own durable file at `blobs/sha256/<2 hex>/<2 hex>/<64 hex>`;
//! `legacy_blob_path` names them for the upgrade (`upgrade`), which moves them into a pack.

use std::io;
use std::path::{Path, PathBuf};

use std::io::Write;

use sha2::Digest;

use crate::model::Sha256;

/// Where format 1 kept its blobs, below the archive root.
const BLOBS_DIR: &str = "blobs/sha256";
const TEMP_DIR: &str = "tmp";
const TEMP_PREFIX: &str = "part-";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive directory {} is not usable: {source}; pass a writable folder with --archive", path.display())]
    Unusable { path: PathBuf, source: io::Error },
    #[error("could not write to the archive at {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("the archive path {} is not a folder; pass a folder (or a path that does not exist yet) with --archive", path.display())]
    NotAFolder { path: PathBuf },
    #[error("{} is a symbolic link inside the archive, and linkward never writes or cleans through one; replace it with a real folder (move its contents in)", path.display())]
    Linked { path: PathBuf },
}

/// The archive's own folders. linkward writes, renames and deletes inside them, so none may be a
/// symbolic link: through one it would write, or clean stale temp files, outside the archive.
const OWN_FOLDERS: [&str; 6] = ["tmp", "db", "warc", "files", "blobs", BLOBS_DIR];

/// Refuses an archive any of whose own folders (including every blob folder, `aa/` and
/// `aa/bb/`) is a symbolic link, naming the first.
pub fn refuse_linked_folders(root: &Path) -> Result<(), ArchiveError> {
    match linked_folders(root).into_iter().next() {
        Some(path) => Err(ArchiveError::Linked { path }),
        None => Ok(()),
    }
}

/// The archive's own folders (every blob folder too) that are symbolic links. Reads folder
/// entries' types only (no file is opened), so it costs a few hundred directory reads at most.
pub fn linked_folders(root: &Path) -> Vec<PathBuf> {
    let linked =
        |path: &Path| std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let mut found: Vec<PathBuf> = OWN_FOLDERS
        .iter()
        .map(|folder| root.join(folder))
        .filter(|path| linked(path))
        .collect();
    if !found.is_empty() {
        // Blob folders below a linked one are not looked into.
        return found;
    }
    let mut folders = vec![root.join(BLOBS_DIR)];
    for depth in 0..2 {
        let mut next = Vec::new();
        for folder in &folders {
            let Ok(entries) = std::fs::read_dir(folder) else {
                continue;
            };
            for entry in entries.flatten() {
                match entry.file_type() {
                    Ok(t) if t.is_symlink() => found.push(entry.path()),
                    Ok(t) if t.is_dir() && depth == 0 => next.push(entry.path()),
                    _ => {}
                }
            }
        }
        folders = next;
    }
    found.sort();
    found
}

/// A body downloaded and hashed: its hash, its length and, while anyone still needs it, where
/// its bytes are (a temp file deleted when the last clone is dropped, or, for a small body, the
/// buffer it was read into).
#[derive(Clone, Debug)]
pub struct Blob {
    pub sha256: Sha256,
    pub bytes: u64,
    pub held: Option<Held>,
}

/// Where a body just downloaded is held while the run needs it.
#[derive(Clone, Debug)]
pub enum Held {
    /// A temp file under `tmp/`, deleted when the last clone is dropped.
    File(std::sync::Arc<tempfile::TempPath>),
    /// A body smaller than `WRITE_BATCH`: it never left the buffer it was read into, so it
    /// costs no temp file, no write and no read back (most pages and many documents).
    Memory(std::sync::Arc<Vec<u8>>),
}

impl Held {
    /// The body's bytes from the start, streamed.
    pub fn reader(&self) -> io::Result<Box<dyn io::Read + Send + '_>> {
        Ok(match self {
            Held::File(path) => Box::new(std::fs::File::open(path.as_ref() as &Path)?),
            Held::Memory(bytes) => Box::new(bytes.as_slice()),
        })
    }

    /// The temp file holding the body, when it is in one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Held::File(path) => Some(path.as_ref()),
            Held::Memory(_) => None,
        }
    }

    /// The body's bytes, when they are in memory.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Held::File(_) => None,
            Held::Memory(bytes) => Some(bytes),
        }
    }
}

impl Blob {
    /// A body known by hash alone (nothing at hand).
    pub fn known(sha256: Sha256, bytes: u64) -> Blob {
        Blob {
            sha256,
            bytes,
            held: None,
        }
    }

    /// Where the body's bytes are, while it is kept.
    pub fn held(&self) -> Option<&Held> {
        self.held.as_ref()
    }
}

/// Two blobs are the same body when their hashes and lengths are; where each sits does not count.
impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        self.sha256 == other.sha256 && self.bytes == other.bytes
    }
}

impl Eq for Blob {}

/// The archive root and the operations on its blob files.
#[derive(Clone, Debug)]
pub struct Archive {
    root: PathBuf,
}

/// An archive path that exists must be a folder: a file there would otherwise surface as
/// `File exists (os error 17)` from creating the folders inside it.
pub fn refuse_non_folder(root: &Path) -> Result<(), ArchiveError> {
    match root.metadata() {
        Ok(meta) if !meta.is_dir() => Err(ArchiveError::NotAFolder {
            path: root.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

impl Archive {
    /// Creates the layout if needed and proves the folder is writable.
    pub fn open(root: &Path) -> Result<Archive, ArchiveError> {
        let unusable = |source| ArchiveError::Unusable {
            path: root.to_path_buf(),
            source,
        };
        refuse_non_folder(root)?;
        std::fs::create_dir_all(root).map_err(unusable)?;
        refuse_linked_folders(root)?;
        std::fs::create_dir_all(root.join(TEMP_DIR)).map_err(unusable)?;
        let probe = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(root.join(TEMP_DIR))
            .map_err(unusable)?;
        drop(probe);
        Ok(Archive {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where format 1 kept the blob of `sha`, relative to the archive root.
    pub fn legacy_relative_path(sha: &Sha256) -> String {
        let hex = sha.to_hex();
        format!("{BLOBS_DIR}/{}/{}/{hex}", &hex[0..2], &hex[2..4])
    }

    /// Where format 1 kept the blob of `sha`.
    pub fn legacy_blob_path(&self, sha: &Sha256) -> PathBuf {
        self.root.join(Self::legacy_relative_path(sha))
    }

    /// The folder format 1 kept its blobs in.
    pub fn legacy_blobs_dir(&self) -> PathBuf {
        self.root.join(BLOBS_DIR)
    }

    /// Removes temp files left by a run that died; call only while holding the store's lock.
    pub fn remove_stale_temp_files(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(self.root.join(TEMP_DIR)) else {
            return 0;
        };
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
            .filter(|e| std::fs::remove_file(e.path()).is_ok())
            .count()
    }

    /// A temp file under `tmp/` (removed when the path is dropped, or by the next run if this
    /// one dies), for bytes that are not a blob: a raw body on its way into a WARC file.
    pub fn temp_file(&self) -> Result<(tokio::fs::File, tempfile::TempPath), ArchiveError> {
        let (file, path) = self.std_temp_file()?;
        Ok((tokio::fs::File::from_std(file), path))
    }

    /// A temp file under `tmp/`, for bytes on their way somewhere (removed like `temp_file`'s).
    pub fn std_temp_file(&self) -> Result<(std::fs::File, tempfile::TempPath), ArchiveError> {
        let dir = self.root.join(TEMP_DIR);
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&dir)
            .map_err(|source| ArchiveError::Write { path: dir, source })?;
        Ok(temp.into_parts())
    }

    /// Starts a new blob: bytes go into a running sha256 and a buffer, and to a temp file once
    /// they outgrow the buffer.
    pub fn writer(&self) -> BlobWriter {
        self.writer_for(None)
    }

    /// `writer`, for a body of `expected` bytes when that is known: a small one is held in a
    /// buffer of just its size.
    pub fn writer_for(&self, expected: Option<usize>) -> BlobWriter {
        BlobWriter {
            archive: self.clone(),
            file: None,
            pending: Vec::with_capacity(expected.map_or(0, |n| n.min(WRITE_BATCH))),
            hasher: sha2::Sha256::new(),
            bytes: 0,
            failed: false,
        }
    }
}

/// Body bytes gathered before they are written: a network read is often a few KiB, and each
/// write is a hand-off to the blocking pool. A body smaller than this is never written at all
/// (see `Held::Memory`); at most this much of a larger one waits in memory.
const WRITE_BATCH: usize = 64 * 1024;

/// A body being written. Dropping it without `finish` deletes its temp file, if it has one.
pub struct BlobWriter {
    archive: Archive,
    /// The temp file, once the body outgrew `WRITE_BATCH`. Out of this struct only while a
    /// write is on the blocking pool.
    file: Option<(std::fs::File, tempfile::TempPath)>,
    /// Bytes hashed but not written yet.
    pending: Vec<u8>,
    hasher: sha2::Sha256,
    bytes: u64,
    /// A write failed: the temp file is gone and the body cannot be finished.
    failed: bool,
}

impl BlobWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), ArchiveError> {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        self.pending.extend_from_slice(chunk);
        if self.pending.len() >= WRITE_BATCH {
            self.write_pending().await?;
        }
        Ok(())
    }

    /// Writes the pending bytes on the blocking pool (making the temp file the first time);
    /// the buffer comes back for reuse.
    async fn write_pending(&mut self) -> Result<(), ArchiveError> {
        if self.failed {
            return Err(self.write_error(io::Error::other("an earlier write failed")));
        }
        let file = self.file.take();
        let pending = std::mem::take(&mut self.pending);
        let archive = self.archive.clone();
        let written = tokio::task::spawn_blocking(move || {
            let (mut file, path) = match file {
                Some(open) => open,
                None => archive.std_temp_file()?,
            };
            file.write_all(&pending)
                .map(|()| ((file, path), pending))
                .map_err(|source| ArchiveError::Write {
                    path: archive.root.join(TEMP_DIR),
                    source,
                })
        })
        .await
        .map_err(|e| self.write_error(io::Error::other(e)))
        .and_then(|r| r);
        match written {
            Ok((file, mut pending)) => {
                pending.clear();
                self.pending = pending;
                self.file = Some(file);
                Ok(())
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    fn write_error(&self, source: io::Error) -> ArchiveError {
        ArchiveError::Write {
            path: self.archive.root.join(TEMP_DIR),
            source,
        }
    }

    /// The body is whole: its hash is known and the buffer or the temp file holds every byte.
    /// Nothing is made durable here (the pack is, in batches).
    pub async fn finish(mut self) -> Result<Blob, ArchiveError> {
        let sha = Sha256(std::mem::take(&mut self.hasher).finalize().into());
        if self.file.is_none() && !self.failed {
            let mut pending = std::mem::take(&mut self.pending);
            // A body of undeclared length grew its buffer by doubling: it is held a while, so
            // not with up to as much again unused.
            if pending.capacity() > pending.len() + pending.len() / 4 {
                pending.shrink_to_fit();
            }
            return Ok(Blob {
                sha256: sha,
                bytes: self.bytes,
                held: Some(Held::Memory(std::sync::Arc::new(pending))),
            });
        }
        if !self.pending.is_empty() {
            self.write_pending().await?;
        }
        let (_, path) = self
            .file
            .take()
            .ok_or_else(|| self.write_error(io::Error::other("an earlier write failed")))?;
        Ok(Blob {
            sha256: sha,
            bytes: self.bytes,
            held: Some(Held::File(std::sync::Arc::new(path))),
        })
    }
}

/// Read size when streaming a file: the most of it held in memory at once.
pub const FILE_CHUNK: usize = 64 * 1024;

/// Streams a file's bytes into `each`, one chunk at a time; returns how many there were.
pub fn for_each_chunk(
    path: &Path,
    mut each: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    // Most bodies are a few KiB: a buffer the size of the file, not of the largest read, spares
    // zeroing 64 KiB twice per body.
    let size = file.metadata().map_or(FILE_CHUNK as u64, |m| m.len());
    let mut buf = vec![
        0u8;
        usize::try_from(size)
            .unwrap_or(FILE_CHUNK)
            .clamp(1, FILE_CHUNK)
    ];
    let mut len = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(len),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        each(&buf[..n])?;
        len += n as u64;
    }
}

/// The sha256 and length of a file, streamed.
pub fn hash_file(path: &Path) -> io::Result<(Sha256, u64)> {
    let mut hasher = sha2::Sha256::new();
    let len = for_each_chunk(path, |chunk| {
        hasher.update(chunk);
        Ok(())
    })?;
    Ok((Sha256(hasher.finalize().into()), len))
}

/// Gives a file written through a private temp file the mode of an ordinary new file.
pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn temp_files(root: &Path) -> Result<usize, io::Error> {
        Ok(std::fs::read_dir(root.join(TEMP_DIR))?.count())
    }

    #[tokio::test]
    async fn a_small_body_is_hashed_and_held_in_memory() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = Archive::open(dir.path())?;
        let mut w = archive.writer();
        w.write(b"hello ").await?;
        w.write(b"world").await?;
        let blob = w.finish().await?;
        // sha256("hello world"), computed with coreutils.
        assert_eq!(
            blob.sha256.to_hex(),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        let held = blob.held().ok_or("not held")?;
        assert_eq!(held.bytes(), Some(&b"hello world"[..]));
        let mut read = Vec::new();
        held.reader()?.read_to_end(&mut read)?;
        assert_eq!(read, b"hello world");
        assert_eq!(temp_files(dir.path())?, 0, "no temp file for a small body");
        Ok(())
    }

    #[tokio::test]
    async fn a_body_larger_than_a_write_batch_lands_whole_in_a_temp_file_until_let_go()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = Archive::open(dir.path())?;
        let body: Vec<u8> = (0..3 * WRITE_BATCH + 5).map(|i| (i % 251) as u8).collect();
        let mut w = archive.writer();
        for chunk in body.chunks(1000) {
            w.write(chunk).await?;
        }
        let blob = w.finish().await?;
        let held = blob.held().ok_or("not held")?;
        let path = held.path().ok_or("no temp file")?.to_path_buf();
        assert_eq!(blob.bytes, body.len() as u64);
        assert_eq!(std::fs::read(&path)?, body);
        assert_eq!(hash_file(&path)?.0, blob.sha256);
        let mut read = Vec::new();
        held.reader()?.read_to_end(&mut read)?;
        assert_eq!(read, body);
        let other = blob.clone();
        drop(blob);
        assert!(path.exists(), "a clone still holds it");
        drop(other);
        assert!(!path.exists(), "the last holder deletes it");
        assert_eq!(temp_files(dir.path())?, 0);
        Ok(())
    }

    #[tokio::test]
    async fn a_body_of_exactly_a_write_batch_goes_to_a_file()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = Archive::open(dir.path())?;
        let mut w = archive.writer();
        w.write(&vec![7u8; WRITE_BATCH - 1]).await?;
        let below = w.finish().await?;
        assert!(below.held().and_then(Held::bytes).is_some());
        let mut w = archive.writer();
        w.write(&vec![7u8; WRITE_BATCH]).await?;
        let at = w.finish().await?;
        assert!(at.held().and_then(Held::path).is_some());
        Ok(())
    }

    #[tokio::test]
    async fn an_abandoned_body_leaves_nothing() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = Archive::open(dir.path())?;
        let mut w = archive.writer();
        w.write(&vec![1u8; 2 * WRITE_BATCH]).await?;
        assert_eq!(temp_files(dir.path())?, 1);
        drop(w);
        assert_eq!(temp_files(dir.path())?, 0);
        Ok(())
    }
}
