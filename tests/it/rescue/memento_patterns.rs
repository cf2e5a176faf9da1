//! RFC 7089's 200-style TimeGate answers (issue 16), from a scripted TimeGate, so they are
//! covered where pywb is not installed too (`tests/it/pywb.rs` runs the real one): a 200 whose
//! `Link` names several mementos gives the one closest to the target date, and a 200 with
//! `Content-Location` is the memento at that location, never the TimeGate's URL; each is
//! rescued in its `id_` form.

use super::{
    PAGE_DATE_HTTP, Scenario, TITLE_PROGRAMME, TITLE_SUMMARY, assert_snapshot, lookup, notes,
};
use crate::common::json::resource;
use crate::common::{Behaviour, TestServer, pdf, sha256_hex};

/// A 200 answer with `headers`, as a TimeGate sends it.
fn answer(content_type: &str, headers: &[(&str, String)], body: &[u8]) -> Behaviour {
    let mut all = vec![("Content-Type".to_owned(), content_type.to_owned())];
    all.extend(headers.iter().map(|(n, v)| ((*n).to_owned(), v.clone())));
    Behaviour::Ok {
        status: 200,
        headers: all,
        body: body.to_vec(),
    }
}

#[tokio::test]
async fn a_200_timegate_names_its_memento_in_link_or_content_location_and_it_is_rescued() {
    let s = Scenario::new().await;
    let gate = TestServer::start(Vec::<(String, Behaviour)>::new()).await;
    let framed = s.docs.url("/docs/summary.pdf");
    let negotiated = s.docs.url("/docs/programme.pdf");
    let summary = pdf("Summary report, June 2007");
    let programme = pdf("Programme, May 2007");

    // pywb's framed replay: a frame page; the mementos only in Link, over two headers, the
    // closest to 2007-05-03 being the June one.
    gate.set_route(
        format!("/coll/{framed}"),
        answer(
            "text/html",
            &[
                (
                    "Link",
                    format!(
                        "<{framed}>; rel=\"original\", </coll/20010101000000mp_/{framed}>; \
                         rel=\"first memento\"; datetime=\"Mon, 01 Jan 2001 00:00:00 GMT\""
                    ),
                ),
                (
                    "Link",
                    format!(
                        "<{}/coll/20070601000000mp_/{framed}>; rel=\"memento\"; \
                         datetime=\"Fri, 01 Jun 2007 00:00:00 GMT\", \
                         </coll/20090101000000mp_/{framed}>; rel=\"last memento\"; \
                         datetime=\"Thu, 01 Jan 2009 00:00:00 GMT\"",
                        gate.base()
                    ),
                ),
            ],
            b"<html><frameset></frameset></html>",
        ),
    );
    gate.set_route(
        format!("/coll/20070601000000id_/{framed}"),
        Behaviour::ok("application/pdf", summary.clone()),
    );
    // 200-style negotiation: the memento itself, at its Content-Location.
    gate.set_route(
        format!("/coll/{negotiated}"),
        answer(
            "application/pdf",
            &[
                (
                    "Content-Location",
                    format!("/coll/20070504101112/{negotiated}"),
                ),
                ("Memento-Datetime", "Fri, 04 May 2007 10:11:12 GMT".into()),
                ("Vary", "accept-datetime".into()),
            ],
            b"%PDF- rewritten by the replay, not the original",
        ),
    );
    gate.set_route(
        format!("/coll/20070504101112id_/{negotiated}"),
        Behaviour::ok("application/pdf", programme.clone()),
    );
    let manifest = s.manifest(&[(TITLE_SUMMARY, &framed), (TITLE_PROGRAMME, &negotiated)]);
    let timegate = format!("{}/coll/", gate.base());

    let run = s
        .linkward
        .check(
            &[&manifest],
            &["--wayback", "off", "--timegate", &timegate, "--rescue"],
        )
        .await;
    let report = run.json();

    assert_eq!(run.code, Some(1), "{}", run.dump());
    for (url, memento, datetime, body) in [
        (
            &framed,
            format!("{}/coll/20070601000000mp_/{framed}", gate.base()),
            "2007-06-01T00:00:00Z",
            &summary,
        ),
        (
            &negotiated,
            format!("{}/coll/20070504101112/{negotiated}", gate.base()),
            "2007-05-04T10:11:12Z",
            &programme,
        ),
    ] {
        let r = resource(&report, url);
        let l = lookup(r);
        assert_snapshot(l, &timegate, &memento, datetime);
        assert_eq!(notes(l), Vec::<&str>::new(), "{l:#}");
        let rec = &r["recovered"];
        assert_eq!(rec["sha256"], sha256_hex(body), "{r:#}");
        assert!(
            rec["fetched_url"]
                .as_str()
                .is_some_and(|f| f.contains("id_/")),
            "{rec:#}"
        );
        // The TimeGate was asked once, with the date; the memento only in its id_ form.
        let asked = gate.requests_to(&format!("/coll/{url}"));
        assert_eq!(asked.len(), 1, "{:?}", gate.requests());
        assert_eq!(asked[0].header("accept-datetime"), Some(PAGE_DATE_HTTP));
    }
    let paths: Vec<String> = gate.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths.len(), 4, "two questions, two downloads: {paths:?}");
}
