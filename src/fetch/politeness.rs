//! Per-host politeness, in one place: at most N requests in flight per host (a semaphore per
//! host) and requests to one host spaced by the configured rate (governor's keyed limiter).
//! A permit is taken for every request, redirect hops included.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::Rate;

/// What politeness is counted per: scheme-less host and port.
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

pub struct Politeness {
    limiter: Option<DefaultKeyedRateLimiter<HostKey>>,
    slots: Mutex<HashMap<HostKey, Arc<Semaphore>>>,
    per_host: usize,
}

impl Politeness {
    pub fn new(rate: Rate, per_host_concurrency: usize) -> Politeness {
        // Evenly spaced, burst of one: "2/s" means one request every 500 ms, not two at once.
        let limiter = rate
            .interval()
            .and_then(Quota::with_period)
            .map(|q| RateLimiter::keyed(q.allow_burst(NonZeroU32::MIN)));
        Politeness {
            limiter,
            slots: Mutex::new(HashMap::new()),
            per_host: per_host_concurrency.max(1),
        }
    }

    /// Waits for a free slot on the URL's host, then for the host's rate limiter.
    pub async fn acquire(&self, url: &Url) -> HostPermit {
        let key = HostKey::of(url);
        let slots = {
            let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        let slot = slots
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        if let Some(limiter) = &self.limiter {
            limiter.until_key_ready(&key).await;
        }
        HostPermit { _slot: slot }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn hosts_are_keyed_with_their_port() {
        let k = |u: &str| HostKey::of(&Url::parse(u).unwrap()).to_string();
        assert_eq!(k("http://Example.org/a"), "example.org:80");
        assert_eq!(k("https://example.org/a"), "example.org:443");
        assert_eq!(k("http://127.0.0.1:8080/"), "127.0.0.1:8080");
    }

    #[tokio::test]
    async fn one_host_is_spaced_and_others_are_not_held_up() {
        let p = Politeness::new(Rate::parse("10/s").unwrap(), 4);
        let a = Url::parse("http://a.test/").unwrap();
        let b = Url::parse("http://b.test/").unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            drop(p.acquire(&a).await);
        }
        // Three requests at 10/s need at least two gaps of 100 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(190),
            "{:?}",
            start.elapsed()
        );
        let other = Instant::now();
        drop(p.acquire(&b).await);
        assert!(
            other.elapsed() < Duration::from_millis(90),
            "another host waits for nobody"
        );
    }
}
