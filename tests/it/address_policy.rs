//! Issue 14, the address policy end to end: a page on a public address cannot make linkward fetch
//! loopback or private addresses (by IP literal in any spelling, by a name that resolves to one,
//! or by redirecting there), and link-local / cloud metadata addresses are never fetched, even
//! with --allow-private. Loopback alone cannot show a public page, so these run linkward inside a
//! network namespace of their own (`common::netns`) where `lo` also carries a public-looking
//! address and /etc/hosts names the test's hosts; they are skipped with a NOTICE when not root.
//!
//! `PUBLIC` is a global unicast address (any would do: inside the namespace it is one of `lo`'s
//! and nothing can leave). The TEST-NET ranges will not do: the policy counts documentation
//! ranges as non-public.

use std::net::{IpAddr, TcpListener};

use serde_json::Value;

use crate::common::json::{assert_nothing_kept, assert_state, resource, resource_titled};
use crate::common::netns::Namespace;
use crate::common::{Behaviour, Linkward, TestServer, pdf};

const PUBLIC: &str = "100.128.0.10";
const METADATA: &str = "169.254.169.254";

/// A public site, a private server on loopback, and a listener on the metadata address, all in a
/// namespace of their own.
struct Site {
    ns: Namespace,
    public: TestServer,
    private: TestServer,
    metadata: TcpListener,
}

impl Site {
    /// `None` when the test cannot have a namespace (see `Namespace::start`).
    async fn start() -> Option<Site> {
        let ns = Namespace::start(
            &[&format!("{PUBLIC}/32"), &format!("{METADATA}/32")],
            &[
                ("public.example", PUBLIC),
                ("rebind.example", "127.0.0.1"),
                ("metadata.example", METADATA),
            ],
        )
        .await?;
        let secret = |name: &str| Behaviour::ok("text/plain", format!("{name}: s3cret"));
        let private = ns.serve(
            ip("127.0.0.1"),
            [
                ("/secret", secret("secret")),
                ("/rebind-secret", secret("rebind")),
                ("/redirected-secret", secret("redirected")),
                ("/mapped-secret", secret("mapped")),
                ("/decimal-secret", secret("decimal")),
            ],
        );
        let metadata = ns.listener(ip(METADATA));
        let public = ns.serve(
            ip(PUBLIC),
            [
                (
                    "/report.pdf",
                    Behaviour::ok("application/pdf", pdf("report")),
                ),
                ("/annex.pdf", Behaviour::ok("application/pdf", pdf("annex"))),
            ],
        );
        let site = Site {
            ns,
            public,
            private,
            metadata,
        };
        let redirect = Behaviour::redirect(302, site.private_url("/redirected-secret"));
        site.public.set_route("/to-private", redirect.clone());
        site.public.set_route("/seed-to-private", redirect);
        site.public
            .set_route("/page.html", Behaviour::html(site.page()));
        Some(site)
    }

    fn public_port(&self) -> u16 {
        port(self.public.base())
    }

    fn private_port(&self) -> u16 {
        port(self.private.base())
    }

    fn metadata_port(&self) -> u16 {
        self.metadata.local_addr().expect("local addr").port()
    }

    /// The public page, by name.
    fn page_url(&self) -> String {
        format!("http://public.example:{}/page.html", self.public_port())
    }

    fn private_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.private_port())
    }

    /// The page on the public address: two public documents, then everything it must not reach.
    fn page(&self) -> String {
        let (public, private, metadata) = (
            self.public_port(),
            self.private_port(),
            self.metadata_port(),
        );
        format!(
            r#"<html><body><h2>Documents</h2>
<p><a href="http://public.example:{public}/report.pdf">Public report</a></p>
<p><a href="http://{PUBLIC}:{public}/annex.pdf">Public annex</a></p>
<p><a href="http://127.0.0.1:{private}/secret">Loopback secret</a></p>
<p><a href="http://rebind.example:{private}/rebind-secret">Rebound secret</a></p>
<p><a href="http://[::ffff:127.0.0.1]:{private}/mapped-secret">Mapped secret</a></p>
<p><a href="http://2130706433:{private}/decimal-secret">Decimal secret</a></p>
<p><a href="http://public.example:{public}/to-private">Redirect into loopback</a></p>
<p><a href="http://{METADATA}:{metadata}/latest/meta-data/">Metadata</a></p>
<p><a href="http://metadata.example:{metadata}/latest/meta-data/iam/">Metadata by name</a></p>
</body></html>
"#
        )
    }

    /// Asserts that nothing ever connected to the metadata address, and that the count would
    /// have shown a connection.
    fn assert_metadata_untouched(&self) {
        assert_eq!(
            Namespace::connections_made(&self.metadata),
            0,
            "a connection reached {METADATA}"
        );
        self.ns.connect(&self.metadata);
        assert_eq!(Namespace::connections_made(&self.metadata), 1);
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("constant address")
}

fn port(base: &str) -> u16 {
    base.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("base URL with a port")
}

#[track_caller]
fn assert_refused(resource: &Value) {
    assert_state(resource, "skipped", Some("private-address"));
    assert_nothing_kept(resource);
    assert_eq!(resource["http_status"], Value::Null, "{resource:#}");
    assert_eq!(resource["attempts"], 0, "{resource:#}");
}

#[tokio::test]
async fn a_public_page_cannot_reach_loopback_private_or_metadata_addresses() {
    let Some(site) = Site::start().await else {
        return;
    };
    let linkward = Linkward::new();
    let seed_to_private = format!("http://{PUBLIC}:{}/seed-to-private", site.public_port());

    let run = site
        .ns
        .check(&linkward, &[&site.page_url(), &seed_to_private], &[])
        .await;

    let report = run.json();
    assert_state(resource(&report, &site.page_url()), "ok", None);
    // The public documents are fetched: the policy lets public addresses through, by name and
    // by literal.
    assert_state(resource_titled(&report, "Public report"), "ok", None);
    assert_state(resource_titled(&report, "Public annex"), "ok", None);
    for title in [
        "Loopback secret",
        "Rebound secret",
        "Mapped secret",
        "Decimal secret",
        "Metadata",
        "Metadata by name",
    ] {
        assert_refused(resource_titled(&report, title));
    }
    let rebound = resource_titled(&report, "Rebound secret");
    let error = rebound["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("rebind.example resolves to 127.0.0.1") && error.contains("--allow-private"),
        "{rebound:#}"
    );
    let decimal = resource_titled(&report, "Decimal secret");
    assert_eq!(
        decimal["url"],
        site.private_url("/decimal-secret"),
        "{decimal:#}"
    );
    // A redirect from a public address into loopback is refused, for a link of the public page
    // and for a seed the operator listed alike: the hop's address was public.
    let redirected = resource_titled(&report, "Redirect into loopback");
    assert_state(redirected, "skipped", Some("private-address"));
    assert_nothing_kept(redirected);
    assert_eq!(
        redirected["redirects"][0]["location"],
        site.private_url("/redirected-secret"),
        "{redirected:#}"
    );
    assert_state(
        resource(&report, &seed_to_private),
        "skipped",
        Some("private-address"),
    );
    assert_eq!(report["summary"]["skipped"], 8, "{:#}", report["summary"]);

    let private: Vec<String> = site
        .private
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(
        private.is_empty(),
        "the private server was asked for {private:?}"
    );
    site.assert_metadata_untouched();
    // Skipped is no failure.
    assert_eq!(run.code, Some(0), "{}", run.dump());
}

#[tokio::test]
async fn allow_private_fetches_private_addresses_but_never_metadata() {
    let Some(site) = Site::start().await else {
        return;
    };
    let linkward = Linkward::new();

    let run = site
        .ns
        .check(&linkward, &[&site.page_url()], &["--allow-private"])
        .await;

    let report = run.json();
    for title in ["Loopback secret", "Rebound secret", "Decimal secret"] {
        assert_state(resource_titled(&report, title), "ok", None);
    }
    assert_state(
        resource_titled(&report, "Redirect into loopback"),
        "redirected",
        Some("temporary-redirect"),
    );
    for title in ["Metadata", "Metadata by name"] {
        let metadata = resource_titled(&report, title);
        assert_refused(metadata);
        let error = metadata["error"].as_str().unwrap_or_default();
        assert!(error.contains("never fetched"), "{metadata:#}");
    }
    let asked = site.private.document_paths();
    for path in [
        "/secret",
        "/rebind-secret",
        "/redirected-secret",
        "/decimal-secret",
    ] {
        assert!(asked.contains(path), "{path} not fetched: {asked:?}");
    }
    site.assert_metadata_untouched();
    // Skipped is no failure.
    assert_eq!(run.code, Some(0), "{}", run.dump());
}

#[tokio::test]
async fn a_host_rule_allows_private_addresses_for_its_host_only() {
    let Some(site) = Site::start().await else {
        return;
    };
    let linkward = Linkward::new();
    linkward.write_file(
        "linkward.toml",
        &format!(
            "[hosts.\"rebind.example:{}\"]\nallow-private = true\n",
            site.private_port()
        ),
    );

    let run = site.ns.check(&linkward, &[&site.page_url()], &[]).await;

    let report = run.json();
    assert_state(resource_titled(&report, "Rebound secret"), "ok", None);
    for title in ["Loopback secret", "Decimal secret", "Metadata"] {
        assert_refused(resource_titled(&report, title));
    }
    assert_state(
        resource_titled(&report, "Redirect into loopback"),
        "skipped",
        Some("private-address"),
    );
    let asked = site.private.document_paths();
    assert_eq!(
        asked.into_iter().collect::<Vec<_>>(),
        ["/rebind-secret"],
        "only the allowed host's document"
    );
    site.assert_metadata_untouched();
    // Skipped is no failure.
    assert_eq!(run.code, Some(0), "{}", run.dump());
}

/// A TimeGate redirecting every question to `memento` on the private server, saying its date.
fn timegate_to(memento: &str) -> Behaviour {
    Behaviour::Raw(
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {memento}\r\nLink: <{memento}>; rel=\"memento\"; \
             datetime=\"Wed, 01 Jan 2020 00:00:00 GMT\"\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        )
        .into_bytes(),
    )
}

#[tokio::test]
async fn a_web_archive_names_private_mementos_only_from_a_private_address() {
    let Some(site) = Site::start().await else {
        return;
    };
    let gone = site.private_url("/gone.pdf");
    let memento = site.private_url("/memento/gone.pdf");
    site.private.set_route(
        "/memento/gone.pdf",
        Behaviour::ok("application/pdf", pdf("gone")),
    );
    let question = format!("/timegate/{gone}");
    site.public
        .set_route(question.clone(), timegate_to(&memento));
    site.private.set_route(question, timegate_to(&memento));

    // An archive on a public address naming a memento on loopback: not fetched.
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(std::slice::from_ref(&gone));
    let seed = seed.to_str().expect("UTF-8 temp path");
    let public_gate = format!("{}/timegate/", site.public.base());
    let run = site
        .ns
        .check(
            &linkward,
            &[seed],
            &["--timegate", &public_gate, "--rescue"],
        )
        .await;
    let report = run.json();
    let doc = resource(&report, &gone);
    assert_state(doc, "broken", Some("not-found"));
    assert_eq!(doc["recovered"], Value::Null, "{doc:#}");
    let notes = doc["archive_lookup"]["notes"].to_string();
    assert!(
        notes.contains("not fetched") && notes.contains("127.0.0.1 (loopback"),
        "{doc:#}"
    );
    assert_eq!(site.private.count("/memento/gone.pdf"), 0);
    assert_eq!(run.code, Some(1), "{}", run.dump());

    // The same question to an archive on loopback: its memento is fetched and kept.
    let linkward = Linkward::new();
    let seed = linkward.seed_listing(std::slice::from_ref(&gone));
    let seed = seed.to_str().expect("UTF-8 temp path");
    let private_gate = format!("{}/timegate/", site.private.base());
    let run = site
        .ns
        .check(
            &linkward,
            &[seed],
            &["--timegate", &private_gate, "--rescue"],
        )
        .await;
    let report = run.json();
    let doc = resource(&report, &gone);
    assert_ne!(doc["recovered"], Value::Null, "{doc:#}");
    assert_eq!(site.private.count("/memento/gone.pdf"), 1);
    assert_eq!(run.code, Some(1), "{}", run.dump());
}
