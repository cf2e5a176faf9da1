//! The web-archive step of a run: broken resources looked up in the web archives, and with
//! `--rescue` their closest snapshots recovered into our own archive.

use crate::error::Error;
use crate::fetch::Reach;
use crate::model::State;
use crate::model::{ArchiveLookup, Recovered, RecoveredLink};
use crate::rescue::seedpage::{Tools, Wanted};
use crate::seed::ListedTarget;
use crate::store::{ResourceRecord, Store};
use crate::warc::WarcSink;
use chrono::Utc;
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};

use super::plan::seed_date;
use super::{Checked, Runner};

impl Runner {
    /// Asks the web archives about every broken resource not asked yet in this run, and with
    /// `--rescue` recovers the closest snapshot of those we hold no good copy of.
    pub(super) async fn consult_archives(&mut self, concurrency: usize) -> Result<(), Error> {
        let Some(archives) = &self.archives else {
            return Ok(());
        };
        let mut todo = Vec::new();
        let mut seen = HashSet::new();
        for plan in &self.plans {
            let date = seed_date(&plan.seed);
            let urls = plan
                .page
                .iter()
                .cloned()
                .chain(plan.entries.iter().filter_map(|e| {
                    matches!(e.target, ListedTarget::Fetch(_))
                        .then(|| e.target.url())
                        .flatten()
                }));
            for url in urls {
                let Some(checked) = self.results.get(&url) else {
                    continue;
                };
                if checked.check.state != State::Broken
                    || checked.check.archive_lookup.is_some()
                    || !seen.insert(url.clone())
                {
                    continue;
                }
                // Only broken resources get here: reading their records again is cheap.
                let Some(resource) = self.store.resource(&url)? else {
                    continue;
                };
                let target = date.or(resource.last_good_at);
                let held = self.holds_copy(&resource);
                todo.push((url, target, held));
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        self.progress.set_message("asking web archives");
        let fetcher = &self.fetcher;
        let inspector = &self.inspector;
        let rescue = self.rescue;
        let mut stream = futures_util::stream::iter(todo)
            .map(|(url, target, held)| async move {
                let mut lookup = archives.lookup(fetcher, &url, target).await;
                let mut recovered = None;
                if rescue && !held {
                    recovered = archives.recover_any(fetcher, inspector, &mut lookup).await;
                }
                (url, lookup, recovered)
            })
            .buffer_unordered(concurrency.max(1));
        while let Some((url, lookup, recovered)) = stream.next().await {
            Self::keep_lookup(
                &self.warc,
                &self.store,
                &mut self.results,
                &mut self.recovered,
                &url,
                lookup,
                recovered,
            )?;
        }
        Ok(())
    }

    /// Whether we hold a good copy of the resource, fetched live or recovered before.
    pub(super) fn holds_copy(&self, resource: &ResourceRecord) -> bool {
        let live = resource
            .last_good_sha256
            .is_some_and(|sha| self.bodies.contains(&sha, resource.last_good_bytes));
        let recovered = resource
            .recovered
            .as_ref()
            .is_some_and(|r| self.bodies.contains(&r.sha256, Some(r.bytes)));
        live || recovered
    }

    /// Records what the archives said about `url` (and the copy recovered) on its check of this
    /// run and, for a recovered copy, on its resource record.
    pub(super) fn keep_lookup(
        warc: &WarcSink,
        store: &Store,
        results: &mut HashMap<String, Box<Checked>>,
        count: &mut u64,
        url: &str,
        lookup: ArchiveLookup,
        recovered: Option<Recovered>,
    ) -> Result<(), Error> {
        let Some(checked) = results.get_mut(url) else {
            return Ok(());
        };
        checked.check.archive_lookup = Some(Box::new(lookup));
        // The copy must be durable before a record names it, and stored at all (a failed write
        // into the pack is logged, and the copy is then not claimed).
        if recovered.is_some() {
            warc.commit()?;
        }
        if let Some(r) = recovered
            && store.body(&r.sha256)?.is_some()
        {
            let resource = store.put_recovered(url, &r)?;
            checked.recovered = resource.recovered.map(Box::new);
            checked.check.recovered = Some(Box::new(r));
            *count += 1;
        }
        store.update_check(&checked.check)?;
        Ok(())
    }

    /// A seed page that is gone, or that lists no links we can read (a manifest's page whose
    /// capture kept none, a URL seed's page with no good copy that has links): its snapshot
    /// closest to `date` is recovered (or the copy recovered before is reused), and the links
    /// `wanted` of it are returned, to be checked with the reach returned with them.
    pub(super) async fn recover_seed_page(
        &mut self,
        page_url: &url::Url,
        wanted: Wanted<'_>,
        page_key: &str,
        date: Option<chrono::DateTime<Utc>>,
    ) -> Result<(Option<ArchiveLookup>, Vec<RecoveredLink>, Reach), Error> {
        let Some(archives) = &self.archives else {
            return Ok((None, Vec::new(), Reach::PublicOnly));
        };
        let held = self
            .results
            .get(page_key)
            .and_then(|c| c.recovered.as_deref().cloned());
        let tools = Tools {
            archives,
            fetcher: &self.fetcher,
            inspector: &self.inspector,
            bodies: &self.bodies,
        };
        let found =
            crate::rescue::seedpage::recover_page(tools, page_url, wanted, date, held).await;
        Self::keep_lookup(
            &self.warc,
            &self.store,
            &mut self.results,
            &mut self.recovered,
            page_key,
            found.lookup.clone(),
            found.fresh,
        )?;
        Ok((Some(found.lookup), found.links, found.links_reach))
    }
}
