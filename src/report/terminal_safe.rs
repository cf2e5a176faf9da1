//! What reaches a terminal: every terminal document is written through `TerminalSafe`, which
//! drops every control character (C0 but line feed and tab, DEL, C1) and every escape sequence,
//! so a title, URL or server string cannot retitle the operator's terminal (`ESC ] 0; … BEL`),
//! move its cursor or clear it. With colour on, the SGR colour codes linkward's own styles use
//! pass, and only those.

use std::io::{self, Write};

/// The SGR parameters linkward's styles write: reset, bold, dim, and the foreground colours.
const OWN_SGR: &[&[u8]] = &[
    b"0", b"1", b"2", b"31", b"32", b"33", b"34", b"35", b"36", b"37", b"90", b"91", b"92", b"93",
];

/// Longest escape sequence parameter list kept while looking for its end.
const MAX_PARAMS: usize = 16;

enum State {
    Text,
    /// After ESC.
    Escape,
    /// After `ESC [`, with the parameters so far (`None` once too long to be ours).
    Csi(Option<Vec<u8>>),
    /// Inside a string sequence (OSC, DCS, …): dropped up to its terminator.
    Str,
    /// Inside a string sequence, after an ESC (a `ESC \` ends it).
    StrEscape,
    /// After the lead byte 0xC2 of a two-byte UTF-8 character, which may be a C1 control.
    C2,
}

/// A writer that lets only safe terminal text through; see the module's comment.
pub struct TerminalSafe<'a> {
    out: &'a mut dyn Write,
    colour: bool,
    state: State,
}

impl<'a> TerminalSafe<'a> {
    pub fn new(out: &'a mut dyn Write, colour: bool) -> Self {
        TerminalSafe {
            out,
            colour,
            state: State::Text,
        }
    }
}

impl Write for TerminalSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut kept = Vec::with_capacity(buf.len());
        for &b in buf {
            self.state = match std::mem::replace(&mut self.state, State::Text) {
                State::Text => match b {
                    0x1b => State::Escape,
                    b'\n' | b'\t' => {
                        kept.push(b);
                        State::Text
                    }
                    0x00..=0x1f | 0x7f => State::Text,
                    0xc2 => State::C2,
                    _ => {
                        kept.push(b);
                        State::Text
                    }
                },
                State::C2 => match b {
                    // U+0080–U+009F: C1 controls (0x9B is a one-character CSI). Dropped.
                    0x80..=0x9f => State::Text,
                    _ => {
                        kept.extend_from_slice(&[0xc2, b]);
                        State::Text
                    }
                },
                State::Escape => match b {
                    b'[' => State::Csi(Some(Vec::new())),
                    b']' | b'P' | b'X' | b'^' | b'_' => State::Str,
                    _ => State::Text,
                },
                State::Csi(params) => match b {
                    0x30..=0x3f => State::Csi(params.and_then(|mut p| {
                        p.push(b);
                        (p.len() <= MAX_PARAMS).then_some(p)
                    })),
                    0x20..=0x2f => State::Csi(None),
                    // The final byte: kept only as one of our own colour codes.
                    0x40..=0x7e => {
                        if let Some(p) = params
                            && self.colour
                            && b == b'm'
                            && p.split(|&c| c == b';').all(|n| OWN_SGR.contains(&n))
                        {
                            kept.extend_from_slice(b"\x1b[");
                            kept.extend_from_slice(&p);
                            kept.push(b'm');
                        }
                        State::Text
                    }
                    _ => State::Text,
                },
                State::Str => match b {
                    0x07 => State::Text,
                    0x1b => State::StrEscape,
                    _ => State::Str,
                },
                State::StrEscape => match b {
                    b'\\' => State::Text,
                    _ => State::Str,
                },
            };
        }
        self.out.write_all(&kept)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(colour: bool, pieces: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut safe = TerminalSafe::new(&mut out, colour);
        for p in pieces {
            safe.write_all(p).expect("write to memory");
        }
        out
    }

    #[test]
    fn hostile_sequences_are_dropped_and_text_kept() {
        let hostile: &[u8] =
            b"Report\x1b]0;pwned\x07 (pdf)\x1b[2J\x1b[1;1H\x1bP+q\x1b\\ \xc2\x9b31m\x08\x7fend\r\n";
        assert_eq!(through(false, &[hostile]), b"Report (pdf) 31mend\n");
        assert_eq!(through(true, &[hostile]), b"Report (pdf) 31mend\n");
        // UTF-8 text, including characters whose lead byte is 0xC2, passes.
        let text = "Bauböck – Münz · 50 ¢ «x»\tok\n";
        assert_eq!(through(false, &[text.as_bytes()]), text.as_bytes());
    }

    #[test]
    fn own_colours_pass_only_with_colour_on_even_split_across_writes() {
        let styled: &[&[u8]] = &[
            b"\x1b",
            b"[3",
            b"1m",
            b"broken",
            b"\x1b[0m",
            b" \x1b[1;32mok\x1b[0m",
        ];
        assert_eq!(
            through(true, styled),
            b"\x1b[31mbroken\x1b[0m \x1b[1;32mok\x1b[0m"
        );
        assert_eq!(through(false, styled), b"broken ok");
        // Not one of ours: conceal, blink, 256 colours.
        assert_eq!(
            through(true, &[b"\x1b[8mhidden\x1b[5m\x1b[38;5;1m"]),
            b"hidden"
        );
    }
}
