//! The commands that read an existing archive (report, history, verify, get, index, export):
//! they find it through `--config` as `check` does, and with `--wait DUR` they wait for a
//! running check to release it instead of failing at once.

use std::time::{Duration, Instant};

use crate::common::{Behaviour, Linkward, TestServer, pdf};

/// A server whose one document takes `delay` to answer, a seed listing it, and one complete
/// check of it already in the archive.
async fn archive_with_one_check(delay: Duration) -> (TestServer, Linkward, String) {
    let server = TestServer::start([(
        "/slow.pdf",
        Behaviour::delay(delay, Behaviour::ok("application/pdf", pdf("slow"))),
    )])
    .await;
    let linkward = Linkward::new();
    let url = server.url("/slow.pdf");
    let seed = linkward.seed_listing(std::slice::from_ref(&url));
    let first = linkward.check(&[&seed], &["--timeout", "10s"]).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    (server, linkward, url)
}

#[tokio::test]
async fn a_reader_with_wait_reads_once_the_check_ends_and_one_without_fails_naming_wait() {
    let (server, linkward, url) = archive_with_one_check(Duration::from_millis(2000)).await;
    let archive = linkward
        .archive()
        .to_str()
        .expect("UTF-8 temp path")
        .to_owned();
    let seed = linkward.cwd().join("seed.html");
    let second = linkward.spawn_check(&[&seed], &["--timeout", "10s"]);
    // The lock is taken before anything is fetched: once the link is asked for again, it is held.
    let asked = Instant::now();
    while server.count("/slow.pdf") < 2 {
        assert!(
            asked.elapsed() < Duration::from_secs(15),
            "second check never fetched"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let started = Instant::now();
    let refused = linkward
        .run(["report", "--archive", &archive, "--format", "json"])
        .await;
    refused.assert_usage_error();
    assert!(
        refused.stderr.contains("in use by another linkward run")
            && refused.stderr.contains("--wait DUR"),
        "{}",
        refused.dump()
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "without --wait the reader should fail at once, took {:?}",
        started.elapsed()
    );

    let waited = linkward
        .run([
            "report",
            "--archive",
            &archive,
            "--format",
            "json",
            "--wait",
            "10s",
        ])
        .await;
    assert_eq!(waited.code, Some(0), "{}", waited.dump());
    // It read the archive after the second run was recorded, not before.
    let report = waited.json();
    assert_eq!(
        report["window"]["runs"][0]["id"], 2,
        "{:#}",
        report["window"]
    );
    let second = crate::common::linkward::finish(second).await;
    assert_eq!(second.code, Some(0), "{}", second.dump());

    let history = linkward
        .run(["history", &url, "--archive", &archive, "--wait", "5s"])
        .await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
}

#[tokio::test]
async fn a_reader_that_waited_too_short_says_so() {
    let (server, linkward, _url) = archive_with_one_check(Duration::from_millis(3000)).await;
    let archive = linkward
        .archive()
        .to_str()
        .expect("UTF-8 temp path")
        .to_owned();
    let seed = linkward.cwd().join("seed.html");
    let second = linkward.spawn_check(&[&seed], &["--timeout", "10s"]);
    let asked = Instant::now();
    while server.count("/slow.pdf") < 2 {
        assert!(
            asked.elapsed() < Duration::from_secs(15),
            "second check never fetched"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let started = Instant::now();
    let run = linkward
        .run(["verify", "--archive", &archive, "--wait", "500ms"])
        .await;
    run.assert_usage_error();
    assert!(
        run.stderr.contains("after waiting 500ms (--wait)"),
        "{}",
        run.dump()
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{}",
        run.dump()
    );
    let second = crate::common::linkward::finish(second).await;
    assert_eq!(second.code, Some(0), "{}", second.dump());
}

#[tokio::test]
async fn report_history_verify_and_get_read_the_archive_from_the_config_file() {
    let (_server, linkward, url) = archive_with_one_check(Duration::ZERO).await;
    let archive = linkward
        .archive()
        .to_str()
        .expect("UTF-8 temp path")
        .to_owned();
    let toml = format!("archive = {archive:?}\n");
    let named = linkward.write_file("conf/other.toml", &toml);
    let named = named.to_str().expect("UTF-8 temp path");
    let commands: [&[&str]; 4] = [
        &["report"],
        &["history", &url],
        &["verify"],
        &["get", &url, "-o", "copy.pdf"],
    ];
    // Named with --config, then found as ./linkward.toml.
    for command in commands {
        let mut args = command.to_vec();
        args.extend(["--config", named]);
        let run = linkward.run(&args).await;
        assert_eq!(run.code, Some(0), "{args:?}\n{}", run.dump());
    }
    linkward.write_file("linkward.toml", &toml);
    for command in commands {
        let run = linkward.run(command).await;
        assert_eq!(run.code, Some(0), "{command:?}\n{}", run.dump());
    }
    assert_eq!(
        std::fs::read(linkward.cwd().join("copy.pdf")).expect("get wrote copy.pdf"),
        pdf("slow")
    );
    // The flag beats the file.
    let run = linkward
        .run(["report", "--archive", "elsewhere", "--config", named])
        .await;
    run.assert_usage_error();
    assert!(run.stderr.contains("elsewhere"), "{}", run.dump());
}
