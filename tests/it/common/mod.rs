//! The shared harness: local test servers, a runner for the built binary, the seed-page replica
//! and helpers over the JSON report.

pub mod archive_server;
pub mod bombs;
pub mod json;
pub mod linkward;
pub mod mask;
pub mod netns;
pub mod scripted;
pub mod seed_page;
pub mod server;

pub use linkward::Linkward;
pub use server::{Behaviour, TestServer};

use sha2::{Digest as _, Sha256};

/// The sled database of the archive at `archive`, opened directly, for tests that read what the
/// store wrote.
pub fn open_sled(archive: &std::path::Path) -> sled::Db {
    sled::open(archive.join("db")).expect("open the store's sled database")
}

/// Lowercase hex SHA-256 of `bytes`, computed independently of linkward.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A small but real-looking PDF body.
pub fn pdf(label: &str) -> Vec<u8> {
    let mut body = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    body.extend_from_slice(
        format!(
            "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
             2 0 obj << /Type /Pages /Kids [] /Count 0 /Title ({label}) >> endobj\n\
             trailer << /Root 1 0 R >>\n%%EOF\n"
        )
        .as_bytes(),
    );
    body
}

/// `len` deterministic, incompressible-looking bytes (xorshift), so sizes cannot be faked.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

pub const KIB: usize = 1024;
pub const MIB: usize = 1024 * KIB;
