//! Every transition a resource goes through, run by run, and `--confirm`: new → unchanged →
//! changed → newly-broken → still-broken → recovered, moved when its redirect target changes,
//! and `failing` until a failure is confirmed. `history` lists one check per run.

use serde_json::Value;

use super::{article, change_of, check, seed_html, store_command};
use crate::common::json::{assert_state, resource};
use crate::common::{Behaviour, Linkward, TestServer, pdf, sha256_hex};

const NOTES: &str = "/t/notes.html";
const OTHER: &str = "/t/other.html";
const LINK: &str = "/m/link";
const V1: &str = "/m/v1.pdf";
const V2: &str = "/m/v2.pdf";

fn notes(day: &str) -> String {
    article(
        "Seminar notes",
        &[
            "The seminar on migrants' participation in host countries opens with remarks by the \
             Director of the New York Office.",
            &format!(
                "The second panel meets on {day} to discuss local authorities, civil society and \
                 the recognition of qualifications."
            ),
        ],
    )
}

async fn site() -> TestServer {
    TestServer::start([
        (
            "/",
            Behaviour::html(seed_html(
                "Migrants' participation",
                &[
                    (NOTES, "Seminar notes"),
                    (OTHER, "Background paper"),
                    (LINK, "Conference paper"),
                ],
            )),
        ),
        (NOTES, Behaviour::html(notes("Tuesday"))),
        (
            OTHER,
            Behaviour::html(article("Background paper", &["First edition."])),
        ),
        (LINK, Behaviour::redirect(302, V1)),
        (
            V1,
            Behaviour::ok("application/pdf", pdf("Conference paper")),
        ),
        (
            V2,
            Behaviour::ok("application/pdf", pdf("Conference paper")),
        ),
    ])
    .await
}

#[tokio::test]
async fn a_resource_goes_through_every_transition_and_history_lists_each_run() {
    let server = site().await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    let (notes_url, other_url, link_url) = (server.url(NOTES), server.url(OTHER), server.url(LINK));

    let run1 = check(&linkward, &seeds, &[]).await;
    assert_eq!(change_of(&run1, &notes_url), "new");
    assert_eq!(change_of(&run1, &link_url), "new");
    assert_eq!(change_of(&run1, &server.url("/")), "new");

    let run2 = check(&linkward, &seeds, &[]).await;
    for url in [&notes_url, &other_url, &link_url, &server.url("/")] {
        assert_eq!(change_of(&run2, url), "unchanged", "{url}");
    }

    // Run 3: the notes' text changes and the link's redirect points elsewhere.
    let changed_notes = notes("Thursday");
    server.set_route(NOTES, Behaviour::html(changed_notes.clone()));
    server.set_route(LINK, Behaviour::redirect(302, V2));
    let run3 = check(&linkward, &seeds, &[]).await;
    let r = resource(&run3, &notes_url);
    assert_eq!(r["change"], "changed", "{r:#}");
    assert_eq!(r["significance"], "content", "{r:#}");
    let moved = resource(&run3, &link_url);
    assert_eq!(moved["change"], "moved", "{moved:#}");
    assert_state(moved, "redirected", Some("temporary-redirect"));
    assert_eq!(moved["final_url"], server.url(V2).as_str(), "{moved:#}");
    for field in ["significance", "similarity", "diff"] {
        assert_eq!(moved[field], Value::Null, "{field} on a move: {moved:#}");
    }

    // Runs 4 and 5: both pages fail.
    let good = sha256_hex(changed_notes.as_bytes());
    server.set_route(NOTES, Behaviour::status(500, "text/html", "<h1>oops</h1>"));
    server.set_route(OTHER, Behaviour::status(404, "text/plain", "gone"));
    let run4 = check(&linkward, &seeds, &[]).await;
    let r = resource(&run4, &notes_url);
    assert_eq!(
        (r["change"].as_str(), r["failures"].as_u64()),
        (Some("newly-broken"), Some(1)),
        "{r:#}"
    );
    assert_state(r, "broken", Some("http-error"));
    assert_eq!(r["sha256"], Value::Null, "{r:#}");
    assert_eq!(r["last_good_sha256"], good.as_str(), "{r:#}");
    // A page a seed links to is kept in the WARC files, not in the files/ view.
    assert_eq!(r["archived"], Value::Null, "{r:#}");
    assert_eq!(sha256_hex(&linkward.get_copy(&notes_url).await), good);
    assert_eq!(change_of(&run4, &link_url), "unchanged");

    let run5 = check(&linkward, &seeds, &[]).await;
    let r = resource(&run5, &notes_url);
    assert_eq!(
        (r["change"].as_str(), r["failures"].as_u64()),
        (Some("still-broken"), Some(2)),
        "{r:#}"
    );
    assert_eq!(change_of(&run5, &other_url), "still-broken");

    // Run 6: the notes come back as they were, the other page with new content: both are
    // recoveries, never changes.
    server.set_route(NOTES, Behaviour::html(changed_notes));
    server.set_route(
        OTHER,
        Behaviour::html(article("Background paper", &["Second, revised edition."])),
    );
    let run6 = check(&linkward, &seeds, &[]).await;
    for url in [&notes_url, &other_url] {
        let r = resource(&run6, url);
        assert_eq!(r["change"], "recovered", "{r:#}");
        assert_eq!(r["failures"], 0, "{r:#}");
        assert_eq!(r["significance"], Value::Null, "{r:#}");
        assert_eq!(r["diff"], Value::Null, "{r:#}");
    }
    assert_eq!(resource(&run6, &notes_url)["sha256"], good.as_str());

    let history = store_command(
        &linkward,
        "history",
        &[notes_url.as_str(), "--format", "json"],
    )
    .await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    let history = history.json();
    let checks = history["checks"].as_array().expect("checks array");
    let runs: Vec<u64> = checks.iter().filter_map(|c| c["run_id"].as_u64()).collect();
    assert_eq!(runs, [1, 2, 3, 4, 5, 6], "{history:#}");
    let changes: Vec<&str> = checks.iter().filter_map(|c| c["change"].as_str()).collect();
    assert_eq!(
        changes,
        [
            "new",
            "unchanged",
            "changed",
            "newly-broken",
            "still-broken",
            "recovered"
        ],
        "{history:#}"
    );
    assert_eq!(history["url"], notes_url.as_str(), "{history:#}");
}

#[tokio::test]
async fn confirm_2_reports_failing_until_the_second_failure_in_a_row() {
    let server = site().await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    let url = server.url(NOTES);
    let confirm = ["--confirm", "2"];
    let state = |report: &Value| {
        let r = resource(report, &url);
        (
            r["change"].as_str().map(str::to_owned),
            r["failures"].as_u64(),
        )
    };
    let expect = |change: &str, failures: u64| (Some(change.to_owned()), Some(failures));

    check(&linkward, &seeds, &confirm).await;
    let good = sha256_hex(notes("Tuesday").as_bytes());
    // A failure, then a good check, then two failures in a row.
    let steps = [
        (false, expect("failing", 1)),
        (true, expect("unchanged", 0)),
        (false, expect("failing", 1)),
        (false, expect("newly-broken", 2)),
        (false, expect("still-broken", 3)),
    ];
    for (i, (up, expected)) in steps.into_iter().enumerate() {
        server.set_route(
            NOTES,
            if up {
                Behaviour::html(notes("Tuesday"))
            } else {
                Behaviour::status(503, "text/html", "<h1>busy</h1>")
            },
        );
        let report = check(&linkward, &seeds, &confirm).await;
        assert_eq!(
            state(&report),
            expected,
            "step {i}: {:#}",
            resource(&report, &url)
        );
        if !up {
            assert_eq!(resource(&report, &url)["last_good_sha256"], good.as_str());
        }
        // The change report agrees: a first failure is `failing`, not news; the second is.
        if i == 0 || i == 3 {
            let changes = super::report_json(&linkward, &[]).await;
            let summary = &changes["summary"];
            let (failing, newly_broken) = if i == 0 { (1, 0) } else { (0, 1) };
            assert_eq!(summary["failing"], failing, "step {i}: {changes:#}");
            assert_eq!(
                summary["newly_broken"], newly_broken,
                "step {i}: {changes:#}"
            );
        }
    }
}

#[tokio::test]
async fn a_changed_redirect_target_is_a_move_even_when_the_chain_ends_at_the_same_url() {
    let server = TestServer::start([
        (
            "/",
            Behaviour::html(seed_html("Seminar", &[("/go/paper", "Conference paper")])),
        ),
        ("/go/paper", Behaviour::redirect(302, "/hop-a/paper")),
        ("/hop-a/paper", Behaviour::redirect(302, "/final/paper.pdf")),
        ("/hop-b/paper", Behaviour::redirect(302, "/final/paper.pdf")),
        (
            "/final/paper.pdf",
            Behaviour::ok("application/pdf", pdf("Conference paper")),
        ),
    ])
    .await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    let url = server.url("/go/paper");
    check(&linkward, &seeds, &[]).await;
    let same = check(&linkward, &seeds, &[]).await;
    assert_eq!(change_of(&same, &url), "unchanged");

    // The link now redirects elsewhere first; the chain still ends at the same document.
    server.set_route("/go/paper", Behaviour::redirect(302, "/hop-b/paper"));
    let report = check(&linkward, &seeds, &[]).await;
    let r = resource(&report, &url);
    assert_eq!(
        r["redirects"][0]["location"],
        server.url("/hop-b/paper").as_str()
    );
    assert_eq!(r["final_url"], server.url("/final/paper.pdf").as_str());
    // Issue 3: "moved (final URL or redirect target changed)"; `Change::Moved`'s doc: "at
    // another final URL or through another redirect".
    assert_eq!(r["change"], "moved", "{r:#}");
}
