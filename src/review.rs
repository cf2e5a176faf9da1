//! Change reports from the store alone: picks a window of runs, turns their checks into events
//! ordered by urgency (a broken one with what web archives said of it and the copy recovered
//! from one), and gathers the timelines and the reachability chart. Never fetches.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::judge::excerpt::Excerpts;
use crate::judge::transition::item_changes;
use crate::model::SeedSnapshot;
use crate::model::{Change, ItemChanges, Significance};
use crate::model::{Reason, State};
use crate::report::RecoveredCopy;
use crate::report::changes::{
    CHANGE_REPORT_VERSION, Cell, ChangeReport, ChangeSummary, Entry, GoodCopy, RunPoint, RunRef,
    SeedChanges, Timeline, Urgency, Window,
};
use crate::store::{CheckRecord, ResourceRecord, RunRecord, RunStatus, Store, StoreError};

/// The window of `report --format html` when neither `--runs` nor `--since` is given: enough
/// runs for its timeline and chart to show history (a month of daily runs).
pub const DEFAULT_HTML_REPORT_RUNS: usize = 30;

/// Which runs a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowSpec {
    /// The latest run, against the one before it.
    Latest,
    /// The latest N runs.
    Runs(usize),
    /// Every run started at or after this time.
    Since(DateTime<Utc>),
}

/// Parses `--since`: a date (`2026-11-01`), an RFC 3339 time, or an age (`7d`, `12h`, `2w`).
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let age = humantime::parse_duration(s).map_err(|_| {
        format!("invalid --since {s:?}: use a date (2026-11-01) or an age (7d, 12h)")
    })?;
    let age =
        chrono::Duration::from_std(age).map_err(|_| format!("--since {s:?} is too far back"))?;
    Ok(now - age)
}

/// Where a URL was listed, as of the latest run that listed it.
#[derive(Clone, Debug, Default)]
struct Listing {
    seed: Option<String>,
    title: Option<String>,
    section: Option<String>,
}

/// Which seeds a report covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every seed the archive tracks.
    Tracked,
    /// These seeds only (ids as runs name them): `report --seed`, and a report that notifies,
    /// which keeps to the seeds of the latest run.
    Seeds(Vec<String>),
}

/// One seed's part of a report: its own runs in the window, and the run before them it is
/// compared with.
struct SeedWindow {
    seed: String,
    runs: Vec<u64>,
    baseline: Option<u64>,
}

/// Builds the change report for `spec` from `store`. Each seed is reported over its own runs:
/// `Latest` is each seed's latest run against its own previous one, so a quick check of another
/// seed into a shared archive hides nothing; `Runs(n)` is each seed's latest n runs.
pub fn build(
    store: &Store,
    spec: WindowSpec,
    scope: &Scope,
    excerpts: Option<&Excerpts>,
    now: DateTime<Utc>,
) -> Result<ChangeReport, StoreError> {
    let mut tracked = store.tracked_seeds()?;
    if let Scope::Seeds(names) = scope {
        tracked.retain(|t| names.contains(&t.seed));
    }
    let mut seed_windows = Vec::new();
    let mut window_runs: BTreeMap<u64, RunRecord> = BTreeMap::new();
    for t in tracked {
        let first = match spec {
            WindowSpec::Latest => t.runs.len().saturating_sub(1),
            WindowSpec::Runs(n) => t.runs.len().saturating_sub(n.max(1)),
            WindowSpec::Since(since) => t
                .runs
                .iter()
                .position(|r| r.started >= since)
                .unwrap_or(t.runs.len()),
        };
        if first == t.runs.len() {
            continue;
        }
        // An inconclusive run judged nothing: the window is compared with the last conclusive run.
        let baseline = t.runs[..first]
            .iter()
            .rev()
            .find(|r| r.status != RunStatus::Inconclusive)
            .map(|r| r.id);
        let runs = t.runs[first..].iter().map(|r| r.id).collect();
        for run in &t.runs[first..] {
            window_runs.entry(run.id).or_insert_with(|| run.clone());
        }
        seed_windows.push(SeedWindow {
            seed: t.seed,
            runs,
            baseline,
        });
    }
    let window: Vec<&RunRecord> = window_runs.values().collect();
    let ids: Vec<u64> = window.iter().map(|r| r.id).collect();
    // Compared with: the one run every seed is compared with, else the oldest of them (each
    // seed names its own).
    let baseline = seed_windows.iter().filter_map(|w| w.baseline).min();

    // Where each URL is listed (later runs overwrite earlier ones), and which checks belong to
    // the report: a URL a seed of the window lists, in one of that seed's own window runs.
    let mut listings: HashMap<String, Listing> = HashMap::new();
    let mut reported: HashMap<u64, HashSet<String>> = HashMap::new();
    let mut others: HashMap<u64, HashSet<String>> = HashMap::new();
    let mut seed_lists: Vec<(u64, String, SeedSnapshot)> = Vec::new();
    for w in &seed_windows {
        for &run in &w.runs {
            if let Some(snap) = store.seed_at(&w.seed, run)? {
                seed_lists.push((run, w.seed.clone(), snap));
            }
        }
    }
    seed_lists.sort_by_key(|(run, _, _)| *run);
    for (run, seed, snap) in seed_lists {
        let urls = snap
            .page_url
            .iter()
            .cloned()
            .chain(snap.items.iter().filter_map(|i| i.url.clone()));
        reported.entry(run).or_default().extend(urls);
        if let Some(page) = &snap.page_url {
            listings.insert(
                page.clone(),
                Listing {
                    seed: Some(seed.clone()),
                    title: snap.title.clone(),
                    section: None,
                },
            );
        }
        for item in snap.items {
            if let Some(url) = item.url {
                listings.entry(url).or_insert(Listing {
                    seed: Some(seed.clone()),
                    title: Some(item.title),
                    section: item.section,
                });
            }
        }
    }
    // A URL a window run checked that none of its reported seeds lists: another seed's (left
    // out when that seed's window is elsewhere), or one no recorded list names (kept).
    for run in &window {
        for other in run.seeds.iter() {
            if seed_windows.iter().any(|w| &w.seed == other) {
                continue;
            }
            if let Some(snap) = store.seed_at(other, run.id)? {
                let listed = others.entry(run.id).or_default();
                listed.extend(snap.page_url.clone());
                listed.extend(snap.items.into_iter().filter_map(|i| i.url));
            }
        }
    }

    let mut checks = store.checks_in_runs(&ids)?;
    // An inconclusive run's checks are history (`history` shows them), never report entries.
    checks.retain(|c| c.change != Some(Change::Inconclusive));
    let listed = |lists: &HashMap<u64, HashSet<String>>, c: &CheckRecord| {
        lists.get(&c.run_id).is_some_and(|l| l.contains(&c.url))
    };
    checks.retain(|c| listed(&reported, c) || !listed(&others, c));
    checks.sort_by(|a, b| (a.run_id, &a.url).cmp(&(b.run_id, &b.url)));

    // Each resource is told once, under its most urgent heading of the window: a link newly
    // broken in one run and still broken in the next is news, not two entries. Within one
    // heading the latest check tells the current facts, and the first one says since when.
    let mut by_resource: BTreeMap<String, Entry> = BTreeMap::new();
    for check in &checks {
        let Some((urgency, change)) = urgency_of(check) else {
            continue;
        };
        let listing = listings.get(&check.url).cloned().unwrap_or_default();
        let resource = store.resource(&check.url)?;
        // Standing conditions keep one id for as long as they last, so a feed reader shows a
        // link that stays broken once, not once per run.
        let id = match urgency {
            Urgency::StillBroken | Urgency::Failing => format!(
                "{}#broken-since#{}",
                check.url,
                resource
                    .as_ref()
                    .and_then(|r| r.first_broken)
                    .map_or_else(|| check.run_id.to_string(), |t| t.timestamp().to_string())
            ),
            Urgency::Moved if change != Change::Moved => format!(
                "{}#redirects-to#{}",
                check.url,
                check.final_url.as_deref().unwrap_or_default()
            ),
            _ => format!("{}#{}#{}", check.url, check.run_id, change.as_str()),
        };
        let broken = check.state == State::Broken;
        let entry = Entry {
            urgency,
            id,
            seed: listing.seed,
            section: listing.section,
            title: listing.title,
            url: check.url.clone(),
            run_id: check.run_id,
            checked_at: check.checked_at,
            change,
            state: check.state,
            reason: check.reason,
            http_status: check.http_status,
            update_to: (check.reason == Some(Reason::PermanentRedirect))
                .then(|| check.final_url.clone())
                .flatten(),
            soft_404: check.soft_404,
            significance: check.content.as_ref().map(|c| c.significance),
            similarity: check.content.as_ref().map(|c| c.similarity),
            diff: check.content.as_ref().and_then(|c| c.diff.clone()),
            broken_since: broken
                .then(|| resource.as_ref().and_then(|r| r.first_broken))
                .flatten(),
            failures: check.failures,
            archive_lookup: broken
                .then(|| check.archive_lookup.as_deref().cloned())
                .flatten(),
            // The copy held now, not only one recovered in this check: a maintainer replacing
            // the link wants to know a copy exists, whenever it was saved.
            recovered: broken
                .then(|| resource.as_ref().and_then(|r| r.recovered.as_ref()))
                .flatten()
                .map(RecoveredCopy::of),
            since_run: check.run_id,
            since: check.checked_at,
            latest_run: check.run_id,
            latest_state: check.state,
            good_copy: broken
                .then(|| resource.as_ref().and_then(good_copy))
                .flatten(),
        };
        match by_resource.get(&check.url) {
            Some(told) if told.urgency < entry.urgency => {}
            Some(told) if told.urgency == entry.urgency => {
                let (since_run, since) = (told.since_run, told.since);
                by_resource.insert(
                    check.url.clone(),
                    Entry {
                        since_run,
                        since,
                        ..entry
                    },
                );
            }
            _ => {
                by_resource.insert(check.url.clone(), entry);
            }
        }
    }
    // `checks` is in run order: the last check of a URL is its latest.
    for check in &checks {
        if let Some(e) = by_resource.get_mut(&check.url) {
            e.latest_run = check.run_id;
            e.latest_state = check.state;
        }
    }
    // The resource's record holds its copies as of now: a link that works again needs none.
    for e in by_resource.values_mut() {
        if e.latest_state != State::Broken {
            e.good_copy = None;
        }
    }
    let mut entries: Vec<Entry> = by_resource.into_values().collect();
    // The store keeps no diff excerpt: it is made again from the two archived copies.
    if let Some(excerpts) = excerpts {
        for e in entries
            .iter_mut()
            .filter(|e| e.significance.is_some() && e.diff.is_none())
        {
            let history = store.history(&e.url)?;
            if let Some(check) = history.iter().find(|c| c.run_id == e.run_id) {
                e.diff = excerpts.of(check, &history);
            }
        }
    }
    entries.sort_by(|a, b| {
        (a.urgency, &a.seed, &a.section, &a.title, a.run_id)
            .cmp(&(b.urgency, &b.seed, &b.section, &b.title, b.run_id))
    });

    let mut summary = ChangeSummary::default();
    for e in &entries {
        match e.urgency {
            Urgency::Broken if e.soft_404.is_some() => summary.soft_404 += 1,
            Urgency::Broken => summary.newly_broken += 1,
            Urgency::Moved => summary.moved += 1,
            Urgency::Changed => summary.changed += 1,
            Urgency::Recovered => summary.recovered += 1,
            Urgency::StillBroken => summary.still_broken += 1,
            Urgency::Failing => summary.failing += 1,
        }
    }
    // Per link, not per entry: a link newly broken then still broken in one window is one
    // snapshot found.
    let with_snapshot: HashSet<&str> = entries
        .iter()
        .filter(|e| {
            e.archive_lookup
                .as_ref()
                .is_some_and(|l| l.snapshot.is_some())
        })
        .map(|e| e.url.as_str())
        .collect();
    let with_copy: HashSet<&str> = entries
        .iter()
        .filter(|e| e.recovered.is_some())
        .map(|e| e.url.as_str())
        .collect();
    summary.snapshots_found = with_snapshot.len() as u64;
    summary.recovered_copies = with_copy.len() as u64;

    let mut seeds = Vec::new();
    for w in &seed_windows {
        let (Some(&first), Some(&last)) = (w.runs.first(), w.runs.last()) else {
            continue;
        };
        let Some(now_snap) = store.seed_at(&w.seed, last)? else {
            continue;
        };
        // Before the seed's window, or, for a window that starts with the seed's first run, at
        // that run: changes made within the window are still reported.
        let before = match w.baseline {
            Some(b) => store.seed_at(&w.seed, b)?,
            None if first != last => store.seed_at(&w.seed, first)?,
            None => None,
        };
        let items = before.map_or_else(ItemChanges::default, |b| {
            item_changes(&b.items, &now_snap.items)
        });
        summary.seed_changes += (items.added_to_page.len()
            + items.removed_from_page.len()
            + items.href_changed.len()) as u64;
        let page = entries
            .iter()
            .filter(|e| now_snap.page_url.as_deref() == Some(e.url.as_str()))
            .map(|e| e.id.clone())
            .collect();
        seeds.push(SeedChanges {
            seed: w.seed.clone(),
            title: now_snap.title,
            page_url: now_snap.page_url,
            page,
            items,
            runs: w.runs.clone(),
            baseline_run: w.baseline,
        });
    }

    let mut by_url: BTreeMap<&str, HashMap<u64, &CheckRecord>> = BTreeMap::new();
    for c in &checks {
        by_url
            .entry(c.url.as_str())
            .or_default()
            .insert(c.run_id, c);
    }
    let mut timelines: Vec<Timeline> = by_url
        .into_iter()
        .map(|(url, per_run)| {
            let listing = listings.get(url).cloned().unwrap_or_default();
            Timeline {
                url: url.to_owned(),
                title: listing.title,
                seed: listing.seed,
                section: listing.section,
                cells: ids
                    .iter()
                    .map(|id| {
                        per_run.get(id).map(|c| Cell {
                            run_id: *id,
                            checked_at: c.checked_at,
                            state: c.state,
                            http_status: c.http_status,
                            reason: c.reason,
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    timelines.sort_by(|a, b| (&a.seed, &a.section, &a.title).cmp(&(&b.seed, &b.section, &b.title)));

    let reachability = window
        .iter()
        .map(|r| {
            let s = &r.summary;
            let checked = s.ok + s.redirected + s.broken;
            // A run with the network down says nothing about how reachable the links are.
            let conclusive = r.status != RunStatus::Inconclusive;
            RunPoint {
                run_id: r.id,
                started: r.started,
                reachable_share: (checked > 0 && conclusive)
                    .then(|| (s.ok + s.redirected) as f64 / checked as f64),
                checked,
            }
        })
        .collect();

    Ok(ChangeReport {
        version: CHANGE_REPORT_VERSION,
        generated: now,
        window: Window {
            baseline_run: baseline,
            runs: window
                .iter()
                .map(|r| RunRef {
                    id: r.id,
                    started: r.started,
                    status: r.status,
                })
                .collect(),
        },
        summary,
        seeds,
        entries,
        timelines,
        reachability,
        archive_dir: None,
    })
}

/// The last good copy fetched live that `resource`'s record names, if any.
fn good_copy(resource: &ResourceRecord) -> Option<GoodCopy> {
    resource.last_good_sha256?;
    Some(GoodCopy {
        checked_at: resource.last_good_at?,
        bytes: resource.last_good_bytes,
        content_type: resource.last_good_content_type.clone(),
    })
}

/// Which section of the report a check belongs in, if any, and the change it reports.
fn urgency_of(check: &CheckRecord) -> Option<(Urgency, Change)> {
    let change = check.change?;
    let urgency = match change {
        Change::Inconclusive => return None,
        Change::NewlyBroken => Urgency::Broken,
        // A first check that is already broken is news too (with --confirm 1).
        Change::New if check.state == State::Broken => Urgency::Broken,
        Change::StillBroken => Urgency::StillBroken,
        Change::Failing => Urgency::Failing,
        Change::Recovered => Urgency::Recovered,
        // Markup-only and volatile (dates, counters, ids) changes are kept in the history but
        // are not news: a maintainer hears only about content that changed.
        Change::Changed
            if check
                .content
                .as_ref()
                .is_some_and(|c| c.significance != Significance::Content) =>
        {
            return None;
        }
        Change::Changed => Urgency::Changed,
        Change::Moved => Urgency::Moved,
        // A permanent redirect stays actionable until the link is updated.
        _ if check.reason == Some(Reason::PermanentRedirect) => Urgency::Moved,
        _ => return None,
    };
    let change = if change == Change::New && urgency == Urgency::Broken {
        Change::NewlyBroken
    } else {
        change
    };
    Some((urgency, change))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_dates_times_and_ages() -> Result<(), String> {
        let now = DateTime::parse_from_rfc3339("2026-11-29T06:00:00Z")
            .map_err(|e| e.to_string())?
            .with_timezone(&Utc);
        assert_eq!(
            parse_since("2026-11-01", now)?.to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("7d", now)?.to_rfc3339(),
            "2026-11-22T06:00:00+00:00"
        );
        assert_eq!(
            parse_since("12h", now)?.to_rfc3339(),
            "2026-11-28T18:00:00+00:00"
        );
        assert!(parse_since("last tuesday", now).is_err());
        Ok(())
    }
}
