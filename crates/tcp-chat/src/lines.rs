//! Cutting a TCP byte stream into messages.
//!
//! The seed takes each `s.recv(2048)` as one message. TCP does not keep message
//! boundaries: one recv can return half a message, or two messages glued
//! together, and a long message always arrives in pieces. So the server reads
//! lines, ended by `\n`, and keeps the bytes of an unfinished line until the rest
//! arrives, up to a limit (`--max-line`), so a line with no end cannot fill the memory.
//!
//! The seed's own client sends one message per `send` with no newline. To
//! understand it too, an unfinished line is also taken as a message when the
//! sender pauses: no more bytes for [`PAUSE`]. A person typing pauses between
//! messages; a flood does not, so it still runs into `--max-line`. This is a
//! guess, and the code says so: two newline-less messages sent within the pause
//! run together, exactly as one recv in the seed would glue them. Lines are the
//! honest way to mark messages on a stream.

use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

/// How long a sender may pause in the middle of a line before the bytes so far
/// count as a message (for clients that send without a newline, like the seed's).
pub const PAUSE: Duration = Duration::from_millis(200);

/// Bytes asked of each recv, as in the seed's `s.recv(2048)`.
const RECV_SIZE: usize = 2048;

/// What [`Lines::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A message: a line without its `\n` or `\r\n`, or the bytes before a pause or the end.
    Message(Vec<u8>),
    /// The peer ended the stream (Python's recv returned b'').
    End,
    /// The line grew past the limit before it ended; the rest of it was not read.
    TooLong,
}

/// Reads messages from one connection, keeping at most `max_line` bytes of an unfinished line.
pub struct Lines<'a> {
    stream: &'a TcpStream,
    max_line: usize,
    pending: Vec<u8>,
    /// How much of `pending` has been searched for `\n` already.
    searched: usize,
    /// Whether the socket has the short read timeout on (only while a line is unfinished).
    pausing: bool,
}

impl<'a> Lines<'a> {
    pub fn new(stream: &'a TcpStream, max_line: usize) -> Self {
        Lines {
            stream,
            max_line,
            pending: Vec::new(),
            searched: 0,
            pausing: false,
        }
    }

    /// The next message, or the end of the stream. A reset connection is an error.
    pub fn next(&mut self) -> io::Result<Next> {
        let mut chunk = [0u8; RECV_SIZE];
        loop {
            if let Some(at) = self.pending[self.searched..]
                .iter()
                .position(|&b| b == b'\n')
            {
                let end = self.searched + at;
                if end > self.max_line {
                    return Ok(Next::TooLong);
                }
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                self.searched = 0;
                line.pop(); // the '\n'
                if line.last() == Some(&b'\r') {
                    line.pop(); // nc -C and telnet end lines with "\r\n"
                }
                return Ok(Next::Message(line));
            }
            self.searched = self.pending.len();
            if self.pending.len() > self.max_line {
                return Ok(Next::TooLong);
            }

            // Wait forever between messages, but only a moment inside one.
            let pausing = !self.pending.is_empty();
            if pausing != self.pausing {
                self.stream.set_read_timeout(pausing.then_some(PAUSE))?;
                self.pausing = pausing;
            }
            // content = s.recv(2048)
            match (&mut &*self.stream).read(&mut chunk) {
                // recv returned b'': the peer closed. Bytes before the end still count.
                Ok(0) if self.pending.is_empty() => return Ok(Next::End),
                Ok(0) => return Ok(Next::Message(self.take_pending())),
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                // No more bytes within PAUSE: the seed-style client's message is complete.
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(Next::Message(self.take_pending()));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn take_pending(&mut self) -> Vec<u8> {
        self.searched = 0;
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server
            .set_write_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        (client, server)
    }

    fn message(text: &str) -> Next {
        Next::Message(text.as_bytes().to_vec())
    }

    #[test]
    fn lines_split_and_glued_come_out_one_by_one() {
        let (mut client, server) = pair();
        let mut lines = Lines::new(&server, 100);
        client.write_all(b"hel").unwrap();
        client.write_all(b"lo\r\nsecond\nthi").unwrap();
        client.write_all(b"rd\n").unwrap();
        assert_eq!(lines.next().unwrap(), message("hello"));
        assert_eq!(lines.next().unwrap(), message("second"));
        assert_eq!(lines.next().unwrap(), message("third"));
        drop(client);
        assert_eq!(lines.next().unwrap(), Next::End);
    }

    #[test]
    fn a_pause_or_the_end_completes_a_line_without_newline() {
        let (mut client, server) = pair();
        let mut lines = Lines::new(&server, 100);
        client.write_all("你好".as_bytes()).unwrap();
        assert_eq!(lines.next().unwrap(), message("你好"));
        client.write_all(b"bye").unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(lines.next().unwrap(), message("bye"));
        assert_eq!(lines.next().unwrap(), Next::End);
    }

    #[test]
    fn a_line_over_the_limit_is_refused_without_reading_it_all() {
        let (mut client, server) = pair();
        let mut lines = Lines::new(&server, 10);
        client.write_all(b"0123456789\n").unwrap();
        client.write_all(b"0123456789x\n").unwrap();
        assert_eq!(lines.next().unwrap(), message("0123456789"));
        assert_eq!(lines.next().unwrap(), Next::TooLong);

        let (mut client, server) = pair();
        let mut lines = Lines::new(&server, 10);
        client.write_all(&[b'x'; 100_000]).unwrap();
        assert_eq!(lines.next().unwrap(), Next::TooLong);
        assert!(lines.pending.len() <= 10 + RECV_SIZE);
    }
}
