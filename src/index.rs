//! The offline index, `ARCHIVE/index.html`: gathered from the store (the latest complete run's
//! seeds and the latest record of every URL they list), rendered by `report::index_html`, and
//! written into the archive folder after every `check` run and by `linkward index`. Gathering
//! reads only the store (and the seed manifests, for notes); the file is replaced whole (temp
//! file, then rename), streamed so a page of tens of thousands of links is never held in memory.

use std::collections::HashMap;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::archive::Archive;
use crate::export::{latest_complete_run, manifest_of};
use crate::model::{Reason, State};
use crate::open::open_existing;
use crate::report::Render;
use crate::report::formats::Html;
use crate::report::index_html::{IndexPage, Place, Row, SeedEntry};
use crate::store::{ResourceRecord, Store, StoreError};
use crate::view::SeedPages;

/// The index's file name in the archive folder.
pub const INDEX_FILE: &str = "index.html";
/// The write buffer: the page goes to its file in pieces of this size.
const OUT_CHUNK: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The archive could not be opened (not there, in use, unreadable).
    #[error(transparent)]
    Open(#[from] Box<crate::Error>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not write the index {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Whether the `files/` view may have to change before the index links to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Completed and pruned (`view::refresh`): one look at every copy the store names.
    Refresh,
    /// Known whole (refreshed with no failure, or vouched for by the store; see
    /// `check::run`): not refreshed, and its files are linked without a look at each.
    Whole,
    /// Not refreshed; each file is looked at before the page links to it (one may be missing).
    Unchanged,
}

/// Writes `index.html` into the archive, replacing the previous one whole.
pub fn write(archive: &Archive, store: &Store) -> Result<PathBuf, IndexError> {
    write_with(archive, store, View::Refresh)
}

/// `write`, refreshing the view first only for `View::Refresh` (or when there is none).
pub fn write_with(archive: &Archive, store: &Store, view: View) -> Result<PathBuf, IndexError> {
    // The page links to the view's files: they are completed first. A view that is not there at
    // all is refreshed whatever `view` says.
    let whole = if view == View::Refresh || !archive.root().join(crate::view::FILES_DIR).is_dir() {
        crate::view::refresh(
            archive.root(),
            store,
            &crate::bodies::Bodies::new(archive.root(), store.clone()),
            &crate::view::SeedPages::of_store(store)?,
        )?
        .failed
            == 0
    } else {
        view == View::Whole
    };
    let page = gather_with(archive, store, Utc::now(), whole)?;
    let path = archive.root().join(INDEX_FILE);
    let write_error = |source| IndexError::Write {
        path: path.clone(),
        source,
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".index-")
        .suffix(".html")
        .tempfile_in(archive.root())
        .map_err(write_error)?;
    // Streamed: the page of a 20,000-link seed is ~17 MB, which held whole set the run's peak RSS.
    let mut out = BufWriter::with_capacity(OUT_CHUNK, temp.as_file_mut());
    Html.render(&page, &mut out).map_err(write_error)?;
    out.into_inner().map_err(|e| write_error(e.into_error()))?;
    temp.as_file().sync_all().map_err(write_error)?;
    crate::archive::set_mode(temp.path(), 0o644).map_err(write_error)?;
    temp.persist(&path).map_err(|e| write_error(e.error))?;
    Ok(path)
}

/// [`write`], for the end of a run: an index that cannot be written is worth a warning, never a
/// failed run (the store and blobs are what matter, and `linkward index` can redo it).
pub fn refresh(archive: &Archive, store: &Store) {
    refresh_with(archive, store, View::Refresh);
}

/// [`refresh`], with the view as `view` says (see `write_with`).
pub fn refresh_with(archive: &Archive, store: &Store, view: View) {
    if let Err(e) = write_with(archive, store, view) {
        tracing::warn!("{e}; `linkward index` writes it again");
    }
}

/// `linkward index`: rewrites the index of an existing archive.
pub fn regenerate(archive_dir: &Path, wait: Duration) -> Result<PathBuf, IndexError> {
    let (_lock, store) = open_existing(archive_dir, wait).map_err(Box::new)?;
    let archive = Archive::open(archive_dir).map_err(|e| Box::new(crate::Error::from(e)))?;
    write(&archive, &store)
}

/// Reads what the page shows: the latest complete run's seeds and the latest record of each
/// URL they list. Notes, publishers and descriptions come from the seed manifests when they can
/// still be read (the store does not keep them).
pub fn gather(
    archive: &Archive,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<IndexPage, StoreError> {
    gather_with(archive, store, now, false)
}

/// `gather`; with `view_whole`, each copy is linked without looking for its file.
fn gather_with(
    archive: &Archive,
    store: &Store,
    now: DateTime<Utc>,
    view_whole: bool,
) -> Result<IndexPage, StoreError> {
    let runs = store.runs()?;
    let latest = runs.iter().max_by_key(|r| r.id).cloned();
    let run = latest_complete_run(store)?;
    let later_run = latest.filter(|l| run.as_ref().is_none_or(|r| r.id != l.id));
    let mut seeds = Vec::new();
    if run.is_some() {
        // Every seed the archive tracks, each as of its own latest complete run.
        let lists = store.tracked_seed_lists()?;
        // Whose copies the view holds whatever their type, as the run's report has it.
        let seed_pages = SeedPages::new(lists.iter().filter_map(|(_, s)| s.page_url.clone()));
        for (id, snapshot) in lists {
            let manifest = manifest_of(&id);
            let notes: HashMap<(&str, Option<&str>), &str> = manifest
                .iter()
                .flat_map(|m| m.items.iter())
                .filter_map(|i| {
                    Some(((i.title.as_str(), i.section.as_deref()), i.note.as_deref()?))
                })
                .collect();
            let row = |title: &str,
                       section: Option<&str>,
                       url: Option<&str>|
             -> Result<Row, StoreError> {
                let record = match url {
                    Some(u) => store.resource(u)?,
                    None => None,
                };
                let seed_page = url.is_some_and(|u| seed_pages.contains(u));
                let mut row = row_of(title, url, record.as_ref(), archive, view_whole, seed_page);
                row.note = notes.get(&(title, section)).map(|n| (*n).to_owned());
                Ok(row)
            };
            let title = snapshot.title.clone();
            let info = manifest.as_ref().map(|m| &m.page);
            let page = match &snapshot.page_url {
                Some(u) => {
                    let mut page = row(title.as_deref().unwrap_or(&id), None, Some(u))?;
                    page.note = info.and_then(|p| p.note.clone());
                    Some(page)
                }
                None => None,
            };
            let mut sections: Vec<(Option<String>, Vec<Row>)> = Vec::new();
            for item in &snapshot.items {
                let r = row(&item.title, item.section.as_deref(), item.url.as_deref())?;
                match sections.iter_mut().find(|(s, _)| *s == item.section) {
                    Some((_, rows)) => rows.push(r),
                    None => sections.push((item.section.clone(), vec![r])),
                }
            }
            seeds.push(SeedEntry {
                title,
                description: info.and_then(|p| p.description.clone()),
                publisher: info.and_then(|p| p.publisher.clone()),
                id,
                page,
                sections,
            });
        }
    }
    Ok(IndexPage {
        generated: now,
        run,
        later_run,
        last_verified: store.last_verification()?,
        seeds,
    })
}

fn row_of(
    title: &str,
    url: Option<&str>,
    record: Option<&ResourceRecord>,
    archive: &Archive,
    view_whole: bool,
    seed_page: bool,
) -> Row {
    let state = match (url, record) {
        (_, Some(r)) => r.state,
        (None, None) => State::Unresolved,
        (Some(u), None) if !(u.starts_with("http://") || u.starts_with("https://")) => {
            State::Skipped
        }
        // Listed but not checked (yet): nothing is known of it.
        (Some(_), None) => State::Unresolved,
    };
    let reason = match (url, record) {
        (_, Some(r)) => r.reason,
        (None, None) => Some(Reason::NoUrl),
        (Some(_), None) if state == State::Skipped => Some(Reason::UnsupportedScheme),
        (Some(_), None) => None,
    };
    let sha256 = record.and_then(|r| r.last_good_sha256);
    let recovered = record.and_then(|r| r.recovered.clone());
    Row {
        title: title.to_owned(),
        note: None,
        url: url.map(str::to_owned),
        state,
        reason,
        http_status: record.and_then(|r| r.http_status),
        last_checked: record.map(|r| r.last_checked),
        last_good_at: record.and_then(|r| r.last_good_at),
        bytes: record.and_then(|r| r.last_good_bytes),
        content_type: record.and_then(|r| r.last_good_content_type.clone()),
        copy: match (sha256, record) {
            (Some(s), Some(record)) => place(
                archive,
                crate::view::path(
                    &s,
                    record.last_good_content_type.as_deref(),
                    &record.url,
                    seed_page,
                ),
                view_whole,
            ),
            _ => Place::Missing,
        },
        sha256,
        recovered_copy: recovered.as_ref().map_or(Place::Missing, |r| {
            place(
                archive,
                Some(crate::view::any_path(
                    &r.sha256,
                    r.content_type.as_deref(),
                    &r.fetched_url,
                )),
                view_whole,
            )
        }),
        recovered,
    }
}

/// Where a copy opens from: its file in the `files/` view (`rel`) when the view holds it (known
/// when the view is whole, else looked at), the packs alone when the view does not hold such a
/// copy (`rel` is `None`).
fn place(archive: &Archive, rel: Option<String>, view_whole: bool) -> Place {
    match rel {
        None => Place::Packs,
        Some(rel) if view_whole || archive.root().join(&rel).is_file() => Place::View(rel),
        Some(_) => Place::Missing,
    }
}
