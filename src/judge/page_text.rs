//! What an HTML page says as text: its visible text one block per line (scripts, styles, hidden
//! inputs, the head but its title, and ignored selectors left out), and its title and main
//! heading as the soft-404 rules read them.

use std::collections::HashSet;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::tests::{nested_bold, on_small_stack};

    #[test]
    fn visible_text_of_a_deep_page_is_read_without_recursion() {
        let html = nested_bold(20_000);
        let text = on_small_stack(move || {
            html_lines(&Html::parse_document(&html), &IgnoreRules::default())
        });
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
        let rules = IgnoreRules::new(&[], &[".ad".to_owned()]).expect("rules");
        let text = html_lines(&Html::parse_document(html), &rules);
        assert_eq!(text, "The title\nOne two\na b\nkeep\nthis");
    }
}
