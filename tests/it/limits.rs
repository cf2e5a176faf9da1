//! Issue 14: bounded work on any input. `--max-links N` checks only the first N links a seed
//! lists and says so; `--deadline DUR` stops a whole run at the deadline as SIGTERM does, keeping
//! what completed.

use std::time::{Duration, Instant};

use crate::common::json::{assert_state, resource};
use crate::common::{Behaviour, Linkward, TestServer, pdf};

#[tokio::test]
async fn max_links_checks_the_first_n_listed_and_says_so() {
    let paths: Vec<String> = (0..5).map(|i| format!("/doc-{i}.pdf")).collect();
    let server = TestServer::start(
        paths
            .iter()
            .map(|p| (p.as_str(), Behaviour::ok("application/pdf", pdf(p)))),
    )
    .await;
    let linkward = Linkward::new();
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let seed = linkward.seed_listing(&urls);

    let run = linkward.check(&[&seed], &["--max-links", "2"]).await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert!(
        run.stderr
            .contains("lists 5 links: checking the first 2 (--max-links)"),
        "{}",
        run.dump()
    );
    let report = run.json();
    for (i, url) in urls.iter().enumerate() {
        if i < 2 {
            assert_state(resource(&report, url), "ok", None);
            assert_eq!(server.count(&paths[i]), 1, "{}", paths[i]);
        } else {
            assert_eq!(server.count(&paths[i]), 0, "{} was fetched", paths[i]);
        }
    }
    // Zero is a usage error, from the flag and from the configuration file.
    linkward
        .check(&[&seed], &["--max-links", "0"])
        .await
        .assert_usage_error();
    linkward.write_file("linkward.toml", "max-links = 0\n");
    let bad = linkward.check(&[&seed], &[]).await;
    bad.assert_usage_error();
    assert!(bad.stderr.contains("max-links"), "{}", bad.dump());
}

#[tokio::test]
async fn a_run_past_its_deadline_stops_as_interrupted_keeping_what_completed() {
    let server = TestServer::start([
        ("/quick.pdf", Behaviour::ok("application/pdf", pdf("quick"))),
        (
            "/slow.pdf",
            Behaviour::delay(
                Duration::from_secs(20),
                Behaviour::ok("application/pdf", pdf("slow")),
            ),
        ),
    ])
    .await;
    let linkward = Linkward::new();
    let quick = server.url("/quick.pdf");
    let seed = linkward.seed_listing(&[quick.clone(), server.url("/slow.pdf")]);

    let started = Instant::now();
    let run = linkward
        .check(
            &[&seed],
            &[
                "--deadline",
                "2s",
                "--timeout",
                "30s",
                "--idle-timeout",
                "30s",
            ],
        )
        .await;

    assert_eq!(run.code, Some(130), "{}", run.dump());
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the deadline did not stop the run: {:?}",
        started.elapsed()
    );
    assert!(
        run.stderr.contains("deadline (2s) passed"),
        "{}",
        run.dump()
    );
    let report = run.json();
    assert_eq!(report["run"]["status"], "interrupted", "{report:#}");
    assert_state(resource(&report, &quick), "ok", None);
    // What completed is in the store.
    let history =
        crate::changes::store_command(&linkward, "history", &[quick.as_str(), "--format", "json"])
            .await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    let checks = history.json()["checks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(checks.len(), 1, "{}", history.dump());
    assert_eq!(checks[0]["state"], "ok", "{}", history.dump());
}

/// A gzip stream of `blocks` empty stored deflate blocks: `5 * blocks + 23` bytes as sent, none
/// decoded. Each block is a byte boundary header (`BFINAL=0, BTYPE=00`), `LEN=0`, `NLEN=0xffff`.
fn gzip_of_empty_blocks(blocks: usize) -> Vec<u8> {
    let mut body = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    body.reserve(blocks * 5 + 13);
    for _ in 0..blocks {
        body.extend_from_slice(&[0x00, 0x00, 0x00, 0xff, 0xff]);
    }
    // The final block, then CRC32 and ISIZE of nothing.
    body.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    body.extend_from_slice(&[0; 8]);
    body
}

/// Issue 14: raw bytes count against --max-size. 16 MiB of empty gzip blocks decode to nothing:
/// they used to pass as an empty body while every raw byte was queued in memory for the WARC.
#[tokio::test]
async fn raw_bytes_count_against_max_size_whatever_they_decode_to() {
    let body = gzip_of_empty_blocks(16 * 1024 * 1024 / 5);
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Encoding: gzip\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    let server = TestServer::start([("/empty-blocks.pdf", Behaviour::Raw(response))]).await;
    let linkward = Linkward::new();
    let url = server.url("/empty-blocks.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&url));

    let run = linkward.check(&[&seed], &["--max-size", "1MiB"]).await;

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let report = run.json();
    let r = resource(&report, &url);
    assert_state(r, "broken", Some("too-large"));
    assert_eq!(r["sha256"], serde_json::Value::Null, "{r:#}");
    // The raw bytes were not kept either: nothing of that size is left in the archive.
    let mut big = Vec::new();
    for dir in ["tmp", "blobs", "warc"] {
        let mut stack = vec![linkward.archive().join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let meta = e.metadata().expect("metadata");
                if meta.is_dir() {
                    stack.push(e.path());
                } else if meta.len() > 2 * 1024 * 1024 {
                    big.push((e.path(), meta.len()));
                }
            }
        }
    }
    assert!(big.is_empty(), "raw bytes kept: {big:?}");
}

/// linkward's peak resident memory (VmHWM) as /proc shows it while the process lives.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Issue 14: a 0.5 MiB PDF whose content stream inflates to 512 MiB. PDF text extraction held the
/// whole inflated stream (2.18 GB peak for a 1 GiB one, and an abort where memory was short); the
/// PDF's decoding budget now refuses it before extraction: the run completes, the PDF is kept,
/// and its fingerprint falls back to its raw hash.
#[tokio::test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "linkward's peak RSS is read from /proc, which only Linux has"
)]
async fn a_pdf_that_inflates_to_half_a_gibibyte_is_kept_within_bounded_memory() {
    let bomb = crate::common::server::pdf_bomb(512 * 1024 * 1024);
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let server =
        TestServer::start([("/bomb.pdf", Behaviour::ok("application/pdf", bomb.clone()))]).await;
    let linkward = Linkward::new();
    let url = server.url("/bomb.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&url));

    let child = linkward.spawn_check(&[&seed], &["--max-size", "2MiB"]);
    let pid = child.id().expect("linkward is running");
    let sampling = tokio::spawn(async move {
        let mut peak = 0;
        while let Some(kib) = peak_rss_kib(pid) {
            peak = peak.max(kib);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        peak
    });
    let run = crate::common::linkward::finish(child).await;
    let peak = sampling.await.expect("sampler");

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let report = run.json();
    let r = resource(&report, &url);
    assert_state(r, "ok", None);
    crate::common::json::assert_kept(linkward.archive(), r, &bomb);
    eprintln!("linkward peak RSS with a 512 MiB-inflating PDF: {peak} KiB");
    assert!(peak > 0, "linkward was never seen in /proc");
    assert!(
        peak < 256 * 1024,
        "linkward's peak RSS was {peak} KiB (bound 256 MiB)"
    );
}
