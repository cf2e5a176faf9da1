//! The change report's output formats: one module per format, each implementing
//! `Render<ChangeReport>`, chosen by `ReportFormat` (its JSON is `report::Json`, the one JSON
//! renderer of every document). Renderers only write what the `ChangeReport` holds: they never
//! fetch and never read the store. Adding a format is one new file and one arm in `renderer`.
//!
//! `outline` holds what the human formats (markdown, html) share: the order of the sections, the
//! grouping by seed and section, and the wording of each entry's facts, so the two say the same.
//! `webarchive` words what web archives said about a lost resource for every human output of
//! linkward, these formats and the terminal, history and index alike.

mod atom;
mod html;
mod junit;
mod markdown;
mod outline;
#[cfg(test)]
mod tests;
pub(crate) mod webarchive;

pub use html::Html;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::changes::ChangeReport;
use super::{Json, Render};

/// The formats `linkward report` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// To paste into an issue or a mail.
    Markdown,
    /// One self-contained file (inline CSS and SVG, no JavaScript, no external assets).
    Html,
    /// The `ChangeReport` itself, pretty-printed.
    Json,
    /// JUnit XML, for CI dashboards.
    Junit,
    /// An Atom 1.0 feed with stable entry ids.
    Atom,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 5] = [
        ReportFormat::Markdown,
        ReportFormat::Html,
        ReportFormat::Json,
        ReportFormat::Junit,
        ReportFormat::Atom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "markdown",
            ReportFormat::Html => "html",
            ReportFormat::Json => "json",
            ReportFormat::Junit => "junit",
            ReportFormat::Atom => "atom",
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is none of `markdown`, `html`, `json`, `junit`, `atom`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format {0:?} (expected markdown, html, json, junit or atom)")]
pub struct UnknownFormat(pub String);

impl FromStr for ReportFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// The renderer of the change report in `format`.
pub fn renderer(format: ReportFormat) -> Box<dyn Render<ChangeReport>> {
    match format {
        ReportFormat::Markdown => Box::new(markdown::Markdown),
        ReportFormat::Html => Box::new(html::Html),
        ReportFormat::Json => Box::new(Json),
        ReportFormat::Junit => Box::new(junit::Junit),
        ReportFormat::Atom => Box::new(atom::Atom),
    }
}

/// The kebab-case name serde gives a unit enum variant (`Significance`, `Soft404Rule`, ...), so
/// the formats spell values exactly as the JSON does.
fn kebab<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::from("?"),
    }
}

/// `2026-11-29 06:43 UTC`.
pub(crate) fn minute(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `2026-11-29`.
pub(crate) fn day(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// Escapes text for XML and HTML, in content and in double- or single-quoted attributes.
/// Characters XML 1.0 forbids (C0 controls other than tab, newline, carriage return) are dropped:
/// they could only make the document unparsable.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so any string can sit in a
/// URN's specific part.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
