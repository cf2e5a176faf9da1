//! The markdown change report, to paste into an issue or a mail: a title with the window, a
//! one-line summary, the sections most urgent first grouped by seed and section (a broken link
//! with its closest snapshot in web archives, or that there is none, and the copy recovered from
//! one), then the seeds' own changes. Every piece of text from a page or an archive is escaped,
//! so a title cannot inject markup.

use crate::report::linkable;
use std::io::{self, Write};
use std::path::Path;

use super::outline::{self, Outline};
use crate::model::ListedItem;
use crate::report::Render;
use crate::report::changes::{ChangeReport, Entry};

pub struct Markdown;

impl Render<ChangeReport> for Markdown {
    fn render(&self, report: &ChangeReport, out: &mut dyn Write) -> io::Result<()> {
        let doc = Outline::new(report);
        if doc.nothing {
            return writeln!(out, "{}", escape(&Outline::nothing_line(report)));
        }
        writeln!(out, "# {}\n", escape(&doc.title))?;
        writeln!(out, "{}\n", escape(&doc.subtitle))?;
        writeln!(out, "**{}**", escape(&doc.summary))?;
        for section in &doc.sections {
            writeln!(out, "\n## {} ({})\n", section.heading, section.count)?;
            writeln!(out, "{}", escape(section.blurb))?;
            for seed in &section.seeds {
                writeln!(out, "\n### {}", escape(&seed.label))?;
                for group in &seed.sections {
                    if let Some(name) = group.name {
                        writeln!(out, "\n#### {}", escape(name))?;
                    }
                    writeln!(out)?;
                    for e in &group.entries {
                        entry(out, e, doc.archive)?;
                    }
                }
            }
        }
        if !doc.seeds.is_empty() {
            writeln!(out, "\n## Seed pages")?;
        }
        for seed in &doc.seeds {
            writeln!(out, "\n### {}", escape(&seed.label))?;
            if !seed.page.is_empty() {
                match seed.page_url {
                    Some(url) => writeln!(out, "\nThe page itself, {}:\n", link(url, url))?,
                    None => writeln!(out, "\nThe page itself:\n")?,
                }
                for e in &seed.page {
                    writeln!(
                        out,
                        "- **{}**: {}",
                        outline::label(e),
                        escape(&outline::facts(e).join(" · "))
                    )?;
                }
            }
            let items = seed.items;
            if !items.added_to_page.is_empty() {
                writeln!(out, "\nAdded to the page:\n")?;
                for item in &items.added_to_page {
                    writeln!(out, "- {}", listed(item))?;
                }
            }
            if !items.removed_from_page.is_empty() {
                writeln!(out, "\nRemoved from the page:\n")?;
                for item in &items.removed_from_page {
                    writeln!(out, "- {}", listed(item))?;
                }
            }
            if !items.href_changed.is_empty() {
                writeln!(out, "\nLink changed on the page:\n")?;
                for (before, now) in &items.href_changed {
                    writeln!(
                        out,
                        "- {}: {} → {}",
                        titled(now),
                        url_or_none(before.url.as_deref()),
                        url_or_none(now.url.as_deref())
                    )?;
                }
            }
        }
        Ok(())
    }
}

fn entry(out: &mut dyn Write, e: &Entry, archive: Option<&Path>) -> io::Result<()> {
    writeln!(
        out,
        "- **{}** — {}",
        link(outline::name(e), &e.url),
        escape(&outline::facts(e).join(" · "))
    )?;
    if outline::name(e) != e.url {
        writeln!(out, "  {}", url_or_none(Some(&e.url)))?;
    }
    if let Some(to) = &e.update_to {
        writeln!(out, "  **Update the link to {}**", link(to, to))?;
    }
    if let Some((held, get)) = outline::good_copy(e, archive) {
        // A code span cannot escape a backtick: a command holding one gets a double fence.
        let tick = if get.contains('`') { "`` " } else { "`" };
        let end = if get.contains('`') { " ``" } else { "`" };
        writeln!(out, "  - {}: {tick}{get}{end}", escape(&held))?;
    }
    // A nested list, so each fact about the archives renders on a line of its own.
    if let Some(w) = outline::web_archive(e) {
        if let Some((url, label)) = &w.snapshot {
            let shown = link(url, url);
            writeln!(out, "  - closest snapshot: {shown} ({})", escape(label))?;
        }
        if let Some(absence) = &w.absence {
            writeln!(out, "  - {}", escape(absence))?;
        }
        for note in &w.notes {
            writeln!(out, "  - note: {}", escape(note))?;
        }
        if let Some((text, path)) = &w.copy {
            writeln!(out, "  - {}, kept as `{}`", escape(text), path)?;
        }
    }
    if let Some(diff) = e.diff.as_deref().filter(|d| !d.trim().is_empty()) {
        let fence = fence(diff);
        writeln!(out, "\n  {fence}diff")?;
        for line in diff.trim_end_matches('\n').lines() {
            writeln!(out, "  {line}")?;
        }
        writeln!(out, "  {fence}")?;
    }
    Ok(())
}

/// `**Title** (Section): <url>`.
fn listed(item: &ListedItem) -> String {
    format!("{}: {}", titled(item), url_or_none(item.url.as_deref()))
}

fn titled(item: &ListedItem) -> String {
    match &item.section {
        Some(section) => format!("**{}** ({})", escape(&item.title), escape(section)),
        None => format!("**{}**", escape(&item.title)),
    }
}

fn url_or_none(url: Option<&str>) -> String {
    match url {
        Some(url) if linkable(url) => format!("<{}>", safe_url(url)),
        Some(url) => format!("`{}`", code(url)),
        None => String::from("no URL"),
    }
}

/// A Markdown link when `url` is `linkable`; otherwise the text, and the URL as code.
fn link(text: &str, url: &str) -> String {
    if linkable(url) {
        format!("[{}]({})", escape(text), safe_url(url))
    } else if text == url {
        format!("`{}`", code(url))
    } else {
        format!("{} (`{}`)", escape(text), code(url))
    }
}

/// Text for an inline code span: control characters dropped, backticks (which would end it)
/// replaced by a look-alike.
fn code(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '`' { '\'' } else { c })
        .collect()
}

/// A URL that cannot end a link destination or autolink early: the characters that would are
/// percent-encoded, which leaves the URL meaning the same.
fn safe_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '[' => out.push_str("%5B"),
            ']' => out.push_str("%5D"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Backslash-escapes what markdown (CommonMark and GitHub's) would read as markup, and folds
/// line breaks, so page text stays text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A code fence longer than any run of backticks in the text it holds.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_titles_is_escaped() {
        assert_eq!(
            escape("**bold** [x](y) <b> #1 a_b"),
            "\\*\\*bold\\*\\* \\[x\\](y) \\<b\\> \\#1 a\\_b"
        );
        assert_eq!(escape("two\nlines"), "two lines");
    }

    #[test]
    fn a_fence_outlasts_backticks_in_the_diff() {
        assert_eq!(fence("no ticks"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }

    #[test]
    fn urls_cannot_close_a_link() {
        assert_eq!(safe_url("http://a/b (c)>d"), "http://a/b%20%28c%29%3Ed");
    }
}
