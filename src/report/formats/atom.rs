//! The change report as an Atom 1.0 feed (RFC 4287), for a maintainer to subscribe to.
//!
//! Ids are stable so a reader never shows an event twice: the feed's is made from its seeds
//! (`urn:linkward:report:<seed>:<seed>...`, not from the window, which moves every run), and each
//! entry's from `Entry.id` (`urn:linkward:entry:` + the id percent-encoded), which names the URL,
//! the run and the change. An entry's `updated` is when it was checked, never when the report was
//! made, so re-rendering a window yields the same entries. A broken link's entry says what web
//! archives hold of it (the closest snapshot, or that none exists, and a recovered copy) in its
//! summary and content.

use crate::report::{html_link, linkable};
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};

use super::outline::{self, Outline};
use super::{escape_xml as esc, percent_encode};
use crate::report::Render;
use crate::report::changes::{ChangeReport, Entry};

pub struct Atom;

pub(super) const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// The feed's id: the same for every report of the same seeds.
pub(super) fn feed_id(report: &ChangeReport) -> String {
    let mut seeds: Vec<String> = report
        .seeds
        .iter()
        .map(|s| percent_encode(&s.seed))
        .collect();
    seeds.sort();
    seeds.dedup();
    if seeds.is_empty() {
        String::from("urn:linkward:report")
    } else {
        format!("urn:linkward:report:{}", seeds.join(":"))
    }
}

/// An entry's id: the same in every report that holds this event.
pub(super) fn entry_id(e: &Entry) -> String {
    format!("urn:linkward:entry:{}", percent_encode(&e.id))
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Render<ChangeReport> for Atom {
    fn render(&self, report: &ChangeReport, out: &mut dyn Write) -> io::Result<()> {
        let doc = Outline::new(report);
        let title = if report.seeds.is_empty() {
            String::from("linkward: link changes")
        } else {
            let names: Vec<&str> = report
                .seeds
                .iter()
                .map(|s| s.title.as_deref().unwrap_or(&s.seed))
                .collect();
            format!("linkward: {}", names.join(", "))
        };
        let subtitle = if doc.nothing {
            Outline::nothing_line(report)
        } else {
            format!("{}: {}", outline::window_text(&report.window), doc.summary)
        };
        writeln!(out, r#"<?xml version="1.0" encoding="utf-8"?>"#)?;
        writeln!(out, r#"<feed xmlns="{ATOM_NS}">"#)?;
        writeln!(out, "  <id>{}</id>", esc(&feed_id(report)))?;
        writeln!(out, "  <title>{}</title>", esc(&title))?;
        writeln!(out, "  <subtitle>{}</subtitle>", esc(&subtitle))?;
        writeln!(out, "  <updated>{}</updated>", time(&report.generated))?;
        writeln!(out, "  <author><name>linkward</name></author>")?;
        writeln!(out, "  <generator>linkward</generator>")?;
        for seed in &report.seeds {
            if let Some(url) = seed.page_url.as_deref().filter(|u| linkable(u)) {
                writeln!(out, r#"  <link rel="related" href="{}"/>"#, esc(url))?;
            }
        }
        for e in &report.entries {
            entry(out, e)?;
        }
        writeln!(out, "</feed>")
    }
}

fn entry(out: &mut dyn Write, e: &Entry) -> io::Result<()> {
    let facts = outline::facts(e);
    let archived = outline::web_archive_lines(e);
    writeln!(out, "  <entry>")?;
    writeln!(out, "    <id>{}</id>", esc(&entry_id(e)))?;
    writeln!(out, "    <title>{}</title>", esc(&outline::headline(e)))?;
    writeln!(out, "    <updated>{}</updated>", time(&e.checked_at))?;
    if linkable(&e.url) {
        writeln!(out, r#"    <link href="{}"/>"#, esc(&e.url))?;
    }
    if let Some(to) = e.update_to.as_deref().filter(|u| linkable(u)) {
        writeln!(out, r#"    <link rel="related" href="{}"/>"#, esc(to))?;
    }
    writeln!(
        out,
        r#"    <category term="{}" label="{}"/>"#,
        e.change.as_str(),
        esc(outline::label(e))
    )?;
    let summary: Vec<&str> = facts.iter().chain(&archived).map(String::as_str).collect();
    writeln!(out, "    <summary>{}</summary>", esc(&summary.join(" · ")))?;

    // The content is HTML, escaped once as HTML and once more as the XML text that carries it.
    let mut html = String::new();
    let place: Vec<&str> = [e.seed.as_deref(), e.section.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !place.is_empty() {
        html.push_str(&format!("<p>Listed on {}</p>", esc(&place.join(", "))));
    }
    html.push_str(&format!("<p>{}</p>", html_link(&e.url, outline::name(e))));
    html.push_str("<ul>");
    for fact in &facts {
        html.push_str(&format!("<li>{}</li>", esc(fact)));
    }
    html.push_str("</ul>");
    if let Some(to) = &e.update_to {
        html.push_str(&format!(
            "<p><strong>Update the link to {}</strong></p>",
            html_link(to, to)
        ));
    }
    if let Some(w) = outline::web_archive(e) {
        html.push_str("<p>Web archives:</p><ul>");
        if let Some((url, label)) = &w.snapshot {
            html.push_str(&format!(
                "<li>closest snapshot: {} ({})</li>",
                super::html::memento_link(url),
                esc(label)
            ));
        }
        if let Some(absence) = &w.absence {
            html.push_str(&format!("<li>{}</li>", esc(absence)));
        }
        for note in &w.notes {
            html.push_str(&format!("<li>note: {}</li>", esc(note)));
        }
        if let Some((text, path)) = &w.copy {
            html.push_str(&format!(
                "<li>{}, kept as <code>{}</code></li>",
                esc(text),
                esc(path)
            ));
        }
        html.push_str("</ul>");
    }
    if let Some(diff) = e.diff.as_deref().filter(|d| !d.trim().is_empty()) {
        html.push_str(&format!("<pre>{}</pre>", esc(diff.trim_end())));
    }
    writeln!(out, r#"    <content type="html">{}</content>"#, esc(&html))?;
    writeln!(out, "  </entry>")
}
