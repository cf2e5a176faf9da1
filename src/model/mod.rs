//! The vocabulary shared by every layer and persisted in the store: content hashes, check
//! states and reasons (here), changes and their significance (`change`), what web archives said
//! and gave (`archives`), where a stored body is (`bodies`), what a seed listed (`listing`) and robots.txt answers (`robots`).
//! It depends on nothing else in the crate.
//!
//! These names appear verbatim in the JSON output and in the store, so their serialized
//! spelling is part of the public contract: add variants, never rename them.

mod archives;
mod bodies;
mod change;
mod listing;
mod robots;

pub use archives::{ArchiveLookup, NOT_ASKED_AGAIN, Recovered, RecoveredLink, Snapshot};
pub use bodies::StoredBody;
pub use change::{Change, ContentChange, Significance, Soft404Rule};
pub use listing::{ItemChanges, ListedItem, SeedSnapshot};
pub use robots::CachedRobots;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A sha256 digest, printed and serialized as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// The lowercase hex form, as used in blob file names.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

/// The text was not 64 hex digits.
#[derive(Debug, thiserror::Error)]
#[error("not a sha256 digest (64 hex digits): {0:?}")]
pub struct BadSha256(pub String);

impl FromStr for Sha256 {
    type Err = BadSha256;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| BadSha256(s.to_owned()))?;
        Ok(Sha256(out))
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The overall verdict on one listed resource in one check.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Ok,
    Redirected,
    Broken,
    Skipped,
    /// Nothing could be checked (no URL); also the neutral default of an empty record.
    #[default]
    Unresolved,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Ok,
        State::Redirected,
        State::Broken,
        State::Skipped,
        State::Unresolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Redirected => "redirected",
            State::Broken => "broken",
            State::Skipped => "skipped",
            State::Unresolved => "unresolved",
        }
    }

    /// Whether a body fetched in this state is a good copy worth keeping.
    pub fn is_reachable(self) -> bool {
        matches!(self, State::Ok | State::Redirected)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown state {s:?} (expected one of ok, redirected, broken, skipped, unresolved)"))
    }
}

/// Why a resource is in its state; `None` in the output when it is plainly ok.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Redirected, and every hop was 301 or 308: the listed link should be updated.
    PermanentRedirect,
    /// Redirected with at least one 302, 303 or 307 hop.
    TemporaryRedirect,
    /// 404.
    NotFound,
    /// 410.
    Gone,
    /// Any other 4xx/5xx (or a 3xx without a usable Location); the code is in `http_status`.
    HttpError,
    Dns,
    Connect,
    Tls,
    Timeout,
    RedirectLoop,
    TooManyRedirects,
    /// The body ended before its Content-Length, or the connection broke mid-body.
    Truncated,
    /// The decoded body exceeded `--max-size`.
    TooLarge,
    UnsupportedScheme,
    /// A manifest item with no candidate URL.
    NoUrl,
    /// An href that is not a valid URL even after resolution.
    InvalidUrl,
    /// robots.txt disallows linkward from fetching it; it was not requested.
    Robots,
    /// A 200 that really means "gone" (the rule that fired is in `soft_404`).
    #[serde(rename = "soft-404")]
    Soft404,
    /// Its address (or one a redirect led to) is not public and nothing allowed fetching it
    /// there, or it is link-local or a cloud metadata endpoint; it was not requested.
    PrivateAddress,
    /// A failure that fits none of the above (the message goes to the log).
    Other,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::PermanentRedirect => "permanent-redirect",
            Reason::TemporaryRedirect => "temporary-redirect",
            Reason::NotFound => "not-found",
            Reason::Gone => "gone",
            Reason::HttpError => "http-error",
            Reason::Dns => "dns",
            Reason::Connect => "connect",
            Reason::Tls => "tls",
            Reason::Timeout => "timeout",
            Reason::RedirectLoop => "redirect-loop",
            Reason::TooManyRedirects => "too-many-redirects",
            Reason::Truncated => "truncated",
            Reason::TooLarge => "too-large",
            Reason::UnsupportedScheme => "unsupported-scheme",
            Reason::NoUrl => "no-url",
            Reason::InvalidUrl => "invalid-url",
            Reason::Robots => "robots",
            Reason::Soft404 => "soft-404",
            Reason::PrivateAddress => "private-address",
            Reason::Other => "other",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One redirect hop as it was answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    pub status: u16,
    /// The Location header resolved against the URL that answered.
    pub location: String,
}

/// One attempt at a fetch, as kept in the history: a check that was retried has several.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub started: chrono::DateTime<chrono::Utc>,
    pub elapsed_ms: u64,
    /// The last status received in this attempt, if any.
    pub status: Option<u16>,
    /// What the attempt came to: `ok`, `not-modified`, `http-503`, `timeout`, `connect`, ...
    pub result: String,
    pub detail: Option<String>,
    /// How long linkward waited after this attempt before the next one (Retry-After or backoff).
    pub wait_ms: Option<u64>,
}

/// How a resource came to be listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The seed page itself.
    Page,
    /// `a[href]` or `area[href]`.
    Link,
    /// `iframe[src]`, `embed[src]` or `object[data]`.
    Embed,
    /// An item of a seed manifest.
    Item,
}

/// Counts of resources per state in one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: u64,
    pub ok: u64,
    pub redirected: u64,
    pub broken: u64,
    pub skipped: u64,
    pub unresolved: u64,
    /// Bytes received over the network for bodies in this run (before decoding).
    #[serde(default)]
    pub bytes_downloaded: u64,
    /// Bytes of unchanged bodies not downloaded again thanks to a 304 Not Modified.
    #[serde(default)]
    pub bytes_saved: u64,
    /// Broken resources a web archive holds a usable snapshot of.
    #[serde(default)]
    pub snapshots_found: u64,
    /// Snapshots recovered into the archive in this run (`--rescue`, seed pages).
    #[serde(default)]
    pub recovered: u64,
}

impl Summary {
    pub fn add(&mut self, state: State) {
        self.total += 1;
        match state {
            State::Ok => self.ok += 1,
            State::Redirected => self.redirected += 1,
            State::Broken => self.broken += 1,
            State::Skipped => self.skipped += 1,
            State::Unresolved => self.unresolved += 1,
        }
    }

    pub fn count(&self, state: State) -> u64 {
        match state {
            State::Ok => self.ok,
            State::Redirected => self.redirected,
            State::Broken => self.broken,
            State::Skipped => self.skipped,
            State::Unresolved => self.unresolved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_serialize_as_documented() -> Result<(), serde_json::Error> {
        let all = [
            Reason::PermanentRedirect,
            Reason::TemporaryRedirect,
            Reason::NotFound,
            Reason::Gone,
            Reason::HttpError,
            Reason::Dns,
            Reason::Connect,
            Reason::Tls,
            Reason::Timeout,
            Reason::RedirectLoop,
            Reason::TooManyRedirects,
            Reason::Truncated,
            Reason::TooLarge,
            Reason::UnsupportedScheme,
            Reason::NoUrl,
            Reason::InvalidUrl,
            Reason::Robots,
            Reason::Soft404,
            Reason::PrivateAddress,
            Reason::Other,
        ];
        for r in all {
            assert_eq!(serde_json::to_string(&r)?, format!("\"{}\"", r.as_str()));
        }
        Ok(())
    }
}
