//! One `check` run, end to end: resolve seeds, fetch and archive each seed page, extract what
//! it lists, fetch every listed URL once (bounded globally here, per host in `fetch`), record
//! every check in the store, and assemble the report. Data flows one way:
//! seed → extract → fetch → archive/store → classify → report.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::archive::Archive;
use crate::classify::classify;
use crate::config::{Config, MAX_PAGE_PARSE_BYTES};
use crate::error::Error;
use crate::extract;
use crate::fetch::robots::RobotsCache;
use crate::fetch::{Fetched, Fetcher, Outcome, Validators};
use crate::inspect::{Inspection, Inspector};
use crate::lock::ArchiveLock;
use crate::model::{
    ArchiveLookup, Change, ItemChanges, ListedItem, Recovered, RecoveredLink, SeedSnapshot,
};
use crate::model::{Kind, Reason, Sha256, State, Summary};
use crate::report::changes::ChangeReport;
use crate::report::history::History;
use crate::report::{JSON_VERSION, RecoveredCopy, ResourceReport, RunInfo, RunReport, SeedReport};
use crate::rescue::Archives;
use crate::rescue::seedpage::Tools;
use crate::review::{self, WindowSpec};
use crate::seed::{self, Listed, ListedTarget, Seed, SeedSource};
use crate::store::{CheckRecord, ResourceRecord, RunRecord, RunStatus, Store};
use crate::transition::{Before, Now, item_changes, transition};
use crate::warc::{RunInfo as WarcRunInfo, WarcSink};

/// A URL's check in this run and what the report needs of its record after it. One is held
/// for every URL until the run ends, so it keeps the good copy's hash, not the whole record.
#[derive(Debug)]
struct Checked {
    check: CheckRecord,
    last_good_sha256: Option<Sha256>,
    /// The copy recovered from a web archive that the record names (rare: boxed).
    recovered: Option<Box<Recovered>>,
}

/// A seed after its page was looked at.
struct SeedPlan {
    seed: Seed,
    /// The page itself as a checked resource (its URL, or the file's `file://` URL).
    page: Option<String>,
    page_title: Option<String>,
    entries: Vec<Listed>,
    diff: seed::PageDiff,
    /// The page's snapshot, when it was recovered from a web archive.
    page_lookup: Option<ArchiveLookup>,
    recovered_links: Vec<RecoveredLink>,
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
    let inspector = Inspector::new(archive.clone(), &ignore).map_err(Error::Ignore)?;
    let robots_cache: Arc<dyn RobotsCache> = Arc::new(store.clone());
    let fetcher = Fetcher::new(config, archive.clone(), robots_cache).map_err(Error::Client)?;
    let mut run = RunRecord {
        started: Utc::now(),
        seeds: seeds.iter().map(|s| s.id.clone()).collect(),
        ..RunRecord::default()
    };
    store.begin_run(&mut run)?;
    // Every HTTP exchange of the run also goes into the run's WARC file.
    let warc = Arc::new(WarcSink::open(
        &config.archive_dir,
        &WarcRunInfo {
            started: run.started,
            run_id: run.id,
            seeds: run.seeds.clone(),
        },
    )?);
    let fetcher = fetcher.with_capture(warc.clone());

    let mut runner = Runner {
        fetcher,
        store: store.clone(),
        archive,
        run_id: run.id,
        results: HashMap::new(),
        plans: Vec::with_capacity(seeds.len()),
        judge: Judge {
            confirm: config.confirm,
            versions: config.versions,
        },
        inspector,
        progress: progress_bar(config.progress),
        archives: Archives::new(config, store.clone()),
        rescue: config.rescue,
        recovered: 0,
    };
    let interrupted = tokio::select! {
        done = runner.work(seeds, config.concurrency) => { done?; false }
        () = shutdown.cancelled() => true,
    };
    runner.progress.finish_and_clear();

    let resources: Vec<ResourceReport> = runner
        .plans
        .iter()
        .flat_map(|p| runner.report_seed(p, interrupted))
        .collect();
    let mut summary = Summary::default();
    for r in &resources {
        summary.add(r.state);
    }
    summary.snapshots_found = resources
        .iter()
        .filter(|r| {
            r.archive_lookup
                .as_ref()
                .is_some_and(|l| l.snapshot.is_some())
        })
        .count() as u64;
    summary.recovered = runner.recovered;
    for checked in runner.results.values() {
        summary.bytes_downloaded += checked.check.downloaded;
        if checked.check.not_modified {
            summary.bytes_saved += checked.check.bytes.unwrap_or(0);
        }
    }
    let mut seeds = Vec::with_capacity(runner.plans.len());
    for plan in &runner.plans {
        let mut report = runner.seed_report(plan);
        // An interrupted run saw only part of each list: comparing it would invent removals.
        if !interrupted {
            let snapshot = SeedSnapshot {
                title: report.title.clone(),
                page_url: report.page_url.clone(),
                items: listed_items(plan),
            };
            if let Some(before) = store.previous_seed(&plan.seed.id, run.id)? {
                report.changes = item_changes(&before.items, &snapshot.items);
            }
            store.put_seed(&plan.seed.id, run.id, &snapshot)?;
        }
        seeds.push(report);
    }
    // Everything per URL is in the report by now: not held while the index is built.
    runner.results = HashMap::new();
    runner.plans = Vec::new();

    run.finished = Some(Utc::now());
    run.summary = summary;
    run.status = if interrupted {
        RunStatus::Interrupted
    } else {
        RunStatus::Complete
    };
    store.put_run(&run)?;
    store.flush().await?;
    crate::index::refresh(&runner.archive, &store);
    warc.finish()?;
    Ok(RunReport {
        version: JSON_VERSION,
        run: RunInfo {
            id: run.id,
            started: run.started,
            finished: run.finished.unwrap_or(run.started),
            status: run.status,
        },
        summary,
        seeds,
        resources,
    })
}

/// `linkward seed recover`: the snapshot of the manifest's page closest to its date, its links
/// matched to the items' titles, and (unless `dry_run`) the matches written into the manifest.
/// The snapshot is kept in the archive like any recovered copy.
pub async fn recover_seed(
    config: &Config,
    manifest: &Path,
    dry_run: bool,
) -> Result<crate::rescue::seedpage::SeedRecovery, Error> {
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
    let inspector = Inspector::new(archive.clone(), &m.ignore).map_err(Error::Ignore)?;
    let robots_cache: Arc<dyn RobotsCache> = Arc::new(store.clone());
    let fetcher = Fetcher::new(config, archive.clone(), robots_cache).map_err(Error::Client)?;
    let held = store.resource(page_url.as_str())?.and_then(|r| r.recovered);
    let tools = Tools {
        archives: &archives,
        fetcher: &fetcher,
        inspector: &inspector,
        archive: &archive,
    };
    let found =
        crate::rescue::seedpage::recover_page(tools, &page_url, &m.items, manifest_date(&m), held)
            .await;
    if let Some(fresh) = &found.fresh {
        store.put_recovered(page_url.as_str(), fresh)?;
    }
    store.flush().await?;
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
    Ok(crate::rescue::seedpage::SeedRecovery {
        manifest: manifest.to_path_buf(),
        page_url: page_url.to_string(),
        lookup: found.lookup,
        recovered: found.copy.as_ref().map(RecoveredCopy::of),
        links: found.links,
        unmatched,
        written,
    })
}

/// Opens an existing archive's store for reading, holding its lock; never creates one.
pub fn open_existing(archive_dir: &Path) -> Result<(ArchiveLock, Store), Error> {
    if !archive_dir.join("db").is_dir() {
        return Err(Error::NoArchive(archive_dir.to_path_buf()));
    }
    let lock = ArchiveLock::acquire(archive_dir)?;
    Ok((lock, Store::open(archive_dir)?))
}

/// The change report over `window`, from the archive's store alone.
pub fn change_report(archive_dir: &Path, window: WindowSpec) -> Result<ChangeReport, Error> {
    let (_lock, store) = open_existing(archive_dir)?;
    Ok(review::build(&store, window, Utc::now())?)
}

/// One URL's record and checks, read from the archive's store (which must exist).
pub fn history(archive_dir: &Path, url: &str) -> Result<History, Error> {
    let (_lock, store) = open_existing(archive_dir)?;
    // Accept the URL as typed: normalised the way listed links are.
    let key = Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.to_string());
    Ok(History {
        resource: store.resource(&key)?,
        checks: store.history(&key)?,
        url: key,
    })
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
    fetcher: Fetcher,
    store: Store,
    archive: Archive,
    run_id: u64,
    /// Every URL checked in this run: a URL listed many times is fetched once. Boxed, so the
    /// table's empty slots (a third of it) are pointers rather than whole records.
    results: HashMap<String, Box<Checked>>,
    /// Seeds whose pages were looked at, in order.
    plans: Vec<SeedPlan>,
    judge: Judge,
    inspector: Inspector,
    progress: ProgressBar,
    /// The web archives asked about broken resources; `None` when none is configured.
    archives: Option<Archives>,
    /// Recover the closest snapshot of a broken resource we hold no good copy of.
    rescue: bool,
    /// Snapshots recovered in this run.
    recovered: u64,
}

/// How checks are judged against their history.
#[derive(Clone, Copy, Debug)]
struct Judge {
    confirm: u32,
    versions: usize,
}

impl Runner {
    /// Plans every seed, then fetches everything they list. Safe to abandon at any await: each
    /// result is recorded whole or not at all.
    async fn work(&mut self, seeds: Vec<Seed>, concurrency: usize) -> Result<(), Error> {
        for seed in seeds {
            let plan = self.plan(seed).await?;
            self.plans.push(plan);
        }
        let urls: Vec<Url> = self
            .plans
            .iter()
            .flat_map(|p| p.entries.iter())
            .filter_map(|e| match &e.target {
                ListedTarget::Fetch(u) => Some(u.clone()),
                _ => None,
            })
            .collect();
        self.fetch_all(urls, concurrency).await?;
        self.consult_archives(concurrency).await
    }

    /// Asks the web archives about every broken resource not asked yet in this run, and with
    /// `--rescue` recovers the closest snapshot of those we hold no good copy of.
    async fn consult_archives(&mut self, concurrency: usize) -> Result<(), Error> {
        let Some(archives) = &self.archives else {
            return Ok(());
        };
        let mut todo = Vec::new();
        let mut seen = HashSet::new();
        for plan in &self.plans {
            let date = seed_date(&plan.seed);
            let urls = plan
                .page
                .iter()
                .cloned()
                .chain(plan.entries.iter().filter_map(|e| {
                    matches!(e.target, ListedTarget::Fetch(_))
                        .then(|| e.target.url())
                        .flatten()
                }));
            for url in urls {
                let Some(checked) = self.results.get(&url) else {
                    continue;
                };
                if checked.check.state != State::Broken
                    || checked.check.archive_lookup.is_some()
                    || !seen.insert(url.clone())
                {
                    continue;
                }
                // Only broken resources get here: reading their records again is cheap.
                let Some(resource) = self.store.resource(&url)? else {
                    continue;
                };
                let target = date.or(resource.last_good_at);
                let held = self.holds_copy(&resource);
                todo.push((url, target, held));
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        self.progress.set_message("asking web archives");
        let fetcher = &self.fetcher;
        let inspector = &self.inspector;
        let rescue = self.rescue;
        let mut stream = futures_util::stream::iter(todo)
            .map(|(url, target, held)| async move {
                let mut lookup = archives.lookup(fetcher, &url, target).await;
                let mut recovered = None;
                if rescue && !held {
                    recovered = archives.recover_any(fetcher, inspector, &mut lookup).await;
                }
                (url, lookup, recovered)
            })
            .buffer_unordered(concurrency.max(1));
        while let Some((url, lookup, recovered)) = stream.next().await {
            Self::keep_lookup(
                &self.store,
                &mut self.results,
                &mut self.recovered,
                &url,
                lookup,
                recovered,
            )?;
        }
        Ok(())
    }

    /// Whether we hold a good copy of the resource, fetched live or recovered before.
    fn holds_copy(&self, resource: &ResourceRecord) -> bool {
        let live = resource
            .last_good_sha256
            .is_some_and(|sha| self.archive.contains_sized(&sha, resource.last_good_bytes));
        let recovered = resource
            .recovered
            .as_ref()
            .is_some_and(|r| self.archive.contains_sized(&r.sha256, Some(r.bytes)));
        live || recovered
    }

    /// Records what the archives said about `url` (and the copy recovered) on its check of this
    /// run and, for a recovered copy, on its resource record.
    fn keep_lookup(
        store: &Store,
        results: &mut HashMap<String, Box<Checked>>,
        count: &mut u64,
        url: &str,
        lookup: ArchiveLookup,
        recovered: Option<Recovered>,
    ) -> Result<(), Error> {
        let Some(checked) = results.get_mut(url) else {
            return Ok(());
        };
        checked.check.archive_lookup = Some(Box::new(lookup));
        if let Some(r) = recovered {
            let resource = store.put_recovered(url, &r)?;
            checked.recovered = resource.recovered.map(Box::new);
            checked.check.recovered = Some(Box::new(r));
            *count += 1;
        }
        store.update_check(&checked.check)?;
        Ok(())
    }

    /// A seed page that is gone, or whose capture kept no links: its snapshot closest to the
    /// seed's date is recovered (or the copy recovered before is reused), and its links matched
    /// to the items' titles are returned, to be checked.
    async fn recover_seed_page(
        &mut self,
        m: &seed::manifest::LoadedManifest,
        page_key: &str,
        date: Option<chrono::DateTime<Utc>>,
    ) -> Result<(Option<ArchiveLookup>, Vec<RecoveredLink>), Error> {
        let (Some(archives), Some(page_url)) = (&self.archives, &m.page_url) else {
            return Ok((None, Vec::new()));
        };
        let held = self
            .results
            .get(page_key)
            .and_then(|c| c.recovered.as_deref().cloned());
        let tools = Tools {
            archives,
            fetcher: &self.fetcher,
            inspector: &self.inspector,
            archive: &self.archive,
        };
        let found =
            crate::rescue::seedpage::recover_page(tools, page_url, &m.items, date, held).await;
        Self::keep_lookup(
            &self.store,
            &mut self.results,
            &mut self.recovered,
            page_key,
            found.lookup.clone(),
            found.fresh,
        )?;
        Ok((Some(found.lookup), found.links))
    }

    /// The validators of the good copy we hold, if its blob is really there: a 304 must never
    /// stand in for a copy we lost.
    fn validators(&self, url: &Url) -> Result<(Validators, Option<ResourceRecord>), Error> {
        let prev = self.store.resource(url.as_str())?;
        let validators = match &prev {
            Some(r)
                if r.last_good_sha256
                    .is_some_and(|sha| self.archive.contains_sized(&sha, r.last_good_bytes)) =>
            {
                Validators {
                    etag: r.etag.clone(),
                    last_modified: r.last_modified.clone(),
                }
            }
            _ => Validators::default(),
        };
        Ok((validators, prev))
    }

    /// Fetches and archives the seed's page, and works out what the seed lists.
    async fn plan(&mut self, seed: Seed) -> Result<SeedPlan, Error> {
        match &seed.source {
            SeedSource::Url(url) => {
                let (page, extracted) = self.page_from_url(url).await?;
                let entries = seed::dedupe(seed::from_page(&extracted));
                Ok(SeedPlan {
                    page: Some(page),
                    page_title: extracted.title,
                    entries,
                    diff: seed::PageDiff::default(),
                    page_lookup: None,
                    recovered_links: Vec::new(),
                    seed,
                })
            }
            SeedSource::HtmlFile(path) => {
                let (page, extracted) = self.page_from_file(path).await?;
                let entries = seed::dedupe(seed::from_page(&extracted));
                Ok(SeedPlan {
                    page: Some(page),
                    page_title: extracted.title,
                    entries,
                    diff: seed::PageDiff::default(),
                    page_lookup: None,
                    recovered_links: Vec::new(),
                    seed,
                })
            }
            SeedSource::Manifest(m) => {
                let mut entries = seed::from_manifest(m);
                let mut listed_titles: Vec<String> =
                    m.items.iter().map(|i| i.title.clone()).collect();
                if let Some(capture) = m.capture.as_deref().filter(|p| is_html_path(p)) {
                    let base = m.page_url.clone().or_else(|| file_url(capture).ok());
                    let bytes = std::fs::read(capture).map_err(|source| seed::SeedError::Read {
                        path: capture.to_path_buf(),
                        source,
                    })?;
                    if let Some(base) = base {
                        let captured = seed::from_page(&extract::extract(
                            &extract::decode(&bytes, None),
                            &base,
                        ));
                        listed_titles.extend(
                            captured
                                .iter()
                                .map(|l| l.title.clone())
                                .filter(|t| !t.is_empty()),
                        );
                        entries.extend(captured.into_iter().map(|mut l| {
                            l.note = Some("listed in the capture".into());
                            l
                        }));
                    }
                }
                let captured_links = entries
                    .iter()
                    .any(|e| e.note.as_deref() == Some("listed in the capture"));
                let mut page = None;
                let mut diff = seed::PageDiff::default();
                let mut page_lookup = None;
                let mut recovered_links = Vec::new();
                if let Some(url) = &m.page_url {
                    let (page_key, extracted) = self.page_from_url(url).await?;
                    let live = seed::dedupe(seed::from_page(&extracted));
                    let live_ok = self
                        .results
                        .get(&page_key)
                        .is_some_and(|c| c.check.state.is_reachable());
                    if live_ok {
                        let listed_urls: HashSet<String> =
                            entries.iter().filter_map(|e| e.target.url()).collect();
                        diff = seed::compare(&listed_titles, &listed_urls, &live);
                    }
                    if !live_ok || (live.is_empty() && !captured_links) {
                        let (lookup, links) = self
                            .recover_seed_page(m, &page_key, seed_date(&seed))
                            .await?;
                        page_lookup = lookup;
                        // An item whose URL was recovered is no longer one without a URL.
                        entries.retain(|e| {
                            e.target != ListedTarget::NoUrl
                                || !links.iter().any(|l| l.title == e.title)
                        });
                        entries.extend(links.iter().filter_map(recovered_entry));
                        recovered_links = links;
                    }
                    entries.extend(live);
                    page = Some(page_key);
                }
                Ok(SeedPlan {
                    page,
                    page_title: Some(m.page.title.clone()),
                    entries: seed::dedupe(entries),
                    diff,
                    page_lookup,
                    recovered_links,
                    seed,
                })
            }
        }
    }

    /// Fetches a seed page and extracts its links from the archived copy: this run's copy when
    /// the page answered, else the last good one, so a page that is down still has its links
    /// checked.
    async fn page_from_url(&mut self, url: &Url) -> Result<(String, extract::Page), Error> {
        let key = url.to_string();
        if !self.results.contains_key(&key) {
            self.progress.inc_length(1);
            let (validators, prev) = self.validators(url)?;
            let fetched = self.fetcher.fetch(url, &validators).await;
            let found = self
                .inspector
                .inspect(&self.fetcher, &fetched, prev.as_ref())
                .await;
            self.record(&fetched, prev.as_ref(), found)?;
            self.progress.inc(1);
        }
        let checked = &self.results[&key];
        let base = checked
            .check
            .final_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .unwrap_or_else(|| url.clone());
        let page = match checked.last_good_sha256 {
            Some(sha) if is_html(checked.check.content_type.as_deref()) => {
                let bytes = read_capped(&self.archive.blob_path(&sha)).await?;
                extract::extract(
                    &extract::decode(&bytes, checked.check.content_type.as_deref()),
                    &base,
                )
            }
            _ => extract::Page::default(),
        };
        Ok((key, page))
    }

    /// Archives a saved HTML page and extracts its links; relative links resolve against the
    /// file unless it has a `<base href>`.
    async fn page_from_file(&mut self, path: &Path) -> Result<(String, extract::Page), Error> {
        let read_err = |source| seed::SeedError::Read {
            path: path.to_path_buf(),
            source,
        };
        let url = file_url(path).map_err(read_err)?;
        let started = Utc::now();
        let clock = std::time::Instant::now();
        let bytes = read_capped(path).await?;
        let mut writer = self.archive.writer()?;
        writer.write(&bytes).await?;
        let blob = writer.finish().await?;
        // A local file has no HTTP status or validators: only its content is recorded.
        let check = CheckRecord {
            run_id: self.run_id,
            url: url.to_string(),
            checked_at: started,
            state: State::Ok,
            final_url: Some(url.to_string()),
            sha256: Some(blob.sha256),
            bytes: Some(blob.bytes),
            content_type: Some("text/html".into()),
            elapsed_ms: clock.elapsed().as_millis() as u64,
            ..CheckRecord::default()
        };
        Self::store_check(&self.store, &mut self.results, self.judge, check)?;
        let page = extract::extract(&extract::decode(&bytes, None), &url);
        Ok((url.to_string(), page))
    }

    /// Fetches every URL not checked yet in this run, at most `concurrency` at once.
    async fn fetch_all(&mut self, urls: Vec<Url>, concurrency: usize) -> Result<(), Error> {
        let mut seen = HashSet::new();
        let mut todo = Vec::new();
        for url in urls {
            if !self.results.contains_key(url.as_str()) && seen.insert(url.to_string()) {
                let (validators, prev) = self.validators(&url)?;
                todo.push((url, validators, prev));
            }
        }
        self.progress.inc_length(todo.len() as u64);
        // Grown once, not by doubling: a rehash holds the old and the new table at once.
        self.results.reserve(todo.len());
        let fetcher = &self.fetcher;
        let inspector = &self.inspector;
        // Fetching and inspecting (fingerprint, soft-404 probe, comparison with the last good
        // copy) happen inside the bounded futures, so the loop below only records.
        let mut stream = futures_util::stream::iter(todo)
            .map(|(url, validators, prev)| async move {
                let fetched = fetcher.fetch(&url, &validators).await;
                let found = inspector.inspect(fetcher, &fetched, prev.as_ref()).await;
                (fetched, prev, found)
            })
            .buffer_unordered(concurrency.max(1));
        // Recorded as results arrive, so a long run keeps what it learnt even if it dies.
        while let Some((fetched, prev, found)) = stream.next().await {
            self.progress.inc(1);
            self.progress.set_message(fetched.requested.to_string());
            let accepted = self.fetcher.accepted_statuses(&fetched.requested);
            let check = check_record(self.run_id, &fetched, prev.as_ref(), accepted, found);
            Self::store_check(&self.store, &mut self.results, self.judge, check)?;
        }
        Ok(())
    }

    fn record(
        &mut self,
        fetched: &Fetched,
        prev: Option<&ResourceRecord>,
        found: Inspection,
    ) -> Result<(), Error> {
        let accepted = self.fetcher.accepted_statuses(&fetched.requested);
        let check = check_record(self.run_id, fetched, prev, accepted, found);
        Self::store_check(&self.store, &mut self.results, self.judge, check)
    }

    /// Judges the check against the URL's previous record, then records both.
    fn store_check(
        store: &Store,
        results: &mut HashMap<String, Box<Checked>>,
        judge: Judge,
        mut check: CheckRecord,
    ) -> Result<(), Error> {
        let prev = store.resource(&check.url)?;
        let before = prev.as_ref().map(|p| Before {
            state: p.state,
            failures: p.failures,
            final_url: p.final_url.clone(),
            redirect_targets: p.redirect_targets.clone(),
            good_fingerprint: p.last_good_fingerprint,
            good_sha256: p.last_good_sha256,
            recent_fingerprints: p
                .recent_fingerprints
                .iter()
                .take(judge.versions)
                .copied()
                .collect(),
        });
        let now = Now {
            state: check.state,
            final_url: check.final_url.clone(),
            redirect_targets: check.redirects.iter().map(|h| h.location.clone()).collect(),
            sha256: check.sha256,
            fingerprint: check.fingerprint,
        };
        let t = transition(before.as_ref(), &now, judge.confirm);
        check.change = Some(t.change);
        check.failures = t.failures;
        if t.change != Change::Changed {
            check.content = None;
        }
        // No await since `prev` was read: nothing else wrote this URL's record in between.
        let resource = store.record_check_over(prev, &check)?;
        results.insert(
            check.url.clone(),
            Box::new(Checked {
                check,
                last_good_sha256: resource.last_good_sha256,
                recovered: resource.recovered.map(Box::new),
            }),
        );
        Ok(())
    }

    /// The seed's resources; in an interrupted run, entries never fetched are left out rather
    /// than reported with a state they did not earn.
    fn report_seed(&self, plan: &SeedPlan, interrupted: bool) -> Vec<ResourceReport> {
        let mut out = Vec::with_capacity(plan.entries.len() + 1);
        if let Some(page) = &plan.page {
            let title = plan.page_title.clone();
            let mut r = self.resource_report(plan, page, Kind::Page, title.clone(), None, None);
            r.titles = title.into_iter().collect();
            out.push(r);
        }
        for e in &plan.entries {
            if let ListedTarget::Fetch(u) = &e.target
                && interrupted
                && !self.results.contains_key(u.as_str())
            {
                continue;
            }
            let title = Some(e.title.clone()).filter(|t| !t.is_empty());
            let mut r = match &e.target {
                ListedTarget::Fetch(u) => self.resource_report(
                    plan,
                    u.as_str(),
                    e.kind,
                    title,
                    e.section.clone(),
                    e.note.clone(),
                ),
                ListedTarget::Unsupported(u) => unchecked(
                    plan,
                    Some(u.clone()),
                    State::Skipped,
                    Reason::UnsupportedScheme,
                    e,
                ),
                ListedTarget::Invalid(u) => {
                    unchecked(plan, Some(u.clone()), State::Broken, Reason::InvalidUrl, e)
                }
                ListedTarget::NoUrl => unchecked(plan, None, State::Unresolved, Reason::NoUrl, e),
            };
            r.titles = e.titles.clone();
            out.push(r);
        }
        out
    }

    fn resource_report(
        &self,
        plan: &SeedPlan,
        url: &str,
        kind: Kind,
        title: Option<String>,
        section: Option<String>,
        note: Option<String>,
    ) -> ResourceReport {
        let Some(Checked {
            check,
            last_good_sha256,
            recovered,
        }) = self.results.get(url).map(Box::as_ref)
        else {
            // Every fetch target was fetched above; reaching this is a bug, reported as such.
            let mut r = unchecked_blank(plan, Some(url.to_owned()), State::Broken, Reason::Other);
            r.kind = kind;
            r.error = Some("internal: not checked".into());
            return r;
        };
        ResourceReport {
            url: Some(url.to_owned()),
            title,
            titles: Vec::new(),
            section,
            seed: plan.seed.id.clone(),
            kind,
            state: check.state,
            reason: check.reason,
            http_status: check.http_status,
            final_url: check.final_url.clone(),
            redirects: check.redirects.clone(),
            sha256: check.sha256,
            last_good_sha256: *last_good_sha256,
            bytes: check.bytes,
            content_type: check.content_type.clone(),
            archived: last_good_sha256.as_ref().map(Archive::relative_path),
            checked_at: Some(check.checked_at),
            elapsed_ms: Some(check.elapsed_ms),
            attempts: check.attempts.len() as u32,
            change: check.change,
            failures: check.failures,
            soft_404: check.soft_404,
            significance: check.content.as_ref().map(|c| c.significance),
            similarity: check.content.as_ref().map(|c| c.similarity),
            diff: check.content.as_ref().and_then(|c| c.diff.clone()),
            not_modified: check.not_modified,
            archive_lookup: check.archive_lookup.clone(),
            recovered: recovered.as_deref().map(|r| Box::new(RecoveredCopy::of(r))),
            note,
            error: check.error.clone(),
        }
    }

    fn seed_report(&self, plan: &SeedPlan) -> SeedReport {
        let state = plan
            .page
            .as_ref()
            .and_then(|p| self.results.get(p))
            .map_or(State::Unresolved, |c| c.check.state);
        SeedReport {
            seed: plan.seed.id.clone(),
            title: plan
                .seed
                .title()
                .map(str::to_owned)
                .or_else(|| plan.page_title.clone()),
            page_url: plan.page.clone(),
            state,
            listed: plan.entries.len(),
            missing_from_page: plan.diff.missing_from_page.clone(),
            new_on_page: plan.diff.new_on_page.clone(),
            changes: ItemChanges::default(),
            page_lookup: plan.page_lookup.clone(),
            recovered_links: plan.recovered_links.clone(),
        }
    }
}

/// The date a seed's items are looked up at in web archives: the manifest's page date.
fn seed_date(seed: &Seed) -> Option<chrono::DateTime<Utc>> {
    match &seed.source {
        SeedSource::Manifest(m) => manifest_date(m),
        _ => None,
    }
}

/// The manifest's `[page] date`, as a target date: the start of that day, UTC.
fn manifest_date(m: &seed::manifest::LoadedManifest) -> Option<chrono::DateTime<Utc>> {
    let day = chrono::NaiveDate::parse_from_str(m.page.date.as_deref()?.trim(), "%Y-%m-%d").ok()?;
    Some(crate::rescue::wayback::day_start(day))
}

/// A URL recovered from a seed page's snapshot, as a listed entry to check.
fn recovered_entry(link: &RecoveredLink) -> Option<Listed> {
    let url = Url::parse(&link.url).ok()?;
    Some(Listed {
        kind: Kind::Item,
        title: link.title.clone(),
        titles: vec![link.title.clone()],
        section: link.section.clone(),
        note: Some(format!(
            "original URL recovered from {} ({})",
            link.memento_url,
            link.memento_datetime.format("%Y-%m-%d")
        )),
        target: ListedTarget::Fetch(url),
    })
}

/// What a seed listed, for comparing runs: one item per title it was listed under.
fn listed_items(plan: &SeedPlan) -> Vec<ListedItem> {
    plan.entries
        .iter()
        .flat_map(|e| {
            e.titles.iter().map(|t| ListedItem {
                title: t.clone(),
                section: e.section.clone(),
                url: e.target.url(),
            })
        })
        .collect()
}

fn unchecked(
    plan: &SeedPlan,
    url: Option<String>,
    state: State,
    reason: Reason,
    e: &Listed,
) -> ResourceReport {
    let mut r = unchecked_blank(plan, url, state, reason);
    r.kind = e.kind;
    r.title = Some(e.title.clone()).filter(|t| !t.is_empty());
    r.section = e.section.clone();
    r.note = e.note.clone();
    r
}

fn unchecked_blank(
    plan: &SeedPlan,
    url: Option<String>,
    state: State,
    reason: Reason,
) -> ResourceReport {
    ResourceReport {
        url,
        title: None,
        titles: Vec::new(),
        section: None,
        seed: plan.seed.id.clone(),
        kind: Kind::Link,
        state,
        reason: Some(reason),
        http_status: None,
        final_url: None,
        redirects: Vec::new(),
        sha256: None,
        last_good_sha256: None,
        bytes: None,
        content_type: None,
        archived: None,
        checked_at: None,
        elapsed_ms: None,
        attempts: 0,
        change: None,
        failures: 0,
        soft_404: None,
        significance: None,
        similarity: None,
        diff: None,
        not_modified: false,
        archive_lookup: None,
        recovered: None,
        note: None,
        error: None,
    }
}

/// The store's record of one fetch. `prev` is the URL's record before it: a 304 stands for the
/// good copy it describes.
fn check_record(
    run_id: u64,
    fetched: &Fetched,
    prev: Option<&ResourceRecord>,
    accepted: &[u16],
    found: Inspection,
) -> CheckRecord {
    let (state, reason) = match found.soft_404 {
        Some(_) => (State::Broken, Some(Reason::Soft404)),
        None => classify(fetched, accepted),
    };
    let mut check = CheckRecord {
        run_id,
        url: fetched.requested.to_string(),
        checked_at: fetched.started,
        state,
        reason,
        // Only a URL that answered is "final"; a DNS failure has none.
        final_url: answered(&fetched.outcome).then(|| fetched.final_url.to_string()),
        redirects: fetched.redirects.clone(),
        elapsed_ms: fetched.elapsed.as_millis() as u64,
        attempts: fetched.attempts.clone(),
        downloaded: fetched.downloaded,
        fingerprint: found.fingerprint,
        soft_404: found.soft_404,
        content: found.content,
        ..CheckRecord::default()
    };
    match &fetched.outcome {
        Outcome::Body {
            status,
            content_type,
            etag,
            last_modified,
            blob,
        } => {
            check.http_status = Some(*status);
            check.content_type = content_type.clone();
            check.etag = etag.clone();
            check.last_modified = last_modified.clone();
            check.sha256 = Some(blob.sha256);
            check.bytes = Some(blob.bytes);
        }
        Outcome::NotModified {
            etag,
            last_modified,
        } => {
            check.http_status = Some(304);
            check.not_modified = true;
            if let Some(prev) = prev {
                check.sha256 = prev.last_good_sha256;
                check.fingerprint = prev.last_good_fingerprint;
                check.bytes = prev.last_good_bytes;
                check.content_type = prev_content_type(prev);
                check.etag = etag.clone().or_else(|| prev.etag.clone());
                check.last_modified = last_modified.clone().or_else(|| prev.last_modified.clone());
            }
        }
        Outcome::Status {
            status,
            content_type,
            ..
        } => {
            check.http_status = Some(*status);
            check.content_type = content_type.clone();
        }
        Outcome::Failed { status, detail, .. } => {
            check.http_status = *status;
            check.error = Some(detail.clone());
        }
        Outcome::Disallowed => {
            check.error = Some("disallowed by robots.txt; not requested".into());
        }
    }
    if let Some(rule) = check.soft_404 {
        // A "not found" page is not a copy of the document: it must not become the good copy.
        check.sha256 = None;
        check.error = Some(format!(
            "answered {} but looks gone ({rule})",
            check.http_status.unwrap_or(200)
        ));
    }
    check
}

/// The content type of the copy a 304 confirms.
fn prev_content_type(prev: &ResourceRecord) -> Option<String> {
    prev.last_good_content_type.clone()
}

fn answered(outcome: &Outcome) -> bool {
    !matches!(
        outcome,
        Outcome::Failed { status: None, .. } | Outcome::Disallowed
    )
}

fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_none_or(|ct| ct.to_ascii_lowercase().contains("html"))
}

fn is_html_path(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

fn file_url(path: &Path) -> Result<Url, std::io::Error> {
    let abs = std::fs::canonicalize(path)?;
    Url::from_file_path(&abs).map_err(|_| std::io::Error::other("not an absolute path"))
}

/// Reads at most `MAX_PAGE_PARSE_BYTES` of a page: enough for any real page's links, bounded
/// for a hostile one.
async fn read_capped(path: &Path) -> Result<Vec<u8>, Error> {
    use tokio::io::AsyncReadExt;
    let err = |source| seed::SeedError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(err)?;
    let mut bytes = Vec::new();
    file.take(MAX_PAGE_PARSE_BYTES)
        .read_to_end(&mut bytes)
        .await
        .map_err(err)?;
    Ok(bytes)
}
