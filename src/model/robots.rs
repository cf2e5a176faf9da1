//! An origin's robots.txt answer, as kept in the store between runs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What was learnt of an origin's robots.txt, as kept in the cache.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedRobots {
    pub fetched_at: DateTime<Utc>,
    /// The status robots.txt answered with.
    pub status: u16,
    /// The file's text when it answered 2xx; `None` means no rules (4xx: allow everything).
    pub body: Option<String>,
}
