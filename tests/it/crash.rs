//! Killed at any moment, nothing lost: `check` is SIGKILLed at pseudo-random moments while it
//! fetches slow documents into one archive. After each kill the archive as left must verify
//! (every reference names an intact blob), the next `check` must open it (no stale lock or temp
//! file blocks it) and complete, and after that completed run nothing is left in `tmp/`.
//!
//! The moments come from a seeded xorshift, printed on stderr; set `CRASH_TEST_SEED` to replay,
//! and `CRASH_TEST_ITERATIONS` for a longer soak.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::json::{assert_kept, assert_state, resource};
use crate::common::{Behaviour, KIB, Linkward, TestServer, noise};

/// Kills per test run, unless `CRASH_TEST_ITERATIONS` says otherwise.
const ITERATIONS: u64 = 12;
const DOCS: u64 = 15;
/// A kill lands this long after the start at most (a slow run takes about as long).
const MAX_KILL_AFTER_MS: u64 = 1500;

/// xorshift64*: tiny, deterministic, good enough to pick delays and kill moments.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn env_u64(var: &str) -> Option<u64> {
    std::env::var(var).ok().and_then(|s| s.parse().ok())
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}

fn doc_path(n: u64) -> String {
    format!("/docs/{n:02}.pdf")
}

/// Document `n`'s body in `iteration`: odd documents change every iteration, so every run
/// writes new blobs (the moments that matter), even ones keep their bytes.
fn doc_body(n: u64, iteration: u64) -> Vec<u8> {
    let version = if n % 2 == 1 { iteration } else { 0 };
    noise(16 * KIB + n as usize * KIB, (n << 32) ^ version ^ 0x5eed)
}

/// Serves each document slowly: a random 20-400 ms before the head; every other one then
/// trickles its body in 4 KiB pieces, so kills land while blobs are being written too. A whole
/// run takes about a second and a half, so most kills land inside one.
fn serve_slowly(server: &TestServer, rng: &mut Rng, iteration: u64) {
    for n in 0..DOCS {
        let body = doc_body(n, iteration);
        let answer = if n % 2 == 0 {
            Behaviour::Trickle {
                body,
                chunk: 4 * KIB,
                every: Duration::from_millis(rng.between(10, 60)),
            }
        } else {
            Behaviour::ok("application/pdf", body)
        };
        let delay = Duration::from_millis(rng.between(20, 400));
        server.set_route(doc_path(n), Behaviour::delay(delay, answer));
    }
}

/// Serves the same bodies at once, so the run after a kill (which only has to complete) is quick.
fn serve_fast(server: &TestServer, iteration: u64) {
    for n in 0..DOCS {
        server.set_route(
            doc_path(n),
            Behaviour::ok("application/pdf", doc_body(n, iteration)),
        );
    }
}

fn check_args(linkward: &Linkward, seed_url: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["check".into(), seed_url.into(), "--archive".into()];
    args.push(linkward.archive().into());
    for flag in [
        "--per-host-rate",
        "unlimited",
        "--per-host-concurrency",
        "8",
        "--timeout",
        "20s",
        "--format",
        "json",
    ] {
        args.push(flag.into());
    }
    args
}

/// Asserts `verify --format json` exits 0 with nothing corrupt, missing or unexpected.
async fn assert_verifies(linkward: &Linkward, context: &str) -> Value {
    let run = linkward.verify("json").await;
    assert_eq!(run.code, Some(0), "verify {context}\n{}", run.dump());
    let report = run.json();
    for problem in ["corrupt", "missing", "unexpected"] {
        assert_eq!(
            report[problem],
            serde_json::json!([]),
            "verify {context}: {report:#}"
        );
    }
    report
}

#[tokio::test]
async fn killed_at_any_moment_the_archive_stays_whole_and_the_next_run_completes() {
    let seed = env_u64("CRASH_TEST_SEED").unwrap_or_else(clock_seed);
    eprintln!("crash test seed: {seed} (replay with CRASH_TEST_SEED={seed})");
    let mut rng = Rng::new(seed);
    let started = Instant::now();

    let links: String = (0..DOCS)
        .map(|n| format!("<p><a href=\"{}\">Document {n}</a></p>", doc_path(n)))
        .collect();
    let server =
        TestServer::start([("/", Behaviour::html(format!("<h2>Documents</h2>{links}")))]).await;
    let seed_url = server.url("/");
    let linkward = Linkward::new();
    let args = check_args(&linkward, &seed_url);
    let mut last_run_id = 0;

    let iterations = env_u64("CRASH_TEST_ITERATIONS").unwrap_or(ITERATIONS);
    for iteration in 0..iterations {
        serve_slowly(&server, &mut rng, iteration);
        let kill_after = rng.between(0, MAX_KILL_AFTER_MS);
        let context = format!("seed {seed}, iteration {iteration}, killed after {kill_after} ms");

        let mut child = linkward.spawn(&args);
        tokio::time::sleep(Duration::from_millis(kill_after)).await;
        child.start_kill().expect("send SIGKILL");
        let status = child.wait().await.expect("reap the killed check");
        eprintln!("{context}: {status}");

        // The archive as the kill left it: whatever the store references is there and intact.
        if linkward.archive().join("db").exists() {
            assert_verifies(&linkward, &format!("right after the kill ({context})")).await;
        }

        serve_fast(&server, iteration);
        let run = linkward.run(&args).await;
        assert!(
            matches!(run.code, Some(0 | 1)),
            "check after the kill ({context})\n{}",
            run.dump()
        );
        let report = run.json();
        let run_id = report["run"]["id"].as_u64().expect("run.id");
        assert!(run_id > last_run_id, "run ids must grow ({context})");
        last_run_id = run_id;
        for n in 0..DOCS {
            let doc = resource(&report, &server.url(&doc_path(n)));
            assert_state(doc, "ok", None);
            assert_kept(linkward.archive(), doc, &doc_body(n, iteration));
        }
        let leftovers: Vec<_> = std::fs::read_dir(linkward.archive().join("tmp"))
            .expect("read tmp/")
            .map(|e| e.map(|e| e.file_name()))
            .collect();
        assert!(
            leftovers.is_empty(),
            "tmp/ after a completed run ({context}): {leftovers:?}"
        );
        assert_verifies(&linkward, &format!("after the next run ({context})")).await;
    }
    eprintln!("crash test: {iterations} kills in {:?}", started.elapsed());
}
