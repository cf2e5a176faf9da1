//! Opening an existing archive for reading (index, get, export, verify, report, history): the
//! store is opened under the archive lock and never created, so a mistyped --archive is an error
//! rather than a new empty archive.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use url::Url;

use crate::config::IgnoreRule;
use crate::error::Error;
use crate::judge::excerpt::Excerpts;
use crate::lock::ArchiveLock;
use crate::report::changes::ChangeReport;
use crate::report::history::History;
use crate::review::{self, Scope, WindowSpec};
use crate::store::{RunStatus, Store};

/// Opens an existing archive's store for reading, holding its lock (waiting up to `wait` for a
/// running check to let it go); never creates one.
pub fn open_existing(archive_dir: &Path, wait: Duration) -> Result<(ArchiveLock, Store), Error> {
    crate::archive::refuse_non_folder(archive_dir)?;
    if !archive_dir.join("db").is_dir() {
        return Err(Error::NoArchive(archive_dir.to_path_buf()));
    }
    crate::archive::refuse_linked_folders(archive_dir)?;
    let lock = ArchiveLock::acquire_waiting(archive_dir, wait)?;
    let store = Store::open(archive_dir)?;
    if archive_dir.join("blobs").is_dir() {
        crate::upgrade::ensure_current_blocking(archive_dir, &store)?;
    }
    Ok((lock, store))
}

/// Which seeds a report covers, as the command line says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportSeeds {
    /// Every seed the archive tracks (`report`).
    Tracked,
    /// The seeds named (`report --seed`: an id, a path to the same manifest, or a page URL).
    Named(Vec<String>),
    /// The seeds of the latest run: a report that notifies announces only what that run found.
    LatestRun,
}

/// The change report over `window`, from the archive's store alone.
pub fn change_report(
    archive_dir: &Path,
    window: WindowSpec,
    seeds: &ReportSeeds,
    ignore: &[IgnoreRule],
    wait: Duration,
) -> Result<ChangeReport, Error> {
    let (_lock, store) = open_existing(archive_dir, wait)?;
    let scope = match seeds {
        ReportSeeds::Tracked => Scope::Tracked,
        ReportSeeds::Named(names) => {
            let mut ids = Vec::new();
            for name in names {
                ids.extend(resolve_seed(archive_dir, &store, name)?);
            }
            Scope::Seeds(ids)
        }
        ReportSeeds::LatestRun => Scope::Seeds(
            store
                .runs()?
                .into_iter()
                .filter(|r| r.status != RunStatus::Running)
                .max_by_key(|r| r.id)
                .map(|r| r.seeds)
                .unwrap_or_default(),
        ),
    };
    let excerpts = excerpts(archive_dir, &store, ignore)?;
    let mut report = review::build(&store, window, &scope, Some(&excerpts), Utc::now())?;
    report.archive_dir = Some(archive_dir.to_path_buf());
    Ok(report)
}

/// What makes diff excerpts again: the archive's bodies, with the ignore rules of the
/// configuration (`ignore`) and of every tracked seed's manifest that can still be read.
fn excerpts(archive_dir: &Path, store: &Store, ignore: &[IgnoreRule]) -> Result<Excerpts, Error> {
    let mut rules = ignore.to_vec();
    for tracked in store.tracked_seeds()? {
        if let Some(manifest) = crate::export::manifest_of(&tracked.seed) {
            rules.extend(manifest.ignore);
        }
    }
    Ok(Excerpts::new(
        crate::bodies::Bodies::new(archive_dir, store.clone()),
        &rules,
    ))
}

/// The ids of the tracked seeds `name` names; an error naming those tracked when none.
pub(crate) fn resolve_seed(
    archive_dir: &Path,
    store: &Store,
    name: &str,
) -> Result<Vec<String>, Error> {
    let found = store.tracked_named(name)?;
    if found.is_empty() {
        return Err(Error::UnknownSeed {
            archive: archive_dir.to_path_buf(),
            name: name.to_owned(),
            tracked: store.tracked_seeds()?.into_iter().map(|t| t.seed).collect(),
        });
    }
    Ok(found.into_iter().map(|t| t.seed).collect())
}

/// One URL's record and checks, read from the archive's store (which must exist).
pub fn history(
    archive_dir: &Path,
    url: &str,
    ignore: &[IgnoreRule],
    wait: Duration,
) -> Result<History, Error> {
    let (_lock, store) = open_existing(archive_dir, wait)?;
    // Accept the URL as typed: normalised the way listed links are.
    let key = Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.to_string());
    let mut checks = store.history(&key)?;
    // The store keeps no diff excerpt: it is made again from the two archived copies.
    let excerpts = excerpts(archive_dir, &store, ignore)?;
    let diffs: Vec<Option<String>> = checks
        .iter()
        .map(|c| match &c.content {
            Some(content) if content.diff.is_none() => excerpts.of(c, &checks),
            _ => None,
        })
        .collect();
    for (check, diff) in checks.iter_mut().zip(diffs) {
        if let (Some(content), Some(diff)) = (check.content.as_mut(), diff) {
            content.diff = Some(diff);
        }
    }
    Ok(History {
        resource: store.resource(&key)?,
        checks,
        url: key,
    })
}
