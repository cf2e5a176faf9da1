//! What web archives said and gave, as kept in the store and shown in reports: a snapshot, the
//! answer of a lookup, a copy recovered into our own archive, and a seed page's recovered links.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Sha256;

/// How a lookup's note says an archive was skipped because it stopped answering earlier in the
/// run: `<archive>: not asked again in this run (<why>)`. Written by `rescue`, read back by the
/// terminal report, which says such an outage once per run instead of under every line.
pub const NOT_ASKED_AGAIN: &str = "not asked again in this run";

/// One archived capture of a URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Who holds it: `wayback`, or the TimeGate's URL.
    pub archive: String,
    /// The memento as the archive shows it to people.
    pub url: String,
    pub datetime: DateTime<Utc>,
    /// The HTTP status the archive recorded for the capture, when it says.
    pub status: Option<u16>,
}

impl Snapshot {
    /// A capture of an error page is no copy of the document.
    pub fn is_usable(&self) -> bool {
        self.status.is_none_or(|s| (200..300).contains(&s))
    }
}

/// What the archives said about one URL, for one target date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArchiveLookup {
    /// The date the closest snapshot was asked for.
    pub target: DateTime<Utc>,
    /// The usable snapshot closest to `target` across every archive asked; `None` when no
    /// archive has one.
    pub snapshot: Option<Snapshot>,
    /// Every answer came from the store's cache: no archive was asked in this run.
    #[serde(default)]
    pub cached: bool,
    /// Why an archive gave nothing usable (a capture that is itself a 404, an error, a malformed
    /// answer), each starting with the archive's name.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Every usable snapshot found, closest first (`snapshot` is the first): a rescue that
    /// fails on one tries the next. Not kept or reported.
    #[serde(skip)]
    pub candidates: Vec<Snapshot>,
}

/// A copy of a resource recovered from a web archive and kept in our own archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovered {
    pub sha256: Sha256,
    pub bytes: u64,
    pub content_type: Option<String>,
    /// `wayback`, or the TimeGate's URL.
    pub archive: String,
    /// The memento as the archive shows it to people.
    pub memento_url: String,
    /// What was downloaded: the memento in its original form (Wayback's `id_`), unrewritten.
    pub fetched_url: String,
    pub memento_datetime: DateTime<Utc>,
    pub recovered_at: DateTime<Utc>,
}

/// A link of a seed page's snapshot matched to an item the seed lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveredLink {
    /// The item's title, as the seed lists it.
    pub title: String,
    pub section: Option<String>,
    /// The original URL the snapshot's link pointed to.
    pub url: String,
    /// The link's text in the snapshot.
    pub link_text: String,
    pub archive: String,
    pub memento_url: String,
    pub memento_datetime: DateTime<Utc>,
}
