//! Per-host rules (pace, concurrency, extra headers, accepted statuses, address policy) and the
//! one place a URL is matched to its rule: the first rule, in order, whose pattern matches the
//! URL's origin. A pattern is a host name, or `*.domain` for it and every subdomain, with an
//! optional port: `www.example.org` covers http and https on their default ports (80, 443),
//! `www.example.org:8443` covers port 8443 only (either scheme). A file's rules are ordered exact
//! names before wildcards, so an exact name wins over a `*.domain` that also matches it.

use url::Url;

use super::Rate;

/// Politeness, acceptance and trust rules for one origin or a family of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostRule {
    /// A lowercase host name, or `*.example.org` for it and every subdomain, optionally with
    /// `:port` (IPv6 hosts in brackets, as URLs write them). Without a port the rule covers the
    /// scheme's default port.
    pub pattern: String,
    pub rate: Option<Rate>,
    pub concurrency: Option<usize>,
    /// Extra request headers sent to the origin (name, value): over https only unless
    /// `allow_http`, never to another origin, and never written to the archive.
    pub headers: Vec<(String, String)>,
    /// Status codes counted as `ok` for this host (e.g. 403 from a site that blocks robots).
    pub accept_status: Vec<u16>,
    /// Send `headers` over plain http too.
    pub allow_http: bool,
    /// Fetch this host even when it resolves to a non-public address and the page listing it
    /// does not (see `fetch::address`); link-local and metadata addresses stay refused.
    pub allow_private: bool,
}

impl HostRule {
    /// Whether the rule covers `host` (lowercase, as `Url::host_str` spells it) on `port`, for a
    /// scheme whose default port is `default_port`. Private: rules are looked up only through
    /// `HostRules`, so precedence is decided in one place.
    fn matches(&self, host: &str, port: u16, default_port: u16) -> bool {
        let Ok((name, rule_port)) = split_pattern(&self.pattern) else {
            return false;
        };
        if rule_port.unwrap_or(default_port) != port {
            return false;
        }
        match name.strip_prefix("*.") {
            Some(domain) => host == domain || host.ends_with(&format!(".{domain}")),
            None => host == name,
        }
    }
}

/// A pattern's host part and its port, if it gives one: `a.org:8443` → (`a.org`, 8443),
/// `[::1]:8080` → (`[::1]`, 8080), `a.org` → (`a.org`, none). A port that is not a number from
/// 1 to 65535 is an error.
pub fn split_pattern(pattern: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = match pattern.strip_prefix('[') {
        Some(rest) => {
            let end = rest
                .find(']')
                .ok_or_else(|| format!("{pattern:?}: an IPv6 host needs its closing ]"))?;
            let host = &pattern[..end + 2];
            match &pattern[end + 2..] {
                "" => (host, None),
                tail => match tail.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(format!("{pattern:?}: expected :PORT after the ]")),
                },
            }
        }
        None => match pattern.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (pattern, None),
        },
    };
    let port = port
        .map(|p| match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "{pattern:?}: the port must be a number from 1 to 65535"
            )),
        })
        .transpose()?;
    if host.is_empty() {
        return Err(format!("{pattern:?}: no host name"));
    }
    Ok((host, port))
}

/// The run's host rules, most specific first (see `exact_names_first`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostRules(Vec<HostRule>);

impl HostRules {
    /// The rules in the order given: the first that matches an origin is its rule.
    pub fn new(rules: Vec<HostRule>) -> HostRules {
        HostRules(rules)
    }

    /// The rule for the URL's origin (scheme, host, port), if any.
    pub fn for_url(&self, url: &Url) -> Option<&HostRule> {
        let host = url.host_str()?.to_ascii_lowercase();
        let default_port = match url.scheme() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let port = url.port().unwrap_or(default_port);
        self.0.iter().find(|r| r.matches(&host, port, default_port))
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
        assert_eq!(accept("http://SLOW.example.org/a")?, Some(2));
        assert_eq!(accept("https://www.example.org/")?, Some(1));
        assert_eq!(accept("https://example.org/")?, Some(1));
        assert_eq!(accept("https://notexample.org/")?, None);
        assert_eq!(accept("https://example.org.evil.test/")?, None);
        Ok(())
    }

    #[test]
    fn a_rule_covers_its_origin_default_ports_unless_it_names_one() -> Result<(), url::ParseError> {
        let mut rules = vec![
            rule("*.example.org:8443", 1),
            rule("www.example.org", 2),
            rule("www.example.org:8080", 3),
            rule("127.0.0.1:5000", 4),
            rule("[::1]:5000", 5),
            rule("[::1]", 6),
        ];
        exact_names_first(&mut rules);
        let rules = HostRules::new(rules);
        let accept = |u: &str| Url::parse(u).map(|u| rules.for_url(&u).map(|r| r.accept_status[0]));
        // No port: http and https on their default ports, and nothing else.
        assert_eq!(accept("https://www.example.org/")?, Some(2));
        assert_eq!(accept("http://www.example.org/")?, Some(2));
        assert_eq!(accept("https://www.example.org:443/")?, Some(2));
        assert_eq!(accept("http://www.example.org:443/")?, None);
        assert_eq!(accept("https://www.example.org:80/")?, None);
        assert_eq!(accept("https://www.example.org:9999/")?, None);
        // A port: that port, either scheme.
        assert_eq!(accept("http://www.example.org:8080/")?, Some(3));
        assert_eq!(accept("https://www.example.org:8080/")?, Some(3));
        assert_eq!(accept("https://a.example.org:8443/")?, Some(1));
        assert_eq!(accept("https://www.example.org:8443/")?, Some(1));
        assert_eq!(accept("https://a.example.org/")?, None);
        assert_eq!(accept("http://127.0.0.1:5000/x")?, Some(4));
        assert_eq!(accept("http://127.0.0.1:5001/x")?, None);
        assert_eq!(accept("http://127.0.0.1/x")?, None);
        assert_eq!(accept("http://[::1]:5000/")?, Some(5));
        assert_eq!(accept("http://[::1]/")?, Some(6));
        assert_eq!(accept("ftp://www.example.org/")?, None);
        Ok(())
    }

    #[test]
    fn patterns_split_into_host_and_port() {
        assert_eq!(split_pattern("a.org"), Ok(("a.org", None)));
        assert_eq!(split_pattern("a.org:8443"), Ok(("a.org", Some(8443))));
        assert_eq!(split_pattern("*.a.org:81"), Ok(("*.a.org", Some(81))));
        assert_eq!(split_pattern("[::1]"), Ok(("[::1]", None)));
        assert_eq!(split_pattern("[::1]:8080"), Ok(("[::1]", Some(8080))));
        for bad in [
            "a.org:",
            "a.org:0",
            "a.org:65536",
            "a.org:http",
            "[::1",
            "[::1]x",
            ":80",
        ] {
            assert!(split_pattern(bad).is_err(), "{bad} should be refused");
        }
    }
}
