//! What a page says as text: an HTML page's visible text one block per line (scripts, styles,
//! hidden inputs, the head but its title, and ignored selectors left out), any text's lines
//! normalized, and an HTML page's title and main heading as the soft-404 rules read them.

use std::collections::HashSet;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};

use crate::extract::collapse_ws;

/// Elements whose content is never shown as text.
const INVISIBLE: &[&str] = &[
    "script", "style", "noscript", "template", "meta", "link", "iframe", "object", "embed",
];

/// Elements that start a new line of text (so words of adjacent blocks are not glued and diffs
/// have lines to work with). Inline elements add nothing: `<b>foo</b>bar` reads "foobar".
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "legend",
    "main",
    "menu",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "title",
    "tr",
    "ul",
];

/// An HTML page → its visible text, one block per line, whitespace collapsed in each.
pub(super) fn html_lines(doc: &Html, ignored_selectors: &[String]) -> String {
    let mut removed: HashSet<NodeId> = HashSet::new();
    for s in ignored_selectors {
        // Validated by `IgnoreRules::new`; a hand-built rule that does not parse removes nothing.
        if let Ok(sel) = Selector::parse(s) {
            removed.extend(doc.select(&sel).map(|el| el.id()));
        }
    }
    let mut out = String::new();
    collect_text(doc.tree.root(), &removed, &mut out);
    normalize_lines(&out)
}

/// Appends the visible text below `root` to `out`. Iterative (an explicit stack of open
/// elements), so a page nested thousands deep cannot overflow a worker thread's stack.
fn collect_text(root: ego_tree::NodeRef<'_, Node>, removed: &HashSet<NodeId>, out: &mut String) {
    /// What closing an element owes the text, and the context its children were read in.
    struct Open {
        block: bool,
        cell: bool,
        in_head: bool,
        in_pre: bool,
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut edges = root.traverse();
    // The root itself is a document node: only its descendants are read.
    edges.next();
    while let Some(edge) = edges.next() {
        let child = match edge {
            Edge::Open(child) => child,
            Edge::Close(child) => {
                if child.id() == root.id() {
                    break;
                }
                if let Node::Element(_) = child.value()
                    && let Some(open) = stack.pop()
                {
                    if open.block {
                        out.push('\n');
                    } else if open.cell {
                        // Table cells side by side are separate words.
                        out.push(' ');
                    }
                }
                continue;
            }
        };
        let (in_head, in_pre) = stack
            .last()
            .map_or((false, false), |o| (o.in_head, o.in_pre));
        match child.value() {
            Node::Text(t) if !in_head => {
                if in_pre {
                    out.push_str(t);
                } else {
                    // Source line breaks are layout, not content: only blocks make lines.
                    // Other whitespace is left for `normalize_lines` to collapse.
                    let mut parts = t.split('\n');
                    if let Some(first) = parts.next() {
                        out.push_str(first);
                    }
                    for part in parts {
                        out.push(' ');
                        out.push_str(part);
                    }
                }
            }
            Node::Element(el) => {
                let name = el.name();
                let hidden_input = name == "input"
                    && el
                        .attr("type")
                        .is_some_and(|t| t.eq_ignore_ascii_case("hidden"));
                if removed.contains(&child.id()) || INVISIBLE.contains(&name) || hidden_input {
                    skip_subtree(&mut edges, child.id());
                    continue;
                }
                // Of the head, only the title is shown (in the tab), and a new title is news.
                let head = in_head || name == "head";
                let shown = !head || name == "title";
                let block = BLOCKS.contains(&name);
                if block {
                    out.push('\n');
                }
                let cell = matches!(name, "td" | "th");
                if shown && name == "title" {
                    if let Some(el) = ElementRef::wrap(child) {
                        out.push_str(&collapse_ws(&el.text().collect::<String>()));
                    }
                    skip_subtree(&mut edges, child.id());
                    if block {
                        out.push('\n');
                    } else if cell {
                        out.push(' ');
                    }
                    continue;
                }
                stack.push(Open {
                    block,
                    cell,
                    in_head: head,
                    in_pre: in_pre || name == "pre",
                });
            }
            // Comments, doctypes, processing instructions: not shown.
            _ => {}
        }
    }
}

/// Advances `edges` past the close of the element `id` just opened.
fn skip_subtree<'a>(edges: &mut ego_tree::iter::Traverse<'a, Node>, id: NodeId) {
    for edge in edges.by_ref() {
        if let Edge::Close(n) = edge
            && n.id() == id
        {
            return;
        }
    }
}

/// A page's `<title>` and main heading (the first non-empty `h1`, else `h2`), whitespace
/// collapsed; `None` when absent or empty.
pub fn title_and_heading(html: &str) -> (Option<String>, Option<String>) {
    title_and_heading_of(&Html::parse_document(html))
}

/// `title_and_heading` of a page already parsed (the fingerprint's parse, see
/// `fingerprint_file_with_heads`).
pub fn title_and_heading_of(doc: &Html) -> (Option<String>, Option<String>) {
    let first = |css: &str| -> Option<String> {
        let sel = Selector::parse(css).ok()?;
        doc.select(&sel)
            .map(|el| collapse_ws(&el.text().collect::<String>()))
            .find(|t| !t.is_empty())
    };
    let title = first("head title").or_else(|| first("title"));
    let heading = first("h1").or_else(|| first("h2"));
    (title, heading)
}

/// Every line of `raw` (split at `\n`) with its whitespace collapsed to single spaces and
/// trimmed, blank lines dropped, joined with `\n`. One pass that copies whole words: on pages
/// that are mostly text, collapsing line by line through a `Vec` of words was a tenth of a
/// check's CPU.
pub(super) fn normalize_lines(raw: &str) -> String {
    fn push_word(out: &mut String, word: &str, new_line: bool) {
        if !out.is_empty() {
            out.push(if new_line { '\n' } else { ' ' });
        }
        out.push_str(word);
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut new_line = false;
    let mut i = 0;
    while i < bytes.len() {
        let space = whitespace_len(bytes, i);
        if space > 0 {
            new_line |= bytes[i] == b'\n';
            i += space;
            continue;
        }
        let start = i;
        i += 1;
        while i < bytes.len()
            && (!MAY_START_WHITESPACE[usize::from(bytes[i])] || whitespace_len(bytes, i) == 0)
        {
            i += 1;
        }
        // `start` and `i` are char boundaries: the first byte of a whitespace char never
        // continues another char.
        push_word(&mut out, &raw[start..i], new_line);
        new_line = false;
    }
    out
}

/// The bytes `whitespace_len` can answer more than 0 for: the word scan skips the rest at the
/// cost of a lookup.
pub(super) const MAY_START_WHITESPACE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b, 0x09..=0x0D | 0x20 | 0xC2 | 0xE1 | 0xE2 | 0xE3);
        b += 1;
    }
    table
};

/// The length in bytes of the whitespace char (as `char::is_whitespace` has it) that starts at
/// `bytes[i]`, else 0. Read from the UTF-8 bytes directly: decoding every char to ask cost more
/// than the rest of the pass on text that is mostly not ASCII.
#[inline]
pub(super) fn whitespace_len(bytes: &[u8], i: usize) -> usize {
    let next = |k: usize| bytes.get(i + k).copied();
    match bytes[i] {
        b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' => 1,
        // U+0085, U+00A0
        0xC2 if matches!(next(1), Some(0x85 | 0xA0)) => 2,
        // U+1680
        0xE1 if next(1) == Some(0x9A) && next(2) == Some(0x80) => 3,
        // U+2000-U+200A, U+2028, U+2029, U+202F; U+205F
        0xE2 => match (next(1), next(2)) {
            (Some(0x80), Some(0x80..=0x8A | 0xA8 | 0xA9 | 0xAF)) | (Some(0x81), Some(0x9F)) => 3,
            _ => 0,
        },
        // U+3000
        0xE3 if next(1) == Some(0x80) && next(2) == Some(0x80) => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::tests::{nested_bold, on_small_stack};

    #[test]
    fn visible_text_of_a_deep_page_is_read_without_recursion() {
        let html = nested_bold(20_000);
        let text = on_small_stack(move || html_lines(&Html::parse_document(&html), &[]));
        assert!(text.starts_with("level 0 level 1 "), "{text:.80}");
        assert!(
            text.ends_with("level 19999 Deep report"),
            "{}",
            &text[text.len() - 40..]
        );
    }

    #[test]
    fn blocks_cells_titles_and_hidden_parts() {
        let html = "<html><head><title> The  title </title><style>p{}</style></head><body>\
            <p>One <b>two</b></p><table><tr><td>a</td><td>b</td></tr></table>\
            <script>x()</script><input type=hidden value=v><div class=ad>Ad</div>\
            <pre>keep\n  this</pre></body></html>";
        let text = html_lines(&Html::parse_document(html), &[".ad".to_owned()]);
        assert_eq!(text, "The title\nOne two\na b\nkeep\nthis");
    }
}
