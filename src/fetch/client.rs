//! Every HTTP client linkward makes is built here, from `builder`: the two that every fetch,
//! robots.txt request and API question goes through (built once from the config, one per
//! `Reach`, each resolving names through a `FilteringResolver` that drops the addresses its reach
//! may not connect to, so the check happens at connect time and DNS rebinding cannot slip between
//! check and connect; they follow no redirects, `walk` follows and records them, and ask for
//! compressed bodies that `body` decodes itself), and the webhook's. Also the host rules' extra
//! headers each request to an origin carries.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::address::{self, Reach};
use super::{Fetcher, USER_AGENT};
use crate::config::{Config, HostRules};

/// Resolves names with the system resolver (tokio's `lookup_host`: /etc/hosts, then DNS) and
/// keeps only the addresses `reach` may connect to; when none is left, fails with the
/// `address::Refused` naming them, which `walk` reports as a refusal. reqwest connects to exactly
/// the addresses returned. IP-literal hosts never get here (they are checked before sending).
#[derive(Debug)]
struct FilteringResolver {
    reach: Reach,
}

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.reach;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let kept = address::filter(&host, found.map(|a| a.ip()), reach)?;
            let addrs: Addrs = Box::new(kept.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The fetching clients, one per reach: a connection pooled by one is never reused by a request
/// of the other.
pub(super) struct Clients {
    public_only: reqwest::Client,
    private_too: reqwest::Client,
}

impl Clients {
    pub(super) fn get(&self, reach: Reach) -> &reqwest::Client {
        match reach {
            Reach::PublicOnly => &self.public_only,
            Reach::PrivateToo => &self.private_too,
        }
    }
}

/// What every client has in common, and where anything every connection must obey belongs.
fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().user_agent(USER_AGENT)
}

/// The clients fetches use.
pub(super) fn for_fetching(config: &Config) -> Result<Clients, String> {
    let client = |reach| {
        let mut headers = HeaderMap::new();
        // Decoding is ours (see `body::decoded`), so the raw bytes can be counted against
        // Content-Length and the decoded ones against --max-size.
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br"),
        );
        builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .dns_resolver(FilteringResolver { reach })
            // A proxy would resolve names itself, out of the address policy's reach.
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())
    };
    Ok(Clients {
        public_only: client(Reach::PublicOnly)?,
        private_too: client(Reach::PrivateToo)?,
    })
}

/// The webhook's client: it follows no redirect (a 3xx would re-send the whole report to
/// wherever it points) and sends no Referer; each request whole within `timeout`.
pub(super) fn for_webhook(timeout: Duration) -> Result<reqwest::Client, String> {
    builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .timeout(timeout)
        .build()
        .map_err(|e| e.to_string())
}

/// Each host rule's extra headers parsed, by pattern; a header that is not valid HTTP is an error
/// naming the rule. Where two rules share a pattern the first is the one `HostRules` finds, so
/// its headers are the ones kept.
pub(super) fn host_headers(config: &Config) -> Result<HashMap<String, HeaderMap>, String> {
    let mut host_headers = HashMap::new();
    for rule in config.hosts.iter() {
        let mut map = HeaderMap::new();
        for (name, value) in &rule.headers {
            let bad = |e: &dyn std::fmt::Display| {
                format!("host rule {:?}: header {name:?}: {e}", rule.pattern)
            };
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(&e))?;
            let value = HeaderValue::from_str(value).map_err(|e| bad(&e))?;
            map.append(name, value);
        }
        host_headers.entry(rule.pattern.clone()).or_insert(map);
    }
    Ok(host_headers)
}

impl Fetcher {
    /// The headers the host rule of the URL's origin adds to a request to it, if any: over
    /// https only, unless the rule allows http. Each request (each redirect hop) gets its own
    /// origin's, so a redirect never carries them to another origin.
    pub(super) fn extra_headers(&self, url: &Url) -> Option<&HeaderMap> {
        headers_for(&self.host_rules, &self.host_headers, url)
    }

    /// The reach of URLs a server the operator configured names (a web archive's mementos):
    /// see `server_reach`.
    pub async fn server_reach(&self, server: &Url) -> Reach {
        server_reach(server).await
    }
}

/// `Fetcher::extra_headers`, from the rules and their parsed headers (by pattern).
fn headers_for<'a>(
    rules: &HostRules,
    headers: &'a HashMap<String, HeaderMap>,
    url: &Url,
) -> Option<&'a HeaderMap> {
    let rule = rules.for_url(url)?;
    if url.scheme() != "https" && !rule.allow_http {
        return None;
    }
    headers.get(&rule.pattern).filter(|h| !h.is_empty())
}

/// The reach of URLs a server names: private addresses too only when the server itself is on a
/// non-public address, i.e. its host is a non-public IP literal or resolves only to non-public
/// addresses. Resolving here decides nothing about the server's own connections, which are
/// filtered at connect time like any.
async fn server_reach(server: &Url) -> Reach {
    let found: Vec<std::net::IpAddr> = match address::literal(server) {
        Some(ip) => vec![ip],
        None => match server.host_str() {
            Some(host) => tokio::net::lookup_host((host, 0))
                .await
                .map(|found| found.map(|a| a.ip()).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        },
    };
    let private = found.iter().all(|ip| address::is_non_public(*ip));
    let remote = found.first().copied().filter(|_| private);
    address::ListedBy::Page(remote).reach()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostRule;

    #[test]
    fn host_rule_headers_go_to_their_origin_over_https_unless_http_is_allowed()
    -> Result<(), Box<dyn std::error::Error>> {
        let rule = |pattern: &str, allow_http: bool| HostRule {
            pattern: pattern.into(),
            headers: vec![("Authorization".into(), format!("Bearer {pattern}"))],
            allow_http,
            ..HostRule::default()
        };
        let config = Config {
            hosts: HostRules::new(vec![
                rule("secure.example.org", false),
                rule("plain.example.org", true),
                rule("127.0.0.1:8080", true),
            ]),
            ..Config::default()
        };
        let parsed = host_headers(&config)?;
        let sent = |u: &str| -> Result<Option<String>, url::ParseError> {
            let url = Url::parse(u)?;
            Ok(headers_for(&config.hosts, &parsed, &url)
                .and_then(|h| h.get("authorization"))
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned))
        };
        let token = |pattern: &str| Some(format!("Bearer {pattern}"));
        assert_eq!(
            sent("https://secure.example.org/a")?,
            token("secure.example.org")
        );
        // Not over plain http, not to another port, not to another host.
        assert_eq!(sent("http://secure.example.org/a")?, None);
        assert_eq!(sent("https://secure.example.org:8443/a")?, None);
        assert_eq!(sent("https://other.example.org/a")?, None);
        // Over http when the rule allows it, still only to its origin.
        assert_eq!(
            sent("http://plain.example.org/a")?,
            token("plain.example.org")
        );
        assert_eq!(
            sent("https://plain.example.org/a")?,
            token("plain.example.org")
        );
        assert_eq!(sent("http://plain.example.org:8080/a")?, None);
        assert_eq!(sent("http://127.0.0.1:8080/a")?, token("127.0.0.1:8080"));
        assert_eq!(sent("http://127.0.0.1:8081/a")?, None);
        Ok(())
    }

    #[tokio::test]
    async fn a_server_on_a_non_public_address_names_private_urls() -> Result<(), url::ParseError> {
        // Literals only: resolving a name here could send a DNS query off this machine.
        for (server, reach) in [
            ("http://127.0.0.1:9/wayback/available", Reach::PrivateToo),
            ("http://[::1]:9/timegate/", Reach::PrivateToo),
            ("http://10.0.0.7/pywb/", Reach::PrivateToo),
            ("https://93.184.215.14/wayback/available", Reach::PublicOnly),
        ] {
            assert_eq!(server_reach(&Url::parse(server)?).await, reach, "{server}");
        }
        Ok(())
    }
}
