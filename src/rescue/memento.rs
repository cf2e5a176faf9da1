//! Memento (RFC 7089), pure: a TimeGate's URL for a resource, the `Accept-Datetime` it is asked
//! with, and the datetimes of mementos in `Memento-Datetime` and `Link` headers.

use chrono::{DateTime, Utc};
use url::Url;

/// The TimeGate URL for `url`: the gate's URL with the resource's URL appended, the convention
/// of every public TimeGate (`https://web.archive.org/web/`, `http://timetravel.mementoweb.org/timegate/`).
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

/// The datetime a `Link` header gives the memento `target` (a link whose rel includes
/// `memento`), resolving relative links against `base`.
pub fn link_datetime(link: &str, target: &Url, base: &Url) -> Option<DateTime<Utc>> {
    for entry in split_links(link) {
        let Some((uri, params)) = entry
            .trim()
            .strip_prefix('<')
            .and_then(|e| e.split_once('>'))
        else {
            continue;
        };
        if base.join(uri.trim()).ok().as_ref() != Some(target) {
            continue;
        }
        let mut is_memento = false;
        let mut datetime = None;
        for param in split_params(params) {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "rel" => is_memento = value.split_whitespace().any(|r| r == "memento"),
                "datetime" => datetime = parse_http_date(value),
                _ => {}
            }
        }
        if is_memento && datetime.is_some() {
            return datetime;
        }
    }
    None
}

/// Splits a Link header at the commas between links, not those inside quotes or `<…>`.
fn split_links(header: &str) -> Vec<&str> {
    split_outside(header, ',')
}

fn split_params(params: &str) -> Vec<&str> {
    split_outside(params, ';')
}

fn split_outside(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quoted, mut angled, mut start) = (false, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            c if c == sep && !quoted && !angled => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timegate_urls_and_dates() -> Result<(), url::ParseError> {
        let gate = Url::parse("http://127.0.0.1:8/timegate/")?;
        assert_eq!(
            timegate_url(&gate, "http://example.com/a.pdf?x=1")?.as_str(),
            "http://127.0.0.1:8/timegate/http://example.com/a.pdf?x=1"
        );
        let at =
            parse_http_date("Thu, 03 May 2007 00:00:00 GMT").ok_or(url::ParseError::EmptyHost)?;
        assert_eq!(http_date(at), "Thu, 03 May 2007 00:00:00 GMT");
        Ok(())
    }

    #[test]
    fn datetime_from_a_link_header() -> Result<(), url::ParseError> {
        let base = Url::parse("http://a.example/timegate/http://b.example/")?;
        let memento = Url::parse("http://a.example/m/2007/http://b.example/")?;
        let link = r#"<http://b.example/>; rel="original", <http://a.example/m/2006/http://b.example/>; rel="first memento"; datetime="Mon, 01 May 2006 00:00:00 GMT", </m/2007/http://b.example/>; rel="memento"; datetime="Fri, 04 May 2007 10:11:12 GMT""#;
        assert_eq!(
            link_datetime(link, &memento, &base).map(|d| d.to_rfc3339()),
            Some("2007-05-04T10:11:12+00:00".into())
        );
        assert_eq!(link_datetime("<x>; rel=original", &memento, &base), None);
        Ok(())
    }
}
