//! `linkward seed recover`: the one other command that fetches, built from the same parts as a
//! run.

use crate::archive::Archive;
use crate::bodies::Bodies;
use crate::config::Config;
use crate::error::Error;
use crate::fetch::Fetcher;
use crate::fetch::robots::RobotsCache;
use crate::judge::inspect::Inspector;
use crate::lock::ArchiveLock;
use crate::report::RecoveredCopy;
use crate::report::seed_recovery::SeedRecovery;
use crate::rescue::Archives;
use crate::rescue::seedpage::{Tools, Wanted};
use crate::seed::{self};
use crate::store::Store;
use crate::warc::{RunInfo, WarcOptions, WarcSink};
use chrono::Utc;
use std::path::Path;
use std::sync::Arc;

use super::plan::manifest_date;

/// `linkward seed recover`: the snapshot of the manifest's page closest to its date, its links
/// matched to the items' titles, and (unless `dry_run`) the matches written into the manifest.
/// The snapshot is kept in the archive like any recovered copy.
pub async fn recover_seed(
    config: &Config,
    manifest: &Path,
    dry_run: bool,
) -> Result<SeedRecovery, Error> {
    let m = seed::manifest::load(manifest)?;
    let Some(page_url) = m.page_url.clone() else {
        return Err(Error::NoPageUrl(manifest.to_path_buf()));
    };
    let archive = Archive::open(&config.archive_dir)?;
    let _lock = ArchiveLock::acquire(&config.archive_dir)?;
    let store = Store::open(&config.archive_dir)?;
    let Some(archives) = Archives::new(config, store.clone()) else {
        return Err(Error::NoWebArchive);
    };
    crate::upgrade::ensure_current(&archive, &store).await?;
    let inspector = Inspector::new(
        archive.clone(),
        Bodies::new(archive.root(), store.clone()),
        &m.ignore,
    )
    .map_err(Error::Ignore)?;
    // The snapshot goes into a pack of its own, like a run's exchanges.
    let pack = Arc::new(WarcSink::open(
        &config.archive_dir,
        &RunInfo {
            started: Utc::now(),
            run_id: 0,
            seeds: vec![manifest.display().to_string()],
        },
        Arc::new(store.clone()),
        WarcOptions::default(),
    )?);
    let bodies = Bodies::new(archive.root(), store.clone()).with_pack(pack.clone());
    let inspector = inspector.with_bodies(bodies.clone());
    let robots_cache: Arc<dyn RobotsCache> = Arc::new(store.clone());
    let fetcher = Fetcher::new(config, archive.clone(), robots_cache)
        .map_err(Error::Client)?
        .with_capture(pack.clone());
    let held = store.resource(page_url.as_str())?.and_then(|r| r.recovered);
    let tools = Tools {
        archives: &archives,
        fetcher: &fetcher,
        inspector: &inspector,
        bodies: &bodies,
    };
    let found = crate::rescue::seedpage::recover_page(
        tools,
        &page_url,
        Wanted::Items(&m.items),
        manifest_date(&m),
        held,
    )
    .await;
    // Durable before the record that names it.
    pack.finish()?;
    if let Some(fresh) = &found.fresh {
        store.put_recovered(page_url.as_str(), fresh)?;
    }
    store.flush().await?;
    crate::index::refresh(&archive, &store);
    let written = if dry_run || found.links.is_empty() {
        0
    } else {
        crate::rescue::seedpage::write_manifest(manifest, &found.links)?
    };
    let unmatched = m
        .items
        .iter()
        .filter(|i| !found.links.iter().any(|l| l.title == i.title))
        .map(|i| i.title.clone())
        .collect();
    Ok(SeedRecovery {
        manifest: manifest.to_path_buf(),
        page_url: page_url.to_string(),
        lookup: found.lookup,
        recovered: found.copy.as_ref().map(RecoveredCopy::of),
        links: found.links,
        unmatched,
        written,
    })
}
