//! Questions to an API (a web archive's availability API or TimeGate), as opposed to fetches of
//! a resource: one request through the address policy and the host's politeness, within
//! --timeout, redirects not followed, the answer read whole up to a bound and never archived or captured. A 429/503
//! pauses the host for every question still queued for it.

use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;
use url::Url;

use super::address::{self, Reach};
use super::{Fetcher, error_chain, parse_retry_after, refusal};

/// An API's answer, read whole (it is small by construction: see `Fetcher::query`).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// An answer's headers as received, in order: each a lowercase name and its raw value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, Vec<u8>)>);

impl Headers {
    fn from_map(map: &HeaderMap) -> Headers {
        Headers(
            map.iter()
                .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
                .collect(),
        )
    }

    /// The first value of `name` (any case), if it is text.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| text(v))
    }

    /// Every value of `name` (any case) that is text, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .filter_map(|(_, v)| text(v))
    }
}

/// A header value as text when it is visible ASCII, spaces and tabs only: what http's
/// `HeaderValue::to_str` accepts (`the_text_of_a_value_is_what_http_calls_text` holds them equal).
fn text(value: &[u8]) -> Option<&str> {
    value
        .iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
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
    /// One request to an API (a web archive's availability API or TimeGate), with `headers`
    /// (name, value) added: with `reach` (see `address`; an address it refuses is a `Failed`
    /// answer), through the host's politeness, within --timeout, redirects not followed, the body
    /// read up to `max_body` bytes (0: not read at all). Not captured: these are questions about a
    /// resource, not copies of it.
    pub async fn query(
        &self,
        url: &Url,
        reach: Reach,
        headers: &[(&str, &str)],
        max_body: usize,
        still_wanted: &(dyn Fn() -> bool + Sync),
    ) -> Result<Answer, QueryError> {
        let mut asked = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| QueryError::Failed(e.to_string()))?;
            let value =
                HeaderValue::from_str(value).map_err(|e| QueryError::Failed(e.to_string()))?;
            asked.append(name, value);
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(QueryError::Failed(format!("{url} is not an http(s) URL")));
        }
        let reach = self.reach_for(url, reach);
        address::check_literal(url, reach).map_err(|e| QueryError::Failed(e.to_string()))?;
        let _permit = self.politeness.acquire(url).await;
        // The wait for a slot can be long: the answer may no longer be wanted by then (another
        // question found the host down).
        if !still_wanted() {
            return Err(QueryError::NotAsked);
        }
        let deadline = Instant::now() + self.limits.timeout;
        // Answers are read as they come: our decoding (see `body::decoded`) is for bodies we
        // archive.
        let mut request = self
            .clients
            .get(reach)
            .get(url.clone())
            .headers(asked)
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
            Ok(Err(e)) if refusal(&e).is_some() => {
                let refused = refusal(&e).map(ToString::to_string).unwrap_or_default();
                return Err(QueryError::Failed(refused));
            }
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
        let headers = Headers::from_map(response.headers());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_of_a_value_is_what_http_calls_text() {
        for byte in 0..=u8::MAX {
            let value = [b'a', byte, b'z'];
            let http = HeaderValue::from_bytes(&value)
                .ok()
                .and_then(|v| v.to_str().ok().map(str::to_owned));
            assert_eq!(text(&value).map(str::to_owned), http, "byte {byte:#04x}");
        }
    }

    #[test]
    fn headers_are_looked_up_in_any_case_first_value_first() {
        let mut map = HeaderMap::new();
        map.append(header::LINK, HeaderValue::from_static("<a>; rel=memento"));
        map.append(header::LINK, HeaderValue::from_static("<b>; rel=memento"));
        map.append(header::LOCATION, HeaderValue::from_static("/next"));
        let headers = Headers::from_map(&map);
        assert_eq!(headers.get("Location"), Some("/next"));
        assert_eq!(headers.get("link"), Some("<a>; rel=memento"));
        assert_eq!(headers.get_all("LINK").count(), 2);
        assert_eq!(headers.get("memento-datetime"), None);
    }
}
