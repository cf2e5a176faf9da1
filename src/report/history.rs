//! `linkward history URL`: one resource's timeline, from the store only.

use std::io::{self, Write};

use serde::Serialize;

use crate::config::Format;
use crate::store::{CheckRecord, ResourceRecord};

/// A resource's latest record and every check of it, oldest first.
#[derive(Clone, Debug, Serialize)]
pub struct History {
    pub url: String,
    pub resource: Option<ResourceRecord>,
    pub checks: Vec<CheckRecord>,
}

pub fn render(history: &History, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, history)?;
            writeln!(out)
        }
        Format::Terminal => terminal(history, out),
    }
}

fn terminal(h: &History, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", h.url)?;
    if h.checks.is_empty() {
        return writeln!(out, "  never checked in this archive");
    }
    writeln!(
        out,
        "  {:>5}  {:<20}  {:<24}  {:>6}  {:<12}  {:<12}  {:>10}",
        "run", "checked (UTC)", "state", "status", "change", "sha256", "bytes"
    )?;
    for c in &h.checks {
        let state = match c.reason {
            Some(r) => format!("{} {}", c.state, r),
            None => c.state.to_string(),
        };
        let status = c.http_status.map_or(String::from("-"), |s| s.to_string());
        let change = c.change.map_or("-", |ch| ch.as_str());
        let sha = c
            .sha256
            .map_or(String::from("-"), |s| s.to_hex()[..12].to_string());
        let bytes = c.bytes.map_or(String::from("-"), |b| b.to_string());
        writeln!(
            out,
            "  {:>5}  {:<20}  {:<24}  {:>6}  {:<12}  {:<12}  {:>10}",
            c.run_id,
            c.checked_at.format("%Y-%m-%d %H:%M:%S"),
            state,
            status,
            change,
            sha,
            bytes
        )?;
    }
    if let Some(r) = &h.resource {
        let good = r.last_good_at.map_or(String::from("never"), |t| {
            t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
        });
        writeln!(out, "  last good copy: {good}")?;
        if let Some(since) = r.first_broken {
            writeln!(
                out,
                "  failing since {} ({} checks in a row)",
                since.format("%Y-%m-%d %H:%M:%S UTC"),
                r.failures
            )?;
        }
    }
    Ok(())
}
