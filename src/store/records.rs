//! The typed records kept in the store, and the pure rule that folds a check into a resource's
//! latest record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{ArchiveLookup, Change, ContentChange, Recovered, Snapshot, Soft404Rule};
use crate::model::{Attempt, Hop, Reason, Sha256, State, Summary};

/// Distinct good versions whose fingerprints a resource record remembers, newest first; enough
/// for any `--versions` a user would set for rotating pages.
pub const RECENT_VERSIONS_KEPT: usize = 8;

/// One check of one URL in one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    pub run_id: u64,
    pub url: String,
    pub checked_at: DateTime<Utc>,
    pub state: State,
    pub reason: Option<Reason>,
    pub http_status: Option<u16>,
    pub final_url: Option<String>,
    pub redirects: Vec<Hop>,
    /// Hash of the body kept by this check; `None` when no good body was kept.
    pub sha256: Option<Sha256>,
    pub bytes: Option<u64>,
    pub content_type: Option<String>,
    pub elapsed_ms: u64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The failure as the network layer described it, for people reading the history.
    pub error: Option<String>,
    /// Every attempt made, retries included.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// Body bytes received over the network (all attempts, before decoding).
    #[serde(default)]
    pub downloaded: u64,
    /// The server answered 304: `sha256` is the copy we already held.
    #[serde(default)]
    pub not_modified: bool,
    /// Content fingerprint of the body (visible text for HTML, text for PDF and plain text, the
    /// raw hash otherwise): what change is judged on.
    #[serde(default)]
    pub fingerprint: Option<Sha256>,
    /// The fingerprint of the last good copy this body was compared with, when that copy had
    /// none yet (fingerprints are taken lazily, archive format 2): it joins the resource's recent
    /// versions, so a page rotating between versions is recognised as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_fingerprint: Option<Sha256>,
    /// What is different since the previous check.
    #[serde(default)]
    pub change: Option<Change>,
    /// Failures in a row, this check included (0 when reachable).
    #[serde(default)]
    pub failures: u32,
    /// The soft-404 rule that fired, when a 200 really meant "gone".
    #[serde(default)]
    pub soft_404: Option<Soft404Rule>,
    /// For a changed resource: significance, similarity and a diff against the last good copy.
    #[serde(default)]
    pub content: Option<ContentChange>,
    /// For a broken resource: the closest snapshot web archives hold, or that none exists.
    /// (Boxed, like `recovered`: only broken resources have one, and a run holds every check.)
    #[serde(default)]
    pub archive_lookup: Option<Box<ArchiveLookup>>,
    /// A copy recovered from a web archive in this run.
    #[serde(default)]
    pub recovered: Option<Box<Recovered>>,
}

/// The latest known facts about one URL, across runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    pub url: String,
    pub first_seen: DateTime<Utc>,
    pub last_checked: DateTime<Utc>,
    pub state: State,
    pub reason: Option<Reason>,
    pub http_status: Option<u16>,
    /// The most recent good copy; only a reachable, complete body ever sets it.
    pub last_good_sha256: Option<Sha256>,
    pub last_good_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_good_bytes: Option<u64>,
    #[serde(default)]
    pub last_good_content_type: Option<String>,
    /// Validators of the last good copy, for conditional requests.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When the current run of failures began; `None` while reachable.
    pub first_broken: Option<DateTime<Utc>>,
    /// Failures in a row up to the latest check.
    #[serde(default)]
    pub failures: u32,
    /// Where the latest check that got an answer ended up, after redirects.
    #[serde(default)]
    pub final_url: Option<String>,
    /// The redirect targets of that check, in order.
    #[serde(default)]
    pub redirect_targets: Vec<String>,
    /// The last good copy's content fingerprint.
    #[serde(default)]
    pub last_good_fingerprint: Option<Sha256>,
    /// Fingerprints of the last distinct good versions, newest first.
    #[serde(default)]
    pub recent_fingerprints: Vec<Sha256>,
    pub checks: u64,
    /// The latest copy recovered from a web archive, kept apart from the copies fetched live.
    #[serde(default)]
    pub recovered: Option<Recovered>,
}

impl ResourceRecord {
    /// A URL first seen at `at` and not checked yet.
    pub fn unchecked(url: &str, at: DateTime<Utc>) -> ResourceRecord {
        ResourceRecord {
            url: url.to_owned(),
            first_seen: at,
            last_checked: at,
            state: State::Unresolved,
            reason: None,
            http_status: None,
            last_good_sha256: None,
            last_good_at: None,
            last_good_bytes: None,
            last_good_content_type: None,
            etag: None,
            last_modified: None,
            first_broken: None,
            failures: 0,
            final_url: None,
            redirect_targets: Vec::new(),
            last_good_fingerprint: None,
            recent_fingerprints: Vec::new(),
            checks: 0,
            recovered: None,
        }
    }

    /// Folds `check` into the previous record. A failed check never touches the good copy or
    /// its validators.
    pub fn apply(prev: Option<ResourceRecord>, check: &CheckRecord) -> ResourceRecord {
        let mut rec = prev.unwrap_or_else(|| ResourceRecord {
            state: check.state,
            ..ResourceRecord::unchecked(&check.url, check.checked_at)
        });
        rec.last_checked = check.checked_at;
        rec.state = check.state;
        rec.reason = check.reason;
        rec.http_status = check.http_status;
        rec.checks += 1;
        if check.final_url.is_some() {
            rec.final_url = check.final_url.clone();
            rec.redirect_targets = check.redirects.iter().map(|h| h.location.clone()).collect();
        }
        if check.state.is_reachable() {
            if let Some(sha) = check.sha256 {
                rec.last_good_sha256 = Some(sha);
                rec.last_good_at = Some(check.checked_at);
                rec.last_good_bytes = check.bytes;
                rec.last_good_content_type = check.content_type.clone();
                rec.etag = check.etag.clone();
                rec.last_modified = check.last_modified.clone();
                if let Some(old) = check.previous_fingerprint
                    && !rec.recent_fingerprints.contains(&old)
                {
                    rec.recent_fingerprints.insert(0, old);
                }
                if let Some(fp) = check.fingerprint {
                    rec.last_good_fingerprint = Some(fp);
                    if rec.recent_fingerprints.first() != Some(&fp) {
                        rec.recent_fingerprints.retain(|f| *f != fp);
                        rec.recent_fingerprints.insert(0, fp);
                        rec.recent_fingerprints.truncate(RECENT_VERSIONS_KEPT);
                    }
                }
            }
            rec.first_broken = None;
            rec.failures = 0;
        } else if check.state == State::Broken {
            rec.first_broken.get_or_insert(check.checked_at);
            rec.failures += 1;
        }
        rec
    }
}

/// One archive's answer about one URL, kept so a daily run does not ask the same question
/// every day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CachedLookup {
    pub asked_at: DateTime<Utc>,
    /// The date the closest snapshot was asked for; `None`: the latest.
    pub target: Option<DateTime<Utc>>,
    /// The closest capture, usable or not; `None`: the archive has none.
    pub snapshot: Option<Snapshot>,
}

/// Whether a run got to its end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    #[default]
    Running,
    Complete,
    /// Stopped by SIGINT/SIGTERM: what completed is recorded, the rest was not checked.
    Interrupted,
    /// The network here was down (see `judge::outage`): its checks are recorded but judged
    /// nothing, and the next run is compared with the last conclusive one.
    Inconclusive,
}

/// One invocation of `check`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: u64,
    pub started: DateTime<Utc>,
    pub finished: Option<DateTime<Utc>>,
    pub seeds: Vec<String>,
    pub summary: Summary,
    pub status: RunStatus,
    /// For an inconclusive run, what showed the network here was down (the line `check` printed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("small timestamps are valid")
    }

    #[test]
    fn a_failure_keeps_the_last_good_copy() {
        let good = Sha256([7; 32]);
        let ok = CheckRecord {
            url: "http://a/".into(),
            checked_at: at(10),
            state: State::Ok,
            sha256: Some(good),
            etag: Some("\"v1\"".into()),
            ..Default::default()
        };
        let rec = ResourceRecord::apply(None, &ok);
        assert_eq!(rec.last_good_sha256, Some(good));

        let failed = CheckRecord {
            url: "http://a/".into(),
            checked_at: at(20),
            state: State::Broken,
            reason: Some(Reason::HttpError),
            http_status: Some(500),
            ..Default::default()
        };
        let rec = ResourceRecord::apply(Some(rec), &failed);
        let rec = ResourceRecord::apply(
            Some(rec),
            &CheckRecord {
                checked_at: at(30),
                ..failed.clone()
            },
        );
        assert_eq!(rec.last_good_sha256, Some(good));
        assert_eq!(rec.last_good_at, Some(at(10)));
        assert_eq!(rec.etag.as_deref(), Some("\"v1\""));
        assert_eq!(
            rec.first_broken,
            Some(at(20)),
            "the streak starts at the first failure"
        );
        assert_eq!(rec.first_seen, at(10));
        assert_eq!(rec.checks, 3);

        let rec = ResourceRecord::apply(
            Some(rec),
            &CheckRecord {
                checked_at: at(40),
                ..ok
            },
        );
        assert_eq!(rec.first_broken, None);
    }
}

/// The outcome of one `linkward verify`, kept so the index can say when the archive was last
/// proven intact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VerificationRecord {
    pub at: DateTime<Utc>,
    pub clean: bool,
    pub blobs: u64,
    pub bytes: u64,
    pub references: u64,
    pub warc_records: u64,
    /// Corrupt, missing and unexpected blobs plus WARC digest problems.
    pub problems: u64,
    /// `--sample P`, when only a share was checked.
    pub sampled: Option<f64>,
}
