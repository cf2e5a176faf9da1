//! What failed for many lines of one run, said once with its count: a web archive that stopped
//! answering, a host that could not be reached.

use std::io::{self, Write};

use super::plural;
use crate::model::{ArchiveLookup, NOT_ASKED_AGAIN, Reason};
use crate::report::RunReport;
use crate::report::formats::webarchive;

/// Web archives that could not be reached in this run: once one is marked down, every later
/// lookup skips it with a note (`wayback: not asked again in this run (…)`), and the lookups made
/// while it went down carry the error itself. Said once, with the count of lookups left without
/// its answer, instead of under each broken line. The JSON keeps every note.
/// Hosts too: links on one host that could not be reached (DNS, connection, TLS, timeout) keep
/// their `broken dns` label, and the host is said once with the count of its links.
pub(super) struct Outages {
    /// Per archive that went down: why (the first reason recorded), and how many lookups.
    down: Vec<(String, String, usize)>,
    /// Per host and network reason, with two links or more: how many links.
    hosts: Vec<(String, Reason, usize)>,
}

impl Outages {
    pub(super) fn of(report: &RunReport) -> Outages {
        let lookups = report
            .resources
            .iter()
            .filter_map(|r| r.archive_lookup.as_deref())
            .chain(report.seeds.iter().filter_map(|s| s.page_lookup.as_ref()));
        let mut down: Vec<(String, String, usize)> = Vec::new();
        for lookup in lookups.clone() {
            for note in &lookup.notes {
                let Some((name, rest)) = note.split_once(": ") else {
                    continue;
                };
                let Some(why) = rest
                    .strip_prefix(NOT_ASKED_AGAIN)
                    .and_then(|w| w.strip_prefix(" ("))
                    .and_then(|w| w.strip_suffix(')'))
                else {
                    continue;
                };
                if !down.iter().any(|(n, _, _)| n == name) {
                    down.push((name.to_owned(), why.to_owned(), 0));
                }
            }
        }
        let mut hosts: Vec<(String, Reason, usize)> = Vec::new();
        for r in &report.resources {
            let Some(reason @ (Reason::Dns | Reason::Connect | Reason::Tls | Reason::Timeout)) =
                r.reason
            else {
                continue;
            };
            let Some(host) = r
                .url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .and_then(|u| u.host_str().map(str::to_owned))
            else {
                continue;
            };
            match hosts
                .iter_mut()
                .find(|(h, why, _)| *h == host && *why == reason)
            {
                Some((_, _, count)) => *count += 1,
                None => hosts.push((host, reason, 1)),
            }
        }
        hosts.retain(|(_, _, count)| *count > 1);
        // In an outage every host failed for one reason, said once on stderr.
        if report.run.outage.is_some() {
            hosts.clear();
        }
        for (name, _, count) in &mut down {
            *count = lookups
                .clone()
                .filter(|l| l.notes.iter().any(|n| Self::folds(name, n)))
                .count();
        }
        Outages { down, hosts }
    }

    /// Whether `note` is archive `name` failing to answer: skipped as down, or the error of a
    /// question asked while it went down (anything but an answer about the resource).
    fn folds(name: &str, note: &str) -> bool {
        let Some(rest) = note.strip_prefix(name).and_then(|r| r.strip_prefix(": ")) else {
            return false;
        };
        !(rest == "no snapshot"
            || rest.starts_with("the closest capture (")
            || rest.contains(" could not be recovered on "))
    }

    /// The archives down in this run that left `lookup` without their answer.
    pub(super) fn names_in(&self, lookup: &ArchiveLookup) -> Vec<&str> {
        self.down
            .iter()
            .filter(|(name, _, _)| lookup.notes.iter().any(|n| Self::folds(name, n)))
            .map(|(name, _, _)| name.as_str())
            .collect()
    }

    /// `lookup` without the notes said once at the end.
    pub(super) fn trim(&self, lookup: &ArchiveLookup) -> ArchiveLookup {
        let mut trimmed = lookup.clone();
        trimmed
            .notes
            .retain(|n| !self.down.iter().any(|(name, _, _)| Self::folds(name, n)));
        trimmed
    }

    pub(super) fn render(&self, out: &mut dyn Write) -> io::Result<()> {
        for (name, why, count) in &self.down {
            writeln!(
                out,
                "{name} unreachable in this run ({}): {}",
                webarchive::brief(why),
                plural(
                    *count as u64,
                    "lookup without its answer",
                    "lookups without its answer"
                )
            )?;
        }
        for (host, reason, count) in &self.hosts {
            writeln!(
                out,
                "{host} unreachable in this run ({reason}): {}",
                plural(*count as u64, "link", "links")
            )?;
        }
        Ok(())
    }
}
