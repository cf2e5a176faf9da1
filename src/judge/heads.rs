//! A page's title and main heading from a token scan, without building its tree or collecting
//! its text: on a page's first sight the soft-404 title rule needs only these two, and building
//! the tree and fingerprinting the text of every new page was a fifth of a first run's CPU. The
//! scan stops as soon as it has a title and an `h1`. It reads them as `page_text::title_and_heading`
//! does from a parsed tree (the first non-empty `<title>`, the first non-empty `h1`, else `h2`).

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use crate::archive::Held;

use super::fingerprint::{Heads, MAX_PARSE_BYTES, SNIFF_BYTES, TextKind, kind_of};
use crate::extract::{MAX_TITLE_BYTES, collapse_ws};

/// Decoded text fed to the tokenizer at a time: the scan can stop between two.
const FEED_CHARS: usize = 16 * 1024;

/// Which element's text is being collected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    H1,
    H2,
}

#[derive(Default)]
struct Scan {
    title: Option<String>,
    h1: Option<String>,
    h2: Option<String>,
    /// The element open now whose text is wanted, and the text so far.
    open: Option<(Field, String)>,
}

impl Scan {
    fn done(&self) -> bool {
        self.title.is_some() && self.h1.is_some()
    }

    fn wanted(&self, field: Field) -> bool {
        match field {
            Field::Title => self.title.is_none(),
            Field::H1 => self.h1.is_none(),
            Field::H2 => self.h1.is_none() && self.h2.is_none(),
        }
    }

    /// Closes the open element: its text counts when it is not blank.
    fn close(&mut self) {
        if let Some((field, text)) = self.open.take() {
            let text = collapse_ws(&text);
            if text.is_empty() {
                return;
            }
            let slot = match field {
                Field::Title => &mut self.title,
                Field::H1 => &mut self.h1,
                Field::H2 => &mut self.h2,
            };
            slot.get_or_insert(text);
        }
    }

    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let field = match name {
            "title" => Some(Field::Title),
            "h1" => Some(Field::H1),
            "h2" => Some(Field::H2),
            _ => None,
        };
        match tag.kind {
            TagKind::StartTag => {
                if let Some(field) = field {
                    // A heading opened inside another (unclosed) one ends it, as the tree builder
                    // would; a title never contains tags.
                    self.close();
                    if self.wanted(field) && !tag.self_closing {
                        self.open = Some((field, String::new()));
                    }
                }
                // The states the tree builder switches the tokenizer into, so that the text of
                // a script or a style is not read as markup.
                match name {
                    "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                        TokenSinkResult::RawData(RawKind::Rawtext)
                    }
                    "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                }
            }
            TagKind::EndTag => {
                if field.is_some() && self.open.as_ref().map(|(f, _)| Some(*f)) == Some(field) {
                    self.close();
                }
                TokenSinkResult::Continue
            }
        }
    }
}

struct Sink(RefCell<Scan>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut scan = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => scan.tag(&tag),
            Token::CharacterTokens(text) => {
                if let Some((_, buf)) = scan.open.as_mut()
                    && buf.len() < MAX_TITLE_BYTES
                {
                    buf.push_str(&text);
                }
                TokenSinkResult::Continue
            }
            Token::EOFToken => {
                scan.close();
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

/// The title and main heading of the HTML page in `text`.
pub fn scan_heads(text: &str) -> Heads {
    let tokenizer = Tokenizer::new(
        Sink(RefCell::new(Scan::default())),
        TokenizerOpts::default(),
    );
    let queue = BufferQueue::default();
    let mut rest = text;
    while !rest.is_empty() && !tokenizer.sink.0.borrow().done() {
        let mut cut = rest.len().min(FEED_CHARS);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (chunk, after) = rest.split_at(cut);
        queue.push_back(StrTendril::from_slice(chunk));
        let _ = tokenizer.feed(&queue);
        rest = after;
    }
    if rest.is_empty() {
        tokenizer.end();
    }
    let mut scan = tokenizer.sink.0.into_inner();
    scan.close();
    (scan.title, scan.h1.or(scan.h2))
}

/// The heads of a body just downloaded when it is an HTML page (from its type and first bytes,
/// as `fingerprint::kind_of` says), else `None`: one read, if it is in a file, for both
/// questions. A page over `MAX_PARSE_BYTES` has no heads.
pub fn page_heads(body: &Held, content_type: Option<&str>) -> std::io::Result<Option<Heads>> {
    match body {
        Held::File(path) => file_page_heads(path, content_type),
        Held::Memory(bytes) => Ok(bytes_page_heads(bytes, content_type)),
    }
}

fn file_page_heads(path: &Path, content_type: Option<&str>) -> std::io::Result<Option<Heads>> {
    let mut file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut bytes)?;
    if kind_of(content_type, &bytes) != TextKind::Html {
        return Ok(None);
    }
    file.take(MAX_PARSE_BYTES + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)?;
    Ok(bytes_page_heads(&bytes, content_type))
}

fn bytes_page_heads(bytes: &[u8], content_type: Option<&str>) -> Option<Heads> {
    if kind_of(content_type, &bytes[..bytes.len().min(SNIFF_BYTES)]) != TextKind::Html {
        return None;
    }
    if bytes.len() as u64 > MAX_PARSE_BYTES {
        return Some((None, None));
    }
    Some(heads_of_bytes(bytes, content_type))
}

/// `scan_heads` of a page's bytes.
fn heads_of_bytes(bytes: &[u8], content_type: Option<&str>) -> Heads {
    let encoding = crate::extract::encoding_of(bytes, content_type);
    // In an encoding where markup is ASCII, a page without the bytes `<title`, `<h1` or `<h2`
    // (in any case) has neither: it is not decoded at all (decoding was the scan's main cost).
    if encoding.is_ascii_compatible() && !may_hold_heads(bytes) {
        return (None, None);
    }
    scan_heads(&encoding.decode(bytes).0)
}

/// Whether `bytes` hold a `<` followed by `title`, `h1` or `h2` in any case: what every start
/// tag the scan looks for begins with.
fn may_hold_heads(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'<', bytes).any(|at| {
        let rest = &bytes[at + 1..];
        let starts =
            |name: &[u8]| rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name);
        starts(b"title") || starts(b"h1") || starts(b"h2")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::page_text::title_and_heading;

    /// `page_heads`, with no heads for a body that is not a page. The same bytes held in memory
    /// must read the same.
    fn scan_heads_file(path: &Path, content_type: Option<&str>) -> std::io::Result<Heads> {
        let from_file = file_page_heads(path, content_type)?;
        let in_memory = Held::Memory(std::sync::Arc::new(std::fs::read(path)?));
        assert_eq!(page_heads(&in_memory, content_type)?, from_file);
        Ok(from_file.unwrap_or_default())
    }

    #[test]
    fn a_body_that_is_not_a_page_has_no_heads_wherever_it_is_held() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let (pdf, big) = (dir.path().join("pdf"), dir.path().join("big"));
        std::fs::write(&pdf, b"%PDF-1.4 <title>not a page</title>")?;
        assert_eq!(file_page_heads(&pdf, Some("application/pdf"))?, None);
        scan_heads_file(&pdf, Some("application/pdf"))?;
        let mut page = b"<title>Not found</title>".to_vec();
        page.resize(MAX_PARSE_BYTES as usize + 1, b' ');
        std::fs::write(&big, page)?;
        assert_eq!(scan_heads_file(&big, Some("text/html"))?, (None, None));
        Ok(())
    }

    /// The scan reads what the tree does, on pages that make the two differ if anything does.
    #[test]
    fn the_scan_reads_what_the_parsed_tree_says() {
        let pages = [
            "<html><head><title>Page not found</title></head><body><h1>Oops</h1></body></html>",
            "<title>  Seite   nicht\ngefunden </title><h2>Fehler 404</h2><p>text</p>",
            "<h1><span>Not</span> <b>found</b></h1><title>late title</title>",
            "<title></title><title>second</title><h1> </h1><h1>Real heading</h1>",
            "<script>document.write('<h1>fake</h1><title>fake</title>')</script><h1>real</h1>",
            "<style>h1{}</style><title>a &amp; b &lt;c&gt;</title>",
            "<h2>only an h2</h2><h2>another</h2>",
            "<textarea><h1>not a heading</h1></textarea><h1>heading</h1>",
            "<!-- <title>commented</title> --><title>kept</title>",
            "<h1>unclosed heading<h1>second</h1>",
            "no markup at all",
            "",
        ];
        for page in pages {
            assert_eq!(scan_heads(page), title_and_heading(page), "{page:?}");
        }
    }

    #[test]
    fn a_page_without_title_or_heading_tags_is_not_decoded() {
        assert!(!may_hold_heads(b"<p>plain</p><H3>three</H3><ti"));
        assert!(may_hold_heads(b"<P>x</P><TiTlE>Not found</TITLE>"));
        assert!(may_hold_heads(b"text <h2 class=a>"));
        assert!(may_hold_heads(b"<!-- <h1> -->"));
        let dir = tempfile::tempdir().expect("a temp dir");
        let page = dir.path().join("page");
        std::fs::write(&page, b"<p>\xe9t\xe9</p><h3>no</h3>").expect("write");
        assert_eq!(scan_heads_file(&page, None).ok(), Some((None, None)));
        // UTF-16 markup is not ASCII: read the slow way.
        let utf16: Vec<u8> = "\u{feff}<title>Not found</title>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        std::fs::write(&page, utf16).expect("write");
        assert_eq!(
            scan_heads_file(&page, Some("text/html")).ok(),
            Some((Some("Not found".into()), None))
        );
    }

    #[test]
    fn the_scan_stops_once_it_has_a_title_and_a_heading() {
        let mut page = String::from("<title>Not found</title><h1>404</h1>");
        // Markup past the first feed that would change nothing, and costs nothing to skip.
        page.push_str(&"<p>filler</p>".repeat(FEED_CHARS));
        page.push_str("<title>never read</title>");
        assert_eq!(
            scan_heads(&page),
            (Some("Not found".into()), Some("404".into()))
        );
    }

    #[test]
    fn long_and_multibyte_text_is_cut_on_char_boundaries() {
        let page = format!("<title>{}</title>", "é".repeat(FEED_CHARS));
        let (title, _) = scan_heads(&page);
        assert!(title.is_some_and(|t| t.starts_with('é')));
    }
}
