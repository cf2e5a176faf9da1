//! The one masking helper for every snapshot test: it replaces what differs from one run of the
//! suite to the next (ports, dates and times in every spelling the reports use, hashes, epoch
//! seconds in ids) with fixed tokens, so a snapshot holds on any day.
//!
//! `shift_archive_dates` is its proof: it moves every time a store holds to another date, so a
//! test can render the same reports from both and require the masked texts to be identical.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use regex::Regex;
use serde_json::Value;

/// Masks ports, dates, times, hashes and epochs in `text`. Order matters: whole timestamps go
/// first, then bare dates, then the month-day labels the HTML chart prints under each run.
pub fn mask(text: &str) -> String {
    let rules = [
        (r"127\.0\.0\.1(:|%3A)\d+", "127.0.0.1${1}PORT"),
        (
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}| UTC)?",
            "[TIME]",
        ),
        (r"\d{4}-\d{2}-\d{2}", "[DATE]"),
        // Month-day labels (the reachability chart's axis): a month 01-12, a day 01-31.
        (r"\b(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b", "[MM-DD]"),
        (r"\b[0-9a-f]{64}\b", "[SHA256]"),
        // Ids of standing conditions carry when the failures began (Unix seconds).
        (r"broken-since(#|%23)\d+", "broken-since${1}[EPOCH]"),
    ];
    rules.iter().fold(text.to_owned(), |acc, (re, to)| {
        Regex::new(re)
            .expect("mask regex")
            .replace_all(&acc, *to)
            .into_owned()
    })
}

/// Copies the archive at `from` to `to` with every time its store holds moved so that the first
/// run starts on `day` (same time of day): every RFC 3339 string in every record of every tree,
/// whatever its field, so a time added to the records later is moved too.
///
/// The store's values are JSON by design (a later format must still read them), which is what
/// lets a test rewrite them generically; it opens sled directly because the product has, on
/// purpose, no way to rewrite history.
pub fn shift_archive_dates(from: &Path, to: &Path, day: chrono::NaiveDate) -> Duration {
    copy_dir(from, to);
    let db = super::open_sled(to);
    let first_run = db
        .open_tree("runs")
        .expect("runs tree")
        .first()
        .expect("read runs")
        .expect("the archive has a run");
    let started: Value = serde_json::from_slice(&first_run.1).expect("run record is JSON");
    let started =
        parse(started["started"].as_str().expect("run start")).expect("run start is RFC 3339");
    let offset = day.and_time(started.time()).and_utc() - started;
    for name in db.tree_names() {
        let tree = db.open_tree(&name).expect("open tree");
        for kv in tree.iter() {
            let (key, value) = kv.expect("read record");
            let Ok(mut json) = serde_json::from_slice::<Value>(&value) else {
                continue;
            };
            if shift_times(&mut json, offset) {
                tree.insert(key, serde_json::to_vec(&json).expect("encode"))
                    .expect("rewrite record");
            }
        }
    }
    db.flush().expect("flush the copied store");
    offset
}

fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Moves every RFC 3339 string in `value` by `offset`; true when anything moved.
fn shift_times(value: &mut Value, offset: Duration) -> bool {
    match value {
        Value::String(text) => match parse(text) {
            Some(at) => {
                *value = serde_json::to_value(at + offset).expect("encode time");
                true
            }
            None => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |moved, v| shift_times(v, offset) | moved),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |moved, v| shift_times(v, offset) | moved),
        _ => false,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("read archive folder") {
        let entry = entry.expect("archive entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("entry type");
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).expect("copy archive file");
        }
    }
}
