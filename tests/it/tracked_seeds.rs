//! Issue 17, item 2: one archive holds many seeds. Reports compare each seed with its own
//! previous run, `report --seed` keeps to one, a report that notifies keeps to the latest run's
//! seeds, `seed list` shows what is tracked, and `seed forget` is the only way a seed leaves the
//! index, the bag and reports (its history stays; checking it again tracks it again).

use serde_json::Value;

use crate::changes::{report_json, seed_html, store_command};
use crate::common::scripted::{Reply, ScriptedServer};
use crate::common::{Behaviour, Linkward, TestServer, pdf};

/// Two seed pages on one site: alpha lists two PDFs, beta one.
async fn site() -> TestServer {
    TestServer::start([
        (
            "/alpha.html",
            Behaviour::html(seed_html(
                "Alpha seminar",
                &[("/a1.pdf", "Alpha one"), ("/a2.pdf", "Alpha two")],
            )),
        ),
        (
            "/beta.html",
            Behaviour::html(seed_html("Beta workshop", &[("/b1.pdf", "Beta one")])),
        ),
        ("/a1.pdf", Behaviour::ok("application/pdf", pdf("A1"))),
        ("/a2.pdf", Behaviour::ok("application/pdf", pdf("A2"))),
        ("/b1.pdf", Behaviour::ok("application/pdf", pdf("B1"))),
    ])
    .await
}

async fn check(linkward: &Linkward, seed: &str) {
    let run = linkward.check(&[seed], &[]).await;
    crate::changes::assert_ran(&run);
}

fn seed_ids(report: &Value) -> Vec<String> {
    report["seeds"]
        .as_array()
        .unwrap_or_else(|| panic!("no seeds: {report:#}"))
        .iter()
        .map(|s| s["seed"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn seed_of<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["seeds"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["seed"] == id))
        .unwrap_or_else(|| panic!("no seed {id}: {report:#}"))
}

fn entry_urls(report: &Value) -> Vec<String> {
    let mut urls: Vec<String> = report["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries: {report:#}"))
        .iter()
        .map(|e| e["url"].as_str().unwrap_or_default().to_owned())
        .collect();
    urls.sort();
    urls
}

#[tokio::test]
async fn each_seed_is_reported_against_its_own_previous_run() {
    let server = site().await;
    let linkward = Linkward::new();
    let (alpha, beta) = (server.url("/alpha.html"), server.url("/beta.html"));
    check(&linkward, &alpha).await; // run 1
    check(&linkward, &beta).await; // run 2
    server.set_route("/a1.pdf", Behaviour::status(404, "text/plain", "gone"));
    check(&linkward, &alpha).await; // run 3: a1 newly broken
    check(&linkward, &beta).await; // run 4: nothing new

    // The latest run (beta's) hides nothing: alpha is reported over its own latest run, 3,
    // against its run 1, and beta over run 4 against run 2.
    let report = report_json(&linkward, &[]).await;
    assert_eq!(seed_ids(&report), [alpha.clone(), beta.clone()]);
    assert_eq!(seed_of(&report, &alpha)["runs"], serde_json::json!([3]));
    assert_eq!(seed_of(&report, &alpha)["baseline_run"], 1);
    assert_eq!(seed_of(&report, &beta)["runs"], serde_json::json!([4]));
    assert_eq!(seed_of(&report, &beta)["baseline_run"], 2);
    assert_eq!(entry_urls(&report), [server.url("/a1.pdf")], "{report:#}");
    assert_eq!(report["entries"][0]["change"], "newly-broken");
    let runs: Vec<u64> = report["window"]["runs"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["id"].as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(runs, [3, 4]);
    let markdown = store_command(&linkward, "report", &[]).await;
    assert_eq!(markdown.code, Some(0), "{}", markdown.dump());
    assert!(
        markdown
            .stdout
            .contains("each seed compared with its own previous run"),
        "{}",
        markdown.stdout
    );

    // One seed, by its id or its page's URL as typed another way.
    let only_beta = report_json(&linkward, &["--seed", &beta]).await;
    assert_eq!(seed_ids(&only_beta), [beta.as_str()]);
    assert_eq!(entry_urls(&only_beta), Vec::<String>::new());
    let only_alpha = report_json(&linkward, &["-s", &alpha.replace("/alpha", "/./alpha")]).await;
    assert_eq!(seed_ids(&only_alpha), [alpha.as_str()]);

    // A name the archive does not track: exit 2, one line naming those it does.
    let unknown = store_command(&linkward, "report", &["--seed", "seeds/nothing.toml"]).await;
    unknown.assert_usage_error();
    assert!(
        unknown
            .stderr
            .contains("tracks no seed named seeds/nothing.toml")
            && unknown.stderr.contains(&alpha)
            && unknown.stderr.contains("linkward seed list"),
        "{}",
        unknown.dump()
    );

    // Each seed's latest two runs: both of alpha's and both of beta's.
    let two = report_json(&linkward, &["--runs", "2"]).await;
    assert_eq!(seed_of(&two, &alpha)["runs"], serde_json::json!([1, 3]));
    assert_eq!(seed_of(&two, &beta)["runs"], serde_json::json!([2, 4]));
}

#[tokio::test]
async fn a_report_that_notifies_announces_only_what_the_latest_run_found() {
    let hook = ScriptedServer::start(|_| Reply::status(200, "text/plain", "thanks")).await;
    let server = site().await;
    let linkward = Linkward::new();
    let (alpha, beta) = (server.url("/alpha.html"), server.url("/beta.html"));
    check(&linkward, &alpha).await;
    check(&linkward, &beta).await;
    server.set_route("/a1.pdf", Behaviour::status(404, "text/plain", "gone"));
    check(&linkward, &alpha).await; // alpha's news
    check(&linkward, &beta).await; // the latest run: nothing new

    // alpha's news is the plain report's, but beta's run found nothing: no webhook.
    let hook_url = hook.url("/hook");
    let run = store_command(&linkward, "report", &["--notify", &hook_url]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    assert!(hook.requests().is_empty(), "old news was announced again");
    // Named, a seed's news is announced.
    let run = store_command(
        &linkward,
        "report",
        &["--notify", &hook_url, "--seed", &alpha],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let posts = hook.requests();
    assert_eq!(posts.len(), 1);
    let body: Value = serde_json::from_slice(&posts[0].body).expect("JSON");
    assert_eq!(seed_ids(&body), [alpha]);
}

#[tokio::test]
async fn seed_list_shows_what_is_tracked_and_forget_is_the_only_way_out() {
    let server = site().await;
    let linkward = Linkward::new();
    let (alpha, beta) = (server.url("/alpha.html"), server.url("/beta.html"));
    check(&linkward, &alpha).await;
    check(&linkward, &beta).await;
    check(&linkward, &beta).await;

    let list = store_command(&linkward, "seed", &["list", "--format", "json"]).await;
    assert_eq!(list.code, Some(0), "{}", list.dump());
    let list = list.json();
    let rows = list["seeds"].as_array().expect("seeds");
    assert_eq!(rows.len(), 2, "{list:#}");
    assert_eq!(rows[0]["seed"], alpha.as_str());
    assert_eq!(rows[0]["title"], "Alpha seminar");
    assert_eq!(rows[0]["listed"], 2);
    assert_eq!(rows[1]["seed"], beta.as_str());
    assert_eq!(rows[1]["runs"], 2);
    assert_eq!(rows[1]["latest_run"], 3);
    let text = store_command(&linkward, "seed", &["list"]).await;
    assert_eq!(text.code, Some(0), "{}", text.dump());
    assert!(
        text.stdout.contains("Beta workshop") && text.stdout.contains(&alpha),
        "{}",
        text.stdout
    );

    // Forgetting an unknown seed changes nothing and says what is tracked.
    let unknown = store_command(&linkward, "seed", &["forget", "https://nowhere.invalid/"]).await;
    unknown.assert_usage_error();
    assert!(unknown.stderr.contains(&beta), "{}", unknown.dump());

    let forget = store_command(&linkward, "seed", &["forget", &alpha]).await;
    assert_eq!(forget.code, Some(0), "{}", forget.dump());
    assert!(forget.stdout.contains("forgot"), "{}", forget.dump());

    // Gone from the list, the index, the bag and reports...
    let list = store_command(&linkward, "seed", &["list", "-f", "json"])
        .await
        .json();
    let ids: Vec<&str> = list["seeds"]
        .as_array()
        .expect("seeds")
        .iter()
        .filter_map(|s| s["seed"].as_str())
        .collect();
    assert_eq!(ids, [beta.as_str()]);
    let index = std::fs::read_to_string(linkward.archive().join("index.html")).expect("index");
    assert!(!index.contains("Alpha one"), "forgotten seed in the index");
    assert!(index.contains("Beta one"), "{index}");
    let outside = tempfile::tempdir().expect("a folder for the bag");
    let bag = outside.path().join("bag");
    let export = crate::bagit::export(&linkward, &bag).await;
    assert_eq!(export.code, Some(0), "{}", export.dump());
    let manifest = std::fs::read_to_string(bag.join("manifest-sha256.txt")).expect("manifest");
    assert!(!manifest.contains(&crate::common::sha256_hex(&pdf("A1"))));
    assert!(manifest.contains(&crate::common::sha256_hex(&pdf("B1"))));
    let report = report_json(&linkward, &["--runs", "10"]).await;
    assert_eq!(seed_ids(&report), [beta.as_str()]);

    // ...but its history and copies stay.
    let history = store_command(&linkward, "history", &[&server.url("/a1.pdf")]).await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    assert!(history.stdout.contains("ok"), "{}", history.dump());
    let copy = outside.path().join("a1.pdf");
    let copy_arg = copy.display().to_string();
    let get = store_command(&linkward, "get", &[&server.url("/a1.pdf"), "-o", &copy_arg]).await;
    assert_eq!(get.code, Some(0), "{}", get.dump());
    assert_eq!(std::fs::read(&copy).expect("the copy"), pdf("A1"));

    // Checking it again tracks it again, from that run on.
    check(&linkward, &alpha).await;
    let list = store_command(&linkward, "seed", &["list", "-f", "json"])
        .await
        .json();
    assert_eq!(list["seeds"].as_array().map(Vec::len), Some(2), "{list:#}");
    let row = list["seeds"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["seed"] == alpha.as_str()))
        .expect("alpha again");
    assert_eq!(row["runs"], 1);
    assert_eq!(row["first_run"], 4);
}
