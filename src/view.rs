//! The `files/` view: the latest good copy of each listed document and seed page (and each such
//! copy recovered from a web archive) as a plain file that a browser, a colleague or a web
//! server opens from disk: `files/<2 hex>/<sha256>.<ext>`, the extension from the copy's type (so
//! an HTML seed page renders rather than showing its source), readable by all. The view is
//! derived from the packs, which hold every version: written without fsync as the bodies it
//! holds are kept, completed and pruned by `refresh` (by every run that placed or recovered a
//! body, changed a URL's copies or tracks a seed page it did not, by every run after one that
//! did not leave the view whole: see `Store::set_view_whole`, and by `linkward index`), and never
//! read by linkward itself as a source of truth.
//!
//! What it holds is what people open as files: every copy but the live copy of an HTML page that
//! a seed links to (`holds`); a copy recovered from a web archive is there whatever its type, as
//! the one copy of something gone. Such a page alone, without its images, styles and the pages
//! it links to, is a poor copy: a WARC replay shows it whole, and `linkward get URL` writes it
//! out. Leaving those pages out spares a run a file per page (a fifth of a first run's time over
//! a site of pages) and their second copy on disk.
//!
//! During a run every 2xx body the view holds is placed as it is captured (`ViewSink`, on the
//! blocking pool, before anything has judged it): a body that turns out not to be a good copy (a
//! soft 404) is in the view until the run's `refresh` prunes it, which a killed run leaves to the
//! next one.

use std::collections::HashSet;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::archive::Held;
use crate::bodies::Bodies;
use crate::fetch::capture::{Capture, CaptureSink};
use crate::model::Sha256;
use crate::store::{Store, StoreError};

/// The view's folder under the archive root.
pub const FILES_DIR: &str = "files";
/// Mode of a view file: readable by everyone, like any file a person saves.
const FILE_MODE: u32 = 0o644;

/// A live copy's place in the view, relative to the archive root, `/`-separated, when the view
/// holds it (see `holds`): `url` is where the copy was fetched from (for its extension when its
/// type names none), `seed_page` whether it is a copy of a seed's page.
pub fn path(
    sha: &Sha256,
    content_type: Option<&str>,
    url: &str,
    seed_page: bool,
) -> Option<String> {
    holds(content_type, url, seed_page).then(|| any_path(sha, content_type, url))
}

/// The place in the view of a copy it holds whatever its type: a seed page's, or one recovered
/// from a web archive.
pub fn any_path(sha: &Sha256, content_type: Option<&str>, url: &str) -> String {
    let hex = sha.to_hex();
    let ext = crate::slug::extension(content_type, url);
    format!("{FILES_DIR}/{}/{hex}.{ext}", &hex[0..2])
}

/// Whether the view holds a copy of this type fetched from `url`: every copy but an HTML page
/// other than a seed page.
pub fn holds(content_type: Option<&str>, url: &str, seed_page: bool) -> bool {
    seed_page || !is_page(&crate::slug::extension(content_type, url))
}

/// Whether a copy with this extension is a web page (HTML or XHTML).
fn is_page(ext: &str) -> bool {
    matches!(ext, "html" | "htm" | "xhtml")
}

/// The URLs of the seeds' pages: their copies are in the view whatever their type.
#[derive(Clone, Debug, Default)]
pub struct SeedPages(HashSet<String>);

impl SeedPages {
    pub fn new(urls: impl IntoIterator<Item = String>) -> SeedPages {
        SeedPages(urls.into_iter().collect())
    }

    /// The pages of the seeds the store tracks, as of each one's latest complete run.
    pub fn of_store(store: &Store) -> Result<SeedPages, StoreError> {
        let lists = store.tracked_seed_lists()?;
        Ok(SeedPages::new(
            lists.into_iter().filter_map(|(_, s)| s.page_url),
        ))
    }

    pub fn contains(&self, url: &str) -> bool {
        self.0.contains(url)
    }

    /// Adds a seed's page (a run's own; a saved page's `file:` URL, known once the run reads it).
    pub fn insert(&mut self, url: String) {
        self.0.insert(url);
    }

    /// Whether this holds a page `before` did not.
    pub fn beyond(&self, before: &SeedPages) -> bool {
        self.0.iter().any(|url| !before.contains(url))
    }
}

/// Puts a body just kept at `rel`: a hard link to its temp file (about to be deleted) when the
/// file system allows, else a copy; a body held in memory is written straight to its name, with
/// no staging file (a file cut short by a crash has the wrong length, which `refresh` mends).
/// Failing costs only the view's file, which `refresh` writes again from the pack.
pub fn place(archive_root: &Path, rel: &str, body: &Held) {
    let target = archive_root.join(rel);
    let placed = match body {
        Held::Memory(bytes) => write_new(&target, bytes),
        Held::File(temp) => link_or_copy(&target, temp),
    };
    match placed {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => tracing::debug!("could not place {rel} in the files/ view: {e}"),
        Ok(()) => {}
    }
}

/// Creates `target` (and its folder, the first time) holding `bytes`; `AlreadyExists` when it is
/// there already.
fn write_new(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(target)
    };
    let mut file = match create() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            create()?
        }
        opened => opened?,
    };
    // Through the open file: the umask may have taken read rights from others.
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    let written = file.write_all(bytes);
    if written.is_err() {
        let _ = std::fs::remove_file(target);
    }
    written
}

/// Hard-links `target` to `temp`, or copies it there when the file system has no links.
fn link_or_copy(target: &Path, temp: &Path) -> io::Result<()> {
    if target.is_file() {
        return Ok(());
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // A link is whole at once: no staging needed. The mode is set first, on the temp file, so
    // the view never shows a file others cannot read.
    crate::archive::set_mode(temp, FILE_MODE)?;
    if std::fs::hard_link(temp, target).is_ok() {
        return Ok(());
    }
    let staged = staging_name(target);
    std::fs::copy(temp, &staged)?;
    crate::archive::set_mode(&staged, FILE_MODE)?;
    std::fs::rename(&staged, target)
}

/// Writes `target` through a staging file beside it, so the view never shows half a file.
fn write_staged(
    target: &Path,
    write: impl FnOnce(&mut io::BufWriter<std::fs::File>) -> io::Result<()>,
) -> io::Result<()> {
    let staged = staging_name(target);
    let written = (|| {
        let mut out = io::BufWriter::new(std::fs::File::create(&staged)?);
        write(&mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        // Through the open file: the umask may have taken read rights from others.
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
        drop(file);
        std::fs::rename(&staged, target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    written
}

/// Places each kept body in the view as its exchange is captured, then hands the exchange on to
/// the sink that archives it (the run's pack).
pub struct ViewSink {
    archive_root: PathBuf,
    inner: Arc<dyn CaptureSink>,
    seed_pages: SeedPages,
    /// Bodies offered to the view so far.
    placed: AtomicU64,
}

impl ViewSink {
    pub fn new(
        archive_root: &Path,
        inner: Arc<dyn CaptureSink>,
        seed_pages: SeedPages,
    ) -> ViewSink {
        ViewSink {
            archive_root: archive_root.to_path_buf(),
            inner,
            seed_pages,
            placed: AtomicU64::new(0),
        }
    }

    /// How many bodies were offered to the view (placed, or found there already).
    pub fn placed(&self) -> u64 {
        self.placed.load(Ordering::Relaxed)
    }
}

impl CaptureSink for ViewSink {
    fn capture(&self, capture: Capture) {
        // A seed page reached through a redirect is fetched from a URL not in `seed_pages`: the
        // run's `refresh` places it.
        if let (Some(kept), Some(body)) = (&capture.kept, &capture.decoded)
            && (200..300).contains(&capture.response.status)
            && let Some(rel) = path(
                &kept.sha256,
                kept.content_type.as_deref(),
                capture.target_uri.as_str(),
                self.seed_pages.contains(capture.target_uri.as_str()),
            )
        {
            place(&self.archive_root, &rel, body);
            self.placed.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.capture(capture);
    }
}

/// What a refresh did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Copies written from their packs.
    pub written: u64,
    /// Copies that could not be written (each logged): the view is not whole.
    pub failed: u64,
}

/// Writes every copy the store names that the view holds and lacks, from its pack, and removes
/// every file the store no longer names (an older version, a stray file, a page it does not hold).
pub fn refresh(
    archive_root: &Path,
    store: &Store,
    bodies: &Bodies,
    seed_pages: &SeedPages,
) -> Result<Refreshed, StoreError> {
    let mut wanted: HashSet<String> = HashSet::new();
    let mut done = Refreshed::default();
    for resource in store.all_resources() {
        let r = resource?;
        let mut copies = Vec::new();
        if let Some(sha) = r.last_good_sha256 {
            let content_type = r.last_good_content_type.as_deref();
            copies.extend(
                path(&sha, content_type, &r.url, seed_pages.contains(&r.url))
                    .map(|rel| (rel, sha, r.last_good_bytes)),
            );
        }
        if let Some(c) = &r.recovered {
            let rel = any_path(&c.sha256, c.content_type.as_deref(), &c.fetched_url);
            copies.push((rel, c.sha256, Some(c.bytes)));
        }
        for (rel, sha, bytes) in copies {
            // A file of another length was cut short (by a crash while it was placed).
            let whole = std::fs::metadata(archive_root.join(&rel))
                .is_ok_and(|m| m.is_file() && bytes.is_none_or(|b| m.len() == b));
            if !whole {
                if write_from_pack(archive_root, &rel, &sha, bodies) {
                    done.written += 1;
                } else {
                    done.failed += 1;
                }
            }
            wanted.insert(rel);
        }
    }
    prune(archive_root, &wanted);
    // There even when it holds nothing: a view that is not there is one never refreshed.
    if let Err(e) = std::fs::create_dir_all(archive_root.join(FILES_DIR)) {
        tracing::warn!("could not make the files/ view's folder: {e}");
        done.failed += 1;
    }
    Ok(done)
}

fn write_from_pack(archive_root: &Path, rel: &str, sha: &Sha256, bodies: &Bodies) -> bool {
    let target = archive_root.join(rel);
    let written = (|| -> io::Result<()> {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_staged(&target, |out| {
            bodies
                .copy_into(sha, out)
                .map(drop)
                .map_err(io::Error::other)
        })
    })();
    match written {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!("could not write {rel} in the files/ view: {e}");
            false
        }
    }
}

/// Removes what the view should not hold; folders left empty go too.
fn prune(archive_root: &Path, wanted: &HashSet<String>) {
    let root = archive_root.join(FILES_DIR);
    let Ok(folders) = std::fs::read_dir(&root) else {
        return;
    };
    for folder in folders.flatten() {
        let path = folder.path();
        let name = folder.file_name().to_string_lossy().into_owned();
        if !folder.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let Ok(files) = std::fs::read_dir(&path) else {
            continue;
        };
        for file in files.flatten() {
            let rel = format!("{FILES_DIR}/{name}/{}", file.file_name().to_string_lossy());
            if !wanted.contains(&rel) {
                if file.file_type().is_ok_and(|t| t.is_dir()) {
                    let _ = std::fs::remove_dir_all(file.path());
                } else {
                    let _ = std::fs::remove_file(file.path());
                }
            }
        }
        let _ = std::fs::remove_dir(&path);
    }
}

/// A name beside `target` for a file on its way there, unique to this process and moment.
fn staging_name(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(format!(
        ".part-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    PathBuf::from(name)
}
