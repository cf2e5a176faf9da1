//! One `check` run, as a short orchestration: seeds resolved, each seed page planned (`plan`),
//! every listed URL fetched once (bounded globally here by `buffer_unordered`, per host in
//! `fetch`), judged (`judge`) and recorded (`record`), a page seed that lists nothing we can
//! read given its snapshot's links (once the run is known not to be an outage) and those
//! fetched too, broken ones looked up in web archives (`archives`), and the report assembled
//! (`assemble`). Data flows one way:
//! seed → plan → fetch → judge → record → report.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use futures_util::StreamExt;
use futures_util::future::{Either, FutureExt};
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;
use url::Url;

use crate::archive::Archive;
use crate::bodies::Bodies;
use crate::config::Config;
use crate::error::Error;
use crate::fetch::robots::RobotsCache;
use crate::fetch::{Fetcher, Reach};
use crate::judge::inspect::Inspector;
use crate::judge::{Judge, check_record};
use crate::lock::ArchiveLock;
use crate::model::Recovered;
use crate::model::Sha256;
use crate::report::{JSON_VERSION, ResourceReport, RunInfo, RunReport};
use crate::rescue::Archives;
use crate::seed::{self, ListedTarget, Seed, SeedSource};
use crate::store::{CheckRecord, RunRecord, RunStatus, Store};
use crate::view::{SeedPages, ViewSink};
use crate::warc::{RunInfo as WarcRunInfo, WarcOptions, WarcSink};

mod archives;
mod assemble;
mod outage;
mod plan;
mod record;
mod seed_init;
mod seed_recover;

use plan::SeedPlan;
pub use seed_init::init_seed;
pub use seed_recover::recover_seed;

/// Checks recorded per group commit at most, and the longest a fetched check waits for one:
/// a crash loses at most this much work, and a run of 2,000 bodies makes a handful of fsyncs
/// instead of one per body.
const COMMIT_CHECKS: usize = 512;
const COMMIT_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// A URL's check in this run and what the report needs of its record after it. One is held
/// for every URL until the run ends, so it keeps the good copy's hash, not the whole record.
#[derive(Debug)]
struct Checked {
    check: CheckRecord,
    last_good_sha256: Option<Sha256>,
    /// Where the `files/` view keeps the last good copy.
    archived: Option<String>,
    /// The copy recovered from a web archive that the record names (rare: boxed).
    recovered: Option<Box<Recovered>>,
    /// Recording the check changed which copies the `files/` view should hold.
    copy_changed: bool,
}

/// Runs `check` with `config` and returns the report. Broken links are in the report; an
/// `Err` means the run could not start or could not record its results. When `shutdown` fires,
/// fetches in flight are abandoned (their temp files deleted), what completed is kept, and the
/// run is recorded as interrupted.
pub async fn run(config: &Config, shutdown: CancellationToken) -> Result<RunReport, Error> {
    let seeds = seed::resolve(&config.seeds, &config.seeds_dir)?;
    if seeds.is_empty() {
        return Err(Error::NoSeeds(config.seeds_dir.clone()));
    }
    let archive = Archive::open(&config.archive_dir)?;
    let _lock = ArchiveLock::acquire(&config.archive_dir)?;
    let store = Store::open(&config.archive_dir)?;
    // We hold the archive's lock, so no other run is writing temp files.
    let stale = archive.remove_stale_temp_files();
    if stale > 0 {
        tracing::info!("removed {stale} temp files left by an interrupted run");
    }
    let mut ignore = config.ignore.clone();
    for seed in &seeds {
        if let SeedSource::Manifest(m) = &seed.source {
            ignore.extend(m.ignore.iter().cloned());
        }
    }
    crate::upgrade::ensure_current(&archive, &store).await?;
    // Bad ignore rules are refused before the run begins.
    let inspector = Inspector::new(
        archive.clone(),
        Bodies::new(archive.root(), store.clone()),
        &ignore,
    )
    .map_err(Error::Ignore)?;
    let robots_cache: Arc<dyn RobotsCache> = Arc::new(store.clone());
    let fetcher = Fetcher::new(config, archive.clone(), robots_cache).map_err(Error::Client)?;
    let mut run = RunRecord {
        started: Utc::now(),
        seeds: seeds.iter().map(|s| s.id.clone()).collect(),
        ..RunRecord::default()
    };
    // Whether the view was whole when the run began; a run killed from here on (its bodies
    // placed in the view before they are judged) leaves the next run to refresh it, so that is
    // made durable before anything is placed.
    let view_was_whole = store.begin_run(&mut run)?;
    store.flush().await?;
    // Every HTTP exchange of the run also goes into the run's WARC file.
    let warc = Arc::new(WarcSink::open(
        &config.archive_dir,
        &WarcRunInfo {
            started: run.started,
            run_id: run.id,
            seeds: run.seeds.clone(),
        },
        Arc::new(store.clone()),
        WarcOptions {
            not_modified_revisits: config.warc_revisits,
        },
    )?);
    // Each good body the view holds also goes into it as it is captured, off the runner's thread.
    // The pages of the seeds tracked before this run: the view holds their copies already.
    let tracked_pages = SeedPages::of_store(&store)?;
    let mut seed_pages = tracked_pages.clone();
    for page in seeds.iter().filter_map(|s| s.page_url()) {
        seed_pages.insert(page.to_string());
    }
    let view = Arc::new(ViewSink::new(
        archive.root(),
        warc.clone(),
        seed_pages.clone(),
    ));
    let fetcher = fetcher.with_capture(view.clone());
    let bodies = Bodies::new(archive.root(), store.clone()).with_pack(warc.clone());
    let inspector = inspector.with_bodies(bodies.clone());

    let mut runner = Runner {
        fetcher: Arc::new(fetcher),
        store: store.clone(),
        archive,
        bodies,
        warc: warc.clone(),
        unrecorded: Vec::new(),
        run_id: run.id,
        results: HashMap::new(),
        plans: Vec::with_capacity(seeds.len()),
        judge: Judge {
            confirm: config.confirm,
            versions: config.versions,
        },
        inspector: Arc::new(inspector),
        progress: progress_bar(config.progress),
        archives: Archives::new(config, store.clone()),
        rescue: config.rescue,
        max_links: config.max_links,
        recovered: 0,
        seed_pages,
        links_reach: HashMap::new(),
        held: outage::Held::default(),
        landmarks: outage::landmarks(config),
        outage: None,
    };
    // At the deadline the run stops as on SIGTERM: what completed is recorded.
    let deadline = async {
        match config.deadline {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending().await,
        }
    };
    let interrupted = tokio::select! {
        done = runner.work(seeds, config.concurrency) => { done?; false }
        () = shutdown.cancelled() => true,
        () = deadline => {
            tracing::warn!(
                "the run's deadline ({}) passed: stopped, and what completed is recorded",
                humantime::format_duration(config.deadline.unwrap_or_default())
            );
            true
        }
    };
    runner.progress.finish_and_clear();
    // What an interrupted run fetched is recorded too, once its bodies are durable.
    runner.commit()?;
    if interrupted {
        // No reference is asked on the way out: the errors alone decide (`judge::outage`).
        runner.outage = runner.settle(&crate::judge::outage::Reference::NotAsked)?;
    }
    let inconclusive = !interrupted && runner.outage.is_some();

    let resources: Vec<ResourceReport> = runner
        .plans
        .iter()
        .flat_map(|p| runner.report_seed(p, interrupted))
        .collect();
    let summary = runner.summary(&resources);
    // Nothing live was seen in an outage: a seed's list there is not compared or kept.
    let seeds = runner.seed_reports(&store, run.id, interrupted || runner.outage.is_some())?;
    // A run that kept no body, recovered nothing, changed no URL's copies (all 304s) and tracks
    // no new seed page leaves a whole view whole: its refresh, a look at every file, is skipped.
    let view_changed = !view_was_whole
        || view.placed() > 0
        || runner.recovered > 0
        || runner.results.values().any(|c| c.copy_changed)
        // A page that is a seed's now and was not (a newly tracked seed, one forgotten and
        // checked again, a linked page checked as a seed) has its copy in the view from now on,
        // even when the copy itself did not change.
        || runner.seed_pages.beyond(&tracked_pages);
    // Everything per URL is in the report by now: not held while the index is built.
    runner.results = HashMap::new();
    runner.plans = Vec::new();

    run.finished = Some(Utc::now());
    run.summary = summary;
    run.status = if interrupted {
        RunStatus::Interrupted
    } else if inconclusive {
        RunStatus::Inconclusive
    } else {
        RunStatus::Complete
    };
    run.outage = runner.outage.take();
    // The view before the run is marked finished: a run killed before the view is whole again
    // leaves the next run to refresh it. A stopped run's last placements may still be under
    // way (on the blocking pool): its view is not vouched for.
    let whole = !view_changed || refresh_view(&runner.archive, &store, &runner.seed_pages);
    if whole && !interrupted {
        store.set_view_whole()?;
    }
    store.put_run(&run)?;
    store.flush().await?;
    crate::index::refresh_with(
        &runner.archive,
        &store,
        if whole {
            crate::index::View::Whole
        } else {
            crate::index::View::Unchanged
        },
    );
    warc.finish()?;
    Ok(RunReport {
        version: JSON_VERSION,
        run: RunInfo {
            id: run.id,
            started: run.started,
            finished: run.finished.unwrap_or(run.started),
            status: run.status,
            outage: run.outage,
        },
        summary,
        seeds,
        resources,
    })
}

/// Completes and prunes the `files/` view (see `view::refresh`); whether it is whole now. A
/// failure is logged: the view is derived, and the next run or `linkward index` tries again.
fn refresh_view(archive: &Archive, store: &Store, seed_pages: &SeedPages) -> bool {
    let bodies = Bodies::new(archive.root(), store.clone());
    match crate::view::refresh(archive.root(), store, &bodies, seed_pages) {
        Ok(done) => done.failed == 0,
        Err(e) => {
            tracing::warn!(
                "the files/ view could not be refreshed: {e}; `linkward index` tries again"
            );
            false
        }
    }
}

fn progress_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {pos}/{len} checked {wide_msg}") {
        bar.set_style(style);
    }
    bar
}

struct Runner {
    /// Shared with the fetch tasks (see `work`).
    fetcher: Arc<Fetcher>,
    store: Store,
    archive: Archive,
    /// The archive's stored bodies, for reading kept copies back.
    bodies: Bodies,
    /// The run's pack: checks naming bodies in it are recorded only once it is durable.
    warc: Arc<WarcSink>,
    /// Checks waiting for the next group commit (see `commit`).
    unrecorded: Vec<CheckRecord>,
    run_id: u64,
    /// Every URL checked in this run: a URL listed many times is fetched once. Boxed, so the
    /// table's empty slots (a third of it) are pointers rather than whole records.
    results: HashMap<String, Box<Checked>>,
    /// Seeds whose pages were looked at, in order.
    plans: Vec<SeedPlan>,
    judge: Judge,
    inspector: Arc<Inspector>,
    progress: ProgressBar,
    /// The web archives asked about broken resources; `None` when none is configured.
    archives: Option<Archives>,
    /// Recover the closest snapshot of a broken resource we hold no good copy of.
    rescue: bool,
    /// Snapshots recovered in this run.
    recovered: u64,
    /// Whose copies the `files/` view holds whatever their type.
    seed_pages: SeedPages,
    /// Links checked per seed at most (`--max-links`).
    max_links: usize,
    /// The reach of the links of each seed page fetched in this run (see `fetch::address`).
    links_reach: HashMap<String, Reach>,
    /// Checks that got no HTTP answer, held while no fetch of the run has had one (`outage`).
    held: outage::Held,
    /// What is asked when no host answered: the canaries, then the web-archive endpoints.
    landmarks: Vec<outage::Landmark>,
    /// What showed the network here was down, when it was: the run is inconclusive.
    outage: Option<String>,
}

impl Runner {
    /// Plans every seed, then fetches everything they list. Safe to abandon at any await: each
    /// result is recorded whole or not at all.
    async fn work(&mut self, seeds: Vec<Seed>, concurrency: usize) -> Result<(), Error> {
        for seed in seeds {
            let mut plan = self.plan(seed).await?;
            if plan.entries.len() > self.max_links {
                tracing::warn!(
                    "{} lists {} links: checking the first {} (--max-links)",
                    plan.seed.id,
                    plan.entries.len(),
                    self.max_links
                );
                plan.entries.truncate(self.max_links);
            }
            self.plans.push(plan);
        }
        let urls: Vec<(Url, Reach)> = self
            .plans
            .iter()
            .flat_map(|p| {
                p.entries.iter().filter_map(|e| match &e.target {
                    ListedTarget::Fetch(u) => Some((u.clone(), p.reach.of(u))),
                    _ => None,
                })
            })
            .collect();
        self.fetch_all(urls, concurrency).await?;
        // In an outage web archives cannot be reached either, and nothing broke.
        if self.settle_fetches().await? {
            return Ok(());
        }
        let recovered = self.recover_listings().await?;
        if !recovered.is_empty() {
            self.fetch_all(recovered, concurrency).await?;
            if self.settle_fetches().await? {
                return Ok(());
            }
        }
        self.consult_archives(concurrency).await
    }

    /// Settles the checks held back as unanswered (see `outage`), asking the references when
    /// the run looks down. Returns whether the network here was down.
    async fn settle_fetches(&mut self) -> Result<bool, Error> {
        let reference = if self.looks_down() {
            self.ask_references().await
        } else {
            crate::judge::outage::Reference::NotAsked
        };
        self.outage = self.settle(&reference)?;
        Ok(self.outage.is_some())
    }

    /// Fetches every URL not checked yet in this run, at most `concurrency` at once, each with
    /// the widest reach any seed listing it gave.
    async fn fetch_all(
        &mut self,
        urls: Vec<(Url, Reach)>,
        concurrency: usize,
    ) -> Result<(), Error> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut todo = Vec::new();
        for (url, reach) in urls {
            if self.results.contains_key(url.as_str()) {
                continue;
            }
            if let Some(&at) = seen.get(url.as_str()) {
                let (_, _, _, known) = &mut todo[at];
                *known = reach.max(*known);
                continue;
            }
            seen.insert(url.to_string(), todo.len());
            let (validators, prev) = self.validators(&url)?;
            todo.push((url, validators, prev, reach));
        }
        self.progress.inc_length(todo.len() as u64);
        // Grown once, not by doubling: a rehash holds the old and the new table at once.
        self.results.reserve(todo.len());
        // Fetching and inspecting (hashing the body as it streams, fingerprint, soft-404 probe,
        // comparison with the last good copy) happen inside the bounded futures, so the loop
        // below only records. A URL with no validators is likely a download: it runs as a task
        // of its own, on any worker thread (polled inside this future, every download ran on
        // one). One with validators usually answers 304, too little work to hand to another
        // thread, and stays here. At most `concurrency` run at once; a task is aborted if this
        // future is dropped (a signal or the deadline), as the futures are.
        let mut stream = futures_util::stream::iter(todo)
            .map(|(url, validators, prev, reach)| {
                let (fetcher, inspector) = (Arc::clone(&self.fetcher), Arc::clone(&self.inspector));
                let download = validators.is_empty();
                let job = async move {
                    let fetched = fetcher.fetch(&url, &validators, reach).await;
                    let found = inspector.inspect(&fetcher, &fetched, prev.as_ref()).await;
                    (fetched, prev, found)
                };
                if download {
                    Either::Left(AbortOnDropHandle::new(tokio::spawn(job)))
                } else {
                    Either::Right(job.map(Ok))
                }
            })
            .buffer_unordered(concurrency.max(1));
        // Recorded in batches as results arrive (see `commit`), so a long run keeps what it
        // learnt even if it dies.
        let mut last_commit = std::time::Instant::now();
        while let Some(done) = stream.next().await {
            let (fetched, prev, found) = match done {
                Ok(done) => done,
                // A bug in a fetch task stops the run as it would have inside this future.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => return Err(Error::Task(e.to_string())),
            };
            self.progress.inc(1);
            self.progress.set_message(fetched.requested.to_string());
            let accepted = self.fetcher.accepted_statuses(&fetched.requested);
            let check = check_record(self.run_id, &fetched, prev.as_ref(), accepted, found);
            self.unrecorded.extend(Self::admit(
                &mut self.held,
                &mut self.results,
                &self.seed_pages,
                &fetched,
                prev.as_ref(),
                check,
            ));
            if self.unrecorded.len() >= COMMIT_CHECKS || last_commit.elapsed() >= COMMIT_EVERY {
                Self::commit_batch(
                    &self.warc,
                    &self.store,
                    &mut self.results,
                    self.judge,
                    &self.seed_pages,
                    &mut self.unrecorded,
                )?;
                last_commit = std::time::Instant::now();
            }
        }
        drop(stream);
        self.commit()
    }

    /// Group commit: makes the pack durable (one fsync for every body since the last commit),
    /// indexes its new bodies, then records the checks waiting for it. A crash before this loses
    /// those checks (the next run repeats them), never leaves a record naming bytes a crash
    /// could lose.
    fn commit(&mut self) -> Result<(), Error> {
        Self::commit_batch(
            &self.warc,
            &self.store,
            &mut self.results,
            self.judge,
            &self.seed_pages,
            &mut self.unrecorded,
        )
    }

    /// `commit`, for a caller that holds parts of the runner borrowed.
    fn commit_batch(
        warc: &WarcSink,
        store: &Store,
        results: &mut HashMap<String, Box<Checked>>,
        judge: Judge,
        seed_pages: &SeedPages,
        unrecorded: &mut Vec<CheckRecord>,
    ) -> Result<(), Error> {
        warc.commit()?;
        Self::store_checks(
            store,
            results,
            judge,
            seed_pages,
            std::mem::take(unrecorded),
        )
    }
}

/// A check names its body only once the pack holds it durably. One whose body could not be added
/// to the pack (a full disk, a failed write: logged by the WARC writer) keeps its outcome but no
/// copy, so the URL's last good copy stays the one that is really there.
pub(super) fn keep_only_stored(store: &Store, check: &mut CheckRecord) -> Result<(), Error> {
    if let Some(sha) = check.sha256
        && store.body(&sha)?.is_none()
    {
        tracing::warn!(
            "{}: its body could not be archived; no copy is kept",
            check.url
        );
        check.sha256 = None;
        check
            .error
            .get_or_insert_with(|| "the body could not be archived (see the log)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{State, StoredBody};

    #[test]
    fn a_check_whose_body_is_not_in_a_pack_keeps_its_outcome_but_names_no_copy()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let (stored, lost) = (Sha256([1; 32]), Sha256([2; 32]));
        store.put_bodies(&[(
            stored,
            StoredBody {
                file: "pack.warc.gz".into(),
                offset: 0,
                length: 10,
                bytes: 4,
                encoding: None,
                payload_sha256: None,
                record_id: "<urn:uuid:0>".into(),
                uri: "http://a/".into(),
                date: Utc::now(),
            },
        )])?;
        let check = |sha| CheckRecord {
            url: "http://a/".into(),
            state: State::Ok,
            sha256: Some(sha),
            ..CheckRecord::default()
        };
        let mut kept = check(stored);
        keep_only_stored(&store, &mut kept)?;
        assert_eq!(kept.sha256, Some(stored));
        assert_eq!(kept.error, None);
        let mut unkept = check(lost);
        keep_only_stored(&store, &mut unkept)?;
        assert_eq!(unkept.sha256, None);
        assert_eq!(unkept.state, State::Ok);
        assert!(unkept.error.is_some());
        Ok(())
    }
}
