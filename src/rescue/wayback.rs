//! The Wayback Machine's side of a lookup, pure: the availability API's URL and answer, and
//! 14-digit timestamps (a memento's original form is `layout`'s).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;
use url::Url;

use super::WAYBACK;
use crate::model::Snapshot;

/// `endpoint?url=…&timestamp=YYYYMMDDhhmmss`.
pub fn availability_url(endpoint: &Url, url: &str, target: DateTime<Utc>) -> Url {
    let mut q = endpoint.clone();
    q.query_pairs_mut()
        .append_pair("url", url)
        .append_pair("timestamp", &timestamp(target));
    q
}

/// The 14-digit form archives use.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d%H%M%S").to_string()
}

/// A Wayback timestamp of 4 to 14 digits; missing parts are the start of the period.
pub fn parse_timestamp(ts: &str) -> Option<DateTime<Utc>> {
    if !(4..=14).contains(&ts.len()) || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Month and day pad with 01, the time with 0.
    const START: &str = "00000101000000";
    let full = format!("{ts}{}", &START[ts.len()..]);
    NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S")
        .ok()
        .map(|n| n.and_utc())
}

/// A day as a target date: its first second, UTC.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .map_or_else(Utc::now, |n| n.and_utc())
}

#[derive(Deserialize)]
struct Answer {
    archived_snapshots: Option<Snapshots>,
}

#[derive(Deserialize)]
struct Snapshots {
    closest: Option<Closest>,
}

#[derive(Deserialize)]
struct Closest {
    #[serde(default = "yes")]
    available: bool,
    url: String,
    timestamp: String,
    status: Option<String>,
}

fn yes() -> bool {
    true
}

/// Reads an availability answer: `Ok(None)` when the archive has no snapshot, an error naming
/// what is wrong when the answer is not the API's JSON.
pub fn parse_availability(body: &[u8]) -> Result<Option<Snapshot>, String> {
    let answer: Answer =
        serde_json::from_slice(body).map_err(|e| format!("malformed availability answer: {e}"))?;
    let Some(closest) = answer.archived_snapshots.and_then(|s| s.closest) else {
        return Ok(None);
    };
    if !closest.available {
        return Ok(None);
    }
    let datetime = parse_timestamp(&closest.timestamp).ok_or_else(|| {
        format!(
            "malformed availability answer: timestamp {:?}",
            closest.timestamp
        )
    })?;
    let url = Url::parse(&closest.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            format!(
                "malformed availability answer: url {:?} is not an http(s) URL",
                closest.url
            )
        })?;
    Ok(Some(Snapshot {
        archive: WAYBACK.into(),
        url: url.to_string(),
        datetime,
        status: closest
            .status
            .as_deref()
            .and_then(|s| s.trim().parse().ok()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_answers() -> Result<(), String> {
        let found = br#"{"url": "example.com/a.pdf", "archived_snapshots": {"closest": {"status": "200", "available": true, "url": "http://web.archive.org/web/20070504101112/http://example.com/a.pdf", "timestamp": "20070504101112"}}}"#;
        let snap = parse_availability(found)?.ok_or("a snapshot")?;
        assert_eq!(snap.status, Some(200));
        assert_eq!(snap.datetime.to_rfc3339(), "2007-05-04T10:11:12+00:00");
        assert!(snap.is_usable());
        let none = br#"{"url": "example.com/a.pdf", "archived_snapshots": {}}"#;
        assert_eq!(parse_availability(none)?, None);
        let gone = br#"{"archived_snapshots": {"closest": {"status": "404", "available": true, "url": "http://a/web/2007/http://b/", "timestamp": "2007"}}}"#;
        assert!(!parse_availability(gone)?.ok_or("a snapshot")?.is_usable());
        for bad in [
            &b"<html>busy</html>"[..],
            b"{\"archived_snapshots\": {\"closest\": {\"url\": \"x\"}}}",
            b"",
        ] {
            assert!(parse_availability(bad).is_err());
        }
        Ok(())
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            parse_timestamp("2007").map(|d| d.to_rfc3339()),
            Some("2007-01-01T00:00:00+00:00".into())
        );
        assert_eq!(
            parse_timestamp("200705").map(|d| d.to_rfc3339()),
            Some("2007-05-01T00:00:00+00:00".into())
        );
        assert!(parse_timestamp("20071399").is_none());
        assert!(parse_timestamp("abc").is_none());
    }
}
