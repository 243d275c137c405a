//! Text on the wire: which encoding to use, and turning bytes into text and back.
//!
//! The seeds call `data.decode('utf-8')` or `data.decode('gbk')` and crash with
//! `UnicodeDecodeError` on the first bad byte. Here invalid bytes never stop a
//! program: they show as U+FFFD (�).

use std::{borrow::Cow, fmt, str::FromStr};

use encoding_rs::GBK;

/// The `--encoding` choice every lesson shares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 both ways: Python's `.encode('utf-8')` / `.decode('utf-8')`.
    Utf8,
    /// GBK both ways, as Windows tools such as the network debugging assistant send it.
    Gbk,
    /// Send UTF-8; decode strict UTF-8 and fall back to GBK when the bytes are not UTF-8.
    #[default]
    Auto,
}

impl Encoding {
    /// Every accepted name, for help texts and error messages.
    pub const NAMES: &'static str = "utf8, gbk or auto";

    /// Text to bytes: Python's `msg.encode('utf-8')`. `Auto` sends UTF-8.
    /// GBK cannot hold every character (emoji, for one); encoding_rs writes those
    /// as HTML numeric references such as `&#128512;`, never an error.
    pub fn encode<'a>(self, text: &'a str) -> Cow<'a, [u8]> {
        match self {
            Encoding::Utf8 | Encoding::Auto => Cow::Borrowed(text.as_bytes()),
            Encoding::Gbk => GBK.encode(text).0,
        }
    }

    /// Bytes to text for one whole message, such as a UDP datagram:
    /// Python's `data.decode(...)`, but invalid bytes become U+FFFD instead of an exception.
    pub fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            Encoding::Utf8 => String::from_utf8_lossy(bytes),
            Encoding::Gbk => GBK.decode_without_bom_handling(bytes).0,
            Encoding::Auto => match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => GBK.decode_without_bom_handling(bytes).0,
            },
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "utf8",
            Encoding::Gbk => "gbk",
            Encoding::Auto => "auto",
        })
    }
}

impl FromStr for Encoding {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "utf8" => Ok(Encoding::Utf8),
            // GB2312 is a subset of GBK, and Windows calls GBK "cp936".
            "gbk" | "gb2312" | "cp936" => Ok(Encoding::Gbk),
            "auto" => Ok(Encoding::Auto),
            _ => Err(format!("unknown encoding '{name}' (use {})", Self::NAMES)),
        }
    }
}

/// Received text made safe to print: every control character is shown visibly
/// instead of reaching the terminal raw. A peer's text can hold terminal commands: ESC starts sequences that clear the screen
/// or set the window title, and a carriage return in mid-line moves back to the start,
/// so `innocent\r[127.0.0.1:1] spoofed` would look like a line from someone else. Here
/// C0 controls (ESC, CR, LF, ...) become their pictures (␛ ␍ ␊), DEL becomes ␡, and the
/// C1 and bidirectional controls `<U+009B>`; a tab stays. Print all peer text through this.
pub fn printable(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if !text.contains(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            '\0'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')),
            '\u{7f}' => out.push('\u{2421}'),
            c if unsafe_char(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// How many of `bytes` end on a whole character: a multibyte character that the
/// last read cut in two is left out, to be completed by the next read.
/// UTF-8 (and `auto`, until the bytes turn out not to be UTF-8) is cut before an
/// unfinished sequence; GBK before a lone lead byte (0x81 to 0xFE) at the end.
pub fn complete_len(bytes: &[u8], encoding: Encoding) -> usize {
    if encoding != Encoding::Gbk {
        match std::str::from_utf8(bytes) {
            Ok(_) => return bytes.len(),
            Err(e) if e.error_len().is_none() => return e.valid_up_to(),
            Err(_) if encoding == Encoding::Utf8 => return bytes.len(),
            Err(_) => {} // auto, and not UTF-8: GBK
        }
    }
    let mut at = 0;
    while at < bytes.len() {
        if (0x81..=0xfe).contains(&bytes[at]) {
            if at + 1 == bytes.len() {
                return at;
            }
            at += 2;
        } else {
            at += 1;
        }
    }
    bytes.len()
}

/// Cuts a received byte stream (TCP) into lines and decodes each whole line.
/// TCP keeps no message boundaries: one read can end in the middle of a line, or of a
/// character. The buffer keeps such bytes until the line ends, so no character is ever
/// split, and `auto` decides UTF-8 or GBK for each whole line. A line with no end comes
/// out in pieces of `max` bytes, so a peer cannot fill the memory.
#[derive(Debug)]
pub struct LineBuffer {
    encoding: Encoding,
    max: usize,
    pending: Vec<u8>,
}

impl LineBuffer {
    /// A buffer that keeps at most `max` bytes of an unfinished line.
    pub fn new(encoding: Encoding, max: usize) -> Self {
        LineBuffer {
            encoding,
            max: max.max(4),
            pending: Vec::new(),
        }
    }

    /// Adds what a read returned; returns the lines it completed, without their `\n` or `\r\n`.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(at) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=at).collect();
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            lines.push(self.encoding.decode(line).into_owned());
        }
        while self.pending.len() >= self.max {
            let cut = complete_len(&self.pending[..self.max], self.encoding).max(1);
            let piece: Vec<u8> = self.pending.drain(..cut).collect();
            lines.push(self.encoding.decode(&piece).into_owned());
        }
        lines
    }

    /// The end of the stream: what is left of an unfinished line, if anything.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        (!rest.is_empty()).then(|| self.encoding.decode(&rest).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for e in [Encoding::Utf8, Encoding::Gbk, Encoding::Auto] {
            assert_eq!(e.to_string().parse::<Encoding>(), Ok(e));
        }
        assert_eq!("UTF-8".parse::<Encoding>(), Ok(Encoding::Utf8));
        assert_eq!("cp936".parse::<Encoding>(), Ok(Encoding::Gbk));
        let err = "latin1".parse::<Encoding>().unwrap_err();
        assert_eq!(err, "unknown encoding 'latin1' (use utf8, gbk or auto)");
    }

    #[test]
    fn auto_reads_gbk_and_utf8() {
        let gbk = Encoding::Gbk.encode("你好");
        assert_eq!(&*gbk, b"\xc4\xe3\xba\xc3");
        assert_eq!(Encoding::Auto.decode(&gbk), "你好");
        assert_eq!(Encoding::Auto.decode("你好".as_bytes()), "你好");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        assert_eq!(Encoding::Utf8.decode(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(Encoding::Gbk.decode(b"a\xffb"), "a\u{fffd}b");
    }

    #[test]
    fn printable_shows_control_characters() {
        assert_eq!(printable("plain 你好\tok"), "plain 你好\tok");
        assert_eq!(printable("\x1b[2J"), "\u{241b}[2J");
        assert_eq!(
            printable("innocent\r[x] spoofed\n"),
            "innocent\u{240d}[x] spoofed\u{240a}"
        );
        assert_eq!(printable("\x7f\u{9b}\u{202e}"), "\u{2421}<U+009B><U+202E>");
    }

    #[test]
    fn complete_len_never_cuts_a_character() {
        assert_eq!(complete_len(b"split \xe4", Encoding::Auto), 6);
        assert_eq!(complete_len(b"split \xe4\xbd\xa0", Encoding::Auto), 9);
        assert_eq!(complete_len(b"ab\xc4", Encoding::Gbk), 2);
        assert_eq!(complete_len(b"\xc4\xe3\xba", Encoding::Auto), 2);
        assert_eq!(complete_len(b"a\xffb", Encoding::Utf8), 3);
    }

    #[test]
    fn a_line_buffer_keeps_split_characters_and_decides_per_line() {
        let mut lines = LineBuffer::new(Encoding::Auto, 100);
        assert!(lines.push(b"split \xe4").is_empty());
        assert_eq!(
            lines.push(b"\xbd\xa0 end\r\n\xc4\xe3\n"),
            ["split 你 end", "你"]
        );
        assert!(lines.push(b"tail").is_empty());
        assert_eq!(lines.finish().as_deref(), Some("tail"));
        let mut lines = LineBuffer::new(Encoding::Utf8, 4);
        assert_eq!(lines.push("ab你".as_bytes()), ["ab"]);
        assert_eq!(lines.finish().as_deref(), Some("你"));
    }
}
