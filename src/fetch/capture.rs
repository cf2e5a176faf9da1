//! What one HTTP exchange looked like on the wire, for whoever archives exchanges (the WARC
//! writer): the request as linkward sent it, the response head as received, the peer's address
//! and the raw body (de-chunked, not content-decoded). The fetcher hands each exchange to a
//! `CaptureSink`; this module knows nothing of any archive format, and no reqwest type leaves it.
//! The fetcher's side is here too: an `Exchange` made of a response head, the capped read of a
//! body that is not kept, and the hand-over to the sink on the blocking pool.
//!
//! Invariant: a `Capture` owns its raw-body temp file (when it has one); dropping the capture
//! deletes it, so a sink that fails or is gone leaves nothing behind in `tmp/`.

use std::net::IpAddr;
use std::path::Path;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::time::Instant;
use url::Url;

use super::{Fetcher, USER_AGENT, Validators};
use crate::model::Sha256;

/// What a host rule's header value is recorded as: the header's name is kept (a reader sees that
/// the request was authenticated), its value (a token, a cookie) never reaches the archive.
pub const REDACTED: &str = "[redacted]";

/// Most bytes of a non-2xx (or redirect) body read for a capture: enough for any error page,
/// bounded for a hostile one. The body is read only for the capture; it is never kept as a copy.
pub const MAX_CAPTURED_ERROR_BODY: usize = 1024 * 1024;

/// The request line and headers linkward sent. reqwest does not expose the bytes it wrote, so
/// they are rebuilt from what the fetcher asked for: the same names and values, in a fixed order,
/// except that the values of host-rule headers are `REDACTED`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedRequest {
    pub method: String,
    /// Path and query, as sent on the request line.
    pub target: String,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// The response head as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedResponse {
    /// `HTTP/1.1`, `HTTP/2.0`...
    pub version: String,
    pub status: u16,
    /// The canonical reason phrase for the status (hyper does not keep the one sent).
    pub reason: String,
    /// In received order, `Transfer-Encoding` left out (see `response_head`).
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Where the raw body of an exchange is.
#[derive(Debug)]
pub enum CapturedBody {
    /// No body (a 304, a HEAD-like answer, an empty body).
    Empty,
    /// A small body read into memory (error and redirect pages, capped).
    Memory { bytes: Vec<u8>, truncated: bool },
    /// A temp file of its own, deleted when the capture is dropped.
    Temp(tempfile::TempPath),
    /// The kept body itself (its temp file or its buffer): for an identity-encoded body the raw
    /// bytes are the decoded ones.
    Kept(crate::archive::Held),
}

impl CapturedBody {
    /// The file holding the body, when it is in one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            CapturedBody::Temp(p) => Some(p),
            CapturedBody::Kept(held) => held.path(),
            _ => None,
        }
    }
}

/// One request and its response.
#[derive(Debug)]
pub struct Capture {
    pub target_uri: Url,
    /// When the request was sent.
    pub date: DateTime<Utc>,
    pub remote_ip: Option<IpAddr>,
    pub request: CapturedRequest,
    pub response: CapturedResponse,
    pub body: CapturedBody,
    /// The body the fetcher kept from this exchange, when it kept one (a 2xx read whole).
    pub kept: Option<KeptBody>,
    /// That body's bytes, decoded (`kept.sha256` is theirs): the raw body itself when it was not
    /// content-encoded.
    pub decoded: Option<crate::archive::Held>,
    /// For a 304: the hash of the copy it stands for.
    pub held: Option<Sha256>,
}

/// A body kept from an exchange: its hash and length once decoded (what every record names),
/// and the Content-Encoding its raw bytes, the exchange's payload, are in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptBody {
    pub sha256: Sha256,
    pub bytes: u64,
    /// `None` for an identity body: the payload is the body.
    pub encoding: Option<String>,
    /// Its Content-Type, as the fetch outcome records it.
    pub content_type: Option<String>,
}

/// Receives every exchange the fetcher makes. Called on the blocking pool: an implementation may
/// do blocking file I/O, and must never fail the fetch (it logs what it could not write).
pub trait CaptureSink: Send + Sync {
    fn capture(&self, capture: Capture);
}

/// An exchange whose response head is in, waiting for its body to be captured.
pub(super) struct Exchange {
    pub(super) url: Url,
    pub(super) date: DateTime<Utc>,
    pub(super) remote_ip: Option<std::net::IpAddr>,
    pub(super) request: CapturedRequest,
    pub(super) response: CapturedResponse,
    /// For a conditional request: the copy its validators are for.
    pub(super) held: Option<Sha256>,
}

impl Fetcher {
    /// The exchange being made, when exchanges are captured.
    pub(super) fn exchange(
        &self,
        url: &Url,
        date: DateTime<Utc>,
        validators: &Validators,
        response: &reqwest::Response,
    ) -> Option<Exchange> {
        self.capture.as_ref()?;
        let mut sent = HeaderMap::new();
        let mut validator = |name, value: &Option<String>| {
            if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                sent.insert(name, v);
            }
        };
        validator(header::IF_NONE_MATCH, &validators.etag);
        validator(header::IF_MODIFIED_SINCE, &validators.last_modified);
        if let Some(extra) = self.extra_headers(url) {
            for name in extra.keys() {
                sent.append(name, HeaderValue::from_static(REDACTED));
            }
        }
        Some(Exchange {
            url: url.clone(),
            date,
            remote_ip: response.remote_addr().map(|a| a.ip()),
            request: request_head(url, USER_AGENT, &sent),
            response: response_head(response.version(), response.status(), response.headers()),
            held: validators.held,
        })
    }

    /// Hands an exchange to the sink on the blocking pool (it writes files).
    pub(super) async fn emit(
        &self,
        exchange: Exchange,
        body: CapturedBody,
        kept: Option<KeptBody>,
        decoded: Option<crate::archive::Held>,
    ) {
        let Some(sink) = self.capture.clone() else {
            return;
        };
        let capture = Capture {
            target_uri: exchange.url,
            date: exchange.date,
            remote_ip: exchange.remote_ip,
            request: exchange.request,
            response: exchange.response,
            body,
            kept,
            held: exchange.held,
            decoded,
        };
        if let Err(e) = tokio::task::spawn_blocking(move || sink.capture(capture)).await {
            tracing::warn!("capturing an exchange failed: {e}");
        }
    }

    /// Captures an answer whose body is not kept (a redirect, an error, a 304): at most
    /// `MAX_CAPTURED_ERROR_BODY` of it is read, within the fetch's time limits, for the capture
    /// only (not counted as downloaded). Does nothing when exchanges are not captured.
    pub(super) async fn capture_unkept(
        &self,
        exchange: Option<Exchange>,
        response: reqwest::Response,
        deadline: Instant,
    ) {
        let Some(exchange) = exchange else {
            return;
        };
        let mut bytes = Vec::new();
        let mut truncated = false;
        if exchange.response.status != 304 {
            let mut stream = response.bytes_stream();
            loop {
                let idle = (Instant::now() + self.limits.idle_timeout).min(deadline);
                match tokio::time::timeout_at(idle, stream.next()).await {
                    Ok(Some(Ok(chunk))) => {
                        let room = MAX_CAPTURED_ERROR_BODY - bytes.len();
                        if chunk.len() > room {
                            bytes.extend_from_slice(&chunk[..room]);
                            truncated = true;
                            break;
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    // What arrived before a stall or a broken connection is what was received.
                    Ok(Some(Err(_))) | Err(_) => {
                        truncated = true;
                        break;
                    }
                }
            }
        }
        let body = if bytes.is_empty() && !truncated {
            CapturedBody::Empty
        } else {
            CapturedBody::Memory { bytes, truncated }
        };
        self.emit(exchange, body, None, None).await;
    }
}

/// Rebuilds the request head the fetcher sent for `url`: what reqwest adds (Host, User-Agent,
/// Accept, Accept-Encoding) and what the fetcher added (`extra`: validators, host-rule headers).
fn request_head(url: &Url, user_agent: &str, extra: &HeaderMap) -> CapturedRequest {
    let mut target = url.path().to_owned();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => String::new(),
    };
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    let mut set = |name: &str, value: &[u8]| match headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        Some(slot) => slot.1 = value.to_vec(),
        None => headers.push((name.to_owned(), value.to_vec())),
    };
    set("Host", host.as_bytes());
    set("User-Agent", user_agent.as_bytes());
    set("Accept", b"*/*");
    set("Accept-Encoding", b"gzip, deflate, br");
    for (name, value) in extra {
        // Host-rule headers replace reqwest's defaults of the same name, as they do on the wire.
        set(&title_case(name.as_str()), value.as_bytes());
    }
    CapturedRequest {
        method: "GET".into(),
        target,
        headers,
    }
}

/// The response head as received. `Transfer-Encoding` is dropped: the body captured is the
/// de-chunked one, so a reader honouring the header would mis-parse it.
fn response_head(
    version: reqwest::Version,
    status: reqwest::StatusCode,
    headers: &HeaderMap,
) -> CapturedResponse {
    CapturedResponse {
        version: format!("{version:?}"),
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        headers: headers
            .iter()
            .filter(|(n, _)| *n != reqwest::header::TRANSFER_ENCODING)
            .map(|(n, v)| (title_case(n.as_str()), v.as_bytes().to_vec()))
            .collect(),
    }
}

/// `content-type` → `Content-Type`: HTTP/1 names as servers and browsers usually spell them
/// (header names are case-insensitive; http lowercases them).
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, IF_NONE_MATCH};

    #[test]
    fn the_request_head_is_what_linkward_sends() -> Result<(), Box<dyn std::error::Error>> {
        let url = Url::parse("http://127.0.0.1:8080/a/b.pdf?x=1#frag")?;
        let mut extra = HeaderMap::new();
        extra.insert(IF_NONE_MATCH, HeaderValue::from_static("\"v1\""));
        extra.insert("accept", HeaderValue::from_static("application/pdf"));
        let head = request_head(&url, "linkward/0", &extra);
        assert_eq!(head.target, "/a/b.pdf?x=1");
        let names: Vec<&str> = head.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Host",
                "User-Agent",
                "Accept",
                "Accept-Encoding",
                "If-None-Match"
            ]
        );
        assert_eq!(head.headers[0].1, b"127.0.0.1:8080");
        assert_eq!(head.headers[2].1, b"application/pdf");
        Ok(())
    }

    #[test]
    fn transfer_encoding_is_left_out_of_the_response_head() -> Result<(), Box<dyn std::error::Error>>
    {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/html"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        let head = response_head(reqwest::Version::HTTP_11, reqwest::StatusCode::OK, &headers);
        assert_eq!(head.version, "HTTP/1.1");
        assert_eq!(head.reason, "OK");
        assert_eq!(
            head.headers,
            [("Content-Type".to_owned(), b"text/html".to_vec())]
        );
        Ok(())
    }
}
