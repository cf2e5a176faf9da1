//! Fetching one URL: every redirect hop followed and recorded by us, the body streamed through
//! content decoding into a running sha256 and a temp file in the archive, and every way a fetch
//! can fail turned into a `Failure` value. `reqwest` types stay inside this module.
//!
//! This file holds a fetch's vocabulary (`Outcome`, `Failure`, `Fetched`, `Validators`) and the
//! `Fetcher` (clients, politeness, robots.txt, archive, limits). One file per concern beside it:
//! `address` is the address policy (which addresses a request may connect to), `client` builds
//! the HTTP clients (one per `Reach`, each with its filtering DNS resolver) and the host-rule
//! headers, `walk` retries and follows redirects, `body` streams and decodes a body into the
//! archive, `capture` records exchanges, `robots` and `politeness` keep to each host's rules and
//! pace, `query` asks web-archive APIs, `webhook` posts `--notify`'s report.

pub mod address;
mod body;
pub mod capture;
mod client;
pub mod politeness;
mod query;
pub mod robots;
mod walk;
pub mod webhook;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap};
use url::Url;

use crate::archive::{Archive, Blob};
use crate::config::{Config, HostRules};
use crate::model::{Attempt, Hop};
use capture::CaptureSink;
use client::Clients;
use politeness::Politeness;
use robots::{RobotsCache, RobotsState};

pub use address::{ListedBy, Reach};
pub use query::{Answer, Headers, QueryError};

/// The User-Agent every request carries.
pub const USER_AGENT: &str = concat!("linkward/", env!("CARGO_PKG_VERSION"));

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

/// What a fetch that got no HTTP answer at all ran into, as far as it tells whether the network
/// of this machine works: read from the operating system's error behind the failure, so that
/// `judge::outage` can tell "the network here is down" from "that host is down".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Silence {
    /// No route out of this machine: ENETUNREACH, ENETDOWN, EADDRNOTAVAIL.
    NoRoute,
    /// EHOSTUNREACH: no route to that host (said locally, or by a router on the way).
    HostUnreachable,
    /// No resolver could be asked or none answered ("temporary failure in name resolution").
    NoResolver,
    /// A resolver answered that the name does not exist: the network works.
    NoSuchName,
    /// Refused or reset: something at that address answered the connection.
    Refused,
    /// Nothing answered in time.
    Timeout,
    /// Anything else (TLS, an unexpected transport error).
    Other,
}

impl Silence {
    /// How a person reads it, in the run's one outage line.
    pub fn as_str(self) -> &'static str {
        match self {
            Silence::NoRoute => "network unreachable",
            Silence::HostUnreachable => "host unreachable",
            Silence::NoResolver => "no DNS resolver answered",
            Silence::NoSuchName => "no such name",
            Silence::Refused => "connection refused",
            Silence::Timeout => "timed out",
            Silence::Other => "other errors",
        }
    }
}

/// Validators of the copy we hold, sent as If-None-Match / If-Modified-Since.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The copy these validators are for (what a 304 stands for).
    pub held: Option<crate::model::Sha256>,
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
    /// The address policy refused the address the URL (or a redirect hop) names or resolves to
    /// (see `address`): no connection was made to it.
    Refused { detail: String },
}

impl Outcome {
    fn status(&self) -> Option<u16> {
        match self {
            Outcome::Body { status, .. } | Outcome::Status { status, .. } => Some(*status),
            Outcome::NotModified { .. } => Some(304),
            Outcome::Failed { status, .. } => *status,
            Outcome::Disallowed | Outcome::Refused { .. } => None,
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
            Outcome::Refused { detail } => ("private-address".into(), Some(detail.clone())),
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
    /// The reach the last request (or the hop refused) had.
    pub reach: Reach,
    /// The address the last answer came from (`None`: no answer, or not known).
    pub remote: Option<IpAddr>,
    /// When no attempt got an HTTP answer: what the last one ran into. `None` when one did, or
    /// when nothing was requested (robots.txt, the address policy).
    pub silence: Option<Silence>,
}

impl Fetched {
    /// The reach of the links a page fetched this way lists: private addresses too only when it
    /// was answered from a non-public address.
    pub fn links_reach(&self) -> Reach {
        ListedBy::Page(self.remote).reach()
    }
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

/// The HTTP clients, per-host politeness and robots.txt, and the archive bodies go to.
pub struct Fetcher {
    /// One client per reach, so a connection made for one is never reused for the other.
    clients: Clients,
    /// `--allow-private`: every request may reach non-public addresses.
    allow_private: bool,
    politeness: Politeness,
    robots: Option<RobotsState>,
    /// The run's host rules, and each one's extra headers parsed (by pattern).
    host_rules: HostRules,
    host_headers: HashMap<String, HeaderMap>,
    archive: Archive,
    limits: Limits,
    /// Where every exchange is handed (the run's WARC file); `None` captures nothing.
    capture: Option<Arc<dyn CaptureSink>>,
}

impl Fetcher {
    /// `robots_cache` keeps robots.txt answers between runs; robots.txt is not consulted at all
    /// when the config says to ignore it.
    pub fn new(
        config: &Config,
        archive: Archive,
        robots_cache: Arc<dyn RobotsCache>,
    ) -> Result<Fetcher, String> {
        Ok(Fetcher {
            clients: client::for_fetching(config)?,
            allow_private: config.allow_private,
            politeness: Politeness::new(config),
            robots: (!config.ignore_robots).then(|| RobotsState {
                cache: robots_cache,
                origins: Mutex::new(HashMap::new()),
            }),
            host_rules: config.hosts.clone(),
            host_headers: client::host_headers(config)?,
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

    /// The reach a request for `url` has when it was given `reach`: widened to private
    /// addresses by `--allow-private` or the URL's host rule.
    fn reach_for(&self, url: &Url, reach: Reach) -> Reach {
        let rule = self
            .host_rules
            .for_url(url)
            .is_some_and(|r| r.allow_private);
        reach.widened(self.allow_private || rule)
    }

    /// Status codes the URL's host rule accepts as ok.
    pub fn accepted_statuses(&self, url: &Url) -> &[u16] {
        self.host_rules
            .for_url(url)
            .map_or(&[], |r| r.accept_status.as_slice())
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

/// The address policy's refusal behind a transport error (the filtering resolver's), if that is
/// what it is.
fn refusal<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a address::Refused> {
    let mut source = Some(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<address::Refused>() {
            return Some(refused);
        }
        source = s.source();
    }
    None
}

/// What a transport error says about the network (see `Silence`): the OS error behind it when
/// there is one, else the resolver's words (getaddrinfo's errors carry no kind).
fn silence_of(e: &(dyn std::error::Error + 'static), timed_out: bool) -> Silence {
    use std::io::ErrorKind;
    let mut source = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::NetworkUnreachable
                | ErrorKind::NetworkDown
                | ErrorKind::AddrNotAvailable => return Silence::NoRoute,
                ErrorKind::HostUnreachable => return Silence::HostUnreachable,
                ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted => return Silence::Refused,
                ErrorKind::TimedOut => return Silence::Timeout,
                _ => {}
            }
        }
        source = s.source();
    }
    if timed_out {
        return Silence::Timeout;
    }
    let chain = error_chain(e).to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| chain.contains(n));
    if has(&[
        "name or service not known",
        "no address associated with hostname",
        "nodename nor servname",
        "no such host",
    ]) {
        Silence::NoSuchName
    } else if has(&["temporary failure in name resolution", "try again"]) {
        Silence::NoResolver
    } else {
        Silence::Other
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An error wrapping `inner`, as hyper and reqwest wrap the OS error of a connect.
    #[derive(Debug, thiserror::Error)]
    #[error("client error (Connect)")]
    struct Wrapped(#[source] std::io::Error);

    #[test]
    fn silence_reads_the_os_error_behind_a_failure() {
        use std::io::{Error, ErrorKind};
        let kind = |k: ErrorKind| silence_of(&Wrapped(Error::from(k)), false);
        assert_eq!(kind(ErrorKind::NetworkUnreachable), Silence::NoRoute);
        assert_eq!(kind(ErrorKind::NetworkDown), Silence::NoRoute);
        assert_eq!(kind(ErrorKind::HostUnreachable), Silence::HostUnreachable);
        assert_eq!(kind(ErrorKind::ConnectionRefused), Silence::Refused);
        assert_eq!(kind(ErrorKind::TimedOut), Silence::Timeout);
        assert_eq!(kind(ErrorKind::PermissionDenied), Silence::Other);
        // From the raw errno, as a connect(2) failure arrives.
        assert_eq!(
            silence_of(&Wrapped(Error::from_raw_os_error(libc::ENETUNREACH)), false),
            Silence::NoRoute
        );
        // getaddrinfo's errors carry no kind: its words tell "no resolver" from "no such name".
        let dns = |msg: &str| silence_of(&Wrapped(Error::other(msg.to_owned())), false);
        assert_eq!(
            dns("failed to lookup address information: Temporary failure in name resolution"),
            Silence::NoResolver
        );
        assert_eq!(
            dns("failed to lookup address information: Name or service not known"),
            Silence::NoSuchName
        );
        assert_eq!(dns("something else"), Silence::Other);
        assert_eq!(
            silence_of(&Wrapped(Error::other("operation timed out")), true),
            Silence::Timeout
        );
    }

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
