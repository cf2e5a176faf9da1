//! Reading back WARC files as linkward writes them (one record per gzip member): each record's
//! offset, headers and block, streamed, with the block and payload digests recomputed. Used by
//! `verify`, and to salvage the complete records of a file a killed run left open.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use sha2::Digest;

/// Read size while hashing a block.
const BUFFER: usize = 64 * 1024;
/// Longest WARC header line or header block accepted: a record claiming more is damaged.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

/// One record, read and rehashed.
#[derive(Debug)]
pub struct ReadRecord {
    /// Offset of its gzip member in the file.
    pub offset: u64,
    /// Header lines after `WARC/1.1`, names as written.
    pub headers: Vec<(String, String)>,
    pub block_len: u64,
    /// sha256 of the whole block.
    pub block_sha256: [u8; 32],
    /// sha256 of what follows the HTTP head in an `application/http` block (the payload).
    pub payload_sha256: Option<[u8; 32]>,
}

impl ReadRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A `BufRead` that counts what was consumed: the offset of the next gzip member.
struct Counting<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt);
    }
}

/// Reads every record of the file at `path`, calling `each` with each one in order. Stops at the
/// first member that is not a complete, well-formed record and returns it as `Err((offset,
/// error))`; on success returns the file's length.
pub fn read_records(
    path: &Path,
    mut each: impl FnMut(ReadRecord),
) -> Result<u64, (u64, io::Error)> {
    let file = std::fs::File::open(path).map_err(|e| (0, e))?;
    let mut input = Counting {
        inner: BufReader::with_capacity(BUFFER, file),
        pos: 0,
    };
    loop {
        let offset = input.pos;
        match input.fill_buf() {
            Ok([]) => return Ok(offset),
            Ok(_) => {}
            Err(e) => return Err((offset, e)),
        }
        let record = read_member(&mut input, offset).map_err(|e| (offset, e))?;
        each(record);
    }
}

/// The offset just past the last complete record of `path`: what a file cut short keeps.
pub fn complete_prefix(path: &Path) -> u64 {
    match read_records(path, |_| {}) {
        Ok(len) => len,
        Err((offset, _)) => offset,
    }
}

fn read_member<R: BufRead>(input: &mut Counting<R>, offset: u64) -> io::Result<ReadRecord> {
    let gz = flate2::bufread::GzDecoder::new(&mut *input);
    let mut member = BufReader::with_capacity(BUFFER, gz);
    let version = read_line(&mut member)?;
    if !version.starts_with("WARC/") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a WARC record: {version:?}"),
        ));
    }
    let mut headers = Vec::new();
    let mut header_bytes = 0u64;
    loop {
        let line = read_line(&mut member)?;
        header_bytes += line.len() as u64;
        if line.is_empty() {
            break;
        }
        if header_bytes > MAX_HEADER_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "header too long",
            ));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, format!("bad header {line:?}"))
        })?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _): &&(String, String)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let block_len: u64 = get("Content-Length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no Content-Length"))?;
    let http = get("Content-Type").is_some_and(|t| t.starts_with("application/http"));

    let mut block = sha2::Sha256::new();
    let mut payload = http.then(sha2::Sha256::new);
    // The last four bytes seen while looking for the end of the HTTP head.
    let mut tail = 0u32;
    let mut in_payload = false;
    let mut rest = (&mut member).take(block_len);
    let mut buf = vec![0u8; BUFFER];
    let mut read = 0u64;
    loop {
        let n = match rest.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        read += n as u64;
        block.update(chunk);
        if let Some(p) = payload.as_mut() {
            if in_payload {
                p.update(chunk);
            } else if let Some(i) = chunk.iter().position(|&b| {
                tail = (tail << 8) | u32::from(b);
                tail == u32::from_be_bytes(*b"\r\n\r\n")
            }) {
                in_payload = true;
                p.update(&chunk[i + 1..]);
            }
        }
    }
    if read != block_len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("block ends after {read} of {block_len} bytes"),
        ));
    }
    let mut end = [0u8; 4];
    member.read_exact(&mut end)?;
    if &end != b"\r\n\r\n" {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "record does not end with CRLF CRLF",
        ));
    }
    // Reading to the end of the member checks its CRC and moves `input` past its trailer.
    if io::copy(&mut member, &mut io::sink())? != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "more than one record in a gzip member",
        ));
    }
    Ok(ReadRecord {
        offset,
        headers,
        block_len,
        block_sha256: block.finalize().into(),
        payload_sha256: match (payload, in_payload) {
            (Some(p), true) => Some(p.finalize().into()),
            _ => None,
        },
    })
}

/// One header line without its CRLF.
fn read_line(r: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    r.take(MAX_HEADER_BYTES).read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\n") {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "header line cut short",
        ));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The payload of the record whose gzip member starts at `offset` and is `length` bytes long,
/// streamed: what follows the HTTP head of an `application/http` block, or the whole block of
/// any other record (a `resource`). Only the member is read; the reader ends with the payload.
pub fn open_payload(
    path: &Path,
    offset: u64,
    length: u64,
) -> io::Result<impl BufRead + Send + use<>> {
    use std::io::Seek;
    let mut file = std::fs::File::open(path)?;
    file.seek(io::SeekFrom::Start(offset))?;
    let gz = flate2::bufread::GzDecoder::new(BufReader::with_capacity(BUFFER, file.take(length)));
    let mut member = BufReader::with_capacity(BUFFER, gz);
    let version = read_line(&mut member)?;
    if !version.starts_with("WARC/") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("no WARC record at offset {offset}"),
        ));
    }
    let (mut block_len, mut http) = (None, false);
    loop {
        let line = read_line(&mut member)?;
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("Content-Length") {
                block_len = value.parse::<u64>().ok();
            } else if name.eq_ignore_ascii_case("Content-Type") {
                http = value.starts_with("application/http");
            }
        }
    }
    let block_len =
        block_len.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no Content-Length"))?;
    let mut head = 0u64;
    if http {
        let mut line = Vec::new();
        loop {
            line.clear();
            (&mut member)
                .take(MAX_HEADER_BYTES)
                .read_until(b'\n', &mut line)?;
            head += line.len() as u64;
            if !line.ends_with(b"\n") {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "HTTP head cut short",
                ));
            }
            if line == b"\r\n" || line == b"\n" {
                break;
            }
            if head > MAX_HEADER_BYTES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "HTTP head too long",
                ));
            }
        }
    }
    let payload = block_len.checked_sub(head).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "HTTP head longer than the block",
        )
    })?;
    Ok(member.take(payload))
}
