//! robots.txt: each origin's rules, fetched at most once per run (and reused from the cache for
//! `ROBOTS_TTL`), matched against linkward's agent name. Parsing and matching are
//! texting_robots'; what to do when robots.txt itself cannot be had is decided here.

use std::time::Duration;

use crate::model::CachedRobots;

use url::Url;

use crate::config::MAX_CRAWL_DELAY;

/// The token matched against `User-agent:` lines.
pub const AGENT: &str = "linkward";

/// Largest robots.txt read; RFC 9309 asks crawlers to read at least 500 KiB.
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;

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
