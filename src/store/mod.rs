//! The history store, the only module that touches sled. It lives at `<archive>/db` and holds
//! twelve trees: `meta` (the format version; whether the `files/` view is known whole), `resources`
//! (latest record per URL, rewritten only when more than what every check changes did), `latest`
//! (what every check changes on a URL's record, and its open span's tail), `history` (each span's
//! first check, keyed `url \0 first-run` so one prefix scan gives a URL's history in order; see
//! `history`), `tails` (closed spans' tails, same keys), `runs`, `robots` (each origin's last
//! robots.txt answer), `seed_lists` (what a seed listed, keyed `seed \0 run-id`, written only in
//! runs where it differs from the seed's previous list), `verifications` (each `verify` outcome, by
//! time), `lookups` (web archives' answers, keyed `archive \0 url`) and `bodies` (where each
//! distinct body is stored, keyed by its sha256: see `model::StoredBody`) and `forgotten` (seeds
//! forgotten with `seed forget`: see `seeds`; a build that does not know the tree still reads the
//! store, and only shows those seeds again). Values are JSON so that a future format can still read
//! them; a check's diff excerpt is not kept (see `judge::excerpt`). sled's own file lock keeps two
//! runs from sharing one store. A check that finds what the previous one found writes only its
//! URL's small `latest` record: the store grows with transitions, not with runs.

mod checks;
mod history;
mod records;
mod seeds;
mod upgrade;

use std::path::{Path, PathBuf};

pub use records::{
    CachedLookup, CheckRecord, ResourceRecord, RunRecord, RunStatus, VerificationRecord,
};
pub use seeds::{Forgotten, TrackedSeed};

use crate::model::{CachedRobots, SeedSnapshot, Sha256, StoredBody};

/// The on-disk format this build reads and writes. Bump it on any incompatible change.
/// Format 2 added the `lookups` tree and recovered copies on resource records. Format 3 (the
/// archive's format 2) keeps bodies in packs, named by the `bodies` tree, instead of blob files
/// (an older archive's blobs are moved into a pack by `crate::upgrade`, which every command runs
/// first, resumably); keeps checks as spans (`history`, `tails`) instead of one record per check
/// (`checks`), what every check changes on a URL's record apart from it (`latest`), and a seed's
/// list only when it changed (an older store is converted in place when opened,
/// `upgrade::fold_checks`). Older builds then refuse it.
pub const STORE_FORMAT: u32 = 3;
/// Formats this build upgrades to `STORE_FORMAT` when it opens them.
const UPGRADABLE_FORMATS: [u32; 2] = [1, 2];

const DB_DIR: &str = "db";
/// sled's page cache: records are read once or twice per URL per run, so a small cache costs
/// little time and keeps a 20,000-link run lean (sled's default is 1 GiB).
const STORE_CACHE_BYTES: u64 = 16 * 1024 * 1024;
const FORMAT_KEY: &[u8] = b"format";
/// Present while the `files/` view is known whole (see `Store::set_view_whole`). Named for what
/// the view holds: `view-whole` vouched for a view of every copy (HTML pages a seed links to
/// included), so an archive that has only that one refreshes its view once, pruning those pages.
const VIEW_WHOLE_KEY: &[u8] = b"view-whole-2";
const OLD_VIEW_WHOLE_KEY: &[u8] = b"view-whole";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store at {} is in use by another linkward process; wait for it to finish or use another --archive", path.display())]
    Locked { path: PathBuf },
    #[error("the store at {} has format version {found}, this linkward reads version {STORE_FORMAT}; use a matching linkward or another --archive", path.display())]
    UnknownFormat { path: PathBuf, found: u32 },
    #[error("could not open the store at {}: {source}; check the folder or use another --archive", path.display())]
    Open { path: PathBuf, source: sled::Error },
    #[error("store error: {0}")]
    Db(#[from] sled::Error),
    #[error("a store record could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// An open store. Cheap to clone; every clone shares the same database.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    resources: sled::Tree,
    latest: sled::Tree,
    history: sled::Tree,
    tails: sled::Tree,
    runs: sled::Tree,
    robots: sled::Tree,
    seed_lists: sled::Tree,
    verifications: sled::Tree,
    lookups: sled::Tree,
    bodies: sled::Tree,
    forgotten: sled::Tree,
    meta: sled::Tree,
}

impl Store {
    /// Opens (or creates) the store of the archive at `archive_dir`.
    pub fn open(archive_dir: &Path) -> Result<Store, StoreError> {
        let path = archive_dir.join(DB_DIR);
        let db = open_db(&path)?;
        let meta = db.open_tree("meta")?;
        match meta.get(FORMAT_KEY)? {
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if UPGRADABLE_FORMATS.contains(&found) {
                    tracing::info!(
                        "upgrading the store at {} from format {found} to {STORE_FORMAT}",
                        path.display()
                    );
                    // One batch: from now on older builds refuse the store, and the conversion
                    // below resumes if it is stopped.
                    let mut batch = sled::Batch::default();
                    batch.insert(upgrade::UPGRADE_PENDING, &[1u8]);
                    batch.insert(FORMAT_KEY, &STORE_FORMAT.to_be_bytes());
                    meta.apply_batch(batch)?;
                    db.flush()?;
                } else if found != STORE_FORMAT {
                    return Err(StoreError::UnknownFormat { path, found });
                }
            }
            None => {
                meta.insert(FORMAT_KEY, &STORE_FORMAT.to_be_bytes())?;
            }
        }
        upgrade::fold_checks(&db, &meta)?;
        Ok(Store {
            resources: db.open_tree("resources")?,
            latest: db.open_tree(history::LATEST_TREE)?,
            history: db.open_tree(history::HISTORY_TREE)?,
            tails: db.open_tree(history::TAILS_TREE)?,
            runs: db.open_tree("runs")?,
            robots: db.open_tree("robots")?,
            seed_lists: db.open_tree("seed_lists")?,
            verifications: db.open_tree("verifications")?,
            lookups: db.open_tree("lookups")?,
            bodies: db.open_tree("bodies")?,
            forgotten: db.open_tree(seeds::FORGOTTEN_TREE)?,
            meta,
            db,
        })
    }

    /// Starts a run and gives it the next id (ids start at 1 and only grow). Runs still marked
    /// running were killed outright (the caller holds the archive lock, so none is alive): they
    /// are marked interrupted. A run may change the `files/` view: returns whether the view was
    /// known whole (see `set_view_whole`), and forgets that until a run says so again.
    pub fn begin_run(&self, run: &mut RunRecord) -> Result<bool, StoreError> {
        for mut dead in self
            .runs()?
            .into_iter()
            .filter(|r| r.status == RunStatus::Running)
        {
            dead.status = RunStatus::Interrupted;
            self.put_run(&dead)?;
        }
        let next = match self.runs.last()? {
            Some((k, _)) => key_u64(&k) + 1,
            None => 1,
        };
        run.id = next;
        self.put_run(run)?;
        self.meta.remove(OLD_VIEW_WHOLE_KEY)?;
        Ok(self.meta.remove(VIEW_WHOLE_KEY)?.is_some())
    }

    /// Records that the `files/` view holds every copy the store names, and nothing else, as a
    /// refresh with no failure left it: the next run may skip its own refresh if it changes
    /// nothing (see `begin_run`).
    pub fn set_view_whole(&self) -> Result<(), StoreError> {
        self.meta.insert(VIEW_WHOLE_KEY, &[1u8])?;
        Ok(())
    }

    pub fn put_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        self.runs
            .insert(run.id.to_be_bytes(), serde_json::to_vec(run)?)?;
        Ok(())
    }

    pub fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        self.runs
            .iter()
            .map(|kv| Ok(serde_json::from_slice(&kv?.1)?))
            .collect()
    }

    /// An archive's cached answer about `url`.
    pub fn lookup(&self, archive: &str, url: &str) -> Result<Option<CachedLookup>, StoreError> {
        match self.lookups.get(lookup_key(archive, url))? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    pub fn put_lookup(
        &self,
        archive: &str,
        url: &str,
        answer: &CachedLookup,
    ) -> Result<(), StoreError> {
        self.lookups
            .insert(lookup_key(archive, url), serde_json::to_vec(answer)?)?;
        Ok(())
    }

    /// Records what a seed was and listed in a run, unless that is what it was and listed in
    /// its previous run (`seed_at` and `seeds_in_run` find the earlier snapshot).
    pub fn put_seed(
        &self,
        seed: &str,
        run_id: u64,
        snapshot: &SeedSnapshot,
    ) -> Result<(), StoreError> {
        if self.previous_seed(seed, run_id)?.as_ref() == Some(snapshot) {
            return Ok(());
        }
        self.seed_lists
            .insert(check_key(seed, run_id), serde_json::to_vec(snapshot)?)?;
        Ok(())
    }

    /// The seed as of its latest run up to and including `run_id`, if it was checked by then.
    pub fn seed_at(&self, seed: &str, run_id: u64) -> Result<Option<SeedSnapshot>, StoreError> {
        self.previous_seed(seed, run_id + 1)
    }

    /// Every seed recorded in `run_id`, with its snapshot, in seed order: those written in that
    /// run and, for a run that completed (and so recorded every seed it lists), the others it
    /// lists as of their latest earlier snapshot (unchanged since, so not written again).
    pub fn seeds_in_run(&self, run_id: u64) -> Result<Vec<(String, SeedSnapshot)>, StoreError> {
        let mut out = std::collections::BTreeMap::new();
        for kv in self.seed_lists.iter() {
            let (k, v) = kv?;
            if k.len() > 9 && k[k.len() - 9] == 0 && key_u64(&k[k.len() - 8..]) == run_id {
                let seed = String::from_utf8_lossy(&k[..k.len() - 9]).into_owned();
                out.insert(seed, serde_json::from_slice(&v)?);
            }
        }
        if let Some(run) = self.run(run_id)?
            && run.status == RunStatus::Complete
        {
            for seed in run.seeds {
                if !out.contains_key(&seed)
                    && let Some(snapshot) = self.seed_at(&seed, run_id)?
                {
                    out.insert(seed, snapshot);
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    fn run(&self, run_id: u64) -> Result<Option<RunRecord>, StoreError> {
        match self.runs.get(run_id.to_be_bytes())? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// The seed as of its latest run before `run_id`, if it was checked before.
    pub fn previous_seed(
        &self,
        seed: &str,
        run_id: u64,
    ) -> Result<Option<SeedSnapshot>, StoreError> {
        let mut prefix = seed.as_bytes().to_vec();
        prefix.push(0);
        let upto = check_key(seed, run_id);
        match self.seed_lists.range(prefix.clone()..upto).next_back() {
            Some(kv) => {
                let (k, v) = kv?;
                if k.starts_with(&prefix) {
                    Ok(Some(serde_json::from_slice(&v)?))
                } else {
                    Ok(None)
                }
            }
            None => Ok(None),
        }
    }

    /// Keeps the outcome of a verify run (keyed by time, so the last one is the latest).
    pub fn put_verification(&self, v: &VerificationRecord) -> Result<(), StoreError> {
        let key = v.at.timestamp_micros().to_be_bytes();
        self.verifications.insert(key, serde_json::to_vec(v)?)?;
        Ok(())
    }

    pub fn last_verification(&self) -> Result<Option<VerificationRecord>, StoreError> {
        match self.verifications.last()? {
            Some((_, v)) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// Makes everything written so far durable.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }
}

impl Store {
    /// Where the body with this hash is stored, if it is.
    pub fn body(&self, sha: &Sha256) -> Result<Option<StoredBody>, StoreError> {
        match self.bodies.get(sha.0)? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    /// Records where bodies are. Call only once the pack holding them is durable: a record
    /// naming bytes that a crash could lose would outlive them.
    pub fn put_bodies(&self, bodies: &[(Sha256, StoredBody)]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (sha, body) in bodies {
            batch.insert(&sha.0[..], serde_json::to_vec(body)?);
        }
        self.bodies.apply_batch(batch)?;
        Ok(())
    }

    /// Every stored body, in hash order.
    pub fn all_bodies(
        &self,
    ) -> impl Iterator<Item = Result<(Sha256, StoredBody), StoreError>> + '_ {
        self.bodies.iter().map(|kv| {
            let (k, v) = kv?;
            let sha = <[u8; 32]>::try_from(k.as_ref()).map(Sha256).map_err(|_| {
                serde_json::Error::io(std::io::Error::other("a body key is not a sha256"))
            })?;
            Ok((sha, serde_json::from_slice(&v)?))
        })
    }

    /// The robots.txt answer last kept for `origin`.
    pub fn robots(&self, origin: &str) -> Result<Option<CachedRobots>, StoreError> {
        match self.robots.get(origin.as_bytes())? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Keeps `origin`'s robots.txt answer for later runs.
    pub fn put_robots(&self, origin: &str, robots: &CachedRobots) -> Result<(), StoreError> {
        self.robots
            .insert(origin.as_bytes(), serde_json::to_vec(robots)?)?;
        Ok(())
    }
}

fn check_key(url: &str, run_id: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(url.len() + 9);
    key.extend_from_slice(url.as_bytes());
    key.push(0);
    key.extend_from_slice(&run_id.to_be_bytes());
    key
}

/// Opens sled at `path`. sled releases its file lock from a background thread a moment after a
/// `Db` is dropped, so a store closed and opened again in one process (verify after check in
/// tests, `index` after `export`) may find it still held: that is waited out briefly. Another
/// process cannot hold it, since every command takes the archive lock first.
fn open_db(path: &Path) -> Result<sled::Db, StoreError> {
    const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_millis(20);
    let mut tries = 0;
    let mut cleared = false;
    loop {
        match sled::Config::new()
            .path(path)
            .cache_capacity(STORE_CACHE_BYTES)
            .open()
        {
            Ok(db) => return Ok(db),
            Err(source) if is_lock_error(&source) && tries < 50 => {
                tries += 1;
                std::thread::sleep(RELEASE_WAIT);
                let _ = source;
            }
            Err(source) if is_lock_error(&source) => {
                return Err(StoreError::Locked {
                    path: path.to_path_buf(),
                });
            }
            Err(sled::Error::Corruption { .. }) if !cleared && clear_unfinished_snapshots(path) => {
                cleared = true;
            }
            Err(source) => {
                return Err(StoreError::Open {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
}

/// Removes the snapshot files sled was still writing when its process was killed
/// (`snap.<lsn>.generating`); whether there were any. sled 0.34 reads the newest `snap.*` file
/// at open, unfinished or not, and then refuses the store as corrupt (spacejam/sled#1527). An
/// unfinished snapshot holds nothing the log does not (a finished one is renamed into place, and
/// the previous one is removed only after that), so sled rebuilds it from the log.
fn clear_unfinished_snapshots(path: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(path) else {
        return false;
    };
    let mut cleared = false;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.")
            && name.ends_with(".generating")
            && std::fs::remove_file(entry.path()).is_ok()
        {
            tracing::warn!(
                "removed {name}, a store snapshot left unfinished by a killed run, from {}",
                path.display()
            );
            cleared = true;
        }
    }
    cleared
}

fn lookup_key(archive: &str, url: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(archive.len() + url.len() + 1);
    key.extend_from_slice(archive.as_bytes());
    key.push(0);
    key.extend_from_slice(url.as_bytes());
    key
}

fn key_u64(k: &[u8]) -> u64 {
    <[u8; 8]>::try_from(k).map(u64::from_be_bytes).unwrap_or(0)
}

fn is_lock_error(e: &sled::Error) -> bool {
    match e {
        sled::Error::Io(io) => {
            io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::State;

    fn check(url: &str, run_id: u64, state: State) -> CheckRecord {
        CheckRecord {
            run_id,
            url: url.to_owned(),
            state,
            ..CheckRecord::default()
        }
    }

    #[test]
    fn history_is_per_url_and_in_run_order() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        for run in [1, 2, 10, 300] {
            store.record_check(&check("http://a/x", run, State::Ok))?;
            // A URL that extends the first must not leak into its history.
            store.record_check(&check("http://a/xy", run, State::Ok))?;
        }
        let runs: Vec<u64> = store
            .history("http://a/x")?
            .iter()
            .map(|c| c.run_id)
            .collect();
        assert_eq!(runs, vec![1, 2, 10, 300]);
        assert_eq!(store.resource("http://a/x")?.ok_or("no record")?.checks, 4);
        Ok(())
    }

    /// A batch of checks written in one transaction leaves the store as writing them one by one
    /// does: new URLs, a span extended, a span closed by a transition.
    #[test]
    fn a_batch_records_what_checks_one_by_one_record() -> Result<(), Box<dyn std::error::Error>> {
        let runs: [&[(&str, State)]; 3] = [
            &[("http://a/1", State::Ok), ("http://a/2", State::Ok)],
            &[
                ("http://a/1", State::Ok),
                ("http://a/2", State::Broken),
                ("http://a/3", State::Ok),
            ],
            &[
                ("http://a/1", State::Broken),
                ("http://a/2", State::Broken),
                ("http://a/3", State::Ok),
            ],
        ];
        let (one, batched) = (tempfile::tempdir()?, tempfile::tempdir()?);
        let (one, batched) = (Store::open(one.path())?, Store::open(batched.path())?);
        for (run, checks) in runs.iter().enumerate() {
            let checks: Vec<CheckRecord> = checks
                .iter()
                .map(|(url, state)| check(url, run as u64 + 1, *state))
                .collect();
            for c in &checks {
                one.record_check(c)?;
            }
            let prevs = checks
                .iter()
                .map(|c| batched.resource(&c.url))
                .collect::<Result<Vec<_>, _>>()?;
            batched.record_checks_over(prevs.into_iter().zip(checks.iter()).collect())?;
        }
        for url in ["http://a/1", "http://a/2", "http://a/3"] {
            assert_eq!(one.history(url)?, batched.history(url)?, "{url}");
            assert_eq!(one.resource(url)?, batched.resource(url)?, "{url}");
        }
        assert_eq!(batched.history("http://a/2")?.len(), 3);
        Ok(())
    }

    #[test]
    fn seed_snapshots_by_run() -> Result<(), StoreError> {
        use crate::model::ListedItem;
        let dir = tempfile::tempdir().map_err(|e| StoreError::Db(e.into()))?;
        let store = Store::open(dir.path())?;
        let snap = |t: &str| SeedSnapshot {
            title: Some(t.into()),
            page_url: None,
            items: vec![ListedItem {
                title: t.into(),
                section: None,
                url: None,
            }],
        };
        store.put_seed("seeds/a.toml", 1, &snap("one"))?;
        store.put_seed("seeds/a.toml", 3, &snap("three"))?;
        store.put_seed("seeds/a.toml.bak", 2, &snap("other seed"))?;
        assert_eq!(store.previous_seed("seeds/a.toml", 3)?, Some(snap("one")));
        assert_eq!(store.previous_seed("seeds/a.toml", 1)?, None);
        assert_eq!(store.seed_at("seeds/a.toml", 3)?, Some(snap("three")));
        assert_eq!(
            store.seeds_in_run(2)?,
            vec![("seeds/a.toml.bak".to_string(), snap("other seed"))]
        );
        Ok(())
    }

    #[test]
    fn run_ids_grow_and_survive_reopening() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        {
            let store = Store::open(dir.path())?;
            let mut a = RunRecord::default();
            store.begin_run(&mut a)?;
            assert_eq!(a.id, 1);
        }
        let store = Store::open(dir.path())?;
        let mut b = RunRecord::default();
        store.begin_run(&mut b)?;
        assert_eq!(b.id, 2);
        Ok(())
    }

    #[test]
    fn the_view_is_vouched_for_from_one_run_to_the_next_only()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        assert!(
            !store.begin_run(&mut RunRecord::default())?,
            "a new archive"
        );
        store.set_view_whole()?;
        drop(store);
        let store = Store::open(dir.path())?;
        assert!(
            store.begin_run(&mut RunRecord::default())?,
            "kept across opening"
        );
        // That run never said so again (killed, or its refresh failed): the next one refreshes.
        assert!(!store.begin_run(&mut RunRecord::default())?);
        Ok(())
    }

    #[test]
    fn a_format_1_store_is_upgraded() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        {
            let db = sled::open(dir.path().join(DB_DIR))?;
            db.open_tree("meta")?
                .insert(FORMAT_KEY, &1u32.to_be_bytes())?;
            db.flush()?;
        }
        let store = Store::open(dir.path())?;
        let format = store
            .db
            .open_tree("meta")?
            .get(FORMAT_KEY)?
            .ok_or("no format")?;
        assert_eq!(format.as_ref(), &STORE_FORMAT.to_be_bytes());
        Ok(())
    }

    #[test]
    fn a_snapshot_left_unfinished_by_a_kill_does_not_lock_the_store_out()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        {
            let store = Store::open(dir.path())?;
            store.record_check(&check("http://a/x", 1, State::Ok))?;
            store.db.flush()?;
        }
        // What a kill leaves while sled writes a snapshot: a partial file with no valid crc,
        // named after a later log position than any finished one.
        std::fs::write(
            dir.path()
                .join(DB_DIR)
                .join("snap.7FFFFFFFFFFFFFFF.generating"),
            [1u8; 64],
        )?;
        let store = Store::open(dir.path())?;
        assert_eq!(store.history("http://a/x")?.len(), 1);
        Ok(())
    }

    #[test]
    fn an_unknown_format_is_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        {
            let db = sled::open(dir.path().join(DB_DIR))?;
            db.open_tree("meta")?
                .insert(FORMAT_KEY, &99u32.to_be_bytes())?;
            db.flush()?;
        }
        let err = Store::open(dir.path())
            .err()
            .ok_or("a store of format 99 was opened")?;
        assert!(
            matches!(err, StoreError::UnknownFormat { found: 99, .. }),
            "{err}"
        );
        Ok(())
    }
}
