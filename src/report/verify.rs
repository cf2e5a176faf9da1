//! `linkward verify`'s report: what rehashing the blobs, checking the store's references and
//! rereading the WARC files found, as JSON (a public contract) or on a terminal, one line per
//! problem and a summary line. The walk itself is `crate::verify`'s; this module holds its result.

use crate::report::terminal_safe::TerminalSafe;
use std::io::{self, Write};

use bytesize::ByteSize;
use serde::Serialize;

use crate::model::Sha256;
use crate::report::{Render, Terminal};

/// What a verify run found. Serialized as the `verify --format json` document, a public contract
/// documented in the README: fields may be added, the existing ones keep their meaning.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct VerifyReport {
    /// Blob files rehashed: every file at a content address under `blobs/`, intact or not.
    pub blobs: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Hashes referenced by the store: each check's `sha256` and each resource's
    /// `last_good_sha256`.
    pub references: u64,
    /// Blobs whose content no longer hashes to their name, by path.
    pub corrupt: Vec<Corrupt>,
    /// References to a blob that is not in the archive, by URL.
    pub missing: Vec<Missing>,
    /// Paths under `blobs/` that are not a blob at its content address, sorted.
    pub unexpected: Vec<String>,
    /// The archive's own folders (`tmp`, `db`, `warc`, `blobs`, blob folders) that are symbolic
    /// links, relative to the archive. Nothing else is checked while there are any: linkward
    /// never reads or writes through one. Left out of the JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub symlinks: Vec<String>,
    /// With `--sample P`: the percentage of blobs and WARC files checked (the counts above are of
    /// those checked; a reference to an unchecked blob that is there is not `missing`).
    pub sampled: Option<f64>,
    /// WARC files read under `warc/`.
    pub warc_files: u64,
    /// Records read in them.
    pub warc_records: u64,
    /// WARC records whose digests do not match their content, or files that could not be read
    /// to the end; by file and offset.
    pub warc: Vec<WarcProblem>,
}

/// A WARC record (or file) that does not hold what it says.
#[derive(Debug, PartialEq, Serialize)]
pub struct WarcProblem {
    /// Relative to the archive dir, `/`-separated.
    pub file: String,
    /// Offset of the record's gzip member in the file.
    pub offset: u64,
    /// `block-digest`, `payload-digest`, or `unreadable` (the file cannot be read past `offset`).
    pub problem: &'static str,
    pub record_id: Option<String>,
    pub target_uri: Option<String>,
    /// The digest the record declares, or why the file could not be read.
    pub expected: Option<String>,
    /// The digest of what it holds.
    pub actual: Option<String>,
}

/// A blob file whose bytes are not the ones its name promises.
#[derive(Debug, PartialEq, Serialize)]
pub struct Corrupt {
    /// Relative to the archive dir, `/`-separated.
    pub path: String,
    /// The hash its name promises.
    pub expected: Sha256,
    /// The hash of what it holds now; `None` when it could not be read (see `error`).
    pub actual: Option<Sha256>,
    /// The URLs whose records reference this blob, sorted: the copies that are damaged.
    pub urls: Vec<String>,
    /// Why the file could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A reference to a blob that is not in the archive.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub sha256: Sha256,
    /// The URL whose record references it.
    pub url: String,
    /// The run whose check kept it; `None` when only the resource's latest record (its last good
    /// copy) references it.
    pub run_id: Option<u64>,
}

impl VerifyReport {
    /// Nothing corrupt, missing or unexpected.
    pub fn is_clean(&self) -> bool {
        self.corrupt.is_empty()
            && self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.symlinks.is_empty()
            && self.warc.is_empty()
    }
}

/// On a terminal: one line per problem, then a summary line.
impl Render<VerifyReport> for Terminal {
    fn render(&self, report: &VerifyReport, out: &mut dyn Write) -> io::Result<()> {
        render_terminal(report, &mut TerminalSafe::new(out, self.color))
    }
}

fn render_terminal(report: &VerifyReport, out: &mut dyn Write) -> io::Result<()> {
    for c in &report.corrupt {
        let what = match (&c.actual, &c.error) {
            (Some(actual), _) => format!("holds other bytes (sha256 {actual})"),
            (None, Some(error)) => format!("could not be read ({error})"),
            (None, None) => "could not be read".to_owned(),
        };
        let whose = if c.urls.is_empty() {
            String::new()
        } else {
            format!("; the copy of {}", c.urls.join(", "))
        };
        writeln!(out, "corrupt     {} {what}{whose}", c.path)?;
    }
    for m in &report.missing {
        let whose = match m.run_id {
            Some(run) => format!("kept by run {run} for {}", m.url),
            None => format!("last good copy of {}", m.url),
        };
        writeln!(out, "missing     sha256:{} ({whose})", m.sha256)?;
    }
    for path in &report.symlinks {
        writeln!(
            out,
            "symlink     {path} (linkward never writes through one: replace it with a real folder)"
        )?;
    }
    for path in &report.unexpected {
        writeln!(
            out,
            "unexpected  {path} (not a blob at its content address)"
        )?;
    }
    for w in &report.warc {
        let what = match w.problem {
            "unreadable" => format!(
                "cannot be read past here ({})",
                w.expected.as_deref().unwrap_or("?")
            ),
            digest => format!(
                "{digest} mismatch: says {}, holds {}",
                w.expected.as_deref().unwrap_or("?"),
                w.actual.as_deref().unwrap_or("?")
            ),
        };
        let whose = w
            .target_uri
            .as_deref()
            .map_or(String::new(), |u| format!(" (record of {u})"));
        writeln!(out, "warc        {} at {}: {what}{whose}", w.file, w.offset)?;
    }
    write!(
        out,
        "verified {} blobs ({}), {} references: {} corrupt, {} missing, {} unexpected",
        report.blobs,
        ByteSize(report.bytes),
        report.references,
        report.corrupt.len(),
        report.missing.len(),
        report.unexpected.len()
    )?;
    if report.warc_files > 0 || !report.warc.is_empty() {
        write!(
            out,
            "; {} WARC files, {} records: {} problems",
            report.warc_files,
            report.warc_records,
            report.warc.len()
        )?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Format;
    use crate::report::renderer;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const HELLO: &str = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

    fn sha(hex: &str) -> Result<Sha256, Box<dyn std::error::Error>> {
        Ok(hex.parse()?)
    }

    #[test]
    fn a_clean_report_says_so_in_one_summary_line() -> TestResult {
        let report = VerifyReport {
            blobs: 123,
            bytes: 4_718_592,
            references: 456,
            ..VerifyReport::default()
        };
        assert!(report.is_clean());
        let mut out = Vec::new();
        renderer(Format::Terminal, false).render(&report, &mut out)?;
        assert_eq!(
            String::from_utf8(out)?,
            "verified 123 blobs (4.5 MiB), 456 references: 0 corrupt, 0 missing, 0 unexpected\n"
        );
        Ok(())
    }

    #[test]
    fn the_json_document_has_the_documented_fields() -> TestResult {
        let report = VerifyReport {
            blobs: 1,
            bytes: 11,
            references: 2,
            corrupt: vec![Corrupt {
                path: format!("blobs/sha256/b9/4d/{HELLO}"),
                expected: sha(HELLO)?,
                actual: None,
                urls: vec!["http://a/".into()],
                error: Some("Permission denied".into()),
            }],
            missing: vec![Missing {
                sha256: sha(HELLO)?,
                url: "http://a/".into(),
                run_id: None,
            }],
            unexpected: vec!["blobs/stray".into()],
            ..VerifyReport::default()
        };
        let mut out = Vec::new();
        renderer(Format::Json, false).render(&report, &mut out)?;
        let json: serde_json::Value = serde_json::from_slice(&out)?;
        assert_eq!(
            json,
            serde_json::json!({
                "blobs": 1, "bytes": 11, "references": 2,
                "corrupt": [{"path": format!("blobs/sha256/b9/4d/{HELLO}"), "expected": HELLO,
                             "actual": null, "urls": ["http://a/"], "error": "Permission denied"}],
                "missing": [{"sha256": HELLO, "url": "http://a/", "run_id": null}],
                "unexpected": ["blobs/stray"],
                "sampled": null, "warc_files": 0, "warc_records": 0, "warc": []
            })
        );
        Ok(())
    }

    /// The summary's size is bytesize's display: binary units, one decimal past bytes, as
    /// verify wrote it with a helper of its own before.
    #[test]
    fn sizes_read_in_binary_units() {
        let human_bytes = |bytes: u64| ByteSize(bytes).to_string();
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(4_718_592), "4.5 MiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
