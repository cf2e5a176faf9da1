//! A PDF's decoding budget, checked before its text is extracted: every stream a text extractor
//! would inflate is inflated here first, streaming into nothing, and the PDF is read as text only
//! when all of them together stay within `MAX_INFLATED`. A 1 MiB PDF whose Flate stream inflates
//! to 1 GiB then costs a bounded scan (at most `MAX_INFLATED` bytes inflated, 64 KiB held at a
//! time) instead of the whole gibibyte in memory; its fingerprint falls back to the raw hash.
//!
//! Streams are found by their `stream` and `endstream` keywords, so a `/Length` that lies does
//! not matter; object streams are streams too. Image streams are not counted (text extraction
//! does not decode them). Filters other than Flate, ASCII85 and ASCIIHex in front of a Flate
//! stream cannot be measured here, so such a PDF is not read as text at all.

use std::io::Read;

/// Most bytes the streams of a PDF read as text may inflate to, all together.
pub const MAX_INFLATED: u64 = 48 * 1024 * 1024;

/// Whether decoding the PDF's streams stays within `MAX_INFLATED`.
pub fn within_budget(pdf: &[u8]) -> bool {
    let mut spent: u64 = 0;
    let mut from = 0;
    while let Some(start) = find(&pdf[from..], b"stream").map(|i| from + i) {
        // `endstream` contains `stream`: skip it, it closes the previous one.
        if start >= 3 && &pdf[start - 3..start] == b"end" {
            from = start + 6;
            continue;
        }
        let mut data = start + 6;
        if pdf.get(data) == Some(&b'\r') {
            data += 1;
        }
        if pdf.get(data) == Some(&b'\n') {
            data += 1;
        }
        let end = find(&pdf[data..], b"endstream").map_or(pdf.len(), |i| data + i);
        let dict = dictionary_before(&pdf[..start]);
        let Some(cost) = stream_cost(dict, &pdf[data..end], MAX_INFLATED - spent) else {
            return false;
        };
        spent += cost;
        if spent > MAX_INFLATED {
            return false;
        }
        from = end;
    }
    true
}

/// The dictionary a stream keyword follows: from the last `<<` of its object (at most 4 KiB
/// back) to the keyword.
fn dictionary_before(before: &[u8]) -> &[u8] {
    let window = &before[before.len().saturating_sub(4096)..];
    let obj = rfind(window, b" obj").map_or(0, |i| i + 4);
    &window[obj..]
}

/// What decoding one stream costs, in inflated bytes; `None` when it is over `left` or cannot be
/// measured.
fn stream_cost(dict: &[u8], data: &[u8], left: u64) -> Option<u64> {
    if contains(dict, b"/Image") {
        return Some(0);
    }
    let filters = filters(dict);
    let mut bytes: std::borrow::Cow<'_, [u8]> = data.into();
    for (i, filter) in filters.iter().enumerate() {
        let last = i + 1 == filters.len();
        match filter.as_slice() {
            b"FlateDecode" | b"Fl" if last => return inflated_len(&bytes, left),
            b"ASCII85Decode" | b"A85" => bytes = ascii85(&bytes)?.into(),
            b"ASCIIHexDecode" | b"AHx" => bytes = ascii_hex(&bytes).into(),
            // Image codecs, or anything a text extractor leaves alone, as the last filter.
            _ if last
                && !matches!(
                    filter.as_slice(),
                    b"LZWDecode" | b"LZW" | b"RunLengthDecode" | b"RL"
                ) =>
            {
                return Some(bytes.len() as u64);
            }
            _ => return None,
        }
    }
    Some(bytes.len() as u64)
}

/// The names in a dictionary's `/Filter`, a name or an array of names.
fn filters(dict: &[u8]) -> Vec<Vec<u8>> {
    let Some(at) = find(dict, b"/Filter") else {
        return Vec::new();
    };
    let rest = &dict[at + 7..];
    let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    let value = if rest.first() == Some(&b'[') {
        &rest[1..rest.iter().position(|&b| b == b']').unwrap_or(rest.len())]
    } else {
        let end = rest
            .iter()
            .skip(1)
            .position(|&b| b == b'/' || b == b'>' || b.is_ascii_whitespace())
            .map_or(rest.len(), |i| i + 1);
        &rest[..end]
    };
    value
        .split(|&b| b == b'/' || b.is_ascii_whitespace())
        .filter(|n| !n.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// How many bytes a zlib (or raw deflate) stream inflates to, streaming; `None` past `left`.
fn inflated_len(data: &[u8], left: u64) -> Option<u64> {
    let zlib = data.len() >= 2 && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    let mut count = |reader: &mut dyn Read| -> Option<u64> {
        loop {
            match reader.read(&mut buf) {
                // A damaged stream inflates to what came before the damage, as extractors read it.
                Ok(0) | Err(_) => return Some(total),
                Ok(n) => {
                    total += n as u64;
                    if total > left {
                        return None;
                    }
                }
            }
        }
    };
    if zlib {
        count(&mut flate2::read::ZlibDecoder::new(data))
    } else {
        count(&mut flate2::read::DeflateDecoder::new(data))
    }
}

fn ascii85(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() * 4 / 5);
    let mut group = [0u32; 5];
    let mut n = 0;
    for &b in data {
        match b {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group[n] = u32::from(b - b'!');
                n += 1;
                if n == 5 {
                    let v = group
                        .iter()
                        .try_fold(0u32, |acc, &d| acc.checked_mul(85)?.checked_add(d))?;
                    out.extend_from_slice(&v.to_be_bytes());
                    n = 0;
                }
            }
            _ if b.is_ascii_whitespace() => {}
            _ => return None,
        }
    }
    if n > 1 {
        for slot in group.iter_mut().skip(n) {
            *slot = 84;
        }
        let v = group
            .iter()
            .try_fold(0u32, |acc, &d| acc.checked_mul(85)?.checked_add(d))?;
        out.extend_from_slice(&v.to_be_bytes()[..n - 1]);
    }
    Some(out)
}

fn ascii_hex(data: &[u8]) -> Vec<u8> {
    let digits: Vec<u8> = data
        .iter()
        .take_while(|&&b| b != b'>')
        .filter_map(|&b| (b as char).to_digit(16).map(|d| d as u8))
        .collect();
    digits
        .chunks(2)
        .map(|p| p[0] << 4 | p.get(1).copied().unwrap_or(0))
        .collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(bytes).expect("compress");
        z.finish().expect("compress")
    }

    fn pdf_with(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        for (i, (dict, data)) in streams.iter().enumerate() {
            pdf.extend_from_slice(
                format!(
                    "{} 0 obj << {dict} /Length {} >>\nstream\n",
                    i + 1,
                    data.len()
                )
                .as_bytes(),
            );
            pdf.extend_from_slice(data);
            pdf.extend_from_slice(b"\nendstream\nendobj\n");
        }
        pdf.extend_from_slice(b"%%EOF\n");
        pdf
    }

    #[test]
    fn ordinary_streams_are_within_budget() {
        let text = zlib(b"BT /F1 12 Tf (Hello) Tj ET");
        assert!(within_budget(&pdf_with(&[("/Filter /FlateDecode", text)])));
        assert!(within_budget(&pdf_with(&[(
            "",
            b"BT (plain) Tj ET".to_vec()
        )])));
        assert!(within_budget(b"not a pdf at all"));
    }

    #[test]
    fn streams_that_inflate_past_the_budget_are_refused_together() {
        let mib = zlib(&vec![0u8; 1 << 20]);
        let one = pdf_with(&[("/Filter /FlateDecode", mib.clone())]);
        assert!(within_budget(&one));
        // 49 streams of 1 MiB each: over 48 MiB together, however small each is.
        let many: Vec<(&str, Vec<u8>)> = (0..49)
            .map(|_| ("/Filter/FlateDecode", mib.clone()))
            .collect();
        assert!(!within_budget(&pdf_with(&many)));
        // An image stream is not counted: extractors do not decode it.
        let images: Vec<(&str, Vec<u8>)> = (0..49)
            .map(|_| ("/Subtype /Image /Filter /FlateDecode", mib.clone()))
            .collect();
        assert!(within_budget(&pdf_with(&images)));
    }

    #[test]
    fn filter_chains_are_decoded_or_refused() {
        let inner = zlib(&vec![0u8; 1 << 20]);
        let hex: Vec<u8> = inner
            .iter()
            .flat_map(|b| format!("{b:02x}").into_bytes())
            .collect();
        let chained = pdf_with(&[("/Filter [/ASCIIHexDecode /FlateDecode]", hex)]);
        assert!(within_budget(&chained));
        let lzw = pdf_with(&[("/Filter [/LZWDecode /FlateDecode]", inner)]);
        assert!(!within_budget(&lzw));
    }

    #[test]
    fn ascii85_decodes() {
        assert_eq!(
            ascii85(b"87cURD]i,\"Ebo80~>").as_deref(),
            Some(&b"Hello World!"[..])
        );
        assert_eq!(ascii85(b"z~>").as_deref(), Some(&[0u8; 4][..]));
    }
}
