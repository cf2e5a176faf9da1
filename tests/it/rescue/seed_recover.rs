//! `linkward seed recover`: the links of a gone seed page's snapshot are written into its
//! manifest (comments kept, the recovered URL first, `--dry-run` writing nothing), with the
//! Wayback Machine or only a TimeGate; exit 1 when nothing is recovered and 2 on usage errors;
//! and a recovery into a new archive leaves a record that `history` and `verify` see.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{
    INFO, LINK_INFO, LINK_PROGRAMME, MIRROR, PAGE_DATE_RFC3339, PAGE_DATE_TS, PROGRAMME,
    SNAPSHOT_TS, Scenario, TITLE_CHEUNG, TITLE_INFO, TITLE_PROGRAMME, TITLE_SUMMARY,
    assert_recovered_links, assert_snapshot, assert_view_path, at, items_manifest, page_manifest,
    snapshot_html, time, view_file,
};
use crate::common::archive_server::{ArchiveServer, Gate, Memento};
use crate::common::json::{assert_state, resource};
use crate::common::seed_page::PAGE;
use crate::common::sha256_hex;

#[tokio::test]
async fn seed_recover_writes_the_links_into_the_manifest_and_dry_run_writes_nothing() {
    let s = Scenario::gone_page().await;
    s.unlimited();
    let page = s.docs.url(PAGE);
    let mirror = s.docs.url(MIRROR);
    let original = page_manifest(&page, &mirror);
    let manifest = s.linkward.write_file("seeds/seminar.toml", &original);
    let endpoint = s.archive.endpoint();

    // --dry-run: the same findings, the file untouched.
    let dry = s
        .seed_recover(&manifest, &endpoint, &["--dry-run", "--format", "json"])
        .await;
    assert_eq!(dry.code, Some(0), "{}", dry.dump());
    assert_eq!(
        std::fs::read(&manifest).expect("read manifest"),
        original.as_bytes(),
        "--dry-run changed the manifest"
    );
    let found = dry.json();
    assert_eq!(
        found["manifest"],
        manifest.display().to_string(),
        "{found:#}"
    );
    assert_eq!(found["page_url"], page.as_str(), "{found:#}");
    assert_eq!(time(&found["lookup"]["target"]), at(PAGE_DATE_RFC3339));
    assert_snapshot(
        &found["lookup"],
        "wayback",
        &s.archive.memento_url(SNAPSHOT_TS, &page),
        "2007-05-03T10:10:10Z",
    );
    let snapshot_bytes = snapshot_html(&s.archive, &s.docs).into_bytes();
    let sha = sha256_hex(&snapshot_bytes);
    let rec = &found["recovered"];
    assert_eq!(rec["sha256"], sha.as_str(), "{found:#}");
    assert_eq!(
        rec["fetched_url"],
        s.archive.original_url(SNAPSHOT_TS, &page),
        "{rec:#}"
    );
    assert_view_path(&rec["archived"], &sha);
    let stored = std::fs::read(view_file(s.linkward.archive(), &sha)).expect("page blob");
    assert!(
        stored == snapshot_bytes,
        "the page's blob is not the snapshot's bytes"
    );
    assert_recovered_links(&found["links"], &s.docs, &s.archive);
    assert_eq!(found["unmatched"], json!([TITLE_CHEUNG]), "{found:#}");
    assert_eq!(found["written"], 0, "{found:#}");

    // For real.
    let wrote = s
        .seed_recover(&manifest, &endpoint, &["--format", "json"])
        .await;
    assert_eq!(wrote.code, Some(0), "{}", wrote.dump());
    let found = wrote.json();
    assert_eq!(found["written"], 2, "{found:#}");
    assert_recovered_links(&found["links"], &s.docs, &s.archive);
    let text = std::fs::read_to_string(&manifest).expect("read manifest");
    for comment in [
        "# Seed manifest for the rescue tests: this comment must survive.",
        "# The documents the page listed.",
        "# an inline comment",
    ] {
        assert!(text.contains(comment), "comment {comment:?} lost:\n{text}");
    }
    let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let items = doc["item"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{text}");
    let urls = |i: usize| -> Vec<&str> {
        items[i]["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .map(|u| u.as_str().expect("a URL"))
            .collect()
    };
    let memento = s.archive.memento_url(SNAPSHOT_TS, &page);
    for (i, title, url, text_) in [
        (0, TITLE_INFO, s.docs.url(INFO), LINK_INFO),
        (1, TITLE_PROGRAMME, s.docs.url(PROGRAMME), LINK_PROGRAMME),
    ] {
        assert_eq!(items[i]["title"].as_str(), Some(title));
        assert_eq!(urls(i)[0], url, "the recovered URL comes first:\n{text}");
        let evidence = items[i]["recovered"]
            .as_table()
            .unwrap_or_else(|| panic!("item {title:?} has no recovered table:\n{text}"));
        assert_eq!(evidence["url"].as_str(), Some(url.as_str()), "{text}");
        assert_eq!(evidence["link_text"].as_str(), Some(text_), "{text}");
        assert_eq!(evidence["archive"].as_str(), Some("wayback"), "{text}");
        assert_eq!(
            evidence["memento"].as_str(),
            Some(memento.as_str()),
            "{text}"
        );
        let when = evidence["memento_datetime"]
            .as_str()
            .expect("memento_datetime");
        assert_eq!(at(when), at("2007-05-03T10:10:10Z"), "{text}");
    }
    assert_eq!(urls(0).len(), 1, "{text}");
    assert_eq!(
        urls(1),
        vec![s.docs.url(PROGRAMME).as_str(), mirror.as_str()],
        "{text}"
    );
    assert_eq!(urls(2), Vec::<&str>::new(), "{text}");
    assert!(items[2].get("recovered").is_none(), "{text}");

    // A second recovery finds the same links and leaves the manifest as it is.
    let again = s
        .seed_recover(&manifest, &endpoint, &["--format", "json"])
        .await;
    assert_eq!(again.code, Some(0), "{}", again.dump());
    assert_recovered_links(&again.json()["links"], &s.docs, &s.archive);
    let twice = std::fs::read_to_string(&manifest).expect("read manifest");
    let parsed = |t: &str| toml::from_str::<toml::Table>(t).expect("a manifest");
    assert_eq!(
        parsed(&twice),
        parsed(&text),
        "a second recovery changed the manifest:\n{twice}"
    );

    // The rewritten manifest loads and checks: its items now point at the recovered URLs.
    let check = s.linkward.check(&[&manifest], &[]).await;
    let report = check.json();
    assert_eq!(check.code, Some(1), "the page still 404s: {}", check.dump());
    for (path, title) in [(INFO, TITLE_INFO), (PROGRAMME, TITLE_PROGRAMME)] {
        let r = resource(&report, &s.docs.url(path));
        assert_state(r, "ok", None);
        assert_eq!(r["title"], title, "{r:#}");
    }
}

#[tokio::test]
async fn seed_recover_puts_an_already_listed_recovered_url_first() {
    let s = Scenario::gone_page().await;
    s.unlimited();
    let page = s.docs.url(PAGE);
    let mirror = s.docs.url(MIRROR);
    let recovered = s.docs.url(PROGRAMME);
    // The programme's recovered URL is already listed, second.
    let manifest = s.linkward.write_file(
        "seminar.toml",
        &page_manifest(&page, &format!("{mirror}\", \"{recovered}")),
    );
    let programme_urls = |text: &str| -> Vec<String> {
        let doc: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        doc["item"].as_array().expect("items")[1]["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .map(|u| u.as_str().expect("a URL").to_string())
            .collect()
    };
    assert_eq!(
        programme_urls(&std::fs::read_to_string(&manifest).expect("read")),
        vec![mirror.clone(), recovered.clone()]
    );

    let run = s.seed_recover(&manifest, &s.archive.endpoint(), &[]).await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    let text = std::fs::read_to_string(&manifest).expect("read");
    assert_eq!(
        programme_urls(&text),
        vec![recovered.clone(), mirror.clone()],
        "the recovered URL must be first, and listed once:\n{text}"
    );
}

#[tokio::test]
async fn seed_recover_with_only_a_timegate() {
    let s = Scenario::gone_page().await;
    let page = s.docs.url(PAGE);
    s.archive.set_gate(
        &page,
        Gate {
            timestamp: SNAPSHOT_TS.into(),
            link: true,
        },
    );
    s.unlimited();
    let manifest = s.page_seed();
    let gate = s.archive.timegate();

    let run = s
        .seed_recover(
            &manifest,
            "off",
            &["--timegate", &gate, "--format", "json", "--dry-run"],
        )
        .await;

    assert_eq!(run.code, Some(0), "{}", run.dump());
    let found = run.json();
    assert_snapshot(
        &found["lookup"],
        &gate,
        &s.archive.memento_url(SNAPSHOT_TS, &page),
        "2007-05-03T10:10:10Z",
    );
    let links = found["links"].as_array().expect("links");
    assert_eq!(links.len(), 2, "{found:#}");
    for link in links {
        assert_eq!(link["archive"], gate.as_str(), "{link:#}");
    }
    let urls: BTreeSet<&str> = links.iter().filter_map(|l| l["url"].as_str()).collect();
    assert_eq!(
        urls,
        BTreeSet::from([s.docs.url(INFO).as_str(), s.docs.url(PROGRAMME).as_str()])
    );
    assert!(
        s.archive.availability_requests().is_empty(),
        "{:?}",
        s.archive.requests()
    );
    assert_eq!(s.archive.count(&ArchiveServer::gate_path(&page)), 1);
}

#[tokio::test]
async fn seed_recover_exits_1_when_nothing_is_recovered_and_2_on_usage_errors() {
    let s = Scenario::new().await;
    s.unlimited();
    let endpoint = s.archive.endpoint();

    // A snapshot whose links name none of the items.
    let page = s.docs.url(PAGE);
    s.capture(
        SNAPSHOT_TS,
        &page,
        Memento::ok(
            "text/html; charset=utf-8",
            "<html><head><title>UNITAR New York</title></head><body>\
             <p><a href=\"/calendar\">Calendar of events</a></p></body></html>",
        ),
    );
    let original = page_manifest(&page, &s.docs.url(MIRROR));
    let nothing = s.linkward.write_file("nothing.toml", &original);
    let run = s
        .seed_recover(&nothing, &endpoint, &["--format", "json"])
        .await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let found = run.json();
    assert_eq!(found["links"], json!([]), "{found:#}");
    assert_eq!(
        found["unmatched"],
        json!([TITLE_INFO, TITLE_PROGRAMME, TITLE_CHEUNG]),
        "{found:#}"
    );
    assert_eq!(found["written"], 0, "{found:#}");
    assert_eq!(std::fs::read_to_string(&nothing).expect("read"), original);

    // No snapshot at all.
    let other = s.docs.url("/ny/node/74");
    let unarchived = s.linkward.write_file(
        "unarchived.toml",
        &page_manifest(&other, &s.docs.url(MIRROR)),
    );
    let run = s
        .seed_recover(&unarchived, &endpoint, &["--format", "json"])
        .await;
    assert_eq!(run.code, Some(1), "{}", run.dump());
    let found = run.json();
    assert_eq!(found["lookup"]["snapshot"], Value::Null, "{found:#}");
    assert_eq!(found["recovered"], Value::Null, "{found:#}");
    assert_eq!(found["links"], json!([]), "{found:#}");
    assert_eq!(s.archive.availability_asked(&other), vec![PAGE_DATE_TS]);
    let asked_before = s.archive.requests().len();

    // Usage errors: one line on stderr, exit 2, the archive not asked.
    let no_page_url = s.linkward.write_file(
        "no-page-url.toml",
        &items_manifest(&[(TITLE_SUMMARY, &s.docs.url("/docs/summary.pdf"))]),
    );
    s.seed_recover(&no_page_url, &endpoint, &[])
        .await
        .assert_usage_error();
    s.seed_recover(&nothing, "off", &[])
        .await
        .assert_usage_error();
    let missing = s.linkward.archive().join("no-such-manifest.toml");
    s.seed_recover(&missing, &endpoint, &[])
        .await
        .assert_usage_error();
    assert_eq!(
        s.archive.requests().len(),
        asked_before,
        "{:?}",
        s.archive.requests()
    );
    assert_eq!(std::fs::read_to_string(&nothing).expect("read"), original);
}

#[tokio::test]
async fn seed_recover_into_a_new_archive_keeps_a_record_that_history_and_verify_see() {
    let s = Scenario::gone_page().await;
    s.unlimited();
    let page = s.docs.url(PAGE);
    let manifest = s.page_seed();
    // An archive folder no `check` has used: it does not even exist yet.
    let parent = tempfile::TempDir::new().expect("temp dir");
    let new_dir = parent.path().join("archive");
    let endpoint = s.archive.endpoint();
    let recover = || {
        s.linkward.run([
            "seed".as_ref(),
            "recover".as_ref(),
            manifest.as_os_str(),
            "--archive".as_ref(),
            new_dir.as_os_str(),
            "--wayback".as_ref(),
            endpoint.as_ref(),
            "--timeout".as_ref(),
            "1s".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
        ] as [&std::ffi::OsStr; 11])
    };
    let snapshot_bytes = snapshot_html(&s.archive, &s.docs).into_bytes();
    let sha = sha256_hex(&snapshot_bytes);
    let original = ArchiveServer::original_path(SNAPSHOT_TS, &page);

    let first = recover().await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    assert_eq!(first.json()["recovered"]["sha256"], sha.as_str());
    assert_eq!(s.archive.count(&original), 1, "{:?}", s.archive.requests());

    // `history` finds the page's record, holding the recovered copy, and no check of it.
    let history = s
        .linkward
        .run([
            "history".as_ref(),
            page.as_ref(),
            "--archive".as_ref(),
            new_dir.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ] as [&std::ffi::OsStr; 6])
        .await;
    assert_eq!(history.code, Some(0), "{}", history.dump());
    let h = history.json();
    assert_eq!(h["url"], page.as_str(), "{h:#}");
    assert_eq!(h["checks"], json!([]), "{h:#}");
    let record = &h["resource"];
    assert!(record.is_object(), "no record of the page: {h:#}");
    assert_eq!(record["url"], page.as_str(), "{h:#}");
    let rec = &record["recovered"];
    assert_eq!(rec["sha256"], sha.as_str(), "{h:#}");
    assert_eq!(rec["bytes"], snapshot_bytes.len() as u64, "{h:#}");
    assert_eq!(rec["archive"], "wayback", "{h:#}");
    assert_eq!(
        rec["memento_url"],
        s.archive.memento_url(SNAPSHOT_TS, &page),
        "{h:#}"
    );
    assert_eq!(
        rec["fetched_url"],
        s.archive.original_url(SNAPSHOT_TS, &page),
        "{h:#}"
    );
    assert_eq!(time(&rec["memento_datetime"]), at("2007-05-03T10:10:10Z"));
    assert_eq!(
        record["last_good_sha256"],
        Value::Null,
        "a recovered copy is no live copy: {h:#}"
    );

    // `verify` accepts the archive: the one blob, intact, and no WARC file.
    let verify = s
        .linkward
        .run([
            "verify".as_ref(),
            "--archive".as_ref(),
            new_dir.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ] as [&std::ffi::OsStr; 5])
        .await;
    assert_eq!(verify.code, Some(0), "{}", verify.dump());
    let v = verify.json();
    assert_eq!(v["blobs"], 1, "{v:#}");
    assert_eq!(v["bytes"], snapshot_bytes.len() as u64, "{v:#}");
    // The snapshot went into a pack of its own.
    assert_eq!(v["warc_files"], 1, "{v:#}");
    for list in ["corrupt", "missing", "unexpected"] {
        assert_eq!(v[list], json!([]), "{list}: {v:#}");
    }
    let stored = std::fs::read(view_file(&new_dir, &sha)).expect("the page's blob");
    assert!(
        stored == snapshot_bytes,
        "the blob is not the snapshot's bytes"
    );

    // A second recovery reuses the copy held: the memento is not downloaded again.
    let second = recover().await;
    assert_eq!(second.code, Some(0), "{}", second.dump());
    let found = second.json();
    assert_eq!(found["recovered"]["sha256"], sha.as_str(), "{found:#}");
    assert_recovered_links(&found["links"], &s.docs, &s.archive);
    assert_eq!(s.archive.count(&original), 1, "{:?}", s.archive.requests());
    assert_eq!(s.archive.availability_asked(&page).len(), 1);
}
