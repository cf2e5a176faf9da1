//! Ignore rules: a pattern or selector that removes a counter or a session banner makes a change
//! that touches only them `bytes-only` (identical fingerprint), never `content`; a rule limited
//! by `url` leaves other URLs alone. Rules come from `linkward.toml` or the seed manifest.

use serde_json::Value;

use super::{article, check, entries_for, report_json, seed_html, store_command};
use crate::common::json::resource;
use crate::common::{Behaviour, Linkward, TestServer};

const COUNTER: &str = "/i/counter.html";
const BANNER: &str = "/i/banner.html";
const OUTSIDE: &str = "/x/banner.html";

const TEXT: &str = "The seminar brought together representatives of host countries, \
                    municipalities and migrant associations to compare integration policies.";

fn counter(visits: u32) -> String {
    article("Seminar report", &[TEXT, &format!("Visitors: {visits}")])
}

/// A page with a session banner naming the visitor: words, so without a rule it is content.
fn banner(name: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Seminar photos</title></head><body>\
         <div id=\"session-banner\">Welcome back, {name}! Your basket holds nothing.</div>\
         <h1>Seminar photos</h1><p>{TEXT}</p><p>Photographs by the UNITAR staff.</p></body></html>"
    )
}

/// The fingerprints `history` recorded for `url`, run by run: each check's own, and for a
/// check that was compared with a copy first read then (a page's first copy is not read on
/// first sight), that copy's.
async fn fingerprints(linkward: &Linkward, url: &str) -> Vec<(Value, Value)> {
    let run = store_command(linkward, "history", &[url, "--format", "json"]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let history = run.json();
    history["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (c["fingerprint"].clone(), c["previous_fingerprint"].clone()))
        .collect()
}

#[tokio::test]
async fn rules_in_linkward_toml_turn_noise_into_bytes_only_changes() {
    let server = TestServer::start([
        (
            "/",
            Behaviour::html(seed_html(
                "Seminar",
                &[
                    (COUNTER, "Report"),
                    (BANNER, "Photos"),
                    (OUTSIDE, "Photos (mirror)"),
                ],
            )),
        ),
        (COUNTER, Behaviour::html(counter(1234))),
        (BANNER, Behaviour::html(banner("Alice"))),
        (OUTSIDE, Behaviour::html(banner("Alice"))),
    ])
    .await;
    let linkward = Linkward::new();
    linkward.write_file(
        "linkward.toml",
        &format!(
            "[[ignore]]\nurl = \"{0}/i/\"\npatterns = ['Visitors: \\d+']\n\n\
             [[ignore]]\nurl = \"{0}/i/\"\nselectors = [\"#session-banner\"]\n",
            server.base()
        ),
    );
    let seeds = [server.url("/")];
    check(&linkward, &seeds, &[]).await;
    server.set_route(COUNTER, Behaviour::html(counter(1301)));
    server.set_route(BANNER, Behaviour::html(banner("Bob")));
    server.set_route(OUTSIDE, Behaviour::html(banner("Bob")));
    let second = check(&linkward, &seeds, &[]).await;

    for path in [COUNTER, BANNER] {
        let r = resource(&second, &server.url(path));
        assert_eq!(r["change"], "changed", "{r:#}");
        assert_eq!(r["significance"], "bytes-only", "{r:#}");
        let fps = fingerprints(&linkward, &server.url(path)).await;
        assert_eq!(fps.len(), 2);
        // The first copy was read only when the second differed: both fingerprint the same.
        assert!(fps[0].0.is_null(), "{path}: {fps:?}");
        assert!(
            fps[1].0.is_string() && fps[1].0 == fps[1].1,
            "{path}: {fps:?}"
        );
    }
    // The same banner change outside the rule's URL prefix is content.
    let r = resource(&second, &server.url(OUTSIDE));
    assert_eq!(r["significance"], "content", "{r:#}");
    assert!(
        r["diff"].as_str().is_some_and(|d| d.contains("Bob")),
        "{r:#}"
    );

    let report = report_json(&linkward, &[]).await;
    assert_eq!(report["summary"]["changed"], 1, "{report:#}");
    assert_eq!(entries_for(&report, &server.url(OUTSIDE)).len(), 1);
}

#[tokio::test]
async fn rules_in_the_seed_manifest_apply_to_its_pages() {
    let server = TestServer::start([
        (
            "/",
            Behaviour::html(seed_html("Seminar", &[(BANNER, "Photos")])),
        ),
        (BANNER, Behaviour::html(banner("Alice"))),
    ])
    .await;
    let linkward = Linkward::new();
    let manifest = linkward.write_file(
        "seeds/seminar.toml",
        &format!(
            "format = 1\n\n[page]\ntitle = \"Seminar\"\nurl = \"{}\"\n\n\
             [[item]]\ntitle = \"Photos\"\nurls = [\"{}\"]\n\n\
             [[ignore]]\nselectors = [\"#session-banner\"]\n",
            server.url("/"),
            server.url(BANNER)
        ),
    );
    let seeds = [&manifest];
    check(&linkward, &seeds, &[]).await;
    server.set_route(BANNER, Behaviour::html(banner("Bob")));
    let second = check(&linkward, &seeds, &[]).await;
    let r = resource(&second, &server.url(BANNER));
    assert_eq!(r["change"], "changed", "{r:#}");
    assert_eq!(r["significance"], "bytes-only", "{r:#}");
}
