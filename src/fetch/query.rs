//! Questions to an API (a web archive's availability API or TimeGate), as opposed to fetches of
//! a resource: one request through the host's politeness, within --timeout, redirects not
//! followed, the answer read whole up to a bound and never archived or captured. A 429/503
//! pauses the host for every question still queued for it.

use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap};
use tokio::time::Instant;
use url::Url;

use super::{Fetcher, error_chain, parse_retry_after};

/// An API's answer, read whole (it is small by construction: see `Fetcher::query`).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Why an API request got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No answer at all (DNS, connection, no response before the timeout): the host is likely
    /// down for every question.
    #[error("{0}")]
    Unanswered(String),
    /// An answer began but could not be read whole, or was an error.
    #[error("{0}")]
    Failed(String),
    /// Not sent: no longer wanted once a slot was free.
    #[error("not asked")]
    NotAsked,
}

impl Fetcher {
    /// One request to an API (a web archive's availability API or TimeGate): through the host's
    /// politeness, within --timeout, redirects not followed, the body read up to `max_body`
    /// bytes (0: not read at all). Not captured: these are questions about a resource, not
    /// copies of it.
    pub async fn query(
        &self,
        url: &Url,
        headers: HeaderMap,
        max_body: usize,
        still_wanted: &(dyn Fn() -> bool + Sync),
    ) -> Result<Answer, QueryError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(QueryError::Failed(format!("{url} is not an http(s) URL")));
        }
        let _permit = self.politeness.acquire(url).await;
        // The wait for a slot can be long: the answer may no longer be wanted by then (another
        // question found the host down).
        if !still_wanted() {
            return Err(QueryError::NotAsked);
        }
        let deadline = Instant::now() + self.limits.timeout;
        // Answers are read as they come: our decoding (see `decoded`) is for bodies we archive.
        let mut request = self
            .client
            .get(url.clone())
            .headers(headers)
            .header(header::ACCEPT_ENCODING, "identity");
        if let Some(extra) = self.extra_headers(url) {
            request = request.headers(extra.clone());
        }
        let response = match tokio::time::timeout_at(deadline, request.send()).await {
            Err(_) => {
                return Err(QueryError::Unanswered(format!(
                    "no answer within {:?}",
                    self.limits.timeout
                )));
            }
            Ok(Err(e)) if e.is_builder() => return Err(QueryError::Failed(error_chain(&e))),
            Ok(Err(e)) => return Err(QueryError::Unanswered(error_chain(&e))),
            Ok(Ok(r)) => r,
        };
        if matches!(response.status().as_u16(), 429 | 503) {
            // The host asks everyone to wait: so do the questions still queued for it.
            let wait = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after)
                .unwrap_or(self.limits.retry_backoff)
                .min(self.limits.max_retry_wait);
            self.politeness.pause(url, wait);
            return Err(QueryError::Failed(format!(
                "{} answered HTTP {} (asked to wait {wait:?})",
                url.host_str().unwrap_or_default(),
                response.status().as_u16()
            )));
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        if max_body > 0 {
            let mut stream = response.bytes_stream();
            loop {
                match tokio::time::timeout_at(deadline, stream.next()).await {
                    Err(_) => {
                        return Err(QueryError::Failed(format!(
                            "answer not complete within {:?}",
                            self.limits.timeout
                        )));
                    }
                    Ok(None) => break,
                    Ok(Some(Err(e))) => return Err(QueryError::Failed(error_chain(&e))),
                    Ok(Some(Ok(chunk))) => {
                        if body.len() + chunk.len() > max_body {
                            return Err(QueryError::Failed(format!(
                                "answer larger than {max_body} bytes"
                            )));
                        }
                        body.extend_from_slice(&chunk);
                    }
                }
            }
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}
