//! Runs the built `linkward` binary in isolation: its own HOME, working directory and archive
//! directory (all temp dirs), no proxy or `LINKWARD_*` settings, and a guard against hangs.
//!
//! `tokio::process` is used so that test servers keep serving on the test's runtime while the
//! binary runs.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// Flags that make a check fast and deterministic against the local test servers.
pub const FAST_FLAGS: &[&str] = &[
    "--per-host-rate",
    "unlimited",
    "--per-host-concurrency",
    "8",
    "--timeout",
    "1s",
    "--idle-timeout",
    "1s",
    "--max-size",
    "1MiB",
    // Retries would multiply every fault case's time; the politeness tests turn them back on.
    "--retries",
    "0",
    "--format",
    "json",
];

/// A hang guard, not a speed assertion: no run in this suite should get near it.
const RUN_GUARD: Duration = Duration::from_secs(60);

/// One isolated linkward installation; runs of the same `Linkward` share its archive.
pub struct Linkward {
    home: TempDir,
    cwd: TempDir,
    archive: TempDir,
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Linkward {
    pub fn new() -> Self {
        Linkward {
            home: TempDir::new().expect("temp HOME"),
            cwd: TempDir::new().expect("temp cwd"),
            archive: TempDir::new().expect("temp archive"),
        }
    }

    pub fn archive(&self) -> &Path {
        self.archive.path()
    }

    /// Writes `contents` to `name` under the working directory and returns its path.
    pub fn write_file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.cwd.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    /// Runs `linkward <args>` exactly as given.
    pub async fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_via(&[], args).await
    }

    /// Starts `linkward <args>` and returns at once, for tests that kill it mid-run. Its output
    /// is discarded (so it can never block on a full pipe); it is killed if the child is dropped.
    pub fn spawn<I, S>(&self, args: I) -> Child
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn linkward")
    }

    /// Runs `linkward verify --archive <archive> --format <format>`.
    pub async fn verify(&self, format: &str) -> Run {
        let archive = self.archive.path().as_os_str();
        self.run([
            OsStr::new("verify"),
            OsStr::new("--archive"),
            archive,
            OsStr::new("--format"),
            OsStr::new(format),
        ])
        .await
    }

    /// The latest good copy of `url`, as `linkward get` writes it out of the packs.
    pub async fn get_copy(&self, url: &str) -> Vec<u8> {
        let out = self
            .cwd
            .path()
            .join(format!("get-{}.copy", fastrand_name()));
        let run = self
            .run([
                OsStr::new("get"),
                OsStr::new(url),
                OsStr::new("--archive"),
                self.archive.path().as_os_str(),
                OsStr::new("--output"),
                out.as_os_str(),
            ])
            .await;
        assert_eq!(run.code, Some(0), "linkward get {url}: {}", run.stderr);
        let bytes = std::fs::read(&out).expect("read the copy get wrote");
        let _ = std::fs::remove_file(&out);
        bytes
    }

    /// Runs `<wrapper...> linkward <args>` (e.g. `nsenter ... --`) with the same isolation.
    pub async fn run_via<I, S>(&self, wrapper: &[OsString], args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let output = tokio::time::timeout(RUN_GUARD, self.command_via(wrapper, args).output())
            .await
            .expect("linkward hung past the guard")
            .expect("spawn linkward");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The working directory linkward runs in.
    pub fn cwd(&self) -> &Path {
        self.cwd.path()
    }

    /// The isolated command line for `linkward <args>`.
    fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command_via(&[], args)
    }

    /// The isolated command line for `<wrapper...> linkward <args>`.
    fn command_via<I, S>(&self, wrapper: &[OsString], args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let bin = OsStr::new(env!("CARGO_BIN_EXE_linkward"));
        let mut command = match wrapper.split_first() {
            None => Command::new(bin),
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(bin);
                command
            }
        };
        command
            .args(args)
            .current_dir(self.cwd.path())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("XDG_CACHE_HOME", self.home.path().join(".cache"))
            .env("XDG_DATA_HOME", self.home.path().join(".local/share"))
            .env("NO_PROXY", "*")
            .env("no_proxy", "*")
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .env_remove("RUST_BACKTRACE")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        // linkward reads LINKWARD_* settings from the environment; the test's flags must rule.
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("LINKWARD_") {
                command.env_remove(var);
            }
        }
        // Broken links would otherwise be looked up in the public Wayback Machine: tests that
        // exercise the archives point --wayback / --timegate at a local server.
        command.env("LINKWARD_WAYBACK", "off");
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            command.env_remove(var);
        }
        command
    }

    /// Runs `linkward check <seeds> --archive <archive> <FAST_FLAGS> <extra>`.
    pub async fn check<S: AsRef<OsStr>>(&self, seeds: &[S], extra: &[&str]) -> Run {
        self.run(self.check_args(seeds, extra)).await
    }

    /// A saved seed page (in linkward's working directory) listing `urls` as links under
    /// "Related Documents".
    pub fn seed_listing(&self, urls: &[String]) -> std::path::PathBuf {
        let links: String = urls
            .iter()
            .enumerate()
            .map(|(i, u)| format!("<p><a href=\"{u}\">Document {i}</a></p>\n"))
            .collect();
        self.write_file(
            "seed.html",
            &format!("<html><body><h2>Related Documents</h2>\n{links}</body></html>\n"),
        )
    }
}

impl Run {
    /// The JSON document on stdout; panics with both streams when it is not one.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e})\n--- stdout\n{}\n--- stderr\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Both streams, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "exit code {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts a usage/setup failure: exit 2, one line on stderr, no panic or backtrace.
    pub fn assert_usage_error(&self) {
        assert_eq!(self.code, Some(2), "{}", self.dump());
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "stderr must be one line\n{}", self.dump());
        for bad in ["panicked", "backtrace", "RUST_BACKTRACE", "thread 'main'"] {
            assert!(
                !self.stderr.contains(bad),
                "stderr mentions {bad:?}\n{}",
                self.dump()
            );
        }
    }
}

impl Linkward {
    /// The arguments `check` passes: `check <seeds> --archive <archive> <FAST_FLAGS> <extra>`.
    pub fn check_args<S: AsRef<OsStr>>(&self, seeds: &[S], extra: &[&str]) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["check".into()];
        args.extend(seeds.iter().map(|s| s.as_ref().to_os_string()));
        args.push("--archive".into());
        args.push(self.archive.path().into());
        args.extend(FAST_FLAGS.iter().map(Into::into));
        args.extend(extra.iter().map(Into::into));
        args
    }

    /// Starts `linkward check ...` (as [`Linkward::check`] would run it) and returns at once,
    /// with stdout and stderr piped, for tests that signal it mid-run and then read its report
    /// with [`finish`].
    pub fn spawn_check<S: AsRef<OsStr>>(&self, seeds: &[S], extra: &[&str]) -> Child {
        self.command(self.check_args(seeds, extra))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn linkward")
    }
}

/// Sends `signal` (e.g. `"TERM"`, `"INT"`) to a running child with kill(1).
pub fn send_signal(child: &Child, signal: &str) {
    let pid = child.id().expect("the child is still running");
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill(1)");
    assert!(status.success(), "kill -{signal} {pid} failed: {status}");
}

/// Waits (within the hang guard) for a child started by [`Linkward::spawn_check`] and collects
/// what it printed.
pub async fn finish(child: Child) -> Run {
    let output = tokio::time::timeout(RUN_GUARD, child.wait_with_output())
        .await
        .expect("linkward hung past the guard")
        .expect("wait for linkward");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A name unique within this process, for files a test writes and removes.
fn fastrand_name() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
