//! Memento TimeGates (`--timegate`, or `timegate` in linkward.toml): the memento and its datetime
//! are read from the Link header or from the memento itself, a TimeGate's 404 is no snapshot, of
//! several archives the snapshot closest to the target wins, every TimeGate given is asked, and
//! a TimeGate's snapshot is rescued like the Wayback Machine's.

use serde_json::{Value, json};

use super::{
    PAGE_DATE_HTTP, PAGE_DATE_RFC3339, PAGE_DATE_TS, Scenario, TITLE_PROGRAMME, TITLE_SUMMARY,
    assert_snapshot, at, items_manifest, lookup, notes, summary_count, time, view_file,
};
use crate::common::archive_server::{ArchiveServer, Availability, Gate, Memento};
use crate::common::json::resource;
use crate::common::{Behaviour, Linkward, TestServer, pdf, sha256_hex};

#[tokio::test]
async fn a_timegate_with_a_link_header_gives_the_memento_and_its_datetime() {
    const TS: &str = "20070601000000";
    let s = Scenario::new().await;
    let gone = s.docs.url("/docs/summary.pdf");
    s.archive.set_gate(
        &gone,
        Gate {
            timestamp: TS.into(),
            link: true,
        },
    );
    // The same server's availability API knows it too, but --wayback off means it is not asked.
    s.archive
        .set_availability(&gone, Availability::closest("20070504101112", "200"));
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone)]);
    let gate = s.archive.timegate();

    let run = s
        .linkward
        .check(&[&manifest], &["--wayback", "off", "--timegate", &gate])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let asked = s.archive.requests_to(&ArchiveServer::gate_path(&gone));
    assert_eq!(asked.len(), 1, "{:?}", s.archive.requests());
    assert_eq!(asked[0].method, "GET");
    assert_eq!(asked[0].header("accept-datetime"), Some(PAGE_DATE_HTTP));
    let l = lookup(resource(&report, &gone));
    assert_eq!(time(&l["target"]), at(PAGE_DATE_RFC3339), "{l:#}");
    assert_snapshot(
        l,
        &gate,
        &s.archive.memento_url(TS, &gone),
        "2007-06-01T00:00:00Z",
    );
    assert!(
        [Value::Null, json!(200)].contains(&l["snapshot"]["status"]),
        "status: {l:#}"
    );
    assert_eq!(notes(l), Vec::<&str>::new(), "{l:#}");
    // The Link header named the datetime: the memento itself was not requested.
    assert_eq!(s.archive.count(&ArchiveServer::replay_path(TS, &gone)), 0);
    assert!(
        s.archive.availability_requests().is_empty(),
        "{:?}",
        s.archive.requests()
    );
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
}

#[tokio::test]
async fn without_a_link_header_the_mementos_own_datetime_is_read_and_a_gate_404_is_no_snapshot() {
    const TS: &str = "20070505080910";
    let s = Scenario::new().await;
    let gone = s.docs.url("/docs/summary.pdf");
    let unknown = s.docs.url("/docs/programme.pdf");
    s.archive.set_gate(
        &gone,
        Gate {
            timestamp: TS.into(),
            link: false,
        },
    );
    s.archive.add_memento(
        TS,
        &gone,
        Memento::ok("application/pdf", pdf("Summary report")),
    );
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone), (TITLE_PROGRAMME, &unknown)]);
    let gate = s.archive.timegate();

    let run = s
        .linkward
        .check(&[&manifest], &["--wayback", "off", "--timegate", &gate])
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let l = lookup(resource(&report, &gone));
    assert_snapshot(
        l,
        &gate,
        &s.archive.memento_url(TS, &gone),
        "2007-05-05T08:09:10Z",
    );
    assert!(
        [Value::Null, json!(200)].contains(&l["snapshot"]["status"]),
        "status: {l:#}"
    );
    assert_eq!(notes(l), Vec::<&str>::new(), "{l:#}");
    let memento_requests = s
        .archive
        .requests_to(&ArchiveServer::replay_path(TS, &gone));
    assert_eq!(memento_requests.len(), 1, "{:?}", s.archive.requests());

    let l = lookup(resource(&report, &unknown));
    assert_eq!(l["snapshot"], Value::Null, "{l:#}");
    assert_eq!(notes(l), vec![format!("{gate}: no snapshot")], "{l:#}");
    for url in [&gone, &unknown] {
        let asked = s.archive.requests_to(&ArchiveServer::gate_path(url));
        assert_eq!(asked.len(), 1, "{url}: {:?}", s.archive.requests());
        assert_eq!(asked[0].header("accept-datetime"), Some(PAGE_DATE_HTTP));
    }
    assert_eq!(summary_count(&report, "snapshots_found"), 1);
}

#[tokio::test]
async fn of_several_archives_the_snapshot_closest_to_the_target_wins() {
    // The scenario's archive is the Wayback Machine; two more are TimeGates.
    let s = Scenario::new().await;
    let wayback = &s.archive;
    let second = ArchiveServer::start().await;
    let third = ArchiveServer::start().await;
    let a = s.docs.url("/docs/summary.pdf");
    let b = s.docs.url("/docs/programme.pdf");
    // Target 2007-05-03. For `a` the second archive's capture is closest (7 days after)...
    wayback.set_availability(&a, Availability::closest("20080101000000", "200"));
    second.set_gate(
        &a,
        Gate {
            timestamp: "20070510000000".into(),
            link: true,
        },
    );
    third.set_gate(
        &a,
        Gate {
            timestamp: "20070401000000".into(),
            link: true,
        },
    );
    // ...for `b` the Wayback Machine's (12 hours after).
    wayback.set_availability(&b, Availability::closest("20070503120000", "200"));
    second.set_gate(
        &b,
        Gate {
            timestamp: "20061201000000".into(),
            link: true,
        },
    );
    third.set_gate(
        &b,
        Gate {
            timestamp: "20070601000000".into(),
            link: true,
        },
    );
    let manifest = s.manifest(&[(TITLE_SUMMARY, &a), (TITLE_PROGRAMME, &b)]);
    // Two TimeGates, comma-separated.
    let gates = format!("{},{}", second.timegate(), third.timegate());

    let run = s.check(&manifest, &["--timegate", &gates]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let la = lookup(resource(&report, &a));
    assert_snapshot(
        la,
        &second.timegate(),
        &second.memento_url("20070510000000", &a),
        "2007-05-10T00:00:00Z",
    );
    assert_eq!(notes(la), Vec::<&str>::new(), "{la:#}");
    let lb = lookup(resource(&report, &b));
    assert_snapshot(
        lb,
        "wayback",
        &wayback.memento_url("20070503120000", &b),
        "2007-05-03T12:00:00Z",
    );
    assert_eq!(lb["snapshot"]["status"], 200, "{lb:#}");
    assert_eq!(notes(lb), Vec::<&str>::new(), "{lb:#}");
    // Every archive was asked once about each.
    for url in [&a, &b] {
        assert_eq!(wayback.availability_asked(url), vec![PAGE_DATE_TS]);
        for gate in [&second, &third] {
            assert_eq!(
                gate.count(&ArchiveServer::gate_path(url)),
                1,
                "{:?}",
                gate.requests()
            );
        }
    }
    assert_eq!(summary_count(&report, "snapshots_found"), 2);
}

/// Three TimeGates and no Wayback Machine, so not a [`Scenario`].
#[tokio::test]
async fn timegates_given_repeated_and_comma_separated_are_all_asked() {
    let docs = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let gates = [
        ArchiveServer::start().await,
        ArchiveServer::start().await,
        ArchiveServer::start().await,
    ];
    let gone = docs.url("/docs/summary.pdf");
    let linkward = Linkward::new();
    let manifest = linkward.write_file("seminar.toml", &items_manifest(&[(TITLE_SUMMARY, &gone)]));
    let first_two = format!("{},{}", gates[0].timegate(), gates[1].timegate());

    let run = linkward
        .check(
            &[&manifest],
            &["--timegate", &first_two, "--timegate", &gates[2].timegate()],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for gate in &gates {
        assert_eq!(
            gate.count(&ArchiveServer::gate_path(&gone)),
            1,
            "{}",
            gate.timegate()
        );
    }
    let l = lookup(resource(&report, &gone));
    let expected: Vec<String> = gates
        .iter()
        .map(|g| format!("{}: no snapshot", g.timegate()))
        .collect();
    assert_eq!(notes(l), expected, "{l:#}");
}

#[tokio::test]
async fn timegate_rescue_and_lookup_cache_keys_in_linkward_toml() {
    const TS: &str = "20070504101112";
    let s = Scenario::new().await;
    let gone = s.docs.url("/docs/summary.pdf");
    let body = pdf("Summary report, as the TimeGate's archive captured it");
    s.archive.set_gate(
        &gone,
        Gate {
            timestamp: TS.into(),
            link: true,
        },
    );
    s.archive
        .add_memento(TS, &gone, Memento::ok("application/pdf", body.clone()));
    let gate = s.archive.timegate();
    s.linkward.write_file(
        "linkward.toml",
        &format!("timegate = [\"{gate}\"]\nrescue = true\nlookup-cache = \"7d\"\n"),
    );
    let manifest = s.manifest(&[(TITLE_SUMMARY, &gone)]);

    // No flags: the keys come from linkward.toml.
    let run = s.linkward.check(&[&manifest], &[]).await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    let r = resource(&report, &gone);
    assert_snapshot(
        lookup(r),
        &gate,
        &s.archive.memento_url(TS, &gone),
        "2007-05-04T10:11:12Z",
    );
    let rec = &r["recovered"];
    let sha = sha256_hex(&body);
    assert_eq!(rec["sha256"], sha.as_str(), "{r:#}");
    assert_eq!(rec["archive"], gate.as_str(), "{rec:#}");
    assert_eq!(
        rec["memento_url"],
        s.archive.memento_url(TS, &gone),
        "{rec:#}"
    );
    assert_eq!(
        rec["fetched_url"],
        s.archive.original_url(TS, &gone),
        "{rec:#}"
    );
    let stored = std::fs::read(view_file(s.linkward.archive(), &sha)).expect("read the blob");
    assert!(stored == body, "the blob is not the memento's bytes");
    assert_eq!(summary_count(&report, "recovered"), 1);
    assert_eq!(s.archive.count(&ArchiveServer::gate_path(&gone)), 1);

    let again = s.linkward.check(&[&manifest], &[]).await;
    let report = again.json();
    assert_eq!(
        lookup(resource(&report, &gone))["cached"],
        true,
        "{}",
        again.dump()
    );
    assert_eq!(s.archive.count(&ArchiveServer::gate_path(&gone)), 1);
    assert_eq!(s.archive.count(&ArchiveServer::original_path(TS, &gone)), 1);
}
