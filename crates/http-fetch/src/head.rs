//! The response head: status line and header fields, up to the first empty line.
//!
//! The seed reads the whole answer and splits it with `data.split(b'\r\n\r\n', 1)`.
//! Here only the head is collected, in a buffer of at most 64 KiB, and handed to
//! httparse as soon as it is complete; the bytes after it are the start of the body.

use anyhow::bail;

/// The largest response head accepted (status line plus header fields).
pub const HEAD_LIMIT: usize = 64 * 1024;
/// The most header fields accepted.
const MAX_HEADERS: usize = 128;

/// A parsed status line and header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    pub code: u16,
    pub reason: String,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// How the body's end is known (RFC 9112, section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Exactly this many bytes: `Content-Length`. A 204 or 304 has none at all.
    Length(u64),
    /// `Transfer-Encoding: chunked`: the body says where it ends.
    Chunked,
    /// Neither: the body ends when the server closes the connection.
    UntilClose,
}

impl Head {
    /// The value of the first header field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// 1xx: an interim answer (such as 103 Early Hints); the real one follows.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.code)
    }

    /// How the body is delimited. Transfer-Encoding wins over Content-Length, and
    /// Content-Length values that disagree are refused: both are signs of a
    /// confused or malicious server (request smuggling works through them).
    pub fn framing(&self) -> anyhow::Result<Framing> {
        if self.is_interim() || self.code == 204 || self.code == 304 {
            return Ok(Framing::Length(0));
        }
        let codings: Vec<String> = self
            .values("transfer-encoding")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|c| String::from_utf8_lossy(c).trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        if let Some(last) = codings.last() {
            // Only a final "chunked" marks the end; any other coding runs to the close.
            return Ok(if last == "chunked" {
                Framing::Chunked
            } else {
                Framing::UntilClose
            });
        }
        let mut length = None;
        for value in self
            .values("content-length")
            .flat_map(|v| v.split(|&b| b == b','))
        {
            let text = String::from_utf8_lossy(value);
            let text = text.trim();
            let parsed = match text.parse::<u64>() {
                Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => bail!("the server sent a bad Content-Length: '{text}'"),
            };
            if length.is_some_and(|l| l != parsed) {
                bail!("the server sent Content-Length values that disagree");
            }
            length = Some(parsed);
        }
        Ok(length.map_or(Framing::UntilClose, Framing::Length))
    }

    /// The head as lines of text: `HTTP/1.1 200 OK`, then `Name: value` each.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "HTTP/1.{} {} {}",
            self.version, self.code, self.reason
        )];
        for (name, value) in &self.headers {
            lines.push(format!(
                "{name}: {}",
                net_common::Encoding::Auto.decode(value)
            ));
        }
        lines
    }
}

/// Parses a complete head from the start of `bytes`: `Ok(None)` while it is
/// still incomplete, else the head and its length in bytes.
pub fn parse(bytes: &[u8]) -> anyhow::Result<Option<(Head, usize)>> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut fields);
    let len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            bail!("the response has more than {MAX_HEADERS} header fields")
        }
        Err(httparse::Error::Version) => {
            bail!("the answer does not start with HTTP/1.x: is this an HTTP server?")
        }
        Err(e) => bail!("the response head is malformed ({e})"),
    };
    let head = Head {
        version: response.version.unwrap_or(1),
        code: response.code.unwrap_or(0),
        reason: response.reason.unwrap_or("").to_owned(),
        headers: response
            .headers
            .iter()
            .map(|h| (h.name.to_owned(), h.value.to_vec()))
            .collect(),
    };
    Ok(Some((head, len)))
}

/// Receives until a whole head is in `buf` (which already holds `filled` bytes),
/// parses it, and moves the bytes after it, the start of the body, to the front
/// of `buf`. Returns the head and how many body bytes are now in `buf`.
///
/// `recv` is `s.recv(...)`: it fills the slice it is given and returns the
/// count, 0 when the server has closed the connection.
pub fn read(
    buf: &mut [u8],
    mut filled: usize,
    mut recv: impl FnMut(&mut [u8]) -> anyhow::Result<usize>,
) -> anyhow::Result<(Head, usize)> {
    let limit = buf.len().min(HEAD_LIMIT);
    let mut searched: usize = 0;
    loop {
        // Parsing again after every read would be slow for a server that sends
        // one byte at a time; only an empty line ("\n\n" or "\n\r\n") can end a head.
        let from = searched.saturating_sub(2);
        if buf[from..filled]
            .windows(2)
            .any(|w| w == b"\n\n" || w == b"\n\r")
            && let Some((head, len)) = parse(&buf[..filled])?
        {
            buf.copy_within(len..filled, 0);
            return Ok((head, filled - len));
        }
        searched = filled;
        if filled >= limit {
            bail!("the response head is larger than {} KiB", HEAD_LIMIT / 1024);
        }
        let received = recv(&mut buf[filled..limit])?;
        if received == 0 {
            if filled == 0 {
                bail!("the server closed the connection without answering");
            }
            bail!("the server closed the connection in the middle of the response head");
        }
        filled += received;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn head(text: &str) -> Head {
        parse(text.as_bytes()).unwrap().unwrap().0
    }

    /// `read` over canned bytes, handed out `step` bytes per recv.
    fn read_from(wire: &[u8], step: usize) -> anyhow::Result<(Head, Vec<u8>)> {
        let mut buf = vec![0; HEAD_LIMIT];
        let mut at = 0;
        let (head, filled) = read(&mut buf, 0, |into| {
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
            assert_eq!(head.header("x-a"), Some(&b"b"[..]));
            assert_eq!(head.framing().unwrap(), Framing::Length(5));
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
        assert_eq!(head.header("server"), Some(&b"seed"[..]));
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
        assert!(e.to_string().contains("without answering"));
        let e = read_from(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", 100).unwrap_err();
        assert!(e.to_string().contains("is this an HTTP server?"), "{e}");
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let framing = |text: &str| head(&format!("HTTP/1.1 {text}\r\n\r\n")).framing();
        assert_eq!(framing("200 OK").unwrap(), Framing::UntilClose);
        assert_eq!(
            framing("200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 9").unwrap(),
            Framing::Chunked
        );
        assert_eq!(
            framing("200 OK\r\nTransfer-Encoding: gzip").unwrap(),
            Framing::UntilClose
        );
        assert_eq!(
            framing("200 OK\r\nContent-Length: 7\r\nContent-Length: 7, 7").unwrap(),
            Framing::Length(7)
        );
        assert_eq!(
            framing("204 No Content\r\nContent-Length: 7").unwrap(),
            Framing::Length(0)
        );
        assert!(framing("200 OK\r\nContent-Length: 7\r\nContent-Length: 8").is_err());
        assert!(framing("200 OK\r\nContent-Length: +7").is_err());
        assert!(framing("200 OK\r\nContent-Length: -1").is_err());
        assert!(head("HTTP/1.1 103 Early Hints\r\n\r\n").is_interim());
    }
}
