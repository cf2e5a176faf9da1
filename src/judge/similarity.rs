//! How different two versions of a text are: a similarity score, whether only volatile tokens
//! (dates, times, counters, random ids) changed, the significance of a change, and a short
//! readable diff. Pure: texts in, values out.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;
use std::time::Duration;

use regex::{Captures, Regex};

use super::fingerprint::{Fingerprint, MAX_TEXT_BYTES};
use crate::extract::collapse_ws;
use crate::model::Significance;

/// Words per shingle.
const SHINGLE: usize = 3;

/// Below this many words (in the shorter text) similarity compares single words: with shingles,
/// one changed word in a ten-word text would already cost more than half the score.
const SHORT_TEXT_WORDS: usize = 12;

/// A diff line longer than this is cut: a paragraph without full stops must not fill the report.
const MAX_DIFF_LINE_CHARS: usize = 200;

/// Diffing two capped texts is bounded in time; past it `similar` falls back to a coarser diff.
const DIFF_TIMEOUT: Duration = Duration::from_millis(500);

/// Word-shingle Jaccard similarity in [0, 1]: 1 for identical word sequences (and for two empty
/// texts), 0 for nothing in common. Case and punctuation around words are ignored.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() && wb.is_empty() {
        return 1.0;
    }
    let k = if wa.len().min(wb.len()) < SHORT_TEXT_WORDS {
        1
    } else {
        SHINGLE
    };
    let (sa, sb) = (shingles(&wa, k), shingles(&wb, k));
    let union = sa.union(&sb).count();
    if union == 0 {
        return 1.0;
    }
    sa.intersection(&sb).count() as f64 / union as f64
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

fn shingles(words: &[String], k: usize) -> HashSet<u64> {
    // Hashes instead of string tuples: a 256 KiB text has tens of thousands of shingles, and a
    // 64-bit collision between two of them does not move the score.
    words
        .windows(k.min(words.len()).max(1))
        .map(|w| {
            let mut h = DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

/// One kind of volatile token and what replaces it.
struct Volatile {
    re: Regex,
    placeholder: &'static str,
    /// Only tokens with both a letter and a digit are ids; "consultation" or "20261129" are not.
    letters_and_digits: bool,
}

const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const WEEKDAY: &str = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?";

/// In order: whole dates before the numbers inside them, ids before the digits inside them.
fn volatile_sources() -> Vec<(String, &'static str, bool)> {
    vec![
        (
            r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b".into(),
            "<uuid>",
            false,
        ),
        // ISO 8601 / RFC 3339, with the time when there is one.
        (
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
                .into(),
            "<date>",
            false,
        ),
        (
            r"(?i)\b(?:\d+|an?)\s+(?:second|minute|hour|day|week|month|year)s?\s+ago\b".into(),
            "<ago>",
            false,
        ),
        // 29 Nov 2026, Sun, 29 Nov 2026 (HTTP dates), 29th of November 2026.
        (
            format!(
                r"(?i)\b{WEEKDAY}\d{{1,2}}(?:st|nd|rd|th)?\.?\s+(?:of\s+)?{MONTH}\.?,?\s+\d{{4}}\b"
            ),
            "<date>",
            false,
        ),
        // Nov 29, 2026; Sunday, November 29th 2026.
        (
            format!(r"(?i)\b{WEEKDAY}{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"),
            "<date>",
            false,
        ),
        // November 2026.
        (format!(r"(?i)\b{MONTH}\.?\s+\d{{4}}\b"), "<date>", false),
        // 2026/11/29, 11/29/2026, 29.11.2026, 29/11/26.
        (
            r"\b(?:\d{4}/\d{1,2}/\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})\b".into(),
            "<date>",
            false,
        ),
        // 06:43, 06:43:57.918, 6:43 pm, 06:43:57 UTC, 06:43:57+01:00, 06:43 CET.
        (
            r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?(?:\s*(?i:[ap]\.?m)\b\.?)?(?:\s*(?:Z\b|UTC\b|GMT\b|[+-]\d{2}:?\d{2}\b|[A-Z]{1,3}T\b))?"
                .into(),
            "<time>",
            false,
        ),
        // base64 / base62 / url-safe tokens: session ids, nonces, cache busters.
        (r"[A-Za-z0-9+/_-]{16,}={0,2}".into(), "<id>", true),
        // Hex ids: commit hashes, request ids, ETags.
        (r"\b[0-9A-Fa-f]{8,}\b".into(), "<id>", true),
        // Counters and plain numbers, with thousands separators or decimals.
        (r"\b\d+(?:[.,]\d+)*\b".into(), "<n>", false),
    ]
}

static VOLATILE: LazyLock<Vec<Volatile>> = LazyLock::new(|| {
    volatile_sources()
        .into_iter()
        // The patterns are constants; `masks_every_kind_of_volatile_token` proves they compile.
        .filter_map(|(src, placeholder, letters_and_digits)| {
            Some(Volatile {
                re: Regex::new(&src).ok()?,
                placeholder,
                letters_and_digits,
            })
        })
        .collect()
});

/// Replaces tokens that change on every request without the content changing — dates, times,
/// "3 minutes ago", counters and plain numbers, UUIDs, hex ids (8+ digits) and base64/base62
/// tokens (16+ chars mixing letters and digits) — with placeholders such as `<date>` and `<n>`.
///
/// A consequence, by design: a change that touches only numbers ("Report 2019" → "Report 2020",
/// a price) is volatile, not content. Ignore rules cannot un-mask it; similarity and the diff
/// still show it.
pub fn mask_volatile(text: &str) -> String {
    let mut out = text.to_owned();
    for v in VOLATILE.iter() {
        let replaced = v.re.replace_all(&out, |c: &Captures<'_>| {
            let token = &c[0];
            let is_id = token.chars().any(|ch| ch.is_ascii_alphabetic())
                && token.chars().any(|ch| ch.is_ascii_digit());
            if !v.letters_and_digits || is_id {
                v.placeholder.to_owned()
            } else {
                token.to_owned()
            }
        });
        if let std::borrow::Cow::Owned(s) = replaced {
            out = s;
        }
    }
    out
}

/// The significance of a change between two fingerprints of one resource (whose raw hashes the
/// caller has already found different).
pub fn significance(old: &Fingerprint, new: &Fingerprint) -> Significance {
    if old.hash == new.hash {
        return Significance::BytesOnly;
    }
    match (&old.text, &new.text) {
        // A text at the cap may have been cut: what changed could lie past the cut, so it
        // cannot be shown to be volatile.
        (Some(a), Some(b))
            if !possibly_cut(a)
                && !possibly_cut(b)
                && collapse_ws(&mask_volatile(a)) == collapse_ws(&mask_volatile(b)) =>
        {
            Significance::Volatile
        }
        _ => Significance::Content,
    }
}

fn possibly_cut(text: &str) -> bool {
    // Cutting at a char boundary removes at most 3 bytes of a 4-byte char.
    text.len() > MAX_TEXT_BYTES - 4
}

/// A short unified diff between two texts, split first into sentence-ish lines (at `. `, `? `,
/// `! ` and newlines) so one changed word in a long page gives a readable hunk. At most
/// `max_lines` lines, then "… N more lines". Empty when the texts split into the same lines.
pub fn diff_excerpt(old: &str, new: &str, max_lines: usize) -> String {
    let (a, b) = (sentence_lines(old), sentence_lines(new));
    let diff = similar::TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(a.as_str(), b.as_str());
    let unified = diff
        .unified_diff()
        .context_radius(1)
        .missing_newline_hint(false)
        .to_string();
    let lines: Vec<&str> = unified.lines().collect();
    if lines.len() <= max_lines {
        return lines.join("\n");
    }
    let mut out = lines[..max_lines].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!("… {} more lines", lines.len() - max_lines));
    out
}

fn sentence_lines(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut rest = line.trim();
        while !rest.is_empty() {
            let cut = [". ", "? ", "! "]
                .iter()
                .filter_map(|sep| rest.find(sep).map(|i| i + 1))
                .min()
                .unwrap_or(rest.len());
            push_line(&mut out, rest[..cut].trim());
            rest = rest[cut..].trim_start();
        }
    }
    out
}

fn push_line(out: &mut String, line: &str) {
    if line.is_empty() {
        return;
    }
    match line.char_indices().nth(MAX_DIFF_LINE_CHARS) {
        Some((i, _)) => {
            out.push_str(&line[..i]);
            out.push('…');
        }
        None => out.push_str(line),
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::fingerprint::{TextKind, sha256_of};

    type R = Result<(), Box<dyn std::error::Error>>;

    fn text_fp(text: &str) -> Fingerprint {
        Fingerprint {
            kind: TextKind::Html,
            hash: sha256_of(collapse_ws(text).as_bytes()),
            text: Some(text.to_owned()),
        }
    }

    #[test]
    fn similarity_bounds() {
        assert_eq!(similarity("", ""), 1.0);
        assert_eq!(similarity("  ", "\n"), 1.0);
        assert_eq!(similarity("some words", ""), 0.0);
        assert_eq!(similarity("The same text.", "the same TEXT"), 1.0);
        assert_eq!(similarity("alpha beta", "gamma delta"), 0.0);
    }

    #[test]
    fn short_texts_compare_words_long_texts_shingles() {
        // 4 shared words of 6 distinct.
        let s = similarity("page not found here", "page not found there");
        assert!((s - 3.0 / 5.0).abs() < 1e-9, "{s}");
        let long_a = (0..100)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let long_b = long_a.replace("w50", "changed");
        let s = similarity(&long_a, &long_b);
        assert!(s > 0.9 && s < 1.0, "{s}");
        // Same words, different order: shingles see it, words would not.
        let rev = long_a.split(' ').rev().collect::<Vec<_>>().join(" ");
        assert!(similarity(&long_a, &rev) < 0.1);
    }

    #[test]
    fn masks_every_kind_of_volatile_token() {
        assert_eq!(
            VOLATILE.len(),
            volatile_sources().len(),
            "a pattern failed to compile"
        );
        let cases = [
            ("Updated 2026-11-29T06:43:57.918Z.", "Updated <date>."),
            ("on 2026-11-29 06:43:57", "on <date>"),
            ("on 29 Nov 2026 at noon", "on <date> at noon"),
            ("Sun, 29 Nov 2026 06:43:57 GMT", "<date> <time>"),
            ("11/29/2026 and 29.11.2026", "<date> and <date>"),
            ("Nov 29, 2026", "<date>"),
            ("Sunday, November 29th 2026", "<date>"),
            ("as of November 2026", "as of <date>"),
            (
                "at 06:43:57 and 6:43 pm and 06:43:57.123+01:00",
                "at <time> and <time> and <time>",
            ),
            ("at 10:30 CET", "at <time>"),
            ("posted 3 minutes ago", "posted <ago>"),
            ("Visitors: 1,234,567 (12.5%)", "Visitors: <n> (<n>%)"),
            ("id 123e4567-e89b-12d3-a456-426614174000", "id <uuid>"),
            ("rev deadbeef42 built", "rev <id> built"),
            ("token dGhpcyBpcyBhIHRva2VuMTIz==", "token <id>"),
            ("session=Ab3xYz9QwErTy7uIoP", "session=<id>"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_volatile(input), want, "masking {input:?}");
        }
    }

    #[test]
    fn ordinary_words_are_not_masked() {
        for text in [
            "International consultations on participation",
            "state-of-the-art-technology review",
            "March of the penguins, may we",
            "Version v2 of the decaffeinated plan",
        ] {
            assert_eq!(mask_volatile(text), text);
        }
    }

    #[test]
    fn significance_levels() {
        let a = text_fp("Report. Generated 2026-11-29 06:43:57, request id 9f8e7d6c5b4a.");
        let same_text = Fingerprint {
            kind: TextKind::Html,
            hash: a.hash,
            text: a.text.clone(),
        };
        assert_eq!(significance(&a, &same_text), Significance::BytesOnly);
        let b = text_fp("Report. Generated 2026-11-30 07:01:02, request id 0a1b2c3d4e5f.");
        assert_eq!(significance(&a, &b), Significance::Volatile);
        let c = text_fp("Revised report. Generated 2026-11-30 07:01:02.");
        assert_eq!(significance(&a, &c), Significance::Content);
        let x = Fingerprint::raw(TextKind::Other, sha256_of(b"x"));
        let y = Fingerprint::raw(TextKind::Other, sha256_of(b"y"));
        assert_eq!(significance(&x, &y), Significance::Content);
        assert_eq!(significance(&x, &x.clone()), Significance::BytesOnly);
    }

    #[test]
    fn a_change_past_the_text_cap_is_content() {
        let long = "a".repeat(MAX_TEXT_BYTES);
        let old = Fingerprint {
            kind: TextKind::Text,
            hash: sha256_of(b"one"),
            text: Some(long.clone()),
        };
        let new = Fingerprint {
            kind: TextKind::Text,
            hash: sha256_of(b"two"),
            text: Some(long),
        };
        assert_eq!(significance(&old, &new), Significance::Content);
    }

    #[test]
    fn significance_serializes_kebab_case() -> R {
        assert_eq!(
            serde_json::to_string(&Significance::BytesOnly)?,
            "\"bytes-only\""
        );
        Ok(())
    }

    #[test]
    fn diff_excerpt_shows_the_changed_sentence() {
        let old = "Intro sentence one. The meeting is in Geneva. Closing words here.\nFooter";
        let new = "Intro sentence one. The meeting is in New York. Closing words here.\nFooter";
        let d = diff_excerpt(old, new, 20);
        assert!(d.contains("-The meeting is in Geneva."), "{d}");
        assert!(d.contains("+The meeting is in New York."), "{d}");
        assert!(d.contains(" Intro sentence one."), "{d}");
        assert!(!d.contains("Footer"), "context is one line: {d}");
        assert_eq!(diff_excerpt(old, old, 20), "");
    }

    #[test]
    fn diff_excerpt_is_capped() {
        let old = (0..50)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let new = (0..50)
            .map(|i| format!("row {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let d = diff_excerpt(&old, &new, 5);
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[5], "… 96 more lines");
    }

    #[test]
    fn long_lines_are_cut_in_the_excerpt() {
        let old = "x".repeat(1000);
        let new = "y".repeat(1000);
        let d = diff_excerpt(&old, &new, 10);
        assert!(
            d.lines()
                .all(|l| l.chars().count() <= MAX_DIFF_LINE_CHARS + 2),
            "{d}"
        );
    }
}
