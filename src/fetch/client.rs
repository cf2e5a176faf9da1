//! The HTTP client every fetch, robots.txt request and API question goes through, built once
//! from the config, and the host rules' extra headers each request to a host carries. The
//! client follows no redirects (`walk` follows and records them) and asks for compressed bodies
//! that `body` decodes itself.

use std::collections::HashMap;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::{Fetcher, USER_AGENT};
use crate::config::Config;

/// The client fetches use.
pub(super) fn for_fetching(config: &Config) -> Result<reqwest::Client, String> {
    let mut headers = HeaderMap::new();
    // Decoding is ours (see `body::decoded`), so the raw bytes can be counted against
    // Content-Length and the decoded ones against --max-size.
    headers.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("gzip, deflate, br"),
    );
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
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
