//! The change report: what is different over a window of runs, most urgent first, built from
//! the store alone (no network), with what web archives hold of each broken link. `linkward
//! report` renders it in every format; `--notify` posts its JSON. The field names are a public
//! contract, documented in the README: fields may be added, existing ones keep their meaning.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{ArchiveLookup, Change, ItemChanges, Significance, Soft404Rule};
use crate::model::{Reason, State};
use crate::report::RecoveredCopy;
use crate::store::RunStatus;

/// Version of the change report's JSON; bumped only on an incompatible change.
pub const CHANGE_REPORT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct ChangeReport {
    pub version: u32,
    pub generated: DateTime<Utc>,
    pub window: Window,
    pub summary: ChangeSummary,
    /// Per seed: its page's own changes and its list's changes.
    pub seeds: Vec<SeedChanges>,
    /// Every event in the window, most urgent first (see `Urgency`), then by seed, section, title.
    pub entries: Vec<Entry>,
    /// Per resource, its state in every run of the window: the HTML report's health timeline.
    pub timelines: Vec<Timeline>,
    /// Share of reachable resources per run, oldest first: the HTML report's chart.
    pub reachability: Vec<RunPoint>,
    /// The archive the report was read from, for the `linkward get` commands the human formats
    /// show; not in the JSON, which stays the same wherever the archive is.
    #[serde(skip)]
    pub archive_dir: Option<PathBuf>,
}

/// Which runs the report covers.
#[derive(Clone, Debug, Serialize)]
pub struct Window {
    /// The run the window starts after (its checks are the baseline), if any.
    pub baseline_run: Option<u64>,
    /// The runs whose checks are reported, oldest first.
    pub runs: Vec<RunRef>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunRef {
    pub id: u64,
    pub started: DateTime<Utc>,
    /// `complete`, `interrupted` when a signal or the deadline stopped the run, or
    /// `inconclusive` when the network here was down and the run judged nothing (added in the
    /// same version 1: a reader that ignores it sees what it saw before).
    pub status: RunStatus,
}

impl ChangeReport {
    /// The runs of the window that were interrupted.
    pub fn interrupted_runs(&self) -> Vec<u64> {
        self.window
            .runs
            .iter()
            .filter(|r| r.status == RunStatus::Interrupted)
            .map(|r| r.id)
            .collect()
    }

    /// The runs of the window that were inconclusive (the network here was down).
    pub fn inconclusive_runs(&self) -> Vec<u64> {
        self.window
            .runs
            .iter()
            .filter(|r| r.status == RunStatus::Inconclusive)
            .map(|r| r.id)
            .collect()
    }

    /// `report --quiet`: the news alone (newly broken, soft 404s, moved, changed, recovered, seed
    /// list changes), without the standing conditions (still broken, failing) or their counts;
    /// `None` when there is no news and no run of the window was interrupted or inconclusive.
    pub fn news_only(&self) -> Option<ChangeReport> {
        if !self.summary.anything()
            && self.interrupted_runs().is_empty()
            && self.inconclusive_runs().is_empty()
        {
            return None;
        }
        let mut news = self.clone();
        news.entries
            .retain(|e| !matches!(e.urgency, Urgency::StillBroken | Urgency::Failing));
        news.summary.still_broken = 0;
        news.summary.failing = 0;
        let kept: Vec<String> = news.entries.iter().map(|e| e.id.clone()).collect();
        for seed in &mut news.seeds {
            seed.page.retain(|id| kept.contains(id));
        }
        Some(news)
    }
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ChangeSummary {
    pub newly_broken: u64,
    pub soft_404: u64,
    pub moved: u64,
    pub changed: u64,
    pub recovered: u64,
    pub still_broken: u64,
    pub failing: u64,
    /// Items added to, removed from or re-linked on seed pages.
    pub seed_changes: u64,
    /// Links broken in an entry (newly, still, failing) that a web archive holds a usable
    /// snapshot of; each link counted once.
    pub snapshots_found: u64,
    /// Links broken in an entry that our archive holds a copy recovered from a web archive of;
    /// each counted once. Not to be confused with `recovered`: links that work again.
    pub recovered_copies: u64,
}

impl ChangeSummary {
    /// Whether anything worth telling a maintainer happened (still-broken alone is not news, nor
    /// are snapshots of links already counted as broken).
    pub fn anything(&self) -> bool {
        self.newly_broken
            + self.soft_404
            + self.moved
            + self.changed
            + self.recovered
            + self.seed_changes
            > 0
    }
}

/// Order of the report's sections, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    /// Newly broken, soft-404s among them.
    Broken,
    /// A permanent redirect: update the link.
    Moved,
    /// Content changed.
    Changed,
    Recovered,
    /// Broken for a while already.
    StillBroken,
    /// Failing, not yet confirmed broken.
    Failing,
}

/// One resource's most urgent event in the window: each resource is listed once.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub urgency: Urgency,
    /// Stable across reports, for feed readers: `<url>#<run id>#<change>`.
    pub id: String,
    pub seed: Option<String>,
    pub section: Option<String>,
    pub title: Option<String>,
    pub url: String,
    pub run_id: u64,
    pub checked_at: DateTime<Utc>,
    pub change: Change,
    pub state: State,
    pub reason: Option<Reason>,
    pub http_status: Option<u16>,
    /// For a permanent redirect: the URL to put on the page instead.
    pub update_to: Option<String>,
    pub soft_404: Option<Soft404Rule>,
    pub significance: Option<Significance>,
    pub similarity: Option<f64>,
    /// A short unified diff of the text, for content changes.
    pub diff: Option<String>,
    /// When the current failures began, and how many checks in a row failed.
    pub broken_since: Option<DateTime<Utc>>,
    pub failures: u32,
    /// For a broken resource: what web archives said in this check, the snapshot closest to the
    /// seed's date or that none exists (null when no archive was asked).
    pub archive_lookup: Option<ArchiveLookup>,
    /// For a broken resource: the latest copy recovered from a web archive that our archive
    /// holds, with its provenance and its blob's path (null when none). Never the live copy.
    pub recovered: Option<RecoveredCopy>,
    /// The first run of the window in which the resource was under this entry's heading, and
    /// its check's time: "since when". Equal to `run_id` unless the condition lasted (still
    /// broken, changed again) over several runs, when `run_id` is the latest of them.
    pub since_run: u64,
    pub since: DateTime<Utc>,
    /// The resource's latest check in the window, and its state then: a link newly broken
    /// and then working again is listed as newly broken, and says it works now.
    pub latest_run: u64,
    pub latest_state: State,
    /// For a broken resource: the last good copy fetched live that the archive holds, which
    /// `linkward get URL` writes out (null when none).
    pub good_copy: Option<GoodCopy>,
}

/// The last good copy fetched live of a resource that is broken now.
#[derive(Clone, Debug, Serialize)]
pub struct GoodCopy {
    /// When it was fetched.
    pub checked_at: DateTime<Utc>,
    pub bytes: Option<u64>,
    pub content_type: Option<String>,
}

/// Changes to one seed in the window.
#[derive(Clone, Debug, Serialize)]
pub struct SeedChanges {
    pub seed: String,
    pub title: Option<String>,
    pub page_url: Option<String>,
    /// The seed page's own transitions (ids into `entries`).
    pub page: Vec<String>,
    pub items: ItemChanges,
    /// The seed's own runs in the window, oldest first (added in version 1): each seed is
    /// reported over the runs that checked it.
    pub runs: Vec<u64>,
    /// The run the seed is compared with (added in version 1), if any.
    pub baseline_run: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Timeline {
    pub url: String,
    pub title: Option<String>,
    pub seed: Option<String>,
    pub section: Option<String>,
    /// One cell per run of the window, oldest first; `None` where the URL was not checked.
    pub cells: Vec<Option<Cell>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    pub run_id: u64,
    pub checked_at: DateTime<Utc>,
    pub state: State,
    pub http_status: Option<u16>,
    pub reason: Option<Reason>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunPoint {
    pub run_id: u64,
    pub started: DateTime<Utc>,
    /// Reachable (ok or redirected) over checked, in [0, 1]; `None` when nothing was checked.
    pub reachable_share: Option<f64>,
    pub checked: u64,
}
