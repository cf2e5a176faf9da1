//! Content fingerprints: what a body *says*, hashed, so a change of markup, scripts or whitespace
//! is not reported as a change of content. Separate from the raw sha256, which stays the fixity
//! and archive key; a fingerprint is never used to find a blob.
//!
//! Invariants: the same bytes, content type and rules always give the same fingerprint; the
//! fingerprint of a body that cannot be read as text is its raw hash; reading is bounded by
//! `MAX_PARSE_BYTES` and the kept text by `MAX_TEXT_BYTES`.

use std::io::Read;
use std::path::Path;

use scraper::{Html, Selector};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::page_text::{html_lines, normalize_lines, title_and_heading_of};
use crate::archive::Held;
use crate::extract::decode;
use crate::model::Sha256;

/// Bodies larger than this are not parsed: they fingerprint as their raw hash (kind `Other`).
/// Same cap as a seed page parsed in memory, so a fingerprint never needs more memory than that.
pub const MAX_PARSE_BYTES: u64 = 32 * 1024 * 1024;

/// The normalized text kept in a fingerprint (for similarity and diffs) is cut to this many bytes,
/// at a char boundary: records stay small. The hash always covers the whole text.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// What to leave out of a page before fingerprinting it: counters, session ids, "generated at"
/// footers. Per seed or per URL, from the manifest or `linkward.toml`.
#[derive(Clone, Debug, Default)]
pub struct IgnoreRules {
    /// Every match is deleted from the normalized text (after whitespace is collapsed).
    pub patterns: Vec<regex::Regex>,
    /// CSS selectors of HTML elements removed, with their content, before text is collected.
    pub selectors: Vec<String>,
}

impl IgnoreRules {
    /// Validates every regex and CSS selector; the error names the first bad one and why.
    pub fn new(patterns: &[String], selectors: &[String]) -> Result<IgnoreRules, String> {
        let patterns = patterns
            .iter()
            .map(|p| regex::Regex::new(p).map_err(|e| format!("bad ignore pattern {p:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        for s in selectors {
            Selector::parse(s).map_err(|e| format!("bad ignore selector {s:?}: {e}"))?;
        }
        Ok(IgnoreRules {
            patterns,
            selectors: selectors.to_vec(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty() && self.selectors.is_empty()
    }
}

/// How a body is read for its fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextKind {
    Html,
    Pdf,
    Text,
    /// Not read as text (images, archives, unknown binaries, bodies over `MAX_PARSE_BYTES`).
    Other,
}

/// Chooses how to read a body: the Content-Type first; the first bytes only when the type is
/// missing or says nothing (`application/octet-stream`), because servers label PDFs and old
/// pages that way far more often than they mislabel a real type.
pub fn kind_of(content_type: Option<&str>, head: &[u8]) -> TextKind {
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match essence.as_str() {
        "" | "application/octet-stream" | "binary/octet-stream" | "application/unknown" => {
            sniff(head)
        }
        "text/html" | "application/xhtml+xml" => TextKind::Html,
        "application/pdf" | "application/x-pdf" | "application/acrobat" => TextKind::Pdf,
        // Textual application types are text for the reader too.
        "application/json" | "application/xml" | "application/javascript" => TextKind::Text,
        e if e.starts_with("text/") || e.ends_with("+xml") || e.ends_with("+json") => {
            TextKind::Text
        }
        _ => TextKind::Other,
    }
}

/// Bytes read before a body's kind is decided (`kind_of` sniffs at most 64 bytes of it, after a
/// BOM and leading whitespace).
pub(super) const SNIFF_BYTES: usize = 8 * 1024;

/// Whether `head` holds all that `sniff` looks at: 64 bytes past a BOM and leading whitespace.
fn enough_to_sniff(head: &[u8]) -> bool {
    head.strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .trim_ascii_start()
        .len()
        >= 64
}

fn sniff(head: &[u8]) -> TextKind {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let head = head.trim_ascii_start();
    let start = &head[..head.len().min(64)];
    let lower = start.to_ascii_lowercase();
    if start.starts_with(b"%PDF-") {
        TextKind::Pdf
    } else if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
        TextKind::Html
    } else {
        TextKind::Other
    }
}

/// What a body says, for change detection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub kind: TextKind,
    /// sha256 of the whole normalized text with all whitespace collapsed to single spaces; the
    /// raw sha256 when the body was not read as text (kind `Other`, or an unreadable PDF).
    pub hash: Sha256,
    /// The normalized text, one block (paragraph, heading, list item, line) per line, cut at
    /// `MAX_TEXT_BYTES`; `None` when the body was not read as text.
    pub text: Option<String>,
}

impl Fingerprint {
    /// The fingerprint of a body that is not read as text.
    pub fn raw(kind: TextKind, raw: Sha256) -> Fingerprint {
        Fingerprint {
            kind,
            hash: raw,
            text: None,
        }
    }
}

/// sha256 of some bytes, as the `Sha256` newtype.
pub fn sha256_of(bytes: &[u8]) -> Sha256 {
    Sha256(sha2::Sha256::digest(bytes).into())
}

/// Fingerprints an archived body. `raw` is its sha256 (already known from the download), used as
/// the fingerprint of whatever is not read as text. Reads at most `MAX_PARSE_BYTES`.
pub fn fingerprint_file(
    path: &Path,
    content_type: Option<&str>,
    raw: Sha256,
    rules: &IgnoreRules,
) -> std::io::Result<Fingerprint> {
    Ok(read_and_fingerprint(path, content_type, raw, rules, false)?.0)
}

/// A page's title and main heading, as the soft-404 rules read them (see `title_and_heading`).
pub type Heads = (Option<String>, Option<String>);

/// `fingerprint_file`, and for an HTML body also its title and main heading, taken from the same
/// parse: the soft-404 check needs them, and a second parse of the page cost as much CPU as the
/// fingerprint itself.
pub fn fingerprint_file_with_heads(
    path: &Path,
    content_type: Option<&str>,
    raw: Sha256,
    rules: &IgnoreRules,
) -> std::io::Result<(Fingerprint, Option<Heads>)> {
    read_and_fingerprint(path, content_type, raw, rules, true)
}

/// `fingerprint_file_with_heads` of a body just downloaded, wherever it is held.
pub fn fingerprint_held_with_heads(
    body: &Held,
    content_type: Option<&str>,
    raw: Sha256,
    rules: &IgnoreRules,
) -> std::io::Result<(Fingerprint, Option<Heads>)> {
    match body {
        Held::File(path) => read_and_fingerprint(path, content_type, raw, rules, true),
        Held::Memory(bytes) => Ok(fingerprint_parsed(bytes, content_type, raw, rules, true)),
    }
}

fn read_and_fingerprint(
    path: &Path,
    content_type: Option<&str>,
    raw: Sha256,
    rules: &IgnoreRules,
    heads: bool,
) -> std::io::Result<(Fingerprint, Option<Heads>)> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > MAX_PARSE_BYTES {
        return Ok((Fingerprint::raw(TextKind::Other, raw), None));
    }
    // Sized from the metadata so the read does not grow the buffer by doubling; one byte more
    // than the cap is read, in case the file grew since it was measured.
    let mut bytes = Vec::with_capacity(len as usize + 1);
    // Whether a body is read as text is known from its head: an image or an archive is not
    // read whole just to be fingerprinted by the hash already known.
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut bytes)?;
    if kind_of(content_type, &bytes) == TextKind::Other
        && (bytes.len() < SNIFF_BYTES || enough_to_sniff(&bytes))
    {
        return Ok((Fingerprint::raw(TextKind::Other, raw), None));
    }
    file.take(MAX_PARSE_BYTES + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_PARSE_BYTES {
        return Ok((Fingerprint::raw(TextKind::Other, raw), None));
    }
    Ok(fingerprint_parsed(&bytes, content_type, raw, rules, heads))
}

/// Fingerprints a body held in memory; see `fingerprint_file`. Bodies over `MAX_PARSE_BYTES` are
/// not parsed.
pub fn fingerprint_bytes(
    bytes: &[u8],
    content_type: Option<&str>,
    raw: Sha256,
    rules: &IgnoreRules,
) -> Fingerprint {
    fingerprint_parsed(bytes, content_type, raw, rules, false).0
}

fn fingerprint_parsed(
    bytes: &[u8],
    content_type: Option<&str>,
    raw: Sha256,
    rules: &IgnoreRules,
    want_heads: bool,
) -> (Fingerprint, Option<Heads>) {
    if bytes.len() as u64 > MAX_PARSE_BYTES {
        return (Fingerprint::raw(TextKind::Other, raw), None);
    }
    let kind = kind_of(content_type, bytes);
    let mut heads = None;
    let lines = match kind {
        TextKind::Html => {
            let doc = Html::parse_document(&decode(bytes, content_type));
            if want_heads {
                heads = Some(title_and_heading_of(&doc));
            }
            html_lines(&doc, &rules.selectors)
        }
        TextKind::Text => normalize_lines(&decode(bytes, content_type)),
        TextKind::Pdf => match pdf_text(bytes) {
            // A PDF without a text layer (a scan) has no text to compare: every scan would
            // otherwise fingerprint the same and a replaced scan would pass as "bytes-only".
            Some(text) if !text.trim().is_empty() => normalize_lines(&text),
            _ => return (Fingerprint::raw(TextKind::Pdf, raw), None),
        },
        TextKind::Other => return (Fingerprint::raw(TextKind::Other, raw), None),
    };
    let text = apply_patterns(lines, &rules.patterns);
    let fingerprint = Fingerprint {
        kind,
        hash: hash_normalized(&text),
        text: Some(cap(text, MAX_TEXT_BYTES)),
    };
    (fingerprint, heads)
}

/// Extracts a PDF's text. PDF parsers can panic on hostile or broken files; a panic here must
/// cost one fingerprint, not the run. (The panic message still reaches the panic hook's stderr.)
/// A PDF whose streams would inflate past `pdf_budget::MAX_INFLATED` is not read at all.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    if !super::pdf_budget::within_budget(bytes) {
        return None;
    }
    std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes))
        .ok()?
        .ok()
}

/// The fingerprint hash of normalized text (`normalize_lines`' output): sha256 of the text with
/// its line breaks read as spaces, which is the whole text whitespace-collapsed, as it has
/// always been hashed, so fingerprints in existing stores stay comparable.
fn hash_normalized(text: &str) -> Sha256 {
    let mut hasher = sha2::Sha256::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            hasher.update(b" ");
        }
        hasher.update(line.as_bytes());
    }
    Sha256(hasher.finalize().into())
}

/// Deletes every match of the ignore patterns, then collapses what the deletion left behind.
/// Patterns see the text one block per line, so `\s` in a pattern may span blocks.
fn apply_patterns(text: String, patterns: &[regex::Regex]) -> String {
    if patterns.is_empty() {
        return text;
    }
    let mut text = text;
    for re in patterns {
        if let std::borrow::Cow::Owned(t) = re.replace_all(&text, "") {
            text = t;
        }
    }
    normalize_lines(&text)
}

fn cap(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::collapse_ws;
    use crate::judge::page_text::{MAY_START_WHITESPACE, whitespace_len};

    type R = Result<(), Box<dyn std::error::Error>>;

    fn fp(bytes: &[u8], ct: Option<&str>, rules: &IgnoreRules) -> Fingerprint {
        fingerprint_bytes(bytes, ct, sha256_of(bytes), rules)
    }

    fn text_of(f: &Fingerprint) -> Result<&str, Box<dyn std::error::Error>> {
        f.text.as_deref().ok_or_else(|| "no text".into())
    }

    /// How lines were normalized before `normalize_lines`; fingerprints already in stores were
    /// made this way, so the two must agree on every input.
    fn join_lines_by_words(raw: &str) -> String {
        raw.lines()
            .map(collapse_ws)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn whitespace_is_read_from_bytes_as_char_is_whitespace_has_it() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let mut bytes = c.to_string().into_bytes();
            let expected = if c.is_whitespace() { bytes.len() } else { 0 };
            // Followed by a byte that could complete a longer sequence, if one were misread.
            bytes.push(0x80);
            assert_eq!(whitespace_len(&bytes, 0), expected, "{c:?}");
            assert!(
                expected == 0 || MAY_START_WHITESPACE[usize::from(bytes[0])],
                "{c:?}"
            );
        }
    }

    #[test]
    fn one_pass_normalizing_and_hashing_agree_with_the_old_way() {
        // Line breaks, every kind of whitespace a page holds (CR, tab, form feed, NBSP, NEL,
        // U+2028, ideographic space) and multi-byte letters, in random order and runs.
        let alphabet = [
            'a', 'b', 'é', '語', ' ', ' ', '\n', '\n', '\r', '\t', '\x0b', '\x0c', '\x1f',
            '\u{a0}', '\u{85}', '\u{1680}', '\u{2009}', '\u{2028}', '\u{202f}', '\u{205f}',
            '\u{3000}',
            // Not whitespace, but behind the same lead bytes: ©, ‐, ᚁ, 、.
            '\u{a9}', '\u{2010}', '\u{1681}', '\u{3001}',
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let len = rng.usize(0..40);
            let raw: String = (0..len)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            let expected = join_lines_by_words(&raw);
            let got = normalize_lines(&raw);
            assert_eq!(got, expected, "{raw:?}");
            assert_eq!(
                hash_normalized(&got),
                sha256_of(collapse_ws(&expected).as_bytes()),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn ignore_rules_name_the_bad_pattern_or_selector() -> R {
        let ok = IgnoreRules::new(&[r"Visitors: \d+".into()], &["#counter".into()])?;
        assert_eq!(ok.patterns.len(), 1);
        let err = IgnoreRules::new(&["ok".into(), "(unclosed".into()], &[])
            .err()
            .ok_or("accepted a bad regex")?;
        assert!(err.contains("(unclosed"), "{err}");
        let err = IgnoreRules::new(&[], &["div[".into()])
            .err()
            .ok_or("accepted a bad selector")?;
        assert!(err.contains("div["), "{err}");
        assert!(IgnoreRules::default().is_empty());
        Ok(())
    }

    #[test]
    fn kind_comes_from_content_type_then_sniffing() {
        assert_eq!(
            kind_of(Some("text/html; charset=utf-8"), b""),
            TextKind::Html
        );
        assert_eq!(kind_of(Some("Application/PDF"), b""), TextKind::Pdf);
        assert_eq!(kind_of(Some("text/plain"), b"%PDF-1.4"), TextKind::Text);
        assert_eq!(kind_of(Some("image/png"), b"<html>"), TextKind::Other);
        assert_eq!(kind_of(None, b"%PDF-1.7\n"), TextKind::Pdf);
        assert_eq!(
            kind_of(
                Some("application/octet-stream"),
                b"\xEF\xBB\xBF  <!DOCTYPE HTML>"
            ),
            TextKind::Html
        );
        assert_eq!(kind_of(None, b"\n<html lang=en>"), TextKind::Html);
        assert_eq!(kind_of(None, b"\x89PNG"), TextKind::Other);
        assert_eq!(kind_of(Some("application/atom+xml"), b""), TextKind::Text);
    }

    #[test]
    fn html_keeps_visible_text_and_title_only() -> R {
        let html = br#"<!doctype html><html><head><title> Annual  report </title>
            <meta name="generator" content="CMS 1.2"><style>p{color:red}</style>
            <script>var t = 123;</script><link rel=stylesheet href=a.css></head>
            <body><!-- built 2026-11-29 --><h1>Report</h1>
            <p>First <b>para</b>graph
               spans lines.</p><noscript>enable JS</noscript>
            <template><p>later</p></template>
            <form><input type="hidden" name="csrf" value="abc123"><input type=text value=shown></form>
            <ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table>
            </body></html>"#;
        let f = fp(html, Some("text/html"), &IgnoreRules::default());
        assert_eq!(f.kind, TextKind::Html);
        assert_eq!(
            text_of(&f)?,
            "Annual report\nReport\nFirst paragraph spans lines.\none\ntwo\na b"
        );
        assert_eq!(f.hash, sha256_of(collapse_ws(text_of(&f)?).as_bytes()));
        Ok(())
    }

    #[test]
    fn markup_and_whitespace_changes_keep_the_fingerprint() {
        let a = b"<html><head><script>x=1</script></head><body><p>Hello   world</p></body></html>";
        let b = b"<html>\n<head><script>x=2</script><style>b{}</style></head>\n<body>\n  <p class=\"new\">Hello\nworld</p>\n</body></html>";
        let rules = IgnoreRules::default();
        let (fa, fb) = (
            fp(a, Some("text/html"), &rules),
            fp(b, Some("text/html"), &rules),
        );
        assert_ne!(sha256_of(a), sha256_of(b));
        assert_eq!(fa, fb);
    }

    #[test]
    fn ignore_selectors_and_patterns_are_removed() -> R {
        let html = br#"<html><body><div id="counter">Visits: 991</div>
            <p>Text. Session token QWERTY42 issued.</p><div class="ad">Buy!</div></body></html>"#;
        let rules = IgnoreRules::new(
            &[r"Session token \w+ issued\.".into()],
            &["#counter".into(), ".ad".into()],
        )?;
        let f = fp(html, Some("text/html"), &rules);
        assert_eq!(text_of(&f)?, "Text.");
        Ok(())
    }

    #[test]
    fn plain_text_is_decoded_and_collapsed() -> R {
        let f = fp(
            b"caf\xe9  au\tlait\r\n\r\n  second line  \n",
            Some("text/plain; charset=iso-8859-1"),
            &IgnoreRules::default(),
        );
        assert_eq!(f.kind, TextKind::Text);
        assert_eq!(text_of(&f)?, "café au lait\nsecond line");
        Ok(())
    }

    #[test]
    fn other_types_and_broken_pdfs_fingerprint_as_their_raw_hash() {
        let png = b"\x89PNG\r\n\x1a\nbinary";
        let f = fp(png, Some("image/png"), &IgnoreRules::default());
        assert_eq!(f, Fingerprint::raw(TextKind::Other, sha256_of(png)));

        let junk = b"%PDF-1.4\n this is not really a pdf \xff\xfe";
        let f = fp(junk, Some("application/pdf"), &IgnoreRules::default());
        assert_eq!(f, Fingerprint::raw(TextKind::Pdf, sha256_of(junk)));
    }

    #[test]
    fn pdf_text_is_extracted() -> R {
        let pdf = minimal_pdf("Hello from linkward");
        let f = fp(&pdf, Some("application/pdf"), &IgnoreRules::default());
        assert_eq!(f.kind, TextKind::Pdf);
        assert!(text_of(&f)?.contains("Hello from linkward"), "{f:?}");
        assert_ne!(f.hash, sha256_of(&pdf));
        Ok(())
    }

    #[test]
    fn damaged_pdfs_never_escape_as_panics() {
        // Every truncation and a byte flipped at every 7th offset: the fingerprint is either the
        // text or the raw hash, never a panic out of this function.
        let pdf = minimal_pdf("Hello from linkward");
        let mut bodies: Vec<Vec<u8>> = (0..pdf.len()).map(|n| pdf[..n].to_vec()).collect();
        bodies.extend((0..pdf.len()).step_by(7).map(|i| {
            let mut b = pdf.clone();
            b[i] ^= 0xA5;
            b
        }));
        for body in bodies {
            let f = fp(&body, Some("application/pdf"), &IgnoreRules::default());
            assert_eq!(f.kind, TextKind::Pdf);
            assert!(f.text.is_some() || f.hash == sha256_of(&body));
        }
    }

    #[test]
    fn text_is_capped_at_a_char_boundary_but_hashed_whole() -> R {
        let line = "é".repeat(1000);
        let body = std::iter::repeat_n(line.as_str(), 200)
            .collect::<Vec<_>>()
            .join("\n");
        let f = fp(body.as_bytes(), Some("text/plain"), &IgnoreRules::default());
        let text = text_of(&f)?;
        assert!(text.len() <= MAX_TEXT_BYTES && text.len() > MAX_TEXT_BYTES - 4);
        assert_eq!(f.hash, sha256_of(collapse_ws(&body).as_bytes()));
        Ok(())
    }

    #[test]
    fn a_file_is_read_whole_only_when_its_head_says_text() -> R {
        let dir = tempfile::tempdir()?;
        let rules = IgnoreRules::default();
        // An image is fingerprinted by its raw hash, whatever it contains.
        let png = dir.path().join("a.png");
        let mut bytes = b"\x89PNG\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 3 * SNIFF_BYTES));
        std::fs::write(&png, &bytes)?;
        let raw = sha256_of(&bytes);
        let f = fingerprint_file(&png, Some("image/png"), raw, &rules)?;
        assert_eq!(f, Fingerprint::raw(TextKind::Other, raw));
        // An untyped page whose markup starts past the first read is still sniffed as HTML.
        let page = dir.path().join("page");
        let mut html = vec![b' '; SNIFF_BYTES + 10];
        html.extend_from_slice(b"<!doctype html><title>Far down</title><p>Body");
        std::fs::write(&page, &html)?;
        let (f, heads) = fingerprint_file_with_heads(&page, None, sha256_of(&html), &rules)?;
        assert_eq!(f.kind, TextKind::Html);
        assert_eq!(text_of(&f)?, "Far down\nBody");
        assert_eq!(heads, Some((Some("Far down".to_owned()), None)));
        Ok(())
    }

    #[test]
    fn fingerprint_file_reads_the_file() -> R {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("page.html");
        let body = b"<p>On disk</p>";
        std::fs::write(&path, body)?;
        let f = fingerprint_file(&path, None, sha256_of(body), &IgnoreRules::default())?;
        assert_eq!(
            f.kind,
            TextKind::Other,
            "no type and no <html>: not sniffed as HTML"
        );
        let f = fingerprint_file(
            &path,
            Some("text/html"),
            sha256_of(body),
            &IgnoreRules::default(),
        )?;
        assert_eq!(text_of(&f)?, "On disk");
        Ok(())
    }

    /// A one-page PDF with one line of text in Helvetica, offsets computed so the xref is valid.
    pub(crate) fn minimal_pdf(text: &str) -> Vec<u8> {
        let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, obj) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}
