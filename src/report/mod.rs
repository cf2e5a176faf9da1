//! Every document linkward writes for a person or a program to read, and one way of writing
//! them: the run report (`check`), the change report (`report`, `--notify`), a resource's
//! history, verify's report, seed recover's report and the offline index's page. (What it keeps,
//! blobs, WARC files, bags and rewritten manifests, is written elsewhere, and the one-line
//! confirmations of `index` and `export bagit` are the binary's.)
//! Documents are plain data gathered elsewhere; nothing here fetches, reads the store or writes
//! the archive, and nothing here imports a module above it (check, verify, index, the binary).
//!
//! One trait, `Render<D>`: a format is a type implementing it for each document `D` it writes,
//! `fn render(&self, doc: &D, out: &mut dyn Write) -> io::Result<()>`.
//!
//! - `RunReport` (here; its terminal form in terminal/): `Terminal`, `Json`;
//! - `History` (history.rs), `VerifyReport` (verify.rs), `SeedRecovery` (seed_recovery.rs):
//!   `Terminal`, `Json`;
//! - `ChangeReport` (changes.rs): `Markdown`, `Html`, `Junit`, `Atom` (a module each in formats/),
//!   `Json`;
//! - `IndexPage`, the page of `ARCHIVE/index.html` (index_html.rs): `Html`.
//!
//! `Json` (json.rs) is one impl for every document, by serde. A document's terminal form sits in
//! the document's module (the run report's in terminal/); each change report format has its
//! module in formats/. Callers choose with `renderer(Format, color)` (the `--format` of check,
//! history, verify and seed recover), `formats::renderer(ReportFormat)` (`report --format`), or by
//! naming the format (`Html` for index.html). A new format is one type and its impls; a new
//! document is one module holding its data and its impls.
//!
//! The field names and meanings of `RunReport` and its parts are the JSON contract documented in
//! the README: fields may be added, existing ones keep their meaning.

pub mod changes;
pub mod formats;
pub mod history;
pub mod index_html;
mod json;
pub mod seed_list;
pub mod seed_recovery;
mod terminal;
pub mod terminal_safe;
pub mod verify;

pub use json::Json;
pub use terminal::{Quiet, Terminal};

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{FailOn, Format};
use crate::model::{
    ArchiveLookup, Change, ItemChanges, Recovered, RecoveredLink, Significance, Soft404Rule,
};
use crate::model::{Hop, Kind, Reason, Sha256, State, Summary};
use crate::store::RunStatus;

/// Version of the JSON document; bumped only on an incompatible change.
pub const JSON_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub version: u32,
    pub run: RunInfo,
    pub summary: Summary,
    pub seeds: Vec<SeedReport>,
    pub resources: Vec<ResourceReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    pub id: u64,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    /// `complete`, `interrupted` when a signal stopped the run, or `inconclusive` when the
    /// network here was down (see `outage`).
    pub status: RunStatus,
    /// What showed the network here was down (the line `check` printed on stderr); null unless
    /// the run is inconclusive (or was interrupted during an outage).
    pub outage: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SeedReport {
    /// The seed as named on the command line (or the manifest's path).
    pub seed: String,
    pub title: Option<String>,
    pub page_url: Option<String>,
    /// The state of the seed page itself (`unresolved` for a manifest with no page URL).
    pub state: State,
    /// How many entries the seed lists (after merging a URL listed twice).
    pub listed: usize,
    pub missing_from_page: Vec<String>,
    pub new_on_page: Vec<String>,
    /// The list against the seed's previous run: added to / removed from the page, href changed.
    pub changes: ItemChanges,
    /// When the page is gone or its capture has no links: the snapshot of the page web archives
    /// were asked for (null when they were not asked).
    pub page_lookup: Option<ArchiveLookup>,
    /// Original URLs of listed items found in that snapshot, with their evidence; each is
    /// checked in the run like a listed URL.
    pub recovered_links: Vec<RecoveredLink>,
}

/// A copy recovered from a web archive that our archive holds.
#[derive(Clone, Debug, Serialize)]
pub struct RecoveredCopy {
    #[serde(flatten)]
    pub copy: Recovered,
    /// Path, relative to the archive dir, of its file in the `files/` view.
    pub archived: String,
}

impl RecoveredCopy {
    pub fn of(copy: &Recovered) -> RecoveredCopy {
        RecoveredCopy {
            archived: crate::view::any_path(
                &copy.sha256,
                copy.content_type.as_deref(),
                &copy.fetched_url,
            ),
            copy: copy.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ResourceReport {
    pub url: Option<String>,
    pub title: Option<String>,
    pub titles: Vec<String>,
    pub section: Option<String>,
    pub seed: String,
    pub kind: Kind,
    pub state: State,
    pub reason: Option<Reason>,
    pub http_status: Option<u16>,
    pub final_url: Option<String>,
    pub redirects: Vec<Hop>,
    pub sha256: Option<Sha256>,
    pub last_good_sha256: Option<Sha256>,
    pub bytes: Option<u64>,
    pub content_type: Option<String>,
    /// Path, relative to the archive dir, of the last good copy's file in the `files/` view.
    pub archived: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    pub elapsed_ms: Option<u64>,
    /// Requests made for this check, retries included (0 when nothing was requested).
    pub attempts: u32,
    /// Against the URL's previous check: new, unchanged, changed, newly-broken, still-broken,
    /// failing, recovered, moved (null when nothing was checked).
    pub change: Option<Change>,
    /// Failed checks in a row, this one included.
    pub failures: u32,
    /// For a 200 that really means "gone" (state broken, reason soft-404): the rule that fired.
    pub soft_404: Option<Soft404Rule>,
    /// For a changed resource: bytes-only, volatile or content.
    pub significance: Option<Significance>,
    /// For a changed resource: how alike the old and new texts are, 0 to 1.
    pub similarity: Option<f64>,
    /// For a changed text resource: a short unified diff against the last good copy.
    pub diff: Option<String>,
    /// The server answered 304 Not Modified: the archived copy is current and was not downloaded.
    pub not_modified: bool,
    /// For a broken resource: the snapshot closest to its date in the web archives asked, or
    /// that none exists (null when no archive was asked).
    pub archive_lookup: Option<Box<ArchiveLookup>>,
    /// The copy recovered from a web archive that the archive holds (null when none).
    pub recovered: Option<Box<RecoveredCopy>>,
    pub note: Option<String>,
    /// What went wrong, in the network layer's words (absent when nothing did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ResourceReport {
    /// The change as news tells it: a URL broken at its very first check is newly broken (as in
    /// the change report).
    pub fn news_change(&self) -> Option<Change> {
        match self.change {
            Some(Change::New) if self.state == State::Broken => Some(Change::NewlyBroken),
            c => c,
        }
    }

    /// Whether this check is news for a maintainer: newly broken (soft 404s among them), moved,
    /// recovered, or a change of content (not markup-only or volatile). Still broken and failing
    /// are standing conditions, not news.
    pub fn is_news(&self) -> bool {
        match self.news_change() {
            Some(Change::NewlyBroken | Change::Moved | Change::Recovered) => true,
            Some(Change::Changed) => self.significance == Some(Significance::Content),
            _ => false,
        }
    }

    /// Whether this resource makes `check` exit 1 under `--fail-on`. A state counts unless the
    /// resource is only failing (fewer than `--confirm` failures in a row: no alarm yet); a change
    /// counts as news tells it (`changed` only for content changes).
    pub fn fails(&self, fail_on: &[FailOn]) -> bool {
        fail_on.iter().any(|on| match *on {
            FailOn::State(state) => self.state == state && self.change != Some(Change::Failing),
            FailOn::Change(Change::Changed) => {
                self.news_change() == Some(Change::Changed)
                    && self.significance == Some(Significance::Content)
            }
            FailOn::Change(change) => self.news_change() == Some(change),
        })
    }
}

impl RunReport {
    /// Whether the run has news (see `ResourceReport::is_news`), a seed list change, or was
    /// interrupted or inconclusive: what `--quiet` prints, and nothing else.
    pub fn has_news(&self) -> bool {
        matches!(
            self.run.status,
            RunStatus::Interrupted | RunStatus::Inconclusive
        ) || self.resources.iter().any(ResourceReport::is_news)
            || self.seeds.iter().any(|s| !s.changes.is_empty())
    }
}

/// Writes one kind of document `D` in one format. A format is a type (`Terminal`, `Json`, and the
/// change report's `Markdown`, `Html`, `Junit`, `Atom`) that implements `Render<D>` for each
/// document it can write.
pub trait Render<D: ?Sized> {
    fn render(&self, doc: &D, out: &mut dyn Write) -> io::Result<()>;
}

/// The renderer of a document in `format`, as `check`, `history`, `verify` and `seed recover`
/// choose it with `--format`: its terminal form (coloured when `color`, where it has colour), or
/// JSON.
pub fn renderer<D>(format: Format, color: bool) -> Box<dyn Render<D>>
where
    D: Serialize,
    Terminal: Render<D>,
{
    match format {
        Format::Json => Box::new(Json),
        Format::Terminal => Box::new(Terminal { color }),
    }
}

/// Whether a URL may become a link in a document: only http(s). Every URL a report shows came
/// from a page, a server or a web archive, any of which may be hostile, and a `javascript:` or
/// `data:` link in a report or the offline index runs in the reader's browser. Anything else is
/// shown as text.
pub fn linkable(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `url` as an HTML link reading `text` when it is `linkable`, else `text` alone; both escaped.
pub(crate) fn html_link(url: &str, text: &str) -> String {
    let esc = formats::escape_xml;
    if linkable(url) {
        format!("<a href=\"{}\">{}</a>", esc(url), esc(text))
    } else {
        esc(text)
    }
}
