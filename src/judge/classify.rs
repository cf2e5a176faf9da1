//! Pure decisions: a fetch outcome → the state and reason users see. No I/O.

use crate::fetch::{Failure, Fetched, Outcome};
use crate::model::{Hop, Reason, State};

/// The verdict on one fetch; `accepted` are status codes the host's rule counts as ok.
pub fn classify(fetched: &Fetched, accepted: &[u16]) -> (State, Option<Reason>) {
    let reached = || {
        if fetched.redirects.is_empty() {
            (State::Ok, None)
        } else {
            (State::Redirected, Some(redirect_reason(&fetched.redirects)))
        }
    };
    match &fetched.outcome {
        Outcome::Body { .. } | Outcome::NotModified { .. } => reached(),
        Outcome::Status { status, .. } if accepted.contains(status) => reached(),
        Outcome::Status { status, .. } => (State::Broken, Some(status_reason(*status))),
        Outcome::Disallowed => (State::Skipped, Some(Reason::Robots)),
        Outcome::Refused { .. } => (State::Skipped, Some(Reason::PrivateAddress)),
        Outcome::Failed { failure, .. } => {
            let reason = match failure {
                Failure::Dns => Reason::Dns,
                Failure::Connect => Reason::Connect,
                Failure::Tls => Reason::Tls,
                Failure::Timeout => Reason::Timeout,
                Failure::RedirectLoop => Reason::RedirectLoop,
                Failure::TooManyRedirects => Reason::TooManyRedirects,
                Failure::UnsupportedRedirect => Reason::UnsupportedScheme,
                Failure::BadRedirect => Reason::HttpError,
                Failure::Truncated => Reason::Truncated,
                Failure::TooLarge => Reason::TooLarge,
                Failure::Other => Reason::Other,
            };
            (State::Broken, Some(reason))
        }
    }
}

/// Permanent only when every hop is: one temporary hop means the listed URL is still the one
/// to keep.
pub fn redirect_reason(hops: &[Hop]) -> Reason {
    if hops.iter().all(|h| matches!(h.status, 301 | 308)) {
        Reason::PermanentRedirect
    } else {
        Reason::TemporaryRedirect
    }
}

pub fn status_reason(status: u16) -> Reason {
    match status {
        404 => Reason::NotFound,
        410 => Reason::Gone,
        _ => Reason::HttpError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Blob;
    use crate::model::Sha256;
    use std::time::Duration;
    use url::Url;

    fn fetched(redirects: &[u16], outcome: Outcome) -> Fetched {
        let url = Url::parse("http://a.test/x").expect("constant URL");
        Fetched {
            requested: url.clone(),
            final_url: url,
            redirects: redirects
                .iter()
                .map(|&status| Hop {
                    status,
                    location: "http://a.test/y".into(),
                })
                .collect(),
            started: chrono::Utc::now(),
            elapsed: Duration::ZERO,
            outcome,
            attempts: Vec::new(),
            downloaded: 0,
            reach: crate::fetch::Reach::PublicOnly,
            remote: None,
            silence: None,
        }
    }

    fn classify_(f: &Fetched) -> (State, Option<Reason>) {
        classify(f, &[])
    }

    fn body() -> Outcome {
        Outcome::Body {
            status: 200,
            content_type: None,
            etag: None,
            last_modified: None,
            blob: Blob::known(Sha256([0; 32]), 0),
        }
    }

    #[test]
    fn statuses_and_redirects() {
        assert_eq!(classify_(&fetched(&[], body())), (State::Ok, None));
        assert_eq!(
            classify_(&fetched(&[301, 308], body())),
            (State::Redirected, Some(Reason::PermanentRedirect))
        );
        assert_eq!(
            classify_(&fetched(&[301, 302], body())),
            (State::Redirected, Some(Reason::TemporaryRedirect))
        );
        for (status, reason) in [
            (404, Reason::NotFound),
            (410, Reason::Gone),
            (500, Reason::HttpError),
            (403, Reason::HttpError),
        ] {
            let out = Outcome::Status {
                status,
                content_type: None,
                retry_after: None,
            };
            assert_eq!(classify_(&fetched(&[], out)), (State::Broken, Some(reason)));
        }
        let accepted = Outcome::Status {
            status: 403,
            content_type: None,
            retry_after: None,
        };
        assert_eq!(classify(&fetched(&[], accepted), &[403]), (State::Ok, None));
        assert_eq!(
            classify_(&fetched(&[], Outcome::Disallowed)),
            (State::Skipped, Some(Reason::Robots))
        );
        let refused = Outcome::Refused {
            detail: "127.0.0.1 (loopback, 127.0.0.0/8): a non-public address".into(),
        };
        assert_eq!(
            classify_(&fetched(&[302], refused)),
            (State::Skipped, Some(Reason::PrivateAddress))
        );
        let not_modified = Outcome::NotModified {
            etag: None,
            last_modified: None,
        };
        assert_eq!(classify_(&fetched(&[], not_modified)), (State::Ok, None));
        let bad = Outcome::Failed {
            failure: Failure::BadRedirect,
            status: Some(301),
            detail: String::new(),
        };
        assert_eq!(
            classify_(&fetched(&[], bad)),
            (State::Broken, Some(Reason::HttpError))
        );
        let loop_ = Outcome::Failed {
            failure: Failure::RedirectLoop,
            status: Some(302),
            detail: String::new(),
        };
        assert_eq!(
            classify_(&fetched(&[302, 302], loop_)),
            (State::Broken, Some(Reason::RedirectLoop))
        );
    }
}
