//! One WARC 1.1 record, written as one gzip member: the header lines, the block (an HTTP head and
//! maybe a payload from memory or a file) and the closing CRLF CRLF. Digests and Content-Length
//! are computed before anything is written, since they come first in the record.

use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::Digest;

/// The payload part of a block.
pub enum Payload<'a> {
    None,
    Memory(&'a [u8]),
    File(&'a Path),
}

/// A record's WARC headers, in the order they are written. `WARC/1.1` comes first,
/// `Content-Length` and the digests are added by `write_record`.
pub struct Header {
    pub fields: Vec<(&'static str, String)>,
}

impl Header {
    pub fn new(warc_type: &str, id: &str, date: DateTime<Utc>) -> Header {
        Header {
            fields: vec![
                ("WARC-Type", warc_type.to_owned()),
                ("WARC-Record-ID", id.to_owned()),
                ("WARC-Date", warc_date(date)),
            ],
        }
    }

    pub fn add(&mut self, name: &'static str, value: impl Into<String>) -> &mut Header {
        self.fields.push((name, value.into()));
        self
    }
}

/// A new `<urn:uuid:...>` record id.
pub fn record_id() -> String {
    urn(uuid::Uuid::new_v4())
}

/// `id` as a record id, `<urn:uuid:...>`.
pub fn urn(id: uuid::Uuid) -> String {
    format!("<urn:uuid:{id}>")
}

/// WARC-Date: UTC, second precision (W3C-ISO8601, as WARC 1.0 readers expect too).
pub fn warc_date(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `sha256:<lowercase hex>`.
pub fn sha256_label(digest: &[u8]) -> String {
    format!("sha256:{}", hex::encode(digest))
}

/// What a record's header says about its block (`head` then the payload), computed before the
/// record is written since the header comes first: both digests, in one read of the payload.
pub struct Block {
    pub payload_digest: [u8; 32],
    pub payload_len: u64,
    block_digest: Vec<u8>,
    length: u64,
}

impl Block {
    pub fn of(head: &[u8], payload: &Payload) -> io::Result<Block> {
        let mut block = sha2::Sha256::new();
        let mut only_payload = sha2::Sha256::new();
        block.update(head);
        let payload_len = feed(payload, |chunk| {
            block.update(chunk);
            only_payload.update(chunk);
            Ok(())
        })?;
        Ok(Block {
            payload_digest: only_payload.finalize().into(),
            payload_len,
            block_digest: block.finalize().to_vec(),
            length: head.len() as u64 + payload_len,
        })
    }
}

/// Streams the payload's bytes into `each`; returns how many there were.
fn feed(payload: &Payload, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<u64> {
    match payload {
        Payload::None => Ok(0),
        Payload::Memory(bytes) => {
            each(bytes)?;
            Ok(bytes.len() as u64)
        }
        Payload::File(path) => crate::archive::for_each_chunk(path, each),
    }
}

/// Writes one record (`head` then `payload` as its block) as one gzip member appended to `out`.
/// `block` is `Block::of` the same head and payload, computed by the caller (possibly outside
/// whatever lock it writes under). `payload_digest`, when given, is written as
/// WARC-Payload-Digest. Returns the record's compressed length.
pub fn write_record(
    out: &mut impl Write,
    header: &Header,
    head: &[u8],
    payload: &Payload,
    block: &Block,
    payload_digest: Option<&[u8]>,
) -> io::Result<u64> {
    let (payload_len, length) = (block.payload_len, block.length);
    if length != head.len() as u64 + payload_len {
        return Err(io::Error::other("block digests of another head"));
    }
    let mut text = String::from("WARC/1.1\r\n");
    for (name, value) in &header.fields {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!(
        "WARC-Block-Digest: {}\r\n",
        sha256_label(&block.block_digest)
    ));
    if let Some(digest) = payload_digest {
        text.push_str(&format!(
            "WARC-Payload-Digest: {}\r\n",
            sha256_label(digest)
        ));
    }
    text.push_str(&format!("Content-Length: {length}\r\n\r\n"));

    let mut counted = CountingWriter { inner: out, n: 0 };
    // The gzip header, each deflate block and the trailer would otherwise be a write(2) each.
    let mut buffered = io::BufWriter::with_capacity(OUT_BUFFER, &mut counted);
    // The fastest level: most payloads (PDFs, images, already-gzipped pages) barely compress,
    // and the default level costs ~30 s per GiB, which would dominate archiving a large file.
    let mut gz = GzEncoder::new(&mut buffered, Compression::fast());
    gz.write_all(text.as_bytes())?;
    gz.write_all(head)?;
    let copied = feed(payload, |chunk| gz.write_all(chunk))?;
    if copied != payload_len {
        // The file changed between hashing and copying: the record would lie about itself.
        return Err(io::Error::other("payload changed while it was written"));
    }
    gz.write_all(b"\r\n\r\n")?;
    gz.finish()?.flush()?;
    drop(buffered);
    Ok(counted.n)
}

/// Compressed bytes gathered before they go to the file.
const OUT_BUFFER: usize = 64 * 1024;

struct CountingWriter<'a, W: Write> {
    inner: &'a mut W,
    n: u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_gzip_member_with_digests_over_its_block()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut out = Vec::new();
        let date = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z")?.with_timezone(&Utc);
        let mut header = Header::new("response", "<urn:uuid:x>", date);
        header.add("WARC-Target-URI", "http://a/");
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
        let payload = Payload::Memory(b"hi");
        let block = Block::of(head, &payload)?;
        assert_eq!(block.payload_len, 2);
        write_record(
            &mut out,
            &header,
            head,
            &payload,
            &block,
            Some(&block.payload_digest),
        )?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&out[..]), &mut text)?;
        let block = [&head[..], b"hi"].concat();
        assert!(
            text.starts_with("WARC/1.1\r\nWARC-Type: response\r\n"),
            "{text}"
        );
        assert!(
            text.contains("WARC-Date: 2026-01-02T03:04:05Z\r\n"),
            "{text}"
        );
        assert!(text.contains(&format!(
            "WARC-Block-Digest: sha256:{}\r\n",
            hex::encode(sha2::Sha256::digest(&block))
        )));
        assert!(text.contains(&format!(
            "WARC-Payload-Digest: sha256:{}\r\n",
            hex::encode(sha2::Sha256::digest(b"hi"))
        )));
        assert!(text.ends_with(&format!(
            "Content-Length: {}\r\n\r\n{}\r\n\r\n",
            block.len(),
            String::from_utf8_lossy(&block)
        )));
        Ok(())
    }
}
