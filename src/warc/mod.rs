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
//! - Unchanged content is not stored twice: `warc/payloads.json` remembers, per target URI, the
//!   payload digest, date and record id of the last full `response` written for it (this run or
//!   an earlier one). An identical 2xx payload becomes a `revisit` (identical-payload-digest)
//!   pointing at it; a 304 becomes a `revisit` (server-not-modified). The index is rewritten
//!   (temp file + rename) when a run finishes: a killed run's records are salvaged but not
//!   indexed, which costs at most one more full copy later, never a dangling revisit.

pub mod read;
mod record;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::fetch::capture::{Capture, CaptureSink, CapturedBody};
use record::{Block, Header, Payload};

/// The folder under the archive root that holds WARC files.
pub const WARC_DIR: &str = "warc";
/// The file name prefix of every WARC file linkward writes.
pub const FILE_PREFIX: &str = "linkward";
/// Extension of a finished WARC file.
pub const FILE_SUFFIX: &str = ".warc.gz";
/// Added to the name of the file a run is still writing.
const OPEN_SUFFIX: &str = ".open";
/// The payload index (see the module comment).
const PAYLOADS_FILE: &str = "payloads.json";
const PAYLOADS_VERSION: u32 = 1;

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

/// The last full response written for a target URI. One is held per URI ever archived, so it
/// is kept as numbers, not as the header text it is written as (and saved as, see `OriginalText`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "OriginalText", into = "OriginalText")]
struct Original {
    /// sha256 of its payload.
    digest: [u8; 32],
    /// Its WARC-Date: whole seconds, as written.
    date: DateTime<Utc>,
    record_id: uuid::Uuid,
}

/// `Original` as saved in the payload index: the header values themselves.
#[derive(Serialize, Deserialize)]
struct OriginalText {
    /// `sha256:<hex>` of its payload.
    digest: String,
    /// Its WARC-Date.
    date: String,
    /// `<urn:uuid:...>`.
    record_id: String,
}

impl TryFrom<OriginalText> for Original {
    type Error = String;

    fn try_from(t: OriginalText) -> Result<Original, String> {
        let digest = t
            .digest
            .strip_prefix("sha256:")
            .and_then(|h| hex::decode(h).ok())
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
            .ok_or_else(|| format!("bad payload digest {:?}", t.digest))?;
        let date = DateTime::parse_from_rfc3339(&t.date)
            .map_err(|e| format!("bad date {:?}: {e}", t.date))?
            .with_timezone(&Utc);
        let record_id = t
            .record_id
            .strip_prefix("<urn:uuid:")
            .and_then(|r| r.strip_suffix('>'))
            .and_then(|r| uuid::Uuid::parse_str(r).ok())
            .ok_or_else(|| format!("bad record id {:?}", t.record_id))?;
        Ok(Original {
            digest,
            date,
            record_id,
        })
    }
}

impl From<Original> for OriginalText {
    fn from(o: Original) -> OriginalText {
        OriginalText {
            digest: record::sha256_label(&o.digest),
            date: record::warc_date(o.date),
            record_id: record::urn(o.record_id),
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PayloadIndex {
    version: u32,
    latest: BTreeMap<String, Original>,
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
    index_path: PathBuf,
    index: PayloadIndex,
    /// One compressor for every record of the file (see `record::Deflater`).
    deflater: record::Deflater,
}

impl WarcSink {
    /// Finalizes any file a killed run left open, then starts this run's file with its
    /// `warcinfo` record. Call only while holding the archive's lock.
    pub fn open(archive_root: &Path, run: &RunInfo) -> Result<WarcSink, WarcError> {
        let dir = archive_root.join(WARC_DIR);
        std::fs::create_dir_all(&dir).map_err(write_error(&dir))?;
        salvage_open_files(&dir)?;
        let stamp = run.started.format("%Y%m%d%H%M%S");
        // One file per run; a second run in the same second takes the next serial.
        let (final_path, open_path) = (0..)
            .map(|serial| {
                let name = format!("{FILE_PREFIX}-{stamp}-{serial:05}{FILE_SUFFIX}");
                let open = dir.join(format!("{name}{OPEN_SUFFIX}"));
                (dir.join(name), open)
            })
            .find(|(f, o)| !f.exists() && !o.exists())
            .ok_or_else(|| write_error(&dir)(io::Error::other("no free file name")))?;
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&open_path)
            .map_err(write_error(&open_path))?;
        let index_path = dir.join(PAYLOADS_FILE);
        let mut writer = Writer {
            file,
            len: 0,
            open_path,
            final_path,
            index: load_index(&index_path),
            index_path,
            deflater: record::Deflater::new(),
        };
        writer
            .write_warcinfo(run)
            .map_err(write_error(&writer.open_path))?;
        Ok(WarcSink {
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Makes the file durable, gives it its final name and saves the payload index. Exchanges
    /// captured after this are dropped. Returns the file's path.
    pub fn finish(&self) -> Result<Option<PathBuf>, WarcError> {
        let taken = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(writer) = taken else {
            return Ok(None);
        };
        let Writer {
            file,
            open_path,
            final_path,
            index_path,
            mut index,
            ..
        } = writer;
        file.sync_all().map_err(write_error(&open_path))?;
        drop(file);
        std::fs::rename(&open_path, &final_path).map_err(write_error(&final_path))?;
        index.version = PAYLOADS_VERSION;
        save_index(&index_path, &index).map_err(write_error(&index_path))?;
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

    /// A response (or revisit) record and its request record.
    fn write_exchange(&mut self, c: &Capture, response: Response) -> io::Result<()> {
        let uri = c.target_uri.as_str();
        let response_uuid = uuid::Uuid::new_v4();
        let response_id = record::urn(response_uuid);
        let payload = payload_of(c);
        let Response { head, block } = response;
        let (digest, payload_len) = (&block.payload_digest, block.payload_len);
        let status = c.response.status;
        let previous = self.index.latest.get(uri).cloned();

        let identical = (200..300).contains(&status)
            && payload_len > 0
            && previous
                .as_ref()
                .is_some_and(|p| p.digest[..] == digest[..]);
        let revisit_profile = if status == 304 {
            Some(PROFILE_NOT_MODIFIED)
        } else if identical {
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
                if let Some(p) = &previous {
                    header
                        .add("WARC-Refers-To", record::urn(p.record_id))
                        .add("WARC-Refers-To-Target-URI", uri)
                        .add("WARC-Refers-To-Date", record::warc_date(p.date));
                }
                // A revisit's payload digest names the original's payload; its block is the
                // HTTP head alone.
                let original = previous.as_ref().map(|p| p.digest);
                self.append(
                    &header,
                    &head,
                    &Payload::None,
                    original.as_ref().map(|d| &d[..]),
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
                self.append_of(&header, &head, &payload, &block, Some(digest))?;
                if (200..300).contains(&status) && payload_len > 0 {
                    self.index.latest.insert(
                        uri.to_owned(),
                        Original {
                            digest: block.payload_digest,
                            // As written in WARC-Date, so an index read back compares equal.
                            date: c.date.trunc_subsecs(0),
                            record_id: response_uuid,
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
        let block = Block::of(&head, &payload_of(c))?;
        Ok(Response { head, block })
    }
}

fn payload_of(c: &Capture) -> Payload<'_> {
    match &c.body {
        CapturedBody::Empty => Payload::None,
        CapturedBody::Memory { bytes, .. } => Payload::Memory(bytes),
        CapturedBody::Temp(_) | CapturedBody::Blob(_) => match c.body.path() {
            Some(p) => Payload::File(p),
            None => Payload::None,
        },
    }
}

/// Header values are one line: a seed with a line break would end the field early.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// The payload index; a missing or unreadable one is an empty one (the cost is one more full
/// copy of each resource, never a wrong revisit).
fn load_index(path: &Path) -> PayloadIndex {
    let Ok(bytes) = std::fs::read(path) else {
        return PayloadIndex::default();
    };
    match serde_json::from_slice::<PayloadIndex>(&bytes) {
        Ok(index) if index.version == PAYLOADS_VERSION => index,
        Ok(_) | Err(_) => {
            tracing::warn!(
                "ignoring the unreadable WARC payload index {}",
                path.display()
            );
            PayloadIndex::default()
        }
    }
}

fn save_index(path: &Path, index: &PayloadIndex) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("index path has no parent"))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".payloads-")
        .tempfile_in(dir)?;
    serde_json::to_writer(&mut temp, index)?;
    temp.flush()?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
mod tests {
    use super::*;
    use crate::fetch::capture::{CapturedRequest, CapturedResponse};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn capture(url: &str, status: u16, body: &[u8]) -> Result<Capture, url::ParseError> {
        Ok(Capture {
            target_uri: url::Url::parse(url)?,
            date: Utc::now(),
            remote_ip: Some([127, 0, 0, 1].into()),
            request: CapturedRequest {
                method: "GET".into(),
                target: "/".into(),
                headers: vec![("Host".into(), b"a".to_vec())],
            },
            response: CapturedResponse {
                version: "HTTP/1.1".into(),
                status,
                reason: "OK".into(),
                headers: vec![("Content-Type".into(), b"text/plain".to_vec())],
            },
            body: if body.is_empty() {
                CapturedBody::Empty
            } else {
                CapturedBody::Memory {
                    bytes: body.to_vec(),
                    truncated: false,
                }
            },
        })
    }

    fn types(path: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let _ = read::read_records(path, |r| {
            out.push(r.header("WARC-Type").unwrap_or("?").to_owned());
        });
        out
    }

    fn run_info() -> RunInfo {
        RunInfo {
            started: Utc::now(),
            run_id: 1,
            seeds: vec!["http://a/".into()],
        }
    }

    #[test]
    fn identical_payloads_and_304s_become_revisits_across_runs() -> TestResult {
        let dir = tempfile::tempdir()?;
        let sink = WarcSink::open(dir.path(), &run_info())?;
        sink.capture(capture("http://a/x", 200, b"same")?);
        sink.capture(capture("http://a/x", 200, b"same")?);
        let first = sink.finish()?.ok_or("no file")?;
        assert_eq!(
            types(&first),
            ["warcinfo", "response", "request", "revisit", "request"]
        );

        let sink = WarcSink::open(dir.path(), &run_info())?;
        sink.capture(capture("http://a/x", 200, b"same")?);
        sink.capture(capture("http://a/x", 304, b"")?);
        sink.capture(capture("http://a/x", 200, b"new")?);
        let second = sink.finish()?.ok_or("no file")?;
        assert_ne!(first, second, "one file per run");
        assert_eq!(
            types(&second),
            [
                "warcinfo", "revisit", "request", "revisit", "request", "response", "request"
            ]
        );
        Ok(())
    }

    #[test]
    fn a_file_left_open_keeps_its_complete_records() -> TestResult {
        let dir = tempfile::tempdir()?;
        let sink = WarcSink::open(dir.path(), &run_info())?;
        sink.capture(capture("http://a/x", 200, b"body")?);
        let open = {
            let guard = sink.writer.lock().map_err(|_| "poisoned")?;
            guard.as_ref().ok_or("closed")?.open_path.clone()
        };
        drop(sink);
        // A record the kill cut short.
        let mut f = OpenOptions::new().append(true).open(&open)?;
        f.write_all(&[0x1f, 0x8b, 8, 0, 0, 0])?;
        drop(f);

        let sink = WarcSink::open(dir.path(), &run_info())?;
        sink.finish()?;
        let finalized = PathBuf::from(open.to_string_lossy().trim_end_matches(OPEN_SUFFIX));
        assert_eq!(types(&finalized), ["warcinfo", "response", "request"]);
        assert!(read::read_records(&finalized, |_| {}).is_ok());
        assert!(!open.exists());
        Ok(())
    }

    #[test]
    fn a_record_whose_payload_changes_while_it_is_written_is_cut_off_again() -> TestResult {
        let dir = tempfile::tempdir()?;
        let sink = WarcSink::open(dir.path(), &run_info())?;
        let body = dir.path().join("body");
        let mut guard = sink.writer.lock().map_err(|_| "poisoned")?;
        let writer = guard.as_mut().ok_or("closed")?;
        let before = writer.file.metadata()?.len();
        // Stored and deflated records fail the same way.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let noise = (0..200_000).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[3]
        });
        for payload in [vec![7; 200_000], noise.collect()] {
            std::fs::write(&body, &payload)?;
            let head = b"HTTP/1.1 200 OK\r\n\r\n";
            let block = Block::of(head, &Payload::File(&body))?;
            OpenOptions::new()
                .append(true)
                .open(&body)?
                .write_all(b"more")?;
            let header = Header::new("response", &record::record_id(), Utc::now());
            let written = writer.append_of(&header, head, &Payload::File(&body), &block, None);
            assert!(written.is_err());
            assert_eq!(writer.file.metadata()?.len(), before);
        }
        let open = writer.open_path.clone();
        drop(guard);
        assert_eq!(read::read_records(&open, |_| {}).ok(), Some(before));
        Ok(())
    }
}
