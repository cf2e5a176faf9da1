//! Cron-ready (issue 16): `--quiet` prints only news and nothing when there is none (check and
//! report; flag, `LINKWARD_QUIET` and the `quiet` key); `--fail-on` takes changes as well as
//! states, so a job fails only on news; an interrupted run says so on its last terminal line and
//! in the change report.

use std::ffi::OsString;

use crate::changes::{change_of, store_command};
use crate::common::linkward::Run;
use crate::common::{Behaviour, Linkward, TestServer, pdf};

const A: &str = "/docs/a.pdf";
const B: &str = "/docs/b.pdf";
/// A link that redirects (302) to A, and later elsewhere.
const LINK: &str = "/docs/link";

/// Two documents that answer and a link that redirects (302) to the first; a seed of
/// `seed_listing` lists them as "Document 0" (A), "Document 1" (B) and "Document 2" (LINK).
async fn site() -> TestServer {
    TestServer::start([
        (A, Behaviour::ok("application/pdf", pdf("A"))),
        (B, Behaviour::ok("application/pdf", pdf("B"))),
        (LINK, Behaviour::redirect(302, A)),
    ])
    .await
}

fn gone() -> Behaviour {
    Behaviour::status(404, "text/plain", "gone")
}

/// `check` on the terminal with `extra`, under `env` (`NAME=value` pairs, set through env(1)
/// since the harness clears every `LINKWARD_*` variable).
async fn check_env(
    linkward: &Linkward,
    seed: &std::path::Path,
    env: &[&str],
    extra: &[&str],
) -> Run {
    let mut wrapper: Vec<OsString> = vec!["env".into()];
    wrapper.extend(env.iter().map(Into::into));
    let mut flags = vec!["--format", "terminal"];
    flags.extend_from_slice(extra);
    let run = linkward
        .run_via(&wrapper, linkward.check_args(&[seed], &flags))
        .await;
    assert!(!run.stderr.contains("panicked"), "{}", run.dump());
    run
}

#[tokio::test]
async fn quiet_prints_nothing_without_news_and_the_news_line_when_something_breaks() {
    let server = site().await;
    let linkward = Linkward::new();
    let (a, b) = (server.url(A), server.url(B));
    let seed = linkward.seed_listing(&[a.clone(), b.clone(), server.url(LINK)]);

    // Run 1: everything is new and works; run 2: nothing changed. Nothing to say, either time.
    let run = check_env(&linkward, &seed, &[], &["--quiet"]).await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), ""),
        "{}",
        run.dump()
    );
    let run = check_env(&linkward, &seed, &["LINKWARD_QUIET=true"], &[]).await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), ""),
        "{}",
        run.dump()
    );

    // Run 3: B breaks. The news and the summary line, nothing about A.
    server.set_route(B, gone());
    let run = check_env(&linkward, &seed, &[], &["-q"]).await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.dump());
    assert_eq!(
        lines[0],
        format!("{:<28} Document 1", "newly-broken (not-found)")
    );
    assert_eq!(lines[1], format!("{:<28} {b}", ""));
    assert!(lines[2].starts_with("run 3: "), "{}", run.dump());
    assert!(!run.stdout.contains(&a), "{}", run.dump());

    // Run 4: still broken is no news (exit 1 still: B is broken, the default --fail-on);
    // quiet from the configuration file this time.
    let config = linkward.write_file("quiet.toml", "quiet = true\n");
    let config = config.to_string_lossy().into_owned();
    let run = check_env(&linkward, &seed, &[], &["--config", &config]).await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(1), ""),
        "{}",
        run.dump()
    );
    // The flag wins over the file: --quiet=false prints the whole report.
    let run = check_env(
        &linkward,
        &seed,
        &[],
        &["--config", &config, "--quiet=false"],
    )
    .await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert!(run.stdout.contains(&a), "{}", run.dump());
    assert!(run.stdout.contains("Since the last run"), "{}", run.dump());

    // Run 6: B is back: news again.
    server.set_route(B, Behaviour::ok("application/pdf", pdf("B")));
    let run = check_env(&linkward, &seed, &[], &["--quiet"]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.dump());
    assert_eq!(lines[0], format!("{:<28} Document 1", "recovered"));
    assert!(lines[2].starts_with("run 6: "), "{}", run.dump());

    // Quiet JSON: the whole document only when there is news, else nothing.
    let run = linkward.check(&[&seed], &["--quiet"]).await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), ""),
        "{}",
        run.dump()
    );

    // Run 8: the link to the third document now redirects elsewhere: moved, with where to.
    server.set_route(LINK, Behaviour::redirect(302, B));
    let run = check_env(&linkward, &seed, &[], &["--quiet", "--fail-on", "moved"]).await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.dump());
    assert_eq!(lines[0], format!("{:<28} Document 2", "moved"));
    assert_eq!(lines[1], format!("{:<28} {}", "", server.url(LINK)));
    assert_eq!(lines[2], format!("{:<28} -> {b}", ""));
    assert!(lines[3].starts_with("run 8: "), "{}", run.dump());
}

#[tokio::test]
async fn fail_on_newly_broken_exits_1_on_the_run_that_breaks_and_0_while_it_stays_broken() {
    let server = site().await;
    let linkward = Linkward::new();
    let b = server.url(B);
    let seed = linkward.seed_listing(&[server.url(A), b.clone()]);
    let newly = ["--fail-on", "newly-broken"];

    let run = linkward.check(&[&seed], &newly).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());

    server.set_route(B, gone());
    let run = linkward.check(&[&seed], &newly).await;
    assert_eq!(run.code, Some(1), "the run that breaks\n{}", run.dump());
    assert_eq!(change_of(&run.json(), &b), "newly-broken");

    let run = linkward.check(&[&seed], &newly).await;
    assert_eq!(run.code, Some(0), "still broken is no news\n{}", run.dump());
    assert_eq!(change_of(&run.json(), &b), "still-broken");

    // States and changes mixed freely: still broken is in the state broken.
    let run = linkward
        .check(&[&seed], &["--fail-on", "broken,moved"])
        .await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let run = linkward
        .check(&[&seed], &["--fail-on", "moved,still-broken"])
        .await;
    assert_eq!(run.code, Some(1), "{}", run.dump());

    // The environment variable takes the same names.
    let run = check_env(
        &linkward,
        &seed,
        &["LINKWARD_FAIL_ON=newly-broken,moved"],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.dump());

    // And the configuration file: B recovers, which this job fails on.
    server.set_route(B, Behaviour::ok("application/pdf", pdf("B")));
    let config = linkward.write_file("cron.toml", "fail-on = [\"newly-broken\", \"recovered\"]\n");
    let config = config.to_string_lossy().into_owned();
    let run = linkward.check(&[&seed], &["--config", &config]).await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    assert_eq!(change_of(&run.json(), &b), "recovered");
    let run = linkward.check(&[&seed], &["--config", &config]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());

    // A name that is neither is refused, in the flag and in the file.
    let run = linkward
        .check(&[&seed], &["--fail-on", "broken,borken"])
        .await;
    run.assert_usage_error();
    assert!(run.stderr.contains("newly-broken"), "{}", run.dump());
    let bad = linkward.write_file("bad.toml", "fail-on = [\"newly-borken\"]\n");
    let bad = bad.to_string_lossy().into_owned();
    let run = linkward.check(&[&seed], &["--config", &bad]).await;
    run.assert_usage_error();
    assert!(run.stderr.contains("fail-on"), "{}", run.dump());
}

#[tokio::test]
async fn a_link_broken_at_its_first_check_is_newly_broken_for_fail_on_and_quiet() {
    let server = site().await;
    server.set_route(B, gone());
    let linkward = Linkward::new();
    let b = server.url(B);
    let seed = linkward.seed_listing(&[server.url(A), b.clone()]);

    let run = check_env(
        &linkward,
        &seed,
        &[],
        &["--quiet", "--fail-on", "newly-broken"],
    )
    .await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.dump());
    assert_eq!(
        lines[0],
        format!("{:<28} Document 1", "newly-broken (not-found)")
    );
}

#[tokio::test]
async fn an_interrupted_run_says_so_on_its_last_line_and_in_every_report_format() {
    let server = TestServer::start([
        (A, Behaviour::ok("application/pdf", pdf("A"))),
        ("/docs/stuck.pdf", Behaviour::HeadersNever),
    ])
    .await;
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[server.url(A), server.url("/docs/stuck.pdf")]);
    let slow = [
        "--deadline",
        "1s",
        "--timeout",
        "30s",
        "--idle-timeout",
        "30s",
    ];

    let run = check_env(&linkward, &seed, &[], &slow).await;
    assert_eq!(run.code, Some(130), "{}", run.dump());
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("run 1 (interrupted): "), "{}", run.dump());

    // Quiet: an interrupted run is news, even with nothing else to say.
    let mut quiet = slow.to_vec();
    quiet.push("--quiet");
    let run = check_env(&linkward, &seed, &[], &quiet).await;
    assert_eq!(run.code, Some(130), "{}", run.dump());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.dump());
    assert!(
        lines[0].starts_with("run 2 (interrupted): "),
        "{}",
        run.dump()
    );

    let report = store_command(&linkward, "report", &[]).await;
    assert_eq!(report.code, Some(0), "{}", report.dump());
    assert!(report.stdout.contains("run 2 ("), "{}", report.dump());
    assert!(
        report.stdout.contains(", interrupted)"),
        "{}",
        report.dump()
    );
    let quiet = store_command(&linkward, "report", &["--quiet"]).await;
    assert_eq!(quiet.code, Some(0), "{}", quiet.dump());
    assert!(quiet.stdout.contains(", interrupted)"), "{}", quiet.dump());
    // The HTML report's default window is 30 runs: `--runs 1` for the latest alone.
    let html = store_command(&linkward, "report", &["--format", "html", "--runs", "1"]).await;
    assert!(html.stdout.contains(", interrupted)"), "{}", html.dump());
    let atom = store_command(&linkward, "report", &["--format", "atom", "--runs", "2"]).await;
    assert!(
        atom.stdout.contains("; runs 1, 2 interrupted)"),
        "{}",
        atom.dump()
    );
    let junit = store_command(&linkward, "report", &["--format", "junit"]).await;
    assert!(
        junit
            .stdout
            .contains(r#"<property name="interrupted-runs" value="2"/>"#),
        "{}",
        junit.dump()
    );
    let json = store_command(&linkward, "report", &["--format", "json", "--runs", "2"]).await;
    let json = json.json();
    let statuses: Vec<&str> = json["window"]["runs"]
        .as_array()
        .map(|runs| runs.iter().filter_map(|r| r["status"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(statuses, ["interrupted", "interrupted"], "{json:#}");
}

#[tokio::test]
async fn report_quiet_prints_only_news_and_nothing_when_there_is_none() {
    let server = site().await;
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[server.url(A), server.url(B)]);

    linkward.check(&[&seed], &[]).await;
    linkward.check(&[&seed], &[]).await;
    for format in ["markdown", "html", "json", "junit", "atom"] {
        let run = store_command(&linkward, "report", &["--quiet", "--format", format]).await;
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (Some(0), ""),
            "{format}\n{}",
            run.dump()
        );
    }
    let run = store_command(&linkward, "report", &[]).await;
    assert!(run.stdout.contains("nothing to report"), "{}", run.dump());

    server.set_route(B, gone());
    linkward.check(&[&seed], &[]).await;
    let run = store_command(&linkward, "report", &["--quiet"]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert!(run.stdout.contains("Newly broken"), "{}", run.dump());
    assert!(run.stdout.contains(&server.url(B)), "{}", run.dump());

    // Over both runs, B is newly broken in one and still broken in the next: quiet keeps the
    // news and drops the standing condition.
    linkward.check(&[&seed], &[]).await;
    let run = store_command(&linkward, "report", &["--quiet"]).await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), ""),
        "{}",
        run.dump()
    );
    let full = store_command(&linkward, "report", &[]).await;
    assert!(full.stdout.contains("Still broken"), "{}", full.dump());
    let run = store_command(&linkward, "report", &["--quiet", "--runs", "2"]).await;
    assert!(run.stdout.contains("Newly broken"), "{}", run.dump());
    assert!(!run.stdout.contains("Still broken"), "{}", run.dump());
    // The environment variable too.
    let mut args: Vec<OsString> = vec!["report".into(), "--archive".into()];
    args.push(linkward.archive().into());
    let run = linkward
        .run_via(&["env".into(), "LINKWARD_QUIET=1".into()], args)
        .await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), ""),
        "{}",
        run.dump()
    );
}

#[tokio::test]
async fn a_host_that_refuses_every_connection_is_said_once_with_its_count() {
    // A port nothing listens on: every connection to it is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let server = site().await;
    let linkward = Linkward::new();
    let mut urls: Vec<String> = (1..=3)
        .map(|i| format!("http://127.0.0.1:{port}/docs/{i}.pdf"))
        .collect();
    urls.push(server.url(A));
    let seed = linkward.seed_listing(&urls);

    let run = check_env(&linkward, &seed, &[], &[]).await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let said: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("unreachable in this run"))
        .collect();
    assert_eq!(
        said,
        ["127.0.0.1 unreachable in this run (connect): 3 links"],
        "{}",
        run.dump()
    );
    // Each link keeps its own line and label.
    assert_eq!(
        run.stdout.matches("broken connect").count(),
        3,
        "{}",
        run.dump()
    );
}
