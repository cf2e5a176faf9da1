//! Reading documents back out of the archive: `export bagit` (a BagIt bag of the latest good copy
//! of everything the latest complete run listed, or of the copy recovered from a web archive when
//! none was fetched live, marked as such) and `get` (any archived version of one URL).
//! Both only read: the store (under the archive's lock, released before any bytes are copied,
//! since blobs never change once written) and the blob files, streamed and rehashed on the way
//! out, so a damaged copy is refused instead of passed on.

pub mod bagit;
pub mod get;

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::model::Sha256;
use crate::model::StoredBody;
use crate::seed::LoadedManifest;
use crate::store::{RunRecord, RunStatus, Store, StoreError};

/// Why an export or a `get` could not be done. Each message is one line saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The archive could not be opened (not there, in use, unreadable).
    #[error(transparent)]
    Open(#[from] Box<crate::Error>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{} already exists and is not an empty folder: give a path that does not exist yet", .0.display())]
    OutExists(PathBuf),
    #[error("the archive at {} has no complete run yet: run `linkward check` first", .0.display())]
    NoCompleteRun(PathBuf),
    #[error("could not write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("could not write the output: {0}")]
    Output(io::Error),
    #[error("could not read the archived copy of {url} ({}): {source}; run `linkward verify`", path.display())]
    ReadBlob {
        url: String,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "the archived copy {sha256} of {url} is not in the archive's packs; run `linkward verify`"
    )]
    NotStored { url: String, sha256: Sha256 },
    #[error("the archived copy of {url} ({}) is damaged: it hashes to {actual}, not {expected}; run `linkward verify`", path.display())]
    Damaged {
        url: String,
        path: PathBuf,
        expected: Sha256,
        actual: Sha256,
    },
}

impl ExportError {
    /// A closed stdout (`| head`): the reader's choice, not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, ExportError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<crate::Error> for ExportError {
    fn from(e: crate::Error) -> Self {
        ExportError::Open(Box::new(e))
    }
}

/// The latest run that completed: the one whose seed lists are whole.
pub fn latest_complete_run(store: &Store) -> Result<Option<RunRecord>, StoreError> {
    Ok(store
        .runs()?
        .into_iter()
        .filter(|r| r.status == RunStatus::Complete)
        .max_by_key(|r| r.id))
}

/// The seed manifest a seed id names, when it is one and can still be read from here: what the
/// store does not keep (publisher, description, item notes) comes from it. Best effort: a seed
/// given as a URL or HTML file, or a manifest moved since, gives `None`.
pub fn manifest_of(seed_id: &str) -> Option<LoadedManifest> {
    let path = Path::new(seed_id);
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if !is_toml || !path.is_file() {
        return None;
    }
    crate::seed::manifest::load(path).ok()
}

/// What copying one blob out produced.
#[derive(Debug)]
pub(crate) struct Copied {
    pub bytes: u64,
    pub sha512: [u8; 64],
}

/// Streams the stored body `sha256` of `url` (at `stored`, in a pack of the archive at
/// `archive_root`) into `out`, rehashing it; refuses (after the fact: the bytes are written by
/// then) a copy that no longer hashes to its name. `out_path` names the destination in write
/// errors (`None`: the output stream). Packs are never rewritten, so no lock is needed.
pub(crate) fn copy_blob(
    archive_root: &Path,
    stored: &StoredBody,
    url: &str,
    sha256: &Sha256,
    out: &mut dyn Write,
    out_path: Option<&Path>,
) -> Result<Copied, ExportError> {
    let mut h256 = sha2::Sha256::new();
    let mut h512 = sha2::Sha512::new();
    let mut write_error = None;
    let blob = crate::bodies::pack_path(archive_root, &stored.file)
        .unwrap_or_else(|| archive_root.join(crate::warc::WARC_DIR).join(&stored.file));
    let read = crate::bodies::open_stored(archive_root, stored)
        .map_err(|(_, e)| e)
        .and_then(|mut reader| {
            let mut len = 0u64;
            loop {
                let buf = reader.fill_buf()?;
                if buf.is_empty() {
                    return Ok(len);
                }
                let n = buf.len();
                h256.update(buf);
                h512.update(buf);
                if let Err(e) = out.write_all(buf) {
                    write_error = Some(io::Error::new(e.kind(), e.to_string()));
                    return Err(e);
                }
                len += n as u64;
                reader.consume(n);
            }
        });
    let output_error = |source: io::Error| match out_path {
        Some(path) => ExportError::Write {
            path: path.to_path_buf(),
            source,
        },
        None => ExportError::Output(source),
    };
    if let Some(e) = write_error {
        return Err(output_error(e));
    }
    let bytes = read.map_err(|source| ExportError::ReadBlob {
        url: url.to_owned(),
        path: blob.to_path_buf(),
        source,
    })?;
    out.flush().map_err(output_error)?;
    let actual = Sha256(h256.finalize().into());
    if actual != *sha256 {
        return Err(ExportError::Damaged {
            url: url.to_owned(),
            path: blob.to_path_buf(),
            expected: *sha256,
            actual,
        });
    }
    Ok(Copied {
        bytes,
        sha512: h512.finalize().into(),
    })
}
