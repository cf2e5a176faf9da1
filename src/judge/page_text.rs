//! What an HTML page says as text: its visible text one block per line (scripts, styles, hidden
//! inputs, the head but its title, and ignored selectors left out), and its title and main
//! heading as the soft-404 rules read them.

use std::collections::HashSet;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node, Selector};

use super::fingerprint::{IgnoreRules, normalize_lines};
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
pub(super) fn html_lines(doc: &Html, rules: &IgnoreRules) -> String {
    let mut removed: HashSet<NodeId> = HashSet::new();
    for s in &rules.selectors {
        // Validated by `IgnoreRules::new`; a hand-built rule that does not parse removes nothing.
        if let Ok(sel) = Selector::parse(s) {
            removed.extend(doc.select(&sel).map(|el| el.id()));
        }
    }
    let mut out = String::new();
    collect_text(doc.tree.root(), &removed, false, false, &mut out);
    normalize_lines(&out)
}

fn collect_text(
    node: ego_tree::NodeRef<'_, Node>,
    removed: &HashSet<NodeId>,
    in_head: bool,
    in_pre: bool,
    out: &mut String,
) {
    for child in node.children() {
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
                if removed.contains(&child.id()) {
                    continue;
                }
                let name = el.name();
                let hidden_input = name == "input"
                    && el
                        .attr("type")
                        .is_some_and(|t| t.eq_ignore_ascii_case("hidden"));
                if INVISIBLE.contains(&name) || hidden_input {
                    continue;
                }
                // Of the head, only the title is shown (in the tab), and a new title is news.
                let head = in_head || name == "head";
                let shown = !head || name == "title";
                let block = BLOCKS.contains(&name);
                if block {
                    out.push('\n');
                }
                if shown && name == "title" {
                    if let Some(el) = ElementRef::wrap(child) {
                        out.push_str(&collapse_ws(&el.text().collect::<String>()));
                    }
                } else {
                    collect_text(child, removed, head, in_pre || name == "pre", out);
                }
                if block {
                    out.push('\n');
                } else if matches!(name, "td" | "th") {
                    // Table cells side by side are separate words.
                    out.push(' ');
                }
            }
            // Comments, doctypes, processing instructions: not shown.
            _ => {}
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
