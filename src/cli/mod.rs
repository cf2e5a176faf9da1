//! Command-line flags (clap definitions only) and their translation into a validated `Config`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};

use linkward::config::{self, Config, ConfigError, Format, Rate, Settings};
use linkward::open::ReportSeeds;
use linkward::report::formats::ReportFormat;
use linkward::review::{self, WindowSpec};

mod seed;

pub use seed::{SeedCommand, SeedForgetArgs, SeedInitArgs, SeedRecoverArgs};

#[derive(Debug, Parser)]
#[command(
    name = "linkward",
    version,
    // A flag given twice takes its last value, so wrappers can append overrides.
    args_override_self = true,
    // Bare `linkward` prints the usage, as ripgrep and fd do.
    arg_required_else_help = true,
    about = "Keeps the documents and links listed on a web page alive, or at least preserved.",
    after_help = r#"Examples:
  linkward check https://example.org/publications     # check a page's links, archive what answers
  linkward report -f html > report.html               # what changed, from the archive
  linkward get https://example.org/report.pdf > report.pdf

Every command reads ./linkward.toml (or -c FILE); see 'linkward COMMAND --help'."#
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every document and link a seed page lists; archive what answers.
    #[command(after_help = r#"Examples:
  linkward check https://example.org/publications      # a live page
  linkward check saved.html -a ./archive -f json       # a saved page, JSON on stdout
  linkward check -q --fail-on newly-broken,moved       # every manifest in ./seeds, for cron
  linkward check seeds/ --per-host-rate 30/m --timeout 2m

Units: a bare number is seconds for a duration (DUR: 8s, 2m, 1500ms, 1h30m) and per second for a
rate (RATE: 2/s, 30/m, 100/h, 1/5s, unlimited); sizes are bytes (SIZE: 512MiB, 2GiB, 1000000)."#)]
    Check(Box<CheckArgs>),
    /// Rehash every archived blob and check every reference the store makes to one.
    #[command(after_help = r#"Examples:
  linkward verify -a ./archive
  linkward verify --sample 5 -f json     # a random 5% of the blobs and WARC files
  linkward verify --wait 30m             # after the running check, if there is one"#)]
    Verify(VerifyArgs),
    /// Show one resource's timeline from the store (no network).
    #[command(after_help = r#"Examples:
  linkward history https://example.org/report.pdf
  linkward history https://example.org/report.pdf -a ./archive -f json"#)]
    History(HistoryArgs),
    /// Write a change report for a window of runs, from the store (no network).
    #[command(after_help = r#"Examples:
  linkward report                                   # the latest run against the one before
  linkward report --runs 5 -f html > report.html
  linkward report --since 7d -q --notify https://hooks.example.org/linkward
  linkward report --wait 10m -c /etc/linkward/linkward.toml"#)]
    Report(ReportArgs),
    /// Write the archive out in a format other tools read.
    #[command(subcommand)]
    #[command(after_help = r#"Examples:
  linkward export bagit ./bag"#)]
    Export(ExportCommand),
    /// Write out an archived version of a URL (the latest good copy, or the one at --at).
    #[command(after_help = r#"Examples:
  linkward get https://example.org/report.pdf > report.pdf
  linkward get https://example.org/report.pdf --at 2026-11-01 -o report-nov.pdf"#)]
    Get(GetArgs),
    /// Rewrite the archive's offline index, ARCHIVE/index.html (check writes it after every run).
    #[command(after_help = r#"Examples:
  linkward index -a ./archive"#)]
    Index(IndexArgs),
    /// Work on seed manifests and the seeds an archive tracks.
    #[command(subcommand)]
    #[command(after_help = r#"Examples:
  linkward seed init https://example.org/publications
  linkward seed recover seeds/publications.toml --dry-run
  linkward seed list
  linkward seed forget https://example.org/one-page-i-checked-once"#)]
    Seed(SeedCommand),
    /// Print a shell completion script for linkward (bash, zsh, fish, elvish or powershell).
    #[command(after_help = r#"Examples:
  linkward completions bash > ~/.local/share/bash-completion/completions/linkward
  linkward completions zsh > ~/.zfunc/_linkward"#)]
    Completions(CompletionsArgs),
    /// Print linkward's man page (roff) to stdout, or a subcommand's (`man seed init`).
    #[command(after_help = r#"Examples:
  linkward man | man -l -
  linkward man seed init > linkward-seed-init.1"#)]
    Man(ManArgs),
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The subcommand whose page to print, e.g. `check` or `seed init` [default: linkward(1)].
    pub subcommand: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    pub shell: clap_complete::Shell,
}

/// The command line as parsed, completed and documented. `[env: NAME]` never shows a value: an
/// unset variable would read `NAME=`, and a set one may be a secret (a webhook URL).
pub fn command() -> clap::Command {
    fn hide_env_values(cmd: clap::Command) -> clap::Command {
        cmd.mut_args(|a| a.hide_env_values(true))
            .mut_subcommands(hide_env_values)
    }
    hide_env_values(<Cli as clap::CommandFactory>::command())
}

/// Parses the process's arguments with [`command`].
pub fn try_parse() -> Result<Cli, clap::Error> {
    let matches = command().try_get_matches()?;
    <Cli as clap::FromArgMatches>::from_arg_matches(&matches)
}

/// The command whose help to point a usage error at: `linkward`, then each subcommand named in
/// `args` (the process's arguments after the program name) down to the last one that exists.
pub fn command_path(args: impl IntoIterator<Item = String>) -> String {
    let mut cmd = command();
    let mut path = vec![cmd.get_name().to_owned()];
    for arg in args {
        let Some(sub) = cmd.find_subcommand(&arg).cloned() else {
            // Flags come after the subcommands they belong to; a value or seed ends the path.
            if arg.starts_with('-') {
                continue;
            }
            break;
        };
        path.push(sub.get_name().to_owned());
        cmd = sub;
    }
    path.join(" ")
}

/// Writes the completion script for `shell`, generated from the flags defined here.
pub fn write_completions(
    shell: clap_complete::Shell,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut cmd = command();
    let name = cmd.get_name().to_owned();
    clap_complete::generate(shell, &mut cmd, name, out);
    Ok(())
}

/// The man page of `linkward` (`path` empty) or of one of its subcommands (`["seed", "init"]`
/// is linkward-seed-init(1), the page linkward(1) and linkward-seed(1) refer to), generated from
/// the flags defined here; `Err` names a subcommand that does not exist.
pub fn man_page(path: &[String]) -> Result<clap_mangen::Man, String> {
    let mut cmd = command().disable_help_subcommand(true);
    // Building names each subcommand as its page does (display name `linkward-seed-init`).
    cmd.build();
    let mut found = cmd;
    for (i, name) in path.iter().enumerate() {
        found = found
            .find_subcommand(name)
            .cloned()
            .ok_or_else(|| format!("no subcommand 'linkward {}'", path[..=i].join(" ")))?;
    }
    Ok(clap_mangen::Man::new(found).source(concat!("linkward ", env!("CARGO_PKG_VERSION"))))
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A BagIt 1.0 bag (RFC 8493) of the latest good copy of every listed document.
    #[command(after_help = r#"Examples:
  linkward export bagit ./bag -a ./archive
  linkward export bagit ./bag --wait 1h"#)]
    Bagit(BagitArgs),
}

#[derive(Debug, clap::Args)]
pub struct BagitArgs {
    /// Where to write the bag: a path that does not exist yet, or an empty folder.
    pub out: PathBuf,

    #[command(flatten)]
    pub reading: Reading,
}

#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// The URL, as listed (or as shown in a report).
    pub url: String,

    #[command(flatten)]
    pub reading: Reading,

    /// The good copy as of this date (2026-11-01: the end of that day, UTC) or RFC 3339 time
    /// [default: the latest good copy].
    #[arg(value_name = "DATE", long, value_parser = linkward::export::get::parse_at)]
    pub at: Option<chrono::DateTime<chrono::Utc>>,

    /// Write to this file instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    #[command(flatten)]
    pub reading: Reading,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub reading: Reading,

    /// Report format.
    #[arg(short = 'f', long, default_value = "markdown", value_parser = PossibleValuesParser::new(
        ReportFormat::ALL.map(ReportFormat::as_str)).try_map(|name| name.parse::<ReportFormat>()))]
    pub format: ReportFormat,

    /// Cover every run since a date (2026-11-01) or an age (7d, 12h) [default: see --runs].
    #[arg(value_name = "DATE|AGE", long, conflicts_with = "runs")]
    pub since: Option<String>,

    /// Cover each seed's latest N runs [default: each seed's latest run against its previous
    /// one; for `--format html`, the latest 30 runs, so its timeline and chart show history].
    #[arg(value_name = "N", long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub runs: Option<usize>,

    /// Report on this seed only (repeatable): its id as `seed list` shows it, another path to
    /// the same manifest, or its page's URL [default: every seed the archive tracks; with
    /// --notify, the seeds of the latest run].
    #[arg(short = 's', value_name = "SEED", long = "seed")]
    pub seeds: Vec<String>,

    /// POST the JSON change report to this webhook when anything changed.
    #[arg(value_name = "URL", long, env = "LINKWARD_NOTIFY")]
    pub notify: Option<url::Url>,

    /// Print only news (newly broken, moved, changed, recovered, seed list changes, an
    /// interrupted or inconclusive run), and nothing at all when there is none.
    #[arg(short = 'q', value_name = "BOOL", require_equals = true, hide_possible_values = true, long, env = "LINKWARD_QUIET", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: Option<bool>,
}

impl ReportArgs {
    /// `--quiet`, else `LINKWARD_QUIET`, else the configuration file's `quiet`, else off.
    pub fn quiet(&self) -> Result<bool, ConfigError> {
        if let Some(q) = self.quiet {
            return Ok(q);
        }
        Ok(self.reading.file()?.quiet.unwrap_or(false))
    }

    /// The seeds to report on: those named, else the latest run's when notifying (a cron job
    /// announces what its own run found, not another seed's old news), else every one tracked.
    pub fn seeds(&self) -> ReportSeeds {
        match (&self.seeds[..], &self.notify) {
            ([], Some(_)) => ReportSeeds::LatestRun,
            ([], None) => ReportSeeds::Tracked,
            (names, _) => ReportSeeds::Named(names.to_vec()),
        }
    }

    pub fn window(&self) -> Result<WindowSpec, String> {
        Ok(match (&self.since, self.runs) {
            (Some(since), _) => WindowSpec::Since(review::parse_since(since, chrono::Utc::now())?),
            (None, Some(n)) => WindowSpec::Runs(n),
            // The HTML report draws a timeline and a chart: over one run they show nothing. A
            // report that also notifies keeps to the latest run, so a cron job never announces
            // the same news twice.
            (None, None) if self.format == ReportFormat::Html && self.notify.is_none() => {
                WindowSpec::Runs(review::DEFAULT_HTML_REPORT_RUNS)
            }
            (None, None) => WindowSpec::Latest,
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The URL, as listed (or as shown in a report).
    pub url: String,

    #[command(flatten)]
    pub reading: Reading,

    /// Output format.
    #[arg(short = 'f', value_name = "FORMAT", long, value_parser = FormatParser, default_value = "terminal")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub reading: Reading,

    /// Check a random P% of the blobs and WARC files (0 < P <= 100) instead of all of them.
    #[arg(long, value_name = "P", value_parser = parse_sample)]
    pub sample: Option<f64>,

    /// Rehash the blobs and check the store's references only; do not re-read the WARC files.
    #[arg(long)]
    pub blobs_only: bool,

    /// Output format.
    #[arg(short = 'f', value_name = "FORMAT", long, value_parser = FormatParser, default_value = "terminal")]
    pub format: Format,
}

/// The flags every command that reads an existing archive shares: which archive (`--archive`,
/// else `LINKWARD_ARCHIVE`, else the configuration file's `archive`, else ./archive, as for
/// `check`) and how long to wait for a running check to let it go.
#[derive(Debug, clap::Args)]
pub struct Reading {
    /// Configuration file, read for its `archive` (and by report for `quiet`) [default:
    /// ./linkward.toml when it exists].
    #[arg(short = 'c', value_name = "FILE", long, env = "LINKWARD_CONFIG")]
    pub config: Option<PathBuf>,

    /// Archive folder to read [default: the configuration file's `archive`, else archive].
    #[arg(short = 'a', value_name = "DIR", long, env = "LINKWARD_ARCHIVE")]
    pub archive: Option<PathBuf>,

    /// Wait up to this long for a running check to release the archive (e.g. 30s, 10m; a bare
    /// number is seconds) [default: fail at once].
    #[arg(long, value_name = "DUR", value_parser = config::parse_duration)]
    pub wait: Option<Duration>,
}

impl Reading {
    /// The configuration file's settings (none when there is no file).
    pub fn file(&self) -> Result<Settings, ConfigError> {
        config_file(self.config.as_deref())
    }

    /// The archive folder: flag or environment, else the configuration file, else the default.
    pub fn archive(&self) -> Result<PathBuf, ConfigError> {
        Ok(match &self.archive {
            Some(dir) => dir.clone(),
            None => self
                .file()?
                .archive
                .unwrap_or_else(|| PathBuf::from(config::DEFAULT_ARCHIVE_DIR)),
        })
    }

    /// How long to wait for the archive lock; zero (fail at once) when `--wait` is not given.
    pub fn wait(&self) -> Duration {
        self.wait.unwrap_or(Duration::ZERO)
    }
}

/// Flags of `check`. Every value is optional here: what a flag (or its `LINKWARD_*` variable)
/// leaves unset comes from the configuration file, then from the defaults in `config`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Seeds: http(s) URLs of HTML pages, saved HTML files, seed manifests (.toml), or folders of
    /// manifests. With none, every manifest in --seeds-dir.
    pub seeds: Vec<String>,

    /// Configuration file [default: ./linkward.toml when it exists].
    #[arg(
        help_heading = "Archive and configuration",
        short = 'c',
        value_name = "FILE",
        long,
        env = "LINKWARD_CONFIG"
    )]
    pub config: Option<PathBuf>,

    /// Archive folder: the store (db/) and every archived body (blobs/) [default: archive].
    #[arg(
        help_heading = "Archive and configuration",
        short = 'a',
        value_name = "DIR",
        long,
        env = "LINKWARD_ARCHIVE"
    )]
    pub archive: Option<PathBuf>,

    /// Where manifests are looked for when no seed is given [default: seeds].
    #[arg(
        help_heading = "Archive and configuration",
        value_name = "DIR",
        long,
        env = "LINKWARD_SEEDS_DIR"
    )]
    pub seeds_dir: Option<PathBuf>,

    /// Output format [default: terminal].
    #[arg(help_heading = "Output", short = 'f', value_name = "FORMAT", long, value_parser = FormatParser, env = "LINKWARD_FORMAT")]
    pub format: Option<Format>,

    /// Requests in flight across all hosts [default: 64].
    #[arg(help_heading = "Network", value_name = "N", long, env = "LINKWARD_CONCURRENCY",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub concurrency: Option<usize>,

    /// Requests per host: N/s, N/m, N/h, N/DUR or N alone (per second), e.g. 30/m, 1/5s; or
    /// 'unlimited' [default: 1/s].
    #[arg(help_heading = "Network", value_name = "RATE", long, env = "LINKWARD_PER_HOST_RATE", value_parser = Rate::parse)]
    pub per_host_rate: Option<Rate>,

    /// Requests in flight to any one host [default: 2].
    #[arg(help_heading = "Network", value_name = "N", long, env = "LINKWARD_PER_HOST_CONCURRENCY",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub per_host_concurrency: Option<usize>,

    /// Time allowed for one attempt at a fetch, redirects and body included (e.g. 8s, 2m) [default: 60s].
    #[arg(help_heading = "Time and size limits", value_name = "DUR", long, env = "LINKWARD_TIMEOUT", value_parser = positive_duration)]
    pub timeout: Option<Duration>,

    /// Time allowed to establish a connection [default: 10s].
    #[arg(help_heading = "Time and size limits", value_name = "DUR", long, env = "LINKWARD_CONNECT_TIMEOUT", value_parser = positive_duration)]
    pub connect_timeout: Option<Duration>,

    /// Longest wait for the next bytes of a body [default: 30s].
    #[arg(help_heading = "Time and size limits", value_name = "DUR", long, env = "LINKWARD_IDLE_TIMEOUT", value_parser = positive_duration)]
    pub idle_timeout: Option<Duration>,

    /// Largest decoded body kept (e.g. 512MiB, 2GiB, 1000000); larger is broken/too-large [default: 512MiB].
    #[arg(help_heading = "Time and size limits", value_name = "SIZE", long, env = "LINKWARD_MAX_SIZE", value_parser = config::parse_size)]
    pub max_size: Option<u64>,

    /// Redirect hops followed before a check is broken/too-many-redirects [default: 10].
    #[arg(
        help_heading = "Time and size limits",
        value_name = "N",
        long,
        env = "LINKWARD_MAX_REDIRECTS"
    )]
    pub max_redirects: Option<usize>,

    /// Links checked per seed at most; past it the run says so and checks the first N [default: 100000].
    #[arg(help_heading = "Time and size limits", value_name = "N", long, env = "LINKWARD_MAX_LINKS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_links: Option<u64>,

    /// Time allowed for the whole run (e.g. 30m, 2h); at the deadline it stops as on SIGTERM, keeping what completed [default: none].
    #[arg(help_heading = "Time and size limits", value_name = "DUR", long, env = "LINKWARD_DEADLINE", value_parser = positive_duration)]
    pub deadline: Option<Duration>,

    /// Retries of a transient failure: connection errors, timeouts, 429, 502, 503, 504 [default: 2].
    #[arg(
        help_heading = "Retries",
        value_name = "N",
        long,
        env = "LINKWARD_RETRIES"
    )]
    pub retries: Option<u32>,

    /// Longest wait before one retry, a server's Retry-After included [default: 120s].
    #[arg(help_heading = "Retries", value_name = "DUR", long, env = "LINKWARD_MAX_RETRY_WAIT", value_parser = config::parse_duration)]
    pub max_retry_wait: Option<Duration>,

    /// First backoff step between retries; doubled each time, plus jitter [default: 1s].
    #[arg(help_heading = "Retries", value_name = "DUR", long, env = "LINKWARD_RETRY_BACKOFF", value_parser = config::parse_duration)]
    pub retry_backoff: Option<Duration>,

    /// Do not fetch or obey robots.txt.
    #[arg(help_heading = "Network", value_name = "BOOL", require_equals = true, hide_possible_values = true, long, env = "LINKWARD_IGNORE_ROBOTS", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub ignore_robots: Option<bool>,

    /// Fetch loopback, private and other non-public addresses even when listed by a page on a
    /// public address (link-local and cloud metadata addresses are never fetched).
    #[arg(help_heading = "Network", value_name = "BOOL", require_equals = true, hide_possible_values = true, long, env = "LINKWARD_ALLOW_PRIVATE", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_private: Option<bool>,

    /// Failed checks in a row before a resource is reported newly broken (until then: failing) [default: 1].
    #[arg(help_heading = "Change detection", value_name = "N", long, env = "LINKWARD_CONFIRM",
          value_parser = clap::builder::RangedU64ValueParser::<u32>::new().range(1..=1000))]
    pub confirm: Option<u32>,

    /// A page whose content matches one of its last K versions is unchanged (rotating pages) [default: 3].
    #[arg(help_heading = "Change detection", value_name = "K", long, env = "LINKWARD_VERSIONS",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=8))]
    pub versions: Option<usize>,

    /// After the run, POST the JSON change report (latest run against the one before) to this
    /// webhook when anything changed (never after an inconclusive run: exit 4).
    #[arg(
        help_heading = "Output",
        value_name = "URL",
        long,
        env = "LINKWARD_NOTIFY"
    )]
    pub notify: Option<url::Url>,

    /// Wayback availability API asked for the snapshot of each broken resource closest to its
    /// date, or 'off' [default: https://archive.org/wayback/available].
    #[arg(help_heading = "Web archives", value_name = "URL", long, env = "LINKWARD_WAYBACK", value_parser = config::Endpoint::parse)]
    pub wayback: Option<config::Endpoint>,

    /// Memento TimeGate (RFC 7089) asked as well: a URL the resource's URL is appended to
    /// (e.g. https://web.archive.org/web/); repeat or comma-separate for several [default: none].
    #[arg(help_heading = "Web archives", value_name = "URL", long, env = "LINKWARD_TIMEGATE", value_delimiter = ',', value_parser = config::Endpoint::parse)]
    pub timegate: Option<Vec<config::Endpoint>>,

    /// A URL that should always answer, asked when no host of the run gave an HTTP answer: if it
    /// answers, those hosts are down (broken as usual); if not, the network here is, and the run
    /// is inconclusive (exit 4); repeat or comma-separate for several [default: none].
    #[arg(help_heading = "Network", value_name = "URL", long, env = "LINKWARD_CANARY", value_delimiter = ',', value_parser = config::Endpoint::parse)]
    pub canary: Option<Vec<config::Endpoint>>,

    /// Download the closest snapshot of each broken resource we hold no good copy of into the
    /// archive, marked as recovered from a web archive.
    #[arg(help_heading = "Web archives", value_name = "BOOL", require_equals = true, hide_possible_values = true, long, env = "LINKWARD_RESCUE", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub rescue: Option<bool>,

    /// How long an archive's "no snapshot" answer is trusted before it is asked again [default: 7d].
    #[arg(help_heading = "Web archives", value_name = "DUR", long, env = "LINKWARD_LOOKUP_CACHE", value_parser = config::parse_duration)]
    pub lookup_cache: Option<Duration>,

    /// Write a WARC revisit record for every 304 Not Modified answer (by default a 304 writes
    /// none: the store records the check, and the copy it stands for is already archived).
    #[arg(help_heading = "Change detection", value_name = "BOOL", require_equals = true, hide_possible_values = true, long, env = "LINKWARD_WARC_REVISITS", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub warc_revisits: Option<bool>,

    /// States (ok, redirected, broken, skipped, unresolved) and changes (newly-broken, moved,
    /// changed, recovered, still-broken, failing, new, unchanged) that make the exit code 1,
    /// comma-separated, mixed freely [default: broken].
    #[arg(help_heading = "Output", value_name = "LIST", long, env = "LINKWARD_FAIL_ON", value_delimiter = ',', value_parser = config::FailOn::parse)]
    pub fail_on: Option<Vec<config::FailOn>>,

    /// Print only news (newly broken, moved, changed, recovered, seed list changes, an
    /// interrupted or inconclusive run), and nothing at all when there is none.
    #[arg(help_heading = "Output", short = 'q', value_name = "BOOL", require_equals = true, hide_possible_values = true, long, env = "LINKWARD_QUIET", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: Option<bool>,
}

/// `--format`: the name of one of config's `Format`s. clap checks it as it checks any closed list
/// of values, so help shows `[possible values: terminal, json]` and an unknown name is refused in
/// clap's usual words; a value that is not UTF-8 is one more unknown name, as for a derived enum.
#[derive(Clone, Copy, Debug)]
struct FormatParser;

impl TypedValueParser for FormatParser {
    type Value = Format;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Format, clap::Error> {
        let names = PossibleValuesParser::new(Format::ALL.map(Format::as_str));
        let name = names.parse_ref(cmd, arg, OsStr::new(value.to_string_lossy().as_ref()))?;
        // Always found: the name was just checked against the same list.
        Format::named(&name)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            Format::ALL
                .into_iter()
                .map(|f| PossibleValue::new(f.as_str())),
        ))
    }
}

fn positive_duration(s: &str) -> Result<Duration, String> {
    let d = config::parse_duration(s)?;
    if d.is_zero() {
        return Err(format!("duration {s:?} must be more than zero"));
    }
    Ok(d)
}

impl CheckArgs {
    /// Flags and environment over the configuration file over the defaults.
    pub fn into_config(self, progress: bool) -> Result<Config, ConfigError> {
        let file = config_file(self.config.as_deref())?;
        let flags = Settings {
            archive: self.archive,
            seeds_dir: self.seeds_dir,
            format: self.format,
            concurrency: self.concurrency,
            per_host_rate: self.per_host_rate,
            per_host_concurrency: self.per_host_concurrency,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            idle_timeout: self.idle_timeout,
            max_size: self.max_size,
            max_redirects: self.max_redirects,
            max_links: self
                .max_links
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            deadline: self.deadline,
            retries: self.retries,
            max_retry_wait: self.max_retry_wait,
            retry_backoff: self.retry_backoff,
            ignore_robots: self.ignore_robots,
            allow_private: self.allow_private,
            fail_on: self.fail_on,
            quiet: self.quiet,
            confirm: self.confirm,
            versions: self.versions,
            wayback: self.wayback,
            timegate: self.timegate,
            canary: self.canary,
            rescue: self.rescue,
            lookup_cache: self.lookup_cache,
            warc_revisits: self.warc_revisits,
            hosts: Vec::new(),
            ignore: Vec::new(),
        };
        Ok(flags.over(file).into_config(self.seeds, progress))
    }
}

/// The configuration file named, else ./linkward.toml when it exists, else nothing.
fn config_file(named: Option<&Path>) -> Result<Settings, ConfigError> {
    match named {
        Some(path) => Settings::from_file(path),
        None if Path::new(config::DEFAULT_CONFIG_FILE).is_file() => {
            Settings::from_file(Path::new(config::DEFAULT_CONFIG_FILE))
        }
        None => Ok(Settings::default()),
    }
}

/// `--sample P`: a percentage above 0 and at most 100.
fn parse_sample(value: &str) -> Result<f64, String> {
    let p: f64 = value
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{value:?} is not a percentage"))?;
    if p > 0.0 && p <= 100.0 {
        Ok(p)
    } else {
        Err(format!("{value} is not above 0 and at most 100"))
    }
}
