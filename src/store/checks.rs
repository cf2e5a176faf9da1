//! Checks kept as spans (see `history`): recording a check (extending the URL's open span on
//! its resource record, or closing it and opening one), rewriting one with what the web archives
//! said, and reading them back unfolded, one record per check, as they were recorded.

use std::collections::HashMap;

use super::history::{self, Tail};
use super::records::{CheckRecord, ResourceRecord};
use super::{Store, StoreError, check_key};

impl Store {
    /// Appends a check to a URL's history and folds it into the URL's latest record.
    pub fn record_check(&self, check: &CheckRecord) -> Result<ResourceRecord, StoreError> {
        let prev = self.resource(&check.url)?;
        self.record_check_over(prev, check)
    }

    /// `record_check` for a caller that has just read the URL's record (`prev`, from
    /// `resource`), so it is not decoded once more for every check (only its open span is).
    /// A check with the outcome of the one before extends the open span, on the resource
    /// record alone; any other closes it and opens one.
    pub fn record_check_over(
        &self,
        prev: Option<ResourceRecord>,
        check: &CheckRecord,
    ) -> Result<ResourceRecord, StoreError> {
        let next = ResourceRecord::apply(prev, check);
        let open = match self.resources.get(check.url.as_bytes())? {
            Some(raw) => serde_json::from_slice::<history::OpenTail>(&raw)?.span,
            None => None,
        };
        match open {
            Some(mut tail) if check.run_id > tail.last_run() => {
                if tail.extend(check) {
                    self.put_resource(&next, Some(&tail))?;
                } else {
                    self.start_span(check, &next, Some(tail))?;
                }
            }
            // The run is not the latest that checked the URL (a check recorded again in its
            // run): the URL's spans are folded again around it.
            Some(_) => {
                self.refold(&check.url, |checks| {
                    checks.retain(|c| c.run_id != check.run_id);
                    checks.push(check.clone());
                })?;
                let tail = self.open_tail(&check.url)?;
                self.put_resource(&next, tail.as_ref())?;
            }
            None => self.start_span(check, &next, None)?,
        }
        Ok(next)
    }

    /// Opens a span at `check` and writes `next`, its URL's record, with the span's tail; the
    /// span `closing` (the open one's tail) is closed, all in one transaction.
    fn start_span(
        &self,
        check: &CheckRecord,
        next: &ResourceRecord,
        closing: Option<Tail>,
    ) -> Result<(), StoreError> {
        let mut writes = Vec::with_capacity(2);
        if let Some(tail) = closing {
            let key = check_key(&check.url, tail.first_run());
            // Without its first check (which nothing removes), a tail has nothing to unfold.
            if let Some(v) = self.history.get(&key)? {
                let closed = history::Span {
                    first: serde_json::from_slice::<history::Span>(&v)?.first,
                    tail: Some(tail),
                };
                writes.push((key, serde_json::to_vec(&closed)?));
            }
        }
        let head = history::Span {
            first: check.clone(),
            tail: None,
        };
        writes.push((
            check_key(&check.url, check.run_id),
            serde_json::to_vec(&head)?,
        ));
        let resource = stored(next, Some(&Tail::start(check)))?;
        self.write(&check.url, &[], &writes, Some(&resource))
    }

    /// Removes `removes` and writes `writes` in the history tree, and `resource` (raw) as
    /// `url`'s record, in one transaction.
    fn write(
        &self,
        url: &str,
        removes: &[sled::IVec],
        writes: &[(Vec<u8>, Vec<u8>)],
        resource: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        use sled::Transactional;
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        (&self.history, &self.resources)
            .transaction(|(h, r)| {
                for k in removes {
                    h.remove(k)?;
                }
                for (k, v) in writes {
                    h.insert(k.as_slice(), v.as_slice())?;
                }
                if let Some(v) = resource {
                    r.insert(url.as_bytes(), v)?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                TransactionError::Storage(e) => StoreError::Db(e),
                TransactionError::Abort(()) => {
                    StoreError::Db(sled::Error::Unsupported("transaction aborted".into()))
                }
            })
    }

    /// Writes `record` with the open span's `tail`.
    fn put_resource(&self, record: &ResourceRecord, tail: Option<&Tail>) -> Result<(), StoreError> {
        self.resources
            .insert(record.url.as_bytes(), stored(record, tail)?)?;
        Ok(())
    }

    /// The open span's tail on `url`'s record.
    fn open_tail(&self, url: &str) -> Result<Option<Tail>, StoreError> {
        match self.resources.get(url.as_bytes())? {
            Some(raw) => Ok(serde_json::from_slice::<history::OpenTail>(&raw)?.span),
            None => Ok(None),
        }
    }

    /// `url`'s record and its open span's tail.
    fn stored_resource(
        &self,
        url: &str,
    ) -> Result<Option<(ResourceRecord, Option<Tail>)>, StoreError> {
        match self.resources.get(url.as_bytes())? {
            Some(raw) => {
                let s: StoredResource = serde_json::from_slice(&raw)?;
                Ok(Some((s.record, s.span)))
            }
            None => Ok(None),
        }
    }

    /// Rewrites a check already recorded (what the archives said about it came later); the
    /// resource record is not folded again. The check's span takes it: its first check is
    /// rewritten, or its last one's web-archive part, or (a check in the middle of a span, or
    /// one no longer the same outcome) the URL's spans are folded again around it.
    pub fn update_check(&self, check: &CheckRecord) -> Result<(), StoreError> {
        let Some((record, Some(mut tail))) = self.stored_resource(&check.url)? else {
            return self.refold(&check.url, |checks| replace(checks, check));
        };
        if check.run_id == tail.first_run() && history::outcome(check, 0) == tail.outcome {
            let head = history::Span {
                first: check.clone(),
                tail: None,
            };
            self.history.insert(
                check_key(&check.url, check.run_id),
                serde_json::to_vec(&head)?,
            )?;
            return Ok(());
        }
        if tail.covers(check.run_id) && tail.update_last(check) {
            return self.put_resource(&record, Some(&tail));
        }
        self.refold(&check.url, |checks| replace(checks, check))
    }

    /// Unfolds `url`'s spans, lets `edit` change its checks, and folds them again, rewriting
    /// the URL's spans and its open tail in one transaction. For what the usual path (extend
    /// the open span, or start one) cannot do: a check rewritten in the middle of a span.
    fn refold(
        &self,
        url: &str,
        edit: impl FnOnce(&mut Vec<CheckRecord>),
    ) -> Result<(), StoreError> {
        let mut checks = self.history(url)?;
        edit(&mut checks);
        checks.sort_by_key(|c| c.run_id);
        let spans = history::fold(checks);
        let removes: Vec<sled::IVec> = self
            .history
            .scan_prefix(url_prefix(url))
            .keys()
            .collect::<Result<_, _>>()?;
        let record = self.resources.get(url.as_bytes())?;
        let (writes, resource) = history::span_writes(url, spans, record.as_deref())?;
        self.write(url, &removes, &writes, resource.as_deref())
    }

    /// Keeps a copy recovered from a web archive on the URL's record.
    pub fn put_recovered(
        &self,
        url: &str,
        recovered: &crate::model::Recovered,
    ) -> Result<ResourceRecord, StoreError> {
        // `seed recover` may recover a page no run has checked yet: the copy still needs a
        // record, or nothing (verify, index, the next recovery) would know it is there.
        let (mut rec, tail) = self
            .stored_resource(url)?
            .unwrap_or_else(|| (ResourceRecord::unchecked(url, recovered.recovered_at), None));
        rec.recovered = Some(recovered.clone());
        self.put_resource(&rec, tail.as_ref())?;
        Ok(rec)
    }

    pub fn resource(&self, url: &str) -> Result<Option<ResourceRecord>, StoreError> {
        Ok(self.stored_resource(url)?.map(|(record, _)| record))
    }

    /// Every check of `url`, oldest first: its spans unfolded.
    pub fn history(&self, url: &str) -> Result<Vec<CheckRecord>, StoreError> {
        let starts = history::starts(&self.runs()?);
        let mut open = None;
        let mut out = Vec::new();
        for kv in self.history.scan_prefix(url_prefix(url)) {
            let span: history::Span = serde_json::from_slice(&kv?.1)?;
            let tail = match span.tail {
                Some(t) => t,
                None => {
                    if open.is_none() {
                        open = Some(self.open_tail(url)?);
                    }
                    open_or_single(open.clone().flatten(), &span.first)
                }
            };
            out.extend(history::unfold(&span.first, &tail, &starts, None));
        }
        Ok(out)
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
        for kv in self.resources.iter() {
            let (k, v) = kv?;
            if let Some(tail) = serde_json::from_slice::<history::OpenTail>(&v)?.span {
                open.insert(k.to_vec(), tail);
            }
        }
        Ok(Spans {
            tree: &self.history,
            open,
            starts: history::starts(&self.runs()?),
        })
    }

    /// Every resource record, in URL order.
    pub fn all_resources(&self) -> impl Iterator<Item = Result<ResourceRecord, StoreError>> + '_ {
        self.resources.iter().map(|kv| {
            let stored: StoredResource = serde_json::from_slice(&kv?.1)?;
            Ok(stored.record)
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

/// A resource record as kept: the record, and its open span's tail beside its fields.
#[derive(serde::Deserialize)]
struct StoredResource {
    #[serde(flatten)]
    record: ResourceRecord,
    #[serde(default)]
    span: Option<Tail>,
}

/// `record` with `tail`, as kept in the resources tree.
fn stored(record: &ResourceRecord, tail: Option<&Tail>) -> Result<Vec<u8>, StoreError> {
    #[derive(serde::Serialize)]
    struct Stored<'a> {
        #[serde(flatten)]
        record: &'a ResourceRecord,
        #[serde(skip_serializing_if = "Option::is_none")]
        span: Option<&'a Tail>,
    }
    Ok(serde_json::to_vec(&Stored { record, span: tail })?)
}

/// The span whose head is `first` and whose tail should be the open one: `open` when it
/// belongs to it, else a span of that one check (a store written by nothing that can be).
fn open_or_single(open: Option<Tail>, first: &CheckRecord) -> Tail {
    open.filter(|t| t.first_run() == first.run_id)
        .unwrap_or_else(|| Tail::start(first))
}

/// Every span of the store in key order (URL, then first run), open ones with their tails.
struct Spans<'a> {
    tree: &'a sled::Tree,
    /// Open spans' tails, by URL.
    open: HashMap<Vec<u8>, Tail>,
    starts: history::Starts,
}

impl Spans<'_> {
    fn iter(&self) -> impl Iterator<Item = Result<(CheckRecord, Tail), StoreError>> + '_ {
        self.tree.iter().map(|kv| decode_span(kv, &self.open))
    }
}

impl<'a> IntoIterator for Spans<'a> {
    type Item = Result<(CheckRecord, Tail), StoreError>;
    type IntoIter = Box<dyn Iterator<Item = Self::Item> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        let Spans { tree, open, .. } = self;
        Box::new(tree.iter().map(move |kv| decode_span(kv, &open)))
    }
}

/// A span read from the history tree, with its tail (from `open` when the span is open).
fn decode_span(
    kv: sled::Result<(sled::IVec, sled::IVec)>,
    open: &HashMap<Vec<u8>, Tail>,
) -> Result<(CheckRecord, Tail), StoreError> {
    let (k, v) = kv?;
    let span: history::Span = serde_json::from_slice(&v)?;
    let tail = match span.tail {
        Some(t) => t,
        None => {
            let url = &k[..k.len().saturating_sub(9)];
            open_or_single(open.get(url).cloned(), &span.first)
        }
    };
    Ok((span.first, tail))
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

    fn history_values(store: &Store) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        store
            .history
            .iter()
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
        let after_two = history_values(&store)?;
        for run in 3..=12 {
            store.record_check(&check(run, State::Ok, 1, Change::Unchanged))?;
        }
        assert_eq!(history_values(&store)?, after_two);
        assert_eq!(after_two.len(), 1);
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
        let spans = history_values(&store)?;
        assert_eq!(spans.len(), 3);
        let decoded: Vec<history::Span> = spans
            .iter()
            .map(|(_, v)| serde_json::from_slice(v))
            .collect::<Result<_, _>>()?;
        assert!(decoded[0].tail.is_some() && decoded[1].tail.is_some());
        assert!(
            decoded[2].tail.is_none(),
            "the open span's tail is on the resource"
        );
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
        assert_eq!(history_values(&store)?.len(), 1, "one span");

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
