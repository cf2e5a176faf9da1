//! The terminal report: grouped by seed and section, one line per resource (state, HTTP
//! status, title) with its URL beneath, then a one-line summary. Colour only when asked.

use std::io::{self, Write};

use console::Style;

use super::{Reporter, RunReport};
use crate::model::{Kind, State};

pub struct Terminal {
    pub color: bool,
}

impl Terminal {
    fn style(&self, state: State) -> Style {
        let s = Style::new().force_styling(self.color);
        match state {
            State::Ok => s.green(),
            State::Redirected => s.yellow(),
            State::Broken => s.red().bold(),
            State::Skipped | State::Unresolved => s.dim(),
        }
    }
}

impl Reporter for Terminal {
    fn render(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let bold = Style::new().force_styling(self.color).bold();
        for seed in &report.seeds {
            let name = seed.title.as_deref().unwrap_or(&seed.seed);
            writeln!(out, "{}  ({})", bold.apply_to(name), seed.seed)?;
            let mut section: Option<&str> = None;
            let mut first = true;
            for r in report.resources.iter().filter(|r| r.seed == seed.seed) {
                let this = if r.kind == Kind::Page {
                    Some("page")
                } else {
                    r.section.as_deref()
                };
                if first || this != section {
                    writeln!(out, "  {}", bold.apply_to(this.unwrap_or("(no section)")))?;
                    section = this;
                    first = false;
                }
                let status = r.http_status.map_or("   ".to_string(), |s| s.to_string());
                let label = match r.reason {
                    Some(reason) => format!("{} {}", r.state, reason),
                    None => r.state.to_string(),
                };
                let title = r
                    .title
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .unwrap_or("(untitled)");
                writeln!(
                    out,
                    "    {} {status:>3}  {title}",
                    self.style(r.state).apply_to(format!("{label:<28}"))
                )?;
                if let Some(url) = &r.url {
                    writeln!(out, "    {:<28}      {url}", "")?;
                }
                for also in r.titles.iter().skip(1) {
                    writeln!(out, "    {:<28}      also listed as: {also}", "")?;
                }
                if let Some(last) = r.redirects.last() {
                    writeln!(out, "    {:<28}      -> {}", "", last.location)?;
                }
            }
            if !seed.missing_from_page.is_empty() {
                writeln!(out, "  {}", bold.apply_to("no longer on the live page"))?;
                for t in &seed.missing_from_page {
                    writeln!(out, "    - {t}")?;
                }
            }
            if !seed.new_on_page.is_empty() {
                writeln!(out, "  {}", bold.apply_to("new on the live page"))?;
                for u in &seed.new_on_page {
                    writeln!(out, "    + {u}")?;
                }
            }
            writeln!(out)?;
        }
        changes_since_last_run(report, &bold, out)?;
        let s = &report.summary;
        let elapsed = (report.run.finished - report.run.started).num_milliseconds() as f64 / 1000.0;
        writeln!(
            out,
            "run {}: {} listed, {} ok, {} redirected, {} broken, {} skipped, {} unresolved in {elapsed:.1} s",
            report.run.id, s.total, s.ok, s.redirected, s.broken, s.skipped, s.unresolved
        )
    }
}

/// The end of `check`'s output: what is different since the previous run.
fn changes_since_last_run(report: &RunReport, bold: &Style, out: &mut dyn Write) -> io::Result<()> {
    use crate::change::Significance;
    use crate::transition::Change;
    // Markup-only and volatile changes are history, not news: counted, not listed.
    let minor = |r: &&crate::report::ResourceReport| {
        r.change == Some(Change::Changed)
            && r.significance.is_some_and(|s| s != Significance::Content)
    };
    let notable: Vec<_> = report
        .resources
        .iter()
        .filter(|r| !matches!(r.change, None | Some(Change::Unchanged) | Some(Change::New)))
        .filter(|r| !minor(r))
        .collect();
    let minor_count = report.resources.iter().filter(|r| minor(r)).count();
    let new = report
        .resources
        .iter()
        .filter(|r| r.change == Some(Change::New))
        .count();
    let seed_changes: Vec<_> = report
        .seeds
        .iter()
        .filter(|s| !s.changes.is_empty())
        .collect();
    if notable.is_empty() && seed_changes.is_empty() && minor_count == 0 {
        return Ok(());
    }
    writeln!(out, "{}", bold.apply_to("Since the last run"))?;
    for r in notable {
        let change = r.change.map_or("", |c| c.as_str());
        let label =
            if r.failures > 1 && matches!(r.change, Some(Change::Failing | Change::StillBroken)) {
                format!("{change} ({} checks)", r.failures)
            } else {
                change.to_string()
            };
        let title = r
            .title
            .as_deref()
            .or(r.url.as_deref())
            .unwrap_or("(untitled)");
        writeln!(out, "  {label:<22} {title}")?;
    }
    if new > 0 {
        writeln!(out, "  {new} resources checked for the first time")?;
    }
    if minor_count > 0 {
        writeln!(
            out,
            "  {minor_count} resources changed only in markup or volatile tokens (dates, counters, ids)"
        )?;
    }
    for s in seed_changes {
        for i in &s.changes.added_to_page {
            writeln!(out, "  added to the page      {}", i.title)?;
        }
        for i in &s.changes.removed_from_page {
            writeln!(out, "  removed from the page  {}", i.title)?;
        }
        for (before, now) in &s.changes.href_changed {
            writeln!(
                out,
                "  href changed           {}: {} -> {}",
                now.title,
                before.url.as_deref().unwrap_or("-"),
                now.url.as_deref().unwrap_or("-")
            )?;
        }
    }
    writeln!(out)
}
