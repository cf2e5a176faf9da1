//! What a check means, in one place: the status classified (`classify`), the body inspected for
//! its fingerprint, a content change and a soft 404 (`inspect`, with the three soft-404 rules in
//! `soft404` and the probe of a nonexistent sibling), the record a fetch becomes (`check_record`)
//! and how it differs from the previous one (`transition`, applied by `Judge`); whether a run
//! whose hosts all failed saw an outage here rather than dead hosts (`outage`). Decisions are
//! pure; the only I/O is the inspector's bounded reading of an archived body and its probe.

pub mod classify;
pub mod excerpt;
pub mod fingerprint;
pub mod heads;
pub mod inspect;
pub mod outage;
pub mod page_text;
pub mod pdf_budget;
pub mod similarity;
pub mod soft404;
pub mod transition;

use crate::fetch::{Fetched, Outcome};
use crate::model::{Change, Reason, State};
use crate::store::{CheckRecord, ResourceRecord};
use classify::classify;
use inspect::Inspection;
use transition::{Before, Now, transition};

pub use fingerprint::{
    Fingerprint, Heads, IgnoreRules, MAX_PARSE_BYTES, MAX_TEXT_BYTES, TextKind, fingerprint_bytes,
    fingerprint_file, fingerprint_file_with_heads, fingerprint_held_with_heads, kind_of, sha256_of,
};
pub use similarity::{diff_excerpt, mask_volatile, significance, similarity};
pub use soft404::{
    PROBE_SIMILARITY, like_missing_page, probe_key, probe_url, redirected_to_root, says_not_found,
};

/// How checks are judged against their history.
#[derive(Clone, Copy, Debug)]
pub struct Judge {
    /// Failed checks in a row before a resource is newly broken (`--confirm`).
    pub confirm: u32,
    /// Earlier versions a page may match and still be unchanged (`--versions`).
    pub versions: usize,
}

impl Judge {
    /// Sets the check's change and failure streak from the URL's previous record; the content
    /// change is kept only when the check is a change.
    pub fn judge(&self, prev: Option<&ResourceRecord>, check: &mut CheckRecord) {
        let before = prev.map(|p| Before {
            state: p.state,
            failures: p.failures,
            final_url: p.final_url.clone(),
            redirect_targets: p.redirect_targets.clone(),
            good_fingerprint: p.last_good_fingerprint,
            good_sha256: p.last_good_sha256,
            recent_fingerprints: p
                .recent_fingerprints
                .iter()
                .take(self.versions)
                .copied()
                .collect(),
        });
        let now = Now {
            state: check.state,
            final_url: check.final_url.clone(),
            redirect_targets: check.redirects.iter().map(|h| h.location.clone()).collect(),
            sha256: check.sha256,
            fingerprint: check.fingerprint,
        };
        let t = transition(before.as_ref(), &now, self.confirm);
        check.change = Some(t.change);
        check.failures = t.failures;
        if t.change != Change::Changed {
            check.content = None;
        }
    }
}

/// The store's record of one fetch. `prev` is the URL's record before it: a 304 stands for the
/// good copy it describes.
pub fn check_record(
    run_id: u64,
    fetched: &Fetched,
    prev: Option<&ResourceRecord>,
    accepted: &[u16],
    found: Inspection,
) -> CheckRecord {
    let (state, reason) = match found.soft_404 {
        Some(_) => (State::Broken, Some(Reason::Soft404)),
        None => classify(fetched, accepted),
    };
    let mut check = CheckRecord {
        run_id,
        url: fetched.requested.to_string(),
        checked_at: fetched.started,
        state,
        reason,
        // Only a URL that answered is "final"; a DNS failure has none.
        final_url: answered(&fetched.outcome).then(|| fetched.final_url.to_string()),
        redirects: fetched.redirects.clone(),
        elapsed_ms: fetched.elapsed.as_millis() as u64,
        attempts: fetched.attempts.clone(),
        downloaded: fetched.downloaded,
        fingerprint: found.fingerprint,
        previous_fingerprint: found.previous_fingerprint,
        soft_404: found.soft_404,
        content: found.content,
        ..CheckRecord::default()
    };
    match &fetched.outcome {
        Outcome::Body {
            status,
            content_type,
            etag,
            last_modified,
            blob,
        } => {
            check.http_status = Some(*status);
            check.content_type = content_type.clone();
            check.etag = etag.clone();
            check.last_modified = last_modified.clone();
            check.sha256 = Some(blob.sha256);
            check.bytes = Some(blob.bytes);
        }
        Outcome::NotModified {
            etag,
            last_modified,
        } => {
            check.http_status = Some(304);
            check.not_modified = true;
            if let Some(prev) = prev {
                check.sha256 = prev.last_good_sha256;
                check.fingerprint = prev.last_good_fingerprint;
                check.bytes = prev.last_good_bytes;
                check.content_type = prev_content_type(prev);
                check.etag = etag.clone().or_else(|| prev.etag.clone());
                check.last_modified = last_modified.clone().or_else(|| prev.last_modified.clone());
            }
        }
        Outcome::Status {
            status,
            content_type,
            ..
        } => {
            check.http_status = Some(*status);
            check.content_type = content_type.clone();
        }
        Outcome::Failed { status, detail, .. } => {
            check.http_status = *status;
            check.error = Some(detail.clone());
        }
        Outcome::Disallowed => {
            check.error = Some("disallowed by robots.txt; not requested".into());
        }
        Outcome::Refused { detail } => {
            check.error = Some(detail.clone());
        }
    }
    if let Some(rule) = check.soft_404 {
        // A "not found" page is not a copy of the document: it must not become the good copy.
        check.sha256 = None;
        check.error = Some(format!(
            "answered {} but looks gone ({rule})",
            check.http_status.unwrap_or(200)
        ));
    }
    check
}

/// The content type of the copy a 304 confirms.
fn prev_content_type(prev: &ResourceRecord) -> Option<String> {
    prev.last_good_content_type.clone()
}

fn answered(outcome: &Outcome) -> bool {
    !matches!(
        outcome,
        Outcome::Failed { status: None, .. } | Outcome::Disallowed | Outcome::Refused { .. }
    )
}
