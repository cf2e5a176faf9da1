//! Errors that stop a run before or while it sets up: bad seeds, an unusable archive, a store
//! that cannot be opened. A broken link is never one of these: it is a `State` in the results.

use std::path::PathBuf;

use crate::archive::ArchiveError;
use crate::lock::LockError;
use crate::seed::SeedError;
use crate::store::StoreError;

/// Why a run could not start or could not record its results.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Body(#[from] crate::bodies::BodyError),
    #[error(
        "could not move the archive's format-1 blobs into a pack: {0}; the archive is unchanged where this stopped, run the command again"
    )]
    Upgrade(std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Warc(#[from] crate::warc::WarcError),
    #[error(transparent)]
    Notify(#[from] crate::notify::NotifyError),
    #[error("ignore rules: {0}; fix the pattern or selector in linkward.toml or the manifest")]
    Ignore(String),
    #[error("a fetch task of the run stopped: {0}")]
    Task(String),
    #[error("could not build the HTTP client: {0}")]
    Client(String),
    #[error("no seed given and no seed manifest (*.toml) found in {}: give a URL, an HTML file or a manifest", .0.display())]
    NoSeeds(PathBuf),
    #[error("no linkward archive at {}: pass the folder `linkward check` archived into with --archive", .0.display())]
    NoArchive(PathBuf),
    #[error("the manifest {} has no [page] url: there is no page to look up in web archives; add the page's URL", .0.display())]
    NoPageUrl(PathBuf),
    #[error("{url} gave no page to write a manifest from: {why}")]
    SeedPage { url: String, why: String },
    #[error("could not make a scratch folder for the page: {0}")]
    Scratch(std::io::Error),
    #[error("no web archive to ask: --wayback is off and no --timegate is given; give one of them")]
    NoWebArchive,
    #[error("the archive {} tracks no seed named {name}; {}", archive.display(), tracked_list(tracked))]
    UnknownSeed {
        archive: PathBuf,
        name: String,
        tracked: Vec<String>,
    },
    #[error("could not read {} while verifying the archive: {source}", path.display())]
    Verify {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The seeds an archive tracks, for an error that names one it does not.
fn tracked_list(tracked: &[String]) -> String {
    if tracked.is_empty() {
        String::from("it tracks none (run `linkward check` first)")
    } else {
        format!(
            "it tracks {} (`linkward seed list` shows them)",
            tracked.join(", ")
        )
    }
}
