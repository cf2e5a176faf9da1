//! Checks kept as spans (see `history`): recording a check (extending the URL's open span, whose
//! tail is on the URL's `Latest`, or closing it and opening one), rewriting one with what the
//! web archives said, and reading them back unfolded, one record per check, as they were
//! recorded; and the URL's record, kept in two parts (`resources` and `Latest`) so that a check
//! that finds nothing new writes only the small one.

use std::collections::HashMap;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::history::{self, Latest, SpanWrites, Tail};
use super::records::{CheckRecord, ResourceRecord};
use super::{Store, StoreError, check_key};

impl Store {
    /// Appends a check to a URL's history and folds it into the URL's latest record.
    pub fn record_check(&self, check: &CheckRecord) -> Result<ResourceRecord, StoreError> {
        let prev = self.resource(&check.url)?;
        self.record_check_over(prev, check)
    }

    /// `record_check` for a caller that has just read the URL's record (`prev`, from
    /// `resource`), so it is not read and decoded once more for every check. A check with the
    /// outcome of the one before extends the open span and writes the URL's `Latest` alone
    /// (and its record in `resources` when something there changed); any other closes the
    /// span and opens one.
    pub fn record_check_over(
        &self,
        prev: Option<ResourceRecord>,
        check: &CheckRecord,
    ) -> Result<ResourceRecord, StoreError> {
        let (next, writes) = self.plan(prev, check)?;
        self.apply(&[writes])?;
        Ok(next)
    }

    /// `record_check_over` for many checks of different URLs, written in one transaction: a
    /// sled transaction writes and syncs its log buffer twice whatever its size, which, one per
    /// check, was most of a first run's disk waits. Each check comes with its URL's record as
    /// read just before; no two may be of the same URL.
    pub fn record_checks_over(
        &self,
        checks: Vec<(Option<ResourceRecord>, &CheckRecord)>,
    ) -> Result<Vec<ResourceRecord>, StoreError> {
        let mut records = Vec::with_capacity(checks.len());
        let mut writes = Vec::with_capacity(checks.len());
        for (prev, check) in checks {
            let (next, w) = self.plan(prev, check)?;
            records.push(next);
            writes.push(w);
        }
        self.apply(&writes)?;
        Ok(records)
    }

    /// What recording `check` over `prev` writes, and the URL's record after it.
    fn plan(
        &self,
        prev: Option<ResourceRecord>,
        check: &CheckRecord,
    ) -> Result<(ResourceRecord, UrlWrites), StoreError> {
        let settled_before = prev.as_ref().map(history::settled);
        let next = ResourceRecord::apply(prev, check);
        let record = (settled_before.as_ref() != Some(&history::settled(&next)))
            .then(|| serde_json::to_vec(&next))
            .transpose()?;
        let url = &check.url;
        let (spans, latest) = match self.latest(url)?.and_then(|l| l.span) {
            Some(mut tail) if check.run_id > tail.last_run() => {
                if tail.extend(check) {
                    let latest = serde_json::to_vec(&Latest::of(&next, Some(tail)))?;
                    (SpanWrites::none(), latest)
                } else {
                    let mut writes = SpanWrites::starting(check)?;
                    writes
                        .tails
                        .push((check_key(url, tail.first_run()), serde_json::to_vec(&tail)?));
                    let latest = serde_json::to_vec(&Latest::of(&next, writes.open.take()))?;
                    (writes, latest)
                }
            }
            // The run is not the latest that checked the URL (a check recorded again in its
            // run): the URL's spans are folded again around it.
            Some(_) => {
                let mut writes = self.refold(url, |checks| replace(checks, check))?;
                let latest = serde_json::to_vec(&Latest::of(&next, writes.open.take()))?;
                (writes, latest)
            }
            None => {
                let mut writes = SpanWrites::starting(check)?;
                let latest = serde_json::to_vec(&Latest::of(&next, writes.open.take()))?;
                (writes, latest)
            }
        };
        Ok((
            next,
            UrlWrites {
                url: url.clone(),
                spans,
                record,
                latest: Some(latest),
            },
        ))
    }

    /// Applies the writes of several URLs: in one transaction, unless each writes its `Latest`
    /// alone (a check that found what the one before found), which needs none.
    fn apply(&self, writes: &[UrlWrites]) -> Result<(), StoreError> {
        if writes.iter().all(UrlWrites::latest_only) {
            for w in writes {
                if let Some(latest) = &w.latest {
                    self.latest.insert(w.url.as_bytes(), latest.as_slice())?;
                }
            }
            return Ok(());
        }
        (&self.history, &self.tails, &self.resources, &self.latest)
            .transaction(|(h, t, r, l)| {
                for w in writes {
                    for k in &w.spans.removes {
                        h.remove(k.as_slice())?;
                        t.remove(k.as_slice())?;
                    }
                    for (k, v) in &w.spans.heads {
                        h.insert(k.as_slice(), v.as_slice())?;
                    }
                    for (k, v) in &w.spans.tails {
                        t.insert(k.as_slice(), v.as_slice())?;
                    }
                    if let Some(v) = &w.record {
                        r.insert(w.url.as_bytes(), v.as_slice())?;
                    }
                    if let Some(v) = &w.latest {
                        l.insert(w.url.as_bytes(), v.as_slice())?;
                    }
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error)
    }

    /// `url`'s `Latest`.
    fn latest(&self, url: &str) -> Result<Option<Latest>, StoreError> {
        match self.latest.get(url.as_bytes())? {
            Some(raw) => Ok(Some(serde_json::from_slice(&raw)?)),
            None => Ok(None),
        }
    }

    /// Rewrites a check already recorded (what the archives said about it came later); the
    /// resource record is not folded again. The check's span takes it: its first check is
    /// rewritten, or its last one's web-archive part, or (a check in the middle of a span, or
    /// one no longer the same outcome) the URL's spans are folded again around it.
    pub fn update_check(&self, check: &CheckRecord) -> Result<(), StoreError> {
        let url = &check.url;
        let latest = self.latest(url)?;
        if let Some(mut latest) = latest.clone()
            && let Some(tail) = latest.span.as_mut()
        {
            if check.run_id == tail.first_run() && history::outcome(check, 0) == tail.outcome {
                self.history
                    .insert(check_key(url, check.run_id), head_bytes(check)?)?;
                return Ok(());
            }
            if tail.covers(check.run_id) && tail.update_last(check) {
                self.latest
                    .insert(url.as_bytes(), serde_json::to_vec(&latest)?)?;
                return Ok(());
            }
        }
        let mut writes = self.refold(url, |checks| replace(checks, check))?;
        let open = writes.open.take();
        let latest = match (latest, open) {
            (Some(l), open) => Some(serde_json::to_vec(&Latest { span: open, ..l })?),
            // A URL without a record (none is made up for it): its last span is closed.
            (None, Some(tail)) => {
                let key = check_key(url, tail.first_run());
                writes.tails.push((key, serde_json::to_vec(&tail)?));
                None
            }
            (None, None) => None,
        };
        self.apply(&[UrlWrites {
            url: url.to_owned(),
            spans: writes,
            record: None,
            latest,
        }])
    }

    /// Unfolds `url`'s spans, lets `edit` change its checks and folds them again: the writes
    /// that replace the URL's spans, the open one's tail in `open` for the caller to put on the
    /// URL's `Latest` in the same transaction. For what the usual path (extend the open span,
    /// or start one) cannot do: a check rewritten in the middle of a span, or recorded again in
    /// its run.
    fn refold(
        &self,
        url: &str,
        edit: impl FnOnce(&mut Vec<CheckRecord>),
    ) -> Result<SpanWrites, StoreError> {
        let mut checks = self.history(url)?;
        edit(&mut checks);
        checks.sort_by_key(|c| c.run_id);
        let mut writes = history::span_writes(url, history::fold(checks))?;
        writes.removes = self
            .history
            .scan_prefix(url_prefix(url))
            .keys()
            .map(|k| k.map(|k| k.to_vec()))
            .collect::<Result<_, _>>()?;
        Ok(writes)
    }

    /// Keeps a copy recovered from a web archive on the URL's record.
    pub fn put_recovered(
        &self,
        url: &str,
        recovered: &crate::model::Recovered,
    ) -> Result<ResourceRecord, StoreError> {
        // `seed recover` may recover a page no run has checked yet: the copy still needs a
        // record, or nothing (verify, index, the next recovery) would know it is there.
        let mut rec = self
            .resource(url)?
            .unwrap_or_else(|| ResourceRecord::unchecked(url, recovered.recovered_at));
        rec.recovered = Some(recovered.clone());
        self.resources
            .insert(url.as_bytes(), serde_json::to_vec(&rec)?)?;
        Ok(rec)
    }

    pub fn resource(&self, url: &str) -> Result<Option<ResourceRecord>, StoreError> {
        let Some(raw) = self.resources.get(url.as_bytes())? else {
            return Ok(None);
        };
        let mut record: ResourceRecord = serde_json::from_slice(&raw)?;
        if let Some(latest) = self.latest(url)? {
            latest.apply_to(&mut record);
        }
        Ok(Some(record))
    }

    /// Every check of `url`, oldest first: its spans unfolded.
    pub fn history(&self, url: &str) -> Result<Vec<CheckRecord>, StoreError> {
        let starts = history::starts(&self.runs()?);
        let open = self.latest(url)?.and_then(|l| l.span);
        let mut out = Vec::new();
        for kv in self.history.scan_prefix(url_prefix(url)) {
            let (k, v) = kv?;
            let first: CheckRecord = serde_json::from_slice(&v)?;
            let tail = self.tail_of(&k, &first, open.as_ref())?;
            out.extend(history::unfold(&first, &tail, &starts, None));
        }
        // An inconclusive run's check is a span of its own inside a span that went on past it.
        out.sort_by_key(|c| c.run_id);
        Ok(out)
    }

    /// Keeps a check of an inconclusive run (change `inconclusive`) as a closed span of its own
    /// and leaves the URL's record and open span as they were: its state, failure streak, good
    /// copy and validators stay those of its last conclusive check, which the next check is
    /// compared with (and extends the open span, around this one).
    pub fn record_inconclusive_check(&self, check: &CheckRecord) -> Result<(), StoreError> {
        let key = check_key(&check.url, check.run_id);
        self.tails
            .insert(key.clone(), serde_json::to_vec(&Tail::start(check))?)?;
        self.history.insert(key, head_bytes(check)?)?;
        Ok(())
    }

    /// The tail of the span whose first check is `first`, kept under `key`: its closed tail,
    /// else the URL's open one when it is that span's, else (written by nothing that can be)
    /// a span of that one check.
    fn tail_of(
        &self,
        key: &[u8],
        first: &CheckRecord,
        open: Option<&Tail>,
    ) -> Result<Tail, StoreError> {
        if let Some(raw) = self.tails.get(key)? {
            return Ok(serde_json::from_slice(&raw)?);
        }
        Ok(open
            .filter(|t| t.first_run() == first.run_id)
            .cloned()
            .unwrap_or_else(|| Tail::start(first)))
    }

    /// Every check made in one of `run_ids`, grouped by URL and in run order within one.
    pub fn checks_in_runs(&self, run_ids: &[u64]) -> Result<Vec<CheckRecord>, StoreError> {
        let spans = self.spans()?;
        let mut out = Vec::new();
        for span in spans.iter() {
            let (first, tail) = span?;
            if run_ids.iter().any(|r| tail.covers(*r)) {
                out.extend(history::unfold(&first, &tail, &spans.starts, Some(run_ids)));
            }
        }
        Ok(out)
    }

    /// Every span, with what it takes to unfold them.
    fn spans(&self) -> Result<Spans<'_>, StoreError> {
        let mut open = HashMap::new();
        for kv in self.latest.iter() {
            let (k, v) = kv?;
            if let Some(tail) = serde_json::from_slice::<Latest>(&v)?.span {
                open.insert(k.to_vec(), tail);
            }
        }
        Ok(Spans {
            store: self,
            open,
            starts: history::starts(&self.runs()?),
        })
    }

    /// Every resource record, in URL order.
    pub fn all_resources(&self) -> impl Iterator<Item = Result<ResourceRecord, StoreError>> + '_ {
        self.resources.iter().map(|kv| {
            let (k, v) = kv?;
            let mut record: ResourceRecord = serde_json::from_slice(&v)?;
            if let Some(latest) = self.latest.get(&k)? {
                serde_json::from_slice::<Latest>(&latest)?.apply_to(&mut record);
            }
            Ok(record)
        })
    }

    /// Every check record of every URL, grouped by URL and in run order within one.
    pub fn all_checks(&self) -> impl Iterator<Item = Result<CheckRecord, StoreError>> + '_ {
        let (spans, failed) = match self.spans() {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(Err(e))),
        };
        failed
            .into_iter()
            .chain(spans.into_iter().flat_map(|spans| {
                let starts = spans.starts.clone();
                spans.into_iter().flat_map(move |span| match span {
                    Ok((first, tail)) => history::unfold(&first, &tail, &starts, None)
                        .into_iter()
                        .map(Ok)
                        .collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                })
            }))
    }
}

impl SpanWrites {
    fn none() -> SpanWrites {
        SpanWrites {
            removes: Vec::new(),
            heads: Vec::new(),
            tails: Vec::new(),
            open: None,
        }
    }

    /// The writes of a span that `check` opens.
    fn starting(check: &CheckRecord) -> Result<SpanWrites, StoreError> {
        Ok(SpanWrites {
            heads: vec![(check_key(&check.url, check.run_id), head_bytes(check)?)],
            open: Some(Tail::start(check)),
            ..SpanWrites::none()
        })
    }
}

/// What recording one check writes for its URL.
struct UrlWrites {
    url: String,
    spans: SpanWrites,
    /// The URL's record in `resources`, when it changed.
    record: Option<Vec<u8>>,
    /// The URL's `Latest`.
    latest: Option<Vec<u8>>,
}

impl UrlWrites {
    fn latest_only(&self) -> bool {
        self.record.is_none()
            && self.spans.removes.is_empty()
            && self.spans.heads.is_empty()
            && self.spans.tails.is_empty()
    }
}

/// A check as the store keeps it: without its diff excerpt, which `judge::excerpt` makes again
/// from the two archived copies when a report or `history` shows it (kept, it was most of what
/// the history grew by).
fn head_bytes(check: &CheckRecord) -> Result<Vec<u8>, StoreError> {
    if check.content.as_ref().is_some_and(|c| c.diff.is_some()) {
        let mut kept = check.clone();
        if let Some(content) = kept.content.as_mut() {
            content.diff = None;
        }
        return Ok(serde_json::to_vec(&kept)?);
    }
    Ok(serde_json::to_vec(check)?)
}

pub(super) fn transaction_error(e: TransactionError<()>) -> StoreError {
    match e {
        TransactionError::Storage(e) => StoreError::Db(e),
        TransactionError::Abort(()) => {
            StoreError::Db(sled::Error::Unsupported("transaction aborted".into()))
        }
    }
}

/// Every span of the store in key order (URL, then first run), open ones with their tails.
struct Spans<'a> {
    store: &'a Store,
    /// Open spans' tails, by URL.
    open: HashMap<Vec<u8>, Tail>,
    starts: history::Starts,
}

impl Spans<'_> {
    fn iter(&self) -> impl Iterator<Item = Result<(CheckRecord, Tail), StoreError>> + '_ {
        self.store
            .history
            .iter()
            .map(|kv| decode_span(self.store, kv, &self.open))
    }
}

impl<'a> IntoIterator for Spans<'a> {
    type Item = Result<(CheckRecord, Tail), StoreError>;
    type IntoIter = Box<dyn Iterator<Item = Self::Item> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        let Spans { store, open, .. } = self;
        Box::new(
            store
                .history
                .iter()
                .map(move |kv| decode_span(store, kv, &open)),
        )
    }
}

/// A span's first check read from the history tree, with its tail.
fn decode_span(
    store: &Store,
    kv: sled::Result<(sled::IVec, sled::IVec)>,
    open: &HashMap<Vec<u8>, Tail>,
) -> Result<(CheckRecord, Tail), StoreError> {
    let (k, v) = kv?;
    let first: CheckRecord = serde_json::from_slice(&v)?;
    let url = &k[..k.len().saturating_sub(9)];
    let tail = store.tail_of(&k, &first, open.get(url))?;
    Ok((first, tail))
}

/// Replaces the check of `check`'s run in `checks`, or adds it.
fn replace(checks: &mut Vec<CheckRecord>, check: &CheckRecord) {
    checks.retain(|c| c.run_id != check.run_id);
    checks.push(check.clone());
}

/// The key prefix of `url`'s spans.
fn url_prefix(url: &str) -> Vec<u8> {
    let mut prefix = url.as_bytes().to_vec();
    prefix.push(0);
    prefix
}

#[cfg(test)]
mod tests {
    use super::super::history::tests::{at, check};
    use super::*;
    use crate::model::{ArchiveLookup, Change, SeedSnapshot, State};
    use crate::store::records::{RunRecord, RunStatus};

    type R = Result<(), Box<dyn std::error::Error>>;

    const URL: &str = "http://a/doc";

    /// A store with `runs` runs, each started at `at(id * 100)` and complete unless listed in
    /// `interrupted`.
    fn store_with_runs(
        dir: &std::path::Path,
        runs: u64,
        interrupted: &[u64],
    ) -> Result<Store, StoreError> {
        let store = Store::open(dir)?;
        for id in 1..=runs {
            let mut run = RunRecord {
                started: at(id as i64 * 100),
                seeds: vec!["seeds/s.toml".into()],
                ..RunRecord::default()
            };
            store.begin_run(&mut run)?;
            run.status = if interrupted.contains(&id) {
                RunStatus::Interrupted
            } else {
                RunStatus::Complete
            };
            store.put_run(&run)?;
        }
        Ok(store)
    }

    /// A tree's keys and values, in order.
    type Entries = Vec<(Vec<u8>, Vec<u8>)>;

    fn values(tree: &sled::Tree) -> Result<Entries, StoreError> {
        tree.iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((k.to_vec(), v.to_vec()))
            })
            .collect()
    }

    #[test]
    fn unchanged_checks_write_nothing_to_the_history_tree() -> R {
        let dir = tempfile::tempdir()?;
        let store = store_with_runs(dir.path(), 12, &[])?;
        store.record_check(&check(1, State::Ok, 1, Change::New))?;
        store.record_check(&check(2, State::Ok, 1, Change::Unchanged))?;
        let trees = [&store.history, &store.tails, &store.resources];
        let mut after_two = Vec::new();
        for tree in trees {
            after_two.push(values(tree)?);
        }
        for run in 3..=12 {
            store.record_check(&check(run, State::Ok, 1, Change::Unchanged))?;
        }
        // Only the URL's `Latest` was written.
        for (tree, before) in trees.iter().zip(&after_two) {
            assert_eq!(&values(tree)?, before);
        }
        assert_eq!(store.history.len(), 1);
        let history = store.history(URL)?;
        let runs: Vec<u64> = history.iter().map(|c| c.run_id).collect();
        assert_eq!(runs, (1..=12).collect::<Vec<_>>());
        assert_eq!(
            history[11].checked_at,
            check(12, State::Ok, 1, Change::New).checked_at
        );
        assert_eq!(
            history[5].checked_at,
            at(600),
            "a middle check: its run's start"
        );
        assert_eq!(store.resource(URL)?.ok_or("no record")?.checks, 12);
        Ok(())
    }

    #[test]
    fn a_transition_closes_the_open_span_and_keeps_it() -> R {
        let dir = tempfile::tempdir()?;
        let store = store_with_runs(dir.path(), 6, &[])?;
        let broken = |run: u64, change| CheckRecord {
            failures: run as u32 - 2,
            ..check(run, State::Broken, 0, change)
        };
        let checks = [
            check(1, State::Ok, 1, Change::New),
            check(2, State::Ok, 1, Change::Unchanged),
            broken(3, Change::NewlyBroken),
            broken(4, Change::StillBroken),
            check(5, State::Ok, 1, Change::Recovered),
            check(6, State::Ok, 1, Change::Unchanged),
        ];
        for c in &checks {
            store.record_check(c)?;
        }
        assert_eq!(store.history.len(), 3);
        assert_eq!(
            store.tails.len(),
            2,
            "the open span's tail is on the URL's latest"
        );
        let open = store
            .latest(URL)?
            .and_then(|l| l.span)
            .ok_or("no open span")?;
        assert_eq!(open.runs, vec![[5, 6]]);
        let got: Vec<(u64, State, Option<Change>, u32)> = store
            .history(URL)?
            .iter()
            .map(|c| (c.run_id, c.state, c.change, c.failures))
            .collect();
        let want: Vec<(u64, State, Option<Change>, u32)> = checks
            .iter()
            .map(|c| (c.run_id, c.state, c.change, c.failures))
            .collect();
        assert_eq!(got, want);
        let all: Vec<CheckRecord> = store.all_checks().collect::<Result<_, _>>()?;
        assert_eq!(all, store.history(URL)?);
        Ok(())
    }

    #[test]
    fn runs_of_other_seeds_in_between_are_not_this_urls() -> R {
        let dir = tempfile::tempdir()?;
        let store = store_with_runs(dir.path(), 5, &[])?;
        let other = |run: u64, change| CheckRecord {
            url: "http://b/other".into(),
            ..check(run, State::Ok, 2, change)
        };
        store.record_check(&check(1, State::Ok, 1, Change::New))?;
        store.record_check(&other(2, Change::New))?;
        store.record_check(&check(3, State::Ok, 1, Change::Unchanged))?;
        store.record_check(&other(4, Change::Unchanged))?;
        store.record_check(&check(5, State::Ok, 1, Change::Unchanged))?;
        let runs: Vec<u64> = store.history(URL)?.iter().map(|c| c.run_id).collect();
        assert_eq!(runs, vec![1, 3, 5]);
        let window: Vec<(String, u64)> = store
            .checks_in_runs(&[2, 3])?
            .into_iter()
            .map(|c| (c.url, c.run_id))
            .collect();
        assert_eq!(
            window,
            vec![(URL.to_string(), 3), ("http://b/other".into(), 2)]
        );
        let third = store.checks_in_runs(&[3])?;
        assert_eq!(
            third[0].checked_at,
            at(300),
            "between the first and the last"
        );
        Ok(())
    }

    #[test]
    fn update_check_rewrites_the_check_of_its_run_in_a_span() -> R {
        let dir = tempfile::tempdir()?;
        let store = store_with_runs(dir.path(), 5, &[])?;
        // One timing for all: what only a middle check held is not kept, and a check rewritten
        // in the middle of a span leaves the checks after it as they were given back.
        let broken = |run: u64, change| CheckRecord {
            failures: run as u32,
            elapsed_ms: 7,
            ..check(run, State::Broken, 0, change)
        };
        let lookup = |days: i64| {
            Some(Box::new(ArchiveLookup {
                target: at(-days * 86_400),
                snapshot: None,
                cached: false,
                notes: vec![format!("asked {days}")],
                candidates: Vec::new(),
            }))
        };
        let mut checks = Vec::new();
        for run in 1..=4 {
            let change = if run == 1 {
                Change::NewlyBroken
            } else {
                Change::StillBroken
            };
            let mut c = broken(run, change);
            store.record_check(&c)?;
            // As a run does: the archives' answer comes after the check is recorded.
            c.archive_lookup = lookup(1);
            store.update_check(&c)?;
            checks.push(c);
        }
        assert_eq!(store.history(URL)?, unfolded_like(&checks));
        assert_eq!(store.history.len(), 1, "one span");

        // The first, a middle one and the last, each rewritten on its own.
        for (i, days) in [(0, 7), (2, 8), (3, 9)] {
            checks[i].archive_lookup = lookup(days);
            store.update_check(&checks[i])?;
            assert_eq!(store.history(URL)?, unfolded_like(&checks), "check {i}");
        }
        // The next check goes on from there.
        let next = broken(5, Change::StillBroken);
        store.record_check(&next)?;
        checks.push(next);
        assert_eq!(store.history(URL)?, unfolded_like(&checks));
        Ok(())
    }

    /// `checks` with the times a span gives back: the middle ones at their run's start.
    fn unfolded_like(checks: &[CheckRecord]) -> Vec<CheckRecord> {
        let spans = history::fold(checks.to_vec());
        let starts: history::Starts = (1..=20).map(|r| (r, at(r as i64 * 100))).collect();
        let out: Vec<CheckRecord> = spans
            .iter()
            .flat_map(|(first, tail)| history::unfold(first, tail, &starts, None))
            .collect();
        assert_eq!(out.len(), checks.len());
        for (got, was) in out.iter().zip(checks) {
            assert_eq!(
                (got.run_id, &got.archive_lookup, got.failures, got.change),
                (was.run_id, &was.archive_lookup, was.failures, was.change)
            );
        }
        out
    }

    #[test]
    fn interrupted_runs_leave_gaps_and_a_check_recorded_again_replaces_its_run() -> R {
        let dir = tempfile::tempdir()?;
        let store = store_with_runs(dir.path(), 4, &[2])?;
        let other = |run: u64, change| CheckRecord {
            url: "http://b/other".into(),
            ..check(run, State::Ok, 2, change)
        };
        store.record_check(&check(1, State::Ok, 1, Change::New))?;
        store.record_check(&other(1, Change::New))?;
        // Run 2 was stopped after checking the other URL only.
        store.record_check(&other(2, Change::Unchanged))?;
        store.record_check(&check(3, State::Ok, 1, Change::Unchanged))?;
        store.record_check(&other(3, Change::Unchanged))?;
        let runs: Vec<u64> = store.history(URL)?.iter().map(|c| c.run_id).collect();
        assert_eq!(runs, vec![1, 3]);
        assert_eq!(store.checks_in_runs(&[2])?.len(), 1);

        // Run 3 checks the URL again, and it is now broken: the later check stands for run 3.
        let again = CheckRecord {
            failures: 1,
            ..check(3, State::Broken, 0, Change::NewlyBroken)
        };
        store.record_check(&again)?;
        let history = store.history(URL)?;
        assert_eq!(history.len(), 2);
        assert_eq!(history[1], again);
        // And the next run goes on from it.
        store.record_check(&CheckRecord {
            failures: 2,
            ..check(4, State::Broken, 0, Change::StillBroken)
        })?;
        let got: Vec<(u64, State)> = store
            .history(URL)?
            .iter()
            .map(|c| (c.run_id, c.state))
            .collect();
        assert_eq!(
            got,
            vec![(1, State::Ok), (3, State::Broken), (4, State::Broken)]
        );
        Ok(())
    }

    #[test]
    fn a_seed_list_is_written_again_only_when_it_changed() -> R {
        let dir = tempfile::tempdir()?;
        let store = store_with_runs(dir.path(), 4, &[3])?;
        let snap = |t: &str| SeedSnapshot {
            title: Some(t.into()),
            page_url: None,
            items: Vec::new(),
        };
        let seed = "seeds/s.toml";
        store.put_seed(seed, 1, &snap("one"))?;
        store.put_seed(seed, 2, &snap("one"))?;
        // Run 3 was interrupted: no list is recorded for it.
        store.put_seed(seed, 4, &snap("four"))?;
        assert_eq!(store.seed_lists.len(), 2);
        assert_eq!(
            store.seeds_in_run(2)?,
            vec![(seed.to_string(), snap("one"))]
        );
        assert_eq!(
            store.seeds_in_run(3)?,
            Vec::new(),
            "an interrupted run lists none"
        );
        assert_eq!(
            store.seeds_in_run(4)?,
            vec![(seed.to_string(), snap("four"))]
        );
        assert_eq!(store.seed_at(seed, 3)?, Some(snap("one")));
        assert_eq!(store.previous_seed(seed, 4)?, Some(snap("one")));
        Ok(())
    }
}
