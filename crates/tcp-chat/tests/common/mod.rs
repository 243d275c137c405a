//! What tests/chat.rs and tests/exercises.rs share: the server under test and a
//! raw member of the room.

// Each test file uses a different part of this module.
#![allow(dead_code)]
// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Instant;

use lesson_testing::{Program, WAIT};

pub const CHAT: &str = env!("CARGO_BIN_EXE_tcp-chat");

/// `tcp-chat server --port 0` plus `extra`, and the address it listens on.
pub fn server(extra: &[&str]) -> (Program, SocketAddr) {
    let mut args = vec!["server", "--port", "0"];
    args.extend_from_slice(extra);
    Program::server(CHAT, &args)
}

/// A raw connection to the room; a thread reads its lines as they come, so it
/// never stops reading (a test that wants one that stops uses a bare `TcpStream`).
pub struct Peer {
    pub stream: TcpStream,
    pub addr: SocketAddr,
    pub lines: Receiver<String>,
}

impl Peer {
    pub fn connect(server: SocketAddr) -> Peer {
        let stream = TcpStream::connect_timeout(&server, WAIT).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        let addr = stream.local_addr().unwrap();
        let (tx, lines) = mpsc::channel();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        thread::spawn(move || {
            let mut line = Vec::new();
            while let Ok(1..) = reader.read_until(b'\n', &mut line) {
                let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                if tx.send(text).is_err() {
                    break;
                }
                line.clear();
            }
        });
        Peer {
            stream,
            addr,
            lines,
        }
    }

    /// Connects and waits until the room announces it.
    pub fn join(server: SocketAddr) -> Peer {
        let mut peer = Peer::connect(server);
        let joined = format!("* {} joined", peer.addr);
        peer.wait_for(|l| l.starts_with(&joined));
        peer
    }

    pub fn send(&self, text: &str) {
        (&self.stream)
            .write_all(format!("{text}\n").as_bytes())
            .unwrap();
    }

    /// The next line from the server; fails the test if none comes in time.
    pub fn next(&mut self) -> String {
        self.lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|e| panic!("{}: no line from the server ({e})", self.addr))
    }

    /// Reads lines until one starts with `start`; returns the lines before it.
    pub fn wait_for_start(&mut self, start: &str) -> Vec<String> {
        self.wait_for(|line| line.starts_with(start)).0
    }

    /// Reads lines until one matches; returns the lines before it and the match.
    pub fn wait_for(&mut self, matches: impl Fn(&str) -> bool) -> (Vec<String>, String) {
        let deadline = Instant::now() + WAIT;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if matches(&line) => return (before, line),
                Ok(line) => before.push(line),
                Err(e) => panic!(
                    "{}: the expected line did not come ({e:?}); got {before:?}",
                    self.addr
                ),
            }
        }
    }

    /// Waits for the server to close this connection; returns what came before.
    pub fn closed(&mut self) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => before.push(line),
                Err(RecvTimeoutError::Disconnected) => return before,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{}: still open after {WAIT:?}; got {before:?}", self.addr)
                }
            }
        }
    }
}

impl Drop for Peer {
    /// Leaves cleanly: FIN both ways, which also ends the reader thread (it holds a clone).
    fn drop(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}
