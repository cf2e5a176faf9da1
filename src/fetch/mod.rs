//! Fetching one URL: every redirect hop followed and recorded by us, the body streamed through
//! content decoding into a running sha256 and a temp file in the archive, and every way a fetch
//! can fail turned into a `Failure` value. `reqwest` types stay inside this module.

pub mod capture;
pub mod politeness;
pub mod robots;

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZlibDecoder};
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tokio_util::io::StreamReader;
use url::Url;

use crate::archive::{Archive, Blob};
use crate::config::{Config, HostRule, ROBOTS_TTL};
use crate::model::{Attempt, CachedRobots, Hop};
use capture::{Capture, CaptureSink, CapturedBody, CapturedRequest, CapturedResponse};
use politeness::Politeness;
use robots::{RobotsCache, Rules};

/// The User-Agent every request carries.
pub const USER_AGENT: &str = concat!("linkward/", env!("CARGO_PKG_VERSION"));

/// Read size for bodies; also the most of a body held in memory at once.
const CHUNK: usize = 64 * 1024;

/// Redirects followed to reach a robots.txt (RFC 9309 asks for at least five).
const ROBOTS_MAX_REDIRECTS: usize = 5;

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
    /// A 3xx whose Location is not a URL.
    BadRedirect,
    Truncated,
    TooLarge,
    Other,
}

impl Failure {
    fn as_str(self) -> &'static str {
        match self {
            Failure::Dns => "dns",
            Failure::Connect => "connect",
            Failure::Tls => "tls",
            Failure::Timeout => "timeout",
            Failure::RedirectLoop => "redirect-loop",
            Failure::TooManyRedirects => "too-many-redirects",
            Failure::UnsupportedRedirect => "unsupported-scheme",
            Failure::BadRedirect => "bad-redirect",
            Failure::Truncated => "truncated",
            Failure::TooLarge => "too-large",
            Failure::Other => "other",
        }
    }

    /// Worth another try: the same request may well work in a moment.
    fn is_transient(self) -> bool {
        matches!(
            self,
            Failure::Connect | Failure::Timeout | Failure::Truncated
        )
    }
}

/// Validators of the copy we hold, sent as If-None-Match / If-Modified-Since.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
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
    /// 304: the copy we hold is current; no body was downloaded.
    NotModified {
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// A final non-2xx answer; its body is not kept.
    Status {
        status: u16,
        content_type: Option<String>,
        /// A Retry-After the server sent with it.
        retry_after: Option<Duration>,
    },
    Failed {
        failure: Failure,
        /// The status of the last answer, when there was one.
        status: Option<u16>,
        detail: String,
    },
    /// robots.txt disallows the URL; nothing was requested.
    Disallowed,
}

impl Outcome {
    fn status(&self) -> Option<u16> {
        match self {
            Outcome::Body { status, .. } | Outcome::Status { status, .. } => Some(*status),
            Outcome::NotModified { .. } => Some(304),
            Outcome::Failed { status, .. } => *status,
            Outcome::Disallowed => None,
        }
    }

    fn describe(&self) -> (String, Option<String>) {
        match self {
            Outcome::Body { .. } => ("ok".into(), None),
            Outcome::NotModified { .. } => ("not-modified".into(), None),
            Outcome::Status { status, .. } => (format!("http-{status}"), None),
            Outcome::Failed {
                failure, detail, ..
            } => (failure.as_str().into(), Some(detail.clone())),
            Outcome::Disallowed => ("robots".into(), None),
        }
    }
}

/// One fetch of one URL: its attempts, and the redirect chain and outcome of the last one.
#[derive(Debug)]
pub struct Fetched {
    pub requested: Url,
    /// The URL the last request went to.
    pub final_url: Url,
    pub redirects: Vec<Hop>,
    pub started: DateTime<Utc>,
    pub elapsed: Duration,
    pub outcome: Outcome,
    /// Every attempt, the last one included.
    pub attempts: Vec<Attempt>,
    /// Body bytes received over the network, all attempts together (before decoding).
    pub downloaded: u64,
}

/// Limits of one fetch, from the run's config.
#[derive(Clone, Debug)]
struct Limits {
    timeout: Duration,
    idle_timeout: Duration,
    max_size: u64,
    max_redirects: usize,
    retries: u32,
    max_retry_wait: Duration,
    retry_backoff: Duration,
}

/// robots.txt rules per origin, each fetched once per run.
struct RobotsState {
    cache: Arc<dyn RobotsCache>,
    origins: Mutex<HashMap<String, Arc<OnceCell<Arc<Rules>>>>>,
}

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

/// The HTTP client, per-host politeness and robots.txt, and the archive bodies go to.
pub struct Fetcher {
    client: reqwest::Client,
    politeness: Politeness,
    robots: Option<RobotsState>,
    /// Host rules with their extra headers parsed.
    host_headers: Vec<(HostRule, HeaderMap)>,
    archive: Archive,
    limits: Limits,
    /// Where every exchange is handed (the run's WARC file); `None` captures nothing.
    capture: Option<Arc<dyn CaptureSink>>,
}

/// An exchange whose response head is in, waiting for its body to be captured.
struct Exchange {
    url: Url,
    date: DateTime<Utc>,
    remote_ip: Option<std::net::IpAddr>,
    request: CapturedRequest,
    response: CapturedResponse,
}

/// One hop-by-hop walk to a final answer.
struct Walk {
    final_url: Url,
    redirects: Vec<Hop>,
    outcome: Outcome,
    downloaded: u64,
}

impl Fetcher {
    /// `robots_cache` keeps robots.txt answers between runs; robots.txt is not consulted at all
    /// when the config says to ignore it.
    pub fn new(
        config: &Config,
        archive: Archive,
        robots_cache: Arc<dyn RobotsCache>,
    ) -> Result<Fetcher, String> {
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
        let mut host_headers = Vec::new();
        for rule in &config.hosts {
            let mut map = HeaderMap::new();
            for (name, value) in &rule.headers {
                let bad = |e: &dyn std::fmt::Display| {
                    format!("host rule {:?}: header {name:?}: {e}", rule.pattern)
                };
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(&e))?;
                let value = HeaderValue::from_str(value).map_err(|e| bad(&e))?;
                map.append(name, value);
            }
            host_headers.push((rule.clone(), map));
        }
        Ok(Fetcher {
            client,
            politeness: Politeness::new(config),
            robots: (!config.ignore_robots).then(|| RobotsState {
                cache: robots_cache,
                origins: Mutex::new(HashMap::new()),
            }),
            host_headers,
            archive,
            limits: Limits {
                timeout: config.timeout,
                idle_timeout: config.idle_timeout,
                max_size: config.max_size,
                max_redirects: config.max_redirects,
                retries: config.retries,
                max_retry_wait: config.max_retry_wait,
                retry_backoff: config.retry_backoff,
            },
            capture: None,
        })
    }

    /// Hands every HTTP exchange of every fetch (redirect hops, error answers, 304s, bodies) to
    /// `sink`, with its raw body.
    pub fn with_capture(mut self, sink: Arc<dyn CaptureSink>) -> Fetcher {
        self.capture = Some(sink);
        self
    }

    /// The exchange being made, when exchanges are captured.
    fn exchange(
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
            for (name, value) in extra {
                sent.append(name, value.clone());
            }
        }
        Some(Exchange {
            url: url.clone(),
            date,
            remote_ip: response.remote_addr().map(|a| a.ip()),
            request: capture::request_head(url, USER_AGENT, &sent),
            response: capture::response_head(
                response.version(),
                response.status(),
                response.headers(),
            ),
        })
    }

    /// Hands an exchange to the sink on the blocking pool (it writes files).
    async fn emit(&self, exchange: Exchange, body: CapturedBody) {
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
        };
        if let Err(e) = tokio::task::spawn_blocking(move || sink.capture(capture)).await {
            tracing::warn!("capturing an exchange failed: {e}");
        }
    }

    /// Captures an answer whose body is not kept (a redirect, an error, a 304): at most
    /// `MAX_CAPTURED_ERROR_BODY` of it is read, within the fetch's time limits, for the capture
    /// only (not counted as downloaded). Does nothing when exchanges are not captured.
    async fn capture_unkept(
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
                        let room = capture::MAX_CAPTURED_ERROR_BODY - bytes.len();
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
        self.emit(exchange, body).await;
    }

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

    /// Status codes the URL's host rule accepts as ok.
    pub fn accepted_statuses(&self, url: &Url) -> &[u16] {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        self.host_headers
            .iter()
            .find(|(r, _)| r.matches(&host))
            .map_or(&[], |(r, _)| r.accept_status.as_slice())
    }

    /// Fetches `url`, retrying transient failures, following redirects, archiving a 2xx body,
    /// sending `validators` so an unchanged body is not downloaded again. Never fails: every
    /// problem is an `Outcome::Failed`.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Fetched {
        self.fetch_with(url, validators, true).await
    }

    /// Fetches a memento from a web archive like `fetch`, but without consulting robots.txt:
    /// archives publish mementos for replay by tools, and the original site's rules were
    /// applied when the capture was made.
    pub async fn fetch_memento(&self, url: &Url) -> Fetched {
        self.fetch_with(url, &Validators::default(), false).await
    }

    async fn fetch_with(&self, url: &Url, validators: &Validators, obey_robots: bool) -> Fetched {
        let started = Utc::now();
        let clock = Instant::now();
        let mut attempts = Vec::new();
        let mut downloaded = 0;
        loop {
            let attempt_started = Utc::now();
            let attempt_clock = Instant::now();
            let walk = self.walk(url, validators, obey_robots).await;
            downloaded += walk.downloaded;
            let (result, detail) = walk.outcome.describe();
            let mut attempt = Attempt {
                started: attempt_started,
                elapsed_ms: attempt_clock.elapsed().as_millis() as u64,
                status: walk.outcome.status(),
                result,
                detail,
                wait_ms: None,
            };
            let wait = (attempts.len() < self.limits.retries as usize)
                .then(|| self.retry_wait(&walk.outcome, attempts.len() as u32))
                .flatten();
            let Some(wait) = wait else {
                // Turned away by robots.txt before any request: nothing was attempted.
                let requested =
                    !(matches!(walk.outcome, Outcome::Disallowed) && walk.redirects.is_empty());
                if requested {
                    attempts.push(attempt);
                }
                return Fetched {
                    requested: url.clone(),
                    final_url: walk.final_url,
                    redirects: walk.redirects,
                    started,
                    elapsed: clock.elapsed(),
                    outcome: walk.outcome,
                    attempts,
                    downloaded,
                };
            };
            attempt.wait_ms = Some(wait.as_millis() as u64);
            attempts.push(attempt);
            if let Outcome::Status {
                retry_after: Some(_),
                ..
            } = walk.outcome
            {
                // The host asked everyone to wait, not just this URL.
                self.politeness.pause(&walk.final_url, wait);
            }
            tracing::debug!(%url, ?wait, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// How long to wait before retrying `outcome`, or `None` if it is not worth retrying.
    fn retry_wait(&self, outcome: &Outcome, retry: u32) -> Option<Duration> {
        let backoff = || {
            let step = self
                .limits
                .retry_backoff
                .saturating_mul(2u32.saturating_pow(retry));
            let jitter = step.mul_f64(fastrand::f64() * 0.5);
            (step + jitter).min(self.limits.max_retry_wait)
        };
        match outcome {
            Outcome::Status {
                status: 429 | 503,
                retry_after: Some(after),
                ..
            } => (*after <= self.limits.max_retry_wait).then_some(*after),
            Outcome::Status {
                status: 429 | 502 | 503 | 504,
                ..
            } => Some(backoff()),
            Outcome::Failed { failure, .. } if failure.is_transient() => Some(backoff()),
            _ => None,
        }
    }

    /// One attempt: request, follow redirects, read the final body.
    async fn walk(&self, url: &Url, validators: &Validators, obey_robots: bool) -> Walk {
        let mut current = url.clone();
        let mut seen = HashSet::from([url.clone()]);
        let mut redirects = Vec::new();
        // Time spent waiting on the network so far in this attempt; waiting for politeness
        // (a host's pace, a Retry-After pause) does not count against --timeout.
        let mut spent = Duration::ZERO;
        let mut downloaded = 0;
        let outcome = loop {
            if obey_robots && !self.robots_rules(&current).await.allowed(&current) {
                break Outcome::Disallowed;
            }
            let _permit = self.politeness.acquire(&current).await;
            let hop_start = Instant::now();
            let deadline = hop_start + self.limits.timeout.saturating_sub(spent);
            let mut request = self.client.get(current.clone());
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
            if let Some(extra) = self.extra_headers(&current) {
                request = request.headers(extra.clone());
            }
            let sent_at = Utc::now();
            let response = match tokio::time::timeout_at(deadline, request.send()).await {
                Err(_) => break failed(Failure::Timeout, None, "no response before the timeout"),
                Ok(Err(e)) => break failed(classify_error(&e), None, error_chain(&e)),
                Ok(Ok(r)) => r,
            };
            let status = response.status().as_u16();
            let exchange = self.exchange(&current, sent_at, validators, &response);
            if status == 304 {
                let h = response.headers();
                let outcome = Outcome::NotModified {
                    etag: header_string(h, header::ETAG),
                    last_modified: header_string(h, header::LAST_MODIFIED),
                };
                self.capture_unkept(exchange, response, deadline).await;
                break outcome;
            }
            if response.status().is_redirection()
                && let Some(location) = response
                    .headers()
                    .get(header::LOCATION)
                    .map(|l| l.to_str().map(str::to_owned))
            {
                self.capture_unkept(exchange, response, deadline).await;
                match location {
                    Ok(loc) => {
                        let next = match current.join(loc.trim()) {
                            Ok(next) => next,
                            Err(e) => {
                                break failed(
                                    Failure::BadRedirect,
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
                        spent += hop_start.elapsed();
                        continue;
                    }
                    Err(_) => {
                        break failed(
                            Failure::BadRedirect,
                            Some(status),
                            "Location is not valid text",
                        );
                    }
                }
            }
            // A 3xx with no Location (300, ...) is a final answer.
            let headers = response.headers();
            let content_type = header_string(headers, header::CONTENT_TYPE);
            if !response.status().is_success() {
                let retry_after =
                    header_string(headers, header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
                self.capture_unkept(exchange, response, deadline).await;
                break Outcome::Status {
                    status,
                    content_type,
                    retry_after,
                };
            }
            let (outcome, raw) = self.read_body(response, deadline, exchange).await;
            downloaded += raw;
            break outcome;
        };
        Walk {
            final_url: current,
            redirects,
            outcome,
            downloaded,
        }
    }

    fn extra_headers(&self, url: &Url) -> Option<&HeaderMap> {
        let host = url.host_str()?.to_ascii_lowercase();
        self.host_headers
            .iter()
            .find(|(r, _)| r.matches(&host))
            .map(|(_, h)| h)
            .filter(|h| !h.is_empty())
    }

    /// The rules of the URL's origin: from this run's memo, else the cache while fresh, else
    /// robots.txt fetched now. A Crawl-delay slows the host's queue as soon as it is known.
    async fn robots_rules(&self, url: &Url) -> Arc<Rules> {
        let Some(state) = &self.robots else {
            return Arc::new(Rules::allow_all());
        };
        let origin = robots::origin(url);
        let cell = {
            let mut origins = state.origins.lock().unwrap_or_else(|p| p.into_inner());
            origins.entry(origin.clone()).or_default().clone()
        };
        cell.get_or_init(|| async {
            let fresh = state.cache.get(&origin).filter(|c| {
                (Utc::now() - c.fetched_at)
                    .to_std()
                    .is_ok_and(|age| age < ROBOTS_TTL)
            });
            let rules = match fresh {
                Some(cached) => Rules::from_cached(&cached),
                None => match self.fetch_robots(url).await {
                    Some(cached) => {
                        state.cache.put(&origin, &cached);
                        Rules::from_cached(&cached)
                    }
                    None => Rules::allow_all(),
                },
            };
            if let Some(delay) = rules.crawl_delay() {
                self.politeness.slow_down(url, delay);
            }
            Arc::new(rules)
        })
        .await
        .clone()
    }

    /// GETs the origin's robots.txt: `None` when it cannot be had (5xx, network errors), so that
    /// nothing is cached and the next run asks again.
    async fn fetch_robots(&self, url: &Url) -> Option<CachedRobots> {
        let mut current = url.join("/robots.txt").ok()?;
        for _ in 0..=ROBOTS_MAX_REDIRECTS {
            let _permit = self.politeness.acquire(&current).await;
            let deadline = Instant::now() + self.limits.timeout;
            let mut request = self.client.get(current.clone());
            if let Some(extra) = self.extra_headers(&current) {
                request = request.headers(extra.clone());
            }
            let response = tokio::time::timeout_at(deadline, request.send())
                .await
                .ok()?
                .ok()?;
            let status = response.status();
            if status.is_redirection() {
                let loc = response.headers().get(header::LOCATION)?.to_str().ok()?;
                current = current.join(loc).ok()?;
                continue;
            }
            let fetched_at = Utc::now();
            if status.is_client_error() {
                return Some(CachedRobots {
                    fetched_at,
                    status: status.as_u16(),
                    body: None,
                });
            }
            if !status.is_success() {
                return None;
            }
            let mut body = Vec::new();
            let mut stream = response.bytes_stream();
            while let Some(chunk) = tokio::time::timeout_at(deadline, stream.next())
                .await
                .ok()?
            {
                body.extend_from_slice(&chunk.ok()?);
                if body.len() >= robots::MAX_ROBOTS_BYTES {
                    body.truncate(robots::MAX_ROBOTS_BYTES);
                    break;
                }
            }
            return Some(CachedRobots {
                fetched_at,
                status: status.as_u16(),
                body: Some(String::from_utf8_lossy(&body).into_owned()),
            });
        }
        None
    }

    /// Streams a 2xx body through decoding into the archive, within the size and time limits.
    /// With an `exchange` to capture, the raw body is also kept for it (see `RawTee`) and the
    /// exchange is handed to the sink once the body is archived whole.
    async fn read_body(
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

/// Retry-After as seconds or an HTTP date; a date in the past means now.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(30));
        let wait = parse_retry_after(&later).unwrap_or_default();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
