//! `linkward get URL [--at DATE]`: one archived version of a resource, the good copy it had at a
//! moment (its latest good check at or before it; by default its latest good check of all).
//! Choosing the version is pure (`pick`); writing it streams the blob and rehashes it.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use url::Url;

use super::{ExportError, copy_blob};
use crate::model::Sha256;
use crate::model::StoredBody;
use crate::open::open_existing;
use crate::store::CheckRecord;

/// The archived version of a URL that was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub url: String,
    pub sha256: Sha256,
    pub bytes: Option<u64>,
    pub content_type: Option<String>,
    /// When the check that kept (or, with a 304, confirmed) this copy was made.
    pub checked_at: DateTime<Utc>,
    pub run_id: u64,
    /// The archive it is in, and its place in one of its packs.
    pub archive: PathBuf,
    pub stored: StoredBody,
}

/// Why no version could be given: a result for the user, not a failure of linkward.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Miss {
    /// The store has never checked this URL.
    Unknown { url: String },
    /// Checked, but no check ever kept a good copy.
    NeverGood { url: String, checks: usize },
    /// Good copies exist, all made after `at`.
    NoneYet {
        url: String,
        at: DateTime<Utc>,
        first: DateTime<Utc>,
    },
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Miss::Unknown { url } => write!(
                f,
                "{url} is not in the archive: no run has checked it (give the URL as listed, or see `linkward report`)"
            ),
            Miss::NeverGood { url, checks } => write!(
                f,
                "{url} was never archived: it was checked {checks} time{}, never with a good copy kept (see `linkward history {url}`)",
                if *checks == 1 { "" } else { "s" }
            ),
            Miss::NoneYet { url, at, first } => write!(
                f,
                "{url} has no archived copy at or before {}: its first good copy is from {}",
                at.to_rfc3339_opts(SecondsFormat::Secs, true),
                first.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
        }
    }
}

/// What `find` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Found(Box<Version>),
    Missing(Miss),
}

/// The version of `url` that was the good copy at `at` (default: now), from the archive's store.
pub fn find(
    archive_dir: &Path,
    url: &str,
    at: Option<DateTime<Utc>>,
    wait: Duration,
) -> Result<Lookup, ExportError> {
    let (_lock, store) = open_existing(archive_dir, wait)?;
    // Accept the URL as typed: normalised the way listed links are (as `history` does).
    let key = Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.to_string());
    let history = store.history(&key)?;
    let checks = history.len();
    if checks == 0 {
        return Ok(Lookup::Missing(Miss::Unknown { url: key }));
    }
    Ok(match pick(&history, at) {
        Ok((check, sha256)) => Lookup::Found(Box::new(Version {
            stored: store.body(&sha256)?.ok_or_else(|| ExportError::NotStored {
                url: key.clone(),
                sha256,
            })?,
            archive: archive_dir.to_path_buf(),
            url: key,
            sha256,
            bytes: check.bytes,
            content_type: check.content_type.clone(),
            checked_at: check.checked_at,
            run_id: check.run_id,
        })),
        Err(None) => Lookup::Missing(Miss::NeverGood { url: key, checks }),
        Err(Some(first)) => Lookup::Missing(Miss::NoneYet {
            url: key,
            at: at.unwrap_or_else(Utc::now),
            first,
        }),
    })
}

/// The latest good check (reachable, with a kept body) at or before `at` in a URL's `history`
/// (oldest first). Without one: `Err(Some(first good check's time))` when good checks exist but
/// all came later, `Err(None)` when there is none.
pub fn pick(
    history: &[CheckRecord],
    at: Option<DateTime<Utc>>,
) -> Result<(&CheckRecord, Sha256), Option<DateTime<Utc>>> {
    let mut good = history
        .iter()
        .filter(|c| c.state.is_reachable())
        .filter_map(|c| Some((c, c.sha256?)));
    let first = good.clone().next().map(|(c, _)| c.checked_at);
    good.rfind(|(c, _)| at.is_none_or(|at| c.checked_at <= at))
        .ok_or(first)
}

impl Version {
    /// Streams the version into `out`; `Damaged` if the blob no longer holds it (the bytes have
    /// been written by then: a pipe cannot take them back).
    pub fn copy_to(&self, out: &mut dyn Write) -> Result<u64, ExportError> {
        Ok(copy_blob(
            &self.archive,
            &self.stored,
            &self.url,
            &self.sha256,
            out,
            None,
        )?
        .bytes)
    }

    /// Writes the version to `path` (replacing it), through a temp file beside it that is renamed
    /// into place only once the copy is whole and rehashed.
    pub fn write_file(&self, path: &Path) -> Result<u64, ExportError> {
        let write_error = |source| ExportError::Write {
            path: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".linkward-get-")
            .tempfile_in(dir)
            .map_err(write_error)?;
        let mut out = std::io::BufWriter::new(temp.as_file());
        let copied = copy_blob(
            &self.archive,
            &self.stored,
            &self.url,
            &self.sha256,
            &mut out,
            Some(path),
        )?;
        drop(out);
        crate::archive::set_mode(temp.path(), 0o644).map_err(write_error)?;
        temp.persist(path).map_err(|e| write_error(e.error))?;
        Ok(copied.bytes)
    }
}

/// `--at`: an RFC 3339 time (`2026-11-01T09:30:00Z`), or a date (`2026-11-01`) meaning the end
/// of that day in UTC, so that the copies kept that day count.
pub fn parse_at(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let end = day
            .and_hms_nano_opt(23, 59, 59, 999_999_999)
            .ok_or_else(|| format!("{s:?} is not a usable date"))?;
        return Ok(end.and_utc());
    }
    Err(format!(
        "{s:?} is not a date (2026-11-01) or an RFC 3339 time (2026-11-01T09:30:00Z)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::State;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("small timestamps are valid")
    }

    fn check(run_id: u64, secs: i64, state: State, sha: Option<u8>) -> CheckRecord {
        CheckRecord {
            run_id,
            url: "http://h/x.pdf".into(),
            checked_at: at(secs),
            state,
            sha256: sha.map(|b| Sha256([b; 32])),
            ..CheckRecord::default()
        }
    }

    #[test]
    fn the_latest_good_check_at_or_before_the_date_is_picked() {
        let history = vec![
            check(1, 100, State::Broken, None),
            check(2, 200, State::Ok, Some(1)),
            check(3, 300, State::Redirected, Some(2)),
            check(4, 400, State::Broken, None),
            // A soft-404 is broken: never a good copy, even with a body.
            check(5, 500, State::Broken, Some(9)),
        ];
        let run = |at| pick(&history, at).map(|(c, _)| c.run_id);
        assert_eq!(run(None), Ok(3));
        assert_eq!(run(Some(at(250))), Ok(2));
        assert_eq!(run(Some(at(300))), Ok(3), "a check at the moment counts");
        assert_eq!(run(Some(at(150))), Err(Some(at(200))));
        let broken = vec![check(1, 100, State::Broken, None)];
        assert_eq!(pick(&broken, None).map(|(c, _)| c.run_id), Err(None));
    }

    #[test]
    fn at_takes_a_date_or_an_rfc3339_time() -> Result<(), String> {
        assert_eq!(
            parse_at("2026-11-01")?.to_rfc3339(),
            "2026-11-01T23:59:59.999999999+00:00"
        );
        assert_eq!(
            parse_at("2026-11-01T09:30:00+02:00")?.to_rfc3339(),
            "2026-11-01T07:30:00+00:00"
        );
        assert!(parse_at("yesterday").is_err());
        assert!(parse_at("2026-13-01").is_err());
        Ok(())
    }
}
