//! Where a stored body is: the pack (a WARC file of the archive) whose record holds it, and how
//! its payload was encoded on the wire. Kept in the store's `bodies` tree, keyed by the body's
//! sha256 (of the decoded bytes, the hash every record names).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Sha256;

/// One body's place in a pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBody {
    /// The WARC file's name under `warc/` (its finished name, also while a run still writes it
    /// as `<name>.open`).
    pub file: String,
    /// Offset of the record's gzip member in that file.
    pub offset: u64,
    /// Length of the gzip member.
    pub length: u64,
    /// Length of the body once decoded.
    pub bytes: u64,
    /// The Content-Encoding its payload was stored in (as received: gzip, br, deflate); `None`
    /// when the payload is the body itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The payload's own digest, when encoding makes it differ from the body's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_sha256: Option<Sha256>,
    /// The record's WARC-Record-ID (`<urn:uuid:…>`), WARC-Target-URI and WARC-Date, which a
    /// revisit record of the same payload refers to.
    pub record_id: String,
    pub uri: String,
    pub date: DateTime<Utc>,
}

impl StoredBody {
    /// The digest a WARC revisit of this payload names.
    pub fn payload_digest(&self, body: &Sha256) -> Sha256 {
        self.payload_sha256.unwrap_or(*body)
    }
}
