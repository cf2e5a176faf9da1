//! Recording: each check judged against the URL's previous record and written to the store
//! with it, in one step, so a run stopped at any await leaves whole records only.

use crate::error::Error;
use crate::fetch::Fetched;
use crate::judge::inspect::Inspection;
use crate::store::{CheckRecord, ResourceRecord, Store};
use crate::view::SeedPages;
use std::collections::HashMap;

use crate::judge::{Judge, check_record};

use super::{Checked, Runner};

impl Runner {
    pub(super) fn record(
        &mut self,
        fetched: &Fetched,
        prev: Option<&ResourceRecord>,
        found: Inspection,
    ) -> Result<(), Error> {
        let accepted = self.fetcher.accepted_statuses(&fetched.requested);
        let check = check_record(self.run_id, fetched, prev, accepted, found);
        // The body must be durable before a record names it.
        self.warc.commit()?;
        for check in Self::admit(
            &mut self.held,
            &mut self.results,
            &self.seed_pages,
            fetched,
            prev,
            check,
        ) {
            self.store_one(check)?;
        }
        Ok(())
    }

    /// Judges the check against the URL's previous record, then records both.
    pub(super) fn store_one(&mut self, check: CheckRecord) -> Result<(), Error> {
        Self::store_checks(
            &self.store,
            &mut self.results,
            self.judge,
            &self.seed_pages,
            vec![check],
        )
    }

    /// `store_one` for a batch of checks, written in one store transaction (see
    /// `record_checks`), for a caller that holds parts of the runner borrowed.
    pub(super) fn store_checks(
        store: &Store,
        results: &mut HashMap<String, Box<Checked>>,
        judge: Judge,
        seed_pages: &SeedPages,
        checks: Vec<CheckRecord>,
    ) -> Result<(), Error> {
        let recorded = record_checks(store, judge, seed_pages, checks)?;
        Self::keep_results(results, seed_pages, recorded);
        Ok(())
    }

    /// Keeps recorded checks in the results, for the run's report.
    pub(super) fn keep_results(
        results: &mut HashMap<String, Box<Checked>>,
        seed_pages: &SeedPages,
        recorded: Vec<Recorded>,
    ) {
        for Recorded {
            check,
            resource,
            copy_changed,
        } in recorded
        {
            // A URL recorded twice in a run (its second check judged against its first) changed
            // the view's copies if either did.
            let copy_changed = copy_changed
                || results
                    .get(&check.url)
                    .is_some_and(|earlier| earlier.copy_changed);
            results.insert(
                check.url.clone(),
                Box::new(Checked {
                    check,
                    last_good_sha256: resource.last_good_sha256,
                    archived: resource.last_good_sha256.and_then(|sha| {
                        crate::view::path(
                            &sha,
                            resource.last_good_content_type.as_deref(),
                            &resource.url,
                            seed_pages.contains(&resource.url),
                        )
                    }),
                    recovered: resource.recovered.map(Box::new),
                    copy_changed,
                }),
            );
        }
    }
}

/// A check as recorded: with the URL's record after it, and whether that changed which copies
/// the `files/` view should hold.
pub(super) struct Recorded {
    check: CheckRecord,
    resource: ResourceRecord,
    copy_changed: bool,
}

/// Judges each check against the URL's previous record and writes both, in one store
/// transaction (see `Store::record_checks_over`); a URL checked twice in the batch starts
/// another one, so its second check is judged against its first. Touches nothing of the run
/// but the store.
pub(super) fn record_checks(
    store: &Store,
    judge: Judge,
    seed_pages: &SeedPages,
    checks: Vec<CheckRecord>,
) -> Result<Vec<Recorded>, Error> {
    let mut recorded = Vec::with_capacity(checks.len());
    let mut batch: Vec<(Option<ResourceRecord>, CheckRecord)> = Vec::with_capacity(checks.len());
    let mut urls = std::collections::HashSet::new();
    for mut check in checks {
        if !urls.insert(check.url.clone()) {
            record_batch(store, seed_pages, std::mem::take(&mut batch), &mut recorded)?;
            urls.clear();
            urls.insert(check.url.clone());
        }
        super::keep_only_stored(store, &mut check)?;
        let prev = store.resource(&check.url)?;
        judge.judge(prev.as_ref(), &mut check);
        batch.push((prev, check));
    }
    record_batch(store, seed_pages, batch, &mut recorded)?;
    Ok(recorded)
}

/// Records judged checks of distinct URLs in one transaction.
fn record_batch(
    store: &Store,
    seed_pages: &SeedPages,
    batch: Vec<(Option<ResourceRecord>, CheckRecord)>,
    recorded: &mut Vec<Recorded>,
) -> Result<(), Error> {
    if batch.is_empty() {
        return Ok(());
    }
    // Nothing else writes these URLs' records while a batch is recorded: the run records one
    // batch at a time.
    let (prevs, checks): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let copies_before: Vec<_> = prevs
        .iter()
        .map(|p| p.as_ref().map(|p| view_copies(p, seed_pages)))
        .collect();
    let resources = store.record_checks_over(prevs.into_iter().zip(checks.iter()).collect())?;
    for ((check, resource), before) in checks.into_iter().zip(resources).zip(copies_before) {
        let copy_changed = before != Some(view_copies(&resource, seed_pages));
        recorded.push(Recorded {
            check,
            resource,
            copy_changed,
        });
    }
    Ok(())
}

/// The `files/` view's names for a URL's copies: its last good one and the one recovered from a
/// web archive.
fn view_copies(r: &ResourceRecord, seed_pages: &SeedPages) -> (Option<String>, Option<String>) {
    let seed_page = seed_pages.contains(&r.url);
    (
        r.last_good_sha256.and_then(|sha| {
            crate::view::path(&sha, r.last_good_content_type.as_deref(), &r.url, seed_page)
        }),
        r.recovered
            .as_ref()
            .map(|c| crate::view::any_path(&c.sha256, c.content_type.as_deref(), &c.fetched_url)),
    )
}
