//! Recording: each check judged against the URL's previous record and written to the store
//! with it, in one step, so a run stopped at any await leaves whole records only.

use crate::error::Error;
use crate::fetch::Fetched;
use crate::judge::inspect::Inspection;
use crate::store::{CheckRecord, ResourceRecord, Store};
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
        self.place_in_view(fetched, &check);
        // The body must be durable before a record names it.
        self.warc.commit()?;
        for check in Self::admit(&mut self.held, &mut self.results, fetched, prev, check) {
            Self::store_check(&self.store, &mut self.results, self.judge, check)?;
        }
        Ok(())
    }

    /// Puts a good copy just kept into the `files/` view, from its temp file.
    pub(super) fn place_in_view(&self, fetched: &Fetched, check: &CheckRecord) {
        if !check.state.is_reachable() {
            return;
        }
        if let (Some(sha), crate::fetch::Outcome::Body { blob, .. }) =
            (check.sha256, &fetched.outcome)
            && let Some(temp) = blob.path()
        {
            let rel = crate::view::relative_path(&sha, check.content_type.as_deref(), &check.url);
            crate::view::place(self.archive.root(), &rel, temp);
        }
    }

    /// Judges the check against the URL's previous record, then records both.
    pub(super) fn store_check(
        store: &Store,
        results: &mut HashMap<String, Box<Checked>>,
        judge: Judge,
        mut check: CheckRecord,
    ) -> Result<(), Error> {
        super::keep_only_stored(store, &mut check)?;
        let prev = store.resource(&check.url)?;
        judge.judge(prev.as_ref(), &mut check);
        // No await since `prev` was read: nothing else wrote this URL's record in between.
        let resource = store.record_check_over(prev, &check)?;
        results.insert(
            check.url.clone(),
            Box::new(Checked {
                check,
                last_good_sha256: resource.last_good_sha256,
                archived: resource.last_good_sha256.map(|sha| {
                    crate::view::relative_path(
                        &sha,
                        resource.last_good_content_type.as_deref(),
                        &resource.url,
                    )
                }),
                recovered: resource.recovered.map(Box::new),
            }),
        );
        Ok(())
    }
}
