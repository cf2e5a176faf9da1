//! How every human output (terminal, history, change reports, offline index) words what web
//! archives said about a lost resource: the closest snapshot or why there is none, and a copy
//! recovered from one. Plain text only; each output adds its own links, markup and escaping, so
//! they all say the same thing the same way.

use super::minute;
use crate::model::{ArchiveLookup, Recovered, Snapshot};

/// Longest note shown to people; the JSON outputs and `history --format json` keep it whole.
const NOTE_CHARS: usize = 200;

/// The ending of the note an archive leaves when it holds no capture at all.
const NO_SNAPSHOT: &str = ": no snapshot";

/// `wayback, 2007-05-04 10:11 UTC`: who holds the snapshot and when it was taken.
pub(crate) fn snapshot_label(s: &Snapshot) -> String {
    format!("{}, {}", s.archive, minute(&s.datetime))
}

/// Why there is no snapshot: `no snapshot in wayback`, `no snapshot in wayback or <TimeGate>`,
/// and what the other archives said instead (an error, a capture of an error page), so "none"
/// is never claimed for an archive that could not be asked.
pub(crate) fn absence(lookup: &ArchiveLookup) -> String {
    let none: Vec<&str> = lookup
        .notes
        .iter()
        .filter_map(|n| n.strip_suffix(NO_SNAPSHOT))
        .collect();
    let base = match none.as_slice() {
        [] => String::from("no snapshot found"),
        [one] => format!("no snapshot in {one}"),
        [first @ .., last] => format!("no snapshot in {} or {last}", first.join(", ")),
    };
    let other = notes(lookup);
    if other.is_empty() {
        base
    } else {
        format!("{base} ({})", other.join("; "))
    }
}

/// The notes worth a reader's time, each cut to a line: an archive's plain "no snapshot" is
/// left out (it is said by `absence`, and next to a snapshot found elsewhere it is noise).
pub(crate) fn notes(lookup: &ArchiveLookup) -> Vec<String> {
    lookup
        .notes
        .iter()
        .filter(|n| !n.ends_with(NO_SNAPSHOT))
        .map(|n| brief(n))
        .collect()
}

pub(crate) use crate::report::linkable;

/// `recovered from wayback snapshot of 2007-05-04 10:11 UTC`.
pub(crate) fn recovered_from(r: &Recovered) -> String {
    format!(
        "recovered from {} snapshot of {}",
        r.archive,
        minute(&r.memento_datetime)
    )
}

/// One line of at most `NOTE_CHARS` characters: error chains can be long and multi-line, and
/// may quote what a server sent, so control characters (a terminal's escapes) are dropped.
pub(crate) fn brief(note: &str) -> String {
    let one_line = note
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(char::is_control, "");
    if one_line.chars().count() <= NOTE_CHARS {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(NOTE_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(notes: &[&str]) -> ArchiveLookup {
        super::super::tests::lookup(None, notes)
    }

    #[test]
    fn absence_names_the_archives_that_have_none_and_what_the_others_said() {
        assert_eq!(
            absence(&lookup(&["wayback: no snapshot"])),
            "no snapshot in wayback"
        );
        assert_eq!(
            absence(&lookup(&[
                "wayback: no snapshot",
                "http://tg.example/timegate/: no snapshot",
                "http://other.example/tg/: no snapshot",
            ])),
            "no snapshot in wayback, http://tg.example/timegate/ or http://other.example/tg/"
        );
        assert_eq!(
            absence(&lookup(&[
                "wayback: the closest capture (2007-05-04) is itself an HTTP 404",
                "http://tg.example/: no snapshot",
            ])),
            "no snapshot in http://tg.example/ (wayback: the closest capture (2007-05-04) is itself an HTTP 404)"
        );
        assert_eq!(
            absence(&lookup(&[
                "wayback: the availability API answered HTTP 503"
            ])),
            "no snapshot found (wayback: the availability API answered HTTP 503)"
        );
    }

    #[test]
    fn only_http_mementos_are_links() {
        assert!(linkable("https://web.archive.org/web/2007/http://h/"));
        assert!(linkable("HTTP://archive.example/x"));
        assert!(!linkable("javascript:alert(1)"));
        assert!(!linkable("file:///etc/passwd"));
        assert!(!linkable("data:text/html,<script>"));
    }

    #[test]
    fn notes_are_one_short_line() {
        let long = format!("wayback: error\n  caused by: {}", "x".repeat(400));
        let notes = notes(&lookup(&["wayback: no snapshot", &long]));
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].chars().count(), NOTE_CHARS);
        assert!(notes[0].starts_with("wayback: error caused by: x"));
        assert!(notes[0].ends_with('…'));
        assert_eq!(
            super::notes(&lookup(&["wayback: \u{1b}[31mred\u{7}"])),
            ["wayback: [31mred"]
        );
    }
}
