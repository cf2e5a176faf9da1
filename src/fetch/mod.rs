//! Fetching one URL: every redirect hop followed and recorded by us, the body streamed through
//! content decoding into a running sha256 and a temp file in the archive, and every way a fetch
//! can fail turned into a `Failure` value. `reqwest` types stay inside this module.

pub mod politeness;

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;
use tokio_util::io::StreamReader;
use url::Url;

use crate::archive::{Archive, Blob};
use crate::config::Config;
use crate::model::Hop;
use politeness::Politeness;

/// The User-Agent every request carries.
pub const USER_AGENT: &str = concat!("linkward/", env!("CARGO_PKG_VERSION"));

/// Read size for bodies; also the most of a body held in memory at once.
const CHUNK: usize = 64 * 1024;

/// Why a fetch produced no usable answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Dns,
    Connect,
    Tls,
    Timeout,
    RedirectLoop,
    TooManyRedirects,
    /// A redirect to a scheme other than http(s).
    UnsupportedRedirect,
    Truncated,
    TooLarge,
    Other,
}

/// What the last hop of a fetch came to.
#[derive(Debug)]
pub enum Outcome {
    /// A 2xx whose whole body was read and archived.
    Body {
        status: u16,
        content_type: Option<String>,
        etag: Option<String>,
        last_modified: Option<String>,
        blob: Blob,
    },
    /// A final non-2xx answer; its body is not kept.
    Status {
        status: u16,
        content_type: Option<String>,
    },
    Failed {
        failure: Failure,
        /// The status of the last answer, when there was one.
        status: Option<u16>,
        detail: String,
    },
}

/// One fetch of one URL, with its redirect chain.
#[derive(Debug)]
pub struct Fetched {
    pub requested: Url,
    /// The URL the last request went to.
    pub final_url: Url,
    pub redirects: Vec<Hop>,
    pub started: DateTime<Utc>,
    pub elapsed: Duration,
    pub outcome: Outcome,
}

/// Limits of one fetch, from the run's config.
#[derive(Clone, Debug)]
struct Limits {
    timeout: Duration,
    idle_timeout: Duration,
    max_size: u64,
    max_redirects: usize,
}

/// The HTTP client, the per-host politeness and the archive bodies go to.
pub struct Fetcher {
    client: reqwest::Client,
    politeness: Politeness,
    archive: Archive,
    limits: Limits,
}

impl Fetcher {
    pub fn new(config: &Config, archive: Archive) -> Result<Fetcher, String> {
        let mut headers = HeaderMap::new();
        // Decoding is ours (see `decoded`), so the raw bytes can be counted against
        // Content-Length and the decoded ones against --max-size.
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br"),
        );
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Fetcher {
            client,
            politeness: Politeness::new(config.per_host_rate, config.per_host_concurrency),
            archive,
            limits: Limits {
                timeout: config.timeout,
                idle_timeout: config.idle_timeout,
                max_size: config.max_size,
                max_redirects: config.max_redirects,
            },
        })
    }

    /// Fetches `url`, following redirects, archiving a 2xx body. Never fails: every problem is
    /// an `Outcome::Failed`.
    pub async fn fetch(&self, url: &Url) -> Fetched {
        let started = Utc::now();
        let clock = Instant::now();
        let mut current = url.clone();
        let mut seen = HashSet::from([url.clone()]);
        let mut redirects = Vec::new();
        let mut deadline = None;
        let outcome = loop {
            let _permit = self.politeness.acquire(&current).await;
            // The clock starts once politeness lets the first request go.
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + self.limits.timeout);
            let response =
                match tokio::time::timeout_at(deadline, self.client.get(current.clone()).send())
                    .await
                {
                    Err(_) => {
                        break failed(Failure::Timeout, None, "no response before the timeout");
                    }
                    Ok(Err(e)) => break failed(classify_error(&e), None, error_chain(&e)),
                    Ok(Ok(r)) => r,
                };
            let status = response.status().as_u16();
            if response.status().is_redirection() {
                let location = response.headers().get(header::LOCATION).map(|l| l.to_str());
                match location {
                    Some(Ok(loc)) => {
                        let next = match current.join(loc.trim()) {
                            Ok(next) => next,
                            Err(e) => {
                                break failed(
                                    Failure::Other,
                                    Some(status),
                                    format!("malformed Location {loc:?}: {e}"),
                                );
                            }
                        };
                        redirects.push(Hop {
                            status,
                            location: next.to_string(),
                        });
                        if !matches!(next.scheme(), "http" | "https") {
                            break failed(
                                Failure::UnsupportedRedirect,
                                Some(status),
                                format!("redirected to {next}"),
                            );
                        }
                        if !seen.insert(next.clone()) {
                            break failed(
                                Failure::RedirectLoop,
                                Some(status),
                                format!("{next} again"),
                            );
                        }
                        if redirects.len() > self.limits.max_redirects {
                            break failed(
                                Failure::TooManyRedirects,
                                Some(status),
                                format!("more than {} redirects", self.limits.max_redirects),
                            );
                        }
                        current = next;
                        continue;
                    }
                    Some(Err(_)) => {
                        break failed(Failure::Other, Some(status), "Location is not valid text");
                    }
                    // A 3xx with no Location (300, 304, ...) is a final answer.
                    None => {}
                }
            }
            let content_type = header_string(response.headers(), header::CONTENT_TYPE);
            if !response.status().is_success() {
                break Outcome::Status {
                    status,
                    content_type,
                };
            }
            break self.read_body(response, deadline).await;
        };
        Fetched {
            requested: url.clone(),
            final_url: current,
            redirects,
            started,
            elapsed: clock.elapsed(),
            outcome,
        }
    }

    /// Streams a 2xx body through decoding into the archive, within the size and time limits.
    async fn read_body(&self, response: reqwest::Response, deadline: Instant) -> Outcome {
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

        let raw_bytes = Arc::new(AtomicU64::new(0));
        let counter = raw_bytes.clone();
        let raw = response
            .bytes_stream()
            .inspect_ok(move |chunk| {
                counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            })
            .map_err(std::io::Error::other);
        let mut body = decoded(&encoding, StreamReader::new(raw));

        let mut writer = match self.archive.writer() {
            Ok(w) => w,
            Err(e) => return failed(Failure::Other, Some(status), e.to_string()),
        };
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
                    return failed(
                        Failure::Timeout,
                        Some(status),
                        format!("body stalled after {} bytes", writer.bytes()),
                    );
                }
                Ok(Err(e)) => {
                    let raw = raw_bytes.load(Ordering::Relaxed);
                    // A network error mid-body is a truncation; otherwise the encoding is bad.
                    let network = e
                        .get_ref()
                        .is_some_and(|inner| inner.is::<reqwest::Error>());
                    return if network || declared_len.is_some_and(|n| raw < n) {
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
                return failed(
                    Failure::TooLarge,
                    Some(status),
                    format!("body larger than {} bytes", self.limits.max_size),
                );
            }
            if let Err(e) = writer.write(&buf[..n]).await {
                return failed(Failure::Other, Some(status), e.to_string());
            }
        }
        let raw = raw_bytes.load(Ordering::Relaxed);
        if declared_len.is_some_and(|n| raw < n) {
            return truncated(raw);
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
    }
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

fn failed(failure: Failure, status: Option<u16>, detail: impl Into<String>) -> Outcome {
    Outcome::Failed {
        failure,
        status,
        detail: detail.into(),
    }
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The error and all its sources, as one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Sorts a transport error into the reasons users act on differently.
fn classify_error(e: &reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout;
    }
    let chain = error_chain(e).to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| chain.contains(n));
    if has(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no such host",
    ]) {
        Failure::Dns
    } else if has(&["certificate", "tls", "ssl", "handshake"]) {
        Failure::Tls
    } else if e.is_connect()
        || has(&[
            "connection refused",
            "connection reset",
            "connection closed",
        ])
    {
        Failure::Connect
    } else {
        Failure::Other
    }
}
