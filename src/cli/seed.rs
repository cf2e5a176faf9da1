//! The `seed` subcommands' flags: `seed init`, `seed recover`, `seed list`, `seed forget`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;

use linkward::config::{self, Config, ConfigError, Format, Settings};

use super::{FormatParser, Reading, config_file, positive_duration};

#[derive(Debug, Subcommand)]
pub enum SeedCommand {
    /// Write a new seed manifest from a live page as it is today: its title, URL, date,
    /// publisher, and every document and link it lists with its section.
    #[command(after_help = r#"Examples:
  linkward seed init https://example.org/publications
  linkward seed init https://example.org/publications -o seeds/pubs.toml
  linkward seed init https://example.org/publications --dry-run"#)]
    Init(SeedInitArgs),
    /// Find the manifest's page in web archives (the snapshot closest to its date), match the
    /// snapshot's links to the items' titles, and write the recovered URLs into the manifest
    /// with their evidence.
    #[command(after_help = r#"Examples:
  linkward seed recover seeds/publications.toml --dry-run
  linkward seed recover seeds/publications.toml --wayback off --timegate https://web.archive.org/web/"#)]
    Recover(SeedRecoverArgs),
    /// List the seeds the archive tracks: what the index, the BagIt export and reports cover.
    #[command(after_help = r#"Examples:
  linkward seed list
  linkward seed list -a ./archive -f json"#)]
    List(SeedListArgs),
    /// Stop tracking a seed: it leaves the index, the BagIt export and reports. Its history and
    /// archived copies stay (`history` and `get` still find them), and checking it again tracks
    /// it again.
    #[command(after_help = r#"Examples:
  linkward seed forget https://example.org/one-page-i-checked-once
  linkward seed forget seeds/old-publications.toml -a ./archive"#)]
    Forget(SeedForgetArgs),
}

#[derive(Debug, clap::Args)]
pub struct SeedListArgs {
    #[command(flatten)]
    pub reading: Reading,

    /// Output format.
    #[arg(short = 'f', value_name = "FORMAT", long, value_parser = FormatParser, default_value = "terminal")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct SeedForgetArgs {
    /// The seed, as `seed list` names it (the URL, file or manifest a run was given), another
    /// path to the same file, or its page's URL.
    #[arg(value_name = "SEED")]
    pub seed: String,

    #[command(flatten)]
    pub reading: Reading,
}

#[derive(Debug, clap::Args)]
pub struct SeedInitArgs {
    /// The page: an http(s) URL.
    #[arg(value_parser = http_url)]
    pub url: url::Url,

    /// Where to write the manifest; it must not exist [default: SEEDS_DIR/<slug of the page
    /// title>.toml].
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print the manifest to stdout; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Folder the manifest is written to when -o is not given [default: seeds].
    #[arg(value_name = "DIR", long, env = "LINKWARD_SEEDS_DIR")]
    pub seeds_dir: Option<PathBuf>,

    /// Configuration file [default: ./linkward.toml when it exists].
    #[arg(short = 'c', value_name = "FILE", long, env = "LINKWARD_CONFIG")]
    pub config: Option<PathBuf>,

    /// Time allowed for one attempt at fetching the page [default: 60s].
    #[arg(value_name = "DUR", long, env = "LINKWARD_TIMEOUT", value_parser = positive_duration)]
    pub timeout: Option<Duration>,

    /// Do not fetch or obey robots.txt.
    #[arg(value_name = "BOOL", require_equals = true, hide_possible_values = true, long, env = "LINKWARD_IGNORE_ROBOTS", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub ignore_robots: Option<bool>,
}

impl SeedInitArgs {
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let file = config_file(self.config.as_deref())?;
        let flags = Settings {
            seeds_dir: self.seeds_dir,
            timeout: self.timeout,
            ignore_robots: self.ignore_robots,
            ..Settings::default()
        };
        Ok(flags.over(file).into_config(Vec::new(), false))
    }
}

/// An http(s) URL.
fn http_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s.trim()).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{s:?} is not an http(s) URL"));
    }
    Ok(url)
}

#[derive(Debug, clap::Args)]
pub struct SeedRecoverArgs {
    /// The seed manifest (.toml) to recover links for; it is rewritten in place.
    pub manifest: PathBuf,

    /// Show what would be written; leave the manifest as it is.
    #[arg(long)]
    pub dry_run: bool,

    /// Output format.
    #[arg(short = 'f', value_name = "FORMAT", long, value_parser = FormatParser, default_value = "terminal")]
    pub format: Format,

    /// Configuration file [default: ./linkward.toml when it exists].
    #[arg(short = 'c', value_name = "FILE", long, env = "LINKWARD_CONFIG")]
    pub config: Option<PathBuf>,

    /// Archive folder the page's snapshot is kept in [default: archive].
    #[arg(short = 'a', value_name = "DIR", long, env = "LINKWARD_ARCHIVE")]
    pub archive: Option<PathBuf>,

    /// Wayback availability API, or 'off' [default: https://archive.org/wayback/available].
    #[arg(value_name = "URL", long, env = "LINKWARD_WAYBACK", value_parser = config::Endpoint::parse)]
    pub wayback: Option<config::Endpoint>,

    /// Memento TimeGate(s) asked as well [default: none].
    #[arg(value_name = "URL", long, env = "LINKWARD_TIMEGATE", value_delimiter = ',', value_parser = config::Endpoint::parse)]
    pub timegate: Option<Vec<config::Endpoint>>,

    /// Time allowed for one request [default: 60s].
    #[arg(value_name = "DUR", long, env = "LINKWARD_TIMEOUT", value_parser = positive_duration)]
    pub timeout: Option<Duration>,

    /// Fetch loopback, private and other non-public addresses even when a public archive names
    /// them (link-local and cloud metadata addresses are never fetched).
    #[arg(value_name = "BOOL", require_equals = true, hide_possible_values = true, long, env = "LINKWARD_ALLOW_PRIVATE", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_private: Option<bool>,
}

impl SeedRecoverArgs {
    pub fn into_config(self) -> Result<Config, ConfigError> {
        let file = config_file(self.config.as_deref())?;
        let flags = Settings {
            archive: self.archive,
            wayback: self.wayback,
            timegate: self.timegate,
            timeout: self.timeout,
            allow_private: self.allow_private,
            ..Settings::default()
        };
        Ok(flags.over(file).into_config(Vec::new(), false))
    }
}
