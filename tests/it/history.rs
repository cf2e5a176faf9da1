//! Runs over time: a resource that goes bad keeps pointing at its last good copy, and the store
//! keeps one history record per resource per run (read back through the library after the binary
//! has exited).

use serde_json::Value;

use crate::common::json::{assert_archived, assert_kept, assert_state, resource, resources};
use crate::common::{Behaviour, Linkward, TestServer, pdf, sha256_hex};

const FLIP: &str = "/docs/flip.pdf";
const STABLE: &str = "/docs/stable.pdf";
const MISSING: &str = "/docs/missing.pdf";

fn flip_good_body() -> Vec<u8> {
    pdf("Summary report (pdf) on the seminar discussions and outcomes")
}

async fn flip_site() -> TestServer {
    let server = TestServer::start([
        (FLIP, Behaviour::ok("application/pdf", flip_good_body())),
        (STABLE, Behaviour::ok("application/pdf", pdf("Programme"))),
    ])
    .await;
    server.set_route(
        "/",
        Behaviour::html(
            "<title>Migrants' participation in host countries</title>\
             <h2>Related Documents</h2>\
             <p><a href=\"/docs/flip.pdf\">Summary report (pdf) on the seminar discussions and outcomes</a></p>\
             <p><a href=\"/docs/stable.pdf\">Programme (pdf) of the seminar</a></p>\
             <p><a href=\"/docs/missing.pdf\">Information note (pdf) on the seminar organization and objectives</a></p>",
        ),
    );
    server
}

/// The run id in a report, whether written as a number or a string.
fn run_id(report: &Value) -> u64 {
    let id = &report["run"]["id"];
    id.as_u64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("run.id is not an integer: {:#}", report["run"]))
}

/// Two runs of the flip site; the flip link serves 200 on the first and 500 on the second.
async fn two_runs_with_flip() -> (TestServer, Linkward, Value, Value) {
    let server = flip_site().await;
    let linkward = Linkward::new();
    let first = linkward.check(&[server.url("/")], &[]).await;
    server.set_route(FLIP, Behaviour::status(500, "text/html", "<h1>oops</h1>"));
    let second = linkward.check(&[server.url("/")], &[]).await;
    let (first, second) = (first.json(), second.json());
    (server, linkward, first, second)
}

#[tokio::test]
async fn resource_that_turns_500_still_points_at_its_last_good_copy() {
    let (server, linkward, first, second) = two_runs_with_flip().await;
    let good = flip_good_body();
    let good_hash = sha256_hex(&good);

    let before = resource(&first, &server.url(FLIP));
    assert_state(before, "ok", None);
    assert_kept(linkward.archive(), before, &good);

    let after = resource(&second, &server.url(FLIP));
    assert_state(after, "broken", Some("http-error"));
    assert_eq!(after["http_status"], 500, "{after:#}");
    assert_eq!(after["sha256"], Value::Null, "{after:#}");
    assert_eq!(after["last_good_sha256"], good_hash.as_str(), "{after:#}");
    assert_eq!(after["archived"], before["archived"], "{after:#}");
    assert_archived(linkward.archive(), after, &good_hash);
    assert_eq!(server.count(FLIP), 2);
}

#[tokio::test]
async fn store_history_has_the_good_check_then_the_failed_one() {
    let (server, linkward, first, second) = two_runs_with_flip().await;
    let good_hash = sha256_hex(&flip_good_body());
    let url = server.url(FLIP);

    let store = linkward::store::Store::open(linkward.archive()).expect("open store");
    let history = store.history(&url).expect("history");
    let latest = store
        .resource(&url)
        .expect("resource record")
        .expect("flip resource is in the store");

    assert_eq!(history.len(), 2, "{history:#?}");
    assert_eq!(history[0].run_id, run_id(&first));
    assert_eq!(history[0].http_status, Some(200));
    assert_eq!(
        history[0].sha256.as_ref().map(ToString::to_string),
        Some(good_hash.clone())
    );
    assert_eq!(history[1].run_id, run_id(&second));
    assert_eq!(history[1].http_status, Some(500));
    assert_eq!(history[1].sha256, None);
    assert_eq!(
        latest.last_good_sha256.as_ref().map(ToString::to_string),
        Some(good_hash)
    );
}

#[tokio::test]
async fn each_resource_gets_one_history_record_per_run() {
    let (server, linkward, first, second) = two_runs_with_flip().await;
    let runs = [run_id(&first), run_id(&second)];
    assert!(runs[0] < runs[1], "run ids must grow: {runs:?}");

    let store = linkward::store::Store::open(linkward.archive()).expect("open store");
    let urls: Vec<String> = resources(&second)
        .iter()
        .filter_map(|r| r["url"].as_str())
        .filter(|u| u.starts_with("http"))
        .map(String::from)
        .collect();
    for path in ["/", FLIP, STABLE, MISSING] {
        assert!(urls.contains(&server.url(path)), "{path} not in {urls:?}");
    }
    for url in &urls {
        let history = store.history(url).expect("history");
        let run_ids: Vec<u64> = history.iter().map(|c| c.run_id).collect();
        assert_eq!(run_ids, runs, "history of {url}: {history:#?}");
    }
}
