//! Where the original URL sits in an archive's memento URLs, pure: the layout the Wayback Machine
//! and pywb share (`<prefix><timestamp><modifier>/<original URL>`), a memento's original (`id_`)
//! form, and the links of a recovered page that still point into an archive unwrapped to the
//! original URLs they stand for.
//!
//! The layouts met in the wild: `/web/20070504101112/http://…` (Wayback Machine),
//! `/<coll>/20070504101112/http://…` (pywb, maybe under a path: `/pywb/<coll>/…`), the
//! timestamp followed by a replay modifier (`id_`, `mp_`, `im_`, `js_`, `cs_`, `if_`, `fr_`,
//! `oe_`…), no timestamp at all (`/<coll>/http://…`, pywb's non-framed TimeGate page), the
//! original's `://` collapsed to `:/` by rewriters and servers that merge slashes, and (Wayback
//! only) no scheme (`/web/2007/example.com/x`).

use url::Url;

/// Hosts whose `/web/` paths are always the Wayback Machine's mementos, wherever a link to them
/// is found.
const WAYBACK_HOSTS: &[&str] = &["web.archive.org", "wayback.archive.org"];
/// The Wayback Machine's prefix.
const WAYBACK_PREFIX: &str = "/web/";
/// How many archives deep a link is unwrapped (a Wayback link on a page replayed by pywb is two).
const MAX_NESTING: usize = 4;

/// A memento URL's path taken apart.
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    /// Up to the timestamp (or to the original URL when there is none), `/` included: `/web/`,
    /// `/my-coll/`, `/pywb/my-coll/`.
    prefix: &'a str,
    /// The digits of the timestamp segment, when there is one.
    timestamp: Option<&'a str>,
    /// The path from the original URL's scheme on.
    original: &'a str,
}

/// The first place in `path` where an http(s) URL starts a segment, and what precedes it.
fn split(path: &str) -> Option<Parts<'_>> {
    let mut start = 1;
    while start < path.len() {
        let rest = &path[start..];
        if scheme_len(rest).is_some() {
            let before = &path[..start - 1];
            let seg_start = before.rfind('/').map_or(0, |i| i + 1);
            let segment = &before[seg_start..];
            return Some(match timestamp_segment(segment) {
                Some(timestamp) if seg_start > 0 => Parts {
                    prefix: &path[..seg_start],
                    timestamp,
                    original: rest,
                },
                _ => Parts {
                    prefix: &path[..start],
                    timestamp: None,
                    original: rest,
                },
            });
        }
        start += rest.find('/')? + 1;
    }
    None
}

/// The length of `http:` or `https:` (any case) at the start of `s`, when a `/` follows.
fn scheme_len(s: &str) -> Option<usize> {
    ["http:/", "https:/"]
        .iter()
        .find(|scheme| {
            s.get(..scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
        })
        .map(|scheme| scheme.len() - 1)
}

/// A timestamp segment: up to 14 digits, then maybe a replay modifier (two to four lowercase
/// letters and `_`), or a modifier alone. `Some(Some(digits))`, `Some(None)` for a modifier
/// alone, `None` for anything else.
fn timestamp_segment(segment: &str) -> Option<Option<&str>> {
    let digits = segment.bytes().take_while(u8::is_ascii_digit).count();
    let modifier = &segment[digits..];
    let is_modifier = modifier.is_empty()
        || modifier.strip_suffix('_').is_some_and(|m| {
            (2..=4).contains(&m.len()) && m.bytes().all(|b| b.is_ascii_lowercase())
        });
    match digits {
        0 if !modifier.is_empty() && is_modifier => Some(None),
        1..=14 if is_modifier => Some(Some(&segment[..digits])),
        _ => None,
    }
}

/// The memento in its original form: `…/<ts>id_/<url>` serves the bytes the archive captured,
/// without its banner and rewritten links, at the Wayback Machine and in pywb alike. Any
/// modifier the memento URL had (`mp_`, `im_`…) is replaced. A URL in no such shape (no
/// timestamp of 4 to 14 digits before an http(s) URL) is returned as is.
pub fn original_form(memento: &Url) -> Url {
    let path = memento.path();
    match split(path) {
        Some(Parts {
            prefix,
            timestamp: Some(ts),
            original,
        }) if ts.len() >= 4 => {
            let mut out = memento.clone();
            out.set_path(&format!("{prefix}{ts}id_/{original}"));
            out
        }
        _ => memento.clone(),
    }
}

/// The original URL written in `text` (from its scheme on, query included): `http://b/x`,
/// `http:/b/x`, or (`schemeless`) `b.example/x`, read as http.
fn original_url(text: &str, schemeless: bool) -> Option<Url> {
    let url = match scheme_len(text) {
        Some(len) => {
            let scheme = text[..len - 1].to_ascii_lowercase();
            let rest = text[len..].trim_start_matches('/');
            Url::parse(&format!("{scheme}://{rest}")).ok()?
        }
        None if schemeless => {
            let host = text.split(['/', '?']).next().unwrap_or_default();
            if !host.contains('.') {
                return None;
            }
            Url::parse(&format!("http://{text}")).ok()?
        }
        None => return None,
    };
    url.host_str().is_some_and(|h| !h.is_empty()).then_some(url)
}

/// Whether `a` and `b` are on the same host and port (default ports alike whatever the scheme,
/// as an archive's links may be http where its memento URL was https).
fn same_site(a: &Url, b: &Url) -> bool {
    a.host_str() == b.host_str()
        && (a.port_or_known_default() == b.port_or_known_default()
            || (a.port().is_none() && b.port().is_none()))
}

/// Unwraps the links of a page recovered from an archive that still point into an archive:
/// links on the archive's host (absolute or scheme-relative), links read against the page's
/// original URL that are in fact archive-relative (`/coll/2007mp_/http://…` read as
/// `http://old.example/coll/2007mp_/http://…`), both under the archive's own prefix, and links
/// into the Wayback Machine, wherever they are.
#[derive(Clone, Debug)]
pub struct ArchiveLinks {
    /// The memento the page was recovered from and its archive's prefix (`/coll/`, `/web/`).
    archive: Option<(Url, String)>,
}

impl ArchiveLinks {
    /// For a page recovered from `memento`.
    pub fn of(memento: &Url) -> ArchiveLinks {
        ArchiveLinks {
            archive: split(memento.path()).map(|p| (memento.clone(), p.prefix.to_owned())),
        }
    }

    /// The original URL `link` (as read from the page whose original URL is `page`) stands
    /// for, when it points into an archive: unwrapped as many times as archives are nested.
    pub fn original(&self, link: &Url, page: &Url) -> Option<Url> {
        let mut current = self.unwrap_once(link, page)?;
        for _ in 1..MAX_NESTING {
            match self.unwrap_once(&current, page) {
                Some(next) => current = next,
                None => break,
            }
        }
        Some(current)
    }

    /// Whether `link` is one of the archive's own pages (its banner, calendar, home, help):
    /// on the host the page was recovered from, or on the Wayback Machine's. Asked of a link
    /// [`ArchiveLinks::original`] could not unwrap, it marks the archive's navigation, which the
    /// original page never listed.
    pub fn is_archive_own(&self, link: &Url) -> bool {
        let wayback = link
            .host_str()
            .is_some_and(|h| WAYBACK_HOSTS.iter().any(|w| h.eq_ignore_ascii_case(w)));
        wayback
            || self
                .archive
                .as_ref()
                .is_some_and(|(memento, _)| same_site(link, memento))
    }

    fn unwrap_once(&self, link: &Url, page: &Url) -> Option<Url> {
        let wayback = link
            .host_str()
            .is_some_and(|h| WAYBACK_HOSTS.iter().any(|w| h.eq_ignore_ascii_case(w)));
        let prefix = match &self.archive {
            _ if wayback => WAYBACK_PREFIX,
            Some((memento, prefix)) if same_site(link, memento) || same_site(link, page) => {
                prefix.as_str()
            }
            _ => return None,
        };
        let rest = link.path().strip_prefix(prefix)?;
        let (timestamp, original) = match rest.split_once('/') {
            Some((segment, after)) => match timestamp_segment(segment) {
                Some(ts) => (ts, after),
                None => (None, rest),
            },
            None => (None, rest),
        };
        let text = match link.query() {
            Some(q) => format!("{original}?{q}"),
            None => original.to_owned(),
        };
        // Only the Wayback Machine writes an original URL without its scheme, and always after
        // a timestamp.
        original_url(&text, timestamp.is_some() && prefix == WAYBACK_PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("a valid URL")
    }

    #[test]
    fn original_forms() {
        for (memento, original) in [
            (
                "http://web.archive.org/web/20070504101112/http://example.com/a%20b.pdf?x=1",
                "http://web.archive.org/web/20070504101112id_/http://example.com/a%20b.pdf?x=1",
            ),
            (
                "http://127.0.0.1:9/web/2007im_/http://example.com/",
                "http://127.0.0.1:9/web/2007id_/http://example.com/",
            ),
            (
                "http://127.0.0.1:8080/my-coll/20070504101112/http://example.com/x?y=1",
                "http://127.0.0.1:8080/my-coll/20070504101112id_/http://example.com/x?y=1",
            ),
            // pywb's framed replay names its mementos with mp_.
            (
                "http://127.0.0.1:8080/coll/20070504101200mp_/http://old.test/doc.pdf",
                "http://127.0.0.1:8080/coll/20070504101200id_/http://old.test/doc.pdf",
            ),
            (
                "http://127.0.0.1:8080/pywb/coll/20070504101200/https://old.test/",
                "http://127.0.0.1:8080/pywb/coll/20070504101200id_/https://old.test/",
            ),
            (
                "http://a.test/web/20070504101112js_/http:/old.test/x.js",
                "http://a.test/web/20070504101112id_/http:/old.test/x.js",
            ),
            (
                "http://a.test/web/20070504101112id_/http://old.test/",
                "http://a.test/web/20070504101112id_/http://old.test/",
            ),
        ] {
            assert_eq!(original_form(&url(memento)).as_str(), original, "{memento}");
        }
        // No timestamp of 4 digits or more before the original URL: left as is.
        for other in [
            "http://archive.test/item/2007/notes.pdf",
            "http://127.0.0.1:8080/coll/http://old.test/doc.pdf",
            "http://127.0.0.1:8080/coll/20/http://old.test/doc.pdf",
            "http://127.0.0.1:8080/coll/mp_/http://old.test/doc.pdf",
        ] {
            assert_eq!(original_form(&url(other)).as_str(), other);
        }
    }

    #[test]
    fn paths_taken_apart() {
        assert_eq!(
            split("/coll/20070504101112mp_/http://b/x"),
            Some(Parts {
                prefix: "/coll/",
                timestamp: Some("20070504101112"),
                original: "http://b/x",
            })
        );
        assert_eq!(
            split("/coll/http://b/x"),
            Some(Parts {
                prefix: "/coll/",
                timestamp: None,
                original: "http://b/x",
            })
        );
        assert_eq!(
            split("/coll/id_/HTTPS:/b/x"),
            Some(Parts {
                prefix: "/coll/",
                timestamp: None,
                original: "HTTPS:/b/x",
            })
        );
        assert_eq!(split("/docs/http-notes.pdf"), None);
        assert_eq!(split("/"), None);
        assert_eq!(split(""), None);
    }

    /// A page recovered from pywb's collection `coll` on 127.0.0.1:8089, originally at
    /// http://old.test:8000/ny/page.html.
    fn pywb_page() -> (ArchiveLinks, Url) {
        (
            ArchiveLinks::of(&url(
                "http://127.0.0.1:8089/coll/20070504101112mp_/http://old.test:8000/ny/page.html",
            )),
            url("http://old.test:8000/ny/page.html"),
        )
    }

    #[test]
    fn every_layout_pywb_writes_is_unwrapped_to_the_original() {
        let (links, page) = pywb_page();
        for (resolved, original) in [
            // Host-relative, read against the page's original URL.
            (
                "http://old.test:8000/coll/2007mp_/http://old.test:8000/docs/a.pdf",
                "http://old.test:8000/docs/a.pdf",
            ),
            // Absolute, on the archive's host, for every modifier.
            (
                "http://127.0.0.1:8089/coll/20070504101112/http://old.test:8000/b.html",
                "http://old.test:8000/b.html",
            ),
            (
                "http://127.0.0.1:8089/coll/20070504101112id_/http://old.test:8000/b.html",
                "http://old.test:8000/b.html",
            ),
            (
                "http://127.0.0.1:8089/coll/2007im_/http://old.test:8000/i.png",
                "http://old.test:8000/i.png",
            ),
            (
                "http://127.0.0.1:8089/coll/2007js_/http://old.test:8000/s.js",
                "http://old.test:8000/s.js",
            ),
            (
                "http://127.0.0.1:8089/coll/2007cs_/http://old.test:8000/s.css",
                "http://old.test:8000/s.css",
            ),
            (
                "http://127.0.0.1:8089/coll/2007if_/http://old.test:8000/f.html",
                "http://old.test:8000/f.html",
            ),
            (
                "http://127.0.0.1:8089/coll/2007fr_/http://old.test:8000/f.html",
                "http://old.test:8000/f.html",
            ),
            (
                "http://127.0.0.1:8089/coll/2007oe_/http://old.test:8000/o.swf",
                "http://old.test:8000/o.swf",
            ),
            // No timestamp: pywb's non-framed TimeGate page.
            (
                "http://old.test:8000/coll/http://old.test:8000/docs/a.pdf",
                "http://old.test:8000/docs/a.pdf",
            ),
            // Modifier alone.
            (
                "http://127.0.0.1:8089/coll/mp_/https://other.test/x",
                "https://other.test/x",
            ),
            // `://` collapsed to `:/`, any case, with a query.
            (
                "http://127.0.0.1:8089/coll/2007/http:/old.test:8000/q?a=1&b=2",
                "http://old.test:8000/q?a=1&b=2",
            ),
            (
                "http://127.0.0.1:8089/coll/2007/HTTPS://Other.Test/P",
                "https://other.test/P",
            ),
        ] {
            assert_eq!(
                links.original(&url(resolved), &page).map(String::from),
                Some(original.to_owned()),
                "{resolved}"
            );
        }
    }

    #[test]
    fn every_layout_the_wayback_machine_writes_is_unwrapped_to_the_original() {
        let page = url("http://www.unitar.org/ny/node/73");
        let links = ArchiveLinks::of(&url(
            "https://web.archive.org/web/20070504000000/http://www.unitar.org/ny/node/73",
        ));
        for (resolved, original) in [
            // Host-relative, read against the page's original URL.
            (
                "http://www.unitar.org/web/20070101000000/http://www.unesco.org/qa.pdf",
                "http://www.unesco.org/qa.pdf",
            ),
            // Scheme-relative (`//web.archive.org/web/…` read against an http page) and
            // absolute https.
            (
                "http://web.archive.org/web/20070101000000id_/http://www.unesco.org/qa.pdf",
                "http://www.unesco.org/qa.pdf",
            ),
            (
                "https://web.archive.org/web/2007/https://www.unesco.org/qa.pdf",
                "https://www.unesco.org/qa.pdf",
            ),
            (
                "https://web.archive.org/web/20070101000000im_/http://www.unesco.org/logo.gif",
                "http://www.unesco.org/logo.gif",
            ),
            (
                "https://web.archive.org/web/20070101000000/http:/www.unesco.org/qa.pdf",
                "http://www.unesco.org/qa.pdf",
            ),
            // No scheme.
            (
                "https://web.archive.org/web/20070101000000/www.unesco.org/qa.pdf",
                "http://www.unesco.org/qa.pdf",
            ),
        ] {
            assert_eq!(
                links.original(&url(resolved), &page).map(String::from),
                Some(original.to_owned()),
                "{resolved}"
            );
        }
    }

    #[test]
    fn nested_archives_are_unwrapped_through() {
        let (links, page) = pywb_page();
        // A 2007 page that linked into the Wayback Machine, replayed by pywb.
        let nested = url(
            "http://old.test:8000/coll/2007mp_/http://web.archive.org/web/2005/http://old.test:8000/old.pdf",
        );
        assert_eq!(
            links.original(&nested, &page).map(String::from),
            Some("http://old.test:8000/old.pdf".to_owned())
        );
        // A Wayback link on a page from any archive.
        let other = ArchiveLinks::of(&url("http://archive.test/item/notes.html"));
        assert_eq!(
            other
                .original(
                    &url("http://web.archive.org/web/2005/http://b.test/x"),
                    &page
                )
                .map(String::from),
            Some("http://b.test/x".to_owned())
        );
    }

    #[test]
    fn links_that_are_not_into_an_archive_are_left_alone() {
        let (links, page) = pywb_page();
        for plain in [
            // The page's own links.
            "http://old.test:8000/docs/a.pdf",
            "http://old.test:8000/ny/programme.pdf",
            // Another prefix on the archive's host: not a memento of this archive.
            "http://127.0.0.1:8089/other/2007/http://old.test:8000/a.pdf",
            "http://127.0.0.1:8089/static/wombat.js",
            "http://127.0.0.1:8089/coll/",
            // The same layout on a third host: a redirect script, maybe, not the archive.
            "http://third.test/coll/2007/http://old.test:8000/a.pdf",
            // The archive's host on another port.
            "http://127.0.0.1:8090/coll/2007/http://old.test:8000/a.pdf",
            // A timestamp, but no original URL after it.
            "http://127.0.0.1:8089/coll/2007/notes.pdf",
            "http://127.0.0.1:8089/coll/2007/http://",
            // The Wayback host outside /web/.
            "https://web.archive.org/details/something",
        ] {
            assert_eq!(links.original(&url(plain), &page), None, "{plain}");
        }
        // A page from an archive with no such layout: only Wayback links are unwrapped.
        let other = ArchiveLinks::of(&url("http://archive.test/item/notes.html"));
        assert_eq!(
            other.original(&url("http://archive.test/coll/2007/http://b.test/"), &page),
            None
        );
    }
}
