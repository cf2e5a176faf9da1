//! Every HTTP client linkward makes is built here, from `builder`: the one that every fetch,
//! robots.txt request and API question goes through (built once from the config; it follows no
//! redirects, `walk` follows and records them, and asks for compressed bodies that `body`
//! decodes itself), and the webhook's. Also the host rules' extra headers each request to a
//! host carries.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::{Fetcher, USER_AGENT};
use crate::config::Config;

/// What every client has in common, and where anything every connection must obey belongs.
fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().user_agent(USER_AGENT)
}

/// The client fetches use.
pub(super) fn for_fetching(config: &Config) -> Result<reqwest::Client, String> {
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
        .build()
        .map_err(|e| e.to_string())
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
    /// The headers the URL's host rule adds to every request to it, if any.
    pub(super) fn extra_headers(&self, url: &Url) -> Option<&HeaderMap> {
        let rule = self.host_rules.for_url(url)?;
        self.host_headers
            .get(&rule.pattern)
            .filter(|h| !h.is_empty())
    }
}
