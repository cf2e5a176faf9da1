//! The change report as JUnit XML, for CI dashboards: one testsuite per seed, one testcase per
//! resource seen in the window (every timeline and every entry's URL).
//!
//! A resource's outcome is its latest news: a `<failure>` when it is broken (newly, still, or as a
//! soft 404), `<skipped>` when it is failing but not yet confirmed broken, or when it was not
//! checked at all (robots, unsupported scheme); otherwise it passes. When the resource was
//! checked again after its latest entry (an unchanged run produces no entry), that later check
//! decides. A failure's text ends with what web archives hold of the link (the closest snapshot
//! or that none exists, and a recovered copy). Suite and root attributes count exactly the
//! testcases written. When a run of the window was interrupted, every suite carries the
//! property `interrupted-runs` (their ids, space-separated); likewise `inconclusive-runs` for
//! runs during which the network here was down.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::outline::{self, name};
use super::{escape_xml as esc, minute};
use crate::model::Change;
use crate::model::State;
use crate::report::Render;
use crate::report::changes::{Cell, ChangeReport, Entry};

pub struct Junit;

/// The suite for resources that belong to no seed.
const NO_SEED: &str = "linkward";

enum Outcome {
    Pass,
    Failure {
        kind: String,
        message: String,
        detail: String,
    },
    Skipped {
        message: String,
    },
}

struct Case {
    name: String,
    classname: String,
    outcome: Outcome,
}

impl Render<ChangeReport> for Junit {
    fn render(&self, report: &ChangeReport, out: &mut dyn Write) -> io::Result<()> {
        let suites = suites(report);
        let count = |f: fn(&Outcome) -> bool| -> usize {
            suites
                .iter()
                .flat_map(|(_, cases)| cases)
                .filter(|c| f(&c.outcome))
                .count()
        };
        let tests: usize = suites.iter().map(|(_, cases)| cases.len()).sum();
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="linkward" tests="{tests}" failures="{}" errors="0" skipped="{}">"#,
            count(|o| matches!(o, Outcome::Failure { .. })),
            count(|o| matches!(o, Outcome::Skipped { .. })),
        )?;
        let timestamp = report.generated.format("%Y-%m-%dT%H:%M:%S");
        // Runs stopped by a signal or the deadline: their links were not all checked.
        let interrupted: Vec<String> = report
            .interrupted_runs()
            .iter()
            .map(u64::to_string)
            .collect();
        // Runs during which the network here was down: their checks judged nothing.
        let inconclusive: Vec<String> = report
            .inconclusive_runs()
            .iter()
            .map(u64::to_string)
            .collect();
        for (suite, cases) in &suites {
            let failures = cases
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Failure { .. }))
                .count();
            let skipped = cases
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Skipped { .. }))
                .count();
            writeln!(
                out,
                r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="0" skipped="{skipped}" timestamp="{timestamp}">"#,
                esc(suite),
                cases.len(),
            )?;
            let mut properties = Vec::new();
            if !interrupted.is_empty() {
                properties.push(format!(
                    r#"<property name="interrupted-runs" value="{}"/>"#,
                    interrupted.join(" ")
                ));
            }
            if !inconclusive.is_empty() {
                properties.push(format!(
                    r#"<property name="inconclusive-runs" value="{}"/>"#,
                    inconclusive.join(" ")
                ));
            }
            if !properties.is_empty() {
                writeln!(out, "    <properties>{}</properties>", properties.concat())?;
            }
            for case in cases {
                let open = format!(
                    r#"    <testcase name="{}" classname="{}""#,
                    esc(&case.name),
                    esc(&case.classname)
                );
                match &case.outcome {
                    Outcome::Pass => writeln!(out, "{open}/>")?,
                    Outcome::Failure {
                        kind,
                        message,
                        detail,
                    } => {
                        writeln!(out, "{open}>")?;
                        writeln!(
                            out,
                            r#"      <failure type="{}" message="{}">{}</failure>"#,
                            esc(kind),
                            esc(message),
                            esc(detail)
                        )?;
                        writeln!(out, "    </testcase>")?;
                    }
                    Outcome::Skipped { message } => {
                        writeln!(out, "{open}>")?;
                        writeln!(out, r#"      <skipped message="{}"/>"#, esc(message))?;
                        writeln!(out, "    </testcase>")?;
                    }
                }
            }
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")
    }
}

/// The testcases, per suite: the report's seeds in their order, then any other seed, then the
/// resources of no seed.
fn suites(report: &ChangeReport) -> Vec<(String, Vec<Case>)> {
    struct Resource<'a> {
        seed: Option<&'a str>,
        section: Option<&'a str>,
        title: Option<&'a str>,
        last_cell: Option<&'a Cell>,
        latest: Option<&'a Entry>,
    }
    let mut resources: BTreeMap<&str, Resource> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for t in &report.timelines {
        let last_cell = t.cells.iter().rev().flatten().next();
        resources.entry(&t.url).or_insert_with(|| {
            order.push(&t.url);
            Resource {
                seed: t.seed.as_deref(),
                section: t.section.as_deref(),
                title: t.title.as_deref(),
                last_cell,
                latest: None,
            }
        });
    }
    for e in &report.entries {
        let r = resources.entry(&e.url).or_insert_with(|| {
            order.push(&e.url);
            Resource {
                seed: e.seed.as_deref(),
                section: e.section.as_deref(),
                title: e.title.as_deref(),
                last_cell: None,
                latest: None,
            }
        });
        if r.latest.is_none_or(|l| e.run_id > l.run_id) {
            r.latest = Some(e);
        }
    }

    let mut suites: Vec<(String, Vec<Case>)> = report
        .seeds
        .iter()
        .map(|s| (s.seed.clone(), Vec::new()))
        .collect();
    for url in order {
        let Some(r) = resources.get(url) else {
            continue;
        };
        let suite = r.seed.unwrap_or(NO_SEED);
        let classname = match r.section {
            Some(section) => format!("{suite}/{section}"),
            None => suite.to_string(),
        };
        let case = Case {
            name: match r.title {
                Some(t) if !t.trim().is_empty() => t.trim().to_string(),
                _ => url.to_string(),
            },
            classname,
            outcome: outcome(url, r.latest, r.last_cell),
        };
        match suites.iter_mut().find(|(name, _)| name == suite) {
            Some((_, cases)) => cases.push(case),
            None => suites.push((suite.to_string(), vec![case])),
        }
    }
    // A suite of no testcases says nothing; the document keeps one so it is never empty.
    suites.retain(|(_, cases)| !cases.is_empty());
    if suites.is_empty() {
        suites.push((NO_SEED.to_string(), Vec::new()));
    }
    suites
}

fn outcome(url: &str, latest: Option<&Entry>, last_cell: Option<&Cell>) -> Outcome {
    let newer_check = match (latest, last_cell) {
        (Some(e), Some(c)) if c.run_id > e.run_id => Some(c),
        (None, Some(c)) => Some(c),
        _ => None,
    };
    if let Some(c) = newer_check {
        let mut message = vec![c.state.to_string()];
        if let Some(reason) = c.reason {
            message.push(reason.to_string());
        }
        if let Some(status) = c.http_status {
            message.push(format!("HTTP {status}"));
        }
        let message = message.join(", ");
        return match c.state {
            State::Broken => Outcome::Failure {
                kind: String::from("broken"),
                detail: format!(
                    "{url}\nchecked {} (run {})",
                    minute(&c.checked_at),
                    c.run_id
                ),
                message,
            },
            State::Skipped | State::Unresolved => Outcome::Skipped { message },
            State::Ok | State::Redirected => Outcome::Pass,
        };
    }
    let Some(e) = latest else {
        return Outcome::Pass;
    };
    let mut message = vec![e.state.to_string()];
    match (&e.soft_404, e.reason) {
        (Some(rule), _) => message.push(format!("soft-404 ({})", super::kebab(rule))),
        (None, Some(reason)) => message.push(reason.to_string()),
        (None, None) => {}
    }
    if let Some(status) = e.http_status {
        message.push(format!("HTTP {status}"));
    }
    let message = message.join(", ");
    if e.change == Change::Failing {
        return Outcome::Skipped {
            message: format!(
                "failing, not yet confirmed broken: {message} ({} in a row)",
                match e.failures {
                    0 | 1 => String::from("1 failed check"),
                    n => format!("{n} failed checks"),
                }
            ),
        };
    }
    match e.state {
        State::Broken => {
            let mut detail = vec![format!("{}: {}", outline::label(e), name(e)), e.url.clone()];
            detail.extend(outline::facts(e));
            detail.extend(outline::web_archive_lines(e));
            Outcome::Failure {
                kind: e.change.as_str().to_string(),
                message,
                detail: detail.join("\n"),
            }
        }
        State::Skipped | State::Unresolved => Outcome::Skipped { message },
        State::Ok | State::Redirected => Outcome::Pass,
    }
}
