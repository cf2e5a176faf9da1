//! The layers a `Config` is built from: flags, then `LINKWARD_*` environment variables (both
//! parsed by the binary into a `Settings`), then the configuration file (`linkward.toml`), then
//! the named defaults. Each layer is a `Settings` of optional values; the first layer that sets
//! a value wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::hosts::{HostRule, exact_names_first, split_pattern};
use super::{Config, Endpoint, FailOn, Format, Rate, parse_duration, parse_size};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the configuration file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration file {}: {msg}", path.display())]
    Invalid { path: PathBuf, msg: String },
}

/// Noise to drop before a body is fingerprinted: regexes deleted from its text, CSS selectors
/// whose elements are removed from HTML. Applies to URLs starting with `url`, or to all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    pub url: Option<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
    #[serde(default)]
    pub selectors: Vec<String>,
}

impl IgnoreRule {
    pub fn applies_to(&self, url: &str) -> bool {
        self.url
            .as_deref()
            .is_none_or(|prefix| url.starts_with(prefix))
    }
}

/// One layer of configuration: every value optional.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub archive: Option<PathBuf>,
    pub seeds_dir: Option<PathBuf>,
    pub format: Option<Format>,
    pub concurrency: Option<usize>,
    pub per_host_rate: Option<Rate>,
    pub per_host_concurrency: Option<usize>,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub max_size: Option<u64>,
    pub max_redirects: Option<usize>,
    pub max_links: Option<usize>,
    pub deadline: Option<Duration>,
    pub retries: Option<u32>,
    pub max_retry_wait: Option<Duration>,
    pub retry_backoff: Option<Duration>,
    pub ignore_robots: Option<bool>,
    pub allow_private: Option<bool>,
    pub fail_on: Option<Vec<FailOn>>,
    pub quiet: Option<bool>,
    pub confirm: Option<u32>,
    pub versions: Option<usize>,
    pub wayback: Option<Endpoint>,
    pub timegate: Option<Vec<Endpoint>>,
    pub canary: Option<Vec<Endpoint>>,
    pub rescue: Option<bool>,
    pub lookup_cache: Option<Duration>,
    pub warc_revisits: Option<bool>,
    pub hosts: Vec<HostRule>,
    pub ignore: Vec<IgnoreRule>,
}

impl Settings {
    /// This layer over `lower`: a value set here wins.
    pub fn over(self, lower: Settings) -> Settings {
        let mut hosts = self.hosts;
        hosts.extend(lower.hosts);
        let mut ignore = self.ignore;
        ignore.extend(lower.ignore);
        Settings {
            archive: self.archive.or(lower.archive),
            seeds_dir: self.seeds_dir.or(lower.seeds_dir),
            format: self.format.or(lower.format),
            concurrency: self.concurrency.or(lower.concurrency),
            per_host_rate: self.per_host_rate.or(lower.per_host_rate),
            per_host_concurrency: self.per_host_concurrency.or(lower.per_host_concurrency),
            timeout: self.timeout.or(lower.timeout),
            connect_timeout: self.connect_timeout.or(lower.connect_timeout),
            idle_timeout: self.idle_timeout.or(lower.idle_timeout),
            max_size: self.max_size.or(lower.max_size),
            max_redirects: self.max_redirects.or(lower.max_redirects),
            max_links: self.max_links.or(lower.max_links),
            deadline: self.deadline.or(lower.deadline),
            retries: self.retries.or(lower.retries),
            max_retry_wait: self.max_retry_wait.or(lower.max_retry_wait),
            retry_backoff: self.retry_backoff.or(lower.retry_backoff),
            ignore_robots: self.ignore_robots.or(lower.ignore_robots),
            allow_private: self.allow_private.or(lower.allow_private),
            fail_on: self.fail_on.or(lower.fail_on),
            quiet: self.quiet.or(lower.quiet),
            confirm: self.confirm.or(lower.confirm),
            versions: self.versions.or(lower.versions),
            wayback: self.wayback.or(lower.wayback),
            timegate: self.timegate.or(lower.timegate),
            canary: self.canary.or(lower.canary),
            rescue: self.rescue.or(lower.rescue),
            lookup_cache: self.lookup_cache.or(lower.lookup_cache),
            warc_revisits: self.warc_revisits.or(lower.warc_revisits),
            hosts,
            ignore,
        }
    }

    /// Fills what no layer set with the defaults.
    pub fn into_config(self, seeds: Vec<String>, progress: bool) -> Config {
        let d = Config::default();
        Config {
            seeds,
            seeds_dir: self.seeds_dir.unwrap_or(d.seeds_dir),
            archive_dir: self.archive.unwrap_or(d.archive_dir),
            format: self.format.unwrap_or(d.format),
            concurrency: self.concurrency.unwrap_or(d.concurrency),
            per_host_rate: self.per_host_rate.unwrap_or(d.per_host_rate),
            per_host_concurrency: self.per_host_concurrency.unwrap_or(d.per_host_concurrency),
            timeout: self.timeout.unwrap_or(d.timeout),
            connect_timeout: self.connect_timeout.unwrap_or(d.connect_timeout),
            idle_timeout: self.idle_timeout.unwrap_or(d.idle_timeout),
            max_size: self.max_size.unwrap_or(d.max_size),
            max_redirects: self.max_redirects.unwrap_or(d.max_redirects),
            max_links: self.max_links.unwrap_or(d.max_links),
            deadline: self.deadline.or(d.deadline),
            retries: self.retries.unwrap_or(d.retries),
            max_retry_wait: self.max_retry_wait.unwrap_or(d.max_retry_wait),
            retry_backoff: self.retry_backoff.unwrap_or(d.retry_backoff),
            ignore_robots: self.ignore_robots.unwrap_or(d.ignore_robots),
            allow_private: self.allow_private.unwrap_or(d.allow_private),
            hosts: self.hosts.into(),
            confirm: self.confirm.unwrap_or(d.confirm),
            versions: self.versions.unwrap_or(d.versions),
            ignore: self.ignore,
            fail_on: self.fail_on.unwrap_or(d.fail_on),
            quiet: self.quiet.unwrap_or(d.quiet),
            progress,
            wayback: self.wayback.map_or(d.wayback, |e| e.0),
            timegates: self
                .timegate
                .map_or(d.timegates, |v| v.into_iter().filter_map(|e| e.0).collect()),
            canaries: self
                .canary
                .map_or(d.canaries, |v| v.into_iter().filter_map(|e| e.0).collect()),
            rescue: self.rescue.unwrap_or(d.rescue),
            lookup_cache: self.lookup_cache.unwrap_or(d.lookup_cache),
            warc_revisits: self.warc_revisits.unwrap_or(d.warc_revisits),
        }
    }

    /// Reads a configuration file; every problem names the file and the key.
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Settings::from_toml(&text).map_err(|msg| ConfigError::Invalid {
            path: path.to_path_buf(),
            msg,
        })
    }

    pub fn from_toml(text: &str) -> Result<Settings, String> {
        let raw: FileToml = toml::from_str(text).map_err(|e| {
            e.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })?;
        fn key(k: &str) -> impl Fn(String) -> String + '_ {
            move |e| format!("{k}: {e}")
        }
        let duration = |v: Option<String>, k: &str| {
            v.as_deref().map(parse_duration).transpose().map_err(key(k))
        };
        let mut hosts = Vec::new();
        for (pattern, h) in raw.hosts {
            let k = format!("hosts.{pattern:?}");
            let pattern = pattern.to_ascii_lowercase();
            split_pattern(&pattern).map_err(key(&k))?;
            hosts.push(HostRule {
                pattern,
                rate: h
                    .rate
                    .as_deref()
                    .map(Rate::parse)
                    .transpose()
                    .map_err(key(&k))?,
                concurrency: h.concurrency,
                headers: h.headers.into_iter().collect(),
                accept_status: h.accept_status,
                allow_http: h.allow_http.unwrap_or(false),
                allow_private: h.allow_private.unwrap_or(false),
            });
        }
        exact_names_first(&mut hosts);
        Ok(Settings {
            archive: raw.archive,
            seeds_dir: raw.seeds_dir,
            format: raw
                .format
                .as_deref()
                .map(|name| {
                    Format::named(name)
                        .ok_or_else(|| format!("format: {name:?} is not terminal or json"))
                })
                .transpose()?,
            concurrency: raw.concurrency,
            per_host_rate: raw
                .per_host_rate
                .as_deref()
                .map(Rate::parse)
                .transpose()
                .map_err(key("per-host-rate"))?,
            per_host_concurrency: raw.per_host_concurrency,
            timeout: duration(raw.timeout, "timeout")?,
            connect_timeout: duration(raw.connect_timeout, "connect-timeout")?,
            idle_timeout: duration(raw.idle_timeout, "idle-timeout")?,
            max_size: match raw.max_size {
                None => None,
                Some(SizeToml::Bytes(n)) => Some(n),
                Some(SizeToml::Text(s)) => Some(parse_size(&s).map_err(key("max-size"))?),
            },
            max_redirects: raw.max_redirects,
            max_links: match raw.max_links {
                Some(0) => return Err(key("max-links")("must be at least 1".into())),
                n => n,
            },
            deadline: duration(raw.deadline, "deadline")?,
            retries: raw.retries,
            max_retry_wait: duration(raw.max_retry_wait, "max-retry-wait")?,
            retry_backoff: duration(raw.retry_backoff, "retry-backoff")?,
            ignore_robots: raw.ignore_robots,
            allow_private: raw.allow_private,
            fail_on: raw
                .fail_on
                .map(|v| {
                    v.iter()
                        .map(|s| FailOn::parse(s))
                        .collect::<Result<Vec<FailOn>, _>>()
                })
                .transpose()
                .map_err(key("fail-on"))?,
            quiet: raw.quiet,
            confirm: raw.confirm,
            versions: raw.versions,
            wayback: raw
                .wayback
                .as_deref()
                .map(Endpoint::parse)
                .transpose()
                .map_err(key("wayback"))?,
            timegate: raw
                .timegate
                .map(|v| {
                    v.iter()
                        .map(|s| Endpoint::parse(s))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .map_err(key("timegate"))?,
            canary: raw
                .canary
                .map(|v| {
                    v.iter()
                        .map(|s| Endpoint::parse(s))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .map_err(key("canary"))?,
            rescue: raw.rescue,
            lookup_cache: duration(raw.lookup_cache, "lookup-cache")?,
            warc_revisits: raw.warc_revisits,
            hosts,
            ignore: raw.ignore,
        })
    }
}

/// The file as written: keys spelled like the flags.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileToml {
    archive: Option<PathBuf>,
    seeds_dir: Option<PathBuf>,
    format: Option<String>,
    concurrency: Option<usize>,
    per_host_rate: Option<String>,
    per_host_concurrency: Option<usize>,
    timeout: Option<String>,
    connect_timeout: Option<String>,
    idle_timeout: Option<String>,
    max_size: Option<SizeToml>,
    max_redirects: Option<usize>,
    max_links: Option<usize>,
    deadline: Option<String>,
    retries: Option<u32>,
    max_retry_wait: Option<String>,
    retry_backoff: Option<String>,
    ignore_robots: Option<bool>,
    allow_private: Option<bool>,
    fail_on: Option<Vec<String>>,
    quiet: Option<bool>,
    confirm: Option<u32>,
    versions: Option<usize>,
    wayback: Option<String>,
    timegate: Option<Vec<String>>,
    canary: Option<Vec<String>>,
    rescue: Option<bool>,
    lookup_cache: Option<String>,
    warc_revisits: Option<bool>,
    #[serde(default)]
    hosts: BTreeMap<String, HostToml>,
    #[serde(default)]
    ignore: Vec<IgnoreRule>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SizeToml {
    Bytes(u64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct HostToml {
    rate: Option<String>,
    concurrency: Option<usize>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    accept_status: Vec<u16>,
    allow_http: Option<bool>,
    allow_private: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::State;

    #[test]
    fn flags_win_over_environment_over_file_over_defaults() -> Result<(), String> {
        let file = Settings::from_toml(
            r#"
            concurrency = 8
            timeout = "20s"
            max-size = "1MiB"
            fail-on = ["broken", "redirected"]
            [hosts."*.example.org"]
            rate = "10/s"
            [hosts."slow.example.org"]
            rate = "1/m"
            concurrency = 1
            headers = { "X-Token" = "abc" }
            accept-status = [403]
            "#,
        )?;
        let env = Settings {
            concurrency: Some(16),
            timeout: Some(Duration::from_secs(5)),
            ..Settings::default()
        };
        let flags = Settings {
            concurrency: Some(32),
            ..Settings::default()
        };
        let config = flags.over(env).over(file).into_config(Vec::new(), false);
        assert_eq!(config.concurrency, 32);
        assert_eq!(config.timeout, Duration::from_secs(5));
        assert_eq!(config.max_size, 1024 * 1024);
        assert_eq!(
            config.fail_on,
            vec![
                FailOn::State(State::Broken),
                FailOn::State(State::Redirected)
            ]
        );
        assert_eq!(config.retries, super::super::DEFAULT_RETRIES);
        let url = |u: &str| url::Url::parse(u).map_err(|e| e.to_string());
        let slow = config
            .host_rule(&url("https://slow.example.org/")?)
            .ok_or("no rule")?;
        assert_eq!(slow.accept_status, vec![403]);
        assert_eq!(
            slow.headers,
            vec![("X-Token".to_string(), "abc".to_string())]
        );
        assert!(!slow.allow_http && !slow.allow_private);
        let other = config
            .host_rule(&url("http://www.example.org/")?)
            .ok_or("no rule")?;
        assert_eq!(other.rate, Some(Rate::parse("10/s")?));
        assert!(config.host_rule(&url("https://example.com/")?).is_none());
        assert!(!config.allow_private);
        Ok(())
    }

    #[test]
    fn address_policy_and_header_trust_keys() -> Result<(), String> {
        let file = Settings::from_toml(
            r#"
            allow-private = true
            [hosts."intranet.example.org:8443"]
            allow-private = true
            allow-http = true
            headers = { Authorization = "Bearer t" }
            "#,
        )?;
        let config = file.clone().into_config(Vec::new(), false);
        assert!(config.allow_private);
        let rule = config.hosts.iter().next().ok_or("no rule")?;
        assert_eq!(rule.pattern, "intranet.example.org:8443");
        assert!(rule.allow_private && rule.allow_http);
        // A flag (or LINKWARD_ALLOW_PRIVATE) wins over the file.
        let flags = Settings {
            allow_private: Some(false),
            ..Settings::default()
        };
        assert!(
            !flags
                .over(file)
                .into_config(Vec::new(), false)
                .allow_private
        );
        Ok(())
    }

    #[test]
    fn web_archive_keys() -> Result<(), String> {
        let defaults = Settings::default().into_config(Vec::new(), false);
        assert_eq!(
            defaults.wayback.as_ref().map(url::Url::as_str),
            Some(crate::config::DEFAULT_WAYBACK)
        );
        assert!(defaults.timegates.is_empty() && !defaults.rescue);
        let file = Settings::from_toml(
            r#"
            wayback = "off"
            timegate = ["http://127.0.0.1:9/timegate/", "off"]
            rescue = true
            lookup-cache = "2d"
            "#,
        )?;
        let config = file.clone().into_config(Vec::new(), false);
        assert_eq!(config.wayback, None);
        assert_eq!(config.timegates.len(), 1);
        assert!(config.rescue && config.looks_up_archives());
        assert_eq!(config.lookup_cache, Duration::from_secs(2 * 24 * 3600));
        // A flag (or LINKWARD_WAYBACK) wins over the file.
        let flags = Settings {
            wayback: Some(Endpoint::parse("http://127.0.0.1:9/wayback/available")?),
            ..Settings::default()
        };
        assert!(
            flags
                .over(file)
                .into_config(Vec::new(), false)
                .wayback
                .is_some()
        );
        for bad in ["wayback = \"ftp://x/\"", "timegate = [\"not a url\"]"] {
            let err = Settings::from_toml(bad).err().unwrap_or_default();
            assert!(err.contains("wayback") || err.contains("timegate"), "{err}");
        }
        Ok(())
    }

    #[test]
    fn canary_key_takes_urls_and_a_flag_wins() -> Result<(), String> {
        assert!(
            Settings::default()
                .into_config(Vec::new(), false)
                .canaries
                .is_empty()
        );
        let file = Settings::from_toml(r#"canary = ["http://127.0.0.1:9/", "off"]"#)?;
        let config = file.clone().into_config(Vec::new(), false);
        assert_eq!(
            config
                .canaries
                .iter()
                .map(url::Url::as_str)
                .collect::<Vec<_>>(),
            ["http://127.0.0.1:9/"]
        );
        // `--canary off` (or LINKWARD_CANARY=off) drops the file's canaries.
        let flags = Settings {
            canary: Some(vec![Endpoint::parse("off")?]),
            ..Settings::default()
        };
        assert!(
            flags
                .over(file)
                .into_config(Vec::new(), false)
                .canaries
                .is_empty()
        );
        let err = Settings::from_toml("canary = [\"ftp://x/\"]")
            .err()
            .unwrap_or_default();
        assert!(err.contains("canary"), "{err}");
        Ok(())
    }

    #[test]
    fn file_errors_name_the_key() {
        for (text, want) in [
            ("per-host-rate = \"fast\"", "per-host-rate"),
            ("timeout = \"soon\"", "timeout"),
            ("colour = true", "colour"),
            ("[hosts.\"a.org\"]\nrate = \"x\"", "hosts.\"a.org\""),
            ("fail-on = [\"borken\"]", "fail-on"),
            (
                "[hosts.\"a.org\"]\nallow-private = \"yes\"",
                "allow-private",
            ),
            ("allow-private = 1", "allow-private"),
            (
                "[hosts.\"a.org:http\"]\nrate = \"1/s\"",
                "hosts.\"a.org:http\"",
            ),
            ("[hosts.\"a.org:0\"]\nrate = \"1/s\"", "hosts.\"a.org:0\""),
            ("[hosts.\"a.org\"]\nallow-http = \"yes\"", "allow-http"),
        ] {
            let err = Settings::from_toml(text).err().unwrap_or_default();
            assert!(err.contains(want), "{err:?} should name {want:?}");
        }
    }
}
