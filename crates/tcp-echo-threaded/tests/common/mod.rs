//! What tests/echo.rs and tests/exercises.rs share: the server under test and a
//! raw client that has read its welcome.

// Each test file uses a different part of this module.
#![allow(dead_code)]
// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;

use lesson_testing::{Program, WAIT, read_text, tcp_peer};

pub const ECHO: &str = env!("CARGO_BIN_EXE_tcp-echo-threaded");

/// `tcp-echo-threaded server --port 0` plus `args`, and the address it listens on.
pub fn server(args: &[&str]) -> (Program, SocketAddr) {
    let mut all = vec!["server", "--port", "0"];
    all.extend_from_slice(args);
    Program::server(ECHO, &all)
}

/// A raw client that has read its welcome.
pub fn welcomed(addr: SocketAddr) -> TcpStream {
    let mut peer = tcp_peer(addr);
    assert_eq!(read_text(&mut peer, 8), "Welcome!");
    peer
}

/// Sends one message and reads its answer with ONE read: the server must send
/// each answer in one write (two small writes would meet Nagle's algorithm).
pub fn ask(peer: &mut TcpStream, msg: &str) -> String {
    peer.write_all(msg.as_bytes()).unwrap();
    let mut buf = [0; 4096];
    let n = peer.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// A server whose stdout is a pipe the test holds: `log.take()` and drop it to
/// close stdout (as `| true` does), or keep it and never read it.
pub struct PipedServer {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: Option<ChildStdout>,
}

impl PipedServer {
    /// `tcp-echo-threaded server --port 0` plus `args`, stdout a pipe.
    pub fn start(args: &[&str]) -> PipedServer {
        let mut child = Command::new(ECHO)
            .args(["server", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // The `listening on` line, byte by byte, so nothing more is taken from the pipe.
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = Vec::new();
            let mut byte = [0u8];
            while stdout.read_exact(&mut byte).is_ok() && byte[0] != b'\n' {
                line.push(byte[0]);
            }
            let _ = tx.send((String::from_utf8_lossy(&line).into_owned(), stdout));
        });
        let (line, stdout) = rx.recv_timeout(WAIT).expect("a listening on line");
        let addr = line.strip_prefix("listening on ").unwrap().parse().unwrap();
        PipedServer {
            child,
            addr,
            log: Some(stdout),
        }
    }
}

impl Drop for PipedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
