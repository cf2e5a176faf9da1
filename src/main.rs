//! The linkward binary: flags → `Config` → run → report → exit code. Nothing else lives here.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

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
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return Exit::Clean.into();
        }
        Err(e) => {
            let msg = e.to_string();
            let first = msg
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("linkward: {first} (see 'linkward --help')");
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

fn run(cli: Cli) -> anyhow::Result<Exit> {
    let Command::Check(args) = cli.command;
    let config = args.into_config(std::io::stderr().is_terminal());
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(linkward::check::run(&config))?;

    let color = std::io::stdout().is_terminal();
    let mut out = std::io::stdout().lock();
    let rendered = linkward::report::reporter(config.format, color).render(&report, &mut out);
    match rendered.and_then(|()| out.flush()) {
        Ok(()) => {}
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e.into()),
    }
    let failing = config.fail_on.iter().any(|&s| report.summary.count(s) > 0);
    Ok(if failing { Exit::Failing } else { Exit::Clean })
}
