//! Which seeds an archive tracks: every seed a run checked, until `linkward seed forget` says
//! otherwise. Forgetting hides a seed from the index, the BagIt export and reports; its history
//! (checks, seed lists, bodies) is kept, and a later run of the same seed tracks it again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RunRecord, RunStatus, Store, StoreError};
use crate::model::SeedSnapshot;

/// The tree of forgotten seeds: seed id → `Forgotten`.
pub(super) const FORGOTTEN_TREE: &str = "forgotten";

/// When a seed was forgotten and the runs that forgetting covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forgotten {
    /// The latest run when the seed was forgotten: runs up to it no longer count for the seed.
    pub upto_run: u64,
    pub at: DateTime<Utc>,
}

/// A seed the archive tracks, with the runs that checked it (oldest first, runs still marked
/// running left out).
#[derive(Clone, Debug)]
pub struct TrackedSeed {
    pub seed: String,
    pub runs: Vec<RunRecord>,
}

impl TrackedSeed {
    /// Its latest run that completed: the one whose list of the seed is whole.
    pub fn latest_complete(&self) -> Option<&RunRecord> {
        self.runs
            .iter()
            .rev()
            .find(|r| r.status == RunStatus::Complete)
    }
}

impl Store {
    /// Forgets `seed` as of run `upto_run`: from now on only runs after it count for the seed.
    pub fn forget_seed(
        &self,
        seed: &str,
        upto_run: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let record = Forgotten { upto_run, at };
        self.forgotten
            .insert(seed.as_bytes(), serde_json::to_vec(&record)?)?;
        self.forgotten.flush()?;
        Ok(())
    }

    /// Every seed forgotten so far.
    pub fn forgotten_seeds(&self) -> Result<HashMap<String, Forgotten>, StoreError> {
        self.forgotten
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    serde_json::from_slice(&v)?,
                ))
            })
            .collect()
    }

    /// Every seed the archive tracks, in the order runs first named them, each with the runs
    /// that checked it since it was last forgotten. An archive that several seeds (or cron jobs)
    /// share keeps every seed in view, whatever the latest run checked.
    pub fn tracked_seeds(&self) -> Result<Vec<TrackedSeed>, StoreError> {
        let forgotten = self.forgotten_seeds()?;
        let mut runs = self.runs()?;
        runs.sort_by_key(|r| r.id);
        let mut out: Vec<TrackedSeed> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for run in runs.iter().filter(|r| r.status != RunStatus::Running) {
            for seed in &run.seeds {
                if forgotten.get(seed).is_some_and(|f| run.id <= f.upto_run) {
                    continue;
                }
                let i = *index.entry(seed.clone()).or_insert_with(|| {
                    out.push(TrackedSeed {
                        seed: seed.clone(),
                        runs: Vec::new(),
                    });
                    out.len() - 1
                });
                out[i].runs.push(run.clone());
            }
        }
        Ok(out)
    }

    /// Every tracked seed that has a complete run, with what it listed in its latest one.
    pub fn tracked_seed_lists(&self) -> Result<Vec<(String, SeedSnapshot)>, StoreError> {
        let mut out = Vec::new();
        for tracked in self.tracked_seeds()? {
            let Some(run) = tracked.latest_complete() else {
                continue;
            };
            if let Some(snapshot) = self.seed_at(&tracked.seed, run.id)? {
                out.push((tracked.seed, snapshot));
            }
        }
        Ok(out)
    }
}

impl TrackedSeed {
    /// Whether `name` names this seed: its id as runs recorded it, the same file by another
    /// path (`./seeds/a.toml` for `seeds/a.toml`), or the URL of its page.
    pub fn is_named(&self, name: &str, page_url: Option<&str>) -> bool {
        if self.seed == name {
            return true;
        }
        let same_file = match (
            std::fs::canonicalize(name),
            std::fs::canonicalize(&self.seed),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        let same_url = |u: &str| {
            let normal = |s: &str| url::Url::parse(s).map_or_else(|_| s.to_owned(), String::from);
            normal(u) == normal(name)
        };
        same_file || same_url(&self.seed) || page_url.is_some_and(same_url)
    }
}

impl Store {
    /// The tracked seeds `name` names (see `TrackedSeed::is_named`), with each one's page URL.
    pub fn tracked_named(&self, name: &str) -> Result<Vec<TrackedSeed>, StoreError> {
        let mut out = Vec::new();
        for tracked in self.tracked_seeds()? {
            let page = match tracked.runs.last() {
                Some(run) => self
                    .seed_at(&tracked.seed, run.id)?
                    .and_then(|s| s.page_url),
                None => None,
            };
            if tracked.is_named(name, page.as_deref()) {
                out.push(tracked);
            }
        }
        Ok(out)
    }
}
