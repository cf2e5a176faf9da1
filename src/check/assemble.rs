//! Report assembly: the run's results, per seed and per resource, as the report shows them, its
//! summary, and each seed's list kept and compared with its previous run's.

use crate::error::Error;
use crate::judge::transition::item_changes;
use crate::model::{ItemChanges, ListedItem, SeedSnapshot};
use crate::model::{Kind, Reason, State, Summary};
use crate::report::{RecoveredCopy, ResourceReport, SeedReport};
use crate::seed::{Listed, ListedTarget};
use crate::store::Store;

use super::plan::SeedPlan;
use super::{Checked, Runner};

impl Runner {
    /// The seed's resources; in an interrupted run, entries never fetched are left out rather
    /// than reported with a state they did not earn.
    pub(super) fn report_seed(&self, plan: &SeedPlan, interrupted: bool) -> Vec<ResourceReport> {
        let mut out = Vec::with_capacity(plan.entries.len() + 1);
        if let Some(page) = &plan.page {
            let title = plan.page_title.clone();
            let mut r = self.resource_report(plan, page, Kind::Page, title.clone(), None, None);
            r.titles = title.into_iter().collect();
            out.push(r);
        }
        for e in &plan.entries {
            if let ListedTarget::Fetch(u) = &e.target
                && interrupted
                && !self.results.contains_key(u.as_str())
            {
                continue;
            }
            let title = Some(e.title.clone()).filter(|t| !t.is_empty());
            let mut r = match &e.target {
                ListedTarget::Fetch(u) => self.resource_report(
                    plan,
                    u.as_str(),
                    e.kind,
                    title,
                    e.section.clone(),
                    e.note.clone(),
                ),
                ListedTarget::Unsupported(u) => unchecked(
                    plan,
                    Some(u.clone()),
                    State::Skipped,
                    Reason::UnsupportedScheme,
                    e,
                ),
                ListedTarget::Invalid(u) => {
                    unchecked(plan, Some(u.clone()), State::Broken, Reason::InvalidUrl, e)
                }
                ListedTarget::NoUrl => unchecked(plan, None, State::Unresolved, Reason::NoUrl, e),
            };
            r.titles = e.titles.clone();
            out.push(r);
        }
        out
    }

    pub(super) fn resource_report(
        &self,
        plan: &SeedPlan,
        url: &str,
        kind: Kind,
        title: Option<String>,
        section: Option<String>,
        note: Option<String>,
    ) -> ResourceReport {
        let Some(Checked {
            check,
            last_good_sha256,
            archived,
            recovered,
            ..
        }) = self.results.get(url).map(Box::as_ref)
        else {
            // Every fetch target was fetched above; reaching this is a bug, reported as such.
            let mut r = unchecked_blank(plan, Some(url.to_owned()), State::Broken, Reason::Other);
            r.kind = kind;
            r.error = Some("internal: not checked".into());
            return r;
        };
        ResourceReport {
            url: Some(url.to_owned()),
            title,
            titles: Vec::new(),
            section,
            seed: plan.seed.id.clone(),
            kind,
            state: check.state,
            reason: check.reason,
            http_status: check.http_status,
            final_url: check.final_url.clone(),
            redirects: check.redirects.clone(),
            sha256: check.sha256,
            last_good_sha256: *last_good_sha256,
            bytes: check.bytes,
            content_type: check.content_type.clone(),
            archived: archived.clone(),
            checked_at: Some(check.checked_at),
            elapsed_ms: Some(check.elapsed_ms),
            attempts: check.attempts.len() as u32,
            change: check.change,
            failures: check.failures,
            soft_404: check.soft_404,
            significance: check.content.as_ref().map(|c| c.significance),
            similarity: check.content.as_ref().map(|c| c.similarity),
            diff: check.content.as_ref().and_then(|c| c.diff.clone()),
            not_modified: check.not_modified,
            archive_lookup: check.archive_lookup.clone(),
            recovered: recovered.as_deref().map(|r| Box::new(RecoveredCopy::of(r))),
            note,
            error: check.error.clone(),
        }
    }

    pub(super) fn seed_report(&self, plan: &SeedPlan) -> SeedReport {
        let state = plan
            .page
            .as_ref()
            .and_then(|p| self.results.get(p))
            .map_or(State::Unresolved, |c| c.check.state);
        SeedReport {
            seed: plan.seed.id.clone(),
            title: plan
                .seed
                .title()
                .map(str::to_owned)
                .or_else(|| plan.page_title.clone()),
            page_url: plan.page.clone(),
            state,
            listed: plan.entries.len(),
            missing_from_page: plan.diff.missing_from_page.clone(),
            new_on_page: plan.diff.new_on_page.clone(),
            changes: ItemChanges::default(),
            page_lookup: plan.page_lookup.clone(),
            recovered_links: plan.recovered_links.clone(),
        }
    }
}

/// What a seed listed, for comparing runs: one item per title it was listed under.
fn listed_items(plan: &SeedPlan) -> Vec<ListedItem> {
    plan.entries
        .iter()
        .flat_map(|e| {
            e.titles.iter().map(|t| ListedItem {
                title: t.clone(),
                section: e.section.clone(),
                url: e.target.url(),
            })
        })
        .collect()
}

pub(super) fn unchecked(
    plan: &SeedPlan,
    url: Option<String>,
    state: State,
    reason: Reason,
    e: &Listed,
) -> ResourceReport {
    let mut r = unchecked_blank(plan, url, state, reason);
    r.kind = e.kind;
    r.title = Some(e.title.clone()).filter(|t| !t.is_empty());
    r.section = e.section.clone();
    r.note = e.note.clone();
    r
}

pub(super) fn unchecked_blank(
    plan: &SeedPlan,
    url: Option<String>,
    state: State,
    reason: Reason,
) -> ResourceReport {
    ResourceReport {
        url,
        title: None,
        titles: Vec::new(),
        section: None,
        seed: plan.seed.id.clone(),
        kind: Kind::Link,
        state,
        reason: Some(reason),
        http_status: None,
        final_url: None,
        redirects: Vec::new(),
        sha256: None,
        last_good_sha256: None,
        bytes: None,
        content_type: None,
        archived: None,
        checked_at: None,
        elapsed_ms: None,
        attempts: 0,
        change: None,
        failures: 0,
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

impl Runner {
    /// The run's summary: the states reported, what the web archives found and gave, and the
    /// bytes downloaded and saved.
    pub(super) fn summary(&self, resources: &[ResourceReport]) -> Summary {
        let mut summary = Summary::default();
        for r in resources {
            summary.add(r.state);
        }
        summary.snapshots_found = resources
            .iter()
            .filter(|r| {
                r.archive_lookup
                    .as_ref()
                    .is_some_and(|l| l.snapshot.is_some())
            })
            .count() as u64;
        summary.recovered = self.recovered;
        for checked in self.results.values() {
            summary.bytes_downloaded += checked.check.downloaded;
            if checked.check.not_modified {
                summary.bytes_saved += checked.check.bytes.unwrap_or(0);
            }
        }
        summary
    }

    /// Each seed's report; in a run that completed, with how its list changed since its previous
    /// run, and what it listed kept for the next.
    pub(super) fn seed_reports(
        &self,
        store: &Store,
        run_id: u64,
        interrupted: bool,
    ) -> Result<Vec<SeedReport>, Error> {
        let mut seeds = Vec::with_capacity(self.plans.len());
        for plan in &self.plans {
            let mut report = self.seed_report(plan);
            // An interrupted run saw only part of each list: comparing it would invent removals.
            if !interrupted {
                let snapshot = SeedSnapshot {
                    title: report.title.clone(),
                    page_url: report.page_url.clone(),
                    items: listed_items(plan),
                };
                if let Some(before) = store.previous_seed(&plan.seed.id, run_id)? {
                    report.changes = item_changes(&before.items, &snapshot.items);
                }
                store.put_seed(&plan.seed.id, run_id, &snapshot)?;
            }
            seeds.push(report);
        }
        Ok(seeds)
    }
}
