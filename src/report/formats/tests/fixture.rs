//! The change reports every format is rendered from in the tests: one fixture covering every
//! urgency, a soft 404, a permanent redirect, a content change with a diff, seed list changes,
//! timelines, three runs, and web archives' answers (a snapshot with a recovered copy, none with
//! an archive's error, a snapshot whose recovery failed); an empty report; and a quiet window.
//! Times and hashes are fixed, so the snapshots need no masking.

use chrono::{DateTime, TimeZone, Utc};

use crate::model::{
    ArchiveLookup, Change, ItemChanges, ListedItem, Recovered, Significance, Snapshot, Soft404Rule,
};
use crate::model::{Reason, Sha256, State};
use crate::report::RecoveredCopy;
use crate::report::changes::{
    CHANGE_REPORT_VERSION, Cell, ChangeReport, ChangeSummary, Entry, GoodCopy, RunPoint, RunRef,
    SeedChanges, Timeline, Urgency, Window,
};

pub(super) const UNITAR: &str = "seeds/unitar-ny-node-73.toml";
pub(super) const LINKS: &str = "https://example.org/links.html";
const PAGE: &str = "http://www.unitar.org/ny/node/73?page=1";

pub(super) fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .single()
        .unwrap_or_default()
}

/// The three runs of the window start at 06:00 on the 27th, 28th and 29th.
pub(super) fn run_time(run: u64) -> DateTime<Utc> {
    at(26 + (run - 40) as u32, 6, 0)
}

fn entry(urgency: Urgency, change: Change, url: &str, run_id: u64) -> Entry {
    Entry {
        urgency,
        id: format!("{url}#{run_id}#{}", change.as_str()),
        seed: Some(UNITAR.into()),
        section: Some("Related Documents".into()),
        title: None,
        url: url.into(),
        run_id,
        checked_at: run_time(run_id) + chrono::Duration::seconds(42),
        change,
        state: State::Ok,
        reason: None,
        http_status: Some(200),
        update_to: None,
        soft_404: None,
        significance: None,
        similarity: None,
        diff: None,
        broken_since: None,
        failures: 0,
        archive_lookup: None,
        recovered: None,
        since_run: run_id,
        since: run_time(run_id) + chrono::Duration::seconds(42),
        latest_run: run_id,
        latest_state: State::Ok,
        good_copy: None,
    }
}

pub(super) const PROGRAMME_MEMENTO: &str =
    "https://web.archive.org/web/20070504101112/https://www.unitar.org/ny/programme.pdf";

/// What the archives said about `url`, asked for its seed's date (1 May 2007).
pub(in crate::report::formats) fn lookup(
    snapshot: Option<Snapshot>,
    notes: &[&str],
) -> ArchiveLookup {
    ArchiveLookup {
        candidates: Vec::new(),
        target: Utc
            .with_ymd_and_hms(2007, 5, 1, 0, 0, 0)
            .single()
            .unwrap_or_default(),
        snapshot,
        cached: false,
        notes: notes.iter().map(|n| (*n).to_owned()).collect(),
    }
}

fn snapshot(url: &str) -> Snapshot {
    Snapshot {
        archive: "wayback".into(),
        url: url.into(),
        datetime: Utc
            .with_ymd_and_hms(2007, 5, 4, 10, 11, 12)
            .single()
            .unwrap_or_default(),
        status: Some(200),
    }
}

fn cell(run_id: u64, state: State, http_status: Option<u16>, reason: Option<Reason>) -> Cell {
    Cell {
        run_id,
        checked_at: run_time(run_id) + chrono::Duration::seconds(42),
        state,
        http_status,
        reason,
    }
}

fn ok(run_id: u64) -> Option<Cell> {
    Some(cell(run_id, State::Ok, Some(200), None))
}

fn timeline(
    url: &str,
    title: &str,
    seed: &str,
    section: Option<&str>,
    cells: Vec<Option<Cell>>,
) -> Timeline {
    Timeline {
        url: url.into(),
        title: Some(title.into()),
        seed: Some(seed.into()),
        section: section.map(Into::into),
        cells,
    }
}

fn item(title: &str, section: &str, url: Option<&str>) -> ListedItem {
    ListedItem {
        title: title.into(),
        section: Some(section.into()),
        url: url.map(Into::into),
    }
}

pub(super) fn fixture() -> ChangeReport {
    let programme = Entry {
        title: Some("Programme (pdf) of the seminar".into()),
        state: State::Broken,
        reason: Some(Reason::NotFound),
        http_status: Some(404),
        broken_since: Some(run_time(43) + chrono::Duration::seconds(42)),
        failures: 1,
        // Working until run 42: its copy from then is held, and `get` writes it out.
        good_copy: Some(GoodCopy {
            checked_at: run_time(42) + chrono::Duration::seconds(42),
            bytes: Some(48_213),
            content_type: Some("application/pdf".into()),
        }),
        archive_lookup: Some(lookup(Some(snapshot(PROGRAMME_MEMENTO)), &[])),
        recovered: Some(RecoveredCopy::of(&Recovered {
            sha256: Sha256([0xab; 32]),
            bytes: 48_213,
            content_type: Some("application/pdf".into()),
            archive: "wayback".into(),
            memento_url: PROGRAMME_MEMENTO.into(),
            fetched_url: PROGRAMME_MEMENTO.replace("/20070504101112/", "/20070504101112id_/"),
            memento_datetime: snapshot(PROGRAMME_MEMENTO).datetime,
            recovered_at: run_time(43) + chrono::Duration::seconds(50),
        })),
        ..entry(
            Urgency::Broken,
            Change::NewlyBroken,
            "https://www.unitar.org/ny/programme.pdf",
            43,
        )
    };
    // A title with markup in it, which every format must show as text.
    let summary = Entry {
        seed: Some(LINKS.into()),
        section: Some("Reports & papers".into()),
        title: Some("Summary <script>alert(1)</script> *draft* [v2]".into()),
        state: State::Broken,
        reason: Some(Reason::Soft404),
        soft_404: Some(Soft404Rule::RedirectToRoot),
        broken_since: Some(run_time(43) + chrono::Duration::seconds(42)),
        failures: 1,
        ..entry(
            Urgency::Broken,
            Change::NewlyBroken,
            "https://example.org/docs/summary.html",
            43,
        )
    };
    let migration = Entry {
        title: Some("Migration statistics".into()),
        state: State::Redirected,
        reason: Some(Reason::PermanentRedirect),
        http_status: Some(301),
        update_to: Some("https://stats.example.org/en/migration".into()),
        ..entry(
            Urgency::Moved,
            Change::Moved,
            "http://stats.example.org/migration",
            42,
        )
    };
    let page = Entry {
        section: None,
        title: Some("Migrants' participation in host countries".into()),
        significance: Some(Significance::Content),
        similarity: Some(0.734),
        diff: Some(
            "@@ -3,4 +3,4 @@\n Related Documents\n-Programme (pdf) of the seminar\n+Programme of the seminar (updated)\n Background note\n"
                .into(),
        ),
        ..entry(Urgency::Changed, Change::Changed, PAGE, 43)
    };
    let news = Entry {
        seed: Some(LINKS.into()),
        section: Some("Reports & papers".into()),
        title: Some("Seminar news".into()),
        significance: Some(Significance::Volatile),
        similarity: Some(0.981),
        ..entry(
            Urgency::Changed,
            Change::Changed,
            "https://example.org/news.html",
            42,
        )
    };
    let background = Entry {
        title: Some("Background note".into()),
        broken_since: Some(at(20, 6, 0)),
        ..entry(
            Urgency::Recovered,
            Change::Recovered,
            "https://www.unitar.org/ny/background.pdf",
            42,
        )
    };
    let bios = Entry {
        title: Some("Speakers' biographies".into()),
        state: State::Broken,
        reason: Some(Reason::Dns),
        http_status: None,
        broken_since: Some(at(1, 6, 0)),
        failures: 9,
        // Still broken over the whole window: told once, as of run 43, since run 41.
        since_run: 41,
        since: run_time(41) + chrono::Duration::seconds(42),
        // An error message with markup in it, which every format must show as text.
        archive_lookup: Some(lookup(
            None,
            &[
                "wayback: no snapshot",
                "http://timetravel.example/timegate/: the TimeGate answered HTTP 503 <b>busy</b>",
            ],
        )),
        ..entry(
            Urgency::StillBroken,
            Change::StillBroken,
            "http://www.unitar.org/ny/bios.doc",
            43,
        )
    };
    let gallery = Entry {
        seed: Some(LINKS.into()),
        section: Some("Reports & papers".into()),
        title: Some("Photo gallery".into()),
        state: State::Broken,
        reason: Some(Reason::Timeout),
        http_status: None,
        failures: 1,
        archive_lookup: Some(lookup(
            Some(snapshot(
                "https://web.archive.org/web/20070504101112/https://example.org/gallery/",
            )),
            &["wayback: the snapshot answered HTTP 502"],
        )),
        ..entry(
            Urgency::Failing,
            Change::Failing,
            "https://example.org/gallery/",
            43,
        )
    };
    let page_id = page.id.clone();
    let mut entries = vec![
        programme, summary, migration, page, news, background, bios, gallery,
    ];
    // Each still in the state it was reported in (the integration tests cover one that is not).
    for e in &mut entries {
        e.latest_state = e.state;
    }

    let u = UNITAR;
    let rd = Some("Related Documents");
    let papers = Some("Reports & papers");
    let timelines = vec![
        timeline(
            PAGE,
            "Migrants' participation in host countries",
            u,
            None,
            vec![ok(41), ok(42), ok(43)],
        ),
        timeline(
            "https://www.unitar.org/ny/programme.pdf",
            "Programme (pdf) of the seminar",
            u,
            rd,
            vec![
                ok(41),
                ok(42),
                Some(cell(43, State::Broken, Some(404), Some(Reason::NotFound))),
            ],
        ),
        timeline(
            "http://stats.example.org/migration",
            "Migration statistics",
            u,
            rd,
            vec![
                ok(41),
                Some(cell(
                    42,
                    State::Redirected,
                    Some(301),
                    Some(Reason::PermanentRedirect),
                )),
                Some(cell(
                    43,
                    State::Redirected,
                    Some(301),
                    Some(Reason::PermanentRedirect),
                )),
            ],
        ),
        timeline(
            "https://www.unitar.org/ny/background.pdf",
            "Background note",
            u,
            rd,
            vec![
                Some(cell(41, State::Broken, Some(404), Some(Reason::NotFound))),
                ok(42),
                ok(43),
            ],
        ),
        timeline(
            "http://www.unitar.org/ny/bios.doc",
            "Speakers' biographies",
            u,
            rd,
            vec![
                Some(cell(41, State::Broken, None, Some(Reason::Dns))),
                Some(cell(42, State::Broken, None, Some(Reason::Dns))),
                Some(cell(43, State::Broken, None, Some(Reason::Dns))),
            ],
        ),
        timeline(
            "mailto:office@unitar.org",
            "Write to the office",
            u,
            Some("Contact"),
            vec![
                Some(cell(
                    41,
                    State::Skipped,
                    None,
                    Some(Reason::UnsupportedScheme),
                )),
                Some(cell(
                    42,
                    State::Skipped,
                    None,
                    Some(Reason::UnsupportedScheme),
                )),
                Some(cell(
                    43,
                    State::Skipped,
                    None,
                    Some(Reason::UnsupportedScheme),
                )),
            ],
        ),
        timeline(
            "https://example.org/docs/summary.html",
            "Summary <script>alert(1)</script> *draft* [v2]",
            LINKS,
            papers,
            vec![
                ok(41),
                ok(42),
                Some(cell(43, State::Broken, Some(200), Some(Reason::Soft404))),
            ],
        ),
        timeline(
            "https://example.org/news.html",
            "Seminar news",
            LINKS,
            papers,
            vec![ok(41), ok(42), ok(43)],
        ),
        timeline(
            "https://example.org/gallery/",
            "Photo gallery",
            LINKS,
            papers,
            vec![
                None,
                ok(42),
                Some(cell(43, State::Broken, None, Some(Reason::Timeout))),
            ],
        ),
    ];

    ChangeReport {
        version: CHANGE_REPORT_VERSION,
        generated: at(29, 6, 5),
        window: Window {
            baseline_run: Some(40),
            runs: (41..=43)
                .map(|id| RunRef {
                    id,
                    started: run_time(id),
                    status: crate::store::RunStatus::Complete,
                })
                .collect(),
        },
        summary: ChangeSummary {
            newly_broken: 1,
            soft_404: 1,
            moved: 1,
            changed: 2,
            recovered: 1,
            still_broken: 1,
            failing: 1,
            seed_changes: 3,
            snapshots_found: 2,
            recovered_copies: 1,
        },
        seeds: vec![
            SeedChanges {
                seed: UNITAR.into(),
                title: Some("Migrants' participation in host countries".into()),
                page_url: Some(PAGE.into()),
                page: vec![page_id],
                items: ItemChanges {
                    added_to_page: vec![item(
                        "Final report of the seminar",
                        "Related Documents",
                        Some("https://www.unitar.org/ny/final-report.pdf"),
                    )],
                    removed_from_page: vec![item("Registration form", "Related Documents", None)],
                    href_changed: vec![(
                        item(
                            "Migration statistics",
                            "Related Documents",
                            Some("http://stats.example.org/migration"),
                        ),
                        item(
                            "Migration statistics",
                            "Related Documents",
                            Some("https://stats.example.org/en/migration"),
                        ),
                    )],
                },
                runs: vec![41, 42, 43],
                baseline_run: Some(40),
            },
            SeedChanges {
                seed: LINKS.into(),
                title: None,
                page_url: Some(LINKS.into()),
                page: Vec::new(),
                items: ItemChanges::default(),
                runs: vec![41, 42, 43],
                baseline_run: Some(40),
            },
        ],
        entries,
        archive_dir: Some("/srv/linkward/archive".into()),
        timelines,
        reachability: vec![
            RunPoint {
                run_id: 41,
                started: run_time(41),
                reachable_share: Some(4.0 / 6.0),
                checked: 6,
            },
            RunPoint {
                run_id: 42,
                started: run_time(42),
                reachable_share: Some(6.0 / 7.0),
                checked: 7,
            },
            RunPoint {
                run_id: 43,
                started: run_time(43),
                reachable_share: Some(3.0 / 7.0),
                checked: 7,
            },
        ],
    }
}

/// A window with nothing in it: no runs, no seeds, no entries.
pub(super) fn empty() -> ChangeReport {
    ChangeReport {
        version: CHANGE_REPORT_VERSION,
        generated: at(29, 6, 5),
        window: Window {
            baseline_run: None,
            runs: Vec::new(),
        },
        summary: ChangeSummary::default(),
        seeds: Vec::new(),
        entries: Vec::new(),
        timelines: Vec::new(),
        reachability: Vec::new(),
        archive_dir: None,
    }
}

/// Two runs in which nothing changed: nothing to report, but a chart and timelines to show.
pub(super) fn quiet() -> ChangeReport {
    let mut report = fixture();
    report.window.runs.remove(0);
    report.window.baseline_run = Some(41);
    report.summary = ChangeSummary::default();
    report.entries.clear();
    for seed in &mut report.seeds {
        seed.page.clear();
        seed.items = ItemChanges::default();
        seed.runs = vec![42, 43];
        seed.baseline_run = Some(41);
    }
    report.timelines.truncate(1);
    report.timelines[0].cells.remove(0);
    report.reachability = vec![RunPoint {
        run_id: 43,
        started: run_time(43),
        reachable_share: Some(1.0),
        checked: 1,
    }];
    report
}
