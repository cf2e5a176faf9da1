//! History kept as spans (issue 15): six runs against a local site where one link breaks and comes
//! back and one page is edited. Every check is given back as the run reported it, `report` tells
//! what each run found, and runs that find nothing new add nothing to the store's history tree.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::changes::{article, assert_ran, seed_html, store_command};
use crate::common::json::resource;
use crate::common::{Behaviour, Linkward, TestServer, pdf};

const STABLE: &str = "/docs/stable.pdf";
const FLIP: &str = "/docs/flip.pdf";
const EDITED: &str = "/news/edited.html";
const MISSING: &str = "/docs/missing.pdf";

fn edited(version: &str) -> String {
    article(
        "Seminar outcomes",
        &[&format!(
            "The seminar on migrants' participation agreed on {version} recommendations for \
             host countries, to be reviewed by the steering group next spring."
        )],
    )
}

/// A tree's keys and values, in order.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Key by key, the store's trees that grow with history (`history`, the spans' first checks;
/// `tails`, the closed spans' tails) and the URLs' records in `resources`, read after the binary
/// has exited; and whether a per-check tree is left.
fn history_trees(archive: &Path) -> (Vec<Entries>, bool) {
    let db = crate::common::open_sled(archive);
    let per_check = db.tree_names().iter().any(|n| n.as_ref() == b"checks");
    let trees = ["history", "tails", "resources"]
        .iter()
        .map(|name| {
            let tree = db.open_tree(name).expect("open a tree");
            tree.iter()
                .map(|kv| {
                    let (k, v) = kv.expect("read a tree");
                    (k.to_vec(), v.to_vec())
                })
                .collect()
        })
        .collect();
    (trees, per_check)
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

#[tokio::test]
async fn spans_give_back_every_check_as_reported_and_grow_only_with_transitions() {
    let server = TestServer::start([
        (STABLE, Behaviour::ok("application/pdf", pdf("Programme"))),
        (
            FLIP,
            Behaviour::ok("application/pdf", pdf("Summary report")),
        ),
        (EDITED, Behaviour::html(edited("five"))),
    ])
    .await;
    server.set_route(
        "/",
        Behaviour::html(seed_html(
            "Migrants' participation in host countries",
            &[
                (STABLE, "Programme (pdf)"),
                (FLIP, "Summary report (pdf)"),
                (EDITED, "Seminar outcomes"),
                (MISSING, "Information note (pdf)"),
            ],
        )),
    );
    let linkward = Linkward::new();
    let seed = server.url("/");
    let mut reports: Vec<Value> = Vec::new();
    let mut trees = Vec::new();
    for run in 1..=6 {
        match run {
            3 => {
                server.set_route(FLIP, Behaviour::status(500, "text/html", "<h1>oops</h1>"));
                server.set_route(EDITED, Behaviour::html(edited("seven")));
            }
            6 => server.set_route(
                FLIP,
                Behaviour::ok("application/pdf", pdf("Summary report")),
            ),
            _ => {}
        }
        let done = linkward.check(std::slice::from_ref(&seed), &[]).await;
        assert_ran(&done);
        reports.push(done.json());
        trees.push(history_trees(linkward.archive()));
    }

    // Runs that found nothing new wrote nothing to the history or the URLs' records (only each
    // URL's small `latest` record); the others, their transitions only.
    for (i, (_, per_check)) in trees.iter().enumerate() {
        assert!(!per_check, "run {}: a per-check tree exists", i + 1);
    }
    assert_eq!(trees[0].0[0].len(), 5, "one span per URL");
    assert!(trees[0].0[1].is_empty(), "no span closed yet");
    assert_eq!(trees[1].0, trees[0].0, "run 2 changed nothing");
    assert_eq!(trees[3].0, trees[2].0, "run 4 changed nothing");
    assert_eq!(trees[4].0, trees[2].0, "run 5 changed nothing");
    // Run 3 closed the flip link's and the edited page's spans and opened new ones; run 6, the
    // flip link's.
    assert_eq!((trees[2].0[0].len(), trees[2].0[1].len()), (7, 2));
    assert_eq!((trees[5].0[0].len(), trees[5].0[1].len()), (8, 3));

    // Every check, as the run that made it reported it.
    let store = linkward::store::Store::open(linkward.archive()).expect("open store");
    let urls = [STABLE, FLIP, EDITED, MISSING].map(|p| server.url(p));
    for url in urls.iter().chain(std::iter::once(&seed)) {
        let history = store.history(url).expect("history");
        assert_eq!(history.len(), 6, "{url}: {history:#?}");
        for (check, report) in history.iter().zip(&reports) {
            let run = &report["run"];
            let was = resource(report, url);
            let at = format!("run {} of {url}", run["id"]);
            assert_eq!(Some(check.run_id), run["id"].as_u64(), "{at}");
            assert_eq!(
                serde_json::to_value(check.state).ok().as_ref(),
                Some(&was["state"]),
                "{at}"
            );
            assert_eq!(
                check.http_status.map(u64::from),
                was["http_status"].as_u64(),
                "{at}"
            );
            assert_eq!(
                check.change.map(|c| c.as_str().to_owned()),
                text(&was["change"]),
                "{at}"
            );
            assert_eq!(
                Some(u64::from(check.failures)),
                was["failures"].as_u64(),
                "{at}"
            );
            assert_eq!(
                check.sha256.map(|s| s.to_hex()),
                text(&was["sha256"]),
                "{at}"
            );
            assert_eq!(check.final_url, text(&was["final_url"]), "{at}");
            assert_eq!(check.bytes, was["bytes"].as_u64(), "{at}");
            // A transition and the latest check keep their own time; a check between, its
            // run's start.
            let own = text(&was["checked_at"]);
            let time = Some(
                check
                    .checked_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            );
            let transition = !matches!(was["change"].as_str(), Some("unchanged" | "still-broken"));
            if transition || run["id"] == reports[5]["run"]["id"] {
                assert_eq!(time, own, "{at}");
            } else {
                let started = run["started"]
                    .as_str()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
                assert!(
                    time == own || started.map(|s| s.to_utc()) == Some(check.checked_at),
                    "{at}: {time:?}, neither {own:?} nor the run's start {started:?}"
                );
            }
        }
    }
    drop(store);

    // The change report over the six runs tells each link once, under its most urgent
    // transition of the window, in the run it happened (issue 17 item 3).
    let report = store_command(&linkward, "report", &["--runs", "6", "--format", "json"]).await;
    assert_eq!(report.code, Some(0), "{}", report.dump());
    let report = report.json();
    let entries: BTreeSet<(String, u64, String)> = report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                text(&e["url"]).unwrap_or_default(),
                e["run_id"].as_u64().unwrap_or_default(),
                text(&e["change"]).unwrap_or_default(),
            )
        })
        .collect();
    let id = |n: usize| reports[n]["run"]["id"].as_u64().unwrap_or_default();
    let want: BTreeSet<(String, u64, String)> = [
        (server.url(MISSING), id(0), "newly-broken"),
        (server.url(FLIP), id(2), "newly-broken"),
        (server.url(EDITED), id(2), "changed"),
    ]
    .into_iter()
    .map(|(u, r, c)| (u, r, c.to_owned()))
    .collect();
    assert_eq!(entries, want, "{:#}", report["entries"]);
    let flip = report["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["url"] == server.url(FLIP).as_str()))
        .expect("the flip link's entry");
    // The store keeps no diff excerpt (issue 15, item 4: it was most of what history grew by);
    // the report and `history` make it again from the two archived copies, as the run showed it.
    let (trees, _) = history_trees(linkward.archive());
    for (_, value) in &trees[0] {
        let check: Value = serde_json::from_slice(value).expect("a stored check");
        assert!(check["content"]["diff"].is_null(), "{check:#}");
    }
    let as_run_showed = resource(&reports[2], &server.url(EDITED))["diff"].clone();
    assert!(
        text(&as_run_showed).is_some_and(|d| d.contains("-The seminar") && d.contains("seven")),
        "{as_run_showed:#}"
    );
    let edited_entry = report["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["url"] == server.url(EDITED).as_str()))
        .expect("the edited page's entry");
    assert_eq!(edited_entry["diff"], as_run_showed, "{edited_entry:#}");
    let history = store_command(&linkward, "history", &[&server.url(EDITED), "-f", "json"]).await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    let history = history.json();
    let changed = history["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["change"] == "changed"))
        .expect("the change in history");
    assert_eq!(changed["content"]["diff"], as_run_showed, "{changed:#}");
    // Newly broken in run 3, working again in run 6: it says so.
    assert_eq!(flip["latest_run"].as_u64(), Some(id(5)), "{flip:#}");
    assert_eq!(flip["latest_state"], "ok", "{flip:#}");
    // Over the last two runs, the link that stayed broken is told once, as of its latest check,
    // since the window's first run, with its failures counted up.
    let narrow = store_command(&linkward, "report", &["--runs", "2", "--format", "json"]).await;
    assert_eq!(narrow.code, Some(0), "{}", narrow.dump());
    let narrow = narrow.json();
    let still = narrow["entries"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["url"] == server.url(MISSING).as_str()))
        .expect("the missing link's standing entry");
    assert_eq!(still["change"], "still-broken", "{still:#}");
    assert_eq!(still["run_id"].as_u64(), Some(id(5)), "{still:#}");
    assert_eq!(still["since_run"].as_u64(), Some(id(4)), "{still:#}");
    assert_eq!(still["failures"], 6, "{still:#}");
    // The timelines: one cell per run, each as the run found it.
    for timeline in report["timelines"].as_array().expect("timelines") {
        let url = timeline["url"].as_str().expect("timeline url");
        let cells = timeline["cells"].as_array().expect("cells");
        assert_eq!(cells.len(), 6, "{timeline:#}");
        for (cell, run) in cells.iter().zip(&reports) {
            let was = resource(run, url);
            assert_eq!(cell["state"], was["state"], "{url}: {cell:#}");
            assert_eq!(cell["http_status"], was["http_status"], "{url}: {cell:#}");
            assert_eq!(cell["reason"], was["reason"], "{url}: {cell:#}");
        }
    }

    // `history` shows one check per run.
    let history = store_command(
        &linkward,
        "history",
        &[&server.url(FLIP), "--format", "json"],
    )
    .await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    let changes: Vec<String> = history.json()["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| text(&c["change"]))
        .collect();
    assert_eq!(
        changes,
        [
            "new",
            "unchanged",
            "newly-broken",
            "still-broken",
            "still-broken",
            "recovered"
        ]
    );
}
