//! Soft 404s: a 200 that means "gone" is `broken` / `soft-404` with the rule that fired, never
//! becomes the good copy, and recovers when the page comes back. Real pages are not flagged: an
//! article on a host whose missing pages are real 404s (even one titled "Not Found: ..."), and
//! one on a host that answers every missing page with a 200.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::{article, check, report_json, seed_html};
use crate::common::json::{assert_archived, assert_state, resource};
use crate::common::scripted::{Reply, ScriptedServer};
use crate::common::{Behaviour, Linkward, TestServer, pdf, sha256_hex};

const PROGRAMME: &str = "/docs/2007/programme.pdf";
const CLOSURE: &str = "/news/office-closure.html";
const BERICHT: &str = "/news/bericht.html";
const FILMS: &str = "/news/lost-films.html";
const BUDGET: &str = "/articles/budget-2007.html";
const STUDY: &str = "/articles/integration-study.html";
/// A 200 page that looks like the host's missing page, where missing pages are 404s: the probe
/// rule must not fire, since only a 2xx probe answer counts.
const STRICT: &str = "/strict/page.html";

fn budget() -> String {
    article(
        "City budget 2007 adopted",
        &[
            "The city council adopted its 2007 budget after a long night session, with new funds \
             for language courses, housing advice and a welcome centre for newcomers.",
            "Opposition members criticised the cuts to public transport and announced a \
             referendum on the tram extension.",
        ],
    )
}

fn study() -> String {
    article(
        "Integration study published",
        &[
            "A three-year study of migrant participation in municipal elections finds that \
             turnout rises sharply where newcomers may vote in local elections after five years.",
            "The authors interviewed four hundred councillors and compared twelve cities across \
             Europe and North America.",
        ],
    )
}

/// The soft host's answer for any page it does not have: a 200, and nothing in its title or
/// heading says "not found".
fn missing_template(path: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Example Daily News</title></head><body>\
         <nav>News · Politics · Culture · Opinion</nav><h1>This story has wandered off</h1>\
         <p>We looked everywhere for {path} but there is nothing there any more. Try the search \
         box, or browse today's headlines on the front page.</p>\
         <footer>Example Daily News, all rights reserved</footer></body></html>"
    )
}

/// A host that answers every path, missing ones with a 200 page; `gone` takes the budget
/// article away.
async fn soft_host(gone: Arc<AtomicBool>) -> ScriptedServer {
    ScriptedServer::start(move |r| match r.path.as_str() {
        BUDGET if !gone.load(Ordering::SeqCst) => Reply::html(budget()),
        STUDY => Reply::html(study()),
        STRICT => Reply::html(missing_template(STRICT)),
        "/robots.txt" => Reply::not_found(),
        // Under /strict/ the host's missing pages are real 404s, with the same template.
        p if p.starts_with("/strict/") && p != STRICT => {
            let mut reply = Reply::html(missing_template(p));
            reply.status = 404;
            reply
        }
        other => Reply::html(missing_template(other)),
    })
    .await
}

fn films() -> String {
    article(
        "Not Found: a history of lost films",
        &[
            "Nine in ten silent films are lost. This essay follows the archivists who still \
             search attics and flea markets for the reels that survive.",
        ],
    )
}

fn closure() -> String {
    article(
        "Office closure",
        &["The New York office is closed on 3 May for the seminar."],
    )
}

fn bericht() -> String {
    article(
        "Bericht zum Seminar",
        &["Der Bericht fasst die Ergebnisse des Seminars zusammen."],
    )
}

#[tokio::test]
async fn each_soft_404_rule_fires_and_real_pages_are_not_flagged() {
    let gone = Arc::new(AtomicBool::new(false));
    let soft = soft_host(gone.clone()).await;
    let (budget_url, study_url, strict_url) = (soft.url(BUDGET), soft.url(STUDY), soft.url(STRICT));
    let programme = pdf("Programme of the seminar");
    let server = TestServer::start([
        (
            "/",
            Behaviour::html(seed_html(
                "Seminar",
                &[
                    (PROGRAMME, "Programme"),
                    (CLOSURE, "Office closure"),
                    (BERICHT, "Bericht"),
                    (FILMS, "Lost films"),
                    (&budget_url, "Budget"),
                    (&study_url, "Study"),
                    (&strict_url, "Strict"),
                ],
            )),
        ),
        (
            PROGRAMME,
            Behaviour::ok("application/pdf", programme.clone()),
        ),
        (CLOSURE, Behaviour::html(closure())),
        (BERICHT, Behaviour::html(bericht())),
        (FILMS, Behaviour::html(films())),
    ])
    .await;
    let linkward = Linkward::new();
    let seeds = [server.url("/")];
    let all = [
        server.url(PROGRAMME),
        server.url(CLOSURE),
        server.url(BERICHT),
        server.url(FILMS),
        budget_url.clone(),
        study_url.clone(),
        strict_url.clone(),
    ];

    let first = check(&linkward, &seeds, &[]).await;
    for url in &all {
        let r = resource(&first, url);
        assert_state(r, "ok", None);
        assert_eq!(r["soft_404"], Value::Null, "{r:#}");
    }

    // Run 2: the deep link is sent to the front page, two pages say they are not found, and the
    // budget article is gone from a host that answers 200 for anything.
    server.set_route(PROGRAMME, Behaviour::redirect(302, "/"));
    let not_found = [
        "<html><head><title>Page not found | UNITAR</title></head><body><h1>Oops!</h1>\
         <p>Try the search box.</p></body></html>",
        "<html><head><title>UNITAR</title></head><body><h1>Seite nicht gefunden</h1>\
         <p>Bitte nutzen Sie die Suche.</p></body></html>",
    ];
    server.set_route(CLOSURE, Behaviour::html(not_found[0]));
    server.set_route(BERICHT, Behaviour::html(not_found[1]));
    gone.store(true, Ordering::SeqCst);
    let second = check(&linkward, &seeds, &[]).await;
    let good = sha256_hex(&programme);
    let mut reasons = Vec::new();
    for (url, rule) in [
        (server.url(PROGRAMME), "redirect-to-root"),
        (server.url(CLOSURE), "says-not-found"),
        (server.url(BERICHT), "says-not-found"),
        (budget_url.clone(), "like-missing-page"),
    ] {
        let r = resource(&second, &url);
        assert_eq!(r["state"], "broken", "{r:#}");
        reasons.push(r["reason"].clone());
        assert_eq!(r["soft_404"], rule, "{r:#}");
        assert_eq!(r["change"], "newly-broken", "{r:#}");
        // The "not found" page never becomes the good copy.
        assert_eq!(r["sha256"], Value::Null, "{r:#}");
        assert_eq!(
            r["last_good_sha256"],
            resource(&first, &url)["sha256"],
            "{r:#}"
        );
    }
    assert_archived(
        linkward.archive(),
        resource(&second, &server.url(PROGRAMME)),
        &good,
    );
    // Each body goes into the files/ view as it arrives, before it is judged: once the run is
    // over, the view holds no "not found" page.
    for page in not_found {
        let sha = sha256_hex(page.as_bytes());
        let folder = linkward.archive().join("files").join(&sha[..2]);
        let held: Vec<_> = std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&sha))
            .collect();
        assert!(held.is_empty(), "a soft 404 stays in the view: {held:?}");
    }
    for url in [server.url(FILMS), study_url.clone(), strict_url.clone()] {
        let r = resource(&second, &url);
        assert_state(r, "ok", None);
        assert_eq!(r["soft_404"], Value::Null, "{r:#}");
        assert_eq!(r["change"], "unchanged", "{r:#}");
    }
    // At most one probe per host and directory per run, with a fresh random name each run; a
    // page served again byte for byte as its last good copy was judged before and is not
    // probed for again (run 2's /strict/ page).
    let probes = |dir: &str| -> Vec<String> {
        soft.requests()
            .into_iter()
            .map(|r| r.path)
            .filter(|p| p.starts_with(dir) && p.contains("linkward-probe-"))
            .collect()
    };
    let articles = probes("/articles/");
    assert_eq!(articles.len(), 2, "{articles:?}");
    for p in &articles {
        assert!(
            p.starts_with("/articles/linkward-probe-") && p.ends_with(".html"),
            "{p}"
        );
    }
    assert_ne!(articles[0], articles[1]);
    assert_eq!(probes("/strict/").len(), 1);

    let report = report_json(&linkward, &[]).await;
    assert_eq!(report["summary"]["soft_404"], 4, "{report:#}");
    assert_eq!(report["summary"]["newly_broken"], 0, "{report:#}");

    // Run 3: everything is back as it was: recovered, and the good copy is the one kept before.
    server.set_route(PROGRAMME, Behaviour::ok("application/pdf", programme));
    server.set_route(CLOSURE, Behaviour::html(closure()));
    server.set_route(BERICHT, Behaviour::html(bericht()));
    gone.store(false, Ordering::SeqCst);
    let third = check(&linkward, &seeds, &[]).await;
    for url in &all[..3] {
        let r = resource(&third, url);
        assert_state(r, "ok", None);
        assert_eq!(r["change"], "recovered", "{r:#}");
    }
    assert_eq!(resource(&third, &budget_url)["change"], "recovered");
    assert_eq!(
        resource(&third, &server.url(PROGRAMME))["sha256"],
        good.as_str()
    );

    // Last, so that every other fact above is checked too: the reason is spelt as documented
    // (README: `soft-404`), in the check report and in the change report.
    let entry_reasons: Vec<&Value> = report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["reason"])
        .collect();
    assert_eq!(
        reasons,
        vec!["soft-404"; 4],
        "reason of soft 404s in `check`"
    );
    assert_eq!(
        entry_reasons,
        vec!["soft-404"; 4],
        "reason of soft 404s in `report`"
    );
}
