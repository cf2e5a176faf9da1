//! HTML → the links a page lists, each with its title and section. Pure: bytes or text in,
//! values out; no network, no disk.
//!
//! A link's section is the nearest preceding heading (h1–h6) or bold/strong line standing alone,
//! which is how pages like the bundled seed group "Related Documents" and "Related Links".

use std::collections::HashMap;

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
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
    /// Who publishes the page, when its `<meta>` tags say: see [`publisher`].
    pub publisher: Option<String>,
    pub links: Vec<Link>,
}

/// Decodes an HTML body: charset from the Content-Type, else a BOM, else a `<meta>` in the first
/// 1024 bytes, else UTF-8 when valid, else windows-1252 (what browsers assume for old pages).
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    encoding_of(bytes, content_type)
        .decode(bytes)
        .0
        .into_owned()
}

/// The encoding `decode` reads `bytes` with.
pub fn encoding_of(bytes: &[u8], content_type: Option<&str>) -> &'static encoding_rs::Encoding {
    let declared = content_type
        .and_then(charset_param)
        .or_else(|| encoding_rs::Encoding::for_bom(bytes).map(|(e, _)| e))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(1024)]));
    declared.unwrap_or_else(|| match std::str::from_utf8(bytes) {
        Ok(_) => encoding_rs::UTF_8,
        Err(_) => encoding_rs::WINDOWS_1252,
    })
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

/// Most bytes of raw text a title or section heading is read from: real ones are far shorter,
/// and the cap keeps nested hostile markup (thousands of bold elements inside each other, each a
/// heading candidate) linear in the page.
pub const MAX_TITLE_BYTES: usize = 4096;
/// Most descendants searched for an image's `alt` when a link has no text.
const MAX_ALT_SEARCH: usize = 1024;

/// Every element's text, without collecting it per element: all text of the document in order,
/// and each element's span of it. Built in one iterative pass (no recursion, so any depth is
/// safe on any thread's stack).
struct Texts {
    all: String,
    /// Element → (start, end) byte offsets into `all`, and whether any text node in it has a
    /// non-whitespace character.
    spans: HashMap<NodeId, (usize, usize, bool)>,
}

impl Texts {
    fn of(root: NodeRef<'_, Node>) -> Texts {
        let mut all = String::new();
        let mut spans = HashMap::new();
        let mut open: Vec<(NodeId, usize, usize)> = Vec::new();
        let mut non_blank = 0usize;
        for edge in root.traverse() {
            match edge {
                Edge::Open(n) => match n.value() {
                    Node::Text(t) => {
                        all.push_str(t);
                        if t.chars().any(|c| !c.is_whitespace()) {
                            non_blank += 1;
                        }
                    }
                    Node::Element(_) => open.push((n.id(), all.len(), non_blank)),
                    _ => {}
                },
                Edge::Close(n) => {
                    if let Node::Element(_) = n.value()
                        && let Some((id, start, blank_before)) = open.pop()
                    {
                        spans.insert(id, (start, all.len(), non_blank > blank_before));
                    }
                }
            }
        }
        Texts { all, spans }
    }

    /// The element's text, whitespace collapsed, read from at most `MAX_TITLE_BYTES`.
    fn of_element(&self, el: ElementRef<'_>) -> String {
        match self.spans.get(&el.id()) {
            Some(&(start, end, true)) => {
                let mut cut = end.min(start + MAX_TITLE_BYTES);
                while !self.all.is_char_boundary(cut) {
                    cut -= 1;
                }
                collapse_ws(&self.all[start..cut])
            }
            _ => String::new(),
        }
    }
}

/// The page's `<base href>`, resolved against `page_url`, when it has one that is an http(s)
/// URL: for a saved copy, where the page was saved from (or near it).
pub fn base_href(html: &str, page_url: &Url) -> Option<Url> {
    base_of(&Html::parse_document(html), page_url)
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

fn base_of(doc: &Html, page_url: &Url) -> Option<Url> {
    Selector::parse("base[href]")
        .ok()
        .and_then(|sel| doc.select(&sel).next())
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
}

/// Extracts every link of a page, resolved against `<base href>` and `page_url`. Linear in the
/// page: one pass for the text, one for the links, none recursive.
pub fn extract(html: &str, page_url: &Url) -> Page {
    let doc = Html::parse_document(html);
    let base = base_of(&doc, page_url).unwrap_or_else(|| page_url.clone());
    let texts = Texts::of(*doc.root_element());
    let title = Selector::parse("title")
        .ok()
        .and_then(|sel| doc.select(&sel).next())
        .map(|el| texts.of_element(el))
        .filter(|t| !t.is_empty());

    let mut links = Vec::new();
    let mut section: Option<String> = None;
    // Open `<a>` elements around the current node: a bold line inside a link is no heading.
    let mut in_links = 0usize;
    for edge in doc.root_element().traverse() {
        let node = match edge {
            Edge::Open(node) => node,
            Edge::Close(node) => {
                if is_element(node, "a") {
                    in_links -= 1;
                }
                continue;
            }
        };
        let Some(el) = ElementRef::wrap(node) else {
            continue;
        };
        let name = el.value().name();
        if name == "a" {
            in_links += 1;
        }
        if is_heading(name)
            || (matches!(name, "b" | "strong") && in_links == 0 && stands_alone(el, &texts))
        {
            let text = texts.of_element(el);
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
            title: link_title(el, &texts),
            section: section.clone(),
            kind,
        });
    }
    Page {
        title,
        publisher: publisher(&doc),
        links,
    }
}

/// The page's publisher as its `<meta>` tags say, the first found of: Open Graph's site name
/// (`property="og:site_name"`), Dublin Core's publisher (`name="DC.publisher"` or
/// `"dcterms.publisher"`), the page's author (`name="author"`). Names match case-insensitively;
/// the content is whitespace-collapsed and read from at most `MAX_TITLE_BYTES`.
fn publisher(doc: &Html) -> Option<String> {
    const KEYS: [&str; 4] = [
        "og:site_name",
        "dc.publisher",
        "dcterms.publisher",
        "author",
    ];
    let sel = Selector::parse("meta[content]").ok()?;
    let mut best: Option<(usize, String)> = None;
    for meta in doc.select(&sel) {
        let el = meta.value();
        let key = el
            .attr("property")
            .or_else(|| el.attr("name"))
            .unwrap_or("");
        let Some(rank) = KEYS.iter().position(|k| key.trim().eq_ignore_ascii_case(k)) else {
            continue;
        };
        if best.as_ref().is_some_and(|(r, _)| *r <= rank) {
            continue;
        }
        let content = el.attr("content").unwrap_or("");
        let mut cut = content.len().min(MAX_TITLE_BYTES);
        while !content.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = collapse_ws(&content[..cut]);
        if !text.is_empty() {
            best = Some((rank, text));
        }
    }
    best.map(|(_, text)| text)
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

fn link_title(el: ElementRef<'_>, texts: &Texts) -> String {
    let text = texts.of_element(el);
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
            el.descendants()
                .take(MAX_ALT_SEARCH)
                .filter_map(ElementRef::wrap)
                .filter(|i| i.value().name() == "img")
                .filter_map(|i| i.value().attr("alt"))
                .map(collapse_ws)
                .find(|s| !s.is_empty())
        })
        .or_else(|| attr("name"))
        .unwrap_or_default()
}

/// A bold line standing alone: nothing but whitespace, line breaks or block boundaries on either
/// side of it (the caller knows it is not inside a link).
fn stands_alone(el: ElementRef<'_>, texts: &Texts) -> bool {
    if !texts.spans.get(&el.id()).is_some_and(|s| s.2) {
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
pub(crate) mod tests {
    use super::*;

    fn page(html: &str) -> Page {
        extract(
            html,
            &Url::parse("http://example.org/ny/node/73?page=1").expect("constant URL"),
        )
    }

    #[test]
    fn the_publisher_is_the_site_name_else_dublin_cores_else_the_author() {
        let head = |metas: &str| page(&format!("<html><head>{metas}</head><body></body></html>"));
        assert_eq!(head("").publisher, None);
        assert_eq!(
            head(r#"<meta name="Author" content=" Jane   Doe ">"#)
                .publisher
                .as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(
            head(concat!(
                r#"<meta name="author" content="Jane Doe">"#,
                r#"<meta name="DC.Publisher" content="UNITAR">"#,
            ))
            .publisher
            .as_deref(),
            Some("UNITAR")
        );
        assert_eq!(
            head(concat!(
                r#"<meta name="author" content="Jane Doe">"#,
                r#"<meta property="og:site_name" content="UNITAR New York Office">"#,
                r#"<meta name="dcterms.publisher" content="UNITAR">"#,
            ))
            .publisher
            .as_deref(),
            Some("UNITAR New York Office")
        );
        assert_eq!(head(r#"<meta name="author" content="  ">"#).publisher, None);
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
    fn base_href_is_an_http_url_or_nothing() {
        let file = Url::parse("file:///home/me/saved.html").expect("a URL");
        let base = |html: &str| base_href(html, &file).map(|u| u.to_string());
        assert_eq!(
            base(r#"<base href=" http://old.example/ny/page.html ">"#).as_deref(),
            Some("http://old.example/ny/page.html")
        );
        assert_eq!(base(r#"<base href="/mirror/">"#), None);
        assert_eq!(base("<p>no base</p>"), None);
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

    /// A page nested `depth` deep in bold elements, each with its own words, then a link.
    pub(crate) fn nested_bold(depth: usize) -> String {
        let mut html = String::from("<html><body>");
        for i in 0..depth {
            html.push_str(&format!("<b>level {i} "));
        }
        html.push_str("<a href=\"/deep.pdf\">Deep report</a>");
        html.push_str(&"</b>".repeat(depth));
        html.push_str("</body></html>");
        html
    }

    /// Runs `f` on a thread with a small stack: recursion over a deep tree would overflow it.
    pub(crate) fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(f)
            .expect("spawn a thread")
            .join()
            .expect("no stack overflow")
    }

    /// Issue 14: 20,000 nested bold elements killed a tokio worker with a stack overflow and
    /// took 20 s on the main thread (each bold re-collected all the text below it).
    #[test]
    fn deep_nesting_is_read_without_recursion_and_titles_are_capped() {
        let html = nested_bold(20_000);
        let p = on_small_stack(move || page(&html));
        assert_eq!(p.links.len(), 1);
        assert_eq!(p.links[0].title, "Deep report");
        let section = p.links[0].section.as_deref().expect("a section");
        assert!(section.starts_with("level 0 level 1 "), "{section:.80}");
        assert!(section.len() <= MAX_TITLE_BYTES, "{}", section.len());
    }

    #[test]
    fn a_bold_line_inside_a_link_is_not_a_section() {
        let p = page(
            "<h2>Documents</h2><p><a href=\"/a\"><b>Bold title</b></a></p>\
             <p><a href=\"/b\">Next</a></p><p><b>Links</b></p><p><a href=\"/c\">C</a></p>",
        );
        let got: Vec<_> = p.links.iter().map(|l| l.section.as_deref()).collect();
        assert_eq!(got, [Some("Documents"), Some("Documents"), Some("Links")]);
        assert_eq!(p.links[0].title, "Bold title");
    }
}
