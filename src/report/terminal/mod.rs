//! The run report on a terminal, and the `Terminal` format itself (history, verify's and seed
//! recover's reports have their terminal forms in their own modules): grouped by seed and
//! section, one line per resource (state, HTTP status, title) with its URL beneath and, for a
//! broken one, what web archives hold of it; the links recovered from a lost seed page's
//! snapshot; then a one-line summary (`run 3 (interrupted): …` when a signal or the deadline
//! stopped it, `run 3 (inconclusive: …): …` when the network here was down). What failed for many lines (a web archive down, a host unreachable) is said
//! once with its count (outages.rs), not under every line. Colour only when asked. `Quiet`
//! (quiet.rs) is the same report cut to its news, and nothing when there is none.

use crate::report::terminal_safe::TerminalSafe;
use std::io::{self, Write};

use console::Style;

mod outages;
mod quiet;

pub use quiet::Quiet;

use super::formats::{minute, webarchive};
use super::{Render, ResourceReport, RunReport, SeedReport};
use crate::model::{Change, Kind, Significance, State};
use crate::store::RunStatus;
use outages::Outages;

/// The indent of the lines under a resource's first line (state column, status column).
const UNDER: &str = "                                      ";

/// For a person at a terminal: the run report here, the other documents in their own modules.
pub struct Terminal {
    /// Colour the states (only the run report has colour).
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

impl Render<RunReport> for Terminal {
    fn render(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let out = &mut TerminalSafe::new(out, self.color);
        let bold = Style::new().force_styling(self.color).bold();
        let outages = Outages::of(report);
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
                web_archives(r, report, &outages, out)?;
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
            page_snapshot(seed, &bold, &outages, out)?;
            writeln!(out)?;
        }
        changes_since_last_run(report, &bold, out)?;
        outages.render(out)?;
        summary_line(report, out)
    }
}

/// The last line: `run 3: 4 listed, 3 ok, … in 21.5 s`, or `run 3 (interrupted): …`, or
/// `run 3 (inconclusive: the network here was down): …`.
fn summary_line(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let elapsed = (report.run.finished - report.run.started).num_milliseconds() as f64 / 1000.0;
    let mut rescued = Vec::new();
    if s.snapshots_found > 0 {
        rescued.push(plural(
            s.snapshots_found,
            "snapshot found",
            "snapshots found",
        ));
    }
    if s.recovered > 0 {
        rescued.push(plural(s.recovered, "copy recovered", "copies recovered"));
    }
    let rescued = if rescued.is_empty() {
        String::new()
    } else {
        format!("; web archives: {}", rescued.join(", "))
    };
    let interrupted = match report.run.status {
        RunStatus::Interrupted => " (interrupted)",
        RunStatus::Inconclusive => " (inconclusive: the network here was down)",
        _ => "",
    };
    writeln!(
        out,
        "run {}{interrupted}: {} listed, {} ok, {} redirected, {} broken, {} skipped, {} unresolved in {elapsed:.1} s{rescued}",
        report.run.id, s.total, s.ok, s.redirected, s.broken, s.skipped, s.unresolved
    )
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Under a broken resource: the closest snapshot web archives hold, or that none exists, and
/// the copy recovered from one that our archive holds (said to be older when it is).
fn web_archives(
    r: &ResourceReport,
    report: &RunReport,
    outages: &Outages,
    out: &mut dyn Write,
) -> io::Result<()> {
    if let Some(asked) = r.archive_lookup.as_deref() {
        let lookup = &outages.trim(asked);
        let cached = if lookup.cached { ", cached answer" } else { "" };
        // The archives that were down: named here, their error said once at the end.
        let down = outages.names_in(asked);
        let down = if down.is_empty() {
            String::new()
        } else {
            format!(" ({} unreachable)", down.join(", "))
        };
        match &lookup.snapshot {
            Some(s) => writeln!(
                out,
                "{UNDER}closest snapshot: {} ({}{cached})",
                s.url,
                webarchive::snapshot_label(s)
            )?,
            None => writeln!(out, "{UNDER}{}{cached}{down}", webarchive::absence(lookup))?,
        }
        if lookup.snapshot.is_some() {
            for note in webarchive::notes(lookup) {
                writeln!(out, "{UNDER}note: {note}")?;
            }
        }
    }
    // A live resource's recovered copy is history, not news: `history` and the index show it.
    if r.state == State::Broken
        && let Some(copy) = &r.recovered
    {
        let earlier = if copy.copy.recovered_at < report.run.started {
            format!(" (kept since {})", minute(&copy.copy.recovered_at))
        } else {
            String::new()
        };
        writeln!(
            out,
            "{UNDER}{} → {}{earlier}",
            webarchive::recovered_from(&copy.copy),
            copy.archived
        )?;
    }
    Ok(())
}

/// Under a seed whose page is gone: the links its snapshot gave back, matched to the titles a
/// manifest lists, or all of them for a page seed (each is checked above like any listed link).
fn page_snapshot(
    seed: &SeedReport,
    bold: &Style,
    outages: &Outages,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(lookup) = &seed.page_lookup else {
        return Ok(());
    };
    let lookup = &outages.trim(lookup);
    match &lookup.snapshot {
        Some(s) => {
            writeln!(
                out,
                "  {}",
                bold.apply_to(format!(
                    "links recovered from the page's snapshot ({})",
                    webarchive::snapshot_label(s)
                ))
            )?;
            if seed.recovered_links.is_empty() {
                writeln!(out, "    no link was recovered from it")?;
            }
            for l in &seed.recovered_links {
                writeln!(out, "    {} ← {}", l.url, l.title)?;
            }
        }
        None => {
            writeln!(out, "  {}", bold.apply_to("the page's snapshot"))?;
            writeln!(
                out,
                "    {}: its links could not be recovered",
                webarchive::absence(lookup)
            )?;
        }
    }
    Ok(())
}

/// The end of `check`'s output: what is different since the previous run.
fn changes_since_last_run(report: &RunReport, bold: &Style, out: &mut dyn Write) -> io::Result<()> {
    // Markup-only and volatile changes are history, not news: counted, not listed.
    let minor = |r: &&crate::report::ResourceReport| {
        r.change == Some(Change::Changed)
            && r.significance.is_some_and(|s| s != Significance::Content)
    };
    let notable: Vec<_> = report
        .resources
        .iter()
        .filter(|r| {
            !matches!(
                r.change,
                None | Some(Change::Unchanged | Change::New | Change::Inconclusive)
            )
        })
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::model::{
        ArchiveLookup, ItemChanges, Reason, Recovered, RecoveredLink, Sha256, Snapshot, Summary,
    };
    use crate::report::{RecoveredCopy, RunInfo};
    use crate::store::RunStatus;

    const SEED: &str = "seeds/s.toml";
    const MEMENTO: &str = "http://archive.example/web/20070504101112/http://h/p.pdf";

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 12)
            .single()
            .unwrap_or_default()
    }

    fn broken(url: &str, title: &str) -> ResourceReport {
        ResourceReport {
            url: Some(url.into()),
            title: Some(title.into()),
            titles: Vec::new(),
            section: Some("Docs".into()),
            seed: SEED.into(),
            kind: Kind::Item,
            state: State::Broken,
            reason: Some(Reason::NotFound),
            http_status: Some(404),
            final_url: None,
            redirects: Vec::new(),
            sha256: None,
            last_good_sha256: None,
            bytes: None,
            content_type: None,
            archived: None,
            checked_at: None,
            elapsed_ms: None,
            attempts: 1,
            change: None,
            failures: 1,
            soft_404: None,
            significance: None,
            similarity: None,
            diff: None,
            not_modified: false,
            archive_lookup: None,
            recovered: None,
            note: None,
            error: None,
        }
    }

    fn lookup(snapshot: Option<&str>, notes: &[&str]) -> ArchiveLookup {
        ArchiveLookup {
            candidates: Vec::new(),
            target: at(2007, 5, 1, 0, 0),
            snapshot: snapshot.map(|url| Snapshot {
                archive: "wayback".into(),
                url: url.into(),
                datetime: at(2007, 5, 4, 10, 11),
                status: Some(200),
            }),
            cached: false,
            notes: notes.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    fn copy(recovered_at: DateTime<Utc>) -> RecoveredCopy {
        RecoveredCopy::of(&Recovered {
            sha256: Sha256([0xef; 32]),
            bytes: 99,
            content_type: None,
            archive: "wayback".into(),
            memento_url: MEMENTO.into(),
            fetched_url: MEMENTO.into(),
            memento_datetime: at(2007, 5, 4, 10, 11),
            recovered_at,
        })
    }

    fn report(resources: Vec<ResourceReport>, seed: SeedReport, summary: Summary) -> RunReport {
        RunReport {
            version: 1,
            run: RunInfo {
                id: 3,
                started: at(2026, 11, 29, 6, 0),
                finished: at(2026, 11, 29, 6, 1),
                status: RunStatus::Complete,
                outage: None,
            },
            summary,
            seeds: vec![seed],
            resources,
        }
    }

    fn seed() -> SeedReport {
        SeedReport {
            seed: SEED.into(),
            title: Some("Seminar".into()),
            page_url: Some("http://h/".into()),
            state: State::Broken,
            listed: 3,
            missing_from_page: Vec::new(),
            new_on_page: Vec::new(),
            changes: ItemChanges::default(),
            page_lookup: None,
            recovered_links: Vec::new(),
        }
    }

    fn render(report: &RunReport) -> String {
        let mut out = Vec::new();
        let rendered = Terminal { color: false }.render(report, &mut out);
        assert!(rendered.is_ok());
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn a_broken_resource_shows_its_closest_snapshot_or_why_there_is_none() {
        let mut found = broken("http://h/p.pdf", "Programme");
        found.archive_lookup = Some(Box::new(lookup(
            Some(MEMENTO),
            &["http://tg/: no snapshot"],
        )));
        found.recovered = Some(Box::new(copy(at(2026, 11, 29, 6, 0))));
        let mut kept = broken("http://h/q.pdf", "Older");
        kept.archive_lookup = Some(Box::new(lookup(
            Some(MEMENTO),
            &["wayback: the snapshot answered HTTP 502"],
        )));
        kept.recovered = Some(Box::new(copy(at(2026, 11, 20, 6, 0))));
        let mut none = broken("http://h/r.pdf", "Nowhere");
        none.archive_lookup = Some(Box::new(lookup(None, &["wayback: no snapshot"])));
        let summary = Summary {
            total: 3,
            broken: 3,
            snapshots_found: 2,
            recovered: 1,
            ..Summary::default()
        };
        let text = render(&report(vec![found, kept, none], seed(), summary));
        let blob = format!("files/ef/{}.pdf", Sha256([0xef; 32]).to_hex());
        for line in [
            format!("{UNDER}closest snapshot: {MEMENTO} (wayback, 2007-05-04 10:11 UTC)"),
            format!("{UNDER}recovered from wayback snapshot of 2007-05-04 10:11 UTC → {blob}"),
            format!("{UNDER}note: wayback: the snapshot answered HTTP 502"),
            format!(
                "{UNDER}recovered from wayback snapshot of 2007-05-04 10:11 UTC → {blob} (kept since 2026-11-20 06:00 UTC)"
            ),
            format!("{UNDER}no snapshot in wayback"),
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
        assert!(
            !text.contains("http://tg/"),
            "a plain \"no snapshot\" beside a snapshot is noise"
        );
        assert!(
            text.contains(
                "unresolved in 60.0 s; web archives: 2 snapshots found, 1 copy recovered\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_lost_seed_page_lists_the_links_its_snapshot_gave_back() {
        let mut s = seed();
        s.page_lookup = Some(lookup(Some(MEMENTO), &[]));
        s.recovered_links = vec![RecoveredLink {
            title: "Programme".into(),
            section: Some("Docs".into()),
            url: "http://h/p.pdf".into(),
            link_text: "Programme (pdf)".into(),
            archive: "wayback".into(),
            memento_url: MEMENTO.into(),
            memento_datetime: at(2007, 5, 4, 10, 11),
        }];
        let text = render(&report(Vec::new(), s, Summary::default()));
        assert!(text.contains(
            "  links recovered from the page's snapshot (wayback, 2007-05-04 10:11 UTC)\n    http://h/p.pdf ← Programme\n"
        ), "{text}");
        assert!(
            text.ends_with("unresolved in 60.0 s\n"),
            "nothing to add: {text}"
        );

        let mut gone = seed();
        gone.page_lookup = Some(lookup(None, &["wayback: no snapshot"]));
        let text = render(&report(Vec::new(), gone, Summary::default()));
        assert!(text.contains(
            "  the page's snapshot\n    no snapshot in wayback: its links could not be recovered\n"
        ), "{text}");
    }

    #[test]
    fn fail_on_takes_states_and_changes_and_a_change_counts_in_its_run_only() {
        use crate::config::FailOn;
        let on = |names: &[&str]| -> Vec<FailOn> {
            names.iter().filter_map(|n| FailOn::parse(n).ok()).collect()
        };
        let with = |change: Change| {
            let mut r = broken("http://h/p.pdf", "P");
            r.change = Some(change);
            r
        };
        let newly = with(Change::NewlyBroken);
        let still = with(Change::StillBroken);
        let failing = with(Change::Failing);
        let first = with(Change::New);
        assert!(newly.fails(&on(&["newly-broken"])));
        assert!(!still.fails(&on(&["newly-broken"])));
        assert!(still.fails(&on(&["moved", "broken"])));
        assert!(still.fails(&on(&["still-broken"])));
        // Failing, below --confirm: no alarm for the state, only when asked for by name.
        assert!(!failing.fails(&on(&["broken"])));
        assert!(failing.fails(&on(&["failing"])));
        // Broken at its first check: newly broken, as the change report says.
        assert!(first.fails(&on(&["newly-broken"])));
        assert!(!first.fails(&on(&["new"])));
        let mut volatile = with(Change::Changed);
        volatile.state = State::Ok;
        volatile.significance = Some(Significance::Volatile);
        let mut content = volatile.clone();
        content.significance = Some(Significance::Content);
        assert!(!volatile.fails(&on(&["changed"])) && !volatile.is_news());
        assert!(content.fails(&on(&["changed"])) && content.is_news());
    }

    #[test]
    fn quiet_says_nothing_without_news_and_an_interrupted_run_is_news() {
        let mut still = broken("http://h/p.pdf", "P");
        still.change = Some(Change::StillBroken);
        let mut quiet = report(vec![still], seed(), Summary::default());
        let text = |r: &RunReport| {
            let mut out = Vec::new();
            assert!(Quiet { color: false }.render(r, &mut out).is_ok());
            String::from_utf8_lossy(&out).into_owned()
        };
        assert_eq!(text(&quiet), "");
        quiet.run.status = RunStatus::Interrupted;
        assert_eq!(
            text(&quiet),
            "run 3 (interrupted): 0 listed, 0 ok, 0 redirected, 0 broken, 0 skipped, 0 unresolved in 60.0 s\n"
        );
    }

    #[test]
    fn an_inconclusive_run_is_news_and_lists_no_change_or_host_outage() {
        let mut a = broken("http://h/a.pdf", "A");
        a.reason = Some(crate::model::Reason::Timeout);
        a.change = Some(Change::Inconclusive);
        let mut b = a.clone();
        b.url = Some("http://h/b.pdf".into());
        let mut run = report(vec![a, b], seed(), Summary::default());
        run.run.status = RunStatus::Inconclusive;
        run.run.outage = Some("every one of 1 hosts failed".into());
        assert!(run.has_news());
        let mut quiet = Vec::new();
        assert!(Quiet { color: false }.render(&run, &mut quiet).is_ok());
        assert_eq!(
            String::from_utf8_lossy(&quiet),
            "run 3 (inconclusive: the network here was down): 0 listed, 0 ok, 0 redirected, 0 broken, 0 skipped, 0 unresolved in 60.0 s\n"
        );
        let mut full = Vec::new();
        assert!(Terminal { color: false }.render(&run, &mut full).is_ok());
        let full = String::from_utf8_lossy(&full);
        assert!(!full.contains("Since the last run"), "{full}");
        assert!(!full.contains("unreachable in this run"), "{full}");
        assert!(full.contains("broken timeout"), "{full}");
    }

    #[test]
    fn an_archive_down_for_many_lookups_is_said_once_with_the_count() {
        let why = "error sending request for url (http://archive.example/)";
        let mut first = broken("http://h/1.pdf", "One");
        first.archive_lookup = Some(Box::new(lookup(None, &[&format!("wayback: {why}")])));
        let skipped = format!("wayback: not asked again in this run ({why})");
        let mut rest: Vec<ResourceReport> = (2..=4)
            .map(|i| {
                let mut r = broken(&format!("http://h/{i}.pdf"), "Other");
                r.archive_lookup = Some(Box::new(lookup(
                    None,
                    &[&skipped, "http://tg/: no snapshot"],
                )));
                r
            })
            .collect();
        rest.insert(0, first);
        let text = render(&report(rest, seed(), Summary::default()));
        assert_eq!(
            text.matches(&format!(
                "wayback unreachable in this run ({why}): 4 lookups without its answer\n"
            ))
            .count(),
            1,
            "{text}"
        );
        assert!(!text.contains("not asked again"), "{text}");
        assert_eq!(
            text.matches(&format!(
                "{UNDER}no snapshot in http://tg/ (wayback unreachable)\n"
            ))
            .count(),
            3,
            "{text}"
        );
        assert_eq!(
            text.matches(&format!("{UNDER}no snapshot found (wayback unreachable)\n"))
                .count(),
            1,
            "{text}"
        );
    }

    #[test]
    fn a_host_unreachable_for_several_links_is_said_once_and_one_link_alone_is_not() {
        let down = |url: &str, reason: Reason| {
            let mut r = broken(url, "Doc");
            r.reason = Some(reason);
            r.http_status = None;
            r
        };
        let resources = vec![
            down("http://gone.example/1.pdf", Reason::Dns),
            down("http://gone.example/2.pdf", Reason::Dns),
            down("http://slow.example/1.pdf", Reason::Timeout),
            broken("http://gone.example/3.pdf", "Missing"),
        ];
        let text = render(&report(resources, seed(), Summary::default()));
        let said: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("unreachable in this run"))
            .collect();
        assert_eq!(
            said,
            ["gone.example unreachable in this run (dns): 2 links"],
            "{text}"
        );
    }

    #[test]
    fn quiet_lists_content_changes_and_seed_list_changes_but_not_markup_changes() {
        let ok = |url: &str, title: &str, significance: Significance| {
            let mut r = broken(url, title);
            r.state = State::Ok;
            r.reason = None;
            r.http_status = Some(200);
            r.change = Some(Change::Changed);
            r.significance = Some(significance);
            r
        };
        let mut s = seed();
        s.changes.added_to_page.push(crate::model::ListedItem {
            title: "Annex".into(),
            section: None,
            url: Some("http://h/annex.pdf".into()),
        });
        let resources = vec![
            ok("http://h/notes.html", "Notes", Significance::Content),
            ok("http://h/news.html", "News", Significance::Volatile),
        ];
        let mut out = Vec::new();
        let quiet = report(resources, s, Summary::default());
        assert!(Quiet { color: false }.render(&quiet, &mut out).is_ok());
        let text = String::from_utf8_lossy(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..3],
            [
                format!("{:<28} Notes", "changed"),
                format!("{:<28} http://h/notes.html", ""),
                format!("{:<28} Annex (Seminar)", "added to the page"),
            ],
            "{text}"
        );
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[3].starts_with("run 3: "), "{text}");
    }
}
