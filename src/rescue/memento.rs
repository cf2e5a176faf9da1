//! Memento (RFC 7089), pure: a TimeGate's URL for a resource, the `Accept-Datetime` it is asked
//! with, `Link` headers (RFC 8288) and what a TimeGate's answer says the memento is, in each of
//! the RFC's patterns.

use chrono::{DateTime, Utc};
use url::Url;

/// The TimeGate URL for `url`: the gate's URL with the resource's URL appended, the convention
/// of every public TimeGate (`https://web.archive.org/web/`, `http://timetravel.mementoweb.org/timegate/`)
/// and of pywb (`http://host:port/<collection>/`).
pub fn timegate_url(gate: &Url, url: &str) -> Result<Url, url::ParseError> {
    let base = gate.as_str();
    if base.ends_with('/') {
        Url::parse(&format!("{base}{url}"))
    } else {
        Url::parse(&format!("{base}/{url}"))
    }
}

/// An HTTP date, as `Accept-Datetime` takes it.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Parses an HTTP date (`Memento-Datetime`, a Link's `datetime`).
pub fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// One link of a `Link` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The target as written between `<` and `>`: maybe relative.
    pub target: String,
    /// The relation types, lowercased: `rel="first memento"` is two.
    pub rels: Vec<String>,
    /// The `datetime` attribute, when it is an HTTP date.
    pub datetime: Option<DateTime<Utc>>,
}

impl Link {
    pub fn has_rel(&self, rel: &str) -> bool {
        self.rels.iter().any(|r| r == rel)
    }
}

/// Every link of one `Link` header value (RFC 8288 §3): `<uri>` then `; name=value` parameters,
/// links separated by commas; values may be quoted strings (with `\` escapes) holding commas and
/// semicolons, as HTTP dates do. Only the first `rel` of a link counts, as the RFC says; a
/// malformed link is skipped up to the next comma, never the whole header.
pub fn parse_links(header: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return links;
        }
        let Some(after) = rest.strip_prefix('<') else {
            rest = past_next_comma(rest);
            continue;
        };
        let Some(end) = after.find('>') else {
            return links;
        };
        let mut link = Link {
            target: after[..end].trim().to_owned(),
            rels: Vec::new(),
            datetime: None,
        };
        let mut rel_seen = false;
        rest = &after[end + 1..];
        while let Some(after) = rest.trim_start().strip_prefix(';') {
            let (name, value, after) = parameter(after);
            rest = after;
            let value = value.unwrap_or_default();
            match name.to_ascii_lowercase().as_str() {
                "rel" if !rel_seen => {
                    rel_seen = true;
                    link.rels = value
                        .split_ascii_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect();
                }
                "datetime" => link.datetime = parse_http_date(&value),
                _ => {}
            }
        }
        links.push(link);
        // Anything else before the next comma is not a link parameter.
        if !rest.trim_start().starts_with(',') {
            rest = past_next_comma(rest);
        }
    }
}

/// One `name[=value]` parameter after its `;`, and what follows it.
fn parameter(s: &str) -> (&str, Option<String>, &str) {
    let s = s.trim_start();
    let name_end = s
        .find(|c: char| matches!(c, '=' | ';' | ',') || c.is_ascii_whitespace())
        .unwrap_or(s.len());
    let (name, rest) = s.split_at(name_end);
    let Some(rest) = rest.trim_start().strip_prefix('=') else {
        return (name, None, rest);
    };
    let rest = rest.trim_start();
    if let Some(quoted) = rest.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '"' => return (name, Some(value), &quoted[i + 1..]),
                c => value.push(c),
            }
        }
        // An unterminated quote runs to the end of the header.
        return (name, Some(value), "");
    }
    let end = rest
        .find(|c: char| matches!(c, ';' | ',') || c.is_ascii_whitespace())
        .unwrap_or(rest.len());
    (name, Some(rest[..end].to_owned()), &rest[end..])
}

/// What follows the next comma outside a quoted string or `<…>`, or nothing.
fn past_next_comma(s: &str) -> &str {
    let (mut quoted, mut angled, mut escaped) = (false, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' if !angled => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            ',' if !quoted && !angled => return &s[i + 1..],
            _ => {}
        }
    }
    ""
}

/// One memento a `Link` header names: a link whose relation types include `memento` (also
/// `first memento`, `last memento`, `prev memento`, `next memento`), its target resolved
/// against the URL asked, kept only when http(s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedMemento {
    pub url: Url,
    pub datetime: Option<DateTime<Utc>>,
}

/// The mementos named in `headers` (every `Link` value of an answer to `base`), in order.
pub fn named_mementos<'a>(
    headers: impl IntoIterator<Item = &'a str>,
    base: &Url,
) -> Vec<NamedMemento> {
    headers
        .into_iter()
        .flat_map(parse_links)
        .filter(|l| l.has_rel("memento"))
        .filter_map(|l| {
            let url = base.join(&l.target).ok().filter(is_http)?;
            Some(NamedMemento {
                url,
                datetime: l.datetime,
            })
        })
        .collect()
}

/// Of `mementos`, the one whose datetime is closest to `target` (the earlier on a tie); when
/// none says its datetime, the first.
pub fn closest(mementos: &[NamedMemento], target: DateTime<Utc>) -> Option<&NamedMemento> {
    mementos
        .iter()
        .filter_map(|m| m.datetime.map(|d| (m, d)))
        .min_by_key(|(_, d)| ((*d - target).num_seconds().unsigned_abs(), *d))
        .map(|(m, _)| m)
        .or_else(|| mementos.first())
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// What a TimeGate answered, as far as datetime negotiation goes.
#[derive(Clone, Debug, Default)]
pub struct GateAnswer<'a> {
    pub status: u16,
    pub location: Option<&'a str>,
    pub content_location: Option<&'a str>,
    pub memento_datetime: Option<&'a str>,
    /// Every `Link` header value, in order.
    pub links: Vec<&'a str>,
}

/// The memento a TimeGate's answer names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Negotiated {
    /// The memento; its datetime when the answer says it (else the memento itself is to be
    /// asked), and its status when the answer was the memento itself.
    Memento {
        url: Url,
        datetime: Option<DateTime<Utc>>,
        status: Option<u16>,
    },
    /// The archive holds no memento of the resource.
    None,
}

/// Reads a TimeGate's answer to `question` (asked for `target`), in each pattern of RFC 7089:
///
/// - **3xx with `Location`** (§4.1.1, 302-style; also pywb with `redirect_to_exact`): the
///   memento is the Location; its datetime is the `Link` that names it, if any.
/// - **2xx with `Content-Location`** (§4.1.2, 200-style negotiation; pywb with
///   `framed_replay: false`): the body is the memento, which lives at the Content-Location, not
///   at the TimeGate's URL (asking that again without `Accept-Datetime` gets the latest
///   capture); its datetime is `Memento-Datetime`.
/// - **2xx whose `Link` names mementos** (pywb's default framed replay: the body is a frame
///   page, not the memento): the named memento closest to `target`.
/// - **2xx with only `Memento-Datetime`**: the URL asked is itself the memento.
/// - **404**: no memento.
pub fn negotiate(
    question: &Url,
    answer: &GateAnswer<'_>,
    target: DateTime<Utc>,
) -> Result<Negotiated, String> {
    let named = named_mementos(answer.links.iter().copied(), question);
    let linked_datetime = |url: &Url| {
        named
            .iter()
            .find(|m| &m.url == url)
            .and_then(|m| m.datetime)
    };
    let resolve = |header: &str, value: &str| {
        question
            .join(value.trim())
            .ok()
            .filter(is_http)
            .ok_or_else(|| format!("the TimeGate's {header} {value:?} is not an http(s) URL"))
    };
    let memento_datetime = answer.memento_datetime.and_then(parse_http_date);
    let status = answer.status;
    match status {
        300..=399 => {
            if let Some(location) = answer.location {
                let url = resolve("Location", location)?;
                let datetime = linked_datetime(&url);
                return Ok(Negotiated::Memento {
                    url,
                    datetime,
                    status: None,
                });
            }
            match closest(&named, target) {
                Some(m) => Ok(Negotiated::Memento {
                    url: m.url.clone(),
                    datetime: m.datetime,
                    status: None,
                }),
                None => Err(format!(
                    "the TimeGate answered HTTP {status} without a Location"
                )),
            }
        }
        200..=299 => {
            if let Some(location) = answer.content_location {
                let url = resolve("Content-Location", location)?;
                let datetime = memento_datetime.or_else(|| linked_datetime(&url));
                return Ok(Negotiated::Memento {
                    url,
                    datetime,
                    status: Some(status),
                });
            }
            if let Some(datetime) = memento_datetime {
                // The answer is a memento: the link naming it with the same datetime is its
                // own URL, else it lives at the URL asked.
                let url = named
                    .iter()
                    .find(|m| m.datetime == Some(datetime))
                    .map_or_else(|| question.clone(), |m| m.url.clone());
                return Ok(Negotiated::Memento {
                    url,
                    datetime: Some(datetime),
                    status: Some(status),
                });
            }
            match closest(&named, target) {
                Some(m) => Ok(Negotiated::Memento {
                    url: m.url.clone(),
                    datetime: m.datetime,
                    // The answer was a page about the memento, not the memento.
                    status: None,
                }),
                None => Err(format!(
                    "the TimeGate answered HTTP {status} without naming a memento (no \
                     Content-Location, Memento-Datetime or Link rel=\"memento\")"
                )),
            }
        }
        404 => Ok(Negotiated::None),
        status => Err(format!("the TimeGate answered HTTP {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> DateTime<Utc> {
        parse_http_date(s).expect("an HTTP date")
    }

    #[test]
    fn timegate_urls_and_dates() -> Result<(), url::ParseError> {
        let gate = Url::parse("http://127.0.0.1:8/timegate/")?;
        assert_eq!(
            timegate_url(&gate, "http://example.com/a.pdf?x=1")?.as_str(),
            "http://127.0.0.1:8/timegate/http://example.com/a.pdf?x=1"
        );
        let pywb = Url::parse("http://127.0.0.1:8/coll")?;
        assert_eq!(
            timegate_url(&pywb, "http://example.com/")?.as_str(),
            "http://127.0.0.1:8/coll/http://example.com/"
        );
        let at =
            parse_http_date("Thu, 03 May 2007 00:00:00 GMT").ok_or(url::ParseError::EmptyHost)?;
        assert_eq!(http_date(at), "Thu, 03 May 2007 00:00:00 GMT");
        Ok(())
    }

    #[test]
    fn link_headers_with_several_rels_quoted_commas_and_escapes() {
        let header = r#"<http://b.example/>; rel="original", <http://a.example/m/2006/http://b.example/> ; rel="first memento" ; datetime="Mon, 01 May 2006 00:00:00 GMT", </m/2007/http://b.example/>;rel=memento;datetime="Fri, 04 May 2007 10:11:12 GMT";title="a \"quoted\", title; with separators", <http://a.example/tm>; rel="timemap"; type="application/link-format"; rel="memento""#;
        let links = parse_links(header);
        assert_eq!(links.len(), 4, "{links:#?}");
        assert_eq!(links[0].rels, ["original"]);
        assert_eq!(links[1].rels, ["first", "memento"]);
        assert_eq!(
            links[1].datetime,
            Some(date("Mon, 01 May 2006 00:00:00 GMT"))
        );
        assert_eq!(links[2].target, "/m/2007/http://b.example/");
        assert!(links[2].has_rel("memento"));
        assert_eq!(
            links[2].datetime,
            Some(date("Fri, 04 May 2007 10:11:12 GMT"))
        );
        // A second rel is ignored (RFC 8288 §3.3).
        assert_eq!(links[3].rels, ["timemap"]);
        // Case does not matter for relation types.
        assert!(parse_links("<x>; REL=\"Last MEMENTO\"")[0].has_rel("memento"));
    }

    #[test]
    fn malformed_links_are_skipped_not_the_header() {
        let links = parse_links(
            r#"junk; rel="memento", <http://a/1>; rel="memento" garbage, <http://a/2>; rel="memento"; datetime="not a date", <http://a/3"#,
        );
        let targets: Vec<&str> = links.iter().map(|l| l.target.as_str()).collect();
        assert_eq!(targets, ["http://a/1", "http://a/2"]);
        assert_eq!(links[1].datetime, None);
        assert!(parse_links("").is_empty());
        assert!(parse_links(" , ,").is_empty());
    }

    #[test]
    fn the_memento_closest_to_the_date_is_picked() -> Result<(), url::ParseError> {
        let base = Url::parse("http://a.example/tg/http://b.example/")?;
        let header = r#"<http://b.example/>; rel="original", </m/20060501/http://b.example/>; rel="first memento"; datetime="Mon, 01 May 2006 00:00:00 GMT", </m/20070601/http://b.example/>; rel="prev memento"; datetime="Fri, 01 Jun 2007 00:00:00 GMT", </m/20080101/http://b.example/>; rel="last memento"; datetime="Tue, 01 Jan 2008 00:00:00 GMT", <ftp://a.example/x>; rel="memento"; datetime="Fri, 01 Jun 2007 00:00:00 GMT""#;
        let named = named_mementos([header], &base);
        assert_eq!(named.len(), 3, "the ftp memento is dropped: {named:#?}");
        let pick = |at: &str| closest(&named, date(at)).map(|m| m.url.path().to_owned());
        assert_eq!(
            pick("Thu, 03 May 2007 00:00:00 GMT").as_deref(),
            Some("/m/20070601/http://b.example/")
        );
        assert_eq!(
            pick("Sat, 01 Jan 2000 00:00:00 GMT").as_deref(),
            Some("/m/20060501/http://b.example/")
        );
        assert_eq!(
            pick("Wed, 01 Jan 2025 00:00:00 GMT").as_deref(),
            Some("/m/20080101/http://b.example/")
        );
        // Equally far: the earlier.
        let tie = named_mementos(
            [
                r#"</late>; rel="memento"; datetime="Fri, 03 Jan 2003 00:00:00 GMT", </early>; rel="memento"; datetime="Wed, 01 Jan 2003 00:00:00 GMT""#,
            ],
            &base,
        );
        assert_eq!(
            closest(&tie, date("Thu, 02 Jan 2003 00:00:00 GMT")).map(|m| m.url.path()),
            Some("/early")
        );
        // Without datetimes: the first.
        let undated = named_mementos([r#"</a>; rel="memento", </b>; rel="memento""#], &base);
        assert_eq!(
            closest(&undated, date("Thu, 02 Jan 2003 00:00:00 GMT")).map(|m| m.url.path()),
            Some("/a")
        );
        Ok(())
    }

    const TARGET: &str = "Thu, 03 May 2007 00:00:00 GMT";
    /// pywb 2.10's answers, as its TimeGate sent them for a capture of 2007-05-04 10:12:00
    /// (tests/it/pywb.rs runs the real thing).
    const PYWB_LINK: &str = r#"<http://old.test/doc.pdf>; rel="original", <http://127.0.0.1:8089/coll/http://old.test/doc.pdf>; rel="timegate", <http://127.0.0.1:8089/coll/timemap/link/http://old.test/doc.pdf>; rel="timemap"; type="application/link-format", <http://127.0.0.1:8089/coll/20070504101200mp_/http://old.test/doc.pdf>; rel="memento"; datetime="Fri, 04 May 2007 10:12:00 GMT""#;
    const PYWB_UNFRAMED_LINK: &str = r#"<http://old.test/doc.pdf>; rel="original", <http://127.0.0.1:8089/coll/http://old.test/doc.pdf>; rel="timegate", <http://127.0.0.1:8089/coll/timemap/link/http://old.test/doc.pdf>; rel="timemap"; type="application/link-format", <http://127.0.0.1:8089/coll/20070504101200/http://old.test/doc.pdf>; rel="memento"; datetime="Fri, 04 May 2007 10:12:00 GMT"; collection="coll""#;

    fn question() -> Url {
        Url::parse("http://127.0.0.1:8089/coll/http://old.test/doc.pdf").expect("a valid URL")
    }

    fn memento(url: &str, datetime: Option<&str>, status: Option<u16>) -> Negotiated {
        Negotiated::Memento {
            url: Url::parse(url).expect("a valid URL"),
            datetime: datetime.map(date),
            status,
        }
    }

    #[test]
    fn a_redirect_names_the_memento() {
        let q = question();
        let answer = GateAnswer {
            status: 307,
            location: Some("http://127.0.0.1:8089/coll/20070504101200/http://old.test/doc.pdf"),
            links: vec![PYWB_UNFRAMED_LINK],
            ..GateAnswer::default()
        };
        assert_eq!(
            negotiate(&q, &answer, date(TARGET)),
            Ok(memento(
                "http://127.0.0.1:8089/coll/20070504101200/http://old.test/doc.pdf",
                Some("Fri, 04 May 2007 10:12:00 GMT"),
                None
            ))
        );
        // Relative, and with no Link naming it: its datetime is to be asked.
        let bare = GateAnswer {
            status: 302,
            location: Some("/coll/2007/http://old.test/doc.pdf"),
            ..GateAnswer::default()
        };
        assert_eq!(
            negotiate(&q, &bare, date(TARGET)),
            Ok(memento(
                "http://127.0.0.1:8089/coll/2007/http://old.test/doc.pdf",
                None,
                None
            ))
        );
        // No Location: the Link's memento still answers.
        let linked = GateAnswer {
            status: 302,
            links: vec![PYWB_LINK],
            ..GateAnswer::default()
        };
        assert!(matches!(
            negotiate(&q, &linked, date(TARGET)),
            Ok(Negotiated::Memento { .. })
        ));
        let nothing = GateAnswer {
            status: 303,
            ..GateAnswer::default()
        };
        assert!(negotiate(&q, &nothing, date(TARGET)).is_err());
        let ftp = GateAnswer {
            status: 302,
            location: Some("ftp://127.0.0.1/x"),
            ..GateAnswer::default()
        };
        assert!(negotiate(&q, &ftp, date(TARGET)).is_err());
    }

    #[test]
    fn a_200_with_content_location_is_the_memento_at_that_location() {
        let q = question();
        let answer = GateAnswer {
            status: 200,
            content_location: Some(
                "http://127.0.0.1:8089/coll/20070504101200/http://old.test/doc.pdf",
            ),
            memento_datetime: Some("Fri, 04 May 2007 10:12:00 GMT"),
            links: vec![PYWB_UNFRAMED_LINK],
            ..GateAnswer::default()
        };
        assert_eq!(
            negotiate(&q, &answer, date(TARGET)),
            Ok(memento(
                "http://127.0.0.1:8089/coll/20070504101200/http://old.test/doc.pdf",
                Some("Fri, 04 May 2007 10:12:00 GMT"),
                Some(200)
            ))
        );
    }

    #[test]
    fn a_200_whose_link_names_mementos_gives_the_closest() {
        let q = question();
        let framed = GateAnswer {
            status: 200,
            links: vec![PYWB_LINK],
            ..GateAnswer::default()
        };
        assert_eq!(
            negotiate(&q, &framed, date(TARGET)),
            Ok(memento(
                "http://127.0.0.1:8089/coll/20070504101200mp_/http://old.test/doc.pdf",
                Some("Fri, 04 May 2007 10:12:00 GMT"),
                None
            ))
        );
        // Several Link headers, several mementos.
        let several = GateAnswer {
            status: 200,
            links: vec![
                r#"</coll/20010101000000/http://old.test/doc.pdf>; rel="first memento"; datetime="Mon, 01 Jan 2001 00:00:00 GMT""#,
                r#"</coll/20070601000000/http://old.test/doc.pdf>; rel="memento"; datetime="Fri, 01 Jun 2007 00:00:00 GMT", </coll/20090101000000/http://old.test/doc.pdf>; rel="last memento"; datetime="Thu, 01 Jan 2009 00:00:00 GMT""#,
            ],
            ..GateAnswer::default()
        };
        assert_eq!(
            negotiate(&q, &several, date(TARGET)),
            Ok(memento(
                "http://127.0.0.1:8089/coll/20070601000000/http://old.test/doc.pdf",
                Some("Fri, 01 Jun 2007 00:00:00 GMT"),
                None
            ))
        );
    }

    #[test]
    fn a_200_that_is_a_memento_without_content_location() {
        let q = question();
        let linked = GateAnswer {
            status: 200,
            memento_datetime: Some("Fri, 04 May 2007 10:12:00 GMT"),
            links: vec![PYWB_LINK],
            ..GateAnswer::default()
        };
        assert_eq!(
            negotiate(&q, &linked, date(TARGET)),
            Ok(memento(
                "http://127.0.0.1:8089/coll/20070504101200mp_/http://old.test/doc.pdf",
                Some("Fri, 04 May 2007 10:12:00 GMT"),
                Some(200)
            ))
        );
        let alone = GateAnswer {
            status: 200,
            memento_datetime: Some("Fri, 04 May 2007 10:12:00 GMT"),
            ..GateAnswer::default()
        };
        assert_eq!(
            negotiate(&q, &alone, date(TARGET)),
            Ok(memento(
                q.as_str(),
                Some("Fri, 04 May 2007 10:12:00 GMT"),
                Some(200)
            ))
        );
    }

    #[test]
    fn a_200_naming_no_memento_and_other_statuses() {
        let q = question();
        let bare = GateAnswer {
            status: 200,
            links: vec![r#"<http://old.test/doc.pdf>; rel="original""#],
            ..GateAnswer::default()
        };
        let err = negotiate(&q, &bare, date(TARGET)).err().unwrap_or_default();
        assert!(err.contains("without naming a memento"), "{err}");
        let gone = GateAnswer {
            status: 404,
            ..GateAnswer::default()
        };
        assert_eq!(negotiate(&q, &gone, date(TARGET)), Ok(Negotiated::None));
        let busy = GateAnswer {
            status: 503,
            ..GateAnswer::default()
        };
        assert_eq!(
            negotiate(&q, &busy, date(TARGET)),
            Err("the TimeGate answered HTTP 503".into())
        );
    }
}
