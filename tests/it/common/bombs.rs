//! Compression bombs for the hostile servers, built without compressing what they decode to:
//! a gzip member and a brotli stream of zeros sent piece by piece, a zlib stream of zeros, and a
//! PDF whose content stream is one.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use flate2::{Compress, Compression, Crc, FlushCompress};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

/// Zero bytes per repeated deflate piece of a gzip bomb.
const BOMB_CHUNK: usize = 1 << 20;

/// A gzip member decoding to `decoded_len` zero bytes, built from one compressed 1 MiB piece that
/// is sent again and again, so a 100 MiB bomb costs ~100 KiB of memory and no 100 MiB compression.
///
/// Each piece is compressed by a fresh compressor and ended with a full flush, so it is
/// byte-aligned, never final and never refers back to earlier output: copies can follow each
/// other. The CRC of the whole is combined from the pieces' CRCs.
pub struct GzipBomb {
    chunk: &'static [u8],
    copies: u64,
    remainder: Vec<u8>,
    trailer: Vec<u8>,
}

impl GzipBomb {
    /// gzip header: magic, deflate, no flags, no mtime, no extra flags, unknown OS.
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

    pub fn new(decoded_len: u64) -> Self {
        static CHUNK: OnceLock<(Vec<u8>, Crc)> = OnceLock::new();
        let (chunk, chunk_crc) = CHUNK.get_or_init(|| {
            let zeros = vec![0u8; BOMB_CHUNK];
            let mut crc = Crc::new();
            crc.update(&zeros);
            (deflate_piece(&zeros, FlushCompress::Full), crc)
        });
        let copies = decoded_len / BOMB_CHUNK as u64;
        let rest = vec![0u8; (decoded_len % BOMB_CHUNK as u64) as usize];

        let mut crc = Crc::new();
        for _ in 0..copies {
            crc.combine(chunk_crc);
        }
        let mut rest_crc = Crc::new();
        rest_crc.update(&rest);
        crc.combine(&rest_crc);

        let mut remainder = deflate_piece(&rest, FlushCompress::Full);
        remainder.extend(deflate_piece(&[], FlushCompress::Finish));
        let mut trailer = crc.sum().to_le_bytes().to_vec();
        trailer.extend((decoded_len as u32).to_le_bytes());
        GzipBomb {
            chunk,
            copies,
            remainder,
            trailer,
        }
    }

    pub fn encoded_len(&self) -> u64 {
        (Self::HEADER.len() + self.remainder.len() + self.trailer.len()) as u64
            + self.copies * self.chunk.len() as u64
    }

    pub async fn write_to(&self, socket: &mut TcpStream) -> std::io::Result<()> {
        socket.write_all(&Self::HEADER).await?;
        for _ in 0..self.copies {
            socket.write_all(self.chunk).await?;
        }
        socket.write_all(&self.remainder).await?;
        socket.write_all(&self.trailer).await
    }

    /// The whole encoded member in memory (for small bombs in self-tests).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Self::HEADER.to_vec();
        for _ in 0..self.copies {
            out.extend_from_slice(self.chunk);
        }
        out.extend_from_slice(&self.remainder);
        out.extend_from_slice(&self.trailer);
        out
    }
}

/// A zlib stream (a PDF's `/FlateDecode`) inflating to `decoded_len` zero bytes, from the gzip
/// bomb's repeated deflate pieces: a 2-byte header, the same deflate data, Adler-32 of the zeros.
pub fn zlib_bomb(decoded_len: u64) -> Vec<u8> {
    let bomb = GzipBomb::new(decoded_len);
    let mut out = vec![0x78, 0x01];
    for _ in 0..bomb.copies {
        out.extend_from_slice(bomb.chunk);
    }
    out.extend_from_slice(&bomb.remainder);
    // Adler-32 of n zeros: a stays 1, b adds 1 per byte.
    let adler = (((decoded_len % 65521) as u32) << 16) | 1;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

/// A one-page PDF (with its cross-reference table) whose content stream inflates to
/// `decoded_len` bytes of zeros.
pub fn pdf_bomb(decoded_len: u64) -> Vec<u8> {
    let stream = zlib_bomb(decoded_len);
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objects: [&[u8]; 3] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    offsets.push(pdf.len());
    pdf.extend_from_slice(
        format!(
            "4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
            stream.len()
        )
        .as_bytes(),
    );
    pdf.extend_from_slice(&stream);
    pdf.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    pdf
}

/// Zero bytes per repeated piece of a brotli bomb.
const BROTLI_PIECE: usize = 1 << 20;

/// A brotli stream decoding to `decoded_len` zero bytes, built like [`GzipBomb`]: once the first
/// 1 MiB of zeros is in the window, every further 1 MiB piece, ended with a flush, compresses to
/// the same few bytes (the compressor's state repeats), so those bytes are sent again and again.
/// A 100 MiB bomb costs compressing ~3 MiB, not 100 MiB.
///
/// A flush byte-aligns the stream (it ends with an empty metadata block), so copies of a piece
/// can follow each other. `hostile::brotli_bomb_decodes_to_its_declared_length` self-tests this.
pub struct BrotliBomb {
    /// The stream header and the first piece (for a bomb under 2 MiB, the whole stream).
    prefix: Vec<u8>,
    piece: Vec<u8>,
    copies: u64,
    /// The rest (`decoded_len` mod 1 MiB) and the stream's last meta-block.
    suffix: Vec<u8>,
}

impl BrotliBomb {
    pub fn new(decoded_len: u64) -> Self {
        let whole = decoded_len / BROTLI_PIECE as u64;
        let rest = vec![0u8; (decoded_len % BROTLI_PIECE as u64) as usize];
        let zeros = vec![0u8; BROTLI_PIECE];
        let mut encoder = brotli::CompressorWriter::new(Vec::new(), 64 * 1024, 5, 22);
        if whole < 2 {
            let mut prefix = Vec::new();
            for _ in 0..whole {
                prefix.extend(brotli_piece(&mut encoder, &zeros));
            }
            prefix.extend(brotli_piece(&mut encoder, &rest));
            prefix.extend(encoder.into_inner());
            return BrotliBomb {
                prefix,
                piece: Vec::new(),
                copies: 0,
                suffix: Vec::new(),
            };
        }
        let prefix = brotli_piece(&mut encoder, &zeros);
        let piece = brotli_piece(&mut encoder, &zeros);
        // The repeated piece must not depend on how many came before it.
        let again = brotli_piece(&mut encoder, &zeros);
        assert_eq!(again, piece, "brotli pieces of zeros do not repeat");
        let mut suffix = brotli_piece(&mut encoder, &rest);
        suffix.extend(encoder.into_inner());
        BrotliBomb {
            prefix,
            piece,
            // `again` stands for one of the copies.
            copies: whole - 1,
            suffix,
        }
    }

    /// The bomb for `decoded_len`, built once per test process.
    pub fn cached(decoded_len: u64) -> Arc<BrotliBomb> {
        static BUILT: OnceLock<Mutex<HashMap<u64, Arc<BrotliBomb>>>> = OnceLock::new();
        let built = BUILT.get_or_init(Mutex::default);
        if let Some(bomb) = built.lock().unwrap().get(&decoded_len) {
            return bomb.clone();
        }
        let bomb = Arc::new(BrotliBomb::new(decoded_len));
        built
            .lock()
            .unwrap()
            .entry(decoded_len)
            .or_insert(bomb)
            .clone()
    }

    pub fn encoded_len(&self) -> u64 {
        (self.prefix.len() + self.suffix.len()) as u64 + self.copies * self.piece.len() as u64
    }

    pub async fn write_to(&self, socket: &mut TcpStream) -> std::io::Result<()> {
        socket.write_all(&self.prefix).await?;
        // Pieces are a dozen bytes: send them 64 at a time rather than one write each.
        let batch = self.piece.repeat(64);
        let mut left = self.copies;
        while left > 0 {
            let n = left.min(64) as usize;
            socket.write_all(&batch[..n * self.piece.len()]).await?;
            left -= n as u64;
        }
        socket.write_all(&self.suffix).await
    }

    /// The whole encoded stream in memory (for self-tests).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        for _ in 0..self.copies {
            out.extend_from_slice(&self.piece);
        }
        out.extend_from_slice(&self.suffix);
        out
    }
}

/// Compresses `input` and flushes; returns the bytes the encoder produced for it.
fn brotli_piece(encoder: &mut brotli::CompressorWriter<Vec<u8>>, input: &[u8]) -> Vec<u8> {
    encoder.write_all(input).expect("brotli into memory");
    encoder.flush().expect("brotli into memory");
    std::mem::take(encoder.get_mut())
}

/// Raw deflate of `input` by a fresh compressor, ended with `flush`.
fn deflate_piece(input: &[u8], flush: FlushCompress) -> Vec<u8> {
    let mut compress = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(input.len() / 100 + 1024);
    loop {
        let consumed = compress.total_in() as usize;
        if out.capacity() - out.len() < 1024 {
            out.reserve(64 * 1024);
        }
        let status = compress
            .compress_vec(&input[consumed..], &mut out, flush)
            .expect("deflate into memory");
        let done_input = compress.total_in() as usize == input.len();
        let room_left = out.capacity() > out.len();
        if done_input && room_left {
            // With room left over, the flush has been written completely.
            if matches!(flush, FlushCompress::Finish) && status != flate2::Status::StreamEnd {
                continue;
            }
            return out;
        }
    }
}
