//! `linkward seed recover`'s report: the manifest's page, the snapshot web archives gave of it,
//! the links recovered from it by item title and the titles no link names, and how many items
//! were written into the manifest; as JSON or on a terminal.

use crate::report::terminal_safe::TerminalSafe;
use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::model::{ArchiveLookup, RecoveredLink};
use crate::report::{RecoveredCopy, Render, Terminal};

/// What `linkward seed recover` found, and what it wrote.
#[derive(Debug, Serialize)]
pub struct SeedRecovery {
    pub manifest: PathBuf,
    pub page_url: String,
    pub lookup: ArchiveLookup,
    /// The page's snapshot as kept in the archive.
    pub recovered: Option<RecoveredCopy>,
    pub links: Vec<RecoveredLink>,
    /// Titles of the items no link of the snapshot names.
    pub unmatched: Vec<String>,
    /// Items of the manifest rewritten (0 with --dry-run).
    pub written: usize,
}

/// On a terminal: the snapshot, a line per link recovered and per title not found, and a count.
impl Render<SeedRecovery> for Terminal {
    fn render(&self, found: &SeedRecovery, out: &mut dyn Write) -> io::Result<()> {
        let out = &mut TerminalSafe::new(out, self.color);
        writeln!(out, "{} ({})", found.manifest.display(), found.page_url)?;
        match &found.lookup.snapshot {
            Some(s) => writeln!(
                out,
                "  snapshot {} of {} ({})",
                s.url,
                s.datetime.format("%Y-%m-%d %H:%M:%S UTC"),
                s.archive
            )?,
            None => writeln!(out, "  no snapshot of the page in the web archives asked")?,
        }
        for note in &found.lookup.notes {
            writeln!(out, "  note: {note}")?;
        }
        for l in &found.links {
            writeln!(out, "  recovered  {}  <-  {:?}", l.url, l.title)?;
        }
        for t in &found.unmatched {
            writeln!(out, "  not found  {t:?}")?;
        }
        writeln!(
            out,
            "{} of {} items recovered; {} written into the manifest",
            found.links.len(),
            found.links.len() + found.unmatched.len(),
            found.written
        )
    }
}
