//! The validated configuration of a run: one plain struct, built once from flags and environment
//! by the binary, with named defaults and the parsers for the value forms users type.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use crate::model::{Change, State};

mod file;
mod hosts;

pub use file::{ConfigError, IgnoreRule, Settings};
pub use hosts::{HostRule, HostRules};

/// Requests in flight across all hosts.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Links checked per seed at most: far more than any real page lists, few enough that a hostile
/// page listing millions cannot keep a run going for days.
pub const DEFAULT_MAX_LINKS: usize = 100_000;
/// The Wayback Machine's public availability API, asked about broken resources when nothing
/// else is configured.
pub const DEFAULT_WAYBACK: &str = "https://archive.org/wayback/available";
/// One request a second to any one host: polite for pages that list many documents on one site.
pub const DEFAULT_PER_HOST_RATE: Rate = Rate::Limited {
    count: NonZeroU32::MIN,
    per: Duration::from_secs(1),
};
/// Requests in flight to any one host.
pub const DEFAULT_PER_HOST_CONCURRENCY: usize = 2;
/// A whole fetch, every redirect hop and the body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Establishing one TCP (and TLS) connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// No byte arriving while a body is being read.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest decoded body kept; past it the check is `too-large`.
pub const DEFAULT_MAX_SIZE: u64 = 512 * 1024 * 1024;
/// Redirect hops followed before `too-many-redirects`.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;
/// Retries of a transient failure (connection error, timeout, 429, 502, 503, 504).
pub const DEFAULT_RETRIES: u32 = 2;
/// Longest single wait before a retry, Retry-After included: a server asking for more is not
/// waited for.
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(120);
/// First backoff step; each retry doubles it and adds up to half again as jitter.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_secs(1);
/// Failed checks in a row before a resource is reported newly broken.
pub const DEFAULT_CONFIRM: u32 = 1;
/// Recent versions a page may rotate between and still count as unchanged.
pub const DEFAULT_VERSIONS: usize = 3;
/// Longest robots.txt Crawl-delay honoured.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);
/// How long a host's robots.txt is trusted before it is fetched again.
pub const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);
/// Where the store and blobs live.
pub const DEFAULT_ARCHIVE_DIR: &str = "archive";
/// Where `check` with no seed looks for manifests.
pub const DEFAULT_SEEDS_DIR: &str = "seeds";
/// The configuration file read from the working directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "linkward.toml";
/// Largest HTML page read into memory to extract its links (the body itself is archived whole).
pub const MAX_PAGE_PARSE_BYTES: u64 = 32 * 1024 * 1024;

/// How often one host may be asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    /// `count` requests per `per`, spaced evenly (no bursts).
    Limited {
        count: NonZeroU32,
        per: Duration,
    },
    Unlimited,
}

impl Rate {
    /// Parses `2/s`, `30/m`, `100/h`, `1/5s` or `unlimited`; a bare number is per second (`2`
    /// is `2/s`), as a bare number is seconds for a duration.
    pub fn parse(s: &str) -> Result<Rate, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("unlimited") || s == "0" {
            return Ok(Rate::Unlimited);
        }
        let err = || {
            format!(
                "invalid rate {s:?}: use N (per second), N/s, N/m, N/h, N/DUR (e.g. 2, 30/m, 1/5s) or 'unlimited'"
            )
        };
        let (n, unit) = s.split_once('/').unwrap_or((s, "s"));
        let count: u32 = n.trim().parse().map_err(|_| err())?;
        let count = NonZeroU32::new(count).ok_or_else(err)?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            other => parse_duration(other).map_err(|_| err())?,
        };
        if per.is_zero() {
            return Err(err());
        }
        Ok(Rate::Limited { count, per })
    }

    /// The spacing between two requests to one host, if limited.
    pub fn interval(&self) -> Option<Duration> {
        match self {
            Rate::Limited { count, per } => Some(*per / count.get()),
            Rate::Unlimited => None,
        }
    }
}

/// Parses `8s`, `2m`, `1500ms`, `1m 30s`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s)
        .map_err(|_| format!("invalid duration {s:?}: use e.g. 8s, 2m, 1500ms"))
}

/// Parses `512MiB`, `2GiB`, `10MB`, `1000000` (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Ok(n);
    }
    s.parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|_| format!("invalid size {s:?}: use e.g. 512MiB, 2GiB, 1000000"))
}

/// How long an archive's "no snapshot" answer is trusted before asking again.
pub const DEFAULT_LOOKUP_CACHE: Duration = Duration::from_secs(7 * 24 * 3600);

/// A web archive endpoint given by the user, or `off`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint(pub Option<url::Url>);

impl Endpoint {
    /// An http(s) URL, or `off` / `none` for no endpoint.
    pub fn parse(s: &str) -> Result<Endpoint, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") || s.eq_ignore_ascii_case("none") || s.is_empty() {
            return Ok(Endpoint(None));
        }
        let url = url::Url::parse(s)
            .map_err(|e| format!("{s:?} is not a URL ({e}); give an http(s) URL or 'off'"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{s:?} is not an http(s) URL; give one or 'off'"));
        }
        Ok(Endpoint(Some(url)))
    }
}

/// How `check`, `verify`, `history` and `seed recover` write their document (`--format`, and
/// `format` in the configuration file): for a person at a terminal, or as JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Terminal,
    Json,
}

impl Format {
    /// Every format, in the order help lists them.
    pub const ALL: [Format; 2] = [Format::Terminal, Format::Json];

    /// The name users type: `terminal`, `json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Terminal => "terminal",
            Format::Json => "json",
        }
    }

    /// The format named exactly `name`.
    pub fn named(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// What makes `check` exit 1 (`--fail-on`): a resource in a state (`broken`), or one whose check
/// is a change (`newly-broken`, `moved`, ...). The two vocabularies share no name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    State(State),
    Change(Change),
}

impl FailOn {
    /// A state's name or a change's name, as users type them.
    pub fn parse(s: &str) -> Result<FailOn, String> {
        let s = s.trim();
        if let Ok(state) = s.parse::<State>() {
            return Ok(FailOn::State(state));
        }
        Change::named(s).map(FailOn::Change).ok_or_else(|| {
            let changes: Vec<&str> = Change::ALL.iter().map(|c| c.as_str()).collect();
            format!(
                "unknown state or change {s:?} (expected states ok, redirected, broken, skipped, unresolved or changes {})",
                changes.join(", ")
            )
        })
    }
}

/// Everything a `check` run needs, validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// Seeds as given on the command line; empty means every manifest in `seeds_dir`.
    pub seeds: Vec<String>,
    pub seeds_dir: PathBuf,
    pub archive_dir: PathBuf,
    pub format: Format,
    pub concurrency: usize,
    pub per_host_rate: Rate,
    pub per_host_concurrency: usize,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_size: u64,
    pub max_redirects: usize,
    /// Links checked per seed at most; past it the run warns and checks the first ones.
    pub max_links: usize,
    /// When the whole run stops as if interrupted, keeping what completed; `None`: no limit.
    pub deadline: Option<Duration>,
    pub retries: u32,
    pub max_retry_wait: Duration,
    pub retry_backoff: Duration,
    /// Skip robots.txt entirely (it is obeyed by default).
    pub ignore_robots: bool,
    /// Fetch non-public addresses (loopback, private, ...) whoever listed them; link-local and
    /// cloud metadata addresses stay refused (see `fetch::address`).
    pub allow_private: bool,
    /// Per-host rules from the configuration file, most specific first.
    pub hosts: HostRules,
    /// Failed checks in a row before a resource is newly broken.
    pub confirm: u32,
    /// A changed page whose fingerprint matches one of its last `versions` is unchanged.
    pub versions: usize,
    /// What to drop before fingerprinting, per URL prefix (from the configuration file).
    pub ignore: Vec<IgnoreRule>,
    /// States and changes that make the exit code 1.
    pub fail_on: Vec<FailOn>,
    /// Print only news (newly broken, moved, changed, recovered, seed list changes, an
    /// interrupted or inconclusive run), and nothing when there is none.
    pub quiet: bool,
    /// Show a progress bar (the binary decides: only when stderr is a terminal).
    pub progress: bool,
    /// The Wayback availability API asked for snapshots of broken resources; `None`: not asked.
    pub wayback: Option<url::Url>,
    /// Memento TimeGates asked as well, in order.
    pub timegates: Vec<url::Url>,
    /// URLs that should always answer, asked when no host of a run answered: one that answers
    /// means those hosts are down, none answering that the network here is (`judge::outage`).
    pub canaries: Vec<url::Url>,
    /// Download the closest snapshot of a broken resource we hold no good copy of.
    pub rescue: bool,
    /// How long a "no snapshot" answer is trusted.
    pub lookup_cache: Duration,
    /// Write a WARC `revisit` record for every 304 (by default a 304 writes none: the store
    /// has the check, and the copy it stands for is already in a pack).
    pub warc_revisits: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seeds: Vec::new(),
            seeds_dir: PathBuf::from(DEFAULT_SEEDS_DIR),
            archive_dir: PathBuf::from(DEFAULT_ARCHIVE_DIR),
            format: Format::Terminal,
            concurrency: DEFAULT_CONCURRENCY,
            per_host_rate: DEFAULT_PER_HOST_RATE,
            per_host_concurrency: DEFAULT_PER_HOST_CONCURRENCY,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_size: DEFAULT_MAX_SIZE,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            max_links: DEFAULT_MAX_LINKS,
            deadline: None,
            retries: DEFAULT_RETRIES,
            max_retry_wait: DEFAULT_MAX_RETRY_WAIT,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            ignore_robots: false,
            allow_private: false,
            hosts: HostRules::default(),
            confirm: DEFAULT_CONFIRM,
            versions: DEFAULT_VERSIONS,
            ignore: Vec::new(),
            fail_on: vec![FailOn::State(State::Broken)],
            quiet: false,
            progress: false,
            wayback: url::Url::parse(DEFAULT_WAYBACK).ok(),
            timegates: Vec::new(),
            canaries: Vec::new(),
            rescue: false,
            warc_revisits: false,
            lookup_cache: DEFAULT_LOOKUP_CACHE,
        }
    }
}

impl Config {
    /// The rule for the URL's origin, if any.
    pub fn host_rule(&self, url: &url::Url) -> Option<&HostRule> {
        self.hosts.for_url(url)
    }

    /// Whether any web archive is asked about broken resources.
    pub fn looks_up_archives(&self) -> bool {
        self.wayback.is_some() || !self.timegates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_in_the_forms_users_type() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(
            Rate::parse("2/s")?.interval(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            Rate::parse("30/m")?.interval(),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            Rate::parse("1/5s")?.interval(),
            Some(Duration::from_secs(5))
        );
        assert_eq!(Rate::parse("unlimited")?, Rate::Unlimited);
        assert_eq!(Rate::parse("1/s")?, DEFAULT_PER_HOST_RATE);
        assert_eq!(Rate::parse("5")?, Rate::parse("5/s")?);
        for bad in ["fast", "0/s", "2/x", "-1/s", "/s", "1.5"] {
            assert!(Rate::parse(bad).is_err(), "{bad} should be refused");
        }
        Ok(())
    }

    #[test]
    fn durations_and_sizes() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(parse_duration("8s")?, Duration::from_secs(8));
        assert_eq!(parse_duration("2m")?, Duration::from_secs(120));
        assert_eq!(parse_duration("1500ms")?, Duration::from_millis(1500));
        assert_eq!(parse_duration("5")?, Duration::from_secs(5));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_size("512MiB")?, 512 * 1024 * 1024);
        assert_eq!(parse_size("2GiB")?, 2 * 1024 * 1024 * 1024);
        assert_eq!(parse_size("1000000")?, 1_000_000);
        assert!(parse_size("big").is_err());
        Ok(())
    }

    #[test]
    fn fail_on_names_a_state_or_a_change() {
        assert_eq!(FailOn::parse("broken"), Ok(FailOn::State(State::Broken)));
        assert_eq!(
            FailOn::parse(" newly-broken"),
            Ok(FailOn::Change(Change::NewlyBroken))
        );
        for change in Change::ALL {
            assert_eq!(FailOn::parse(change.as_str()), Ok(FailOn::Change(change)));
        }
        for state in State::ALL {
            assert_eq!(FailOn::parse(state.as_str()), Ok(FailOn::State(state)));
        }
        let err = FailOn::parse("borken").err().unwrap_or_default();
        assert!(
            err.contains("borken") && err.contains("newly-broken"),
            "{err}"
        );
    }
}
