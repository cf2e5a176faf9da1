//! Per-host politeness, in one place: at most N requests in flight per host (a semaphore per
//! host), requests to one host spaced by the configured rate (governor's keyed limiter, or a
//! host's own limiter when a configured rule or its robots.txt Crawl-delay asks for another
//! pace), and a host-wide pause when the host answers 429/503 with Retry-After. A permit is taken
//! for every request, robots.txt and redirect hops included; one host's pace never slows another.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::config::{Config, HostRules, Rate};

/// What politeness is counted per: lowercase host and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostKey(String);

impl HostKey {
    pub fn of(url: &Url) -> HostKey {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        match url.port_or_known_default() {
            Some(port) => HostKey(format!("{host}:{port}")),
            None => HostKey(host),
        }
    }
}

impl fmt::Display for HostKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Held while one request to a host is in flight.
pub struct HostPermit {
    _slot: OwnedSemaphorePermit,
}

/// One host's queue.
struct Host {
    slots: Arc<Semaphore>,
    /// Replaces the shared keyed limiter for this host when set.
    own_pace: Option<(Duration, Arc<DefaultDirectRateLimiter>)>,
    /// No request before this instant (Retry-After).
    not_before: Option<Instant>,
}

pub struct Politeness {
    shared: Option<DefaultKeyedRateLimiter<HostKey>>,
    default_interval: Option<Duration>,
    hosts: Mutex<HashMap<HostKey, Host>>,
    per_host: usize,
    /// The config's host rules, for per-host rate and concurrency.
    rules: HostRules,
}

/// Evenly spaced, burst of one: "2/s" means one request every 500 ms, not two at once.
fn limiter(interval: Duration) -> Option<Quota> {
    Quota::with_period(interval).map(|q| q.allow_burst(NonZeroU32::MIN))
}

impl Politeness {
    pub fn new(config: &Config) -> Politeness {
        let default_interval = config.per_host_rate.interval();
        Politeness {
            shared: default_interval.and_then(limiter).map(RateLimiter::keyed),
            default_interval,
            hosts: Mutex::new(HashMap::new()),
            per_host: config.per_host_concurrency.max(1),
            rules: config.hosts.clone(),
        }
    }

    fn with_host<T>(&self, url: &Url, f: impl FnOnce(&mut Host) -> T) -> T {
        let key = HostKey::of(url);
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let host = hosts.entry(key).or_insert_with(|| {
            let rule = self.rules.for_url(url);
            let slots = rule
                .and_then(|r| r.concurrency)
                .unwrap_or(self.per_host)
                .max(1);
            let own_pace = rule.and_then(|r| r.rate).map(|rate| match rate {
                Rate::Unlimited => None,
                limited => limited.interval(),
            });
            Host {
                slots: Arc::new(Semaphore::new(slots)),
                own_pace: own_pace
                    .flatten()
                    .and_then(|i| Some((i, Arc::new(RateLimiter::direct(limiter(i)?))))),
                not_before: None,
            }
        });
        f(host)
    }

    /// Waits for a free slot on the URL's host, any pause the host asked for, then its pace.
    pub async fn acquire(&self, url: &Url) -> HostPermit {
        let slots = self.with_host(url, |h| h.slots.clone());
        let slot = slots
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        loop {
            let not_before = self.with_host(url, |h| h.not_before);
            match not_before {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => break,
            }
        }
        let own = self.with_host(url, |h| h.own_pace.as_ref().map(|(_, l)| l.clone()));
        match (own, &self.shared) {
            (Some(own), _) => own.until_ready().await,
            (None, Some(shared)) => shared.until_key_ready(&HostKey::of(url)).await,
            (None, None) => {}
        }
        HostPermit { _slot: slot }
    }

    /// Holds every request to the URL's host for `wait` (a 429/503 Retry-After).
    pub fn pause(&self, url: &Url, wait: Duration) {
        let until = Instant::now() + wait;
        self.with_host(url, |h| {
            h.not_before = Some(h.not_before.map_or(until, |t| t.max(until)));
        });
    }

    /// Slows the URL's host to at most one request per `interval` (robots.txt Crawl-delay),
    /// unless it is already slower.
    pub fn slow_down(&self, url: &Url, interval: Duration) {
        self.with_host(url, |h| {
            let current = h
                .own_pace
                .as_ref()
                .map(|(i, _)| *i)
                .or(self.default_interval);
            if current.is_none_or(|c| c < interval) {
                h.own_pace =
                    limiter(interval).map(|q| (interval, Arc::new(RateLimiter::direct(q))));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostRule;
    use std::time::Instant as StdInstant;

    fn config(rate: &str, per_host: usize) -> Config {
        Config {
            per_host_rate: Rate::parse(rate).unwrap_or(Rate::Unlimited),
            per_host_concurrency: per_host,
            ..Config::default()
        }
    }

    #[test]
    fn hosts_are_keyed_with_their_port() -> Result<(), url::ParseError> {
        let k = |u: &str| Url::parse(u).map(|u| HostKey::of(&u).to_string());
        assert_eq!(k("http://Example.org/a")?, "example.org:80");
        assert_eq!(k("https://example.org/a")?, "example.org:443");
        assert_eq!(k("http://127.0.0.1:8080/")?, "127.0.0.1:8080");
        Ok(())
    }

    #[tokio::test]
    async fn one_host_is_spaced_and_others_are_not_held_up() -> Result<(), url::ParseError> {
        let p = Politeness::new(&config("10/s", 4));
        let a = Url::parse("http://a.test/")?;
        let b = Url::parse("http://b.test/")?;
        let start = StdInstant::now();
        for _ in 0..3 {
            drop(p.acquire(&a).await);
        }
        // Three requests at 10/s need at least two gaps of 100 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(190),
            "{:?}",
            start.elapsed()
        );
        let other = StdInstant::now();
        drop(p.acquire(&b).await);
        assert!(
            other.elapsed() < Duration::from_millis(90),
            "another host waits for nobody"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_pause_or_a_crawl_delay_holds_only_its_host() -> Result<(), url::ParseError> {
        let p = Politeness::new(&config("unlimited", 4));
        let a = Url::parse("http://a.test/")?;
        let b = Url::parse("http://b.test/")?;
        p.pause(&a, Duration::from_millis(150));
        let start = StdInstant::now();
        drop(p.acquire(&b).await);
        assert!(start.elapsed() < Duration::from_millis(100));
        drop(p.acquire(&a).await);
        assert!(
            start.elapsed() >= Duration::from_millis(140),
            "{:?}",
            start.elapsed()
        );

        p.slow_down(&b, Duration::from_millis(100));
        let start = StdInstant::now();
        drop(p.acquire(&b).await);
        drop(p.acquire(&b).await);
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "{:?}",
            start.elapsed()
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_host_rule_sets_its_own_pace() -> Result<(), url::ParseError> {
        let mut c = config("unlimited", 4);
        c.hosts = HostRules::new(vec![HostRule {
            pattern: "*.slow.test".into(),
            rate: Some(Rate::parse("10/s").unwrap_or(Rate::Unlimited)),
            ..HostRule::default()
        }]);
        let p = Politeness::new(&c);
        let slow = Url::parse("http://www.slow.test/")?;
        let start = StdInstant::now();
        for _ in 0..3 {
            drop(p.acquire(&slow).await);
        }
        assert!(
            start.elapsed() >= Duration::from_millis(190),
            "{:?}",
            start.elapsed()
        );
        Ok(())
    }
}
