// ANCHOR: all
//! The response head, up to the first empty line: where the seed splits the whole
//! answer with `data.split(b'\r\n\r\n', 1)`, only the head is read and parsed.

use anyhow::{Result, bail};
use net_common::{Encoding, text::printable};

/// The largest response head accepted.
pub const HEAD_LIMIT: usize = 64 * 1024;

/// A parsed status line and header fields, values decoded as UTF-8 or else GBK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub version: u8, // 0 for HTTP/1.0, 1 for HTTP/1.1
    pub code: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The values of the header fields named `name` (case-insensitive).
    pub fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        let named = move |(n, _): &&(String, String)| n.eq_ignore_ascii_case(name);
        self.headers.iter().filter(named).map(|(_, v)| v.as_str())
    }

    /// The head as lines of text, with any control character shown visibly.
    pub fn lines(&self) -> Vec<String> {
        let status = format!("HTTP/1.{} {} {}", self.version, self.code, self.reason);
        let fields = self.headers.iter().map(|(n, v)| format!("{n}: {v}"));
        let lines = std::iter::once(status).chain(fields);
        lines.map(|line| printable(&line).into_owned()).collect()
    }

    /// Where the body ends (RFC 9112, section 6.3): after `Some(n)` bytes when
    /// the server sends a Content-Length, else (`None`) when it closes. Values that
    /// disagree are refused: a sign of a confused or malicious server (request
    /// smuggling works through them). Chunks are refused too: we asked in HTTP/1.0,
    /// so the server should not send them, and saved as they are, the chunk sizes
    /// would end up inside the file.
    pub fn length(&self) -> Result<Option<u64>> {
        if let Some(coding) = self.values("transfer-encoding").next() {
            let coding = printable(coding);
            bail!("the server sent 'Transfer-Encoding: {coding}', not decoded in this lesson");
        }
        let all = self.values("content-length").flat_map(|v| v.split(','));
        let mut lengths: Vec<&str> = all.map(str::trim).collect();
        lengths.dedup();
        match lengths[..] {
            [] => Ok(None),
            [text] if text.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(text.parse()?)),
            _ => bail!("the server sent a bad Content-Length, or values that disagree"),
        }
    }
}

/// Receives until a whole head is in `buf`, parses it, and moves the bytes
/// after it, the start of the body, to the front of `buf`. Returns the head and
/// how many body bytes are now in `buf`. `recv` is `s.recv(...)`: it fills the
/// slice it is given and returns the count, 0 once the server has closed.
pub fn read(
    buf: &mut [u8],
    mut recv: impl FnMut(&mut [u8]) -> Result<usize>,
) -> Result<(Head, usize)> {
    let limit = buf.len().min(HEAD_LIMIT);
    let mut filled = 0;
    loop {
        if filled == limit {
            bail!("the response head is larger than {} KiB", HEAD_LIMIT / 1024);
        }
        let received = recv(&mut buf[filled..limit])?;
        match (received, filled) {
            (0, 0) => bail!("the server closed the connection without answering"),
            (0, _) => bail!("the server closed the connection in the middle of the response head"),
            _ => {}
        }
        // Only an empty line ("\n\n" or "\n\r\n") can end a head: parse only
        // then, not after each of a slow server's one-byte reads.
        let from = filled.saturating_sub(2);
        filled += received;
        let empty_line = |w: &[u8]| w == b"\n\n" || w == b"\n\r";
        if !buf[from..filled].windows(2).any(empty_line) {
            continue;
        }
        let mut fields = [httparse::EMPTY_HEADER; 128];
        let mut response = httparse::Response::new(&mut fields);
        let len = match response.parse(&buf[..filled]) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => continue,
            Err(httparse::Error::Version) => {
                bail!("not an HTTP/1.x response: is this an HTTP server?")
            }
            Err(e) => bail!("the response head is malformed ({e})"),
        };
        // httparse's answer borrows from `buf`; the Head owns copies.
        let field = |h: &httparse::Header| (h.name.into(), Encoding::Auto.decode(h.value).into());
        let head = Head {
            version: response.version.unwrap_or(1),
            code: response.code.unwrap_or(0),
            reason: response.reason.unwrap_or("").to_owned(),
            headers: response.headers.iter().map(field).collect(),
        };
        buf.copy_within(len..filled, 0);
        return Ok((head, filled - len));
    }
}
// ANCHOR_END: all

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn head(text: &str) -> Head {
        read_from(text.as_bytes(), 1000).unwrap().0
    }

    /// `read` over canned bytes, handed out `step` bytes per recv.
    fn read_from(wire: &[u8], step: usize) -> anyhow::Result<(Head, Vec<u8>)> {
        let mut buf = vec![0; HEAD_LIMIT];
        let mut at = 0;
        let (head, filled) = read(&mut buf, |into| {
            let n = step.min(into.len()).min(wire.len() - at);
            into[..n].copy_from_slice(&wire[at..at + n]);
            at += n;
            Ok(n)
        })?;
        Ok((head, buf[..filled].to_vec()))
    }

    #[test]
    fn reads_a_head_and_keeps_the_start_of_the_body() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
        for step in [1, 2, 3, 7, 1000] {
            let (head, rest) = read_from(wire, step).unwrap();
            assert_eq!(head.code, 200);
            assert_eq!(head.reason, "OK");
            assert_eq!(head.values("x-a").collect::<Vec<_>>(), ["b"]);
            assert_eq!(head.length().unwrap(), Some(5));
            // With one byte per read, nothing of the body has been read yet.
            assert!(b"hello".starts_with(&rest), "{step}");
        }
        assert_eq!(
            head("HTTP/1.0 404 Not Found\r\nA: 1\r\n\r\n").lines(),
            ["HTTP/1.0 404 Not Found", "A: 1"]
        );
    }

    #[test]
    fn a_head_with_bare_newlines_is_read_too() {
        let (head, rest) = read_from(b"HTTP/1.1 200 OK\nServer: seed\n\nbody", 4).unwrap();
        assert_eq!(head.values("server").next(), Some("seed"));
        assert!(b"body".starts_with(&rest));
    }

    #[test]
    fn refuses_heads_over_the_limit_and_cut_short() {
        let big = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(HEAD_LIMIT));
        let e = read_from(big.as_bytes(), 5000).unwrap_err();
        assert_eq!(e.to_string(), "the response head is larger than 64 KiB");
        let e = read_from(b"HTTP/1.1 200 OK\r\nX: 1", 3).unwrap_err();
        assert!(e.to_string().contains("in the middle of the response head"));
        let e = read_from(b"", 3).unwrap_err();
        assert!(e.to_string().contains("without answering"), "{e}");
        let e = read_from(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", 100).unwrap_err();
        assert!(e.to_string().contains("is this an HTTP server?"), "{e}");
    }

    #[test]
    fn the_length_follows_rfc_9112() {
        let length = |text: &str| head(&format!("HTTP/1.1 {text}\r\n\r\n")).length();
        assert_eq!(length("200 OK").unwrap(), None);
        let same = "200 OK\r\nContent-Length: 7\r\nContent-Length: 7, 7";
        assert_eq!(length(same).unwrap(), Some(7));
        assert!(length("200 OK\r\nContent-Length: 7\r\nContent-Length: 8").is_err());
        assert!(length("200 OK\r\nContent-Length: +7").is_err());
        assert!(length("200 OK\r\nContent-Length: -1").is_err());
        let e = length("200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 9");
        let e = e.unwrap_err().to_string();
        assert!(e.contains("'Transfer-Encoding: gzip, chunked'"), "{e}");
    }

    #[test]
    fn control_characters_in_the_head_are_shown_visibly() {
        let head = Head {
            version: 1,
            code: 200,
            reason: "OK\x1b[2J".into(),
            headers: vec![("X".into(), "a\x1b]0;title\x07".into())],
        };
        assert_eq!(
            head.lines(),
            ["HTTP/1.1 200 OK\u{241b}[2J", "X: a\u{241b}]0;title\u{2407}"]
        );
    }
}
