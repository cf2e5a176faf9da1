//! HTML → the links a page lists, each with its title and section. Pure: bytes or text in,
//! values out; no network, no disk.
//!
//! A link's section is the nearest preceding heading (h1–h6) or bold/strong line standing alone,
//! which is how pages like the bundled seed group "Related Documents" and "Related Links".

use ego_tree::NodeRef;
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use crate::model::Kind;

/// Where an href points once resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An http(s) URL, fragment stripped: what gets fetched.
    Http(Url),
    /// A valid URL of another scheme (mailto:, javascript:, ftp:, data:, file:, ...).
    Unsupported(Url),
    /// Not a URL even after resolution; the raw href.
    Invalid(String),
}

/// One link as listed on a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The attribute value as written (entities decoded by the parser).
    pub href: String,
    pub target: Target,
    /// Link text, trimmed and whitespace-collapsed (falling back to title/alt attributes).
    pub title: String,
    pub section: Option<String>,
    pub kind: Kind,
}

/// What a page says about itself and what it lists, in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub title: Option<String>,
    pub links: Vec<Link>,
}

/// Decodes an HTML body: charset from the Content-Type, else a BOM, else a `<meta>` in the first
/// 1024 bytes, else UTF-8 when valid, else windows-1252 (what browsers assume for old pages).
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let declared = content_type
        .and_then(charset_param)
        .or_else(|| encoding_rs::Encoding::for_bom(bytes).map(|(e, _)| e))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(1024)]));
    let encoding = declared.unwrap_or_else(|| match std::str::from_utf8(bytes) {
        Ok(_) => encoding_rs::UTF_8,
        Err(_) => encoding_rs::WINDOWS_1252,
    });
    encoding.decode(bytes).0.into_owned()
}

fn charset_param(content_type: &str) -> Option<&'static encoding_rs::Encoding> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| encoding_rs::Encoding::for_label(v.trim().trim_matches('"').as_bytes()))?
    })
}

fn meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + b"charset".len()..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest
                    .strip_prefix(b"\"")
                    .or(rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let label_end = rest
                    .iter()
                    .position(|b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(rest.len());
                if let Some(enc) = encoding_rs::Encoding::for_label(&rest[..label_end]) {
                    // A page cannot really be UTF-16 if its bytes parse as ASCII here.
                    return Some(
                        if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                            encoding_rs::UTF_8
                        } else {
                            enc
                        },
                    );
                }
            }
        }
        from = end;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Collapses runs of whitespace to one space and trims.
pub fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_of(el: ElementRef<'_>) -> String {
    collapse_ws(&el.text().collect::<String>())
}

/// Extracts every link of a page, resolved against `<base href>` and `page_url`.
pub fn extract(html: &str, page_url: &Url) -> Page {
    let doc = Html::parse_document(html);
    let base = Selector::parse("base[href]")
        .ok()
        .and_then(|sel| doc.select(&sel).next())
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let title = Selector::parse("title")
        .ok()
        .and_then(|sel| doc.select(&sel).next())
        .map(text_of)
        .filter(|t| !t.is_empty());

    let mut links = Vec::new();
    let mut section: Option<String> = None;
    for node in doc.root_element().descendants() {
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        let name = el.value().name();
        if is_heading(name) || (matches!(name, "b" | "strong") && stands_alone(el)) {
            let text = text_of(el);
            let text = text.trim_end_matches(':').trim_end();
            if !text.is_empty() {
                section = Some(text.to_owned());
            }
            continue;
        }
        let (attr, kind) = match name {
            "a" | "area" => ("href", Kind::Link),
            "iframe" | "embed" => ("src", Kind::Embed),
            "object" => ("data", Kind::Embed),
            _ => continue,
        };
        let Some(href) = el.value().attr(attr) else {
            continue;
        };
        let trimmed = href.trim();
        // In-page anchors and empty hrefs point back at the page itself.
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        links.push(Link {
            href: href.to_owned(),
            target: resolve(&base, trimmed),
            title: link_title(el),
            section: section.clone(),
            kind,
        });
    }
    Page { title, links }
}

/// Resolves an href; `Url::join` percent-encodes spaces and non-ASCII as browsers do.
pub fn resolve(base: &Url, href: &str) -> Target {
    match base.join(href) {
        Ok(mut url) if matches!(url.scheme(), "http" | "https") => {
            url.set_fragment(None);
            if url.host_str().is_none_or(str::is_empty) {
                Target::Invalid(href.to_owned())
            } else {
                Target::Http(url)
            }
        }
        Ok(url) => Target::Unsupported(url),
        Err(_) => Target::Invalid(href.to_owned()),
    }
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn link_title(el: ElementRef<'_>) -> String {
    let text = text_of(el);
    if !text.is_empty() {
        return text;
    }
    let attr = |name| {
        el.value()
            .attr(name)
            .map(collapse_ws)
            .filter(|s| !s.is_empty())
    };
    attr("title")
        .or_else(|| attr("aria-label"))
        .or_else(|| attr("alt"))
        .or_else(|| {
            let img = Selector::parse("img[alt]").ok()?;
            el.select(&img)
                .filter_map(|i| i.value().attr("alt"))
                .map(collapse_ws)
                .find(|s| !s.is_empty())
        })
        .or_else(|| attr("name"))
        .unwrap_or_default()
}

/// A bold line standing alone: nothing but whitespace, line breaks or block boundaries on either
/// side of it, and not itself inside a link.
fn stands_alone(el: ElementRef<'_>) -> bool {
    if text_of(el).is_empty() || el.ancestors().any(|a| is_element(a, "a")) {
        return false;
    }
    let alone = |mut sib: Option<NodeRef<'_, Node>>,
                 next: fn(NodeRef<'_, Node>) -> Option<NodeRef<'_, Node>>| {
        while let Some(n) = sib {
            match n.value() {
                Node::Text(t) if t.trim().is_empty() => sib = next(n),
                Node::Comment(_) => sib = next(n),
                Node::Element(e) => return is_block_or_break(e.name()),
                _ => return false,
            }
        }
        true
    };
    alone(el.prev_sibling(), |n| n.prev_sibling()) && alone(el.next_sibling(), |n| n.next_sibling())
}

fn is_element(node: NodeRef<'_, Node>, name: &str) -> bool {
    matches!(node.value(), Node::Element(e) if e.name() == name)
}

fn is_block_or_break(name: &str) -> bool {
    matches!(
        name,
        "br" | "hr"
            | "p"
            | "div"
            | "ul"
            | "ol"
            | "dl"
            | "table"
            | "section"
            | "article"
            | "blockquote"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> Page {
        extract(
            html,
            &Url::parse("http://example.org/ny/node/73?page=1").expect("constant URL"),
        )
    }

    fn http(link: &Link) -> &str {
        match &link.target {
            Target::Http(u) => u.as_str(),
            other => panic!("not http: {other:?}"),
        }
    }

    #[test]
    fn titles_sections_and_kinds() {
        let p = page(
            r#"<html><head><title> Seminar
               page </title></head><body>
            <h2>Related Documents:</h2>
            <p><a href="/docs/note.pdf">Information   note
               (pdf)</a></p>
            <p><strong>Related Links</strong></p>
            <a href="http://aoc.example/"><img src="x.png" alt="Alliance of Civilizations"></a>
            <iframe src="/embed/slides" title="Slides"></iframe>
            <object data="report.pdf"></object>
            <map><area href="/area" alt="Area link"></map>
            </body></html>"#,
        );
        assert_eq!(p.title.as_deref(), Some("Seminar page"));
        let got: Vec<_> = p
            .links
            .iter()
            .map(|l| (http(l), l.title.as_str(), l.section.as_deref(), l.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "http://example.org/docs/note.pdf",
                    "Information note (pdf)",
                    Some("Related Documents"),
                    Kind::Link
                ),
                (
                    "http://aoc.example/",
                    "Alliance of Civilizations",
                    Some("Related Links"),
                    Kind::Link
                ),
                (
                    "http://example.org/embed/slides",
                    "Slides",
                    Some("Related Links"),
                    Kind::Embed
                ),
                (
                    "http://example.org/ny/node/report.pdf",
                    "",
                    Some("Related Links"),
                    Kind::Embed
                ),
                (
                    "http://example.org/area",
                    "Area link",
                    Some("Related Links"),
                    Kind::Link
                ),
            ]
        );
    }

    #[test]
    fn bold_inside_a_sentence_is_not_a_section() {
        let p = page(
            r#"<body><b>Related Documents</b><br>
            <p>Read the <b>programme</b> first: <a href="/p.pdf">Programme</a></p></body>"#,
        );
        assert_eq!(p.links[0].section.as_deref(), Some("Related Documents"));
    }

    #[test]
    fn base_href_fragments_spaces_and_entities() {
        let p = page(
            r##"<head><base href="http://mirror.example/files/"></head><body>
            <a href="#top">top</a><a href="">self</a>
            <a href="annual report.pdf#page=2">Report</a>
            <a href="/q?a=1&amp;b=2">Query</a>
            <a href="caf&eacute;.html">Café</a>
            <a href="mailto:office@example.org">Mail</a>
            <a href="javascript:void(0)">Script</a>
            <a href="http://exa mple.org/">Broken</a>
            </body>"##,
        );
        let targets: Vec<_> = p.links.iter().map(|l| l.target.clone()).collect();
        assert_eq!(
            targets.len(),
            6,
            "fragment-only and empty hrefs are dropped: {targets:?}"
        );
        assert_eq!(
            http(&p.links[0]),
            "http://mirror.example/files/annual%20report.pdf"
        );
        assert_eq!(http(&p.links[1]), "http://mirror.example/q?a=1&b=2");
        assert_eq!(
            http(&p.links[2]),
            "http://mirror.example/files/caf%C3%A9.html"
        );
        assert!(matches!(&p.links[3].target, Target::Unsupported(u) if u.scheme() == "mailto"));
        assert!(matches!(&p.links[4].target, Target::Unsupported(u) if u.scheme() == "javascript"));
        assert!(matches!(&p.links[5].target, Target::Invalid(_)));
    }

    #[test]
    fn relative_base_is_resolved_against_the_page() {
        let p = page(r#"<base href="/mirror/"><a href="x.pdf">x</a>"#);
        assert_eq!(http(&p.links[0]), "http://example.org/mirror/x.pdf");
    }

    #[test]
    fn malformed_html_still_yields_its_links() {
        let p = page(
            "<html><body><h3>Docs<p><a href=/a.pdf>A<a href='/b.pdf'>B</b></i><table><tr><td><a href=\"/c\">C",
        );
        let urls: Vec<_> = p.links.iter().map(http).collect();
        assert_eq!(
            urls,
            vec![
                "http://example.org/a.pdf",
                "http://example.org/b.pdf",
                "http://example.org/c"
            ]
        );
    }

    #[test]
    fn windows_1252_pages_decode_by_header_meta_or_fallback() {
        // "Bauböck – Münz" in windows-1252: ö = F6, en dash = 96, ü = FC.
        let body = b"<a href=\"/x\">Baub\xf6ck \x96 M\xfcnz</a>";
        let want = "Bauböck – Münz";
        let by_header = decode(body, Some("text/html; charset=windows-1252"));
        let with_meta = [b"<meta charset=\"windows-1252\">".as_slice(), body].concat();
        let by_meta = decode(&with_meta, None);
        let by_fallback = decode(body, None);
        for html in [by_header, by_meta, by_fallback] {
            let p = page(&html);
            assert_eq!(p.links[0].title, want);
        }
        let utf8 = decode("<a href=\"/x\">Münz</a>".as_bytes(), None);
        assert_eq!(page(&utf8).links[0].title, "Münz");
        let http_equiv = [
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">"
                .as_slice(),
            body,
        ]
        .concat();
        assert_eq!(page(&decode(&http_equiv, None)).links[0].title, want);
    }
}
