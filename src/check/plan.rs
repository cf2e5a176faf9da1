//! Planning a seed: its page fetched (or read from a file, or recovered from a web archive when
//! it is gone), judged and recorded like any resource, and what it lists extracted from the
//! archived copy, each URL with the reach it is fetched with (see `fetch::address`): what the
//! operator listed (seed URLs, manifest items and page, links of local HTML files and the page a
//! file's `<base href>` names) may reach private addresses; a fetched page's links only when the
//! page answered from a non-public address; links recovered from a web archive's copy of a page,
//! as that archive's mementos.

use crate::archive::Held;
use crate::config::MAX_PAGE_PARSE_BYTES;
use crate::error::Error;
use crate::extract;
use crate::fetch::{ListedBy, Reach, Validators};
use crate::model::{ArchiveLookup, RecoveredLink};
use crate::model::{Kind, State};
use crate::rescue::seedpage::Wanted;
use crate::seed::{self, Listed, ListedTarget, Seed, SeedSource};
use crate::store::{CheckRecord, ResourceRecord};
use chrono::Utc;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use url::Url;

use super::Runner;

/// A seed after its page was looked at.
pub(super) struct SeedPlan {
    pub(super) seed: Seed,
    /// The page itself as a checked resource (its URL, or the file's `file://` URL).
    pub(super) page: Option<String>,
    pub(super) page_title: Option<String>,
    pub(super) entries: Vec<Listed>,
    pub(super) diff: seed::PageDiff,
    /// The page's snapshot, when it was recovered from a web archive.
    pub(super) page_lookup: Option<ArchiveLookup>,
    pub(super) recovered_links: Vec<RecoveredLink>,
    /// The reach each listed URL is fetched with.
    pub(super) reach: Reaches,
    /// A page seed whose page lists no links we can read, to be recovered from web archives
    /// once the run's fetches have shown the network here works (see `Runner::recover_listings`).
    pub(super) unlisted: Option<Unlisted>,
}

/// A page whose snapshot's links are wanted: its URL and the date its snapshot is asked for
/// (its last good check before this run; `None`: the latest).
pub(super) struct Unlisted {
    url: Url,
    date: Option<chrono::DateTime<Utc>>,
}

/// The reach each URL a seed lists is fetched with: the widest any listing of it gives.
#[derive(Debug, Default)]
pub(super) struct Reaches(HashMap<String, Reach>);

impl Reaches {
    /// Every URL `entries` lists at least `reach`.
    fn note(&mut self, entries: &[Listed], reach: Reach) {
        for e in entries {
            if let ListedTarget::Fetch(u) = &e.target {
                let known = self.0.entry(u.to_string()).or_insert(reach);
                *known = (*known).max(reach);
            }
        }
    }

    /// Each `entries` listed by `by`.
    fn listed(entries: &[Listed], by: ListedBy) -> Reaches {
        let mut reaches = Reaches::default();
        reaches.note(entries, by.reach());
        reaches
    }

    /// The reach of `url`; public addresses only for a URL no listing gave one.
    pub(super) fn of(&self, url: &Url) -> Reach {
        self.0
            .get(url.as_str())
            .copied()
            .unwrap_or(Reach::PublicOnly)
    }
}

impl SeedPlan {
    /// The plan of a seed that is a page (a URL or an HTML file): what the page lists, nothing
    /// compared or recovered.
    fn of_page(
        seed: Seed,
        page: String,
        page_title: Option<String>,
        entries: Vec<Listed>,
        reach: Reaches,
    ) -> SeedPlan {
        SeedPlan {
            page: Some(page),
            page_title,
            entries,
            diff: seed::PageDiff::default(),
            page_lookup: None,
            recovered_links: Vec::new(),
            reach,
            unlisted: None,
            seed,
        }
    }
}

impl Runner {
    /// Fetches and archives the seed's page, and works out what the seed lists.
    pub(super) async fn plan(&mut self, seed: Seed) -> Result<SeedPlan, Error> {
        match &seed.source {
            SeedSource::Url(url) => {
                // Read before the page is checked: a page answering now without links has its
                // last good check now, and its snapshot is wanted from before that.
                let last_good = self.last_good_at(url)?;
                let (page, extracted, links_reach) = self.page_from_url(url).await?;
                let entries = seed::dedupe(seed::from_page(&extracted));
                let mut reach = Reaches::default();
                reach.note(&entries, links_reach);
                let url = url.clone();
                let mut plan = SeedPlan::of_page(seed, page, extracted.title, entries, reach);
                if !lists_links(&plan.entries) && self.archives.is_some() {
                    plan.unlisted = Some(Unlisted {
                        url,
                        date: last_good,
                    });
                }
                Ok(plan)
            }
            SeedSource::HtmlFile(path) => {
                let (page, extracted, base) = self.page_from_file(path).await?;
                let entries = seed::dedupe(seed::from_page(&extracted));
                let reach = Reaches::listed(&entries, ListedBy::Operator);
                let mut plan = SeedPlan::of_page(seed, page, extracted.title, entries, reach);
                // Without a web archive to ask, the original page is not worth a request.
                if let Some(original) = base.filter(|_| self.archives.is_some()) {
                    self.check_original(&mut plan, &original).await?;
                }
                Ok(plan)
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
                // The items and the capture's links are the operator's.
                let mut reach = Reaches::listed(&entries, ListedBy::Operator);
                let mut page = None;
                let mut diff = seed::PageDiff::default();
                let mut page_lookup = None;
                let mut recovered_links = Vec::new();
                if let Some(url) = &m.page_url {
                    let (page_key, extracted, links_reach) = self.page_from_url(url).await?;
                    let live = seed::dedupe(seed::from_page(&extracted));
                    reach.note(&live, links_reach);
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
                        let (lookup, links, links_reach) = self
                            .recover_seed_page(
                                url,
                                Wanted::Items(&m.items),
                                &page_key,
                                seed_date(&seed),
                            )
                            .await?;
                        page_lookup = lookup;
                        // An item whose URL was recovered is no longer one without a URL.
                        entries.retain(|e| {
                            e.target != ListedTarget::NoUrl
                                || !links.iter().any(|l| l.title == e.title)
                        });
                        let recovered: Vec<Listed> = links
                            .iter()
                            .filter_map(|l| recovered_entry(l, Kind::Item))
                            .collect();
                        reach.note(&recovered, links_reach);
                        entries.extend(recovered);
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
                    reach,
                    unlisted: None,
                    seed,
                })
            }
        }
    }

    /// When `last_good_at` of `url`'s record says the page was last seen good.
    fn last_good_at(&self, url: &Url) -> Result<Option<chrono::DateTime<Utc>>, Error> {
        Ok(self
            .store
            .resource(url.as_str())?
            .and_then(|r| r.last_good_at))
    }

    /// Page seeds whose page lists no links we can read (see [`Unlisted`]): each page's
    /// snapshot is recovered from the web archives, and every link of it joins the seed's plan,
    /// with the reach of the archive it came from, as if the page had listed it today. Returns
    /// the links to fetch now. Asked only once the run is known not to be in an outage, so a
    /// page held back as unanswered is never looked up (nor recorded) before it is settled.
    pub(super) async fn recover_listings(&mut self) -> Result<Vec<(Url, Reach)>, Error> {
        let mut todo = Vec::new();
        // By index: a run stopped at an await keeps every plan for its report.
        for at in 0..self.plans.len() {
            let Some(Unlisted { url, date }) = self.plans[at].unlisted.take() else {
                continue;
            };
            let key = url.to_string();
            let (lookup, links, links_reach) = self
                .recover_seed_page(&url, Wanted::Every, &key, date)
                .await?;
            let recovered: Vec<Listed> = links
                .iter()
                .filter_map(|l| recovered_entry(l, Kind::Link))
                .collect();
            let max_links = self.max_links;
            let plan = &mut self.plans[at];
            plan.reach.note(&recovered, links_reach);
            plan.entries.extend(recovered);
            plan.entries = seed::dedupe(std::mem::take(&mut plan.entries));
            plan.entries.truncate(max_links);
            plan.page_lookup = lookup;
            plan.recovered_links = links;
            todo.extend(plan.entries.iter().filter_map(|e| match &e.target {
                ListedTarget::Fetch(u) => Some((u.clone(), plan.reach.of(u))),
                _ => None,
            }));
        }
        Ok(todo)
    }

    /// A saved HTML file's original page, named by its `<base href>`: checked as one of the
    /// file's entries (the operator's, so any address), and when it lists no links we can read
    /// (gone, or live but emptied), its snapshot's links are to be recovered and checked as
    /// well, as for a seed given by that URL. A live original that still lists links changes nothing
    /// else: the file's own links are what the operator asked about.
    async fn check_original(&mut self, plan: &mut SeedPlan, original: &Url) -> Result<(), Error> {
        let last_good = self.last_good_at(original)?;
        let (_, extracted, _) = self.page_from_url(original).await?;
        let title = extracted.title.clone().unwrap_or_default();
        plan.entries.push(Listed {
            kind: Kind::Link,
            titles: vec![title.clone()],
            title,
            section: None,
            note: Some("the page this file was saved from (its <base href>)".into()),
            target: ListedTarget::Fetch(original.clone()),
        });
        let at = plan.entries.len() - 1;
        plan.reach
            .note(&plan.entries[at..], ListedBy::Operator.reach());
        plan.entries = seed::dedupe(std::mem::take(&mut plan.entries));
        if !lists_links(&seed::from_page(&extracted)) {
            plan.unlisted = Some(Unlisted {
                url: original.clone(),
                date: last_good,
            });
        }
        Ok(())
    }

    /// Fetches a seed page (the operator's, so it may be on a private address) and extracts its
    /// links from the archived copy: this run's copy when the page answered, else the last good
    /// one, so a page that is down still has its links checked. Also returns the reach of its
    /// links: private addresses too only when the page answered from a non-public address in
    /// this run.
    pub(super) async fn page_from_url(
        &mut self,
        url: &Url,
    ) -> Result<(String, extract::Page, Reach), Error> {
        let key = url.to_string();
        if !self.results.contains_key(&key) {
            self.progress.inc_length(1);
            let (validators, prev) = self.validators(url)?;
            let reach = ListedBy::Operator.reach();
            let fetched = self.fetcher.fetch(url, &validators, reach).await;
            self.links_reach.insert(key.clone(), fetched.links_reach());
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
                // Read in place: one bounded read per seed page, not worth a thread hand-off.
                let bytes = self.bodies.read_capped(&sha, MAX_PAGE_PARSE_BYTES)?;
                extract::extract(
                    &extract::decode(&bytes, checked.check.content_type.as_deref()),
                    &base,
                )
            }
            _ => extract::Page::default(),
        };
        let links_reach = self
            .links_reach
            .get(&key)
            .copied()
            .unwrap_or_else(|| ListedBy::Page(None).reach());
        Ok((key, page, links_reach))
    }

    /// Archives a saved HTML page and extracts its links; relative links resolve against the
    /// file unless it has a `<base href>`, which is returned too when it is an http(s) URL.
    pub(super) async fn page_from_file(
        &mut self,
        path: &Path,
    ) -> Result<(String, extract::Page, Option<Url>), Error> {
        let read_err = |source| seed::SeedError::Read {
            path: path.to_path_buf(),
            source,
        };
        let url = file_url(path).map_err(read_err)?;
        // Its copy is in the files/ view like any seed page's, from this run on.
        self.seed_pages.insert(url.to_string());
        let started = Utc::now();
        let clock = std::time::Instant::now();
        let bytes = read_capped(path).await?;
        let mut writer = self.archive.writer();
        writer.write(&bytes).await?;
        let blob = writer.finish().await?;
        if let Some(body) = blob.held() {
            self.warc
                .store_held_resource(url.as_str(), "text/html", started, body, blob.sha256)?;
        }
        self.warc.commit()?;
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
        self.store_one(check)?;
        let html = extract::decode(&bytes, None);
        let page = extract::extract(&html, &url);
        let base = extract::base_href(&html, &url);
        Ok((url.to_string(), page, base))
    }

    /// The validators of the good copy we hold, if its blob is really there: a 304 must never
    /// stand in for a copy we lost.
    pub(super) fn validators(
        &self,
        url: &Url,
    ) -> Result<(Validators, Option<ResourceRecord>), Error> {
        let prev = self.store.resource(url.as_str())?;
        let validators = match &prev {
            Some(r)
                if r.last_good_sha256
                    .is_some_and(|sha| self.bodies.contains(&sha, r.last_good_bytes)) =>
            {
                Validators {
                    etag: r.etag.clone(),
                    last_modified: r.last_modified.clone(),
                    held: r.last_good_sha256,
                }
            }
            _ => Validators::default(),
        };
        Ok((validators, prev))
    }
}

/// The date a seed's items are looked up at in web archives: the manifest's page date.
pub(super) fn seed_date(seed: &Seed) -> Option<chrono::DateTime<Utc>> {
    match &seed.source {
        SeedSource::Manifest(m) => manifest_date(m),
        _ => None,
    }
}

/// The manifest's `[page] date`, as a target date: the start of that day, UTC.
pub(super) fn manifest_date(m: &seed::manifest::LoadedManifest) -> Option<chrono::DateTime<Utc>> {
    let day = chrono::NaiveDate::parse_from_str(m.page.date.as_deref()?.trim(), "%Y-%m-%d").ok()?;
    Some(crate::rescue::wayback::day_start(day))
}

/// Whether a page's entries hold any link to fetch (a page of `mailto:` links lists none).
fn lists_links(entries: &[Listed]) -> bool {
    entries
        .iter()
        .any(|e| matches!(e.target, ListedTarget::Fetch(_)))
}

/// A URL recovered from a seed page's snapshot, as a listed entry of `kind` to check.
pub(super) fn recovered_entry(link: &RecoveredLink, kind: Kind) -> Option<Listed> {
    let url = Url::parse(&link.url).ok()?;
    Some(Listed {
        kind,
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

pub(super) fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_none_or(|ct| ct.to_ascii_lowercase().contains("html"))
}

pub(super) fn is_html_path(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

pub(super) fn file_url(path: &Path) -> Result<Url, std::io::Error> {
    let abs = std::fs::canonicalize(path)?;
    Url::from_file_path(&abs).map_err(|_| std::io::Error::other("not an absolute path"))
}

/// Reads at most `MAX_PAGE_PARSE_BYTES` of a page: enough for any real page's links, bounded
/// for a hostile one.
pub(super) async fn read_capped(path: &Path) -> Result<Vec<u8>, Error> {
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

/// `read_capped` of a body just downloaded.
pub(super) async fn read_held_capped(held: &Held) -> Result<Vec<u8>, Error> {
    match held {
        Held::File(path) => read_capped(path).await,
        Held::Memory(bytes) => {
            let cap = usize::try_from(MAX_PAGE_PARSE_BYTES).unwrap_or(usize::MAX);
            Ok(bytes[..bytes.len().min(cap)].to_vec())
        }
    }
}
