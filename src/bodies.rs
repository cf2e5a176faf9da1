//! Reading stored bodies back: a body's sha256 → its place in a pack (the store's `bodies`
//! tree) → the record's payload in that WARC file, decoded from its Content-Encoding, streamed.
//! Every reader of a kept body (inspection of the previous copy, `get`, `export bagit`, `verify`,
//! the `files/` view, seed pages) goes through here.

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::{Sha256, StoredBody};
use crate::store::{Store, StoreError};
use crate::warc::WarcSink;

/// Read size when decoding a body.
const BUFFER: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("no stored body has the sha256 {0}; run `linkward verify`")]
    Unknown(Sha256),
    #[error("could not read the body {sha} from {}: {source}; run `linkward verify`", path.display())]
    Read {
        sha: Sha256,
        path: PathBuf,
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stored bodies of one archive. Cheap to clone.
#[derive(Clone)]
pub struct Bodies {
    root: PathBuf,
    store: Store,
    /// The run's pack, whose bodies are readable before the group commit indexes them.
    pack: Option<Arc<WarcSink>>,
}

impl Bodies {
    pub fn new(archive_root: &Path, store: Store) -> Bodies {
        Bodies {
            root: archive_root.to_path_buf(),
            store,
            pack: None,
        }
    }

    /// These bodies and those a run is appending to `pack`.
    pub fn with_pack(mut self, pack: Arc<WarcSink>) -> Bodies {
        self.pack = Some(pack);
        self
    }

    /// Where the body is: in the run's pack (written, maybe not durable yet) or indexed.
    pub fn find(&self, sha: &Sha256) -> Result<Option<StoredBody>, StoreError> {
        if let Some(body) = self.pack.as_ref().and_then(|p| p.pending(sha)) {
            return Ok(Some(body));
        }
        self.store.body(sha)
    }

    /// Whether the body is stored, with the expected length, in a pack that is there: a cheap
    /// check, made before a 304 may stand for it (`verify` reads it back whole).
    pub fn contains(&self, sha: &Sha256, len: Option<u64>) -> bool {
        match self.find(sha) {
            Ok(Some(body)) => {
                len.is_none_or(|l| l == body.bytes) && pack_path(&self.root, &body.file).is_some()
            }
            _ => false,
        }
    }

    /// The body, decoded, streamed from its pack.
    pub fn open(&self, sha: &Sha256) -> Result<Box<dyn BufRead + Send>, BodyError> {
        let body = self.find(sha)?.ok_or(BodyError::Unknown(*sha))?;
        open_stored(&self.root, &body).map_err(|(path, source)| BodyError::Read {
            sha: *sha,
            path,
            source,
        })
    }

    /// At most `cap` bytes of the body (a seed page's links are read from its first bytes).
    pub fn read_capped(&self, sha: &Sha256, cap: u64) -> Result<Vec<u8>, BodyError> {
        let mut out = Vec::new();
        self.open(sha)?
            .take(cap)
            .read_to_end(&mut out)
            .map_err(|source| BodyError::Read {
                sha: *sha,
                path: self.root.join(crate::warc::WARC_DIR),
                source,
            })?;
        Ok(out)
    }

    /// Copies the body into `file` (a temp file, for readers that need a path), checking that it
    /// hashes to `sha` on the way.
    pub fn copy_into(&self, sha: &Sha256, out: &mut impl io::Write) -> Result<u64, BodyError> {
        use sha2::Digest;
        let mut reader = self.open(sha)?;
        let mut hasher = sha2::Sha256::new();
        let read_error = |source| BodyError::Read {
            sha: *sha,
            path: self.root.join(crate::warc::WARC_DIR),
            source,
        };
        let mut len = 0u64;
        loop {
            let buf = reader.fill_buf().map_err(read_error)?;
            if buf.is_empty() {
                break;
            }
            hasher.update(buf);
            out.write_all(buf).map_err(read_error)?;
            let n = buf.len();
            len += n as u64;
            reader.consume(n);
        }
        if Sha256(hasher.finalize().into()) != *sha {
            return Err(read_error(io::Error::new(
                io::ErrorKind::InvalidData,
                "the stored payload no longer hashes to its name",
            )));
        }
        Ok(len)
    }
}

/// The pack a body is in: its finished name, or the name a run still writing it gives it.
pub fn pack_path(archive_root: &Path, file: &str) -> Option<PathBuf> {
    let dir = archive_root.join(crate::warc::WARC_DIR);
    let done = dir.join(file);
    if done.is_file() {
        return Some(done);
    }
    let open = dir.join(format!("{file}{}", crate::warc::OPEN_SUFFIX));
    open.is_file().then_some(open)
}

/// A stored body, decoded, streamed; on failure, the file that could not be read.
pub fn open_stored(
    archive_root: &Path,
    body: &StoredBody,
) -> Result<Box<dyn BufRead + Send>, (PathBuf, io::Error)> {
    let path = pack_path(archive_root, &body.file).ok_or_else(|| {
        (
            archive_root.join(crate::warc::WARC_DIR).join(&body.file),
            io::Error::new(io::ErrorKind::NotFound, "the pack is gone"),
        )
    })?;
    let payload = crate::warc::read::open_payload(&path, body.offset, body.length)
        .map_err(|e| (path.clone(), e))?;
    Ok(decoded(body.encoding.as_deref(), payload))
}

/// Undoes the Content-Encoding the payload was stored in, as the fetcher did when it hashed it.
fn decoded<R: BufRead + Send + 'static>(encoding: Option<&str>, raw: R) -> Box<dyn BufRead + Send> {
    match encoding {
        Some("gzip" | "x-gzip") => Box::new(BufReader::with_capacity(
            BUFFER,
            flate2::bufread::MultiGzDecoder::new(raw),
        )),
        Some("deflate") => Box::new(BufReader::with_capacity(
            BUFFER,
            flate2::bufread::ZlibDecoder::new(raw),
        )),
        Some("br") => Box::new(BufReader::with_capacity(
            BUFFER,
            brotli_decompressor::Decompressor::new(raw, BUFFER),
        )),
        _ => Box::new(raw),
    }
}
