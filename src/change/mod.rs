//! Pure decisions about change: what a body says (its fingerprint), how much a new version
//! differs from the last (significance, similarity, a diff excerpt), and whether a 200 really
//! means "gone" (soft-404 rules). No network, no store; the only I/O is bounded reading of an
//! archived body in `fingerprint_file`.

pub mod fingerprint;
pub mod similarity;
pub mod soft404;

pub use fingerprint::{
    Fingerprint, Heads, IgnoreRules, MAX_PARSE_BYTES, MAX_TEXT_BYTES, TextKind, fingerprint_bytes,
    fingerprint_file, fingerprint_file_with_heads, kind_of, sha256_of,
};
pub use similarity::{diff_excerpt, mask_volatile, significance, similarity};
pub use soft404::{
    PROBE_SIMILARITY, like_missing_page, probe_key, probe_url, redirected_to_root, says_not_found,
    title_and_heading,
};
