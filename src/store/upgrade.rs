//! The in-place upgrade of a format-1 or format-2 store to format 3: one record per check (the
//! `checks` tree) folded into spans (the `history` and `tails` trees, the open span's tail and
//! what every check changes on a URL's record in `latest`; see `history`), and seed lists equal
//! to the seed's previous one dropped. Resumable: stopped at any moment, it goes on from where it
//! was the next time the store is opened.

use std::collections::HashMap;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::checks::transaction_error;
use super::history::{HISTORY_TREE, LATEST_TREE, Latest, TAILS_TREE, fold, span_writes};
use super::records::{CheckRecord, ResourceRecord, RunRecord, RunStatus};
use super::{StoreError, key_u64};
use crate::model::SeedSnapshot;

/// Formats 1 and 2 kept one record per check here, keyed `url \0 run`.
const OLD_CHECKS_TREE: &str = "checks";

/// In `meta` while a store opened at format 1 or 2 is not converted yet; set with the new format
/// number, in one batch.
pub(super) const UPGRADE_PENDING: &[u8] = b"history-upgrade-pending";

/// Converts, in place, what a format-1 or format-2 store kept as one record per check (the
/// `checks` tree) into spans; a no-op once that tree is gone. URL by URL, each in one
/// transaction that writes the URL's spans and removes its old records, so a conversion killed
/// at any moment resumes where it stopped when the store is opened again (`UPGRADE_PENDING` stays
/// until the end). Then drops seed
/// snapshots identical to the seed's previous one, in runs that completed (which list their
/// seeds, so `seeds_in_run` still finds them).
pub(super) fn fold_checks(db: &sled::Db, meta: &sled::Tree) -> Result<(), StoreError> {
    if meta.get(UPGRADE_PENDING)?.is_none() {
        return Ok(());
    }
    if db
        .tree_names()
        .iter()
        .any(|n| n.as_ref() == OLD_CHECKS_TREE.as_bytes())
    {
        let trees = Trees::open(db)?;
        let mut converted = 0u64;
        while let Some((key, _)) = trees.old.first()? {
            if key.len() < 9 || key[key.len() - 9] != 0 {
                // Not a check key: nothing ever read it.
                trees.old.remove(key)?;
                continue;
            }
            let prefix = &key[..key.len() - 8];
            let url = String::from_utf8_lossy(&prefix[..prefix.len() - 1]).into_owned();
            convert_url(&trees, prefix, &url)?;
            converted += 1;
        }
        drop(trees);
        db.drop_tree(OLD_CHECKS_TREE)?;
        tracing::info!("folded the checks of {converted} URLs into spans");
    }
    dedupe_seed_lists(db)?;
    meta.remove(UPGRADE_PENDING)?;
    db.flush()?;
    Ok(())
}

/// The trees a conversion writes.
struct Trees {
    old: sled::Tree,
    history: sled::Tree,
    tails: sled::Tree,
    resources: sled::Tree,
    latest: sled::Tree,
}

impl Trees {
    fn open(db: &sled::Db) -> Result<Trees, StoreError> {
        Ok(Trees {
            old: db.open_tree(OLD_CHECKS_TREE)?,
            history: db.open_tree(HISTORY_TREE)?,
            tails: db.open_tree(TAILS_TREE)?,
            resources: db.open_tree("resources")?,
            latest: db.open_tree(LATEST_TREE)?,
        })
    }
}

/// One URL's checks (keys starting with `prefix`) folded into spans: their first checks and
/// closed tails written, the open tail put on the URL's `Latest` (made from its record), and
/// its old records removed, in one transaction.
fn convert_url(trees: &Trees, prefix: &[u8], url: &str) -> Result<(), StoreError> {
    let mut keys = Vec::new();
    let mut checks = Vec::new();
    for kv in trees.old.scan_prefix(prefix) {
        let (k, v) = kv?;
        // Only `url \0 run` keys are this URL's; the first one is, so `keys` is never empty.
        if k.len() != prefix.len() + 8 {
            continue;
        }
        checks.push(serde_json::from_slice::<CheckRecord>(&v)?);
        keys.push(k);
    }
    checks.sort_by_key(|c| c.run_id);
    let mut writes = span_writes(url, fold(checks))?;
    let open = writes.open.take();
    let latest = match trees.resources.get(url.as_bytes())? {
        Some(raw) => {
            let record: ResourceRecord = serde_json::from_slice(&raw)?;
            Some(serde_json::to_vec(&Latest::of(&record, open))?)
        }
        // No record to keep the open tail on: the span is closed.
        None => {
            if let (Some(tail), Some((key, _))) = (open, writes.heads.last()) {
                writes.tails.push((key.clone(), serde_json::to_vec(&tail)?));
            }
            None
        }
    };
    (&trees.old, &trees.history, &trees.tails, &trees.latest)
        .transaction(|(o, h, t, l)| {
            for k in &keys {
                o.remove(k)?;
            }
            for (k, v) in &writes.heads {
                h.insert(k.as_slice(), v.as_slice())?;
            }
            for (k, v) in &writes.tails {
                t.insert(k.as_slice(), v.as_slice())?;
            }
            if let Some(v) = &latest {
                l.insert(url.as_bytes(), v.as_slice())?;
            }
            Ok::<(), ConflictableTransactionError<()>>(())
        })
        .map_err(transaction_error)
}

/// Removes each seed snapshot equal to the one before it, in runs that completed.
fn dedupe_seed_lists(db: &sled::Db) -> Result<(), StoreError> {
    let seed_lists = db.open_tree("seed_lists")?;
    let runs = db.open_tree("runs")?;
    let mut complete: HashMap<u64, Vec<String>> = HashMap::new();
    for kv in runs.iter() {
        let run: RunRecord = serde_json::from_slice(&kv?.1)?;
        if run.status == RunStatus::Complete {
            complete.insert(run.id, run.seeds);
        }
    }
    let mut previous: Option<(Vec<u8>, SeedSnapshot)> = None;
    for kv in seed_lists.iter() {
        let (k, v) = kv?;
        if k.len() < 9 || k[k.len() - 9] != 0 {
            continue;
        }
        let seed = &k[..k.len() - 9];
        let run = key_u64(&k[k.len() - 8..]);
        let snapshot: SeedSnapshot = serde_json::from_slice(&v)?;
        let same = previous
            .as_ref()
            .is_some_and(|(s, prev)| s.as_slice() == seed && *prev == snapshot);
        let listed = complete
            .get(&run)
            .is_some_and(|seeds| seeds.iter().any(|s| s.as_bytes() == seed));
        if same && listed {
            seed_lists.remove(&k)?;
        } else {
            previous = Some((seed.to_vec(), snapshot));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Change, State};
    use crate::store::history::tests::{at, check};
    use crate::store::records::ResourceRecord;
    use crate::store::{FORMAT_KEY, STORE_FORMAT, Store, check_key};

    type R = Result<(), Box<dyn std::error::Error>>;

    const A: &str = "http://a/doc";
    const B: &str = "http://b/other";

    /// A check as format 2 kept it; a middle check of what becomes a span is given its run's
    /// start as time, as spans give it back.
    fn old_check(url: &str, run: u64, state: State, change: Change, failures: u32) -> CheckRecord {
        CheckRecord {
            url: url.into(),
            failures,
            ..check(run, state, 1, change)
        }
    }

    fn snap(title: &str) -> SeedSnapshot {
        SeedSnapshot {
            title: Some(title.into()),
            page_url: None,
            items: Vec::new(),
        }
    }

    /// Writes a format-2 store with the keys and values that format's code wrote: six runs,
    /// URL A checked in every one (ok, broken twice, ok again), URL B in runs 2 and 4 only, and
    /// a seed whose list changed in runs 4 and 5. Returns each URL's checks.
    fn format_2_store(dir: &std::path::Path) -> Result<Vec<Vec<CheckRecord>>, StoreError> {
        let db = sled::open(dir.join("db"))?;
        db.open_tree("meta")?
            .insert(FORMAT_KEY, &2u32.to_be_bytes())?;
        let runs = db.open_tree("runs")?;
        for id in 1..=6u64 {
            let run = RunRecord {
                id,
                started: at(id as i64 * 100),
                seeds: vec!["seeds/s.toml".into()],
                status: RunStatus::Complete,
                ..RunRecord::default()
            };
            runs.insert(id.to_be_bytes(), serde_json::to_vec(&run)?)?;
        }
        let mut a = vec![
            old_check(A, 1, State::Ok, Change::New, 0),
            old_check(A, 2, State::Ok, Change::Unchanged, 0),
            old_check(A, 3, State::Ok, Change::Unchanged, 0),
            old_check(A, 4, State::Broken, Change::NewlyBroken, 1),
            old_check(A, 5, State::Broken, Change::StillBroken, 2),
            old_check(A, 6, State::Ok, Change::Recovered, 0),
        ];
        a[1].checked_at = at(200);
        a[3].sha256 = None;
        a[4].sha256 = None;
        let b = vec![
            old_check(B, 2, State::Ok, Change::New, 0),
            old_check(B, 4, State::Ok, Change::Unchanged, 0),
        ];
        let checks = db.open_tree("checks")?;
        let resources = db.open_tree("resources")?;
        for list in [&a, &b] {
            let mut record = None;
            for c in list {
                checks.insert(check_key(&c.url, c.run_id), serde_json::to_vec(c)?)?;
                record = Some(ResourceRecord::apply(record, c));
            }
            if let Some(r) = record {
                resources.insert(r.url.as_bytes(), serde_json::to_vec(&r)?)?;
            }
        }
        let seeds = db.open_tree("seed_lists")?;
        for (run, title) in [
            (1, "one"),
            (2, "one"),
            (3, "one"),
            (4, "four"),
            (5, "one"),
            (6, "one"),
        ] {
            seeds.insert(
                check_key("seeds/s.toml", run),
                serde_json::to_vec(&snap(title))?,
            )?;
        }
        db.flush()?;
        Ok(vec![a, b])
    }

    /// What the format-2 code answered for `checks_in_runs(ids)`: every check of those runs.
    fn in_runs(all: &[Vec<CheckRecord>], ids: &[u64]) -> Vec<CheckRecord> {
        all.iter()
            .flatten()
            .filter(|c| ids.contains(&c.run_id))
            .cloned()
            .collect()
    }

    /// Checks less what a span's later checks do not keep: their own timing and attempts.
    fn shared(checks: Vec<CheckRecord>) -> Vec<CheckRecord> {
        checks
            .into_iter()
            .map(|c| CheckRecord {
                elapsed_ms: 0,
                attempts: Vec::new(),
                ..c
            })
            .collect()
    }

    fn assert_same_answers(store: &Store, before: &[Vec<CheckRecord>]) -> R {
        let a = store.history(A)?;
        assert_eq!(shared(a.clone()), shared(before[0].clone()));
        assert_eq!(shared(store.history(B)?), shared(before[1].clone()));
        // The first check of each span keeps its own (the others, their span's first check's).
        for i in [0, 3, 5] {
            assert_eq!(a[i].elapsed_ms, before[0][i].elapsed_ms, "check {i}");
        }
        for ids in [&[1u64][..], &[2, 3], &[4, 5, 6], &[1, 2, 3, 4, 5, 6]] {
            assert_eq!(
                shared(store.checks_in_runs(ids)?),
                shared(in_runs(before, ids)),
                "runs {ids:?}"
            );
        }
        let all: Vec<CheckRecord> = store.all_checks().collect::<Result<_, _>>()?;
        assert_eq!(shared(all), shared(before.concat()));
        for run in 1..=6 {
            let want = if (4..5).contains(&run) { "four" } else { "one" };
            assert_eq!(
                store.seeds_in_run(run)?,
                vec![("seeds/s.toml".to_string(), snap(want))],
                "run {run}"
            );
        }
        let a = store.resource(A)?.ok_or("no record of A")?;
        assert_eq!(a.checks, 6);
        Ok(())
    }

    #[test]
    fn a_format_2_store_is_folded_into_spans_with_the_same_answers() -> R {
        let dir = tempfile::tempdir()?;
        let before = format_2_store(dir.path())?;
        let store = Store::open(dir.path())?;
        assert_same_answers(&store, &before)?;
        // A: ok 1-3, broken 4-5, ok 6; B: one span over runs 2 and 4.
        assert_eq!(store.history.len(), 4);
        assert!(
            !store
                .db
                .tree_names()
                .iter()
                .any(|n| n.as_ref() == OLD_CHECKS_TREE.as_bytes())
        );
        let meta = store.db.open_tree("meta")?;
        assert_eq!(
            meta.get(FORMAT_KEY)?.as_deref(),
            Some(&STORE_FORMAT.to_be_bytes()[..])
        );
        assert_eq!(meta.get(UPGRADE_PENDING)?, None);
        // Runs 2, 3 and 6 listed what the run before them did.
        assert_eq!(store.seed_lists.len(), 3);

        // Opened again: nothing left to do, same answers; and the next check extends A's span.
        drop((meta, store));
        let store = Store::open(dir.path())?;
        assert_same_answers(&store, &before)?;
        store.record_check(&old_check(A, 7, State::Ok, Change::Unchanged, 0))?;
        assert_eq!(store.history.len(), 4);
        assert_eq!(store.history(A)?.len(), 7);
        Ok(())
    }

    #[test]
    fn a_conversion_stopped_halfway_resumes_where_it_was() -> R {
        let dir = tempfile::tempdir()?;
        let before = format_2_store(dir.path())?;
        {
            // What `Store::open` does, stopped after the first URL's transaction.
            let db = sled::open(dir.path().join("db"))?;
            let meta = db.open_tree("meta")?;
            let mut batch = sled::Batch::default();
            batch.insert(UPGRADE_PENDING, &[1u8]);
            batch.insert(FORMAT_KEY, &STORE_FORMAT.to_be_bytes());
            meta.apply_batch(batch)?;
            let trees = Trees::open(&db)?;
            let mut prefix = A.as_bytes().to_vec();
            prefix.push(0);
            convert_url(&trees, &prefix, A)?;
            assert_eq!(trees.old.len(), 2, "B's checks are still to convert");
            db.flush()?;
        }
        let store = Store::open(dir.path())?;
        assert_same_answers(&store, &before)?;
        assert_eq!(store.history.len(), 4);
        Ok(())
    }
}
