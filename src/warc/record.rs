//! One WARC 1.1 record, written as one gzip member: the header lines, the block (an HTTP head and
//! maybe a payload from memory or a file) and the closing CRLF CRLF. Digests and Content-Length
//! are computed before anything is written, since they come first in the record.
//!
//! A payload that deflate would not shrink (already compressed: images, archives, PDFs, gzipped
//! pages) is written in stored blocks instead, which costs a copy and a CRC rather than a deflate.
//! The choice is made per record while hashing, from the payload's sampled byte entropy, so it
//! needs no lock and no more memory than a byte histogram.

use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
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
/// record is written since the header comes first: both digests, in one read of the payload, and
/// whether the payload is worth deflating.
pub struct Block {
    pub payload_digest: [u8; 32],
    pub payload_len: u64,
    block_digest: Vec<u8>,
    length: u64,
    deflate: bool,
}

impl Block {
    pub fn of(head: &[u8], payload: &Payload) -> io::Result<Block> {
        Block::with_payload_digest(head, payload, None)
    }

    /// `of`, given the payload's sha256 when it is known already (a body hashed as it was
    /// downloaded): the payload is then hashed once, not twice.
    pub fn with_payload_digest(
        head: &[u8],
        payload: &Payload,
        known: Option<[u8; 32]>,
    ) -> io::Result<Block> {
        let mut block = sha2::Sha256::new();
        let mut only_payload = known.is_none().then(sha2::Sha256::new);
        let mut entropy = EntropySampler::new();
        block.update(head);
        let payload_len = feed(payload, |chunk| {
            block.update(chunk);
            if let Some(hasher) = &mut only_payload {
                hasher.update(chunk);
            }
            entropy.update(chunk);
            Ok(())
        })?;
        let payload_digest = match (known, only_payload) {
            (Some(digest), _) => digest,
            (None, Some(hasher)) => hasher.finalize().into(),
            (None, None) => unreachable!("a payload hasher is made when no digest is known"),
        };
        Ok(Block {
            payload_digest,
            payload_len,
            block_digest: block.finalize().to_vec(),
            length: head.len() as u64 + payload_len,
            deflate: entropy.bits_per_byte() < STORED_ENTROPY,
        })
    }
}

/// Payloads sampling at this many bits of order-0 entropy per byte or more are stored, not
/// deflated. Huffman coding alone could save at most 1.25% of them; on ~900 files of this
/// machine (PNG, GIF, JPEG, zip, wheels, .crate, .gz, PDF, text) fast deflate saved 1.7% of the
/// bytes above it (median file 0.1%), at ~100 MB/s. Text, HTML, JSON, JS and CSS sample at
/// 4-6 bits, and 7.9 is ten standard deviations below what random bytes sample at even in a
/// 2 KiB payload. A byte histogram was chosen over deflating a sample because it costs a tenth
/// as much and decided as well on that corpus; what it misses is high-entropy bytes that repeat
/// (which real compressed formats rarely do within deflate's 32 KiB window).
const STORED_ENTROPY: f64 = 7.9;
/// The payload is sampled as the first `SAMPLE_LEN` bytes of every `SAMPLE_WINDOW`: a payload
/// whose kind changes part way (compressed streams after a text header) is judged on all of it,
/// while at most a quarter of its bytes are counted.
const SAMPLE_WINDOW: usize = 64 * 1024;
const SAMPLE_LEN: usize = 16 * 1024;

/// Order-0 byte entropy of a streamed payload, estimated window by window and weighted by each
/// window's length.
struct EntropySampler {
    counts: [u32; 256],
    /// Bytes seen of the current window.
    in_window: usize,
    /// Bytes seen in all.
    len: u64,
    /// Estimated bits of the windows already closed.
    bits: f64,
}

impl EntropySampler {
    fn new() -> EntropySampler {
        EntropySampler {
            counts: [0; 256],
            in_window: 0,
            len: 0,
            bits: 0.0,
        }
    }

    fn update(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() {
            let (part, rest) = chunk.split_at(chunk.len().min(SAMPLE_WINDOW - self.in_window));
            let sampled = SAMPLE_LEN.saturating_sub(self.in_window).min(part.len());
            for &b in &part[..sampled] {
                self.counts[usize::from(b)] += 1;
            }
            self.in_window += part.len();
            self.len += part.len() as u64;
            if self.in_window == SAMPLE_WINDOW {
                self.close_window();
            }
            chunk = rest;
        }
    }

    fn close_window(&mut self) {
        self.bits += sample_entropy(&self.counts) * self.in_window as f64;
        self.counts = [0; 256];
        self.in_window = 0;
    }

    /// 0 for an empty payload: there is nothing to lose by deflating it.
    fn bits_per_byte(mut self) -> f64 {
        if self.in_window > 0 {
            self.close_window();
        }
        if self.len == 0 {
            0.0
        } else {
            self.bits / self.len as f64
        }
    }
}

/// Entropy in bits per byte of the bytes counted, with the Miller-Madow correction: a small
/// sample of random bytes misses some values and would otherwise look compressible (a 2 KiB
/// one by ~0.09 bits).
fn sample_entropy(counts: &[u32; 256]) -> f64 {
    let n: f64 = counts.iter().map(|&c| f64::from(c)).sum();
    if n == 0.0 {
        return 0.0;
    }
    let (mut bits, mut seen) = (0.0, 0u32);
    for &c in counts.iter().filter(|&&c| c > 0) {
        let p = f64::from(c) / n;
        bits -= p * p.log2();
        seen += 1;
    }
    bits + f64::from(seen - 1) / (2.0 * n * std::f64::consts::LN_2)
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
    deflater: &mut Deflater,
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
    let mut member = Member::new(&mut buffered, block.deflate.then_some(deflater))?;
    write_block(&mut member, &text, head, payload, payload_len)?;
    member.finish()?.flush()?;
    drop(buffered);
    Ok(counted.n)
}

/// The member's uncompressed content: the header text, the block and the closing CRLF CRLF.
fn write_block(
    member: &mut impl Write,
    text: &str,
    head: &[u8],
    payload: &Payload,
    payload_len: u64,
) -> io::Result<()> {
    member.write_all(text.as_bytes())?;
    member.write_all(head)?;
    let copied = feed(payload, |chunk| member.write_all(chunk))?;
    if copied != payload_len {
        // The file changed between hashing and copying: the record would lie about itself.
        return Err(io::Error::other("payload changed while it was written"));
    }
    member.write_all(b"\r\n\r\n")
}

/// A deflate compressor kept from one record to the next. A new one per record (as
/// `GzEncoder` makes) allocates and clears about 300 KB, above malloc's mmap threshold: an
/// mmap, page faults and an munmap with its TLB shootdown for every record, which made the small
/// request and revisit records of a run of 304s cost more than their large payloads.
pub struct Deflater {
    compress: Compress,
    out: Vec<u8>,
}

impl Deflater {
    pub fn new() -> Deflater {
        Deflater {
            // The fastest level: the payloads that compress well (text) compress nearly as well
            // at it, and the default level costs ~30 s per GiB, which would dominate archiving a
            // large file. Raw deflate: the gzip framing is written by `Member`.
            compress: Compress::new(Compression::fast(), false),
            out: Vec::with_capacity(OUT_BUFFER),
        }
    }
}

impl Default for Deflater {
    fn default() -> Deflater {
        Deflater::new()
    }
}

/// One gzip member (RFC 1952): deflated by a reused `Deflater`, or, without one, in stored
/// blocks of at most 65,535 bytes, each behind a 5-byte header. Stored blocks are written by
/// hand rather than at `Compression::none()`, where miniz_oxide still moves every byte through
/// its window one at a time: ~85% of the fast level's cost on random bytes.
struct Member<'d, W: Write> {
    inner: W,
    deflater: Option<&'d mut Deflater>,
    crc: Crc,
    /// ISIZE: the length written, modulo 2^32 as RFC 1952 has it (`Crc::amount` only promises
    /// lengths below that).
    size: u32,
}

/// ID1 ID2, CM = deflate, no flags, no MTIME, XFL 0, OS unknown: the header flate2 writes.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
/// BFINAL = 0, BTYPE = 00 (stored), padded to a byte; LEN and NLEN follow.
const STORED_BLOCK: u8 = 0;
/// The most one stored block holds: LEN is 16 bits.
const MAX_STORED: usize = u16::MAX as usize;
/// An empty stored block with BFINAL set: LEN 0, NLEN 0xffff.
const FINAL_EMPTY_BLOCK: [u8; 5] = [1, 0, 0, 0xff, 0xff];

impl<'d, W: Write> Member<'d, W> {
    fn new(mut inner: W, mut deflater: Option<&'d mut Deflater>) -> io::Result<Member<'d, W>> {
        if let Some(d) = deflater.as_deref_mut() {
            d.compress.reset();
        }
        inner.write_all(&GZIP_HEADER)?;
        Ok(Member {
            inner,
            deflater,
            crc: Crc::new(),
            size: 0,
        })
    }

    /// Closes the deflate stream (a stored one with an empty final block) and writes the CRC-32
    /// and length trailer.
    fn finish(mut self) -> io::Result<W> {
        match self.deflater.as_deref_mut() {
            Some(d) => {
                while deflate(d, &mut self.inner, &[], FlushCompress::Finish)? != Status::StreamEnd
                {
                }
            }
            None => self.inner.write_all(&FINAL_EMPTY_BLOCK)?,
        }
        self.inner.write_all(&self.crc.sum().to_le_bytes())?;
        self.inner.write_all(&self.size.to_le_bytes())?;
        Ok(self.inner)
    }
}

/// Runs the compressor over `input` (all of it) and writes what it gives back to `inner`.
fn deflate(
    deflater: &mut Deflater,
    inner: &mut impl Write,
    mut input: &[u8],
    flush: FlushCompress,
) -> io::Result<Status> {
    let Deflater { compress, out } = deflater;
    loop {
        out.clear();
        let before = compress.total_in();
        let status = compress
            .compress_vec(input, out, flush)
            .map_err(io::Error::other)?;
        let consumed = usize::try_from(compress.total_in() - before).map_err(io::Error::other)?;
        input = &input[consumed..];
        inner.write_all(out)?;
        // With room in `out` the compressor always progresses; it is done with `input` (and,
        // finishing, with the stream) once it leaves room unused.
        let room_left = out.len() < out.capacity();
        if input.is_empty() && (room_left || status == Status::StreamEnd) {
            return Ok(status);
        }
    }
}

impl<W: Write> Write for Member<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let data = match self.deflater.as_deref_mut() {
            Some(d) => {
                deflate(d, &mut self.inner, buf, FlushCompress::None)?;
                buf
            }
            None if buf.is_empty() => return Ok(0),
            None => {
                let data = &buf[..buf.len().min(MAX_STORED)];
                let len = data.len() as u16;
                let [l0, l1] = len.to_le_bytes();
                let [n0, n1] = (!len).to_le_bytes();
                self.inner.write_all(&[STORED_BLOCK, l0, l1, n0, n1])?;
                self.inner.write_all(data)?;
                data
            }
        };
        self.crc.update(data);
        // Truncating is the point: ISIZE is the length modulo 2^32.
        self.size = self.size.wrapping_add(data.len() as u32);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
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
            &mut Deflater::new(),
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

    /// `len` bytes of xorshift noise: what a compressed format looks like to deflate.
    fn noise(len: usize) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[3]
            })
            .collect()
    }

    fn text(len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0.. {
            if out.len() >= len {
                break;
            }
            out.extend(
                format!("<p><a href=\"/doc/{i:06}.pdf\">Paper {i} of the seminar</a></p>\n")
                    .bytes(),
            );
        }
        out.truncate(len);
        out
    }

    fn deflates(payload: &[u8]) -> Result<bool, io::Error> {
        Ok(Block::of(b"", &Payload::Memory(payload))?.deflate)
    }

    /// Writes `payload` as a response record to a file, as the payload of a file itself; checks
    /// the member gunzips to the record and that linkward's reader finds both digests intact.
    /// Returns the member.
    fn write_and_read_back(payload: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let body = dir.path().join("body");
        std::fs::write(&body, payload)?;
        let mut header = Header::new("response", "<urn:uuid:x>", Utc::now());
        header.add("Content-Type", "application/http;msgtype=response");
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n";
        let payload_of_file = Payload::File(&body);
        let block = Block::of(head, &payload_of_file)?;
        let warc = dir.path().join("x.warc.gz");
        let mut out = std::fs::File::create(&warc)?;
        let n = write_record(
            &mut out,
            &mut Deflater::new(),
            &header,
            head,
            &payload_of_file,
            &block,
            Some(&block.payload_digest),
        )?;
        drop(out);
        assert_eq!(n, std::fs::metadata(&warc)?.len());

        let mut member = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&warc)?),
            &mut member,
        )?;
        assert!(member.ends_with(&[&head[..], payload, b"\r\n\r\n"].concat()));

        let mut records = Vec::new();
        let end = crate::warc::read::read_records(&warc, |r| records.push(r))
            .map_err(|(at, e)| format!("unreadable at {at}: {e}"))?;
        assert_eq!(end, n);
        let [record] = &records[..] else {
            return Err(format!("{} records", records.len()).into());
        };
        assert_eq!(
            record.block_sha256[..],
            sha2::Sha256::digest([&head[..], payload].concat())[..]
        );
        assert_eq!(
            record.header("WARC-Block-Digest"),
            Some(&sha256_label(&record.block_sha256)[..])
        );
        let payload_sha256 = record.payload_sha256.ok_or("no payload digest")?;
        assert_eq!(payload_sha256[..], sha2::Sha256::digest(payload)[..]);
        assert_eq!(
            record.header("WARC-Payload-Digest"),
            Some(&sha256_label(&payload_sha256)[..])
        );
        Ok(std::fs::read(&warc)?)
    }

    #[test]
    fn an_incompressible_payload_is_stored_not_deflated() -> Result<(), Box<dyn std::error::Error>>
    {
        let payload = noise(200 * 1024);
        assert!(!deflates(&payload)?);
        let member = write_and_read_back(&payload)?;
        let (n, len) = (member.len(), payload.len());
        // The header text and HTTP head, 5 bytes per stored block and the gzip framing.
        assert!(len < n && n < len + 1024, "{n} bytes for {len}");
        // The first block after the gzip header: stored (BTYPE 00), LEN then its complement.
        assert_eq!(member[10], STORED_BLOCK);
        assert_eq!(
            member[11..13],
            (!u16::from_le_bytes([member[13], member[14]])).to_le_bytes()
        );
        Ok(())
    }

    #[test]
    fn a_text_payload_still_compresses() -> Result<(), Box<dyn std::error::Error>> {
        let payload = text(200 * 1024);
        assert!(deflates(&payload)?);
        let n = write_and_read_back(&payload)?.len();
        assert!(n < payload.len() / 4, "{n} bytes for {}", payload.len());
        Ok(())
    }

    #[test]
    fn compressibility_is_judged_on_the_whole_payload_and_small_ones_too() -> io::Result<()> {
        // The benchmark's smallest documents: random bytes still look random in 2 KiB.
        assert!(!deflates(&noise(2 * 1024))?);
        assert!(deflates(&text(2 * 1024))?);
        // A text header before compressed streams, and the other way round: a sample of the
        // first bytes alone would get both wrong.
        assert!(!deflates(
            &[text(64 * 1024), noise(4 * 1024 * 1024)].concat()
        )?);
        assert!(deflates(&[noise(64 * 1024), text(1024 * 1024)].concat())?);
        assert!(deflates(b"")?);
        Ok(())
    }

    #[test]
    fn one_deflater_writes_member_after_member() -> Result<(), Box<dyn std::error::Error>> {
        // Small records, then one larger than the output buffer, then small again: the reused
        // compressor must start every member afresh.
        let payloads = [
            text(300),
            text(5),
            text(1024 * 1024),
            Vec::new(),
            text(70_000),
        ];
        let mut deflater = Deflater::new();
        let mut out = Vec::new();
        for payload in &payloads {
            let head = b"HTTP/1.1 200 OK\r\n\r\n";
            let payload = Payload::Memory(payload);
            let block = Block::of(head, &payload)?;
            assert!(block.deflate);
            let header = Header::new("response", "<urn:uuid:x>", Utc::now());
            write_record(
                &mut out,
                &mut deflater,
                &header,
                head,
                &payload,
                &block,
                None,
            )?;
        }
        // Compressed well below the payloads' 1.4 MB.
        assert!(out.len() < 200 * 1024, "{} bytes", out.len());
        let mut members = flate2::bufread::GzDecoder::new(&out[..]);
        for payload in &payloads {
            let mut member = Vec::new();
            std::io::Read::read_to_end(&mut members, &mut member)?;
            assert!(member.starts_with(b"WARC/1.1\r\n"));
            assert!(
                member.ends_with(&[b"HTTP/1.1 200 OK\r\n\r\n", &payload[..], b"\r\n\r\n"].concat())
            );
            let rest = members.into_inner();
            members = flate2::bufread::GzDecoder::new(rest);
        }
        assert!(members.into_inner().is_empty());
        Ok(())
    }
}
