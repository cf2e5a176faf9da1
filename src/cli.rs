//! Command-line flags (clap definitions only) and their translation into a validated `Config`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use linkward::config::{self, Config, Format, Rate};

#[derive(Debug, Parser)]
#[command(
    name = "linkward",
    version,
    about = "Keeps the documents and links listed on a web page alive, or at least preserved."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every document and link a seed page lists; archive what answers.
    Check(CheckArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Terminal,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Seeds: http(s) URLs of HTML pages, saved HTML files, or seed manifests (.toml).
    /// With none, every manifest in --seeds-dir.
    pub seeds: Vec<String>,

    /// Archive folder: the store (db/) and every archived body (blobs/).
    #[arg(long, env = "LINKWARD_ARCHIVE", default_value = config::DEFAULT_ARCHIVE_DIR)]
    pub archive: PathBuf,

    /// Where manifests are looked for when no seed is given.
    #[arg(long, env = "LINKWARD_SEEDS_DIR", default_value = config::DEFAULT_SEEDS_DIR)]
    pub seeds_dir: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value = "terminal")]
    pub format: FormatArg,

    /// Requests in flight across all hosts.
    #[arg(long, env = "LINKWARD_CONCURRENCY", default_value_t = config::DEFAULT_CONCURRENCY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub concurrency: usize,

    /// Requests per host: N/s, N/m, N/h (e.g. 2/s, 30/m) or 'unlimited'.
    #[arg(long, env = "LINKWARD_PER_HOST_RATE", default_value = config::DEFAULT_PER_HOST_RATE, value_parser = Rate::parse)]
    pub per_host_rate: Rate,

    /// Requests in flight to any one host.
    #[arg(long, env = "LINKWARD_PER_HOST_CONCURRENCY", default_value_t = config::DEFAULT_PER_HOST_CONCURRENCY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub per_host_concurrency: usize,

    /// Time allowed for a whole fetch, redirects and body included (e.g. 8s, 2m).
    #[arg(long, env = "LINKWARD_TIMEOUT", default_value = config::DEFAULT_TIMEOUT, value_parser = positive_duration)]
    pub timeout: std::time::Duration,

    /// Time allowed to establish a connection.
    #[arg(long, default_value = config::DEFAULT_CONNECT_TIMEOUT, value_parser = positive_duration)]
    pub connect_timeout: std::time::Duration,

    /// Longest wait for the next bytes of a body before giving up.
    #[arg(long, default_value = config::DEFAULT_IDLE_TIMEOUT, value_parser = positive_duration)]
    pub idle_timeout: std::time::Duration,

    /// Largest decoded body kept (e.g. 512MiB, 2GiB, 1000000); larger is broken/too-large.
    #[arg(long, env = "LINKWARD_MAX_SIZE", default_value = config::DEFAULT_MAX_SIZE, value_parser = config::parse_size)]
    pub max_size: u64,

    /// Redirect hops followed before a check is broken/too-many-redirects.
    #[arg(long, default_value_t = config::DEFAULT_MAX_REDIRECTS)]
    pub max_redirects: usize,

    /// States that make the exit code 1, comma-separated (ok, redirected, broken, skipped, unresolved).
    #[arg(long, env = "LINKWARD_FAIL_ON", default_value = "broken", value_delimiter = ',', value_parser = parse_state)]
    pub fail_on: Vec<linkward::State>,
}

fn parse_state(s: &str) -> Result<linkward::State, String> {
    s.trim().parse()
}

fn positive_duration(s: &str) -> Result<std::time::Duration, String> {
    let d = config::parse_duration(s)?;
    if d.is_zero() {
        return Err(format!("duration {s:?} must be more than zero"));
    }
    Ok(d)
}

impl CheckArgs {
    pub fn into_config(self, progress: bool) -> Config {
        Config {
            seeds: self.seeds,
            seeds_dir: self.seeds_dir,
            archive_dir: self.archive,
            format: match self.format {
                FormatArg::Terminal => Format::Terminal,
                FormatArg::Json => Format::Json,
            },
            concurrency: self.concurrency,
            per_host_rate: self.per_host_rate,
            per_host_concurrency: self.per_host_concurrency,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            idle_timeout: self.idle_timeout,
            max_size: self.max_size,
            max_redirects: self.max_redirects,
            fail_on: self.fail_on,
            progress,
        }
    }
}
