//! Issue 14: property tests for every parser of untrusted bytes: link extraction and decoding,
//! seed manifests, robots.txt, the WARC reader, and web archives' answers (the availability API,
//! Memento `Link` headers and dates, memento URLs). On arbitrary input none panics, each answers
//! within a bounded time (proptest's per-case timeout), and what comes out keeps its invariants.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;
use url::Url;

use linkward::extract::{self, Target};
use linkward::fetch::robots::Rules;
use linkward::rescue::layout::{self, ArchiveLinks};
use linkward::rescue::{memento, wayback};

/// Cases per property: enough to find shallow panics on every CI run, few enough to stay fast
/// in a debug build. `PROPTEST_CASES` raises it for a longer hunt.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 96,
        // A case that takes longer than this fails: a parser must not hang on any input.
        timeout: 10_000,
        ..ProptestConfig::default()
    }
}

/// Tag soup: fragments of the HTML a seed page is made of, in any order and nesting, with
/// arbitrary text and attribute values between them.
fn tag_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<a href=\"".to_owned()),
        Just("\">".to_owned()),
        Just("</a>".to_owned()),
        Just("<b>".to_owned()),
        Just("</b>".to_owned()),
        Just("<strong>".to_owned()),
        Just("<h2>".to_owned()),
        Just("</h2>".to_owned()),
        Just("<p>".to_owned()),
        Just("<br>".to_owned()),
        Just("<base href=\"".to_owned()),
        Just("<iframe src=\"".to_owned()),
        Just("<object data=\"".to_owned()),
        Just("<area href=\"".to_owned()),
        Just("<img alt=\"".to_owned()),
        Just("<title>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("<meta charset=\"".to_owned()),
        Just("javascript:".to_owned()),
        Just("//host:99999/".to_owned()),
        Just("#frag".to_owned()),
        Just("&amp;&#0;&#x110000;".to_owned()),
        "[ -~]{0,12}",
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..80).prop_map(|p| p.concat())
}

fn page_url() -> Url {
    Url::parse("http://example.org/ny/node/73?page=1").expect("constant URL")
}

/// Every link extracted keeps the extractor's promises.
fn check_links(page: &extract::Page) {
    for link in &page.links {
        match &link.target {
            Target::Http(u) => {
                assert!(matches!(u.scheme(), "http" | "https"), "{u}");
                assert!(u.fragment().is_none(), "{u}");
                assert!(u.host_str().is_some_and(|h| !h.is_empty()), "{u}");
            }
            Target::Unsupported(u) => assert!(!matches!(u.scheme(), "http" | "https"), "{u}"),
            Target::Invalid(_) => {}
        }
        assert!(
            link.title.len() <= extract::MAX_TITLE_BYTES,
            "{}",
            link.title.len()
        );
        assert_eq!(link.title.trim(), link.title);
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).expect("gzip in memory");
    gz.finish().expect("gzip in memory")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn link_extraction_never_panics_on_tag_soup(html in tag_soup()) {
        check_links(&extract::extract(&html, &page_url()));
    }

    #[test]
    fn decoding_and_extraction_never_panic_on_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        content_type in prop::option::of("[ -~]{0,40}"),
    ) {
        let html = extract::decode(&bytes, content_type.as_deref());
        check_links(&extract::extract(&html, &page_url()));
    }

    #[test]
    fn manifests_are_loaded_or_refused_never_panicking(
        text in prop_oneof![
            "\\PC{0,300}",
            ("[a-z\\[\\]= \"\\n.]{0,40}", "\\PC{0,40}", "[ -~\\n]{0,120}").prop_map(|(a, b, c)| {
                format!("format = 1\n[page]\ntitle = \"{b}\"\n{a}\n[[item]]\n{c}")
            }),
        ],
    ) {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let path = dir.path().join("seed.toml");
        std::fs::write(&path, &text).expect("write manifest");
        match linkward::seed::manifest::load(&path) {
            // What loads keeps the manifest's rules: titled items, an http(s) page URL.
            Ok(m) => {
                for item in &m.items {
                    prop_assert!(!item.title.trim().is_empty());
                }
                if let Some(url) = &m.page_url {
                    prop_assert!(matches!(url.scheme(), "http" | "https"), "{url}");
                }
            }
            // What is refused says why on one line, naming the file.
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.contains('\n'), "{msg}");
                prop_assert!(msg.contains("seed.toml"), "{msg}");
            }
        }
    }

    #[test]
    fn robots_rules_never_panic(
        body in "(User-agent: [ -~]{0,12}\n|Disallow: [ -~]{0,20}\n|Allow: [ -~]{0,20}\n|Crawl-delay: [ -~]{0,8}\n|\\PC{0,20}\n){0,30}",
        path in "/[ -~]{0,40}",
    ) {
        let rules = Rules::parse(&body);
        if let Ok(url) = page_url().join(&path) {
            let _ = rules.allowed(&url);
        }
        if let Some(delay) = rules.crawl_delay() {
            prop_assert!(delay.as_secs() <= 24 * 3600, "{delay:?}");
        }
    }

    #[test]
    fn the_warc_reader_stops_cleanly_on_any_file(
        raw in prop::collection::vec(any::<u8>(), 0..1024),
        head in "(WARC/1.1\r\n)?([A-Za-z-]{1,16}: [ -~]{0,30}\r\n){0,8}(\r\n)?",
        block in prop::collection::vec(any::<u8>(), 0..512),
        gzipped in any::<bool>(),
    ) {
        let dir = tempfile::TempDir::new().expect("temp dir");
        let path = dir.path().join("x.warc.gz");
        let mut member = head.into_bytes();
        member.extend_from_slice(&block);
        let mut file = if gzipped { gzip(&member) } else { member };
        file.extend_from_slice(&raw);
        std::fs::write(&path, &file).expect("write file");
        let mut records = 0u64;
        match linkward::warc::read::read_records(&path, |_| records += 1) {
            Ok(len) => prop_assert_eq!(len, file.len() as u64),
            Err((offset, _)) => prop_assert!(offset <= file.len() as u64),
        }
        prop_assert!(linkward::warc::read::complete_prefix(&path) <= file.len() as u64);
    }

    #[test]
    fn web_archive_answers_never_panic(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512).boxed(),
            ("[0-9]{0,16}", "[ -~]{0,30}", "[0-9]{0,4}").prop_map(|(ts, url, status)| {
                format!(
                    "{{\"archived_snapshots\":{{\"closest\":{{\"available\":true,\"url\":\"{url}\",\
                     \"timestamp\":\"{ts}\",\"status\":\"{status}\"}}}}}}"
                )
                .into_bytes()
            }).boxed(),
        ],
        link in prop_oneof![
            "(<[ -~]{0,30}>(; ?(rel|datetime|title)=\"?[ -~]{0,30}\"?){0,3},? ?){0,5}",
            "\\PC{0,80}",
        ],
        date in "\\PC{0,40}",
        memento in "https?://(web\\.archive\\.org/web|127\\.0\\.0\\.1:9/coll)/[0-9a-z_]{0,20}/[ -~]{0,40}",
    ) {
        if let Ok(Some(snapshot)) = wayback::parse_availability(&body) {
            prop_assert!(!snapshot.url.is_empty());
        }
        let _ = wayback::parse_timestamp(&date);
        let _ = memento::parse_http_date(&date);
        let base = Url::parse("http://127.0.0.1:9/coll/http://old.test/").expect("constant URL");
        for l in memento::parse_links(&link) {
            prop_assert!(!l.target.contains('>'));
        }
        let at = chrono::DateTime::from_timestamp(1_178_150_400, 0).expect("a constant date");
        for status in [200, 302, 404] {
            let answer = memento::GateAnswer {
                status,
                location: Some(&link),
                content_location: None,
                memento_datetime: Some(&date),
                links: vec![&link],
            };
            if let Ok(memento::Negotiated::Memento { url, .. }) =
                memento::negotiate(&base, &answer, at)
            {
                prop_assert!(matches!(url.scheme(), "http" | "https"));
            }
        }
        if let Ok(m) = Url::parse(&memento) {
            let _ = layout::original_form(&m);
            let page = Url::parse("http://old.test/page.html").expect("constant URL");
            if let Some(original) = ArchiveLinks::of(&base).original(&m, &page) {
                prop_assert!(original.has_host() || original.cannot_be_a_base());
            }
        }
    }
}
