//! Per-host rules (pace, concurrency, extra headers, accepted statuses, address policy) and the one place a URL's
//! host is matched to its rule: the first rule, in order, whose pattern matches. A file's rules
//! are ordered exact names before wildcards, so an exact name wins over a `*.domain` that also
//! matches it.

use url::Url;

use super::Rate;

/// Politeness and acceptance rules for one host or a family of hosts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostRule {
    /// A lowercase host name, or `*.example.org` for it and every subdomain.
    pub pattern: String,
    pub rate: Option<Rate>,
    pub concurrency: Option<usize>,
    /// Extra request headers sent to the host (name, value).
    pub headers: Vec<(String, String)>,
    /// Status codes counted as `ok` for this host (e.g. 403 from a site that blocks robots).
    pub accept_status: Vec<u16>,
    /// Fetch this host even when it resolves to a non-public address and the page listing it
    /// does not (see `fetch::address`); link-local and metadata addresses stay refused.
    pub allow_private: bool,
}

impl HostRule {
    /// Whether the rule covers `host` (lowercase, no port). Private: rules are looked up only
    /// through `HostRules`, so precedence is decided in one place.
    fn matches(&self, host: &str) -> bool {
        match self.pattern.strip_prefix("*.") {
            Some(domain) => host == domain || host.ends_with(&format!(".{domain}")),
            None => host == self.pattern,
        }
    }
}

/// The run's host rules, most specific first (see `exact_names_first`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostRules(Vec<HostRule>);

impl HostRules {
    /// The rules in the order given: the first that matches a host is its rule.
    pub fn new(rules: Vec<HostRule>) -> HostRules {
        HostRules(rules)
    }

    /// The rule for `host` (no port; any case), if any.
    pub fn for_host(&self, host: &str) -> Option<&HostRule> {
        let host = host.to_ascii_lowercase();
        self.0.iter().find(|r| r.matches(&host))
    }

    /// The rule for the URL's host, if any.
    pub fn for_url(&self, url: &Url) -> Option<&HostRule> {
        self.for_host(url.host_str().unwrap_or_default())
    }

    /// Every rule, in order (to validate or prepare what they carry, not to match hosts).
    pub fn iter(&self) -> impl Iterator<Item = &HostRule> {
        self.0.iter()
    }
}

impl From<Vec<HostRule>> for HostRules {
    fn from(rules: Vec<HostRule>) -> HostRules {
        HostRules::new(rules)
    }
}

/// Orders one file's rules exact names first, so that they win over a wildcard that also matches.
pub(super) fn exact_names_first(rules: &mut [HostRule]) {
    rules.sort_by_key(|h| h.pattern.starts_with("*."));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: &str, accept: u16) -> HostRule {
        HostRule {
            pattern: pattern.into(),
            accept_status: vec![accept],
            ..HostRule::default()
        }
    }

    #[test]
    fn an_exact_name_wins_over_a_wildcard_and_a_wildcard_covers_its_domain()
    -> Result<(), url::ParseError> {
        let mut rules = vec![rule("*.example.org", 1), rule("slow.example.org", 2)];
        exact_names_first(&mut rules);
        let rules = HostRules::new(rules);
        let accept = |u: &str| Url::parse(u).map(|u| rules.for_url(&u).map(|r| r.accept_status[0]));
        assert_eq!(accept("http://SLOW.example.org:8080/a")?, Some(2));
        assert_eq!(accept("https://www.example.org/")?, Some(1));
        assert_eq!(accept("https://example.org/")?, Some(1));
        assert_eq!(accept("https://notexample.org/")?, None);
        assert_eq!(accept("https://example.org.evil.test/")?, None);
        Ok(())
    }
}
