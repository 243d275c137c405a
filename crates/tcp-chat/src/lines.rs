// ANCHOR: read_from_client
//! Cutting a TCP byte stream into messages: lines, ended by `\n`, because TCP
//! keeps no message boundaries (one recv can return half a message, or two).
use std::io::{self, ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

use net_common::{Encoding, text};

/// The seed's client sends no newline: when a sender pauses this long, the bytes
/// so far are a message (a guess; two sent within the pause run together).
pub const PAUSE: Duration = Duration::from_millis(200);

/// content = read_from_client(s): the next message, a line without its `\n` or
/// `\r\n`, or None at the end of the stream. `pending` keeps the bytes of an
/// unfinished line between calls; one longer than `max_line` is `InvalidData`.
pub fn read_from_client(
    mut s: &TcpStream,
    pending: &mut Vec<u8>,
    max_line: usize,
    encoding: Encoding,
) -> io::Result<Option<Vec<u8>>> {
    let mut chunk = [0u8; 2048];
    loop {
        let newline = pending.iter().position(|&b| b == b'\n');
        if newline.unwrap_or(pending.len()) > max_line {
            return Err(io::Error::new(ErrorKind::InvalidData, "line too long"));
        }
        if let Some(end) = newline {
            let line: Vec<u8> = pending.drain(..=end).collect();
            // Without its '\n', or the "\r\n" that nc -C and telnet end lines with.
            let body = line.strip_suffix(b"\r\n").unwrap_or(&line[..end]);
            return Ok(Some(body.to_vec()));
        }
        // Wait as long as it takes between messages, but only a moment inside one.
        let inside = !pending.is_empty();
        s.set_read_timeout(inside.then_some(PAUSE))?;
        // content = s.recv(2048)
        match s.read(&mut chunk) {
            // recv returned b'': the peer closed. Bytes before the end still count.
            Ok(0) => return Ok(inside.then(|| std::mem::take(pending))),
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
            // A pause ends a message, but never in the middle of a character.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if text::complete_len(pending, encoding) == pending.len() {
                    return Ok(Some(std::mem::take(pending)));
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
// ANCHOR_END: read_from_client

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

    /// A reader of messages from `stream`, as the server has one per client.
    struct Lines<'a>(&'a TcpStream, Vec<u8>, usize);

    impl Lines<'_> {
        fn next(&mut self) -> io::Result<Option<Vec<u8>>> {
            read_from_client(self.0, &mut self.1, self.2, Encoding::Auto)
        }
    }

    fn reader(stream: &TcpStream, max_line: usize) -> Lines<'_> {
        Lines(stream, Vec::new(), max_line)
    }

    fn message(text: &str) -> Option<Vec<u8>> {
        Some(text.as_bytes().to_vec())
    }

    fn too_long(result: io::Result<Option<Vec<u8>>>) -> bool {
        result.is_err_and(|e| e.kind() == ErrorKind::InvalidData)
    }

    #[test]
    fn lines_split_and_glued_come_out_one_by_one() {
        let (mut client, server) = pair();
        let mut lines = reader(&server, 100);
        client.write_all(b"hel").unwrap();
        client.write_all(b"lo\r\nsecond\nthi").unwrap();
        client.write_all(b"rd\n").unwrap();
        assert_eq!(lines.next().unwrap(), message("hello"));
        assert_eq!(lines.next().unwrap(), message("second"));
        assert_eq!(lines.next().unwrap(), message("third"));
        drop(client);
        assert_eq!(lines.next().unwrap(), None);
    }

    #[test]
    fn a_pause_or_the_end_completes_a_line_without_newline() {
        let (mut client, server) = pair();
        let mut lines = reader(&server, 100);
        client.write_all("你好".as_bytes()).unwrap();
        assert_eq!(lines.next().unwrap(), message("你好"));
        client.write_all(b"bye").unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(lines.next().unwrap(), message("bye"));
        assert_eq!(lines.next().unwrap(), None);
    }

    #[test]
    fn a_pause_inside_a_character_does_not_end_the_message() {
        let (mut client, server) = pair();
        let mut lines = reader(&server, 100);
        client.write_all(b"split \xe4").unwrap();
        let rest = std::thread::spawn(move || {
            std::thread::sleep(PAUSE + Duration::from_millis(150));
            client.write_all(b"\xbd\xa0 end\n").unwrap();
            client
        });
        assert_eq!(lines.next().unwrap(), message("split 你 end"));
        drop(rest.join().unwrap());
    }

    #[test]
    fn a_line_over_the_limit_is_refused_without_reading_it_all() {
        let (mut client, server) = pair();
        let mut lines = reader(&server, 10);
        client.write_all(b"0123456789\n").unwrap();
        client.write_all(b"0123456789x\n").unwrap();
        assert_eq!(lines.next().unwrap(), message("0123456789"));
        assert!(too_long(lines.next()));

        let (mut client, server) = pair();
        let mut lines = reader(&server, 10);
        client.write_all(&[b'x'; 100_000]).unwrap();
        assert!(too_long(lines.next()));
        assert!(lines.1.len() <= 10 + 2048);
    }
}
