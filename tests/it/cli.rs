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

/// Every command's help, as a newcomer reads it: grouped flags, short flags, value names that
/// say what goes there, switches without a separate value, examples at the end (issue 17).
#[tokio::test]
async fn every_commands_help_matches_its_snapshot() {
    let linkward = Linkward::new();
    let commands: [&[&str]; 13] = [
        &[],
        &["check"],
        &["report"],
        &["history"],
        &["verify"],
        &["get"],
        &["index"],
        &["export", "bagit"],
        &["seed", "init"],
        &["seed", "recover"],
        &["seed"],
        &["seed", "list"],
        &["seed", "forget"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let run = linkward.run(&args).await;
        assert_eq!(run.code, Some(0), "{args:?}\n{}", run.dump());
        let name = if command.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", command.join("_"))
        };
        insta::assert_snapshot!(name, run.stdout);
    }
}

#[tokio::test]
async fn bare_linkward_prints_its_usage_and_exits_2() {
    let run = Linkward::new().run(Vec::<&str>::new()).await;

    assert_eq!(run.code, Some(2), "{}", run.dump());
    assert!(run.stdout.is_empty(), "{}", run.dump());
    insta::assert_snapshot!("bare_linkward", run.stderr);
}

/// clap's tips (a similar flag, value or subcommand) and a closed list's values stay in the one
/// line, which points at the help of the subcommand that was being parsed.
#[tokio::test]
async fn usage_errors_keep_clap_suggestions_and_values_on_one_line() {
    let linkward = Linkward::new();
    let cases: [&[&str]; 6] = [
        &["check", "--concurency", "3"],
        &["report", "--format", "jsn"],
        &["history", "https://example.org/", "-f", "yaml"],
        &["chek"],
        &["check", "--per-host-rate", "fast"],
        &["seed", "init", "https://example.org/", "--bogus"],
    ];
    let mut lines = Vec::new();
    for args in cases {
        let run = linkward.run(args).await;
        run.assert_usage_error();
        lines.push(format!("linkward {}\n{}", args.join(" "), run.stderr));
    }
    insta::assert_snapshot!("usage_errors", lines.join("\n"));
}

#[tokio::test]
async fn an_archive_path_that_is_a_file_is_named_as_not_a_folder() {
    let linkward = Linkward::new();
    let file = linkward.write_file("not-a-folder", "");
    let file = file.to_str().expect("UTF-8 temp path");
    let seed = linkward.seed_listing(&[]);
    let seed = seed.to_str().expect("UTF-8 temp path");
    let commands: [&[&str]; 4] = [
        &["check", seed, "-a", file],
        &["report", "-a", file],
        &["verify", "-a", file],
        &["index", "-a", file],
    ];
    for args in commands {
        let run = linkward.run(args).await;
        run.assert_usage_error();
        assert!(
            run.stderr
                .contains(&format!("the archive path {file} is not a folder")),
            "{args:?}\n{}",
            run.dump()
        );
    }
}

/// A switch takes no separate value (`--ignore-robots URL` is the switch and a seed, not a bad
/// boolean), and a bare number is a rate per second as it is seconds for a duration.
#[tokio::test]
async fn switches_take_no_value_and_a_bare_rate_is_per_second() {
    let server = TestServer::start([("/a", Behaviour::html("<p>a</p>"))]).await;
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[server.url("/a")]);

    let run = linkward
        .check(
            &[&seed],
            &["--ignore-robots", "--per-host-rate", "5", "--timeout", "3"],
        )
        .await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert_eq!(server.count("/a"), 1, "{:#?}", server.requests());
    assert_eq!(server.count("/robots.txt"), 0, "{:#?}", server.requests());
}
