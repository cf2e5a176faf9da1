//! The content-addressed blob archive on disk: every distinct body once, at
//! `blobs/sha256/<2 hex>/<2 hex>/<64 hex>`, written to a temp file under `tmp/` and renamed into
//! place once its hash is known. A blob is never modified after it lands, so no later fetch (an
//! error page, a truncated body) can damage a good copy. File names come only from hashes.

use std::io;
use std::path::{Path, PathBuf};

use std::io::Write;

use sha2::Digest;

use crate::model::Sha256;

/// Where blobs and temp files go below the archive root.
const BLOBS_DIR: &str = "blobs/sha256";
const TEMP_DIR: &str = "tmp";
const TEMP_PREFIX: &str = "part-";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive directory {} is not usable: {source}; pass a writable folder with --archive", path.display())]
    Unusable { path: PathBuf, source: io::Error },
    #[error("could not write to the archive at {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("{} is a symbolic link inside the archive, and linkward never writes or cleans through one; replace it with a real folder (move its contents in)", path.display())]
    Linked { path: PathBuf },
}

/// The archive's own folders. linkward writes, renames and deletes inside them, so none may be a
/// symbolic link: through one it would write, or clean stale temp files, outside the archive.
const OWN_FOLDERS: [&str; 5] = ["tmp", "db", "warc", "blobs", BLOBS_DIR];

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

/// A blob that landed in the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub sha256: Sha256,
    pub bytes: u64,
}

/// The archive root and the operations on its blob files.
#[derive(Clone, Debug)]
pub struct Archive {
    root: PathBuf,
}

impl Archive {
    /// Creates the layout if needed and proves the folder is writable.
    pub fn open(root: &Path) -> Result<Archive, ArchiveError> {
        let unusable = |source| ArchiveError::Unusable {
            path: root.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(root).map_err(unusable)?;
        refuse_linked_folders(root)?;
        // `blobs/sha256/` is every blob folder's parent: durable before any blob goes in it
        // (`create_durable_dirs` makes only the folders below it).
        create_dirs_locked(root, &root.join(BLOBS_DIR)).map_err(unusable)?;
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

    /// The blob's path relative to the archive root, with `/` separators (as reported in JSON).
    pub fn relative_path(sha: &Sha256) -> String {
        let hex = sha.to_hex();
        format!("{BLOBS_DIR}/{}/{}/{hex}", &hex[0..2], &hex[2..4])
    }

    pub fn blob_path(&self, sha: &Sha256) -> PathBuf {
        self.root.join(Self::relative_path(sha))
    }

    pub fn contains(&self, sha: &Sha256) -> bool {
        self.blob_path(sha).is_file()
    }

    /// Whether the blob is there with the expected size: a cheap check, made before a 304 is
    /// allowed to stand for it (`verify` does the full rehash).
    pub fn contains_sized(&self, sha: &Sha256, len: Option<u64>) -> bool {
        std::fs::metadata(self.blob_path(sha))
            .is_ok_and(|m| m.is_file() && len.is_none_or(|l| m.len() == l))
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

    fn std_temp_file(&self) -> Result<(std::fs::File, tempfile::TempPath), ArchiveError> {
        let dir = self.root.join(TEMP_DIR);
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&dir)
            .map_err(|source| ArchiveError::Write { path: dir, source })?;
        Ok(temp.into_parts())
    }

    /// Starts a new blob: bytes go to a temp file and into a running sha256.
    pub fn writer(&self) -> Result<BlobWriter, ArchiveError> {
        let (file, path) = self.std_temp_file()?;
        Ok(BlobWriter {
            file: Some(file),
            path,
            pending: Vec::new(),
            hasher: sha2::Sha256::new(),
            bytes: 0,
            archive: self.clone(),
        })
    }
}

/// Body bytes gathered before they are written: a network read is often a few KiB, and each
/// write is a hand-off to the blocking pool. Most bodies are written once, by `finish`.
const WRITE_BATCH: usize = 64 * 1024;

/// A blob being written. Dropping it without `finish` deletes the temp file.
pub struct BlobWriter {
    /// `None` only while a write is on the blocking pool, or after one failed.
    file: Option<std::fs::File>,
    path: tempfile::TempPath,
    /// Bytes hashed but not written yet, at most about `WRITE_BATCH`.
    pending: Vec<u8>,
    hasher: sha2::Sha256,
    bytes: u64,
    archive: Archive,
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

    /// Writes the pending bytes on the blocking pool; the buffer comes back for reuse.
    async fn write_pending(&mut self) -> Result<(), ArchiveError> {
        let mut file = self.take_file()?;
        let pending = std::mem::take(&mut self.pending);
        let (file, mut pending) =
            tokio::task::spawn_blocking(move || file.write_all(&pending).map(|()| (file, pending)))
                .await
                .map_err(io::Error::other)
                .and_then(|r| r)
                .map_err(|source| self.write_error(source))?;
        pending.clear();
        self.pending = pending;
        self.file = Some(file);
        Ok(())
    }

    fn take_file(&mut self) -> Result<std::fs::File, ArchiveError> {
        self.file
            .take()
            .ok_or_else(|| self.write_error(io::Error::other("an earlier write failed")))
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    fn write_error(&self, source: io::Error) -> ArchiveError {
        ArchiveError::Write {
            path: self.path.to_path_buf(),
            source,
        }
    }

    /// Makes the body durable and moves it to its content address. If that blob already exists
    /// the new copy is dropped: the bytes are identical by construction.
    pub async fn finish(mut self) -> Result<Blob, ArchiveError> {
        let mut file = self.take_file()?;
        let sha = Sha256(self.hasher.finalize().into());
        let blob = Blob {
            sha256: sha,
            bytes: self.bytes,
        };
        let target = self.archive.blob_path(&sha);
        if target.is_file() {
            if intact(&target, &sha, self.bytes).await {
                return Ok(blob);
            }
            // The copy on disk no longer matches its name (bit rot, a stray edit): the bytes
            // just downloaded are the ones it should hold, so they take its place.
            tracing::warn!("replacing the damaged blob {}", target.display());
        }
        let BlobWriter { path, pending, .. } = self;
        let write_error = |source| ArchiveError::Write {
            path: target.clone(),
            source,
        };
        // One hand-off to the blocking pool for the rest: the last bytes, the fsync, the rename.
        tokio::task::spawn_blocking({
            let target = target.clone();
            move || -> io::Result<()> {
                file.write_all(&pending)?;
                file.sync_all()?;
                drop(file);
                let parent = target
                    .parent()
                    .ok_or_else(|| io::Error::other("blob path has no parent"))?;
                create_durable_dirs(&self.archive.root, parent, sha.0[0])?;
                let mut perms = std::fs::metadata(&path)?.permissions();
                perms.set_readonly(true);
                std::fs::set_permissions(&path, perms)?;
                path.persist(&target).map_err(|e| e.error)?;
                // The rename is durable only once its folder is: without this a power cut could
                // lose a blob the store already points to.
                std::fs::File::open(parent)?.sync_all()?;
                Ok(())
            }
        })
        .await
        .map_err(|e| write_error(io::Error::other(e)))?
        .map_err(write_error)?;
        Ok(blob)
    }
}

/// Creates a blob's folder `dir` and its missing parents, each new one made durable in its
/// parent: a rename into a folder whose own entry a power cut could lose would not be durable
/// either. Costs one fsync per new folder (`aa/`, `aa/bb/`), nothing once they exist.
///
/// `first_byte` is the blob's first hash byte, the `aa` of its path: one lock per `aa/`, so a
/// writer never sees a folder another has created but not yet made durable, while blobs under
/// different `aa/` folders (all but 1 in 256 pairs) make their folders side by side. One lock for
/// the whole archive serialized every new folder's fsync: a first run creates about one per blob.
fn create_durable_dirs(root: &Path, dir: &Path, first_byte: u8) -> io::Result<()> {
    static CREATING: [std::sync::Mutex<()>; 256] = [const { std::sync::Mutex::new(()) }; 256];
    let _creating = CREATING[usize::from(first_byte)]
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    create_dirs_locked(&root.join(BLOBS_DIR), dir)
}

/// Creates `dir` and its missing parents up to `base`, which exists; none of them may be a
/// symbolic link (`base` and above are not looked at: the archive root may be one).
fn create_dirs_locked(base: &Path, dir: &Path) -> io::Result<()> {
    if dir == base {
        return Ok(());
    }
    match std::fs::symlink_metadata(dir) {
        // Refused when the archive was opened; a link made since is refused here too.
        Ok(m) if m.file_type().is_symlink() => {
            return Err(io::Error::other(format!(
                "{} is a symbolic link inside the archive",
                dir.display()
            )));
        }
        Ok(m) if m.is_dir() => return Ok(()),
        _ => {}
    }
    let parent = dir
        .parent()
        .ok_or_else(|| io::Error::other("blob folder has no parent"))?;
    create_dirs_locked(base, parent)?;
    std::fs::create_dir(dir)?;
    std::fs::File::open(parent)?.sync_all()
}

/// Whether the file at `path` has `len` bytes hashing to `sha`.
async fn intact(path: &Path, sha: &Sha256, len: u64) -> bool {
    let path = path.to_path_buf();
    let sha = *sha;
    tokio::task::spawn_blocking(move || {
        std::fs::metadata(&path).is_ok_and(|m| m.len() == len)
            && hash_file(&path).is_ok_and(|(h, n)| h == sha && n == len)
    })
    .await
    .unwrap_or(false)
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
    let mut buf = vec![0u8; FILE_CHUNK];
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

    #[tokio::test]
    async fn blobs_land_at_their_hash_and_are_stored_once() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let archive = Archive::open(dir.path())?;
        let mut w = archive.writer()?;
        w.write(b"hello ").await?;
        w.write(b"world").await?;
        let blob = w.finish().await?;
        // sha256("hello world"), computed with coreutils.
        assert_eq!(
            blob.sha256.to_hex(),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(
            Archive::relative_path(&blob.sha256),
            "blobs/sha256/b9/4d/b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(
            std::fs::read(archive.blob_path(&blob.sha256))?,
            b"hello world"
        );

        let mut again = archive.writer()?;
        again.write(b"hello world").await?;
        assert_eq!(again.finish().await?, blob);
        let temps = std::fs::read_dir(dir.path().join(TEMP_DIR))?.count();
        assert_eq!(temps, 0, "no temp file is left behind");
        Ok(())
    }

    #[tokio::test]
    async fn a_body_larger_than_a_write_batch_lands_whole() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let archive = Archive::open(dir.path())?;
        let body: Vec<u8> = (0..3 * WRITE_BATCH + 5).map(|i| (i % 251) as u8).collect();
        let mut w = archive.writer()?;
        for chunk in body.chunks(1000) {
            w.write(chunk).await?;
        }
        let blob = w.finish().await?;
        assert_eq!(blob.bytes, body.len() as u64);
        assert_eq!(std::fs::read(archive.blob_path(&blob.sha256))?, body);
        assert_eq!(hash_file(&archive.blob_path(&blob.sha256))?.0, blob.sha256);
        Ok(())
    }

    #[tokio::test]
    async fn a_damaged_blob_is_restored_by_the_next_identical_body()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = Archive::open(dir.path())?;
        let mut w = archive.writer()?;
        w.write(b"the good bytes").await?;
        let blob = w.finish().await?;
        let path = archive.blob_path(&blob.sha256);
        let mut perms = std::fs::metadata(&path)?.permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms)?;
        std::fs::write(&path, b"the bad  bytes")?;
        let mut again = archive.writer()?;
        again.write(b"the good bytes").await?;
        again.finish().await?;
        assert_eq!(std::fs::read(&path)?, b"the good bytes");
        Ok(())
    }

    #[tokio::test]
    async fn an_abandoned_blob_leaves_nothing() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = Archive::open(dir.path())?;
        let mut w = archive.writer()?;
        w.write(b"partial").await?;
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path().join(TEMP_DIR))?.count(), 0);
        Ok(())
    }
}
