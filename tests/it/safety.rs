//! Runs that meet each other or get stopped: a second `check` on an archive in use is refused at
//! once, naming the first run, which finishes untouched; SIGTERM or SIGINT mid-run keeps what
//! completed, reports the run as interrupted with exit 130, and leaves the archive ready for the
//! next run.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::json::{assert_kept, assert_state, resource, resources};
use crate::common::linkward::{finish, send_signal};
use crate::common::{Behaviour, Linkward, TestServer, pdf};

/// Waits until the server has received a request for each of `paths`.
async fn until_requested(server: &TestServer, paths: &[&str]) {
    let waited = Instant::now();
    while paths.iter().any(|p| server.count(p) == 0) {
        assert!(
            waited.elapsed() < Duration::from_secs(15),
            "never requested all of {paths:?}; requests: {:?}",
            server
                .requests()
                .iter()
                .map(|r| &r.path)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn second_check_on_an_archive_in_use_exits_2_naming_the_first_run() {
    let server = TestServer::start([(
        "/slow.pdf",
        Behaviour::delay(
            Duration::from_millis(1500),
            Behaviour::ok("application/pdf", pdf("slow")),
        ),
    )])
    .await;
    let linkward = Linkward::new();
    let url = server.url("/slow.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&url));
    let first = linkward.spawn_check(&[&seed], &["--timeout", "10s"]);
    let first_pid = first.id().expect("first run is running");
    // The lock is taken before anything is fetched: once the link is requested, it is held.
    until_requested(&server, &["/slow.pdf"]).await;

    let second = linkward.check(&[&seed], &[]).await;

    second.assert_usage_error();
    assert!(
        second
            .stderr
            .contains(&format!("in use by another linkward run (pid {first_pid}")),
        "should name the first run's pid {first_pid}\n{}",
        second.dump()
    );
    assert!(second.stdout.is_empty(), "{}", second.dump());
    let first = finish(first).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    let report = first.json();
    assert_eq!(report["run"]["status"], "complete", "{:#}", report["run"]);
    let doc = resource(&report, &url);
    assert_state(doc, "ok", None);
    assert_kept(linkward.archive(), doc, &pdf("slow"));
    assert_eq!(
        server.count("/slow.pdf"),
        1,
        "the refused run fetched nothing"
    );
}

/// Starts a check of two quick documents and one that never answers, waits until the quick ones
/// are done and the slow one is in flight, sends `signal`, and checks what the run left.
async fn signal_mid_run_keeps_completed_checks(signal: &str) {
    let server = TestServer::start([
        (
            "/quick-1.pdf",
            Behaviour::ok("application/pdf", pdf("quick 1")),
        ),
        (
            "/quick-2.pdf",
            Behaviour::ok("application/pdf", pdf("quick 2")),
        ),
        ("/stuck.pdf", Behaviour::HeadersNever),
    ])
    .await;
    let linkward = Linkward::new();
    let urls = [
        server.url("/quick-1.pdf"),
        server.url("/quick-2.pdf"),
        server.url("/stuck.pdf"),
    ];
    let seed = linkward.seed_listing(&urls);
    let child = linkward.spawn_check(&[&seed], &["--timeout", "30s", "--idle-timeout", "30s"]);
    until_requested(&server, &["/quick-1.pdf", "/quick-2.pdf", "/stuck.pdf"]).await;
    // The quick answers are a few hundred bytes: give linkward a moment to record them.
    tokio::time::sleep(Duration::from_millis(500)).await;

    send_signal(&child, signal);
    let signalled = Instant::now();
    let run = finish(child).await;

    assert_eq!(run.code, Some(130), "after SIG{signal}\n{}", run.dump());
    assert!(
        signalled.elapsed() < Duration::from_secs(15),
        "the fetch in flight (30 s timeout) should be abandoned, not waited for: exited {:?} after SIG{signal}",
        signalled.elapsed()
    );
    let report = run.json();
    assert_eq!(
        report["run"]["status"], "interrupted",
        "{:#}",
        report["run"]
    );
    for (url, label) in [(&urls[0], "quick 1"), (&urls[1], "quick 2")] {
        let doc = resource(&report, url);
        assert_state(doc, "ok", None);
        assert_kept(linkward.archive(), doc, &pdf(label));
    }
    let listed: Vec<&Value> = resources(&report)
        .iter()
        .filter(|r| r["url"] == urls[2].as_str())
        .collect();
    assert!(
        listed.is_empty(),
        "the unchecked link is reported: {listed:#?}"
    );
    assert_eq!(
        report["summary"]["total"],
        resources(&report).len(),
        "{:#}",
        report["summary"]
    );
    let run_id = report["run"]["id"].as_u64().expect("run id");
    {
        let store = linkward::store::Store::open(linkward.archive()).expect("open the store");
        let runs = store.runs().expect("runs");
        let recorded = runs
            .iter()
            .find(|r| r.id == run_id)
            .expect("the run is recorded");
        assert_eq!(
            recorded.status,
            linkward::store::RunStatus::Interrupted,
            "{recorded:#?}"
        );
        assert_eq!(store.history(&urls[0]).expect("history").len(), 1);
        assert!(store.history(&urls[2]).expect("history").is_empty());
    }

    // The archive is free again (lock released, store closed) and the next run completes.
    server.set_route(
        "/stuck.pdf",
        Behaviour::ok("application/pdf", pdf("unstuck")),
    );
    let next = linkward.check(&[&seed], &[]).await;
    assert_eq!(next.code, Some(0), "{}", next.dump());
    let next_report = next.json();
    assert_eq!(
        next_report["run"]["status"], "complete",
        "{:#}",
        next_report["run"]
    );
    assert!(
        next_report["run"]["id"].as_u64() > Some(run_id),
        "{:#}",
        next_report["run"]
    );
    for url in &urls {
        assert_state(resource(&next_report, url), "ok", None);
    }
}

#[tokio::test]
async fn sigterm_mid_run_keeps_completed_checks_and_exits_130() {
    signal_mid_run_keeps_completed_checks("TERM").await;
}

#[tokio::test]
async fn sigint_mid_run_keeps_completed_checks_and_exits_130() {
    signal_mid_run_keeps_completed_checks("INT").await;
}
