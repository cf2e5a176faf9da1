//! `--notify URL`: `check` and `report` POST the JSON change report to a webhook when something
//! changed, send nothing when nothing did, and exit 3 with one line on stderr when the webhook
//! answers an error or cannot be reached.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use serde_json::Value;

use super::{entries_for, seed_html, store_command};
use crate::common::linkward::Run;
use crate::common::scripted::{Received, Reply, ScriptedServer};
use crate::common::{Behaviour, Linkward, TestServer, pdf};

const DOC: &str = "/docs/programme.pdf";
const HOOK: &str = "/hooks/linkward";

/// A webhook that answers every POST with the status in `status`.
async fn webhook(status: Arc<AtomicU16>) -> ScriptedServer {
    ScriptedServer::start(move |_| {
        Reply::status(status.load(Ordering::SeqCst), "text/plain", "thanks")
    })
    .await
}

async fn site() -> TestServer {
    TestServer::start([
        (
            "/",
            Behaviour::html(seed_html("Seminar", &[(DOC, "Programme")])),
        ),
        (DOC, Behaviour::ok("application/pdf", pdf("Programme"))),
    ])
    .await
}

/// Asserts what a webhook received is the JSON change report, POSTed.
#[track_caller]
fn assert_change_report(post: &Received) -> Value {
    assert_eq!(post.method, "POST");
    assert!(
        post.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "{:?}",
        post.headers
    );
    let body: Value = serde_json::from_slice(&post.body).unwrap_or_else(|e| {
        panic!(
            "webhook body is not JSON ({e}): {}",
            String::from_utf8_lossy(&post.body)
        )
    });
    assert!(body["summary"].is_object(), "{body:#}");
    body
}

/// Asserts a run whose webhook refused: exit 3, one stderr line naming the webhook.
#[track_caller]
fn assert_notify_failed(run: &Run, hook: &str) {
    assert_eq!(run.code, Some(3), "{}", run.dump());
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "{}", run.dump());
    assert!(lines[0].contains(hook), "{}", run.dump());
}

#[tokio::test]
async fn check_and_report_post_the_change_report_only_when_something_changed() {
    let status = Arc::new(AtomicU16::new(200));
    let hook = webhook(status.clone()).await;
    let hook_url = hook.url(HOOK);
    let server = site().await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    let notify = ["--notify", hook_url.as_str()];

    super::check(&linkward, &seeds, &[]).await;
    // Nothing changed: nothing is sent.
    let quiet = linkward.check(&seeds, &notify).await;
    assert_eq!(quiet.code, Some(0), "{}", quiet.dump());
    assert!(hook.requests().is_empty(), "{:?}", hook.requests());

    // The document breaks: the report is posted.
    server.set_route(DOC, Behaviour::status(404, "text/plain", "gone"));
    let broken = linkward.check(&seeds, &notify).await;
    assert_eq!(broken.code, Some(1), "{}", broken.dump());
    let posts = hook.requests_to(HOOK);
    assert_eq!(posts.len(), 1, "{posts:?}");
    let body = assert_change_report(&posts[0]);
    assert_eq!(body["summary"]["newly_broken"], 1, "{body:#}");
    assert_eq!(entries_for(&body, &server.url(DOC)).len(), 1, "{body:#}");

    // Still broken is not news: nothing more is sent.
    let still = linkward.check(&seeds, &notify).await;
    assert_eq!(still.code, Some(1), "{}", still.dump());
    assert_eq!(hook.requests().len(), 1);

    // `report` over a window that holds the breakage posts it too; over one that does not, not.
    let latest = store_command(&linkward, "report", &notify).await;
    assert_eq!(latest.code, Some(0), "{}", latest.dump());
    assert_eq!(hook.requests().len(), 1);
    // The HTML report covers 30 runs by default, but one that notifies keeps to the latest run:
    // a cron job never announces the same news twice.
    let html = ["--format", "html", "--notify", hook_url.as_str()];
    let html_report = store_command(&linkward, "report", &html).await;
    assert_eq!(html_report.code, Some(0), "{}", html_report.dump());
    assert_eq!(hook.requests().len(), 1, "{:?}", hook.requests());
    let window = [
        "--runs",
        "2",
        "--format",
        "json",
        "--notify",
        hook_url.as_str(),
    ];
    let two_runs = store_command(&linkward, "report", &window).await;
    assert_eq!(two_runs.code, Some(0), "{}", two_runs.dump());
    let posts = hook.requests_to(HOOK);
    assert_eq!(posts.len(), 2, "{posts:?}");
    let body = assert_change_report(&posts[1]);
    assert_eq!(body, two_runs.json(), "the webhook gets the report printed");
}

#[tokio::test]
async fn a_webhook_that_refuses_or_cannot_be_reached_exits_3() {
    let status = Arc::new(AtomicU16::new(500));
    let hook = webhook(status).await;
    let hook_url = hook.url(HOOK);
    let server = site().await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    super::check(&linkward, &seeds, &[]).await;
    server.set_route(DOC, Behaviour::status(404, "text/plain", "gone"));

    let refused = linkward.check(&seeds, &["--notify", &hook_url]).await;
    assert_notify_failed(&refused, &hook_url);
    assert_eq!(hook.requests_to(HOOK).len(), 1, "it did try");
    assert!(
        refused.json()["resources"].is_array(),
        "the report is still printed"
    );

    let report = store_command(&linkward, "report", &["--notify", &hook_url]).await;
    assert_notify_failed(&report, &hook_url);
    assert_eq!(hook.requests_to(HOOK).len(), 2);

    // A port nothing listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}{HOOK}", listener.local_addr().expect("addr"))
    };
    let unreachable = store_command(&linkward, "report", &["--notify", &closed]).await;
    assert_notify_failed(&unreachable, &closed);
}

/// Issue 14: a webhook that redirects gets nothing more: the 3xx is a refusal (exit 3), the
/// report is not re-sent to where it points, and no Referer is sent; messages never show the
/// webhook's user, password or query, where its secrets live.
#[tokio::test]
async fn a_redirecting_webhook_is_refused_and_messages_hide_its_secrets() {
    let hook = ScriptedServer::start(|received: &Received| {
        if received.path.starts_with(HOOK) {
            let mut reply = Reply::status(307, "text/plain", "moved");
            reply.headers.push(("Location".into(), "/elsewhere".into()));
            reply
        } else {
            Reply::status(200, "text/plain", "thanks")
        }
    })
    .await;
    let server = site().await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    super::check(&linkward, &seeds, &[]).await;
    server.set_route(DOC, Behaviour::status(404, "text/plain", "gone"));

    let secret_url = hook
        .url(&format!("{HOOK}?token=s3cr3t"))
        .replace("http://", "http://alice:hunter2@");
    let run = linkward.check(&seeds, &["--notify", &secret_url]).await;

    assert_eq!(run.code, Some(3), "{}", run.dump());
    assert!(run.stderr.contains("307"), "{}", run.dump());
    for secret in ["s3cr3t", "hunter2", "alice"] {
        assert!(
            !run.stderr.contains(secret),
            "{secret} leaked: {}",
            run.dump()
        );
    }
    let requests = hook.requests();
    assert_eq!(requests.len(), 1, "the redirect was followed: {requests:?}");
    assert!(
        requests[0].header("referer").is_none(),
        "{:?}",
        requests[0].headers
    );
    assert!(hook.requests_to("/elsewhere").is_empty());

    // Unreachable: the error names no secret either.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!(
            "http://alice:hunter2@{}{HOOK}?token=s3cr3t",
            listener.local_addr().expect("addr")
        )
    };
    let unreachable = store_command(&linkward, "report", &["--notify", &closed]).await;
    assert_eq!(unreachable.code, Some(3), "{}", unreachable.dump());
    for secret in ["s3cr3t", "hunter2", "alice"] {
        assert!(
            !unreachable.stderr.contains(secret),
            "{secret} leaked: {}",
            unreachable.dump()
        );
    }
}
