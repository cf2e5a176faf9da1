//! `check --quiet` on a terminal: the run report cut to its news, and nothing when there is none.

use std::io::{self, Write};

use super::summary_line;
use crate::model::Change;
use crate::report::terminal_safe::TerminalSafe;
use crate::report::{Render, RunReport};

/// `check --quiet` on a terminal: only the news of the run (see `RunReport::has_news`): what broke,
/// moved, changed in content or recovered, with its URL; each seed's list changes; then the
/// summary line, which says when the run was interrupted. Nothing at all when there is no news.
pub struct Quiet {
    pub color: bool,
}

impl Render<RunReport> for Quiet {
    fn render(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        if !report.has_news() {
            return Ok(());
        }
        let out = &mut TerminalSafe::new(out, self.color);
        for r in report.resources.iter().filter(|r| r.is_news()) {
            let change = r.news_change().map_or("", Change::as_str);
            let label = match (r.news_change(), r.reason) {
                (Some(Change::NewlyBroken), Some(reason)) => format!("{change} ({reason})"),
                _ => change.to_string(),
            };
            let title = r
                .title
                .as_deref()
                .filter(|t| !t.is_empty())
                .unwrap_or("(untitled)");
            writeln!(out, "{label:<28} {title}")?;
            if let Some(url) = &r.url {
                writeln!(out, "{:<28} {url}", "")?;
            }
            let to = r
                .final_url
                .as_deref()
                .filter(|u| Some(*u) != r.url.as_deref());
            if let (Some(Change::Moved), Some(to)) = (r.change, to) {
                writeln!(out, "{:<28} -> {to}", "")?;
            }
        }
        for s in report.seeds.iter().filter(|s| !s.changes.is_empty()) {
            let seed = s.title.as_deref().unwrap_or(&s.seed);
            for i in &s.changes.added_to_page {
                writeln!(out, "{:<28} {} ({seed})", "added to the page", i.title)?;
            }
            for i in &s.changes.removed_from_page {
                writeln!(out, "{:<28} {} ({seed})", "removed from the page", i.title)?;
            }
            for (before, now) in &s.changes.href_changed {
                writeln!(
                    out,
                    "{:<28} {}: {} -> {} ({seed})",
                    "href changed",
                    now.title,
                    before.url.as_deref().unwrap_or("-"),
                    now.url.as_deref().unwrap_or("-")
                )?;
            }
        }
        summary_line(report, out)
    }
}
