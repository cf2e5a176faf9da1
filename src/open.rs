//! Opening an existing archive for reading (index, get, export, verify, report, history): the
//! store is opened under the archive lock and never created, so a mistyped --archive is an error
//! rather than a new empty archive.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use url::Url;

use crate::error::Error;
use crate::lock::ArchiveLock;
use crate::report::changes::ChangeReport;
use crate::report::history::History;
use crate::review::{self, WindowSpec};
use crate::store::Store;

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

/// The change report over `window`, from the archive's store alone.
pub fn change_report(
    archive_dir: &Path,
    window: WindowSpec,
    wait: Duration,
) -> Result<ChangeReport, Error> {
    let (_lock, store) = open_existing(archive_dir, wait)?;
    let mut report = review::build(&store, window, Utc::now())?;
    report.archive_dir = Some(archive_dir.to_path_buf());
    Ok(report)
}

/// One URL's record and checks, read from the archive's store (which must exist).
pub fn history(archive_dir: &Path, url: &str, wait: Duration) -> Result<History, Error> {
    let (_lock, store) = open_existing(archive_dir, wait)?;
    // Accept the URL as typed: normalised the way listed links are.
    let key = Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.to_string());
    Ok(History {
        resource: store.resource(&key)?,
        checks: store.history(&key)?,
        url: key,
    })
}
