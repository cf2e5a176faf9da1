//! A 2xx body, streamed: content decoding (ours, not reqwest's, so raw bytes are counted against
//! Content-Length and decoded ones against --max-size) into a running sha256 and a temp file in
//! the archive, within the idle and whole-fetch timeouts, with the raw bytes teed aside when the
//! exchange is captured. At most `CHUNK` of a body is held in memory at once.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder};
use futures_util::TryStreamExt;
use reqwest::header;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;
use tokio_util::io::StreamReader;

use super::capture::{CapturedBody, Exchange};
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
        let (outcome, raw_body) = self
            .read_body_counted(response, deadline, raw_bytes.clone(), exchange.is_some())
            .await;
        if let (Some(exchange), Outcome::Body { blob, .. }) = (exchange, &outcome) {
            let body = match raw_body {
                Some(temp) => CapturedBody::Temp(temp),
                None if blob.bytes == 0 => CapturedBody::Empty,
                None => CapturedBody::Blob(self.archive.blob_path(&blob.sha256)),
            };
            self.emit(exchange, body).await;
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
    ) -> (Outcome, Option<tempfile::TempPath>) {
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

        let mut tee = if tee && is_decoded(&encoding) {
            match RawTee::new(&self.archive) {
                Ok(t) => Some(t),
                Err(e) => return (failed(Failure::Other, Some(status), e.to_string()), None),
            }
        } else {
            None
        };
        let pending = tee.as_ref().map(|t| t.pending.clone());
        let counter = raw_bytes.clone();
        let raw = response
            .bytes_stream()
            .inspect_ok(move |chunk| {
                counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                if let Some(pending) = &pending {
                    pending
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .extend_from_slice(chunk);
                }
            })
            .map_err(std::io::Error::other);
        let mut body = decoded(&encoding, StreamReader::new(raw));

        let mut writer = match self.archive.writer() {
            Ok(w) => w,
            Err(e) => return (failed(Failure::Other, Some(status), e.to_string()), None),
        };
        let outcome = 'read: {
            let mut buf = vec![0u8; CHUNK];
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
                if let Some(tee) = &mut tee
                    && let Err(e) = tee.drain().await
                {
                    break 'read failed(Failure::Other, Some(status), e.to_string());
                }
            }
            let raw = raw_bytes.load(Ordering::Relaxed);
            if declared_len.is_some_and(|n| raw < n) {
                break 'read truncated(raw);
            }
            if let Some(tee) = &mut tee
                && let Err(e) = tee.finish().await
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
        let raw_body = match (&outcome, tee) {
            (Outcome::Body { .. }, Some(tee)) => Some(tee.path),
            _ => None,
        };
        (outcome, raw_body)
    }
}

/// The raw (still content-encoded) bytes of a body on their way to a temp file, beside the
/// decoded ones going to the blob. Chunks are queued by the stream as they arrive and written
/// after each decoded read, so at most a few chunks wait in memory.
struct RawTee {
    pending: Arc<Mutex<Vec<u8>>>,
    file: tokio::fs::File,
    path: tempfile::TempPath,
}

impl RawTee {
    fn new(archive: &Archive) -> Result<RawTee, crate::archive::ArchiveError> {
        let (file, path) = archive.temp_file()?;
        Ok(RawTee {
            pending: Arc::default(),
            file,
            path,
        })
    }

    async fn drain(&mut self) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        let chunk = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if !chunk.is_empty() {
            self.file.write_all(&chunk).await?;
        }
        Ok(())
    }

    async fn finish(&mut self) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.drain().await?;
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
