//! A URL's history as spans: consecutive checks with the same outcome kept as one record (the
//! span's first check, whole, and the runs it covers), so that a check that finds nothing new
//! writes no record of its own. Pure folding and unfolding of spans (`upgrade` folds the per-check
//! records of formats 1 and 2), and `Latest`: the part of a URL's record that every check changes,
//! kept apart with the open span's tail. Every transition starts a span, and no span is ever
//! dropped.
//!
//! Invariants: a span's checks share everything `outcome` hashes; its later checks all carry one
//! `change`, no content change, a failure count that goes up by one per check when broken, and,
//! strictly between the first and the last, one web-archive answer; a 304 continues the span of
//! the 200 whose copy it confirms (the later checks' status is kept). What a later check alone
//! held (its attempts, timings, validators, bytes downloaded) is not kept: unfolded, it shows
//! the first check's (a 304's downloaded bytes: none).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::model::{ArchiveLookup, Change, Hop, Reason, Recovered, Sha256, Soft404Rule, State};

use super::records::{CheckRecord, ResourceRecord, RunRecord};
use super::{StoreError, check_key};

/// Each span's first check, keyed `url \0 first-run` (big-endian), so that one prefix scan gives a
/// URL's spans in order. Written once, when the span opens.
pub(super) const HISTORY_TREE: &str = "history";
/// Each closed span's tail, under its first check's key. Written once, when the span closes.
pub(super) const TAILS_TREE: &str = "tails";
/// Per URL, what every check changes on its record (`Latest`) and the open span's tail.
pub(super) const LATEST_TREE: &str = "latest";

/// What grows as a span is extended: which runs it covers, and what its later checks said.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct Tail {
    /// Runs that checked the URL in this span, first included, as inclusive ranges. In an
    /// archive several seeds share, runs in between may not have checked it: then a range per
    /// check.
    pub runs: Vec<[u64; 2]>,
    /// `outcome` of the first check: a later check continues the span only with the same.
    pub outcome: u64,
    /// The change of every check after the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<Change>,
    /// The HTTP status of every check after the first: the first's, or 304 when they confirm
    /// the copy the first one fetched (a 304 is the same outcome as the 200 it confirms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The web archives' part of every check strictly between the first and the last.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub mid: Extra,
    /// The last check, when it is not the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Last>,
}

/// A check's web-archive part, written after the check itself (`Store::update_check`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Extra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_lookup: Option<Box<ArchiveLookup>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<Box<Recovered>>,
}

impl Extra {
    fn of(check: &CheckRecord) -> Extra {
        Extra {
            archive_lookup: check.archive_lookup.clone(),
            recovered: check.recovered.clone(),
        }
    }

    fn is_empty(&self) -> bool {
        self.archive_lookup.is_none() && self.recovered.is_none()
    }
}

/// A span's last check, when it is not its first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct Last {
    pub checked_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl Tail {
    /// The tail of a span that `check` starts.
    pub fn start(check: &CheckRecord) -> Tail {
        Tail {
            runs: vec![[check.run_id, check.run_id]],
            outcome: outcome(check, 0),
            then: None,
            status: None,
            mid: Extra::default(),
            last: None,
        }
    }

    pub fn first_run(&self) -> u64 {
        self.runs.first().map_or(0, |r| r[0])
    }

    pub fn last_run(&self) -> u64 {
        self.runs.last().map_or(0, |r| r[1])
    }

    /// Checks in the span.
    pub fn count(&self) -> u64 {
        self.runs
            .iter()
            .map(|[a, b]| b.saturating_sub(*a) + 1)
            .sum()
    }

    pub fn covers(&self, run: u64) -> bool {
        self.runs.iter().any(|[a, b]| (*a..=*b).contains(&run))
    }

    fn run_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.runs.iter().flat_map(|[a, b]| *a..=*b)
    }

    /// Extends the span with `check`, a later check of the same URL, when it continues it:
    /// same outcome, the change and failure count the span's later checks have, and the check
    /// it follows keeping the middle checks' web-archive answer. `false` (span untouched): it
    /// starts a new span.
    pub fn extend(&mut self, check: &CheckRecord) -> bool {
        let n = self.count();
        let continues = check.run_id > self.last_run()
            && outcome(check, n) == self.outcome
            && check.content.is_none()
            && (n < 2 || (check.change == self.then && check.http_status == self.status));
        if !continues {
            return false;
        }
        // The check that was last becomes a middle one.
        if let Some(last) = self.last.take() {
            if n >= 3 && last.extra != self.mid {
                self.last = Some(last);
                return false;
            }
            self.mid = last.extra;
        }
        if n == 1 {
            self.then = check.change;
            self.status = check.http_status;
        }
        self.last = Some(Last {
            checked_at: check.checked_at,
            extra: Extra::of(check),
        });
        match self.runs.last_mut() {
            Some(range) if range[1] + 1 == check.run_id => range[1] = check.run_id,
            _ => self.runs.push([check.run_id, check.run_id]),
        }
        true
    }

    /// Sets the web-archive part (and time) of the span's last check, when `check` (that check,
    /// rewritten) still continues the span; `false`: it must be folded again.
    pub fn update_last(&mut self, check: &CheckRecord) -> bool {
        let n = self.count();
        let fits = n >= 2
            && check.run_id == self.last_run()
            && outcome(check, n - 1) == self.outcome
            && check.content.is_none()
            && check.change == self.then
            && check.http_status == self.status;
        if fits {
            self.last = Some(Last {
                checked_at: check.checked_at,
                extra: Extra::of(check),
            });
        }
        fits
    }
}

/// A digest of what every check of one span shares: the outcome (state, reason, HTTP status
/// with a 304 counted as the 200 it confirms, body hash, final URL) and what is shown with it (redirects, size, type, fingerprint, soft-404
/// rule, error), and the failure count less the check's place in the span when broken. A 64-bit
/// digest, so a span's open tail need not hold (or read) its first check.
pub(super) fn outcome(check: &CheckRecord, index: u64) -> u64 {
    #[derive(Serialize)]
    struct Shared<'a> {
        state: State,
        reason: Option<Reason>,
        http_status: Option<u16>,
        sha256: Option<Sha256>,
        final_url: Option<&'a str>,
        redirects: &'a [Hop],
        bytes: Option<u64>,
        content_type: Option<&'a str>,
        fingerprint: Option<Sha256>,
        soft_404: Option<Soft404Rule>,
        error: Option<&'a str>,
        failures_before: i64,
    }
    let failures_before = if check.state == State::Broken {
        i64::from(check.failures) - index as i64
    } else {
        i64::from(check.failures)
    };
    let shared = Shared {
        state: check.state,
        reason: check.reason,
        // A 304 says the copy is what it was: the same outcome as the 200 that fetched it.
        http_status: if check.not_modified {
            Some(200)
        } else {
            check.http_status
        },
        sha256: check.sha256,
        final_url: check.final_url.as_deref(),
        redirects: &check.redirects,
        bytes: check.bytes,
        content_type: check.content_type.as_deref(),
        fingerprint: check.fingerprint,
        soft_404: check.soft_404,
        error: check.error.as_deref(),
        failures_before,
    };
    // Serializing plain fields cannot fail; an empty input would still give a stable digest.
    let bytes = serde_json::to_vec(&shared).unwrap_or_default();
    let digest = sha2::Sha256::digest(&bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// When each run started, for the checks in the middle of a span (only the first and the last
/// keep their own time).
pub(super) type Starts = HashMap<u64, DateTime<Utc>>;

pub(super) fn starts(runs: &[RunRecord]) -> Starts {
    runs.iter().map(|r| (r.id, r.started)).collect()
}

/// The checks of a span, in run order, those of `only` alone when given.
pub(super) fn unfold(
    first: &CheckRecord,
    tail: &Tail,
    starts: &Starts,
    only: Option<&[u64]>,
) -> Vec<CheckRecord> {
    let n = tail.count();
    let mut out = Vec::new();
    for (i, run) in tail.run_ids().enumerate() {
        if only.is_some_and(|ids| !ids.contains(&run)) {
            continue;
        }
        if i == 0 {
            out.push(first.clone());
            continue;
        }
        let i = i as u64;
        let mut check = first.clone();
        check.run_id = run;
        check.change = tail.then;
        check.content = None;
        if let Some(status) = tail.status
            && Some(status) != first.http_status
        {
            check.http_status = Some(status);
            check.not_modified = status == 304;
            if check.not_modified {
                check.downloaded = 0;
            }
        }
        if first.state == State::Broken {
            check.failures = first.failures.saturating_add(i as u32);
        }
        let last = tail.last.as_ref().filter(|_| i + 1 == n);
        let extra = last.map_or(&tail.mid, |l| &l.extra);
        check.archive_lookup = extra.archive_lookup.clone();
        check.recovered = extra.recovered.clone();
        check.checked_at = match last {
            Some(l) => l.checked_at,
            None => starts.get(&run).copied().unwrap_or(first.checked_at),
        };
        out.push(check);
    }
    out
}

/// Folds one URL's checks (in run order) into spans.
pub(super) fn fold(checks: Vec<CheckRecord>) -> Vec<(CheckRecord, Tail)> {
    let mut spans: Vec<(CheckRecord, Tail)> = Vec::new();
    for check in checks {
        if let Some((_, tail)) = spans.last_mut()
            && tail.extend(&check)
        {
            continue;
        }
        let tail = Tail::start(&check);
        spans.push((check, tail));
    }
    spans
}

/// What every check rewrites on a URL's record, kept apart from it (in `LATEST_TREE`) so that a
/// check that changes nothing else writes this small record alone: the record's fields that
/// change with every check, and the URL's open span's tail. The record in `resources` is
/// rewritten only when something else on it changes; its copies of these fields are then stale,
/// and every read takes them from here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct Latest {
    /// `last_checked`.
    pub at: DateTime<Utc>,
    pub checks: u64,
    /// `last_good_at`, when it is not `at` (a reachable check with a body sets both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures: u32,
    /// `http_status`: a copy confirmed by a 304 after one fetched with a 200 changes nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Tail>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Latest {
    pub fn of(record: &ResourceRecord, span: Option<Tail>) -> Latest {
        Latest {
            at: record.last_checked,
            checks: record.checks,
            good_at: record.last_good_at.filter(|t| *t != record.last_checked),
            failures: record.failures,
            http_status: record.http_status,
            span,
        }
    }

    /// `record` (as kept in `resources`) with this URL's latest fields.
    pub fn apply_to(&self, record: &mut ResourceRecord) {
        record.last_checked = self.at;
        record.checks = self.checks;
        // A record whose last good copy is as recent as its latest check has `good_at` unset.
        record.last_good_at = self.good_at.or(record.last_good_at.map(|_| self.at));
        record.failures = self.failures;
        record.http_status = self.http_status;
    }
}

/// `record` with the fields `Latest` keeps set to fixed values: two records with the same
/// settled part compare equal, so a check that changes only those does not rewrite it.
pub(super) fn settled(record: &ResourceRecord) -> ResourceRecord {
    ResourceRecord {
        last_checked: record.first_seen,
        checks: 0,
        last_good_at: record.last_good_at.map(|_| record.first_seen),
        failures: 0,
        http_status: None,
        ..record.clone()
    }
}

/// The writes that keep a URL's `spans` (in order): every span's first check (`heads`), the
/// tails of all spans but the last (`tails`), and the last span's tail (`open`), which goes on
/// the URL's `Latest`.
pub(super) struct SpanWrites {
    /// Keys of spans to remove first (heads and tails).
    pub removes: Vec<Vec<u8>>,
    pub heads: Vec<(Vec<u8>, Vec<u8>)>,
    pub tails: Vec<(Vec<u8>, Vec<u8>)>,
    pub open: Option<Tail>,
}

pub(super) fn span_writes(
    url: &str,
    spans: Vec<(CheckRecord, Tail)>,
) -> Result<SpanWrites, StoreError> {
    let count = spans.len();
    let mut out = SpanWrites {
        removes: Vec::new(),
        heads: Vec::with_capacity(count),
        tails: Vec::with_capacity(count),
        open: None,
    };
    for (i, (first, tail)) in spans.into_iter().enumerate() {
        let key = check_key(url, tail.first_run());
        out.heads.push((key.clone(), serde_json::to_vec(&first)?));
        if i + 1 == count {
            out.open = Some(tail);
        } else {
            out.tails.push((key, serde_json::to_vec(&tail)?));
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{ContentChange, Significance};

    pub(in crate::store) fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    /// A check of `http://a/doc` in `run`, at the run's start plus a second.
    pub(in crate::store) fn check(run: u64, state: State, body: u8, change: Change) -> CheckRecord {
        let reachable = state != State::Broken;
        CheckRecord {
            run_id: run,
            url: "http://a/doc".into(),
            checked_at: at(run as i64 * 100 + 1),
            state,
            http_status: Some(if reachable { 200 } else { 500 }),
            final_url: Some("http://a/doc".into()),
            sha256: reachable.then_some(Sha256([body; 32])),
            bytes: reachable.then_some(100),
            change: Some(change),
            elapsed_ms: run * 7,
            ..CheckRecord::default()
        }
    }

    fn starts_of(runs: &[u64]) -> Starts {
        runs.iter().map(|r| (*r, at(*r as i64 * 100))).collect()
    }

    /// `checks` as spans would give them back: the middle checks of a span at their run's start.
    fn unfolded(checks: &[CheckRecord], runs: &[u64]) -> Vec<CheckRecord> {
        let starts = starts_of(runs);
        fold(checks.to_vec())
            .iter()
            .flat_map(|(first, tail)| unfold(first, tail, &starts, None))
            .collect()
    }

    #[test]
    fn unchanged_checks_extend_one_span_and_a_transition_starts_the_next() {
        let mut checks = vec![check(1, State::Ok, 1, Change::New)];
        for run in 2..=5 {
            checks.push(check(run, State::Ok, 1, Change::Unchanged));
        }
        checks.push(CheckRecord {
            content: Some(ContentChange {
                significance: Significance::Content,
                similarity: 0.5,
                diff: Some("-a\n+b".into()),
            }),
            ..check(6, State::Ok, 2, Change::Changed)
        });
        checks.push(check(7, State::Ok, 2, Change::Unchanged));
        let spans = fold(checks.clone());
        assert_eq!(spans.len(), 2, "{spans:#?}");
        assert_eq!(spans[0].1.runs, vec![[1, 5]]);
        assert_eq!(spans[1].1.runs, vec![[6, 7]]);
        assert_eq!(
            spans[1].0.content, checks[5].content,
            "the transition keeps its diff"
        );

        let back = unfolded(&checks, &[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(back.len(), checks.len());
        for (got, was) in back.iter().zip(&checks) {
            assert_eq!(got.run_id, was.run_id);
            assert_eq!(got.change, was.change, "run {}", was.run_id);
            assert_eq!(got.sha256, was.sha256, "run {}", was.run_id);
            assert_eq!(got.content, was.content, "run {}", was.run_id);
        }
        // First and last checks keep their own time; the ones between, their run's start.
        assert_eq!(back[0].checked_at, checks[0].checked_at);
        assert_eq!(back[2].checked_at, at(300));
        assert_eq!(back[4].checked_at, checks[4].checked_at);
        // What a middle check alone held is the first check's.
        assert_eq!(back[2].elapsed_ms, checks[0].elapsed_ms);
    }

    #[test]
    fn a_304_continues_the_span_of_the_200_it_confirms() {
        let fetched = CheckRecord {
            downloaded: 100,
            ..check(1, State::Ok, 1, Change::New)
        };
        let confirmed = |run| CheckRecord {
            http_status: Some(304),
            not_modified: true,
            ..check(run, State::Ok, 1, Change::Unchanged)
        };
        let checks = vec![fetched.clone(), confirmed(2), confirmed(3)];
        let spans = fold(checks.clone());
        assert_eq!(spans.len(), 1, "{spans:#?}");
        let back = unfolded(&checks, &[1, 2, 3]);
        let got: Vec<(Option<u16>, bool, u64)> = back
            .iter()
            .map(|c| (c.http_status, c.not_modified, c.downloaded))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(200), false, 100),
                (Some(304), true, 0),
                (Some(304), true, 0)
            ]
        );
        // A 200 among the 304s is another span, as is a 304 after a status other than 200.
        let mut tail = spans[0].1.clone();
        assert!(!tail.extend(&check(4, State::Ok, 1, Change::Unchanged)));
        let mut other = Tail::start(&CheckRecord {
            http_status: Some(203),
            ..fetched
        });
        assert!(!other.extend(&confirmed(2)));
    }

    #[test]
    fn runs_of_other_seeds_in_between_become_ranges() {
        let runs = [2, 4, 5, 6, 9];
        let checks: Vec<CheckRecord> = runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let change = if i == 0 {
                    Change::New
                } else {
                    Change::Unchanged
                };
                check(*r, State::Ok, 1, change)
            })
            .collect();
        let spans = fold(checks.clone());
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].1.runs, vec![[2, 2], [4, 6], [9, 9]]);
        assert_eq!(spans[0].1.count(), 5);
        assert!(!spans[0].1.covers(3) && spans[0].1.covers(5));
        let back = unfolded(&checks, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let ids: Vec<u64> = back.iter().map(|c| c.run_id).collect();
        assert_eq!(ids, runs);
        let only = unfold(
            &spans[0].0,
            &spans[0].1,
            &starts_of(&runs),
            Some(&[3, 5, 9]),
        );
        let ids: Vec<u64> = only.iter().map(|c| c.run_id).collect();
        assert_eq!(ids, vec![5, 9]);
        assert_eq!(only[1].checked_at, checks[4].checked_at);
    }

    #[test]
    fn a_broken_span_counts_its_failures_up() {
        // --confirm 2: failing, newly broken, then still broken.
        let mut checks = Vec::new();
        for (run, change) in [
            (1, Change::Failing),
            (2, Change::NewlyBroken),
            (3, Change::StillBroken),
            (4, Change::StillBroken),
            (5, Change::StillBroken),
        ] {
            checks.push(CheckRecord {
                failures: run as u32,
                reason: Some(Reason::HttpError),
                ..check(run, State::Broken, 0, change)
            });
        }
        let spans = fold(checks.clone());
        let runs: Vec<&Vec<[u64; 2]>> = spans.iter().map(|(_, t)| &t.runs).collect();
        assert_eq!(runs, vec![&vec![[1, 2]], &vec![[3, 5]]]);
        let back = unfolded(&checks, &[1, 2, 3, 4, 5]);
        let got: Vec<(u32, Option<Change>)> = back.iter().map(|c| (c.failures, c.change)).collect();
        let want: Vec<(u32, Option<Change>)> =
            checks.iter().map(|c| (c.failures, c.change)).collect();
        assert_eq!(got, want);

        // A failure count that does not follow on is another streak.
        let mut odd = checks[4].clone();
        odd.run_id = 6;
        odd.failures = 1;
        let mut tail = spans[1].1.clone();
        assert!(!tail.extend(&odd));
    }

    #[test]
    fn anything_else_that_differs_starts_a_span() {
        let base = check(1, State::Ok, 1, Change::New);
        let mut tail = Tail::start(&base);
        let variants = [
            CheckRecord {
                http_status: Some(203),
                ..check(2, State::Ok, 1, Change::Unchanged)
            },
            CheckRecord {
                final_url: Some("http://a/elsewhere".into()),
                ..check(2, State::Ok, 1, Change::Unchanged)
            },
            CheckRecord {
                content_type: Some("text/plain".into()),
                ..check(2, State::Ok, 1, Change::Unchanged)
            },
            CheckRecord {
                soft_404: Some(Soft404Rule::SaysNotFound),
                ..check(2, State::Ok, 1, Change::Unchanged)
            },
            check(2, State::Redirected, 1, Change::Unchanged),
            check(2, State::Ok, 9, Change::Unchanged),
            // Not later than the span's last run.
            check(1, State::Ok, 1, Change::Unchanged),
        ];
        for v in &variants {
            assert!(!tail.extend(v), "{v:#?}");
        }
        assert_eq!(
            tail,
            Tail::start(&base),
            "a refused check leaves the span as it was"
        );
        assert!(tail.extend(&check(2, State::Ok, 1, Change::Unchanged)));
        // The later checks all carry one change: another one starts a span.
        assert!(!tail.extend(&check(3, State::Ok, 1, Change::Moved)));
    }

    #[test]
    fn web_archive_answers_of_the_middle_checks_are_one() {
        let lookup = |days: i64| {
            Some(Box::new(ArchiveLookup {
                target: at(days * 86_400),
                snapshot: None,
                cached: days > 0,
                notes: Vec::new(),
                candidates: Vec::new(),
            }))
        };
        let broken = |run: u64, change: Change, l: Option<Box<ArchiveLookup>>| CheckRecord {
            failures: run as u32,
            archive_lookup: l,
            ..check(run, State::Broken, 0, change)
        };
        let checks = vec![
            broken(1, Change::NewlyBroken, lookup(0)),
            broken(2, Change::StillBroken, lookup(1)),
            broken(3, Change::StillBroken, lookup(1)),
            broken(4, Change::StillBroken, lookup(2)),
            broken(5, Change::StillBroken, lookup(3)),
        ];
        let spans = fold(checks.clone());
        // 2 and 3 share an answer; 4 differs from them, so 5 cannot make 4 a middle check.
        let runs: Vec<&Vec<[u64; 2]>> = spans.iter().map(|(_, t)| &t.runs).collect();
        assert_eq!(runs, vec![&vec![[1, 4]], &vec![[5, 5]]]);
        let back = unfolded(&checks, &[1, 2, 3, 4, 5]);
        let got: Vec<_> = back.iter().map(|c| c.archive_lookup.clone()).collect();
        let want: Vec<_> = checks.iter().map(|c| c.archive_lookup.clone()).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_span_round_trips_through_json() -> Result<(), serde_json::Error> {
        let spans = fold(vec![
            check(1, State::Ok, 1, Change::New),
            check(2, State::Ok, 1, Change::Unchanged),
            check(3, State::Ok, 1, Change::Unchanged),
        ]);
        let (first, tail) = &spans[0];
        let back: Tail = serde_json::from_slice(&serde_json::to_vec(tail)?)?;
        assert_eq!(&back, tail);
        // What every check rewrites stays small, and gives the record back whole.
        let mut record = ResourceRecord::apply(None, first);
        for c in [
            check(2, State::Ok, 1, Change::Unchanged),
            check(3, State::Ok, 1, Change::Unchanged),
        ] {
            record = ResourceRecord::apply(Some(record), &c);
        }
        let bytes = serde_json::to_vec(&Latest::of(&record, Some(tail.clone())))?;
        assert!(
            bytes.len() < 200,
            "{} bytes: {}",
            bytes.len(),
            String::from_utf8_lossy(&bytes)
        );
        let mut kept = settled(&record);
        serde_json::from_slice::<Latest>(&bytes)?.apply_to(&mut kept);
        assert_eq!(kept, record);
        Ok(())
    }
}
