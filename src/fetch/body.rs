//! A 2xx body, streamed: content decoding (ours, not reqwest's, so raw bytes are counted against
//! Content-Length and decoded ones against --max-size) into a running sha256 and a temp file in
//! the archive, within the idle and whole-fetch timeouts, with the raw bytes teed aside when the
//! exchange is captured. At most `CHUNK` of a body is held in memory at once.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder};
use futures_util::TryStreamExt;
use reqwest::header;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;
use tokio_util::io::StreamReader;

use super::capture::{CapturedBody, Exchange, KeptBody};
use super::{Failure, Fetcher, Outcome, failed, header_string};
use crate::archive::Archive;

/// Read size for bodies; also the most of a body held in memory at once.
const CHUNK: usize = 64 * 1024;

impl Fetcher {
    /// Streams a 2xx body through decoding into the archive, within the size and time limits.
    /// With an `exchange` to capture, the raw body is also kept for it (see `RawTee`) and the
    /// exchange is handed to the sink once the body is archived whole.
    pub(super) async fn read_body(
        &self,
        response: reqwest::Response,
        deadline: Instant,
        exchange: Option<Exchange>,
    ) -> (Outcome, u64) {
        let raw_bytes = Arc::new(AtomicU64::new(0));
        let (outcome, raw_body, encoding) = self
            .read_body_counted(response, deadline, raw_bytes.clone(), exchange.is_some())
            .await;
        if let (
            Some(exchange),
            Outcome::Body {
                blob, content_type, ..
            },
        ) = (exchange, &outcome)
        {
            let body = match (raw_body, &blob.held) {
                (Some(temp), _) => CapturedBody::Temp(temp),
                (None, _) if blob.bytes == 0 => CapturedBody::Empty,
                (None, Some(held)) => CapturedBody::Kept(held.clone()),
                (None, None) => CapturedBody::Empty,
            };
            let kept = KeptBody {
                sha256: blob.sha256,
                bytes: blob.bytes,
                encoding: is_decoded(&encoding).then_some(encoding),
                content_type: content_type.clone(),
            };
            self.emit(exchange, body, Some(kept), blob.held.clone())
                .await;
        }
        (outcome, raw_bytes.load(Ordering::Relaxed))
    }

    /// Reads the body; with `tee`, a content-encoded body's raw bytes also go to a temp file of
    /// their own (returned), while an identity one needs none: its blob holds the raw bytes.
    async fn read_body_counted(
        &self,
        response: reqwest::Response,
        deadline: Instant,
        raw_bytes: Arc<AtomicU64>,
        tee: bool,
    ) -> (Outcome, Option<tempfile::TempPath>, String) {
        let status = response.status().as_u16();
        let headers = response.headers();
        let content_type = header_string(headers, header::CONTENT_TYPE);
        let etag = header_string(headers, header::ETAG);
        let last_modified = header_string(headers, header::LAST_MODIFIED);
        let declared_len =
            header_string(headers, header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
        let encoding = header_string(headers, header::CONTENT_ENCODING)
            .map(|e| e.trim().to_ascii_lowercase())
            .unwrap_or_default();

        let (tee, tee_path) = if tee && is_decoded(&encoding) {
            match RawTee::new(&self.archive) {
                Ok((t, path)) => (Some(Arc::new(tokio::sync::Mutex::new(t))), Some(path)),
                Err(e) => {
                    return (
                        failed(Failure::Other, Some(status), e.to_string()),
                        None,
                        encoding,
                    );
                }
            }
        } else {
            (None, None)
        };
        let max_size = self.limits.max_size;
        let counter = raw_bytes.clone();
        let tee_in = tee.clone();
        // Raw bytes count against --max-size as they arrive, and go to the tee's file in
        // batches: a body that decodes to little (a gzip stream of empty blocks) can neither
        // queue its raw bytes in memory nor slip past the limit.
        let raw = response
            .bytes_stream()
            .map_err(std::io::Error::other)
            .and_then(move |chunk| {
                let counter = counter.clone();
                let tee = tee_in.clone();
                async move {
                    let total = counter.fetch_add(chunk.len() as u64, Ordering::Relaxed)
                        + chunk.len() as u64;
                    if total > max_size {
                        return Err(std::io::Error::other(RawTooLarge));
                    }
                    if let Some(tee) = tee {
                        tee.lock().await.push(&chunk).await?;
                    }
                    Ok(chunk)
                }
            });
        let mut body = decoded(&encoding, StreamReader::new(raw));

        // A body whose length is declared and not encoded is read through a buffer of its size,
        // and held in one: most bodies are a few KiB, and 128 fetches in flight each holding
        // 64 KiB twice over (read buffer and write batch) were 16 MiB of a run's peak.
        let expected = declared_len
            .filter(|_| encoding.is_empty() || encoding == "identity")
            .and_then(|n| usize::try_from(n).ok());
        let mut writer = self.archive.writer_for(expected);
        let outcome = 'read: {
            // One byte more than declared, so the end of the body is seen in one read.
            let mut buf =
                vec![0u8; expected.map_or(CHUNK, |n| n.saturating_add(1).clamp(1, CHUNK))];
            let truncated = |raw: u64| {
                let expected = declared_len.map_or(String::new(), |n| format!(" of {n}"));
                failed(
                    Failure::Truncated,
                    Some(status),
                    format!("body ended after {raw}{expected} bytes"),
                )
            };
            loop {
                let idle = (Instant::now() + self.limits.idle_timeout).min(deadline);
                let n = match tokio::time::timeout_at(idle, body.read(&mut buf)).await {
                    Err(_) => {
                        let why = if idle < deadline {
                            "no body bytes for the idle timeout"
                        } else {
                            "the fetch timeout ran out while reading the body"
                        };
                        break 'read failed(
                            Failure::Timeout,
                            Some(status),
                            format!("{why} (after {} bytes)", writer.bytes()),
                        );
                    }
                    Ok(Err(e)) if e.get_ref().is_some_and(|inner| inner.is::<RawTooLarge>()) => {
                        break 'read failed(
                            Failure::TooLarge,
                            Some(status),
                            // As sent or decoded, the same limit: the same words.
                            format!("body larger than {} bytes", self.limits.max_size),
                        );
                    }
                    Ok(Err(e)) => {
                        let raw = raw_bytes.load(Ordering::Relaxed);
                        // A network error mid-body is a truncation; otherwise the encoding is bad.
                        let network = e
                            .get_ref()
                            .is_some_and(|inner| inner.is::<reqwest::Error>());
                        break 'read if network || declared_len.is_some_and(|n| raw < n) {
                            truncated(raw)
                        } else {
                            failed(
                                Failure::Other,
                                Some(status),
                                format!("could not decode the {encoding} body: {e}"),
                            )
                        };
                    }
                    Ok(Ok(0)) => break,
                    Ok(Ok(n)) => n,
                };
                if writer.bytes() + n as u64 > self.limits.max_size {
                    break 'read failed(
                        Failure::TooLarge,
                        Some(status),
                        format!("body larger than {} bytes", self.limits.max_size),
                    );
                }
                if let Err(e) = writer.write(&buf[..n]).await {
                    break 'read failed(Failure::Other, Some(status), e.to_string());
                }
            }
            let raw = raw_bytes.load(Ordering::Relaxed);
            if declared_len.is_some_and(|n| raw < n) {
                break 'read truncated(raw);
            }
            if let Some(tee) = &tee
                && let Err(e) = tee.lock().await.finish().await
            {
                break 'read failed(Failure::Other, Some(status), e.to_string());
            }
            match writer.finish().await {
                Ok(blob) => Outcome::Body {
                    status,
                    content_type,
                    etag,
                    last_modified,
                    blob,
                },
                Err(e) => failed(Failure::Other, Some(status), e.to_string()),
            }
        };
        let raw_body = match (&outcome, tee_path) {
            (Outcome::Body { .. }, Some(path)) => Some(path),
            _ => None,
        };
        (outcome, raw_body, encoding)
    }
}

/// Raw bytes past --max-size: the stream ends with this error, which the reader reports as
/// too large.
#[derive(Debug)]
struct RawTooLarge;

impl std::fmt::Display for RawTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the body as sent is larger than --max-size")
    }
}

impl std::error::Error for RawTooLarge {}

/// Raw bytes gathered before they are written to the tee's file: at most this much of a raw
/// body waits in memory.
const TEE_BATCH: usize = 256 * 1024;

/// The raw (still content-encoded) bytes of a body on their way to a temp file, beside the
/// decoded ones going to the blob. Chunks are written as they arrive, in batches of
/// `TEE_BATCH`, whatever the decoder makes of them.
struct RawTee {
    pending: Vec<u8>,
    file: tokio::fs::File,
}

impl RawTee {
    fn new(
        archive: &Archive,
    ) -> Result<(RawTee, tempfile::TempPath), crate::archive::ArchiveError> {
        let (file, path) = archive.temp_file()?;
        let tee = RawTee {
            pending: Vec::with_capacity(TEE_BATCH),
            file,
        };
        Ok((tee, path))
    }

    async fn push(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.pending.extend_from_slice(chunk);
        if self.pending.len() >= TEE_BATCH {
            self.file.write_all(&self.pending).await?;
            self.pending.clear();
        }
        Ok(())
    }

    async fn finish(&mut self) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.file.write_all(&self.pending).await?;
        self.pending.clear();
        self.file.flush().await
    }
}

/// Whether `decoded` changes the bytes of this Content-Encoding.
fn is_decoded(encoding: &str) -> bool {
    matches!(encoding, "gzip" | "x-gzip" | "br" | "deflate")
}

type BodyReader = Pin<Box<dyn AsyncRead + Send>>;

/// Wraps the raw body in the decoder its Content-Encoding names; unknown encodings are kept as
/// received rather than guessed at.
fn decoded<R>(encoding: &str, raw: R) -> BodyReader
where
    R: tokio::io::AsyncBufRead + Send + 'static,
{
    match encoding {
        "gzip" | "x-gzip" => {
            let mut d = GzipDecoder::new(raw);
            d.multiple_members(true);
            Box::pin(d)
        }
        "br" => Box::pin(BrotliDecoder::new(raw)),
        "deflate" => Box::pin(ZlibDecoder::new(raw)),
        _ => Box::pin(raw),
    }
}
