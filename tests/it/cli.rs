//! Usage and setup errors: exit code 2, one line on stderr, no panic, and nothing fetched.

use crate::common::{Behaviour, Linkward, TestServer};

#[tokio::test]
async fn bad_per_host_rate_value_exits_2_with_one_line_and_fetches_nothing() {
    let server = TestServer::start([("/", Behaviour::html("<a href=\"/a\">a</a>"))]).await;
    let linkward = Linkward::new();
    let archive = linkward.archive().to_str().expect("UTF-8 temp path");
    let url = server.url("/");

    let run = linkward
        .run([
            "check",
            &url,
            "--archive",
            archive,
            "--per-host-rate",
            "fast",
        ])
        .await;

    run.assert_usage_error();
    assert!(run.stderr.contains("fast"), "{}", run.dump());
    assert!(run.stdout.is_empty(), "{}", run.dump());
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
}

#[tokio::test]
async fn nonexistent_seed_path_exits_2_with_one_line_naming_it() {
    let linkward = Linkward::new();
    let archive = linkward.archive().to_str().expect("UTF-8 temp path");

    let run = linkward
        .run(["check", "no-such-seed.html", "--archive", archive])
        .await;

    run.assert_usage_error();
    assert!(run.stderr.contains("no-such-seed.html"), "{}", run.dump());
}

#[tokio::test]
async fn check_help_exits_0() {
    let run = Linkward::new().run(["check", "--help"]).await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert!(run.stdout.contains("--per-host-rate"), "{}", run.dump());
}
