//! `linkward history URL`: one resource's timeline, from the store only: each check, what web
//! archives said of it when it was broken and the copy recovered then, and the latest good and
//! recovered copies, each with its provenance and never one standing for the other.

use crate::report::terminal_safe::TerminalSafe;
use std::io::{self, Write};

use serde::Serialize;

use crate::model::Recovered;
use crate::report::formats::webarchive;
use crate::report::{Render, Terminal};
use crate::store::{CheckRecord, ResourceRecord};

/// The indent of the lines under a check's row: past its run number.
const UNDER: &str = "         ";

fn second(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A resource's latest record and every check of it, oldest first.
#[derive(Clone, Debug, Serialize)]
pub struct History {
    pub url: String,
    pub resource: Option<ResourceRecord>,
    pub checks: Vec<CheckRecord>,
}

/// On a terminal: a row per check with what web archives said under it, then the latest copies.
impl Render<History> for Terminal {
    fn render(&self, history: &History, out: &mut dyn Write) -> io::Result<()> {
        terminal(history, &mut TerminalSafe::new(out, self.color))
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
        if c.change == Some(crate::model::Change::Inconclusive) {
            writeln!(
                out,
                "{UNDER}run {} was inconclusive (the network here was down): not judged",
                c.run_id
            )?;
        }
        web_archives(c, out)?;
    }
    if let Some(r) = &h.resource {
        let good = r.last_good_at.map_or(String::from("never"), |t| second(&t));
        writeln!(out, "  last good copy: {good}")?;
        if let Some(copy) = &r.recovered {
            writeln!(
                out,
                "  web archive copy: {}",
                webarchive::recovered_from(copy)
            )?;
            provenance(copy, "    ", out)?;
        }
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

/// Under a check: the archives' answer (the snapshot, or why there is none, with the target date
/// asked for) and the copy recovered in that check.
fn web_archives(c: &CheckRecord, out: &mut dyn Write) -> io::Result<()> {
    if let Some(lookup) = &c.archive_lookup {
        let asked = format!(
            "asked for {}{}",
            lookup.target.format("%Y-%m-%d"),
            if lookup.cached { ", cached answer" } else { "" }
        );
        match &lookup.snapshot {
            Some(s) => {
                writeln!(
                    out,
                    "{UNDER}closest snapshot: {} ({}, {asked})",
                    s.url,
                    webarchive::snapshot_label(s)
                )?;
                for note in webarchive::notes(lookup) {
                    writeln!(out, "{UNDER}note: {note}")?;
                }
            }
            None => writeln!(out, "{UNDER}{}; {asked}", webarchive::absence(lookup))?,
        }
    }
    if let Some(copy) = &c.recovered {
        writeln!(out, "{UNDER}{}", webarchive::recovered_from(copy))?;
        provenance(copy, &format!("{UNDER}  "), out)?;
    }
    Ok(())
}

/// Where a recovered copy came from and where it is kept: what an archivist cites.
fn provenance(copy: &Recovered, indent: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{indent}memento:   {}", copy.memento_url)?;
    writeln!(out, "{indent}fetched:   {}", copy.fetched_url)?;
    writeln!(
        out,
        "{indent}kept as:   {} ({} bytes{}), recovered {}",
        crate::view::any_path(
            &copy.sha256,
            copy.content_type.as_deref(),
            &copy.fetched_url
        ),
        copy.bytes,
        copy.content_type
            .as_deref()
            .map(|t| format!(", {t}"))
            .unwrap_or_default(),
        second(&copy.recovered_at)
    )
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::config::Format;
    use crate::model::{ArchiveLookup, Reason, Sha256, Snapshot, State};
    use crate::report::renderer;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .unwrap_or_default()
    }

    const MEMENTO: &str = "http://archive.example/web/20070504101112/http://h/p.pdf";

    fn history() -> History {
        let copy = Recovered {
            sha256: Sha256([0xcd; 32]),
            bytes: 1234,
            content_type: Some("application/pdf".into()),
            archive: "wayback".into(),
            memento_url: MEMENTO.into(),
            fetched_url: MEMENTO.replace("112/", "112id_/"),
            memento_datetime: at(2007, 5, 4, 10, 11, 12),
            recovered_at: at(2026, 11, 28, 6, 0, 5),
        };
        let broken = |run_id: u64, day: u32| CheckRecord {
            run_id,
            url: "http://h/p.pdf".into(),
            checked_at: at(2026, 11, day, 6, 0, 0),
            state: State::Broken,
            reason: Some(Reason::NotFound),
            http_status: Some(404),
            ..CheckRecord::default()
        };
        let first = CheckRecord {
            archive_lookup: Some(Box::new(ArchiveLookup {
                candidates: Vec::new(),
                target: at(2007, 5, 1, 0, 0, 0),
                snapshot: None,
                cached: false,
                notes: vec![
                    "wayback: no snapshot".into(),
                    "http://tg.example/: the TimeGate answered HTTP 503".into(),
                ],
            })),
            ..broken(1, 27)
        };
        let second = CheckRecord {
            archive_lookup: Some(Box::new(ArchiveLookup {
                candidates: Vec::new(),
                target: at(2007, 5, 1, 0, 0, 0),
                snapshot: Some(Snapshot {
                    archive: "wayback".into(),
                    url: MEMENTO.into(),
                    datetime: copy.memento_datetime,
                    status: Some(200),
                }),
                cached: true,
                notes: vec!["http://tg.example/: no snapshot".into()],
            })),
            recovered: Some(Box::new(copy.clone())),
            ..broken(2, 28)
        };
        let mut resource = crate::store::ResourceRecord::apply(None, &first);
        resource = crate::store::ResourceRecord::apply(Some(resource), &second);
        resource.recovered = Some(copy);
        History {
            url: "http://h/p.pdf".into(),
            resource: Some(resource),
            checks: vec![first, second],
        }
    }

    #[test]
    fn each_check_shows_the_archives_answer_and_the_copy_recovered() -> io::Result<()> {
        let mut out = Vec::new();
        renderer(Format::Terminal, false).render(&history(), &mut out)?;
        let text = String::from_utf8_lossy(&out);
        let blob = format!("files/cd/{}.pdf", Sha256([0xcd; 32]).to_hex());
        for line in [
            "         no snapshot in wayback (http://tg.example/: the TimeGate answered HTTP 503); asked for 2007-05-01",
            &format!(
                "         closest snapshot: {MEMENTO} (wayback, 2007-05-04 10:11 UTC, asked for 2007-05-01, cached answer)"
            ),
            "         recovered from wayback snapshot of 2007-05-04 10:11 UTC",
            &format!("           memento:   {MEMENTO}"),
            "           fetched:   http://archive.example/web/20070504101112id_/http://h/p.pdf",
            &format!(
                "           kept as:   {blob} (1234 bytes, application/pdf), recovered 2026-11-28 06:00:05 UTC"
            ),
            "  last good copy: never",
            "  web archive copy: recovered from wayback snapshot of 2007-05-04 10:11 UTC",
            &format!("    memento:   {MEMENTO}"),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "no line {line:?} in\n{text}"
            );
        }
        // Under its own check: after the row of run 2, not of run 1.
        let row = text.find("\n      2  2026-11-28");
        let copy = text.find("         recovered from");
        assert!(row.is_some() && copy.is_some() && row < copy, "{text}");
        Ok(())
    }

    #[test]
    fn the_json_history_carries_the_lookups_and_the_copies()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut out = Vec::new();
        renderer(Format::Json, false).render(&history(), &mut out)?;
        let v: serde_json::Value = serde_json::from_slice(&out)?;
        assert_eq!(v["checks"][1]["archive_lookup"]["snapshot"]["url"], MEMENTO);
        assert_eq!(v["checks"][1]["recovered"]["memento_url"], MEMENTO);
        assert_eq!(v["resource"]["recovered"]["archive"], "wayback");
        assert!(v["resource"]["last_good_sha256"].is_null());
        Ok(())
    }
}
