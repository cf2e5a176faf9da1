//! One fetch of one URL: attempts retried when worth it (backoff with jitter, or the server's
//! Retry-After), each a walk hop by hop through redirects that we follow and record ourselves
//! (loops, too many hops and non-http(s) targets are failures), through the address policy, the
//! host's politeness and robots.txt at every hop, to a final answer whose body `body` archives.
//!
//! Every hop has a reach (see `address`): the first the caller's, each next one the previous
//! one's kept only when the previous hop answered from a non-public address, then widened by
//! `--allow-private` or the hop's host rule. A hop the policy refuses ends the walk with
//! `Outcome::Refused` before anything is sent to it.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;
use reqwest::header;
use tokio::time::Instant;
use url::Url;

use super::address::{self, Reach};
use super::{
    Failure, Fetched, Fetcher, Outcome, Silence, Validators, error_chain, failed, header_string,
    parse_retry_after, refusal, silence_of,
};
use crate::model::{Attempt, Hop};

/// One hop-by-hop walk to a final answer.
struct Walk {
    final_url: Url,
    redirects: Vec<Hop>,
    outcome: Outcome,
    downloaded: u64,
    /// The reach of the last hop, and the address its answer came from.
    reach: Reach,
    remote: Option<IpAddr>,
    /// What the walk ran into when no hop got an answer (see `Silence`).
    silence: Option<Silence>,
}

impl Fetcher {
    /// Fetches `url` with `reach` (see `address`), retrying transient failures, following
    /// redirects, archiving a 2xx body, sending `validators` so an unchanged body is not
    /// downloaded again. Never fails: every problem is an `Outcome::Failed` (or `Refused`).
    pub async fn fetch(&self, url: &Url, validators: &Validators, reach: Reach) -> Fetched {
        self.fetch_with(url, validators, reach, true).await
    }

    /// Fetches a memento from a web archive like `fetch`, but without consulting robots.txt:
    /// archives publish mementos for replay by tools, and the original site's rules were
    /// applied when the capture was made.
    pub async fn fetch_memento(&self, url: &Url, reach: Reach) -> Fetched {
        self.fetch_with(url, &Validators::default(), reach, false)
            .await
    }

    async fn fetch_with(
        &self,
        url: &Url,
        validators: &Validators,
        reach: Reach,
        obey_robots: bool,
    ) -> Fetched {
        let started = Utc::now();
        let clock = Instant::now();
        let mut attempts = Vec::new();
        let mut downloaded = 0;
        loop {
            let attempt_started = Utc::now();
            let attempt_clock = Instant::now();
            let walk = self.walk(url, validators, reach, obey_robots).await;
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
                // Turned away by robots.txt or the address policy before any request: nothing
                // was attempted.
                let turned_away =
                    matches!(walk.outcome, Outcome::Disallowed | Outcome::Refused { .. });
                let requested = !(turned_away && walk.redirects.is_empty());
                if requested {
                    attempts.push(attempt);
                }
                // Any status from any attempt is an answer: the network worked then.
                let silence = walk
                    .silence
                    .filter(|_| attempts.iter().all(|a| a.status.is_none()));
                return Fetched {
                    requested: url.clone(),
                    final_url: walk.final_url,
                    redirects: walk.redirects,
                    started,
                    elapsed: clock.elapsed(),
                    outcome: walk.outcome,
                    attempts,
                    downloaded,
                    reach: walk.reach,
                    remote: walk.remote,
                    silence,
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
    async fn walk(
        &self,
        url: &Url,
        validators: &Validators,
        given: Reach,
        obey_robots: bool,
    ) -> Walk {
        let mut current = url.clone();
        // The reach the next hop was given, and the last hop's own (widened) reach and answer.
        let mut next_reach = given;
        let mut reach;
        let mut remote;
        let mut seen = HashSet::from([url.clone()]);
        let mut redirects = Vec::new();
        // Time spent waiting on the network so far in this attempt; waiting for politeness
        // (a host's pace, a Retry-After pause) does not count against --timeout.
        let mut spent = Duration::ZERO;
        let mut downloaded = 0;
        let mut silence = None;
        let outcome = loop {
            reach = self.reach_for(&current, next_reach);
            remote = None;
            if let Err(refused) = address::check_literal(&current, reach) {
                break Outcome::Refused {
                    detail: refused.to_string(),
                };
            }
            if obey_robots && !self.robots_rules(&current, reach).await.allowed(&current) {
                break Outcome::Disallowed;
            }
            let _permit = self.politeness.acquire(&current).await;
            let hop_start = Instant::now();
            let deadline = hop_start + self.limits.timeout.saturating_sub(spent);
            let mut request = self.clients.get(reach).get(current.clone());
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
                Err(_) => {
                    silence = redirects.is_empty().then_some(Silence::Timeout);
                    break failed(Failure::Timeout, None, "no response before the timeout");
                }
                Ok(Err(e)) => match refusal(&e) {
                    Some(refused) => {
                        break Outcome::Refused {
                            detail: refused.to_string(),
                        };
                    }
                    None => {
                        // After a redirect the walk had an answer: the network worked.
                        silence = redirects.is_empty().then(|| silence_of(&e, e.is_timeout()));
                        break failed(classify_error(&e), None, error_chain(&e));
                    }
                },
                Ok(Ok(r)) => r,
            };
            remote = response.remote_addr().map(|a| a.ip());
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
                        next_reach = reach.after(remote);
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
            reach,
            remote,
            silence,
        }
    }
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
