//! Issue 16 item 1: an outage is not link rot. A run in which the network here is down is
//! `inconclusive` (exit 4, one line on stderr): its checks are recorded but judge nothing, no
//! webhook is sent, and the next run is compared with the last conclusive one, so nothing is
//! `recovered` after it. Some hosts down while others answer, or one dead host while a canary
//! answers, is still link rot.
//!
//! The outage is real: linkward runs inside a network namespace of the test's own
//! (`common::netns`, root only; skipped with a NOTICE otherwise) whose loopback, the only
//! interface it has, is taken down between runs. Every server, the webhook receiver and the
//! canary included, lives in that namespace, so while `lo` is down none of them can be reached:
//! a webhook sent anyway would fail (exit 3), and the receiver's log shows what arrived.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::common::json::resource;
use crate::common::linkward::Run;
use crate::common::netns::Namespace;
use crate::common::scripted::{Reply, ScriptedServer};
use crate::common::{Behaviour, Linkward, TestServer, pdf};

const HOSTS: usize = 8;
const DOCS_PER_HOST: usize = 4;
const HOOK: &str = "/hooks/linkward";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("a constant IP address")
}

fn doc_path(n: usize) -> String {
    format!("/docs/report-{n}.pdf")
}

/// The resources of a check's JSON.
fn resources(report: &Value) -> &Vec<Value> {
    report["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no resources array: {report:#}"))
}

/// The non-empty lines of stderr.
fn stderr_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Eight hosts (127.0.0.1 to .8) serving 32 documents, the first one also the seed page that
/// lists them all; a webhook receiver and a canary on addresses of their own. All inside `ns`.
struct Site {
    hosts: Vec<TestServer>,
    hook: ScriptedServer,
    canary: ScriptedServer,
    /// How many requests reached the canary.
    canary_asked: Arc<AtomicUsize>,
    docs: Vec<String>,
}

impl Site {
    fn start(ns: &Namespace) -> Site {
        let mut hosts = Vec::new();
        let mut docs = Vec::new();
        for h in 0..HOSTS {
            let routes: Vec<(String, Behaviour)> = (0..DOCS_PER_HOST)
                .map(|d| {
                    let n = h * DOCS_PER_HOST + d;
                    (
                        doc_path(n),
                        Behaviour::ok("application/pdf", pdf(&format!("Report {n}"))),
                    )
                })
                .collect();
            let server = ns.serve(ip(&format!("127.0.0.{}", h + 1)), routes);
            docs.extend((0..DOCS_PER_HOST).map(|d| server.url(&doc_path(h * DOCS_PER_HOST + d))));
            hosts.push(server);
        }
        let links: String = docs
            .iter()
            .enumerate()
            .map(|(n, url)| format!("<li><a href=\"{url}\">Report {n}</a></li>\n"))
            .collect();
        hosts[0].set_route(
            "/",
            Behaviour::html(format!(
                "<!doctype html><html><head><title>Reports</title></head><body>\
                 <h2>Related Documents</h2><ul>\n{links}</ul></body></html>"
            )),
        );
        let hook = ns.scripted(ip("127.0.0.20"), |_| {
            Reply::status(200, "text/plain", "thanks")
        });
        let canary_asked = Arc::new(AtomicUsize::new(0));
        let asked = canary_asked.clone();
        let canary = ns.scripted(ip("127.0.0.30"), move |_| {
            asked.fetch_add(1, Ordering::SeqCst);
            Reply::status(204, "text/plain", "")
        });
        Site {
            hosts,
            hook,
            canary,
            canary_asked,
            docs,
        }
    }

    fn seed(&self) -> String {
        self.hosts[0].url("/")
    }
}

#[tokio::test]
async fn an_outage_is_inconclusive_and_the_next_run_reports_no_churn() {
    let Some(ns) = Namespace::start(&[], &[]).await else {
        return;
    };
    let site = Site::start(&ns);
    let linkward = Linkward::new();
    let seed = site.seed();
    let hook = site.hook.url(HOOK);
    let canary = site.canary.url("/");
    // Loopback stands for public hosts: a seed page that is down cannot vouch for its links'
    // addresses (see "Addresses linkward will not fetch"), so the run allows private ones.
    let flags = [
        "--notify",
        hook.as_str(),
        "--canary",
        canary.as_str(),
        "--allow-private",
    ];

    // Run 1, the network up: all 33 resources (the seed page and its 32 documents) are ok.
    let first = ns.check(&linkward, &[&seed], &flags).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());
    let report = first.json();
    assert_eq!(report["run"]["status"], "complete", "{report:#}");
    assert_eq!(report["summary"]["total"], 33, "{report:#}");
    assert_eq!(report["summary"]["ok"], 33, "{report:#}");
    assert_eq!(
        site.canary_asked.load(Ordering::SeqCst),
        0,
        "hosts answered: the canary is not asked"
    );
    let good: Vec<Value> = site
        .docs
        .iter()
        .map(|d| resource(&report, d)["sha256"].clone())
        .collect();

    // Run 2: the machine loses its network.
    ns.ip(&["link", "set", "lo", "down"]);
    let outage = ns.check(&linkward, &[&seed], &flags).await;
    assert_eq!(outage.code, Some(4), "{}", outage.dump());
    let lines = stderr_lines(&outage);
    assert_eq!(lines.len(), 1, "one line on stderr\n{}", outage.dump());
    for said in [
        "network here looks unreachable",
        "every one of 8 hosts failed before any HTTP answer",
        "(8 timed out)",
        &format!("the canary {canary} did not answer either"),
        "run 2 is inconclusive",
    ] {
        assert!(lines[0].contains(said), "{said:?} in {}", lines[0]);
    }
    let report = outage.json();
    assert_eq!(report["run"]["status"], "inconclusive", "{report:#}");
    assert!(
        report["run"]["outage"]
            .as_str()
            .is_some_and(|o| lines[0].contains(o)),
        "{report:#}"
    );
    // Every check is kept, as it was seen, and judged nothing.
    assert_eq!(resources(&report).len(), 33, "{report:#}");
    for r in resources(&report) {
        assert_eq!(r["state"], "broken", "{r:#}");
        assert_eq!(r["change"], "inconclusive", "{r:#}");
        assert_eq!(r["failures"], 0, "the streak does not advance: {r:#}");
    }
    for (doc, sha) in site.docs.iter().zip(&good) {
        assert_eq!(
            &resource(&report, doc)["last_good_sha256"],
            sha,
            "the last good copy stays"
        );
    }
    assert!(
        site.hook.requests().is_empty(),
        "no webhook for an outage: {:?}",
        site.hook.requests()
    );

    // The history shows the check, marked; the URL's record is its run-1 self.
    let archive = linkward.archive().display().to_string();
    let history = history_json(&linkward, &site.docs[5]).await;
    let checks = history["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 2, "{history:#}");
    assert_eq!(checks[1]["run_id"], 2);
    assert_eq!(checks[1]["change"], "inconclusive");
    let record = &history["resource"];
    assert_eq!(record["state"], "ok", "{history:#}");
    assert_eq!(record["failures"], 0, "{history:#}");
    assert_eq!(record["first_broken"], Value::Null, "{history:#}");
    assert_eq!(record["checks"], 1, "{history:#}");
    assert_eq!(record["last_good_sha256"], good[5], "{history:#}");
    let terminal = linkward
        .run(["history", site.docs[5].as_str(), "--archive", &archive])
        .await;
    assert!(
        terminal
            .stdout
            .contains("run 2 was inconclusive (the network here was down): not judged"),
        "{}",
        terminal.dump()
    );

    // Run 3, the network back, one document's content changed meanwhile: compared with run 1,
    // nothing recovered and nothing newly broken; the change is news, so the webhook is sent.
    ns.ip(&["link", "set", "lo", "up"]);
    site.hosts[2].set_route(
        doc_path(9),
        Behaviour::ok("application/pdf", pdf("Report 9, second edition")),
    );
    let back = ns.check(&linkward, &[&seed], &flags).await;
    assert_eq!(back.code, Some(0), "{}", back.dump());
    let report = back.json();
    assert_eq!(report["run"]["status"], "complete", "{report:#}");
    assert_eq!(report["run"]["outage"], Value::Null, "{report:#}");
    assert_eq!(report["summary"]["ok"], 33, "{report:#}");
    for r in resources(&report) {
        assert!(
            !matches!(
                r["change"].as_str(),
                Some("recovered" | "newly-broken" | "failing")
            ),
            "{r:#}"
        );
    }
    assert_eq!(resource(&report, &site.docs[9])["change"], "changed");
    let posts = site.hook.requests_to(HOOK);
    assert_eq!(posts.len(), 1, "{posts:?}");
    let sent: Value = serde_json::from_slice(&posts[0].body).expect("the webhook got JSON");
    assert_eq!(sent["summary"]["changed"], 1, "{sent:#}");
    assert_eq!(sent["summary"]["recovered"], 0, "{sent:#}");
    assert_eq!(sent["summary"]["newly_broken"], 0, "{sent:#}");

    // The change report over the three runs: run 2 said inconclusive, no broken/recovered churn.
    let json = linkward
        .run([
            "report",
            "--runs",
            "3",
            "--format",
            "json",
            "--archive",
            &archive,
        ])
        .await;
    assert_eq!(json.code, Some(0), "{}", json.dump());
    let changes = json.json();
    let statuses: Vec<&Value> = changes["window"]["runs"]
        .as_array()
        .expect("window runs")
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(
        statuses,
        ["complete", "inconclusive", "complete"],
        "{changes:#}"
    );
    for count in ["newly_broken", "recovered", "still_broken", "failing"] {
        assert_eq!(changes["summary"][count], 0, "{count}: {changes:#}");
    }
    assert_eq!(changes["summary"]["changed"], 1, "{changes:#}");
    let reachability = changes["reachability"].as_array().expect("reachability");
    assert_eq!(
        reachability[1]["reachable_share"],
        Value::Null,
        "an outage is no point on the reachability chart: {changes:#}"
    );
    let markdown = linkward
        .run(["report", "--runs", "3", "--archive", &archive])
        .await;
    assert!(
        markdown.stdout.contains("run 2 inconclusive: network down"),
        "{}",
        markdown.dump()
    );
    for churn in ["Newly broken", "Recovered", "Still broken"] {
        assert!(!markdown.stdout.contains(churn), "{}", markdown.dump());
    }
}

/// `history URL --format json`, parsed.
async fn history_json(linkward: &Linkward, url: &str) -> Value {
    let archive = linkward.archive().display().to_string();
    let run = linkward
        .run(["history", url, "--format", "json", "--archive", &archive])
        .await;
    assert_eq!(run.code, Some(0), "{}", run.dump());
    run.json()
}

#[tokio::test]
async fn no_route_out_is_an_outage_by_its_errors_alone_and_quiet_says_it_in_one_line() {
    let Some(ns) = Namespace::start(&[], &[]).await else {
        return;
    };
    let a = ns.serve(
        ip("127.0.0.1"),
        [("/a.pdf", Behaviour::ok("application/pdf", pdf("A")))],
    );
    let b = ns.serve(
        ip("127.0.0.2"),
        [("/b.pdf", Behaviour::ok("application/pdf", pdf("B")))],
    );
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[a.url("/a.pdf"), b.url("/b.pdf")]);
    let seed = seed.to_str().expect("a UTF-8 temp path");
    let first = ns.check(&linkward, &[seed], &[]).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());

    // No address left on `lo`: every connect fails at once with "network unreachable", which
    // says the network here is down without any canary to ask.
    ns.ip(&["link", "set", "lo", "down"]);
    ns.ip(&["addr", "flush", "dev", "lo"]);
    let quiet = ns
        .check(&linkward, &[seed], &["--quiet", "--format", "terminal"])
        .await;
    // Exit 4 wins over the 1 that `--fail-on broken` (the default) would give.
    assert_eq!(quiet.code, Some(4), "{}", quiet.dump());
    let lines = stderr_lines(&quiet);
    assert_eq!(lines.len(), 1, "{}", quiet.dump());
    assert!(
        lines[0]
            .contains("every one of 2 hosts failed before any HTTP answer (2 network unreachable)"),
        "{}",
        quiet.dump()
    );
    assert!(!lines[0].contains("canary"), "{}", quiet.dump());
    let out: Vec<&str> = quiet.stdout.lines().collect();
    assert_eq!(
        out.len(),
        1,
        "quiet prints the run's line alone\n{}",
        quiet.dump()
    );
    assert!(
        out[0].starts_with("run 2 (inconclusive: the network here was down): 3 listed"),
        "{}",
        quiet.dump()
    );
}

#[tokio::test]
async fn some_hosts_down_while_others_answer_is_still_broken() {
    let up = TestServer::start([("/up.pdf", Behaviour::ok("application/pdf", pdf("Up")))]).await;
    let down =
        TestServer::start([("/down.pdf", Behaviour::ok("application/pdf", pdf("Down")))]).await;
    let (up_url, down_url) = (up.url("/up.pdf"), down.url("/down.pdf"));
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&[up_url.clone(), down_url.clone()]);
    // A canary that does not answer either: a host that answered still makes the run conclusive.
    let canary = format!("http://127.0.0.1:{}/", closed_port());
    let flags = ["--canary", canary.as_str()];
    let first = linkward.check(&[&seed], &flags).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());

    drop(down);
    let second = linkward.check(&[&seed], &flags).await;
    assert_eq!(second.code, Some(1), "{}", second.dump());
    assert!(
        !second.stderr.contains("unreachable"),
        "no outage line\n{}",
        second.dump()
    );
    let report = second.json();
    assert_eq!(report["run"]["status"], "complete", "{report:#}");
    assert_eq!(report["run"]["outage"], Value::Null, "{report:#}");
    let gone = resource(&report, &down_url);
    assert_eq!(gone["state"], "broken", "{gone:#}");
    assert_eq!(gone["change"], "newly-broken", "{gone:#}");
    assert_eq!(gone["failures"], 1, "{gone:#}");
    assert_eq!(resource(&report, &up_url)["change"], "unchanged");
}

#[tokio::test]
async fn a_dead_single_host_is_link_rot_unless_no_reference_answers_either() {
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let docs: Vec<String> = (0..3).map(|n| format!("{dead}/doc-{n}.pdf")).collect();
    let canary = TestServer::start([("/", Behaviour::ok("text/plain", "here"))]).await;
    let archive = TestServer::start([(
        "/wayback/available",
        Behaviour::ok("application/json", r#"{"archived_snapshots": {}}"#),
    )])
    .await;
    let silent = format!("http://127.0.0.1:{}/", closed_port());

    let check = |extra: Vec<String>| {
        let docs = docs.clone();
        async move {
            let linkward = Linkward::new();
            let seed = linkward.seed_listing(&docs);
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            linkward.check(&[&seed], &extra).await
        }
    };

    // Refused by the one host, nothing else to ask: refusals say that host is down.
    let alone = check(Vec::new()).await;
    assert_eq!(alone.code, Some(1), "{}", alone.dump());
    let report = alone.json();
    assert_eq!(report["run"]["status"], "complete", "{report:#}");
    // Broken at its first check: `new`, counted as newly broken (README, "Running from cron").
    let first = resource(&report, &docs[0]);
    assert_eq!(
        (&first["state"], &first["change"]),
        (&"broken".into(), &"new".into())
    );

    // A canary or a web-archive endpoint that answers: the network works, the host is dead.
    for reference in [
        vec!["--canary".to_owned(), canary.url("/")],
        vec!["--wayback".to_owned(), archive.url("/wayback/available")],
    ] {
        let run = check(reference.clone()).await;
        assert_eq!(run.code, Some(1), "{reference:?}\n{}", run.dump());
        assert_eq!(run.json()["run"]["status"], "complete", "{reference:?}");
    }
    assert_eq!(canary.count("/"), 1, "the canary is asked once");

    // The canary silent too: that is what an outage looks like from here.
    let outage = check(vec!["--canary".to_owned(), silent.clone()]).await;
    assert_eq!(outage.code, Some(4), "{}", outage.dump());
    let lines = stderr_lines(&outage);
    assert_eq!(lines.len(), 1, "{}", outage.dump());
    assert!(
        lines[0].contains(&format!(
            "the one host attempted gave no HTTP answer (1 connection refused); the canary {silent} did not answer either"
        )),
        "{}",
        outage.dump()
    );
    let report = outage.json();
    assert_eq!(report["run"]["status"], "inconclusive", "{report:#}");
    for doc in &docs {
        assert_eq!(resource(&report, doc)["change"], "inconclusive");
    }
}

/// A loopback port nothing listens on: connecting to it is refused.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

#[tokio::test]
async fn a_run_stopped_while_nothing_answered_is_decided_by_its_errors() {
    let Some(ns) = Namespace::start(&["100.64.1.1/32", "100.64.1.2/32"], &[]).await else {
        return;
    };
    let a = ns.serve(
        ip("100.64.1.1"),
        [("/a.pdf", Behaviour::ok("application/pdf", pdf("A")))],
    );
    let b = ns.serve(
        ip("100.64.1.2"),
        [("/b.pdf", Behaviour::ok("application/pdf", pdf("B")))],
    );
    let slow = ns.serve(
        ip("127.0.0.1"),
        [("/slow.pdf", Behaviour::ok("application/pdf", pdf("Slow")))],
    );
    let docs = [a.url("/a.pdf"), b.url("/b.pdf"), slow.url("/slow.pdf")];
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(&docs);
    let seed = seed.to_str().expect("a UTF-8 temp path");
    let first = ns.check(&linkward, &[seed], &[]).await;
    assert_eq!(first.code, Some(0), "{}", first.dump());

    // Both hosts' routes now say "no route to host" at once, while the third host hangs until
    // the deadline stops the run: nothing answered, and the errors say the network is down.
    for host in ["100.64.1.1/32", "100.64.1.2/32"] {
        ns.ip(&["addr", "del", host, "dev", "lo"]);
    }
    ns.ip(&["route", "add", "unreachable", "100.64.1.0/24"]);
    slow.set_route(
        "/slow.pdf",
        Behaviour::delay(
            std::time::Duration::from_secs(30),
            Behaviour::ok("application/pdf", pdf("Slow")),
        ),
    );
    let stopped = ns
        .check(
            &linkward,
            &[seed],
            &["--timeout", "20s", "--deadline", "2s"],
        )
        .await;
    assert_eq!(stopped.code, Some(130), "{}", stopped.dump());
    assert!(
        stopped.stderr.contains(
            "every one of 2 hosts failed before any HTTP answer (2 host unreachable); run 2 is interrupted"
        ),
        "{}",
        stopped.dump()
    );
    let report = stopped.json();
    assert_eq!(report["run"]["status"], "interrupted", "{report:#}");
    assert!(report["run"]["outage"].is_string(), "{report:#}");
    for doc in &docs[..2] {
        let r = resource(&report, doc);
        assert_eq!(r["change"], "inconclusive", "{r:#}");
        assert_eq!(r["failures"], 0, "{r:#}");
    }
    let history = history_json(&linkward, &docs[0]).await;
    assert_eq!(history["resource"]["state"], "ok", "{history:#}");
    assert_eq!(
        history["checks"][1]["change"], "inconclusive",
        "{history:#}"
    );
}
