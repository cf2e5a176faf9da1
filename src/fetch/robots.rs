//! robots.txt: each origin's rules, fetched at most once per run (and reused from the cache for
//! `ROBOTS_TTL`), matched against linkward's agent name. Parsing and matching are
//! texting_robots'; fetching robots.txt (through the host's politeness and the address policy,
//! with the reach of the URL it is fetched for, and its own few redirects) and what to do when it
//! cannot be had are decided here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use reqwest::header;
use tokio::sync::OnceCell;
use tokio::time::Instant;
use url::Url;

use super::address::{self, Reach};
use super::{Fetcher, refusal};
use crate::config::{MAX_CRAWL_DELAY, ROBOTS_TTL};
use crate::model::CachedRobots;

/// The token matched against `User-agent:` lines.
pub const AGENT: &str = "linkward";

/// Largest robots.txt read; RFC 9309 asks crawlers to read at least 500 KiB.
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;

/// Redirects followed to reach a robots.txt (RFC 9309 asks for at least five).
const ROBOTS_MAX_REDIRECTS: usize = 5;

/// A place robots.txt answers are kept between runs (the store implements it).
pub trait RobotsCache: Send + Sync {
    fn get(&self, origin: &str) -> Option<CachedRobots>;
    fn put(&self, origin: &str, robots: &CachedRobots);
}

/// The store keeps answers between runs. A cache that cannot be read or written only costs a
/// robots.txt fetch.
impl RobotsCache for crate::store::Store {
    fn get(&self, origin: &str) -> Option<CachedRobots> {
        self.robots(origin).ok().flatten()
    }

    fn put(&self, origin: &str, robots: &CachedRobots) {
        if let Err(e) = self.put_robots(origin, robots) {
            tracing::warn!("could not cache robots.txt of {origin}: {e}");
        }
    }
}

/// An origin's rules for linkward.
#[derive(Debug)]
pub struct Rules {
    robot: Option<texting_robots::Robot>,
}

impl Rules {
    /// No rules: everything allowed, no delay. Used when robots.txt is absent (4xx) and, so that a
    /// host that is down is reported as broken rather than hidden as skipped, when it cannot be
    /// fetched at all (5xx, network errors).
    pub fn allow_all() -> Rules {
        Rules { robot: None }
    }

    pub fn parse(body: &str) -> Rules {
        Rules {
            robot: texting_robots::Robot::new(AGENT, body.as_bytes()).ok(),
        }
    }

    pub fn from_cached(cached: &CachedRobots) -> Rules {
        cached
            .body
            .as_deref()
            .map_or_else(Rules::allow_all, Rules::parse)
    }

    pub fn allowed(&self, url: &Url) -> bool {
        self.robot.as_ref().is_none_or(|r| r.allowed(url.as_str()))
    }

    /// The Crawl-delay for linkward, capped at `MAX_CRAWL_DELAY`.
    pub fn crawl_delay(&self) -> Option<Duration> {
        let secs = self.robot.as_ref()?.delay?;
        (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f32(secs).min(MAX_CRAWL_DELAY))
    }
}

/// `scheme://host:port`, the unit robots.txt applies to.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// An origin's rules, once they are known in this run.
type RulesCell = Arc<OnceCell<Arc<Rules>>>;

/// robots.txt rules per origin, each fetched once per run and reach (a robots.txt the policy
/// refused for one reach may still be had with the other).
pub(super) struct RobotsState {
    pub(super) cache: Arc<dyn RobotsCache>,
    pub(super) origins: Mutex<HashMap<(String, Reach), RulesCell>>,
}

impl Fetcher {
    /// The rules of the URL's origin: from this run's memo, else the cache while fresh, else
    /// robots.txt fetched now with `reach` (the reach of the request it is fetched for). A
    /// Crawl-delay slows the host's queue as soon as it is known.
    pub(super) async fn robots_rules(&self, url: &Url, reach: Reach) -> Arc<Rules> {
        let Some(state) = &self.robots else {
            return Arc::new(Rules::allow_all());
        };
        let origin = origin(url);
        let cell = {
            let mut origins = state.origins.lock().unwrap_or_else(|p| p.into_inner());
            origins.entry((origin.clone(), reach)).or_default().clone()
        };
        cell.get_or_init(|| async {
            let fresh = state.cache.get(&origin).filter(|c| {
                (Utc::now() - c.fetched_at)
                    .to_std()
                    .is_ok_and(|age| age < ROBOTS_TTL)
            });
            let rules = match fresh {
                Some(cached) => Rules::from_cached(&cached),
                None => match self.fetch_robots(url, reach).await {
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

    /// GETs the origin's robots.txt: `None` when it cannot be had (5xx, network errors, an
    /// address the policy refuses), so that nothing is cached and the next run asks again.
    async fn fetch_robots(&self, url: &Url, given: Reach) -> Option<CachedRobots> {
        let mut current = url.join("/robots.txt").ok()?;
        let mut next_reach = given;
        for _ in 0..=ROBOTS_MAX_REDIRECTS {
            let reach = self.reach_for(&current, next_reach);
            address::check_literal(&current, reach).ok()?;
            let _permit = self.politeness.acquire(&current).await;
            let deadline = Instant::now() + self.limits.timeout;
            let mut request = self.clients.get(reach).get(current.clone());
            if let Some(extra) = self.extra_headers(&current) {
                request = request.headers(extra.clone());
            }
            let response = match tokio::time::timeout_at(deadline, request.send())
                .await
                .ok()?
            {
                Ok(response) => response,
                Err(e) => {
                    if let Some(refused) = refusal(&e) {
                        tracing::debug!("robots.txt of {current}: {refused}");
                    }
                    return None;
                }
            };
            let status = response.status();
            if status.is_redirection() {
                let loc = response.headers().get(header::LOCATION)?.to_str().ok()?;
                next_reach = reach.after(response.remote_addr().map(|a| a.ip()));
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
                if body.len() >= MAX_ROBOTS_BYTES {
                    body.truncate(MAX_ROBOTS_BYTES);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linkward_specific_rules_and_capped_delay() -> Result<(), url::ParseError> {
        let rules = Rules::parse(
            "User-agent: *\nDisallow: /\n\nUser-agent: linkward\nDisallow: /private/\nCrawl-delay: 600\n",
        );
        assert!(rules.allowed(&Url::parse("http://a.test/docs/x.pdf")?));
        assert!(!rules.allowed(&Url::parse("http://a.test/private/x.pdf")?));
        assert_eq!(rules.crawl_delay(), Some(MAX_CRAWL_DELAY));
        let open = Rules::allow_all();
        assert!(open.allowed(&Url::parse("http://a.test/private/x.pdf")?));
        assert_eq!(open.crawl_delay(), None);
        Ok(())
    }

    #[test]
    fn origins_keep_scheme_and_port() -> Result<(), url::ParseError> {
        assert_eq!(origin(&Url::parse("https://A.test/x?y")?), "https://a.test");
        assert_eq!(
            origin(&Url::parse("http://a.test:8080/x")?),
            "http://a.test:8080"
        );
        Ok(())
    }
}
