//! Asking web archives about a URL (through the fetcher, so politeness applies to them like any
//! host), caching their answers in the store, and recovering a snapshot in its original form.
//!
//! Address policy (see `fetch::address`): the archives' endpoints are the operator's, so they are
//! asked with `Reach::PrivateToo`; the mementos an archive names get the reach of the archive's
//! own address (private addresses too only when the archive is on a non-public one), so a public
//! archive can never point linkward into a private network.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::memento::{self, Negotiated};
use super::{WAYBACK, layout, wayback};
use crate::config::Config;
use crate::fetch::{Fetcher, ListedBy, Outcome, QueryError, Reach};
use crate::judge::inspect::Inspector;
use crate::model::{ArchiveLookup, NOT_ASKED_AGAIN, Recovered, Snapshot};
use crate::store::{CachedLookup, Store};

/// How long a usable snapshot found is trusted: the capture closest to a past date rarely
/// changes, and rescuing it needs no second lookup.
const FOUND_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Largest availability answer read; the real ones are a few hundred bytes.
const MAX_ANSWER: usize = 1024 * 1024;

/// One archive to ask.
#[derive(Clone, Debug)]
enum Source {
    Wayback(Url),
    TimeGate(Url),
}

impl Source {
    /// The name answers are reported under.
    fn name(&self) -> String {
        match self {
            Source::Wayback(_) => WAYBACK.into(),
            Source::TimeGate(gate) => gate.to_string(),
        }
    }

    /// The cache key: the endpoint itself, so a changed endpoint is asked afresh.
    fn key(&self) -> String {
        match self {
            Source::Wayback(u) => format!("wayback {u}"),
            Source::TimeGate(u) => format!("timegate {u}"),
        }
    }
}

/// The web archives a run asks, and the store their answers are cached in.
pub struct Archives {
    sources: Vec<Source>,
    store: Store,
    no_snapshot_ttl: Duration,
    /// Archives that did not answer at all in this run (by cache key), with why: not asked
    /// again, so an unreachable archive costs one timeout per run, not one per broken link.
    down: Mutex<HashMap<String, String>>,
    /// The reach of the mementos each archive names (by cache key), worked out once per run.
    memento_reach: Mutex<HashMap<String, Reach>>,
}

impl Archives {
    /// `None` when the configuration names no archive.
    pub fn new(config: &Config, store: Store) -> Option<Archives> {
        let mut sources: Vec<Source> = config
            .wayback
            .iter()
            .cloned()
            .map(Source::Wayback)
            .collect();
        sources.extend(config.timegates.iter().cloned().map(Source::TimeGate));
        (!sources.is_empty()).then_some(Archives {
            sources,
            store,
            no_snapshot_ttl: config.lookup_cache,
            down: Mutex::new(HashMap::new()),
            memento_reach: Mutex::new(HashMap::new()),
        })
    }

    /// The reach of the URLs `source` names: that of its endpoint's address.
    async fn source_reach(&self, fetcher: &Fetcher, source: &Source) -> Reach {
        let key = source.key();
        if let Some(reach) = self.known_reach(&key) {
            return reach;
        }
        let endpoint = match source {
            Source::Wayback(u) | Source::TimeGate(u) => u,
        };
        let reach = fetcher.server_reach(endpoint).await;
        let mut known = self.memento_reach.lock().unwrap_or_else(|p| p.into_inner());
        *known.entry(key).or_insert(reach)
    }

    fn known_reach(&self, key: &str) -> Option<Reach> {
        let known = self.memento_reach.lock().unwrap_or_else(|p| p.into_inner());
        known.get(key).copied()
    }

    /// The reach a snapshot (and what its copy lists) is fetched with: that of the archive that
    /// named it; public addresses only when that archive is no longer configured.
    pub async fn snapshot_reach(&self, fetcher: &Fetcher, snapshot: &Snapshot) -> Reach {
        match self.sources.iter().find(|s| s.name() == snapshot.archive) {
            Some(source) => self.source_reach(fetcher, source).await,
            None => ListedBy::Page(None).reach(),
        }
    }

    /// Asks every archive (or its cached answer) for the snapshot of `url` closest to `target`
    /// (`None`: the latest); never fails: an archive that cannot answer is a note.
    pub async fn lookup(
        &self,
        fetcher: &Fetcher,
        url: &str,
        target: Option<DateTime<Utc>>,
    ) -> ArchiveLookup {
        let asked_for = target.unwrap_or_else(Utc::now);
        let mut usable = Vec::new();
        let mut notes = Vec::new();
        let mut cached = true;
        for source in &self.sources {
            let name = source.name();
            let answer = match self.cached(source, url, target) {
                Some(snapshot) => Ok(snapshot),
                None => {
                    cached = false;
                    if let Some(why) = self.is_down(source) {
                        notes.push(format!("{name}: {NOT_ASKED_AGAIN} ({why})"));
                        continue;
                    }
                    let wanted = || self.is_down(source).is_none();
                    let asked = match source {
                        Source::Wayback(endpoint) => {
                            ask_wayback(fetcher, endpoint, url, asked_for, &wanted).await
                        }
                        Source::TimeGate(gate) => {
                            let named = self.source_reach(fetcher, source).await;
                            ask_timegate(fetcher, gate, named, url, asked_for, &wanted).await
                        }
                    };
                    match &asked {
                        Ok(snapshot) => {
                            let answer = CachedLookup {
                                asked_at: Utc::now(),
                                target,
                                snapshot: snapshot.clone(),
                            };
                            // A cache write that fails costs one more question next run.
                            if let Err(e) = self.store.put_lookup(&source.key(), url, &answer) {
                                tracing::warn!("could not cache {name}'s answer about {url}: {e}");
                            }
                        }
                        Err(QueryError::Unanswered(why)) => self.mark_down(source, why),
                        Err(QueryError::Failed(_) | QueryError::NotAsked) => {}
                    }
                    asked
                }
            };
            match answer {
                Ok(Some(s)) if s.is_usable() => usable.push(s),
                Ok(Some(s)) => notes.push(format!(
                    "{name}: the closest capture ({}) is itself an HTTP {}",
                    s.datetime.format("%Y-%m-%d"),
                    s.status.unwrap_or(0)
                )),
                Ok(None) => notes.push(format!("{name}: no snapshot")),
                Err(QueryError::NotAsked) => notes.push(format!(
                    "{name}: {NOT_ASKED_AGAIN} ({})",
                    self.is_down(source).unwrap_or_default()
                )),
                Err(e) => notes.push(format!("{name}: {e}")),
            }
        }
        usable.sort_by_key(|s| (s.datetime - asked_for).num_seconds().unsigned_abs());
        // A snapshot whose memento could not be had lately is no copy to point people at.
        usable.retain(|s| match self.failed_rescue(s) {
            Some(at) => {
                notes.push(format!(
                    "{}: {} could not be recovered on {}; not tried again yet",
                    s.archive,
                    s.url,
                    at.format("%Y-%m-%d")
                ));
                false
            }
            None => true,
        });
        ArchiveLookup {
            target: asked_for,
            snapshot: usable.first().cloned(),
            cached,
            notes,
            candidates: usable,
        }
    }

    /// When recovering `snapshot` last failed, if that is recent enough (`--lookup-cache`) not to
    /// try again.
    fn failed_rescue(&self, snapshot: &Snapshot) -> Option<DateTime<Utc>> {
        let failed = self
            .store
            .lookup(&failed_key(snapshot), &snapshot.url)
            .ok()??;
        (Utc::now() - failed.asked_at)
            .to_std()
            .is_ok_and(|age| age < self.no_snapshot_ttl)
            .then_some(failed.asked_at)
    }

    fn is_down(&self, source: &Source) -> Option<String> {
        let down = self.down.lock().unwrap_or_else(|p| p.into_inner());
        down.get(&source.key()).cloned()
    }

    fn mark_down(&self, source: &Source, why: &str) {
        let mut down = self.down.lock().unwrap_or_else(|p| p.into_inner());
        down.entry(source.key()).or_insert_with(|| why.to_owned());
    }

    /// A cached answer to the same question (the same target date, or both "the latest"),
    /// while it is fresh.
    fn cached(
        &self,
        source: &Source,
        url: &str,
        target: Option<DateTime<Utc>>,
    ) -> Option<Option<Snapshot>> {
        let hit = self.store.lookup(&source.key(), url).ok()??;
        let ttl = match &hit.snapshot {
            Some(s) if s.is_usable() => FOUND_TTL,
            _ => self.no_snapshot_ttl,
        };
        let fresh = (Utc::now() - hit.asked_at)
            .to_std()
            .is_ok_and(|age| age < ttl);
        (fresh && hit.target == target).then_some(hit.snapshot)
    }

    /// Recovers the closest usable snapshot of `lookup` that can be had, trying the next
    /// closest when one fails; the lookup's `snapshot` becomes the one recovered and its notes
    /// say why others were not. A snapshot that failed is not downloaded again before
    /// `--lookup-cache` has passed.
    pub async fn recover_any(
        &self,
        fetcher: &Fetcher,
        inspector: &Inspector,
        lookup: &mut ArchiveLookup,
    ) -> Option<Recovered> {
        for snapshot in lookup.candidates.clone() {
            let key = failed_key(&snapshot);
            match self.recover(fetcher, inspector, &snapshot).await {
                Ok(r) => {
                    lookup.snapshot = Some(snapshot);
                    return Some(r);
                }
                Err(e) => {
                    lookup.notes.push(format!("{}: {e}", snapshot.archive));
                    let failed = CachedLookup {
                        asked_at: Utc::now(),
                        target: None,
                        snapshot: Some(snapshot.clone()),
                    };
                    if let Err(e) = self.store.put_lookup(&key, &snapshot.url, &failed) {
                        tracing::warn!("could not remember a failed rescue: {e}");
                    }
                }
            }
        }
        None
    }

    /// Downloads `snapshot` in its original form into the archive. Only a complete 2xx body
    /// that is not a "not found" page counts: anything else is an error saying what came back.
    async fn recover(
        &self,
        fetcher: &Fetcher,
        inspector: &Inspector,
        snapshot: &Snapshot,
    ) -> Result<Recovered, String> {
        let memento = Url::parse(&snapshot.url).map_err(|e| format!("memento URL: {e}"))?;
        let original = layout::original_form(&memento);
        let reach = self.snapshot_reach(fetcher, snapshot).await;
        let fetched = fetcher.fetch_memento(&original, reach).await;
        let found = inspector.inspect_memento(fetcher, &fetched).await;
        match &fetched.outcome {
            Outcome::Body { .. } if found.soft_404.is_some() => Err(format!(
                "the snapshot is a \"not found\" page ({})",
                found.soft_404.map(|r| r.to_string()).unwrap_or_default()
            )),
            Outcome::Body {
                content_type, blob, ..
            } => Ok(Recovered {
                sha256: blob.sha256,
                bytes: blob.bytes,
                content_type: content_type.clone(),
                archive: snapshot.archive.clone(),
                memento_url: snapshot.url.clone(),
                fetched_url: original.to_string(),
                memento_datetime: snapshot.datetime,
                recovered_at: Utc::now(),
            }),
            Outcome::Status { status, .. } => Err(format!("the snapshot answered HTTP {status}")),
            Outcome::NotModified { .. } => Err("the snapshot answered 304".into()),
            Outcome::Failed { detail, .. } => {
                Err(format!("the snapshot could not be fetched: {detail}"))
            }
            Outcome::Disallowed => Err("the snapshot was not requested".into()),
            Outcome::Refused { detail } => Err(format!("the snapshot was not fetched: {detail}")),
        }
    }
}

/// The store key under which a failed rescue of a snapshot is remembered.
fn failed_key(snapshot: &Snapshot) -> String {
    format!("rescue-failed {}", snapshot.archive)
}

async fn ask_wayback(
    fetcher: &Fetcher,
    endpoint: &Url,
    url: &str,
    target: DateTime<Utc>,
    wanted: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Snapshot>, QueryError> {
    let question = wayback::availability_url(endpoint, url, target);
    // The endpoint is the operator's.
    let answer = fetcher
        .query(&question, Reach::PrivateToo, &[], MAX_ANSWER, wanted)
        .await?;
    if answer.status != 200 {
        return Err(QueryError::Failed(format!(
            "the availability API answered HTTP {}",
            answer.status
        )));
    }
    wayback::parse_availability(&answer.body).map_err(QueryError::Failed)
}

/// RFC 7089 datetime negotiation (see `memento::negotiate` for the patterns understood). The
/// gate is the operator's; a memento it names is asked about with `named`, the gate's mementos'
/// reach, when the answer does not say the memento's datetime.
async fn ask_timegate(
    fetcher: &Fetcher,
    gate: &Url,
    named: Reach,
    url: &str,
    target: DateTime<Utc>,
    wanted: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Snapshot>, QueryError> {
    let failed = QueryError::Failed;
    let question =
        memento::timegate_url(gate, url).map_err(|e| failed(format!("TimeGate URL: {e}")))?;
    let date = memento::http_date(target);
    let answer = fetcher
        .query(
            &question,
            Reach::PrivateToo,
            &[("accept-datetime", &date)],
            0,
            wanted,
        )
        .await?;
    let gate_answer = memento::GateAnswer {
        status: answer.status,
        location: answer.headers.get("location"),
        content_location: answer.headers.get("content-location"),
        memento_datetime: answer.headers.get("memento-datetime"),
        links: answer.headers.get_all("link").collect(),
    };
    let (url, datetime, status) = match memento::negotiate(&question, &gate_answer, target) {
        Ok(Negotiated::None) => return Ok(None),
        Ok(Negotiated::Memento {
            url,
            datetime,
            status,
        }) => (url, datetime, status),
        Err(e) => return Err(failed(e)),
    };
    let (datetime, status) = match datetime {
        Some(d) => (d, status),
        None => {
            // The memento says its own datetime; its body is not needed for that.
            let head = fetcher.query(&url, named, &[], 0, wanted).await?;
            let d = head
                .headers
                .get("memento-datetime")
                .and_then(memento::parse_http_date)
                .ok_or_else(|| failed(format!("the memento {url} has no Memento-Datetime")))?;
            (
                d,
                (!(300..400).contains(&head.status)).then_some(head.status),
            )
        }
    };
    Ok(Some(Snapshot {
        archive: gate.to_string(),
        url: url.to_string(),
        datetime,
        status,
    }))
}
