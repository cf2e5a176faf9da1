//! The linkward binary: flags → `Config` → run → report → exit code. Nothing else lives here.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use linkward::config::Format;
use linkward::report::{Render, Terminal};
use linkward::review::WindowSpec;
use linkward::store::RunStatus;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use cli::{Cli, Command};

/// Exit codes, chosen in one place.
#[derive(Clone, Copy)]
enum Exit {
    /// Nothing in a --fail-on state.
    Clean = 0,
    /// Something in a --fail-on state (by default: something broken).
    Failing = 1,
    /// Bad usage or a setup that cannot run (unreadable seed, bad flag, unusable archive).
    Usage = 2,
    /// The run worked but the `--notify` webhook refused the report.
    NotifyFailed = 3,
    /// The network here was down: the run is inconclusive, judged nothing and notified no one.
    Inconclusive = 4,
    /// Stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).
    Interrupted = 130,
}

/// glibc malloc's defaults cost a `check` of 20,000 links 40 MiB or more of peak RSS
/// (BENCHMARKS.md, "Profile and fixes"): every thread of the blocking pool may get an arena of
/// its own (up to 8 per core) that keeps its freed memory, and the mmap threshold rises to the
/// largest block freed so far (the seed page, a 1 MiB body read for its fingerprint), after
/// which every buffer below that size is carved from, and fragments, the heap. Two arenas are
/// plenty for two worker threads, and a fixed threshold returns large buffers when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    // SAFETY: mallopt only sets parameters of the allocator, which takes its own lock; the
    // values are documented ones (mallopt(3)).
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

fn main() -> ExitCode {
    tune_malloc();
    let cli = match cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return Exit::Clean.into();
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // Bare `linkward`: the usage, on stderr, as a usage error.
            let _ = e.print();
            return Exit::Usage.into();
        }
        Err(e) => {
            eprintln!("linkward: {}", usage_error_line(&e.to_string()));
            return Exit::Usage.into();
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LINKWARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(e) => {
            // Our error messages already carry their causes; `{e}` keeps them to one line.
            eprintln!("linkward: {e}");
            Exit::Usage.into()
        }
    }
}

/// clap's usage error on one line: its first line, what clap suggests (a similar flag, value or
/// subcommand), the values a closed list takes, and the help of the subcommand it was parsing.
fn usage_error_line(msg: &str) -> String {
    let mut line = msg
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_owned();
    for l in msg.lines().map(str::trim) {
        if let Some(values) = l
            .strip_prefix("[possible values: ")
            .and_then(|v| v.strip_suffix(']'))
        {
            line.push_str(&format!(": possible values are {values}"));
        } else if let Some(tip) = l.strip_prefix("tip: ") {
            line.push_str(&format!("; {tip}"));
        }
    }
    // The subcommand's help lists its flags; the top level's lists none.
    let command = cli::command_path(std::env::args().skip(1));
    format!("{line} (see '{command} --help')")
}

fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Check(args) => check(*args),
        Command::Verify(args) => verify(args),
        Command::History(args) => history(args),
        Command::Report(args) => report(args),
        Command::Export(cli::ExportCommand::Bagit(args)) => export_bagit(args),
        Command::Get(args) => get(args),
        Command::Index(args) => index(args),
        Command::Seed(cli::SeedCommand::Recover(args)) => seed_recover(args),
        Command::Seed(cli::SeedCommand::Init(args)) => seed_init(args),
        Command::Seed(cli::SeedCommand::List(args)) => {
            let list = linkward::seeds::seed_list(&args.reading.archive()?, args.reading.wait())?;
            print(&list, args.format)?;
            Ok(Exit::Clean)
        }
        Command::Seed(cli::SeedCommand::Forget(args)) => seed_forget(args),
        Command::Completions(args) => {
            write_stdout(|out| cli::write_completions(args.shell, out))?;
            Ok(Exit::Clean)
        }
        Command::Man(args) => {
            let page = cli::man_page(&args.subcommand).map_err(anyhow::Error::msg)?;
            write_stdout(|out| page.render(out))?;
            Ok(Exit::Clean)
        }
    }
}

fn export_bagit(args: cli::BagitArgs) -> anyhow::Result<Exit> {
    let archive = args.reading.archive()?;
    let bag = linkward::export::bagit::export(&archive, &args.out, args.reading.wait())?;
    write_stdout(|out| {
        writeln!(
            out,
            "bagged {} files ({}) from run {} into {}; {} recovered from web archives; {} listed URLs have no archived copy",
            bag.files,
            bytesize::ByteSize(bag.bytes),
            bag.run_id,
            bag.out.display(),
            bag.web_archive_copies,
            bag.without_copy
        )
    })?;
    Ok(Exit::Clean)
}

/// `get`: a URL with no archived copy (at that date) is a result (exit 1), not a setup error.
fn get(args: cli::GetArgs) -> anyhow::Result<Exit> {
    use linkward::export::get::{self, Lookup};
    let archive = args.reading.archive()?;
    let version = match get::find(&archive, &args.url, args.at, args.reading.wait())? {
        Lookup::Found(version) => version,
        Lookup::Missing(miss) => {
            eprintln!("linkward: {miss}");
            return Ok(Exit::Failing);
        }
    };
    match &args.output {
        Some(path) => {
            version.write_file(path)?;
        }
        None => {
            let mut out = std::io::BufWriter::with_capacity(
                linkward::archive::FILE_CHUNK,
                std::io::stdout().lock(),
            );
            match version.copy_to(&mut out) {
                Err(e) if e.is_broken_pipe() => {}
                result => {
                    result?;
                }
            }
        }
    }
    Ok(Exit::Clean)
}

/// `seed init`: a manifest of the live page, printed (`--dry-run`) or written to a new file.
fn seed_init(args: cli::SeedInitArgs) -> anyhow::Result<Exit> {
    use linkward::seed::init;
    let (url, output, dry_run) = (args.url.clone(), args.output.clone(), args.dry_run);
    // Refuse before fetching when the file named is there already.
    if let Some(path) = output
        .as_deref()
        .filter(|p| !dry_run && p.symlink_metadata().is_ok())
    {
        return Err(linkward::seed::SeedError::Exists(path.to_path_buf()).into());
    }
    let config = args.into_config()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let today = chrono::Utc::now().date_naive();
    let manifest = runtime.block_on(linkward::check::init_seed(&config, &url, today))?;
    let text = init::to_toml(&manifest).map_err(anyhow::Error::msg)?;
    if dry_run {
        // TOML escapes C0 controls but may keep C1 ones as they are: a terminal gets neither.
        let terminal = std::io::stdout().is_terminal();
        write_stdout(|out| {
            if terminal {
                linkward::report::terminal_safe::TerminalSafe::new(out, false)
                    .write_all(text.as_bytes())
            } else {
                out.write_all(text.as_bytes())
            }
        })?;
        return Ok(Exit::Clean);
    }
    let path =
        output.unwrap_or_else(|| init::default_path(&config.seeds_dir, &manifest.page.title));
    init::write_new(&path, &text)?;
    let sections: std::collections::HashSet<_> =
        manifest.items.iter().map(|i| &i.section).collect();
    write_stdout(|out| {
        writeln!(
            out,
            "wrote {}: {} items in {} sections from {url}",
            path.display(),
            manifest.items.len(),
            sections.len()
        )
    })?;
    Ok(Exit::Clean)
}

/// `seed recover`: finding no link to recover is a result (exit 1), not a setup error.
fn seed_recover(args: cli::SeedRecoverArgs) -> anyhow::Result<Exit> {
    let (manifest, dry_run, format) = (args.manifest.clone(), args.dry_run, args.format);
    let config = args.into_config()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let found = runtime.block_on(linkward::check::recover_seed(&config, &manifest, dry_run))?;
    print(&found, format)?;
    Ok(if found.links.is_empty() {
        Exit::Failing
    } else {
        Exit::Clean
    })
}

/// `seed forget`: a name that matches no tracked seed is a usage error (exit 2) naming those
/// tracked.
fn seed_forget(args: cli::SeedForgetArgs) -> anyhow::Result<Exit> {
    let archive = args.reading.archive()?;
    let forgot = linkward::seeds::forget_seed(&archive, &args.seed, args.reading.wait())?;
    write_stdout(|out| {
        for seed in &forgot.seeds {
            writeln!(
                out,
                "forgot {seed} (runs up to {}); its history and copies stay; {} rewritten",
                forgot.upto_run,
                forgot.index.display()
            )?;
        }
        Ok(())
    })?;
    Ok(Exit::Clean)
}

fn index(args: cli::IndexArgs) -> anyhow::Result<Exit> {
    let archive = args.reading.archive()?;
    let path = linkward::index::regenerate(&archive, args.reading.wait())?;
    write_stdout(|out| writeln!(out, "wrote {}", path.display()))?;
    Ok(Exit::Clean)
}

fn report(args: cli::ReportArgs) -> anyhow::Result<Exit> {
    let window = args.window().map_err(anyhow::Error::msg)?;
    let quiet = args.quiet()?;
    let archive = args.reading.archive()?;
    let report = linkward::open::change_report(
        &archive,
        window,
        &args.seeds(),
        &args.reading.file()?.ignore,
        args.reading.wait(),
    )?;
    if !quiet {
        write_stdout(|out| linkward::report::formats::renderer(args.format).render(&report, out))?;
    } else if let Some(news) = report.news_only() {
        write_stdout(|out| linkward::report::formats::renderer(args.format).render(&news, out))?;
    }
    if let Some(url) = &args.notify {
        let runtime = tokio::runtime::Runtime::new()?;
        if let Err(e) = runtime.block_on(linkward::notify::notify(url, &report)) {
            eprintln!("linkward: {e}");
            return Ok(Exit::NotifyFailed);
        }
    }
    Ok(Exit::Clean)
}

fn history(args: cli::HistoryArgs) -> anyhow::Result<Exit> {
    let archive = args.reading.archive()?;
    let history = linkward::open::history(
        &archive,
        &args.url,
        &args.reading.file()?.ignore,
        args.reading.wait(),
    )?;
    print(&history, args.format)?;
    Ok(Exit::Clean)
}

/// Threads for a check's file work (body writes, fsyncs, fingerprints, the WARC file). tokio's
/// default of 512 let a 20,000-link run grow to 150 threads, each keeping its touched stack and
/// malloc cache, for no gain: the work is either CPU (two cores) or fsyncs on one disk.
const BLOCKING_THREADS: usize = 32;

fn check(args: cli::CheckArgs) -> anyhow::Result<Exit> {
    let notify = args.notify.clone();
    let config = args.into_config(std::io::stderr().is_terminal())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()?;
    let shutdown = CancellationToken::new();
    runtime.spawn(cancel_on_signal(shutdown.clone()));
    let report = runtime.block_on(linkward::check::run(&config, shutdown))?;
    if !config.quiet {
        print(&report, config.format)?;
    } else if report.has_news() {
        // Quiet JSON is the whole document, only when there is news: the contract stays one shape.
        match config.format {
            Format::Json => print(&report, Format::Json)?,
            Format::Terminal => {
                let color = std::io::stdout().is_terminal();
                write_stdout(|out| linkward::report::Quiet { color }.render(&report, out))?;
            }
        }
    }
    // One line, quiet or not: an outage is news, and the only news of its run.
    if let Some(outage) = &report.run.outage {
        let run = match report.run.status {
            RunStatus::Interrupted => "interrupted",
            _ => "inconclusive",
        };
        eprintln!(
            "linkward: the network here looks unreachable: {outage}; run {} is {run} and nothing in it is judged",
            report.run.id
        );
    }
    match report.run.status {
        RunStatus::Interrupted => return Ok(Exit::Interrupted),
        // Before --notify and --fail-on: no webhook for an outage, and 4 wins over 1.
        RunStatus::Inconclusive => return Ok(Exit::Inconclusive),
        _ => {}
    }
    if let Some(url) = &notify {
        let changes = linkward::open::change_report(
            &config.archive_dir,
            WindowSpec::Latest,
            &linkward::open::ReportSeeds::LatestRun,
            &config.ignore,
            std::time::Duration::ZERO,
        )?;
        if let Err(e) = runtime.block_on(linkward::notify::notify(url, &changes)) {
            eprintln!("linkward: {e}");
            return Ok(Exit::NotifyFailed);
        }
    }
    // See `ResourceReport::fails`: a resource failing fewer than --confirm times in a row is not
    // broken yet (no alarm), and a change counts only in the run it happens in.
    let failing = report.resources.iter().any(|r| r.fails(&config.fail_on));
    Ok(if failing { Exit::Failing } else { Exit::Clean })
}

/// Cancels `token` on SIGINT or SIGTERM, so the run records what completed and stops.
async fn cancel_on_signal(token: CancellationToken) {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    token.cancel();
}

fn verify(args: cli::VerifyArgs) -> anyhow::Result<Exit> {
    let archive = args.reading.archive()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(linkward::verify::run_with(
        &archive,
        args.sample,
        !args.blobs_only,
        args.reading.wait(),
    ))?;
    print(&report, args.format)?;
    Ok(if report.is_clean() {
        Exit::Clean
    } else {
        Exit::Failing
    })
}

/// Writes a document to stdout in the `--format` chosen; colour only on a terminal.
fn print<D: Serialize>(doc: &D, format: Format) -> anyhow::Result<()>
where
    Terminal: Render<D>,
{
    let color = std::io::stdout().is_terminal();
    write_stdout(|out| linkward::report::renderer(format, color).render(doc, out))
}

/// Writes a report to stdout; a closed pipe (`| head`) is the reader's choice, not an error.
fn write_stdout(render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
    // Buffered: reports are written line by line, and a write call per line is slow.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match render(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}
