//! `seed list` and `seed forget`: the seeds an archive tracks, shown, and forgotten on
//! purpose (the only way one leaves the index, the BagIt export and reports; see
//! `store::TrackedSeed`).

use std::path::Path;
use std::time::Duration;

use chrono::Utc;

use crate::error::Error;
use crate::index::IndexError;
use crate::open::{open_existing, resolve_seed};
use crate::report::seed_list::{SEED_LIST_VERSION, SeedList, SeedRow};
use crate::store::StoreError;

/// Why a seed could not be listed or forgotten.
#[derive(Debug, thiserror::Error)]
pub enum SeedsError {
    /// The archive could not be opened, or names no such seed.
    #[error(transparent)]
    Open(#[from] Box<Error>),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The seed is forgotten, but the index still shows it.
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Every seed the archive tracks.
pub fn seed_list(archive_dir: &Path, wait: Duration) -> Result<SeedList, SeedsError> {
    let (_lock, store) = open_existing(archive_dir, wait).map_err(Box::new)?;
    let mut rows = Vec::new();
    for tracked in store.tracked_seeds()? {
        let (Some(first), Some(latest)) = (tracked.runs.first(), tracked.runs.last()) else {
            continue;
        };
        let snapshot = store.seed_at(&tracked.seed, latest.id)?.unwrap_or_default();
        rows.push(SeedRow {
            title: snapshot.title,
            page_url: snapshot.page_url,
            runs: tracked.runs.len(),
            first_run: first.id,
            latest_run: latest.id,
            latest_started: latest.started,
            listed: snapshot.items.len(),
            seed: tracked.seed,
        });
    }
    Ok(SeedList {
        version: SEED_LIST_VERSION,
        seeds: rows,
    })
}

/// What `seed forget` did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Forgot {
    pub seeds: Vec<String>,
    /// The runs up to which they are forgotten.
    pub upto_run: u64,
    pub index: std::path::PathBuf,
}

/// Forgets the tracked seeds `name` names: they leave the index, the BagIt export and reports;
/// their history and archived copies stay, and checking one again tracks it again. Rewrites
/// the index, so it shows the archive without them at once.
pub fn forget_seed(archive_dir: &Path, name: &str, wait: Duration) -> Result<Forgot, SeedsError> {
    let (lock, store) = open_existing(archive_dir, wait).map_err(Box::new)?;
    let seeds = resolve_seed(archive_dir, &store, name).map_err(Box::new)?;
    let upto_run = store.runs()?.iter().map(|r| r.id).max().unwrap_or(0);
    let now = Utc::now();
    for seed in &seeds {
        store.forget_seed(seed, upto_run, now)?;
    }
    let archive =
        crate::archive::Archive::open(archive_dir).map_err(|e| Box::new(Error::from(e)))?;
    let index = crate::index::write(&archive, &store)?;
    drop(lock);
    Ok(Forgot {
        seeds,
        upto_run,
        index,
    })
}
