//! `linkward seed list`: the seeds an archive tracks (what the index, the BagIt export and
//! reports cover), each with its runs and what its latest one listed.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::report::terminal_safe::TerminalSafe;
use crate::report::{Render, Terminal};

/// The version of `seed list --format json`; bumped only on an incompatible change.
pub const SEED_LIST_VERSION: u32 = 1;

/// Every seed an archive tracks, in the order runs first named them.
#[derive(Clone, Debug, Serialize)]
pub struct SeedList {
    pub version: u32,
    pub seeds: Vec<SeedRow>,
}

/// One tracked seed.
#[derive(Clone, Debug, Serialize)]
pub struct SeedRow {
    /// How runs name it: the URL, file or manifest `check` was given.
    pub seed: String,
    pub title: Option<String>,
    pub page_url: Option<String>,
    /// How many runs checked it (since it was last forgotten).
    pub runs: usize,
    pub first_run: u64,
    pub latest_run: u64,
    pub latest_started: DateTime<Utc>,
    /// Links its latest list holds.
    pub listed: usize,
}

impl Render<SeedList> for Terminal {
    fn render(&self, list: &SeedList, out: &mut dyn Write) -> io::Result<()> {
        let out = &mut TerminalSafe::new(out, self.color);
        if list.seeds.is_empty() {
            return writeln!(out, "no seed tracked: run `linkward check` first");
        }
        writeln!(
            out,
            "{:>5}  {:>6}  {:<16}  {:>5}  seed",
            "runs", "latest", "started (UTC)", "links"
        )?;
        for s in &list.seeds {
            writeln!(
                out,
                "{:>5}  {:>6}  {:<16}  {:>5}  {}",
                s.runs,
                s.latest_run,
                s.latest_started.format("%Y-%m-%d %H:%M"),
                s.listed,
                s.seed
            )?;
            if let Some(title) = &s.title {
                writeln!(out, "{:40}{title}", "")?;
            }
            if let Some(page) = s.page_url.as_ref().filter(|p| **p != s.seed) {
                writeln!(out, "{:40}{page}", "")?;
            }
        }
        Ok(())
    }
}
