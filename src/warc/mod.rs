//! WARC 1.1 (ISO 28500) files: each run writes `warc/linkward-<run start>-<serial>.warc.gz`, one
//! gzip member per record: a `warcinfo` record first, then for every HTTP exchange the fetcher
//! made (redirect hops, error answers, 304s, bodies) a `response` (or `revisit`) record and its
//! `request` record, linked by WARC-Concurrent-To. This module owns the file format; the
//! fetcher only hands it `Capture`s.
//!
//! Invariants:
//! - Records are appended to `<name>.warc.gz.open` and the file is renamed to `<name>.warc.gz`
//!   when the run finishes, so a `.warc.gz` file is always complete. A run killed outright leaves
//!   an `.open` file; the next run finalizes it: it keeps every complete record (cutting off a
//!   record the kill interrupted) and renames it, or removes it when it holds none.
//! - A record that could not be written whole is cut off again, so one failed write never
//!   leaves a damaged member in the middle of a file.
//! - The files are the archive's packs: a distinct body is stored once, as the payload of the
//!   first `response` record that carried it, and the store's `bodies` tree (a `PayloadIndex`)
//!   says where. A later 2xx whose payload is already stored becomes a `revisit`
//!   (identical-payload-digest) referring to that record, whatever its URI; a 304 writes nothing
//!   unless revisits of 304s are asked for (`--warc-revisits`).
//! - Group commit: bodies appended since the last `commit` are indexed only by `commit`, which
//!   makes the file durable first. A record names no byte a crash could lose; a crash loses at
//!   most the bodies since the last commit, which nothing names yet.

pub mod read;
mod record;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use crate::archive::Held;
use crate::fetch::capture::{Capture, CaptureSink, CapturedBody};
use crate::model::{Sha256, StoredBody};
use crate::store::{Store, StoreError};
use record::{Block, Header, Payload};

/// The folder under the archive root that holds WARC files.
pub const WARC_DIR: &str = "warc";
/// The file name prefix of every WARC file linkward writes.
pub const FILE_PREFIX: &str = "linkward";
/// Extension of a finished WARC file.
pub const FILE_SUFFIX: &str = ".warc.gz";
/// Added to the name of the file a run is still writing.
pub const OPEN_SUFFIX: &str = ".open";

pub const PROFILE_IDENTICAL_PAYLOAD: &str =
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";
pub const PROFILE_NOT_MODIFIED: &str =
    "http://netpreserve.org/warc/1.1/revisit/server-not-modified";
const CONFORMS_TO: &str =
    "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/";

#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    #[error("could not write the WARC file {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Index(#[from] StoreError),
}

fn write_error(path: &Path) -> impl FnOnce(io::Error) -> WarcError + '_ {
    move |source| WarcError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// What the `warcinfo` record says about the run.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub started: DateTime<Utc>,
    pub run_id: u64,
    pub seeds: Vec<String>,
}

/// Where the bodies already stored are: the store's `bodies` tree, or a test's map.
pub trait PayloadIndex: Send + Sync {
    fn stored(&self, sha: &Sha256) -> Result<Option<StoredBody>, StoreError>;
    /// Records where bodies are; called only once the file holding them is durable.
    fn record(&self, bodies: &[(Sha256, StoredBody)]) -> Result<(), StoreError>;
}

impl PayloadIndex for Store {
    fn stored(&self, sha: &Sha256) -> Result<Option<StoredBody>, StoreError> {
        self.body(sha)
    }

    fn record(&self, bodies: &[(Sha256, StoredBody)]) -> Result<(), StoreError> {
        self.put_bodies(bodies)
    }
}

/// The run's WARC file, taking exchanges from the fetcher. Cheap to share behind an `Arc`.
pub struct WarcSink {
    writer: Mutex<Option<Writer>>,
}

struct Writer {
    file: File,
    /// Bytes of complete records in the file.
    len: u64,
    open_path: PathBuf,
    final_path: PathBuf,
    /// The file's name as bodies in it are indexed: its finished name.
    name: String,
    index: Arc<dyn PayloadIndex>,
    /// Bodies appended since the last commit: written, not yet durable, not yet indexed.
    pending: HashMap<Sha256, StoredBody>,
    /// Whether the file's own folder entry has been made durable.
    entry_durable: bool,
    /// Keep a `revisit` record of each 304.
    not_modified_revisits: bool,
    /// One compressor for every record of the file (see `record::Deflater`).
    deflater: record::Deflater,
}

/// How a run's WARC file is written.
#[derive(Clone, Copy, Debug, Default)]
pub struct WarcOptions {
    /// Write a `revisit` (server-not-modified) record for each 304, as format 1 did.
    pub not_modified_revisits: bool,
}

impl WarcSink {
    /// Finalizes any file a killed run left open, then starts this run's file with its
    /// `warcinfo` record. Call only while holding the archive's lock.
    pub fn open(
        archive_root: &Path,
        run: &RunInfo,
        index: Arc<dyn PayloadIndex>,
        options: WarcOptions,
    ) -> Result<WarcSink, WarcError> {
        let dir = archive_root.join(WARC_DIR);
        std::fs::create_dir_all(&dir).map_err(write_error(&dir))?;
        salvage_open_files(&dir)?;
        let stamp = run.started.format("%Y%m%d%H%M%S");
        // One file per run; a second run in the same second takes the next serial.
        let (name, final_path, open_path) = (0..)
            .map(|serial| {
                let name = format!("{FILE_PREFIX}-{stamp}-{serial:05}{FILE_SUFFIX}");
                let open = dir.join(format!("{name}{OPEN_SUFFIX}"));
                (name.clone(), dir.join(name), open)
            })
            .find(|(_, f, o)| !f.exists() && !o.exists())
            .ok_or_else(|| write_error(&dir)(io::Error::other("no free file name")))?;
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&open_path)
            .map_err(write_error(&open_path))?;
        let mut writer = Writer {
            file,
            len: 0,
            open_path,
            final_path,
            name,
            index,
            pending: HashMap::new(),
            entry_durable: false,
            not_modified_revisits: options.not_modified_revisits,
            deflater: record::Deflater::new(),
        };
        writer
            .write_warcinfo(run)
            .map_err(write_error(&writer.open_path))?;
        Ok(WarcSink {
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Makes every record appended so far durable, then indexes the bodies they hold. Returns
    /// how many bodies were indexed. Records that name those bodies may be written after this.
    pub fn commit(&self) -> Result<usize, WarcError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_mut() {
            Some(writer) => writer.commit(),
            None => Ok(0),
        }
    }

    /// Where a body appended in this run and not committed yet is.
    pub fn pending(&self, sha: &Sha256) -> Option<StoredBody> {
        let guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref()?.pending.get(sha).cloned()
    }

    /// Stores a body that came from no HTTP exchange (a saved seed page) as a `resource` record
    /// of `uri`, unless it is stored already.
    pub fn store_resource(
        &self,
        uri: &str,
        content_type: &str,
        date: DateTime<Utc>,
        body: &Path,
        sha: Sha256,
    ) -> Result<(), WarcError> {
        self.store_payload(uri, content_type, date, &Payload::File(body), body, sha)
    }

    /// `store_resource` of a body just downloaded or read, wherever it is held.
    pub fn store_held_resource(
        &self,
        uri: &str,
        content_type: &str,
        date: DateTime<Utc>,
        body: &Held,
        sha: Sha256,
    ) -> Result<(), WarcError> {
        let from = body.path().unwrap_or(Path::new("(memory)"));
        self.store_payload(uri, content_type, date, &held_payload(body), from, sha)
    }

    fn store_payload(
        &self,
        uri: &str,
        content_type: &str,
        date: DateTime<Utc>,
        payload: &Payload,
        from: &Path,
        sha: Sha256,
    ) -> Result<(), WarcError> {
        let block = Block::of(&[], payload).map_err(write_error(from))?;
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let Some(writer) = guard.as_mut() else {
            return Ok(());
        };
        if writer.stored(&sha).is_some() {
            return Ok(());
        }
        writer
            .append_resource(uri, content_type, date, payload, &block, sha)
            .map_err(write_error(&writer.open_path.clone()))
    }

    /// Commits, gives the file its final name and makes that durable. Exchanges captured after
    /// this are dropped. Returns the file's path.
    pub fn finish(&self) -> Result<Option<PathBuf>, WarcError> {
        let taken = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(mut writer) = taken else {
            return Ok(None);
        };
        writer.commit()?;
        let Writer {
            file,
            open_path,
            final_path,
            ..
        } = writer;
        file.sync_all().map_err(write_error(&open_path))?;
        drop(file);
        std::fs::rename(&open_path, &final_path).map_err(write_error(&final_path))?;
        if let Some(dir) = final_path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(write_error(dir))?;
        }
        Ok(Some(final_path))
    }
}

impl CaptureSink for WarcSink {
    fn capture(&self, capture: Capture) {
        // Hashing reads the whole payload and needs nothing from the writer: done before taking
        // the lock, so exchanges are hashed (and judged compressible or not) side by side and
        // only compressed one at a time.
        let response = Response::of(&capture);
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let Some(writer) = guard.as_mut() else {
            return;
        };
        if let Err(e) = response.and_then(|r| writer.write_exchange(&capture, r)) {
            tracing::warn!(
                "could not add {} to {}: {e}",
                capture.target_uri,
                writer.open_path.display()
            );
        }
    }
}

impl Writer {
    /// Appends one record, or nothing: a record cut short by an error is removed again.
    fn append(
        &mut self,
        header: &Header,
        head: &[u8],
        payload: &Payload,
        payload_digest: Option<&[u8]>,
    ) -> io::Result<()> {
        let block = Block::of(head, payload)?;
        self.append_of(header, head, payload, &block, payload_digest)
    }

    /// `append` with the block's digests already computed.
    fn append_of(
        &mut self,
        header: &Header,
        head: &[u8],
        payload: &Payload,
        block: &Block,
        payload_digest: Option<&[u8]>,
    ) -> io::Result<()> {
        match record::write_record(
            &mut self.file,
            &mut self.deflater,
            header,
            head,
            payload,
            block,
            payload_digest,
        ) {
            Ok(n) => {
                self.len += n;
                Ok(())
            }
            Err(e) => {
                self.file.set_len(self.len)?;
                Err(e)
            }
        }
    }

    fn write_warcinfo(&mut self, run: &RunInfo) -> io::Result<()> {
        let name = self
            .final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let software = crate::fetch::USER_AGENT;
        let mut fields = format!(
            "software: {software}\r\nformat: WARC File Format 1.1\r\nconformsTo: {CONFORMS_TO}\r\n\
             isPartOf: linkward run {}\r\nhttp-header-user-agent: {software}\r\n",
            run.run_id
        );
        for seed in &run.seeds {
            fields.push_str(&format!("seed: {}\r\n", one_line(seed)));
        }
        let mut header = Header::new("warcinfo", &record::record_id(), run.started);
        header
            .add("WARC-Filename", name)
            .add("Content-Type", "application/warc-fields");
        self.append(&header, fields.as_bytes(), &Payload::None, None)
    }

    /// Makes the file durable (and its folder entry, the first time), then indexes the bodies
    /// appended since the last commit.
    fn commit(&mut self) -> Result<usize, WarcError> {
        if self.pending.is_empty() {
            return Ok(0);
        }
        self.file
            .sync_data()
            .map_err(write_error(&self.open_path))?;
        if !self.entry_durable {
            if let Some(dir) = self.open_path.parent() {
                File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(write_error(dir))?;
            }
            self.entry_durable = true;
        }
        let bodies: Vec<(Sha256, StoredBody)> = self.pending.drain().collect();
        self.index.record(&bodies)?;
        Ok(bodies.len())
    }

    /// A `resource` record holding `body` whole, indexed as the stored copy of `sha`.
    fn append_resource(
        &mut self,
        uri: &str,
        content_type: &str,
        date: DateTime<Utc>,
        payload: &Payload,
        block: &Block,
        sha: Sha256,
    ) -> io::Result<()> {
        let id = record::record_id();
        let mut header = Header::new("resource", &id, date);
        header
            .add("WARC-Target-URI", uri)
            .add("Content-Type", content_type);
        let offset = self.len;
        self.append_of(&header, &[], payload, block, Some(&block.payload_digest))?;
        self.pending.insert(
            sha,
            StoredBody {
                file: self.name.clone(),
                offset,
                length: self.len - offset,
                bytes: block.payload_len,
                encoding: None,
                payload_sha256: None,
                record_id: id,
                uri: uri.to_owned(),
                date: date.trunc_subsecs(0),
            },
        );
        Ok(())
    }

    /// Where the body is stored already: appended in this run, or indexed.
    fn stored(&self, sha: &Sha256) -> Option<StoredBody> {
        if let Some(body) = self.pending.get(sha) {
            return Some(body.clone());
        }
        match self.index.stored(sha) {
            Ok(found) => found,
            Err(e) => {
                // Not knowing costs one more full copy of the body, never a wrong revisit.
                tracing::warn!("could not look up a stored body: {e}");
                None
            }
        }
    }

    /// A response (or revisit) record and its request record; nothing for a 304 unless its
    /// revisits are kept.
    fn write_exchange(&mut self, c: &Capture, response: Response) -> io::Result<()> {
        let status = c.response.status;
        if status == 304 && !self.not_modified_revisits {
            return Ok(());
        }
        let uri = c.target_uri.as_str();
        let response_uuid = uuid::Uuid::new_v4();
        let response_id = record::urn(response_uuid);
        let payload = payload_of(c);
        let Response { head, block } = response;
        let (digest, payload_len) = (&block.payload_digest, block.payload_len);

        // The record a revisit refers to: for a 304, the copy it stands for; for a 2xx, the
        // record that already stores this very payload (whatever its URI).
        let original = if status == 304 {
            c.held.and_then(|sha| self.stored(&sha).map(|b| (sha, b)))
        } else if (200..300).contains(&status) && payload_len > 0 {
            c.kept
                .as_ref()
                .and_then(|k| self.stored(&k.sha256).map(|b| (k.sha256, b)))
                .filter(|(sha, b)| b.payload_digest(sha).0 == *digest)
        } else {
            None
        };
        let revisit_profile = if status == 304 {
            Some(PROFILE_NOT_MODIFIED)
        } else if original.is_some() {
            Some(PROFILE_IDENTICAL_PAYLOAD)
        } else {
            None
        };
        let mut header = Header::new(
            if revisit_profile.is_some() {
                "revisit"
            } else {
                "response"
            },
            &response_id,
            c.date,
        );
        header.add("WARC-Target-URI", uri);
        if let Some(ip) = c.remote_ip {
            header.add("WARC-IP-Address", ip.to_string());
        }
        header.add("Content-Type", "application/http;msgtype=response");
        match revisit_profile {
            Some(profile) => {
                header.add("WARC-Profile", profile);
                if let Some((_, o)) = &original {
                    header
                        .add("WARC-Refers-To", o.record_id.clone())
                        .add("WARC-Refers-To-Target-URI", o.uri.clone())
                        .add("WARC-Refers-To-Date", record::warc_date(o.date));
                }
                // A revisit's payload digest names the original's payload; its block is the
                // HTTP head alone.
                let original_digest = original.as_ref().map(|(sha, o)| o.payload_digest(sha));
                self.append(
                    &header,
                    &head,
                    &Payload::None,
                    original_digest.as_ref().map(|d| &d.0[..]),
                )?;
            }
            None => {
                if matches!(
                    c.body,
                    CapturedBody::Memory {
                        truncated: true,
                        ..
                    }
                ) {
                    header.add("WARC-Truncated", "length");
                }
                let offset = self.len;
                self.append_of(&header, &head, &payload, &block, Some(digest))?;
                if let Some(kept) = &c.kept
                    && (200..300).contains(&status)
                    && self.stored(&kept.sha256).is_none()
                {
                    let payload_sha = Sha256(block.payload_digest);
                    self.pending.insert(
                        kept.sha256,
                        StoredBody {
                            file: self.name.clone(),
                            offset,
                            length: self.len - offset,
                            bytes: kept.bytes,
                            encoding: kept.encoding.clone(),
                            payload_sha256: (payload_sha != kept.sha256).then_some(payload_sha),
                            record_id: response_id.clone(),
                            uri: uri.to_owned(),
                            // As written in WARC-Date, so a revisit's Refers-To-Date matches.
                            date: c.date.trunc_subsecs(0),
                        },
                    );
                }
            }
        }

        let request = http_head(
            &format!("{} {} HTTP/1.1", c.request.method, c.request.target),
            &c.request.headers,
        );
        let mut header = Header::new("request", &record::record_id(), c.date);
        header.add("WARC-Target-URI", uri);
        if let Some(ip) = c.remote_ip {
            header.add("WARC-IP-Address", ip.to_string());
        }
        header
            .add("WARC-Concurrent-To", response_id)
            .add("Content-Type", "application/http;msgtype=request");
        self.append(&header, &request, &Payload::None, None)
    }
}

/// A response's HTTP head and the digests of its block, computed before the writer is locked.
struct Response {
    head: Vec<u8>,
    block: Block,
}

impl Response {
    fn of(c: &Capture) -> io::Result<Response> {
        let head = http_head(
            &format!(
                "{} {} {}",
                c.response.version, c.response.status, c.response.reason
            ),
            &c.response.headers,
        );
        // An identity body kept from the exchange is its payload: its hash is the payload's.
        let known = match (&c.body, &c.kept) {
            (CapturedBody::Kept(_), Some(kept)) if kept.encoding.is_none() => Some(kept.sha256.0),
            _ => None,
        };
        let block = Block::with_payload_digest(&head, &payload_of(c), known)?;
        Ok(Response { head, block })
    }
}

fn payload_of(c: &Capture) -> Payload<'_> {
    match &c.body {
        CapturedBody::Empty => Payload::None,
        CapturedBody::Memory { bytes, .. } => Payload::Memory(bytes),
        CapturedBody::Kept(held) => held_payload(held),
        CapturedBody::Temp(path) => Payload::File(path),
    }
}

fn held_payload(held: &Held) -> Payload<'_> {
    match held {
        Held::File(path) => Payload::File(path),
        Held::Memory(bytes) => Payload::Memory(bytes),
    }
}

/// Header values are one line: a seed with a line break would end the field early.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// Finalizes the `.open` files a killed run left: keeps their complete records under the final
/// name, or removes a file with none.
fn salvage_open_files(dir: &Path) -> Result<(), WarcError> {
    let entries = std::fs::read_dir(dir).map_err(write_error(dir))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(final_name) = name.strip_suffix(OPEN_SUFFIX) else {
            continue;
        };
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let keep = read::complete_prefix(&path);
        if keep == 0 {
            std::fs::remove_file(&path).map_err(write_error(&path))?;
            tracing::info!("removed {name}, left empty by an interrupted run");
            continue;
        }
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(write_error(&path))?;
        file.set_len(keep).map_err(write_error(&path))?;
        file.sync_all().map_err(write_error(&path))?;
        let target = dir.join(final_name);
        if target.exists() {
            // Never overwrite a finished file; the salvaged one stays open for a person to see.
            tracing::warn!("{} exists; left {name} as it is", target.display());
            continue;
        }
        std::fs::rename(&path, &target).map_err(write_error(&target))?;
        tracing::info!("finalized {final_name}, left open by an interrupted run");
    }
    Ok(())
}

/// An HTTP message head as it goes into a record block: the first line, the headers, a blank line.
fn http_head<N: AsRef<str>, V: AsRef<[u8]>>(first_line: &str, headers: &[(N, V)]) -> Vec<u8> {
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(first_line.as_bytes());
    head.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        head.extend_from_slice(name.as_ref().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_ref());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

#[cfg(test)]
mod tests;
