//! The chunked transfer coding (RFC 9112, section 7.1), decoded as it streams in.
//!
//! A server that does not know the body's length up front sends it in chunks,
//! each preceded by its size in hex, and ends with a chunk of size 0:
//!
//! ```text
//! 7;note=ext\r\n        size 7, with a chunk extension (ignored)
//! Mozilla\r\n
//! 0\r\n                 the last chunk
//! Expires: never\r\n    trailer fields (optional)
//! \r\n
//! ```
//!
//! Any read may stop anywhere, even inside "\r\n", so the decoder keeps its place
//! between reads in a small state and never holds more than the trailer section.

use std::fmt;

/// The largest chunk-size line (size plus extensions) accepted.
const MAX_SIZE_LINE: usize = 4096;
/// The largest trailer section accepted, the same cap as the response head.
const MAX_TRAILERS: usize = 64 * 1024;

/// Why a chunked body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadChunk(&'static str);

impl fmt::Display for BadChunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad chunked body: {}", self.0)
    }
}

impl std::error::Error for BadChunk {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the hex digits of a chunk size.
    Size { size: u64, digits: u8 },
    /// After the size: chunk extensions or spaces, up to the end of the line.
    SizeLine { size: u64, cr: bool },
    /// Inside a chunk's data.
    Data { left: u64 },
    /// The CRLF after a chunk's data.
    DataEnd { cr: bool },
    /// After the last chunk: trailer lines until an empty line.
    Trailers { line: usize },
    /// The body is complete.
    Done,
}

/// Decodes a chunked body one read at a time.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    line_len: usize,
    trailers: Vec<u8>,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0 },
            line_len: 0,
            trailers: Vec::new(),
        }
    }
}

impl ChunkedDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the last chunk and the trailers have arrived: the body is complete.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The trailer lines (fields sent after the body), without their line endings.
    pub fn trailers(&self) -> impl Iterator<Item = &[u8]> {
        self.trailers
            .split(|&b| b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .filter(|line| !line.is_empty())
    }

    /// Decodes from the start of `input`. Returns how many bytes it used and the
    /// body data among them (a slice of `input`, so nothing is copied). Call it
    /// again with the rest of `input` until all is used or the body is done.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<(usize, &'a [u8]), BadChunk> {
        let mut used = 0;
        while used < input.len() {
            match self.state {
                State::Done => break,
                State::Data { left } => {
                    let n = usize::try_from(left)
                        .unwrap_or(usize::MAX)
                        .min(input.len() - used);
                    self.state = match left - n as u64 {
                        0 => State::DataEnd { cr: false },
                        left => State::Data { left },
                    };
                    return Ok((used + n, &input[used..used + n]));
                }
                _ => {
                    self.step(input[used])?;
                    used += 1;
                }
            }
        }
        Ok((used, &[]))
    }

    /// One byte of framing: sizes, extensions, line ends and trailers.
    fn step(&mut self, byte: u8) -> Result<(), BadChunk> {
        self.state = match self.state {
            State::Size { size, digits } => match (byte as char).to_digit(16) {
                Some(digit) if digits < 16 => State::Size {
                    size: size * 16 + u64::from(digit),
                    digits: digits + 1,
                },
                Some(_) => return Err(BadChunk("chunk size too large")),
                None if digits == 0 => return Err(BadChunk("expected a hex chunk size")),
                None => {
                    self.line_len = 0;
                    self.size_line(size, false, byte)?
                }
            },
            State::SizeLine { size, cr } => self.size_line(size, cr, byte)?,
            State::DataEnd { cr } => match byte {
                b'\r' if !cr => State::DataEnd { cr: true },
                b'\n' => State::Size { size: 0, digits: 0 },
                _ => return Err(BadChunk("expected CRLF after the chunk data")),
            },
            State::Trailers { line } => {
                if self.trailers.len() >= MAX_TRAILERS {
                    return Err(BadChunk("trailer section larger than 64 KiB"));
                }
                match byte {
                    // An empty line ends the trailers, and the body.
                    b'\n' if line == 0 => State::Done,
                    b'\n' => {
                        self.trailers.push(byte);
                        State::Trailers { line: 0 }
                    }
                    b'\r' => State::Trailers { line },
                    _ => {
                        self.trailers.push(byte);
                        State::Trailers { line: line + 1 }
                    }
                }
            }
            State::Data { .. } | State::Done => self.state,
        };
        Ok(())
    }

    /// The rest of a size line after the digits: `;name=value` extensions and
    /// spaces are skipped (nothing here needs them), up to CRLF. A bare LF is
    /// accepted as a line end, as RFC 9112 allows.
    fn size_line(&mut self, size: u64, cr: bool, byte: u8) -> Result<State, BadChunk> {
        self.line_len += 1;
        if self.line_len > MAX_SIZE_LINE {
            return Err(BadChunk("chunk extension longer than 4 KiB"));
        }
        Ok(match byte {
            b'\n' if size == 0 => State::Trailers { line: 0 },
            b'\n' => State::Data { left: size },
            _ if cr => return Err(BadChunk("a CR not followed by LF in a chunk size line")),
            b'\r' => State::SizeLine { size, cr: true },
            // Just after the digits, only an extension or spaces may follow.
            b';' | b' ' | b'\t' => State::SizeLine { size, cr: false },
            _ if self.line_len == 1 => return Err(BadChunk("expected a hex chunk size")),
            _ => State::SizeLine { size, cr: false },
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    /// Feeds `pieces` one after another; returns the body and the decoder.
    fn decode_all(pieces: &[&[u8]]) -> Result<(Vec<u8>, ChunkedDecoder), BadChunk> {
        let mut decoder = ChunkedDecoder::new();
        let mut body = Vec::new();
        for piece in pieces {
            let mut rest = *piece;
            while !rest.is_empty() && !decoder.is_done() {
                let (used, data) = decoder.decode(rest)?;
                body.extend_from_slice(data);
                rest = &rest[used..];
            }
        }
        Ok((body, decoder))
    }

    #[test]
    fn decodes_the_rfc_example_with_extensions_and_trailers() {
        let wire = b"4\r\nWiki\r\n7;lang=en;x=\"a b\"\r\npedia i\r\nB ; note\r\nn \r\nchunks.\r\n0;end\r\nExpires: never\r\nX-Sum: 1\r\n\r\n";
        let (body, decoder) = decode_all(&[wire]).unwrap();
        assert_eq!(body, b"Wikipedia in \r\nchunks.");
        assert!(decoder.is_done());
        let trailers: Vec<&[u8]> = decoder.trailers().collect();
        assert_eq!(trailers, [&b"Expires: never"[..], b"X-Sum: 1"]);
    }

    #[test]
    fn accepts_bare_lf_and_upper_case_hex() {
        let (body, decoder) = decode_all(&[b"A\n0123456789\n0\n\n"]).unwrap();
        assert_eq!(body, b"0123456789");
        assert!(decoder.is_done());
    }

    #[test]
    fn stops_at_the_end_of_the_body() {
        let mut decoder = ChunkedDecoder::new();
        let input = b"1\r\nx\r\n0\r\n\r\nGARBAGE";
        let mut rest = &input[..];
        let mut body = Vec::new();
        while !decoder.is_done() {
            let (used, data) = decoder.decode(rest).unwrap();
            body.extend_from_slice(data);
            rest = &rest[used..];
        }
        assert_eq!((&body[..], rest), (&b"x"[..], &b"GARBAGE"[..]));
    }

    #[test]
    fn refuses_malformed_framing() {
        for (wire, why) in [
            (&b"zz\r\n"[..], "expected a hex chunk size"),
            (b"\r\n", "expected a hex chunk size"),
            (b"5x\r\n", "expected a hex chunk size"),
            (b"3\r\nabcX", "expected CRLF after the chunk data"),
            (b"11111111111111111\r\n", "chunk size too large"),
            (b"3\rX", "a CR not followed by LF in a chunk size line"),
        ] {
            let e = decode_all(&[wire]).unwrap_err();
            assert_eq!(e, BadChunk(why), "{}", String::from_utf8_lossy(wire));
        }
        let long = [b"1;".as_slice(), &[b'x'; 5000]].concat();
        assert_eq!(
            decode_all(&[&long]).unwrap_err(),
            BadChunk("chunk extension longer than 4 KiB")
        );
        let huge = [b"0\r\n".as_slice(), &[b'x'; 70_000]].concat();
        assert_eq!(
            decode_all(&[&huge]).unwrap_err(),
            BadChunk("trailer section larger than 64 KiB")
        );
    }

    #[test]
    fn the_largest_size_is_taken_without_overflow() {
        let (body, decoder) = decode_all(&[b"FFFFFFFFFFFFFFFF\r\nabc"]).unwrap();
        assert_eq!(body, b"abc");
        assert!(!decoder.is_done());
    }

    /// Encodes `chunks` with an extension on some and the given trailers.
    fn encode(chunks: &[Vec<u8>], trailers: &[String]) -> Vec<u8> {
        let mut wire = Vec::new();
        for (i, chunk) in chunks.iter().filter(|c| !c.is_empty()).enumerate() {
            let ext = if i % 2 == 0 { ";i=1" } else { "" };
            wire.extend_from_slice(format!("{:x}{ext}\r\n", chunk.len()).as_bytes());
            wire.extend_from_slice(chunk);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n");
        for trailer in trailers {
            wire.extend_from_slice(format!("{trailer}\r\n").as_bytes());
        }
        wire.extend_from_slice(b"\r\n");
        wire
    }

    proptest! {
        #[test]
        fn any_split_of_the_stream_decodes_the_same(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
            trailers in proptest::collection::vec("[A-Za-z-]{1,8}: [ -~]{0,12}", 0..3),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
        ) {
            let wire = encode(&chunks, &trailers);
            let mut at: Vec<usize> = cuts.iter().map(|c| c.index(wire.len() + 1)).collect();
            at.push(0);
            at.push(wire.len());
            at.sort_unstable();
            let pieces: Vec<&[u8]> = at.windows(2).map(|w| &wire[w[0]..w[1]]).collect();
            let (body, decoder) = decode_all(&pieces).unwrap();
            prop_assert_eq!(body, chunks.concat());
            prop_assert!(decoder.is_done());
            let got: Vec<String> = decoder.trailers().map(|t| String::from_utf8_lossy(t).into_owned()).collect();
            prop_assert_eq!(got, trailers);
        }

        #[test]
        fn a_stream_cut_short_is_never_done(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..40), 0..6),
            cut in any::<prop::sample::Index>(),
        ) {
            let wire = encode(&chunks, &[]);
            let end = cut.index(wire.len());
            let (body, decoder) = decode_all(&[&wire[..end]]).unwrap();
            prop_assert!(!decoder.is_done());
            prop_assert!(chunks.concat().starts_with(&body));
        }
    }
}
