//! What the human formats (markdown, html, and the text of atom and junit) say, in plain text
//! and in order: the title, the summary line, the sections most urgent first, each grouped by
//! seed then section, what web archives hold of each broken link, and the seeds' own changes.
//! Renderers only add markup and escaping, so the formats cannot drift apart.

use std::collections::BTreeMap;
use std::path::Path;

use super::webarchive;
use super::{day, kebab, minute};
use crate::model::ItemChanges;
use crate::report::changes::{ChangeReport, ChangeSummary, Entry, SeedChanges, Urgency, Window};
use crate::store::RunStatus;

pub(super) struct Outline<'a> {
    /// `linkward: changes in runs 41–43 (2026-11-27 – 2026-11-29)`.
    pub title: String,
    /// The baseline and when the report was made.
    pub subtitle: String,
    /// `2 newly broken, 1 moved, ...`.
    pub summary: String,
    /// Nothing happened and nothing is broken: the report is one line.
    pub nothing: bool,
    pub sections: Vec<Section<'a>>,
    pub seeds: Vec<SeedBlock<'a>>,
    /// The archive read, for the `linkward get` commands.
    pub archive: Option<&'a Path>,
}

pub(super) struct Section<'a> {
    pub urgency: Urgency,
    pub heading: &'static str,
    /// One sentence on what the section means for the maintainer.
    pub blurb: &'static str,
    pub count: usize,
    pub seeds: Vec<SeedGroup<'a>>,
}

pub(super) struct SeedGroup<'a> {
    /// `Title (seed)`, the seed alone, or `Other links` for entries of no seed.
    pub label: String,
    pub sections: Vec<SectionGroup<'a>>,
}

pub(super) struct SectionGroup<'a> {
    pub name: Option<&'a str>,
    pub entries: Vec<&'a Entry>,
}

/// A seed with changes of its own: its page's transitions and its list's changes.
pub(super) struct SeedBlock<'a> {
    pub label: String,
    pub page_url: Option<&'a str>,
    pub page: Vec<&'a Entry>,
    pub items: &'a ItemChanges,
}

impl<'a> Outline<'a> {
    pub fn new(report: &'a ChangeReport) -> Outline<'a> {
        let labels: BTreeMap<&str, String> = report
            .seeds
            .iter()
            .map(|s| (s.seed.as_str(), seed_label(s)))
            .collect();
        let label_of = |seed: Option<&str>| match seed {
            Some(seed) => labels
                .get(seed)
                .cloned()
                .unwrap_or_else(|| seed.to_string()),
            None => String::from("Other links"),
        };

        // The model promises urgency order; a stable sort keeps its order of titles within a
        // group while making sure a group is never split.
        let mut entries: Vec<&Entry> = report.entries.iter().collect();
        entries.sort_by(|a, b| {
            (a.urgency, &a.seed, &a.section).cmp(&(b.urgency, &b.seed, &b.section))
        });
        let mut sections: Vec<Section> = Vec::new();
        for e in entries {
            if sections.last().is_none_or(|s| s.urgency != e.urgency) {
                let (heading, blurb) = heading(e.urgency);
                sections.push(Section {
                    urgency: e.urgency,
                    heading,
                    blurb,
                    count: 0,
                    seeds: Vec::new(),
                });
            }
            let Some(section) = sections.last_mut() else {
                continue;
            };
            section.count += 1;
            let label = label_of(e.seed.as_deref());
            if section.seeds.last().is_none_or(|g| g.label != label) {
                section.seeds.push(SeedGroup {
                    label,
                    sections: Vec::new(),
                });
            }
            let Some(group) = section.seeds.last_mut() else {
                continue;
            };
            let name = e.section.as_deref();
            if group.sections.last().is_none_or(|s| s.name != name) {
                group.sections.push(SectionGroup {
                    name,
                    entries: Vec::new(),
                });
            }
            if let Some(sub) = group.sections.last_mut() {
                sub.entries.push(e);
            }
        }

        let seeds: Vec<SeedBlock> = report
            .seeds
            .iter()
            .map(|s| SeedBlock {
                label: seed_label(s),
                page_url: s.page_url.as_deref(),
                page: s
                    .page
                    .iter()
                    .filter_map(|id| report.entries.iter().find(|e| &e.id == id))
                    .collect(),
                items: &s.items,
            })
            .filter(|b| !b.page.is_empty() || !b.items.is_empty())
            .collect();

        let window = window_text(&report.window);
        Outline {
            title: if report.window.runs.is_empty() {
                String::from("linkward: change report, no runs yet")
            } else {
                format!("linkward: changes in {window}")
            },
            subtitle: subtitle(report),
            summary: summary_text(&report.summary),
            nothing: sections.is_empty() && seeds.is_empty(),
            sections,
            seeds,
            archive: report.archive_dir.as_deref(),
        }
    }

    /// The whole report when there is nothing to report.
    pub fn nothing_line(report: &ChangeReport) -> String {
        if report.window.runs.is_empty() {
            String::from("linkward: no runs in this window, nothing to report.")
        } else {
            format!(
                "linkward: nothing to report for {}: nothing broke, moved, changed or recovered.",
                window_text(&report.window)
            )
        }
    }
}

fn seed_label(s: &SeedChanges) -> String {
    match &s.title {
        Some(title) if !title.trim().is_empty() => format!("{} ({})", title.trim(), s.seed),
        _ => s.seed.clone(),
    }
}

fn heading(u: Urgency) -> (&'static str, &'static str) {
    match u {
        Urgency::Broken => (
            "Newly broken",
            "Links that stopped working in this window, soft 404s (a page that answers but means \"gone\") among them.",
        ),
        Urgency::Moved => (
            "Moved",
            "Permanent redirects: the link still works, but the page should point at the new address.",
        ),
        Urgency::Changed => (
            "Changed",
            "Reachable before and after, with different content.",
        ),
        Urgency::Recovered => ("Recovered", "Broken before, working again."),
        Urgency::StillBroken => ("Still broken", "Broken since an earlier window."),
        Urgency::Failing => (
            "Failing",
            "Failed, but not yet as many times in a row as it takes to be reported broken.",
        ),
    }
}

/// `runs 41–43 (2026-11-27 – 2026-11-29)`, `run 43 (2026-11-29)`, or `no runs`; a run stopped
/// by a signal or the deadline is said, and so is one during which the network here was down:
/// `run 43 (2026-11-29, interrupted)`, `runs 41–43 (2026-11-27 – 2026-11-29; run 42
/// interrupted)`, `runs 41–43 (…; run 42 inconclusive: network down)`.
pub(super) fn window_text(w: &Window) -> String {
    let with = |status: RunStatus| -> Vec<String> {
        w.runs
            .iter()
            .filter(|r| r.status == status)
            .map(|r| r.id.to_string())
            .collect()
    };
    let interrupted = with(RunStatus::Interrupted);
    let inconclusive = with(RunStatus::Inconclusive);
    match (w.runs.first(), w.runs.last()) {
        (Some(first), Some(last)) if first.id == last.id => {
            let marker = if !interrupted.is_empty() {
                ", interrupted"
            } else if !inconclusive.is_empty() {
                ", inconclusive: network down"
            } else {
                ""
            };
            format!("run {} ({}{marker})", first.id, day(&first.started))
        }
        (Some(first), Some(last)) => {
            let (a, b) = (day(&first.started), day(&last.started));
            let dates = if a == b { a } else { format!("{a} – {b}") };
            let said = |ids: &[String], what: &str| match ids {
                [] => String::new(),
                [one] => format!("; run {one} {what}"),
                many => format!("; runs {} {what}", many.join(", ")),
            };
            format!(
                "runs {}–{} ({dates}{}{})",
                first.id,
                last.id,
                said(&interrupted, "interrupted"),
                said(&inconclusive, "inconclusive: network down")
            )
        }
        _ => String::from("no runs"),
    }
}

fn subtitle(report: &ChangeReport) -> String {
    let n = report.window.runs.len();
    let runs = if n == 1 {
        String::from("1 run")
    } else {
        format!("{n} runs")
    };
    let mut baselines: Vec<Option<u64>> = report.seeds.iter().map(|s| s.baseline_run).collect();
    baselines.sort_unstable();
    baselines.dedup();
    let baseline = match report.window.baseline_run {
        // Seeds checked by different runs are each compared with their own previous run.
        Some(_) if baselines.len() > 1 => {
            String::from("each seed compared with its own previous run")
        }
        Some(id) => format!("compared with run {id}"),
        None => String::from("with no earlier run to compare with"),
    };
    format!(
        "{runs}, {baseline}; generated {}",
        minute(&report.generated)
    )
}

pub(super) fn summary_text(s: &ChangeSummary) -> String {
    let parts: Vec<String> = [
        (s.newly_broken, "newly broken", "newly broken"),
        (s.soft_404, "soft 404", "soft 404s"),
        (s.moved, "moved", "moved"),
        (s.changed, "changed", "changed"),
        (s.recovered, "recovered", "recovered"),
        (s.still_broken, "still broken", "still broken"),
        (s.failing, "failing", "failing"),
        (s.seed_changes, "seed-list change", "seed-list changes"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| count(n, one, many))
    .collect();
    let mut text = if parts.is_empty() {
        String::from("Nothing changed.")
    } else {
        format!("{}.", parts.join(", "))
    };
    let archived: Vec<String> = [
        (s.snapshots_found, "snapshot found", "snapshots found"),
        (
            s.recovered_copies,
            "recovered copy held",
            "recovered copies held",
        ),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| count(n, one, many))
    .collect();
    if !archived.is_empty() {
        text.push_str(&format!(" Web archives: {}.", archived.join(", ")));
    }
    text
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What a maintainer reads first: the title it is listed under, else its URL.
pub(super) fn name(e: &Entry) -> &str {
    match e.title.as_deref() {
        Some(t) if !t.trim().is_empty() => t.trim(),
        _ => &e.url,
    }
}

/// `Newly broken`, `Soft 404`, `Moved`, ...: the kind of event, for titles of feed entries.
pub(super) fn label(e: &Entry) -> &'static str {
    match e.urgency {
        Urgency::Broken if e.soft_404.is_some() => "Soft 404",
        Urgency::Broken => "Newly broken",
        Urgency::Moved => "Moved",
        Urgency::Changed => "Changed",
        Urgency::Recovered => "Recovered",
        Urgency::StillBroken => "Still broken",
        Urgency::Failing => "Failing",
    }
}

/// `Newly broken: Programme (pdf) of the seminar`.
pub(super) fn headline(e: &Entry) -> String {
    format!("{}: {}", label(e), name(e))
}

/// The facts about one entry, in plain text, most telling first. The link to update to and the
/// diff are not among them: each format shows those in its own way.
pub(super) fn facts(e: &Entry) -> Vec<String> {
    let mut out = Vec::new();
    match (&e.soft_404, e.reason) {
        (Some(rule), _) => out.push(format!("soft 404 ({})", soft_404_text(&kebab(rule)))),
        (None, Some(reason)) => out.push(format!("{}: {}", e.state, reason)),
        (None, None) => out.push(e.state.to_string()),
    }
    if let Some(status) = e.http_status {
        out.push(format!("HTTP {status}"));
    }
    if let Some(sig) = &e.significance {
        out.push(significance_text(&kebab(sig)));
    }
    if let Some(sim) = e.similarity {
        out.push(format!("{} similar", percent(sim)));
    }
    let checks = |n: u32| {
        if n == 1 {
            String::from("1 check")
        } else {
            format!("{n} checks")
        }
    };
    match e.urgency {
        // Newly broken after one failure: "since" is just now, not worth a word.
        Urgency::Broken if e.failures <= 1 => {}
        Urgency::Broken | Urgency::StillBroken => match e.broken_since {
            Some(since) => out.push(format!(
                "broken since {} ({} in a row)",
                minute(&since),
                checks(e.failures)
            )),
            None if e.failures > 0 => out.push(format!("{} in a row", checks(e.failures))),
            None => {}
        },
        Urgency::Failing => out.push(format!(
            "{} failed in a row, not yet confirmed",
            checks(e.failures.max(1))
        )),
        Urgency::Recovered => {
            if let Some(since) = e.broken_since {
                out.push(format!("had been broken since {}", minute(&since)));
            }
        }
        Urgency::Moved | Urgency::Changed => {}
    }
    // The condition lasted over several runs: the entry tells the latest check, and since when.
    if e.since_run != e.run_id {
        out.push(format!(
            "since run {} of this window ({})",
            e.since_run,
            minute(&e.since)
        ));
    }
    out.push(format!(
        "checked {} (run {})",
        minute(&e.checked_at),
        e.run_id
    ));
    // Listed under a more urgent heading than its state now: say what it is now.
    if e.latest_run != e.run_id && e.latest_state.is_reachable() != e.state.is_reachable() {
        out.push(format!("{} in run {}", e.latest_state, e.latest_run));
    }
    out
}

/// For a broken entry whose last good copy fetched live is held: `good copy held, fetched
/// 2026-11-28 06:00 UTC`, and the command that writes it out, ready to paste.
pub(super) fn good_copy(e: &Entry, archive: Option<&Path>) -> Option<(String, String)> {
    let copy = e.good_copy.as_ref()?;
    let archive = archive.map_or_else(|| String::from("DIR"), |a| shell_word(&a.to_string_lossy()));
    Some((
        format!("good copy held, fetched {}", minute(&copy.checked_at)),
        format!("linkward get {} --archive {archive}", shell_word(&e.url)),
    ))
}

/// `s` as one word for a POSIX shell: as is when it holds nothing the shell reads, else in
/// single quotes (a URL's `?` and `&` would otherwise glob and fork).
fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-:@%+=,~".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// What web archives hold of a broken entry, in pieces each format can link and mark up.
pub(super) struct WebArchive<'a> {
    /// The closest snapshot's URL, and `wayback, 2007-05-04 10:11 UTC`.
    pub snapshot: Option<(&'a str, String)>,
    /// `no snapshot in wayback`, when no archive has one.
    pub absence: Option<String>,
    /// What else the archives said next to a snapshot found (a recovery that failed, an error).
    pub notes: Vec<String>,
    /// `recovered from wayback snapshot of ...`, and the path of its blob in the archive.
    pub copy: Option<(String, &'a str)>,
}

/// `None` when no archive was asked about the entry and no copy was recovered.
pub(super) fn web_archive(e: &Entry) -> Option<WebArchive<'_>> {
    if e.archive_lookup.is_none() && e.recovered.is_none() {
        return None;
    }
    let lookup = e.archive_lookup.as_ref();
    let snapshot = lookup.and_then(|l| l.snapshot.as_ref());
    Some(WebArchive {
        snapshot: snapshot.map(|s| (s.url.as_str(), webarchive::snapshot_label(s))),
        absence: lookup
            .filter(|l| l.snapshot.is_none())
            .map(webarchive::absence),
        notes: lookup
            .filter(|l| l.snapshot.is_some())
            .map(webarchive::notes)
            .unwrap_or_default(),
        copy: e.recovered.as_ref().map(|r| {
            (
                format!("copy {}", webarchive::recovered_from(&r.copy)),
                r.archived.as_str(),
            )
        }),
    })
}

/// [`web_archive`] as plain lines, for the formats that carry text only (a feed's summary, a
/// JUnit failure).
pub(super) fn web_archive_lines(e: &Entry) -> Vec<String> {
    let Some(w) = web_archive(e) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some((url, label)) = &w.snapshot {
        out.push(format!("closest snapshot: {url} ({label})"));
    }
    out.extend(w.absence);
    out.extend(w.notes.iter().map(|n| format!("note: {n}")));
    if let Some((text, path)) = &w.copy {
        out.push(format!("{text}, kept as {path}"));
    }
    out
}

/// `73%`, rounded, but never `100%` or `0%` unless exactly so: a page that did change is not
/// "100% similar", and one reachable link in 300 is not "0% reachable".
pub(super) fn percent(share: f64) -> String {
    let share = share.clamp(0.0, 1.0);
    let mut p = (share * 100.0).round();
    if share < 1.0 {
        p = p.min(99.0);
    }
    if share > 0.0 {
        p = p.max(1.0);
    }
    format!("{p:.0}%")
}

fn soft_404_text(rule: &str) -> String {
    let why = match rule {
        "redirect-to-root" => "a deep link redirected to the site's home page",
        "like-missing-page" => "the same as the site's answer for a page that does not exist",
        "says-not-found" => "its title or heading says \"not found\"",
        _ => return rule.to_string(),
    };
    format!("{rule}: {why}")
}

fn significance_text(sig: &str) -> String {
    match sig {
        "bytes-only" => String::from("bytes only: the text is the same"),
        "volatile" => String::from("volatile: only dates, counters or ids differ"),
        "content" => String::from("content changed"),
        other => other.to_string(),
    }
}
